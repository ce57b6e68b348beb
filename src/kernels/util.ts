/**
 * Shared plumbing of the training kernels: minimal views of the cpu and wasm backends (this package may
 * not import them), the registry of replaced kernels and the im2col size limit.
 *
 * @internal
 * @packageDocumentation
 */
import * as tf from '@tensorflow/tfjs-core';
import { bindSimd } from './simd.js';

/* ---------- minimal views of the two backends (we may not import them) ---------- */

export type TensorInfo = tf.TensorInfo;
export type KernelArgs = { inputs: Record<string, TensorInfo>; backend: unknown; attrs?: Record<string, unknown> };
export type KernelFunc = (args: KernelArgs) => TensorInfo | TensorInfo[];

export interface WasmBackendLike {
  incRef(dataId: object): void;
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: object, force?: boolean): boolean;
  /**
   * The emscripten module (internal): its memory is what the SIMD loops of simd.ts bind to (`wasmMemory`
   * in the threaded build, `asm.memory` in the others).
   */
  wasm?: { wasmMemory?: WebAssembly.Memory; asm?: { memory?: WebAssembly.Memory } };
}

/**
 * Whether the engine is recording gradients (a training step is under way): the training kernels
 * take their Winograd forward path only then, and the inference convolutions only when not.
 */
export function recordingGradients(): boolean {
  return ((tf.engine().state as { gradientDepth?: number }).gradientDepth ?? 0) > 0;
}

/** The byte offset of a tensor's data in the wasm heap. */
export function offset(backend: WasmBackendLike, t: TensorInfo): number {
  return backend.typedArrayFromHeap(t).byteOffset;
}

/** The wasm heap's current buffer, with the SIMD module bound to it on this thread. */
export function heapOf(backend: WasmBackendLike): ArrayBufferLike {
  const memory = backendMemory(backend);
  if (!memory || !bindSimd(memory)) throw new Error('inference kernels: the wasm backend exposes no memory to bind the SIMD module to');
  return memory.buffer;
}

/** The wasm backend's memory, if it can be reached. */
export function backendMemory(backend: WasmBackendLike): WebAssembly.Memory | undefined {
  const m = backend.wasm?.wasmMemory ?? backend.wasm?.asm?.memory;
  return m instanceof WebAssembly.Memory ? m : undefined;
}

export interface CpuBackendLike {
  data: { get(dataId: object): { values: ArrayLike<number> } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: Float32Array): TensorInfo;
  disposeIntermediateTensorInfo(t: TensorInfo): void;
}

/* ---------- registry of installed kernels ---------- */

export interface Installed {
  kernelName: string;
  backendName: string;
  original: tf.KernelConfig | undefined;
}

export const installed = new Map<string, Installed>();
/** Default upper bound of one im2col buffer (256 MiB). */
export const DEFAULT_IM2COL_BYTES = 256 * 2 ** 20;
let im2colLimitBytes = DEFAULT_IM2COL_BYTES;

/** Current im2col buffer limit in bytes. */
export function im2colLimit(): number {
  return im2colLimitBytes;
}

/** Set the im2col buffer limit in bytes. */
export function setIm2colLimit(bytes: number): void {
  im2colLimitBytes = bytes;
}

export function stockKernel(kernelName: string, backendName: string): KernelFunc {
  const entry = installed.get(`${kernelName}/${backendName}`);
  const cfg = entry ? entry.original : tf.getKernel(kernelName, backendName);
  if (!cfg) throw new Error(`training kernels: no stock '${kernelName}' kernel for backend '${backendName}'`);
  return cfg.kernelFunc as unknown as KernelFunc;
}

export function liveKernel(kernelName: string, backendName: string): KernelFunc {
  const cfg = tf.getKernel(kernelName, backendName);
  if (!cfg) throw new Error(`training kernels: no '${kernelName}' kernel for backend '${backendName}'`);
  return cfg.kernelFunc as unknown as KernelFunc;
}

