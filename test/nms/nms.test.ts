import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  iouFloat32,
  nms,
  nmsArrays,
  nmsArraysWithScores,
  nmsWithScores,
  ShapeError,
  ValueError,
  type NmsArrayOptions,
} from '../../src/index.js';
import { expectNoLeak, rng } from '../helpers.js';

// ---------------------------------------------------------------------------------------------
// A tiny, obviously-correct O(N²) reference, written the way torchvision's CPU kernel is: sort by
// score (ties lower index first), keep the next unsuppressed box, mark every later box of the same
// class with IoU > threshold as suppressed. Soft-NMS: pick the arg-max of the current scores among
// the remaining boxes, decay every remaining box, drop those at or below the score threshold.
// ---------------------------------------------------------------------------------------------
interface RefOptions {
  iouThreshold?: number;
  scoreThreshold?: number;
  maxDetections?: number;
  classIds?: number[];
  method?: 'greedy' | 'soft-linear' | 'soft-gaussian';
  sigma?: number;
}

function referenceNms(boxes: number[][], scores: number[], o: RefOptions = {}): { indices: number[]; scores: number[] } {
  const { iouThreshold = 0.45, scoreThreshold = 0.005, maxDetections = 100, classIds, method = 'greedy', sigma = 0.5 } = o;
  const flat = boxes.flat();
  const s = scores.map((v) => Math.fround(v));
  const sameClass = (i: number, j: number) => !classIds || classIds[i] === classIds[j];
  const cand = s.map((_, i) => i).filter((i) => s[i] > scoreThreshold);
  const indices: number[] = [];
  const kept: number[] = [];
  if (method === 'greedy') {
    const order = [...cand].sort((a, b) => s[b] - s[a] || a - b);
    const suppressed = new Set<number>();
    for (const i of order) {
      if (indices.length >= maxDetections) break;
      if (suppressed.has(i)) continue;
      indices.push(i);
      kept.push(s[i]);
      for (const j of order) {
        if (j !== i && sameClass(i, j) && iouFloat32(flat, i, flat, j) > iouThreshold) suppressed.add(j);
      }
    }
    return { indices, scores: kept };
  }
  const remaining = new Set(cand);
  while (remaining.size > 0 && indices.length < maxDetections) {
    let pick = -1;
    for (const i of remaining) if (pick < 0 || s[i] > s[pick] || (s[i] === s[pick] && i < pick)) pick = i;
    remaining.delete(pick);
    indices.push(pick);
    kept.push(s[pick]);
    for (const j of [...remaining]) {
      if (!sameClass(pick, j)) continue;
      const iou = iouFloat32(flat, pick, flat, j);
      if (method === 'soft-linear') {
        if (iou > iouThreshold) s[j] = Math.fround(s[j] * (1 - iou));
      } else {
        s[j] = Math.fround(s[j] * Math.exp(-(iou * iou) / sigma));
      }
      if (s[j] <= scoreThreshold) remaining.delete(j);
    }
  }
  return { indices, scores: kept };
}

/** Random boxes with ties, zero-area boxes, some large boxes; coordinates are float32 values. */
function randomCase(seed: number, n: number, classes = 0) {
  const r = rng(seed);
  const field = 100;
  const big = r() < 0.5; // half the cases also hold boxes spanning most of the field
  const boxes: number[][] = [];
  const scores: number[] = [];
  const classIds: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = r() * field, y = r() * field;
    const u = r();
    const w = u < 0.08 ? 0 : big && u > 0.95 ? 50 + r() * 50 : 2 + r() * 20;
    const h = u < 0.04 ? 5 : u < 0.08 ? 0 : big && u > 0.95 ? 50 + r() * 50 : 2 + r() * 20;
    boxes.push([x, y, x + w, y + h].map(Math.fround));
    // Quantised scores so that ties are common.
    scores.push(Math.fround(Math.floor(r() * 20) / 20));
    classIds.push(classes > 0 ? Math.floor(r() * classes) : 0);
  }
  // An exact duplicate of box 0 with the same score exercises the tie rule.
  if (n > 2) {
    boxes[n - 1] = [...boxes[0]];
    scores[n - 1] = scores[0];
  }
  return { boxes, scores, classIds };
}

function run(boxes: number[][], scores: number[], o: NmsArrayOptions) {
  const out = nmsArraysWithScores(boxes.flat(), scores, o);
  return { indices: Array.from(out.indices), scores: Array.from(out.scores) };
}

describe('nms: hand-computed fixtures', () => {
  // a = (0,0,10,10): area 100; b = (0,0,10,6.25): area 62.5; inter = 10 · 6.25 = 62.5;
  // union = 100 + 62.5 − 62.5 = 100; IoU = 0.625 (exact in float32).
  const pair = [[0, 0, 10, 10], [0, 0, 10, 6.25]];
  const pairScores = [0.9, 0.8];

  it('IoU 0.625: suppressed at 0.5 (0.625 > 0.5), kept at 0.75', () => {
    expect(Array.from(nmsArrays(pair.flat(), pairScores, { iouThreshold: 0.5 }))).toEqual([0]);
    expect(Array.from(nmsArrays(pair.flat(), pairScores, { iouThreshold: 0.75 }))).toEqual([0, 1]);
    // The lower-scored box first in the input: the order of the output follows the scores.
    expect(Array.from(nmsArrays([...pair[1], ...pair[0]], [0.8, 0.9], { iouThreshold: 0.75 }))).toEqual([1, 0]);
  });

  it('IoU exactly 1/3 in float32 is 0.33333334 > 1/3: suppressed at threshold 1/3', () => {
    // (0,0,2,1) and (1,0,3,1): areas 2 and 2, inter 1 · 1 = 1, union 2 + 2 − 1 = 3, IoU = fround(1/3).
    const boxes = [0, 0, 2, 1, 1, 0, 3, 1];
    expect(Array.from(nmsArrays(boxes, [0.9, 0.8], { iouThreshold: 1 / 3 }))).toEqual([0]);
    // At the float32 value itself IoU == threshold, not above: kept.
    expect(Array.from(nmsArrays(boxes, [0.9, 0.8], { iouThreshold: Math.fround(1 / 3) }))).toEqual([0, 1]);
  });

  it('IoU exactly 0.5 at threshold 0.5 is kept (suppressed only when IoU > threshold)', () => {
    // (0,0,2,1) area 2 and (0,0,1,1) area 1: inter 1, union 2 + 1 − 1 = 2, IoU = 1/2.
    const boxes = [0, 0, 2, 1, 0, 0, 1, 1];
    expect(Array.from(nmsArrays(boxes, [0.9, 0.8], { iouThreshold: 0.5 }))).toEqual([0, 1]);
    expect(Array.from(nmsArrays(boxes, [0.9, 0.8], { iouThreshold: 0.49 }))).toEqual([0]);
  });

  it('equal scores: the lower index is visited first', () => {
    // Identical boxes 0 and 1 (IoU 1) with equal scores: box 0 wins, whatever their order in a larger set.
    expect(Array.from(nmsArrays([0, 0, 1, 1, 0, 0, 1, 1], [0.5, 0.5]))).toEqual([0]);
    // Boxes 0 and 2 tie at 0.7 and do not overlap; box 1 scores higher: keep order 1, 0, 2.
    expect(Array.from(nmsArrays([0, 0, 1, 1, 5, 5, 6, 6, 10, 10, 11, 11], [0.7, 0.9, 0.7]))).toEqual([1, 0, 2]);
  });

  it('zero-area boxes never suppress and are never suppressed', () => {
    // Box 0 = (5,5,5,9) has width 0 and the top score inside box 1 = (0,0,10,10); box 2 is a point,
    // box 3 a duplicate of box 2; box 4 is inverted (x2 < x1): IoU 0 with everything.
    const boxes = [5, 5, 5, 9, 0, 0, 10, 10, 3, 3, 3, 3, 3, 3, 3, 3, 8, 0, 2, 10];
    expect(Array.from(nmsArrays(boxes, [0.9, 0.8, 0.7, 0.6, 0.5], { iouThreshold: 0 }))).toEqual([0, 1, 2, 3, 4]);
  });

  it('iouThreshold 0 suppresses any positive overlap, but not boxes that only touch', () => {
    // (0,0,1,1) and (1,0,2,1) share an edge: inter 0 → IoU 0, not > 0. (0.5,0,1.5,1) overlaps both.
    const boxes = [0, 0, 1, 1, 1, 0, 2, 1, 0.5, 0, 1.5, 1];
    expect(Array.from(nmsArrays(boxes, [0.9, 0.8, 0.7], { iouThreshold: 0 }))).toEqual([0, 1]);
  });

  it('scoreThreshold keeps scores strictly above it; -Infinity keeps every finite score', () => {
    const boxes = [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5];
    expect(Array.from(nmsArrays(boxes, [0.005, 0.006, -3]))).toEqual([1]); // default 0.005: 0.005 is not above
    expect(Array.from(nmsArrays(boxes, [0.005, 0.006, -3], { scoreThreshold: -Infinity }))).toEqual([1, 0, 2]);
    // Negative scores order correctly; −0 and +0 are equal scores (lower index first).
    expect(Array.from(nmsArrays(boxes, [-1, -0.5, -2], { scoreThreshold: -Infinity }))).toEqual([1, 0, 2]);
    expect(Array.from(nmsArrays(boxes, [-0, 0, -0], { scoreThreshold: -Infinity }))).toEqual([0, 1, 2]);
    expect(Array.from(nmsArrays(boxes, [0, -0, 1e-30], { scoreThreshold: -Infinity }))).toEqual([2, 0, 1]);
  });

  it('maxDetections caps the output; 0 gives none; Infinity gives all', () => {
    const boxes = Array.from({ length: 150 }, (_, i) => [2 * i, 0, 2 * i + 1, 1]).flat();
    const scores = Array.from({ length: 150 }, (_, i) => 1 - i / 1000);
    expect(nmsArrays(boxes, scores).length).toBe(100); // default
    expect(Array.from(nmsArrays(boxes, scores, { maxDetections: 3 }))).toEqual([0, 1, 2]);
    expect(nmsArrays(boxes, scores, { maxDetections: 0 }).length).toBe(0);
    expect(nmsArrays(boxes, scores, { maxDetections: Infinity }).length).toBe(150);
  });

  it('class-aware: never suppresses across classes, merged by score', () => {
    // Boxes 0 and 1 are identical (IoU 1). Classes 0 and 1: both kept; same class: only box 0.
    // Box 2 (class 1) overlaps box 1 with IoU 0.625 and is suppressed by it at 0.5.
    const boxes = [0, 0, 10, 10, 0, 0, 10, 10, 0, 0, 10, 6.25];
    const scores = [0.6, 0.8, 0.7];
    expect(Array.from(nmsArrays(boxes, scores, { iouThreshold: 0.5, classIds: [0, 1, 1] }))).toEqual([1, 0]);
    // Classes [0, 1, 0]: box 1 (class 1, 0.8) kept; box 2 (class 0, 0.7) kept; box 0 (class 0, 0.6) has
    // IoU 0.625 > 0.5 with box 2 of its class: suppressed.
    expect(Array.from(nmsArrays(boxes, scores, { iouThreshold: 0.5, classIds: [0, 1, 0] }))).toEqual([1, 2]);
    expect(Array.from(nmsArrays(boxes, scores, { iouThreshold: 0.5, classIds: [0, 1, 2] }))).toEqual([1, 2, 0]);
    expect(Array.from(nmsArrays(boxes, scores, { iouThreshold: 0.5 }))).toEqual([1]);
  });

  it('soft-linear: s ← s·(1 − IoU) when IoU > threshold; the pick order follows the decayed scores', () => {
    // Box 1 overlaps box 0 with IoU 0.625 > 0.45: 0.8 → 0.8 · (1 − 0.625) = 0.8 · 0.375 = 0.3 (float32).
    // Box 2 is far away (IoU 0) and keeps 0.5, so it now comes before box 1.
    const boxes = [0, 0, 10, 10, 0, 0, 10, 6.25, 50, 50, 60, 60];
    const out = nmsArraysWithScores(boxes, [0.9, 0.8, 0.5], { method: 'soft-linear' });
    expect(Array.from(out.indices)).toEqual([0, 2, 1]);
    expect(Array.from(out.scores)).toEqual([Math.fround(0.9), Math.fround(0.5), Math.fround(Math.fround(0.8) * 0.375)]);
    expect(out.scores[2]).toBeCloseTo(0.3, 7);
    // At iouThreshold 0.7 the IoU 0.625 is not above the threshold: no decay.
    const noDecay = nmsArraysWithScores(boxes, [0.9, 0.8, 0.5], { method: 'soft-linear', iouThreshold: 0.7 });
    expect(Array.from(noDecay.indices)).toEqual([0, 1, 2]);
    // scoreThreshold 0.35: the decayed 0.3 ≤ 0.35 is dropped.
    const dropped = nmsArraysWithScores(boxes, [0.9, 0.8, 0.5], { method: 'soft-linear', scoreThreshold: 0.35 });
    expect(Array.from(dropped.indices)).toEqual([0, 2]);
  });

  it('soft-gaussian: s ← s·exp(−IoU²/σ), σ default 0.5', () => {
    // IoU 0.625: 0.8 · exp(−0.390625 / 0.5) = 0.8 · exp(−0.78125) = 0.8 · 0.457833… = 0.366266…
    const boxes = [0, 0, 10, 10, 0, 0, 10, 6.25];
    const out = nmsArraysWithScores(boxes, [0.9, 0.8], { method: 'soft-gaussian' });
    expect(Array.from(out.indices)).toEqual([0, 1]);
    expect(out.scores[1]).toBe(Math.fround(Math.fround(0.8) * Math.exp(-0.78125)));
    expect(out.scores[1]).toBeCloseTo(0.366266, 5);
    // σ = 0.1: 0.8 · exp(−3.90625) = 0.016085…
    const narrow = nmsArraysWithScores(boxes, [0.9, 0.8], { method: 'soft-gaussian', sigma: 0.1 });
    expect(narrow.scores[1]).toBeCloseTo(0.8 * Math.exp(-3.90625), 6);
  });
});

describe('nms: agrees with the O(N²) reference on random inputs', () => {
  const sizes = [0, 1, 2, 3, 10, 60, 250];
  it('greedy, at several thresholds and caps', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const n = sizes[seed % sizes.length];
      const { boxes, scores } = randomCase(seed, n);
      for (const o of [
        { iouThreshold: 0.5 },
        { iouThreshold: 0, scoreThreshold: -Infinity, maxDetections: Infinity },
        { iouThreshold: 0.3, maxDetections: 7 },
        { iouThreshold: 1, scoreThreshold: 0.5 },
      ]) {
        expect(run(boxes, scores, o)).toEqual(referenceNms(boxes, scores, o));
      }
    }
  });

  it('class-aware greedy', () => {
    for (let seed = 100; seed < 130; seed++) {
      const { boxes, scores, classIds } = randomCase(seed, sizes[seed % sizes.length], 3);
      for (const o of [{ iouThreshold: 0.45, classIds }, { iouThreshold: 0.2, classIds, maxDetections: 5 }]) {
        expect(run(boxes, scores, o)).toEqual(referenceNms(boxes, scores, o));
      }
    }
  });

  it('soft-NMS, linear and gaussian, with and without classes', () => {
    for (let seed = 200; seed < 230; seed++) {
      const { boxes, scores, classIds } = randomCase(seed, sizes[seed % sizes.length], seed % 2 ? 3 : 0);
      for (const o of [
        { method: 'soft-linear' as const, iouThreshold: 0.3 },
        { method: 'soft-linear' as const, iouThreshold: 0, scoreThreshold: 0.2, classIds },
        { method: 'soft-gaussian' as const, maxDetections: Infinity },
        { method: 'soft-gaussian' as const, sigma: 0.2, scoreThreshold: 0.1, maxDetections: 20, classIds },
      ]) {
        expect(run(boxes, scores, o)).toEqual(referenceNms(boxes, scores, o));
      }
    }
  });

  it('dense scene: 1,000 boxes with sides 10–100 in a 320 × 320 field (the benchmark\'s density)', () => {
    // The benchmark puts 10,000 such boxes in 1000 × 1000: the same number of boxes per unit area.
    const r = rng(2024);
    const boxes: number[][] = [];
    const scores: number[] = [];
    for (let i = 0; i < 1000; i++) {
      const x = r() * 320, y = r() * 320, w = 10 + r() * 90, h = 10 + r() * 90;
      boxes.push([x, y, x + w, y + h].map(Math.fround));
      scores.push(r());
    }
    const o = { iouThreshold: 0.5, scoreThreshold: -Infinity, maxDetections: Infinity };
    expect(run(boxes, scores, o)).toEqual(referenceNms(boxes, scores, o));
  });

  it('degenerate layouts: one column of boxes, nested boxes, one huge box among small ones, far from the origin', () => {
    const r = rng(99);
    const column = Array.from({ length: 80 }, (_, i) => [5, i, 6 + r() * 3, i + 1 + r() * 10]);
    const nested = Array.from({ length: 60 }, (_, i) => [i / 2, i / 2, 100 - i / 2, 100 - i / 3]);
    const mixed = [[0, 0, 1000, 1000], ...Array.from({ length: 150 }, () => { const x = r() * 990, y = r() * 990; return [x, y, x + 1 + r() * 9, y + 1 + r() * 9]; })];
    // Far from the origin (float32 spacing 0.0625 at 1e6) and negative coordinates.
    const far = Array.from({ length: 120 }, () => { const x = 1e6 + r() * 100, y = -5e5 - r() * 100; return [x, y, x + 0.1 + r() * 20, y + 0.1 + r() * 20]; });
    for (const boxes of [column, nested, mixed, far].map((b) => b.map((row) => row.map(Math.fround)))) {
      const scores = boxes.map(() => Math.fround(r()));
      for (const o of [{ iouThreshold: 0 }, { iouThreshold: 0.3, maxDetections: Infinity }, { method: 'soft-gaussian' as const, scoreThreshold: 0.3 }]) {
        expect(run(boxes, scores, o)).toEqual(referenceNms(boxes, scores, o));
      }
    }
  });

  it('agrees with tf.image.nonMaxSuppression (the backend kernel) away from exact IoU ties', () => {
    // TF.js's kernels compute IoU in float64 and suppress at IoU ≥ threshold, torchvision (and we) in
    // float32 at IoU > threshold; they differ only when an IoU equals the threshold (hand cases above).
    // IoU is symmetric in x and y, so our (x1, y1, x2, y2) rows can be fed as TF.js's (y1, x1, y2, x2).
    for (let seed = 300; seed < 306; seed++) {
      const r = rng(seed);
      const n = 300;
      const boxes = Array.from({ length: n }, () => {
        const x = r() * 200, y = r() * 200;
        return [x, y, x + 5 + r() * 40, y + 5 + r() * 40].map(Math.fround);
      });
      const scores = boxes.map(() => Math.fround(r()));
      const tb = tf.tensor2d(boxes);
      const ts = tf.tensor1d(scores);
      const theirs = tf.image.nonMaxSuppression(tb, ts, n, 0.4, 0.1);
      expect(Array.from(nmsArrays(boxes.flat(), scores, { iouThreshold: 0.4, scoreThreshold: 0.1, maxDetections: n }))).toEqual(Array.from(theirs.dataSync()));
      tf.dispose([tb, ts, theirs]);
    }
  });

  it('documented difference: at IoU exactly 0.5 = threshold TF.js suppresses (≥), we keep (>, torchvision)', () => {
    const tb = tf.tensor2d([[0, 0, 2, 1], [0, 0, 1, 1]]); // IoU 1/2
    const ts = tf.tensor1d([0.9, 0.8]);
    const theirs = tf.image.nonMaxSuppression(tb, ts, 10, 0.5);
    expect(Array.from(theirs.dataSync())).toEqual([0]);
    const ours = nms(tb, ts, { iouThreshold: 0.5 });
    expect(Array.from(ours.dataSync())).toEqual([0, 1]);
    tf.dispose([tb, ts, theirs, ours]);
  });

  it('empty input: [0, 4] boxes give an empty int32 result', () => {
    const tb = tf.tensor2d([], [0, 4]);
    const ts = tf.tensor1d([]);
    const out = nmsWithScores(tb, ts, { method: 'soft-gaussian' });
    expect(out.indices.shape).toEqual([0]);
    expect(out.indices.dtype).toBe('int32');
    expect(out.scores.shape).toEqual([0]);
    expect(nmsArrays(new Float32Array(0), new Float32Array(0)).length).toBe(0);
    tf.dispose([tb, ts, out.indices, out.scores]);
  });

  it('the tensor API returns the same as the typed-array path', () => {
    const { boxes, scores, classIds } = randomCase(7, 120, 4);
    const tb = tf.tensor2d(boxes, [boxes.length, 4]);
    const ts = tf.tensor1d(scores);
    const tc = tf.tensor1d(classIds, 'int32');
    const idx = nms(tb, ts, { iouThreshold: 0.3, classIds: tc });
    expect(idx.dtype).toBe('int32');
    expect(idx.shape).toEqual([idx.shape[0]]);
    expect(Array.from(idx.dataSync())).toEqual(referenceNms(boxes, scores, { iouThreshold: 0.3, classIds }).indices);
    const soft = nmsWithScores(tb, ts, { method: 'soft-linear', iouThreshold: 0.3 });
    const ref = referenceNms(boxes, scores, { method: 'soft-linear', iouThreshold: 0.3 });
    expect(soft.scores.dtype).toBe('float32');
    expect(Array.from(soft.indices.dataSync())).toEqual(ref.indices);
    expect(Array.from(soft.scores.dataSync())).toEqual(ref.scores);
    tf.dispose([tb, ts, tc, idx, soft.indices, soft.scores]);
  });
});

describe('nms: properties (fast-check)', () => {
  const box = fc
    .tuple(
      fc.integer({ min: 0, max: 40 }),
      fc.integer({ min: 0, max: 40 }),
      fc.integer({ min: 0, max: 20 }),
      fc.integer({ min: 0, max: 20 }),
    )
    .map(([x, y, w, h]) => [x / 2, y / 2, (x + w) / 2, (y + h) / 2]);
  const input = fc
    .array(fc.tuple(box, fc.integer({ min: 0, max: 10 }), fc.integer({ min: 0, max: 2 })), { maxLength: 40 })
    .map((rows) => ({ boxes: rows.map((r) => r[0]), scores: rows.map((r) => r[1] / 10), classIds: rows.map((r) => r[2]) }));
  const threshold = fc.constantFrom(0, 0.25, 1 / 3, 0.5, 0.7, 1);

  it('greedy: a subset, sorted by score (ties lower index first), idempotent, no kept pair above the threshold', () => {
    fc.assert(
      fc.property(input, threshold, ({ boxes, scores }, iouThreshold) => {
        const o = { iouThreshold, scoreThreshold: -Infinity, maxDetections: Infinity };
        const keep = Array.from(nmsArrays(boxes.flat(), scores, o));
        expect(new Set(keep).size).toBe(keep.length);
        for (const i of keep) expect(i >= 0 && i < boxes.length).toBe(true);
        for (let k = 1; k < keep.length; k++) {
          const a = keep[k - 1], b = keep[k];
          expect(scores[a] > scores[b] || (scores[a] === scores[b] && a < b)).toBe(true);
        }
        const flat = boxes.flat();
        for (let a = 0; a < keep.length; a++) {
          for (let b = a + 1; b < keep.length; b++) expect(iouFloat32(flat, keep[a], flat, keep[b]) > iouThreshold).toBe(false);
        }
        // Idempotent: NMS of the kept boxes keeps them all, in the same order.
        const again = Array.from(nmsArrays(keep.flatMap((i) => boxes[i]), keep.map((i) => scores[i]), o));
        expect(again.map((k) => keep[k])).toEqual(keep);
      }),
      { numRuns: 200, seed: 11 },
    );
  });

  it('class-aware: each class\'s result is NMS of that class alone (no cross-class suppression)', () => {
    fc.assert(
      fc.property(input, threshold, ({ boxes, scores, classIds }, iouThreshold) => {
        const o = { iouThreshold, scoreThreshold: -Infinity, maxDetections: Infinity };
        const keep = Array.from(nmsArrays(boxes.flat(), scores, { ...o, classIds }));
        for (const c of [0, 1, 2]) {
          const members = classIds.map((k, i) => (k === c ? i : -1)).filter((i) => i >= 0);
          const alone = Array.from(nmsArrays(members.flatMap((i) => boxes[i]), members.map((i) => scores[i]), o)).map((k) => members[k]);
          expect(keep.filter((i) => classIds[i] === c)).toEqual(alone);
        }
      }),
      { numRuns: 150, seed: 12 },
    );
  });

  it('equals the reference for any input, threshold, method, class ids and cap', () => {
    fc.assert(
      fc.property(
        input, threshold,
        fc.constantFrom('greedy' as const, 'soft-linear' as const, 'soft-gaussian' as const),
        fc.boolean(), fc.constantFrom(0, 1, 3, Infinity), fc.constantFrom(-Infinity, 0, 0.25),
        ({ boxes, scores, classIds }, iouThreshold, method, aware, maxDetections, scoreThreshold) => {
          const o = { iouThreshold, method, maxDetections, scoreThreshold, classIds: aware ? classIds : undefined };
          expect(run(boxes, scores, o)).toEqual(referenceNms(boxes, scores, o));
        },
      ),
      { numRuns: 300, seed: 14 },
    );
  });

  it('soft-NMS: a subset whose decayed scores are non-increasing, each ≤ its input score', () => {
    fc.assert(
      fc.property(input, threshold, fc.constantFrom('soft-linear' as const, 'soft-gaussian' as const), ({ boxes, scores }, iouThreshold, method) => {
        const out = nmsArraysWithScores(boxes.flat(), scores, { iouThreshold, method, scoreThreshold: 0.05, maxDetections: Infinity });
        const keep = Array.from(out.indices);
        expect(new Set(keep).size).toBe(keep.length);
        for (let k = 0; k < keep.length; k++) {
          expect(out.scores[k]).toBeLessThanOrEqual(Math.fround(scores[keep[k]]));
          expect(out.scores[k]).toBeGreaterThan(0.05);
          if (k > 0) expect(out.scores[k]).toBeLessThanOrEqual(out.scores[k - 1]);
        }
      }),
      { numRuns: 150, seed: 13 },
    );
  });
});

describe('nms: bad input', () => {
  let b: tf.Tensor2D;
  let s: tf.Tensor1D;
  beforeAll(() => {
    b = tf.tensor2d([[0, 0, 1, 1], [0, 0, 2, 2]]);
    s = tf.tensor1d([0.5, 0.6]);
  });
  afterAll(() => tf.dispose([b, s]));

  it('wrong ranks and shapes name the argument, expected and received', () => {
    const b3 = tf.zeros([2, 3]) as tf.Tensor2D;
    const s2 = tf.zeros([3]) as tf.Tensor1D;
    const c3 = tf.zeros([3], 'int32') as tf.Tensor1D;
    expect(() => nms(b3, s)).toThrow(ShapeError);
    expect(() => nms(b3, s)).toThrow(/nms: 'boxes' must be a tensor of shape \[N, 4\].*\[2, 3\]/);
    expect(() => nms(b, s2)).toThrow(/nms: 'scores' must be a tensor of shape \[N\] = \[2\].*\[3\]/);
    expect(() => nms(b, tf.tensor2d([[0.5, 0.6]]) as unknown as tf.Tensor1D)).toThrow(ShapeError);
    expect(() => nmsWithScores(b, s, { classIds: c3 })).toThrow(/nmsWithScores: 'classIds' must be a tensor of shape \[N\] = \[2\].*\[3\]/);
    const sb = tf.tensor1d([true, false], 'bool');
    expect(() => nms(b, sb as tf.Tensor1D)).toThrow(/'scores' must be a float32 or int32 tensor, got a bool tensor of shape \[2\]/);
    sb.dispose();
    expect(() => nmsArrays([0, 0, 1], [1])).toThrow(/nmsArrays: 'boxes' must hold N × 4 numbers \(x1, y1, x2, y2 per box\), got length 3/);
    expect(() => nmsArrays([0, 0, 1, 1], [1, 2])).toThrow(/nmsArrays: 'scores' must hold N = 1 numbers.*length 2/);
    expect(() => nmsArrays([0, 0, 1, 1], [1], { classIds: [] })).toThrow(/'classIds' must hold N = 1.*length 0/);
    tf.dispose([b3, s2, c3]);
  });

  it('NaN boxes and scores are ValueErrors naming the position', () => {
    const bn = tf.tensor2d([[0, 0, 1, 1], [0, NaN, 2, 2]]);
    const sn = tf.tensor1d([0.5, NaN]);
    expect(() => nms(bn, s)).toThrow(ValueError);
    expect(() => nms(bn, s)).toThrow(/'boxes' must be finite everywhere, got NaN at row 1, column 1/);
    expect(() => nms(b, sn)).toThrow(/'scores' must be finite everywhere, got NaN at index 1/);
    tf.dispose([bn, sn]);
  });

  it('thresholds out of range', () => {
    expect(() => nms(b, s, { iouThreshold: 1.5 })).toThrow(/nms: 'iouThreshold' must be a finite number ≥ 0 and ≤ 1, got 1.5/);
    expect(() => nms(b, s, { iouThreshold: -0.1 })).toThrow(ValueError);
    expect(() => nms(b, s, { iouThreshold: NaN })).toThrow(/'iouThreshold'.*got NaN/);
    expect(() => nms(b, s, { sigma: 0, method: 'soft-gaussian' })).toThrow(/'sigma' must be a finite number > 0, got 0/);
    expect(() => nms(b, s, { maxDetections: 2.5 })).toThrow(/'maxDetections' must be a non-negative integer or Infinity, got 2.5/);
    expect(() => nms(b, s, { maxDetections: -1 })).toThrow(/'maxDetections'.*got -1/);
    expect(() => nms(b, s, { scoreThreshold: NaN })).toThrow(/'scoreThreshold'.*got NaN/);
    // @ts-expect-error unknown method on purpose
    expect(() => nms(b, s, { method: 'soft' })).toThrow(/'method' must be one of 'greedy', 'soft-linear', 'soft-gaussian', got "soft"/);
  });

  it('leaks no tensor (nms, nmsWithScores, inside tidy)', () => {
    const c = tf.tensor1d([0, 1], 'int32');
    expectNoLeak(() => nms(b, s).dispose());
    expectNoLeak(() => {
      const out = nmsWithScores(b, s, { classIds: c, method: 'soft-gaussian' });
      tf.dispose([out.indices, out.scores]);
    });
    expectNoLeak(() => tf.tidy(() => { nms(b, s, { classIds: c }); }));
    expectNoLeak(() => expect(() => nms(b, s, { iouThreshold: 2 })).toThrow());
    c.dispose();
  });
});

describe('nms: option keys (issue 18, item 5)', () => {
  it('unknown keys are ValueErrors naming the function and the near known key, without leaking', () => {
    const boxes = tf.tensor2d([[0, 0, 1, 1]]);
    const scores = tf.tensor1d([0.9]);
    expectNoLeak(() => {
      expect(() => nms(boxes, scores, { iouThreshhold: 0.5 } as never)).toThrow(/nms: unknown option 'iouThreshhold'.*'iouThreshold'/);
      expect(() => nmsWithScores(boxes, scores, { sigm: 0.5 } as never)).toThrow(/nmsWithScores: unknown option 'sigm'.*'sigma'/);
    });
    expect(() => nmsArrays([0, 0, 1, 1], [0.9], { classId: [0] } as never)).toThrow(/nmsArrays: unknown option 'classId'.*'classIds'/);
    expect(() => nmsArraysWithScores([0, 0, 1, 1], [0.9], { metod: 'greedy' } as never)).toThrow(/nmsArraysWithScores: unknown option 'metod'/);
    expect(nmsArrays([0, 0, 1, 1], [0.9], { classIds: [0], method: 'greedy' })).toEqual(Int32Array.from([0]));
    tf.dispose([boxes, scores]);
  });
});
