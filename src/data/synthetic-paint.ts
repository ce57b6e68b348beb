/**
 * Painting of a synthetic scene into an RGB buffer: the gradient background, the clutter lines and the
 * shaded shapes, each with integer luminance noise. Browser-safe (typed arrays only).
 *
 * @packageDocumentation
 */
import type { Rng } from './rng.js';
import { shapeRowSpan, type SyntheticShape } from './synthetic-shapes.js';

/** Working canvas: writes clamp to 0…255 and round, so shading and noise never wrap around. */
export interface Canvas {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

/** Integer luminance noise in [−amplitude, amplitude] from an inline xorshift32 (cheap per pixel). */
export class Noise {
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

/**
 * Paint `shape` row by row with its base colour, a linear shading of `amp` levels (0–20) along the unit
 * direction `shade` (per half box side) and the noise.
 */
export function paintShape(img: Canvas, shape: SyntheticShape, shade: [number, number], amp: number, noise: Noise): void {
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
export function paintBackground(img: Canvas, rng: Rng, flat: boolean, range: number, noise: Noise): void {
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

/** One clutter line of width 1–3 px and a random colour between two random points (up to 10 % outside the image). */
export function paintLine(img: Canvas, rng: Rng): void {
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

