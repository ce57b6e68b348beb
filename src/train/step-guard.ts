/**
 * The NaN/Inf guard of a training step, browser-safe: before an update is applied, read the loss and
 * the global gradient norm once, and tell the caller to skip the step when either is not finite.
 *
 * @packageDocumentation
 */
import * as tf from '@tensorflow/tfjs-core';
import { ValueError, describe } from '../errors.js';

/** What {@link checkStep} found. */
export interface StepCheck {
  /** The loss value (may be NaN or ±Infinity). */
  loss: number;
  /** The global gradient norm `sqrt(Σ_v Σ g_v²)` over every gradient (may be NaN or Infinity). */
  gradNorm: number;
  /** True when the loss or a gradient is not finite: do not apply this step. */
  skip: boolean;
  /** Why the step is skipped: `'loss'` (checked first), `'gradient'`, or null when it is not. */
  reason: 'loss' | 'gradient' | null;
}

/**
 * Check one step before its update: one read of `[loss, Σ g²]` from the backend (asynchronous, so a GPU
 * backend does not block the page). A gradient holding NaN or ±Infinity makes `Σ g²` non-finite, and so
 * does an overflow of the squares (|g| above about 1.8e19 in float32), which is as unusable.
 *
 * @param loss the scalar loss of the step; not disposed.
 * @param grads the gradients by variable name (as from `tf.variableGrads`); not disposed.
 * @returns the loss, the gradient norm and whether to skip. Leaves `tf.memory().numTensors` unchanged.
 * @throws ValueError when `loss` is not a scalar tensor or `grads` is not a map of tensors.
 */
export async function checkStep(loss: tf.Scalar, grads: tf.NamedTensorMap): Promise<StepCheck> {
  const fn = 'checkStep';
  if (!(loss instanceof tf.Tensor) || loss.rank !== 0) {
    throw new ValueError(`${fn}: 'loss' must be a scalar tf.Tensor, got ${loss instanceof tf.Tensor ? `shape [${loss.shape.join(', ')}]` : describe(loss)}`);
  }
  if (typeof grads !== 'object' || grads === null) throw new ValueError(`${fn}: 'grads' must be a map of tensors by name, got ${describe(grads)}`);
  for (const [name, g] of Object.entries(grads)) {
    if (!(g instanceof tf.Tensor)) throw new ValueError(`${fn}: 'grads.${name}' must be a tf.Tensor, got ${describe(g)}`);
  }
  const packed = tf.tidy(() => {
    const squares = Object.values(grads).map((g) => tf.sum(tf.square(tf.cast(g, 'float32'))));
    const total = squares.length > 0 ? tf.addN(squares) : tf.scalar(0);
    return tf.stack([tf.cast(loss, 'float32'), total]);
  });
  let values: Float32Array;
  try {
    values = (await packed.data()) as Float32Array;
  } finally {
    packed.dispose();
  }
  const lossValue = values[0];
  const gradNorm = Math.sqrt(values[1]);
  const reason = !Number.isFinite(lossValue) ? 'loss' : !Number.isFinite(gradNorm) ? 'gradient' : null;
  return { loss: lossValue, gradNorm, skip: reason !== null, reason };
}
