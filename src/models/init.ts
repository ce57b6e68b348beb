/**
 * Initialisation helpers for detection heads.
 *
 * @packageDocumentation
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { ShapeError, ValueError } from '../errors.js';
import { assertNumber } from '../validate.js';

/**
 * Set the head's objectness biases so that every anchor starts at objectness `prior` (bias
 * `ln(prior / (1 − prior))`), the prior-probability initialisation of RetinaNet.
 *
 * Why: with squared error on σ(t_o) (darknet's loss as written in docs/math.md), the many no-object anchors
 * drive every objectness logit down early in training from scratch; once σ(t_o) ≈ 0 its gradient
 * (∝ σ′) vanishes for the responsible anchors too and objectness never recovers. Starting at a small
 * prior (0.01) avoids that collapse. Pretrained or darknet weights need no such initialisation.
 *
 * @param model a model whose last layer is the head: a conv with bias and `A·(5+C)` filters (NHWC,
 *   channel `a·(5+C) + 4` is anchor a's objectness).
 * @param numClasses C.
 * @param prior objectness at initialisation, in (0, 1); default 0.01.
 * @throws ShapeError when the last layer has no bias of a multiple of 5 + C channels.
 */
export function initObjectnessPrior(model: LayersModel, numClasses: number, prior = 0.01): void {
  assertNumber('initObjectnessPrior', 'numClasses', numClasses, { min: 1, integer: true });
  assertNumber('initObjectnessPrior', 'prior', prior, { min: 0, max: 1, minOpen: true, maxOpen: true });
  const head = model.layers[model.layers.length - 1];
  const weights = head.getWeights();
  const bias = weights[weights.length - 1];
  const per = 5 + numClasses;
  if (weights.length < 2 || bias.rank !== 1 || bias.shape[0] % per !== 0) {
    throw new ShapeError(
      `initObjectnessPrior: the model's last layer ('${head.name}') must be a conv with a bias of A·(5+C) = A·${per} channels, got ${weights.length < 2 ? 'no bias' : `a bias of shape [${bias.shape}]`}`,
    );
  }
  if (!(prior > 0 && prior < 1)) throw new ValueError('initObjectnessPrior: prior must be in (0, 1)');
  const values = bias.dataSync().slice();
  const logit = Math.log(prior / (1 - prior));
  for (let a = 0; a < values.length / per; a++) values[a * per + 4] = logit;
  const next = tf.tensor1d(values, 'float32');
  head.setWeights([...weights.slice(0, -1), next]);
  next.dispose();
}
