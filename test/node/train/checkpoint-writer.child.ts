/**
 * A child process for the crash test (checkpoint-crash.test.ts): writes checkpoints of the form
 * `valuesOf(step)` into the directory given as argv[2], one after another, from the newest one there
 * onwards, until it is killed. Prints "ready" once it starts writing.
 */
import { loadCheckpoint, saveCheckpoint } from '../../../src/node/train/checkpoint.js';
import { valuesOf } from './checkpoint-values.js';

const dir = process.argv[2];
let step = (await loadCheckpoint(dir)).step;
process.stdout.write('ready\n');
for (;;) {
  step++;
  await saveCheckpoint(dir, { epoch: step, step, seenImages: 2 * step, rngState: { n: step }, tensors: [{ name: 'w', group: 'model', shape: [valuesOf(step).length], values: valuesOf(step) }] });
}
