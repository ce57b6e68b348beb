import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { boxIoU, boxIoUArrays, cxcywhToXyxy, iouFloat32, ShapeError, ValueError, xyxyToCxcywh } from '../src/index.js';
import { expectNoLeak } from './helpers.js';

// Two boxes with IoU exactly 0.625 (the turicreate fixture shape):
//   a = (0, 0, 10, 10), area 100;  b = (0, 0, 10, 6.25)... instead use b = (0, 0, 10, 6.25):
//   inter = 10 · 6.25 = 62.5, union = 100 + 62.5 − 62.5 = 100, IoU = 62.5 / 100 = 0.625.
const A = [0, 0, 10, 10];
const B = [0, 0, 10, 6.25];

describe('box conversions', () => {
  it('xyxy → cxcywh by hand: (2, 4, 10, 8) → cx = (2+10)/2 = 6, cy = (4+8)/2 = 6, w = 8, h = 4', () => {
    const out = xyxyToCxcywh(tf.tensor2d([[2, 4, 10, 8]]));
    expect(Array.from(out.dataSync())).toEqual([6, 6, 8, 4]);
    out.dispose();
  });

  it('cxcywh → xyxy by hand: (6, 6, 8, 4) → (6−4, 6−2, 6+4, 6+2) = (2, 4, 10, 8)', () => {
    const out = cxcywhToXyxy(tf.tensor2d([[6, 6, 8, 4]]));
    expect(Array.from(out.dataSync())).toEqual([2, 4, 10, 8]);
    out.dispose();
  });

  it('round-trips any rank [..., 4]', () => {
    const x = tf.tensor3d([[[1, 2, 3, 5], [0.5, 0.25, 0.75, 1]]]);
    const back = cxcywhToXyxy(xyxyToCxcywh(x));
    expect(back.shape).toEqual([1, 2, 4]);
    expect(Array.from(back.dataSync())).toEqual(Array.from(x.dataSync()));
    tf.dispose([x, back]);
  });

  it('rejects a last axis other than 4', () => {
    const bad = tf.zeros([3, 5]);
    expect(() => xyxyToCxcywh(bad)).toThrow(ShapeError);
    expect(() => cxcywhToXyxy(bad)).toThrow(/\[\.\.\., 4\].*\[3, 5\]/);
    bad.dispose();
  });
});

describe('boxIoU (tensors)', () => {
  it('IoU of the 0.625 pair: inter 62.5 / union 100', () => {
    const iou = boxIoU(tf.tensor2d([A]), tf.tensor2d([B]));
    expect(iou.shape).toEqual([1, 1]);
    const v = iou.dataSync()[0];
    expect(v).toBeCloseTo(0.625, 7);
    expect(v > 0.5).toBe(true); // passes at 0.5
    expect(v > 0.75).toBe(false); // fails at 0.75
    iou.dispose();
  });

  it('pairwise [N,4] × [M,4] → [N,M], with disjoint and identical pairs', () => {
    // a0 = (0,0,2,2) area 4; a1 = (1,1,3,3) area 4; b0 = a0; b1 = (10,10,11,11) disjoint.
    // iou(a0,b0) = 1; iou(a1,b0): inter (1..2)² = 1, union 4 + 4 − 1 = 7 → 1/7; others 0.
    const iou = boxIoU(tf.tensor2d([[0, 0, 2, 2], [1, 1, 3, 3]]), tf.tensor2d([[0, 0, 2, 2], [10, 10, 11, 11]]));
    expect(iou.shape).toEqual([2, 2]);
    const v = Array.from(iou.dataSync());
    expect(v[0]).toBeCloseTo(1, 7);
    expect(v[1]).toBe(0);
    expect(v[2]).toBeCloseTo(1 / 7, 7);
    expect(v[3]).toBe(0);
    iou.dispose();
  });

  it('is 0, never NaN, when the union is 0 (two zero-area boxes)', () => {
    const z = tf.tensor2d([[1, 1, 1, 1]]);
    const iou = boxIoU(z, z);
    expect(iou.dataSync()[0]).toBe(0);
    tf.dispose([z, iou]);
  });

  it('accepts cxcywh: (5,5,10,10) and (5,3.125,10,6.25) are the 0.625 pair', () => {
    const iou = boxIoU(tf.tensor2d([[5, 5, 10, 10]]), tf.tensor2d([[5, 3.125, 10, 6.25]]), 'cxcywh');
    expect(iou.dataSync()[0]).toBeCloseTo(0.625, 7);
    iou.dispose();
  });

  it('rejects bad shapes and formats, naming the argument', () => {
    const good = tf.zeros([2, 4]) as tf.Tensor2D;
    const bad = tf.zeros([2, 3]) as tf.Tensor2D;
    expect(() => boxIoU(bad, good)).toThrow(/'a' must be a tensor of shape \[N, 4\]/);
    expect(() => boxIoU(good, bad)).toThrow(/'b' must be a tensor of shape \[M, 4\].*\[2, 3\]/);
    // @ts-expect-error wrong format on purpose
    expect(() => boxIoU(good, good, 'xywh')).toThrow(/'format' must be one of/);
    tf.dispose([good, bad]);
  });

  it('leaks no tensor', () => {
    const a = tf.tensor2d([A]);
    const b = tf.tensor2d([B]);
    expectNoLeak(() => boxIoU(a, b).dispose());
    expectNoLeak(() => tf.tidy(() => { boxIoU(a, b, 'cxcywh'); }));
    expectNoLeak(() => xyxyToCxcywh(a).dispose());
    expectNoLeak(() => cxcywhToXyxy(a).dispose());
    tf.dispose([a, b]);
  });
});

describe('boxIoUArrays and iouFloat32', () => {
  it('agrees with the hand value 0.625', () => {
    expect(boxIoUArrays(A, B)[0]).toBe(0.625);
    expect(iouFloat32(A, 0, B, 0)).toBe(0.625);
  });

  it('pixel-inclusive convention: (0,0,9,9) vs (0,0,9,4) → inter 10·5 = 50, union 100 → 0.5', () => {
    expect(boxIoUArrays([0, 0, 9, 9], [0, 0, 9, 4], { pixelConvention: 'inclusive' })[0]).toBe(0.5);
  });

  it('float32 rounding: an IoU of exactly 1/3 becomes 0.33333334 (> 1/3 in float64)', () => {
    // a = (0,0,2,1) area 2; b = (1,0,3,1) area 2; inter 1; union 3 → 1/3.
    const v = iouFloat32([0, 0, 2, 1], 0, [1, 0, 3, 1], 0);
    expect(v).toBe(Math.fround(1 / 3));
    expect(v > 1 / 3).toBe(true);
  });

  it('zero-area boxes have IoU 0 with everything', () => {
    expect(iouFloat32([1, 1, 1, 5], 0, [0, 0, 5, 5], 0)).toBe(0);
    expect(iouFloat32([1, 1, 1, 1], 0, [1, 1, 1, 1], 0)).toBe(0);
    expect(boxIoUArrays([1, 1, 1, 1], [1, 1, 1, 1])[0]).toBe(0);
  });

  it('property: symmetric, in [0, 1], 1 on itself for positive area; matches the tensor version', () => {
    const box = fc
      .tuple(fc.float({ min: 0, max: 100, noNaN: true }), fc.float({ min: 0, max: 100, noNaN: true }), fc.float({ min: Math.fround(0.01), max: 50, noNaN: true }), fc.float({ min: Math.fround(0.01), max: 50, noNaN: true }))
      .map(([x, y, w, h]) => [x, y, x + w, y + h]);
    fc.assert(
      fc.property(box, box, (a, b) => {
        const ab = boxIoUArrays(a, b)[0];
        const ba = boxIoUArrays(b, a)[0];
        expect(ab).toBe(ba);
        expect(ab).toBeGreaterThanOrEqual(0);
        expect(ab).toBeLessThanOrEqual(1);
        expect(boxIoUArrays(a, a)[0]).toBeCloseTo(1, 12);
        expect(iouFloat32(a, 0, b, 0)).toBeCloseTo(ab, 5);
      }),
      { numRuns: 300, seed: 42 },
    );
    // The tensor version on a batch of random pairs agrees with the float64 one to float32 precision.
    const rows = fc.sample(fc.tuple(box, box), { numRuns: 50, seed: 7 });
    const ta = tf.tensor2d(rows.map((r) => r[0]));
    const tb = tf.tensor2d(rows.map((r) => r[1]));
    const t = boxIoU(ta, tb);
    const tv = t.dataSync();
    const ref = boxIoUArrays(ta.dataSync(), tb.dataSync());
    for (let i = 0; i < tv.length; i++) expect(tv[i]).toBeCloseTo(ref[i], 5);
    tf.dispose([ta, tb, t]);
  });
});

describe('boxIoUArrays options (issue 18, item 5)', () => {
  it('a misspelled option is a ValueError naming it', () => {
    // 'pixelConvension' would otherwise silently score with the continuous convention
    expect(() => boxIoUArrays([0, 0, 1, 1], [0, 0, 1, 1], { pixelConvension: 'inclusive' } as never)).toThrow(ValueError);
    expect(() => boxIoUArrays([0, 0, 1, 1], [0, 0, 1, 1], { pixelConvension: 'inclusive' } as never)).toThrow(/boxIoUArrays: unknown option 'pixelConvension'.*did you mean 'pixelConvention'/);
  });
});
