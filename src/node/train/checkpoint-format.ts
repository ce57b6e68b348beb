/**
 * The checkpoint file format: one self-describing file per checkpoint, its checksum covering all of it.
 *
 * ```
 * bytes 0–7    magic "YV2CKPT\n"
 * bytes 8–11   format version (uint32 LE, 2)
 * bytes 12–15  M: byte length of the metadata (uint32 LE, a multiple of 4)
 * next M bytes metadata JSON (UTF-8, padded with spaces): counters, RNG state, extra, tensor table
 * next 4·V     the V float32 values of the tensors (little-endian), back to back
 * last 4 bytes FNV-1a 32-bit hash of every byte before it (uint32 LE)
 * ```
 *
 * Decoding checks the magic, version, every length, the checksum, and each metadata field, and throws
 * a {@link FormatError} naming the file (and the field) on any mismatch: a checkpoint is either read
 * whole or not at all.
 *
 * @packageDocumentation
 */
import { FormatError, ValueError } from '../../errors.js';

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
  /** Epochs completed (integer ≥ 0). */
  epoch: number;
  /** Optimizer steps completed (integer ≥ 0). */
  step: number;
  /** Training images seen (darknet's `seen`, integer ≥ 0). */
  seenImages: number;
  /** Serialisable RNG state of the data pipeline (a JSON object), absent when the run had none. */
  rngState?: unknown;
  /** Free-form JSON data (config, metrics). */
  extra?: Record<string, unknown>;
  /** The tensors (finite values only). */
  tensors: CheckpointTensor[];
}

const MAGIC = 'YV2CKPT\n';
const VERSION = 2;
const HEAD = 16;

/** FNV-1a 32-bit hash of bytes. */
export function fnv1aUint32(bytes: Uint8Array, end = bytes.length): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < end; i++) {
    h ^= bytes[i];
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** FNV-1a 32-bit hash of bytes, as 8 hex digits. */
export function fnv1a(bytes: Uint8Array): string {
  return fnv1aUint32(bytes).toString(16).padStart(8, '0');
}

/** Serialise a checkpoint. @throws ValueError for a tensor whose size or values are bad (named). @internal */
export function encodeCheckpoint(ckpt: Checkpoint): Uint8Array {
  validateMeta(ckpt as unknown as Record<string, unknown>, 'saveCheckpoint', 'the checkpoint', ValueError);
  const table: Array<Omit<CheckpointTensor, 'values'> & { offset: number; length: number }> = [];
  let count = 0;
  for (const t of ckpt.tensors) {
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (size !== t.values.length) throw new ValueError(`saveCheckpoint: tensor '${t.name}' has shape [${t.shape}] but ${t.values.length} values`);
    const bad = t.values.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) {
      throw new ValueError(`saveCheckpoint: tensor '${t.name}' holds ${t.values[bad]} at index ${bad}; a checkpoint stores finite values only (the run diverged: see the training guard in docs/training.md)`);
    }
    table.push({ name: t.name, group: t.group, shape: t.shape.slice(), offset: count, length: size });
    count += size;
  }
  const meta = { epoch: ckpt.epoch, step: ckpt.step, seenImages: ckpt.seenImages, ...(ckpt.rngState === undefined ? {} : { rngState: ckpt.rngState }), extra: ckpt.extra ?? {}, valueCount: count, tensors: table };
  let json = JSON.stringify(meta);
  json += ' '.repeat((4 - (new TextEncoder().encode(json).length % 4)) % 4);
  const metaBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(HEAD + metaBytes.length + 4 * count + 4);
  const view = new DataView(out.buffer);
  out.set(new TextEncoder().encode(MAGIC), 0);
  view.setUint32(8, VERSION, true);
  view.setUint32(12, metaBytes.length, true);
  out.set(metaBytes, HEAD);
  const values = new Float32Array(out.buffer, HEAD + metaBytes.length, count);
  ckpt.tensors.forEach((t, i) => values.set(t.values, table[i].offset));
  view.setUint32(out.length - 4, fnv1aUint32(out, out.length - 4), true);
  return out;
}

/** Parse and verify a checkpoint file's bytes. @throws {@link FormatError} naming `file`. @internal */
export function decodeCheckpoint(bytes: Uint8Array, file: string): Checkpoint {
  const fail = (what: string) => new FormatError(`loadCheckpoint: ${file} ${what}`, file);
  const head = new TextDecoder().decode(bytes.subarray(0, 8));
  if (!MAGIC.startsWith(head) || (bytes.length >= 8 && head !== MAGIC)) throw fail(`is not a yolov2-ts checkpoint (no '${MAGIC.trim()}' header)`);
  if (bytes.length < HEAD + 4) throw fail(`is truncated: ${bytes.length} bytes, less than the ${HEAD + 4} of an empty checkpoint`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const version = view.getUint32(8, true);
  if (version !== VERSION) throw fail(`has format version ${version}; this version of yolov2-ts reads version ${VERSION}`);
  const sum = fnv1aUint32(bytes, bytes.length - 4);
  const stored = view.getUint32(bytes.length - 4, true);
  if (sum !== stored) throw fail(`checksum ${hex(sum)} does not match the stored ${hex(stored)} (corrupted or truncated)`);
  const m = view.getUint32(12, true);
  let meta: Record<string, unknown>;
  try {
    meta = JSON.parse(new TextDecoder().decode(bytes.subarray(HEAD, HEAD + m))) as Record<string, unknown>;
  } catch (e) {
    throw fail(`has metadata that is not valid JSON (${(e as Error).message})`);
  }
  if (typeof meta !== 'object' || meta === null) throw fail('has metadata that is not a JSON object');
  const count = (bytes.length - 4 - HEAD - m) / 4;
  if (meta.valueCount !== count) throw fail(`'valueCount' must be the ${count} stored values, got ${JSON.stringify(meta.valueCount)}`);
  const values = new Float32Array(bytes.slice(HEAD + m, HEAD + m + 4 * count).buffer);
  return checkpointFromMeta(meta, values, file);
}

/** Validate the metadata and cut the values into tensors. @throws {@link FormatError}. @internal */
export function checkpointFromMeta(meta: Record<string, unknown>, values: Float32Array, file: string): Checkpoint {
  validateMeta(meta, 'loadCheckpoint', file, FormatError);
  const table = meta.tensors;
  const bad = (i: number, what: string, got: unknown) =>
    new FormatError(`loadCheckpoint: ${file}: 'tensors[${i}]' ${what}, got ${JSON.stringify(got)}`, file);
  if (!Array.isArray(table)) throw new FormatError(`loadCheckpoint: ${file}: 'tensors' must be an array, got ${JSON.stringify(table)}`, file);
  const tensors = table.map((t: Record<string, unknown>, i): CheckpointTensor => {
    if (typeof t !== 'object' || t === null) throw bad(i, 'must be an object', t);
    if (typeof t.name !== 'string') throw bad(i, "'name' must be a string", t.name);
    if (t.group !== 'model' && t.group !== 'optimizer') throw bad(i, "'group' must be 'model' or 'optimizer'", t.group);
    const shape = t.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) throw bad(i, "'shape' must be an array of integers ≥ 0", shape);
    const size = shape.reduce((a: number, b: number) => a * b, 1);
    const offset = t.offset as number;
    if (t.length !== size || !Number.isInteger(offset) || offset < 0 || offset + size > values.length) {
      throw bad(i, `('${t.name}') must fit the ${values.length} stored values with ${size} values`, { offset: t.offset, length: t.length });
    }
    return { name: t.name, group: t.group, shape: shape as number[], values: values.subarray(offset, offset + size) };
  });
  return {
    epoch: meta.epoch as number,
    step: meta.step as number,
    seenImages: meta.seenImages as number,
    ...(meta.rngState === undefined ? {} : { rngState: meta.rngState }),
    extra: (meta.extra as Record<string, unknown> | undefined) ?? {},
    tensors,
  };
}

/** Check the counters, the RNG state and `extra`, field by field. */
function validateMeta(meta: Record<string, unknown>, fn: string, file: string, E: new (message: string, file?: string) => Error): void {
  for (const field of ['epoch', 'step', 'seenImages']) {
    const v = meta[field];
    if (!(typeof v === 'number' && Number.isSafeInteger(v) && v >= 0)) {
      throw new E(`${fn}: ${file}: '${field}' must be an integer ≥ 0, got ${JSON.stringify(v) ?? 'nothing'}`, file);
    }
  }
  if ('rngState' in meta && meta.rngState !== undefined && (typeof meta.rngState !== 'object' || meta.rngState === null)) {
    throw new E(`${fn}: ${file}: 'rngState' must be the data RNG's state (a JSON object) or absent, got ${JSON.stringify(meta.rngState)}`, file);
  }
  if (meta.extra !== undefined && (typeof meta.extra !== 'object' || meta.extra === null || Array.isArray(meta.extra))) {
    throw new E(`${fn}: ${file}: 'extra' must be a JSON object, got ${JSON.stringify(meta.extra)}`, file);
  }
}

function hex(n: number): string {
  return n.toString(16).padStart(8, '0');
}
