/**
 * Non-maximum suppression on tensors: greedy (torchvision's semantics) and soft-NMS, optionally
 * class-aware. The work runs on the CPU on the typed-array fast path ({@link nmsArrays}) after one
 * read of the inputs; see there for the exact rules.
 *
 * @packageDocumentation
 */
import * as tf from '@tensorflow/tfjs-core';
import { ShapeError, describe } from '../errors.js';
import { checkNmsArrays, resolveNmsOptions, runNms, type NmsBaseOptions } from './nms-arrays.js';

/**
 * Options of {@link nms} and {@link nmsWithScores}.
 *
 * - `iouThreshold` (default `0.45`, in `[0, 1]`): suppressed when IoU **>** threshold, IoU in float32
 *   arithmetic ({@link iouFloat32}), so an IoU of exactly 1/3 is suppressed at threshold 1/3 and an IoU of
 *   exactly 0.5 is kept at threshold 0.5 (as torchvision; note that TF.js's `tf.image.nonMaxSuppression`
 *   kernels suppress at IoU ≥ threshold with a float64 IoU, so they drop that box — elsewhere the results agree);
 * - `scoreThreshold` (default `0.005`): only scores strictly above it are candidates; `-Infinity` = no filter;
 * - `maxDetections` (default `100`): a non-negative integer or `Infinity`;
 * - `classIds`: `[N]` class per box (int32 or float32): class-aware NMS — boxes of different classes never
 *   suppress each other, and the result is merged by score (decreasing, ties lower index first);
 * - `method` (default `'greedy'`) and `sigma` (default `0.5`): soft-NMS, see {@link NmsMethod}.
 */
export interface NmsOptions extends NmsBaseOptions {
  /** `[N]` class id of every box: class-aware NMS. */
  classIds?: tf.Tensor1D;
}

function readInputs(fn: string, boxes: unknown, scores: unknown, options: NmsOptions | undefined) {
  if (!(boxes instanceof tf.Tensor) || boxes.rank !== 2 || boxes.shape[1] !== 4) {
    throw new ShapeError(`${fn}: 'boxes' must be a tensor of shape [N, 4] (x1, y1, x2, y2), got ${describe(boxes)}`);
  }
  if (boxes.dtype !== 'float32' && boxes.dtype !== 'int32') {
    throw new ShapeError(`${fn}: 'boxes' must be a float32 or int32 tensor, got ${describe(boxes)}`);
  }
  const n = boxes.shape[0];
  if (!(scores instanceof tf.Tensor) || scores.rank !== 1 || scores.shape[0] !== n) {
    throw new ShapeError(`${fn}: 'scores' must be a tensor of shape [N] = [${n}], got ${describe(scores)}`);
  }
  if (scores.dtype !== 'float32' && scores.dtype !== 'int32') {
    throw new ShapeError(`${fn}: 'scores' must be a float32 or int32 tensor, got ${describe(scores)}`);
  }
  const opts = resolveNmsOptions(fn, options, ['classIds']);
  const classTensor = options?.classIds;
  if (classTensor !== undefined && (!(classTensor instanceof tf.Tensor) || classTensor.rank !== 1 || classTensor.shape[0] !== n)) {
    throw new ShapeError(`${fn}: 'classIds' must be a tensor of shape [N] = [${n}], got ${describe(classTensor)}`);
  }
  const b = boxes.dataSync() as Float32Array | Int32Array;
  const s = scores.dataSync() as Float32Array | Int32Array;
  const c = classTensor?.dataSync() as Float32Array | Int32Array | undefined;
  checkNmsArrays(fn, b, s, c);
  return { b, s, c, opts };
}

/**
 * Non-maximum suppression of one set of boxes.
 *
 * @param boxes `[N, 4]` corner boxes `(x1, y1, x2, y2)`, any units; zero-area boxes are never suppressed
 *   and never suppress.
 * @param scores `[N]` finite scores.
 * @param options see {@link NmsOptions}.
 * @returns `[kept]` int32 indices into `boxes`, in keep order (decreasing score, ties lower index first).
 * @throws {@link ShapeError} for wrong ranks/shapes or lengths ≠ N; {@link ValueError} for NaN or infinite
 *   boxes/scores and out-of-range options.
 */
export function nms(boxes: tf.Tensor2D, scores: tf.Tensor1D, options?: NmsOptions): tf.Tensor1D {
  const { b, s, c, opts } = readInputs('nms', boxes, scores, options);
  const { indices } = runNms(b, s, c, opts);
  return tf.tensor1d(indices, 'int32');
}

/**
 * {@link nms} that also returns the kept scores: the input scores for greedy NMS, the decayed scores
 * for soft-NMS.
 *
 * @returns `indices` `[kept]` int32 and `scores` `[kept]` float32, in keep order.
 */
export function nmsWithScores(
  boxes: tf.Tensor2D,
  scores: tf.Tensor1D,
  options?: NmsOptions,
): { indices: tf.Tensor1D; scores: tf.Tensor1D } {
  const { b, s, c, opts } = readInputs('nmsWithScores', boxes, scores, options);
  const out = runNms(b, s, c, opts);
  return { indices: tf.tensor1d(out.indices, 'int32'), scores: tf.tensor1d(out.scores, 'float32') };
}
