import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { evaluateDetector, type DetectionDataset, type DetectionSample } from '../../../src/node/index.js';
import { ValueError } from '../../../src/index.js';
import { DarknetBatchNorm, tinyYOLOv2 } from '../../../src/models/index.js';
import { expectNoLeakAsync, rng } from '../../helpers.js';

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

/**
 * The same stand-in, except that image 1's object (class 1) gets class logits (1, 0): its best class is 0
 * (p₀ = e/(e + 1) = 0.731), and class 1 only scores σ(12) · 1/(e + 1) = 0.269, still above 0.005.
 */
const unsure = {
  predict(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const out = model.predict(x) as tf.Tensor4D;
      const [B, g] = out.shape;
      if (B < 2 || g !== 2) return out;
      const fix = tf.buffer(out.shape, 'float32', (out.dataSync() as Float32Array).slice());
      fix.set(1, 1, 1, 1, 5);
      fix.set(0, 1, 1, 1, 6);
      return fix.toTensor() as tf.Tensor4D;
    });
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

  it('multiLabel: a box also counts for its second class (as the training records evaluate)', async () => {
    // Best class only: image 1's box is a class-0 detection → class 1 (npos 1) has no TP: AP 0; class 0 has
    // its TP (score ≈ 1) ranked before that FP (0.731): AP 1. mAP (1 + 0) / 2 = 0.5.
    const [best] = await evaluateDetector(unsure, dataset, { anchors: [[1, 1]], numClasses: 2, sizes: [64], batchSize: 2 });
    expect(best.voc.perClass.map((c) => c.ap)).toEqual([1, 0]);
    expect(best.voc.mAP).toBe(0.5);
    // Every class above 0.005: the same box is also a class-1 detection (score 0.269) → TP for class 1: mAP 1.
    const [multi] = await evaluateDetector(unsure, dataset, { anchors: [[1, 1]], numClasses: 2, sizes: [64], batchSize: 2, multiLabel: true });
    expect(multi.voc.perClass.map((c) => c.ap)).toEqual([1, 1]);
    expect(multi.detections).toHaveLength(3);
    const second = multi.detections.find((d) => d.classId === 1)!;
    expect(second.score).toBeCloseTo(1 / (1 + Math.exp(-12)) / (Math.E + 1), 5);
  });

  it('leaks no tensor, and rejects bad sizes', async () => {
    await expectNoLeakAsync(() => evaluateDetector(model, dataset, { anchors: [[1, 1]], numClasses: 2, sizes: [64] }));
    await expect(evaluateDetector(model, dataset, { anchors: [[1, 1]], numClasses: 2, sizes: [16] })).rejects.toThrow(ValueError);
  });

  it('folds the batch norms by default: the same detections as fold: false on a tiny-YOLOv2, no leak', async () => {
    const net = tinyYOLOv2({ numClasses: 2, inputSize: 64, widthMultiplier: 0.25, anchors: [[1, 1]] });
    const rand = rng(4);
    for (const l of net.layers.filter((x) => x instanceof DarknetBatchNorm)) {
      const c = l.getWeights()[0].shape[0];
      const u = (lo: number, hi: number) => tf.tensor1d(Float32Array.from({ length: c }, () => lo + (hi - lo) * rand()));
      tf.tidy(() => l.setWeights([u(0.5, 1.5), u(-0.3, 0.3), u(-0.3, 0.3), u(0.5, 2)]));
    }
    const opts = { anchors: [[1, 1]] as [number, number][], numClasses: 2, sizes: [64], batchSize: 2 };
    let folded: Awaited<ReturnType<typeof evaluateDetector>> = [];
    await expectNoLeakAsync(async () => {
      folded = await evaluateDetector(net, dataset, opts);
    });
    const [plain] = await evaluateDetector(net, dataset, { ...opts, fold: false });
    expect(plain.detections.length).toBeGreaterThan(0);
    expect(folded[0].detections.map((d) => d.classId)).toEqual(plain.detections.map((d) => d.classId));
    folded[0].detections.forEach((d, i) => expect(Math.abs(d.score - plain.detections[i].score)).toBeLessThan(1e-5));
    net.dispose();
  });

  it('an unknown option key is a ValueError naming it (issue 18, item 5), without leaking', async () => {
    await expectNoLeakAsync(async () => {
      await expect(
        evaluateDetector(model, dataset, { anchors: [[1, 1]], numClasses: 2, sizes: [64], confThresh: 0.3 } as never),
      ).rejects.toThrow(/evaluateDetector: unknown option 'confThresh'.*'confThreshold'/);
    });
  });
});

