/**
 * Splitting the JavaScript loops of the wasm training kernels (batch norm, max-pool gradient, im2col,
 * the Winograd transforms) over helper threads that share the wasm heap.
 *
 * The multi-threaded wasm backend's heap is a shared `WebAssembly.Memory`, but XNNPACK's threads only
 * run its own operators: every JS loop of a training step runs on one core while the other idles.
 * yolov2-ts/node's `startKernelThreads()` starts helper threads on the same memory and installs them
 * here with {@link setKernelThreadPool}; without a pool (in a browser, on one thread, on the cpu
 * backend) every task runs on the calling thread, unchanged.
 *
 * A task is a named function of plain numbers (byte offsets into the heap, sizes) over an index range;
 * the pool runs part 0 on the calling thread and the others on its helpers, and returns when all are
 * done. Parts write disjoint outputs (or their own partial sums), so the result does not depend on the
 * split.
 *
 * @internal
 * @packageDocumentation
 */
import { KERNEL_TASKS, type KernelTaskName } from './tasks.js';

/** Helper threads that run parts of kernel tasks on a shared wasm heap. */
export interface KernelThreadPool {
  /** Number of helper threads (besides the calling one). */
  readonly helpers: number;
  /** Whether the helpers see this heap buffer (the shared wasm memory's current buffer). */
  sharesHeap(heap: ArrayBufferLike): boolean;
  /** Start part `part` of a task, over [lo, hi), on helper `helper`. */
  post(helper: number, task: KernelTaskName, args: readonly number[], lo: number, hi: number, part: number): void;
  /** Block until helper `helper` has finished its part; throws its error. */
  wait(helper: number): void;
}

let pool: KernelThreadPool | null = null;

/** Install (or with null remove) the helper threads used by the wasm training kernels. */
export function setKernelThreadPool(p: KernelThreadPool | null): void {
  pool = p;
}

/** The installed helper threads, if any. */
export function kernelThreadPool(): KernelThreadPool | null {
  return pool;
}

/** Parts a task over n items will be split into (1 without a pool sharing `heap`). */
export function kernelParts(heap: ArrayBufferLike, n: number, minPerPart: number): number {
  const p = pool;
  if (p === null || !p.sharesHeap(heap)) return 1;
  return Math.max(1, Math.min(p.helpers + 1, Math.floor(n / minPerPart)));
}

/**
 * Run a kernel task over items 0 … n−1 of the heap `heap`, split into `parts` contiguous ranges
 * (part k: ⌊k·n/parts⌋ … ⌊(k+1)·n/parts⌋ − 1), part 0 on this thread.
 */
export function runKernelTask(task: KernelTaskName, heap: ArrayBufferLike, args: readonly number[], n: number, parts: number): void {
  const p = pool;
  if (parts <= 1 || p === null) {
    KERNEL_TASKS[task](heap, args, 0, n, 0);
    return;
  }
  const bound = (k: number) => Math.floor((k * n) / parts);
  for (let k = 1; k < parts; k++) p.post(k - 1, task, args, bound(k), bound(k + 1), k);
  let failure: unknown = null;
  try {
    KERNEL_TASKS[task](heap, args, 0, bound(1), 0);
  } catch (e) {
    failure = e;
  }
  for (let k = 1; k < parts; k++) {
    try {
      p.wait(k - 1);
    } catch (e) {
      failure ??= e;
    }
  }
  if (failure !== null) throw failure;
}

/** {@link runKernelTask} split over as many parts as the pool allows (at least `minPerPart` items each). */
export function parallelFor(task: KernelTaskName, heap: ArrayBufferLike, args: readonly number[], n: number, minPerPart = 1): void {
  runKernelTask(task, heap, args, n, kernelParts(heap, n, minPerPart));
}
