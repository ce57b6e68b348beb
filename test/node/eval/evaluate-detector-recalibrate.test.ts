import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { compactYOLOv2 } from '../../../src/models/index.js';
import { evaluateDetector, type DetectionDataset, type DetectionSample } from '../../../src/node/index.js';
import { randn, rng } from '../../helpers.js';

const samples: DetectionSample[] = [0, 1].map((k) => ({
  id: `img${k}`,
  image: { width: 64, height: 64, data: new Uint8Array(64 * 64 * 3).fill(40 + 100 * k) },
  objects: [{ classId: k, box: [8, 8, 40, 40] as [number, number, number, number] }],
}));
const dataset: DetectionDataset = { length: 2, classNames: ['a', 'b'], get: (i) => Promise.resolve(samples[i]) };

describe("evaluateDetector's recalibrateBatchNorm option", () => {
  it('re-estimates the batch-norm statistics from the given batches before evaluating (the model keeps them)', async () => {
    const model = compactYOLOv2({ numClasses: 2, anchors: [[1, 1]], filters: [4, 8], neck: [8], seed: 2 });
    const x = tf.tensor4d(randn(rng(3), 2 * 64 * 64 * 3, 0.4, 0.2), [2, 64, 64, 3]);
    const moving = () => Array.from(model.getLayer('bn0').getWeights()[2].dataSync());
    expect(moving()).toEqual([0, 0, 0, 0]);
    const before = tf.memory().numTensors;
    await evaluateDetector(model, dataset, { anchors: [[1, 1]], numClasses: 2, sizes: [64], recalibrateBatchNorm: [x] });
    expect(tf.memory().numTensors).toBe(before);
    // bn0's new moving mean is the per-channel mean of conv0's output on x
    const mean = tf.tidy(() => Array.from(tf.mean(model.getLayer('conv0').apply(x) as tf.Tensor, [0, 1, 2]).dataSync()));
    moving().forEach((v, c) => expect(v).toBeCloseTo(mean[c], 5));
    expect(Math.max(...mean.map(Math.abs))).toBeGreaterThan(1e-3);
    x.dispose();
    model.dispose();
  });
});
