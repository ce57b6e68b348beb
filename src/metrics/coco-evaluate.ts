/**
 * COCO evaluation, phase 1 (pycocotools' `evaluateImg`): per class, image and area range, match the
 * detections to the ground truth at every IoU threshold and record each detection's status (TP, FP or
 * ignored). The rules are documented on {@link cocoAP}.
 *
 * @internal
 * @packageDocumentation
 */
import { COCO_AREA_RANGES as AREA_RANGES_, COCO_STATUS } from './coco-params.js';
import { ImageGroups } from './group.js';
import { groupBy, identityOrder, sortSegmentsByScore } from './pack.js';
import type { Packed } from './pack.js';

// Module-local bindings: read in the inner loops, where an imported binding can cost a getter call per read.
const { FP, IGNORED, MIXED, TP, ALL_FP, ALL_IGNORED } = COCO_STATUS;
const COCO_AREA_RANGES = AREA_RANGES_;

/** Every class's detections in evaluation order, with the fields the phases read gathered in that order. @internal */
export interface COCODetectionOrder {
  /** Ground truth rows grouped by class (input order within a class). */
  gByClass: { start: Int32Array; items: Int32Array };
  /** Class `k`'s detections sit at positions `dStart[k] … dStart[k + 1] − 1`. */
  dStart: Int32Array;
  /** Detection row at each position: per class, score descending, then image order, then input order. */
  order: Int32Array;
  /** Image index at each position. */
  pImage: Int32Array;
  /** Detection area (w·h) at each position. */
  pArea: Float64Array;
  /** The largest number of detections of one class. */
  maxNd: number;
}

/**
 * Sort the detections for evaluation: per class by score descending, stable over image order (ids sorted
 * numerically when all are numbers, else as strings) and then input order.
 * @internal
 */
export function orderCOCODetections(dets: Packed, gts: Packed, K: number, imageIds: string[]): COCODetectionOrder {
  const imageRank = rankImages(imageIds);
  const detRank = new Int32Array(dets.n);
  for (let i = 0; i < dets.n; i++) detRank[i] = imageRank[dets.image[i]];
  const byImage = groupBy(identityOrder(dets.n), detRank, imageIds.length).items; // image order, then input order
  const gByClass = groupBy(identityOrder(gts.n), gts.cls, K);
  const dByClass = groupBy(byImage, dets.cls, K);
  // Score, image and area gathered once in that order (the one scattered read per detection), the
  // class segments sorted on the gathered scores, then image and area permuted within each segment.
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
  let maxNd = 0;
  for (let k = 0; k < K; k++) maxNd = Math.max(maxNd, dByClass.start[k + 1] - dByClass.start[k]);
  return { gByClass, dStart: dByClass.start, order, pImage, pArea, maxNd };
}

/**
 * Evaluates one class at a time over every image, area range and IoU threshold. Its outputs, read by the
 * accumulation, are indexed by `j`, a detection's position in the class's segment (score order).
 * Scratch is allocated once and reused across classes.
 * @internal
 */
export class COCOImageEvaluator {
  /** `status[j · A·T + a · T + t]`: {@link FP}, {@link TP} or {@link IGNORED}; written only where `summary` is MIXED. */
  readonly status: Uint8Array;
  /** `summary[j · A + a]`: ALL_FP / ALL_IGNORED when the status is the same at every threshold, MIXED otherwise. */
  readonly summary: Uint8Array;
  /** Rank of detection `j` among its image's detections of the class (score order). */
  readonly rankInImage: Int32Array;
  /** Non-ignored ground truth of the class per area range. */
  readonly npos = [0, 0, 0, 0];
  private readonly gGroups: ImageGroups;
  private readonly dGroups: ImageGroups;
  private readonly positions: Int32Array;
  private readonly T: number;
  private d0 = 0;
  private ious = new Float64Array(0);
  private gOrd = new Int32Array(0);
  private gIg = new Uint8Array(0);
  private gCrowd = new Uint8Array(0);
  private gtm = new Int32Array(0);
  private matchRound = 0;

  /**
   * @param thr IoU thresholds (each at most 1 − 1e-10, as pycocotools clamps them).
   * @param cap detections kept per image and class (the largest maxDets).
   */
  constructor(
    private readonly dets: Packed,
    private readonly gts: Packed,
    private readonly sorted: COCODetectionOrder,
    numImages: number,
    private readonly thr: readonly number[],
    private readonly cap: number,
  ) {
    const { maxNd } = sorted;
    this.T = thr.length;
    const AT = COCO_AREA_RANGES.length * this.T;
    this.gGroups = new ImageGroups(numImages, gts.n);
    this.dGroups = new ImageGroups(numImages, maxNd);
    this.positions = identityOrder(maxNd);
    this.rankInImage = new Int32Array(maxNd);
    // Most detections are plain FPs: they cost one summary byte.
    this.status = new Uint8Array(maxNd * AT);
    this.summary = new Uint8Array(maxNd * COCO_AREA_RANGES.length);
  }

  /** Evaluate class `k` on every image that has ground truth or detections of it; returns its number of detections. */
  evaluateClass(k: number): number {
    const { gByClass, dStart, pImage } = this.sorted;
    const { gGroups, dGroups, rankInImage } = this;
    const d0 = dStart[k], nd = dStart[k + 1] - d0;
    this.d0 = d0;
    this.npos.fill(0);
    gGroups.group(gByClass.items, gByClass.start[k], gByClass.start[k + 1] - gByClass.start[k], this.gts.image);
    dGroups.group(this.positions, 0, nd, pImage.subarray(d0, d0 + nd));
    for (const img of dGroups.images) {
      for (let r = 0, s = dGroups.start[img]; r < dGroups.count[img]; r++) rankInImage[dGroups.items[s + r]] = r;
    }
    for (const img of gGroups.images) this.evaluateImage(img);
    for (const img of dGroups.images) if (gGroups.count[img] === 0) this.evaluateImage(img);
    return nd;
  }

  /** Statuses of one image's detections of the class (the first `cap` in score order). */
  private evaluateImage(img: number): void {
    const { gGroups, dGroups, gts, dets } = this;
    const G = gGroups.count[img], D = Math.min(dGroups.count[img], this.cap);
    const gBase = gGroups.start[img], dBase = dGroups.start[img];
    if (D === 0 || G === 0) {
      this.nothingToMatch(G, D, gBase, dBase);
      return;
    }
    if (this.ious.length < D * G) this.ious = new Float64Array(D * G);
    if (this.gOrd.length < G) {
      this.gOrd = new Int32Array(G);
      this.gIg = new Uint8Array(G);
      this.gCrowd = new Uint8Array(G);
      this.gtm = new Int32Array(G);
    }
    const { ious } = this;
    const gLocal = gGroups.items, dLocal = dGroups.items, order = this.sorted.order;
    for (let d = 0; d < D; d++) {
      const di = order[this.d0 + dLocal[dBase + d]];
      for (let g = 0; g < G; g++) ious[d * G + g] = iouCOCO(dets.boxes, di, gts.boxes, gLocal[gBase + g], gts.flag[gLocal[gBase + g]]);
    }
    for (let a = 0; a < COCO_AREA_RANGES.length; a++) this.matchRange(a, G, D, gBase, dBase);
  }

  /** No ground truth or no detection in the image: count the positives; detections are FPs unless out of range. */
  private nothingToMatch(G: number, D: number, gBase: number, dBase: number): void {
    const { gts, npos, summary } = this;
    const gLocal = this.gGroups.items, dLocal = this.dGroups.items, pArea = this.sorted.pArea;
    const A = COCO_AREA_RANGES.length;
    for (let a = 0; a < A; a++) {
      const lo = COCO_AREA_RANGES[a][0], hi = COCO_AREA_RANGES[a][1];
      for (let g = 0; g < G; g++) {
        const gi = gLocal[gBase + g];
        if (!(gts.flag[gi] || gts.area[gi] < lo || gts.area[gi] > hi)) npos[a]++;
      }
      for (let d = 0; d < D; d++) {
        const j = dLocal[dBase + d];
        const area = pArea[this.d0 + j];
        summary[j * A + a] = area < lo || area > hi ? ALL_IGNORED : ALL_FP;
      }
    }
  }

  /** Greedy matching in area range `a` at every threshold (the IoUs of the image are in `ious`, `D × G`). */
  private matchRange(a: number, G: number, D: number, gBase: number, dBase: number): void {
    const { gts, ious, gOrd, gIg, gCrowd, gtm, status, summary, thr, T } = this;
    const gLocal = this.gGroups.items, dLocal = this.dGroups.items, pArea = this.sorted.pArea;
    const A = COCO_AREA_RANGES.length, AT = A * T;
    const lo = COCO_AREA_RANGES[a][0], hi = COCO_AREA_RANGES[a][1];
    // ground truth order: non-ignored first, then ignored (each in input order)
    let p = 0;
    for (let pass = 0; pass < 2; pass++) {
      for (let g = 0; g < G; g++) {
        const gi = gLocal[gBase + g];
        const ig = gts.flag[gi] || gts.area[gi] < lo || gts.area[gi] > hi ? 1 : 0;
        if (ig === pass) { gOrd[p] = g; gIg[p] = ig; gCrowd[p] = gts.flag[gi]; p++; }
      }
      if (pass === 0) this.npos[a] += p;
    }
    for (let t = 0; t < T; t++) {
      const round = ++this.matchRound; // gtm[q] === round: matched in this (image, range, threshold)
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
          const area = pArea[this.d0 + j];
          status[at] = area < lo || area > hi ? IGNORED : FP;
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
