/**
 * Winograd F(2×2, 3×3) convolution kernels for the wasm backend: the forward convolution (`Conv2D`, and
 * `FusedConv2D` without bias or activation, as tfjs-layers' `Conv2D` calls it) and both gradients, for
 * 3×3 stride-1 convolutions with at least {@link WINOGRAD_MIN_CHANNELS} input and output channels.
 * The transforms are JS loops (`winograd.ts`); the 16 matrix products per convolution run on the
 * backend's `BatchMatMul` (XNNPACK), one at a time: wasm's `BatchMatMul` with a batch dimension > 1 is
 * ~70× slower than 16 single products.
 *
 * @internal
 * @packageDocumentation
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Geometry } from './conv-kernels.js';
import type { KernelArgs, TensorInfo, WasmBackendLike } from './kernel-util.js';
import { liveKernel } from './kernel-util.js';
import type { WinogradGeometry } from './winograd.js';
import {
  filterGradTransform, filterTransform, flippedFilterTransform, gradTransform, inputTransform, outputTransform,
  tileCount, transpose,
} from './winograd.js';

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

/** A Winograd convolution of x with the filter transform written by `fillU` (16 `[inC, outC]`). */
function convolve(backend: WasmBackendLike, x: TensorInfo, wg: WinogradGeometry, fillU: (U: Float32Array[]) => void): TensorInfo {
  const T = tileCount(wg);
  const V = alloc16(backend, [1, T, wg.inC]);
  const U = alloc16(backend, [1, wg.inC, wg.outC]);
  // views only after the allocations (a growing heap detaches older views)
  inputTransform(view(backend, x), wg, V.map((t) => view(backend, t)));
  fillU(U.map((t) => view(backend, t)));
  const M = products(backend, V, U);
  const y = backend.makeOutput([wg.batch, wg.outH, wg.outW, wg.outC], 'float32');
  outputTransform(M.map((t) => view(backend, t)), wg, view(backend, y));
  for (const m of M) backend.disposeData(m.dataId);
  return y;
}

/** 16 scratch matrices of n floats (one JS allocation). */
function scratch16(n: number): Float32Array[] {
  const buf = new Float32Array(16 * n);
  return Array.from({ length: 16 }, (_, k) => buf.subarray(k * n, (k + 1) * n));
}

/** Forward 3×3 stride-1 convolution of x `[B, H, W, inC]` with filter `[3, 3, inC, outC]`. */
export function winogradConv2DWasm(backend: WasmBackendLike, x: TensorInfo, filter: TensorInfo, g: Geometry): TensorInfo {
  return convolve(backend, x, forwardGeometry(g), (U) => filterTransform(view(backend, filter), g.inC, g.outC, U));
}

/**
 * Input gradient `[B, inH, inW, inC]` of a 3×3 stride-1 convolution (forward geometry g): the Winograd
 * convolution of dy with the flipped, in/out-swapped filter and padding 2 − pad.
 */
export function winogradBackpropInputWasm(backend: WasmBackendLike, dy: TensorInfo, filter: TensorInfo, g: Geometry): TensorInfo {
  const wg: WinogradGeometry = {
    batch: g.batch, inH: g.outH, inW: g.outW, inC: g.outC, outH: g.inH, outW: g.inW, outC: g.inC, pt: 2 - g.pt, pl: 2 - g.pl,
  };
  return convolve(backend, dy, wg, (Uflip) => {
    const U = scratch16(g.inC * g.outC);
    filterTransform(view(backend, filter), g.inC, g.outC, U);
    flippedFilterTransform(U, g.inC, g.outC, Uflip);
  });
}

/** Filter gradient `[3, 3, inC, outC]` of a 3×3 stride-1 convolution of x (forward geometry g) given dy. */
export function winogradBackpropFilterWasm(backend: WasmBackendLike, x: TensorInfo, dy: TensorInfo, g: Geometry): TensorInfo {
  const wg = forwardGeometry(g);
  const T = tileCount(wg);
  const Vt = alloc16(backend, [1, g.inC, T]);
  const E = alloc16(backend, [1, T, g.outC]);
  const V = scratch16(T * g.inC);
  inputTransform(view(backend, x), wg, V);
  for (let k = 0; k < 16; k++) transpose(V[k], T, g.inC, view(backend, Vt[k]));
  gradTransform(view(backend, dy), wg, E.map((t) => view(backend, t)));
  const M = products(backend, Vt, E);
  const dw = backend.makeOutput([3, 3, g.inC, g.outC], 'float32');
  filterGradTransform(M.map((t) => view(backend, t)), g.inC, g.outC, view(backend, dw));
  for (const m of M) backend.disposeData(m.dataId);
  return dw;
}

/** Whether a `FusedConv2D` call is a plain convolution (no bias, no activation). */
export function plainFusedConv(args: KernelArgs): boolean {
  const { bias, preluActivationWeights } = args.inputs;
  const activation = (args.attrs?.activation as string | undefined) ?? 'linear';
  return bias == null && preluActivationWeights == null && activation === 'linear';
}
