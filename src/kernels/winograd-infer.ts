/**
 * Winograd F(2×2, 3×3) inference convolution for the wasm backend, with the filter transformed once:
 * `y = act(conv3×3(x, w) + bias)`, act leaky ReLU (`v < 0 ? α·v : v`) or linear, stride 1, any padding
 * of 0 … 2 on the top/left.
 *
 * The filter's transform U (16 matrices `[inC, outC]`, see `winograd.ts`) is computed once by
 * {@link winogradFilter} and kept by the caller (the folded model's layer), so that a call costs only the
 * input transform, the 16 matrix products on the backend's `BatchMatMul` (XNNPACK keeps its packed copy
 * of each U, keyed by the tensor, across calls) and one output pass that also adds the bias and applies
 * the activation. Per output tile of 2×2 this takes 16 multiplications per channel pair instead of 36.
 *
 * Inference only: the kernel has no gradient; the caller uses it only when no gradient is recorded.
 *
 * @internal
 * @packageDocumentation
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelArgs, TensorInfo, WasmBackendLike } from './util.js';
import { liveKernel } from './util.js';
import { winogradArgs } from './tasks.js';
import { parallelFor } from './thread-pool.js';
import type { WinogradGeometry } from './winograd.js';
import { filterTransform, tileCount } from './winograd.js';

/** The kernel's name in TF.js's registry (wasm backend only). */
export const WINOGRAD_INFER_KERNEL = 'YOLOv2WinogradConv2D';

/** Fewest input and output channels for which {@link winogradInferEligible} says yes. */
export const WINOGRAD_INFER_MIN_CHANNELS = 128;

/** Fewest tiles (or filter taps) per part when a transform is split over threads. */
const MIN_PER_PART = 32;

/**
 * Whether the inference Winograd convolution runs `x [B, H, W, inC] ⊛ w [3, 3, inC, outC]` with these
 * strides, dilations and padding: 3×3, stride 1, dilation 1, 'same' padding, at least
 * {@link WINOGRAD_INFER_MIN_CHANNELS} input and output channels, on the wasm backend, float32.
 */
export function winogradInferEligible(
  xShape: readonly number[], filterShape: readonly number[], strides: readonly number[], dilations: readonly number[], padding: string,
): boolean {
  return tf.getBackend() === 'wasm' && xShape.length === 4 && filterShape.length === 4 &&
    filterShape[0] === 3 && filterShape[1] === 3 && strides.every((s) => s === 1) && dilations.every((d) => d === 1) &&
    padding === 'same' && filterShape[2] >= WINOGRAD_INFER_MIN_CHANNELS && filterShape[3] >= WINOGRAD_INFER_MIN_CHANNELS;
}

/**
 * The 16 matrices `U[ξ] = G g Gᵀ` (`[1, inC, outC]` each, float32) of an HWIO filter `[3, 3, inC, outC]`.
 * The caller owns them (dispose when the filter changes or the layer goes).
 */
export function winogradFilter(filter: tf.Tensor4D): tf.Tensor3D[] {
  const [kh, kw, inC, outC] = filter.shape;
  if (kh !== 3 || kw !== 3) throw new Error(`winogradFilter: expected a [3, 3, inC, outC] filter, got [${filter.shape.join(', ')}]`);
  const U = Array.from({ length: 16 }, () => new Float32Array(inC * outC));
  filterTransform(filter.dataSync() as Float32Array, inC, outC, U);
  return U.map((u) => tf.tensor3d(u, [1, inC, outC]));
}

/**
 * `act(conv(x, w) + bias)` with w given by its transform `U` ({@link winogradFilter}); x `[B, H, W, inC]`,
 * 'same' padding, stride 1. `alpha` is the leaky slope (1 for linear). Returns `[B, H, W, outC]`.
 */
export function winogradConv2dInfer(x: tf.Tensor4D, U: readonly tf.Tensor3D[], bias: tf.Tensor1D, alpha: number): tf.Tensor4D {
  const inputs: Record<string, tf.Tensor> = { x, bias };
  U.forEach((u, k) => (inputs[`u${k}`] = u));
  ensureRegistered();
  return tf.engine().runKernel(WINOGRAD_INFER_KERNEL, inputs as unknown as tf.NamedTensorMap, { alpha } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}

function ensureRegistered(): void {
  if (!tf.getKernel(WINOGRAD_INFER_KERNEL, 'wasm')) {
    tf.registerKernel({ kernelName: WINOGRAD_INFER_KERNEL, backendName: 'wasm', kernelFunc: winogradInferWasm as unknown as tf.KernelFunc });
  }
}

function view(backend: WasmBackendLike, t: TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(t) as Float32Array;
}

/** The kernel: inputs x, bias, u0 … u15; attrs alpha. */
function winogradInferWasm(args: KernelArgs): TensorInfo {
  const backend = args.backend as WasmBackendLike;
  const { x, bias } = args.inputs;
  const U = Array.from({ length: 16 }, (_, k) => args.inputs[`u${k}`]);
  const [batch, H, W, inC] = x.shape;
  const outC = U[0].shape[2];
  // 'same' padding of a 3×3 stride-1 convolution: one row and column on each side
  const g: WinogradGeometry = { batch, inH: H, inW: W, inC, outH: H, outW: W, outC, pt: 1, pl: 1 };
  const T = tileCount(g);
  const offsets = (ts: TensorInfo[]) => ts.map((t) => view(backend, t).byteOffset);
  const V = Array.from({ length: 16 }, () => backend.makeOutput([1, T, inC], 'float32'));
  const xv = view(backend, x);
  parallelFor('wgInput', xv.buffer, [xv.byteOffset, ...winogradArgs(g), ...offsets(V)], T, MIN_PER_PART);
  const matMul = liveKernel(tf.BatchMatMul, 'wasm');
  const M = V.map((v, k) => {
    const m = matMul({ inputs: { a: v, b: U[k] }, backend, attrs: { transposeA: false, transposeB: false } }) as TensorInfo;
    backend.disposeData(v.dataId);
    return m;
  });
  const y = backend.makeOutput([batch, H, W, outC], 'float32');
  const yv = view(backend, y);
  const alpha = Number(args.attrs?.alpha ?? 1);
  parallelFor('wgOutputAct', yv.buffer, [yv.byteOffset, ...winogradArgs(g), ...offsets(M), view(backend, bias).byteOffset, alpha], T, MIN_PER_PART);
  for (const m of M) backend.disposeData(m.dataId);
  return y;
}
