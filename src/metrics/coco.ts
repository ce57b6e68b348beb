/**
 * COCO box AP@[.50:.95], as pycocotools' `COCOeval` (iouType 'bbox') computes it: evaluate per
 * image, class and area range; accumulate per class; summarise into the standard 12 numbers.
 * See `docs/evaluation.md`.
 *
 * @packageDocumentation
 */
import { ValueError, describe } from '../errors.js';
import { assertNumber } from '../validate.js';
import { groupBy, sortSegmentsByScore, identityOrder, packInputs, pairwiseSum } from './pack.js';
import type { COCOGroundTruthBox, DetectionBox } from './types.js';
import { resolveNumClasses } from './voc.js';

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

/** numpy's `linspace(0.5, 0.95, 10)`: `0.5 + i * ((0.95 − 0.5) / 9)`, the last exactly 0.95 (…, 0.85, 0.8999999999999999, 0.95). */
export const COCO_IOU_THRESHOLDS: readonly number[] = Object.freeze(
  Array.from({ length: 10 }, (_, i) => (i === 9 ? 0.95 : 0.5 + i * ((0.95 - 0.5) / 9))),
);
/** numpy's `linspace(0, 1, 101)`: `k * 0.01` (ten of them sit one ulp above k/100, e.g. 0.7000000000000001). */
export const COCO_RECALL_THRESHOLDS: readonly number[] = Object.freeze(Array.from({ length: 101 }, (_, k) => k * 0.01));
/** Area ranges all, small, medium, large — closed at both ends (1024 is small and medium). */
export const COCO_AREA_RANGES: readonly (readonly [number, number])[] = Object.freeze([
  [0, 1e10], [0, 32 ** 2], [32 ** 2, 96 ** 2], [96 ** 2, 1e10],
] as const);

const FN = 'cocoAP';
const IGNORED = 2, TP = 1;
const ALL_FP = 0, ALL_IGNORED = 1, MIXED = 2;

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
  const { iouThresholds = COCO_IOU_THRESHOLDS, maxDets = [1, 10, 100], classNames } = options ?? {};
  if (!Array.isArray(iouThresholds) || iouThresholds.length === 0) {
    throw new ValueError(`${FN}: 'options.iouThresholds' must be a non-empty array, got ${describe(iouThresholds)}`);
  }
  iouThresholds.forEach((t, i) => assertNumber(FN, `options.iouThresholds[${i}]`, t, { min: 0, max: 1 }));
  if (!Array.isArray(maxDets) || maxDets.length !== 3) {
    throw new ValueError(`${FN}: 'options.maxDets' must be an array of 3 integers, got ${describe(maxDets)}`);
  }
  maxDets.forEach((m, i) => assertNumber(FN, `options.maxDets[${i}]`, m, { min: 1, integer: true }));
  const numClasses = resolveNumClasses(FN, options.numClasses, classNames);
  const { numClasses: K, imageIds, dets, gts } = packInputs(FN, detections, groundTruths, 'coco', numClasses);

  const thr = iouThresholds.map((t) => Math.min(t, 1 - 1e-10));
  const T = thr.length, R = COCO_RECALL_THRESHOLDS.length, A = COCO_AREA_RANGES.length, M = 3;
  const cap = maxDets[M - 1];
  const I = imageIds.length;
  const imageRank = rankImages(imageIds);
  const detRank = new Int32Array(dets.n);
  for (let i = 0; i < dets.n; i++) detRank[i] = imageRank[dets.image[i]];
  const byImage = groupBy(identityOrder(dets.n), detRank, I).items; // image order, then input order

  // Per class: score descending, then image order, then input order (a stable sort of the image-ordered list).
  const gByClass = groupBy(identityOrder(gts.n), gts.cls, K);
  const dByClass = groupBy(byImage, dets.cls, K);
  // Score, image and area gathered once in that order (the one scattered read per detection), the
  // class segments sorted on the gathered scores, then image and area permuted within each segment.
  // Boxes are read through `order` only where an image has ground truth to match.
  const pre = dByClass.items;
  const sScore = new Float64Array(dets.n), sImage = new Int32Array(dets.n), sArea = new Float64Array(dets.n);
  for (let p = 0; p < dets.n; p++) {
    const di = pre[p];
    sScore[p] = dets.scores[di];
    sImage[p] = dets.image[di];
    sArea[p] = dets.area[di];
  }
  const perm = identityOrder(dets.n);
  sortSegmentsByScore(sScore, perm, dByClass.start);
  const order = new Int32Array(dets.n), pImage = new Int32Array(dets.n), pArea = new Float64Array(dets.n);
  for (let p = 0; p < dets.n; p++) {
    const q = perm[p];
    order[p] = pre[q];
    pImage[p] = sImage[q];
    pArea[p] = sArea[q];
  }


  const precision = new Float64Array(T * R * K * A * M).fill(-1);
  const recall = new Float64Array(T * K * A * M).fill(-1);
  const npos = new Int32Array(K);

  // Scratch, reused across classes.
  let maxNd = 0;
  for (let k = 0; k < K; k++) maxNd = Math.max(maxNd, dByClass.start[k + 1] - dByClass.start[k]);
  const AT = A * T;
  const gCount = new Int32Array(I), gStart = new Int32Array(I);
  const dCount = new Int32Array(I), dStart = new Int32Array(I);
  const stamp = new Int32Array(I).fill(-1);
  const gLocal = new Int32Array(gts.n);
  const dLocal = new Int32Array(maxNd);
  const rankInImage = new Int32Array(maxNd);
  const status = new Uint8Array(maxNd * AT); // status[j · A·T + a · T + t]: 0 FP, 1 TP, 2 ignored
  // summary[j · A + a]: ALL_FP / ALL_IGNORED when the status is the same at every threshold (status
  // then left unwritten), MIXED otherwise. Most detections are plain FPs: they cost one byte.
  const summary = new Uint8Array(maxNd * A);
  const sel = new Int32Array(maxNd);
  const pr = new Float64Array(T * (maxNd + 1)); // pr[t · (maxNd + 1) + i]: precision at the i-th TP
  const tpT = new Int32Array(T), fpT = new Int32Array(T);
  let ious = new Float64Array(0);
  let gOrd = new Int32Array(0), gIg = new Uint8Array(0), gCrowd = new Uint8Array(0), gtm = new Int32Array(0);
  let matchRound = 0;
  const images: number[] = [];

  for (let k = 0; k < K; k++) {
    const g0 = gByClass.start[k], g1 = gByClass.start[k + 1];
    const d0 = dByClass.start[k], nd = dByClass.start[k + 1] - d0;
    if (g1 === g0 && nd === 0) continue;
    // Group the class's ground truth and detections by image (stable).
    images.length = 0;
    for (let j = g0; j < g1; j++) {
      const img = gts.image[gByClass.items[j]];
      if (stamp[img] !== k) { stamp[img] = k; images.push(img); gCount[img] = 0; dCount[img] = 0; }
      gCount[img]++;
    }
    for (let j = 0; j < nd; j++) {
      const img = pImage[d0 + j];
      if (stamp[img] !== k) { stamp[img] = k; images.push(img); gCount[img] = 0; dCount[img] = 0; }
      dCount[img]++;
    }
    let go = 0, dof = 0;
    for (const img of images) {
      gStart[img] = go; go += gCount[img]; gCount[img] = 0;
      dStart[img] = dof; dof += dCount[img]; dCount[img] = 0;
    }
    for (let j = g0; j < g1; j++) {
      const gi = gByClass.items[j], img = gts.image[gi];
      gLocal[gStart[img] + gCount[img]++] = gi;
    }
    for (let j = 0; j < nd; j++) {
      const img = pImage[d0 + j];
      rankInImage[j] = dCount[img];
      dLocal[dStart[img] + dCount[img]++] = j; // position in the class list
    }

    // Evaluate every image: a status per (detection of the class, area range, threshold).
    const nposA = [0, 0, 0, 0];
    for (const img of images) {
      const G = gCount[img], D = Math.min(dCount[img], cap);
      const gBase = gStart[img], dBase = dStart[img];
      if (D === 0 || G === 0) {
        // Nothing to match: count the positives; unmatched detections are FPs unless out of range.
        for (let a = 0; a < A; a++) {
          const lo = COCO_AREA_RANGES[a][0], hi = COCO_AREA_RANGES[a][1];
          for (let g = 0; g < G; g++) {
            const gi = gLocal[gBase + g];
            if (!(gts.flag[gi] || gts.area[gi] < lo || gts.area[gi] > hi)) nposA[a]++;
          }
          for (let d = 0; d < D; d++) {
            const j = dLocal[dBase + d];
            const area = pArea[d0 + j];
            summary[j * A + a] = area < lo || area > hi ? ALL_IGNORED : ALL_FP;
          }
        }
        continue;
      }
      if (ious.length < D * G) ious = new Float64Array(D * G);
      if (gOrd.length < G) { gOrd = new Int32Array(G); gIg = new Uint8Array(G); gCrowd = new Uint8Array(G); gtm = new Int32Array(G); }
      for (let d = 0; d < D; d++) {
        const di = order[d0 + dLocal[dBase + d]];
        for (let g = 0; g < G; g++) ious[d * G + g] = iouCOCO(dets.boxes, di, gts.boxes, gLocal[gBase + g], gts.flag[gLocal[gBase + g]]);
      }
      for (let a = 0; a < A; a++) {
        const lo = COCO_AREA_RANGES[a][0], hi = COCO_AREA_RANGES[a][1];
        // ground truth order: non-ignored first, then ignored (each in input order)
        let p = 0;
        for (let pass = 0; pass < 2; pass++) {
          for (let g = 0; g < G; g++) {
            const gi = gLocal[gBase + g];
            const ig = gts.flag[gi] || gts.area[gi] < lo || gts.area[gi] > hi ? 1 : 0;
            if (ig === pass) { gOrd[p] = g; gIg[p] = ig; gCrowd[p] = gts.flag[gi]; p++; }
          }
          if (pass === 0) nposA[a] += p;
        }
        for (let t = 0; t < T; t++) {
          const round = ++matchRound; // gtm[q] === round: matched in this (image, range, threshold)
          for (let d = 0; d < D; d++) {
            let best = thr[t];
            let m = -1;
            const row = d * G;
            for (let q = 0; q < G; q++) {
              if (gtm[q] === round && !gCrowd[q]) continue;
              if (m > -1 && !gIg[m] && gIg[q]) break;
              const v = ious[row + gOrd[q]];
              if (v < best) continue;
              best = v;
              m = q;
            }
            const j = dLocal[dBase + d];
            const at = j * AT + a * T + t;
            if (m === -1) {
              const area = pArea[d0 + j];
              status[at] = area < lo || area > hi ? IGNORED : 0;
            } else {
              status[at] = gIg[m] ? IGNORED : TP;
              gtm[m] = round;
            }
          }
        }
        for (let d = 0; d < D; d++) {
          const j = dLocal[dBase + d];
          const b = j * AT + a * T, first = status[b];
          let same = first !== TP;
          for (let t = 1; t < T && same; t++) same = status[b + t] === first;
          summary[j * A + a] = !same ? MIXED : first === IGNORED ? ALL_IGNORED : ALL_FP;
        }
      }
    }
    npos[k] = nposA[0];

    // Accumulate the class. Recall only rises at a TP and precision only rises at a TP, so the
    // interpolated precision at a recall point is the envelope over TP events: record those only.
    const prStride = maxNd + 1;
    let prevSel = -1;
    for (let mi = 0; mi < M; mi++) {
      const maxDet = Math.min(maxDets[mi], cap);
      let nSel = 0;
      for (let j = 0; j < nd; j++) if (rankInImage[j] < maxDet) sel[nSel++] = j;
      if (mi > 0 && nSel === prevSel) {
        // the same detections as the previous maxDets (the lists are nested): copy its results
        copyMaxDet(precision, recall, T, R, K, A, M, k, mi);
        continue;
      }
      prevSel = nSel;
      for (let a = 0; a < A; a++) {
        const np = nposA[a];
        if (np === 0) continue;
        tpT.fill(0);
        fpT.fill(0);
        let fpAll = 0; // FPs at every threshold, counted once
        for (let q = 0; q < nSel; q++) {
          const j = sel[q];
          const sum = summary[j * A + a];
          if (sum === ALL_FP) { fpAll++; continue; }
          if (sum === ALL_IGNORED) continue;
          const base = j * AT + a * T;
          for (let t = 0; t < T; t++) {
            const st = status[base + t];
            if (st === TP) {
              const c = ++tpT[t];
              pr[t * prStride + c] = c / (c + fpT[t] + fpAll); // precision at the c-th true positive
            } else if (st !== IGNORED) fpT[t]++;
          }
        }
        for (let t = 0; t < T; t++) {
          const tp = tpT[t], o = t * prStride;
          recall[((t * K + k) * A + a) * M + mi] = tp / np;
          for (let i = tp - 1; i >= 1; i--) if (pr[o + i + 1] > pr[o + i]) pr[o + i] = pr[o + i + 1];
          // recall point 0 reads index 0: the envelope over everything (0 without a TP)
          let i = 1;
          const pBase = ((t * R) * K + k) * A * M + a * M + mi;
          const stride = K * A * M;
          for (let r = 0; r < R; r++) {
            const rt = COCO_RECALL_THRESHOLDS[r];
            while (i <= tp && i / np < rt) i++;
            precision[pBase + r * stride] = i <= tp ? pr[o + i] : 0;
          }
        }
      }
    }
  }
  return summarize(precision, recall, iouThresholds as number[], [...maxDets] as [number, number, number], K, npos, classNames);
}

/** Copy the class's precision / recall entries of maxDets index `mi − 1` to `mi`. */
function copyMaxDet(
  precision: Float64Array, recall: Float64Array, T: number, R: number, K: number, A: number, M: number, k: number, mi: number,
): void {
  for (let t = 0; t < T; t++) {
    for (let a = 0; a < A; a++) {
      const rb = ((t * K + k) * A + a) * M;
      recall[rb + mi] = recall[rb + mi - 1];
      for (let r = 0; r < R; r++) {
        const pb = (((t * R + r) * K + k) * A + a) * M;
        precision[pb + mi] = precision[pb + mi - 1];
      }
    }
  }
}

/** pycocotools' bbox IoU of detection `d` and ground truth `g` (continuous; crowd: intersection ÷ detection area). */
function iouCOCO(D: Float64Array, d: number, G: Float64Array, g: number, crowd: number): number {
  const dx1 = D[4 * d], dy1 = D[4 * d + 1], dx2 = D[4 * d + 2], dy2 = D[4 * d + 3];
  const gx1 = G[4 * g], gy1 = G[4 * g + 1], gx2 = G[4 * g + 2], gy2 = G[4 * g + 3];
  const w = Math.min(dx2, gx2) - Math.max(dx1, gx1);
  if (w <= 0) return 0;
  const h = Math.min(dy2, gy2) - Math.max(dy1, gy1);
  if (h <= 0) return 0;
  const inter = w * h;
  const da = (dx2 - dx1) * (dy2 - dy1);
  return inter / (crowd ? da : da + (gx2 - gx1) * (gy2 - gy1) - inter);
}

/** Rank of each image: numeric order when every id is a number, else string order. */
function rankImages(ids: string[]): Int32Array {
  const idx = ids.map((_, i) => i);
  const nums = ids.map((s) => (s.trim() === '' ? NaN : Number(s)));
  if (nums.every((x) => Number.isFinite(x))) idx.sort((a, b) => nums[a] - nums[b] || (ids[a] < ids[b] ? -1 : ids[a] > ids[b] ? 1 : 0));
  else idx.sort((a, b) => (ids[a] < ids[b] ? -1 : ids[a] > ids[b] ? 1 : 0));
  const rank = new Int32Array(ids.length);
  idx.forEach((img, r) => (rank[img] = r));
  return rank;
}

function summarize(
  precision: Float64Array,
  recall: Float64Array,
  iouThresholds: number[],
  maxDets: [number, number, number],
  K: number,
  npos: Int32Array,
  classNames: readonly string[] | undefined,
): COCOAPResult {
  const T = iouThresholds.length, R = COCO_RECALL_THRESHOLDS.length, A = 4, M = 3;
  const all = iouThresholds.map((_, t) => t);
  const at = (v: number): number[] => all.filter((t) => iouThresholds[t] === v);
  const classes = Array.from({ length: K }, (_, k) => k);
  /** mean of the valid (> −1) precision entries over thresholds ts, recall points, classes ks (C order). */
  const meanP = (ts: number[], a: number, m: number, ks: number[]): number => {
    const vals: number[] = [];
    for (const t of ts) for (let r = 0; r < R; r++) for (const k of ks) {
      const v = precision[(((t * R + r) * K + k) * A + a) * M + m];
      if (v > -1) vals.push(v);
    }
    return vals.length ? pairwiseSum(vals) / vals.length : -1;
  };
  const meanR = (a: number, m: number): number => {
    const vals: number[] = [];
    for (let t = 0; t < T; t++) for (let k = 0; k < K; k++) {
      const v = recall[((t * K + k) * A + a) * M + m];
      if (v > -1) vals.push(v);
    }
    return vals.length ? pairwiseSum(vals) / vals.length : -1;
  };
  const stats = [
    meanP(all, 0, 2, classes), meanP(at(0.5), 0, 2, classes), meanP(at(0.75), 0, 2, classes),
    meanP(all, 1, 2, classes), meanP(all, 2, 2, classes), meanP(all, 3, 2, classes),
    meanR(0, 0), meanR(0, 1), meanR(0, 2), meanR(1, 2), meanR(2, 2), meanR(3, 2),
  ];
  const orNull = (x: number): number | null => (x === -1 ? null : x);
  const perClass = classes.map((k): COCOClassResult => {
    const entry: COCOClassResult = {
      classId: k,
      ap: orNull(meanP(all, 0, 2, [k])),
      ap50: orNull(meanP(at(0.5), 0, 2, [k])),
      ap75: orNull(meanP(at(0.75), 0, 2, [k])),
      npos: npos[k],
    };
    if (classNames) entry.name = classNames[k];
    return entry;
  });
  const [AP, AP50, AP75, APsmall, APmedium, APlarge, AR1, AR10, AR100, ARsmall, ARmedium, ARlarge] = stats;
  return {
    AP, AP50, AP75, APsmall, APmedium, APlarge, AR1, AR10, AR100, ARsmall, ARmedium, ARlarge,
    stats, perClass, precision, recall, shape: [T, R, K, A, M], iouThresholds: [...iouThresholds], maxDets,
  };
}
