/**
 * The YOLOv2 loss (docs/math.md §6).
 *
 * `compute` reads the current output once as data (`dataSync`), assigns targets on plain data
 * ({@link buildTargets}' core), turns them into constant tensors — no gradient by construction — and
 * evaluates the differentiable part as elementwise math on the head output:
 * - the no-object (and optional prior warm-up) terms on the row view `[B·H·W·A, 5+C]` with constant masks;
 * - the coordinate, objectness and class terms on the `M` responsible rows only, gathered with a custom
 *   gradient (a `scatterND`; `tf.gather`'s own gradient is very slow on cpu and missing on wasm).
 *
 * @packageDocumentation
 */
import * as tf from '@tensorflow/tfjs-core';
import { MAX_LOG_SCALE } from '../head/decode.js';
import { ValueError, describe } from '../errors.js';
import { headDims, headRows } from '../head/layout.js';
import { type ResolvedLossConfig, type YOLOv2LossConfig, resolveLossConfig } from './presets.js';
import { type Assignment, type TargetStats, assign, readNHWC, readTargets } from './assign.js';
import { type YOLOv2Targets, tensorsToAssignment } from './targets.js';
import { checkOutputFinite } from './finite-output.js';

export type { YOLOv2LossConfig } from './presets.js';

/** The terms of the loss, each a scalar already reduced (divided by B for `'batch-mean'`). */
export type YOLOv2LossTerms = {
  /** `coord + obj + noobj + cls`, differentiable with respect to the head output. */
  total: tf.Scalar;
  /** Coordinate term (plus the prior warm-up term while it is active). */
  coord: tf.Scalar;
  /** Objectness term of the responsible anchors. */
  obj: tf.Scalar;
  /** No-object term. */
  noobj: tf.Scalar;
  /** Class term. */
  cls: tf.Scalar;
};

/** Training state passed to {@link YOLOv2Loss.compute}. */
export interface LossState {
  /** Images seen so far, for `priorWarmup` (treated as 0 when absent). */
  seenImages?: number;
  /** Overrides `config.checkFinite` for this call (e.g. `false` from a trainer whose NaN/Inf guard skips the step). */
  checkFinite?: boolean;
}

/**
 * The YOLOv2 loss (docs/math.md §6) with every option of {@link YOLOv2LossConfig}; defaults are darknet's
 * region layer, so `new YOLOv2Loss({ anchors, numClasses })` is the canonical YOLOv2 loss.
 *
 *     L_coord = λ_coord · Σ_R Σ_k w_k (pred_k − target_k)²      L_obj = λ_obj · Σ_R (σ(to) − t_obj)²
 *     L_noobj = λ_noobj · Σ_Z σ(to)²                            L_cls = λ_cls · Σ_R ℓ_cls
 *
 * halved (all but `L_cls`) with `halfSquaredError`, divided by B with `'batch-mean'`.
 *
 * @example
 * ```ts
 * const loss = new YOLOv2Loss({ ...LOSS_PRESETS.recordsNew, anchors: VOC_ANCHORS, numClasses: 20 });
 * optimizer.minimize(() => loss.compute(model.predict(images) as tf.Tensor4D, targets).total);
 * ```
 */
export class YOLOv2Loss {
  /** The configuration with every default filled in. */
  readonly config: ResolvedLossConfig;
  /** Statistics of the last `compute` (objects, responsible anchors, collisions, ignored anchors). */
  lastStats: TargetStats | null = null;

  /**
   * @throws ValueError naming the option for an unknown option or value; ShapeError for malformed anchors.
   */
  constructor(config: YOLOv2LossConfig) {
    this.config = Object.freeze(resolveLossConfig('YOLOv2Loss', config)) as ResolvedLossConfig;
  }

  /** This loss as a serialisable value (what the trainer sends to gradient workers): `{ kind: 'yolov2', config }`. */
  toConfig(): { kind: 'yolov2'; config: YOLOv2LossConfig } {
    return { kind: 'yolov2', config: { ...this.config } };
  }

  /**
   * The loss of one batch. Synchronous; usable inside `optimizer.minimize`, `tf.grad` and
   * `tf.variableGrads`. The targets are rebuilt from the current output (ignore set, IoU targets) and
   * carry no gradient. Leaves `tf.memory().numTensors` unchanged apart from the five returned scalars.
   *
   * @param output head output `[B, H, W, A·(5+C)]` (or NCHW per `config.layout`).
   * @param groundTruth `[B, N, 5]` ground-truth rows `(classId, cx, cy, w, h)` normalised, as `packTargets`
   *   makes them; `classId < 0` is padding. (Called `targets` before; only the name changed. The built
   *   {@link YOLOv2Targets} go to {@link YOLOv2Loss.computeWithTargets}.)
   * @param state `seenImages` for the optional prior warm-up.
   * @throws TargetError naming image and row for invalid ground truth; ShapeError for mismatched shapes.
   */
  compute(output: tf.Tensor4D, groundTruth: tf.Tensor3D, state?: LossState): YOLOv2LossTerms {
    const dims = headDims('YOLOv2Loss.compute', output, this.config);
    const gt = readTargets('YOLOv2Loss.compute', groundTruth, dims);
    const raw = readNHWC(output, this.config.layout);
    checkOutputFinite('YOLOv2Loss.compute', raw, dims, this.config, state);
    const s = assign('YOLOv2Loss.compute', raw, dims, gt, this.config);
    this.lastStats = { ...s.stats };
    return this.terms(output, raw, s, state);
  }

  /**
   * The loss with targets held fixed (built earlier by {@link buildTargets} with the same config), e.g. for
   * finite-difference checks: the output is not re-read, so the ignore set and IoU targets do not move.
   */
  computeWithTargets(output: tf.Tensor4D, targets: YOLOv2Targets, state?: LossState): YOLOv2LossTerms {
    const dims = headDims('YOLOv2Loss.computeWithTargets', output, this.config);
    const raw = readNHWC(output, this.config.layout);
    checkOutputFinite('YOLOv2Loss.computeWithTargets', raw, dims, this.config, state);
    const s = tensorsToAssignment('YOLOv2Loss.computeWithTargets', targets, dims);
    return this.terms(output, raw, s, state);
  }

  private terms(output: tf.Tensor4D, raw: Float32Array, s: Assignment, state?: LossState): YOLOv2LossTerms {
    const cfg = this.config;
    const warm = cfg.priorWarmup;
    if (state !== undefined && state.seenImages !== undefined && !(Number.isFinite(state.seenImages) && state.seenImages >= 0)) {
      throw new ValueError(`YOLOv2Loss.compute: 'state.seenImages' must be a finite number ≥ 0, got ${describe(state.seenImages)}`);
    }
    const warmScale = warm !== null && (state?.seenImages ?? 0) < warm.images ? warm.scale : 0;
    const result = tf.tidy(() => {
      const half = cfg.halfSquaredError ? 0.5 : 1;
      const per = cfg.reduction === 'batch-mean' ? 1 / s.dims.batch : 1;
      const sums = lossSums(headRows(output, s.dims, cfg.layout), raw, s, cfg, warmScale);
      const coord = tf.mul(tf.add(tf.mul(sums.coord, cfg.coordScale), sums.prior), half * per);
      const obj = tf.mul(sums.obj, cfg.objScale * half * per);
      const noobj = tf.mul(sums.noobj, cfg.noobjScale * half * per);
      const cls = tf.mul(sums.cls, cfg.classScale * per);
      const total = tf.addN([coord, obj, noobj, cls]);
      return { total, coord, obj, noobj, cls } as Record<string, tf.Tensor>;
    });
    return result as unknown as YOLOv2LossTerms;
  }
}

/**
 * `x.flat[at[k]]` for every k, `[K]`, whose gradient is one `scatterND` back into `x`'s shape (duplicate
 * indices add up, as gradients must). `tf.gather`'s own gradient (UnsortedSegmentSum) is very slow on cpu
 * and missing on wasm; dense slices and transposes of `[N, 5+C]` are slow on cpu.
 */
function gatherFlat(x: tf.Tensor2D, at: Int32Array): tf.Tensor1D {
  // [K, 1] indices into the flat tensor: gatherND is ~10× faster than gather on wasm.
  const idx = tf.tensor2d(at, [at.length, 1], 'int32');
  const shape = x.shape;
  const size = x.size;
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [xx, save] = args as [tf.Tensor, tf.GradSaveFunc];
    save([idx]);
    return {
      value: tf.gatherND(tf.reshape(xx, [size]), idx),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [tf.reshape(tf.scatterND(saved[0], dy, [size]), shape)],
    };
  });
  return f(x) as tf.Tensor1D;
}

interface Sums {
  coord: tf.Scalar;
  prior: tf.Scalar;
  obj: tf.Scalar;
  noobj: tf.Scalar;
  cls: tf.Scalar;
}

/**
 * The unweighted sums of docs/math.md §6. One gather picks, column-major, what the loss reads from the row view
 * `[N, 5+C]`: the `to` column of every row (plus `tx, ty, tw, th` while the prior warm-up is on), then all
 * `5+C` columns of the `M` responsible rows as a `[5+C, M]` block.
 */
function lossSums(rows: tf.Tensor2D, raw: Float32Array, s: Assignment, cfg: ResolvedLossConfig, warmScale: number): Sums {
  const { rows: N, depth: D, numClasses: C } = s.dims;
  const M = s.index.length;
  const zero = (): tf.Scalar => tf.scalar(0);
  const anyNoobj = s.noobj.some((v) => v !== 0);
  const anyPrior = warmScale > 0 && s.prior.some((v) => v !== 0);
  const denseCols = anyPrior ? [0, 1, 2, 3, 4] : anyNoobj ? [4] : [];
  const K = denseCols.length * N + D * M;
  if (K === 0) {
    // Nothing to learn (e.g. every image skipped): still a function of the output, with a zero gradient,
    // so tf.grad and optimizer.minimize do not throw for want of a connection.
    const none = tf.mul(tf.sum(gatherFlat(rows, Int32Array.of(0))), 0) as tf.Scalar;
    return { coord: none, prior: zero(), obj: zero(), noobj: zero(), cls: zero() };
  }
  const at = new Int32Array(K);
  let p = 0;
  for (const k of denseCols) for (let n = 0; n < N; n++) at[p++] = n * D + k;
  for (let d = 0; d < D; d++) for (let m = 0; m < M; m++) at[p++] = s.index[m] * D + d;
  const [densePart, blockPart] = tf.split(gatherFlat(rows, at), [K - D * M, D * M]);
  const dense = denseCols.length > 0 ? tf.reshape(densePart, [denseCols.length, N]) : null;

  let noobj: tf.Scalar = zero();
  let prior: tf.Scalar = zero();
  if (dense !== null) {
    const to = denseCols.length === 1 ? dense : tf.slice(dense, [4, 0], [1, N]);
    noobj = tf.sum(tf.mul(tf.square(tf.sigmoid(to)), tf.tensor2d(s.noobj, [1, N])));
    if (anyPrior) {
      const mask = tf.tensor2d(s.prior, [1, N]);
      const [txy, twh] = tf.split(tf.slice(dense, [0, 0], [4, N]), 2, 0);
      const xy = tf.sum(tf.mul(tf.square(tf.sub(tf.sigmoid(txy), 0.5)), mask));
      const whPred = cfg.whSpace === 'log' ? twh : tf.sub(clampedExp(twh), 1);
      prior = tf.mul(tf.add(xy, tf.sum(tf.mul(tf.square(whPred), mask))), warmScale);
    }
  }
  if (M === 0) return { coord: zero(), prior, obj: zero(), noobj, cls: zero() };

  const block = tf.reshape(blockPart, [D, M]);
  const [txy, twh, to, logits] = tf.split(block, [2, 2, 1, C], 0);
  const whPred = cfg.whSpace === 'log' ? twh : clampedExp(twh);
  const pred = tf.concat([tf.sigmoid(txy), whPred], 0);
  const err = tf.square(tf.sub(pred, tf.tensor2d(s.coord, [4, M])));
  const coord = tf.sum(tf.mul(err, tf.tensor2d(s.weight, [4, M]))) as tf.Scalar;
  const obj = tf.sum(tf.square(tf.sub(tf.sigmoid(to), tf.tensor2d(s.obj, [1, M])))) as tf.Scalar;
  let cls: tf.Scalar;
  if (C === 1) {
    // One class: softmax is 1, so cross-entropy and squared error are 0 (tf.oneHot rejects depth 1).
    cls = zero();
  } else {
    const oneHot = new Float32Array(C * M);
    for (let m = 0; m < M; m++) oneHot[s.cls[m] * M + m] = 1;
    const hot = tf.tensor2d(oneHot, [C, M]);
    // Log-sum-exp shifted by each row's largest logit, read from the data: a constant shift leaves the
    // gradient (softmax − one-hot) unchanged and avoids max's gradient.
    const shift = new Float32Array(M);
    for (let m = 0; m < M; m++) {
      const o = s.index[m] * D + 5;
      let mx = -Infinity;
      for (let c = 0; c < C; c++) if (raw[o + c] > mx) mx = raw[o + c];
      shift[m] = mx;
    }
    const shifted = tf.sub(logits, tf.tensor2d(shift, [1, M]));
    const e = tf.exp(shifted);
    const sumE = tf.sum(e, 0, true);
    cls = (cfg.classLoss === 'softmax-ce'
      ? tf.sub(tf.sum(tf.log(sumE)), tf.sum(tf.mul(shifted, hot)))
      : tf.sum(tf.square(tf.sub(tf.div(e, sumE), hot)))) as tf.Scalar;
  }
  return { coord, prior, obj, noobj, cls };
}

/** `exp(min(x, 20))`; zero gradient beyond the clamp. */
function clampedExp(x: tf.Tensor): tf.Tensor {
  return tf.exp(tf.clipByValue(x, -Number.MAX_VALUE, MAX_LOG_SCALE));
}
