import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TrainingError, ValueError } from '../../../src/index.js';
import { TrainingError as NodeTrainingError } from '../../../src/node/index.js';
import { loadCheckpoint, saveCheckpoint } from '../../../src/node/train/checkpoint.js';
import { train, type LossLike } from '../../../src/node/train/trainer.js';
import { loadCheckpointFile } from './checkpoint-files.js';
import { fixedBatch, images, stubLoss, targets, tinyModel } from './tiny-setup.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'yolov2-guard-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
let warn: ReturnType<typeof vi.spyOn>;
beforeEach(() => {
  warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
});
afterEach(() => warn.mockRestore());

/** The bits of every value (Uint32 view): equal bits, not merely equal numbers. */
const bits = (arrays: Float32Array[]) => arrays.map((a) => Array.from(new Uint32Array(a.slice().buffer)));
const weightsOf = (m: ReturnType<typeof tinyModel>) => m.weights.map((w) => w.read().dataSync() as Float32Array);

/** The fixed batch, with one pixel (image 1, row 4, column 5, channel 2) set to NaN at the given steps. */
function poisonedAt(steps: number[]) {
  return ({ step }: { step: number }) => {
    if (!steps.includes(step)) return fixedBatch();
    const values = images.dataSync().slice();
    values[((1 * 8 + 4) * 8 + 5) * 3 + 2] = NaN;
    return { images: tf.tensor4d(values, images.shape as [number, number, number, number]), targets: tf.clone(targets) };
  };
}

describe('the NaN guard', () => {
  it('one NaN pixel at step 3 of 10: the skipped step leaves every weight, batch-norm statistic and momentum buffer bit-identical', async () => {
    const model = tinyModel();
    const dir = tmp();
    const after = new Map<number, number[][]>();
    const r = await train({
      model, loss: stubLoss, batches: poisonedAt([3]), epochs: 10, stepsPerEpoch: 1, schedule: { lr: 0.01 }, progress: false,
      checkpointDir: dir, keepLast: 10, onStep: (s) => after.set(s.step, bits(weightsOf(model))),
    });
    expect(r.steps).toBe(10);
    expect(r.skippedSteps).toBe(1);
    expect(r.history.map((h) => h.skipped)).toEqual([false, false, false, true, false, false, false, false, false, false]);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0][0])).toMatch(/step 3 skipped: non-finite loss/);
    // the model after step 3 is the model after step 2, bit for bit: weights and BN moving statistics
    const names = model.weights.map((w) => w.name);
    expect(names.some((n) => /moving_mean/.test(n)) && names.some((n) => /moving_variance/.test(n))).toBe(true);
    expect(after.get(3)).toEqual(after.get(2));
    // which is not vacuous: the moving statistics do move on an accepted step
    const mean = names.findIndex((n) => /moving_mean/.test(n));
    expect(after.get(2)?.[mean]).not.toEqual(after.get(1)?.[mean]);
    // the optimizer too: the checkpoints after steps 0–2 and after the skipped step 3 hold the same tensors
    expect((await loadCheckpoint(dir)).step).toBe(10);
    const before = loadCheckpointFile(join(dir, 'ckpt-000000003.bin'));
    const skipped = loadCheckpointFile(join(dir, 'ckpt-000000004.bin'));
    expect(skipped.tensors.filter((t) => t.group === 'optimizer').length).toBeGreaterThan(0);
    expect(bits(skipped.tensors.map((t) => t.values))).toEqual(bits(before.tensors.map((t) => t.values)));
    // and predict on a clean image is finite
    const y = model.predict(images) as tf.Tensor;
    expect(Array.from(y.dataSync()).every(Number.isFinite)).toBe(true);
    y.dispose();
    model.dispose();
  });

  it(`stops with a TrainingError after 'maxSkippedSteps' consecutive skipped steps, the model untouched and no tensor leaked`, async () => {
    const model = tinyModel();
    const w0 = bits(weightsOf(model));
    const before = tf.memory().numTensors;
    const e = await train({
      model, loss: stubLoss, batches: poisonedAt([1, 2, 3, 4, 5, 6]), epochs: 1, stepsPerEpoch: 10, schedule: { lr: 0.01 }, progress: false, maxSkippedSteps: 3,
    }).catch((x: unknown) => x as Error);
    expect(e).toBeInstanceOf(TrainingError);
    expect(e).toBeInstanceOf(NodeTrainingError);
    expect((e as Error).message).toMatch(/stopped at step 3: 3 steps in a row had a non-finite loss or gradient \('maxSkippedSteps' 3\).*Try a lower learning rate.*check the data/);
    expect(tf.memory().numTensors).toBe(before);
    expect(bits(weightsOf(model))).not.toEqual(w0); // step 0 was taken
    model.dispose();
  });

  it('the default is 5 in a row; a good step in between resets the count', async () => {
    const model = tinyModel();
    // 4 bad, 1 good, 4 bad: never 5 in a row
    const r = await train({ model, loss: stubLoss, batches: poisonedAt([0, 1, 2, 3, 5, 6, 7, 8]), epochs: 1, stepsPerEpoch: 9, schedule: { lr: 0.01 }, progress: false });
    expect(r.skippedSteps).toBe(8);
    await expect(train({ model, loss: stubLoss, batches: poisonedAt([0, 1, 2, 3, 4]), epochs: 1, stepsPerEpoch: 9, schedule: { lr: 0.01 }, progress: false }))
      .rejects.toThrow(/stopped at step 4: 5 steps in a row/);
    await expect(train({ model, loss: stubLoss, batches: fixedBatch, epochs: 1, stepsPerEpoch: 1, schedule: { lr: 0.01 }, progress: false, maxSkippedSteps: 0 }))
      .rejects.toThrow(/'maxSkippedSteps' must be .*got 0/);
    model.dispose();
  });

  it('a non-finite loss with finite gradients (a loss that adds NaN) is skipped too, BN statistics restored', async () => {
    const model = tinyModel();
    const nanLoss: LossLike = {
      compute: (out, t) => {
        const l = stubLoss.compute(out, t);
        const total = tf.add(l.total, NaN) as tf.Scalar;
        l.total.dispose();
        return { ...l, total };
      },
    };
    const w0 = bits(weightsOf(model));
    const r = await train({ model, loss: nanLoss, batches: fixedBatch, epochs: 1, stepsPerEpoch: 3, schedule: { lr: 0.1 }, progress: false });
    expect(r.skippedSteps).toBe(3);
    expect(bits(weightsOf(model))).toEqual(w0);
    model.dispose();
  });

  it('a checkpoint refuses a non-finite value, naming the tensor', async () => {
    const dir = tmp();
    const ok = { name: 'conv0/kernel', group: 'model' as const, shape: [2], values: new Float32Array([1, 2]) };
    const bad = { name: 'bn0/moving_mean', group: 'model' as const, shape: [3], values: new Float32Array([0, Infinity, NaN]) };
    await expect(saveCheckpoint(dir, { epoch: 0, step: 1, seenImages: 2, tensors: [ok, bad] }))
      .rejects.toThrow(new ValueError(`saveCheckpoint: tensor 'bn0/moving_mean' holds Infinity at index 1; a checkpoint stores finite values only (the run diverged: see the training guard in docs/training.md)`));
    expect(readdirSync(dir)).toEqual([]);
  });
});
