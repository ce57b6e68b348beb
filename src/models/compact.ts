/**
 * A compact YOLOv2-family detector for small inputs and CPU budgets: darknet conv-bn-leaky blocks and
 * 2×2 max pools like tiny-YOLOv2, but with a configurable depth (hence output stride) and width, and
 * the head on a finer grid. On the synthetic-shapes demo it learns which shape sits in which cell where
 * tiny-YOLOv2 ×0.25 (4–8 filters in its first layers, stride 32) stays at chance (docs/demo.md).
 *
 * @packageDocumentation
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { TINY_VOC_ANCHORS } from '../anchors.js';
import { ValueError, describe } from '../errors.js';
import { convBnLeaky, headConv, maxPool } from './layers.js';
import type { ModelOptions } from './options.js';
import { resolveModelOptions, scaleFilters } from './options.js';

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
 * `[B, H/s, W/s, A·(5+C)]` of math.md §1 with s = 2^(filters.length − 1) (see {@link outputStride}).
 * Layers: `conv{i}` (3×3, no bias) → `bn{i}` (darknet batch norm, ε 1e-5, leaky 0.1 fused) for the
 * backbone then the neck, `pool{i}` (2×2/2, 'same') after each backbone block but the last, and the head
 * `conv{n}` (1×1 with bias, linear), so darknet `.weights` I/O works as for the darknet models.
 * With the defaults and m = 1: 16-32-64-128-256 | 256, stride 16.
 *
 * @throws ValueError on bad options (those of {@link tinyYOLOv2}, and `filters` / `neck` not arrays of
 *   positive integers, `filters` empty or longer than 6).
 */
export function compactYOLOv2(options: CompactYOLOv2Options): tfl.LayersModel {
  const fn = 'compactYOLOv2';
  const o = resolveModelOptions(fn, options, TINY_VOC_ANCHORS, 'compact-yolov2');
  const filters = assertFilterList(fn, 'filters', options.filters ?? COMPACT_YOLOV2_FILTERS, 1, 6);
  const neck = assertFilterList(fn, 'neck', options.neck ?? COMPACT_YOLOV2_NECK, 0, 16);
  const input = tfl.input({ shape: [o.inputSize, o.inputSize, 3], name: 'image' });
  let x: tfl.SymbolicTensor = input;
  let index = 0;
  filters.forEach((f, i) => {
    x = convBnLeaky(x, scaleFilters(f, o.widthMultiplier), 3, index++);
    if (i < filters.length - 1) x = maxPool(x, 2, 2, `pool${i}`);
  });
  for (const f of neck) x = convBnLeaky(x, scaleFilters(f, o.widthMultiplier), 3, index++);
  const output = headConv(x, o.numAnchors * (5 + o.numClasses), index);
  return tfl.model({ inputs: input, outputs: output, name: o.name });
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
