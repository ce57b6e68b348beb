/**
 * Batch-norm folding for inference: {@link foldBatchNorm} turns every conv → {@link DarknetBatchNorm}
 * pair of a model into one {@link FoldedConv2D} layer (darknet's `fuse_conv_batchnorm`), which runs as
 * a single fused convolution + bias + leaky ReLU kernel (`tf.fused.conv2d`).
 *
 * @packageDocumentation
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ShapeError, ValueError, describe } from '../errors.js';
import { positiveIntPair } from '../validate.js';
import { inferConv2d, inferConvEligible, inferConvPlan, inferConvWeights, recordingGradients, type InferConvPlan } from '../kernels/index.js';
import { DarknetBatchNorm, LEAKY_ALPHA } from './layers.js';
import { FoldedMaxPool2D } from './folded-max-pool.js';

/** Configuration of {@link FoldedConv2D}. */
export interface FoldedConv2DArgs {
  /** Output channels. */
  filters: number;
  /** `[kh, kw]` kernel size. */
  kernelSize: [number, number];
  /** `[sh, sw]` strides (default `[1, 1]`). */
  strides?: [number, number];
  /** 'same' (default) or 'valid'. */
  padding?: 'same' | 'valid';
  /** `[dh, dw]` dilation (default `[1, 1]`). */
  dilationRate?: [number, number];
  /** 'leaky' (leaky ReLU with slope `leakyAlpha`, default) or 'linear'. */
  activation?: 'leaky' | 'linear';
  /** Slope of the leaky ReLU for negative inputs (default {@link LEAKY_ALPHA} = 0.1). */
  leakyAlpha?: number;
  name?: string;
  trainable?: boolean;
}

/**
 * A 2-D convolution with bias and an optional leaky ReLU, computed by one `tf.fused.conv2d` call
 * (`FusedConv2D`: one XNNPACK operator on wasm, one shader on webgl): NHWC `[B, H, W, Cin]` →
 * `[B, H', W', filters]`, `y = leaky(conv(x, kernel) + bias)`. Weights `kernel` `[kh, kw, Cin, filters]`
 * and `bias` `[filters]`. The layer {@link foldBatchNorm} puts in place of a conv → batch-norm pair; an
 * inference layer (the fused kernel has no gradient for the leaky activation).
 * Serialisable (class name `FoldedConv2D`, registered with `tf.serialization`).
 */
export class FoldedConv2D extends tfl.layers.Layer {
  static className = 'FoldedConv2D';
  readonly filters: number;
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly padding: 'same' | 'valid';
  readonly dilationRate: [number, number];
  readonly activation: 'leaky' | 'linear';
  readonly leakyAlpha: number;
  private kernel: tfl.LayerVariable | null = null;
  private bias: tfl.LayerVariable | null = null;
  /** The kernel prepared for the wasm inference convolution, for the kernel data it was computed from. */
  private prepared: { data: object; plan: InferConvPlan; weights: tf.Tensor } | null = null;

  constructor(args: FoldedConv2DArgs) {
    super(args);
    const pair = (key: string, v: unknown, dflt: [number, number]) => positiveIntPair('FoldedConv2D', key, v, dflt);
    if (!Number.isInteger(args.filters) || args.filters < 1) {
      throw new ValueError(`FoldedConv2D: 'filters' must be a positive integer, got ${describe(args.filters)}`);
    }
    this.filters = args.filters;
    this.kernelSize = pair('kernelSize', args.kernelSize, [1, 1]);
    this.strides = pair('strides', args.strides, [1, 1]);
    this.dilationRate = pair('dilationRate', args.dilationRate, [1, 1]);
    this.padding = args.padding ?? 'same';
    this.activation = args.activation ?? 'leaky';
    this.leakyAlpha = args.leakyAlpha ?? LEAKY_ALPHA;
    if (this.padding !== 'same' && this.padding !== 'valid') {
      throw new ValueError(`FoldedConv2D: 'padding' must be 'same' or 'valid', got ${describe(args.padding)}`);
    }
    if (this.activation !== 'leaky' && this.activation !== 'linear') {
      throw new ValueError(`FoldedConv2D: 'activation' must be 'leaky' or 'linear', got ${describe(args.activation)}`);
    }
    if (!Number.isFinite(this.leakyAlpha)) throw new ValueError(`FoldedConv2D: 'leakyAlpha' must be finite, got ${describe(args.leakyAlpha)}`);
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    const c = s[s.length - 1];
    if (s.length !== 4 || c == null) {
      throw new ShapeError(`FoldedConv2D: input must be [B, H, W, C] with C known, got shape [${s.join(', ')}]`);
    }
    this.kernel = this.addWeight('kernel', [...this.kernelSize, c, this.filters], 'float32', tfl.initializers.glorotUniform({}));
    this.bias = this.addWeight('bias', [this.filters], 'float32', tfl.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    const out = (n: number | null, i: 0 | 1): number | null => {
      if (n == null) return null;
      const k = (this.kernelSize[i] - 1) * this.dilationRate[i] + 1;
      return this.padding === 'same' ? Math.ceil(n / this.strides[i]) : Math.ceil((n - k + 1) / this.strides[i]);
    };
    return [s[0], out(s[1], 0), out(s[2], 1), this.filters];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
    const leaky = this.activation === 'leaky';
    const filter = this.kernel!.read() as tf.Tensor4D;
    const alpha = leaky ? this.leakyAlpha : 1;
    if (!recordingGradients() && inferConvEligible(x.shape, filter.shape, this.strides, this.dilationRate, this.padding, alpha)) {
      return inferConv2d(x, this.preparedFor(filter, inferConvPlan(x.shape, filter.shape)), this.bias!.read() as tf.Tensor1D, alpha);
    }
    if (!recordingGradients()) this.disposePrepared(); // e.g. turned off by setInferenceConvolutions
    return tf.fused.conv2d({
      x,
      filter,
      bias: this.bias!.read(),
      strides: this.strides,
      pad: this.padding,
      dilations: this.dilationRate,
      activation: leaky ? 'leakyrelu' : 'linear',
      ...(leaky ? { leakyreluAlpha: this.leakyAlpha } : {}),
    });
  }

  /**
   * `filter` prepared for the inference convolution's plan, on first use and again after the kernel is
   * assigned or the input size changes the plan.
   */
  private preparedFor(filter: tf.Tensor4D, plan: InferConvPlan): tf.Tensor {
    // assigning a variable gives it new data: key the preparation on the data
    if (this.prepared?.data !== filter.dataId || this.prepared.plan !== plan) {
      this.disposePrepared();
      this.prepared = { data: filter.dataId, plan, weights: tf.keep(inferConvWeights(filter, plan)) };
    }
    return this.prepared.weights;
  }

  private disposePrepared(): void {
    this.prepared?.weights.dispose();
    this.prepared = null;
  }

  override dispose(): ReturnType<tfl.layers.Layer['dispose']> {
    const r = super.dispose();
    if (r.refCountAfterDispose === 0) this.disposePrepared();
    return r;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      filters: this.filters,
      kernelSize: this.kernelSize,
      strides: this.strides,
      padding: this.padding,
      dilationRate: this.dilationRate,
      activation: this.activation,
      leakyAlpha: this.leakyAlpha,
    };
  }
}
tf.serialization.registerClass(FoldedConv2D);


/** The parts of a tfjs-layers `Conv2D` read here (its public fields). */
interface Conv2DFields {
  filters: number;
  kernelSize: number[];
  strides: number[];
  padding: string;
  dilationRate: number[];
  dataFormat: string;
  useBias: boolean;
  activation: { getClassName(): string };
}

/**
 * Folded kernel and bias of a conv followed by an inference-mode batch norm:
 * `s = γ / √(σ² + ε)`, `w' = w · s` (per output channel, the last kernel axis),
 * `b' = β + (b − μ) · s` (b = 0 for a conv without bias). Computed in double precision.
 * @internal
 */
export function foldConvWeights(
  kernel: Float32Array,
  convBias: Float32Array | null,
  gamma: Float32Array,
  beta: Float32Array,
  mean: Float32Array,
  variance: Float32Array,
  epsilon: number,
): { kernel: Float32Array; bias: Float32Array } {
  const cout = gamma.length;
  const scale = new Float64Array(cout);
  const bias = new Float32Array(cout);
  for (let c = 0; c < cout; c++) {
    scale[c] = gamma[c] / Math.sqrt(variance[c] + epsilon);
    bias[c] = beta[c] + ((convBias ? convBias[c] : 0) - mean[c]) * scale[c];
  }
  const out = new Float32Array(kernel.length);
  for (let i = 0; i < kernel.length; i++) out[i] = kernel[i] * scale[i % cout];
  return { kernel: out, bias };
}

/** The conv feeding `bn` when the pair can be folded, else null. */
function foldableConv(bn: tfl.layers.Layer, outputs: Set<tfl.SymbolicTensor>): tfl.layers.Layer | null {
  if (!(bn instanceof DarknetBatchNorm)) return null;
  const conv = bn.inboundNodes[0]?.inboundLayers[0];
  if (conv == null || conv.getClassName() !== 'Conv2D') return null;
  const f = conv as unknown as Conv2DFields;
  const plain = f.dataFormat === 'channelsLast' && f.activation.getClassName().toLowerCase() === 'linear' && (f.padding === 'same' || f.padding === 'valid');
  const single = conv.outboundNodes.length === 1 && conv.inboundNodes.length === 1 && !outputs.has(conv.output as tfl.SymbolicTensor);
  return plain && single ? conv : null;
}

/** A {@link FoldedConv2D} with the geometry and name of the `Conv2D` `conv` and the given activation (no weights yet). */
function foldedConvLike(conv: tfl.layers.Layer, activation: 'leaky' | 'linear'): FoldedConv2D {
  const f = conv as unknown as Conv2DFields;
  return new FoldedConv2D({
    filters: f.filters,
    kernelSize: [f.kernelSize[0], f.kernelSize[1]],
    strides: [f.strides[0], f.strides[1]],
    padding: f.padding as 'same' | 'valid',
    dilationRate: [f.dilationRate[0], f.dilationRate[1] ?? f.dilationRate[0]],
    activation,
    leakyAlpha: LEAKY_ALPHA,
    name: conv.name,
  });
}

/** One {@link FoldedConv2D} for the pair `conv` → `bn`, built and holding the folded weights. */
function foldedLayer(conv: tfl.layers.Layer, bn: DarknetBatchNorm, input: tfl.SymbolicTensor): { layer: FoldedConv2D; output: tfl.SymbolicTensor } {
  const f = conv as unknown as Conv2DFields;
  const layer = foldedConvLike(conv, bn.activation === 'leaky' ? 'leaky' : 'linear');
  const output = layer.apply(input) as tfl.SymbolicTensor;
  const cw = conv.getWeights().map((t) => t.dataSync() as Float32Array);
  // DarknetBatchNorm's weights in order: gamma, beta, moving_mean, moving_variance
  const [gamma, beta, mean, variance] = bn.getWeights().map((t) => t.dataSync() as Float32Array);
  const folded = foldConvWeights(cw[0], f.useBias ? cw[1] : null, gamma, beta, mean, variance, bn.epsilon);
  const kernelShape = conv.getWeights()[0].shape;
  tf.tidy(() => layer.setWeights([tf.tensor(folded.kernel, kernelShape), tf.tensor1d(folded.bias)]));
  return { layer, output };
}

/**
 * A `Conv2D` that is not followed by a batch norm (a detector's head) and has no activation, as a
 * linear {@link FoldedConv2D} with the same weights (a zero bias when it has none), so that it runs on the
 * same inference kernels; null for any other layer.
 */
function linearConvLayer(layer: tfl.layers.Layer, inputs: tfl.SymbolicTensor[]): tfl.SymbolicTensor | null {
  if (layer.getClassName() !== 'Conv2D' || inputs.length !== 1) return null;
  const f = layer as unknown as Conv2DFields;
  if (f.dataFormat !== 'channelsLast' || f.activation.getClassName().toLowerCase() !== 'linear' || (f.padding !== 'same' && f.padding !== 'valid')) return null;
  const copy = foldedConvLike(layer, 'linear');
  const output = copy.apply(inputs[0]) as tfl.SymbolicTensor;
  const [kernel, bias] = layer.getWeights();
  tf.tidy(() => copy.setWeights([kernel, f.useBias ? bias : tf.zeros([f.filters])]));
  return output;
}

/** A channels-last `MaxPooling2D` as a {@link FoldedMaxPool2D} (same window, strides, padding); null for any other layer. */
function maxPoolLayer(layer: tfl.layers.Layer, inputs: tfl.SymbolicTensor[]): tfl.SymbolicTensor | null {
  const config = layer.getConfig();
  if (layer.getClassName() !== 'MaxPooling2D' || config.dataFormat === 'channelsFirst' || inputs.length !== 1) return null;
  const pool = new FoldedMaxPool2D({
    poolSize: config.poolSize as [number, number], strides: config.strides as [number, number],
    padding: config.padding as 'same' | 'valid', name: layer.name,
  });
  return pool.apply(inputs[0]) as tfl.SymbolicTensor;
}

/** A copy of `layer` (same class and config) applied to `inputs`, sharing the source weights' values. */
function copiedLayer(layer: tfl.layers.Layer, inputs: tfl.SymbolicTensor[]): tfl.SymbolicTensor {
  const cls = layer.constructor as tf.serialization.SerializableConstructor<tfl.layers.Layer>;
  const copy = cls.fromConfig(cls, layer.getConfig());
  const output = copy.apply(inputs.length === 1 ? inputs[0] : inputs);
  if (Array.isArray(output)) throw new ValueError(`foldBatchNorm: layer '${layer.name}' has several outputs; only single-output layers are supported`);
  copy.setWeights(layer.getWeights());
  return output as tfl.SymbolicTensor;
}

/**
 * Whether {@link foldBatchNorm} has something to fold in `model`: it is a `tf.LayersModel` holding at
 * least one conv → {@link DarknetBatchNorm} pair it can merge.
 */
export function canFoldBatchNorm(model: unknown): boolean {
  if (!(model instanceof tfl.LayersModel)) return false;
  const outputs = new Set(model.outputs);
  return model.layers.some((layer) => foldableConv(layer, outputs) !== null);
}

/**
 * An inference copy of `model` with the batch norms folded into the convolutions before them
 * (darknet's `fuse_conv_batchnorm`): every `Conv2D` (no activation, used only by the batch norm) →
 * {@link DarknetBatchNorm} pair becomes one {@link FoldedConv2D} named as the conv, with
 * `w' = w·γ/√(σ²+ε)` and `b' = β + (b − μ)·γ/√(σ²+ε)` (ε the batch norm's epsilon, μ, σ² its moving
 * statistics) and the batch norm's activation fused. Every `MaxPooling2D` (channels last) becomes a
 * {@link FoldedMaxPool2D} with its window, strides and padding (the same values), and every other
 * `Conv2D` without an activation (the head) a linear FoldedConv2D with its weights. Every other layer
 * ({@link Reorg}, the route concatenation, …) is copied with its weights. Same input and output shapes as
 * `model`, outputs equal to `model.predict` (inference mode) up to float32 rounding (≈ 1e-6 relative).
 *
 * The source model is left untouched; the copy owns its weights (`dispose()` it when done). Saves and
 * loads with `model.save` / `tf.loadLayersModel` once `yolov2-ts/models` is imported. For inference
 * only: it trains no batch-norm statistics.
 *
 * @param model a functional `tf.LayersModel` (e.g. {@link tinyYOLOv2}, {@link yolov2}, {@link compactYOLOv2})
 *   whose layers each run once.
 * @returns the folded `tf.LayersModel`, named `<model.name>_folded`.
 * @throws ValueError when `model` is not a LayersModel, or a layer is used more than once (shared
 *   layers) or has several outputs.
 */
export function foldBatchNorm(model: tfl.LayersModel): tfl.LayersModel {
  if (!(model instanceof tfl.LayersModel)) throw new ValueError(`foldBatchNorm: 'model' must be a tf.LayersModel, got ${describe(model)}`);
  const outputs = new Set(model.outputs);
  const mapped = new Map<tfl.SymbolicTensor, tfl.SymbolicTensor>();
  const folded = new Set<tfl.layers.Layer>();
  for (const layer of model.layers) {
    const bn = foldableConv(layer, outputs);
    if (bn !== null) folded.add(bn);
  }
  const newInputs: tfl.SymbolicTensor[] = [];
  for (const layer of model.layers) {
    if (layer.inboundNodes.length !== 1) {
      throw new ValueError(`foldBatchNorm: layer '${layer.name}' is applied ${layer.inboundNodes.length} times; shared layers are not supported`);
    }
    if (folded.has(layer)) continue;
    const src = layer.inboundNodes[0].inputTensors;
    if (model.inputLayers.includes(layer)) {
      const input = tfl.input({ batchShape: (layer.output as tfl.SymbolicTensor).shape, name: layer.name, dtype: (layer.output as tfl.SymbolicTensor).dtype });
      newInputs.push(input);
      mapped.set(layer.output as tfl.SymbolicTensor, input);
      continue;
    }
    const conv = foldableConv(layer, outputs);
    if (conv !== null) {
      const input = mapped.get(conv.inboundNodes[0].inputTensors[0])!;
      mapped.set(layer.output as tfl.SymbolicTensor, foldedLayer(conv, layer as DarknetBatchNorm, input).output);
      continue;
    }
    const inputs = src.map((t) => mapped.get(t)!);
    mapped.set(layer.output as tfl.SymbolicTensor, linearConvLayer(layer, inputs) ?? maxPoolLayer(layer, inputs) ?? copiedLayer(layer, inputs));
  }
  return tfl.model({ inputs: newInputs, outputs: model.outputs.map((t) => mapped.get(t)!), name: `${model.name}_folded` });
}
