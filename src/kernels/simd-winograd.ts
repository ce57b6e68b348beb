/**
 * WebAssembly SIMD Winograd transforms of the inference convolution (`infer-conv.ts`) for
 * F(2×2, 3×3) and F(4×4, 3×3), over a run of consecutive tiles of one tile row, four channels per step
 * (C a multiple of 4). For output tile size m the window is a = m + 2 pixels wide, and (with the
 * matrices of `winograd-matrices.ts`):
 *
 * - `wgIn{m}Row(s_0 … s_{a²−1}, d_0 … d_{a²−1}, C4, n)`: for n tiles, `d_ξ = (Bᵀ s B)_ξ`, s the a×a
 *   window whose pixels start at byte offsets s_k (k = a·row + column; channel-contiguous), d_ξ the
 *   tile's row of V[ξ]. After a tile the window moves m pixels right (s += m·C4) and the rows of V one
 *   row down (d += C4); C4 = 4C is a pixel's size in bytes.
 * - `wgOut{m}Row(m_0 … m_{a²−1}, y_0 … y_{m²−1}, bias, C4, n, alpha)`: for n tiles, the m×m outputs
 *   `max(v, α·v)`, v = (Aᵀ M A) + bias, M the tile's rows of the a² products; y_k the byte offset of
 *   output pixel k = m·row + column. After a tile M += C4, y += m·C4.
 *
 * Each matrix product is written out as linear combinations: ±1 coefficients as additions and
 * subtractions, the others as multiplications by constants, in float32 lanes. Pixels outside the input
 * point into a zero buffer, outputs outside the image into a scratch sink (both sized by the caller for
 * the advance over a run).
 *
 * @internal
 * @packageDocumentation
 */
import { F32, I32, V128, f32x4, f32x4Const, load, op, store, type WasmFunction } from './wasm-asm.js';
import { WINOGRAD_MATRICES, type TileSize } from './winograd-matrices.js';

const { get, set, tee, i32Add, i32Mul, i32LtU } = op;

/** `for (c = 0; c < C4; c += 16) { step; every pointer += 16 }`. */
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

/** `Σ_k c_k·x_k` over the nonzero coefficients, `push(k)` putting x_k on the stack. */
function combination(coefficients: readonly number[], push: (k: number) => number[]): number[] {
  const out: number[] = [];
  let first = true;
  coefficients.forEach((c, k) => {
    if (c === 0) return;
    out.push(...push(k));
    const size = first ? c : Math.abs(c);
    if (size === -1) out.push(...f32x4.neg);
    else if (size !== 1) out.push(...f32x4Const(size), ...f32x4.mul);
    if (!first) out.push(...(c > 0 ? f32x4.add : f32x4.sub));
    first = false;
  });
  return out;
}

function inRow(m: TileSize): WasmFunction {
  const { BT } = WINOGRAD_MATRICES[m];
  const a = m + 2;
  const n2 = a * a;
  const S = Array.from({ length: n2 }, (_, k) => k);
  const D = Array.from({ length: n2 }, (_, k) => n2 + k);
  const C4 = 2 * n2, N = C4 + 1;
  const c = N + 1, t = N + 2; // i32 locals
  const X = Array.from({ length: a }, (_, r) => N + 3 + r); // v128: column combination j of each window row
  const step: number[] = [];
  for (let j = 0; j < a; j++) {
    for (let r = 0; r < a; r++) step.push(...combination(BT[j], (s) => [...get(S[a * r + s]), ...load()]), ...set(X[r]));
    for (let i = 0; i < a; i++) step.push(...get(D[a * i + j]), ...combination(BT[i], (r) => get(X[r])), ...store());
  }
  const body = [...channelLoop([...S, ...D], C4, c, step), ...advance(S, C4, m - 1)];
  return {
    name: `wgIn${m}Row`,
    params: new Array<number>(2 * n2 + 2).fill(I32),
    locals: [I32, I32, ...new Array<number>(a).fill(V128)],
    body: tileLoop(N, t, body),
  };
}

function outRow(m: TileSize): WasmFunction {
  const { AT } = WINOGRAD_MATRICES[m];
  const a = m + 2;
  const n2 = a * a;
  const Mp = Array.from({ length: n2 }, (_, k) => k);
  const Y = Array.from({ length: m * m }, (_, k) => n2 + k);
  const BIAS = n2 + m * m, C4 = BIAS + 1, N = BIAS + 2, ALPHA = BIAS + 3;
  const c = ALPHA + 1, t = ALPHA + 2, bias0 = ALPHA + 3; // i32 locals
  const Q = Array.from({ length: a }, (_, j) => ALPHA + 4 + j); // v128: row combination p of each column
  const BV = ALPHA + 4 + a, V = BV + 1; // v128: bias, a value
  const step: number[] = [...get(BIAS), ...load(), ...set(BV)];
  for (let p = 0; p < m; p++) {
    for (let j = 0; j < a; j++) step.push(...combination(AT[p], (i) => [...get(Mp[a * i + j]), ...load()]), ...set(Q[j]));
    for (let q = 0; q < m; q++) {
      step.push(...get(Y[m * p + q]), ...combination(AT[q], (j) => get(Q[j])));
      step.push(...get(BV), ...f32x4.add, ...tee(V), ...get(V), ...get(ALPHA), ...f32x4.splat, ...f32x4.mul, ...f32x4.max, ...store());
    }
  }
  const body = [
    ...get(BIAS), ...set(bias0),
    ...channelLoop([...Mp, ...Y, BIAS], C4, c, step),
    ...get(bias0), ...set(BIAS),
    ...advance(Y, C4, m - 1),
  ];
  return {
    name: `wgOut${m}Row`,
    params: [...new Array<number>(n2 + m * m + 3).fill(I32), F32],
    locals: [I32, I32, I32, ...new Array<number>(a + 2).fill(V128)],
    body: tileLoop(N, t, body),
  };
}

/** The four functions of the module doc. */
export function winogradFunctions(): WasmFunction[] {
  return [inRow(2), outRow(2), inRow(4), outRow(4)];
}

/** The exported functions (byte offsets; C4 = 4·channels; alpha an f32). */
export interface SimdWinograd {
  wgIn2Row(...args: number[]): void;
  wgOut2Row(...args: number[]): void;
  wgIn4Row(...args: number[]): void;
  wgOut4Row(...args: number[]): void;
}
