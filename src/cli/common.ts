/**
 * What the subcommands share: the usage error (exit 2), number parsing for flags, backend start-up,
 * gradient registration, progress output (a bar on a TTY, plain lines otherwise) and file checks.
 *
 * @packageDocumentation
 */
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { InvalidArgumentError } from 'commander';
import type { BackendName } from '../node/index.js';

// The library (TF.js, sharp, vega) is loaded by the subcommands when they run, so that `--help` and
// usage errors answer quickly.
const require = createRequire(import.meta.url);

/** A usage problem: a missing file, a bad flag value or a bad combination. Printed as one line; exit code 2. */
export class UsageError extends Error {}

/** Options every subcommand accepts (declared on the program). */
export interface GlobalOptions {
  verbose?: boolean;
  backend?: string;
  quiet?: boolean;
}

/** A commander parser for an integer flag `≥ min`. */
export const int = (min = 0) => (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`must be an integer ≥ ${min}`);
  return n;
};

/** A commander parser for a number flag in `[min, max]`. */
export const num = (min = -Infinity, max = Infinity) => (v: string): number => {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < min || n > max) throw new InvalidArgumentError(`must be a number in [${min}, ${max}]`);
  return n;
};

/** A commander parser for one of a list of words. */
export const oneOf = <T extends string>(...allowed: T[]) => (v: string): T => {
  if (!allowed.includes(v as T)) throw new InvalidArgumentError(`must be one of ${allowed.join(', ')}`);
  return v as T;
};

/** Throw a {@link UsageError} unless `path` exists (as a file or folder, as asked). */
export function mustExist(flag: string, path: string, kind: 'file' | 'folder' | 'any' = 'any'): string {
  if (!existsSync(path)) throw new UsageError(`${flag} ${path}: no such ${kind === 'any' ? 'file or folder' : kind}`);
  const st = statSync(path);
  if (kind === 'file' && !st.isFile()) throw new UsageError(`${flag} ${path}: is not a file`);
  if (kind === 'folder' && !st.isDirectory()) throw new UsageError(`${flag} ${path}: is not a folder`);
  return path;
}

/** Start the backend (`--backend`, else the library's default order), quietly. */
export async function startBackend(g: GlobalOptions): Promise<string> {
  const tf = await import('@tensorflow/tfjs-core');
  const { selectBackend } = await import('../node/runtime/select-backend.js');
  const pref = g.backend as BackendName | undefined;
  tf.enableProdMode(); // no debug checks and no "install tfjs-node" banner on every run
  const { backend } = await selectBackend(pref, { log: false, ...(pref ? { strict: true } : {}) });
  return backend;
}

/** Register TF.js's gradients (tfjs-core registers none by itself) before training. */
export async function registerGradients(): Promise<void> {
  const tf = await import('@tensorflow/tfjs-core');
  if (tf.getGradient('Conv2D') !== undefined) return;
  require('@tensorflow/tfjs-core/dist/register_all_gradients');
}

/** A progress display: a bar on a TTY, a plain line every ~10 % otherwise; nothing with `quiet`. */
export interface Progress {
  tick(done: number, note?: string): void;
  stop(): void;
}

/** Make a {@link Progress} for `total` items labelled `what`. */
export function progress(what: string, total: number, g: GlobalOptions): Progress {
  if (g.quiet || total <= 0) return { tick() {}, stop() {} };
  if (process.stderr.isTTY) {
    const cliProgress = require('cli-progress') as typeof import('cli-progress');
    const bar = new cliProgress.SingleBar({ format: `${what} [{bar}] {value}/{total} {note}`, stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic);
    bar.start(total, 0, { note: '' });
    return { tick: (d, note = '') => bar.update(d, { note }), stop: () => bar.stop() };
  }
  let last = -1;
  return {
    tick(done, note = '') {
      const decile = Math.floor((10 * done) / total);
      if (decile !== last || done === total) {
        last = decile;
        process.stderr.write(`${what} ${done}/${total}${note ? ` ${note}` : ''}\n`);
      }
    },
    stop() {},
  };
}

/** Print to stdout unless quiet. */
export function say(g: GlobalOptions, line: string): void {
  if (!g.quiet) process.stdout.write(`${line}\n`);
}
