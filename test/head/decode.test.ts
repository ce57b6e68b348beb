import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { VOC_ANCHORS } from '../../src/anchors.js';
import { decodeBoxes, ShapeError, ValueError } from '../../src/index.js';
import { expectNoLeak, randn, rng } from '../helpers.js';

// One image, 2×2 grid, A = 1 anchor (p_w, p_h) = (1, 2) grid cells, C = 2 classes: 7 channels.
// Cell (j = 1, i = 0) — row (1·2 + 0)·1 + 0 = 2 — holds
//   tx = 0       → σ = 0.5             b_x = (0.5 + 0) / 2            = 0.25
//   ty = ln 3    → σ = 3 / (1 + 3) = 0.75  b_y = (0.75 + 1) / 2        = 0.875
//   tw = ln 2    → b_w = 1 · 2 / 2 = 1
//   th = 0       → b_h = 2 · 1 / 2 = 1
//   box = (0.25 − 0.5, 0.875 − 0.5, 0.25 + 0.5, 0.875 + 0.5) = (−0.25, 0.375, 0.75, 1.375)
//   to = −ln 3   → σ = 1 / (1 + 3) = 0.25
//   logits (ln 3, 0) → softmax = (3/4, 1/4); scores = 0.25 · (3/4, 1/4) = (0.1875, 0.0625)
// All other cells are zero: σ(0) = 0.5, b = p, softmax = (0.5, 0.5), scores (0.25, 0.25).
function oneCellOutput(): tf.Tensor4D {
  const v = new Float32Array(2 * 2 * 7);
  v.set([0, Math.log(3), Math.log(2), 0, -Math.log(3), Math.log(3), 0], (1 * 2 + 0) * 7);
  return tf.tensor4d(v, [1, 2, 2, 7]);
}
const spec1 = { anchors: [[1, 2]] as const, numClasses: 2 };

function close(actual: ArrayLike<number>, expected: number[], digits = 6): void {
  expect(actual.length).toBe(expected.length);
  expected.forEach((e, k) => expect(actual[k]).toBeCloseTo(e, digits));
}

describe('decodeBoxes', () => {
  it('decodes one cell worked by hand', () => {
    const out = oneCellOutput();
    const d = decodeBoxes(out, spec1);
    expect(d.boxes.shape).toEqual([1, 4, 4]);
    expect(d.objectness.shape).toEqual([1, 4]);
    expect(d.classProbs.shape).toEqual([1, 4, 2]);
    expect(d.scores.shape).toEqual([1, 4, 2]);
    const boxes = d.boxes.dataSync();
    close(boxes.subarray(8, 12), [-0.25, 0.375, 0.75, 1.375]);
    close(d.objectness.dataSync().subarray(2, 3), [0.25]);
    close(d.classProbs.dataSync().subarray(4, 6), [0.75, 0.25]);
    close(d.scores.dataSync().subarray(4, 6), [0.1875, 0.0625]);
    // Cell (j = 0, i = 1), row 1, all zero: b_x = (0.5 + 1)/2 = 0.75, b_y = 0.5/2 = 0.25, b_w = 1/2, b_h = 2/2:
    // (0.75 − 0.25, 0.25 − 0.5, 0.75 + 0.25, 0.25 + 0.5) = (0.5, −0.25, 1, 0.75)
    close(boxes.subarray(4, 8), [0.5, -0.25, 1, 0.75]);
    close(d.scores.dataSync().subarray(2, 4), [0.25, 0.25]);
    tf.dispose([out, d.boxes, d.objectness, d.classProbs, d.scores]);
  });

  it('relative anchors are scaled by the grid: r = (0.5, 1) on a 2×2 grid is the grid prior (1, 2)', () => {
    const out = oneCellOutput();
    const a = decodeBoxes(out, spec1);
    const b = decodeBoxes(out, { anchors: [[0.5, 1]], numClasses: 2, anchorUnits: 'relative' });
    close(b.boxes.dataSync(), Array.from(a.boxes.dataSync()));
    tf.dispose([out, a, b] as unknown as tf.Tensor[]);
  });

  it('NCHW equals NHWC after transposing', () => {
    const r = rng(7);
    const C = 3;
    const anchors = VOC_ANCHORS.slice(0, 2);
    const nhwc = tf.tensor4d(randn(r, 2 * 3 * 4 * 2 * (5 + C), 0, 1.5), [2, 3, 4, 2 * (5 + C)]);
    const nchw = tf.transpose(nhwc, [0, 3, 1, 2]) as tf.Tensor4D;
    const a = decodeBoxes(nhwc, { anchors, numClasses: C });
    const b = decodeBoxes(nchw, { anchors, numClasses: C, layout: 'NCHW' });
    for (const k of ['boxes', 'objectness', 'classProbs', 'scores'] as const) {
      expect(b[k].shape).toEqual(a[k].shape);
      close(b[k].dataSync(), Array.from(a[k].dataSync()));
    }
    tf.dispose([nhwc, nchw, a, b] as unknown as tf.Tensor[]);
  });

  it('a channel count other than A·(5+C) is a ShapeError naming all three numbers', () => {
    const bad = tf.zeros([1, 2, 2, 24]) as tf.Tensor4D;
    expect(() => decodeBoxes(bad, { anchors: VOC_ANCHORS, numClasses: 20 })).toThrow(ShapeError);
    expect(() => decodeBoxes(bad, { anchors: VOC_ANCHORS, numClasses: 20 })).toThrow(/24 channels.*5·\(5\+20\) = 125.*A = 5.*C = 20/);
    const badNchw = tf.zeros([1, 24, 2, 2]) as tf.Tensor4D;
    expect(() => decodeBoxes(badNchw, { anchors: VOC_ANCHORS, numClasses: 20, layout: 'NCHW' })).toThrow(/24 channels/);
    expect(() => decodeBoxes(tf.zeros([2, 2]) as unknown as tf.Tensor4D, spec1)).toThrow(ShapeError);
    tf.dispose([bad, badNchw]);
  });

  it('rejects a bad spec with a ValueError naming the option', () => {
    const out = oneCellOutput();
    expect(() => decodeBoxes(out, { ...spec1, layout: 'NWHC' as never })).toThrow(/'layout'/);
    expect(() => decodeBoxes(out, { ...spec1, numClasses: 0 })).toThrow(/'numClasses'/);
    out.dispose();
  });

  it('stays finite for logits of ±80', () => {
    const C = 2;
    const v = new Float32Array(2 * 2 * 2 * (5 + C)).map((_, k) => (k % 3 === 0 ? 80 : k % 3 === 1 ? -80 : 0));
    const out = tf.tensor4d(v, [1, 2, 2, 2 * (5 + C)]);
    const d = decodeBoxes(out, { anchors: [[1, 1], [2, 3]], numClasses: C });
    for (const t of [d.boxes, d.objectness, d.classProbs, d.scores]) {
      expect(Array.from(t.dataSync()).every(Number.isFinite)).toBe(true);
    }
    // tw = 80 is clamped to 20: b_w = p_w · e^20 / W.
    tf.dispose([out, d.boxes, d.objectness, d.classProbs, d.scores]);
  });

  it('matches a plain reference on random input (both softmax paths are exercised by the backend matrix)', () => {
    const r = rng(9);
    const [B, Hh, Ww, anchors, C] = [2, 3, 4, [[1.5, 2], [0.5, 0.75], [3, 1]] as Array<[number, number]>, 4];
    const A = anchors.length;
    const D = 5 + C;
    const raw = randn(r, B * Hh * Ww * A * D, 0, 3);
    const out = tf.tensor4d(raw, [B, Hh, Ww, A * D]);
    const d = decodeBoxes(out, { anchors, numClasses: C });
    const [boxes, obj, probs, scores] = [d.boxes.dataSync(), d.objectness.dataSync(), d.classProbs.dataSync(), d.scores.dataSync()];
    const sig = (x: number): number => 1 / (1 + Math.exp(-x));
    for (let b = 0; b < B; b++) for (let j = 0; j < Hh; j++) for (let i = 0; i < Ww; i++) for (let a = 0; a < A; a++) {
      const row = ((j * Ww + i) * A + a);
      const n = b * Hh * Ww * A + row;
      const t = raw.subarray(n * D, (n + 1) * D);
      const bx = (sig(t[0]) + i) / Ww;
      const by = (sig(t[1]) + j) / Hh;
      const bw = (anchors[a][0] * Math.exp(Math.min(t[2], 20))) / Ww;
      const bh = (anchors[a][1] * Math.exp(Math.min(t[3], 20))) / Hh;
      // float32: relative error ~1e-7 of box sizes up to e^9
      [bx - bw / 2, by - bh / 2, bx + bw / 2, by + bh / 2].forEach((e, k) =>
        expect(Math.abs(boxes[n * 4 + k] - e)).toBeLessThan(1e-6 * Math.max(1, Math.abs(e))));
      expect(obj[n]).toBeCloseTo(sig(t[4]), 6);
      const logits = Array.from(t.subarray(5));
      const m = Math.max(...logits);
      const z = logits.reduce((acc, v) => acc + Math.exp(v - m), 0);
      const p = logits.map((v) => Math.exp(v - m) / z);
      close(probs.subarray(n * C, n * C + C), p, 6);
      close(scores.subarray(n * C, n * C + C), p.map((v) => v * sig(t[4])), 6);
    }
    tf.dispose([out, d.boxes, d.objectness, d.classProbs, d.scores]);
  });

  it('is differentiable (finite gradient of the scores, zero beyond the tw clamp)', () => {
    const v = new Float32Array(1 * 2 * 2 * 7);
    v[2] = 30; // row 0, tw = 30 > 20: clamped
    const out = tf.tensor4d(v, [1, 2, 2, 7]);
    const g = tf.grad((x: tf.Tensor) => tf.sum(decodeBoxes(x as tf.Tensor4D, spec1).boxes))(out);
    const gd = g.dataSync();
    expect(Array.from(gd).every(Number.isFinite)).toBe(true);
    expect(gd[2]).toBe(0); // ∂/∂tw beyond the clamp
    tf.dispose([out, g]);
  });

  it('leaks no tensors', () => {
    const out = oneCellOutput();
    expectNoLeak(() => tf.dispose(decodeBoxes(out, spec1) as unknown as tf.Tensor[]));
    expectNoLeak(() => tf.tidy(() => { decodeBoxes(out, spec1); }));
    expectNoLeak(() => expect(() => decodeBoxes(out, { anchors: VOC_ANCHORS, numClasses: 2 })).toThrow());
    out.dispose();
  });
});

describe('decodeBoxes result as a TensorContainer', () => {
  it('can be returned from tf.tidy and passed to tf.dispose as is', () => {
    const before = tf.memory().numTensors;
    const out = tf.zeros([1, 2, 2, 7]) as tf.Tensor4D;
    const decoded = tf.tidy(() => decodeBoxes(out, { anchors: [[1, 1]], numClasses: 2 }));
    expect(decoded.boxes.shape).toEqual([1, 4, 4]);
    tf.dispose(decoded);
    out.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('decodeBoxes: dtype (issue 18, item 10)', () => {
  it('an int32 head is a ValueError naming the dtype, and nothing leaks', () => {
    const out = tf.zeros([1, 2, 2, 1 * (5 + 2)], 'int32') as tf.Tensor4D;
    expectNoLeak(() => {
      let err: unknown;
      try {
        decodeBoxes(out, { anchors: [[1, 1]], numClasses: 2 });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ValueError);
      expect((err as Error).message).toMatch(/decodeBoxes: 'output' must be a float32 tensor .*got dtype int32/);
    });
    out.dispose();
  });
});
