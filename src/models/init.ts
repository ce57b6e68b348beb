/**
 * Initialisation helpers: the objectness prior of detection heads, seeded kernels for the builders.
 *
 * @packageDocumentation
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { ShapeError, ValueError } from '../errors.js';
import { mulberry32 } from '../random.js';
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

/** A layer's `kernelInitializer` config, as tfjs-layers serialises a VarianceScaling initializer. */
interface VarianceScalingConfig {
  scale: number;
  mode: 'fanIn' | 'fanOut' | 'fanAvg';
  distribution: 'normal' | 'uniform' | 'truncatedNormal';
}

/**
 * Redraw every kernel of `model` from a generator seeded with `seed`, with the distribution of the
 * layer's own initializer (tfjs-layers' VarianceScaling: He normal for the conv-bn blocks, Glorot
 * normal for the head): normal ones as a normal truncated at 2σ, σ = √(scale / fan), uniform ones on
 * ±√(3·scale / fan), fan = kh·kw·inChannels (fanIn), kh·kw·outChannels (fanOut) or their mean (fanAvg).
 * Biases and batch-norm weights start constant already. The builders call it for their `seed` option:
 * the same seed gives bit-identical weights on every backend (the draws are plain JavaScript).
 * @throws ValueError when a kernel's initializer is not a VarianceScaling one (it cannot be reproduced).
 * @internal
 */
export function seedKernels(model: LayersModel, seed: number): void {
  const rand = mulberry32(seed);
  for (const layer of model.layers) {
    const config = layer.getConfig() as { kernelInitializer?: { className: string; config: VarianceScalingConfig } };
    const kernel = layer.weights.find((w) => /\/kernel(_\d+)?$/.test(w.name));
    if (!kernel) continue;
    const init = config.kernelInitializer;
    if (!init || init.className !== 'VarianceScaling') {
      throw new ValueError(`seed: layer '${layer.name}' initialises its kernel with ${init?.className ?? 'an unknown initializer'}; only VarianceScaling ones can be seeded`);
    }
    const shape = kernel.shape as number[];
    const values = drawVarianceScaling(rand, shape, init.config);
    const t = tf.tensor(values, shape, 'float32');
    kernel.write(t);
    t.dispose();
  }
}

function drawVarianceScaling(rand: () => number, shape: number[], c: VarianceScalingConfig): Float32Array {
  const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  const fanIn = receptive * shape[shape.length - 2];
  const fanOut = receptive * shape[shape.length - 1];
  const fan = c.mode === 'fanIn' ? fanIn : c.mode === 'fanOut' ? fanOut : (fanIn + fanOut) / 2;
  const scale = c.scale / Math.max(1, fan);
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  if (c.distribution === 'uniform') {
    const limit = Math.sqrt(3 * scale);
    for (let i = 0; i < n; i++) out[i] = (2 * rand() - 1) * limit;
    return out;
  }
  const sd = Math.sqrt(scale);
  for (let i = 0; i < n; i++) {
    let z: number;
    do z = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
    while (Math.abs(z) > 2);
    out[i] = z * sd;
  }
  return out;
}
