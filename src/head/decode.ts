/**
 * Decoding of the raw head output into boxes, objectness and class scores (docs/math.md §3).
 *
 * @packageDocumentation
 */
import * as tf from '@tensorflow/tfjs-core';
import { ValueError } from '../errors.js';
import { type HeadDims, type HeadSpec, gridPriors, headDims, headGrid, headRows } from './layout.js';

export type { HeadSpec, Layout } from './layout.js';

/** `tw` and `th` are clamped to at most this value before `exp` (decode and loss alike). */
export const MAX_LOG_SCALE = 20;

/** The result of {@link decodeBoxes}. Rows are in head order: row `(j·W + i)·A + a` of each image. */
export type DecodedBoxes = {
  /** `[B, H·W·A, 4]` corner boxes `(x1, y1, x2, y2)` normalised to the input image (0…1 inside it). */
  boxes: tf.Tensor3D;
  /** `[B, H·W·A]` objectness `σ(to)`. */
  objectness: tf.Tensor2D;
  /** `[B, H·W·A, C]` class probabilities `softmax(c_0 … c_{C-1})`. */
  classProbs: tf.Tensor3D;
  /** `[B, H·W·A, C]` per-class scores `objectness · p_c`. */
  scores: tf.Tensor3D;
};

/**
 * Decode a YOLOv2 head output (docs/math.md §3). For cell `(j, i)` and anchor `a` with grid prior `(p_w, p_h)`:
 *
 *     b_x = (σ(tx) + i) / W     b_y = (σ(ty) + j) / H
 *     b_w = p_w · exp(min(tw, 20)) / W     b_h = p_h · exp(min(th, 20)) / H
 *     objectness = σ(to)     p = softmax(c)     scores = objectness · p
 *
 * and the box is returned as corners `(b_x − b_w/2, b_y − b_h/2, b_x + b_w/2, b_y + b_h/2)`, normalised
 * to the network input (undo a letterbox separately). The clamp of `tw, th` at 20 keeps `exp` finite;
 * its gradient is zero beyond the clamp. Finite for any finite input (logits of ±80 included).
 * Works inside `tf.tidy` and under `tf.grad`; the caller disposes the four returned tensors.
 *
 * @param output `[B, H, W, A·(5+C)]` (`layout: 'NHWC'`, default) or `[B, A·(5+C), H, W]` (`'NCHW'`).
 * @param spec anchors (in `anchorUnits`, default `'grid'`), `numClasses`, `layout`.
 * @throws ShapeError when the output is not rank 4 or its channel count is not `A·(5+C)`; ValueError when it is
 *   not float32 (an int32 head has no meaning here).
 */
export function decodeBoxes(output: tf.Tensor4D, spec: HeadSpec): DecodedBoxes {
  const dims = headDims('decodeBoxes', output, spec);
  if (output.dtype !== 'float32') {
    throw new ValueError(`decodeBoxes: 'output' must be a float32 tensor (the head's raw values), got dtype ${output.dtype}; cast it with tf.cast(output, 'float32')`);
  }
  return tf.tidy(() => ({ ...decodeRows(headRows(output, dims, spec.layout), dims, spec) })) as unknown as DecodedBoxes;
}

/** {@link decodeBoxes} on the row view `[B·H·W·A, 5+C]`. @internal */
function decodeRows(rows: tf.Tensor2D, dims: HeadDims, spec: HeadSpec): DecodedBoxes {
  const { batch: B, height: H, width: W, numClasses: C, rows: N } = dims;
  const perImage = N / B;
  const grid = headGrid(H, W, gridPriors(spec, H, W));
  const tile = (src: Float32Array, scale: number): tf.Tensor2D => {
    const out = new Float32Array(N);
    for (let k = 0; k < perImage; k++) out[k] = src[k] * scale;
    for (let b = 1; b < B; b++) out.copyWithin(b * perImage, 0, perImage);
    return tf.tensor2d(out, [1, N]);
  };
  // Columns as rows of the transposed view: slicing along axis 0 is cheap, along the last axis is not.
  const cols = tf.split(tf.transpose(rows), [1, 1, 1, 1, 1, C], 0);
  const [tx, ty, tw, th, to, logits] = cols;
  const bx = tf.div(tf.add(tf.sigmoid(tx), tile(grid.cellX, 1)), W);
  const by = tf.div(tf.add(tf.sigmoid(ty), tile(grid.cellY, 1)), H);
  // Half-sizes, normalised: p_w · exp(tw) / (2W).
  const hw = tf.mul(tf.exp(tf.clipByValue(tw, -Number.MAX_VALUE, MAX_LOG_SCALE)), tile(grid.priorW, 0.5 / W));
  const hh = tf.mul(tf.exp(tf.clipByValue(th, -Number.MAX_VALUE, MAX_LOG_SCALE)), tile(grid.priorH, 0.5 / H));
  const corners = tf.concat([tf.sub(bx, hw), tf.sub(by, hh), tf.add(bx, hw), tf.add(by, hh)], 0);
  const boxes = tf.reshape(tf.transpose(corners), [B, perImage, 4]) as tf.Tensor3D;
  const obj = tf.sigmoid(to);
  const objectness = tf.reshape(obj, [B, perImage]) as tf.Tensor2D;
  let probs: tf.Tensor;
  let scoresNC: tf.Tensor;
  if (tf.getBackend() === 'cpu') {
    // The cpu backend's softmax and broadcasting are ~5× slower than C same-shape ops on [1, N] rows.
    const rowsC = tf.split(logits, C, 0);
    const m = rowsC.reduce((a, b) => tf.maximum(a, b));
    const e = rowsC.map((l) => tf.exp(tf.sub(l, m)));
    const inv = tf.div(1, tf.addN(e));
    const p = e.map((v) => tf.mul(v, inv));
    // [1, N] rows stacked on a new last axis → [N, 1, C]; cheaper than a transpose on cpu.
    probs = tf.stack(p, 2);
    scoresNC = tf.stack(p.map((v) => tf.mul(v, obj)), 2);
  } else {
    probs = tf.softmax(tf.transpose(logits));
    scoresNC = tf.mul(probs, tf.reshape(obj, [N, 1]));
  }
  const classProbs = tf.reshape(probs, [B, perImage, C]) as tf.Tensor3D;
  const scores = tf.reshape(scoresNC, [B, perImage, C]) as tf.Tensor3D;
  return { boxes, objectness, classProbs, scores };
}
