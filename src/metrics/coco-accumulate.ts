/**
 * COCO evaluation, phase 2 (pycocotools' `accumulate`): per class, area range and maxDets, turn the
 * detections' statuses (score order) into the interpolated precision at the 101 recall points and the
 * final recall, for every IoU threshold.
 *
 * @internal
 * @packageDocumentation
 */
import { COCO_AREA_RANGES as AREA_RANGES_, COCO_RECALL_THRESHOLDS as RECALL_POINTS_, COCO_STATUS } from './coco-params.js';

// Module-local bindings: read in the inner loops, where an imported binding can cost a getter call per read.
const { IGNORED, TP, ALL_FP, ALL_IGNORED } = COCO_STATUS;
const COCO_AREA_RANGES = AREA_RANGES_;
const COCO_RECALL_THRESHOLDS = RECALL_POINTS_;

/** What the accumulation reads of one evaluated class (see `COCOImageEvaluator`). @internal */
export interface EvaluatedClass {
  status: Uint8Array;
  summary: Uint8Array;
  rankInImage: Int32Array;
  npos: readonly number[];
}

/**
 * The precision `[T, R, K, A, M]` and recall `[T, K, A, M]` arrays (row-major, −1 where absent), filled one
 * class at a time. Scratch is allocated once.
 * @internal
 */
export class COCOAccumulator {
  /** Interpolated precision `[T, R, K, A, M]`; −1 where absent. */
  readonly precision: Float64Array;
  /** Final recall `[T, K, A, M]`; −1 where absent. */
  readonly recall: Float64Array;
  private readonly T: number;
  private readonly sel: Int32Array;
  private readonly prStride: number;
  private readonly pr: Float64Array; // pr[t · prStride + i]: precision at the i-th TP
  private readonly tpT: Int32Array;
  private readonly fpT: Int32Array;

  /**
   * @param K number of classes.
   * @param maxNd the largest number of detections of one class.
   * @param maxDets the three maxDets, each applied as `min(maxDets[m], cap)`.
   * @param cap detections kept per image and class by the evaluation.
   */
  constructor(
    numThresholds: number,
    private readonly K: number,
    maxNd: number,
    private readonly maxDets: readonly number[],
    private readonly cap: number,
  ) {
    const T = (this.T = numThresholds);
    const R = COCO_RECALL_THRESHOLDS.length, A = COCO_AREA_RANGES.length, M = maxDets.length;
    this.precision = new Float64Array(T * R * K * A * M).fill(-1);
    this.recall = new Float64Array(T * K * A * M).fill(-1);
    this.sel = new Int32Array(maxNd);
    this.prStride = maxNd + 1;
    this.pr = new Float64Array(T * this.prStride);
    this.tpT = new Int32Array(T);
    this.fpT = new Int32Array(T);
  }

  /** Accumulate class `k` (its `nd` detections as evaluated in `ev`). */
  accumulateClass(k: number, nd: number, ev: EvaluatedClass): void {
    const { sel } = this;
    let prevSel = -1;
    for (let mi = 0; mi < this.maxDets.length; mi++) {
      const maxDet = Math.min(this.maxDets[mi], this.cap);
      let nSel = 0;
      for (let j = 0; j < nd; j++) if (ev.rankInImage[j] < maxDet) sel[nSel++] = j;
      if (mi > 0 && nSel === prevSel) {
        // the same detections as the previous maxDets (the lists are nested): copy its results
        this.copyMaxDet(k, mi);
        continue;
      }
      prevSel = nSel;
      for (let a = 0; a < COCO_AREA_RANGES.length; a++) {
        if (ev.npos[a] !== 0) this.accumulateRange(k, a, mi, nSel, ev);
      }
    }
  }

  /**
   * One (class, area range, maxDets). Recall only rises at a TP and precision only rises at a TP, so the
   * interpolated precision at a recall point is the envelope over TP events: record those only.
   */
  private accumulateRange(k: number, a: number, mi: number, nSel: number, ev: EvaluatedClass): void {
    const { T, K, sel, pr, prStride, tpT, fpT, precision, recall } = this;
    const { status, summary } = ev;
    const A = COCO_AREA_RANGES.length, M = this.maxDets.length, R = COCO_RECALL_THRESHOLDS.length, AT = A * T;
    const np = ev.npos[a];
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

  /** Copy the class's precision / recall entries of maxDets index `mi − 1` to `mi`. */
  private copyMaxDet(k: number, mi: number): void {
    const { T, K, precision, recall } = this;
    const R = COCO_RECALL_THRESHOLDS.length, A = COCO_AREA_RANGES.length, M = this.maxDets.length;
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
}
