/**
 * Tiny-YOLOv2: darknet's yolov2-tiny-voc.cfg, layer for layer.
 *
 * @packageDocumentation
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { TINY_VOC_ANCHORS } from '../anchors.js';
import { convBnLeaky, headConv, maxPool } from './layers.js';
import type { ModelOptions } from './options.js';
import { resolveModelOptions, scaleFilters } from './options.js';
import { seedKernels } from './init.js';

/**
 * The filter counts of yolov2-tiny-voc.cfg's eight conv-bn-leaky layers (3×3 each); after each of the
 * first six a 2×2 max pool, stride 2 for the first five and stride 1 ('same', padded right/bottom) for
 * the sixth. Then the head: a 1×1 conv with bias, A·(5+C) filters, linear.
 */
export const TINY_YOLOV2_FILTERS: readonly number[] = Object.freeze([16, 32, 64, 128, 256, 512, 1024, 1024]);

/**
 * Tiny-YOLOv2 (darknet's yolov2-tiny-voc.cfg) as a `tf.LayersModel`.
 *
 * Input `[B, H, W, 3]` (H, W multiples of 32; fixed to `inputSize` when given), output the NHWC head
 * `[B, H/32, W/32, A·(5+C)]` (docs/math.md §1: channel `a·(5+C) + k`, raw values, no activation).
 * Layers: `conv{i}` (3×3, no bias) → `bn{i}` (ε 1e-5) → `leaky{i}` (0.1) for i = 0…7, max pools
 * `pool{i}` after the first six (the sixth 2×2 stride 1, 'same'), head `conv8` (1×1 with bias).
 * The conv indices follow the cfg's order, which is the order of darknet's `.weights`
 * (see {@link loadDarknetWeights}). With the defaults (20 classes, 5 anchors, m = 1) it holds 15,867,885
 * parameters, as darknet's yolov2-tiny-voc.
 *
 * @throws ValueError / ShapeError on bad options (numClasses not a positive integer, inputSize not a
 *   multiple of 32, widthMultiplier ≤ 0, malformed anchors).
 */
export function tinyYOLOv2(options: ModelOptions): tfl.LayersModel {
  const o = resolveModelOptions('tinyYOLOv2', options, TINY_VOC_ANCHORS, 'tiny-yolov2');
  const input = tfl.input({ shape: [o.inputSize, o.inputSize, 3], name: 'image' });
  let x: tfl.SymbolicTensor = input;
  TINY_YOLOV2_FILTERS.forEach((filters, i) => {
    x = convBnLeaky(x, scaleFilters(filters, o.widthMultiplier), 3, i);
    if (i < 5) x = maxPool(x, 2, 2, `pool${i}`);
    else if (i === 5) x = maxPool(x, 2, 1, `pool${i}`);
  });
  const output = headConv(x, o.numAnchors * (5 + o.numClasses), TINY_YOLOV2_FILTERS.length);
  const model = tfl.model({ inputs: input, outputs: output, name: o.name });
  if (o.seed !== undefined) seedKernels(model, o.seed);
  return model;
}
