/**
 * Target assignment on plain data (docs/math.md §4–5), the core of `buildTargets` and `YOLOv2Loss`.
 *
 * The ground truth is `B × N` rows, so choosing cells and anchors is a loop over objects; the one per-anchor
 * pass is the ignore-set IoU (every predicted box against the objects of its image, `B·H·W·A × N` float64
 * IoUs in a typed-array kernel). Everything here is data: nothing is on the tape, nothing carries a gradient.
 *
 * @packageDocumentation
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Anchor } from '../anchors.js';
import { MAX_LOG_SCALE } from '../head/decode.js';
import { ShapeError, TargetError, describe } from '../errors.js';
import { type HeadDims, gridPriors, toNHWC } from '../head/layout.js';
import type { ResolvedLossConfig } from './presets.js';
import { type GroundTruthOutside, checkGroundTruthBox } from './ground-truth-box.js';

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
  const images = parseImages(fn, gt, B, C, W, H, cfg.outside);

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
    if (!cfg.noobjIgnore && cfg.objTarget !== 'max-iou') continue;
    const anyAbove = bestIoUs(raw, base, perImage, W, A, D, priors, objs, maxIoU, cfg.ignoreThresh);
    for (let r = 0; r < perImage; r++) if (responsible[r]) (slots.get(base + r) as Slot).maxIoU = maxIoU[r];
    // 'gte' (the training records' rule) applies only when some box of the image is strictly above the threshold.
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

  const targets = slotTargets(slots, raw, D, W, H, priors, cfg);
  // Responsible anchors never get the no-object or the prior warm-up term.
  for (const n of targets.index) {
    noobj[n] = 0;
    prior[n] = 0;
  }
  return { dims, ...targets, noobj, prior, stats: { objects, assigned: slots.size, collisions, ignored } };
}

/** The per-object targets of the responsible anchors (`slots`, in insertion order): coordinates, weights, objectness, class. */
function slotTargets(
  slots: Map<number, Slot>, raw: Float32Array, D: number, W: number, H: number, priors: Anchor[], cfg: ResolvedLossConfig,
): Pick<Assignment, 'index' | 'coord' | 'weight' | 'obj' | 'cls'> {
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
    m++;
  }
  return { index, coord, weight, obj, cls };
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
function parseImages(fn: string, gt: GroundTruth, B: number, C: number, W: number, H: number, outside: GroundTruthOutside): GTObject[][] {
  const { data, perImage } = gt;
  const images: GTObject[][] = [];
  for (let b = 0; b < B; b++) {
    const objs: GTObject[] = [];
    for (let r = 0; r < perImage; r++) {
      const o = (b * perImage + r) * 5;
      const cls = data[o];
      if (cls < 0 && cls > -Infinity) continue; // padding, wherever it stands
      if (!Number.isFinite(cls)) {
        throw new TargetError(`${fn}: image ${b}, row ${r}: classId must be finite, got ${describe(cls)}`, b, r);
      }
      if (!Number.isInteger(cls) || cls >= C) {
        throw new TargetError(`${fn}: image ${b}, row ${r}: classId must be an integer < C = ${C} (or < 0 for padding), got ${cls}`, b, r);
      }
      const [cx, cy, w, h] = checkGroundTruthBox(fn, b, r, data[o + 1], data[o + 2], data[o + 3], data[o + 4], outside);
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
