/**
 * Training checkpoints: model weights, optimizer buffers, counters and RNG state, in two files
 * written atomically (temporary file, then rename):
 *
 * - `checkpoint.json`: format tag, version, counters, RNG state, free-form `extra`, and a table of
 *   tensors `{ name, group, shape, offset, length }` plus the byte length and an FNV-1a checksum of the
 *   binary file;
 * - `checkpoint.bin`: the tensors' float32 values, little-endian, back to back.
 *
 * Loading checks everything it can (missing files, bad JSON, wrong format tag, size and checksum) and
 * throws a {@link FormatError} naming the file on any mismatch: a corrupted checkpoint is never
 * half-loaded.
 *
 * @packageDocumentation
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FormatError } from '../../errors.js';

/** One tensor in a checkpoint. */
export interface CheckpointTensor {
  /** Name, for humans (weights are restored by position and shape). */
  name: string;
  /** `'model'` (all model weights, trainable or not, in `model.weights` order) or `'optimizer'`. */
  group: 'model' | 'optimizer';
  /** Shape. */
  shape: number[];
  /** Values, row-major. */
  values: Float32Array;
}

/** Everything a checkpoint holds. */
export interface Checkpoint {
  /** Epochs completed. */
  epoch: number;
  /** Optimizer steps completed. */
  step: number;
  /** Training images seen (darknet's `seen`). */
  seenImages: number;
  /** Serialisable RNG state of the data pipeline, if any. */
  rngState?: unknown;
  /** Free-form JSON data (config, metrics). */
  extra?: Record<string, unknown>;
  /** The tensors. */
  tensors: CheckpointTensor[];
}

const FORMAT = 'yolov2-ts-checkpoint';
const VERSION = 1;

/** FNV-1a 32-bit hash of bytes, as 8 hex digits. */
export function fnv1a(bytes: Uint8Array): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i];
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** Write a checkpoint into `dir` (created if needed), replacing any previous one atomically. */
export async function saveCheckpoint(dir: string, ckpt: Checkpoint): Promise<void> {
  await mkdir(dir, { recursive: true });
  const total = ckpt.tensors.reduce((n, t) => n + t.values.length, 0);
  const data = new Float32Array(total);
  const table: Array<Omit<CheckpointTensor, 'values'> & { offset: number; length: number }> = [];
  let offset = 0;
  for (const t of ckpt.tensors) {
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (size !== t.values.length) {
      throw new FormatError(`saveCheckpoint: tensor '${t.name}' has shape [${t.shape}] but ${t.values.length} values`);
    }
    data.set(t.values, offset);
    table.push({ name: t.name, group: t.group, shape: t.shape, offset, length: t.values.length });
    offset += t.values.length;
  }
  const bytes = new Uint8Array(data.buffer);
  const meta = {
    format: FORMAT,
    version: VERSION,
    epoch: ckpt.epoch,
    step: ckpt.step,
    seenImages: ckpt.seenImages,
    rngState: ckpt.rngState ?? null,
    extra: ckpt.extra ?? {},
    byteLength: bytes.length,
    checksum: fnv1a(bytes),
    tensors: table,
  };
  const bin = join(dir, 'checkpoint.bin');
  const json = join(dir, 'checkpoint.json');
  await writeFile(`${bin}.tmp`, bytes);
  await writeFile(`${json}.tmp`, JSON.stringify(meta, null, 1));
  await rename(`${bin}.tmp`, bin);
  await rename(`${json}.tmp`, json);
}

/**
 * Read a checkpoint written by {@link saveCheckpoint}.
 * @throws {@link FormatError} naming the file: missing, not JSON, wrong format/version, truncated or
 *   oversized binary, checksum mismatch, or a tensor table that does not fit the data.
 */
export async function loadCheckpoint(dir: string): Promise<Checkpoint> {
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
  if (meta.format !== FORMAT || meta.version !== VERSION) {
    throw new FormatError(
      `loadCheckpoint: ${json} must have format '${FORMAT}' version ${VERSION}, got ${JSON.stringify(meta.format)} version ${JSON.stringify(meta.version)}`,
      json,
    );
  }
  if (raw.length !== meta.byteLength) {
    throw new FormatError(`loadCheckpoint: ${bin} must hold ${meta.byteLength} bytes, got ${raw.length} (truncated or replaced)`, bin);
  }
  const bytes = new Uint8Array(raw.buffer, raw.byteOffset, raw.length);
  const sum = fnv1a(bytes);
  if (sum !== meta.checksum) {
    throw new FormatError(`loadCheckpoint: ${bin} checksum ${sum} does not match ${String(meta.checksum)} in ${json} (corrupted)`, bin);
  }
  const data = new Float32Array(bytes.slice().buffer);
  const table = meta.tensors as Array<{ name: string; group: 'model' | 'optimizer'; shape: number[]; offset: number; length: number }>;
  if (!Array.isArray(table)) throw new FormatError(`loadCheckpoint: ${json} has no tensor table`, json);
  const tensors = table.map((t, i) => {
    const size = Array.isArray(t.shape) ? t.shape.reduce((a, b) => a * b, 1) : NaN;
    if (!(size === t.length && t.offset >= 0 && t.offset + t.length <= data.length)) {
      throw new FormatError(`loadCheckpoint: ${json} tensor ${i} ('${t.name}') does not fit the ${data.length} stored values`, json);
    }
    return { name: t.name, group: t.group, shape: t.shape, values: data.subarray(t.offset, t.offset + t.length) };
  });
  return {
    epoch: Number(meta.epoch),
    step: Number(meta.step),
    seenImages: Number(meta.seenImages),
    rngState: meta.rngState ?? undefined,
    extra: (meta.extra as Record<string, unknown>) ?? {},
    tensors,
  };
}
