/**
 * Box formats, conversions and pairwise IoU.
 *
 * Formats (the last axis holds 4 numbers):
 * - `'xyxy'`: corners `(x1, y1, x2, y2)` with `x1 ≤ x2`, `y1 ≤ y2`;
 * - `'cxcywh'`: centre and size `(cx, cy, w, h)` with `w, h ≥ 0`.
 *
 * Units are whatever the caller uses (pixels, or fractions of the image); IoU is unit-free.
 * A box with `x2 < x1` (or `y2 < y1`) is treated as empty: its area is 0.
 * IoU is `0` when the union is `0` (two empty boxes), never `NaN`.
 *
 * @packageDocumentation
 */
import * as tf from '@tensorflow/tfjs-core';
import { ShapeError, describe } from './errors.js';
import { assertKnownKeys, assertOneOf } from './validate.js';

/** Corner `(x1, y1, x2, y2)` or centre `(cx, cy, w, h)` box format. */
export type BoxFormat = 'xyxy' | 'cxcywh';

const FORMATS: readonly BoxFormat[] = ['xyxy', 'cxcywh'];

function assertLast4(fn: string, name: string, x: unknown): asserts x is tf.Tensor {
  if (!(x instanceof tf.Tensor) || x.rank < 1 || x.shape[x.rank - 1] !== 4) {
    throw new ShapeError(`${fn}: '${name}' must be a tensor of shape [..., 4], got ${describe(x)}`);
  }
}

/**
 * Convert corner boxes to centre boxes.
 * @param boxes `[..., 4]` as `(x1, y1, x2, y2)`.
 * @returns `[..., 4]` as `(cx, cy, w, h)` with `cx = (x1 + x2) / 2`, `w = x2 − x1`.
 */
export function xyxyToCxcywh<T extends tf.Tensor>(boxes: T): T {
  assertLast4('xyxyToCxcywh', 'boxes', boxes);
  return tf.tidy(() => {
    const [x1, y1, x2, y2] = tf.split(boxes, 4, -1);
    return tf.concat(
      [tf.mul(tf.add(x1, x2), 0.5), tf.mul(tf.add(y1, y2), 0.5), tf.sub(x2, x1), tf.sub(y2, y1)],
      -1,
    ) as T;
  });
}

/**
 * Convert centre boxes to corner boxes.
 * @param boxes `[..., 4]` as `(cx, cy, w, h)`.
 * @returns `[..., 4]` as `(x1, y1, x2, y2)` with `x1 = cx − w / 2`, `x2 = cx + w / 2`.
 */
export function cxcywhToXyxy<T extends tf.Tensor>(boxes: T): T {
  assertLast4('cxcywhToXyxy', 'boxes', boxes);
  return tf.tidy(() => {
    const [cx, cy, w, h] = tf.split(boxes, 4, -1);
    const hw = tf.mul(w, 0.5);
    const hh = tf.mul(h, 0.5);
    return tf.concat([tf.sub(cx, hw), tf.sub(cy, hh), tf.add(cx, hw), tf.add(cy, hh)], -1) as T;
  });
}

/**
 * Pairwise intersection over union of two sets of boxes.
 *
 * `iou[n, m] = area(a_n ∩ b_m) / area(a_n ∪ b_m)`, in float32 tensor arithmetic; `0` where the union
 * is `0`. Differentiable where the union is positive.
 *
 * @param a `[N, 4]` boxes.
 * @param b `[M, 4]` boxes.
 * @param format box format of both inputs, default `'xyxy'`.
 * @returns `[N, M]` IoU in `[0, 1]`.
 * @throws {@link ShapeError} when either input is not `[*, 4]`.
 */
export function boxIoU(a: tf.Tensor2D, b: tf.Tensor2D, format: BoxFormat = 'xyxy'): tf.Tensor2D {
  for (const [name, x] of [['a', a], ['b', b]] as const) {
    if (!(x instanceof tf.Tensor) || x.rank !== 2 || x.shape[1] !== 4) {
      throw new ShapeError(`boxIoU: '${name}' must be a tensor of shape [${name === 'a' ? 'N' : 'M'}, 4], got ${describe(x)}`);
    }
  }
  assertOneOf('boxIoU', 'format', format, FORMATS);
  return tf.tidy(() => {
    const ax = format === 'xyxy' ? a : cxcywhToXyxy(a);
    const bx = format === 'xyxy' ? b : cxcywhToXyxy(b);
    const [ax1, ay1, ax2, ay2] = tf.split(ax, 4, 1); // each [N, 1]
    const [bx1, by1, bx2, by2] = tf.split(tf.transpose(bx), 4, 0); // each [1, M]
    const areaA = tf.mul(tf.relu(tf.sub(ax2, ax1)), tf.relu(tf.sub(ay2, ay1)));
    const areaB = tf.mul(tf.relu(tf.sub(bx2, bx1)), tf.relu(tf.sub(by2, by1)));
    const iw = tf.relu(tf.sub(tf.minimum(ax2, bx2), tf.maximum(ax1, bx1)));
    const ih = tf.relu(tf.sub(tf.minimum(ay2, by2), tf.maximum(ay1, by1)));
    const inter = tf.mul(iw, ih);
    const union = tf.sub(tf.add(areaA, areaB), inter);
    return tf.divNoNan(inter, union) as tf.Tensor2D;
  });
}

/** Options of {@link boxIoUArrays}. */
export interface BoxIoUArrayOptions {
  /** Box format of both inputs, default `'xyxy'`. */
  format?: BoxFormat;
  /**
   * `'continuous'` (default): width = x2 − x1. `'inclusive'`: VOC pixel boxes, width = x2 − x1 + 1
   * (also for the intersection), as the VOC devkit computes it.
   */
  pixelConvention?: 'continuous' | 'inclusive';
}

/**
 * Pairwise IoU on plain arrays, in float64. The typed-array twin of {@link boxIoU} for code that
 * works on data already on the CPU (evaluation, NMS, target assignment).
 *
 * @param a `N × 4` numbers, row-major (`a[4n + k]`).
 * @param b `M × 4` numbers, row-major.
 * @returns `Float64Array` of `N × M`, row-major: `iou[n * M + m]`; `0` where the union is `0`.
 */
export function boxIoUArrays(a: ArrayLike<number>, b: ArrayLike<number>, options: BoxIoUArrayOptions = {}): Float64Array {
  assertKnownKeys('boxIoUArrays', 'options', options, ['format', 'pixelConvention']);
  const { format = 'xyxy', pixelConvention = 'continuous' } = options;
  assertOneOf('boxIoUArrays', 'format', format, FORMATS);
  assertOneOf('boxIoUArrays', 'pixelConvention', pixelConvention, ['continuous', 'inclusive'] as const);
  if (a.length % 4 !== 0) throw new ShapeError(`boxIoUArrays: 'a' must hold N × 4 numbers, got length ${a.length}`);
  if (b.length % 4 !== 0) throw new ShapeError(`boxIoUArrays: 'b' must hold M × 4 numbers, got length ${b.length}`);
  const n = a.length / 4;
  const m = b.length / 4;
  const one = pixelConvention === 'inclusive' ? 1 : 0;
  const A = format === 'xyxy' ? a : toXyxyArray(a);
  const B = format === 'xyxy' ? b : toXyxyArray(b);
  const out = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    const ax1 = A[4 * i], ay1 = A[4 * i + 1], ax2 = A[4 * i + 2], ay2 = A[4 * i + 3];
    const areaA = Math.max(0, ax2 - ax1 + one) * Math.max(0, ay2 - ay1 + one);
    for (let j = 0; j < m; j++) {
      const bx1 = B[4 * j], by1 = B[4 * j + 1], bx2 = B[4 * j + 2], by2 = B[4 * j + 3];
      const iw = Math.min(ax2, bx2) - Math.max(ax1, bx1) + one;
      const ih = Math.min(ay2, by2) - Math.max(ay1, by1) + one;
      if (iw <= 0 || ih <= 0) continue;
      const inter = iw * ih;
      const union = areaA + Math.max(0, bx2 - bx1 + one) * Math.max(0, by2 - by1 + one) - inter;
      out[i * m + j] = union > 0 ? inter / union : 0;
    }
  }
  return out;
}

function toXyxyArray(boxes: ArrayLike<number>): Float64Array {
  const out = new Float64Array(boxes.length);
  for (let i = 0; i < boxes.length; i += 4) {
    const cx = boxes[i], cy = boxes[i + 1], hw = boxes[i + 2] / 2, hh = boxes[i + 3] / 2;
    out[i] = cx - hw;
    out[i + 1] = cy - hh;
    out[i + 2] = cx + hw;
    out[i + 3] = cy + hh;
  }
  return out;
}

/**
 * IoU of two corner boxes in float32 arithmetic, rounding (`Math.fround`) after every step —
 * intersection width and height, intersection area, both areas, union, ratio — exactly as the
 * float32 kernels of torchvision and TF.js do. So an IoU of exactly 1/3 rounds to 0.33333334.
 * A pair whose union is `0` has IoU `0`.
 *
 * @param a flat array holding box `i` at `a[4i … 4i+3]` as `(x1, y1, x2, y2)`.
 * @param i index of the first box in `a`.
 * @param b flat array of boxes (may be `a`).
 * @param j index of the second box in `b`.
 */
export function iouFloat32(a: ArrayLike<number>, i: number, b: ArrayLike<number>, j: number): number {
  const f = Math.fround;
  const ax1 = f(a[4 * i]), ay1 = f(a[4 * i + 1]), ax2 = f(a[4 * i + 2]), ay2 = f(a[4 * i + 3]);
  const bx1 = f(b[4 * j]), by1 = f(b[4 * j + 1]), bx2 = f(b[4 * j + 2]), by2 = f(b[4 * j + 3]);
  const areaA = f(f(ax2 - ax1) * f(ay2 - ay1));
  const areaB = f(f(bx2 - bx1) * f(by2 - by1));
  if (areaA <= 0 || areaB <= 0) return 0;
  const iw = f(Math.min(ax2, bx2) - Math.max(ax1, bx1));
  const ih = f(Math.min(ay2, by2) - Math.max(ay1, by1));
  if (iw <= 0 || ih <= 0) return 0;
  const inter = f(iw * ih);
  const union = f(f(areaA + areaB) - inter);
  return union > 0 ? f(inter / union) : 0;
}
