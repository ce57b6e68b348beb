/**
 * Anchor selection by k-means on ground-truth box sizes (YOLOv2 paper §2, "Dimension Clusters";
 * docs/math.md §2).
 *
 * @packageDocumentation
 */
import { mulberry32 } from './random.js';
import { type Anchor, type AnchorUnits, ANCHOR_UNITS } from './anchors.js';
import { ShapeError, ValueError, describe } from './errors.js';
import { assertKnownKeys, assertNumber, assertOneOf } from './validate.js';

/** Options of {@link kmeansAnchors}. */
export interface KmeansAnchorsOptions {
  /** Seed of the deterministic random source (mulberry32). Default `0`. */
  seed?: number;
  /**
   * Lloyd iterations per run at most (a restart, or a refinement on all sizes for large inputs); a run
   * also stops when no assignment changes. Default `300`.
   */
  maxIterations?: number;
  /**
   * Unit of the returned anchors: `'grid'` (default, the library's default anchor unit) multiplies the
   * fractions by `gridSize`; `'relative'` returns fractions of the image.
   */
  units?: AnchorUnits;
  /** Grid size used by `units: 'grid'` (cells per image side). Default `13` (416 px at stride 32). */
  gridSize?: number;
  /** Independent k-means++ initialisations; the one with the highest mean IoU wins. Default `20`. */
  restarts?: number;
}

/** Result of {@link kmeansAnchors}. */
export interface KmeansAnchorsResult {
  /** `k` anchors `(w, h)`, sorted by area (ascending; equal areas by width), in the requested units. */
  anchors: Anchor[];
  /** Mean over the boxes of the best IoU with an anchor (the paper's "Avg IOU"), in `[0, 1]`. */
  meanIoU: number;
  /** Lloyd iterations of the winning run (sample run plus refinement, for inputs over 10,000 sizes). */
  iterations: number;
}

/** Inputs larger than this run their restarts on a seeded sample of this many sizes. */
const SAMPLE = 10_000;
/** How many of the best sample runs are refined on all sizes. */
const REFINE = 3;

interface Run {
  cw: Float64Array;
  ch: Float64Array;
  meanIoU: number;
  iterations: number;
}

/** `m` distinct indices of `0 … n−1` drawn by a partial Fisher–Yates shuffle, in draw order. */
function sampleIndices(n: number, m: number, rand: () => number): Int32Array {
  const perm = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < m; i++) {
    const j = i + Math.floor(rand() * (n - i));
    const t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
  return perm.slice(0, m);
}

/** IoU of two boxes sharing a centre: `min(w)·min(h) / (w₁h₁ + w₂h₂ − min(w)·min(h))`. */
function centredIoU(w1: number, h1: number, w2: number, h2: number): number {
  const inter = Math.min(w1, w2) * Math.min(h1, h2);
  return inter / (w1 * h1 + w2 * h2 - inter);
}

/**
 * k-means on box sizes with distance `1 − IoU` of boxes sharing a centre.
 *
 * Algorithm, per restart: greedy k-means++ initialisation (first centre a uniformly drawn box; each next
 * one the best of `2 + ⌊ln k⌋` boxes drawn with probability ∝ (1 − best IoU with the chosen centres)²),
 * then Lloyd iterations — assign
 * each box to the centre of highest IoU (ties: lowest index), move each centre to the mean `(w, h)` of its
 * boxes; an emptied cluster takes the box farthest from its centre (lowest best IoU, lowest index) —
 * until no assignment changes or `maxIterations`. Of `restarts` runs (one random stream, seeded), the one
 * with the highest mean IoU wins (the first on ties), so the result is deterministic for a seed and far
 * less seed-dependent than a single random initialisation. Inputs of more than 10,000 sizes run the
 * restarts on a seeded sample of 10,000 and refine the 3 best runs on all sizes (the reported mean IoU
 * and anchors are always those of all sizes).
 *
 * @param sizes `N` ground-truth sizes `(w, h)` as fractions of the image, each in `(0, 1]`.
 * @param k number of anchors, an integer in `[1, number of distinct sizes]`.
 * @param options see {@link KmeansAnchorsOptions}.
 * @returns anchors sorted by area, their mean IoU and the iteration count.
 * @throws {@link ShapeError} when a size is not a pair; {@link ValueError} for sizes outside `(0, 1]` or
 *   non-finite, a bad `k` or bad options.
 */
export function kmeansAnchors(
  sizes: ArrayLike<readonly [number, number]>,
  k: number,
  options: KmeansAnchorsOptions = {},
): KmeansAnchorsResult {
  const fn = 'kmeansAnchors';
  assertKnownKeys(fn, 'options', options, ['seed', 'maxIterations', 'units', 'gridSize', 'restarts']);
  const { seed = 0, maxIterations = 300, units = 'grid', gridSize = 13, restarts = 20 } = options;
  if (sizes == null || typeof sizes.length !== 'number') {
    throw new ShapeError(`${fn}: 'sizes' must be an array of [w, h] pairs, got ${describe(sizes)}`);
  }
  const n = sizes.length;
  const w = new Float64Array(n);
  const h = new Float64Array(n);
  const distinct = new Set<string>();
  for (let i = 0; i < n; i++) {
    const s = sizes[i];
    if (s == null || typeof s !== 'object' || s.length !== 2) {
      throw new ShapeError(`${fn}: 'sizes[${i}]' must be a [w, h] pair, got ${describe(s)}`);
    }
    assertNumber(fn, `sizes[${i}][0]`, s[0], { min: 0, minOpen: true, max: 1 });
    assertNumber(fn, `sizes[${i}][1]`, s[1], { min: 0, minOpen: true, max: 1 });
    w[i] = s[0];
    h[i] = s[1];
    distinct.add(`${s[0]},${s[1]}`);
  }
  assertNumber(fn, 'k', k, { min: 1, integer: true });
  if (k > distinct.size) {
    throw new ValueError(`${fn}: 'k' must be at most the number of distinct sizes (${distinct.size}), got ${k}`);
  }
  assertNumber(fn, 'seed', seed, { integer: true });
  assertNumber(fn, 'maxIterations', maxIterations, { min: 1, integer: true });
  assertOneOf(fn, 'units', units, ANCHOR_UNITS);
  assertNumber(fn, 'gridSize', gridSize, { min: 0, minOpen: true });
  assertNumber(fn, 'restarts', restarts, { min: 1, integer: true });

  const rand = mulberry32(seed);
  // Large inputs: the restarts run on a seeded sample; the best few are then refined on all sizes.
  let sw = w, sh = h;
  if (n > SAMPLE) {
    const idx = sampleIndices(n, SAMPLE, rand);
    const tw = Float64Array.from(idx, (i) => w[i]);
    const th = Float64Array.from(idx, (i) => h[i]);
    const sampleDistinct = new Set(Array.from(idx, (i) => `${w[i]},${h[i]}`)).size;
    if (sampleDistinct >= k) {
      sw = tw;
      sh = th;
    }
  }
  const runs: Run[] = [];
  for (let r = 0; r < restarts; r++) {
    const init = initPlusPlus(sw, sh, k, rand);
    runs.push(lloyd(sw, sh, k, Float64Array.from(init, (i) => sw[i]), Float64Array.from(init, (i) => sh[i]), maxIterations));
  }
  let best: Run | undefined;
  if (sw === w) {
    for (const run of runs) if (!best || run.meanIoU > best.meanIoU) best = run;
  } else {
    // Stable sort: equal sample scores keep restart order.
    const top = runs.map((run, r) => ({ run, r })).sort((a, b) => b.run.meanIoU - a.run.meanIoU || a.r - b.r).slice(0, REFINE);
    for (const { run } of top) {
      const full = lloyd(w, h, k, run.cw, run.ch, maxIterations);
      full.iterations += run.iterations;
      if (!best || full.meanIoU > best.meanIoU) best = full;
    }
  }
  const { cw, ch, meanIoU, iterations } = best!;
  const scale = units === 'grid' ? gridSize : 1;
  const anchors = Array.from({ length: k }, (_, c) => [cw[c], ch[c]] as const)
    .sort((a, b) => a[0] * a[1] - b[0] * b[1] || a[0] - b[0])
    .map(([aw, ah]) => [aw * scale, ah * scale] as Anchor);
  return { anchors, meanIoU, iterations };
}

/**
 * Greedy k-means++ seeding (as scikit-learn's): the first centre is a uniformly drawn box; each next one
 * is the best, by the resulting sum of squared distances, of `2 + ⌊ln k⌋` boxes drawn with probability
 * ∝ (squared distance to the nearest chosen centre).
 */
function initPlusPlus(w: Float64Array, h: Float64Array, k: number, rand: () => number): Int32Array {
  const n = w.length;
  const trials = 2 + Math.floor(Math.log(k));
  const chosen = new Int32Array(k);
  const d2 = new Float64Array(n);
  const trial = new Float64Array(n);
  chosen[0] = Math.min(n - 1, Math.floor(rand() * n));
  let total = 0;
  for (let i = 0; i < n; i++) {
    const d = 1 - centredIoU(w[i], h[i], w[chosen[0]], h[chosen[0]]);
    d2[i] = d * d;
    total += d2[i];
  }
  for (let c = 1; c < k; c++) {
    let pick = -1;
    let pickTotal = Infinity;
    for (let t = 0; t < trials && total > 0; t++) {
      const cand = drawWeighted(d2, total, rand());
      if (cand < 0) continue;
      let sum = 0;
      for (let i = 0; i < n; i++) {
        const d = 1 - centredIoU(w[i], h[i], w[cand], h[cand]);
        sum += Math.min(d2[i], d * d);
      }
      if (sum < pickTotal) {
        pickTotal = sum;
        pick = cand;
      }
    }
    // Every box coincides with a centre up to rounding: take the first size not chosen yet.
    if (pick < 0) pick = firstUnchosen(w, h, chosen, c);
    chosen[c] = pick;
    total = 0;
    for (let i = 0; i < n; i++) {
      const d = 1 - centredIoU(w[i], h[i], w[pick], h[pick]);
      trial[i] = Math.min(d2[i], d * d);
      total += trial[i];
    }
    d2.set(trial);
  }
  return chosen;
}

/** Index drawn with probability ∝ `weights` (sum `total`, `u` uniform in [0, 1)); -1 if none is positive. */
function drawWeighted(weights: Float64Array, total: number, u: number): number {
  let target = u * total;
  for (let i = 0; i < weights.length; i++) {
    target -= weights[i];
    if (target < 0 && weights[i] > 0) return i;
  }
  // Rounding left the target past the end: the last box with a positive weight.
  for (let i = weights.length - 1; i >= 0; i--) if (weights[i] > 0) return i;
  return -1;
}

function firstUnchosen(w: Float64Array, h: Float64Array, chosen: Int32Array, c: number): number {
  for (let i = 0; i < w.length; i++) {
    let taken = false;
    for (let q = 0; q < c && !taken; q++) taken = w[chosen[q]] === w[i] && h[chosen[q]] === h[i];
    if (!taken) return i;
  }
  return 0; // unreachable: k ≤ number of distinct sizes
}

/** Lloyd iterations from the given initial centres; the mean IoU is over all of `w, h`. */
function lloyd(w: Float64Array, h: Float64Array, k: number, cw0: Float64Array, ch0: Float64Array, maxIterations: number): Run {
  const n = w.length;
  const cw = Float64Array.from(cw0);
  const ch = Float64Array.from(ch0);
  const assign = new Int32Array(n).fill(-1);
  const bestIoU = new Float64Array(n);
  const sumW = new Float64Array(k);
  const sumH = new Float64Array(k);
  const count = new Int32Array(k);
  let iterations = 0;
  const area = new Float64Array(n);
  for (let i = 0; i < n; i++) area[i] = w[i] * h[i];
  const careas = new Float64Array(k);
  while (iterations < maxIterations) {
    iterations++;
    let changed = false;
    for (let c = 0; c < k; c++) careas[c] = cw[c] * ch[c];
    for (let i = 0; i < n; i++) {
      const wi = w[i], hi = h[i], ai = area[i];
      // Highest IoU = inter / (ai + a_c − inter), lowest index on ties.
      let bc = 0;
      let bi = -1;
      for (let c = 0; c < k; c++) {
        const inter = (wi < cw[c] ? wi : cw[c]) * (hi < ch[c] ? hi : ch[c]);
        const iou = inter / (ai + careas[c] - inter);
        if (iou > bi) {
          bi = iou;
          bc = c;
        }
      }
      bestIoU[i] = bi;
      if (assign[i] !== bc) {
        assign[i] = bc;
        changed = true;
      }
    }
    if (!changed) break;
    // An empty cluster takes the box farthest from its centre.
    count.fill(0);
    for (let i = 0; i < n; i++) count[assign[i]]++;
    for (let c = 0; c < k; c++) {
      if (count[c] > 0) continue;
      let far = -1;
      for (let i = 0; i < n; i++) if (count[assign[i]] > 1 && (far < 0 || bestIoU[i] < bestIoU[far])) far = i;
      count[assign[far]]--;
      assign[far] = c;
      count[c] = 1;
      bestIoU[far] = 1;
    }
    sumW.fill(0);
    sumH.fill(0);
    for (let i = 0; i < n; i++) {
      sumW[assign[i]] += w[i];
      sumH[assign[i]] += h[i];
    }
    for (let c = 0; c < k; c++) {
      cw[c] = sumW[c] / count[c];
      ch[c] = sumH[c] / count[c];
    }
  }
  let total = 0;
  for (let i = 0; i < n; i++) {
    let bi = 0;
    for (let c = 0; c < k; c++) bi = Math.max(bi, centredIoU(w[i], h[i], cw[c], ch[c]));
    total += bi;
  }
  return { cw, ch, meanIoU: total / n, iterations };
}

