/**
 * Convolution gradients for the cpu and wasm backends: `Conv2DBackpropFilter` by im2col into a `[K, N]`
 * matrix and the backend's own `BatchMatMul`, and `Conv2DBackpropInput` (wasm, stride 1) as a forward
 * XNNPACK convolution with the flipped filter. See {@link registerTrainingKernels}.
 *
 * @internal
 * @packageDocumentation
 */
import * as tf from '@tensorflow/tfjs-core';
import type { CpuBackendLike, KernelArgs, TensorInfo, WasmBackendLike } from './util.js';
import type { Geometry } from './im2col.js';
import { im2colKN } from './im2col.js';
import { geometryArgs } from './tasks.js';
import { parallelFor } from './thread-pool.js';
import { im2colLimit, liveKernel, recordingGradients, stockKernel } from './util.js';
import {
  plainFusedConv, winogradBackpropFilterWasm, winogradBackpropInputWasm, winogradConv2DWasm, winogradEligible,
} from './winograd-conv.js';

/* ---------- geometry ---------- */

export type { Geometry } from './im2col.js';


export function geometry(xShape: number[], filterShape: number[], attrs: Record<string, unknown>): Geometry | null {
  const dataFormat = (attrs.dataFormat as string | undefined) ?? 'NHWC';
  if (dataFormat !== 'NHWC' || xShape.length !== 4) return null;
  const dil = attrs.dilations as number | number[] | undefined;
  if (dil != null && (Array.isArray(dil) ? dil.some((d) => d !== 1) : dil !== 1)) return null;
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides as number | [number, number],
    1,
    attrs.pad as 'same' | 'valid' | number,
    attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
    false,
    'channelsLast',
  );
  return {
    batch: info.batchSize, inH: info.inHeight, inW: info.inWidth, inC: info.inChannels,
    outH: info.outHeight, outW: info.outWidth, outC: info.outChannels,
    kh: info.filterHeight, kw: info.filterWidth, sh: info.strideHeight, sw: info.strideWidth,
    pt: info.padInfo.top, pl: info.padInfo.left, pb: info.padInfo.bottom, pr: info.padInfo.right,
  };
}

/** Output positions per im2col chunk: whole output rows, as many as fit the im2col limit (at least one). */
function chunkSize(g: Geometry): number {
  const k = g.kh * g.kw * g.inC;
  return Math.max(1, Math.floor(im2colLimit() / 4 / k / g.outW)) * g.outW;
}
/* ---------- Conv2DBackpropFilter ---------- */

export function backpropFilterWasm(args: KernelArgs): TensorInfo {
  const backend = args.backend as WasmBackendLike;
  const { x, dy } = args.inputs;
  const attrs = args.attrs ?? {};
  const filterShape = attrs.filterShape as number[];
  const g = x.dtype === 'float32' ? geometry(x.shape, filterShape, attrs) : null;
  if (!g) return stockKernel(tf.Conv2DBackpropFilter, 'wasm')(args) as TensorInfo;
  if (winogradEligible(g)) return winogradBackpropFilterWasm(backend, x, dy, g);
  const matMul = liveKernel(tf.BatchMatMul, 'wasm');
  const K = g.kh * g.kw * g.inC;
  const N = g.batch * g.outH * g.outW;
  const Co = g.outC;
  const step = chunkSize(g);
  let acc: TensorInfo | null = null;
  for (let n0 = 0; n0 < N; n0 += step) {
    const n1 = Math.min(N, n0 + step);
    const cnt = n1 - n0;
    const cols = backend.makeOutput([1, K, cnt], 'float32');
    let dyPart: TensorInfo;
    let ownDy = false;
    if (n0 === 0 && n1 === N) {
      dyPart = { dataId: dy.dataId, shape: [1, N, Co], dtype: 'float32' };
    } else {
      dyPart = backend.makeOutput([1, cnt, Co], 'float32');
      ownDy = true;
    }
    // views only after the allocations (the heap may have grown and detached older views)
    const xv = backend.typedArrayFromHeap(x) as Float32Array;
    const colsv = backend.typedArrayFromHeap(cols) as Float32Array;
    const rowsPerPart = Math.ceil(16384 / (K * g.outW)); // at least ~16k values a part
    parallelFor('im2col', xv.buffer, [xv.byteOffset, colsv.byteOffset, n0, n1, ...geometryArgs(g)], cnt / g.outW, rowsPerPart);
    if (ownDy) {
      const dyv = backend.typedArrayFromHeap(dy) as Float32Array;
      (backend.typedArrayFromHeap(dyPart) as Float32Array).set(dyv.subarray(n0 * Co, n1 * Co));
    }
    const part = matMul({ inputs: { a: cols, b: dyPart }, backend, attrs: { transposeA: false, transposeB: false } }) as TensorInfo;
    backend.disposeData(cols.dataId);
    if (ownDy) backend.disposeData(dyPart.dataId);
    if (acc === null) acc = part;
    else {
      const a = backend.typedArrayFromHeap(acc) as Float32Array;
      const p = backend.typedArrayFromHeap(part) as Float32Array;
      for (let i = 0; i < a.length; i++) a[i] += p[i];
      backend.disposeData(part.dataId);
    }
  }
  return { dataId: acc!.dataId, shape: filterShape.slice(), dtype: 'float32' };
}

export function backpropFilterCpu(args: KernelArgs): TensorInfo {
  const backend = args.backend as CpuBackendLike;
  const { x, dy } = args.inputs;
  const attrs = args.attrs ?? {};
  const filterShape = attrs.filterShape as number[];
  const g = x.dtype === 'float32' ? geometry(x.shape, filterShape, attrs) : null;
  if (!g) return stockKernel(tf.Conv2DBackpropFilter, 'cpu')(args) as TensorInfo;
  const matMul = liveKernel(tf.BatchMatMul, 'cpu');
  const K = g.kh * g.kw * g.inC;
  const N = g.batch * g.outH * g.outW;
  const Co = g.outC;
  const xv = backend.data.get(x.dataId).values;
  const dyv = backend.data.get(dy.dataId).values as Float32Array;
  const step = chunkSize(g);
  const acc = new Float32Array(K * Co);
  for (let n0 = 0; n0 < N; n0 += step) {
    const n1 = Math.min(N, n0 + step);
    const cnt = n1 - n0;
    const colsv = new Float32Array(K * cnt);
    im2colKN(xv, g, n0, n1, colsv);
    const cols = backend.makeTensorInfo([1, K, cnt], 'float32', colsv);
    const dyPart = backend.makeTensorInfo([1, cnt, Co], 'float32', dyv.subarray(n0 * Co, n1 * Co));
    const part = matMul({ inputs: { a: cols, b: dyPart }, backend, attrs: { transposeA: false, transposeB: false } }) as TensorInfo;
    const pv = backend.data.get(part.dataId).values;
    for (let i = 0; i < acc.length; i++) acc[i] += pv[i];
    backend.disposeIntermediateTensorInfo(cols);
    backend.disposeIntermediateTensorInfo(dyPart);
    backend.disposeIntermediateTensorInfo(part);
  }
  return backend.makeTensorInfo(filterShape.slice(), 'float32', acc);
}

/* ---------- Conv2DBackpropInput (wasm, stride 1) ---------- */

export function backpropInputWasm(args: KernelArgs): TensorInfo {
  const backend = args.backend as WasmBackendLike;
  const { dy, filter } = args.inputs;
  const attrs = args.attrs ?? {};
  const inputShape = attrs.inputShape as number[];
  const g = dy.dtype === 'float32' ? geometry(inputShape, filter.shape, attrs) : null;
  // dx = conv(dy, flip(W)ᵀ) with padding (kh−1−pt, inH−outH+kh−1−(kh−1−pt)) = (kh−1−pt, inH−outH+pt)
  const padT = g ? g.kh - 1 - g.pt : -1;
  const padL = g ? g.kw - 1 - g.pl : -1;
  const padB = g ? g.inH - g.outH + g.pt : -1;
  const padR = g ? g.inW - g.outW + g.pl : -1;
  if (!g || g.sh !== 1 || g.sw !== 1 || padT < 0 || padL < 0 || padB < 0 || padR < 0) {
    return stockKernel(tf.Conv2DBackpropInput, 'wasm')(args) as TensorInfo;
  }
  if (winogradEligible(g)) return winogradBackpropInputWasm(backend, dy, filter, g);
  const { kh, kw, inC, outC } = g;
  const flipped = backend.makeOutput([kh, kw, outC, inC], 'float32');
  const w = backend.typedArrayFromHeap(filter) as Float32Array;
  const f = backend.typedArrayFromHeap(flipped) as Float32Array;
  // flipped[y, x, co, ci] = W[kh−1−y, kw−1−x, ci, co]
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) {
      const src = ((kh - 1 - y) * kw + (kw - 1 - x)) * inC * outC;
      const dst = (y * kw + x) * outC * inC;
      for (let ci = 0; ci < inC; ci++) {
        const s = src + ci * outC;
        for (let co = 0; co < outC; co++) f[dst + co * inC + ci] = w[s + co];
      }
    }
  }
  const conv = stockKernel(tf.Conv2D, 'wasm');
  const out = conv({
    inputs: { x: dy, filter: flipped },
    backend,
    attrs: { strides: [1, 1], pad: [[0, 0], [padT, padB], [padL, padR], [0, 0]], dataFormat: 'NHWC', dilations: [1, 1] },
  }) as TensorInfo;
  backend.disposeData(flipped.dataId);
  return out;
}

/* ---------- Conv2D and FusedConv2D (wasm): Winograd where it pays ---------- */
// Only while gradients are recorded (a training step): for inference the stock XNNPACK operator, which
// caches its packed filter by filter tensor, is faster when the same weights run again and again
// (docs/benchmarks.md), while a training step changes the weights, and so repacks them, anyway.

export function conv2DWasm(args: KernelArgs): TensorInfo {
  const { x, filter } = args.inputs;
  const g = x.dtype === 'float32' && recordingGradients() ? geometry(x.shape, filter.shape, args.attrs ?? {}) : null;
  if (!winogradEligible(g)) return stockKernel(tf.Conv2D, 'wasm')(args) as TensorInfo;
  return winogradConv2DWasm(args.backend as WasmBackendLike, x, filter, g!);
}

export function fusedConv2DWasm(args: KernelArgs): TensorInfo {
  const { x, filter } = args.inputs;
  const g = x.dtype === 'float32' && plainFusedConv(args) && recordingGradients() ? geometry(x.shape, filter.shape, args.attrs ?? {}) : null;
  if (!winogradEligible(g)) return stockKernel(tf.FusedConv2D, 'wasm')(args) as TensorInfo;
  return winogradConv2DWasm(args.backend as WasmBackendLike, x, filter, g!);
}
