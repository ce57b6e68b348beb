import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { packTargets, ValueError, YOLOv2Loss } from '../../../src/index.js';
import { compactYOLOv2, registerTrainingKernels, unregisterTrainingKernels } from '../../../src/models/index.js';
import { GradientWorkers } from '../../../src/node/train/gradient-workers.js';
import { train, type Batch } from '../../../src/node/train/trainer.js';
import { randn, rng } from '../../helpers.js';

const anchors: Array<[number, number]> = [[1, 1], [2, 1.5]];
const build = () => {
  const m = compactYOLOv2({ numClasses: 2, anchors, filters: [4, 8], neck: [8], passthrough: 4, localContrast: 3 });
  // seeded weights, so two builds start equal
  const r = rng(5);
  const w = m.weights.map((v) => {
    const shape = v.shape as number[];
    const n = shape.reduce((a, b) => a * b, 1);
    return /moving_variance|gamma/.test(v.name) ? tf.ones(shape) : tf.tensor(randn(r, n, 0, 0.3), shape);
  });
  m.setWeights(w);
  tf.dispose(w);
  return m;
};
const loss = new YOLOv2Loss({ anchors, numClasses: 2 });

/** Micro-batch (step, micro): 2 random 32×32 images with one or two boxes (cx, cy, w, h) each, the same on every call. */
function batchOf(step: number, micro: number): Batch {
  const seed = 100 * step + micro;
  const images = tf.tensor4d(randn(rng(seed), 2 * 32 * 32 * 3, 0.5, 0.2), [2, 32, 32, 3]);
  const targets = packTargets([
    [{ classId: 0, box: [0.3, 0.4, 0.4, 0.4] }],
    [{ classId: 1, box: [0.7, 0.65, 0.4, 0.3] }, { classId: micro % 2, box: [0.2, 0.2, 0.25, 0.2] }],
  ]);
  return { images, targets };
}

const trainable = (m: ReturnType<typeof build>) => m.trainableWeights.map((w) => Array.from(w.read().dataSync()));

beforeAll(() => registerTrainingKernels());
afterAll(() => unregisterTrainingKernels());

describe('train with worker threads (data parallel)', () => {
  it('takes the same steps as gradient accumulation on one thread, and leaks no tensor', async () => {
    const run = async (workers: number) => {
      const model = build();
      const before = tf.memory().numTensors;
      const r = await train({
        model, loss, batches: async ({ step, micro }) => batchOf(step, micro), epochs: 1, stepsPerEpoch: 3, accumulate: 2, workers,
        schedule: { lr: 0.05 }, progress: false,
      });
      expect(tf.memory().numTensors).toBe(before);
      const w = trainable(model);
      model.dispose();
      return { w, history: r.history };
    };
    const seq = await run(0);
    const par = await run(1);
    // same loss terms each step (the worker's micro-batch is averaged in, as in accumulation)
    par.history.forEach((h, i) => {
      expect(h.total).toBeCloseTo(seq.history[i].total, 4);
      expect(h.cls).toBeCloseTo(seq.history[i].cls, 4);
    });
    // and the same weights after three SGD steps, to float rounding
    let worst = 0;
    par.w.forEach((w, i) => w.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - seq.w[i][j])))));
    expect(worst).toBeLessThan(1e-4);
    // the steps moved the weights (the comparison is not between two untouched models)
    const init = trainable(build());
    expect(Math.max(...par.w[0].map((v, j) => Math.abs(v - init[0][j])))).toBeGreaterThan(1e-3);
  }, 120_000);

  it('rejects workers without enough micro-batches, a loss it cannot send, and bad counts', async () => {
    const model = build();
    const base = { model, loss, batches: async () => batchOf(0, 0), epochs: 1, stepsPerEpoch: 1, schedule: { lr: 0.01 }, progress: false as const };
    await expect(train({ ...base, workers: 1 })).rejects.toThrow(/'workers' 1 needs 'accumulate' ≥ 2 \(one micro-batch per thread\), got 1/);
    await expect(train({ ...base, workers: 1, accumulate: 2, loss: { compute: loss.compute.bind(loss) } })).rejects.toThrow(/'workers' needs a loss with toConfig\(\)/);
    await expect(train({ ...base, workers: -1 })).rejects.toThrow(ValueError);
    await expect(GradientWorkers.start({ count: 0, model, lossConfig: loss.config })).rejects.toThrow(/'count' must be an integer from 1 to 16, got 0/);
    model.dispose();
  });

  it('reports a worker that fails on a micro-batch, and stops the workers', async () => {
    const model = build();
    const pool = await GradientWorkers.start({ count: 1, model, lossConfig: loss.config });
    const weights = model.trainableWeights.map((w) => w.read().dataSync() as Float32Array);
    const good = batchOf(0, 0);
    const r = await pool.compute(0, weights, good.images, good.targets, 0);
    expect(r.grads.length).toBe(weights.length);
    expect(r.grads.map((g) => g.length)).toEqual(weights.map((w) => w.length));
    // a class id out of range: the worker's loss throws, and the error names it
    const bad = packTargets([[{ classId: 5, box: [0.25, 0.25, 0.3, 0.3] }], [{ classId: 0, box: [0.25, 0.25, 0.3, 0.3] }]]);
    await expect(pool.compute(0, weights, good.images, bad, 0)).rejects.toThrow(/a worker failed on a micro-batch: .*class/i);
    await expect(pool.compute(3, weights, good.images, good.targets, 0)).rejects.toThrow(/'index' must be 0…0, got 3/);
    await pool.terminate();
    await expect(pool.compute(0, weights, good.images, good.targets, 0)).rejects.toThrow(/terminated/);
    tf.dispose([good.images, good.targets, bad]);
    model.dispose();
  }, 60_000);

  it('the NaN guard with a worker: a NaN micro-batch on this thread or on the worker leaves the model bit-identical', async () => {
    const model = build();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const bitsOf = () => model.weights.map((w) => Array.from(new Uint32Array((w.read().dataSync() as Float32Array).slice().buffer)));
    const after: number[][][] = [];
    // step 1: micro 0 (this thread) has a NaN pixel; step 2: micro 1 (the worker) has one
    const batches = async ({ step, micro }: { step: number; micro: number }) => {
      const b = batchOf(step, micro);
      if (!((step === 1 && micro === 0) || (step === 2 && micro === 1))) return b;
      const values = b.images.dataSync().slice();
      values[777] = NaN;
      b.images.dispose();
      return { images: tf.tensor4d(values, [2, 32, 32, 3]), targets: b.targets };
    };
    const before = tf.memory().numTensors;
    const r = await train({ model, loss, batches, epochs: 1, stepsPerEpoch: 4, accumulate: 2, workers: 1, schedule: { lr: 0.05 }, progress: false, onStep: () => after.push(bitsOf()) });
    warn.mockRestore();
    expect(tf.memory().numTensors).toBe(before);
    expect(r.history.map((h) => h.skipped)).toEqual([false, true, true, false]);
    expect(after[1]).toEqual(after[0]);
    expect(after[2]).toEqual(after[0]);
    expect(after[3]).not.toEqual(after[0]);
    const y = model.predict(batchOf(0, 0).images) as tf.Tensor;
    expect(Array.from(y.dataSync()).every(Number.isFinite)).toBe(true);
    model.dispose();
  }, 120_000);

  it('a worker failing inside train: the error names it, no tensor is left behind', async () => {
    const model = build();
    const bad = packTargets([[{ classId: 5, box: [0.25, 0.25, 0.3, 0.3] }], [{ classId: 0, box: [0.25, 0.25, 0.3, 0.3] }]]);
    const batches = async ({ micro }: { micro: number }) => {
      const b = batchOf(0, micro);
      if (micro === 0) return b;
      b.targets.dispose();
      return { images: b.images, targets: tf.clone(bad) };
    };
    const before = tf.memory().numTensors;
    await expect(train({ model, loss, batches, epochs: 1, stepsPerEpoch: 2, accumulate: 2, workers: 1, schedule: { lr: 0.05 }, progress: false }))
      .rejects.toThrow(/a worker failed on a micro-batch: .*class/i);
    expect(tf.memory().numTensors).toBe(before);
    bad.dispose();
    model.dispose();
  }, 60_000);
});
