/**
 * A seeded synthetic detection dataset: shapes on noisy gradient backgrounds with clutter lines, with
 * exact boxes. The default data of the demo and of integration tests.
 *
 * - Classes differ by **shape** only ({@link SYNTHETIC_CLASSES}: rectangle, ellipse, triangle, cross);
 *   colours are random and independent of the class (redrawn, up to 20 times, until at least 90 levels
 *   L1 from the background at the box centre); triangles point up, down, left or right; crosses
 *   have random bar thickness; every object has its own linear shading.
 * - 1–6 objects per image (uniform count), sides from 8 % to 60 % of the image side (log-uniform scale,
 *   aspect ratio log-uniform in [1/2, 2], both sides clamped to the range), overlaps allowed up to
 *   IoU 0.3 (a placement above that is redrawn, 50 tries, then the image keeps fewer objects).
 * - Background: a linear gradient between two random colours in a random direction, 2–8 clutter lines
 *   of width 1–3 under the objects, integer luminance noise uniform in ±12 levels on background and shapes.
 *
 * Exactness: shapes are rasterised directly into the RGB buffer, row by row, **conservatively** — a pixel
 * is painted when the continuous shape meets the pixel's square. Every shape touches all four sides of
 * its box, so the painted pixels span exactly columns `x1 … x2 − 1` and rows `y1 … y2 − 1` of the
 * integer box `(x1, y1, x2, y2)`. Later objects may cover parts of earlier ones; boxes are the full
 * (amodal) extent of each shape.
 *
 * Sample `i` of seed `s` uses its own generator `new Rng(deriveSeed(s, i))`, so any sample is
 * regenerated alone from `(s, i)`, cheaply and in any order.
 *
 * @packageDocumentation
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { ValueError } from '../../errors.js';
import { assertKnownKeys, assertNumber } from '../../validate.js';
import type { DetectionDataset, DetectionSample, RGBImage, SampleObject } from './datasets.js';
import { Rng, deriveSeed } from './rng.js';
import { writeVOCAnnotation } from './voc-xml.js';

/** Class names of the synthetic dataset, ids 0…3. */
export const SYNTHETIC_CLASSES: readonly string[] = Object.freeze(['rectangle', 'ellipse', 'triangle', 'cross']);

/** Geometry of one drawn shape. */
export interface SyntheticShape {
  classId: number;
  kind: 'rectangle' | 'ellipse' | 'triangle' | 'cross';
  /** Integer pixel corners `(x1, y1, x2, y2)`; the shape paints columns x1…x2−1, rows y1…y2−1. */
  box: [number, number, number, number];
  /** Triangles: where the apex points. */
  orientation?: 'up' | 'down' | 'left' | 'right';
  /** Crosses: bar thickness as a fraction of the box side (0.2–0.45). */
  bar?: number;
  /** Base RGB colour 0–255. */
  colour: [number, number, number];
}

/** A generated sample: a {@link DetectionSample} plus the shapes that were drawn. */
export interface SyntheticSample extends DetectionSample {
  shapes: SyntheticShape[];
}

/** Options of the generator (all optional; defaults in brackets). */
export interface SyntheticOptions {
  /** Image width in pixels [416]. */
  width?: number;
  /** Image height in pixels [= width]. */
  height?: number;
  /** Fewest objects per image [1]. */
  minObjects?: number;
  /** Most objects per image [6]. */
  maxObjects?: number;
  /** Smallest box side as a fraction of the image side [0.08]. */
  minSize?: number;
  /** Largest box side as a fraction of the image side [0.6]. */
  maxSize?: number;
  /** Largest IoU allowed between two objects' boxes [0.3]. */
  maxIoU?: number;
  /** Clutter lines per image, inclusive range [[2, 8]]. */
  clutterLines?: readonly [number, number];
  /** Amplitude of the uniform luminance noise in 0–255 levels [12]; 0 turns it off. */
  noise?: number;
  /** 'gradient' (default) or 'flat' (plain black; with noise 0 and no clutter it isolates the shapes). */
  background?: 'gradient' | 'flat';
  /**
   * Largest per-channel difference, in 0–255 levels, between the two end colours of a gradient
   * background [255: two independent random colours]. Smaller values give gentler gradients, on which a
   * shape's edge keeps its contrast all around.
   */
  gradientRange?: number;
  /**
   * Smallest colour distance (L1 over RGB, 0–765 levels) between a shape and the background at its box's
   * centre and four corners [90]. Colours are redrawn up to 20 times to meet it.
   */
  minContrast?: number;
  /**
   * Smallest fraction of each shape's pixels left visible by the shapes drawn over it [0: no limit, only
   * `maxIoU`]. With 0.5, a placement that would hide more than half of an earlier shape — or touch one
   * drawn in a colour closer than `minContrast`, so the two merge — is redrawn like one above `maxIoU`.
   * Without it, a small shape can vanish under a large one (IoU ≤ 0.3 allows that) and keep its label:
   * at the demo's settings 4 % of the objects are less than a quarter visible (docs/history.md).
   */
  minVisible?: number;
}

/** {@link SyntheticOptions} with every default filled in. */
export interface ResolvedSyntheticOptions {
  width: number;
  height: number;
  minObjects: number;
  maxObjects: number;
  minSize: number;
  maxSize: number;
  maxIoU: number;
  clutterLines: [number, number];
  noise: number;
  background: 'gradient' | 'flat';
  gradientRange: number;
  minContrast: number;
  minVisible: number;
}

const SYNTHETIC_OPTION_KEYS = ['width', 'height', 'minObjects', 'maxObjects', 'minSize', 'maxSize', 'maxIoU', 'clutterLines', 'noise', 'background', 'gradientRange', 'minContrast', 'minVisible'];

/** Validate and fill in the defaults of {@link SyntheticOptions}. */
export function resolveSyntheticOptions(options: SyntheticOptions = {}, fn = 'generateSyntheticSample'): Readonly<ResolvedSyntheticOptions> {
  assertKnownKeys(fn, 'options', options, SYNTHETIC_OPTION_KEYS);
  const width = options.width ?? 416;
  const height = options.height ?? width;
  assertNumber(fn, 'width', width, { min: 16, max: 8192, integer: true });
  assertNumber(fn, 'height', height, { min: 16, max: 8192, integer: true });
  const minObjects = options.minObjects ?? 1;
  const maxObjects = options.maxObjects ?? 6;
  assertNumber(fn, 'minObjects', minObjects, { min: 0, max: 1000, integer: true });
  assertNumber(fn, 'maxObjects', maxObjects, { min: minObjects, max: 1000, integer: true });
  const minSize = options.minSize ?? 0.08;
  const maxSize = options.maxSize ?? 0.6;
  assertNumber(fn, 'minSize', minSize, { min: 0, max: 1, minOpen: true });
  assertNumber(fn, 'maxSize', maxSize, { min: minSize, max: 1 });
  const maxIoU = options.maxIoU ?? 0.3;
  assertNumber(fn, 'maxIoU', maxIoU, { min: 0, max: 1 });
  const clutterLines = options.clutterLines ?? [2, 8];
  if (!Array.isArray(clutterLines) || clutterLines.length !== 2) {
    throw new ValueError(`${fn}: 'clutterLines' must be [min, max], got ${JSON.stringify(clutterLines)}`);
  }
  assertNumber(fn, 'clutterLines[0]', clutterLines[0], { min: 0, max: 1000, integer: true });
  assertNumber(fn, 'clutterLines[1]', clutterLines[1], { min: clutterLines[0], max: 1000, integer: true });
  const noise = options.noise ?? 12;
  assertNumber(fn, 'noise', noise, { min: 0, max: 255 });
  const background = options.background ?? 'gradient';
  if (background !== 'gradient' && background !== 'flat') {
    throw new ValueError(`${fn}: 'background' must be 'gradient' or 'flat', got ${JSON.stringify(background)}`);
  }
  const gradientRange = options.gradientRange ?? 255;
  assertNumber(fn, 'gradientRange', gradientRange, { min: 0, max: 255, integer: true });
  const minContrast = options.minContrast ?? 90;
  assertNumber(fn, 'minContrast', minContrast, { min: 0, max: 765 });
  const minVisible = options.minVisible ?? 0;
  assertNumber(fn, 'minVisible', minVisible, { min: 0, max: 1 });
  return { width, height, minObjects, maxObjects, minSize, maxSize, maxIoU, clutterLines: [clutterLines[0], clutterLines[1]], noise, background, gradientRange, minContrast, minVisible };
}

function iou(a: readonly number[], b: readonly number[]): number {
  const iw = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const ih = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter);
}

/**
 * The painted column span `[xs, xe)` of `shape` on pixel row `y` (the strip `[y, y+1)`), or null when the
 * row is outside the box. Conservative: a pixel is in when the continuous shape meets its square.
 */
export function shapeRowSpan(shape: SyntheticShape, y: number): [number, number] | null {
  const [x1, y1, x2, y2] = shape.box;
  if (y < y1 || y >= y2) return null;
  const w = x2 - x1;
  const h = y2 - y1;
  const cx = (x1 + x2) / 2;
  const cy = (y1 + y2) / 2;
  // normalised distance from the strip to the centre row (0 when the strip contains it)
  const tmin = Math.max(0, y - cy, cy - (y + 1)) / (h / 2);
  let a: number;
  let b: number;
  switch (shape.kind) {
    case 'rectangle':
      return [x1, x2];
    case 'ellipse': {
      const hw = (w / 2) * Math.sqrt(Math.max(0, 1 - tmin * tmin));
      a = cx - hw;
      b = cx + hw;
      break;
    }
    case 'triangle': {
      const o = shape.orientation ?? 'up';
      if (o === 'up' || o === 'down') {
        const depth = o === 'up' ? Math.min(y + 1, y2) - y1 : y2 - Math.max(y, y1);
        const hw = (w / 2) * (depth / h);
        a = cx - hw;
        b = cx + hw;
      } else if (o === 'left') {
        a = x1 + w * tmin;
        b = x2;
      } else {
        a = x1;
        b = x2 - w * tmin;
      }
      break;
    }
    case 'cross': {
      const f = shape.bar ?? 0.33;
      const th = (h * f) / 2;
      if (y + 1 > cy - th && y < cy + th) return [x1, x2];
      const tw = (w * f) / 2;
      a = cx - tw;
      b = cx + tw;
      break;
    }
    default:
      throw new ValueError(`shapeRowSpan: unknown shape kind ${JSON.stringify((shape as { kind: unknown }).kind)}`);
  }
  const xs = Math.max(x1, Math.floor(a));
  const xe = Math.min(x2, Math.ceil(b));
  return xe > xs ? [xs, xe] : null;
}

/** A `width × height` 0/1 mask of one shape (for checks and visualisation). */
export function shapeMask(shape: SyntheticShape, width: number, height: number): Uint8Array {
  const mask = new Uint8Array(width * height);
  forEachShapeRow(shape, width, height, (start, end) => mask.fill(1, start, end));
  return mask;
}

/** Each row of a shape inside a `width × height` image, as the pixel indices `start … end−1` (row-major). */
function forEachShapeRow(shape: SyntheticShape, width: number, height: number, f: (start: number, end: number) => void): void {
  for (let y = Math.max(0, shape.box[1]); y < Math.min(height, shape.box[3]); y++) {
    const span = shapeRowSpan(shape, y);
    if (span) f(y * width + Math.max(0, span[0]), y * width + Math.min(width, span[1]));
  }
}

/** L1 distance of two RGB colours, 0–765 levels. */
function colourDistance(a: readonly number[], b: readonly number[]): number {
  return Math.abs(a[0] - b[0]) + Math.abs(a[1] - b[1]) + Math.abs(a[2] - b[2]);
}

/** Working canvas: writes clamp to 0…255 and round, so shading and noise never wrap around. */
interface Canvas {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

/** Integer luminance noise in [−amplitude, amplitude] from an inline xorshift32 (cheap per pixel). */
class Noise {
  private s: number;
  private readonly span: number;
  constructor(seed: number, readonly amplitude: number) {
    this.s = seed >>> 0 || 0x9e3779b9;
    this.span = 2 * Math.round(amplitude) + 1;
  }
  next(): number {
    let s = this.s;
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    this.s = s;
    return (((s >>> 16) * this.span) >>> 16) - (this.span >> 1);
  }
}

function paintShape(img: Canvas, shape: SyntheticShape, shade: [number, number], amp: number, noise: Noise): void {
  const { width, data } = img;
  const [x1, y1, x2, y2] = shape.box;
  const cx = (x1 + x2) / 2;
  const cy = (y1 + y2) / 2;
  const half = Math.max(x2 - x1, y2 - y1) / 2;
  // colour(x, y) = colour + amp · ((x − cx)·dx + (y − cy)·dy) / half + noise, |amp| ≤ 20 levels
  const gx = (amp * shade[0]) / half;
  const gy = (amp * shade[1]) / half;
  const [r, g, b] = shape.colour;
  for (let y = y1; y < y2; y++) {
    const span = shapeRowSpan(shape, y);
    if (!span) continue;
    const rowShift = gy * (y + 0.5 - cy) + 0.5;
    let o = (y * width + span[0]) * 3;
    for (let x = span[0]; x < span[1]; x++, o += 3) {
      const s = ((rowShift + gx * (x + 0.5 - cx)) | 0) + noise.next();
      data[o] = r + s;
      data[o + 1] = g + s;
      data[o + 2] = b + s;
    }
  }
}

/**
 * Linear gradient between two colours in a random direction (or black), plus noise, one pass. The second
 * colour is random (`range` 255) or the first one moved by at most `range` levels per channel.
 */
function paintBackground(img: Canvas, rng: Rng, flat: boolean, range: number, noise: Noise): void {
  const { width, height, data } = img;
  let c0 = [0, 0, 0];
  let d = [0, 0, 0];
  let dx = 1;
  let dy = 0;
  let lo = 0;
  let span = 1;
  if (!flat) {
    c0 = [rng.int(0, 255), rng.int(0, 255), rng.int(0, 255)];
    let c1 = [rng.int(0, 255), rng.int(0, 255), rng.int(0, 255)];
    // same draws either way: c1 ∈ 0…255 maps to an offset in −range…range
    if (range < 255) c1 = c1.map((v, k) => Math.min(255, Math.max(0, c0[k] + Math.round(((v - 127.5) / 127.5) * range))));
    d = [c1[0] - c0[0], c1[1] - c0[1], c1[2] - c0[2]];
    const theta = rng.uniform(0, 2 * Math.PI);
    dx = Math.cos(theta);
    dy = Math.sin(theta);
    const proj = [0, width * dx, height * dy, width * dx + height * dy];
    lo = Math.min(...proj);
    span = Math.max(...proj) - lo || 1;
  }
  const dt = dx / span;
  for (let y = 0; y < height; y++) {
    const t0 = ((y + 0.5) * dy + 0.5 * dx - lo) / span;
    // per-row start values and per-column steps of each channel (+0.5 rounds on truncation)
    const r0 = c0[0] + d[0] * t0 + 0.5;
    const g0 = c0[1] + d[1] * t0 + 0.5;
    const b0 = c0[2] + d[2] * t0 + 0.5;
    const rs = d[0] * dt;
    const gs = d[1] * dt;
    const bs = d[2] * dt;
    let o = y * width * 3;
    for (let x = 0; x < width; x++, o += 3) {
      const n = noise.next();
      data[o] = ((r0 + rs * x) | 0) + n;
      data[o + 1] = ((g0 + gs * x) | 0) + n;
      data[o + 2] = ((b0 + bs * x) | 0) + n;
    }
  }
}

function paintLine(img: Canvas, rng: Rng): void {
  const { width, height, data } = img;
  const ax = rng.uniform(-0.1, 1.1) * width;
  const ay = rng.uniform(-0.1, 1.1) * height;
  const bx = rng.uniform(-0.1, 1.1) * width;
  const by = rng.uniform(-0.1, 1.1) * height;
  const thick = rng.int(1, 3);
  const col = [rng.int(0, 255), rng.int(0, 255), rng.int(0, 255)];
  const steps = Math.ceil(Math.max(Math.abs(bx - ax), Math.abs(by - ay))) + 1;
  const off = Math.floor((thick - 1) / 2);
  for (let i = 0; i <= steps; i++) {
    const px = Math.floor(ax + ((bx - ax) * i) / steps) - off;
    const py = Math.floor(ay + ((by - ay) * i) / steps) - off;
    for (let yy = py; yy < py + thick; yy++) {
      if (yy < 0 || yy >= height) continue;
      for (let xx = px; xx < px + thick; xx++) {
        if (xx < 0 || xx >= width) continue;
        const o = (yy * width + xx) * 3;
        data[o] = col[0];
        data[o + 1] = col[1];
        data[o + 2] = col[2];
      }
    }
  }
}

/** Which shape owns each pixel so far, and how many pixels each shape has and still shows. */
class Coverage {
  private readonly owner: Int16Array;
  private readonly area: number[] = [];
  private readonly visible: number[] = [];
  constructor(private readonly width: number, private readonly height: number) {
    this.owner = new Int16Array(width * height).fill(-1);
  }

  /** Whether `shape`, drawn over `shapes`, leaves each of them `minVisible` of its pixels and merges with none. */
  accepts(shape: SyntheticShape, shapes: readonly SyntheticShape[], minVisible: number, minContrast: number): boolean {
    const hidden = new Array<number>(this.area.length).fill(0);
    this.forEachPixel(shape, (p) => {
      const j = this.owner[p];
      if (j >= 0) hidden[j]++;
    });
    return hidden.every((h, j) => {
      if (h === 0) return true;
      return colourDistance(shapes[j].colour, shape.colour) >= minContrast && this.visible[j] - h >= minVisible * this.area[j];
    });
  }

  /** Record `shape` (index `index`) as drawn on top. */
  paint(shape: SyntheticShape, index: number): void {
    let area = 0;
    this.forEachPixel(shape, (p) => {
      const j = this.owner[p];
      if (j >= 0) this.visible[j]--;
      this.owner[p] = index;
      area++;
    });
    this.area[index] = area;
    this.visible[index] = area;
  }

  private forEachPixel(shape: SyntheticShape, f: (p: number) => void): void {
    forEachShapeRow(shape, this.width, this.height, (start, end) => {
      for (let p = start; p < end; p++) f(p);
    });
  }
}

function sampleShapes(o: ResolvedSyntheticOptions, rng: Rng, background: (x: number, y: number) => number[]): SyntheticShape[] {
  const { width, height } = o;
  const count = rng.int(o.minObjects, o.maxObjects);
  const shapes: SyntheticShape[] = [];
  const minW = Math.max(2, Math.round(o.minSize * width));
  const maxW = Math.max(minW, Math.round(o.maxSize * width));
  const minH = Math.max(2, Math.round(o.minSize * height));
  const maxH = Math.max(minH, Math.round(o.maxSize * height));
  const logLo = Math.log(o.minSize);
  const logHi = Math.log(o.maxSize);
  const cover = o.minVisible > 0 ? new Coverage(width, height) : null;
  for (let k = 0; k < count; k++) {
    let placed: SyntheticShape | null = null;
    for (let attempt = 0; attempt < 50 && !placed; attempt++) {
      const scale = Math.exp(rng.uniform(logLo, logHi));
      const aspect = Math.exp(rng.uniform(Math.log(0.5), Math.log(2)));
      const w = Math.min(maxW, Math.max(minW, Math.round(scale * Math.sqrt(aspect) * width)));
      const h = Math.min(maxH, Math.max(minH, Math.round((scale / Math.sqrt(aspect)) * height)));
      const x1 = rng.int(0, width - w);
      const y1 = rng.int(0, height - h);
      const box: [number, number, number, number] = [x1, y1, x1 + w, y1 + h];
      const classId = rng.int(0, SYNTHETIC_CLASSES.length - 1);
      const kind = SYNTHETIC_CLASSES[classId] as SyntheticShape['kind'];
      const orientation = rng.pick(['up', 'down', 'left', 'right'] as const);
      const bar = rng.uniform(0.2, 0.45);
      // a colour at least minContrast levels (L1) away from the background at the box centre and corners
      const bgs = [background(x1 + w / 2, y1 + h / 2), background(x1, y1), background(x1 + w - 1, y1), background(x1, y1 + h - 1), background(x1 + w - 1, y1 + h - 1)];
      let colour: [number, number, number] = [0, 0, 0];
      for (let t = 0; t < 20; t++) {
        colour = [rng.int(0, 255), rng.int(0, 255), rng.int(0, 255)];
        const c = colour;
        if (bgs.every((bg) => colourDistance(c, bg) >= o.minContrast)) break;
      }
      if (shapes.some((s) => iou(s.box, box) > o.maxIoU)) continue;
      const candidate: SyntheticShape = { classId, kind, box, colour };
      if (kind === 'triangle') candidate.orientation = orientation;
      if (kind === 'cross') candidate.bar = bar;
      if (cover && !cover.accepts(candidate, shapes, o.minVisible, o.minContrast)) continue;
      placed = candidate;
    }
    if (!placed) break;
    cover?.paint(placed, shapes.length);
    shapes.push(placed);
  }
  return shapes;
}

/**
 * Generate one synthetic sample from a seed (or a generator, which is advanced).
 *
 * @returns the RGB image, the objects (`classId`, continuous pixel corners — integers here) and the
 *   drawn shapes. `id` is `synthetic-<seed>` for a numeric seed, `synthetic` for a generator.
 */
export function generateSyntheticSample(seed: number | Rng, options: SyntheticOptions = {}): SyntheticSample {
  const o = resolveSyntheticOptions(options);
  const rng = typeof seed === 'number' ? new Rng(seed) : seed;
  const { width, height } = o;
  const image: RGBImage = { width, height, data: new Uint8Array(width * height * 3) };
  const img: Canvas = { width, height, data: new Uint8ClampedArray(image.data.buffer) };
  const noise = new Noise(rng.nextUint32(), o.noise);
  paintBackground(img, rng, o.background === 'flat', o.gradientRange, noise);
  const bgAt = (x: number, y: number): number[] => {
    const i = (Math.min(height - 1, Math.floor(y)) * width + Math.min(width - 1, Math.floor(x))) * 3;
    return [img.data[i], img.data[i + 1], img.data[i + 2]];
  };
  const lines = rng.int(o.clutterLines[0], o.clutterLines[1]);
  for (let i = 0; i < lines; i++) paintLine(img, rng);
  const shapes = sampleShapes(o, rng, bgAt);
  for (const s of shapes) {
    const angle = rng.uniform(0, 2 * Math.PI);
    // shading shifts all three channels by the same |s| ≤ 20·√2 < 30 levels, so a colour ≥ 90 levels (L1)
    // from a flat black background stays visible everywhere on the shape
    paintShape(img, s, [Math.cos(angle), Math.sin(angle)], rng.uniform(0, 20), noise);
  }
  const objects: SampleObject[] = shapes.map((s) => ({ classId: s.classId, box: [...s.box] as SampleObject['box'] }));
  return { id: typeof seed === 'number' ? `synthetic-${seed}` : 'synthetic', image, objects, shapes };
}

/**
 * The synthetic dataset as a random-access {@link DetectionDataset}: sample `i` is
 * `generateSyntheticSample(new Rng(deriveSeed(seed, i)), options)` with id `synthetic-<seed>-<i>`.
 * Nothing is cached: regenerating is cheaper than keeping the pixels.
 */
export class SyntheticDataset implements DetectionDataset {
  readonly classNames = SYNTHETIC_CLASSES;
  readonly length: number;
  readonly seed: number;
  readonly options: Readonly<ResolvedSyntheticOptions>;

  constructor(options: SyntheticOptions & { seed?: number; length?: number } = {}) {
    assertKnownKeys('SyntheticDataset', 'options', options, ['seed', 'length', ...SYNTHETIC_OPTION_KEYS]);
    const { seed = 0, length = 1000, ...rest } = options;
    assertNumber('SyntheticDataset', 'seed', seed, { integer: true });
    assertNumber('SyntheticDataset', 'length', length, { min: 0, integer: true });
    this.seed = seed;
    this.length = length;
    this.options = resolveSyntheticOptions(rest, 'SyntheticDataset');
  }

  /** Sample `index` (0 ≤ index < length), synchronously. */
  getSync(index: number): SyntheticSample {
    assertNumber('SyntheticDataset.get', 'index', index, { min: 0, max: this.length - 1, integer: true });
    const s = generateSyntheticSample(new Rng(deriveSeed(this.seed, index)), this.options);
    s.id = `synthetic-${this.seed}-${index}`;
    return s;
  }

  get(index: number): Promise<DetectionSample> {
    try {
      return Promise.resolve(this.getSync(index));
    } catch (e) {
      return Promise.reject(e);
    }
  }
}

/**
 * Write a synthetic dataset in VOC layout under `root`: `JPEGImages/<id>.png` (PNG by default, lossless;
 * `format: 'jpg'` writes JPEG quality 95), `Annotations/<id>.xml` (VOC boxes: 1-based inclusive, i.e.
 * `xmin = x1 + 1, xmax = x2`), and `ImageSets/Main/<imageSet>.txt` listing the ids.
 *
 * @returns the ids written.
 */
export async function writeSyntheticVOC(
  root: string,
  dataset: SyntheticDataset,
  options: { imageSet?: string; format?: 'png' | 'jpg' } = {},
): Promise<string[]> {
  assertKnownKeys('writeSyntheticVOC', 'options', options, ['imageSet', 'format']);
  const { imageSet = 'trainval', format = 'png' } = options;
  await mkdir(join(root, 'JPEGImages'), { recursive: true });
  await mkdir(join(root, 'Annotations'), { recursive: true });
  await mkdir(join(root, 'ImageSets', 'Main'), { recursive: true });
  const ids: string[] = [];
  for (let i = 0; i < dataset.length; i++) {
    const s = dataset.getSync(i);
    const filename = `${s.id}.${format}`;
    const raw = sharp(s.image.data, { raw: { width: s.image.width, height: s.image.height, channels: 3 } });
    const bytes = await (format === 'png' ? raw.png() : raw.jpeg({ quality: 95 })).toBuffer();
    await writeFile(join(root, 'JPEGImages', filename), bytes);
    const xml = writeVOCAnnotation({
      folder: 'synthetic',
      filename,
      size: { width: s.image.width, height: s.image.height, depth: 3 },
      objects: s.objects.map((ob) => ({
        name: SYNTHETIC_CLASSES[ob.classId],
        box: [ob.box[0] + 1, ob.box[1] + 1, ob.box[2], ob.box[3]],
        difficult: false,
        truncated: false,
      })),
    });
    await writeFile(join(root, 'Annotations', `${s.id}.xml`), xml);
    ids.push(s.id);
  }
  await writeFile(join(root, 'ImageSets', 'Main', `${imageSet}.txt`), ids.join('\n') + '\n');
  return ids;
}
