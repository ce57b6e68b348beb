/**
 * Training checkpoints on disk: one self-describing file per checkpoint (`ckpt-<step>.bin`, see
 * checkpoint-format.ts), written so that a crash at any instant leaves the last complete checkpoint
 * loadable:
 *
 * 1. the bytes go to `ckpt-<step>.bin.tmp`, which is flushed to the disk (fsync) and closed;
 * 2. one rename makes it `ckpt-<step>.bin` (atomic on POSIX file systems), and the directory is synced;
 * 3. only then are the checkpoints older than the last `keepLast` and stale temporary files deleted.
 *
 * Loading reads the newest `ckpt-*.bin` and verifies it whole (checksum, lengths, every metadata
 * field). The two-file format of earlier versions (`checkpoint.json` + `checkpoint.bin`) is still read
 * when a directory holds no `ckpt-*.bin`.
 *
 * @packageDocumentation
 */
import { mkdir, open, readFile, readdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { FormatError } from '../../errors.js';
import { assertKnownKeys, assertNumber } from '../../validate.js';
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint } from './checkpoint-format.js';
import { loadLegacyCheckpoint } from './checkpoint-legacy.js';

export type { Checkpoint, CheckpointTensor } from './checkpoint-format.js';
export { fnv1a } from './checkpoint-format.js';

/** Options of {@link saveCheckpoint}. */
export interface SaveCheckpointOptions {
  /** Checkpoints kept in the directory, the newest included (integer ≥ 1, default 2). */
  keepLast?: number;
}

/** The file-system calls a checkpoint write makes, one by one (a seam for failure tests). @internal */
export interface CheckpointFs {
  mkdir(path: string): Promise<unknown>;
  open(path: string, flags: string): Promise<{ writeFile(data: Uint8Array): Promise<void>; sync(): Promise<void>; close(): Promise<void> }>;
  rename(from: string, to: string): Promise<void>;
  readdir(path: string): Promise<string[]>;
  unlink(path: string): Promise<void>;
}

const nodeFs: CheckpointFs = { mkdir: (p) => mkdir(p, { recursive: true }), open, rename, readdir, unlink };

const COMPLETE = /^ckpt-(\d+)\.bin$/;
const PARTIAL = /^(ckpt-\d+\.bin|checkpoint\.(bin|json))\.tmp$/;

/** The file name of the checkpoint after `step` steps. */
export function checkpointFileName(step: number): string {
  return `ckpt-${String(step).padStart(9, '0')}.bin`;
}

/**
 * Write a checkpoint into `dir` (created if needed) as `ckpt-<step>.bin`, atomically, then delete all
 * but the newest `keepLast` checkpoints.
 * @throws ValueError for a non-finite value (naming the tensor), bad counters or bad options.
 */
export async function saveCheckpoint(dir: string, ckpt: Checkpoint, options: SaveCheckpointOptions = {}): Promise<void> {
  assertKnownKeys('saveCheckpoint', 'options', options, ['keepLast']);
  const keepLast = options.keepLast ?? 2;
  assertNumber('saveCheckpoint', 'keepLast', keepLast, { min: 1, integer: true });
  await saveCheckpointWith(nodeFs, dir, ckpt, keepLast);
}

/** {@link saveCheckpoint} through the given file-system calls. @internal */
export async function saveCheckpointWith(fs: CheckpointFs, dir: string, ckpt: Checkpoint, keepLast: number): Promise<void> {
  const bytes = encodeCheckpoint(ckpt);
  await fs.mkdir(dir);
  const file = join(dir, checkpointFileName(ckpt.step));
  const handle = await fs.open(`${file}.tmp`, 'w');
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.rename(`${file}.tmp`, file);
  await syncDirectory(fs, dir);
  const names = await fs.readdir(dir);
  const complete = names.filter((n) => COMPLETE.test(n)).sort((a, b) => stepOf(b) - stepOf(a));
  const stale = [...complete.slice(keepLast), ...names.filter((n) => PARTIAL.test(n))];
  for (const name of stale) await fs.unlink(join(dir, name));
}

/** Make the rename durable (POSIX: fsync the directory); skipped where directories cannot be opened. */
async function syncDirectory(fs: CheckpointFs, dir: string): Promise<void> {
  let handle: Awaited<ReturnType<CheckpointFs['open']>>;
  try {
    handle = await fs.open(dir, 'r');
  } catch {
    return;
  }
  try {
    await handle.sync();
  } catch {
    // some platforms (Windows) cannot fsync a directory
  } finally {
    await handle.close();
  }
}

function stepOf(name: string): number {
  return Number(COMPLETE.exec(name)?.[1] ?? -1);
}

/** What a checkpoint directory holds. @internal */
export interface CheckpointListing {
  /** Complete checkpoint files, newest first. */
  complete: string[];
  /** Temporary files of interrupted writes. */
  partial: string[];
  /** The two-file checkpoint of earlier versions is there. */
  legacy: boolean;
}

/** List `dir`'s checkpoint files (an absent directory holds none). @internal */
export async function listCheckpoints(dir: string): Promise<CheckpointListing> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { complete: [], partial: [], legacy: false };
    throw new FormatError(`loadCheckpoint: cannot read the directory ${dir}: ${(e as Error).message}`, dir);
  }
  return {
    complete: names.filter((n) => COMPLETE.test(n)).sort((a, b) => stepOf(b) - stepOf(a)),
    partial: names.filter((n) => PARTIAL.test(n)),
    legacy: names.includes('checkpoint.json'),
  };
}

/**
 * Read the newest checkpoint in `dir`, verified whole.
 * @throws {@link FormatError} naming the file: no checkpoint (or only partial files of an interrupted
 *   write), not a checkpoint, wrong version, checksum mismatch, a bad metadata field (named, with what
 *   was expected and what arrived), or a tensor table that does not fit the data.
 */
export async function loadCheckpoint(dir: string): Promise<Checkpoint> {
  const found = await listCheckpoints(dir);
  const newest = found.complete[0];
  if (newest === undefined) {
    if (found.legacy) return loadLegacyCheckpoint(dir);
    const what = found.partial.length > 0
      ? `only partial files of an interrupted write (${found.partial.join(', ')}) and no complete checkpoint; delete them (or the directory) to start over`
      : 'no checkpoint (no ckpt-<step>.bin file)';
    throw new FormatError(`loadCheckpoint: ${dir} holds ${what}`, dir);
  }
  const file = join(dir, newest);
  let raw: Buffer;
  try {
    raw = await readFile(file);
  } catch (e) {
    throw new FormatError(`loadCheckpoint: cannot read ${file}: ${(e as Error).message}`, file);
  }
  return decodeCheckpoint(new Uint8Array(raw.buffer, raw.byteOffset, raw.length), file);
}
