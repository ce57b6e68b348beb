/**
 * Fast CPU training kernels for TF.js's `cpu` and `wasm` backends.
 *
 * Stock TF.js cannot train a conv net on a CPU in reasonable time: the wasm backend has no
 * `Conv2DBackpropFilter` at all, the cpu backend's is a six-deep scalar loop, wasm's
 * `Conv2DBackpropInput` is a scalar loop too, and wasm's `Tile` (used by the batch-norm gradient) is an
 * element-by-element loop (docs/benchmarks.md). {@link registerTrainingKernels} replaces them, per backend
 * name, with:
 *
 * - `Conv2DBackpropFilter` (cpu, wasm): im2col of the input into a `[K, N]` matrix
 *   (K = kh·kw·cin, N = B·outH·outW; no transposed matmul, which is far slower on wasm), then the
 *   backend's own `BatchMatMul` `[K, N] × [N, cout]` (XNNPACK on wasm). N is split into chunks so that one
 *   im2col buffer stays below `maxIm2colBytes` (the wasm heap is at most 4 GB).
 * - `Conv2DBackpropInput` (wasm, stride 1, NHWC): a forward `Conv2D` (XNNPACK) of dy with the spatially
 *   flipped, in/out-swapped filter and the complementary padding. Other strides use the stock kernel.
 * - Winograd F(2×2, 3×3) (wasm) for 3×3 stride-1 convolutions with at least 128 input and output
 *   channels (tiny-YOLOv2's 26×26 and 13×13 layers): the forward `Conv2D` and `FusedConv2D` (without
 *   bias or activation, as tfjs-layers' `Conv2D` calls it; only while gradients are recorded, since
 *   for inference the stock kernel's cached filter packing is faster) and both gradients do 16 matrix products per
 *   2×2 output tile instead of 36 multiplications; the transforms are JS loops, the products XNNPACK.
 * - `Tile` (wasm): block copies with doubling `copyWithin`.
 * - `MaxPoolGrad` (wasm): a correct one; the stock wasm kernel (tfjs-backend-wasm 4.22) routes the
 *   gradient to wrong positions, so training on wasm without this is silently wrong.
 * - `Identity` (wasm): zero-copy (shared, reference-counted buffer) instead of a copy; the engine clones
 *   every tensor saved for a gradient, so this halves the activation memory of training.
 * - Two new kernels (cpu, wasm), the fused training-mode batch norm + leaky ReLU of `DarknetBatchNorm`
 *   and its gradient: two passes over the activation each, instead of the composite path's dozen
 *   elementwise kernels and axis reductions (which on wasm transpose their input first).
 *
 * On the threaded wasm backend the JS loops are split over the helper threads of `startKernelThreads()`
 * (yolov2-ts/node) when they run, and the batch-norm passes run as WebAssembly SIMD loops (`simd.ts`)
 * when the channel count is a multiple of 4.
 *
 * NCHW data, dilations ≠ 1 and other unsupported cases fall through to the stock kernels. Everything
 * here works on backend-internal memory and allocates no engine tensors, so it cannot leak tensors.
 *
 * @packageDocumentation
 */
import * as tf from '@tensorflow/tfjs-core';
import { ValueError, describe } from '../errors.js';
import { assertKnownKeys } from '../validate.js';
import { BN_TRAIN_GRAD_KERNEL, BN_TRAIN_KERNEL, bnTrainCpu, bnTrainGradCpu, bnTrainGradWasm, bnTrainWasm } from './batch-norm.js';
import { backpropFilterCpu, backpropFilterWasm, backpropInputWasm, conv2DWasm, fusedConv2DWasm } from './conv.js';
import type { KernelFunc } from './util.js';
import { DEFAULT_IM2COL_BYTES, installed, setIm2colLimit } from './util.js';
import { identityWasm, maxPoolGradWasm, tileWasm } from './wasm-kernels.js';

/** Options of {@link registerTrainingKernels}. */
export interface TrainingKernelOptions {
  /**
   * Upper bound of one im2col buffer in bytes (default 256 MiB). Larger convolutions are split over
   * the batch·height·width axis in whole output rows and their partial filter gradients summed; a
   * chunk holds at least one output row (4·kh·kw·cin·outW bytes) whatever the limit.
   */
  maxIm2colBytes?: number;
  /** Backends to patch; default every one of 'cpu' and 'wasm' that is registered with the engine. */
  backends?: ReadonlyArray<'cpu' | 'wasm'>;
}

/* ---------- registration ---------- */

const KERNELS: ReadonlyArray<{ kernelName: string; backendName: 'cpu' | 'wasm'; kernelFunc: KernelFunc }> = [
  { kernelName: tf.Conv2DBackpropFilter, backendName: 'cpu', kernelFunc: backpropFilterCpu },
  { kernelName: tf.Conv2DBackpropFilter, backendName: 'wasm', kernelFunc: backpropFilterWasm },
  { kernelName: tf.Conv2DBackpropInput, backendName: 'wasm', kernelFunc: backpropInputWasm },
  { kernelName: tf.Conv2D, backendName: 'wasm', kernelFunc: conv2DWasm },
  { kernelName: tf.FusedConv2D, backendName: 'wasm', kernelFunc: fusedConv2DWasm },
  { kernelName: tf.Tile, backendName: 'wasm', kernelFunc: tileWasm },
  { kernelName: tf.MaxPoolGrad, backendName: 'wasm', kernelFunc: maxPoolGradWasm },
  { kernelName: tf.Identity, backendName: 'wasm', kernelFunc: identityWasm },
  { kernelName: BN_TRAIN_KERNEL, backendName: 'cpu', kernelFunc: bnTrainCpu },
  { kernelName: BN_TRAIN_GRAD_KERNEL, backendName: 'cpu', kernelFunc: bnTrainGradCpu },
  { kernelName: BN_TRAIN_KERNEL, backendName: 'wasm', kernelFunc: bnTrainWasm },
  { kernelName: BN_TRAIN_GRAD_KERNEL, backendName: 'wasm', kernelFunc: bnTrainGradWasm },
];

function backendKnown(name: string): boolean {
  return tf.findBackendFactory(name) != null || tf.findBackend(name) != null;
}

/**
 * Install the fast training kernels (see the module doc) for the `cpu` and `wasm` backends that are
 * registered with the engine. Idempotent (a second call only updates `maxIm2colBytes`); undone by
 * {@link unregisterTrainingKernels}, which restores the stock kernels. Call it once at start-up, before
 * or after `tf.setBackend`.
 *
 * @returns the kernels now installed, as `'Kernel/backend'` strings.
 * @throws ValueError when `maxIm2colBytes` is not a positive number, for an unknown option, or when none of
 *   the wanted backends is registered with the engine (import `@tensorflow/tfjs-backend-cpu` or `-wasm` first).
 */
export function registerTrainingKernels(options: TrainingKernelOptions = {}): string[] {
  const fn = 'registerTrainingKernels';
  assertKnownKeys(fn, 'options', options, ['maxIm2colBytes', 'backends']);
  if (options.maxIm2colBytes !== undefined) {
    const v = options.maxIm2colBytes;
    if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) {
      throw new ValueError(`${fn}: 'maxIm2colBytes' must be a finite number > 0, got ${describe(v)}`);
    }
    setIm2colLimit(v);
  }
  const wanted = options.backends ?? ['cpu', 'wasm'];
  for (const b of wanted) {
    if (b !== 'cpu' && b !== 'wasm') throw new ValueError(`${fn}: 'backends' may hold 'cpu' and 'wasm', got ${describe(b)}`);
  }
  if (wanted.length > 0 && !wanted.some(backendKnown)) {
    throw new ValueError(
      `${fn}: no ${wanted.map((b) => `'${b}'`).join(' or ')} backend is registered with the engine, so there is nothing to patch: ` +
        `set a backend first (tf.setBackend('cpu') after importing '@tensorflow/tfjs-backend-cpu', or 'wasm' after '@tensorflow/tfjs-backend-wasm')`,
    );
  }
  for (const k of KERNELS) {
    const key = `${k.kernelName}/${k.backendName}`;
    if (!wanted.includes(k.backendName) || installed.has(key) || !backendKnown(k.backendName)) continue;
    const original = tf.getKernel(k.kernelName, k.backendName);
    if (original) tf.unregisterKernel(k.kernelName, k.backendName);
    const config: tf.KernelConfig = {
      kernelName: k.kernelName,
      backendName: k.backendName,
      kernelFunc: k.kernelFunc as unknown as tf.KernelFunc,
      // the stock kernel's set-up (wasm: binding its C function) still has to run for the fall-backs
      ...(original?.setupFunc ? { setupFunc: original.setupFunc } : {}),
    };
    tf.registerKernel(config);
    installed.set(key, { kernelName: k.kernelName, backendName: k.backendName, original });
  }
  return [...installed.keys()];
}

/**
 * Restore the stock kernels replaced by {@link registerTrainingKernels}. Safe to call when nothing is
 * installed. @returns the kernels that were restored.
 */
export function unregisterTrainingKernels(): string[] {
  const restored: string[] = [];
  for (const [key, entry] of installed) {
    tf.unregisterKernel(entry.kernelName, entry.backendName);
    if (entry.original) tf.registerKernel(entry.original);
    restored.push(key);
  }
  installed.clear();
  setIm2colLimit(DEFAULT_IM2COL_BYTES);
  return restored;
}

/** The kernels currently installed by {@link registerTrainingKernels}, as `'Kernel/backend'`. */
export function trainingKernelsInstalled(): string[] {
  return [...installed.keys()];
}
