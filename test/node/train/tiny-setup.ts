/** The small model, stand-in loss and fixed batch the trainer tests share. */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { LossLike } from '../../../src/node/train/trainer.js';
import { randn, rng } from '../../helpers.js';

/**
 * A tiny dense → BN → leaky → dense model with seeded weights: [B,8,8,3] → [B,2,2,6]. Dense, not conv:
 * the trainer is model-agnostic, and stock wasm has no conv-filter gradient (the training kernels add it).
 */
export function tinyModel(seed = 1): tfl.LayersModel {
  const m = tfl.sequential({
    layers: [
      tfl.layers.flatten({ inputShape: [8, 8, 3] }),
      tfl.layers.dense({ units: 16, useBias: false }),
      tfl.layers.batchNormalization({ epsilon: 1e-5 }),
      tfl.layers.leakyReLU({ alpha: 0.1 }),
      tfl.layers.dense({ units: 24 }),
      tfl.layers.reshape({ targetShape: [2, 2, 6] }),
    ],
  });
  const r = rng(seed);
  const init = m.weights.map((w) => {
    const shape = w.shape as number[];
    const n = shape.reduce((a, b) => a * b, 1);
    return /moving_variance/.test(w.name) ? tf.ones(shape) : tf.tensor(randn(r, n, 0, 0.3), shape);
  });
  m.setWeights(init);
  tf.dispose(init);
  return m;
}

/** A stand-in loss with YOLOv2Loss's interface: squared error to a fixed map, split into four terms. */
const target = tf.keep(tf.tensor4d(randn(rng(9), 2 * 2 * 2 * 6, 0, 1), [2, 2, 2, 6]));
export const stubLoss: LossLike = {
  compute(out) {
    return tf.tidy(() => {
      const d = tf.square(tf.sub(out, target));
      const [a, b, c, e] = tf.split(d, [2, 2, 1, 1], 3).map((t) => tf.sum(t) as tf.Scalar);
      return { total: tf.addN([a, b, c, e]) as tf.Scalar, coord: a, obj: b, noobj: c, cls: e };
    });
  },
};
export const images = tf.keep(tf.tensor4d(randn(rng(3), 2 * 8 * 8 * 3), [2, 8, 8, 3]));
export const targets = tf.keep(tf.zeros([2, 1, 5]) as tf.Tensor3D);
export const fixedBatch = () => ({ images: tf.clone(images), targets: tf.clone(targets) });

