import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FormatError, packTargets, TargetError, YOLOv2Loss } from '../../../src/index.js';
import { compactYOLOv2, registerTrainingKernels, unregisterTrainingKernels } from '../../../src/models/index.js';
import { train, type LossLike } from '../../../src/node/train/trainer.js';
import { randn, rng } from '../../helpers.js';
import { fixedBatch, stubLoss, tinyModel } from './tiny-setup.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'yolov2-leaks-'));
  dirs.push(d);
  return d;
};
beforeAll(() => registerTrainingKernels());
afterAll(() => {
  unregisterTrainingKernels();
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

const bitsOf = (m: tfl.LayersModel) => m.weights.map((w) => Array.from(new Uint32Array((w.read().dataSync() as Float32Array).slice().buffer)));
const base = { batches: fixedBatch, epochs: 1, stepsPerEpoch: 3, schedule: { lr: 0.01 }, progress: false as const };

/** Run `train`, expect it to throw `match`, and return the change in `tf.memory().numTensors`. */
async function leakedBy(options: Parameters<typeof train>[0], match: RegExp | (new (...a: never[]) => Error)): Promise<number> {
  const before = tf.memory().numTensors;
  await expect(train(options)).rejects.toThrow(match);
  return tf.memory().numTensors - before;
}

describe('train leaves no tensor behind on its error paths', () => {
  it('a loss that throws inside the gradient tape (step 2): 0 leaked, the model as after step 1', async () => {
    const model = tinyModel();
    let calls = 0;
    const throwing: LossLike = {
      compute(out, t) {
        if (++calls === 2) {
          tf.square(out); // work on the tape before the throw
          throw new Error('loss exploded');
        }
        return stubLoss.compute(out, t);
      },
    };
    let afterFirst: number[][] = [];
    expect(await leakedBy({ ...base, model, loss: throwing, onStep: () => (afterFirst = bitsOf(model)) }, /loss exploded/)).toBe(0);
    // the failed step changed nothing, batch-norm statistics included
    expect(bitsOf(model)).toEqual(afterFirst);
    model.dispose();
  });

  it('YOLOv2Loss throwing a TargetError on a conv model (training kernels): 0 leaked', async () => {
    const anchors: Array<[number, number]> = [[1, 1], [2, 1.5]];
    const model = compactYOLOv2({ numClasses: 2, anchors, filters: [4, 8], neck: [8], passthrough: 4, localContrast: 3 });
    const loss = new YOLOv2Loss({ anchors, numClasses: 2 });
    const batches = () => ({
      images: tf.tensor4d(randn(rng(1), 2 * 32 * 32 * 3, 0.5, 0.2), [2, 32, 32, 3]),
      targets: packTargets([[{ classId: 7, box: [0.3, 0.4, 0.4, 0.4] }], [{ classId: 1, box: [0.7, 0.65, 0.4, 0.3] }]]),
    });
    expect(await leakedBy({ ...base, model, loss, batches }, TargetError)).toBe(0);
    model.dispose();
  });

  it('a batch source that throws on the second micro-batch: the first is disposed', async () => {
    const model = tinyModel();
    const batches = ({ micro }: { micro: number }) => {
      if (micro === 1) throw new Error('disk gone');
      return fixedBatch();
    };
    expect(await leakedBy({ ...base, model, loss: stubLoss, batches, accumulate: 2 }, /disk gone/)).toBe(0);
    model.dispose();
  });

  it('resuming into a model with other shapes: a FormatError, 0 leaked, the model unchanged', async () => {
    const dir = tmp();
    const a = tinyModel();
    await train({ ...base, model: a, loss: stubLoss, checkpointDir: dir });
    const wide = tfl.sequential({
      layers: [
        tfl.layers.flatten({ inputShape: [8, 8, 3] }),
        tfl.layers.dense({ units: 17, useBias: false }),
        tfl.layers.batchNormalization({ epsilon: 1e-5 }),
        tfl.layers.dense({ units: 24 }),
        tfl.layers.reshape({ targetShape: [2, 2, 6] }),
      ],
    });
    const w0 = bitsOf(wide);
    const leaked = await leakedBy({ ...base, epochs: 2, model: wide, loss: stubLoss, checkpointDir: dir, resume: true }, FormatError);
    expect(leaked).toBe(0);
    await expect(train({ ...base, epochs: 2, model: wide, loss: stubLoss, checkpointDir: dir, resume: true }))
      .rejects.toThrow(/checkpoint tensor 0 \('.*'\) in .* has shape \[192,16\], the model's '.*' has \[192,17\]/);
    expect(bitsOf(wide)).toEqual(w0);
    [a, wide].forEach((m) => m.dispose());
  });
});
