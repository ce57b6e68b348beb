/**
 * Custom layers and building blocks of the darknet models: the {@link Reorg} layer (darknet's
 * passthrough re-organisation, serialisable) and the conv → batch norm → leaky ReLU block.
 *
 * @packageDocumentation
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ShapeError, ValueError } from '../errors.js';
import { BN_TRAIN_GRAD_KERNEL, BN_TRAIN_KERNEL } from '../kernels/index.js';

/**
 * Batch-norm epsilon of every model here. Darknet normalises with `(x − mean) / (sqrt(var) + 1e-6)`;
 * TF.js computes `(x − mean) / sqrt(var + ε)`, which matches it to ~1e-5 relative for ε = 1e-5
 * (the tfjs-layers default 1e-3 does not: it moves a YOLOv2 head by several per cent).
 */
export const BN_EPSILON = 1e-5;

/** Batch-norm moving-average momentum (darknet: rolling = 0.99 · rolling + 0.01 · batch). */
export const BN_MOMENTUM = 0.99;

/** Slope of darknet's leaky ReLU for negative inputs. */
export const LEAKY_ALPHA = 0.1;

const indexCache = new Map<string, { forward: Int32Array; inverse: Int32Array }>();

/**
 * The gather indices of darknet's reorg (stride 2) for one NHWC image of `h × w × c`:
 * `forward[q] = p` maps output element q (NHWC `[h/2, w/2, 4c]`) to input element p (NHWC `[h, w, c]`),
 * `inverse` is the inverse permutation (used by the gradient).
 *
 * Darknet's reorg, for CHW in numpy notation, is
 * `out = x.reshape(c/4, h, 2, w, 2).transpose(2, 4, 0, 1, 3).reshape(4c, h/2, w/2)`: a reinterpretation of
 * the CHW memory, not TF's spaceToDepth. With `f` the input CHW flat index and `o` the output CHW flat
 * index, `f = c4·4hw + h'·4w + a·2w + w'·2 + b` and `o = ((a·2 + b)·(c/4) + c4)·hw + h'·w + w'`.
 * @internal
 */
function reorgIndices(h: number, w: number, c: number): { forward: Int32Array; inverse: Int32Array } {
  const key = `${h}x${w}x${c}`;
  const cached = indexCache.get(key);
  if (cached) return cached;
  const n = h * w * c;
  const hw = h * w;
  const oh = h / 2;
  const ow = w / 2;
  const oc = 4 * c;
  const c4n = c / 4;
  const forward = new Int32Array(n);
  const inverse = new Int32Array(n);
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      for (let ch = 0; ch < oc; ch++) {
        const o = ch * (oh * ow) + y * ow + x; // output CHW flat index
        // decompose o over (2, 2, c/4, h, w)
        const wp = o % w;
        const hp = Math.floor(o / w) % h;
        const c4 = Math.floor(o / hw) % c4n;
        const ab = Math.floor(o / (hw * c4n));
        const a = ab >> 1;
        const b = ab & 1;
        const f = c4 * 4 * hw + hp * 4 * w + a * 2 * w + wp * 2 + b; // input CHW flat index
        const ic = Math.floor(f / hw);
        const iy = Math.floor((f % hw) / w);
        const ix = f % w;
        const p = (iy * w + ix) * c + ic;
        const q = (y * ow + x) * oc + ch;
        forward[q] = p;
        inverse[p] = q;
      }
    }
  }
  if (indexCache.size > 64) indexCache.clear();
  const entry = { forward, inverse };
  indexCache.set(key, entry);
  return entry;
}

/**
 * Darknet's reorg with stride 2 on an NHWC tensor: `[B, H, W, C]` → `[B, H/2, W/2, 4C]`, with darknet's
 * element order (see {@link Reorg}). H and W must be even and C divisible by 4. Differentiable on every
 * backend that has `GatherV2` (the gradient is the inverse gather). On wasm it runs as the three
 * transposes of the CHW formula instead (the same permutation, so the same values and gradient; wasm's
 * transposes are faster than its gather there, the cpu backend's rank-5 transpose slower).
 */
export function reorg(x: tf.Tensor4D): tf.Tensor4D {
  const [batch, h, w, c] = x.shape;
  if (h % 2 !== 0 || w % 2 !== 0 || c % 4 !== 0) {
    throw new ShapeError(
      `reorg: input must be [B, H, W, C] with even H and W and C divisible by 4, got shape [${x.shape.join(', ')}]`,
    );
  }
  if (tf.getBackend() === 'wasm') return reorgByTransposes(x);
  const { forward, inverse } = reorgIndices(h, w, c);
  const n = h * w * c;
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const input = args[0] as tf.Tensor;
    const value = tf.tidy(() =>
      tf.reshape(tf.gather(tf.reshape(input, [batch, n]), tf.tensor1d(forward, 'int32'), 1), [batch, h / 2, w / 2, 4 * c]),
    );
    const gradFunc = (dy: tf.Tensor) =>
      tf.tidy(() => tf.reshape(tf.gather(tf.reshape(dy, [batch, n]), tf.tensor1d(inverse, 'int32'), 1), [batch, h, w, c]));
    return { value, gradFunc };
  });
  return f(x) as tf.Tensor4D;
}

/** {@link reorg} as `x.reshape(c/4, h, 2, w, 2).transpose(2, 4, 0, 1, 3).reshape(4c, h/2, w/2)` in CHW. */
function reorgByTransposes(x: tf.Tensor4D): tf.Tensor4D {
  const [batch, h, w, c] = x.shape;
  return tf.tidy(() => {
    const chw = tf.reshape(tf.transpose(x, [0, 3, 1, 2]), [batch, (c / 4) * h, 2, w, 2]);
    const moved = tf.transpose(chw, [0, 2, 4, 1, 3]); // [B, 2, 2, c/4·h, w]
    return tf.transpose(tf.reshape(moved, [batch, 4 * c, h / 2, w / 2]), [0, 2, 3, 1]) as tf.Tensor4D;
  });
}

/** Configuration of the {@link Reorg} layer. */
export interface ReorgLayerArgs {
  /** Stride; only 2 (darknet's yolov2 passthrough) is supported. */
  stride?: number;
  name?: string;
  trainable?: boolean;
}

/**
 * Darknet's `[reorg] stride=2` as a serialisable tfjs-layers layer (class name `Reorg`, registered with
 * `tf.serialization`, so `model.save` / `tf.loadLayersModel` round-trip once this module is imported).
 *
 * Input NHWC `[B, H, W, C]` (H, W even, C divisible by 4), output `[B, H/2, W/2, 4C]`. It is **not**
 * `tf.spaceToDepth`: darknet's reorg, for CHW in numpy notation, is
 * `out = x.reshape(C/4, H, 2, W, 2).transpose(2, 4, 0, 1, 3).reshape(4C, H/2, W/2)`. For a 4×4×4 input
 * holding 0, 1, 2, … in CHW order, output channel 0 is `[[0, 2], [4, 6]]` (spaceToDepth: `[[0, 2], [8, 10]]`).
 * Weights trained in darknet only work with this order.
 */
export class Reorg extends tfl.layers.Layer {
  static className = 'Reorg';
  readonly stride: number;

  constructor(args: ReorgLayerArgs = {}) {
    super(args);
    const stride = args.stride ?? 2;
    if (stride !== 2) throw new ValueError(`Reorg: 'stride' must be 2, got ${String(stride)}`);
    this.stride = stride;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    if (s.length !== 4) throw new ShapeError(`Reorg: input must be rank 4 [B, H, W, C], got shape [${s.join(', ')}]`);
    const [b, h, w, c] = s;
    if (c != null && c % 4 !== 0) {
      throw new ShapeError(`Reorg: the channel count must be divisible by 4, got ${c}`);
    }
    return [b, h == null ? null : h / 2, w == null ? null : w / 2, c == null ? null : c * 4];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return reorg(x as tf.Tensor4D);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), stride: this.stride };
  }
}
tf.serialization.registerClass(Reorg);

/**
 * Training-mode batch norm over axes [0, 1, 2] of an NHWC tensor, optionally followed by a leaky ReLU
 * (slope `leakyAlpha`, or none when null), with a hand-written gradient:
 * `y = γ·x̂ + β`, `x̂ = (x − μ)/sqrt(σ² + ε)` (σ² the biased batch variance, as TF/Keras), `a = leaky(y)`;
 * `dy = da·(a > 0 ? 1 : α)`, `dγ = Σ dy·x̂`, `dβ = Σ dy`, `dx = γ/sqrt(σ² + ε) · (dy − dβ/n − x̂·dγ/n)`.
 * Only x, the output and per-channel vectors are kept for the backward pass (tfjs-layers'
 * BatchNormalization + LeakyReLU keep several full-size intermediates per layer, each also getting a
 * full-size gradient, which at 416×416, batch 8 overflows the 4 GB wasm heap).
 * Also returns the batch mean and variance (for the moving averages; the caller disposes them).
 * When {@link registerTrainingKernels} has installed the fused kernels for the active backend (cpu,
 * wasm), the forward and backward passes each run as one kernel (kernels/batch-norm.ts) with the same formulas.
 * @internal
 */
export function batchNormTraining(
  x: tf.Tensor4D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon: number,
  leakyAlpha: number | null = null,
): { y: tf.Tensor4D; mean: tf.Tensor1D; variance: tf.Tensor1D } {
  let stats: [tf.Tensor1D, tf.Tensor1D] | null = null;
  // the fused kernels when registerTrainingKernels() installed them for this backend (cpu, wasm)
  const fused = x.dtype === 'float32' && x.size > 0 && tf.getKernel(BN_TRAIN_KERNEL, tf.getBackend()) != null;
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [input, g, b] = args as tf.Tensor[];
    const save = args[3] as tf.GradSaveFunc;
    if (fused) {
      const attrs = { epsilon, alpha: leakyAlpha ?? -1 };
      const [value, mean, variance] = tf.engine().runKernel(BN_TRAIN_KERNEL, { x: input, gamma: g, beta: b }, attrs) as tf.Tensor[];
      save([input, value, mean, variance, g]);
      stats = [tf.keep(mean) as tf.Tensor1D, tf.keep(variance) as tf.Tensor1D];
      const gradFunc = (da: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, out, mu, vr, gm] = saved;
        return tf.engine().runKernel(BN_TRAIN_GRAD_KERNEL, { da, x: xs, y: out, mean: mu, variance: vr, gamma: gm }, attrs) as tf.Tensor[];
      };
      return { value, gradFunc };
    }
    const { mean, variance } = tf.moments(input, [0, 1, 2]);
    const normed = tf.batchNorm(input as tf.Tensor4D, mean, variance, b as tf.Tensor1D, g as tf.Tensor1D, epsilon);
    const value = leakyAlpha === null ? normed : tf.leakyRelu(normed, leakyAlpha);
    const invStd = tf.rsqrt(tf.add(variance, epsilon));
    save([input, mean, invStd, g, value]);
    stats = [tf.keep(mean) as tf.Tensor1D, tf.keep(variance) as tf.Tensor1D];
    const gradFunc = (da: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, mu, inv, gm, out] = saved;
      const n = xs.size / (xs.shape[3] as number);
      // leaky: a > 0 ⟺ y > 0, and tf.step(a, α) is 1 where a > 0 and α elsewhere
      const dy = leakyAlpha === null ? da : tf.mul(da, tf.step(out, leakyAlpha));
      const xhat = tf.mul(tf.sub(xs, mu), inv);
      const dbeta = tf.sum(dy, [0, 1, 2]);
      const dgamma = tf.sum(tf.mul(dy, xhat), [0, 1, 2]);
      const centred = tf.sub(tf.sub(dy, tf.div(dbeta, n)), tf.mul(xhat, tf.div(dgamma, n)));
      return [tf.mul(centred, tf.mul(gm, inv)), dgamma, dbeta];
    };
    return { value, gradFunc };
  });
  const y = f(x, gamma, beta) as tf.Tensor4D;
  const [mean, variance] = stats!;
  return { y, mean, variance };
}

/** Configuration of {@link DarknetBatchNorm}. */
export interface DarknetBatchNormArgs {
  /** ε added to the variance (default {@link BN_EPSILON} = 1e-5). */
  epsilon?: number;
  /** Moving-average momentum (default {@link BN_MOMENTUM} = 0.99). */
  momentum?: number;
  /**
   * Activation fused after the normalisation: 'linear' (default, plain batch norm) or 'leaky'
   * (darknet's leaky ReLU, slope {@link LEAKY_ALPHA} = 0.1), as darknet's `[convolutional]` layer.
   */
  activation?: 'linear' | 'leaky';
  name?: string;
  trainable?: boolean;
}

/**
 * Batch normalisation over the channel axis of NHWC tensors, optionally with darknet's leaky ReLU fused
 * (`activation: 'leaky'`). Numerically the same as tfjs-layers' `BatchNormalization` (axis −1, center
 * and scale, biased batch variance, moving averages `m ← m − (m − batch)·(1 − momentum)`) followed by
 * `LeakyReLU({alpha: 0.1})`, but with a memory-light hand-written gradient (see
 * `batchNormTraining` in layers.ts): training tiny-YOLOv2 at 416×416, batch 8, fits the 4 GB wasm heap.
 * Weights `gamma`, `beta`, `moving_mean`, `moving_variance`, as Keras.
 * Serialisable (class name `DarknetBatchNorm`, registered with `tf.serialization`).
 */
export class DarknetBatchNorm extends tfl.layers.Layer {
  static className = 'DarknetBatchNorm';
  readonly epsilon: number;
  readonly momentum: number;
  readonly activation: 'linear' | 'leaky';
  private gamma: tfl.LayerVariable | null = null;
  private beta: tfl.LayerVariable | null = null;
  private movingMean: tfl.LayerVariable | null = null;
  private movingVariance: tfl.LayerVariable | null = null;

  constructor(args: DarknetBatchNormArgs = {}) {
    super(args);
    this.epsilon = args.epsilon ?? BN_EPSILON;
    this.momentum = args.momentum ?? BN_MOMENTUM;
    this.activation = args.activation ?? 'linear';
    if (this.activation !== 'linear' && this.activation !== 'leaky') {
      throw new ValueError(`DarknetBatchNorm: 'activation' must be 'linear' or 'leaky', got ${JSON.stringify(this.activation)}`);
    }
    if (!(this.epsilon > 0)) throw new ValueError(`DarknetBatchNorm: 'epsilon' must be > 0, got ${String(this.epsilon)}`);
    if (!(this.momentum >= 0 && this.momentum <= 1)) {
      throw new ValueError(`DarknetBatchNorm: 'momentum' must be in [0, 1], got ${String(this.momentum)}`);
    }
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    const c = s[s.length - 1];
    if (c == null) throw new ShapeError(`DarknetBatchNorm: the channel count must be known, got shape [${s.join(', ')}]`);
    this.gamma = this.addWeight('gamma', [c], 'float32', tfl.initializers.ones());
    this.beta = this.addWeight('beta', [c], 'float32', tfl.initializers.zeros());
    this.movingMean = this.addWeight('moving_mean', [c], 'float32', tfl.initializers.zeros(), undefined, false);
    this.movingVariance = this.addWeight('moving_variance', [c], 'float32', tfl.initializers.ones(), undefined, false);
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean } = {}): tf.Tensor {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
    const gamma = this.gamma!.read() as tf.Tensor1D;
    const beta = this.beta!.read() as tf.Tensor1D;
    const alpha = this.activation === 'leaky' ? LEAKY_ALPHA : null;
    if (!kwargs.training) {
      return tf.tidy(() => {
        const y = tf.batchNorm(x, this.movingMean!.read() as tf.Tensor1D, this.movingVariance!.read() as tf.Tensor1D, beta, gamma, this.epsilon);
        return alpha === null ? y : tf.leakyRelu(y, alpha);
      });
    }
    const { y, mean, variance } = batchNormTraining(x, gamma, beta, this.epsilon, alpha);
    const decay = 1 - this.momentum;
    for (const [v, batch] of [[this.movingMean!, mean], [this.movingVariance!, variance]] as const) {
      tf.tidy(() => {
        const old = v.read();
        v.write(tf.sub(old, tf.mul(tf.sub(old, batch), decay)));
      });
    }
    tf.dispose([mean, variance]);
    return y;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), epsilon: this.epsilon, momentum: this.momentum, activation: this.activation };
  }
}
tf.serialization.registerClass(DarknetBatchNorm);

/**
 * Names given to the layers of one darknet conv block (index = position among the cfg's conv layers); shared
 * with the cfg builder (models/darknet-cfg), not exported from an entry.
 * @internal
 */
export function convLayerNames(index: number): { conv: string; bn: string } {
  return { conv: `conv${index}`, bn: `bn${index}` };
}

/**
 * Darknet's `[convolutional] batch_normalize=1 activation=leaky` block: conv (no bias, 'same' padding,
 * stride 1) → batch norm with the leaky ReLU 0.1 fused ({@link DarknetBatchNorm}, ε {@link BN_EPSILON}).
 * Layers are named `conv{i}` and `bn{i}`, with i the position of the conv among the cfg's conv layers
 * (the darknet weights order).
 * @internal
 */
export function convBnLeaky(x: tfl.SymbolicTensor, filters: number, size: number, index: number): tfl.SymbolicTensor {
  const names = convLayerNames(index);
  let y = tfl.layers
    .conv2d({ filters, kernelSize: size, strides: 1, padding: 'same', useBias: false, name: names.conv, kernelInitializer: 'heNormal' })
    .apply(x) as tfl.SymbolicTensor;
  return new DarknetBatchNorm({ epsilon: BN_EPSILON, momentum: BN_MOMENTUM, activation: 'leaky', name: names.bn }).apply(y) as tfl.SymbolicTensor;
}

/**
 * The detection head: a 1×1 conv with bias and linear activation, named `conv{i}`.
 * @internal
 */
export function headConv(x: tfl.SymbolicTensor, filters: number, index: number): tfl.SymbolicTensor {
  return tfl.layers
    .conv2d({ filters, kernelSize: 1, strides: 1, padding: 'same', useBias: true, name: convLayerNames(index).conv })
    .apply(x) as tfl.SymbolicTensor;
}

/**
 * Darknet max pool (`[maxpool] size=… stride=…`): TF's 'same' pooling (windows extend right/bottom and
 * ignore out-of-bounds positions).
 * @internal
 */
export function maxPool(x: tfl.SymbolicTensor, size: number, stride: number, name: string): tfl.SymbolicTensor {
  return tfl.layers.maxPooling2d({ poolSize: size, strides: stride, padding: 'same', name }).apply(x) as tfl.SymbolicTensor;
}
