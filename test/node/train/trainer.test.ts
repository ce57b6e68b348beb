import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { FormatError } from '../../../src/index.js';
import { loadCheckpoint } from '../../../src/node/train/checkpoint.js';
import { train } from '../../../src/node/train/trainer.js';
import { fixedBatch, images, stubLoss, tinyModel } from './tiny-setup.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'yolov2-trainer-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

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

  it('rejects a corrupted or truncated checkpoint with a FormatError naming the file', async () => {
    const dir = tmp();
    const model = tinyModel();
    await train({ model, loss: stubLoss, batches: fixedBatch, epochs: 1, stepsPerEpoch: 1, schedule: { lr: 0.01 }, progress: false, checkpointDir: dir });
    await expect(loadCheckpoint(dir)).resolves.toMatchObject({ epoch: 1, step: 1, seenImages: 2 });
    const file = join(dir, 'ckpt-000000001.bin');
    const bytes = readFileSync(file);
    bytes[bytes.length - 100] ^= 0xff;
    writeFileSync(file, bytes);
    await expect(loadCheckpoint(dir)).rejects.toThrow(/ckpt-000000001\.bin checksum [0-9a-f]{8} does not match the stored [0-9a-f]{8} \(corrupted or truncated\)/);
    writeFileSync(file, bytes.subarray(0, 17));
    await expect(loadCheckpoint(dir)).rejects.toThrow(FormatError);
    await expect(train({ model, loss: stubLoss, batches: fixedBatch, epochs: 2, stepsPerEpoch: 1, schedule: { lr: 0.01 }, progress: false, checkpointDir: dir, resume: true })).rejects.toThrow(/truncated/);
    model.dispose();
  });
});

describe('train with calibrationImages', () => {
  it('re-estimates the batch-norm statistics before each checkpoint: the stored moving statistics are those of the images', async () => {
    const model = tinyModel();
    const dir = tmp();
    let calls = 0;
    const calibrationImages = () => {
      calls++;
      return [tf.clone(images)];
    };
    const before = tf.memory().numTensors;
    await train({ model, loss: stubLoss, batches: fixedBatch, epochs: 2, stepsPerEpoch: 2, schedule: { lr: 0.01 }, progress: false, checkpointDir: dir, calibrationImages });
    expect(tf.memory().numTensors).toBe(before);
    expect(calls).toBe(2); // one checkpoint per epoch
    // the BN layer's input is the first dense layer's output: its per-unit mean and biased variance over the batch
    const x = fixedBatch();
    const h = tf.tidy(() => model.layers[1].apply(model.layers[0].apply(x.images)) as tf.Tensor2D);
    const rows = h.arraySync();
    const mean = rows[0].map((_, j) => rows.reduce((s, r) => s + r[j], 0) / rows.length);
    const variance = rows[0].map((_, j) => rows.reduce((s, r) => s + (r[j] - mean[j]) ** 2, 0) / rows.length);
    const ck = await loadCheckpoint(dir);
    const stored = (re: RegExp) => Array.from(ck.tensors.find((t) => re.test(t.name))?.values ?? []);
    stored(/moving_mean/).forEach((v, j) => expect(v).toBeCloseTo(mean[j], 5));
    stored(/moving_variance/).forEach((v, j) => expect(v).toBeCloseTo(variance[j], 5));
    tf.dispose([h, x.images, x.targets]);
    model.dispose();
  });
});

describe('train and its log file', () => {
  it('writes each step\'s line before the next step: the file holds every finished step at any instant', async () => {
    const model = tinyModel();
    const log = join(tmp(), 'live.jsonl');
    const linesSeen: number[] = [];
    await train({
      model, loss: stubLoss, batches: fixedBatch, epochs: 1, stepsPerEpoch: 6, schedule: { lr: 0.001 }, progress: false, logFile: log,
      onStep: (r) => {
        linesSeen.push(readFileSync(log, 'utf8').split('\n').filter(Boolean).length);
        // the last line on disk is this step's record
        const last = readFileSync(log, 'utf8').trim().split('\n').pop() ?? '';
        expect(JSON.parse(last).step).toBe(r.step);
      },
    });
    // step k (0-based) has k + 1 lines on disk when onStep sees it
    expect(linesSeen).toEqual([1, 2, 3, 4, 5, 6]);
    model.dispose();
  });
});
