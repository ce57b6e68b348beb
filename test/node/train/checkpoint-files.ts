/** Read one checkpoint file directly (not the newest of a directory), for tests that compare two. */
import { readFileSync } from 'node:fs';
import { decodeCheckpoint } from '../../../src/node/train/checkpoint-format.js';
import type { Checkpoint } from '../../../src/node/train/checkpoint.js';

export function loadCheckpointFile(file: string): Checkpoint {
  const raw = readFileSync(file);
  return decodeCheckpoint(new Uint8Array(raw.buffer, raw.byteOffset, raw.length), file);
}
