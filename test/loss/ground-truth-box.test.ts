/**
 * Ground truth outside the image (issue 18, item 6): packTargets, buildTargets and YOLOv2Loss reject
 * cx, cy outside [0, 1] and w, h outside (0, 1] with a TargetError naming image, row and value, unless
 * `outside: 'clip'` intersects the box with the image.
 *
 * Why it matters, by hand, on the 2×2 grid of test/fixtures/loss.ts (anchors a0 = (1, 1), a1 = (2, 1) in
 * cells, C = 2), an all-zero output and one box (class 0, cx = cy = 0.5, w = h = 1.5):
 * - darknet's coordinate weight is 2 − w·h = 2 − 1.5·1.5 = 2 − 2.25 = −0.25 < 0 (it turns negative for any
 *   w·h > 2). In grid units g = (1, 1, 3, 3), cell (1, 1); anchor a1 (IoU 2/9 beats a0's 1/9); targets
 *   (1 − 1, 1 − 1, ln(3/2), ln(3/1)) against the prediction (σ(0), σ(0), 0, 0) = (½, ½, 0, 0):
 *   coord = ½ · (−0.25) · (¼ + ¼ + ln²1.5 + ln²3) = −0.125 · (0.5 + 0.16440 + 1.20695) = −0.2339,
 *   a negative loss whose gradient pushes the prediction away from the target (today's main returns it).
 * - clipped, the box is [−0.25, 1.25]² ∩ [0, 1]² = [0, 1]², i.e. (0.5, 0.5, 1, 1): weight 2 − 1 = 1,
 *   g = (1, 1, 2, 2), cell (1, 1), anchor a1 (IoU 2/4 beats a0's 1/4), row (1·2 + 1)·2 + 1 = 7, targets
 *   (0, 0, ln(2/2), ln(2/1)) = (0, 0, 0, ln 2): coord = ½ · 1 · (¼ + ¼ + 0 + ln²2) = ½ · (0.5 + 0.480453) = 0.490227.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { buildTargets, packTargets, TargetError, ValueError, YOLOv2Loss } from '../../src/index.js';
import type { YOLOv2LossConfig } from '../../src/loss/presets.js';
import { ANCHORS, C, H, W } from '../fixtures/loss.js';
import { expectNoLeak, thrown } from '../helpers.js';

const base = { anchors: ANCHORS as unknown as YOLOv2LossConfig['anchors'], numClasses: C };
const A = ANCHORS.length;
const zeros = (): tf.Tensor4D => tf.zeros([1, H, W, A * (5 + C)]);

/** Run `fn`, expect a TargetError naming image `b`, row `r` and `text`, and no leaked tensor. */
function expectTargetError(fn: () => unknown, b: number, r: number, text: RegExp): void {
  let err: Error | undefined;
  expectNoLeak(() => (err = thrown(fn)));
  expect(err).toBeInstanceOf(TargetError);
  expect(err?.message).toMatch(new RegExp(`image ${b}, row ${r}`));
  expect(err?.message).toMatch(text);
  expect([(err as TargetError).image, (err as TargetError).row]).toEqual([b, r]);
}

describe('ground truth outside the image', () => {
  const outsideRows: Array<[number[], RegExp]> = [
    [[0, 1.5, 0.5, 0.2, 0.2], /cx must be in \[0, 1\].*cx = 1\.5/],
    [[0, 0.5, -0.1, 0.2, 0.2], /cy must be in \[0, 1\].*cy = -0\.1/],
    [[0, 1e6, 0.5, 0.2, 0.2], /cx = 1000000/],
    [[0, 0.5, 0.5, 1.5, 1.5], /w must be in \(0, 1\].*w = 1\.5/],
    [[0, 0.5, 0.5, 0.5, 5], /h must be in \(0, 1\].*h = 5/],
  ];

  it('packTargets rejects each with a TargetError naming image, row and value', () => {
    for (const [[cls, ...box], msg] of outsideRows) {
      const ann = [[{ classId: 0, box: [0.5, 0.5, 0.1, 0.1] as const }], [{ classId: 0, box: [0.5, 0.5, 0.1, 0.1] as const }, { classId: cls, box: box as never }]];
      expectTargetError(() => packTargets(ann), 1, 1, msg);
      expectTargetError(() => packTargets(ann, { maxBoxes: 3 }), 1, 1, /outside: 'clip'/);
    }
  });

  it('buildTargets and YOLOv2Loss.compute reject each with a TargetError naming image, row and value', () => {
    const output = zeros();
    const loss = new YOLOv2Loss(base);
    for (const [row, msg] of outsideRows) {
      const targets = tf.tensor3d([[[-1, 0, 0, 0, 0], row]]);
      expectTargetError(() => buildTargets(output, targets, base), 0, 1, msg);
      expectTargetError(() => loss.compute(output, targets), 0, 1, msg);
      targets.dispose();
    }
    output.dispose();
  });

  it('accepts the edges: cx, cy ∈ {0, 1} and w = h = 1', () => {
    const edge = [[{ classId: 0, box: [0, 1, 1, 1] as const }, { classId: 1, box: [1, 0, 0.5, 1] as const }]];
    const t = packTargets(edge);
    expect(Array.from(t.dataSync())).toEqual([0, 0, 1, 1, 1, 1, 1, 0, 0.5, 1]);
    const output = zeros();
    const terms = new YOLOv2Loss(base).compute(output, t);
    expect(Number.isFinite(terms.total.dataSync()[0])).toBe(true);
    tf.dispose([t, output, terms as never]);
  });

  it("outside: 'clip' intersects the box with the image (numbers in the file comment)", () => {
    const output = zeros();
    const targets = tf.tensor3d([[[0, 0.5, 0.5, 1.5, 1.5]]]);
    const cfg = { ...base, outside: 'clip' as const };
    const t = buildTargets(output, targets, cfg);
    expect(Array.from(t.objMask.dataSync())).toEqual([0, 0, 0, 0, 0, 0, 0, 1]);
    const coords = t.coords.dataSync().subarray(28, 32);
    [0, 0, 0, Math.log(2)].forEach((e, k) => expect(coords[k], `coord ${k}`).toBeCloseTo(e, 6));
    expect(Array.from(t.coordWeights.dataSync().subarray(28, 32))).toEqual([1, 1, 1, 1]);
    const terms = new YOLOv2Loss(cfg).compute(output, targets);
    expect(terms.coord.dataSync()[0]).toBeCloseTo(0.5 * (0.25 + 0.25 + Math.log(2) ** 2), 5); // 0.490227
    expect(terms.coord.dataSync()[0]).toBeGreaterThan(0);
    tf.dispose([output, targets, t as never, terms as never]);
  });

  it("packTargets with outside: 'clip': (1.2, 0.5, 0.6, 0.2) → x ∈ [0.9, 1.5] ∩ [0, 1] = [0.9, 1] → (0.95, 0.5, 0.1, 0.2)", () => {
    const t = packTargets([[{ classId: 3, box: [1.2, 0.5, 0.6, 0.2] }, { classId: 1, box: [0.5, 0.5, 0.2, 0.2] }]], { outside: 'clip' });
    const v = t.dataSync();
    [3, 0.95, 0.5, 0.1, 0.2, 1, 0.5, 0.5, 0.2, 0.2].forEach((e, k) => expect(v[k], `value ${k}`).toBeCloseTo(e, 6));
    t.dispose();
  });

  it("outside: 'clip' still rejects a box with nothing inside the image, and non-finite values", () => {
    expectTargetError(() => packTargets([[{ classId: 0, box: [1.5, 0.5, 0.2, 0.2] }]], { outside: 'clip' }), 0, 0, /entirely outside/);
    expectTargetError(() => packTargets([[{ classId: 0, box: [Infinity, 0.5, 0.2, 0.2] }]], { outside: 'clip' }), 0, 0, /finite/);
    const output = zeros();
    const targets = tf.tensor3d([[[0, 0.5, -0.3, 0.2, 0.4]]]);
    expectTargetError(() => buildTargets(output, targets, { ...base, outside: 'clip' }), 0, 0, /entirely outside/);
    tf.dispose([output, targets]);
  });

  it('the option is checked: unknown value or key → ValueError naming it; maxBoxes as a number still works', () => {
    expect(() => packTargets([[]], { outside: 'clamp' as never })).toThrow(ValueError);
    expect(() => packTargets([[]], { outside: 'clamp' as never })).toThrow(/'outside'.*'error', 'clip'.*"clamp"/);
    expect(() => packTargets([[]], { maxBoxs: 2 } as never)).toThrow(/unknown option 'maxBoxs'.*did you mean 'maxBoxes'/);
    expect(() => new YOLOv2Loss({ ...base, outside: 'clamp' as never })).toThrow(/'outside'/);
    const t = packTargets([[]], 2);
    expect(t.shape).toEqual([1, 2, 5]);
    t.dispose();
  });
});
