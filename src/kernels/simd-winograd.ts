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
 * Each 2-D transform is two passes of 1-D transforms (rows, then columns) held in locals, each written
 * out as linear combinations (±1 coefficients as additions and subtractions, the others as
 * multiplications by constants; for F(4×4) the shared sums are taken once), in float32 lanes. The
 * pointers stay put during a tile: lanes are addressed as pointer + channel offset. Pixels outside the
 * input point into a zero buffer, outputs outside the image into a scratch sink (both sized by the
 * caller for the advance over a run).
 *
 * @internal
 * @packageDocumentation
 */
import { F32, I32, V128, f32x4, f32x4Const, load, op, store, type WasmFunction } from './wasm-asm.js';
import { WINOGRAD_MATRICES, type TileSize } from './winograd-matrices.js';

const { get, set, tee, i32Add, i32Mul, i32LtU } = op;

/** `for (c = 0; c < C4; c += 16) { step }`: the step addresses pointer p's lanes as p + c ({@link at}). */
function channelLoop(C4: number, c: number, step: number[]): number[] {
  return [
    ...op.i32(0), ...set(c), ...op.loop, ...step,
    ...get(c), ...op.i32(16), ...i32Add, ...tee(c), ...get(C4), ...i32LtU, ...op.brIf(0), ...op.end,
  ];
}

/** The address p + c (a pointer local plus the channel offset). */
const at = (p: number, c: number) => [...get(p), ...get(c), ...i32Add];

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

/** A 1-D transform as instructions: `prelude` (sets temporaries), then one value expression per output. */
interface Program {
  prelude: number[];
  outputs: number[][];
}

const add = (...xs: number[][]) => xs.reduce((acc, x) => [...acc, ...x, ...f32x4.add]);
const sub = (x: number[], y: number[]) => [...x, ...y, ...f32x4.sub];
const times = (c: number, x: number[]) => [...x, ...f32x4Const(c), ...f32x4.mul];

/**
 * `out_i = Σ_k R[i][k]·x_k` for the rows R of Bᵀ or Aᵀ; x_k from `x(k)` (a local.get). For F(4×4) the
 * shared sums are taken once (in `tmp`, 4 locals): Bᵀ as (x1 + x2), (x3 + x4), (x1 − x2), (x4 − x3),
 * (x3 − x1), (x4 − x2); Aᵀ as (x1 ± x2), (x3 ± x4). For F(2×2) each output is its two or three terms.
 */
function program(which: 'BT' | 'AT', m: TileSize, x: (k: number) => number[], tmp: number[]): Program {
  const R = WINOGRAD_MATRICES[m][which];
  if (m === 2) return { prelude: [], outputs: R.map((row) => combination(row, x)) };
  const [t0, t1, t2, t3] = tmp;
  if (which === 'AT') {
    const prelude = [...add(x(1), x(2)), ...set(t0), ...sub(x(1), x(2)), ...set(t1), ...add(x(3), x(4)), ...set(t2), ...sub(x(3), x(4)), ...set(t3)];
    return {
      prelude,
      outputs: [
        add(x(0), get(t0), get(t2)),
        add(get(t1), times(2, get(t3))),
        add(get(t0), times(4, get(t2))),
        add(get(t1), times(8, get(t3)), x(5)),
      ],
    };
  }
  // Bᵀ rows 1, 2 from (x1 + x2), (x3 + x4), (x1 − x2), (x4 − x3); rows 3, 4 from (x3 − x1), (x4 − x2)
  const prelude = [...add(x(1), x(2)), ...set(t0), ...add(x(3), x(4)), ...set(t1)];
  const out1 = sub(get(t1), times(4, get(t0)));
  const mid = [...sub(x(1), x(2)), ...set(t0), ...sub(x(4), x(3)), ...set(t1)];
  const out2 = add(times(4, get(t0)), get(t1));
  const last = [...sub(x(3), x(1)), ...set(t2), ...sub(x(4), x(2)), ...set(t3)];
  return {
    prelude: [...prelude, ...out1, ...set(tmp[4]), ...mid, ...out2, ...set(tmp[5]), ...last],
    outputs: [
      add(sub(times(4, x(0)), times(5, x(2))), x(4)),
      get(tmp[4]),
      get(tmp[5]),
      add(times(2, get(t2)), get(t3)),
      sub(get(t3), times(2, get(t2))),
      add(sub(times(4, x(1)), times(5, x(3))), x(5)),
    ],
  };
}

function inRow(m: TileSize): WasmFunction {
  const a = m + 2;
  const n2 = a * a;
  const S = Array.from({ length: n2 }, (_, k) => k);
  const D = Array.from({ length: n2 }, (_, k) => n2 + k);
  const C4 = 2 * n2, N = C4 + 1;
  const c = N + 1, t = N + 2; // i32 locals
  let next = N + 3;
  const X = Array.from({ length: a }, () => next++); // v128: a window row
  const T = Array.from({ length: n2 }, () => next++); // v128: the row transforms (Bᵀ applied to rows)
  const tmp = Array.from({ length: 6 }, () => next++);
  const step: number[] = [];
  for (let r = 0; r < a; r++) {
    for (let s2 = 0; s2 < a; s2++) step.push(...at(S[a * r + s2], c), ...load(), ...set(X[s2]));
    const p = program('BT', m, (k) => get(X[k]), tmp);
    step.push(...p.prelude);
    p.outputs.forEach((v, j) => step.push(...v, ...set(T[a * r + j])));
  }
  for (let j = 0; j < a; j++) {
    const p = program('BT', m, (r) => get(T[a * r + j]), tmp);
    step.push(...p.prelude);
    p.outputs.forEach((v, i) => step.push(...at(D[a * i + j], c), ...v, ...store()));
  }
  const body = [...channelLoop(C4, c, step), ...advance(S, C4, m), ...advance(D, C4, 1)];
  return {
    name: `wgIn${m}Row`,
    params: new Array<number>(2 * n2 + 2).fill(I32),
    locals: [I32, I32, ...new Array<number>(next - (N + 3)).fill(V128)],
    body: tileLoop(N, t, body),
  };
}

function outRow(m: TileSize): WasmFunction {
  const a = m + 2;
  const n2 = a * a;
  const Mp = Array.from({ length: n2 }, (_, k) => k);
  const Y = Array.from({ length: m * m }, (_, k) => n2 + k);
  const BIAS = n2 + m * m, C4 = BIAS + 1, N = BIAS + 2, ALPHA = BIAS + 3;
  const c = ALPHA + 1, t = ALPHA + 2; // i32 locals
  let next = ALPHA + 3;
  const X = Array.from({ length: a }, () => next++); // v128: a column of the products
  const Q = Array.from({ length: m * a }, () => next++); // v128: Aᵀ applied to the columns
  const tmp = Array.from({ length: 6 }, () => next++);
  const BV = next++, V = next++, AV = next++; // v128: bias, a value, alpha
  const step: number[] = [...at(BIAS, c), ...load(), ...set(BV)];
  for (let j = 0; j < a; j++) {
    for (let i = 0; i < a; i++) step.push(...at(Mp[a * i + j], c), ...load(), ...set(X[i]));
    const p = program('AT', m, (i) => get(X[i]), tmp);
    step.push(...p.prelude);
    p.outputs.forEach((v, row) => step.push(...v, ...set(Q[a * row + j])));
  }
  for (let row = 0; row < m; row++) {
    const p = program('AT', m, (j) => get(Q[a * row + j]), tmp);
    step.push(...p.prelude);
    p.outputs.forEach((v, q) => {
      step.push(...at(Y[m * row + q], c), ...v, ...get(BV), ...f32x4.add, ...tee(V), ...get(V), ...get(AV), ...f32x4.mul, ...f32x4.max, ...store());
    });
  }
  const body = [...channelLoop(C4, c, step), ...advance(Y, C4, m), ...advance(Mp, C4, 1)];
  return {
    name: `wgOut${m}Row`,
    params: [...new Array<number>(n2 + m * m + 3).fill(I32), F32],
    locals: [I32, I32, ...new Array<number>(next - (ALPHA + 3)).fill(V128)],
    body: [...get(ALPHA), ...f32x4.splat, ...set(AV), ...tileLoop(N, t, body)],
  };
}

/**
 * `wgExpand4(h, hStride, d, dStride, n)`: the second pass of the F(4×4, 3×3) filter transform, U = H Gᵀ,
 * for the weights kept half-transformed (H = G g; `infer-conv.ts`, plan 'winograd4h'): for each of n
 * v128 steps (4 lanes), the three values v_a at `h + a·hStride` give the six `u_j = Σ_a G[j][a]·v_a`,
 * stored at `d + j·dStride`; then h and d move on by 16 bytes. With G's rows [¼, 0, 0], −⅙·[1, ±1, 1],
 * [1/24, ±1/12, ⅙] and [0, 0, 1]: u0 = ¼·v0, u1,2 = −⅙·((v0 + v2) ± v1), u3,4 = (v0/24 + v2/6) ± v1/12,
 * u5 = v2 (the shared sums taken once; the constants are read from G).
 */
function expand4(): WasmFunction {
  const G = WINOGRAD_MATRICES[4].G;
  const H = 0, HS = 1, D = 2, DS = 3, N = 4;
  const END = 5, V0 = 6, V1 = 7, V2 = 8, S = 9, T = 10, U = 11;
  const dst = (j: number, value: number[]) => [...get(D), ...get(DS), ...op.i32(j), ...i32Mul, ...i32Add, ...value, ...store()];
  const step = [
    ...get(H), ...load(), ...set(V0), ...get(H), ...get(HS), ...i32Add, ...load(), ...set(V1),
    ...get(H), ...get(HS), ...get(HS), ...i32Add, ...i32Add, ...load(), ...set(V2),
    ...dst(0, times(G[0][0], get(V0))),
    ...add(get(V0), get(V2)), ...set(S),
    ...dst(1, times(G[1][0], add(get(S), get(V1)))),
    ...dst(2, times(G[2][0], sub(get(S), get(V1)))),
    ...add(times(G[3][0], get(V0)), times(G[3][2], get(V2))), ...set(T),
    ...times(G[3][1], get(V1)), ...set(U),
    ...dst(3, add(get(T), get(U))),
    ...dst(4, sub(get(T), get(U))),
    ...dst(5, get(V2)),
    ...get(D), ...op.i32(16), ...i32Add, ...set(D),
  ];
  const body = [
    ...get(H), ...get(N), ...op.i32(16), ...i32Mul, ...i32Add, ...set(END),
    ...op.block, ...get(H), ...get(END), ...op.i32GeU, ...op.brIf(0), ...op.loop,
    ...step, ...get(H), ...op.i32(16), ...i32Add, ...tee(H), ...get(END), ...i32LtU, ...op.brIf(0), ...op.end, ...op.end,
  ];
  return { name: 'wgExpand4', params: [I32, I32, I32, I32, I32], locals: [I32, ...new Array<number>(6).fill(V128)], body };
}

/** The five functions of the module doc. */
export function winogradFunctions(): WasmFunction[] {
  return [inRow(2), outRow(2), inRow(4), outRow(4), expand4()];
}

/** The exported functions (byte offsets; C4 = 4·channels; alpha an f32). */
export interface SimdWinograd {
  wgIn2Row(...args: number[]): void;
  wgOut2Row(...args: number[]): void;
  wgIn4Row(...args: number[]): void;
  wgOut4Row(...args: number[]): void;
  wgExpand4(h: number, hStride: number, d: number, dStride: number, n: number): void;
}
