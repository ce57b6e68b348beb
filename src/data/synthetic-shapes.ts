/**
 * The four shapes of the synthetic dataset and their conservative rasterisation: which pixels of each
 * row a shape paints (a pixel is in when the continuous shape meets its square), so the painted pixels
 * span exactly the shape's integer box. Browser-safe.
 *
 * @packageDocumentation
 */
import { ValueError } from '../errors.js';

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


/** IoU of two `(x1, y1, x2, y2)` boxes; 0 when they do not overlap. */
export function boxIoU4(a: readonly number[], b: readonly number[]): number {
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
export function forEachShapeRow(shape: SyntheticShape, width: number, height: number, f: (start: number, end: number) => void): void {
  for (let y = Math.max(0, shape.box[1]); y < Math.min(height, shape.box[3]); y++) {
    const span = shapeRowSpan(shape, y);
    if (span) f(y * width + Math.max(0, span[0]), y * width + Math.min(width, span[1]));
  }
}

/** L1 distance of two RGB colours, 0–765 levels. */
export function colourDistance(a: readonly number[], b: readonly number[]): number {
  return Math.abs(a[0] - b[0]) + Math.abs(a[1] - b[1]) + Math.abs(a[2] - b[2]);
}

