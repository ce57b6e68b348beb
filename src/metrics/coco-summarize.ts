/**
 * COCO evaluation, phase 3 (pycocotools' `summarize`): the 12 standard numbers and per-class AP, means of
 * the valid (> −1) entries of the accumulated arrays by numpy's pairwise summation, in pycocotools' array order.
 *
 * @internal
 * @packageDocumentation
 */
import { COCO_AREA_RANGES, COCO_RECALL_THRESHOLDS } from './coco-params.js';
import { pairwiseSum } from './pack.js';

/** Mean of the valid precision entries over thresholds `ts`, every recall point and classes `ks`, at range `a`, maxDets `m`; −1 if none. */
function meanPrecision(precision: Float64Array, K: number, ts: readonly number[], a: number, m: number, ks: readonly number[]): number {
  const R = COCO_RECALL_THRESHOLDS.length, A = COCO_AREA_RANGES.length, M = 3;
  const vals: number[] = [];
  for (const t of ts) for (let r = 0; r < R; r++) for (const k of ks) {
    const v = precision[(((t * R + r) * K + k) * A + a) * M + m];
    if (v > -1) vals.push(v);
  }
  return vals.length ? pairwiseSum(vals) / vals.length : -1;
}

/** Mean of the valid recall entries over every threshold and class at range `a`, maxDets `m`; −1 if none. */
function meanRecall(recall: Float64Array, T: number, K: number, a: number, m: number): number {
  const A = COCO_AREA_RANGES.length, M = 3;
  const vals: number[] = [];
  for (let t = 0; t < T; t++) for (let k = 0; k < K; k++) {
    const v = recall[((t * K + k) * A + a) * M + m];
    if (v > -1) vals.push(v);
  }
  return vals.length ? pairwiseSum(vals) / vals.length : -1;
}

/** Threshold indices: all of them, and those equal to 0.5 and to 0.75. */
function thresholdSets(iouThresholds: readonly number[]): { all: number[]; t50: number[]; t75: number[] } {
  const all = iouThresholds.map((_, t) => t);
  return { all, t50: all.filter((t) => iouThresholds[t] === 0.5), t75: all.filter((t) => iouThresholds[t] === 0.75) };
}

/**
 * pycocotools' `stats`: AP, AP50, AP75, AP small / medium / large (maxDets index 2), AR at the three
 * maxDets, AR small / medium / large (maxDets index 2); −1 where nothing is valid.
 * @internal
 */
export function summarizeStats(precision: Float64Array, recall: Float64Array, iouThresholds: readonly number[], K: number): number[] {
  const T = iouThresholds.length;
  const { all, t50, t75 } = thresholdSets(iouThresholds);
  const classes = Array.from({ length: K }, (_, k) => k);
  const P = (ts: number[], a: number): number => meanPrecision(precision, K, ts, a, 2, classes);
  return [
    P(all, 0), P(t50, 0), P(t75, 0), P(all, 1), P(all, 2), P(all, 3),
    meanRecall(recall, T, K, 0, 0), meanRecall(recall, T, K, 0, 1), meanRecall(recall, T, K, 0, 2),
    meanRecall(recall, T, K, 1, 2), meanRecall(recall, T, K, 2, 2), meanRecall(recall, T, K, 3, 2),
  ];
}

/**
 * Class `k`'s AP@[.50:.95], AP50 and AP75 (area all, maxDets index 2); −1 where nothing is valid.
 * @internal
 */
export function classAPs(precision: Float64Array, iouThresholds: readonly number[], K: number, k: number): [number, number, number] {
  const { all, t50, t75 } = thresholdSets(iouThresholds);
  return [
    meanPrecision(precision, K, all, 0, 2, [k]),
    meanPrecision(precision, K, t50, 0, 2, [k]),
    meanPrecision(precision, K, t75, 0, 2, [k]),
  ];
}
