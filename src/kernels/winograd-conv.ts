/**
 * Winograd F(2×2, 3×3) convolution kernels for the wasm backend: the forward convolution (`Conv2D`, and
 * `FusedConv2D` without bias or activation, as tfjs-layers' `Conv2D` calls it, in training steps; see
 * `conv.ts`) and both gradients, for
 * 3×3 stride-1 convolutions with at least {@link WINOGRAD_MIN_CHANNELS} input and output channels.
 * The transforms are JS loops (`winograd.ts`, split over the helper threads of `thread-pool.ts` when
 * there are any); the 16 matrix products per convolution run on the backend's `BatchMatMul` (XNNPACK),
 * one at a time: wasm's `BatchMatMul` with a batch dimension > 1 is far slower than 16 single products
 * (docs/benchmarks.md).
 *
 * @internal
 * @packageDocumentation
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Geometry } from './im2col.js';
import type { KernelArgs, TensorInfo, WasmBackendLike } from './util.js';
import { liveKernel } from './util.js';
import { winogradArgs } from './tasks.js';
import { parallelFor } from './thread-pool.js';
import type { WinogradGeometry } from './winograd.js';
import { flippedIndex, tileCount } from './winograd.js';

/**
 * Fewest input and output channels for which the Winograd kernels are used. Below it the matrix products
 * are too small for the transforms to pay off (measured on tiny-YOLOv2's layers at 416, batch 8).
 */
export const WINOGRAD_MIN_CHANNELS = 128;

/** Whether a convolution (forward geometry) is run by the Winograd kernels. */
export function winogradEligible(g: Geometry | null): boolean {
  return g != null && g.kh === 3 && g.kw === 3 && g.sh === 1 && g.sw === 1 &&
    g.inC >= WINOGRAD_MIN_CHANNELS && g.outC >= WINOGRAD_MIN_CHANNELS &&
    g.pt >= 0 && g.pt <= 2 && g.pl >= 0 && g.pl <= 2;
}

function forwardGeometry(g: Geometry): WinogradGeometry {
  return { batch: g.batch, inH: g.inH, inW: g.inW, inC: g.inC, outH: g.outH, outW: g.outW, outC: g.outC, pt: g.pt, pl: g.pl };
}

function view(backend: WasmBackendLike, t: TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(t) as Float32Array;
}

function alloc16(backend: WasmBackendLike, shape: number[]): TensorInfo[] {
  return Array.from({ length: 16 }, () => backend.makeOutput(shape, 'float32'));
}

function free(backend: WasmBackendLike, ts: TensorInfo[]): void {
  for (const t of ts) backend.disposeData(t.dataId);
}

/** Fewest items per part when a transform is split over threads (tiles, filter taps or rows). */
const MIN_PER_PART = 64;

/** `M[ξ] = A[ξ] · B[ξ]` on the backend's BatchMatMul, one product at a time; frees A and B as it goes. */
function products(backend: WasmBackendLike, A: TensorInfo[], B: TensorInfo[]): TensorInfo[] {
  const matMul = liveKernel(tf.BatchMatMul, 'wasm');
  return A.map((a, k) => {
    const m = matMul({ inputs: { a, b: B[k] }, backend, attrs: { transposeA: false, transposeB: false } }) as TensorInfo;
    backend.disposeData(a.dataId);
    backend.disposeData(B[k].dataId);
    return m;
  });
}

/** U = the filter transform of an HWIO filter `[3, 3, inC, outC]` (16 heap matrices `[inC, outC]`). */
function transformFilter(backend: WasmBackendLike, filter: TensorInfo, inC: number, outC: number, U: TensorInfo[]): void {
  const w = view(backend, filter);
  parallelFor('wgFilter', w.buffer, [w.byteOffset, inC, outC, ...U.map((t) => view(backend, t).byteOffset)], inC * outC, MIN_PER_PART);
}

/**
 * Forward 3×3 stride-1 convolution of x `[B, H, W, inC]` with filter `[3, 3, inC, outC]` (views are
 * taken after every allocation: a growing heap detaches them).
 */
export function winogradConv2DWasm(backend: WasmBackendLike, x: TensorInfo, filter: TensorInfo, g: Geometry): TensorInfo {
  const wg = forwardGeometry(g);
  const T = tileCount(wg);
  const V = alloc16(backend, [1, T, g.inC]);
  const U = alloc16(backend, [1, g.inC, g.outC]);
  transformFilter(backend, filter, g.inC, g.outC, U);
  const xv = view(backend, x);
  parallelFor('wgInput', xv.buffer, [xv.byteOffset, ...winogradArgs(wg), ...V.map((t) => view(backend, t).byteOffset)], T, MIN_PER_PART);
  const M = products(backend, V, U);
  const y = backend.makeOutput([g.batch, g.outH, g.outW, g.outC], 'float32');
  const yv = view(backend, y);
  parallelFor('wgOutput', yv.buffer, [yv.byteOffset, ...winogradArgs(wg), ...M.map((t) => view(backend, t).byteOffset)], T, MIN_PER_PART);
  free(backend, M);
  return y;
}

/**
 * Input gradient `[B, inH, inW, inC]` of a 3×3 stride-1 convolution (forward geometry g): the Winograd
 * convolution of dy with the flipped, in/out-swapped filter and padding 2 − pad, with its products
 * transposed, `M[ξ]ᵀ = U[p(ξ)] · V[ξ]ᵀ` (`[inC, outC] × [outC, tiles]`): the filter's own transform U
 * needs no transposing, and the operand XNNPACK re-packs on every call is the smaller dy transform.
 */
export function winogradBackpropInputWasm(backend: WasmBackendLike, dy: TensorInfo, filter: TensorInfo, g: Geometry): TensorInfo {
  const wg: WinogradGeometry = {
    batch: g.batch, inH: g.outH, inW: g.outW, inC: g.outC, outH: g.inH, outW: g.inW, outC: g.inC, pt: 2 - g.pt, pl: 2 - g.pl,
  };
  const T = tileCount(wg);
  const V = alloc16(backend, [T, g.outC]);
  const Vt = alloc16(backend, [1, g.outC, T]);
  const U = alloc16(backend, [1, g.inC, g.outC]);
  transformFilter(backend, filter, g.inC, g.outC, U);
  const offsets = (ts: TensorInfo[]) => ts.map((t) => view(backend, t).byteOffset);
  const dyv = view(backend, dy);
  parallelFor('wgInput', dyv.buffer, [dyv.byteOffset, ...winogradArgs(wg), ...offsets(V)], T, MIN_PER_PART);
  parallelFor('wgTranspose', dyv.buffer, [T, g.outC, ...offsets(V), ...offsets(Vt)], 16);
  free(backend, V);
  const Mt = products(backend, Vt.map((_, k) => U[flippedIndex(k)]), Vt);
  const M = alloc16(backend, [T, g.inC]);
  const mv = view(backend, M[0]);
  parallelFor('wgTranspose', mv.buffer, [g.inC, T, ...offsets(Mt), ...offsets(M)], 16);
  free(backend, Mt);
  const y = backend.makeOutput([wg.batch, wg.outH, wg.outW, wg.outC], 'float32');
  const yv = view(backend, y);
  parallelFor('wgOutput', yv.buffer, [yv.byteOffset, ...winogradArgs(wg), ...offsets(M)], T, MIN_PER_PART);
  free(backend, M);
  return y;
}

/** Filter gradient `[3, 3, inC, outC]` of a 3×3 stride-1 convolution of x (forward geometry g) given dy. */
export function winogradBackpropFilterWasm(backend: WasmBackendLike, x: TensorInfo, dy: TensorInfo, g: Geometry): TensorInfo {
  const wg = forwardGeometry(g);
  const T = tileCount(wg);
  const V = alloc16(backend, [T, g.inC]);
  const Vt = alloc16(backend, [1, g.inC, T]);
  const E = alloc16(backend, [1, T, g.outC]);
  const offsets = (ts: TensorInfo[]) => ts.map((t) => view(backend, t).byteOffset);
  const xv = view(backend, x);
  parallelFor('wgInput', xv.buffer, [xv.byteOffset, ...winogradArgs(wg), ...offsets(V)], T, MIN_PER_PART);
  parallelFor('wgTranspose', xv.buffer, [T, g.inC, ...offsets(V), ...offsets(Vt)], 16);
  free(backend, V);
  const dyv = view(backend, dy);
  parallelFor('wgGrad', dyv.buffer, [dyv.byteOffset, ...winogradArgs(wg), ...offsets(E)], T, MIN_PER_PART);
  const M = products(backend, Vt, E);
  const dw = backend.makeOutput([3, 3, g.inC, g.outC], 'float32');
  const dwv = view(backend, dw);
  parallelFor('wgFilterGrad', dwv.buffer, [dwv.byteOffset, g.inC, g.outC, ...offsets(M)], g.inC * g.outC, MIN_PER_PART);
  free(backend, M);
  return dw;
}

/** Whether a `FusedConv2D` call is a plain convolution (no bias, no activation). */
export function plainFusedConv(args: KernelArgs): boolean {
  const { bias, preluActivationWeights } = args.inputs;
  const activation = (args.attrs?.activation as string | undefined) ?? 'linear';
  return bias == null && preluActivationWeights == null && activation === 'linear';
}
