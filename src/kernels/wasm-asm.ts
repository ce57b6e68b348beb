/**
 * A minimal WebAssembly assembler: the encodings, instructions and module layout used by the SIMD loops
 * of `simd.ts` and `simd-gemm.ts` (no build step, no binary blob: the modules are assembled at run time
 * from the instructions written out in those files). Only what they use is here.
 *
 * @internal
 * @packageDocumentation
 */

export const I32 = 0x7f;
export const F32 = 0x7d;
export const V128 = 0x7b;

export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

export function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const str = (s: string): number[] => vec([...s].map((ch) => [ch.charCodeAt(0)]));
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];

/** Instructions used by the modules. */
export const op = {
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  end: [0x0b],
  brIf: (depth: number) => [0x0d, ...uleb(depth)],
  get: (i: number) => [0x20, ...uleb(i)],
  set: (i: number) => [0x21, ...uleb(i)],
  tee: (i: number) => [0x22, ...uleb(i)],
  i32: (v: number) => [0x41, ...sleb(v)],
  i32Add: [0x6a],
  i32Sub: [0x6b],
  i32Mul: [0x6c],
  i32Eq: [0x46],
  i32Eqz: [0x45],
  i32GeU: [0x4f],
  i32LtU: [0x49],
  select: [0x1b],
  simd: (code: number, ...imm: number[]) => [0xfd, ...uleb(code), ...imm],
  /** Bulk memory: `memory.copy` (dst, src, bytes) and `memory.fill` (dst, byte value, bytes). */
  memoryCopy: [0xfc, ...uleb(10), 0x00, 0x00],
  memoryFill: [0xfc, ...uleb(11), 0x00],
};
/** v128.load / v128.store (align 2^4) at a constant byte offset from the address on the stack. */
export const load = (offset = 0) => op.simd(0x00, 4, ...uleb(offset));
export const store = (offset = 0) => op.simd(0x0b, 4, ...uleb(offset));
/** v128.load32_splat: one f32 at the address (+ offset) in all four lanes. */
export const loadSplat = (offset = 0) => op.simd(0x09, 2, ...uleb(offset));
export const f32x4 = {
  splat: op.simd(0x13), gt: op.simd(0x44), neg: op.simd(0xe1), add: op.simd(0xe4), sub: op.simd(0xe5), mul: op.simd(0xe6), max: op.simd(0xe9),
  /** Relaxed SIMD `f32x4.relaxed_madd(a, b, c)` = a·b + c, fused (one rounding) where the CPU has FMA. */
  relaxedMadd: op.simd(0x105),
};
export const f64x2 = { add: op.simd(0xf0), sub: op.simd(0xf1), mul: op.simd(0xf2), promoteLow: op.simd(0x5f) };
export const bitselect = op.simd(0x52);

/** v128.const with `v` (a float32) in all four lanes. */
export function f32x4Const(v: number): number[] {
  const bytes = new Uint8Array(new Float32Array([v, v, v, v]).buffer);
  return op.simd(0x0c, ...bytes);
}

/** v128.const 0. */
export function zeroF32x4(): number[] {
  return op.simd(0x0c, ...new Array<number>(16).fill(0));
}

/**
 * Whether this runtime validates relaxed SIMD's `f32x4.relaxed_madd` (Chrome 114+, Node 22+; Node 20
 * with V8's `--experimental-wasm-relaxed-simd`, which yolov2-ts/node's `initWasmBackend` turns on).
 */
export function relaxedSimdSupported(): boolean {
  const probe: WasmFunction = {
    name: 'f', params: [], locals: [V128],
    body: [...op.get(0), ...op.get(0), ...op.get(0), ...f32x4.relaxedMadd, ...op.set(0)],
  };
  try {
    return WebAssembly.validate(moduleBytes([probe], false));
  } catch {
    return false;
  }
}

/** A function of a module: exported under `name`; locals are numbered params first, then `locals`. */
export interface WasmFunction {
  name: string;
  params: number[];
  locals: number[];
  body: number[];
}

/** A module of `fns` importing `env.memory` (`shared`: a shared memory, limits 1 … 65536 pages). */
export function moduleBytes(fns: WasmFunction[], shared: boolean): Uint8Array<ArrayBuffer> {
  const types = fns.map((f) => [0x60, ...vec(f.params.map((t) => [t])), 0x00]);
  const memoryLimits = shared ? [0x03, ...uleb(1), ...uleb(65536)] : [0x00, ...uleb(1)];
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(2, vec([[...str('env'), ...str('memory'), 0x02, ...memoryLimits]])),
    ...section(3, vec(fns.map((_, i) => uleb(i)))),
    ...section(7, vec(fns.map((f, i) => [...str(f.name), 0x00, ...uleb(i)]))),
    ...section(10, vec(fns.map((f) => {
      const body = [...vec(f.locals.map((t) => [1, t])), ...f.body, ...op.end];
      return [...uleb(body.length), ...body];
    }))),
  ];
  return new Uint8Array(bytes);
}
