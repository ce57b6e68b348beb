/**
 * Inference convolutions of the wasm backend, `y = act(conv(x, w) + bias)` with act a leaky ReLU
 * `max(v, α·v)` (0 ≤ α ≤ 1; α = 1 is linear), stride 1, run on the WebAssembly SIMD matrix products of
 * `simd-gemm.ts` and split over the helper threads of `thread-pool.ts` when there are any:
 *
 * - 3×3 'same' convolutions by Winograd F(4×4, 3×3) or F(2×2, 3×3) (`winograd-matrices.ts`,
 *   `winograd-infer.ts`): the input transform, 36 or 16 matrix products `[tiles, inC] × [inC, outC]`,
 *   and one output pass that also adds the bias and applies the activation: per output tile 36
 *   multiplications per channel pair instead of 144, or 16 instead of 36.
 * - 3×3 'same' convolutions with fewer input channels (a detector's first layer) directly, one product
 *   per output row over a padded copy of the input (`direct-conv-rows.ts`).
 * - 1×1 convolutions as one matrix product `[B·H·W, inC] × [inC, outC]` with the bias and activation
 *   in its epilogue.
 *
 * The weights are prepared once per plan ({@link inferConvPlan}, {@link inferConvWeights}: the Winograd
 * transform of a 3×3 filter, then packed in panels of 8 output channels) and kept by the caller (the folded model's layer); a call then
 * costs only the transforms and the products. Inference only: the kernel has no gradient, and the caller
 * uses it only when no gradient is being recorded.
 *
 * @internal
 * @packageDocumentation
 */
import * as tf from '@tensorflow/tfjs-core';
import { ShapeError, ValueError, describe } from '../errors.js';
import { assertKnownKeys } from '../validate.js';
import type { KernelArgs, TensorInfo, WasmBackendLike } from './util.js';
import { backendMemory, heapOf, offset } from './util.js';
import { winogradArgs } from './tasks.js';
import { parallelForShared, sharedGrain } from './thread-pool.js';
import { simdOf, simdSupported } from './simd.js';
import { PANEL, packPanels } from './simd-gemm.js';
import type { WinogradGeometry } from './winograd.js';
import { filterHalfTransform4, filterTransformM, type TileSize } from './winograd-matrices.js';
import { chunked, winogradChunked, winogradWhole } from './winograd-infer.js';

export { setInferConvChunking } from './winograd-infer.js';

/** The kernel's name in TF.js's registry (wasm backend only). */
export const INFER_CONV_KERNEL = 'YOLOv2InferConv2D';

/** Fewest input channels of a 3×3 layer run by Winograd (below, the transforms cost more than they save). */
export const WINOGRAD_INFER_MIN_CHANNELS = 16;

/** Bytes of x per row chunk of a 1×1 convolution: a chunk stays in a core's L2 cache while all panels pass. */
const GEMM_CHUNK_BYTES = 256 * 1024;

/**
 * Whether {@link inferConv2d} runs `x [B, H, W, inC] ⊛ w [kh, kw, inC, outC]` with these strides,
 * dilations, padding and leaky slope: on the wasm backend with WebAssembly SIMD (and its memory in
 * reach), not turned off by {@link setInferenceConvolutions}, stride and dilation 1, 0 ≤ α ≤ 1, and
 * either 3×3 'same' or 1×1.
 */
export function inferConvEligible(
  xShape: readonly number[], filterShape: readonly number[], strides: readonly number[], dilations: readonly number[], padding: string,
  alpha: number,
): boolean {
  if (!plans.enabled || tf.getBackend() !== 'wasm' || xShape.length !== 4 || filterShape.length !== 4) return false;
  const [kh, kw, inC, outC] = filterShape;
  const plain = strides.every((s) => s === 1) && dilations.every((d) => d === 1) && alpha >= 0 && alpha <= 1;
  if (!plain || xShape[3] !== inC || !simdSupported() || !backendMemory(tf.backend() as unknown as WasmBackendLike)) return false;
  return (kh === 3 && kw === 3 && padding === 'same') || (kh === 1 && kw === 1);
}

/**
 * How {@link inferConv2d} runs an eligible convolution: 'gemm' (1×1), 'direct' (3×3 with fewer than
 * {@link WINOGRAD_INFER_MIN_CHANNELS} input channels), 'winograd4' (F(4×4, 3×3), 36 products per 16
 * outputs: 3×3 with inC a multiple of 4 on maps of at least {@link WINOGRAD4_MIN_PIXELS} pixels),
 * 'winograd4h' (the same with the weights kept half-transformed, on maps of at most
 * {@link WINOGRAD4H_MAX_TILES} tiles), else 'winograd2' (F(2×2, 3×3), 16 products per 4 outputs). The
 * bounds are where each measured faster on the benchmark machine (docs/benchmarks.md).
 */
export type InferConvPlan = 'gemm' | 'direct' | 'winograd2' | 'winograd4' | 'winograd4h';

/** Fewest output pixels (H·W) for F(4×4, 3×3): a 13 × 13 map. */
export const WINOGRAD4_MIN_PIXELS = 13 * 13;

/**
 * Most 4×4 tiles per image (a 32 × 32 map) for 'winograd4h': on small maps each weight serves few
 * tiles, and keeping the filter transform half done (6 × 3 values per channel pair instead of 6 × 6)
 * halves the bytes a call streams and the memory the layer keeps, for a little arithmetic per call.
 */
export const WINOGRAD4H_MAX_TILES = 64;

/** The {@link InferConvPlan} for x `[B, H, W, inC]` and an eligible filter `[kh, kw, inC, outC]`. */
export function inferConvPlan(xShape: readonly number[], filterShape: readonly number[]): InferConvPlan {
  const inC = filterShape[2];
  if (filterShape[0] === 1) return 'gemm';
  if (inC < WINOGRAD_INFER_MIN_CHANNELS) return 'direct';
  const pixels = xShape[1] * xShape[2];
  const four = plans.winograd4 && inC % 4 === 0 && pixels >= WINOGRAD4_MIN_PIXELS;
  if (!four) return 'winograd2';
  return Math.ceil(xShape[1] / 4) * Math.ceil(xShape[2] / 4) <= WINOGRAD4H_MAX_TILES ? 'winograd4h' : 'winograd4';
}

/** Which plans may be chosen ({@link setInferenceConvolutions}). */
const plans = { enabled: true, winograd4: true };

/** Whether {@link setInferenceConvolutions} leaves this library's inference kernels on (the default). */
export function inferKernelsEnabled(): boolean {
  return plans.enabled;
}

/** Allow or forbid F(4×4, 3×3) in {@link inferConvPlan}. For tests and benchmarks. @internal */
export function setInferConvPlans(p: { winograd4: boolean }): void {
  plans.winograd4 = p.winograd4;
}

/** Options of {@link setInferenceConvolutions}. */
export interface InferenceConvolutionOptions {
  /**
   * Run the folded layers on this library's WebAssembly SIMD convolutions on the wasm backend (default
   * true); false: TF.js's `FusedConv2D`, with no prepared weights.
   */
  enabled?: boolean;
  /**
   * Use Winograd F(4×4, 3×3) where it applies (default true): the fastest, with prepared weights of 4×
   * the 3×3 kernels' size (2× on maps of at most 32 × 32); false: F(2×2, 3×3), 16/9 of their size.
   */
  winograd4?: boolean;
}

/**
 * Choose how the folded layers ({@link FoldedConv2D}) run on the wasm backend, for every model: speed
 * (the default) or memory. Layers pick the change up on their next call (their prepared weights are
 * rebuilt for the new plan). Throws ValueError for unknown keys or non-boolean values.
 */
export function setInferenceConvolutions(options: InferenceConvolutionOptions): void {
  assertKnownKeys('setInferenceConvolutions', 'options', options, ['enabled', 'winograd4']);
  for (const key of ['enabled', 'winograd4'] as const) {
    const v = options[key];
    if (v !== undefined && typeof v !== 'boolean') {
      throw new ValueError(`setInferenceConvolutions: '${key}' must be true or false, got ${describe(v)}`);
    }
    if (v !== undefined) plans[key] = v;
  }
}

/**
 * The weights of {@link inferConv2d} for an HWIO filter and a plan (the caller owns the tensor):
 * - 'winograd4h': the first pass of the F(4×4) filter transform, H = G g (18 matrices `[inC, outC]`,
 *   H[3i + a], i < 6, a < 3), each packed in panels, `[18, outC/8, inC, 8]`;
 * - 'winograd2' / 'winograd4': the Winograd transform (16 or 36 matrices `[inC, outC]`), each matrix
 *   packed in panels, `[16 | 36, outC/8, inC, 8]`;
 * - 'direct': the filter as a `[9·inC, outC]` matrix packed, `[1, outC/8, 9·inC, 8]`;
 * - 'gemm' (1×1): the `[inC, outC]` matrix packed, `[outC/8, inC, 8]`.
 */
export function inferConvWeights(filter: tf.Tensor4D, plan: InferConvPlan = defaultPlan(filter.shape)): tf.Tensor {
  const [kh, kw, inC, outC] = filter.shape;
  const w = filter.dataSync() as Float32Array;
  const n = inC * outC;
  const panels = Math.ceil(outC / PANEL);
  const np = inC * panels * PANEL; // floats of one packed matrix (columns past outC are zeros)
  if (plan === 'gemm') {
    if (kh !== 1 || kw !== 1) throw new ShapeError(`inferConvWeights: 'gemm' needs a 1×1 filter, got [${filter.shape.join(', ')}]`);
    const packed = new Float32Array(np);
    packPanels(w, inC, outC, packed);
    return tf.tensor3d(packed, [panels, inC, PANEL]);
  }
  if (kh !== 3 || kw !== 3) throw new ShapeError(`inferConvWeights: '${plan}' needs a 3×3 filter, got [${filter.shape.join(', ')}]`);
  if (plan === 'direct') {
    const packed = new Float32Array(9 * np);
    packPanels(w, 9 * inC, outC, packed); // HWIO is already [(ky, kx, ci), co]
    return tf.tensor4d(packed, [1, panels, 9 * inC, PANEL]);
  }
  const mats = plan === 'winograd4h' ? 18 : plan === 'winograd4' ? 36 : 16;
  const M = Array.from({ length: mats }, () => new Float32Array(n));
  if (plan === 'winograd4h') filterHalfTransform4(w, inC, outC, M);
  else filterTransformM(w, inC, outC, plan === 'winograd4' ? 4 : 2, M);
  const packed = new Float32Array(mats * np);
  M.forEach((u, k) => packPanels(u, inC, outC, packed.subarray(k * np, (k + 1) * np)));
  return tf.tensor4d(packed, [mats, panels, inC, PANEL]);
}

/** The plan of a filter alone (1×1, few channels, else F(2×2, 3×3)). */
function defaultPlan(filterShape: readonly number[]): InferConvPlan {
  return filterShape[0] === 1 ? 'gemm' : filterShape[2] < WINOGRAD_INFER_MIN_CHANNELS ? 'direct' : 'winograd2';
}

/**
 * `act(conv(x, w) + bias)`, x `[B, H, W, inC]`, w prepared by {@link inferConvWeights}, 'same' padding,
 * stride 1; `alpha` the leaky slope (1: linear). Returns `[B, H, W, outC]`, outC the bias's length: when
 * it is not a multiple of 8 (a detector's head: 125), the kernel computes the zero-padded last panel
 * too and the extra channels are cut off.
 */
export function inferConv2d(x: tf.Tensor4D, weights: tf.Tensor, bias: tf.Tensor1D, alpha: number): tf.Tensor4D {
  const inC = x.shape[3];
  const ws = weights.shape;
  const wantK = ws.length === 3 ? ws[1] : ws[0] === 1 ? 9 * inC : inC;
  const fits = x.rank === 4 && ((ws.length === 3 && ws[2] === PANEL) || (ws.length === 4 && [1, 16, 18, 36].includes(ws[0]) && ws[3] === PANEL));
  if (!fits || (ws.length === 3 ? ws[1] : ws[2]) !== wantK || (ws.length === 3 && ws[1] !== inC)) {
    throw new ShapeError(`inferConv2d: weights [${ws.join(', ')}] (from inferConvWeights) do not fit x [${x.shape.join(', ')}]`);
  }
  const outCp = (ws.length === 3 ? ws[0] : ws[1]) * PANEL;
  const outC = bias.shape[0];
  if (bias.rank !== 1 || !(outC > outCp - PANEL && outC <= outCp)) {
    throw new ShapeError(`inferConv2d: bias must be [n] with ${outCp - PANEL} < n ≤ ${outCp} (the weights' ${outCp / PANEL} panels of 8), got [${bias.shape.join(', ')}]`);
  }
  if (!tf.getKernel(INFER_CONV_KERNEL, 'wasm')) {
    tf.registerKernel({ kernelName: INFER_CONV_KERNEL, backendName: 'wasm', kernelFunc: inferConvWasm as unknown as tf.KernelFunc });
  }
  const run = (b: tf.Tensor1D) => tf.engine().runKernel(INFER_CONV_KERNEL, { x, w: weights, bias: b }, { alpha } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
  if (outC === outCp) return run(bias);
  return tf.tidy(() => tf.slice(run(tf.pad(bias, [[0, outCp - outC]])), [0, 0, 0, 0], [-1, -1, -1, outC]));
}

/** The kernel: inputs x, w (prepared), bias; attrs alpha. */
function inferConvWasm(args: KernelArgs): TensorInfo {
  const backend = args.backend as WasmBackendLike;
  const { x, w, bias } = args.inputs;
  const alpha = Number(args.attrs?.alpha ?? 1);
  const [batch, H, W, inC] = x.shape;
  const outC = w.shape.length === 4 ? w.shape[1] * PANEL : w.shape[0] * PANEL;
  const y = backend.makeOutput([batch, H, W, outC], 'float32');
  try {
    if (w.shape.length === 3) {
      // rows in chunks of about 256 KiB of x (a multiple of 4 rows); with few chunks, the panels in
      // groups too, so that the threads have at least 4 items to share
      const rows = batch * H * W;
      const chunk = Math.max(4, Math.floor(GEMM_CHUNK_BYTES / (16 * inC)) * 4);
      const chunks = Math.ceil(rows / chunk);
      const groups = Math.min(outC / PANEL, Math.ceil(4 / chunks));
      const a = [offset(backend, x), offset(backend, w), offset(backend, y), rows, inC, outC, offset(backend, bias), alpha, chunk, groups];
      parallelForShared('gemmAct', heapOf(backend), a, chunks * groups, 1);
    } else if (w.shape[0] === 1) {
      directConv(backend, x, w, bias, alpha, y);
    } else {
      // 'same' padding of a 3×3 stride-1 convolution: one row and column on each side
      const g: WinogradGeometry = { batch, inH: H, inW: W, inC, outH: H, outW: W, outC, pt: 1, pl: 1 };
      const m: TileSize = w.shape[0] === 16 ? 2 : 4;
      if (w.shape[0] !== 18 && chunked(g, m)) winogradChunked(backend, x, w, bias, alpha, g, m, y);
      else winogradWhole(backend, x, w, bias, alpha, g, m, y);
    }
  } catch (e) {
    backend.disposeData(y.dataId); // nothing is left behind on an error
    throw e;
  }
  return y;
}

/** The direct 3×3 convolution of `direct-conv-rows.ts` over a zero-padded copy of x. */
function directConv(backend: WasmBackendLike, x: TensorInfo, w: TensorInfo, bias: TensorInfo, alpha: number, y: TensorInfo): void {
  const [batch, H, W, inC] = x.shape;
  const outC = w.shape[1] * PANEL;
  const xp = backend.makeOutput([batch, H + 2, W + 2, inC], 'float32');
  try {
    const heap = heapOf(backend); // after the allocation: a growing heap replaces the buffer
    const simd = simdOf(heap);
    // zeros, then each batch's H rows of W·inC floats one padded row down and one pixel in
    const pixel = 4 * inC;
    const paddedRow = (W + 2) * pixel;
    simd.zeroBytes(offset(backend, xp), batch * (H + 2) * paddedRow);
    for (let b = 0; b < batch; b++) {
      const dst = offset(backend, xp) + (b * (H + 2) + 1) * paddedRow + pixel;
      simd.copyRows(dst, offset(backend, x) + b * H * W * pixel, H, W * pixel, paddedRow, W * pixel);
    }
    const a = [offset(backend, xp), offset(backend, w), offset(backend, y), H, W, inC, outC, offset(backend, bias), alpha];
    parallelForShared('directConv', heap, a, batch * H, sharedGrain(batch * H, 4));
  } finally {
    backend.disposeData(xp.dataId);
  }
}
