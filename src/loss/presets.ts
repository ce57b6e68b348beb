/**
 * Configuration of target assignment and the YOLOv2 loss (docs/math.md §5–7): the options, their
 * defaults (darknet's region layer), validation, and one named preset per published implementation.
 *
 * @packageDocumentation
 */
import { type Anchor, VOC_ANCHORS_RELATIVE } from '../anchors.js';
import { ValueError, describe } from '../errors.js';
import { type HeadSpec, assertHeadSpec } from '../head/layout.js';
import { GROUND_TRUTH_OUTSIDE, type GroundTruthOutside } from './ground-truth-box.js';
import { assertKnownKeys, assertNumber, assertOneOf } from '../validate.js';

/**
 * Every option of {@link buildTargets} and {@link YOLOv2Loss} (docs/math.md §5–6). Only `anchors` and
 * `numClasses` are required; the defaults are darknet's YOLOv2 region layer (`LOSS_PRESETS.darknet`).
 */
export interface YOLOv2LossConfig extends HeadSpec {
  /** IoU above which a non-responsible predicted box gets no no-object loss (§5.4). Default 0.6. */
  ignoreThresh?: number;
  /**
   * `'gt'` (default): ignored when best IoU `> ignoreThresh`. `'gte'`: ignored when `≥`, applied only in
   * images where some box is strictly above the threshold (the training records' implementation).
   */
  ignoreRule?: 'gt' | 'gte';
  /** Apply the ignore set (default `true`, the training records' "v2"); `false` = the training records' "v1". */
  noobjIgnore?: boolean;
  /**
   * How the responsible anchor is chosen among the cell's anchors (highest IoU, lowest index on ties):
   * `'shape'` (default, darknet: both centred at the same point), `'cell-center'` (anchor centred on
   * `(i + 0.5, j + 0.5)`, ground truth at its own centre), `'cell-corner'` (anchor centred on `(i, j)`).
   */
  anchorMatch?: 'shape' | 'cell-center' | 'cell-corner';
  /**
   * `'log'` (default): w/h targets `ln(g_w/p_w)` compared with `tw`. `'exp'`: targets `g_w/p_w` compared
   * with `exp(min(tw, 20))`.
   */
  whSpace?: 'log' | 'exp';
  /**
   * Coordinate weight: `'truth'` (default) `2 − w·h` of the normalised ground truth on all four errors;
   * `'prediction-wh'` `|2 − w·h|` of the normalised predicted box on the w and h errors only; `'none'` 1.
   */
  boxScale?: 'none' | 'truth' | 'prediction-wh';
  /**
   * Objectness target of a responsible anchor: `'iou'` (default) its predicted box's IoU with its own ground
   * truth; `'max-iou'` its best IoU with any ground truth of the image; `'one'` 1.
   */
  objTarget?: 'iou' | 'max-iou' | 'one';
  /** λ_coord, linear weight of the coordinate errors. Default 1. */
  coordScale?: number;
  /** λ_obj, linear weight of the objectness error of responsible anchors. Default 5. */
  objScale?: number;
  /** λ_noobj, linear weight of the no-object error. Default 1. */
  noobjScale?: number;
  /** λ_cls, linear weight of the class loss. Default 1. */
  classScale?: number;
  /** Halve the coordinate, objectness and no-object squared errors (not the class loss). Default `true`. */
  halfSquaredError?: boolean;
  /** `'softmax-ce'` (default): −ln softmax(c)_k. `'softmax-mse'`: Σ_c (softmax(c)_c − [c = k])². */
  classLoss?: 'softmax-ce' | 'softmax-mse';
  /** Images without objects: `'noobj'` (default) every anchor gets the no-object loss; `'skip'` nothing. */
  emptyImages?: 'noobj' | 'skip';
  /** `'batch-mean'` (default) divides every term by B; `'sum'` does not. */
  reduction?: 'batch-mean' | 'sum';
  /**
   * Darknet's prior warm-up: while `state.seenImages < images`, non-responsible anchors are pulled toward
   * their prior with weight `scale` (docs/math.md §6). Off by default (`undefined` or `null`).
   */
  priorWarmup?: { images: number; scale: number } | null;
  /**
   * Ground-truth boxes outside the image (`cx`, `cy` outside [0, 1], `w`, `h` above 1): `'error'` (default)
   * throws a TargetError naming image, row and value; `'clip'` intersects them with the image. See
   * {@link GroundTruthOutside}.
   */
  outside?: GroundTruthOutside;
  /**
   * Check that the head output is finite before computing anything (default `true`): NaN or ±Inf throws a
   * ValueError naming the first bad position. `false` skips the check (one pass over the output), e.g. when
   * the trainer's NaN/Inf guard is to catch such a step instead. `state.checkFinite` of a `compute` call
   * overrides it for that call.
   */
  checkFinite?: boolean;
}

/** A config with every option filled in (see {@link resolveLossConfig}). */
export type ResolvedLossConfig = Required<Omit<YOLOv2LossConfig, 'priorWarmup'>> & {
  /** `null` when off. */
  priorWarmup: { images: number; scale: number } | null;
};

/** The defaults of every optional field: darknet's yolov2-voc.cfg region layer (docs/math.md §6). */
export const LOSS_DEFAULTS: Readonly<Omit<ResolvedLossConfig, 'anchors' | 'numClasses'>> = Object.freeze({
  anchorUnits: 'grid',
  layout: 'NHWC',
  ignoreThresh: 0.6,
  ignoreRule: 'gt',
  noobjIgnore: true,
  anchorMatch: 'shape',
  whSpace: 'log',
  boxScale: 'truth',
  objTarget: 'iou',
  coordScale: 1,
  objScale: 5,
  noobjScale: 1,
  classScale: 1,
  halfSquaredError: true,
  classLoss: 'softmax-ce',
  emptyImages: 'noobj',
  reduction: 'batch-mean',
  priorWarmup: null,
  outside: 'error',
  checkFinite: true,
});

const KNOWN_KEYS = ['anchors', 'numClasses', ...Object.keys(LOSS_DEFAULTS)];

/**
 * Fill in the defaults and validate every option.
 *
 * @throws ValueError naming the option for an unknown key, an unknown enum value or a number out of range.
 * @throws ShapeError for malformed anchors.
 */
export function resolveLossConfig(fn: string, config: YOLOv2LossConfig): ResolvedLossConfig {
  if (typeof config !== 'object' || config === null) {
    throw new ValueError(`${fn}: 'config' must be an object { anchors, numClasses, … }, got ${describe(config)}`);
  }
  assertKnownKeys(fn, 'config', config, KNOWN_KEYS);
  const defined = Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined));
  const c = { ...LOSS_DEFAULTS, ...defined } as ResolvedLossConfig;
  assertHeadSpec(fn, c);
  assertNumber(fn, 'ignoreThresh', c.ignoreThresh, { min: 0, max: 1 });
  assertOneOf(fn, 'ignoreRule', c.ignoreRule, ['gt', 'gte']);
  if (typeof c.noobjIgnore !== 'boolean') throw new ValueError(`${fn}: 'noobjIgnore' must be a boolean, got ${describe(c.noobjIgnore)}`);
  assertOneOf(fn, 'anchorMatch', c.anchorMatch, ['shape', 'cell-center', 'cell-corner']);
  assertOneOf(fn, 'whSpace', c.whSpace, ['log', 'exp']);
  assertOneOf(fn, 'boxScale', c.boxScale, ['none', 'truth', 'prediction-wh']);
  assertOneOf(fn, 'objTarget', c.objTarget, ['iou', 'max-iou', 'one']);
  for (const k of ['coordScale', 'objScale', 'noobjScale', 'classScale'] as const) assertNumber(fn, k, c[k], { min: 0 });
  if (typeof c.halfSquaredError !== 'boolean') {
    throw new ValueError(`${fn}: 'halfSquaredError' must be a boolean, got ${describe(c.halfSquaredError)}`);
  }
  assertOneOf(fn, 'classLoss', c.classLoss, ['softmax-ce', 'softmax-mse']);
  assertOneOf(fn, 'emptyImages', c.emptyImages, ['noobj', 'skip']);
  assertOneOf(fn, 'reduction', c.reduction, ['batch-mean', 'sum']);
  assertOneOf(fn, 'outside', c.outside, GROUND_TRUTH_OUTSIDE);
  if (typeof c.checkFinite !== 'boolean') throw new ValueError(`${fn}: 'checkFinite' must be a boolean, got ${describe(c.checkFinite)}`);
  if (c.priorWarmup !== null) {
    if (typeof c.priorWarmup !== 'object') {
      throw new ValueError(`${fn}: 'priorWarmup' must be { images, scale } or null, got ${describe(c.priorWarmup)}`);
    }
    assertNumber(fn, 'priorWarmup.images', c.priorWarmup.images, { min: 0 });
    assertNumber(fn, 'priorWarmup.scale', c.priorWarmup.scale, { min: 0 });
    c.priorWarmup = { images: c.priorWarmup.images, scale: c.priorWarmup.scale };
  }
  c.anchors = c.anchors.map((a) => [a[0], a[1]] as Anchor);
  return c;
}

/** A preset: a plain partial config to spread, e.g. `{ ...LOSS_PRESETS.recordsNew, anchors, numClasses }`. */
export type LossPreset = Partial<YOLOv2LossConfig>;

const darknet: LossPreset = Object.freeze({
  anchorUnits: 'grid', anchorMatch: 'shape', noobjIgnore: true, ignoreRule: 'gt', ignoreThresh: 0.6,
  whSpace: 'log', boxScale: 'truth', objTarget: 'iou', coordScale: 1, objScale: 5, noobjScale: 1, classScale: 1,
  halfSquaredError: true, classLoss: 'softmax-ce', emptyImages: 'noobj', reduction: 'batch-mean',
} as const);

// The training records' implementation squares its scales (mask × prediction and mask × target inside one squared
// error): object scale 5 weighs 25, no-object scale 1 weighs 1. Our weights are linear, so the presets
// carry the squared values.
const recordsV2: LossPreset = Object.freeze({
  anchorUnits: 'grid', anchorMatch: 'cell-center', noobjIgnore: true, ignoreRule: 'gte', ignoreThresh: 0.7,
  whSpace: 'exp', boxScale: 'none', objTarget: 'max-iou', coordScale: 1, objScale: 25, noobjScale: 1, classScale: 1,
  halfSquaredError: false, classLoss: 'softmax-ce', emptyImages: 'noobj', reduction: 'batch-mean',
} as const);

/**
 * One plain config per row of docs/math.md §7 (weights linear, as our loss uses them):
 *
 * | preset | anchorMatch | ignore (rule, thresh) | whSpace | boxScale | objTarget | λ_obj | λ_noobj | half | emptyImages |
 * |---|---|---|---|---|---|---|---|---|---|
 * | `darknet` (= the defaults) | shape | gt 0.6 | log | truth | iou | 5 | 1 | yes | noobj |
 * | `recordsV2` = `recordsOld` (the training records' "old loss"/"v2") | cell-center | gte 0.7 | exp | none | max-iou | 25 (= 5²) | 1 | no | noobj¹ |
 * | `recordsNew` (the training records' "new loss") | cell-center | gte 0.7 | exp | none | max-iou | 25 | 1 | yes | skip |
 * | `recordsV1` (ignore set never applied) | cell-center | off | exp | none | max-iou | 5 | 1 | no | noobj¹ |
 * | `tztz` (tztztztztz/yolov2.pytorch, the "LR" comparison) | cell-center | gte 0.6 | exp | none | max-iou | 25 | 1 | yes | noobj¹ |
 * | `recordsRewrite` (the training records' project, later rewrite) | cell-corner | gt 0.6 | exp | prediction-wh | iou | 5 | 1 | no | noobj |
 * | `recordsScaledAnchors` (`recordsV2` with the VOC anchors in `'relative'` units) | as `recordsV2` | | | | | | | | |
 *
 * ¹ the reference crashes on an image without objects; `'noobj'` is our choice.
 * Every preset uses grid anchors (except `recordsScaledAnchors`), λ_coord = λ_cls = 1, softmax cross-entropy
 * and `'batch-mean'`. Add `anchorUnits: 'relative'` (with relative anchors) to any preset for the training records'
 * scaled-anchor experiment.
 */
export const LOSS_PRESETS: Readonly<Record<string, LossPreset>> = Object.freeze({
  darknet,
  recordsV2,
  recordsOld: recordsV2,
  recordsNew: Object.freeze({ ...recordsV2, halfSquaredError: true, emptyImages: 'skip' } as const),
  recordsV1: Object.freeze({ ...recordsV2, noobjIgnore: false, objScale: 5 } as const),
  tztz: Object.freeze({ ...recordsV2, ignoreThresh: 0.6, halfSquaredError: true } as const),
  recordsRewrite: Object.freeze({
    anchorUnits: 'grid', anchorMatch: 'cell-corner', noobjIgnore: true, ignoreRule: 'gt', ignoreThresh: 0.6,
    whSpace: 'exp', boxScale: 'prediction-wh', objTarget: 'iou', coordScale: 1, objScale: 5, noobjScale: 1,
    classScale: 1, halfSquaredError: false, classLoss: 'softmax-ce', emptyImages: 'noobj', reduction: 'batch-mean',
  } as const),
  recordsScaledAnchors: Object.freeze({ ...recordsV2, anchorUnits: 'relative', anchors: VOC_ANCHORS_RELATIVE } as const),
});
