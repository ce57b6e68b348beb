/**
 * What the trainer asks of a loss and of a data source, and what it records per optimizer step: the
 * types shared by the trainer, the gradient computation and the gradient workers.
 *
 * @packageDocumentation
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { YOLOv2LossConfig } from '../../loss/presets.js';

/** The scalar terms a loss returns: the same type as the core's `YOLOv2LossTerms` (this name kept for compatibility). */
export type LossTerms = import('../../loss/yolov2-loss.js').YOLOv2LossTerms;

/**
 * A loss as a serialisable value: what gradient workers rebuild their copy of the loss from. One
 * variant per loss the library knows (today `YOLOv2Loss`, whose `toConfig()` returns it).
 */
export type SerializedLoss = { kind: 'yolov2'; config: YOLOv2LossConfig };

/**
 * Anything with `YOLOv2Loss`'s synchronous `compute`; the trainer passes `checkFinite: false` (its own
 * guard skips a non-finite step). A loss that also offers `toConfig()` can be trained with gradient
 * workers (`TrainOptions.workers`), which rebuild it from that value.
 */
export interface LossLike {
  compute(output: tf.Tensor4D, targets: tf.Tensor3D, state?: { seenImages?: number; checkFinite?: boolean }): LossTerms;
  toConfig?(): SerializedLoss;
}

/** One micro-batch. The trainer disposes both tensors after use. */
export interface Batch {
  /** `[B, S, S, 3]` input images. */
  images: tf.Tensor4D;
  /** `[B, N, 5]` packed targets (`packTargets`). */
  targets: tf.Tensor3D;
}

/** Where the trainer asks for data: the `micro`-th micro-batch of optimizer step `step` of `epoch`. */
export type BatchSource = (ctx: { epoch: number; step: number; micro: number }) => Batch | Promise<Batch>;

/** What the trainer records per optimizer step. */
export interface StepRecord {
  epoch: number;
  /** 0-based optimizer step over the whole run. */
  step: number;
  lr: number;
  total: number;
  coord: number;
  obj: number;
  noobj: number;
  cls: number;
  /** Global L2 norm of the (accumulated) gradient. */
  gradNorm: number;
  /** Input side of this step's images. */
  inputSize: number;
  imagesPerSecond: number;
  /** True when the NaN/Inf guard skipped this step. */
  skipped: boolean;
}
