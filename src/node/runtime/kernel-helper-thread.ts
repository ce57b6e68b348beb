/**
 * The script of a kernel helper thread ({@link startKernelThreads}): runs the parts of the wasm
 * training kernels' loops it is sent, on the wasm backend's shared memory, and reports each as done (or
 * failed, with the message) through its own shared state word.
 *
 * @internal
 * @packageDocumentation
 */
import { parentPort, workerData } from 'node:worker_threads';
import { KERNEL_TASKS, type KernelTaskName } from '../../kernels/tasks.js';
import { bindSimd } from '../../kernels/simd.js';
import { runSharedBlocks } from '../../kernels/thread-pool.js';
import { HELPER_DONE, HELPER_FAILED, type HelperInit, type HelperRequest, writeHelperError } from './kernel-helper-messages.js';

const { memory, state, counter } = workerData as HelperInit;
const word = new Int32Array(state, 0, 1);
const blocks = new Int32Array(counter, 0, 1);
bindSimd(memory); // the SIMD batch-norm loops, on this thread's instance over the shared memory

parentPort?.on('message', (m: HelperRequest) => {
  let outcome = HELPER_DONE;
  try {
    const task = m.task as KernelTaskName;
    if (m.grain !== undefined) runSharedBlocks(blocks, task, memory.buffer, m.args, m.hi, m.grain, m.part);
    else KERNEL_TASKS[task](memory.buffer, m.args, m.lo, m.hi, m.part);
  } catch (e) {
    writeHelperError(state, `${m.task} [${m.lo}, ${m.hi}): ${e instanceof Error ? e.message : String(e)}`);
    outcome = HELPER_FAILED;
  }
  Atomics.store(word, 0, outcome);
  Atomics.notify(word, 0);
});
parentPort?.postMessage('ready');
