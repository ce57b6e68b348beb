/**
 * Non-maximum suppression on plain typed arrays: the fast path behind {@link nms} and
 * {@link postprocess}, usable directly on data already on the CPU.
 *
 * Semantics (shared with the tensor API and torchvision's kernel; TF.js's kernels differ only at IoU = threshold):
 * - boxes are corners `(x1, y1, x2, y2)`; IoU is {@link iouFloat32} (float32 arithmetic, rounded at
 *   every step), so an IoU of exactly 1/3 is 0.33333334;
 * - candidates are the boxes whose score is strictly above `scoreThreshold`;
 * - greedy: candidates are visited by decreasing score, equal scores lower index first; a candidate is
 *   kept unless a kept box (of the same class, when class ids are given) has IoU **>** `iouThreshold`
 *   with it; stops after `maxDetections` kept boxes;
 * - a box of zero (or negative) width, height or float32 area has IoU 0 with everything: it never
 *   suppresses and is never suppressed;
 * - soft-NMS: see {@link NmsMethod}.
 *
 * - inputs are taken as float32 (`Float32Array.from`), exactly as the tensor API sees them; so a score of
 *   0.005 given as a float64 becomes 0.0049999999 and is not above the default threshold 0.005.
 *
 * Speed: candidates are stored once in a static uniform grid; each kept box tests (and suppresses or
 * decays) only the candidates overlapping it, as torchvision's loop does for all later boxes. Skipped
 * pairs have IoU 0, so the result is exactly the greedy one; the work is about O(N + kept · neighbours)
 * instead of O(N · kept), and with a `maxDetections` cap it stops after that many kept boxes.
 *
 * @packageDocumentation
 */
import { BoxGrid } from './box-grid.js';
import { iouFloat32 } from '../boxes.js';
import { ScoreHeap } from './score-heap.js';
import { ShapeError, ValueError, describe } from '../errors.js';
import { assertFiniteArray, assertKnownKeys, assertNumber, assertOneOf } from '../validate.js';

/**
 * `'greedy'` (default): hard suppression, "suppressed when IoU > iouThreshold".
 *
 * `'soft-linear'` and `'soft-gaussian'` (soft-NMS, Bodla et al. 2017): repeatedly pick the candidate with
 * the highest current score (ties: lower index first), keep it with that score, then decay the score of
 * every remaining candidate `j` (of the same class when class ids are given) by its IoU with the pick:
 * - linear: `s_j ← s_j · (1 − IoU)` when `IoU > iouThreshold`, unchanged otherwise;
 * - gaussian: `s_j ← s_j · exp(−IoU² / sigma)` for every IoU (`iouThreshold` is not used).
 *
 * The factor is computed in float64 from the float32 IoU and the product rounded to float32
 * (`Math.fround`), so decayed scores are exactly the float32 values returned. A candidate whose decayed
 * score falls to `≤ scoreThreshold` is dropped at once. Stops after `maxDetections` picks or when no
 * candidate remains. Kept scores are non-increasing.
 *
 * Relation to TF.js's `tf.image.nonMaxSuppressionWithScore(…, softNmsSigma)`: it decays by
 * `exp(−IoU² / (2·softNmsSigma))` and also drops every box with IoU ≥ `iouThreshold`; ours is the paper's
 * `exp(−IoU² / sigma)` without a hard cut, so `sigma = 2 · softNmsSigma` matches its decay only.
 */
export type NmsMethod = 'greedy' | 'soft-linear' | 'soft-gaussian';

/** The NMS methods, for validation. @internal */
const NMS_METHODS: readonly NmsMethod[] = ['greedy', 'soft-linear', 'soft-gaussian'];

/** Options shared by every NMS entry point (everything but the class ids). */
export interface NmsBaseOptions {
  /** A box is suppressed (or, soft-linear, decayed) when IoU **>** this. In `[0, 1]`, default `0.45`. */
  iouThreshold?: number;
  /** Candidates are the scores strictly above this; `-Infinity` keeps all. Default `0.005`. */
  scoreThreshold?: number;
  /** At most this many boxes are returned: a non-negative integer or `Infinity`. Default `100`. */
  maxDetections?: number;
  /** Default `'greedy'`. */
  method?: NmsMethod;
  /** Gaussian soft-NMS width, `> 0`, default `0.5`. */
  sigma?: number;
}

/** Options of {@link nmsArrays} and {@link nmsArraysWithScores}. */
export interface NmsArrayOptions extends NmsBaseOptions {
  /** `N` class ids: class-aware NMS, boxes of different classes never suppress each other. */
  classIds?: ArrayLike<number>;
}

/** Validated options with defaults filled in. @internal */
export interface ResolvedNmsOptions {
  iouThreshold: number;
  scoreThreshold: number;
  maxDetections: number;
  method: NmsMethod;
  sigma: number;
}

/** The keys of {@link NmsBaseOptions}. @internal */
export const NMS_BASE_KEYS: readonly string[] = ['iouThreshold', 'scoreThreshold', 'maxDetections', 'method', 'sigma'];

/**
 * Validate NMS options and fill in the defaults.
 * @param moreKeys the other option keys the caller accepts (unknown keys are a ValueError).
 * @internal
 */
export function resolveNmsOptions(fn: string, options: NmsBaseOptions | undefined, moreKeys: readonly string[] = []): ResolvedNmsOptions {
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new ValueError(`${fn}: 'options' must be an object, got ${describe(options)}`);
  }
  assertKnownKeys(fn, 'options', options, [...NMS_BASE_KEYS, ...moreKeys]);
  const { iouThreshold = 0.45, scoreThreshold = 0.005, maxDetections = 100, method = 'greedy', sigma = 0.5 } = options ?? {};
  assertNumber(fn, 'iouThreshold', iouThreshold, { min: 0, max: 1 });
  assertNumber(fn, 'scoreThreshold', scoreThreshold, { allowInfinity: true });
  assertNumber(fn, 'maxDetections', maxDetections, { min: 0, allowInfinity: true });
  if (maxDetections !== Infinity && !Number.isInteger(maxDetections)) {
    throw new ValueError(`${fn}: 'maxDetections' must be a non-negative integer or Infinity, got ${describe(maxDetections)}`);
  }
  assertOneOf(fn, 'method', method, NMS_METHODS);
  assertNumber(fn, 'sigma', sigma, { min: 0, minOpen: true });
  return { iouThreshold, scoreThreshold, maxDetections, method, sigma };
}

/** Check flat boxes / scores / class ids; returns N. @internal */
export function checkNmsArrays(
  fn: string,
  boxes: ArrayLike<number>,
  scores: ArrayLike<number>,
  classIds: ArrayLike<number> | undefined,
): number {
  if (boxes == null || typeof boxes.length !== 'number' || boxes.length % 4 !== 0) {
    const got = boxes != null && typeof boxes.length === 'number' ? `length ${boxes.length}` : describe(boxes);
    throw new ShapeError(`${fn}: 'boxes' must hold N × 4 numbers (x1, y1, x2, y2 per box), got ${got}`);
  }
  const n = boxes.length / 4;
  if (scores == null || scores.length !== n) {
    throw new ShapeError(`${fn}: 'scores' must hold N = ${n} numbers (one per box), got ${scores == null ? describe(scores) : `length ${scores.length}`}`);
  }
  if (classIds !== undefined && (classIds === null || classIds.length !== n)) {
    throw new ShapeError(`${fn}: 'classIds' must hold N = ${n} numbers (one per box), got ${classIds === null ? 'null' : `length ${classIds.length}`}`);
  }
  assertFiniteArray(fn, 'boxes', boxes, 4);
  assertFiniteArray(fn, 'scores', scores);
  if (classIds !== undefined) assertFiniteArray(fn, 'classIds', classIds);
  return n;
}

/**
 * Greedy or soft NMS on flat arrays.
 *
 * @param boxes `N × 4` corner boxes `(x1, y1, x2, y2)`, row-major; any units.
 * @param scores `N` finite scores.
 * @param options see {@link NmsArrayOptions}; defaults `iouThreshold 0.45`, `scoreThreshold 0.005`,
 *   `maxDetections 100`, `method 'greedy'`.
 * @returns the kept box indices in keep order (decreasing score, ties lower index first).
 * @throws {@link ShapeError} on wrong lengths; {@link ValueError} on NaN / infinite inputs or bad options.
 */
export function nmsArrays(boxes: ArrayLike<number>, scores: ArrayLike<number>, options?: NmsArrayOptions): Int32Array {
  return checkedNms('nmsArrays', boxes, scores, options).indices;
}

/**
 * {@link nmsArrays} that also returns the kept scores: the input scores for greedy NMS, the decayed
 * scores for soft-NMS (float32 values).
 *
 * @returns `{ indices, scores }`, both of the kept length, in keep order.
 */
export function nmsArraysWithScores(
  boxes: ArrayLike<number>,
  scores: ArrayLike<number>,
  options?: NmsArrayOptions,
): { indices: Int32Array; scores: Float32Array } {
  return checkedNms('nmsArraysWithScores', boxes, scores, options);
}

function checkedNms(fn: string, boxes: ArrayLike<number>, scores: ArrayLike<number>, options: NmsArrayOptions | undefined) {
  const opts = resolveNmsOptions(fn, options, ['classIds']);
  const classIds = options?.classIds;
  checkNmsArrays(fn, boxes, scores, classIds);
  return runNms(boxes, scores, classIds, opts);
}

/** NMS on already validated input. @internal */
export function runNms(
  boxesIn: ArrayLike<number>,
  scoresIn: ArrayLike<number>,
  classIds: ArrayLike<number> | undefined,
  opts: ResolvedNmsOptions,
): { indices: Int32Array; scores: Float32Array } {
  const boxes = boxesIn instanceof Float32Array ? boxesIn : Float32Array.from(boxesIn);
  const scores = scoresIn instanceof Float32Array ? scoresIn : Float32Array.from(scoresIn);
  const n = scores.length;
  // Candidates: score strictly above the threshold.
  const cand = new Int32Array(n);
  let count = 0;
  for (let i = 0; i < n; i++) if (scores[i] > opts.scoreThreshold) cand[count++] = i;
  const candidates = cand.subarray(0, count);
  if (count === 0 || opts.maxDetections === 0) return { indices: new Int32Array(0), scores: new Float32Array(0) };
  return opts.method === 'greedy'
    ? greedy(boxes, scores, classIds, candidates, opts)
    : soft(boxes, scores, classIds, candidates, opts);
}

/** Whether a box can have IoU > 0 with anything: positive float32 width, height and area. */
function active(boxes: Float32Array, i: number): boolean {
  const f = Math.fround;
  const w = f(boxes[4 * i + 2] - boxes[4 * i]);
  const h = f(boxes[4 * i + 3] - boxes[4 * i + 1]);
  return w > 0 && h > 0 && f(w * h) > 0;
}

function greedy(
  boxes: Float32Array,
  scores: Float32Array,
  classIds: ArrayLike<number> | undefined,
  order: Int32Array,
  opts: ResolvedNmsOptions,
): { indices: Int32Array; scores: Float32Array } {
  sortByScore(order, scores);
  const m = order.length;
  const limit = Math.min(m, opts.maxDetections);
  const thr = opts.iouThreshold;
  const grid = new BoxGrid(boxes, activeOnly(boxes, order));
  // done[i]: box i was visited (kept) or suppressed; a box not done yet ranks after the current one.
  const done = new Uint8Array(scores.length);
  const keep = new Int32Array(limit);
  let kept = 0;
  const hits = grid.hits;
  for (let k = 0; k < m && kept < limit; k++) {
    const cur = order[k];
    if (done[cur]) continue;
    done[cur] = 1;
    keep[kept++] = cur;
    if (kept === limit || !active(boxes, cur)) continue;
    const curClass = classIds ? classIds[cur] : 0;
    const nh = grid.overlapping(cur, done); // boxes not done yet, i.e. ranked after cur and not suppressed
    for (let t = 0; t < nh; t++) {
      const j = hits[t];
      if (classIds && classIds[j] !== curClass) continue;
      if (iouFloat32(boxes, cur, boxes, j) > thr) done[j] = 1;
    }
  }
  const indices = keep.slice(0, kept);
  const out = new Float32Array(kept);
  for (let k = 0; k < kept; k++) out[k] = scores[indices[k]];
  return { indices, scores: out };
}

/** The boxes of `ids` that can have IoU > 0 with anything (the others never interact). */
function activeOnly(boxes: Float32Array, ids: Int32Array): Int32Array {
  const out = new Int32Array(ids.length);
  let n = 0;
  for (let k = 0; k < ids.length; k++) if (active(boxes, ids[k])) out[n++] = ids[k];
  return out.subarray(0, n);
}

function soft(
  boxes: Float32Array,
  scores: Float32Array,
  classIds: ArrayLike<number> | undefined,
  candidates: Int32Array,
  opts: ResolvedNmsOptions,
): { indices: Int32Array; scores: Float32Array } {
  const { iouThreshold: thr, scoreThreshold, sigma } = opts;
  const linear = opts.method === 'soft-linear';
  const cur = new Float32Array(scores.length); // current (decayed) scores
  const heap = new ScoreHeap(cur, candidates.length);
  const gone = new Uint8Array(scores.length); // picked or dropped
  for (const i of candidates) {
    cur[i] = scores[i];
    heap.push(i);
  }
  const grid = new BoxGrid(boxes, activeOnly(boxes, candidates));
  const limit = Math.min(candidates.length, opts.maxDetections);
  const keep = new Int32Array(limit);
  const keptScores = new Float32Array(limit);
  let kept = 0;
  const hits = grid.hits;
  while (kept < limit && heap.size > 0) {
    const pick = heap.pop();
    gone[pick] = 1;
    keep[kept] = pick;
    keptScores[kept++] = cur[pick];
    if (kept === limit || !active(boxes, pick)) continue;
    const pickClass = classIds ? classIds[pick] : 0;
    const nh = grid.overlapping(pick, gone);
    for (let t = 0; t < nh; t++) {
      const j = hits[t];
      if (classIds && classIds[j] !== pickClass) continue;
      const iou = iouFloat32(boxes, pick, boxes, j);
      let w: number;
      if (linear) {
        if (!(iou > thr)) continue;
        w = 1 - iou;
      } else {
        if (iou === 0) continue;
        w = Math.exp(-(iou * iou) / sigma);
      }
      const d = Math.fround(cur[j] * w);
      if (d === cur[j]) continue;
      if (d <= scoreThreshold) {
        heap.remove(j);
        gone[j] = 1;
      } else {
        cur[j] = d;
        heap.decreased(j);
      }
    }
  }
  return { indices: keep.slice(0, kept), scores: keptScores.slice(0, kept) };
}

const INDEX_BITS = 2 ** 21;

/**
 * Sort box indices by decreasing score, equal scores lower index first, in place. Up to 2²¹ boxes the
 * key `rank(score) · 2²¹ + index` (an exact integer below 2⁵³, `rank` reversing the float32 order) is
 * sorted natively; beyond that a comparator sort does the same.
 */
function sortByScore(order: Int32Array, scores: Float32Array): void {
  const m = order.length;
  if (scores.length > INDEX_BITS) {
    order.sort((a, b) => scores[b] - scores[a] || a - b);
    return;
  }
  const bits = new Uint32Array(Float32Array.from(order, (i) => scores[i]).buffer);
  const keys = new Float64Array(m);
  for (let k = 0; k < m; k++) {
    let u = bits[k];
    // Order-preserving map of float32 bits to uint32 (negative floats reversed), +0 and −0 made equal.
    if (u === 0x80000000) u = 0;
    u = u & 0x80000000 ? ~u >>> 0 : (u | 0x80000000) >>> 0;
    keys[k] = (0xffffffff - u) * INDEX_BITS + order[k];
  }
  keys.sort();
  for (let k = 0; k < m; k++) order[k] = keys[k] % INDEX_BITS;
}
