import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { ShapeError, ValueError } from '../../src/index.js';
import { compactYOLOv2, DarknetBatchNorm, recalibrateBatchNorm } from '../../src/models/index.js';
import { expectNoLeak, randn, rng, thrown } from '../helpers.js';

/**
 * [1, 2, 2, 1] → conv 1×1 (kernel [1, −2]: channels x and −2x) → DarknetBatchNorm (leaky 0.1, ε 1e-5)
 * → conv 1×1 (kernel [1, 1]: the sum of the two channels) → tfjs-layers BatchNormalization.
 */
function smallModel(): tfl.LayersModel {
  const input = tfl.input({ shape: [2, 2, 1] });
  const c1 = tfl.layers.conv2d({ filters: 2, kernelSize: 1, useBias: false, name: 'c1' }).apply(input) as tfl.SymbolicTensor;
  const b1 = new DarknetBatchNorm({ epsilon: 1e-5, momentum: 0.99, activation: 'leaky', name: 'bn1' }).apply(c1) as tfl.SymbolicTensor;
  const c2 = tfl.layers.conv2d({ filters: 1, kernelSize: 1, useBias: false, name: 'c2' }).apply(b1) as tfl.SymbolicTensor;
  const b2 = tfl.layers.batchNormalization({ epsilon: 1e-3, name: 'bn2' }).apply(c2) as tfl.SymbolicTensor;
  const m = tfl.model({ inputs: input, outputs: b2 });
  const k1 = tf.tensor4d([1, -2], [1, 1, 1, 2]);
  const k2 = tf.tensor4d([1, 1], [1, 1, 2, 1]);
  m.getLayer('c1').setWeights([k1]);
  m.getLayer('c2').setWeights([k2]);
  tf.dispose([k1, k2]);
  return m;
}

/** Mean and biased variance of a list of numbers. */
function moments(v: number[]): [number, number] {
  const mean = v.reduce((s, x) => s + x, 0) / v.length;
  return [mean, v.reduce((s, x) => s + (x - mean) ** 2, 0) / v.length];
}

/**
 * The reference, by hand: for one batch of four pixels x, bn1 sees channels x and −2x; it normalises
 * each with the batch's own mean and variance (training mode), applies leaky 0.1; bn2 sees the sum.
 */
function reference(x: number[]): { bn1: [number, number][]; bn2: [number, number] } {
  const channels = [x, x.map((v) => -2 * v)];
  const bn1 = channels.map(moments);
  const leaky = (v: number) => (v < 0 ? 0.1 * v : v);
  const normed = channels.map((c, k) => c.map((v) => leaky((v - bn1[k][0]) / Math.sqrt(bn1[k][1] + 1e-5))));
  return { bn1, bn2: moments(normed[0].map((v, i) => v + normed[1][i])) };
}

const stat = (m: tfl.LayersModel, layer: string, k: number) => Array.from(m.getLayer(layer).getWeights()[k].dataSync());

describe('recalibrateBatchNorm', () => {
  it('sets each layer to the average over the batches of its batch mean and variance, computed by hand', () => {
    const m = smallModel();
    const xa = [1, 2, 3, 4];
    const xb = [0, 0, 2, 2];
    // batch a: bn1 channel 0 mean 2.5, variance (2.25 + 0.25 + 0.25 + 2.25)/4 = 1.25; channel 1 mean −5, variance 5
    // batch b: channel 0 mean 1, variance 1; channel 1 mean −2, variance 4
    const [ra, rb] = [reference(xa), reference(xb)];
    expect(ra.bn1).toEqual([[2.5, 1.25], [-5, 5]]);
    expect(rb.bn1).toEqual([[1, 1], [-2, 4]]);
    const batches = [tf.tensor4d(xa, [1, 2, 2, 1]), tf.tensor4d(xb, [1, 2, 2, 1])];
    let result: ReturnType<typeof recalibrateBatchNorm> | undefined;
    expectNoLeak(() => (result = recalibrateBatchNorm(m, batches)));
    expect(result).toEqual({ layers: ['bn1', 'bn2'], batches: 2 });
    // bn1: mean (2.5 + 1)/2 = 1.75 and (−5 − 2)/2 = −3.5; variance (1.25 + 1)/2 = 1.125 and (5 + 4)/2 = 4.5
    const bn1 = m.getLayer('bn1').weights.map((w) => w.name);
    expect(bn1.slice(2)).toEqual([expect.stringMatching(/moving_mean/), expect.stringMatching(/moving_variance/)]);
    expect(stat(m, 'bn1', 2)).toEqual([1.75, -3.5]);
    expect(stat(m, 'bn1', 3)).toEqual([1.125, 4.5]);
    // bn2 (tfjs-layers' weights: gamma, beta, moving_mean, moving_variance)
    expect(stat(m, 'bn2', 2)[0]).toBeCloseTo((ra.bn2[0] + rb.bn2[0]) / 2, 5);
    expect(stat(m, 'bn2', 3)[0]).toBeCloseTo((ra.bn2[1] + rb.bn2[1]) / 2, 5);
    expect((ra.bn2[1] + rb.bn2[1]) / 2).toBeGreaterThan(0.01);
    tf.dispose(batches);
    m.dispose();
  });

  it('with one batch, inference mode then gives the training-mode output on that batch (a compact YOLOv2)', () => {
    const m = compactYOLOv2({ numClasses: 2, anchors: [[1, 1]], filters: [4, 8], neck: [8], passthrough: 4, seed: 1 });
    const x = tf.tensor4d(randn(rng(5), 2 * 32 * 32 * 3, 0.5, 0.3), [2, 32, 32, 3]);
    const train = m.apply(x, { training: true }) as tf.Tensor; // (moves the averages a little, as training does)
    const before = m.predict(x) as tf.Tensor;
    const gap = (t: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(t, train))).dataSync()[0]);
    expect(gap(before)).toBeGreaterThan(0.1);
    recalibrateBatchNorm(m, [x]);
    const after = m.predict(x) as tf.Tensor;
    expect(gap(after)).toBeLessThan(1e-3);
    tf.dispose([x, train, before, after]);
    m.dispose();
  });

  it('rejects no batches, a model without batch norm, and non-finite statistics (the model unchanged, no leak)', () => {
    const m = smallModel();
    expect(thrown(() => recalibrateBatchNorm(m, []))).toEqual(new ValueError(`recalibrateBatchNorm: 'batches' must be a non-empty array of image tensors, got an array of length 0`));
    const dense = tfl.sequential({ layers: [tfl.layers.dense({ units: 1, inputShape: [2] })] });
    const zeros = tf.zeros([1, 2]);
    expect(() => recalibrateBatchNorm(dense, [zeros])).toThrow(ShapeError);
    zeros.dispose();
    const before = [stat(m, 'bn1', 2), stat(m, 'bn1', 3), stat(m, 'bn2', 2), stat(m, 'bn2', 3)];
    const bad = tf.tensor4d([1, NaN, 3, 4], [1, 2, 2, 1]);
    expectNoLeak(() => expect(() => recalibrateBatchNorm(m, [bad])).toThrow(/statistics of layer 'bn1' are not finite .*the model is unchanged/));
    expect([stat(m, 'bn1', 2), stat(m, 'bn1', 3), stat(m, 'bn2', 2), stat(m, 'bn2', 3)]).toEqual(before);
    bad.dispose();
    m.dispose();
    dense.dispose();
  });
});
