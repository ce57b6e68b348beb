/**
 * The max-pool gradient loop of the wasm training kernels, free of TF.js so that the helper threads of
 * `thread-pool.ts` can run it.
 *
 * @internal
 * @packageDocumentation
 */

/**
 * The 2×2 stride-2 case of {@link maxPoolGradWasm} (every darknet down-sampling pool) in one pass over the
 * channels per window: the same first-maximum rule, windows clipped at the bottom and right edges
 * ('same' padding of odd sizes), for output rows r0 … r1−1 (r = b·outH + oy). Writes every input
 * position of those windows (0 where it is not the maximum); positions outside every window ('valid'
 * padding of odd sizes) are left as they are.
 * @internal
 */
export function maxPoolGrad2x2(
  x: Float32Array, g: Float32Array, out: Float32Array,
  batch: number, H: number, W: number, C: number, outH: number, outW: number,
  r0 = 0, r1 = batch * outH,
): void {
  for (let r = r0; r < r1; r++) {
    const oy = r % outH;
    const b = (r - oy) / outH;
    const iy = oy * 2;
    const row0 = (b * H + iy) * W;
    const hasRow1 = iy + 1 < H;
    for (let ox = 0; ox < outW; ox++) {
      const ix = ox * 2;
      const hasCol1 = ix + 1 < W;
      const p00 = (row0 + ix) * C;
      const p01 = hasCol1 ? p00 + C : -1;
      const p10 = hasRow1 ? p00 + W * C : -1;
      const p11 = hasRow1 && hasCol1 ? p10 + C : -1;
      const gBase = (r * outW + ox) * C;
      for (let c = 0; c < C; c++) {
        // which of the window's (up to) four positions holds its first maximum (−1: none, all NaN)
        let best = x[p00 + c];
        let at = best > -Infinity ? 0 : -1;
        if (at < 0) best = -Infinity;
        let v: number;
        if (p01 >= 0) { v = x[p01 + c]; if (v > best) { best = v; at = 1; } }
        if (p10 >= 0) { v = x[p10 + c]; if (v > best) { best = v; at = 2; } }
        if (p11 >= 0) { v = x[p11 + c]; if (v > best) { at = 3; } }
        const gv = g[gBase + c];
        out[p00 + c] = at === 0 ? gv : 0;
        if (p01 >= 0) out[p01 + c] = at === 1 ? gv : 0;
        if (p10 >= 0) out[p10 + c] = at === 2 ? gv : 0;
        if (p11 >= 0) out[p11 + c] = at === 3 ? gv : 0;
      }
    }
  }
}
