import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { FormatError } from '../../../src/index.js';
import { loadCheckpoint } from '../../../src/node/train/checkpoint.js';
import { train, type LossLike } from '../../../src/node/train/trainer.js';
import { randn, rng } from '../../helpers.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'yolov2-trainer-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/**
 * A tiny dense → BN → leaky → dense model with seeded weights: [B,8,8,3] → [B,2,2,6]. Dense, not conv:
 * the trainer is model-agnostic, and stock wasm has no conv-filter gradient (the training kernels add it).
 */
function tinyModel(seed = 1): tfl.LayersModel {
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
const stubLoss: LossLike = {
  compute(out) {
    return tf.tidy(() => {
      const d = tf.square(tf.sub(out, target));
      const [a, b, c, e] = tf.split(d, [2, 2, 1, 1], 3).map((t) => tf.sum(t) as tf.Scalar);
      return { total: tf.addN([a, b, c, e]) as tf.Scalar, coord: a, obj: b, noobj: c, cls: e };
    });
  },
};
const images = tf.keep(tf.tensor4d(randn(rng(3), 2 * 8 * 8 * 3), [2, 8, 8, 3]));
const targets = tf.keep(tf.zeros([2, 1, 5]) as tf.Tensor3D);
const fixedBatch = () => ({ images: tf.clone(images), targets: tf.clone(targets) });

describe('train', () => {
  it('reduces the loss on a fixed batch', async () => {
    const model = tinyModel();
    const r = await train({
      model, loss: stubLoss, batches: fixedBatch, epochs: 1, stepsPerEpoch: 15,
      schedule: { lr: 0.01 }, progress: false,
    });
    expect(r.steps).toBe(15);
    expect(r.seenImages).toBe(30);
    const first = r.history[0].total;
    const last = r.history[14].total;
    expect(last).toBeLessThan(0.7 * first);
    model.dispose();
  });

  it('resuming from a checkpoint gives exactly the steps of an uninterrupted run', async () => {
    const opts = { loss: stubLoss, batches: fixedBatch, epochs: 2, stepsPerEpoch: 3, schedule: { lr: 0.02, warmup: { epochs: 1 } }, progress: false as const };
    const a = tinyModel(5);
    const full = await train({ ...opts, model: a });
    const dir = tmp();
    const b = tinyModel(5);
    const part = await train({ ...opts, model: b, maxSteps: 4, checkpointDir: dir });
    expect(part.steps).toBe(4);
    const c = tinyModel(77); // different weights: the checkpoint must overwrite them
    const rest = await train({ ...opts, model: c, checkpointDir: dir, resume: true });
    expect(rest.history.map((h) => h.step)).toEqual([4, 5]);
    expect(rest.history.map((h) => h.total)).toEqual(full.history.slice(4).map((h) => h.total));
    expect(rest.history.map((h) => h.lr)).toEqual(full.history.slice(4).map((h) => h.lr));
    const wa = a.getWeights().map((w) => Array.from(w.dataSync()));
    const wc = c.getWeights().map((w) => Array.from(w.dataSync()));
    expect(wc).toEqual(wa);
    [a, b, c].forEach((m) => m.dispose());
  });

  it('grows no tensors over 50 steps (with accumulation and a log file)', async () => {
    const model = tinyModel();
    const log = join(tmp(), 'log.jsonl');
    await train({ model, loss: stubLoss, batches: fixedBatch, epochs: 1, stepsPerEpoch: 2, schedule: { lr: 0.01 }, progress: false, accumulate: 2 });
    const before = tf.memory().numTensors;
    await train({ model, loss: stubLoss, batches: fixedBatch, epochs: 1, stepsPerEpoch: 50, schedule: { lr: 0.001 }, progress: false, accumulate: 2, logFile: log });
    expect(tf.memory().numTensors).toBe(before);
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(50);
    expect(JSON.parse(lines[0])).toMatchObject({ step: 0, skipped: false });
    model.dispose();
  });

  it('skips and counts non-finite steps, leaving the weights untouched', async () => {
    const model = tinyModel();
    const nanLoss: LossLike = {
      compute: (out, t) => {
        const l = stubLoss.compute(out, t);
        const total = tf.mul(l.total, NaN) as tf.Scalar;
        l.total.dispose();
        return { ...l, total };
      },
    };
    const w0 = model.getWeights().map((w) => Array.from(w.dataSync()));
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const r = await train({ model, loss: nanLoss, batches: fixedBatch, epochs: 1, stepsPerEpoch: 3, schedule: { lr: 0.1 }, progress: false });
    expect(r.skippedSteps).toBe(3);
    expect(warn).toHaveBeenCalledTimes(3);
    warn.mockRestore();
    // trainable weights unchanged (BN moving statistics do move in training mode)
    const trainable = new Set(model.trainableWeights.map((w) => w.name));
    model.weights.forEach((w, i) => {
      if (trainable.has(w.name)) expect(Array.from(w.read().dataSync())).toEqual(w0[i]);
    });
    model.dispose();
  });

  it('rejects a corrupted or truncated checkpoint with a FormatError naming the file', async () => {
    const dir = tmp();
    const model = tinyModel();
    await train({ model, loss: stubLoss, batches: fixedBatch, epochs: 1, stepsPerEpoch: 1, schedule: { lr: 0.01 }, progress: false, checkpointDir: dir });
    await expect(loadCheckpoint(dir)).resolves.toMatchObject({ epoch: 1, step: 1, seenImages: 2 });
    const bin = join(dir, 'checkpoint.bin');
    const bytes = readFileSync(bin);
    bytes[10] ^= 0xff;
    writeFileSync(bin, bytes);
    await expect(loadCheckpoint(dir)).rejects.toThrow(/checkpoint\.bin checksum .* \(corrupted\)/);
    writeFileSync(bin, bytes.subarray(0, 17));
    await expect(loadCheckpoint(dir)).rejects.toThrow(FormatError);
    await expect(train({ model, loss: stubLoss, batches: fixedBatch, epochs: 2, stepsPerEpoch: 1, schedule: { lr: 0.01 }, progress: false, checkpointDir: dir, resume: true })).rejects.toThrow(/truncated/);
    writeFileSync(join(dir, 'checkpoint.json'), '{not json');
    await expect(loadCheckpoint(dir)).rejects.toThrow(/not valid JSON/);
    model.dispose();
  });
});

describe('train and the event loop', () => {
  it('lets I/O run during training: the log file fills while steps are still being taken', async () => {
    const model = tinyModel();
    const log = join(tmp(), 'live.jsonl');
    const sizesSeen: number[] = [];
    await train({
      model, loss: stubLoss, batches: fixedBatch, epochs: 1, stepsPerEpoch: 6, schedule: { lr: 0.001 }, progress: false, logFile: log,
      onStep: (r) => {
        if (r.step === 5) {
          // by the last step, the earlier lines have been flushed by the event loop
          sizesSeen.push(readFileSync(log, 'utf8').trim().split('\n').filter(Boolean).length);
        }
      },
    });
    expect(sizesSeen[0]).toBeGreaterThanOrEqual(3);
    model.dispose();
  });
});
