/**
 * Finding and starting this package's worker-thread scripts (the gradient workers, the kernel helper
 * threads), from the built package or from the TypeScript sources.
 *
 * @internal
 * @packageDocumentation
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { YOLOv2Error } from '../../errors.js';

/** The package's worker-thread scripts: their file in `dist/node/` and their source under `src/node/`. */
const WORKER_SOURCES = {
  'gradient-worker': 'train/gradient-worker-thread',
  'kernel-helper': 'runtime/kernel-helper-thread',
} as const;

/** The name of one of the package's worker-thread scripts. */
export type WorkerName = keyof typeof WORKER_SOURCES;

/**
 * The worker script `name`: from the TypeScript sources (this module is `src/node/runtime/worker-script.ts`)
 * its source file under `src/node/`; from the built package `dist/node/<name>.js` (or `.cjs`), next to this
 * module or under `node/` when this module sits in a dist chunk.
 * @throws YOLOv2Error when it is not there.
 */
export function workerScript(name: WorkerName, who: string): string {
  const here = fileURLToPath(import.meta.url);
  const dir = dirname(here);
  const candidates =
    extname(here) === '.ts'
      ? [join(dir, '..', `${WORKER_SOURCES[name]}.ts`)]
      : [extname(here) === '.cjs' ? '.cjs' : '.js'].flatMap((ext) => [join(dir, `${name}${ext}`), join(dir, 'node', `${name}${ext}`)]);
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new YOLOv2Error(`${who}: no worker script next to ${here} (looked for ${candidates.join(', ')})`);
  return found;
}

/**
 * Start a worker script. A TypeScript script (running from the sources: tests, tsx) is loaded through
 * tsx's loader, registered inside the worker; tsx is then a dev dependency of the caller.
 */
export function spawnWorker(file: string, workerData: unknown): Worker {
  if (!file.endsWith('.ts')) return new Worker(file, { workerData });
  // require.resolve gives the CommonJS build of the API; its ESM twin sits next to it
  const cjs = createRequire(import.meta.url).resolve('tsx/esm/api');
  const tsxApi = pathToFileURL(cjs.replace(/\.cjs$/, '.mjs')).href;
  const boot = `import(${JSON.stringify(tsxApi)}).then((api) => { api.register(); return import(${JSON.stringify(pathToFileURL(file).href)}); })`;
  return new Worker(boot, { eval: true, workerData });
}
