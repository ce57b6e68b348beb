/**
 * The geometry of a 2-D convolution and im2col in the `[K, N]` layout used by the filter gradient
 * (`conv.ts`). Plain loops over Float32Arrays, free of TF.js, so that the helper threads of
 * `thread-pool.ts` can run them.
 *
 * @internal
 * @packageDocumentation
 */

/** An NHWC convolution `[batch, inH, inW, inC]` → `[batch, outH, outW, outC]`, kernel kh×kw, strides, padding. */
export interface Geometry {
  batch: number; inH: number; inW: number; inC: number;
  outH: number; outW: number; outC: number;
  kh: number; kw: number; sh: number; sw: number; pt: number; pl: number; pb: number; pr: number;
}

/**
 * im2col in the `[K, N]` layout for output rows `n0 … n1−1` (n0 and n1 multiples of outW):
 * `dst[k·(n1−n0) + (n−n0)]` with k = (ky·kw + kx)·inC + c and n = (b·outH + oy)·outW + ox holds
 * `x[b, oy·sh + ky − pt, ox·sw + kx − pl, c]` (0 outside the image). One output row at a time, so the
 * kh input rows it reads stay in cache while every write is a contiguous run of outW values. `rLo … rHi−1`
 * (default all, n0/outW … n1/outW − 1) limits the output rows written.
 * @internal
 */
export function im2colKN(
  x: ArrayLike<number>, g: Geometry, n0: number, n1: number, dst: Float32Array, rLo = n0 / g.outW, rHi = n1 / g.outW,
): void {
  const cnt = n1 - n0;
  const { inH, inW, inC, outH, outW, kh, kw, sh, sw, pt, pl } = g;
  const r0 = n0 / outW;
  const step = sw * inC;
  for (let r = rLo; r < rHi; r++) {
    const oy = r % outH;
    const b = (r - oy) / outH;
    const col = (r - r0) * outW;
    for (let ky = 0; ky < kh; ky++) {
      const iy = oy * sh + ky - pt;
      const inside = iy >= 0 && iy < inH;
      const rowBase = ((b * inH + iy) * inW) * inC;
      for (let kx = 0; kx < kw; kx++) {
        const kBase = (ky * kw + kx) * inC;
        // output columns whose input column ox·sw + kx − pl lies inside [0, inW)
        const lo = Math.min(outW, Math.max(0, Math.ceil((pl - kx) / sw)));
        const hi = Math.min(outW, Math.max(lo, Math.floor((inW - 1 + pl - kx) / sw) + 1));
        for (let c = 0; c < inC; c++) {
          const d = (kBase + c) * cnt + col;
          if (!inside) {
            dst.fill(0, d, d + outW);
            continue;
          }
          if (lo > 0) dst.fill(0, d, d + lo);
          if (hi < outW) dst.fill(0, d + hi, d + outW);
          let src = rowBase + (lo * sw + kx - pl) * inC + c;
          for (let ox = lo; ox < hi; ox++, src += step) dst[d + ox] = x[src];
        }
      }
    }
  }
}

