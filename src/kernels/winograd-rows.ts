/**
 * The Winograd transforms of the inference convolution on the SIMD functions of `simd-winograd.ts`,
 * for output tiles of m×m (m = 2 or 4; windows of a = m + 2): the tiles of a range are walked tile row
 * by tile row; the tiles whose window (input) or outputs (output) lie wholly inside the image go to one
 * call per run, the others one call each with their outside pixels pointed at a zero buffer (input) or a
 * sink (output). For m = 2, the input transform gives the same results as `inputTransform` of
 * `winograd.ts`; C a multiple of 4. Tiles are numbered `t = (b·tilesH + ty)·tilesW + tx`; tile (ty, tx)
 * covers output rows m·ty … m·ty + m − 1 and input rows m·ty − pt … m·ty − pt + m + 1.
 *
 * All offsets are in bytes into the heap the SIMD module is bound to.
 *
 * @internal
 * @packageDocumentation
 */
import { PANEL, gemmRows, type SimdGemm } from './simd-gemm.js';
import type { SimdWinograd } from './simd-winograd.js';
import type { TileSize } from './winograd-matrices.js';
import type { WinogradGeometry } from './winograd.js';

/** Tiles of g for output tiles of m×m. */
export function tileCountM(g: WinogradGeometry, m: TileSize): number {
  return g.batch * Math.ceil(g.outH / m) * Math.ceil(g.outW / m);
}

/** Floats needed by the zero buffer (input) or the sink (output) for any run of tiles of g. */
export function scratchFloats(g: WinogradGeometry, m: TileSize = 2): number {
  return (m * Math.ceil(g.outW / m) + m + 2) * Math.max(g.inC, g.outC);
}

/** The tiles t0 … t1−1 as runs within one tile row: [b, ty, tx0, tx1, t of tx0]. */
function* runs(g: WinogradGeometry, m: TileSize, t0: number, t1: number): Generator<[number, number, number, number, number]> {
  const tilesW = Math.ceil(g.outW / m);
  const tilesH = Math.ceil(g.outH / m);
  for (let t = t0; t < t1; ) {
    const row = Math.floor(t / tilesW);
    const tx0 = t - row * tilesW;
    const tx1 = Math.min(tilesW, tx0 + (t1 - t));
    yield [Math.floor(row / tilesH), row % tilesH, tx0, tx1, t];
    t += tx1 - tx0;
  }
}

/** `V[ξ]` rows of tiles t0 … t1−1 from x (byte offsets: x, the (m + 2)² V, a zero buffer of {@link scratchFloats}). */
export function inputTransformRows(
  k: SimdWinograd, x: number, g: WinogradGeometry, V: readonly number[], zero: number, t0: number, t1: number, m: TileSize = 2,
): void {
  const C4 = 4 * g.inC;
  const a = m + 2;
  // tiles whose a window columns m·tx − pl … m·tx − pl + a − 1 are all inside the input
  const lo = Math.ceil(g.pl / m);
  const hi = Math.floor((g.inW - a + g.pl) / m) + 1;
  const src = new Array<number>(a * a);
  const dst = new Array<number>(a * a);
  const fn = m === 2 ? k.wgIn2Row : k.wgIn4Row;
  for (const [b, ty, tx0, tx1, tFirst] of runs(g, m, t0, t1)) {
    const call = (txa: number, n: number) => {
      const t = tFirst + txa - tx0;
      for (let r = 0; r < a; r++) {
        const iy = m * ty - g.pt + r;
        for (let s = 0; s < a; s++) {
          const ix = m * txa - g.pl + s;
          const inside = iy >= 0 && iy < g.inH && ix >= 0 && ix < g.inW;
          src[a * r + s] = inside ? x + ((b * g.inH + iy) * g.inW + ix) * C4 : zero;
        }
      }
      for (let xi = 0; xi < a * a; xi++) dst[xi] = V[xi] + t * C4;
      fn(...src, ...dst, C4, n);
    };
    const first = Math.max(tx0, lo);
    const last = Math.min(tx1, hi);
    if (first < last) {
      for (let tx = tx0; tx < first; tx++) call(tx, 1);
      call(first, last - first);
      for (let tx = last; tx < tx1; tx++) call(tx, 1);
    } else {
      for (let tx = tx0; tx < tx1; tx++) call(tx, 1);
    }
  }
}

/**
 * y (`[B, outH, outW, outC]`) for tiles t0 … t1−1 from the rows of the (m + 2)² products `M[ξ]`, plus
 * bias, then `max(v, α·v)` (byte offsets: y, the M, bias, a sink of {@link scratchFloats}).
 */
export function outputTransformRows(
  k: SimdWinograd, y: number, g: WinogradGeometry, M: readonly number[], bias: number, alpha: number, sink: number, t0: number, t1: number,
  m: TileSize = 2,
): void {
  const C4 = 4 * g.outC;
  const full = Math.floor(g.outW / m); // tiles whose m output columns are all inside
  const mats = new Array<number>((m + 2) * (m + 2));
  const out = new Array<number>(m * m);
  const fn = m === 2 ? k.wgOut2Row : k.wgOut4Row;
  for (const [b, ty, tx0, tx1, tFirst] of runs(g, m, t0, t1)) {
    const call = (txa: number, n: number) => {
      const t = tFirst + txa - tx0;
      for (let xi = 0; xi < mats.length; xi++) mats[xi] = M[xi] + t * C4;
      for (let p = 0; p < m; p++) {
        const oy = m * ty + p;
        for (let q = 0; q < m; q++) {
          const ox = m * txa + q;
          out[m * p + q] = oy < g.outH && ox < g.outW ? y + ((b * g.outH + oy) * g.outW + ox) * C4 : sink;
        }
      }
      fn(...mats, ...out, bias, C4, n, alpha);
    };
    const last = Math.min(tx1, full);
    if (tx0 < last) call(tx0, last - tx0);
    for (let tx = Math.max(tx0, last); tx < tx1; tx++) call(tx, 1);
  }
}

/** Everything a chunked Winograd convolution needs (byte offsets into the heap). */
export interface ChunkedWinograd {
  x: number; y: number; g: WinogradGeometry; m: TileSize;
  /** The packed filter transform `[(m + 2)², outC/8, inC, 8]`. */
  U: number;
  bias: number; alpha: number; zero: number; sink: number;
  /** Tiles per chunk. */
  chunk: number;
  /** Scratch of part k at `scratch + k·scratchBytes`: V `[(m + 2)², chunk, inC]`, then M `[(m + 2)², chunk, outC]`. */
  scratch: number; scratchBytes: number;
}

/** The numbers of a {@link ChunkedWinograd} as task arguments, and back. */
export function chunkedArgs(c: ChunkedWinograd): number[] {
  const { g } = c;
  return [c.x, c.y, g.batch, g.inH, g.inW, g.inC, g.outH, g.outW, g.outC, g.pt, g.pl, c.m, c.U, c.bias, c.alpha, c.zero, c.sink, c.chunk, c.scratch, c.scratchBytes];
}

function chunkedAt(a: readonly number[]): ChunkedWinograd {
  const [x, y, batch, inH, inW, inC, outH, outW, outC, pt, pl, m, U, bias, alpha, zero, sink, chunk, scratch, scratchBytes] = a;
  return { x, y, g: { batch, inH, inW, inC, outH, outW, outC, pt, pl }, m: m as TileSize, U, bias, alpha, zero, sink, chunk, scratch, scratchBytes };
}

/**
 * Chunks lo … hi−1 of a Winograd convolution, each done whole while its data are in cache: the input
 * transform of its tiles, the (m + 2)² products (all panels), the output transform. Part `part` uses its
 * own scratch. inC and outC multiples of 4 and 8.
 */
export function winogradChunks(k: SimdWinograd & SimdGemm, a: readonly number[], lo: number, hi: number, part: number): void {
  const c = chunkedAt(a);
  const { g, m } = c;
  const mats = (m + 2) * (m + 2);
  const T = tileCountM(g, m);
  const inC4 = 4 * g.inC;
  const outC4 = 4 * g.outC;
  const V = c.scratch + part * c.scratchBytes;
  const M = V + mats * c.chunk * inC4;
  for (let ch = lo; ch < hi; ch++) {
    const t0 = ch * c.chunk;
    const t1 = Math.min(T, t0 + c.chunk);
    // rows of chunk tiles t0 … t1−1 land at rows 0 … t1−t0−1 of the scratch matrices
    inputTransformRows(k, c.x, g, Array.from({ length: mats }, (_, xi) => V + xi * c.chunk * inC4 - t0 * inC4), c.zero, t0, t1, m);
    for (let xi = 0; xi < mats; xi++) {
      gemmRows(k, V + xi * c.chunk * inC4, c.U + xi * g.inC * outC4, M + xi * c.chunk * outC4, t1 - t0, g.inC, inC4, outC4, 0, g.outC / PANEL);
    }
    const Mrows = Array.from({ length: mats }, (_, xi) => M + xi * c.chunk * outC4 - t0 * outC4);
    outputTransformRows(k, c.y, g, Mrows, c.bias, c.alpha, c.sink, t0, t1, m);
  }
}
