/**
 * Darknet's max pool with explicit, possibly asymmetric padding, for the cfgs whose `[maxpool]` geometry
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
  /** `[top, bottom, left, right]` pixels of ignored positions around the input (negative = rows left unused). */
  pads: [number, number, number, number];
  name?: string;
  trainable?: boolean;
}

/**
 * Max pooling over NHWC `[B, H, W, C]` with windows starting at `−top`/`−left`; positions outside the input
 * never win (they hold −∞), as darknet. Output `[B, ⌊(H + top + bottom − size)/stride⌋ + 1, …, C]`.
 * Serialisable (class name `DarknetMaxPool`, registered with `tf.serialization`).
 */
export class DarknetMaxPool extends tfl.layers.Layer {
  static className = 'DarknetMaxPool';
  readonly size: number;
  readonly stride: number;
  readonly pads: [number, number, number, number];

  constructor(args: DarknetMaxPoolArgs) {
    super(args);
    const { size, stride, pads } = args;
    if (!(Number.isInteger(size) && size >= 1 && Number.isInteger(stride) && stride >= 1)) {
      throw new ValueError(`DarknetMaxPool: 'size' and 'stride' must be integers ≥ 1, got ${size}, ${stride}`);
    }
    if (!Array.isArray(pads) || pads.length !== 4 || !pads.every((p) => Number.isInteger(p) && p > -size)) {
      throw new ValueError(`DarknetMaxPool: 'pads' must be 4 integers [top, bottom, left, right], got ${JSON.stringify(pads)}`);
    }
    this.size = size;
    this.stride = stride;
    this.pads = [...pads] as [number, number, number, number];
  }

  private outSize(n: number | null, a: number, b: number): number | null {
    return n == null ? null : Math.floor((n + a + b - this.size) / this.stride) + 1;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    const [t, b, l, r] = this.pads;
    return [s[0], this.outSize(s[1], t, b), this.outSize(s[2], l, r), s[3]];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
    return tf.tidy(() => {
      const [t, b, l, r] = this.pads;
      const [, h, w] = x.shape;
      // crop what a negative pad leaves unused, then pad with −∞
      const cropped = tf.slice(x, [0, Math.max(0, -t), Math.max(0, -l), 0], [-1, h + Math.min(0, t) + Math.min(0, b), w + Math.min(0, l) + Math.min(0, r), -1]);
      const pad: Array<[number, number]> = [[0, 0], [Math.max(0, t), Math.max(0, b)], [Math.max(0, l), Math.max(0, r)], [0, 0]];
      const padded = pad.some(([u, v]) => u > 0 || v > 0) ? tf.pad(cropped, pad, -Infinity) : cropped;
      return tf.maxPool(padded as tf.Tensor4D, this.size, this.stride, 'valid');
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), size: this.size, stride: this.stride, pads: [...this.pads] };
  }
}
tf.serialization.registerClass(DarknetMaxPool);
