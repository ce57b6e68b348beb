/**
 * Shared benchmark helpers: backend set-up, median timing and JSON-line output.
 * Every benchmark prints one JSON line per measurement: {"name","backend","medianMs",...}.
 */
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
// Under tsx, Node resolves '@tensorflow/tfjs-core' to its CJS bundle and the ESM deep import of
// register_all_gradients fails (directory import); require() loads it, and the gradients land in
// tfjs-core's global kernel registry.
createRequire(import.meta.url)('@tensorflow/tfjs-core/dist/register_all_gradients');
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { initWasmBackend, logicalCores } from '../src/node/runtime/wasm-threads.js';

/** The backends a benchmark runs on: `BENCH_BACKENDS=cpu,wasm` (default both). */
export function benchBackends(defaults: string[] = ['cpu', 'wasm']): string[] {
  const env = process.env.BENCH_BACKENDS;
  return env ? env.split(',').map((s) => s.trim()).filter(Boolean) : defaults;
}

/** XNNPACK threads of the wasm backend once started (`BENCH_WASM_THREADS`, default: the logical cores). */
let wasmThreads: number | undefined;
let kernelHelpers = 0;

/** Activate a backend and wait for it; wasm starts with `BENCH_WASM_THREADS` threads (see initWasmBackend). */
export async function useBackend(name: string): Promise<void> {
  if (name === 'wasm') {
    const threads = process.env.BENCH_WASM_THREADS ? Number(process.env.BENCH_WASM_THREADS) : logicalCores();
    const init = await initWasmBackend(threads, { kernelHelpers: process.env.BENCH_KERNEL_HELPERS !== '0' });
    wasmThreads = init.threads;
    kernelHelpers = init.kernelHelpers;
    if (init.fallbackReason) console.error(`wasm threads unavailable: ${init.fallbackReason}`);
    return;
  }
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`backend '${name}' failed to initialise`);
  await tf.ready();
}

/** Median of a list of numbers. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Time `fn` (sync or async) `iterations` times after `warmup` untimed runs; returns the median and
 * the spread in milliseconds, and the median CPU time of the process (user + system, all threads,
 * `process.cpuUsage`) per call: on a loaded machine the CPU time moves far less than the wall time.
 */
export async function measure(
  fn: () => unknown | Promise<unknown>,
  { iterations = 20, warmup = 3 }: { iterations?: number; warmup?: number } = {},
): Promise<{ medianMs: number; minMs: number; maxMs: number; iterations: number; cpuMedianMs: number }> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { medianMs: round(median(times)), minMs: round(Math.min(...times)), maxMs: round(Math.max(...times)), iterations, cpuMedianMs: round(median(cpu)) };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** Print one result line. */
export function report(result: Record<string, unknown>): void {
  console.log(JSON.stringify(result.backend === 'wasm' && wasmThreads !== undefined ? { ...result, threads: wasmThreads, kernelHelpers } : result));
}
