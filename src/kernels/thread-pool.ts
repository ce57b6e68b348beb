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
 * split. The inference kernels use a shared split instead ({@link parallelForShared}): every thread
 * takes the next block of items from a shared counter, so that a slower core takes fewer.
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
  /**
   * A counter shared with the helpers, for {@link parallelForShared}: absent, every split is static.
   */
  readonly counter?: Int32Array;
  /**
   * Start helper `helper` on `task`, taking blocks of `grain` items of 0 … n−1 from {@link counter} until
   * none are left (its part index `part`); {@link wait} as for {@link post}.
   */
  postShared?(helper: number, task: KernelTaskName, args: readonly number[], n: number, grain: number, part: number): void;
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

/**
 * Take blocks of `grain` items of 0 … n−1 from `counter` and run `task` on each (as part `part`), until
 * none are left. The calling thread and the helpers of {@link parallelForShared} each run this loop.
 */
export function runSharedBlocks(
  counter: Int32Array, task: KernelTaskName, heap: ArrayBufferLike, args: readonly number[], n: number, grain: number, part: number,
): void {
  for (;;) {
    const lo = Atomics.add(counter, 0, 1) * grain;
    if (lo >= n) return;
    KERNEL_TASKS[task](heap, args, lo, Math.min(n, lo + grain), part);
  }
}

/**
 * Run `task` over items 0 … n−1 of `heap` on the calling thread and the helpers, which take blocks of
 * `grain` items from a shared counter as they finish: a thread that runs slower (a busy core) takes
 * fewer blocks. Only for tasks whose items write disjoint outputs (the result must not depend on which
 * thread ran an item; part k still names the thread, for its scratch). Without a pool with a counter,
 * or with fewer than two blocks, as {@link runKernelTask} with a static split.
 */
export function parallelForShared(task: KernelTaskName, heap: ArrayBufferLike, args: readonly number[], n: number, grain: number): void {
  const p = pool;
  const blocks = Math.ceil(n / grain);
  if (p === null || !p.sharesHeap(heap) || !p.counter || !p.postShared || blocks < 2) {
    parallelFor(task, heap, args, n, grain);
    return;
  }
  const helpers = Math.min(p.helpers, blocks - 1);
  Atomics.store(p.counter, 0, 0);
  for (let k = 1; k <= helpers; k++) p.postShared(k - 1, task, args, n, grain, k);
  let failure: unknown = null;
  try {
    runSharedBlocks(p.counter, task, heap, args, n, grain, 0);
  } catch (e) {
    failure = e;
    Atomics.store(p.counter, 0, blocks); // the helpers take no more blocks
  }
  for (let k = 1; k <= helpers; k++) {
    try {
      p.wait(k - 1);
    } catch (e) {
      failure ??= e;
    }
  }
  if (failure !== null) throw failure;
}

/**
 * The grain of {@link parallelForShared} for n items: about `blocksPerThread` blocks per thread, at least
 * `minGrain` items each.
 */
export function sharedGrain(n: number, minGrain = 1, blocksPerThread = 6): number {
  const threads = (pool?.helpers ?? 0) + 1;
  return Math.max(minGrain, Math.ceil(n / (threads * blocksPerThread)));
}

/** {@link runKernelTask} split over as many parts as the pool allows (at least `minPerPart` items each). */
export function parallelFor(task: KernelTaskName, heap: ArrayBufferLike, args: readonly number[], n: number, minPerPart = 1): void {
  runKernelTask(task, heap, args, n, kernelParts(heap, n, minPerPart));
}
