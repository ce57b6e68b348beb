import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { evaluateDetector, type DetectionDataset, type DetectionSample } from '../../src/node/index.js';
import { ValueError } from '../../src/index.js';
import { expectNoLeakAsync } from '../helpers.js';

// One anchor (1, 1) in grid cells, C = 2. At input S the grid is (S/32)², a cell is 32 px.
// Raw head per anchor: (tx, ty, tw, th, to, c0, c1). With tx = ty = tw = th = 0 a cell's box is centred on the
// cell (σ(0) = 0.5) and one cell wide (1 · e⁰): at cell (j, i) the box is (32i, 32j, 32i + 32, 32j + 32) px.
// to = +12 → objectness σ(12) = 0.999994; to = −12 elsewhere → score ≤ 6.1e-6 < the 0.005 threshold.
// Class logits (+12, −12) → p(class 0) ≈ 1. So the "model" detects exactly the cells we switch on.

/** Ground truth: image k has one object of class k % 2 on cell (k, k) of a 64 × 64 image (2 × 2 grid). */
const SIZE = 64;
const samples: DetectionSample[] = [0, 1].map((k) => ({
  id: `img${k}`,
  image: { width: SIZE, height: SIZE, data: new Uint8Array(SIZE * SIZE * 3) },
  objects: [{ classId: k % 2, box: [32 * k, 32 * k, 32 * k + 32, 32 * k + 32] as [number, number, number, number] }],
}));
const dataset: DetectionDataset = { length: 2, classNames: ['a', 'b'], get: (i) => Promise.resolve(samples[i]) };

/** A stand-in model: the head switches on, per image, the cell holding its object (scaled to any input size). */
const model = {
  predict(x: tf.Tensor4D): tf.Tensor4D {
    const [B, H] = x.shape;
    const g = H / 32;
    const out = new Float32Array(B * g * g * 7);
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < g; j++) {
        for (let i = 0; i < g; i++) {
          const o = ((b * g + j) * g + i) * 7;
          const on = j === b && i === b; // image b's object sits on cell (b, b) of the 2 × 2 grid at 64 px
          out[o + 4] = on && g === 2 ? 12 : -12;
          out[o + 5] = b % 2 === 0 ? 12 : -12;
          out[o + 6] = b % 2 === 0 ? -12 : 12;
        }
      }
    }
    return tf.tensor4d(out, [B, g, g, 7]);
  },
} as unknown as LayersModel;

describe('evaluateDetector', () => {
  it('scores a detector that finds exactly the ground truth: mAP 1 and COCO AP 1, boxes in source pixels', async () => {
    const [r] = await evaluateDetector(model, dataset, { anchors: [[1, 1]], numClasses: 2, sizes: [64], batchSize: 2 });
    expect(r.size).toBe(64);
    expect(r.voc.mAP).toBe(1);
    expect(r.coco.AP).toBeCloseTo(1, 12);
    expect(r.detections).toHaveLength(2);
    expect(r.detections[0].imageId).toBe('img0');
    r.detections[0].box.forEach((v, k) => expect(v).toBeCloseTo([0, 0, 32, 32][k], 3));
    r.detections[1].box.forEach((v, k) => expect(v).toBeCloseTo([32, 32, 64, 64][k], 3));
    expect(r.groundTruths.map((g) => g.box)).toEqual([[0, 0, 32, 32], [32, 32, 64, 64]]);
  });

  it('at another input size the same head finds nothing: mAP 0, and one result per size in order', async () => {
    const rs = await evaluateDetector(model, dataset, { anchors: [[1, 1]], numClasses: 2, sizes: [64, 96], batchSize: 1 });
    expect(rs.map((r) => r.size)).toEqual([64, 96]);
    expect(rs[1].voc.mAP).toBe(0);
    expect(rs[1].detections).toHaveLength(0);
  });

  it('leaks no tensor, and rejects bad sizes', async () => {
    await expectNoLeakAsync(() => evaluateDetector(model, dataset, { anchors: [[1, 1]], numClasses: 2, sizes: [64] }));
    await expect(evaluateDetector(model, dataset, { anchors: [[1, 1]], numClasses: 2, sizes: [16] })).rejects.toThrow(ValueError);
  });
});
