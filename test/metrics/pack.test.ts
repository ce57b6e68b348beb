import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { groupBy, numpyMean, pairwiseSum, sortSegmentsByScore } from '../../src/metrics/pack.js';

describe('pairwiseSum / numpyMean: numpy’s summation order', () => {
  it('reproduces values printed by numpy 2.4', () => {
    // np.sum(np.array([0.1] * 10)) = 1.0, where a left-to-right sum gives 0.9999999999999999
    expect(pairwiseSum(Array(10).fill(0.1))).toBe(1);
    expect(Array(10).fill(0.1).reduce((a, b) => a + b, 0)).toBe(0.9999999999999999);
    // np.sum([(i * 0.37) % 1.3 for i in range(1000)]) = 653.0999999999913 (blocks split at multiples of 8)
    expect(pairwiseSum(Array.from({ length: 1000 }, (_, i) => (i * 0.37) % 1.3))).toBe(653.0999999999913);
    // np.mean([1 / (i + 1) for i in range(200)]) = 0.029390154740607223
    expect(numpyMean(Array.from({ length: 200 }, (_, i) => 1 / (i + 1)))).toBe(0.029390154740607223);
    expect(numpyMean([])).toBeNaN();
  });
  it('sums short arrays left to right and sub-ranges correctly', () => {
    expect(pairwiseSum([1e16, 1, 1, -1e16])).toBe(0); // < 8 elements: plain left-to-right
    expect(pairwiseSum([5, 1, 2, 3, 4], 1, 3)).toBe(6);
  });
});

describe('sortSegmentsByScore', () => {
  it('is a stable descending sort inside each segment (ties, −0 and +0)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(0, -0, 0.5, 0.25, 1, -3), { maxLength: 300 }),
        fc.array(fc.nat(4), { maxLength: 300 }),
        (scoresRaw, segRaw) => {
          const n = scoresRaw.length;
          const score = Float64Array.from(scoresRaw);
          const seg = Int32Array.from({ length: n }, (_, i) => segRaw[i] ?? 0);
          const order = Int32Array.from({ length: n }, (_, i) => i);
          const { start, items } = groupBy(order, seg, 5);
          sortSegmentsByScore(score, items, start);
          // reference: Array.prototype.sort is stable
          for (let s = 0; s < 5; s++) {
            const want = Array.from(items.subarray(start[s], start[s + 1])).sort((a, b) => a - b).sort((a, b) => score[b] - score[a]);
            expect(Array.from(items.subarray(start[s], start[s + 1]))).toEqual(want);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
  it('handles long segments (several merge passes)', () => {
    const n = 5000;
    const score = Float64Array.from({ length: n }, (_, i) => ((i * 7919) % 97) / 97);
    const items = Int32Array.from({ length: n }, (_, i) => i);
    sortSegmentsByScore(score, items, Int32Array.of(0, n));
    const want = Array.from({ length: n }, (_, i) => i).sort((a, b) => score[b] - score[a]);
    expect(Array.from(items)).toEqual(want);
  });
});
