import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { ValueError } from '../../../src/index.js';
import { loadCheckpoint } from '../../../src/node/train/checkpoint.js';
import { train, type TrainOptions } from '../../../src/node/train/trainer.js';
import { fixedBatch, stubLoss, tinyModel } from './tiny-setup.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'yolov2-evaluate-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const model = tinyModel();
afterAll(() => model.dispose());
const zero = (): number => 0;
const base = { model, loss: stubLoss, batches: fixedBatch, stepsPerEpoch: 2, schedule: { lr: 0.01 }, progress: false as const };

describe('train: evaluate option', () => {
  it('stops after patience evaluations without improvement and calls onBest on each new best', async () => {
    // Scores 0.1, 0.3, 0.2, 0.25, 0.29 with patience 3, one evaluation per epoch:
    //   epoch 1: 0.1 > −∞       → best 0.1, stale 0, onBest(1)
    //   epoch 2: 0.3 > 0.1      → best 0.3, stale 0, onBest(2)
    //   epoch 3: 0.2 ≤ 0.3      → stale 1
    //   epoch 4: 0.25 ≤ 0.3     → stale 2
    //   epoch 5: 0.29 ≤ 0.3     → stale 3 = patience → stop after epoch 5 of 10.
    const scores = [0.1, 0.3, 0.2, 0.25, 0.29, 0.9, 0.9, 0.9, 0.9, 0.9];
    const ran: { epoch: number; step: number }[] = [];
    const best: { epoch: number; score: number }[] = [];
    const ends: number[] = [];
    const before = tf.memory().numTensors;
    const r = await train({
      ...base, epochs: 10,
      evaluate: { patience: 3, run: (ctx) => (ran.push(ctx), scores[ctx.epoch - 1]), onBest: async (ctx) => void best.push(ctx) },
      onEpochEnd: (e) => void ends.push(e),
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(ran).toEqual([1, 2, 3, 4, 5].map((epoch) => ({ epoch, step: 2 * epoch })));
    expect(best).toEqual([{ epoch: 1, score: 0.1 }, { epoch: 2, score: 0.3 }]);
    expect(r.evaluations).toEqual([0.1, 0.3, 0.2, 0.25, 0.29].map((score, i) => ({ epoch: i + 1, score })));
    expect(r.stoppedEarly).toEqual({ epoch: 5, best: 0.3, stale: 3 });
    expect(r.epochs).toBe(5);
    expect(r.steps).toBe(10);
    expect(ends).toEqual([0, 1, 2, 3, 4]);
  });

  it('evaluates every N-th epoch and after the last; no stop without patience', async () => {
    const ran: number[] = [];
    const r = await train({ ...base, epochs: 5, evaluate: { every: 2, run: ({ epoch }) => (ran.push(epoch), -epoch) } });
    // epochs 2 and 4 are multiples of 2; epoch 5 is the last. Scores fall, yet nothing stops without patience.
    expect(ran).toEqual([2, 4, 5]);
    expect(r.evaluations).toEqual([{ epoch: 2, score: -2 }, { epoch: 4, score: -4 }, { epoch: 5, score: -5 }]);
    expect(r.stoppedEarly).toBeUndefined();
    expect(r.epochs).toBe(5);
  });

  it('replays past scores (a resumed run) and checkpoints the epoch it stops at', async () => {
    const dir = tmp();
    const best: number[] = [];
    // past [0.5, 0.4]: best 0.5, stale 1. Epoch 1 scores 0.45 → stale 2 = patience → stop; 0.45 never beats 0.5.
    const r = await train({
      ...base, epochs: 4, checkpointDir: dir, checkpointEvery: 3,
      evaluate: { patience: 2, past: [0.5, 0.4], run: () => 0.45, onBest: ({ epoch }) => void best.push(epoch) },
    });
    expect(r.stoppedEarly).toEqual({ epoch: 1, best: 0.5, stale: 2 });
    expect(best).toEqual([]);
    // epoch 1 is not a checkpoint epoch (every 3), so the early stop writes one at step 2
    await expect(loadCheckpoint(dir)).resolves.toMatchObject({ step: 2, epoch: 1 });
  });

  it('leaves no tensor behind when run throws or returns a non-finite score', async () => {
    const before = tf.memory().numTensors;
    await expect(train({ ...base, epochs: 2, evaluate: { run: () => { throw new Error('eval failed'); } } })).rejects.toThrow('eval failed');
    await expect(train({ ...base, epochs: 2, evaluate: { run: () => Number.NaN } })).rejects.toThrow(/evaluate\.run' must return a finite number, got NaN after epoch 1/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it.each([
    [{ run: zero, every: 0 }, /evaluate\.every/],
    [{ run: zero, every: 1.5 }, /evaluate\.every/],
    [{ run: zero, patience: 0 }, /evaluate\.patience/],
    [{ run: 3 }, /'evaluate\.run' must be a function/],
    [{ run: zero, onBest: 'save' }, /'evaluate\.onBest' must be a function/],
    [{ run: zero, past: [0.1, Number.NaN] }, /evaluate\.past\[1\]/],
    [{ run: zero, past: 0.1 }, /'evaluate\.past' must be an array/],
    [{ run: zero, patients: 3 }, /patients/],
    [null, /'evaluate' must be an object/],
  ] as [unknown, RegExp][])('rejects evaluate %o with a ValueError naming the field', async (evaluate, match) => {
    const before = tf.memory().numTensors;
    const p = train({ ...base, epochs: 1, evaluate } as unknown as TrainOptions);
    await expect(p).rejects.toThrow(ValueError);
    await expect(p).rejects.toThrow(match);
    expect(tf.memory().numTensors).toBe(before);
  });
});
