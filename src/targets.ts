/**
 * Ground truth packing and YOLOv2 target assignment (math.md §4–5).
 *
 * Assignment runs on plain data: the ground truth is `B × N` rows, so choosing cells and anchors is a loop
 * over objects; the one per-anchor pass is the ignore-set IoU (every predicted box against the objects of
 * its image, `B·H·W·A × N` float64 IoUs in a typed-array kernel). The outputs are constants by
 * construction — they are built from data, never from the tape — so they carry no gradient.
 *
 * @packageDocumentation
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Anchor } from './anchors.js';
import { MAX_LOG_SCALE } from './decode.js';
import { ShapeError, TargetError, ValueError, describe } from './errors.js';
import { type HeadDims, gridPriors, headDims, toNHWC } from './head.js';
import { type ResolvedLossConfig, type YOLOv2LossConfig, resolveLossConfig } from './presets.js';
import { assertNumber } from './validate.js';

/** One annotation for {@link packTargets}: class id and a centre box normalised to 0…1 of the image. */
export interface Annotation {
  /** Integer class id, `0 ≤ classId < C`. */
  classId: number;
  /** `(cx, cy, w, h)`, normalised to the image; `w, h > 0`. */
  box: readonly [cx: number, cy: number, w: number, h: number];
}

/**
 * Pack per-image annotation lists into the padded ground-truth tensor `[B, N, 5]` of rows
 * `(classId, cx, cy, w, h)`; padding rows are `(−1, 0, 0, 0, 0)`.
 *
 * @param annotations one array per image (an empty array is an image without objects).
 * @param maxBoxes `N`; default the largest image's count (at least 1).
 * @throws TargetError (naming image and row) for a non-integer or negative class id, non-finite numbers,
 *   or `w ≤ 0`/`h ≤ 0`; ValueError when an image has more than `maxBoxes` objects or there is no image.
 */
export function packTargets(annotations: ReadonlyArray<ReadonlyArray<Annotation>>, maxBoxes?: number): tf.Tensor3D {
  const fn = 'packTargets';
  if (!Array.isArray(annotations) || annotations.length === 0) {
    throw new ValueError(`${fn}: 'annotations' must be a non-empty array (one array per image), got ${describe(annotations)}`);
  }
  const largest = Math.max(1, ...annotations.map((a) => (Array.isArray(a) ? a.length : 0)));
  if (maxBoxes !== undefined) assertNumber(fn, 'maxBoxes', maxBoxes, { min: 1, integer: true });
  const n = maxBoxes ?? largest;
  const data = new Float32Array(annotations.length * n * 5);
  annotations.forEach((objects, b) => {
    if (!Array.isArray(objects)) {
      throw new TargetError(`${fn}: annotations[${b}] must be an array of { classId, box }, got ${describe(objects)}`, b);
    }
    if (objects.length > n) {
      throw new ValueError(`${fn}: image ${b} has ${objects.length} objects, more than maxBoxes = ${n}`);
    }
    for (let r = 0; r < n; r++) {
      const o = b * n * 5 + r * 5;
      if (r >= objects.length) {
        data[o] = -1;
        continue;
      }
      const { classId, box } = objects[r] ?? ({} as Annotation);
      if (!Number.isInteger(classId) || classId < 0) {
        throw new TargetError(`${fn}: image ${b}, row ${r}: 'classId' must be an integer ≥ 0, got ${describe(classId)}`, b, r);
      }
      if (!Array.isArray(box) || box.length !== 4) {
        throw new TargetError(`${fn}: image ${b}, row ${r}: 'box' must be [cx, cy, w, h], got ${describe(box)}`, b, r);
      }
      checkBox(fn, b, r, box[0], box[1], box[2], box[3]);
      data.set([classId, box[0], box[1], box[2], box[3]], o);
    }
  });
  return tf.tensor3d(data, [annotations.length, n, 5]);
}

function checkBox(fn: string, b: number, r: number, cx: number, cy: number, w: number, h: number): void {
  if (![cx, cy, w, h].every(Number.isFinite)) {
    throw new TargetError(`${fn}: image ${b}, row ${r}: box (cx, cy, w, h) must be finite, got (${[cx, cy, w, h].map(describe).join(', ')})`, b, r);
  }
  if (!(w > 0) || !(h > 0)) {
    throw new TargetError(`${fn}: image ${b}, row ${r}: box w and h must be > 0, got w = ${w}, h = ${h}`, b, r);
  }
}

/** Assignment statistics. */
export interface TargetStats {
  /** Valid (non-padding) ground-truth rows in the batch. */
  objects: number;
  /** Responsible anchors, `objects − collisions`. */
  assigned: number;
  /** Objects that fell on an (image, cell, anchor) already taken by an earlier row and overwrote it. */
  collisions: number;
  /** Non-responsible anchors excused from the no-object loss by the ignore set. */
  ignored: number;
}

/**
 * Targets of one batch (math.md §5), all constants (no gradient). Grid-shaped: `[B, H, W, A]`, plus a last
 * axis of 4 `(x, y, w, h)` for the coordinates. Dispose with `tf.dispose(targets)`.
 */
export interface YOLOv2Targets {
  /** `[B, H, W, A, 4]` coordinate targets `(g_x − i, g_y − j, w_t, h_t)`, `w_t` in `whSpace`; 0 elsewhere. */
  coords: tf.Tensor5D;
  /** `[B, H, W, A, 4]` coordinate weights from `boxScale`; 0 off the responsible anchors. */
  coordWeights: tf.Tensor5D;
  /** `[B, H, W, A]` objectness target of responsible anchors (from `objTarget`); 0 elsewhere. */
  objTarget: tf.Tensor4D;
  /** `[B, H, W, A]` 1 at responsible anchors, else 0. */
  objMask: tf.Tensor4D;
  /** `[B, H, W, A]` 1 where the no-object loss applies (neither responsible, ignored nor in a skipped image). */
  noobjMask: tf.Tensor4D;
  /** `[B, H, W, A]` 1 where the optional prior warm-up applies (non-responsible, image not skipped). */
  priorMask: tf.Tensor4D;
  /** `[B, H, W, A]` int32 class id at responsible anchors, −1 elsewhere. */
  classIds: tf.Tensor4D;
  /** Counts of the assignment. */
  stats: TargetStats;
}

/**
 * Compact targets on plain data: `M` responsible rows and the per-row masks (row order of the head, see
 * `headRows`). What the loss consumes. @internal
 */
export interface Assignment {
  dims: HeadDims;
  /** `M` row indices of the responsible anchors. */
  index: Int32Array;
  /** `4·M` coordinate targets, `[k·M + m]` layout (x, y, w, h rows). */
  coord: Float32Array;
  /** `4·M` coordinate weights, same layout. */
  weight: Float32Array;
  /** `M` objectness targets. */
  obj: Float32Array;
  /** `M` class ids. */
  cls: Int32Array;
  /** `B·H·W·A` no-object mask. */
  noobj: Float32Array;
  /** `B·H·W·A` prior warm-up mask. */
  prior: Float32Array;
  stats: TargetStats;
}

/**
 * Build the YOLOv2 targets of a batch (math.md §5) from the ground truth and the current head output.
 *
 * @param output the head output (see `decodeBoxes`), used only as data for the ignore set, the IoU
 *   objectness targets and `'prediction-wh'` weights.
 * @param targets `[B, N, 5]` rows `(classId, cx, cy, w, h)` normalised; `classId < 0` is padding.
 * @param config anchors, classes and the assignment options of {@link YOLOv2LossConfig}.
 * @throws TargetError naming the image and row for NaN/infinite values, `w ≤ 0`, `h ≤ 0` or `classId ≥ C`.
 * @throws ShapeError for mismatched shapes; ValueError for bad options.
 */
export function buildTargets(output: tf.Tensor4D, targets: tf.Tensor3D, config: YOLOv2LossConfig): YOLOv2Targets {
  const cfg = resolveLossConfig('buildTargets', config);
  const dims = headDims('buildTargets', output, cfg);
  const gt = readTargets('buildTargets', targets, dims);
  return assignmentToTensors(assign('buildTargets', readNHWC(output, cfg.layout), dims, gt, cfg));
}

/** Ground truth read from a `[B, N, 5]` tensor. @internal */
export interface GroundTruth {
  data: Float32Array;
  perImage: number;
}

/** Check the shape of the ground-truth tensor against the head and read it. @internal */
export function readTargets(fn: string, targets: tf.Tensor3D, dims: HeadDims): GroundTruth {
  if (!(targets instanceof tf.Tensor) || targets.rank !== 3 || targets.shape[2] !== 5) {
    throw new ShapeError(`${fn}: 'targets' must be a tensor [B, N, 5] of rows (classId, cx, cy, w, h), got ${describe(targets)}`);
  }
  if (targets.shape[0] !== dims.batch) {
    throw new ShapeError(`${fn}: 'targets' has batch ${targets.shape[0]}, the output has batch ${dims.batch}`);
  }
  return { data: targets.dataSync() as Float32Array, perImage: targets.shape[1] };
}

interface Slot {
  g: GTObject;
  i: number;
  j: number;
  a: number;
  maxIoU: number;
}

interface GTObject {
  row: number;
  cls: number;
  // grid units
  gx: number;
  gy: number;
  gw: number;
  gh: number;
  // normalised area, for boxScale 'truth'
  area: number;
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

function iou1d(ax1: number, ax2: number, bx1: number, bx2: number): number {
  return Math.max(0, Math.min(ax2, bx2) - Math.max(ax1, bx1));
}

/** IoU of two centre boxes (any consistent units); 0 when the union is 0. */
function iouCxcywh(ax: number, ay: number, aw: number, ah: number, bx: number, by: number, bw: number, bh: number): number {
  const inter =
    iou1d(ax - aw / 2, ax + aw / 2, bx - bw / 2, bx + bw / 2) * iou1d(ay - ah / 2, ay + ah / 2, by - bh / 2, by + bh / 2);
  const union = aw * ah + bw * bh - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * The core of {@link buildTargets} on plain data.
 *
 * @param raw the head output as NHWC data, i.e. rows `[B·H·W·A, 5+C]`.
 * @internal
 */
export function assign(fn: string, raw: Float32Array, dims: HeadDims, gt: GroundTruth, cfg: ResolvedLossConfig): Assignment {
  const { batch: B, height: H, width: W, numAnchors: A, numClasses: C, depth: D, rows: N } = dims;
  const perImage = H * W * A;
  const priors: Anchor[] = gridPriors(cfg, H, W);
  const images = parseImages(fn, gt, B, C, W, H);

  const noobj = new Float32Array(N);
  const prior = new Float32Array(N);
  // Responsible row → slot; a later row overwrites (the Map keeps the first insertion position).
  const slots = new Map<number, Slot>();
  let objects = 0;
  let collisions = 0;
  let ignored = 0;
  const maxIoU = new Float64Array(perImage);
  const responsible = new Uint8Array(perImage);

  for (let b = 0; b < B; b++) {
    const objs = images[b];
    const base = b * perImage;
    if (objs.length === 0 && cfg.emptyImages === 'skip') continue;
    noobj.fill(1, base, base + perImage);
    prior.fill(1, base, base + perImage);
    if (objs.length === 0) continue;
    objects += objs.length;
    responsible.fill(0);
    for (const o of objs) {
      const i = Math.min(Math.max(Math.floor(o.gx), 0), W - 1);
      const j = Math.min(Math.max(Math.floor(o.gy), 0), H - 1);
      const a = matchAnchor(cfg.anchorMatch, o, i, j, priors);
      const r = (j * W + i) * A + a;
      if (responsible[r]) collisions++;
      responsible[r] = 1;
      slots.set(base + r, { g: o, i, j, a, maxIoU: 0 });
    }
    // Best IoU of every predicted box of the image with any of its objects (ignore set and 'max-iou').
    const anyAbove = bestIoUs(raw, base, perImage, W, A, D, priors, objs, maxIoU, cfg.ignoreThresh);
    for (let r = 0; r < perImage; r++) if (responsible[r]) (slots.get(base + r) as Slot).maxIoU = maxIoU[r];
    // 'gte' (the records' rule) applies only when some box of the image is strictly above the threshold.
    if (cfg.noobjIgnore && anyAbove) {
      const t = cfg.ignoreThresh;
      const gte = cfg.ignoreRule === 'gte';
      for (let r = 0; r < perImage; r++) {
        if (!responsible[r] && (gte ? maxIoU[r] >= t : maxIoU[r] > t)) {
          noobj[base + r] = 0;
          ignored++;
        }
      }
    }
  }

  const M = slots.size;
  const index = new Int32Array(M);
  const coord = new Float32Array(4 * M);
  const weight = new Float32Array(4 * M);
  const obj = new Float32Array(M);
  const cls = new Int32Array(M);
  let m = 0;
  for (const [n, { g, i, j, a, maxIoU: best }] of slots) {
    const o = n * D;
    const [pw0, ph0] = priors[a];
    index[m] = n;
    cls[m] = g.cls;
    coord[m] = g.gx - i;
    coord[M + m] = g.gy - j;
    coord[2 * M + m] = cfg.whSpace === 'log' ? Math.log(g.gw / pw0) : g.gw / pw0;
    coord[3 * M + m] = cfg.whSpace === 'log' ? Math.log(g.gh / ph0) : g.gh / ph0;
    // The current predicted box of this anchor, in grid units.
    const pw = pw0 * Math.exp(Math.min(raw[o + 2], MAX_LOG_SCALE));
    const ph = ph0 * Math.exp(Math.min(raw[o + 3], MAX_LOG_SCALE));
    const wXy = cfg.boxScale === 'truth' ? 2 - g.area : 1;
    const wWh = cfg.boxScale === 'prediction-wh' ? Math.abs(2 - (pw / W) * (ph / H)) : wXy;
    weight[m] = wXy;
    weight[M + m] = wXy;
    weight[2 * M + m] = wWh;
    weight[3 * M + m] = wWh;
    if (cfg.objTarget === 'one') obj[m] = 1;
    else if (cfg.objTarget === 'max-iou') obj[m] = best;
    else obj[m] = iouCxcywh(sigmoid(raw[o]) + i, sigmoid(raw[o + 1]) + j, pw, ph, g.gx, g.gy, g.gw, g.gh);
    // Responsible anchors never get the no-object or the prior warm-up term.
    noobj[n] = 0;
    prior[n] = 0;
    m++;
  }
  return { dims, index, coord, weight, obj, cls, noobj, prior, stats: { objects, assigned: M, collisions, ignored } };
}

/** The head output's values in NHWC order (row view `[B·H·W·A, 5+C]`). @internal */
export function readNHWC(output: tf.Tensor4D, layout: 'NHWC' | 'NCHW'): Float32Array {
  if (layout === 'NHWC') return output.dataSync() as Float32Array;
  const t = toNHWC(output, layout);
  const data = t.dataSync() as Float32Array;
  t.dispose();
  return data;
}

/**
 * The ignore-set kernel: for the `perImage` rows of one image starting at row `base`, the best IoU of each
 * decoded predicted box with any object of the image, written to `out`. Returns whether any is above `thresh`.
 */
function bestIoUs(
  raw: Float32Array, base: number, perImage: number, W: number, A: number, D: number,
  priors: readonly Anchor[], objs: readonly GTObject[], out: Float64Array, thresh: number,
): boolean {
  const K = objs.length;
  const g = new Float64Array(K * 5);
  for (let k = 0; k < K; k++) {
    const o = objs[k];
    g.set([o.gx - o.gw / 2, o.gy - o.gh / 2, o.gx + o.gw / 2, o.gy + o.gh / 2, o.gw * o.gh], k * 5);
  }
  const pw = priors.map((p) => p[0] / 2);
  const ph = priors.map((p) => p[1] / 2);
  let anyAbove = false;
  let a = 0;
  let i = 0;
  let j = 0;
  for (let r = 0; r < perImage; r++) {
    const o = (base + r) * D;
    const cx = 1 / (1 + Math.exp(-raw[o])) + i;
    const cy = 1 / (1 + Math.exp(-raw[o + 1])) + j;
    const hw = pw[a] * Math.exp(Math.min(raw[o + 2], MAX_LOG_SCALE));
    const hh = ph[a] * Math.exp(Math.min(raw[o + 3], MAX_LOG_SCALE));
    const x1 = cx - hw;
    const x2 = cx + hw;
    const y1 = cy - hh;
    const y2 = cy + hh;
    const area = 4 * hw * hh;
    let best = 0;
    for (let k = 0; k < K * 5; k += 5) {
      const iw = (x2 < g[k + 2] ? x2 : g[k + 2]) - (x1 > g[k] ? x1 : g[k]);
      if (iw <= 0) continue;
      const ih = (y2 < g[k + 3] ? y2 : g[k + 3]) - (y1 > g[k + 1] ? y1 : g[k + 1]);
      if (ih <= 0) continue;
      const inter = iw * ih;
      const v = inter / (area + g[k + 4] - inter);
      if (v > best) best = v;
    }
    out[r] = best;
    if (best > thresh) anyAbove = true;
    if (++a === A) {
      a = 0;
      if (++i === W) {
        i = 0;
        j++;
      }
    }
  }
  return anyAbove;
}

/** Validate the ground-truth rows and convert them to grid units, skipping padding. */
function parseImages(fn: string, gt: GroundTruth, B: number, C: number, W: number, H: number): GTObject[][] {
  const { data, perImage } = gt;
  const images: GTObject[][] = [];
  for (let b = 0; b < B; b++) {
    const objs: GTObject[] = [];
    for (let r = 0; r < perImage; r++) {
      const o = (b * perImage + r) * 5;
      const cls = data[o];
      if (cls < 0 && cls > -Infinity) continue; // padding, wherever it stands
      const [cx, cy, w, h] = [data[o + 1], data[o + 2], data[o + 3], data[o + 4]];
      if (!Number.isFinite(cls)) {
        throw new TargetError(`${fn}: image ${b}, row ${r}: classId must be finite, got ${describe(cls)}`, b, r);
      }
      if (!Number.isInteger(cls) || cls >= C) {
        throw new TargetError(`${fn}: image ${b}, row ${r}: classId must be an integer < C = ${C} (or < 0 for padding), got ${cls}`, b, r);
      }
      checkBox(fn, b, r, cx, cy, w, h);
      objs.push({ row: r, cls, gx: cx * W, gy: cy * H, gw: w * W, gh: h * H, area: w * h });
    }
    images.push(objs);
  }
  return images;
}

/** The responsible anchor of an object in cell (j, i): highest IoU, lowest index on ties. */
function matchAnchor(mode: ResolvedLossConfig['anchorMatch'], g: GTObject, i: number, j: number, priors: readonly Anchor[]): number {
  let best = -1;
  let bestA = 0;
  for (let a = 0; a < priors.length; a++) {
    const [pw, ph] = priors[a];
    let v: number;
    if (mode === 'shape') {
      const inter = Math.min(pw, g.gw) * Math.min(ph, g.gh);
      v = inter / (pw * ph + g.gw * g.gh - inter);
    } else {
      const off = mode === 'cell-center' ? 0.5 : 0;
      v = iouCxcywh(i + off, j + off, pw, ph, g.gx, g.gy, g.gw, g.gh);
    }
    if (v > best) {
      best = v;
      bestA = a;
    }
  }
  return bestA;
}

/** Dense grid-shaped tensors of an {@link Assignment}. @internal */
export function assignmentToTensors(s: Assignment): YOLOv2Targets {
  const { batch: B, height: H, width: W, numAnchors: A, rows: N } = s.dims;
  const M = s.index.length;
  const coords = new Float32Array(N * 4);
  const weights = new Float32Array(N * 4);
  const objT = new Float32Array(N);
  const objM = new Float32Array(N);
  const cls = new Int32Array(N).fill(-1);
  for (let m = 0; m < M; m++) {
    const n = s.index[m];
    for (let k = 0; k < 4; k++) {
      coords[n * 4 + k] = s.coord[k * M + m];
      weights[n * 4 + k] = s.weight[k * M + m];
    }
    objT[n] = s.obj[m];
    objM[n] = 1;
    cls[n] = s.cls[m];
  }
  const g4 = [B, H, W, A] as [number, number, number, number];
  return {
    coords: tf.tensor5d(coords, [...g4, 4]),
    coordWeights: tf.tensor5d(weights, [...g4, 4]),
    objTarget: tf.tensor4d(objT, g4),
    objMask: tf.tensor4d(objM, g4),
    noobjMask: tf.tensor4d(s.noobj, g4),
    priorMask: tf.tensor4d(s.prior, g4),
    classIds: tf.tensor4d(cls, g4, 'int32'),
    stats: { ...s.stats },
  };
}

/**
 * Read grid-shaped targets back into the compact form (used to hold targets fixed, e.g. for
 * finite-difference checks). @internal
 */
export function tensorsToAssignment(fn: string, t: YOLOv2Targets, dims: HeadDims): Assignment {
  const { batch: B, height: H, width: W, numAnchors: A, rows: N } = dims;
  const g4 = [B, H, W, A];
  for (const k of ['objTarget', 'objMask', 'noobjMask', 'priorMask', 'classIds'] as const) {
    if (!(t?.[k] instanceof tf.Tensor) || t[k].shape.join() !== g4.join()) {
      throw new ShapeError(`${fn}: 'targets.${k}' must have shape [${g4.join(', ')}], got ${describe(t?.[k])}`);
    }
  }
  for (const k of ['coords', 'coordWeights'] as const) {
    if (!(t[k] instanceof tf.Tensor) || t[k].shape.join() !== [...g4, 4].join()) {
      throw new ShapeError(`${fn}: 'targets.${k}' must have shape [${[...g4, 4].join(', ')}], got ${describe(t[k])}`);
    }
  }
  const objM = t.objMask.dataSync();
  const rows: number[] = [];
  for (let n = 0; n < N; n++) if (objM[n] > 0) rows.push(n);
  const M = rows.length;
  const [coords, weights, objT, cls] = [t.coords.dataSync(), t.coordWeights.dataSync(), t.objTarget.dataSync(), t.classIds.dataSync()];
  const out: Assignment = {
    dims,
    index: Int32Array.from(rows),
    coord: new Float32Array(4 * M),
    weight: new Float32Array(4 * M),
    obj: new Float32Array(M),
    cls: new Int32Array(M),
    noobj: Float32Array.from(t.noobjMask.dataSync()),
    prior: Float32Array.from(t.priorMask.dataSync()),
    stats: { ...t.stats },
  };
  rows.forEach((n, m) => {
    for (let k = 0; k < 4; k++) {
      out.coord[k * M + m] = coords[n * 4 + k];
      out.weight[k * M + m] = weights[n * 4 + k];
    }
    out.obj[m] = objT[n];
    out.cls[m] = cls[n];
  });
  return out;
}
