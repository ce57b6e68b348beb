/**
 * Boundary validation and packing of plain detection / ground-truth records into typed arrays,
 * shared by the VOC and COCO metrics. Also the two numeric helpers both need to agree with the
 * Python tools to the last bit: a stable score order and numpy's pairwise summation.
 *
 * @internal
 * @packageDocumentation
 */
import { ValueError, describe } from '../errors.js';

/** Records packed column-wise; row `i` is the `i`-th input record. @internal */
export interface Packed {
  /** Number of rows. */
  n: number;
  /** Image index (into {@link PackedInput.imageIds}). */
  image: Int32Array;
  /** Class id. */
  cls: Int32Array;
  /** `4n` corners, row-major. */
  boxes: Float64Array;
  /** Scores (detections) or 0. */
  scores: Float64Array;
  /** Difficult (VOC) or crowd (COCO) flag. */
  flag: Uint8Array;
  /** COCO area (ground truth: the field or w·h; detections: w·h). Empty for VOC. */
  area: Float64Array;
}

/** @internal */
export interface PackedInput {
  /** Image ids in order of first appearance (ground truth first, then detections). */
  imageIds: string[];
  numClasses: number;
  dets: Packed;
  gts: Packed;
}

function alloc(n: number, withArea: boolean): Packed {
  return {
    n,
    image: new Int32Array(n),
    cls: new Int32Array(n),
    boxes: new Float64Array(4 * n),
    scores: new Float64Array(n),
    flag: new Uint8Array(n),
    area: new Float64Array(withArea ? n : 0),
  };
}

/**
 * Validate and pack the inputs of a metric.
 * @param fn the public function's name, for messages.
 * @param kind `'voc'` reads `difficult`, `'coco'` reads `iscrowd` and `area`.
 * @param keepInvertedDetections accept detection boxes with `x2 < x1` or `y2 < y1` (the devkit path).
 * @internal
 */
export function packInputs(
  fn: string,
  detections: readonly unknown[],
  groundTruths: readonly unknown[],
  kind: 'voc' | 'coco',
  numClasses: number | undefined,
  keepInvertedDetections = false,
): PackedInput {
  if (!Array.isArray(detections)) throw new ValueError(`${fn}: 'detections' must be an array, got ${describe(detections)}`);
  if (!Array.isArray(groundTruths)) throw new ValueError(`${fn}: 'groundTruths' must be an array, got ${describe(groundTruths)}`);
  const coco = kind === 'coco';
  const imageIndex = new Map<string, number>();
  const imageIds: string[] = [];
  let maxClass = -1;
  let lastId: string | undefined;
  let lastImg = -1;
  const gts = alloc(groundTruths.length, coco);
  const dets = alloc(detections.length, coco);
  const fill = (rows: readonly unknown[], out: Packed, name: string, isDet: boolean): void => {
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i] as Record<string, unknown> | null;
      if (r === null || typeof r !== 'object') throw new ValueError(`${fn}: '${name}[${i}]' must be an object, got ${describe(r)}`);
      const idRaw = r.imageId;
      let id: string;
      if (typeof idRaw === 'string') id = idRaw;
      else if (typeof idRaw === 'number' && Number.isFinite(idRaw)) id = String(idRaw);
      else throw new ValueError(`${fn}: '${name}[${i}].imageId' must be a string, got ${describe(idRaw)}`);
      let img = id === lastId ? lastImg : imageIndex.get(id);
      if (img === undefined) {
        img = imageIds.length;
        imageIndex.set(id, img);
        imageIds.push(id);
      }
      out.image[i] = img;
      lastId = id;
      lastImg = img;
      const c = r.classId;
      if (typeof c !== 'number' || !Number.isInteger(c) || c < 0 || (numClasses !== undefined && c >= numClasses)) {
        const range = numClasses !== undefined ? `an integer in [0, ${numClasses - 1}]` : 'a non-negative integer';
        throw new ValueError(`${fn}: '${name}[${i}].classId' must be ${range}, got ${describe(c)}`);
      }
      out.cls[i] = c;
      if (c > maxClass) maxClass = c;
      const b = r.box as ArrayLike<number> | undefined;
      if (b === null || typeof b !== 'object' || b.length !== 4) {
        throw new ValueError(`${fn}: '${name}[${i}].box' must be [x1, y1, x2, y2], got ${describe(b)}`);
      }
      const x1 = b[0], y1 = b[1], x2 = b[2], y2 = b[3];
      if (!Number.isFinite(x1) || !Number.isFinite(y1) || !Number.isFinite(x2) || !Number.isFinite(y2)) {
        throw new ValueError(`${fn}: '${name}[${i}].box' must hold 4 finite numbers, got [${Array.from(b).map(describe).join(', ')}]`);
      }
      if ((x2 < x1 || y2 < y1) && !(isDet && keepInvertedDetections)) {
        throw new ValueError(`${fn}: '${name}[${i}].box' must have x1 ≤ x2 and y1 ≤ y2, got [${x1}, ${y1}, ${x2}, ${y2}]`);
      }
      out.boxes[4 * i] = x1;
      out.boxes[4 * i + 1] = y1;
      out.boxes[4 * i + 2] = x2;
      out.boxes[4 * i + 3] = y2;
      if (isDet) {
        const s = r.score;
        if (typeof s !== 'number' || !Number.isFinite(s)) {
          throw new ValueError(`${fn}: '${name}[${i}].score' must be a finite number, got ${describe(s)}`);
        }
        out.scores[i] = s;
        if (coco) out.area[i] = (x2 - x1) * (y2 - y1);
      } else if (coco) {
        out.flag[i] = bool(fn, name, i, 'iscrowd', r.iscrowd) ? 1 : 0;
        const a = r.area;
        if (a === undefined) out.area[i] = (x2 - x1) * (y2 - y1);
        else if (typeof a === 'number' && Number.isFinite(a) && a >= 0) out.area[i] = a;
        else throw new ValueError(`${fn}: '${name}[${i}].area' must be a finite number ≥ 0, got ${describe(a)}`);
      } else {
        out.flag[i] = bool(fn, name, i, 'difficult', r.difficult) ? 1 : 0;
      }
    }
  };
  fill(groundTruths, gts, 'groundTruths', false);
  fill(detections, dets, 'detections', true);
  return { imageIds, numClasses: numClasses ?? maxClass + 1, dets, gts };
}

function bool(fn: string, name: string, i: number, field: string, v: unknown): boolean {
  if (v === undefined || v === false || v === 0) return false;
  if (v === true || v === 1) return true;
  throw new ValueError(`${fn}: '${name}[${i}].${field}' must be a boolean, got ${describe(v)}`);
}

/**
 * Sort each segment `items[start[s] … start[s+1]−1]` in place by `score[item]` descending; equal
 * scores keep their order in the segment — a stable sort (insertion-sorted runs of 32, then
 * bottom-up merges with the keys carried alongside; no comparator callbacks). `-0` equals `+0`.
 * @internal
 */
export function sortSegmentsByScore(score: Float64Array, items: Int32Array, start: Int32Array): void {
  let maxLen = 0;
  for (let s = 0; s + 1 < start.length; s++) maxLen = Math.max(maxLen, start[s + 1] - start[s]);
  const bufs = {
    idx: new Int32Array(maxLen), key: new Float64Array(maxLen),
    idx2: new Int32Array(maxLen), key2: new Float64Array(maxLen),
  };
  for (let s = 0; s + 1 < start.length; s++) {
    const from = start[s], n = start[s + 1] - from;
    if (n < 2) continue;
    let idx = bufs.idx, key = bufs.key, idx2 = bufs.idx2, key2 = bufs.key2;
    for (let i = 0; i < n; i++) {
      idx[i] = items[from + i];
      key[i] = score[idx[i]];
    }
    const RUN = 32;
    for (let r = 0; r < n; r += RUN) {
      const e = Math.min(r + RUN, n);
      for (let i = r + 1; i < e; i++) {
        const v = idx[i], kv = key[i];
        let j = i - 1;
        while (j >= r && key[j] < kv) {
          key[j + 1] = key[j];
          idx[j + 1] = idx[j];
          j--;
        }
        key[j + 1] = kv;
        idx[j + 1] = v;
      }
    }
    for (let w = RUN; w < n; w *= 2) {
      for (let lo = 0; lo < n; lo += 2 * w) {
        const mid = Math.min(lo + w, n), hi = Math.min(lo + 2 * w, n);
        let i = lo, j = mid, k = lo;
        while (i < mid && j < hi) {
          if (key[j] > key[i]) { key2[k] = key[j]; idx2[k++] = idx[j++]; } // right only when strictly greater: stable
          else { key2[k] = key[i]; idx2[k++] = idx[i++]; }
        }
        while (i < mid) { key2[k] = key[i]; idx2[k++] = idx[i++]; }
        while (j < hi) { key2[k] = key[j]; idx2[k++] = idx[j++]; }
      }
      [idx, idx2] = [idx2, idx];
      [key, key2] = [key2, key];
    }
    for (let i = 0; i < n; i++) items[from + i] = idx[i];
  }
}

/** `[0, 1, …, n − 1]`. @internal */
export function identityOrder(n: number): Int32Array {
  const id = new Int32Array(n);
  for (let i = 0; i < n; i++) id[i] = i;
  return id;
}

/**
 * Stable counting sort of `order` by `bucket[order[j]]` (0 ≤ bucket < numBuckets).
 * @returns `{ start, items }` with bucket `b` holding `items[start[b] … start[b+1]−1]`, in the order
 *   they had in `order`.
 * @internal
 */
export function groupBy(
  order: ArrayLike<number>,
  bucket: Int32Array,
  numBuckets: number,
): { start: Int32Array; items: Int32Array } {
  const start = new Int32Array(numBuckets + 1);
  for (let j = 0; j < order.length; j++) start[bucket[order[j]] + 1]++;
  for (let b = 0; b < numBuckets; b++) start[b + 1] += start[b];
  const fillAt = start.slice(0, numBuckets);
  const items = new Int32Array(order.length);
  for (let j = 0; j < order.length; j++) {
    const i = order[j];
    items[fillAt[bucket[i]]++] = i;
  }
  return { start, items };
}

/**
 * Sum of `a[start … start+n−1]` by numpy's pairwise summation (`np.sum` / `np.add.reduce` over a
 * contiguous float64 array): blocks under 8 summed left to right, blocks up to 128 with eight
 * partial sums, larger blocks split in two at a multiple of 8. Reproducing it makes our means equal
 * to numpy's to the last bit.
 * @internal
 */
export function pairwiseSum(a: ArrayLike<number>, start = 0, n = a.length - start): number {
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res += a[start + i];
    return res;
  }
  if (n <= 128) {
    let r0 = a[start], r1 = a[start + 1], r2 = a[start + 2], r3 = a[start + 3];
    let r4 = a[start + 4], r5 = a[start + 5], r6 = a[start + 6], r7 = a[start + 7];
    const end = n - (n % 8);
    let i = 8;
    for (; i < end; i += 8) {
      const p = start + i;
      r0 += a[p]; r1 += a[p + 1]; r2 += a[p + 2]; r3 += a[p + 3];
      r4 += a[p + 4]; r5 += a[p + 5]; r6 += a[p + 6]; r7 += a[p + 7];
    }
    let res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7));
    for (; i < n; i++) res += a[start + i];
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(a, start, n2) + pairwiseSum(a, start + n2, n - n2);
}

/** `np.mean` of a float64 array: pairwise sum divided by the count; `NaN` when empty. @internal */
export function numpyMean(a: ArrayLike<number>): number {
  return a.length === 0 ? NaN : pairwiseSum(a) / a.length;
}
