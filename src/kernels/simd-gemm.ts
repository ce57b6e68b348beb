/**
 * WebAssembly SIMD matrix products for the inference convolutions (`winograd-infer.ts`,
 * `gemm-conv.ts`): `C = A · B` with A `[M, K]` (rows `lda` bytes apart), B packed in panels of 8
 * columns (`[N/8, K, 8]`, see {@link packPanels}) and C `[M, N]` (rows `ldc` bytes apart).
 *
 * Each step of the inner loop loads one row of a panel (two f32x4) and one value of each of MR rows of A
 * (`v128.load32_splat`), and adds the products to MR × 8 accumulators held in locals; the K loop runs
 * over a panel that stays in the L1 cache while all row blocks of A pass by. Eight functions are
 * assembled, for MR = 4 and MR = 1 (the rows left over), each plain or with an epilogue that adds a
 * bias and applies a leaky ReLU `max(v, α·v)` (0 ≤ α ≤ 1; α = 1 is linear), each writing C or adding
 * to it:
 *
 * - `gemm4(a, b, c, M, K, lda, ldc, p0, p1)`, `gemm1(…)`: panels p0 … p1−1, rows 0 … M−1 (M a multiple
 *   of MR);
 * - `gemm4Act(…, bias, alpha)`, `gemm1Act(…)`: the same, then `c = max(v, α·v)`, v = A·B + bias;
 * - `gemm4Acc`, `gemm1Acc`, `gemm4AccAct`, `gemm1AccAct`: the same with `c + A·B` in place of A·B;
 * - `gemm4ActSeg`, `gemm1ActSeg` (…, bias, alpha, segs, jump): with bias and activation, each row of A
 *   made of `segs` runs of K values ({@link gemmRowsSegmented}).
 *
 * The sums run over k in order. Where the runtime has relaxed SIMD (see `relaxedSimdSupported` in
 * `wasm-asm.ts`), the module also carries fused variants, each step one `f32x4.relaxed_madd` (a single
 * rounding on CPUs with FMA, as a C compiler's contracted `s += a * b`), and `bindSimd` (`simd.ts`)
 * hands those out; otherwise each step is one float32 product and one float32 addition, as a plain loop.
 *
 * @internal
 * @packageDocumentation
 */
import { F32, I32, V128, f32x4, load, loadSplat, op, store, zeroF32x4, type WasmFunction } from './wasm-asm.js';

/** Columns per panel of a packed B. */
export const PANEL = 8;

/** The parameters of the plain functions, in order (all i32). */
const A = 0, B = 1, C = 2, M = 3, K = 4, LDA = 5, LDC = 6, P0 = 7, P1 = 8;
/** The epilogue's extra parameters. */
const BIAS = 9, ALPHA = 10;

/** The segmented functions' extra parameters: segments, and the jump of A's row pointers between them. */
const SEGS = 11, JUMP = 12;

/**
 * One function: MR rows per block, with or without the bias + activation epilogue, adding to C or not;
 * `seg`: K runs over SEGS segments of K values, A's row pointers moving on by JUMP bytes after each.
 */
function gemmFunction(mr: 1 | 4, act: boolean, acc: boolean, seg: boolean, fma: boolean): WasmFunction {
  const actParams = [I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, F32];
  const params = seg ? [...actParams, I32, I32] : act ? actParams : new Array<number>(9).fill(I32);
  let next = params.length;
  const P = next++, I = next++, BB = next++, BEND = next++, CROW = next++, SEND = next++;
  const R = Array.from({ length: mr }, () => next++);
  const i32Locals = next - params.length;
  const ACC = Array.from({ length: 2 * mr }, () => next++);
  const B0 = next++, B1 = next++, S = next++;
  const v128Locals = next - params.length - i32Locals;
  const { get, set, tee, i32, i32Add, i32Mul, i32GeU, i32LtU } = op;
  const body: number[] = [];
  const e = (...xs: number[][]) => {
    for (const x of xs) body.push(...x);
  };
  e(get(P0), set(P));
  e(op.block, get(P), get(P1), i32GeU, op.brIf(0), op.loop); // panels
  e(i32(0), set(I));
  e(op.block, get(I), get(M), i32GeU, op.brIf(0), op.loop); // row blocks
  // R[r] = a + (i + r)·lda
  e(get(A), get(I), get(LDA), i32Mul, i32Add, tee(R[0]));
  for (let r = 1; r < mr; r++) e(get(LDA), i32Add, tee(R[r]));
  body.push(0x1a); // drop the last tee's value
  // bb = b + p·Kall·32; bEnd = bb + Kall·32 (Kall = K, or K·SEGS)
  const kAll = seg ? [...get(K), ...get(SEGS), ...i32Mul] : get(K);
  e(get(B), get(P), kAll, i32Mul, i32(4 * PANEL), i32Mul, i32Add, tee(BB), kAll, i32(4 * PANEL), i32Mul, i32Add, set(BEND));
  for (const a of ACC) e(zeroF32x4(), set(a));
  if (seg) e(op.loop, get(BB), get(K), i32(4 * PANEL), i32Mul, i32Add, set(SEND)); // segments
  e(op.loop);
  e(get(BB), load(0), set(B0), get(BB), load(16), set(B1));
  for (let r = 0; r < mr; r++) {
    e(get(R[r]), loadSplat(0), set(S));
    for (const [a, b] of [[ACC[2 * r], B0], [ACC[2 * r + 1], B1]]) {
      if (fma) e(get(S), get(b), get(a), f32x4.relaxedMadd, set(a)); // a = s·b + a, one rounding
      else e(get(a), get(S), get(b), f32x4.mul, f32x4.add, set(a));
    }
    e(get(R[r]), i32(4), i32Add, set(R[r]));
  }
  e(get(BB), i32(4 * PANEL), i32Add, tee(BB), get(seg ? SEND : BEND), i32LtU, op.brIf(0), op.end);
  if (seg) {
    for (let r = 0; r < mr; r++) e(get(R[r]), get(JUMP), i32Add, set(R[r]));
    e(get(BB), get(BEND), i32LtU, op.brIf(0), op.end);
  }
  // crow = c + i·ldc + p·32
  e(get(C), get(I), get(LDC), i32Mul, i32Add, get(P), i32(4 * PANEL), i32Mul, i32Add, set(CROW));
  for (let r = 0; r < mr; r++) {
    for (const half of [0, 1]) {
      const a = ACC[2 * r + half];
      if (acc) e(get(CROW), load(16 * half), get(a), f32x4.add, set(a)); // c + A·B
      if (act) {
        // v = acc + bias[p·8 + 4·half …]; acc = max(v, α·v)
        e(get(a), get(BIAS), get(P), i32(4 * PANEL), i32Mul, i32Add, load(16 * half), f32x4.add, tee(a));
        e(get(a), get(ALPHA), f32x4.splat, f32x4.mul, f32x4.max, set(a));
      }
      e(get(CROW), get(a), store(16 * half));
    }
    e(get(CROW), get(LDC), i32Add, set(CROW));
  }
  e(get(I), i32(mr), i32Add, tee(I), get(M), i32LtU, op.brIf(0), op.end, op.end); // row blocks
  e(get(P), i32(1), i32Add, tee(P), get(P1), i32LtU, op.brIf(0), op.end, op.end); // panels
  return {
    name: `gemm${mr}${acc ? 'Acc' : ''}${act ? 'Act' : ''}${seg ? 'Seg' : ''}${fma ? FUSED_SUFFIX : ''}`,
    params,
    locals: [...new Array<number>(i32Locals).fill(I32), ...new Array<number>(v128Locals).fill(V128)],
    body,
  };
}

/** The name suffix of the fused (relaxed `f32x4.relaxed_madd`) variants. */
export const FUSED_SUFFIX = 'Fma';

/** The ten functions of the module doc; with `fma`, also their fused variants (named with {@link FUSED_SUFFIX}). */
export function gemmFunctions(fma: boolean): WasmFunction[] {
  const variants = (f: boolean) => [
    ...[false, true].flatMap((acc) => [false, true].flatMap((act) => [gemmFunction(4, act, acc, false, f), gemmFunction(1, act, acc, false, f)])),
    gemmFunction(4, true, false, true, f), gemmFunction(1, true, false, true, f),
  ];
  return fma ? [...variants(false), ...variants(true)] : variants(false);
}

/** The names of {@link SimdGemm}'s functions. */
export const GEMM_NAMES = [
  'gemm4', 'gemm1', 'gemm4Act', 'gemm1Act', 'gemm4Acc', 'gemm1Acc', 'gemm4AccAct', 'gemm1AccAct', 'gemm4ActSeg', 'gemm1ActSeg',
] as const;

type Plain = (a: number, b: number, c: number, M: number, K: number, lda: number, ldc: number, p0: number, p1: number) => void;
type WithAct = (a: number, b: number, c: number, M: number, K: number, lda: number, ldc: number, p0: number, p1: number, bias: number, alpha: number) => void;

type Segmented = (
  a: number, b: number, c: number, M: number, K: number, lda: number, ldc: number, p0: number, p1: number, bias: number, alpha: number,
  segs: number, jump: number,
) => void;

/** The exported functions (byte offsets, counts; alpha an f32). */
export interface SimdGemm {
  gemm4: Plain; gemm1: Plain; gemm4Act: WithAct; gemm1Act: WithAct;
  gemm4Acc: Plain; gemm1Acc: Plain; gemm4AccAct: WithAct; gemm1AccAct: WithAct;
  gemm4ActSeg: Segmented; gemm1ActSeg: Segmented;
}

/**
 * `C = max(v, α·v)`, v = A·B + bias, where row r of A is `segs` runs of K floats, the first at
 * `a + r·lda`, each next one `jump` bytes after the end of the previous; B packed `[N/8, segs·K, 8]`.
 * Rows 0 … M−1, panels p0 … p1−1.
 */
export function gemmRowsSegmented(
  k: SimdGemm, a: number, b: number, c: number, M: number, K: number, lda: number, ldc: number, p0: number, p1: number,
  bias: number, alpha: number, segs: number, jump: number,
): void {
  const m4 = M - (M % 4);
  if (m4 > 0) k.gemm4ActSeg(a, b, c, m4, K, lda, ldc, p0, p1, bias, alpha, segs, jump);
  if (M > m4) k.gemm1ActSeg(a + m4 * lda, b, c + m4 * ldc, M - m4, K, lda, ldc, p0, p1, bias, alpha, segs, jump);
}

/**
 * `C = A · B` (or with `accumulate`, `C += A · B`) for rows 0 … M−1 (any M) and panels p0 … p1−1:
 * blocks of 4 rows, then single rows; with `bias` (a byte offset) the epilogue `max(v, α·v)`,
 * v = that sum + bias.
 */
export function gemmRows(
  k: SimdGemm, a: number, b: number, c: number, M: number, K: number, lda: number, ldc: number, p0: number, p1: number,
  bias?: number, alpha = 1, accumulate = false,
): void {
  const m4 = M - (M % 4);
  const tailA = a + m4 * lda;
  const tailC = c + m4 * ldc;
  if (bias === undefined) {
    const [f4, f1] = accumulate ? [k.gemm4Acc, k.gemm1Acc] : [k.gemm4, k.gemm1];
    if (m4 > 0) f4(a, b, c, m4, K, lda, ldc, p0, p1);
    if (M > m4) f1(tailA, b, tailC, M - m4, K, lda, ldc, p0, p1);
  } else {
    const [f4, f1] = accumulate ? [k.gemm4AccAct, k.gemm1AccAct] : [k.gemm4Act, k.gemm1Act];
    if (m4 > 0) f4(a, b, c, m4, K, lda, ldc, p0, p1, bias, alpha);
    if (M > m4) f1(tailA, b, tailC, M - m4, K, lda, ldc, p0, p1, bias, alpha);
  }
}

/**
 * B `[K, N]` (row-major) packed into panels `[⌈N/8⌉, K, 8]`, written to `out` (K·8·⌈N/8⌉ floats); the
 * columns of the last panel past N are zeros.
 */
export function packPanels(b: Float32Array, K: number, N: number, out: Float32Array): void {
  for (let p = 0; p < Math.ceil(N / PANEL); p++) {
    const width = Math.min(PANEL, N - p * PANEL);
    for (let k = 0; k < K; k++) {
      const src = k * N + p * PANEL;
      const dst = (p * K + k) * PANEL;
      for (let j = 0; j < width; j++) out[dst + j] = b[src + j];
      for (let j = width; j < PANEL; j++) out[dst + j] = 0;
    }
  }
}
