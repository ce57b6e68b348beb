/**
 * Options shared by the model builders ({@link tinyYOLOv2}, {@link yolov2}) and their validation.
 *
 * @packageDocumentation
 */
import type { Anchor } from '../anchors.js';
import { assertAnchors } from '../anchors.js';
import { ValueError, describe } from '../errors.js';
import { assertNumber } from '../validate.js';

/** Options of {@link tinyYOLOv2} and {@link yolov2}. */
export interface ModelOptions {
  /** Number of classes C (integer ≥ 1). The head has A·(5+C) channels. */
  numClasses: number;
  /**
   * Anchors; only their count A matters to the model (it sets the head's width). Default: the darknet
   * cfg's anchors (`TINY_VOC_ANCHORS` for tiny, `VOC_ANCHORS` for yolov2), i.e. A = 5.
   */
  anchors?: readonly Anchor[];
  /**
   * Input size in pixels (square, a multiple of 32), fixing the model's input shape to
   * `[null, inputSize, inputSize, 3]` (what `model.predict` checks). `null` (the default) builds a
   * size-agnostic model `[null, null, null, 3]`: any height and width that are multiples of 32 work
   * (multi-scale training); the output grid is `[H/32, W/32]`.
   */
  inputSize?: number | null;
  /**
   * Width multiplier m > 0 (default 1): every conv's filter count becomes `max(1, round(filters·m))`,
   * except the head's. A darknet cfg with the same scaled counts loads its weights.
   */
  widthMultiplier?: number;
  /** Model name (default 'tiny-yolov2' / 'yolov2'). */
  name?: string;
  /**
   * Seed of the initial weights (an integer 0 … 2³² − 1): two builds with the same seed hold
   * bit-identical weights, on every backend. Without it the weights are drawn by tfjs-layers'
   * unseeded initializers (a different model each build).
   */
  seed?: number;
}

/** @internal */
export interface ResolvedModelOptions {
  numClasses: number;
  numAnchors: number;
  inputSize: number | null;
  widthMultiplier: number;
  name: string;
  seed?: number;
}

/** Validate the builder options and fill in the defaults. @internal */
export function resolveModelOptions(
  fn: string,
  options: ModelOptions,
  defaultAnchors: readonly Anchor[],
  defaultName: string,
): ResolvedModelOptions {
  if (typeof options !== 'object' || options === null) {
    throw new ValueError(`${fn}: 'options' must be an object { numClasses, anchors?, inputSize?, widthMultiplier? }, got ${describe(options)}`);
  }
  assertNumber(fn, 'numClasses', options.numClasses, { min: 1, integer: true });
  const anchors = options.anchors ?? defaultAnchors;
  assertAnchors(fn, anchors);
  const inputSize = options.inputSize ?? null;
  if (inputSize !== null) {
    assertNumber(fn, 'inputSize', inputSize, { min: 32, integer: true });
    if (inputSize % 32 !== 0) {
      throw new ValueError(`${fn}: 'inputSize' must be a multiple of 32 (or null for any size), got ${inputSize}`);
    }
  }
  const widthMultiplier = options.widthMultiplier ?? 1;
  assertNumber(fn, 'widthMultiplier', widthMultiplier, { min: 0, minOpen: true });
  if (options.seed !== undefined) assertNumber(fn, 'seed', options.seed, { min: 0, max: 0xffffffff, integer: true });
  return {
    numClasses: options.numClasses, numAnchors: anchors.length, inputSize, widthMultiplier, name: options.name ?? defaultName,
    ...(options.seed === undefined ? {} : { seed: options.seed }),
  };
}

/** `max(1, round(filters · m))`: a conv's filter count under the width multiplier. @internal */
export function scaleFilters(filters: number, m: number): number {
  return Math.max(1, Math.round(filters * m));
}
