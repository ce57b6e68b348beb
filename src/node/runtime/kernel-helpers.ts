/**
 * Helper threads for the JavaScript loops of the wasm training kernels (batch norm, max-pool gradient,
 * im2col, the Winograd transforms). See `startKernelThreads`.
 *
 * @packageDocumentation
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { ValueError, YOLOv2Error } from '../../errors.js';
import type { KernelTaskName } from '../../kernels/tasks.js';
import { kernelThreadPool, setKernelThreadPool, type KernelThreadPool } from '../../kernels/thread-pool.js';
import {
  HELPER_BUSY, HELPER_DONE, HELPER_FAILED, HELPER_STATE_BYTES, type HelperInit, type HelperRequest, readHelperError,
} from './kernel-helper-messages.js';
import { spawnWorker, workerScript } from './worker-script.js';
import { assertKnownKeys } from '../../validate.js';

/** Running kernel helper threads; {@link KernelThreads.stop} them when done. */
export interface KernelThreads {
  /** Helper threads (besides the calling one). */
  readonly helpers: number;
  /** Uninstall the helpers and end their threads. */
  stop(): Promise<void>;
}

/** Options of {@link startKernelThreads}. */
export interface KernelThreadsOptions {
  /** Helper threads to start, 1–15; default one per core beyond the first (`os.availableParallelism() − 1`). */
  helpers?: number;
  /** Longest wait for one part of a task, in ms (a helper that died never answers); default 120,000. */
  timeoutMs?: number;
  /**
   * The shared memory the tasks run on; default the wasm backend's. For tests and for running kernel
   * tasks on memory of your own.
   */
  memory?: WebAssembly.Memory;
}

/** Longest a part may take before the kernel throws (ms). */
const DEFAULT_TIMEOUT_MS = 120_000;

interface WasmBackendInternals {
  wasm?: { wasmMemory?: WebAssembly.Memory };
}

/**
 * Start helper threads that share the wasm backend's memory and split the JavaScript loops of the
 * training kernels (`registerTrainingKernels()` from yolov2-ts/models) with the calling thread: batch
 * norm and its gradient, the max-pool gradient, im2col and the Winograd transforms. XNNPACK's own
 * threads only run its convolutions and matrix products, so without helpers those loops use one core.
 *
 * Needs the multi-threaded wasm backend (its memory is shared), as {@link initWasmBackend} with 2 or
 * more threads starts it; returns null (nothing started) when the wasm backend is not initialised or
 * its memory is not shared. The helpers do not keep the process alive. Results do not depend on the
 * number of helpers except for the order of float64 partial sums (batch-norm statistics).
 *
 * @throws ValueError for bad options, YOLOv2Error when helpers are running already or a helper fails to start.
 */
export async function startKernelThreads(options: KernelThreadsOptions = {}): Promise<KernelThreads | null> {
  assertKnownKeys('startKernelThreads', 'options', options, ['helpers', 'timeoutMs', 'memory']);
  const helpers = options.helpers ?? Math.max(1, availableParallelism() - 1);
  if (!Number.isInteger(helpers) || helpers < 1 || helpers > 15) {
    throw new ValueError(`startKernelThreads: 'helpers' must be an integer from 1 to 15, got ${String(helpers)}`);
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (typeof timeoutMs !== 'number' || !(timeoutMs > 0)) {
    throw new ValueError(`startKernelThreads: 'timeoutMs' must be a number > 0, got ${String(timeoutMs)}`);
  }
  const memory = options.memory ?? (tf.findBackend('wasm') as unknown as WasmBackendInternals | undefined)?.wasm?.wasmMemory;
  if (!memory || !(memory.buffer instanceof SharedArrayBuffer)) {
    if (options.memory) throw new ValueError("startKernelThreads: 'memory' must be a shared WebAssembly.Memory");
    return null;
  }
  if (kernelThreadPool() !== null) throw new YOLOv2Error('startKernelThreads: kernel helper threads are running already (stop them first)');


  const file = workerScript('kernel-helper', 'startKernelThreads');
  const states = Array.from({ length: helpers }, () => new SharedArrayBuffer(HELPER_STATE_BYTES));
  const counterBuffer = new SharedArrayBuffer(4);
  const workers: Worker[] = states.map((state) => spawnWorker(file, { memory, state, counter: counterBuffer } satisfies HelperInit));
  try {
    await Promise.all(workers.map((w) => new Promise<void>((resolve, reject) => {
      w.once('message', () => resolve());
      w.once('error', (e) => reject(new YOLOv2Error(`startKernelThreads: a helper failed to start: ${e.message}`)));
    })));
  } catch (e) {
    await Promise.all(workers.map((w) => w.terminate()));
    throw e;
  }
  for (const w of workers) w.unref();
  const words = states.map((s) => new Int32Array(s, 0, 1));

  const pool: KernelThreadPool = {
    helpers,
    sharesHeap: (heap) => heap === memory.buffer,
    post(helper: number, task: KernelTaskName, args: readonly number[], lo: number, hi: number, part: number) {
      Atomics.store(words[helper], 0, HELPER_BUSY);
      workers[helper].postMessage({ task, args, lo, hi, part } satisfies HelperRequest);
    },
    counter: new Int32Array(counterBuffer),
    postShared(helper: number, task: KernelTaskName, args: readonly number[], n: number, grain: number, part: number) {
      Atomics.store(words[helper], 0, HELPER_BUSY);
      workers[helper].postMessage({ task, args, lo: 0, hi: n, part, grain } satisfies HelperRequest);
    },
    wait(helper: number) {
      const word = words[helper];
      const start = Date.now();
      while (Atomics.load(word, 0) === HELPER_BUSY) {
        if (Atomics.wait(word, 0, HELPER_BUSY, 1000) === 'timed-out' && Date.now() - start > timeoutMs) {
          throw new YOLOv2Error(`kernel helper thread ${helper} did not finish its part within ${timeoutMs} ms`);
        }
      }
      if (Atomics.load(word, 0) === HELPER_FAILED) {
        throw new YOLOv2Error(`kernel helper thread ${helper} failed: ${readHelperError(states[helper])}`);
      }
      if (Atomics.load(word, 0) !== HELPER_DONE) throw new YOLOv2Error(`kernel helper thread ${helper}: bad state`);
    },
  };
  setKernelThreadPool(pool);
  return {
    helpers,
    async stop() {
      if (kernelThreadPool() === pool) setKernelThreadPool(null);
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
