/**
 * The 2×2 max pool of the folded models on the wasm backend (`FoldedMaxPool2D` in yolov2-ts/models),
 * at stride 1 or 2 with 'same' padding, on the SIMD row of `simd-max-pool.ts`, split over the kernel
 * helper threads like the inference convolutions. Between two of this library's convolutions it keeps
 * TF.js's thread pool out of the way: after each of its operations that pool's threads spin for a while
 * on the cores the next convolution needs.
 *
 * The values are exactly TF.js's (a maximum rounds nothing), except that a NaN in a window gives NaN.
 *
 * @internal
 * @packageDocumentation
 */
import * as tf from '@tensorflow/tfjs-core';
import { ShapeError, ValueError } from '../errors.js';
import { inferKernelsEnabled } from './infer-conv.js';
import { simdSupported } from './simd.js';
import { parallelForShared, sharedGrain } from './thread-pool.js';
import type { KernelArgs, TensorInfo, WasmBackendLike } from './util.js';
import { backendMemory, heapOf, offset } from './util.js';

/** The kernel's name in TF.js's registry (wasm backend only). */
export const INFER_MAX_POOL_KERNEL = 'YOLOv2InferMaxPool';

/**
 * Whether {@link inferMaxPool2d} runs a max pool of x `[B, H, W, C]`: on the wasm backend with
 * WebAssembly SIMD (and its memory in reach), not turned off by `setInferenceConvolutions`, a 2×2 window
 * at equal strides of 1 or 2, 'same' padding, C a multiple of 4.
 */
export function inferMaxPoolEligible(xShape: readonly number[], poolSize: readonly number[], strides: readonly number[], padding: string): boolean {
  if (!inferKernelsEnabled() || tf.getBackend() !== 'wasm' || xShape.length !== 4 || xShape[3] % 4 !== 0) return false;
  if (poolSize.length !== 2 || poolSize[0] !== 2 || poolSize[1] !== 2 || padding !== 'same') return false;
  if (strides.length !== 2 || strides[0] !== strides[1] || (strides[0] !== 1 && strides[0] !== 2)) return false;
  return simdSupported() && backendMemory(tf.backend() as unknown as WasmBackendLike) !== undefined;
}

/**
 * The 2×2 'same' max pool of x `[B, H, W, C]` (C a multiple of 4) at `stride` 1 or 2: `[B, ⌈H/s⌉, ⌈W/s⌉, C]`.
 * @throws ShapeError for another x, ValueError for another stride.
 */
export function inferMaxPool2d(x: tf.Tensor4D, stride: number): tf.Tensor4D {
  if (x.rank !== 4 || x.shape[3] % 4 !== 0) {
    throw new ShapeError(`inferMaxPool2d: x must be [B, H, W, C] with C a multiple of 4, got [${x.shape.join(', ')}]`);
  }
  if (stride !== 1 && stride !== 2) throw new ValueError(`inferMaxPool2d: 'stride' must be 1 or 2, got ${String(stride)}`);
  if (!tf.getKernel(INFER_MAX_POOL_KERNEL, 'wasm')) {
    tf.registerKernel({ kernelName: INFER_MAX_POOL_KERNEL, backendName: 'wasm', kernelFunc: maxPoolWasm as unknown as tf.KernelFunc });
  }
  return tf.engine().runKernel(INFER_MAX_POOL_KERNEL, { x }, { stride } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}

/** The kernel: input x; attr stride. */
function maxPoolWasm(args: KernelArgs): TensorInfo {
  const backend = args.backend as WasmBackendLike;
  const { x } = args.inputs;
  const s = Number(args.attrs?.stride ?? 2);
  const [batch, H, W, C] = x.shape;
  const outH = Math.ceil(H / s);
  const outW = Math.ceil(W / s);
  const y = backend.makeOutput([batch, outH, outW, C], 'float32');
  try {
    const rows = batch * outH;
    const a = [offset(backend, x), offset(backend, y), H, W, C, outH, outW, s];
    parallelForShared('maxPool2', heapOf(backend), a, rows, sharedGrain(rows, 8));
  } catch (e) {
    backend.disposeData(y.dataId); // nothing is left behind on an error
    throw e;
  }
  return y;
}
