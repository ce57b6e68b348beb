/**
 * Re-estimating the batch-norm moving statistics of a trained model from a few batches.
 *
 * Why: training updates `moving_mean` / `moving_variance` as slow exponential averages (momentum 0.99)
 * while the weights move fast, so after a short or high-learning-rate run they lag the weights, and
 * inference mode (`predict`) normalises with statistics of an older network: its outputs can be far
 * from the training-mode ones. Recomputing the statistics under the current weights fixes that.
 *
 * @packageDocumentation
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ShapeError, ValueError, describe } from '../errors.js';
import { DarknetBatchNorm } from './layers.js';

/** What {@link recalibrateBatchNorm} did. */
export interface BatchNormRecalibration {
  /** Names of the batch-norm layers whose statistics were replaced, in model order. */
  layers: string[];
  /** Batches the statistics were computed from. */
  batches: number;
}

/** A batch-norm layer and its two moving-statistics weights. */
interface BatchNormSite {
  layer: tfl.layers.Layer;
  mean: tfl.LayerVariable;
  variance: tfl.LayerVariable;
}

function batchNormSites(model: tfl.LayersModel): BatchNormSite[] {
  const sites: BatchNormSite[] = [];
  for (const layer of model.layers) {
    if (!(layer instanceof DarknetBatchNorm) && layer.getClassName() !== 'BatchNormalization') continue;
    const mean = layer.weights.find((w) => /moving_mean(_\d+)?$/.test(w.name));
    const variance = layer.weights.find((w) => /moving_variance(_\d+)?$/.test(w.name));
    if (mean && variance) sites.push({ layer, mean, variance });
  }
  return sites;
}

/**
 * Replace every batch-norm layer's `moving_mean` and `moving_variance` by statistics of its input over
 * `batches`, computed with the current weights: the model runs forward in training mode on each batch
 * (so each batch-norm layer normalises with that batch's statistics, as in training), each layer's
 * input is reduced over every axis but the last (channels), and the new statistics are the averages
 * over the batches of the per-batch mean and of the per-batch (biased) variance. With one batch they
 * are exactly that batch's statistics. Works for {@link DarknetBatchNorm} and tfjs-layers'
 * `BatchNormalization` (channels last).
 *
 * Use it before evaluating or exporting a model trained briefly or with a high learning rate (its
 * inference-mode outputs then disagree with the training-mode ones), with a few batches of training
 * images (e.g. 4–8 batches of 8).
 *
 * @param model a model with batch-norm layers; changed in place (only the moving statistics).
 * @param batches input images, e.g. `[B, H, W, 3]` each; not disposed.
 * @returns the layers recalibrated and the number of batches.
 * @throws ValueError when `batches` is empty or a statistic is not finite (naming the layer; the model
 *   is then unchanged); ShapeError when the model has no batch-norm layer.
 */
export function recalibrateBatchNorm(model: tfl.LayersModel, batches: readonly tf.Tensor[]): BatchNormRecalibration {
  const fn = 'recalibrateBatchNorm';
  if (!Array.isArray(batches) || batches.length === 0) {
    throw new ValueError(`${fn}: 'batches' must be a non-empty array of image tensors, got ${describe(batches)}`);
  }
  const sites = batchNormSites(model);
  if (sites.length === 0) throw new ShapeError(`${fn}: model '${model.name}' has no batch-norm layer`);
  const probe = tfl.model({ inputs: model.inputs, outputs: sites.map((s) => s.layer.input as tfl.SymbolicTensor) });
  const saved = sites.flatMap((s) => [tf.clone(s.mean.read()), tf.clone(s.variance.read())]);
  let stats: tf.Tensor[] = [];
  try {
    stats = sites.flatMap(() => [tf.scalar(0), tf.scalar(0)]);
    for (const x of batches) {
      const next = tf.tidy(() => {
        const inputs = [probe.apply(x, { training: true })].flat() as tf.Tensor[];
        return inputs.flatMap((input, i) => {
          const { mean, variance } = tf.moments(input, [...Array(input.rank - 1).keys()]);
          return [tf.add(stats[2 * i], tf.div(mean, batches.length)), tf.add(stats[2 * i + 1], tf.div(variance, batches.length))];
        });
      });
      tf.dispose(stats);
      stats = next;
    }
  } catch (e) {
    tf.dispose(stats);
    throw e;
  } finally {
    // the training-mode forward moved the moving averages: put them back before anything else
    sites.forEach((s, i) => {
      s.mean.write(saved[2 * i]);
      s.variance.write(saved[2 * i + 1]);
    });
    tf.dispose(saved);
  }
  try {
    sites.forEach((s, i) => {
      for (const t of [stats[2 * i], stats[2 * i + 1]]) {
        if (!Array.from(t.dataSync()).every(Number.isFinite)) {
          throw new ValueError(`${fn}: the statistics of layer '${s.layer.name}' are not finite (NaN or Inf in the batches, or a diverged model); the model is unchanged`);
        }
      }
    });
    sites.forEach((s, i) => {
      s.mean.write(stats[2 * i]);
      s.variance.write(stats[2 * i + 1]);
    });
  } finally {
    tf.dispose(stats);
  }
  return { layers: sites.map((s) => s.layer.name), batches: batches.length };
}
