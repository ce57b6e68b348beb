/**
 * WebAssembly SIMD versions of the batch-norm loops of the wasm training kernels, run directly on the
 * wasm backend's heap. JavaScript typed-array loops process one element per operation, even for a plain
 * copy; four lanes per instruction take the four batch-norm passes close to memory speed.
 *
 * The module is assembled below from its instructions (no build step, no binary blob): four functions
 * over byte offsets into the imported memory, each for rows n0 … n1−1 of an `[n, C]` float32 matrix
 * with C a multiple of 4 (the caller falls back to the JS loops otherwise):
 *
 * - `normalize(x, y, C, coef, alpha, n0, n1)`: `y = max(v, α·v)`, v = x·scale + shift (coef = [scale, shift]);
 *   α = 1 for no activation (the caller's α is in [0, 1]).
 * - `gradApply(dx, x, C, coef, n0, n1)`: `dx = k·(dx − a − (x − μ)·b)` (coef = [k, a, b, μ]).
 * - `gradSums(da, x, y, dx, C, mean, lo, sums, n0, n1)`: `dx = dy = (y > 0 ? da : lo·da)`,
 *   `sums[c] += dy`, `sums[C + c] += dy·(x − μ)` in float64.
 * - `moments(x, C, sums, n0, n1)`: `sums[c] += x − k`, `sums[C + c] += (x − k)²` in float64, k = row 0.
 *
 * The same module also carries the matrix products of `simd-gemm.ts`, the Winograd transforms of
 * `simd-winograd.ts` (the inference convolutions) and the max-pool row of `simd-max-pool.ts`; the
 * assembler is `wasm-asm.ts`.
 *
 * Each thread instantiates the module once per memory ({@link bindSimd}); a memory that is shared
 * (multi-threaded backend) needs the shared variant of the import.
 *
 * @internal
 * @packageDocumentation
 */

import { F32, I32, V128, bitselect, f32x4, f64x2, load, moduleBytes, op, relaxedSimdSupported, store, zeroF32x4, type WasmFunction } from './wasm-asm.js';
import { FUSED_SUFFIX, GEMM_NAMES, gemmFunctions, type SimdGemm } from './simd-gemm.js';
import { winogradFunctions, type SimdWinograd } from './simd-winograd.js';
import { maxPoolFunctions, type SimdMaxPool } from './simd-max-pool.js';

/** The high two f32 lanes of the v128 on the stack moved to the low half (for promote_low). */
const highHalf = (local: number) => [...op.get(local), ...op.get(local), ...op.simd(0x0d, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7)];

/**
 * The row/channel loop shared by the four functions: pointer locals advance by 16 bytes a step over
 * rows n0 … n1−1, `c` (the channel's byte offset) wraps at 4C. `body` is the step. Locals: see callers.
 */
function rowLoop(opts: { C: number; n0: number; n1: number; pointers: number[]; c: number; end: number; body: number[] }): number[] {
  const { C, n0, n1, pointers, c, end, body } = opts;
  const rowBytes = [...op.get(C), ...op.i32(4), ...op.i32Mul];
  const out: number[] = [];
  // end = pointers[0] + n1·4C; every pointer += n0·4C; c = 0
  out.push(...op.get(pointers[0]), ...op.get(n1), ...rowBytes, ...op.i32Mul, ...op.i32Add, ...op.set(end));
  for (const p of pointers) out.push(...op.get(p), ...op.get(n0), ...rowBytes, ...op.i32Mul, ...op.i32Add, ...op.set(p));
  out.push(...op.i32(0), ...op.set(c));
  out.push(...op.block, ...op.get(pointers[0]), ...op.get(end), ...op.i32GeU, ...op.brIf(0), ...op.loop, ...body);
  for (const p of pointers) out.push(...op.get(p), ...op.i32(16), ...op.i32Add, ...op.set(p));
  // c = c + 16 == 4C ? 0 : c + 16
  out.push(...op.i32(0), ...op.get(c), ...op.i32(16), ...op.i32Add, ...op.get(c), ...op.i32(16), ...op.i32Add, ...rowBytes, ...op.i32Eq, ...op.select, ...op.set(c));
  out.push(...op.get(pointers[0]), ...op.get(end), ...op.i32LtU, ...op.brIf(0), ...op.end, ...op.end);
  return out;
}

/** Add the f64x2 pair (lanes 0–1 and 2–3 of the f32x4 in `v`, promoted) into sums at `addr` + 0 / + 16. */
function accumulate(addr: number[], v: number): number[] {
  return [
    ...addr, ...addr, ...load(0), ...op.get(v), ...f64x2.promoteLow, ...f64x2.add, ...store(0),
    ...addr, ...addr, ...load(16), ...highHalf(v), ...f64x2.promoteLow, ...f64x2.add, ...store(16),
  ];
}

/**
 * `zeroBytes(dst, bytes)` and `copyRows(dst, src, rows, rowBytes, dstStride, srcStride)` (byte offsets and
 * counts): wasm's bulk memory instructions, which run at memcpy speed where a typed array's `fill` or
 * `set` on a shared heap goes element by element.
 */
function bulkFunctions(): WasmFunction[] {
  const { get, set, tee, i32, i32Add, i32Sub } = op;
  const zeroBytes = [...get(0), ...i32(0), ...get(1), ...op.memoryFill];
  // copyRows(dst 0, src 1, rows 2, rowBytes 3, dstStride 4, srcStride 5)
  const copyRows = [
    ...op.block, ...get(2), ...op.i32Eqz, ...op.brIf(0), ...op.loop,
    ...get(0), ...get(1), ...get(3), ...op.memoryCopy,
    ...get(0), ...get(4), ...i32Add, ...set(0), ...get(1), ...get(5), ...i32Add, ...set(1),
    ...get(2), ...i32(1), ...i32Sub, ...tee(2), ...op.brIf(0), ...op.end, ...op.end,
  ];
  return [
    { name: 'zeroBytes', params: [I32, I32], locals: [], body: zeroBytes },
    { name: 'copyRows', params: [I32, I32, I32, I32, I32, I32], locals: [], body: copyRows },
  ];
}

/** The four functions: [params, extra locals, body]. Locals are numbered params first. */
function functions(): WasmFunction[] {
  // normalize(x 0, y 1, C 2, coef 3, alpha 4: f32, n0 5, n1 6) locals: c 7, end 8 (i32), v 9 (v128)
  const normalize = rowLoop({
    C: 2, n0: 5, n1: 6, pointers: [0, 1], c: 7, end: 8,
    body: [
      ...op.get(1),
      ...op.get(0), ...load(), ...op.get(3), ...op.get(7), ...op.i32Add, ...load(), ...f32x4.mul,
      ...op.get(3), ...op.get(7), ...op.i32Add, ...op.get(2), ...op.i32(4), ...op.i32Mul, ...op.i32Add, ...load(), ...f32x4.add,
      ...op.set(9), ...op.get(9), ...op.get(9), ...op.get(4), ...f32x4.splat, ...f32x4.mul, ...f32x4.max, ...store(),
    ],
  });
  // gradApply(dx 0, x 1, C 2, coef 3, n0 4, n1 5) locals: c 6, end 7, base 8 (coef + c)
  const coefAt = (k: number) => [...op.get(8), ...op.get(2), ...op.i32(4 * k), ...op.i32Mul, ...op.i32Add, ...load()];
  const gradApply = rowLoop({
    C: 2, n0: 4, n1: 5, pointers: [0, 1], c: 6, end: 7,
    body: [
      ...op.get(3), ...op.get(6), ...op.i32Add, ...op.set(8),
      ...op.get(0),
      ...coefAt(0),
      ...op.get(0), ...load(), ...coefAt(1), ...f32x4.sub,
      ...op.get(1), ...load(), ...coefAt(3), ...f32x4.sub, ...coefAt(2), ...f32x4.mul, ...f32x4.sub,
      ...f32x4.mul, ...store(),
    ],
  });
  // gradSums(da 0, x 1, y 2, dx 3, C 4, mean 5, lo 6: f32, sums 7, n0 8, n1 9)
  // locals: c 10, end 11, s 12 (sums + 2c), d 13 (v128), t 14 (v128 scratch)
  const sumsAt = (second: boolean) => [...op.get(12), ...(second ? [...op.get(4), ...op.i32(8), ...op.i32Mul, ...op.i32Add] : [])];
  const promotedHalf = (load128: number[], high: boolean, tmp: number) =>
    high ? [...load128, ...op.set(tmp), ...highHalf(tmp), ...f64x2.promoteLow] : [...load128, ...f64x2.promoteLow];
  const xv = [...op.get(1), ...load()];
  const mv = [...op.get(5), ...op.get(10), ...op.i32Add, ...load()];
  const dxm = (high: boolean) => [
    ...promotedHalf(xv, high, 14), ...promotedHalf(mv, high, 14), ...f64x2.sub,
    ...(high ? highHalf(13) : op.get(13)), ...f64x2.promoteLow, ...f64x2.mul,
  ];
  const gradSumsBody = [
    ...op.get(7), ...op.get(10), ...op.get(10), ...op.i32Add, ...op.i32Add, ...op.set(12),
    ...op.get(0), ...load(), ...op.get(0), ...load(), ...op.get(6), ...f32x4.splat, ...f32x4.mul,
    ...op.get(2), ...load(), ...zeroF32x4(), ...f32x4.gt, ...bitselect, ...op.set(13),
    ...op.get(3), ...op.get(13), ...store(),
    ...accumulate(sumsAt(false), 13),
    // sums[C + c…] += d·(x − μ), two f64 lanes at a time
    ...sumsAt(true), ...sumsAt(true), ...load(0), ...dxm(false), ...f64x2.add, ...store(0),
    ...sumsAt(true), ...sumsAt(true), ...load(16), ...dxm(true), ...f64x2.add, ...store(16),
  ];
  const gradSumsFn = rowLoop({ C: 4, n0: 8, n1: 9, pointers: [0, 1, 2, 3], c: 10, end: 11, body: gradSumsBody });
  // moments(x 0, C 1, sums 2, n0 3, n1 4) locals: c 5, end 6, s 7, t 8 (v128 scratch), x0 9 (i32: row 0)
  const kv = [...op.get(9), ...op.get(5), ...op.i32Add, ...load()];
  const aHalf = (high: boolean) => [...promotedHalf([...op.get(0), ...load()], high, 8), ...promotedHalf(kv, high, 8), ...f64x2.sub];
  const momentsBody = [
    ...op.get(2), ...op.get(5), ...op.get(5), ...op.i32Add, ...op.i32Add, ...op.set(7),
    ...[false, true].flatMap((high) => {
      const at = high ? 16 : 0;
      const s2 = [...op.get(7), ...op.get(1), ...op.i32(8), ...op.i32Mul, ...op.i32Add];
      return [
        ...op.get(7), ...op.get(7), ...load(at), ...aHalf(high), ...f64x2.add, ...store(at),
        ...s2, ...s2, ...load(at), ...aHalf(high), ...aHalf(high), ...f64x2.mul, ...f64x2.add, ...store(at),
      ];
    }),
  ];
  const momentsPrologue = [...op.get(0), ...op.set(9)];
  const moments = [...momentsPrologue, ...rowLoop({ C: 1, n0: 3, n1: 4, pointers: [0], c: 5, end: 6, body: momentsBody })];
  return [
    ...bulkFunctions(),
    { name: 'normalize', params: [I32, I32, I32, I32, F32, I32, I32], locals: [I32, I32, V128], body: normalize },
    { name: 'gradApply', params: [I32, I32, I32, I32, I32, I32], locals: [I32, I32, I32], body: gradApply },
    { name: 'gradSums', params: [I32, I32, I32, I32, I32, I32, F32, I32, I32, I32], locals: [I32, I32, I32, V128, V128], body: gradSumsFn },
    { name: 'moments', params: [I32, I32, I32, I32, I32], locals: [I32, I32, I32, V128, I32], body: moments },
  ];
}


/**
 * The module's bytes; `shared` for a shared memory import (limits 1 … 65536 pages); `fma`: with the
 * fused variants of the matrix products (needs relaxed SIMD).
 */
export function simdModuleBytes(shared: boolean, fma: boolean): Uint8Array<ArrayBuffer> {
  return moduleBytes([...functions(), ...gemmFunctions(fma), ...winogradFunctions(), ...maxPoolFunctions()], shared);
}

/* ---------- instances per memory ---------- */

/**
 * The exported functions (byte offsets; counts; f32 scalars). The matrix products are the fused ones
 * when the runtime has relaxed SIMD (`fused`); `unfused` always holds the product-then-sum ones.
 */
export interface SimdKernels extends SimdGemm, SimdWinograd, SimdMaxPool {
  readonly fused: boolean;
  readonly unfused: SimdGemm;
  normalize(x: number, y: number, C: number, coef: number, alpha: number, n0: number, n1: number): void;
  gradApply(dx: number, x: number, C: number, coef: number, n0: number, n1: number): void;
  gradSums(da: number, x: number, y: number, dx: number, C: number, mean: number, lo: number, sums: number, n0: number, n1: number): void;
  moments(x: number, C: number, sums: number, n0: number, n1: number): void;
  zeroBytes(dst: number, bytes: number): void;
  copyRows(dst: number, src: number, rows: number, rowBytes: number, dstStride: number, srcStride: number): void;
}

const bound: Array<{ memory: WebAssembly.Memory; kernels: SimdKernels }> = [];
const modules = new Map<boolean, WebAssembly.Module | null>();

function compiled(shared: boolean): WebAssembly.Module | null {
  if (!modules.has(shared)) {
    let m: WebAssembly.Module | null = null;
    try {
      m = new WebAssembly.Module(simdModuleBytes(shared, relaxedSimdSupported()));
    } catch {
      m = null; // no WebAssembly SIMD here: the JS loops run
    }
    modules.set(shared, m);
  }
  return modules.get(shared) ?? null;
}

/** Whether this runtime compiles the module (WebAssembly SIMD is supported). */
export function simdSupported(): boolean {
  return compiled(false) !== null;
}

/** Instantiate the kernels on `memory` for this thread (once; later calls are free). */
export function bindSimd(memory: WebAssembly.Memory): SimdKernels | null {
  const hit = bound.find((b) => b.memory === memory);
  if (hit) return hit.kernels;
  const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
  const m = compiled(shared);
  if (!m) return null;
  const exports = new WebAssembly.Instance(m, { env: { memory } }).exports as unknown as Record<string, unknown>;
  const pick = (suffix: string) => Object.fromEntries(GEMM_NAMES.map((name) => [name, exports[name + suffix]])) as unknown as SimdGemm;
  const fused = typeof exports[GEMM_NAMES[0] + FUSED_SUFFIX] === 'function';
  const kernels = { ...exports, ...(fused ? pick(FUSED_SUFFIX) : {}), fused, unfused: pick('') } as unknown as SimdKernels;
  bound.push({ memory, kernels });
  return kernels;
}

/** The kernels bound to the memory whose current buffer is `heap`, if any. */
export function simdFor(heap: ArrayBufferLike): SimdKernels | null {
  for (const b of bound) if (b.memory.buffer === heap) return b.kernels;
  return null;
}

/** {@link simdFor}, throwing when this thread has not bound the kernels to that memory. */
export function simdOf(heap: ArrayBufferLike): SimdKernels {
  const simd = simdFor(heap);
  if (!simd) throw new Error('kernel task: the WebAssembly SIMD module is not bound to this heap on this thread');
  return simd;
}
