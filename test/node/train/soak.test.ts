import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packTargets, YOLOv2Loss } from '../../../src/index.js';
import { compactYOLOv2, registerTrainingKernels, unregisterTrainingKernels } from '../../../src/models/index.js';
import { train } from '../../../src/node/train/trainer.js';
import { randn, rng } from '../../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'yolov2-soak-'));
beforeAll(() => registerTrainingKernels());
afterAll(() => {
  unregisterTrainingKernels();
  rmSync(dir, { recursive: true, force: true });
});

describe('soak: 20 training steps', () => {
  it('a compact YOLOv2 with YOLOv2Loss, accumulation, checkpoints and recalibration: tf.memory().numTensors does not grow', async () => {
    const anchors: Array<[number, number]> = [[1, 1], [2, 1.5]];
    const model = compactYOLOv2({ numClasses: 2, anchors, filters: [4, 8], neck: [8], passthrough: 4, seed: 4 });
    const loss = new YOLOv2Loss({ anchors, numClasses: 2 });
    const batches = ({ step, micro }: { step: number; micro: number }) => ({
      images: tf.tensor4d(randn(rng(10 * step + micro), 2 * 32 * 32 * 3, 0.5, 0.2), [2, 32, 32, 3]),
      targets: packTargets([[{ classId: 0, box: [0.3, 0.4, 0.4, 0.4] }], [{ classId: 1, box: [0.6, 0.6, 0.3, 0.5] }]]),
    });
    const counts: number[] = [];
    const before = tf.memory().numTensors;
    const r = await train({
      model, loss, batches, epochs: 4, stepsPerEpoch: 5, accumulate: 2, schedule: { lr: 0.01 }, progress: false,
      checkpointDir: dir, calibrationImages: () => [tf.tensor4d(randn(rng(99), 2 * 32 * 32 * 3, 0.5, 0.2), [2, 32, 32, 3])],
      onStep: () => counts.push(tf.memory().numTensors),
    });
    expect(r.steps).toBe(20);
    expect(r.skippedSteps).toBe(0);
    expect(new Set(counts).size).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  }, 120_000);
});
