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
