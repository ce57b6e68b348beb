/**
 * Backend selection for Node: the fastest TF.js backend that is installed and initialises.
 *
 * Order (default): `tensorflow` through `@tensorflow/tfjs-node-gpu` (CUDA), `tensorflow` through
 * `@tensorflow/tfjs-node` (CPU, libtensorflow), `wasm` (`@tensorflow/tfjs-backend-wasm`), `cpu`
 * (`@tensorflow/tfjs-backend-cpu`). Every package is loaded with a dynamic `import()`, so the optional
 * peers are used when present at run time and never required; a missing package or a backend whose
 * initialisation fails is recorded in `tried` and the next one is tried.
 *
 * @packageDocumentation
 */
import * as tf from '@tensorflow/tfjs-core';
import { ValueError, YOLOv2Error, describe } from '../../errors.js';
import { assertKnownKeys, assertNumber } from '../../validate.js';
import type { startKernelThreads } from './kernel-helpers.js';
import { initWasmBackend, logicalCores } from './wasm-threads.js';

/** Backend names `selectBackend` understands. */
export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

/** One attempt: which backend, through which package, and why it failed. */
export interface BackendAttempt {
  backend: BackendName;
  module: string;
  ok: boolean;
  /** The import or initialisation error, first line. */
  error?: string;
}

/** What {@link selectBackend} got. */
export interface SelectBackendResult {
  /** The active backend (`tf.getBackend()`). */
  backend: BackendName;
  /** The package that provided it. */
  module: string;
  /** Every attempt in order, the successful one last. */
  tried: BackendAttempt[];
  /** For `wasm`: XNNPACK's threads (see {@link initWasmBackend}). */
  threads?: number;
  /** For `wasm`: kernel helper threads (see {@link startKernelThreads}); present when this call started some. */
  kernelHelpers?: number;
}

/** Options of {@link selectBackend}. */
export interface SelectBackendOptions {
  /**
   * Only try the preferred backends, no fallback; when none works, throw a {@link YOLOv2Error} listing
   * the attempts [false].
   */
  strict?: boolean;
  /** Where to print the one-line summary: `true` (console.log, default), `false`, or a function. */
  log?: boolean | ((line: string) => void);
  /**
   * Module loader (default: dynamic `import()`); for bundlers and tests. The wasm start itself
   * ({@link initWasmBackend}) loads the installed `@tensorflow/tfjs-backend-wasm`.
   */
  importModule?: (specifier: string) => Promise<unknown>;
  /**
   * Threads for the `wasm` backend, 1…8 (default: the logical cores, at most 8; 1 = the stock
   * single-threaded start).
   * Only used when this call initialises wasm; see {@link initWasmBackend}.
   */
  wasmThreads?: number;
}

/** The candidates in default order. */
export const BACKEND_CANDIDATES: ReadonlyArray<{ backend: BackendName; module: string }> = Object.freeze([
  { backend: 'tensorflow', module: '@tensorflow/tfjs-node-gpu' },
  { backend: 'tensorflow', module: '@tensorflow/tfjs-node' },
  { backend: 'wasm', module: '@tensorflow/tfjs-backend-wasm' },
  { backend: 'cpu', module: '@tensorflow/tfjs-backend-cpu' },
]);

const NAMES: readonly BackendName[] = ['tensorflow', 'wasm', 'cpu'];

function firstLine(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m.split('\n')[0];
}

/**
 * Pick and activate a TF.js backend.
 *
 * @param preference a backend name or a list, tried first in that order; the remaining default
 *   candidates follow unless `strict`. Default: the default order.
 * @returns `{ backend, module, tried }`, e.g. `{ backend: 'wasm', module: '@tensorflow/tfjs-backend-wasm',
 *   tried: [{ backend: 'tensorflow', module: '@tensorflow/tfjs-node-gpu', ok: false, error: "Cannot find
 *   package …" }, …] }`. Prints one line unless `log: false`.
 * @throws {@link ValueError} for an unknown backend name; {@link YOLOv2Error} when nothing initialises.
 */
export async function selectBackend(
  preference?: BackendName | readonly BackendName[],
  options: SelectBackendOptions = {},
): Promise<SelectBackendResult> {
  const prefs: readonly BackendName[] = preference === undefined ? [] : typeof preference === 'string' ? [preference] : preference;
  if (!Array.isArray(prefs) || prefs.some((p) => !NAMES.includes(p))) {
    throw new ValueError(
      `selectBackend: 'preference' must be one of ${NAMES.map((n) => `'${n}'`).join(', ')} or a list of them, got ${describe(preference)}`,
    );
  }
  assertKnownKeys('selectBackend', 'options', options, ['strict', 'log', 'importModule', 'wasmThreads']);
  const { strict = false, log = true, importModule = (s: string) => import(s), wasmThreads = Math.min(8, logicalCores()) } = options;
  assertNumber('selectBackend', 'wasmThreads', wasmThreads, { min: 1, max: 8, integer: true });
  const preferred = prefs.flatMap((p) => BACKEND_CANDIDATES.filter((c) => c.backend === p));
  const rest = strict && prefs.length ? [] : BACKEND_CANDIDATES.filter((c) => !prefs.includes(c.backend));
  const tried: BackendAttempt[] = [];
  for (const c of [...preferred, ...rest]) {
    try {
      await importModule(c.module);
      if (!tf.findBackendFactory(c.backend)) throw new Error(`${c.module} did not register a '${c.backend}' backend`);
      let threads: number | undefined;
      let kernelHelpers = 0;
      let note = '';
      if (c.backend === 'wasm') {
        const init = await initWasmBackend(wasmThreads);
        threads = init.threads;
        note = `, ${threads} thread${threads === 1 ? '' : 's'}${init.fallbackReason ? ` (threads unavailable: ${init.fallbackReason})` : ''}`;
        kernelHelpers = init.kernelHelpers;
        if (kernelHelpers > 0) note += ` + ${kernelHelpers} kernel helper${kernelHelpers === 1 ? '' : 's'}`;
      } else {
        const ok = await tf.setBackend(c.backend);
        if (!ok) throw new Error(`the '${c.backend}' backend failed to initialise`);
        await tf.ready();
      }
      tried.push({ ...c, ok: true });
      const result: SelectBackendResult = {
        backend: c.backend, module: c.module, tried, ...(threads !== undefined ? { threads } : {}), ...(kernelHelpers > 0 ? { kernelHelpers } : {}),
      };
      const failed = tried.filter((t) => !t.ok).map((t) => t.module);
      const line = `yolov2-ts: using TF.js backend '${c.backend}' (${c.module}${note})${failed.length ? `; unavailable: ${failed.join(', ')}` : ''}`;
      if (log === true) console.log(line);
      else if (typeof log === 'function') log(line);
      return result;
    } catch (e) {
      tried.push({ ...c, ok: false, error: firstLine(e) });
    }
  }
  throw new YOLOv2Error(
    `selectBackend: no backend could be initialised; tried ${tried.map((t) => `${t.backend} via ${t.module} (${t.error})`).join('; ')}`,
  );
}
