/**
 * The tasks of `thread-pool.ts`: each the loop of one training kernel over an index range
 * `lo … hi−1`, reading and writing the wasm heap at byte offsets passed as plain numbers, so that a
 * helper thread on the same shared memory can run any part of it. Part k writes its partial sums (the
 * batch-norm statistics) at its own slot, `sums + 16·C·k` bytes (2C float64). Free of TF.js: the helper
 * threads import only this module and the loops it names. The batch-norm tasks run the WebAssembly SIMD
 * loops of `simd.ts` when this thread has bound them to the heap's memory and C is a multiple of 4.
 *
 * @internal
 * @packageDocumentation
 */
import { gradApply, gradSums, momentSums, normalizeRows } from './batch-norm-loops.js';
import type { Geometry } from './im2col.js';
import { im2colKN } from './im2col.js';
import { maxPoolGrad2x2 } from './max-pool-grad.js';
import { simdFor, simdOf } from './simd.js';
import { gemmRows } from './simd-gemm.js';
import { inputTransformRows, outputTransformRows, winogradChunks } from './winograd-rows.js';
import type { TileSize } from './winograd-matrices.js';
import { directConvRows } from './direct-conv-rows.js';
import type { WinogradGeometry } from './winograd.js';
import {
  filterGradTransform, filterTransform, gradTransform, inputTransform, outputTransform, transpose,
} from './winograd.js';

/** A task: `(heap, args, lo, hi, part)`. */
export type KernelTask = (heap: ArrayBufferLike, a: readonly number[], lo: number, hi: number, part: number) => void;

const f32 = (heap: ArrayBufferLike, byteOffset: number) => new Float32Array(heap, byteOffset);
const f64 = (heap: ArrayBufferLike, byteOffset: number, length: number) => new Float64Array(heap, byteOffset, length);
/** 16 views at the byte offsets a[at] … a[at + 15]. */
const views16 = (heap: ArrayBufferLike, a: readonly number[], at: number) => Array.from({ length: 16 }, (_, k) => f32(heap, a[at + k]));

/** The 9 numbers of a {@link WinogradGeometry}, in the order of {@link winogradArgs}. */
function winogradGeometryAt(a: readonly number[], at: number): WinogradGeometry {
  const [batch, inH, inW, inC, outH, outW, outC, pt, pl] = a.slice(at, at + 9);
  return { batch, inH, inW, inC, outH, outW, outC, pt, pl };
}

/** A {@link WinogradGeometry} as task arguments. */
export function winogradArgs(g: WinogradGeometry): number[] {
  return [g.batch, g.inH, g.inW, g.inC, g.outH, g.outW, g.outC, g.pt, g.pl];
}

const GEOMETRY_KEYS = ['batch', 'inH', 'inW', 'inC', 'outH', 'outW', 'outC', 'kh', 'kw', 'sh', 'sw', 'pt', 'pl', 'pb', 'pr'] as const;

/** A convolution {@link Geometry} as task arguments. */
export function geometryArgs(g: Geometry): number[] {
  return GEOMETRY_KEYS.map((k) => g[k]);
}

function geometryAt(a: readonly number[], at: number): Geometry {
  const g = {} as Record<(typeof GEOMETRY_KEYS)[number], number>;
  GEOMETRY_KEYS.forEach((k, i) => (g[k] = a[at + i]));
  return g;
}

export const KERNEL_TASKS = {
  /** rows of x `[n, C]`: a = [x, C, sums] */
  bnMoments: (heap, a, lo, hi, part) => {
    const C = a[1];
    const simd = C % 4 === 0 ? simdFor(heap) : null;
    if (simd) simd.moments(a[0], C, a[2] + 16 * C * part, lo, hi);
    else momentSums(f32(heap, a[0]), C, lo, hi, f64(heap, a[2] + 16 * C * part, 2 * C));
  },
  /** rows: a = [x, y, C, coef (scale, shift), alpha (< 0: none)] */
  bnNormalize: (heap, a, lo, hi) => {
    const [x, y, C, coef, alpha] = a;
    const simd = C % 4 === 0 && alpha <= 1 ? simdFor(heap) : null;
    if (simd) simd.normalize(x, y, C, coef, alpha < 0 ? 1 : alpha, lo, hi);
    else normalizeRows(f32(heap, x), C, f32(heap, coef), alpha, f32(heap, y), lo, hi);
  },
  /** rows: a = [da, x, y, dx, C, mean, alpha (< 0: none), sums] */
  bnGradSums: (heap, a, lo, hi, part) => {
    const [da, x, y, dx, C, mean, alpha, sums] = a;
    const simd = C % 4 === 0 ? simdFor(heap) : null;
    if (simd) simd.gradSums(da, x, y, dx, C, mean, alpha < 0 ? 1 : alpha, sums + 16 * C * part, lo, hi);
    else gradSums(f32(heap, da), f32(heap, x), f32(heap, y), C, f32(heap, mean), alpha, f32(heap, dx), lo, hi, f64(heap, sums + 16 * C * part, 2 * C));
  },
  /** rows: a = [dx, x, C, coef (k, a, b, mean)] */
  bnGradApply: (heap, a, lo, hi) => {
    const [dx, x, C, coef] = a;
    const simd = C % 4 === 0 ? simdFor(heap) : null;
    if (simd) simd.gradApply(dx, x, C, coef, lo, hi);
    else gradApply(f32(heap, dx), f32(heap, x), C, f32(heap, coef), lo, hi);
  },
  /** output rows b·outH + oy: a = [x, dy, dx, batch, H, W, C, outH, outW] */
  maxPoolGrad2x2: (heap, a, lo, hi) =>
    maxPoolGrad2x2(f32(heap, a[0]), f32(heap, a[1]), f32(heap, a[2]), a[3], a[4], a[5], a[6], a[7], a[8], lo, hi),
  /** output rows n0/outW + lo …: a = [x, dst, n0, n1, …geometry] */
  im2col: (heap, a, lo, hi) => {
    const g = geometryAt(a, 4);
    const r0 = a[2] / g.outW;
    im2colKN(f32(heap, a[0]), g, a[2], a[3], f32(heap, a[1]), r0 + lo, r0 + hi);
  },
  /** tiles: a = [x, …winograd geometry, …16 V] */
  wgInput: (heap, a, lo, hi) => inputTransform(f32(heap, a[0]), winogradGeometryAt(a, 1), views16(heap, a, 10), lo, hi),
  /** tiles: a = [y, …winograd geometry, …16 M] */
  wgOutput: (heap, a, lo, hi) => outputTransform(views16(heap, a, 10), winogradGeometryAt(a, 1), f32(heap, a[0]), lo, hi),
  /** tiles of m×m, on the SIMD functions (inC a multiple of 4): a = [x, …winograd geometry, m, …(m + 2)² V, zero] */
  wgInputSimd: (heap, a, lo, hi) => {
    const m = a[10] as TileSize;
    const n = (m + 2) ** 2;
    inputTransformRows(simdOf(heap), a[0], winogradGeometryAt(a, 1), a.slice(11, 11 + n), a[11 + n], lo, hi, m);
  },
  /** tiles of m×m, on the SIMD functions: a = [y, …winograd geometry, m, …(m + 2)² M, bias, alpha, sink] */
  wgOutputSimd: (heap, a, lo, hi) => {
    const m = a[10] as TileSize;
    const n = (m + 2) ** 2;
    outputTransformRows(simdOf(heap), a[0], winogradGeometryAt(a, 1), a.slice(11, 11 + n), a[11 + n], a[12 + n], a[13 + n], lo, hi, m);
  },
  /** output rows of a 3×3 convolution with few input channels: a = [xp, w, y, H, W, inC, outC, bias, alpha] */
  directConv: (heap, a, lo, hi) => directConvRows(simdOf(heap), a, lo, hi),
  /** chunks of tiles, each transformed, multiplied and transformed back whole: a = chunkedArgs(…) */
  wgChunks: (heap, a, lo, hi, part) => winogradChunks(simdOf(heap), a, lo, hi, part),
  /** tiles: a = [dy, …winograd geometry, …16 E] */
  wgGrad: (heap, a, lo, hi) => gradTransform(f32(heap, a[0]), winogradGeometryAt(a, 1), views16(heap, a, 10), lo, hi),
  /** ci·outC + co: a = [w, inC, outC, …16 U] */
  wgFilter: (heap, a, lo, hi) => filterTransform(f32(heap, a[0]), a[1], a[2], views16(heap, a, 3), lo, hi),
  /** ci·outC + co: a = [dw, inC, outC, …16 M] */
  wgFilterGrad: (heap, a, lo, hi) => filterGradTransform(views16(heap, a, 3), a[1], a[2], f32(heap, a[0]), lo, hi),
  /**
   * Winograd products ξ·P + p (ξ < (m + 2)², P = outC/8 panels): a = [T, inC, outC, V, U, M], V
   * `[(m + 2)², T, inC]`, U packed `[(m + 2)², P, inC, 8]`, M `[(m + 2)², T, outC]`: `M[ξ] = V[ξ] · U[ξ]`
   * for the panels of the range.
   */
  wgGemm: (heap, a, lo, hi) => {
    const [T, inC, outC, V, U, M] = a;
    const simd = simdOf(heap);
    const P = outC / 8;
    for (let item = lo; item < hi; ) {
      const xi = Math.floor(item / P);
      const p1 = Math.min(hi - xi * P, P);
      gemmRows(simd, V + 4 * xi * T * inC, U + 4 * xi * inC * outC, M + 4 * xi * T * outC, T, inC, 4 * inC, 4 * outC, item - xi * P, p1);
      item = xi * P + p1;
    }
  },
  /**
   * Items i·P + p (i < 6, P = outC/8 panels) of the F(4×4) products with the weights kept half-transformed:
   * a = [T, inC, outC, V, H, M, scratch, scratchBytes], V `[36, T, inC]`, H = G g packed `[6, 3, P, inC, 8]`,
   * M `[36, T, outC]`. Item (i, p) expands the panel's U[6i + j] = H[i] Gᵀ (j < 6) into this part's
   * scratch (`scratch + part·scratchBytes`, `[6, inC, 8]`) and runs the six products on panel p.
   */
  wgGemmHalf: (heap, a, lo, hi, part) => {
    const [T, inC, outC, V, H, M, scratch, scratchBytes] = a;
    const simd = simdOf(heap);
    const P = outC / 8;
    const panelBytes = 32 * inC;
    const u = scratch + part * scratchBytes;
    for (let item = lo; item < hi; item++) {
      const i = Math.floor(item / P);
      const p = item - i * P;
      simd.wgExpand4(H + (3 * i * P + p) * panelBytes, P * panelBytes, u, panelBytes, 2 * inC);
      for (let j = 0; j < 6; j++) {
        const xi = 6 * i + j;
        gemmRows(simd, V + 4 * xi * T * inC, u + j * panelBytes, M + 4 * xi * T * outC + 32 * p, T, inC, 4 * inC, 4 * outC, 0, 1);
      }
    }
  },
  /**
   * Output rows b·outH + oy of a 2×2 max pool at stride s (`simd-max-pool.ts`): a = [x, y, H, W, C, outH,
   * outW, s], x `[B, H, W, C]`, y `[B, outH, outW, C]`; the window's bottom row clipped to H − 1.
   */
  maxPool2: (heap, a, lo, hi) => {
    const [x, y, H, W, C, outH, outW, s] = a;
    const simd = simdOf(heap);
    const rowBytes = 4 * W * C;
    for (let row = lo; row < hi; row++) {
      const b = Math.floor(row / outH);
      const iy = (row - b * outH) * s;
      const r0 = x + (b * H + iy) * rowBytes;
      const r1 = iy + 1 < H ? r0 + rowBytes : r0;
      (C % 16 === 0 ? simd.maxPool2Row16 : simd.maxPool2Row)(r0, r1, y + row * 4 * outW * C, 4 * C, outW, s, W);
    }
  },
  /**
   * Items g·chunks + c of y = act(x·W + bias): row chunk c (its rows of x stay in cache while the panels
   * pass) times panel group g of `groups`: a = [x, W packed `[N/8, K, 8]`, y, rows, K, N, bias, alpha,
   * rows per chunk, groups]
   */
  gemmAct: (heap, a, lo, hi) => {
    const [x, w, y, rows, K, N, bias, alpha, chunk, groups] = a;
    const simd = simdOf(heap);
    const chunks = Math.ceil(rows / chunk);
    const P = N / 8;
    for (let item = lo; item < hi; item++) {
      const g = Math.floor(item / chunks);
      const r0 = (item - g * chunks) * chunk;
      const r1 = Math.min(rows, r0 + chunk);
      const p0 = Math.floor((g * P) / groups);
      const p1 = Math.floor(((g + 1) * P) / groups);
      gemmRows(simd, x + 4 * r0 * K, w, y + 4 * r0 * N, r1 - r0, K, 4 * K, 4 * N, p0, p1, bias, alpha);
    }
  },
  /** matrices 0 … 15: a = [rows, cols, …16 src, …16 dst] */
  wgTranspose: (heap, a, lo, hi) => {
    for (let k = lo; k < hi; k++) transpose(f32(heap, a[2 + k]), a[0], a[1], f32(heap, a[18 + k]));
  },
} satisfies Record<string, KernelTask>;

/** Name of a kernel task. */
export type KernelTaskName = keyof typeof KERNEL_TASKS;
