/**
 * One micro-batch's forward pass, loss and gradients: what {@link train} runs on its own thread and a
 * gradient worker ({@link GradientWorkers}) runs on its replica.
 *
 * @packageDocumentation
 * @internal
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { Batch, LossLike } from './contracts.js';

/** The part of TF.js's engine state that holds the gradient tape (tfjs-core 4.x). */
interface TapeState {
  state: { gradientDepth: number; activeTape: Array<{ saved?: tf.Tensor[] }> | null };
}

/**
 * Free what a throwing `tf.variableGrads` leaves behind: the tensors its kernels saved for the backward
 * pass are kept (`tf.keep`) on the tape, which only a successful backward pass disposes.
 */
function disposeAbandonedTape(): void {
  const engine = tf.engine() as unknown as TapeState;
  if (engine.state.gradientDepth !== 0 || !engine.state.activeTape) return;
  for (const node of engine.state.activeTape) tf.dispose(node.saved ?? []);
  engine.state.activeTape = [];
}

/**
 * Forward (training mode), loss and gradients of one micro-batch. The terms (total, coord, obj, noobj,
 * cls) come back as numbers, read in one go; the caller owns and disposes the gradients, keyed by
 * variable name. Leaves no other tensor behind, also when the model or the loss throws.
 * @internal
 */
export function gradientsOf(
  model: LayersModel,
  loss: LossLike,
  batch: Pick<Batch, 'images' | 'targets'>,
  vars: tf.Variable[],
  seenImages: number,
): { terms: number[]; grads: tf.NamedTensorMap } {
  const kept: tf.Tensor[] = [];
  let result: { value: tf.Scalar; grads: tf.NamedTensorMap };
  try {
    result = tf.variableGrads(() => {
      const out = model.apply(batch.images, { training: true }) as tf.Tensor4D;
      // the trainer's guard skips a non-finite step, so the loss need not stop on a non-finite output
      const l = loss.compute(out, batch.targets, { seenImages, checkFinite: false });
      kept.push(tf.keep(l.coord), tf.keep(l.obj), tf.keep(l.noobj), tf.keep(l.cls));
      return l.total;
    }, vars);
  } catch (e) {
    tf.dispose(kept);
    disposeAbandonedTape();
    throw e;
  }
  const { value, grads } = result;
  const packed = tf.stack([value, ...kept]);
  const terms = Array.from(packed.dataSync());
  tf.dispose([packed, value, ...kept]);
  return { terms, grads };
}
