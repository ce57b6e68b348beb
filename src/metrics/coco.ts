/**
 * COCO box AP@[.50:.95], as pycocotools' `COCOeval` (iouType 'bbox') computes it, in its three phases:
 * evaluate per image, class and area range (`coco-evaluate.ts`); accumulate per class (`coco-accumulate.ts`);
 * summarise into the standard 12 numbers (`coco-summarize.ts`).
 * See `docs/evaluation.md`.
 *
 * @packageDocumentation
 */
import { ValueError, describe } from '../errors.js';
import { assertKnownKeys, assertNumber } from '../validate.js';
import { COCOAccumulator } from './coco-accumulate.js';
import { COCOImageEvaluator, orderCOCODetections } from './coco-evaluate.js';
import { COCO_AREA_RANGES, COCO_IOU_THRESHOLDS, COCO_RECALL_THRESHOLDS } from './coco-params.js';
import { classAPs, summarizeStats } from './coco-summarize.js';
import { packInputs } from './pack.js';
import type { COCOGroundTruthBox, DetectionBox } from './types.js';
import { resolveNumClasses } from './voc.js';

export { COCO_IOU_THRESHOLDS, COCO_RECALL_THRESHOLDS, COCO_AREA_RANGES } from './coco-params.js';

const FN = 'cocoAP';

/** Options of {@link cocoAP}. */
export interface COCOAPOptions {
  /** IoU thresholds; default {@link COCO_IOU_THRESHOLDS} (numpy's `linspace(0.5, 0.95, 10)`). */
  iouThresholds?: readonly number[];
  /** Detections kept per image and class for AR1 / AR10 / AR100 and the AP numbers (the last one); default `[1, 10, 100]`. */
  maxDets?: readonly [number, number, number];
  /** Number of classes; default `classNames.length`, else the largest class id + 1. */
  numClasses?: number;
  /** Class names, copied into `perClass[k].name`. */
  classNames?: readonly string[];
}

/** One class of a {@link COCOAPResult}. */
export interface COCOClassResult {
  classId: number;
  name?: string;
  /** AP@[.50:.95] (area all, maxDets[2]); `null` when the class has no non-crowd ground truth. */
  ap: number | null;
  /** AP at IoU 0.5 and 0.75 (`null` likewise, or when that threshold is not evaluated). */
  ap50: number | null;
  ap75: number | null;
  /** Number of non-crowd ground truth objects (area all). */
  npos: number;
}

/** Result of {@link cocoAP}: the 12 summary numbers (−1 where nothing is valid), per-class AP and the accumulated arrays. */
export interface COCOAPResult {
  AP: number; AP50: number; AP75: number; APsmall: number; APmedium: number; APlarge: number;
  AR1: number; AR10: number; AR100: number; ARsmall: number; ARmedium: number; ARlarge: number;
  /** The 12 numbers in pycocotools' `stats` order. */
  stats: number[];
  perClass: COCOClassResult[];
  /** Interpolated precision, `[T, R, K, A, M]` row-major (T IoU thresholds, R = 101 recall points, K classes, A = 4 area ranges, M = 3 maxDets); −1 where absent. */
  precision: Float64Array;
  /** Final recall, `[T, K, A, M]` row-major; −1 where absent. */
  recall: Float64Array;
  /** `[T, R, K, A, M]`. */
  shape: [number, number, number, number, number];
  iouThresholds: number[];
  maxDets: [number, number, number];
}

/**
 * COCO-style box AP, AR and per-class AP.
 *
 * For each class, image and area range (matching is redone per range): ground truth that is crowd or
 * whose `area` lies outside the range is ignored and sorted after the rest; the image's detections
 * of the class are sorted by score (stable: input order on ties) and cut to `maxDets[2]`. For each IoU
 * threshold a detection, in score order, takes among the not-yet-matched ground truth (crowd can be
 * matched again and again) the one with the highest IoU ≥ threshold — the later one on equal IoU —
 * preferring non-ignored ground truth (once it has one it never moves to an ignored one). A
 * detection matched to ignored ground truth is ignored; an unmatched one whose own area is outside
 * the range is ignored. IoU is float64 with no +1; with a crowd region it is intersection ÷
 * detection area.
 *
 * Per class and range the images' detections are concatenated in image order (ids sorted
 * numerically when all are numbers, else as strings) and stable-sorted by score; precision
 * `tp / (tp + fp)` is made non-increasing from the right and read at recall `k * 0.01` (first
 * index with recall ≥ the point, 0 beyond the last). A class without non-ignored ground truth in a
 * range is −1 there and left out of that range's means. Means use numpy's pairwise summation over
 * the valid entries in pycocotools' array order.
 *
 * Differences from pycocotools, all at the last-ulp level or outside the defaults: precision is
 * `tp / (tp + fp)` (pycocotools adds `np.spacing(1)` to the denominator, which turns a precision
 * of 1/1 into 0.9999999999999998 and leaves every other value unchanged); all six AP numbers use `maxDets[2]` (pycocotools' first one uses a
 * literal 100); a detection on an image that has no ground truth counts as an FP (pycocotools
 * refuses results for images missing from the ground truth file).
 *
 * @param detections boxes `(x1, y1, x2, y2)` (continuous, e.g. COCO's `[x, y, x + w, y + h]`) with scores.
 * @param groundTruths boxes with optional `area` (default the box's w·h) and `iscrowd`.
 * @throws {@link ValueError} naming the record or option.
 */
export function cocoAP(
  detections: readonly DetectionBox[],
  groundTruths: readonly COCOGroundTruthBox[],
  options: COCOAPOptions = {},
): COCOAPResult {
  assertKnownKeys(FN, 'options', options ?? undefined, KNOWN_OPTIONS);
  const { iouThresholds = COCO_IOU_THRESHOLDS, maxDets = [1, 10, 100], classNames } = options ?? {};
  if (!Array.isArray(iouThresholds) || iouThresholds.length === 0) {
    throw new ValueError(`${FN}: 'options.iouThresholds' must be a non-empty array, got ${describe(iouThresholds)}`);
  }
  iouThresholds.forEach((t, i) => assertNumber(FN, `options.iouThresholds[${i}]`, t, { min: 0, max: 1 }));
  if (!Array.isArray(maxDets) || maxDets.length !== 3) {
    throw new ValueError(`${FN}: 'options.maxDets' must be an array of 3 integers, got ${describe(maxDets)}`);
  }
  maxDets.forEach((m, i) => assertNumber(FN, `options.maxDets[${i}]`, m, { min: 1, integer: true }));
  const numClasses = resolveNumClasses(FN, options?.numClasses, classNames);
  const { numClasses: K, imageIds, dets, gts } = packInputs(FN, detections, groundTruths, 'coco', numClasses);

  const thr = iouThresholds.map((t) => Math.min(t, 1 - 1e-10));
  const cap = maxDets[2];
  const sorted = orderCOCODetections(dets, gts, K, imageIds);
  const evaluator = new COCOImageEvaluator(dets, gts, sorted, imageIds.length, thr, cap);
  const acc = new COCOAccumulator(thr.length, K, sorted.maxNd, maxDets, cap);
  const npos = new Int32Array(K);
  for (let k = 0; k < K; k++) {
    if (sorted.gByClass.start[k + 1] === sorted.gByClass.start[k] && sorted.dStart[k + 1] === sorted.dStart[k]) continue;
    const nd = evaluator.evaluateClass(k);
    npos[k] = evaluator.npos[0];
    acc.accumulateClass(k, nd, evaluator);
  }
  return cocoResult(acc, [...iouThresholds], [...maxDets] as [number, number, number], K, npos, classNames);
}

const KNOWN_OPTIONS = ['iouThresholds', 'maxDets', 'numClasses', 'classNames'] as const;

/** The named result: the 12 numbers, per-class AP and the accumulated arrays. */
function cocoResult(
  acc: COCOAccumulator,
  iouThresholds: number[],
  maxDets: [number, number, number],
  K: number,
  npos: Int32Array,
  classNames: readonly string[] | undefined,
): COCOAPResult {
  const { precision, recall } = acc;
  const stats = summarizeStats(precision, recall, iouThresholds, K);
  const orNull = (x: number): number | null => (x === -1 ? null : x);
  const perClass = Array.from({ length: K }, (_, k): COCOClassResult => {
    const [ap, ap50, ap75] = classAPs(precision, iouThresholds, K, k);
    const entry: COCOClassResult = { classId: k, ap: orNull(ap), ap50: orNull(ap50), ap75: orNull(ap75), npos: npos[k] };
    if (classNames) entry.name = classNames[k];
    return entry;
  });
  const [AP, AP50, AP75, APsmall, APmedium, APlarge, AR1, AR10, AR100, ARsmall, ARmedium, ARlarge] = stats;
  const shape: [number, number, number, number, number] = [
    iouThresholds.length, COCO_RECALL_THRESHOLDS.length, K, COCO_AREA_RANGES.length, maxDets.length,
  ];
  return {
    AP, AP50, AP75, APsmall, APmedium, APlarge, AR1, AR10, AR100, ARsmall, ARmedium, ARlarge,
    stats, perClass, precision, recall, shape, iouThresholds, maxDets,
  };
}
