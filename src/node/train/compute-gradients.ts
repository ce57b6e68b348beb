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

/**
 * Forward (training mode), loss and gradients of one micro-batch. The terms (total, coord, obj, noobj,
 * cls) come back as numbers, read in one go; the caller owns and disposes the gradients, keyed by
 * variable name. Leaves no other tensor behind.
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
  const { value, grads } = tf.variableGrads(() => {
    const out = model.apply(batch.images, { training: true }) as tf.Tensor4D;
    // the trainer's guard skips a non-finite step, so the loss need not stop on a non-finite output
    const l = loss.compute(out, batch.targets, { seenImages, checkFinite: false });
    kept.push(tf.keep(l.coord), tf.keep(l.obj), tf.keep(l.noobj), tf.keep(l.cls));
    return l.total;
  }, vars);
  const packed = tf.stack([value, ...kept]);
  const terms = Array.from(packed.dataSync());
  tf.dispose([packed, value, ...kept]);
  return { terms, grads };
}
