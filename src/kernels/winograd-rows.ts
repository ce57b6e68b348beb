/**
 * The Winograd transforms of the inference convolution on the SIMD functions of `simd-winograd.ts`:
 * the tiles of a range are walked tile row by tile row; the tiles whose window (input) or outputs
 * (output) lie wholly inside the image go to one call per run, the others one call each with their
 * outside pixels pointed at a zero buffer (input) or a sink (output). Same results as `inputTransform`
 * and `outputTransformAct` of `winograd.ts`, for C a multiple of 4.
 *
 * All offsets are in bytes into the heap the SIMD module is bound to.
 *
 * @internal
 * @packageDocumentation
 */
import { PANEL, gemmRows, type SimdGemm } from './simd-gemm.js';
import type { SimdWinograd } from './simd-winograd.js';
import type { WinogradGeometry } from './winograd.js';

/** Floats needed by the zero buffer (input) or the sink (output) for any run of tiles of g. */
export function scratchFloats(g: WinogradGeometry): number {
  return (2 * Math.ceil(g.outW / 2) + 4) * Math.max(g.inC, g.outC);
}

/** The tiles t0 … t1−1 as runs within one tile row: [b, ty, tx0, tx1, t of tx0]. */
function* runs(g: WinogradGeometry, t0: number, t1: number): Generator<[number, number, number, number, number]> {
  const tilesW = Math.ceil(g.outW / 2);
  const tilesH = Math.ceil(g.outH / 2);
  for (let t = t0; t < t1; ) {
    const row = Math.floor(t / tilesW);
    const tx0 = t - row * tilesW;
    const tx1 = Math.min(tilesW, tx0 + (t1 - t));
    yield [Math.floor(row / tilesH), row % tilesH, tx0, tx1, t];
    t += tx1 - tx0;
  }
}

/** `V[ξ]` rows of tiles t0 … t1−1 from x (byte offsets: x, the 16 V, a zero buffer of {@link scratchFloats}). */
export function inputTransformRows(k: SimdWinograd, x: number, g: WinogradGeometry, V: readonly number[], zero: number, t0: number, t1: number): void {
  const C4 = 4 * g.inC;
  // tiles whose 4 window columns 2tx − pl … 2tx − pl + 3 are all inside the input
  const lo = Math.ceil(g.pl / 2);
  const hi = Math.floor((g.inW - 4 + g.pl) / 2) + 1;
  const src = new Array<number>(16);
  const dst = new Array<number>(16);
  for (const [b, ty, tx0, tx1, tFirst] of runs(g, t0, t1)) {
    const call = (txa: number, n: number) => {
      const t = tFirst + txa - tx0;
      for (let r = 0; r < 4; r++) {
        const iy = 2 * ty - g.pt + r;
        for (let s = 0; s < 4; s++) {
          const ix = 2 * txa - g.pl + s;
          const inside = iy >= 0 && iy < g.inH && ix >= 0 && ix < g.inW;
          src[4 * r + s] = inside ? x + ((b * g.inH + iy) * g.inW + ix) * C4 : zero;
        }
      }
      for (let xi = 0; xi < 16; xi++) dst[xi] = V[xi] + t * C4;
      k.wgInRow(...src, ...dst, C4, n);
    };
    const a = Math.max(tx0, lo);
    const z = Math.min(tx1, hi);
    if (a < z) {
      for (let tx = tx0; tx < a; tx++) call(tx, 1);
      call(a, z - a);
      for (let tx = z; tx < tx1; tx++) call(tx, 1);
    } else {
      for (let tx = tx0; tx < tx1; tx++) call(tx, 1);
    }
  }
}

/**
 * y (`[B, outH, outW, outC]`) for tiles t0 … t1−1 from the rows of the 16 products `M[ξ]`, plus bias,
 * then `max(v, α·v)` (byte offsets: y, the 16 M, bias, a sink of {@link scratchFloats}).
 */
export function outputTransformRows(
  k: SimdWinograd, y: number, g: WinogradGeometry, M: readonly number[], bias: number, alpha: number, sink: number, t0: number, t1: number,
): void {
  const C4 = 4 * g.outC;
  const full = Math.floor(g.outW / 2); // tiles whose two output columns are both inside
  const m = new Array<number>(16);
  const out = new Array<number>(4);
  for (const [b, ty, tx0, tx1, tFirst] of runs(g, t0, t1)) {
    const row1 = 2 * ty + 1 < g.outH;
    const call = (txa: number, n: number) => {
      const t = tFirst + txa - tx0;
      for (let xi = 0; xi < 16; xi++) m[xi] = M[xi] + t * C4;
      const col1 = 2 * txa + 1 < g.outW;
      const p = ((b * g.outH + 2 * ty) * g.outW + 2 * txa) * C4;
      out[0] = y + p;
      out[1] = col1 ? y + p + C4 : sink;
      out[2] = row1 ? y + p + g.outW * C4 : sink;
      out[3] = row1 && col1 ? y + p + g.outW * C4 + C4 : sink;
      k.wgOutRow(...m, ...out, bias, C4, n, alpha);
    };
    const z = Math.min(tx1, full);
    if (tx0 < z) call(tx0, z - tx0);
    for (let tx = Math.max(tx0, z); tx < tx1; tx++) call(tx, 1);
  }
}

/** Everything a chunked Winograd convolution needs (byte offsets into the heap). */
export interface ChunkedWinograd {
  x: number; y: number; g: WinogradGeometry;
  /** The packed filter transform `[16, outC/8, inC, 8]`. */
  U: number;
  bias: number; alpha: number; zero: number; sink: number;
  /** Tiles per chunk. */
  chunk: number;
  /** Scratch of part k at `scratch + k·scratchBytes`: V `[16, chunk, inC]`, then M `[16, chunk, outC]`. */
  scratch: number; scratchBytes: number;
}

/** The numbers of a {@link ChunkedWinograd} as task arguments, and back. */
export function chunkedArgs(c: ChunkedWinograd): number[] {
  const { g } = c;
  return [c.x, c.y, g.batch, g.inH, g.inW, g.inC, g.outH, g.outW, g.outC, g.pt, g.pl, c.U, c.bias, c.alpha, c.zero, c.sink, c.chunk, c.scratch, c.scratchBytes];
}

function chunkedAt(a: readonly number[]): ChunkedWinograd {
  const [x, y, batch, inH, inW, inC, outH, outW, outC, pt, pl, U, bias, alpha, zero, sink, chunk, scratch, scratchBytes] = a;
  return { x, y, g: { batch, inH, inW, inC, outH, outW, outC, pt, pl }, U, bias, alpha, zero, sink, chunk, scratch, scratchBytes };
}

/**
 * Chunks lo … hi−1 of a Winograd convolution, each done whole while its data are in cache: the input
 * transform of its tiles, the 16 products (all panels), the output transform. Part `part` uses its
 * own scratch. inC and outC multiples of 4 and 8.
 */
export function winogradChunks(k: SimdWinograd & SimdGemm, a: readonly number[], lo: number, hi: number, part: number): void {
  const c = chunkedAt(a);
  const { g } = c;
  const T = Math.ceil(g.outH / 2) * Math.ceil(g.outW / 2) * g.batch;
  const inC4 = 4 * g.inC;
  const outC4 = 4 * g.outC;
  const V = c.scratch + part * c.scratchBytes;
  const M = V + 16 * c.chunk * inC4;
  for (let ch = lo; ch < hi; ch++) {
    const t0 = ch * c.chunk;
    const t1 = Math.min(T, t0 + c.chunk);
    // rows of chunk tiles t0 … t1−1 land at rows 0 … t1−t0−1 of the scratch matrices
    inputTransformRows(k, c.x, g, Array.from({ length: 16 }, (_, xi) => V + xi * c.chunk * inC4 - t0 * inC4), c.zero, t0, t1);
    for (let xi = 0; xi < 16; xi++) {
      gemmRows(k, V + xi * c.chunk * inC4, c.U + xi * g.inC * outC4, M + xi * c.chunk * outC4, t1 - t0, g.inC, inC4, outC4, 0, g.outC / PANEL);
    }
    const Mrows = Array.from({ length: 16 }, (_, xi) => M + xi * c.chunk * outC4 - t0 * outC4);
    outputTransformRows(k, c.y, g, Mrows, c.bias, c.alpha, c.sink, t0, t1);
  }
}
