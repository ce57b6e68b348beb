/**
 * A seeded synthetic detection scene: shapes on noisy gradient backgrounds with clutter lines, with
 * exact boxes. The default data of the demo, of integration tests and of the browser training page;
 * browser-safe (typed arrays only), so Node and the browser draw the same scene for the same seed.
 *
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
 *
 * @packageDocumentation
 */
import type { RGBImage } from './rgb-image.js';
import { Rng } from './rng.js';
import { resolveSyntheticOptions, type ResolvedSyntheticOptions, type SyntheticOptions } from './synthetic-options.js';
import { type Canvas, Noise, paintBackground, paintLine, paintShape } from './synthetic-paint.js';
import { SYNTHETIC_CLASSES, type SyntheticShape, boxIoU4, colourDistance, forEachShapeRow } from './synthetic-shapes.js';

/** One drawn object: class id and integer pixel corners `(x1, y1, x2, y2)`. */
export interface SyntheticObject {
  classId: number;
  box: [x1: number, y1: number, x2: number, y2: number];
}

/** A generated sample: the image, its objects (the labels) and the shapes that were drawn. */
export interface SyntheticSample {
  /** `synthetic-<seed>` for a numeric seed, `synthetic` for a generator; the Node dataset renames it. */
  id: string;
  image: RGBImage;
  objects: SyntheticObject[];
  shapes: SyntheticShape[];
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
      if (shapes.some((s) => boxIoU4(s.box, box) > o.maxIoU)) continue;
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
  const objects: SyntheticObject[] = shapes.map((s) => ({ classId: s.classId, box: [s.box[0], s.box[1], s.box[2], s.box[3]] }));
  return { id: typeof seed === 'number' ? `synthetic-${seed}` : 'synthetic', image, objects, shapes };
}
