/**
 * Inference convolutions of the wasm backend, `y = act(conv(x, w) + bias)` with act a leaky ReLU
 * `max(v, α·v)` (0 ≤ α ≤ 1; α = 1 is linear), stride 1, run on the WebAssembly SIMD matrix products of
 * `simd-gemm.ts` and split over the helper threads of `thread-pool.ts` when there are any:
 *
 * - 3×3 'same' convolutions by Winograd F(2×2, 3×3) (`winograd.ts`): the input transform, 16 matrix
 *   products `[tiles, inC] × [inC, outC]`, and one output pass that also adds the bias and applies the
 *   activation. Per 2×2 output tile that is 16 multiplications per channel pair instead of 36.
 * - 3×3 'same' convolutions with fewer input channels (a detector's first layer) directly, as three
 *   products per output row over a padded copy of the input (`direct-conv-rows.ts`).
 * - 1×1 convolutions as one matrix product `[B·H·W, inC] × [inC, outC]` with the bias and activation
 *   in its epilogue.
 *
 * The weights are prepared once ({@link inferConvWeights}: the Winograd transform of a 3×3 filter, then
 * packed in panels of 8 output channels) and kept by the caller (the folded model's layer); a call then
 * costs only the transforms and the products. Inference only: the kernel has no gradient, and the caller
 * uses it only when no gradient is being recorded.
 *
 * @internal
 * @packageDocumentation
 */
import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '../errors.js';
import type { KernelArgs, TensorInfo, WasmBackendLike } from './util.js';
import { backendMemory } from './util.js';
import { winogradArgs } from './tasks.js';
import { kernelThreadPool, parallelFor } from './thread-pool.js';
import { bindSimd, simdSupported } from './simd.js';
import { PANEL, packPanels } from './simd-gemm.js';
import type { WinogradGeometry } from './winograd.js';
import { filterTransform, tileCount } from './winograd.js';
import { chunkedArgs, scratchFloats } from './winograd-rows.js';

/** The kernel's name in TF.js's registry (wasm backend only). */
export const INFER_CONV_KERNEL = 'YOLOv2InferConv2D';

/** Fewest input channels of a 3×3 layer run by Winograd (below, the transforms cost more than they save). */
export const WINOGRAD_INFER_MIN_CHANNELS = 16;

/** Fewest items per part when work is split over threads: tiles of a transform, panels of a product. */
const MIN_TILES_PER_PART = 32;
const MIN_PANELS_PER_PART = 2;

/**
 * Whether {@link inferConv2d} runs `x [B, H, W, inC] ⊛ w [kh, kw, inC, outC]` with these strides,
 * dilations, padding and leaky slope: on the wasm backend with WebAssembly SIMD (and its memory in
 * reach), stride and dilation 1,
 * outC a multiple of 8, 0 ≤ α ≤ 1, and either 3×3 'same' or 1×1.
 */
export function inferConvEligible(
  xShape: readonly number[], filterShape: readonly number[], strides: readonly number[], dilations: readonly number[], padding: string,
  alpha: number,
): boolean {
  if (tf.getBackend() !== 'wasm' || xShape.length !== 4 || filterShape.length !== 4) return false;
  const [kh, kw, inC, outC] = filterShape;
  const plain = strides.every((s) => s === 1) && dilations.every((d) => d === 1) && outC % PANEL === 0 && alpha >= 0 && alpha <= 1;
  if (!plain || xShape[3] !== inC || !simdSupported() || !backendMemory(tf.backend() as unknown as WasmBackendLike)) return false;
  return (kh === 3 && kw === 3 && padding === 'same') || (kh === 1 && kw === 1);
}

/**
 * The weights of {@link inferConv2d} for an HWIO filter: for 3×3 with at least
 * {@link WINOGRAD_INFER_MIN_CHANNELS} input channels, its Winograd transform (16 matrices `[inC, outC]`)
 * with each matrix packed in panels, `[16, outC/8, inC, 8]`; for 3×3 with fewer, the three filter rows
 * `[3·inC, outC]` packed, `[3, outC/8, 3·inC, 8]`; for 1×1, the `[inC, outC]` matrix packed,
 * `[outC/8, inC, 8]`. The caller owns the tensor.
 */
export function inferConvWeights(filter: tf.Tensor4D): tf.Tensor {
  const [kh, kw, inC, outC] = filter.shape;
  const w = filter.dataSync() as Float32Array;
  const n = inC * outC;
  if (kh === 1 && kw === 1) {
    const packed = new Float32Array(n);
    packPanels(w, inC, outC, packed);
    return tf.tensor3d(packed, [outC / PANEL, inC, PANEL]);
  }
  if (kh !== 3 || kw !== 3) throw new Error(`inferConvWeights: expected a 3×3 or 1×1 filter, got [${filter.shape.join(', ')}]`);
  if (inC < WINOGRAD_INFER_MIN_CHANNELS) {
    const rowFloats = 3 * n;
    const packed = new Float32Array(3 * rowFloats);
    for (let ky = 0; ky < 3; ky++) packPanels(w.subarray(ky * rowFloats, (ky + 1) * rowFloats), 3 * inC, outC, packed.subarray(ky * rowFloats, (ky + 1) * rowFloats));
    return tf.tensor4d(packed, [3, outC / PANEL, 3 * inC, PANEL]);
  }
  const U = Array.from({ length: 16 }, () => new Float32Array(n));
  filterTransform(w, inC, outC, U);
  const packed = new Float32Array(16 * n);
  U.forEach((u, k) => packPanels(u, inC, outC, packed.subarray(k * n, (k + 1) * n)));
  return tf.tensor4d(packed, [16, outC / PANEL, inC, PANEL]);
}

/**
 * `act(conv(x, w) + bias)`, x `[B, H, W, inC]`, w prepared by {@link inferConvWeights}, 'same' padding,
 * stride 1; `alpha` the leaky slope (1: linear). Returns `[B, H, W, outC]`.
 */
export function inferConv2d(x: tf.Tensor4D, weights: tf.Tensor, bias: tf.Tensor1D, alpha: number): tf.Tensor4D {
  const inC = x.shape[3];
  const ws = weights.shape;
  const wantK = ws.length === 3 ? ws[1] : ws[0] === 3 ? 3 * inC : inC;
  const fits = x.rank === 4 && ((ws.length === 3 && ws[2] === PANEL) || (ws.length === 4 && (ws[0] === 3 || ws[0] === 16) && ws[3] === PANEL));
  if (!fits || (ws.length === 3 ? ws[1] : ws[2]) !== wantK || (ws.length === 3 && ws[1] !== inC)) {
    throw new ShapeError(`inferConv2d: weights [${ws.join(', ')}] (from inferConvWeights) do not fit x [${x.shape.join(', ')}]`);
  }
  const outC = (ws.length === 3 ? ws[0] : ws[1]) * PANEL;
  if (bias.rank !== 1 || bias.shape[0] !== outC) throw new ShapeError(`inferConv2d: bias must be [${outC}], got [${bias.shape.join(', ')}]`);
  if (!tf.getKernel(INFER_CONV_KERNEL, 'wasm')) {
    tf.registerKernel({ kernelName: INFER_CONV_KERNEL, backendName: 'wasm', kernelFunc: inferConvWasm as unknown as tf.KernelFunc });
  }
  return tf.engine().runKernel(INFER_CONV_KERNEL, { x, w: weights, bias }, { alpha } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}

function offset(backend: WasmBackendLike, t: TensorInfo): number {
  return backend.typedArrayFromHeap(t).byteOffset;
}

function heapOf(backend: WasmBackendLike): ArrayBufferLike {
  const memory = backendMemory(backend);
  if (!memory || !bindSimd(memory)) throw new Error('inferConv2d: the wasm backend exposes no memory to bind the SIMD module to');
  return memory.buffer;
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
      const args8 = [offset(backend, x), offset(backend, w), offset(backend, y), batch * H * W, inC, outC, offset(backend, bias), alpha];
      parallelFor('gemmAct', heapOf(backend), args8, outC / PANEL, MIN_PANELS_PER_PART);
    } else if (w.shape[0] === 3) {
      directConv(backend, x, w, bias, alpha, y);
    } else {
      // 'same' padding of a 3×3 stride-1 convolution: one row and column on each side
      const g: WinogradGeometry = { batch, inH: H, inW: W, inC, outH: H, outW: W, outC, pt: 1, pl: 1 };
      if (chunked(g)) winogradChunked(backend, x, w, bias, alpha, g, y);
      else winogradWhole(backend, x, w, bias, alpha, g, y);
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
    const src = backend.typedArrayFromHeap(x) as Float32Array;
    const dst = backend.typedArrayFromHeap(xp) as Float32Array;
    const row = W * inC;
    dst.fill(0);
    for (let r = 0; r < batch * H; r++) {
      const b = Math.floor(r / H);
      const at = ((b * (H + 2) + (r - b * H) + 1) * (W + 2) + 1) * inC;
      dst.set(src.subarray(r * row, (r + 1) * row), at);
    }
    const a = [offset(backend, xp), offset(backend, w), offset(backend, y), H, W, inC, outC, offset(backend, bias), alpha];
    parallelFor('directConv', heap, a, batch * H, 4);
  } finally {
    backend.disposeData(xp.dataId);
  }
}

/** Bytes of one chunk's scratch (its V and M rows) aimed at: about half a core's L2 cache. */
const CHUNK_BYTES = 512 * 1024;

/** How the Winograd tiles are chunked (tests and benchmarks change it; see {@link setInferConvChunking}). */
let chunking: { mode: 'auto' | 'always' | 'never'; tiles?: number } = { mode: 'auto' };

/**
 * Override the chunking of {@link chunked}: 'always' (when inC is a multiple of 4 and there are two
 * chunks), 'never', or 'auto'; `tiles` fixes the tiles per chunk. For tests and benchmarks.
 * @internal
 */
export function setInferConvChunking(c: { mode: 'auto' | 'always' | 'never'; tiles?: number }): void {
  chunking = { ...c };
}

function chunkTiles(g: WinogradGeometry): number {
  return chunking.tiles ?? Math.max(16, Math.min(1024, Math.floor(CHUNK_BYTES / (64 * (g.inC + g.outC)))));
}

/**
 * Whether the tiles go in chunks, each transformed, multiplied and transformed back while in cache
 * (reading the filter transform once per chunk), rather than each phase over all tiles (writing and
 * reading back V and M once): chunks when there are several and the filter transform is small
 * (≤ 2 MiB: 128 × 256 channels).
 */
function chunked(g: WinogradGeometry): boolean {
  if (chunking.mode === 'never' || g.inC % 4 !== 0) return false;
  return tileCount(g) >= 2 * chunkTiles(g) && (chunking.mode === 'always' || g.inC * g.outC <= 32768);
}

function winogradChunked(backend: WasmBackendLike, x: TensorInfo, w: TensorInfo, bias: TensorInfo, alpha: number, g: WinogradGeometry, y: TensorInfo): void {
  const T = tileCount(g);
  const chunk = chunkTiles(g);
  const parts = (kernelThreadPool()?.helpers ?? 0) + 1;
  const scratchBytes = 64 * chunk * (g.inC + g.outC);
  const scratch = backend.makeOutput([parts * scratchBytes / 4 + 2 * scratchFloats(g)], 'float32');
  try {
    const heap = heapOf(backend); // after the allocations: a growing heap replaces the buffer
    const base = offset(backend, scratch);
    const zero = base + parts * scratchBytes;
    (backend.typedArrayFromHeap(scratch) as Float32Array).fill(0, (zero - base) / 4);
    const a = chunkedArgs({
      x: offset(backend, x), y: offset(backend, y), g, U: offset(backend, w), bias: offset(backend, bias), alpha,
      zero, sink: zero + 4 * scratchFloats(g), chunk, scratch: base, scratchBytes,
    });
    parallelFor('wgChunks', heap, a, Math.ceil(T / chunk), 1);
  } finally {
    backend.disposeData(scratch.dataId);
  }
}

function winogradWhole(backend: WasmBackendLike, x: TensorInfo, w: TensorInfo, bias: TensorInfo, alpha: number, g: WinogradGeometry, y: TensorInfo): void {
  const { inC, outC } = g;
  const T = tileCount(g);
  const V = backend.makeOutput([16, T, inC], 'float32');
  const M = backend.makeOutput([16, T, outC], 'float32');
  const simdIn = inC % 4 === 0;
  // the zero buffer of the input transform, then the sink of the output transform
  const scratch = backend.makeOutput([2 * scratchFloats(g)], 'float32');
  try {
    const heap = heapOf(backend); // after the allocations: a growing heap replaces the buffer
    (backend.typedArrayFromHeap(scratch) as Float32Array).fill(0);
    const zero = offset(backend, scratch);
    const sink = zero + 4 * scratchFloats(g);
    const at = (base: number, rowFloats: number) => Array.from({ length: 16 }, (_, k) => base + 4 * k * T * rowFloats);
    const v = offset(backend, V);
    const m = offset(backend, M);
    const xAt = offset(backend, x);
    if (simdIn) parallelFor('wgInputSimd', heap, [xAt, ...winogradArgs(g), ...at(v, inC), zero], T, MIN_TILES_PER_PART);
    else parallelFor('wgInput', heap, [xAt, ...winogradArgs(g), ...at(v, inC)], T, MIN_TILES_PER_PART);
    parallelFor('wgGemm', heap, [T, inC, outC, v, offset(backend, w), m], 16 * (outC / PANEL), MIN_PANELS_PER_PART);
    const yAt = offset(backend, y);
    parallelFor('wgOutputSimd', heap, [yAt, ...winogradArgs(g), ...at(m, outC), offset(backend, bias), alpha, sink], T, MIN_TILES_PER_PART);
  } finally {
    backend.disposeData(V.dataId);
    backend.disposeData(M.dataId);
    backend.disposeData(scratch.dataId);
  }
}
