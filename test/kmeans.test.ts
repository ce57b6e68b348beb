import { describe, expect, it } from 'vitest';
import { kmeansAnchors, ShapeError, ValueError } from '../src/index.js';
import { randn, rng } from './helpers.js';

const iou = (a: readonly number[], b: readonly number[]) => {
  const inter = Math.min(a[0], b[0]) * Math.min(a[1], b[1]);
  return inter / (a[0] * a[1] + b[0] * b[1] - inter);
};
const meanBestIoU = (sizes: number[][], anchors: readonly (readonly number[])[]) =>
  sizes.reduce((s, x) => s + Math.max(...anchors.map((a) => iou(x, a))), 0) / sizes.length;

/**
 * 2,000 VOC-like box sizes: a mixture of 7 log-normal clusters (small square objects, tall people,
 * wide cars, large objects), clipped to (0, 1]; `spread` is the log-normal σ. Narrow clusters
 * (σ = 0.1) give k-means many local optima.
 */
function boxSizes(seed: number, spread = 0.3, n = 2000): [number, number][] {
  const r = rng(seed);
  const modes = [[0.08, 0.1], [0.15, 0.35], [0.35, 0.2], [0.3, 0.6], [0.6, 0.45], [0.85, 0.8], [0.05, 0.05]];
  const z = randn(r, 2 * n);
  return Array.from({ length: n }, (_, i) => {
    const [mw, mh] = modes[Math.floor(r() * modes.length)];
    const w = Math.min(1, mw * Math.exp(spread * z[2 * i]));
    const h = Math.min(1, mh * Math.exp(spread * z[2 * i + 1]));
    return [w, h] as [number, number];
  });
}

/** The common single-initialisation script: k random boxes as centres, Lloyd with 1 − IoU, mean update. */
function plainKmeans(sizes: number[][], k: number, seed: number): number {
  const r = rng(seed);
  const picked = new Set<number>();
  while (picked.size < k) picked.add(Math.floor(r() * sizes.length));
  let centres = [...picked].map((i) => [...sizes[i]]);
  let assign: number[] = [];
  for (let it = 0; it < 300; it++) {
    const next = sizes.map((x) => {
      let best = 0;
      for (let c = 1; c < k; c++) if (iou(x, centres[c]) > iou(x, centres[best])) best = c;
      return best;
    });
    if (next.every((c, i) => c === assign[i])) break;
    assign = next;
    centres = centres.map((old, c) => {
      const members = sizes.filter((_, i) => assign[i] === c);
      if (members.length === 0) return old;
      return [members.reduce((s, m) => s + m[0], 0) / members.length, members.reduce((s, m) => s + m[1], 0) / members.length];
    });
  }
  return meanBestIoU(sizes, centres);
}

describe('kmeansAnchors', () => {
  it('hand-computed: two clusters, k = 2', () => {
    // Cluster A: (0.1,0.1) ×2, (0.12,0.08), (0.08,0.12) → mean (0.4/4, 0.4/4) = (0.1, 0.1).
    // Cluster B: (0.5,0.5) ×2 → (0.5, 0.5).
    // IoU((0.12,0.08),(0.1,0.1)) = (0.1·0.08) / (0.0096 + 0.01 − 0.008) = 0.008 / 0.0116 = 20/29 (same for (0.08,0.12)).
    // Mean IoU = (1 + 1 + 20/29 + 20/29 + 1 + 1) / 6 = (156/29) / 6 = 26/29.
    const sizes = [[0.1, 0.1], [0.5, 0.5], [0.12, 0.08], [0.1, 0.1], [0.08, 0.12], [0.5, 0.5]] as const;
    for (let seed = 0; seed < 5; seed++) {
      const out = kmeansAnchors(sizes, 2, { units: 'relative', seed });
      expect(out.anchors.length).toBe(2);
      expect(out.anchors[0][0]).toBeCloseTo(0.1, 12);
      expect(out.anchors[0][1]).toBeCloseTo(0.1, 12);
      expect(out.anchors[1]).toEqual([0.5, 0.5]);
      expect(out.meanIoU).toBeCloseTo(26 / 29, 12);
      expect(out.iterations).toBeGreaterThanOrEqual(1);
    }
    // Grid units (default): × gridSize, default 13 → (1.3, 1.3), (6.5, 6.5); gridSize 19 → (1.9, 1.9), (9.5, 9.5).
    const grid = kmeansAnchors(sizes, 2);
    expect(grid.anchors[0][0]).toBeCloseTo(1.3, 12);
    expect(grid.anchors[1]).toEqual([6.5, 6.5]);
    expect(kmeansAnchors(sizes, 2, { gridSize: 19 }).anchors[1]).toEqual([9.5, 9.5]);
  });

  it('k = 1 gives the mean size; k = number of distinct sizes gives them all, sorted by area (IoU 1)', () => {
    const sizes = [[0.2, 0.4], [0.4, 0.2], [0.3, 0.3]] as const;
    const one = kmeansAnchors(sizes, 1, { units: 'relative' });
    expect(one.anchors[0][0]).toBeCloseTo(0.3, 12);
    expect(one.anchors[0][1]).toBeCloseTo(0.3, 12);
    const all = kmeansAnchors(sizes, 3, { units: 'relative' });
    // Areas 0.08, 0.08, 0.09: equal areas ordered by width.
    expect(all.anchors).toEqual([[0.2, 0.4], [0.4, 0.2], [0.3, 0.3]]);
    expect(all.meanIoU).toBe(1);
  });

  it('2,000 sizes, k = 5: identical output for the same seed, anchors sorted by area', () => {
    const sizes = boxSizes(1);
    const a = kmeansAnchors(sizes, 5, { seed: 3 });
    const b = kmeansAnchors(sizes, 5, { seed: 3 });
    expect(b).toEqual(a);
    const areas = a.anchors.map(([w, h]) => w * h);
    expect([...areas].sort((x, y) => x - y)).toEqual(areas);
    // The reported mean IoU is the mean best IoU of the returned anchors (converted back to fractions).
    expect(meanBestIoU(sizes, a.anchors.map(([w, h]) => [w / 13, h / 13]))).toBeCloseTo(a.meanIoU, 12);
  });

  it('2,000 sizes, k = 5: mean IoU ≥ the best of 4 single-random-initialisation runs, and stable across seeds', () => {
    for (const spread of [0.1, 0.3]) {
      const sizes = boxSizes(2, spread);
      const baseline = [11, 12, 13, 14].map((seed) => plainKmeans(sizes, 5, seed));
      const ours = [0, 1, 2, 3].map((seed) => kmeansAnchors(sizes, 5, { seed }).meanIoU);
      for (const m of ours) expect(m).toBeGreaterThanOrEqual(Math.max(...baseline));
      // The restarts make the result nearly seed-independent.
      expect(Math.max(...ours) - Math.min(...ours)).toBeLessThan(0.002);
      // On the narrow clusters the single-initialisation runs swing by several hundredths (0.62 … 0.71 here).
      if (spread === 0.1) expect(Math.max(...baseline) - Math.min(...baseline)).toBeGreaterThan(0.03);
    }
  });

  it('more than 10,000 sizes (sampled restarts, refined on all): deterministic, reports the full-data mean IoU', () => {
    const sizes = boxSizes(4, 0.3, 12_000);
    const a = kmeansAnchors(sizes, 5, { seed: 1, units: 'relative' });
    expect(kmeansAnchors(sizes, 5, { seed: 1, units: 'relative' })).toEqual(a);
    expect(meanBestIoU(sizes, a.anchors)).toBeCloseTo(a.meanIoU, 12);
    expect(a.meanIoU).toBeGreaterThanOrEqual(plainKmeans(sizes, 5, 21) - 1e-4);
  });

  it('rejects bad input, naming the argument', () => {
    const sizes = [[0.1, 0.2], [0.3, 0.4]] as const;
    expect(() => kmeansAnchors(sizes, 3)).toThrow(/'k' must be at most the number of distinct sizes \(2\), got 3/);
    expect(() => kmeansAnchors([[0.1, 0.2], [0.1, 0.2]], 2)).toThrow(ValueError);
    expect(() => kmeansAnchors(sizes, 1.5)).toThrow(/'k' must be an integer ≥ 1, got 1.5/);
    expect(() => kmeansAnchors(sizes, 0)).toThrow(ValueError);
    expect(() => kmeansAnchors([[0.1, 0.2], [0, 0.4]], 1)).toThrow(/'sizes\[1\]\[0\]' must be a finite number > 0 and ≤ 1, got 0/);
    expect(() => kmeansAnchors([[0.1, NaN]], 1)).toThrow(/'sizes\[0\]\[1\]'.*got NaN/);
    expect(() => kmeansAnchors([[0.1, 20]], 1)).toThrow(/'sizes\[0\]\[1\]'.*≤ 1, got 20/);
    expect(() => kmeansAnchors([[0.1, 0.2, 0.3]] as unknown as [number, number][], 1)).toThrow(ShapeError);
    expect(() => kmeansAnchors(null as unknown as [number, number][], 1)).toThrow(/'sizes' must be an array of \[w, h\] pairs, got null/);
    // @ts-expect-error bad unit on purpose
    expect(() => kmeansAnchors(sizes, 1, { units: 'pixels' })).toThrow(/'units' must be one of 'grid', 'relative', got "pixels"/);
    expect(() => kmeansAnchors(sizes, 1, { gridSize: 0 })).toThrow(/'gridSize'/);
    expect(() => kmeansAnchors(sizes, 1, { maxIterations: 0 })).toThrow(/'maxIterations'/);
    expect(() => kmeansAnchors(sizes, 1, { restarts: 0 })).toThrow(/'restarts'/);
  });
});

describe('kmeansAnchors options (issue 18, item 5)', () => {
  it('a misspelled option is a ValueError naming it, not a silently used default', () => {
    const sizes: Array<[number, number]> = [[0.1, 0.2], [0.3, 0.3], [0.5, 0.4]];
    expect(() => kmeansAnchors(sizes, 2, { restart: 5 } as never)).toThrow(ValueError);
    expect(() => kmeansAnchors(sizes, 2, { restart: 5 } as never)).toThrow(/kmeansAnchors: unknown option 'restart'.*did you mean 'restarts'/);
  });
});
