/**
 * The max pool of the folded models ({@link foldBatchNorm} puts it in place of each `MaxPooling2D`).
 *
 * @packageDocumentation
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ShapeError, ValueError, describe } from '../errors.js';
import { positiveIntPair } from '../validate.js';
import { inferMaxPool2d, inferMaxPoolEligible, recordingGradients } from '../kernels/index.js';

/** Configuration of {@link FoldedMaxPool2D}. */
export interface FoldedMaxPool2DArgs {
  /** `[ph, pw]` window (default `[2, 2]`). */
  poolSize?: [number, number];
  /** `[sh, sw]` strides (default: the window). */
  strides?: [number, number];
  /** 'same' (default) or 'valid'. */
  padding?: 'same' | 'valid';
  name?: string;
  trainable?: boolean;
}

/**
 * A max pool over NHWC `[B, H, W, C]` → `[B, H', W', C]` (`H' = ⌈H/sh⌉` with 'same' padding,
 * `⌊(H − ph)/sh⌋ + 1` with 'valid'), the same values as `tf.maxPool`. On the wasm backend, while no
 * gradient is recorded, 2×2 'same' windows at stride 1 or 2 over a multiple of 4 channels run on this
 * library's SIMD kernel (next to its inference convolutions, see `setInferenceConvolutions`); otherwise
 * `tf.maxPool`. Serialisable (class name `FoldedMaxPool2D`, registered with `tf.serialization`).
 */
export class FoldedMaxPool2D extends tfl.layers.Layer {
  static className = 'FoldedMaxPool2D';
  readonly poolSize: [number, number];
  readonly strides: [number, number];
  readonly padding: 'same' | 'valid';

  constructor(args: FoldedMaxPool2DArgs = {}) {
    super(args);
    const pair = (key: string, v: unknown, dflt: [number, number]) => positiveIntPair('FoldedMaxPool2D', key, v, dflt);
    this.poolSize = pair('poolSize', args.poolSize, [2, 2]);
    this.strides = pair('strides', args.strides, this.poolSize);
    this.padding = args.padding ?? 'same';
    if (this.padding !== 'same' && this.padding !== 'valid') {
      throw new ValueError(`FoldedMaxPool2D: 'padding' must be 'same' or 'valid', got ${describe(args.padding)}`);
    }
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    if (s.length !== 4) throw new ShapeError(`FoldedMaxPool2D: input must be [B, H, W, C], got shape [${s.join(', ')}]`);
    const out = (n: number | null, i: 0 | 1): number | null => {
      if (n == null) return null;
      return this.padding === 'same' ? Math.ceil(n / this.strides[i]) : Math.floor((n - this.poolSize[i]) / this.strides[i]) + 1;
    };
    return [s[0], out(s[1], 0), out(s[2], 1), s[3]];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
    if (!recordingGradients() && inferMaxPoolEligible(x.shape, this.poolSize, this.strides, this.padding)) {
      return inferMaxPool2d(x, this.strides[0]);
    }
    return tf.maxPool(x, this.poolSize, this.strides, this.padding);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), poolSize: this.poolSize, strides: this.strides, padding: this.padding };
  }
}
tf.serialization.registerClass(FoldedMaxPool2D);
