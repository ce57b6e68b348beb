/**
 * YOLOv2: darknet's yolov2-voc.cfg — the Darknet-19 backbone, three detection convs and the
 * passthrough (reorg) route — layer for layer.
 *
 * @packageDocumentation
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { VOC_ANCHORS } from '../anchors.js';
import { ValueError } from '../errors.js';
import { Reorg, convBnLeaky, headConv, maxPool } from './layers.js';
import type { ModelOptions } from './options.js';
import { resolveModelOptions, scaleFilters } from './options.js';
import { seedKernels } from './init.js';

/**
 * Darknet-19 as in yolov2-voc.cfg: per stage, `[filters, size]` conv-bn-leaky layers; a 2×2 stride-2 max
 * pool follows every stage but the last. Stage 5's last conv (26×26×512 at 416) feeds the passthrough.
 */
export const DARKNET19_STAGES: ReadonlyArray<ReadonlyArray<readonly [number, number]>> = Object.freeze([
  [[32, 3]],
  [[64, 3]],
  [[128, 3], [64, 1], [128, 3]],
  [[256, 3], [128, 1], [256, 3]],
  [[512, 3], [256, 1], [512, 3], [256, 1], [512, 3]],
  [[1024, 3], [512, 1], [1024, 3], [512, 1], [1024, 3]],
]);

/**
 * YOLOv2 (darknet's yolov2-voc.cfg) as a `tf.LayersModel`.
 *
 * Input `[B, H, W, 3]` (H, W multiples of 32; fixed to `inputSize` when given), output the NHWC head
 * `[B, H/32, W/32, A·(5+C)]` (docs/math.md §1). Conv layers, in cfg order (= darknet `.weights` order):
 * `conv0`…`conv17` the Darknet-19 backbone (3×3 and 1×1 conv-bn-leaky, 2×2 max pools `pool0`…`pool4`),
 * `conv18`, `conv19` two 3×3×1024, then the passthrough route: `conv20` a 1×1×64 conv on the 26×26
 * features of `conv12` (`[route] layers=-9`), `reorg` ({@link Reorg}, stride 2), `route` the
 * concatenation [reorg output, conv19 output] (reorg first, as darknet's `[route] layers=-1,-4`),
 * `conv21` 3×3×1024, and the head `conv22`, a 1×1 conv with bias, linear.
 * With the defaults (20 classes, 5 anchors, m = 1) it holds 50,676,061 parameters, as darknet's yolov2-voc.
 *
 * @throws ValueError when the width multiplier leaves the passthrough conv with a filter count not
 *   divisible by 4 (reorg needs it), or on bad options as {@link tinyYOLOv2}.
 */
export function yolov2(options: ModelOptions): tfl.LayersModel {
  const o = resolveModelOptions('yolov2', options, VOC_ANCHORS, 'yolov2');
  const m = o.widthMultiplier;
  const routeFilters = scaleFilters(64, m);
  if (routeFilters % 4 !== 0) {
    throw new ValueError(
      `yolov2: 'widthMultiplier' ${m} gives the passthrough conv round(64·${m}) = ${routeFilters} filters; reorg needs a multiple of 4`,
    );
  }
  const input = tfl.input({ shape: [o.inputSize, o.inputSize, 3], name: 'image' });
  let x: tfl.SymbolicTensor = input;
  let index = 0;
  let passthrough: tfl.SymbolicTensor | null = null;
  DARKNET19_STAGES.forEach((stage, s) => {
    for (const [filters, size] of stage) x = convBnLeaky(x, scaleFilters(filters, m), size, index++);
    if (s === 4) passthrough = x;
    if (s < DARKNET19_STAGES.length - 1) x = maxPool(x, 2, 2, `pool${s}`);
  });
  x = convBnLeaky(x, scaleFilters(1024, m), 3, index++);
  x = convBnLeaky(x, scaleFilters(1024, m), 3, index++);
  let route = convBnLeaky(passthrough as unknown as tfl.SymbolicTensor, routeFilters, 1, index++);
  route = new Reorg({ stride: 2, name: 'reorg' }).apply(route) as tfl.SymbolicTensor;
  x = tfl.layers.concatenate({ axis: -1, name: 'route' }).apply([route, x]) as tfl.SymbolicTensor;
  x = convBnLeaky(x, scaleFilters(1024, m), 3, index++);
  const output = headConv(x, o.numAnchors * (5 + o.numClasses), index);
  const model = tfl.model({ inputs: input, outputs: output, name: o.name });
  if (o.seed !== undefined) seedKernels(model, o.seed);
  return model;
}
