/**
 * Ground truth packing and the grid-shaped YOLOv2 targets (docs/math.md §4–5); the assignment itself is in
 * `assign.ts`. The targets are constants by construction — built from data, never on the tape — so they
 * carry no gradient.
 *
 * @packageDocumentation
 */
import * as tf from '@tensorflow/tfjs-core';
import { type Assignment, type TargetStats, assign, readNHWC, readTargets } from './assign.js';
import { assertFiniteOutput } from './finite-output.js';
import { GROUND_TRUTH_OUTSIDE, type GroundTruthOutside, checkGroundTruthBox } from './ground-truth-box.js';
import { ShapeError, TargetError, ValueError, describe } from '../errors.js';
import { type HeadDims, headDims } from '../head/layout.js';
import { type YOLOv2LossConfig, resolveLossConfig } from './presets.js';
import { assertKnownKeys, assertNumber, assertOneOf } from '../validate.js';

export type { TargetStats } from './assign.js';
export type { GroundTruthOutside } from './ground-truth-box.js';

/** One annotation for {@link packTargets}: class id and a centre box normalised to 0…1 of the image. */
export interface Annotation {
  /** Integer class id, `0 ≤ classId < C`. */
  classId: number;
  /** `(cx, cy, w, h)`, normalised to the image: `cx, cy` in [0, 1], `w, h` in (0, 1] (see {@link PackTargetsOptions.outside}). */
  box: readonly [cx: number, cy: number, w: number, h: number];
}

/** Options of {@link packTargets}. */
export interface PackTargetsOptions {
  /** `N`, rows per image; default the largest image's count (at least 1). */
  maxBoxes?: number;
  /**
   * Boxes outside the image (`cx`, `cy` outside [0, 1], `w`, `h` above 1): `'error'` (default) throws a
   * TargetError naming image, row and value; `'clip'` intersects them with the image. See {@link GroundTruthOutside}.
   */
  outside?: GroundTruthOutside;
}

const PACK_KEYS = ['maxBoxes', 'outside'] as const;

/**
 * Pack per-image annotation lists into the padded ground-truth tensor `[B, N, 5]` of rows
 * `(classId, cx, cy, w, h)`; padding rows are `(−1, 0, 0, 0, 0)`.
 *
 * @param annotations one array per image (an empty array is an image without objects).
 * @param options `{ maxBoxes, outside }` (see {@link PackTargetsOptions}), or `maxBoxes` alone as a number.
 * @throws TargetError (naming image and row) for a non-integer or negative class id, non-finite numbers,
 *   `w ≤ 0`/`h ≤ 0`, or a box outside the image (unless `outside: 'clip'`); ValueError when an image has more
 *   than `maxBoxes` objects, there is no image, or for an unknown option.
 */
export function packTargets(
  annotations: ReadonlyArray<ReadonlyArray<Annotation>>,
  options?: number | PackTargetsOptions,
): tf.Tensor3D {
  const fn = 'packTargets';
  if (!Array.isArray(annotations) || annotations.length === 0) {
    throw new ValueError(`${fn}: 'annotations' must be a non-empty array (one array per image), got ${describe(annotations)}`);
  }
  const opts: PackTargetsOptions = typeof options === 'number' ? { maxBoxes: options } : (options ?? {});
  if (typeof options !== 'number') assertKnownKeys(fn, 'options', options, PACK_KEYS);
  const { maxBoxes, outside = 'error' } = opts;
  assertOneOf(fn, 'outside', outside, GROUND_TRUTH_OUTSIDE);
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
      data.set([classId, ...checkGroundTruthBox(fn, b, r, box[0], box[1], box[2], box[3], outside)], o);
    }
  });
  return tf.tensor3d(data, [annotations.length, n, 5]);
}

/**
 * Targets of one batch (docs/math.md §5), all constants (no gradient). Grid-shaped: `[B, H, W, A]`, plus a last
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
 * Build the YOLOv2 targets of a batch (docs/math.md §5) from the ground truth and the current head output.
 *
 * @param output the head output (see `decodeBoxes`), used only as data for the ignore set, the IoU
 *   objectness targets and `'prediction-wh'` weights.
 * @param targets `[B, N, 5]` rows `(classId, cx, cy, w, h)` normalised; `classId < 0` is padding.
 * @param config anchors, classes and the assignment options of {@link YOLOv2LossConfig}.
 * @throws TargetError naming the image and row for NaN/infinite values, `w ≤ 0`, `h ≤ 0`, `classId ≥ C`, or a
 *   box outside the image (`cx`, `cy` outside [0, 1], `w`, `h` above 1) unless `config.outside` is `'clip'`.
 * @throws ValueError for a non-finite output (unless `config.checkFinite` is `false`) and for bad options.
 * @throws ShapeError for mismatched shapes.
 */
export function buildTargets(output: tf.Tensor4D, targets: tf.Tensor3D, config: YOLOv2LossConfig): YOLOv2Targets {
  const cfg = resolveLossConfig('buildTargets', config);
  const dims = headDims('buildTargets', output, cfg);
  const gt = readTargets('buildTargets', targets, dims);
  const raw = readNHWC(output, cfg.layout);
  if (cfg.checkFinite) assertFiniteOutput('buildTargets', raw, dims, cfg.layout);
  return assignmentToTensors(assign('buildTargets', raw, dims, gt, cfg));
}

/** Dense grid-shaped tensors of an {@link Assignment}. @internal */
function assignmentToTensors(s: Assignment): YOLOv2Targets {
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
