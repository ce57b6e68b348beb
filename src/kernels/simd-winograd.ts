/**
 * WebAssembly SIMD Winograd F(2×2, 3×3) transforms of the inference convolution (`infer-conv.ts`), for
 * a run of consecutive tiles of one tile row, four channels per step (C a multiple of 4). The
 * arithmetic is that of `winograd.ts` (`inputTransform`, `outputTransformAct`) in float32 lanes.
 *
 * - `wgInRow(s0 … s15, d0 … d15, C4, n)`: for n tiles, `d_ξ = (Bᵀ s B)_ξ`, s the 4×4 window whose 16
 *   pixels start at byte offsets s0 … s15 (channel-contiguous), d_ξ the tile's row of V[ξ]. After a
 *   tile the window moves two pixels right (s += 2·C4) and the rows of V one row down (d += C4);
 *   C4 = 4C is a pixel's size in bytes.
 * - `wgOutRow(m0 … m15, y0 … y3, bias, C4, n, alpha)`: for n tiles, the 2×2 outputs `max(v, α·v)`,
 *   v = (Aᵀ m A) + bias, m the tile's rows of the 16 products; y0 … y3 are the byte offsets of its
 *   pixels (top-left, top-right, bottom-left, bottom-right). After a tile m += C4, y += 2·C4.
 *
 * Pixels outside the input point into a zero buffer, outputs outside the image into a scratch sink
 * (both sized by the caller for the advance over a run).
 *
 * @internal
 * @packageDocumentation
 */
import { F32, I32, V128, f32x4, load, op, store, type WasmFunction } from './wasm-asm.js';

const { get, set, tee, i32Add, i32Mul, i32LtU } = op;

/** `for (c = 0; c < C4; c += 16) { step; every pointer += 16 }` then `pointer += extra` per pointer. */
function channelLoop(pointers: number[], C4: number, c: number, step: number[]): number[] {
  const out: number[] = [...op.i32(0), ...set(c), ...op.loop, ...step];
  for (const p of pointers) out.push(...get(p), ...op.i32(16), ...i32Add, ...set(p));
  out.push(...get(c), ...op.i32(16), ...i32Add, ...tee(c), ...get(C4), ...i32LtU, ...op.brIf(0), ...op.end);
  return out;
}

/** `pointer += k·C4` for each pointer. */
function advance(pointers: number[], C4: number, k: number): number[] {
  return pointers.flatMap((p) => [...get(p), ...get(C4), ...op.i32(k), ...i32Mul, ...i32Add, ...set(p)]);
}

/** `for (t = 0; t < n; t++) { body }`, n ≥ 1. */
function tileLoop(n: number, t: number, body: number[]): number[] {
  return [...op.i32(0), ...set(t), ...op.loop, ...body, ...get(t), ...op.i32(1), ...i32Add, ...tee(t), ...get(n), ...i32LtU, ...op.brIf(0), ...op.end];
}

/** The row combinations of Bᵀ (and column combinations of B): index pairs and signs, `out_i = ±a ± b`. */
const B_COMBOS: Array<[number, number, 'sub' | 'add']> = [[0, 2, 'sub'], [1, 2, 'add'], [2, 1, 'sub'], [1, 3, 'sub']];

function wgInRow(): WasmFunction {
  const S = Array.from({ length: 16 }, (_, k) => k);
  const D = Array.from({ length: 16 }, (_, k) => 16 + k);
  const C4 = 32, N = 33;
  const c = 34, t = 35; // i32 locals
  const X = [36, 37, 38, 39]; // v128: the column combination j of each of the 4 rows
  const step: number[] = [];
  for (let j = 0; j < 4; j++) {
    const [a, b, how] = B_COMBOS[j];
    for (let r = 0; r < 4; r++) {
      step.push(...get(S[4 * r + a]), ...load(), ...get(S[4 * r + b]), ...load(), ...(how === 'add' ? f32x4.add : f32x4.sub), ...set(X[r]));
    }
    for (let i = 0; i < 4; i++) {
      const [ra, rb, rhow] = B_COMBOS[i];
      step.push(...get(D[4 * i + j]), ...get(X[ra]), ...get(X[rb]), ...(rhow === 'add' ? f32x4.add : f32x4.sub), ...store());
    }
  }
  const body = [...channelLoop([...S, ...D], C4, c, step), ...advance(S, C4, 1)];
  return {
    name: 'wgInRow',
    params: new Array<number>(34).fill(I32),
    locals: [I32, I32, V128, V128, V128, V128],
    body: tileLoop(N, t, body),
  };
}

function wgOutRow(): WasmFunction {
  const Mp = Array.from({ length: 16 }, (_, k) => k);
  const Y = [16, 17, 18, 19];
  const BIAS = 20, C4 = 21, N = 22, ALPHA = 23;
  const c = 24, t = 25, bias0 = 26; // i32 locals
  const Q = [27, 28, 29, 30]; // v128: the row combination of each column
  const BV = 31, V = 32; // v128: bias, a value
  const act = (y: number, a: number[], b: number[], cc: number[], signs: 'uvw' | 'u-v-w') => [
    ...get(y), ...a, ...b, ...(signs === 'uvw' ? f32x4.add : f32x4.sub), ...cc, ...(signs === 'uvw' ? f32x4.add : f32x4.sub),
    ...get(BV), ...f32x4.add, ...tee(V), ...get(V), ...get(ALPHA), ...f32x4.splat, ...f32x4.mul, ...f32x4.max, ...store(),
  ];
  const step: number[] = [...get(BIAS), ...load(), ...set(BV)];
  // Aᵀ rows: u_s = m_s + m_{4+s} + m_{8+s}; w_s = m_{4+s} − m_{8+s} − m_{12+s}
  for (const [row, first, second, third, how] of [[0, 0, 4, 8, 'add'], [1, 4, 8, 12, 'sub']] as const) {
    for (let s = 0; s < 4; s++) {
      const f = how === 'add' ? f32x4.add : f32x4.sub;
      step.push(...get(Mp[first + s]), ...load(), ...get(Mp[second + s]), ...load(), ...f, ...get(Mp[third + s]), ...load(), ...f, ...set(Q[s]));
    }
    // A columns: y_0 = q0 + q1 + q2; y_1 = q1 − q2 − q3
    step.push(...act(Y[2 * row], get(Q[0]), get(Q[1]), get(Q[2]), 'uvw'));
    step.push(...act(Y[2 * row + 1], get(Q[1]), get(Q[2]), get(Q[3]), 'u-v-w'));
  }
  const body = [
    ...get(BIAS), ...set(bias0),
    ...channelLoop([...Mp, ...Y, BIAS], C4, c, step),
    ...get(bias0), ...set(BIAS),
    ...advance(Y, C4, 1),
  ];
  return {
    name: 'wgOutRow',
    params: [...new Array<number>(23).fill(I32), F32],
    locals: [I32, I32, I32, V128, V128, V128, V128, V128, V128],
    body: tileLoop(N, t, body),
  };
}

/** The two functions of the module doc. */
export function winogradFunctions(): WasmFunction[] {
  return [wgInRow(), wgOutRow()];
}

/** The exported functions (byte offsets; C4 = 4·channels; alpha an f32). */
export interface SimdWinograd {
  wgInRow(...args: number[]): void;
  wgOutRow(...args: number[]): void;
}
