/**
 * A non-finite head output (issue 18, item 7): YOLOv2Loss.compute, computeWithTargets and buildTargets throw a
 * ValueError naming the first NaN/±Inf position (like postprocess), without leaking a tensor;
 * `checkFinite: false` skips the check (the loss is then NaN, for the trainer's guard to catch).
 *
 * Head of test/fixtures/loss.ts: H = W = 2, A = 2, C = 2, so D = 5 + C = 7 numbers per anchor and
 * A·D = 14 channels. Channel 9 = anchor ⌊9/7⌋ = 1, field 9 − 7 = 2 = tw; channel 12 = anchor 1, field 5 = class 0.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { buildTargets, ValueError, YOLOv2Loss } from '../../src/index.js';
import type { YOLOv2LossConfig } from '../../src/loss/presets.js';
import { ANCHORS, C, H, W } from '../fixtures/loss.js';
import { expectNoLeak, thrown } from '../helpers.js';

const base = { anchors: ANCHORS as unknown as YOLOv2LossConfig['anchors'], numClasses: C };
const CH = ANCHORS.length * (5 + C);
const B = 2;

/** An NHWC output [2, 2, 2, 14] of small values with `value` at [b, y, x, c]. */
function outputWith(value: number, [b, y, x, c]: number[]): tf.Tensor4D {
  const data = Float32Array.from({ length: B * H * W * CH }, (_, k) => ((k * 7) % 11) / 10 - 0.5);
  data[((b * H + y) * W + x) * CH + c] = value;
  return tf.tensor4d(data, [B, H, W, CH]);
}

const targets = (): tf.Tensor3D => tf.tensor3d([[[0, 0.3, 0.3, 0.4, 0.4]], [[1, 0.7, 0.6, 0.2, 0.5]]]);

function expectValueError(fn: () => unknown, text: RegExp): void {
  let err: Error | undefined;
  expectNoLeak(() => (err = thrown(fn)));
  expect(err).toBeInstanceOf(ValueError);
  expect(err?.message).toMatch(text);
}

describe('a non-finite head output', () => {
  it('YOLOv2Loss.compute names the first bad position, for NaN, +Inf and −Inf', () => {
    const loss = new YOLOv2Loss(base);
    const gt = targets();
    const cases: Array<[number, number[], RegExp]> = [
      [NaN, [1, 0, 1, 9], /YOLOv2Loss\.compute: 'output' must be finite everywhere, got NaN at output\[1, 0, 1, 9\] \(image 1, cell row 0, column 1, anchor 1, tw\)/],
      [Infinity, [0, 1, 0, 12], /got Infinity at output\[0, 1, 0, 12\] \(image 0, cell row 1, column 0, anchor 1, class 0\)/],
      [-Infinity, [0, 0, 0, 4], /got -Infinity at output\[0, 0, 0, 4\] \(image 0, cell row 0, column 0, anchor 0, to\)/],
    ];
    for (const [value, at, msg] of cases) {
      const output = outputWith(value, at);
      expectValueError(() => loss.compute(output, gt), msg);
      output.dispose();
    }
    gt.dispose();
  });

  it('the first of several bad values is named (row-major order of the tensor)', () => {
    const output = outputWith(NaN, [1, 1, 1, 13]);
    const data = output.dataSync().slice();
    data[(0 * H * W + 1 * W + 0) * CH + 3] = Infinity; // [0, 1, 0, 3] comes first
    const two = tf.tensor4d(data, output.shape);
    const gt = targets();
    expectValueError(() => new YOLOv2Loss(base).compute(two, gt), /Infinity at output\[0, 1, 0, 3\] \(image 0, cell row 1, column 0, anchor 0, th\)/);
    tf.dispose([output, two, gt]);
  });

  it('NCHW: the position is an index of the NCHW tensor', () => {
    const nhwc = outputWith(NaN, [1, 0, 1, 9]);
    const nchw = tf.transpose(nhwc, [0, 3, 1, 2]) as tf.Tensor4D;
    const gt = targets();
    expectValueError(
      () => new YOLOv2Loss({ ...base, layout: 'NCHW' }).compute(nchw, gt),
      /NaN at output\[1, 9, 0, 1\] \(image 1, cell row 0, column 1, anchor 1, tw\)/,
    );
    tf.dispose([nhwc, nchw, gt]);
  });

  it('computeWithTargets and buildTargets check too', () => {
    const clean = outputWith(0, [0, 0, 0, 0]);
    const gt = targets();
    const fixed = buildTargets(clean, gt, base);
    const bad = outputWith(NaN, [0, 1, 1, 7]);
    const loss = new YOLOv2Loss(base);
    expectValueError(() => loss.computeWithTargets(bad, fixed), /computeWithTargets: 'output' must be finite.*output\[0, 1, 1, 7\] \(image 0, cell row 1, column 1, anchor 1, tx\)/);
    expectValueError(() => buildTargets(bad, gt, base), /buildTargets: 'output' must be finite.*output\[0, 1, 1, 7\]/);
    tf.dispose([clean, gt, bad, fixed as never]);
  });

  it('checkFinite: false skips the check: the loss is NaN (what the trainer guard catches)', () => {
    // channel 11 = anchor 1, to: every anchor's to enters the no-object (or objectness) term
    const output = outputWith(NaN, [1, 0, 1, 11]);
    const gt = targets();
    const terms = new YOLOv2Loss({ ...base, checkFinite: false }).compute(output, gt);
    expect(Number.isNaN(terms.total.dataSync()[0])).toBe(true);
    expect(() => new YOLOv2Loss({ ...base, checkFinite: 'no' as never })).toThrow(/'checkFinite' must be a boolean/);
    tf.dispose([output, gt, terms as never]);
  });

  it('state.checkFinite overrides the config for one call; state keys are checked', () => {
    const output = outputWith(NaN, [1, 0, 1, 11]);
    const gt = targets();
    const checking = new YOLOv2Loss(base);
    const terms = checking.compute(output, gt, { seenImages: 0, checkFinite: false });
    expect(Number.isNaN(terms.total.dataSync()[0])).toBe(true);
    const lax = new YOLOv2Loss({ ...base, checkFinite: false });
    expectValueError(() => lax.compute(output, gt, { checkFinite: true }), /NaN at output\[1, 0, 1, 11\] \(image 1, cell row 0, column 1, anchor 1, to\)/);
    expectValueError(() => checking.compute(output, gt, { checkFinite: 0 } as never), /'state.checkFinite' must be a boolean, got 0/);
    expectValueError(() => checking.compute(output, gt, { seenImage: 5 } as never), /YOLOv2Loss\.compute: unknown option 'seenImage' in 'state'.*did you mean 'seenImages'/);
    tf.dispose([output, gt, terms as never]);
  });

  it('a finite output passes: same terms with and without the check', () => {
    const output = outputWith(0.25, [0, 0, 0, 0]);
    const gt = targets();
    const a = new YOLOv2Loss(base).compute(output, gt);
    const b = new YOLOv2Loss({ ...base, checkFinite: false }).compute(output, gt);
    expect(Number.isFinite(a.total.dataSync()[0])).toBe(true);
    expect(a.total.dataSync()[0]).toBe(b.total.dataSync()[0]);
    tf.dispose([output, gt, a as never, b as never]);
  });
});
