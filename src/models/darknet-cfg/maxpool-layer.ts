/**
 * Darknet's max pool with its own padding rule, for the cfgs whose `[maxpool]` geometry
 * TF's 'same' and 'valid' pooling cannot express (e.g. size 3, stride 2 on an even input: darknet's window
 * starts one pixel before the image, TF's 'same' on it).
 *
 * @packageDocumentation
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ValueError } from '../../errors.js';

/** Configuration of {@link DarknetMaxPool}. */
export interface DarknetMaxPoolArgs {
  /** Window size (square). */
  size: number;
  /** Stride. */
  stride: number;
  /**
   * Darknet's `padding` (its default is `size − 1`): windows start `⌊padding/2⌋` before the input and there
   * are `⌊(n + padding − size)/stride⌋ + 1` of them along a side of n pixels.
   */
  padding: number;
  name?: string;
  trainable?: boolean;
}

/**
 * Max pooling over NHWC `[B, H, W, C]` as darknet's `[maxpool]`: windows start `⌊padding/2⌋` pixels before
 * the input, positions outside it never win (they hold −∞); output `[B, ⌊(H + padding − size)/stride⌋ + 1,
 * ⌊(W + padding − size)/stride⌋ + 1, C]`. Works for any input size.
 * Serialisable (class name `DarknetMaxPool`, registered with `tf.serialization`).
 */
export class DarknetMaxPool extends tfl.layers.Layer {
  static className = 'DarknetMaxPool';
  readonly size: number;
  readonly stride: number;
  readonly padding: number;

  constructor(args: DarknetMaxPoolArgs) {
    super(args);
    const { size, stride, padding } = args;
    if (!(Number.isInteger(size) && size >= 1 && Number.isInteger(stride) && stride >= 1)) {
      throw new ValueError(`DarknetMaxPool: 'size' and 'stride' must be integers ≥ 1, got ${size}, ${stride}`);
    }
    if (!(Number.isInteger(padding) && padding >= 0)) throw new ValueError(`DarknetMaxPool: 'padding' must be an integer ≥ 0, got ${padding}`);
    this.size = size;
    this.stride = stride;
    this.padding = padding;
  }

  private outSize(n: number | null): number | null {
    return n == null ? null : Math.floor((n + this.padding - this.size) / this.stride) + 1;
  }

  /** Ignored positions `[before, after]` along a side of n pixels (after < 0: input pixels no window reaches). */
  private pads(n: number): [number, number] {
    const before = Math.floor(this.padding / 2);
    return [before, (this.outSize(n)! - 1) * this.stride + this.size - n - before];
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    return [s[0], this.outSize(s[1]), this.outSize(s[2]), s[3]];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
    return tf.tidy(() => {
      const [, h, w] = x.shape;
      const [t, b] = this.pads(h);
      const [l, r] = this.pads(w);
      // crop what a negative pad leaves unused, then pad with −∞
      const cropped = tf.slice(x, [0, Math.max(0, -t), Math.max(0, -l), 0], [-1, h + Math.min(0, t) + Math.min(0, b), w + Math.min(0, l) + Math.min(0, r), -1]);
      const pad: Array<[number, number]> = [[0, 0], [Math.max(0, t), Math.max(0, b)], [Math.max(0, l), Math.max(0, r)], [0, 0]];
      const padded = pad.some(([u, v]) => u > 0 || v > 0) ? tf.pad(cropped, pad, -Infinity) : cropped;
      return tf.maxPool(padded as tf.Tensor4D, this.size, this.stride, 'valid');
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), size: this.size, stride: this.stride, padding: this.padding };
  }
}
tf.serialization.registerClass(DarknetMaxPool);
