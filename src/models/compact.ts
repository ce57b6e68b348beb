/**
 * A compact YOLOv2-family detector for small inputs and CPU budgets: darknet conv-bn-leaky blocks and
 * 2×2 max pools like tiny-YOLOv2, but with a configurable depth (hence output stride) and width, and
 * the head on a finer grid. On the synthetic-shapes demo it learns which shape sits in which cell where
 * tiny-YOLOv2 ×0.25 (4–8 filters in its first layers, stride 32) stays at chance (docs/history.md).
 *
 * @packageDocumentation
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { TINY_VOC_ANCHORS } from '../anchors.js';
import { ValueError, describe } from '../errors.js';
import { assertNumber } from '../validate.js';
import { Reorg, convBnLeaky, headConv, maxPool } from './layers.js';
import type { ModelOptions } from './options.js';
import { resolveModelOptions, scaleFilters } from './options.js';
import { seedKernels } from './init.js';

/** Default backbone filter counts of {@link compactYOLOv2}: five 3×3 blocks, four pools, stride 16. */
export const COMPACT_YOLOV2_FILTERS: readonly number[] = Object.freeze([16, 32, 64, 128, 256]);
/** Default neck of {@link compactYOLOv2}: one more 3×3 block at the output stride. */
export const COMPACT_YOLOV2_NECK: readonly number[] = Object.freeze([256]);

/** Options of {@link compactYOLOv2}: the shared model options plus the layout. */
export interface CompactYOLOv2Options extends ModelOptions {
  /**
   * Filter counts of the backbone's 3×3 conv-bn-leaky blocks (1 to 6 of them). A 2×2 stride-2 max pool
   * follows every block but the last, so the output stride is 2^(filters.length − 1) (16 for the
   * default {@link COMPACT_YOLOV2_FILTERS}). Scaled by `widthMultiplier`.
   */
  filters?: readonly number[];
  /** Filter counts of further 3×3 conv-bn-leaky blocks at the output stride (default {@link COMPACT_YOLOV2_NECK}; may be empty). Scaled by `widthMultiplier`. */
  neck?: readonly number[];
  /**
   * YOLOv2's passthrough route, scaled down (0 = off, the default): a 1×1 conv-bn-leaky with this many
   * filters (scaled by `widthMultiplier`; the result must be a multiple of 4) on the last backbone block
   * before its pool (stride s/2), {@link Reorg} stride 2, concatenated with the neck's output, then a 3×3
   * conv-bn-leaky with the neck's last filter count (the backbone's last when the neck is empty). It gives
   * the head the finer features small objects need. Needs at least two backbone blocks.
   */
  passthrough?: number;
  /**
   * Local-contrast input (0 = off, the default): the network sees `x − mean_k(x)`, the image minus its
   * mean over a k×k window centred on each pixel (stride 1, 'same', out-of-image pixels not counted), so
   * a smooth background of any colour maps near 0 and shapes show as their contrast to their
   * surroundings. k odd, 3 to 31. Built from stock layers (`averagePooling2d`, `rescaling`, `add`), so
   * the model saves and loads anywhere; it has no weights, so darknet `.weights` I/O is unchanged.
   */
  localContrast?: number;
  /**
   * A finer output grid (0 = off, the default), YOLOv3's upsampling route at one scale: after the neck
   * (and the passthrough, when on), a 1×1 conv-bn-leaky with this many filters (scaled by
   * `widthMultiplier`), ×2 nearest-neighbour upsampling, concatenated with the last backbone block before
   * its pool (stride s/2), then a 3×3 conv-bn-leaky with the same filter count. The head then sits at
   * stride s/2 (8 for the default backbone): small objects get a cell of their own size, large ones keep
   * the context of the coarser path. Needs at least two backbone blocks.
   */
  upsample?: number;
}

function assertFilterList(fn: string, name: string, v: unknown, min: number, max: number): readonly number[] {
  if (!Array.isArray(v) || v.length < min || v.length > max || v.some((f) => !Number.isInteger(f) || f < 1)) {
    throw new ValueError(`${fn}: '${name}' must be an array of ${min} to ${max} positive integers, got ${describe(v)}`);
  }
  return v as readonly number[];
}

/**
 * A compact YOLOv2-family detector as a `tf.LayersModel`.
 *
 * Input `[B, H, W, 3]` (H, W multiples of 32; fixed to `inputSize` when given), output the NHWC head
 * `[B, H/s, W/s, A·(5+C)]` of docs/math.md §1 with s = 2^(filters.length − 1) (see {@link outputStride}).
 * Layers: `conv{i}` (3×3, no bias) → `bn{i}` (darknet batch norm, ε 1e-5, leaky 0.1 fused) for the
 * backbone then the neck, `pool{i}` (2×2/2, 'same') after each backbone block but the last, and the head
 * `conv{n}` (1×1 with bias, linear), so darknet `.weights` I/O works as for the darknet models.
 * With the defaults and m = 1: 16-32-64-128-256 | 256, stride 16. Two options, off by default, add
 * `contrast_mean` → `contrast_negate` → `contrast` before `conv0` (`localContrast`) and yolov2's
 * passthrough after the neck (`passthrough`: a 1×1 `conv`, `reorg`, `route`, a 3×3 `conv`).
 *
 * @throws ValueError on bad options (those of {@link tinyYOLOv2}, and `filters` / `neck` not arrays of
 *   positive integers, `filters` empty or longer than 6).
 */
export function compactYOLOv2(options: CompactYOLOv2Options): tfl.LayersModel {
  const fn = 'compactYOLOv2';
  const o = resolveModelOptions(fn, options, TINY_VOC_ANCHORS, 'compact-yolov2');
  const filters = assertFilterList(fn, 'filters', options.filters ?? COMPACT_YOLOV2_FILTERS, 1, 6);
  const neck = assertFilterList(fn, 'neck', options.neck ?? COMPACT_YOLOV2_NECK, 0, 16);
  const passthrough = options.passthrough ?? 0;
  assertNumber(fn, 'passthrough', passthrough, { min: 0, integer: true });
  const routeFilters = passthrough > 0 ? scaleFilters(passthrough, o.widthMultiplier) : 0;
  if (passthrough > 0 && filters.length < 2) {
    throw new ValueError(`${fn}: 'passthrough' needs at least two backbone blocks, got 'filters' of length ${filters.length}`);
  }
  if (routeFilters % 4 !== 0) {
    throw new ValueError(`${fn}: 'passthrough' ${passthrough} × widthMultiplier ${o.widthMultiplier} gives ${routeFilters} filters; reorg needs a multiple of 4`);
  }
  const upsample = options.upsample ?? 0;
  assertNumber(fn, 'upsample', upsample, { min: 0, integer: true });
  if (upsample > 0 && filters.length < 2) {
    throw new ValueError(`${fn}: 'upsample' needs at least two backbone blocks, got 'filters' of length ${filters.length}`);
  }
  const window = options.localContrast ?? 0;
  assertNumber(fn, 'localContrast', window, { min: 0, max: 31, integer: true });
  if (window !== 0 && (window < 3 || window % 2 === 0)) {
    throw new ValueError(`${fn}: 'localContrast' must be 0 (off) or an odd window size from 3 to 31, got ${window}`);
  }
  const input = tfl.input({ shape: [o.inputSize, o.inputSize, 3], name: 'image' });
  let x: tfl.SymbolicTensor = window > 0 ? localContrast(input, window) : input;
  let index = 0;
  let route: tfl.SymbolicTensor | null = null;
  filters.forEach((f, i) => {
    x = convBnLeaky(x, scaleFilters(f, o.widthMultiplier), 3, index++);
    if (i === filters.length - 2) route = x;
    if (i < filters.length - 1) x = maxPool(x, 2, 2, `pool${i}`);
  });
  for (const f of neck) x = convBnLeaky(x, scaleFilters(f, o.widthMultiplier), 3, index++);
  if (route && routeFilters > 0) {
    let r = convBnLeaky(route, routeFilters, 1, index++);
    r = new Reorg({ stride: 2, name: 'reorg' }).apply(r) as tfl.SymbolicTensor;
    x = tfl.layers.concatenate({ axis: -1, name: 'route' }).apply([r, x]) as tfl.SymbolicTensor;
    x = convBnLeaky(x, scaleFilters(neck.at(-1) ?? filters.at(-1)!, o.widthMultiplier), 3, index++);
  }
  if (route && upsample > 0) {
    const u = scaleFilters(upsample, o.widthMultiplier);
    x = convBnLeaky(x, u, 1, index++);
    x = tfl.layers.upSampling2d({ size: [2, 2], name: 'upsample' }).apply(x) as tfl.SymbolicTensor;
    x = tfl.layers.concatenate({ axis: -1, name: 'route_fine' }).apply([x, route]) as tfl.SymbolicTensor;
    x = convBnLeaky(x, u, 3, index++);
  }
  const output = headConv(x, o.numAnchors * (5 + o.numClasses), index);
  const model = tfl.model({ inputs: input, outputs: output, name: o.name });
  if (o.seed !== undefined) seedKernels(model, o.seed);
  return model;
}

/** `x − mean_k(x)` over a k×k window ('same', stride 1; TF's average pool leaves out-of-image pixels out). */
function localContrast(x: tfl.SymbolicTensor, k: number): tfl.SymbolicTensor {
  const mean = tfl.layers.averagePooling2d({ poolSize: k, strides: 1, padding: 'same', name: 'contrast_mean' }).apply(x) as tfl.SymbolicTensor;
  const negated = tfl.layers.rescaling({ scale: -1, offset: 0, name: 'contrast_negate' }).apply(mean) as tfl.SymbolicTensor;
  return tfl.layers.add({ name: 'contrast' }).apply([x, negated]) as tfl.SymbolicTensor;
}

/**
 * The output stride of a detector (input pixels per output cell): 32 for {@link tinyYOLOv2} and
 * {@link yolov2}, 2^(filters.length − 1) for {@link compactYOLOv2}. Read from the model's output shape
 * for a `probe`×`probe` input (a multiple of 32), so it works for any fully convolutional model.
 * @throws ValueError when `probe` is not a multiple of 32, or the output is not 4-D or does not divide the probe evenly.
 */
export function outputStride(model: tfl.LayersModel, probe = 64): number {
  if (!Number.isInteger(probe) || probe < 32 || probe % 32 !== 0) {
    throw new ValueError(`outputStride: 'probe' must be a multiple of 32 (≥ 32), got ${describe(probe)}`);
  }
  const shape = model.computeOutputShape([1, probe, probe, 3]) as (number | null)[];
  const h = shape[1];
  if (shape.length !== 4 || typeof h !== 'number' || h < 1 || probe % h !== 0) {
    throw new ValueError(`outputStride: expected a fully convolutional model with a 4-D output, got output shape [${shape.join(', ')}] for a ${probe}×${probe} input`);
  }
  return probe / h;
}
