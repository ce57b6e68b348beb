/**
 * Multi-threaded TF.js wasm backend in Node.
 *
 * tfjs-backend-wasm 4.22 ships a threaded SIMD binary (XNNPACK on a pthread pool) but never uses it in
 * Node, for three reasons, each worked around here only for the duration of the backend's
 * initialisation:
 *
 * 1. its `WASM_HAS_MULTITHREAD_SUPPORT` flag answers `false` whenever `IS_NODE`: set to `true`;
 * 2. it hands the pthread workers their scripts as `blob:` URLs, which Node's `worker_threads` cannot
 *    load (ERR_WORKER_PATH): the two scripts are written to a temporary directory instead (the worker's
 *    loader is pointed at the main script's file);
 * 3. its C++ caps the pool at `emscripten_num_logical_cores() / 2` (it assumes two hyper-threads per
 *    core), i.e. one thread on a 2-core machine: `os.cpus()` reports twice the requested count while
 *    the backend starts.
 *
 * Why: XNNPACK splits large matrix products and convolutions over the pool, so on a machine with more than
 * one core they run faster with more threads (measurements: docs/benchmarks.md).
 *
 * @packageDocumentation
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { kernelThreadPool } from '../../kernels/thread-pool.js';
import { assertKnownKeys, assertNumber } from '../../validate.js';
import { startKernelThreads } from './kernel-helpers.js';
import { enableRelaxedSimd } from './relaxed-simd.js';
import { relaxedSimdSupported } from '../../kernels/wasm-asm.js';

/** What {@link initWasmBackend} did. */
export interface WasmBackendInit {
  /** Threads of XNNPACK's pool (1 = single-threaded). */
  threads: number;
  /** Why the threaded start was not used, when it was asked for and fell back to one thread. */
  fallbackReason?: string;
  /**
   * Kernel helper threads splitting the training kernels' JavaScript loops ({@link startKernelThreads}):
   * threads − 1 after a threaded start, else 0.
   */
  kernelHelpers: number;
  /** Why no kernel helpers were started after a threaded start, if they failed. */
  kernelHelpersFailure?: string;
  /**
   * Whether WebAssembly relaxed SIMD is available, so that the inference convolutions' matrix products
   * use fused multiply-adds (see the option `relaxedSimd`).
   */
  relaxedSimd: boolean;
}

/** Options of {@link initWasmBackend}. */
export interface WasmBackendOptions {
  /**
   * Start threads − 1 kernel helper threads after a threaded start ({@link startKernelThreads}), so that
   * the training kernels' JavaScript loops use the cores too (default true).
   */
  kernelHelpers?: boolean;
  /**
   * Turn on WebAssembly relaxed SIMD where the runtime has it behind a flag (Node 20; Node 22 has it on),
   * so that the inference convolutions use fused multiply-adds: about a quarter faster matrix products;
   * the sums round once per step instead of twice. Default true; false leaves V8's flags alone.
   */
  relaxedSimd?: boolean;
}

/** The loader lines of the pthread worker that tfjs-backend-wasm 4.22 ships; replaced by a file path. */
const WORKER_LOADER =
  'if(typeof e.data.urlOrBlob=="string"){importScripts(e.data.urlOrBlob)}else{var objectUrl=URL.createObjectURL(e.data.urlOrBlob);importScripts(objectUrl);URL.revokeObjectURL(objectUrl)}';

/** The main script tfjs builds for the workers starts with this. */
const MAIN_SCRIPT_PREFIX = 'var WasmBackendModuleThreadedSimd';

/**
 * Bindings the rollup bundle of tfjs-backend-wasm gives its emscripten factory (the factory's source is
 * re-evaluated in each worker, outside the bundle's scope).
 */
const MAIN_SCRIPT_PRELUDE =
  "var require$$0 = require('fs'), require$$1 = require('path'), require$$3 = require('perf_hooks'), require$$4 = require('os'), commonjsGlobal = globalThis;\n";

interface WasmModuleApi {
  setThreadsCount(n: number): void;
  getThreadsCount(): number;
}

/** Logical CPUs of this machine (`os.availableParallelism()` where present). */
export function logicalCores(): number {
  const avail = (os as { availableParallelism?: () => number }).availableParallelism;
  return Math.max(1, typeof avail === 'function' ? avail() : os.cpus().length);
}

/**
 * Initialise and activate the `wasm` backend, with XNNPACK on `threads` threads (default: the logical
 * cores). Must run before anything else initialises the wasm backend; when it already is, nothing
 * changes and its thread count is returned. Falls back to one thread (and says why in
 * `fallbackReason`) when the installed tfjs-backend-wasm does not look like the one this was written
 * for, or the threaded start fails.
 *
 * The pthread scripts are written to a temporary directory, removed once the pool's workers loaded them.
 * After a threaded start it also starts threads − 1 kernel helper threads ({@link startKernelThreads};
 * `options.kernelHelpers: false` to skip): they share the training kernels' JS loops, which XNNPACK's
 * pool does not run, so a training step gets faster (measured in docs/benchmarks.md).
 *
 * First, unless `options.relaxedSimd` is false, it makes WebAssembly relaxed SIMD available
 * ({@link enableRelaxedSimd}), so that the inference convolutions use fused multiply-adds.
 *
 * @param threads XNNPACK threads, an integer in 1…8 (default: the logical cores, at most 8); 1 = the stock
 *   single-threaded start.
 */
export async function initWasmBackend(threads: number = Math.min(8, logicalCores()), options: WasmBackendOptions = {}): Promise<WasmBackendInit> {
  // the C++ side caps the pool at 8 (it pre-creates 8 workers)
  assertNumber('initWasmBackend', 'threads', threads, { min: 1, max: 8, integer: true });
  assertKnownKeys('initWasmBackend', 'options', options, ['kernelHelpers', 'relaxedSimd']);
  const relaxedSimd = options.relaxedSimd === false ? relaxedSimdSupported() : enableRelaxedSimd();
  const init = await startWasm(threads, options);
  return { ...init, relaxedSimd };
}

/** {@link initWasmBackend} after its checks: the backend's start. */
async function startWasm(threads: number, options: WasmBackendOptions): Promise<Omit<WasmBackendInit, 'relaxedSimd'>> {
  const require = createRequire(import.meta.url);
  const api = require('@tensorflow/tfjs-backend-wasm') as WasmModuleApi;
  if (tf.engine().registry['wasm'] !== undefined) {
    await tf.setBackend('wasm');
    return { threads: api.getThreadsCount(), kernelHelpers: kernelThreadPool()?.helpers ?? 0 };
  }
  if (threads === 1) return { threads: await plainStart(api), kernelHelpers: 0 };
  const source = threadedWorkerSource(require);
  if (typeof source !== 'string') return { threads: await plainStart(api), kernelHelpers: 0, fallbackReason: source.reason };
  let started: number;
  try {
    started = await threadedStart(api, threads, source, require);
  } catch (e) {
    // the backend factory stays registered after a failed start: start it again, single-threaded
    return { threads: await plainStart(api), kernelHelpers: 0, fallbackReason: e instanceof Error ? e.message : String(e) };
  }
  if (started < 2 || options.kernelHelpers === false) return { threads: started, kernelHelpers: 0 };
  try {
    const helpers = await startKernelThreads({ helpers: started - 1 });
    return { threads: started, kernelHelpers: helpers?.helpers ?? 0 };
  } catch (e) {
    return { threads: started, kernelHelpers: 0, kernelHelpersFailure: e instanceof Error ? e.message : String(e) };
  }
}

/** The pthread worker script of the installed tfjs-backend-wasm, or why it cannot be used. */
function threadedWorkerSource(require: NodeRequire): string | { reason: string } {
  let workerSource: string;
  try {
    workerSource = (require('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js') as { wasmWorkerContents: string })
      .wasmWorkerContents;
  } catch (e) {
    return { reason: `no threaded worker script in tfjs-backend-wasm (${String(e)})` };
  }
  if (!workerSource.includes(WORKER_LOADER)) return { reason: 'the tfjs-backend-wasm worker script is not the expected version' };
  return workerSource;
}

/**
 * Start the wasm backend on `threads` threads with the three work-arounds of the module doc in place,
 * undone (and the temporary scripts removed) before it returns. @returns the pool's thread count.
 * @throws when the threaded start fails.
 */
async function threadedStart(api: WasmModuleApi, threads: number, workerSource: string, require: NodeRequire): Promise<number> {
  const dir = mkdtempSync(join(os.tmpdir(), 'yolov2-ts-wasm-'));
  const mainPath = join(dir, 'main.js');
  const workerPath = join(dir, 'worker.js');
  // as tfjs does before making its blob: the string literals of the script hold raw newlines
  const script = workerSource.replace(/\n/g, '\\n').replace(WORKER_LOADER, `importScripts(${JSON.stringify(mainPath)});`);
  writeFileSync(workerPath, script);
  let restore = (): void => {};
  try {
    restore = patchThreadedStart(mainPath, workerPath, threads, require);
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
    api.setThreadsCount(threads);
    if (!(await tf.setBackend('wasm'))) throw new Error('the threaded wasm backend failed to initialise');
    await tf.ready();
    unrefWorkers();
    return api.getThreadsCount();
  } finally {
    restore();
    // every pool worker loaded both scripts while the backend started (emscripten waits for them)
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Work-arounds 2 and 3 of the module doc: the blob URLs of the two scripts point at their files, and
 * `os.cpus()` reports `2·threads` cores. @returns the function that undoes both.
 */
function patchThreadedStart(mainPath: string, workerPath: string, threads: number, require: NodeRequire): () => void {
  const globals = globalThis as unknown as { Blob: typeof Blob };
  const RealBlob = globals.Blob;
  const realCreateObjectURL = URL.createObjectURL;
  const osModule = require('node:os') as { cpus: typeof os.cpus };
  const realCpus = osModule.cpus;
  const texts = new WeakMap<object, string>();
  class RecordingBlob extends RealBlob {
    constructor(...args: ConstructorParameters<typeof Blob>) {
      super(...args);
      const parts = (args[0] ?? []) as unknown[];
      const text = parts.every((p) => typeof p === 'string') ? parts.join('') : null;
      if (text !== null) {
        texts.set(this, text);
        if (text.startsWith(MAIN_SCRIPT_PREFIX)) writeFileSync(mainPath, MAIN_SCRIPT_PRELUDE + text);
      }
    }
  }
  globals.Blob = RecordingBlob;
  URL.createObjectURL = (blob: Blob): string => {
    const text = texts.get(blob);
    if (text === undefined) return realCreateObjectURL(blob);
    return text.startsWith(MAIN_SCRIPT_PREFIX) ? mainPath : workerPath;
  };
  osModule.cpus = (): os.CpuInfo[] => {
    const cpus = realCpus.call(osModule);
    return Array.from({ length: 2 * threads }, (_, i) => cpus[i % cpus.length]);
  };
  return () => {
    globals.Blob = RealBlob;
    URL.createObjectURL = realCreateObjectURL;
    osModule.cpus = realCpus;
  };
}

/**
 * Let the process exit while the pthread pool's workers idle (emscripten leaves them ref'ed, so a
 * script that used the threaded backend would never end). XNNPACK's calls into the pool are
 * synchronous, so nothing waits on them across the event loop.
 */
function unrefWorkers(): void {
  const pthread = (tf.backend() as unknown as { wasm?: { PThread?: { unusedWorkers?: unknown[]; runningWorkers?: unknown[] } } }).wasm?.PThread;
  for (const w of [...(pthread?.unusedWorkers ?? []), ...(pthread?.runningWorkers ?? [])]) {
    (w as { unref?: () => void }).unref?.();
  }
}

async function plainStart(api: WasmModuleApi): Promise<number> {
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  if (!(await tf.setBackend('wasm'))) throw new Error("the 'wasm' backend failed to initialise");
  await tf.ready();
  return api.getThreadsCount();
}
