/**
 * Fused training-mode batch norm (+ leaky ReLU) kernels for the cpu and wasm backends: the forward pass
 * (batch statistics and normalisation) and its gradient, each in two passes over the activation instead
 * of the eight to twelve full-size elementwise kernels and axis reductions of the composite path (on
 * wasm a reduction over axes [0, 1, 2] transposes its input first). Used by `batchNormTraining`
 * (layers.ts) when {@link registerTrainingKernels} has installed them for the active backend; other
 * backends (webgl, tfjs-node) keep the composite path. See {@link registerTrainingKernels}.
 *
 * @internal
 * @packageDocumentation
 */
import type { CpuBackendLike, KernelArgs, TensorInfo, WasmBackendLike } from './util.js';
import { backendMemory } from './util.js';
import { kernelParts, kernelThreadPool, runKernelTask } from './thread-pool.js';
import { bindSimd } from './simd.js';
import { finishMoments, channelMoments, normalizeCoefficients, normalizeLeaky, gradCoefficients, normalizeLeakyGrad } from './batch-norm-loops.js';

/**
 * Kernel name of the fused forward pass. Inputs `{ x [B, H, W, C], gamma [C], beta [C] }`, attributes
 * `{ epsilon, alpha }` (alpha: the leaky slope, or a negative number for no activation); outputs
 * `[y [B, H, W, C], mean [C], variance [C]]` (biased batch variance).
 */
export const BN_TRAIN_KERNEL = 'YOLOv2BatchNormTrain';
/**
 * Kernel name of the fused gradient. Inputs `{ da, x, y, mean, variance, gamma }`, attributes
 * `{ epsilon, alpha }`; outputs `[dx, dgamma, dbeta]`.
 */
export const BN_TRAIN_GRAD_KERNEL = 'YOLOv2BatchNormTrainGrad';

function attrsOf(args: KernelArgs): { epsilon: number; alpha: number } {
  const attrs = args.attrs ?? {};
  return { epsilon: attrs.epsilon as number, alpha: attrs.alpha as number };
}

/* ---------- wasm ---------- */

/** Fewest elements per part when a batch-norm pass is split over threads. */
const MIN_ELEMENTS_PER_PART = 32768;

/**
 * A heap scratch for the float64 partial sums of up to `parts` parts (2C each), 8-byte aligned and
 * zeroed; returns the tensor and the byte offset of the sums.
 */
function partialSums(backend: WasmBackendLike, parts: number, C: number): { scratch: TensorInfo; offset: number } {
  const scratch = backend.makeOutput([4 * C * parts + 2], 'float32');
  const v = backend.typedArrayFromHeap(scratch) as Float32Array;
  v.fill(0);
  return { scratch, offset: v.byteOffset + (v.byteOffset % 8 === 0 ? 0 : 4) };
}

/** Sum the parts' partial sums (2C float64 each, 16·C bytes apart) into one `[2C]` array. */
function mergeSums(heap: ArrayBufferLike, offset: number, parts: number, C: number): Float64Array {
  const all = new Float64Array(heap, offset, 2 * C * parts);
  const total = new Float64Array(2 * C);
  for (let p = 0; p < parts; p++) for (let i = 0; i < 2 * C; i++) total[i] += all[p * 2 * C + i];
  return total;
}

function maxParts(): number {
  return (kernelThreadPool()?.helpers ?? 0) + 1;
}

/** Bind the SIMD loops to the backend's memory on this thread (once; see simd.ts). */
function bindBackendSimd(backend: WasmBackendLike): void {
  const memory = backendMemory(backend);
  if (memory) bindSimd(memory);
}

export function bnTrainWasm(args: KernelArgs): TensorInfo[] {
  const backend = args.backend as WasmBackendLike;
  const { x, gamma, beta } = args.inputs;
  const { epsilon, alpha } = attrsOf(args);
  const C = x.shape[x.shape.length - 1];
  const n = x.shape.reduce((a, b) => a * b, 1) / C;
  const y = backend.makeOutput(x.shape.slice(), 'float32');
  const mean = backend.makeOutput([C], 'float32');
  const variance = backend.makeOutput([C], 'float32');
  const coef = backend.makeOutput([2 * C], 'float32');
  const { scratch, offset } = partialSums(backend, maxParts(), C);
  bindBackendSimd(backend);
  const v = (t: TensorInfo) => backend.typedArrayFromHeap(t) as Float32Array; // views after every allocation
  const xv = v(x);
  const heap = xv.buffer;
  const parts = kernelParts(heap, n, Math.ceil(MIN_ELEMENTS_PER_PART / C));
  runKernelTask('bnMoments', heap, [xv.byteOffset, C, offset], n, parts);
  finishMoments(xv, C, n, mergeSums(heap, offset, parts, C), v(mean), v(variance));
  normalizeCoefficients(C, v(mean), v(variance), v(gamma), v(beta), epsilon, v(coef));
  runKernelTask('bnNormalize', heap, [xv.byteOffset, v(y).byteOffset, C, v(coef).byteOffset, alpha], n, parts);
  backend.disposeData(coef.dataId);
  backend.disposeData(scratch.dataId);
  return [y, mean, variance];
}

export function bnTrainGradWasm(args: KernelArgs): TensorInfo[] {
  const backend = args.backend as WasmBackendLike;
  const { da, x, y, mean, variance, gamma } = args.inputs;
  const { epsilon, alpha } = attrsOf(args);
  const C = x.shape[x.shape.length - 1];
  const n = x.shape.reduce((a, b) => a * b, 1) / C;
  const dx = backend.makeOutput(x.shape.slice(), 'float32');
  const dgamma = backend.makeOutput([C], 'float32');
  const dbeta = backend.makeOutput([C], 'float32');
  const coef = backend.makeOutput([4 * C], 'float32');
  const { scratch, offset } = partialSums(backend, maxParts(), C);
  bindBackendSimd(backend);
  const v = (t: TensorInfo) => backend.typedArrayFromHeap(t) as Float32Array;
  const xv = v(x);
  const heap = xv.buffer;
  const parts = kernelParts(heap, n, Math.ceil(MIN_ELEMENTS_PER_PART / C));
  const off = (t: TensorInfo) => v(t).byteOffset;
  runKernelTask('bnGradSums', heap, [off(da), xv.byteOffset, off(y), off(dx), C, off(mean), alpha, offset], n, parts);
  gradCoefficients(C, n, mergeSums(heap, offset, parts, C), v(mean), v(variance), v(gamma), epsilon, v(dgamma), v(dbeta), v(coef));
  runKernelTask('bnGradApply', heap, [off(dx), xv.byteOffset, C, off(coef)], n, parts);
  backend.disposeData(coef.dataId);
  backend.disposeData(scratch.dataId);
  return [dx, dgamma, dbeta];
}

/* ---------- cpu ---------- */

function cpuValues(backend: CpuBackendLike, t: TensorInfo): Float32Array {
  const values = backend.data.get(t.dataId).values;
  return values instanceof Float32Array ? values : Float32Array.from(values);
}

export function bnTrainCpu(args: KernelArgs): TensorInfo[] {
  const backend = args.backend as CpuBackendLike;
  const { x, gamma, beta } = args.inputs;
  const { epsilon, alpha } = attrsOf(args);
  const C = x.shape[x.shape.length - 1];
  const xv = cpuValues(backend, x);
  const mean = new Float32Array(C);
  const variance = new Float32Array(C);
  const y = new Float32Array(xv.length);
  channelMoments(xv, C, mean, variance);
  normalizeLeaky(xv, C, mean, variance, cpuValues(backend, gamma), cpuValues(backend, beta), epsilon, alpha, y);
  return [
    backend.makeTensorInfo(x.shape.slice(), 'float32', y),
    backend.makeTensorInfo([C], 'float32', mean),
    backend.makeTensorInfo([C], 'float32', variance),
  ];
}

export function bnTrainGradCpu(args: KernelArgs): TensorInfo[] {
  const backend = args.backend as CpuBackendLike;
  const { da, x, y, mean, variance, gamma } = args.inputs;
  const { epsilon, alpha } = attrsOf(args);
  const C = x.shape[x.shape.length - 1];
  const xv = cpuValues(backend, x);
  const dx = new Float32Array(xv.length);
  const dgamma = new Float32Array(C);
  const dbeta = new Float32Array(C);
  normalizeLeakyGrad(
    cpuValues(backend, da), xv, cpuValues(backend, y), C, cpuValues(backend, mean), cpuValues(backend, variance),
    cpuValues(backend, gamma), epsilon, alpha, dx, dgamma, dbeta,
  );
  return [
    backend.makeTensorInfo(x.shape.slice(), 'float32', dx),
    backend.makeTensorInfo([C], 'float32', dgamma),
    backend.makeTensorInfo([C], 'float32', dbeta),
  ];
}
