/**
 * Reading the two-file checkpoints of yolov2-ts before format version 2: `checkpoint.json` (counters,
 * RNG state, tensor table, byte length and FNV-1a checksum of the binary) and `checkpoint.bin` (the
 * float32 values). The metadata is validated field by field as in the current format.
 *
 * @packageDocumentation
 * @internal
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FormatError } from '../../errors.js';
import { checkpointFromMeta, fnv1a, type Checkpoint } from './checkpoint-format.js';

/** Read `dir/checkpoint.json` + `dir/checkpoint.bin`. @throws {@link FormatError} naming the file. @internal */
export async function loadLegacyCheckpoint(dir: string): Promise<Checkpoint> {
  const json = join(dir, 'checkpoint.json');
  const bin = join(dir, 'checkpoint.bin');
  let text: string;
  let raw: Buffer;
  try {
    text = await readFile(json, 'utf8');
    raw = await readFile(bin);
  } catch (e) {
    throw new FormatError(`loadCheckpoint: cannot read the checkpoint in ${dir}: ${(e as Error).message}`, dir);
  }
  let meta: Record<string, unknown>;
  try {
    meta = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new FormatError(`loadCheckpoint: ${json} is not valid JSON (${(e as Error).message})`, json);
  }
  if (typeof meta !== 'object' || meta === null || meta.format !== 'yolov2-ts-checkpoint' || meta.version !== 1) {
    throw new FormatError(`loadCheckpoint: ${json} must have format 'yolov2-ts-checkpoint' version 1, got ${JSON.stringify(meta?.format)} version ${JSON.stringify(meta?.version)}`, json);
  }
  if (raw.length !== meta.byteLength) {
    throw new FormatError(`loadCheckpoint: ${bin} must hold ${JSON.stringify(meta.byteLength)} bytes, got ${raw.length} (truncated or replaced)`, bin);
  }
  const bytes = new Uint8Array(raw.buffer, raw.byteOffset, raw.length);
  const sum = fnv1a(bytes);
  if (sum !== meta.checksum) {
    throw new FormatError(`loadCheckpoint: ${bin} checksum ${sum} does not match ${JSON.stringify(meta.checksum)} in ${json} (corrupted)`, bin);
  }
  // the writer of version 1 stored `rngState: null` for a run without a data RNG
  const { rngState, ...rest } = meta;
  return checkpointFromMeta(rngState === null ? rest : meta, new Float32Array(bytes.slice().buffer), json);
}
