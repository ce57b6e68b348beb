/**
 * PASCAL VOC average precision, as the devkit's Python evaluation script (`voc_eval.py`) computes it,
 * with the MATLAB devkit's `>=` rule as an option. See `docs/evaluation.md`.
 *
 * @packageDocumentation
 */
import { ValueError, describe } from '../errors.js';
import { assertKnownKeys, assertNumber, assertOneOf } from '../validate.js';
import { ImageGroups } from './group.js';
import { groupBy, sortSegmentsByScore, identityOrder, numpyMean, packInputs, pairwiseSum } from './pack.js';
import type { Packed } from './pack.js';
import type { DetectionBox, GroundTruthBox } from './types.js';

/** Options of {@link vocAP}. Every field is optional. */
export interface VOCAPOptions {
  /** IoU threshold in [0, 1], default `0.5`. */
  iouThreshold?: number;
  /**
   * `'voc07'` (default, "VOC07 metric? Yes" in the training records): 11-point interpolated AP, the mean over
   * `t = k * 0.1` (k = 0…10, computed exactly so in float64, as `np.arange(0., 1.1, 0.1)`) of the
   * highest precision at recall ≥ t, 0 when no recall reaches t. A recall of exactly 0.3 does
   * **not** reach the fourth point (0.30000000000000004).
   * `'voc2010'`: all-point AP — the area under the precision envelope (precision made non-increasing
   * from the right), summed where recall changes.
   */
  metric?: 'voc07' | 'voc2010';
  /**
   * `'inclusive'` (default): VOC pixel boxes, width = x2 − x1 + 1 (also for the intersection).
   * `'continuous'`: width = x2 − x1, for normalised or sub-pixel boxes.
   */
  pixelConvention?: 'inclusive' | 'continuous';
  /** `'gt'` (default): a match needs IoU > threshold (devkit Python). `'gte'`: IoU ≥ threshold (devkit MATLAB). */
  matchRule?: 'gt' | 'gte';
  /** Default false: difficult objects are not counted in `npos`, and a detection matching one is ignored. True: counted like any other. */
  useDifficult?: boolean;
  /**
   * Classes without positives (npos = 0): `'exclude'` (default) → `ap: null`, left out of mAP;
   * `'zero'` → `ap: 0`, averaged in (what the VOC07 Python script's mean does).
   */
  emptyClasses?: 'exclude' | 'zero';
  /** Number of classes; default `classNames.length`, else the largest class id + 1. */
  numClasses?: number;
  /** Class names, copied into `perClass[k].name`. */
  classNames?: readonly string[];
}

/** One class of a {@link VOCAPResult}. */
export interface VOCClassResult {
  classId: number;
  /** From `options.classNames`. */
  name?: string;
  /** Average precision, or `null` when the class has no positives (and `emptyClasses` is `'exclude'`). */
  ap: number | null;
  /** Number of positives: non-difficult ground truth (all of it with `useDifficult`). */
  npos: number;
  /**
   * One entry per detection of the class in sorted order (score descending, ties in input order),
   * ignored detections included with TP/FP unchanged: `tp / max(tp + fp, ε)` (0 when both are 0).
   */
  precision: Float64Array;
  /** Same length as `precision`: `tp / npos` (`NaN` when `npos` is 0). */
  recall: Float64Array;
  /** Final counts: true positives, false positives, and detections ignored because they matched a difficult object. */
  tp: number;
  fp: number;
  ignored: number;
}

/** Result of {@link vocAP}. */
export interface VOCAPResult {
  /** Mean of `ap` over the classes with positives (all classes with `emptyClasses: 'zero'`); `NaN` if there are none. */
  mAP: number;
  /** One entry per class id `0 … numClasses − 1`. */
  perClass: VOCClassResult[];
  /** The metric used (for reports: "VOC07 metric? Yes"). */
  metric: 'voc07' | 'voc2010';
  /** Number of classes averaged into `mAP`. */
  numClassesInMean: number;
}

const FN = 'vocAP';
const EPS = 2.220446049250313e-16; // np.finfo(np.float64).eps

/**
 * PASCAL VOC average precision per class and its mean.
 *
 * Per class: detections sorted by score, highest first — **stable**, so equal scores keep their input
 * order (the Python script's quicksort makes its AP arbitrary there). Each detection takes the
 * ground truth of its image and class with the highest IoU (the first one on equal IoU), matched or
 * not; above the threshold it is ignored if that object is difficult, a TP if the object is still
 * unmatched (which it then marks), else an FP — there is no fallback to the second best. Below the
 * threshold, or with no ground truth in the image, it is an FP. A detection on an image that has no
 * ground truth at all is an FP too.
 *
 * IoU is float64: `inter / (areaDet + areaGt − inter)` with `+1` on every width and height under
 * `'inclusive'`, in the script's order of operations. APs are formed so that perfect detections give
 * exactly 1 and no AP leaves [0, 1] (see the internal `ap11` and `apAllPoint`); they agree with the script
 * to a few ulps whenever its sort is unambiguous. The mean uses numpy's pairwise summation.
 *
 * @param detections boxes `(x1, y1, x2, y2)` with scores; any number per image and class.
 * @param groundTruths boxes with optional `difficult`.
 * @returns mAP and per-class AP, npos and the precision / recall arrays.
 * @throws {@link ValueError} naming the record: non-finite box or score, `x2 < x1` or `y2 < y1`,
 *   class id not an integer in range; or a bad option.
 *
 * @example
 * ```ts
 * const { mAP, perClass } = vocAP(detections, groundTruths, { classNames: VOC_CLASSES });
 * ```
 */
export function vocAP(
  detections: readonly DetectionBox[],
  groundTruths: readonly GroundTruthBox[],
  options: VOCAPOptions = {},
): VOCAPResult {
  return scoreVOC(detections, groundTruths, options, false);
}

/**
 * {@link vocAP} that accepts detection boxes with `x2 < x1` or `y2 < y1` and scores them as voc_eval does (their
 * intersection is empty unless inverted by less than the +1 pixel, so they are false positives): the devkit path.
 * @internal
 */
export function vocAPKeepingInverted(
  detections: readonly DetectionBox[],
  groundTruths: readonly GroundTruthBox[],
  options: VOCAPOptions = {},
): VOCAPResult {
  return scoreVOC(detections, groundTruths, options, true);
}

function scoreVOC(
  detections: readonly DetectionBox[],
  groundTruths: readonly GroundTruthBox[],
  options: VOCAPOptions,
  keepInverted: boolean,
): VOCAPResult {
  const o = resolveVOCOptions(options);
  const { numClasses: C, imageIds, dets, gts } = packInputs(FN, detections, groundTruths, 'voc', o.numClasses, keepInverted);
  if (options?.pixelConvention === undefined) refuseNormalisedBoxes(gts.boxes);

  // Ground truth grouped by class (input order kept); detections sorted once, then grouped by class.
  const gByClass = groupBy(identityOrder(gts.n), gts.cls, C);
  const dByClass = groupBy(identityOrder(dets.n), dets.cls, C);
  sortSegmentsByScore(dets.scores, dByClass.items, dByClass.start);
  const byImage = new ImageGroups(imageIds.length, gts.n); // the class's ground truth, grouped by image
  const matched = new Uint8Array(gts.n);

  const perClass: VOCClassResult[] = [];
  const aps: number[] = [];
  for (let c = 0; c < C; c++) {
    const g0 = gByClass.start[c], g1 = gByClass.start[c + 1];
    byImage.group(gByClass.items, g0, g1 - g0, gts.image);
    let npos = 0;
    for (let j = g0; j < g1; j++) if (o.useDifficult || !gts.flag[gByClass.items[j]]) npos++;
    const d0 = dByClass.start[c];
    const walk = walkDetections(dets, gts, dByClass.items.subarray(d0, dByClass.start[c + 1]), byImage, matched, npos, o);
    let ap: number | null;
    if (npos === 0) ap = o.emptyClasses === 'zero' ? 0 : null;
    else ap = walk.tpCum ? apAllPoint(walk.precision, walk.tpCum, npos) : ap11(walk.precision, walk.recall);
    if (ap !== null) aps.push(ap);
    const { precision, recall, tp, fp, ignored } = walk;
    const entry: VOCClassResult = { classId: c, ap, npos, precision, recall, tp, fp, ignored };
    if (o.classNames) entry.name = o.classNames[c];
    perClass.push(entry);
  }
  return { mAP: numpyMean(aps), perClass, metric: o.metric, numClassesInMean: aps.length };
}

const KNOWN_OPTIONS = [
  'iouThreshold', 'metric', 'pixelConvention', 'matchRule', 'useDifficult', 'emptyClasses', 'numClasses', 'classNames',
] as const;

interface ResolvedVOCOptions {
  iouThreshold: number;
  metric: 'voc07' | 'voc2010';
  one: number;
  gte: boolean;
  useDifficult: boolean;
  emptyClasses: 'exclude' | 'zero';
  numClasses: number | undefined;
  classNames: readonly string[] | undefined;
}

function resolveVOCOptions(options: VOCAPOptions | undefined): ResolvedVOCOptions {
  assertKnownKeys(FN, 'options', options ?? undefined, KNOWN_OPTIONS);
  const {
    iouThreshold = 0.5,
    metric = 'voc07',
    pixelConvention = 'inclusive',
    matchRule = 'gt',
    useDifficult = false,
    emptyClasses = 'exclude',
    classNames,
  } = options ?? {};
  assertNumber(FN, 'options.iouThreshold', iouThreshold, { min: 0, max: 1 });
  assertOneOf(FN, 'options.metric', metric, ['voc07', 'voc2010'] as const);
  assertOneOf(FN, 'options.pixelConvention', pixelConvention, ['inclusive', 'continuous'] as const);
  assertOneOf(FN, 'options.matchRule', matchRule, ['gt', 'gte'] as const);
  assertOneOf(FN, 'options.emptyClasses', emptyClasses, ['exclude', 'zero'] as const);
  if (typeof useDifficult !== 'boolean') throw new ValueError(`${FN}: 'options.useDifficult' must be a boolean, got ${describe(useDifficult)}`);
  const numClasses = resolveNumClasses(FN, options?.numClasses, classNames);
  const one = pixelConvention === 'inclusive' ? 1 : 0;
  return { iouThreshold, metric, one, gte: matchRule === 'gte', useDifficult, emptyClasses, numClasses, classNames };
}

/**
 * The default pixel convention (`'inclusive'`, VOC pixel boxes) adds a whole pixel to every side: on boxes
 * normalised to [0, 1] that is a wrong number, not a rounding. Ground truth whose every coordinate lies in
 * [0, 1] cannot be told apart from such boxes, so the caller must say which convention is meant.
 */
function refuseNormalisedBoxes(gtBoxes: Float64Array): void {
  if (gtBoxes.length === 0) return;
  for (let i = 0; i < gtBoxes.length; i++) if (!(gtBoxes[i] >= 0 && gtBoxes[i] <= 1)) return;
  throw new ValueError(
    `${FN}: every ground-truth coordinate lies in [0, 1], so the boxes look normalised, but 'options.pixelConvention' ` +
      `is not set and its default 'inclusive' (VOC pixel boxes, width = x2 − x1 + 1) would add a whole image to each box; ` +
      `pass pixelConvention: 'continuous' for normalised boxes (or 'inclusive' if these really are pixel boxes)`,
  );
}

/** TP / FP / ignored of one class's detections, walked in score order. */
interface ClassWalk {
  precision: Float64Array;
  recall: Float64Array;
  /** Cumulative TP count per detection, for the all-point AP (voc2010 only). */
  tpCum: Int32Array | undefined;
  tp: number;
  fp: number;
  ignored: number;
}

/**
 * Match one class's detections (`order`: row indices in score order) against its ground truth grouped by image.
 * `matched` marks the ground truth taken (rows of other classes are never touched, so it is never reset).
 */
function walkDetections(
  dets: Packed, gts: Packed, order: Int32Array, byImage: ImageGroups, matched: Uint8Array, npos: number, o: ResolvedVOCOptions,
): ClassWalk {
  const { one, gte, iouThreshold, useDifficult } = o;
  const { start: imgStart, count: imgCount, items: local } = byImage;
  const G = gts.boxes, D = dets.boxes;
  const nd = order.length;
  const precision = new Float64Array(nd);
  const recall = new Float64Array(nd);
  const tpCum = o.metric === 'voc2010' ? new Int32Array(nd) : undefined;
  let tp = 0, fp = 0, ignored = 0;
  for (let j = 0; j < nd; j++) {
    const di = order[j];
    const img = dets.image[di];
    const cnt = imgCount[img];
    const bx1 = D[4 * di], by1 = D[4 * di + 1], bx2 = D[4 * di + 2], by2 = D[4 * di + 3];
    const areaD = (bx2 - bx1 + one) * (by2 - by1 + one);
    let ovmax = -Infinity;
    let best = -1;
    for (let k = imgStart[img], kEnd = imgStart[img] + cnt; k < kEnd; k++) {
      const gi = local[k];
      const gx1 = G[4 * gi], gy1 = G[4 * gi + 1], gx2 = G[4 * gi + 2], gy2 = G[4 * gi + 3];
      const iw = Math.min(gx2, bx2) - Math.max(gx1, bx1) + one;
      const ih = Math.min(gy2, by2) - Math.max(gy1, by1) + one;
      if (iw <= 0 || ih <= 0) continue;
      const inter = iw * ih;
      const ov = inter / (areaD + (gx2 - gx1 + one) * (gy2 - gy1 + one) - inter);
      if (ov > ovmax) {
        ovmax = ov;
        best = gi;
      }
    }
    if (best >= 0 && (gte ? ovmax >= iouThreshold : ovmax > iouThreshold)) {
      if (!useDifficult && gts.flag[best]) ignored++;
      else if (!matched[best]) {
        matched[best] = 1;
        tp++;
      } else fp++;
    } else fp++;
    precision[j] = tp / Math.max(tp + fp, EPS);
    recall[j] = tp / npos;
    if (tpCum) tpCum[j] = tp;
  }
  return { precision, recall, tpCum, tp, fp, ignored };
}

/** The 11 recall thresholds of the VOC07 metric: `k * 0.1`, as `np.arange(0., 1.1, 0.1)` makes them. */
export const VOC07_RECALL_THRESHOLDS: readonly number[] = Object.freeze(Array.from({ length: 11 }, (_, k) => k * 0.1));

/**
 * VOC07 11-point AP of one class: `(Σ_k p_k) / 11`, `p_k` the highest precision at recall ≥ `k * 0.1`
 * (0 if none). `recall` must be non-decreasing.
 *
 * The Python script accumulates `ap += p_k / 11`, which rounds 11 times (its perfect score is
 * 1.0000000000000002); summing first and dividing once gives exactly 1 for perfect detections and
 * never leaves [0, 1]. The two differ by at most a few ulps.
 * @internal
 */
export function ap11(precision: ArrayLike<number>, recall: ArrayLike<number>): number {
  const n = precision.length;
  const suffixMax = new Float64Array(n);
  let m = 0;
  for (let i = n - 1; i >= 0; i--) {
    if (precision[i] > m) m = precision[i];
    suffixMax[i] = m;
  }
  let sum = 0;
  let idx = 0;
  for (let k = 0; k <= 10; k++) {
    const t = VOC07_RECALL_THRESHOLDS[k];
    while (idx < n && !(recall[idx] >= t)) idx++;
    sum += idx < n ? suffixMax[idx] : 0;
  }
  return sum / 11;
}

/**
 * VOC2010+ all-point AP of one class: the area under the precision envelope (precision padded with 0
 * at both ends and made non-increasing from the right), `Σ (r[i] − r[i−1]) · env[i]` over the points
 * where recall changes.
 *
 * Computed as `(Σ Δtp_i · env_i) / npos` (numpy's pairwise sum of the terms): mathematically the
 * script's `Σ Δrecall · env` with exact recall steps, so perfect detections give exactly 1 and the
 * value never leaves [0, 1]; it differs from the script by at most a few ulps.
 * @param precision per detection in sorted order.
 * @param tp cumulative true-positive count per detection.
 * @param npos number of positives (> 0).
 * @internal
 */
export function apAllPoint(precision: ArrayLike<number>, tp: ArrayLike<number>, npos: number): number {
  const n = precision.length;
  const terms: number[] = [];
  let env = 0;
  for (let i = n - 1; i >= 0; i--) {
    if (precision[i] > env) env = precision[i];
    const step = tp[i] - (i > 0 ? tp[i - 1] : 0);
    if (step > 0) terms.push(step * env);
  }
  terms.reverse();
  return pairwiseSum(terms) / npos;
}

/** @internal */
export function resolveNumClasses(fn: string, numClasses: unknown, classNames: unknown): number | undefined {
  if (classNames !== undefined) {
    if (!Array.isArray(classNames) || !classNames.every((s) => typeof s === 'string')) {
      throw new ValueError(`${fn}: 'options.classNames' must be an array of strings, got ${describe(classNames)}`);
    }
  }
  if (numClasses !== undefined) {
    assertNumber(fn, 'options.numClasses', numClasses, { min: 1, integer: true });
    if (classNames !== undefined && (classNames as string[]).length !== numClasses) {
      throw new ValueError(
        `${fn}: 'options.classNames' must have numClasses (${numClasses}) entries, got ${(classNames as string[]).length}`,
      );
    }
    return numClasses;
  }
  return classNames !== undefined ? (classNames as string[]).length : undefined;
}
