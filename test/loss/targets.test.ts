import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { buildTargets, LOSS_PRESETS, packTargets, ShapeError, TargetError, ValueError } from '../../src/index.js';
import type { YOLOv2LossConfig } from '../../src/loss/presets.js';
import { ANCHORS, C, F2, fixtureOutput, H, W } from '../fixtures/loss.js';
import { expectNoLeak, randn, rng } from '../helpers.js';

const base = { anchors: ANCHORS as unknown as YOLOv2LossConfig['anchors'], numClasses: C };
const A = ANCHORS.length;
const arr = (t: tf.Tensor): number[] => Array.from(t.dataSync());
const close = (a: ArrayLike<number>, e: number[]): void => e.forEach((x, k) => expect(a[k], `index ${k}`).toBeCloseTo(x, 5));

describe('packTargets', () => {
  it('pads to the largest image with classId −1 rows', () => {
    const t = packTargets([[{ classId: 2, box: [0.5, 0.5, 0.2, 0.4] }, { classId: 0, box: [0.1, 0.2, 0.1, 0.1] }], []]);
    expect(t.shape).toEqual([2, 2, 5]);
    close(t.dataSync(), [2, 0.5, 0.5, 0.2, 0.4, 0, 0.1, 0.2, 0.1, 0.1, -1, 0, 0, 0, 0, -1, 0, 0, 0, 0]);
    t.dispose();
  });

  it('uses maxBoxes, at least one row, and rejects an image with more objects', () => {
    const empty = packTargets([[], []]);
    expect(empty.shape).toEqual([2, 1, 5]);
    expect(arr(empty)).toEqual([-1, 0, 0, 0, 0, -1, 0, 0, 0, 0]);
    const t = packTargets([[{ classId: 1, box: [0.5, 0.5, 0.2, 0.2] }]], 3);
    expect(t.shape).toEqual([1, 3, 5]);
    tf.dispose([empty, t]);
    expect(() => packTargets([[{ classId: 1, box: [0.5, 0.5, 0.2, 0.2] }, { classId: 1, box: [0.5, 0.5, 0.2, 0.2] }]], 1)).toThrow(ValueError);
    expect(() => packTargets([[{ classId: 1, box: [0.5, 0.5, 0.2, 0.2] }, { classId: 1, box: [0.5, 0.5, 0.2, 0.2] }]], 1)).toThrow(/image 0 has 2 objects, more than maxBoxes = 1/);
  });

  it('rejects invalid rows with a TargetError naming image and row', () => {
    const bad: Array<[unknown, RegExp]> = [
      [{ classId: -1, box: [0.5, 0.5, 0.1, 0.1] }, /classId/],
      [{ classId: 1.5, box: [0.5, 0.5, 0.1, 0.1] }, /classId/],
      [{ classId: 0, box: [0.5, NaN, 0.1, 0.1] }, /finite/],
      [{ classId: 0, box: [0.5, 0.5, 0, 0.1] }, /w and h must be > 0/],
      [{ classId: 0, box: [0.5, 0.5] }, /\[cx, cy, w, h\]/],
    ];
    for (const [row, msg] of bad) {
      const ann = [[], [{ classId: 0, box: [0.5, 0.5, 0.1, 0.1] as const }, row as never]];
      let err: unknown;
      expectNoLeak(() => {
        try {
          packTargets(ann);
        } catch (e) {
          err = e;
        }
      });
      expect(err).toBeInstanceOf(TargetError);
      expect((err as Error).message).toMatch(msg);
      expect((err as Error).message).toMatch(/image 1, row 1/);
      expect([(err as TargetError).image, (err as TargetError).row]).toEqual([1, 1]);
    }
  });
});

describe('buildTargets', () => {
  const make = (): { output: tf.Tensor4D; targets: tf.Tensor3D } => ({
    output: tf.tensor4d(fixtureOutput(F2), [1, H, W, A * (5 + C)]),
    targets: tf.tensor3d(F2.targets),
  });

  it('F2, darknet: every target of the fixture (see test/fixtures/loss.ts)', () => {
    const { output, targets } = make();
    const t = buildTargets(output, targets, base);
    expect(t.coords.shape).toEqual([1, 2, 2, 2, 4]);
    expect(t.objMask.shape).toEqual([1, 2, 2, 2]);
    // C overwrote A on row 0; B on row 3.
    expect(arr(t.objMask)).toEqual([1, 0, 0, 1, 0, 0, 0, 0]);
    expect(arr(t.classIds)).toEqual([0, -1, -1, 1, -1, -1, -1, -1]);
    expect(t.classIds.dtype).toBe('int32');
    // row 0 (C): (.5 − 0, .5 − 0, ln(.5/1), ln(.5/1)); row 3 (B): (1.5 − 1, .5 − 0, ln(2/2), ln(1/1))
    const coords = t.coords.dataSync();
    close(coords.subarray(0, 4), [0.5, 0.5, Math.log(0.5), Math.log(0.5)]);
    close(coords.subarray(12, 16), [0.5, 0.5, 0, 0]);
    expect(arr(t.coords).filter((_, k) => k < 4 || (k >= 12 && k < 16) ? false : true).every((v) => v === 0)).toBe(true);
    // weights 2 − w·h: C 2 − 1/16, B 2 − 1/2
    const w = t.coordWeights.dataSync();
    close(w.subarray(0, 4), [31 / 16, 31 / 16, 31 / 16, 31 / 16]);
    close(w.subarray(12, 16), [1.5, 1.5, 1.5, 1.5]);
    // 'iou': row 0 with its own object C: 1/12; row 3 with B: 1
    close(t.objTarget.dataSync(), [1 / 12, 0, 0, 1, 0, 0, 0, 0]);
    // row 2 (best IoU .65 > .6) ignored
    expect(arr(t.noobjMask)).toEqual([0, 1, 0, 0, 1, 1, 1, 1]);
    expect(arr(t.priorMask)).toEqual([0, 1, 1, 0, 1, 1, 1, 1]);
    expect(t.stats).toEqual({ objects: 3, assigned: 2, collisions: 1, ignored: 1 });
    tf.dispose([output, targets, t as never]);
  });

  it('F2, recordsV2: exp-space targets, max-iou objectness, unit weights, gte 0.7 ignores nothing', () => {
    const { output, targets } = make();
    const t = buildTargets(output, targets, { ...base, ...LOSS_PRESETS.recordsV2 });
    close(t.coords.dataSync().subarray(0, 4), [0.5, 0.5, 0.5, 0.5]); // (.5, .5, .5/1, .5/1)
    close(t.coords.dataSync().subarray(12, 16), [0.5, 0.5, 1, 1]); // (.5, .5, 2/2, 1/1)
    expect(arr(t.coordWeights).filter((v) => v !== 0)).toEqual(Array(8).fill(1));
    close(t.objTarget.dataSync(), [7 / 13, 0, 0, 1, 0, 0, 0, 0]); // row 0's best is B (7/13), not its own C
    expect(arr(t.noobjMask)).toEqual([0, 1, 1, 0, 1, 1, 1, 1]);
    tf.dispose([output, targets, t as never]);
  });

  it('F2, recordsRewrite: cell-corner rows 1 and 3, prediction-wh weights on w and h only', () => {
    const { output, targets } = make();
    const t = buildTargets(output, targets, { ...base, ...LOSS_PRESETS.recordsRewrite });
    expect(arr(t.objMask)).toEqual([0, 1, 0, 1, 0, 0, 0, 0]);
    // row 1 predicted box (2, 1) of a 2×2 grid: normalised 1 · 1/2 → |2 − 1/2| = 3/2
    close(t.coordWeights.dataSync().subarray(4, 8), [1, 1, 1.5, 1.5]);
    close(t.coords.dataSync().subarray(4, 8), [0.5, 0.5, 0.25, 0.5]); // C: (.5, .5, .5/2, .5/1)
    close(t.objTarget.dataSync(), [0, 1 / 8, 0, 1, 0, 0, 0, 0]);
    tf.dispose([output, targets, t as never]);
  });

  it('skips padding wherever it stands and leaves images without objects to the no-object loss', () => {
    const output = tf.zeros([2, H, W, A * (5 + C)]) as tf.Tensor4D;
    const targets = tf.tensor3d([[[-1, 0, 0, 0, 0], [0, 0.25, 0.25, 0.5, 0.5]], [[-1, 0, 0, 0, 0], [-1, 0, 0, 0, 0]]]);
    const t = buildTargets(output, targets, base);
    expect(arr(t.objMask)).toEqual([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(arr(t.noobjMask)).toEqual([0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
    const skip = buildTargets(output, targets, { ...base, emptyImages: 'skip' });
    expect(arr(skip.noobjMask).slice(8)).toEqual(Array(8).fill(0));
    expect(arr(skip.priorMask).slice(8)).toEqual(Array(8).fill(0));
    tf.dispose([output, targets, t as never, skip as never]);
  });

  it('carries no gradient', () => {
    const { output, targets } = make();
    expect(() => tf.grad((x: tf.Tensor) => tf.sum(buildTargets(x as tf.Tensor4D, targets, base).objTarget))(output)).toThrow(/Cannot compute gradient/);
    tf.dispose([output, targets]);
  });

  it('checks shapes and leaks nothing', () => {
    const { output, targets } = make();
    expectNoLeak(() => tf.dispose(buildTargets(output, targets, base) as never));
    const two = tf.zeros([2, 1, 5]) as tf.Tensor3D;
    expect(() => buildTargets(output, two, base)).toThrow(ShapeError);
    expect(() => buildTargets(output, two, base)).toThrow(/batch 2, the output has batch 1/);
    const bad = tf.zeros([1, 1, 4]) as tf.Tensor3D;
    expect(() => buildTargets(output, bad, base)).toThrow(/\[B, N, 5\]/);
    const badClass = tf.tensor3d([[[5, 0.5, 0.5, 0.1, 0.1]]]);
    expectNoLeak(() => expect(() => buildTargets(output, badClass, base)).toThrow(TargetError));
    tf.dispose([output, targets, two, bad, badClass]);
  });
});

describe('buildTargets ignore set against a plain reference', () => {
  for (const [rule, thresh] of [['gt', 0.3], ['gte', 0.3], ['gt', 0.45], ['gte', 0.45]] as const) {
    it(`${rule} ${thresh}: noobjMask and max-iou targets on random input`, () => {
      const r = rng(40);
      const [B, G, Cn] = [3, 4, 2];
      const anchors: Array<[number, number]> = [[0.8, 1.2], [2, 1.5], [3, 3.5]];
      const A = anchors.length;
      const D = 5 + Cn;
      const raw = randn(r, B * G * G * A * D, 0, 1);
      const output = tf.tensor4d(raw, [B, G, G, A * D]);
      const ann = Array.from({ length: B }, (_, b) =>
        Array.from({ length: b + 1 }, () => ({ classId: Math.floor(r() * Cn), box: [r(), r(), 0.1 + 0.5 * r(), 0.1 + 0.5 * r()] as const })),
      );
      const gt = packTargets(ann);
      const t = buildTargets(output, gt, { anchors, numClasses: Cn, ignoreRule: rule, ignoreThresh: thresh, objTarget: 'max-iou' });
      const [objMask, noobj, objT] = [t.objMask.dataSync(), t.noobjMask.dataSync(), t.objTarget.dataSync()];
      const sig = (x: number): number => 1 / (1 + Math.exp(-x));
      const iou = (a: number[], b: number[]): number => {
        const iw = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
        const ih = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
        const inter = iw * ih;
        return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter);
      };
      let ignoredCount = 0;
      for (let b = 0; b < B; b++) {
        const gts = ann[b].map(({ box: [cx, cy, w, h] }) => [(cx - w / 2) * G, (cy - h / 2) * G, (cx + w / 2) * G, (cy + h / 2) * G]);
        const best: number[] = [];
        for (let j = 0; j < G; j++) for (let i = 0; i < G; i++) for (let a = 0; a < A; a++) {
          const n = ((b * G + j) * G + i) * A + a;
          const x = raw.subarray(n * D, n * D + 4);
          const [cx, cy] = [sig(x[0]) + i, sig(x[1]) + j];
          const [w, h] = [anchors[a][0] * Math.exp(x[2]), anchors[a][1] * Math.exp(x[3])];
          best.push(Math.max(...gts.map((g) => iou([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], g))));
        }
        const anyAbove = best.some((v) => v > thresh);
        best.forEach((v, r0) => {
          const n = b * G * G * A + r0;
          if (objMask[n]) {
            expect(noobj[n]).toBe(0);
            expect(objT[n]).toBeCloseTo(v, 5);
            return;
          }
          const ignored = rule === 'gt' ? v > thresh : anyAbove && v >= thresh;
          if (ignored) ignoredCount++;
          expect(noobj[n], `image ${b} row ${r0} best ${v}`).toBe(ignored ? 0 : 1);
        });
      }
      expect(t.stats.ignored).toBe(ignoredCount);
      expect(ignoredCount).toBeGreaterThan(0);
      tf.dispose([output, gt, t as never]);
    });
  }
});

describe('buildTargets options (issue 18, item 5)', () => {
  it('a misspelled config key is a ValueError naming it and the closest known key', () => {
    const output = tf.zeros([1, H, W, A * (5 + C)]) as tf.Tensor4D;
    const targets = tf.tensor3d([[[0, 0.5, 0.5, 0.2, 0.2]]]);
    expect(() => buildTargets(output, targets, { ...base, noobjIgnor: false } as never)).toThrow(ValueError);
    expect(() => buildTargets(output, targets, { ...base, noobjIgnor: false } as never)).toThrow(
      /buildTargets: unknown option 'noobjIgnor' in 'config'.*did you mean 'noobjIgnore'/,
    );
    tf.dispose([output, targets]);
  });
});
