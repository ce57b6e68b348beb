/**
 * Winograd F(2×2, 3×3) transforms for 3×3 stride-1 convolutions (Lavin & Gray, "Fast Algorithms for
 * Convolutional Neural Networks", 2016), and their use for the two gradients.
 *
 * A 2×2 output tile of a 3×3 correlation needs 16 multiplications instead of 36:
 * `Y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A` with d the 4×4 input tile, g the 3×3 filter and
 *
 *     Bᵀ = [1  0 −1  0]     G = [ 1    0    0 ]     Aᵀ = [1 1  1  0]
 *          [0  1  1  0]         [ ½    ½    ½ ]          [0 1 −1 −1]
 *          [0 −1  1  0]         [ ½   −½    ½ ]
 *          [0  1  0 −1]         [ 0    0    1 ]
 *
 * Summed over input channels, each of the 16 products ξ becomes one matrix product
 * `M[ξ] = V[ξ] · U[ξ]` (`[tiles, cin] × [cin, cout]`), which the backend's `BatchMatMul` runs.
 *
 * - Input gradient: a forward Winograd convolution of dy with the flipped, in/out-swapped filter. Since
 *   `G·J = P·G` (J reverses the 3 filter taps, P swaps rows 0 and 3), its transform is
 *   `U'[ξν] = U[p(ξ)p(ν)]ᵀ` with p = (3, 1, 2, 0).
 * - Filter gradient: the same trilinear form differentiated with respect to g gives F(3×3, 2×2):
 *   `dW = Gᵀ[Σ_tiles (A E Aᵀ) ⊙ (Bᵀ D B)]G`, E the 2×2 dy tile and D the 4×4 input tile; the sum over
 *   tiles is the contraction of `[cin, tiles] × [tiles, cout]` matrix products.
 *
 * Everything here works on plain Float32Arrays (NHWC data, HWIO filters); the kernels in
 * `winograd-conv.ts` bind them to a backend. Tiles are numbered `t = (b·tilesH + ty)·tilesW + tx`;
 * output tile (ty, tx) covers output rows 2ty, 2ty+1 and input rows 2ty − pt … 2ty − pt + 3 (zeros
 * outside the input).
 *
 * @internal
 * @packageDocumentation
 */

/** A 3×3 stride-1 convolution `[B, inH, inW, inC] → [B, outH, outW, outC]`, padding pt (top), pl (left). */
export interface WinogradGeometry {
  batch: number; inH: number; inW: number; inC: number;
  outH: number; outW: number; outC: number;
  pt: number; pl: number;
}

/** Number of 2×2 output tiles: `batch · ⌈outH/2⌉ · ⌈outW/2⌉`. */
export function tileCount(g: WinogradGeometry): number {
  return g.batch * Math.ceil(g.outH / 2) * Math.ceil(g.outW / 2);
}

/**
 * Tile t (numbered `(b·tilesH + ty)·tilesW + tx`): its batch index and tile row/column, the flat index
 * `(b·outH + 2ty)·outW + 2tx` of its top-left output pixel, and whether its second output row and
 * column lie inside the output.
 */
function tileAt(g: WinogradGeometry, t: number): { b: number; ty: number; tx: number; pixel: number; row1: boolean; col1: boolean } {
  const tilesH = Math.ceil(g.outH / 2);
  const tilesW = Math.ceil(g.outW / 2);
  const tx = t % tilesW;
  const ty = ((t - tx) / tilesW) % tilesH;
  const b = (t - tx - ty * tilesW) / (tilesW * tilesH);
  return { b, ty, tx, pixel: (b * g.outH + 2 * ty) * g.outW + 2 * tx, row1: 2 * ty + 1 < g.outH, col1: 2 * tx + 1 < g.outW };
}

/** p of the module doc: the index of the transform of the flipped filter. */
const FLIP = [3, 1, 2, 0];

/** The product k = 4ξ + ν of the flipped filter's transform comes from product `flippedIndex(k)` of the filter's. */
export function flippedIndex(k: number): number {
  return FLIP[k >> 2] * 4 + FLIP[k & 3];
}

/**
 * For each tile, the 16 offsets of its 4×4 input window's pixels in `x`, or −1 outside the image.
 * Returns whether every pixel is inside.
 */
function windowOffsets(g: WinogradGeometry, b: number, ty: number, tx: number, offs: Int32Array): boolean {
  let inside = true;
  for (let r = 0; r < 4; r++) {
    const iy = 2 * ty - g.pt + r;
    for (let s = 0; s < 4; s++) {
      const ix = 2 * tx - g.pl + s;
      if (iy < 0 || iy >= g.inH || ix < 0 || ix >= g.inW) {
        offs[r * 4 + s] = -1;
        inside = false;
      } else offs[r * 4 + s] = ((b * g.inH + iy) * g.inW + ix) * g.inC;
    }
  }
  return inside;
}

/**
 * `V[ξ][t·C + c] = (Bᵀ d B)[ξ]` for every tile t and channel c, d the tile's 4×4 window of `src`
 * (offsets `offs`, channel-contiguous). Writes row t of the 16 matrices.
 */
function transformWindow(src: Float32Array, offs: Int32Array, C: number, V: Float32Array[], t: number): void {
  const [o0, o1, o2, o3, o4, o5, o6, o7, o8, o9, o10, o11, o12, o13, o14, o15] = offs;
  const [v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v13, v14, v15] = V;
  const base = t * C;
  for (let c = 0; c < C; c++) {
    const d0 = src[o0 + c], d1 = src[o1 + c], d2 = src[o2 + c], d3 = src[o3 + c];
    const d4 = src[o4 + c], d5 = src[o5 + c], d6 = src[o6 + c], d7 = src[o7 + c];
    const d8 = src[o8 + c], d9 = src[o9 + c], d10 = src[o10 + c], d11 = src[o11 + c];
    const d12 = src[o12 + c], d13 = src[o13 + c], d14 = src[o14 + c], d15 = src[o15 + c];
    // rows: Bᵀ d (d row-major, d[r][s] = dₖ with k = 4r + s)
    const a0 = d0 - d8, a1 = d1 - d9, a2 = d2 - d10, a3 = d3 - d11;
    const b0 = d4 + d8, b1 = d5 + d9, b2 = d6 + d10, b3 = d7 + d11;
    const e0 = d8 - d4, e1 = d9 - d5, e2 = d10 - d6, e3 = d11 - d7;
    const f0 = d4 - d12, f1 = d5 - d13, f2 = d6 - d14, f3 = d7 - d15;
    // columns: (·) B
    const i = base + c;
    v0[i] = a0 - a2; v1[i] = a1 + a2; v2[i] = a2 - a1; v3[i] = a1 - a3;
    v4[i] = b0 - b2; v5[i] = b1 + b2; v6[i] = b2 - b1; v7[i] = b1 - b3;
    v8[i] = e0 - e2; v9[i] = e1 + e2; v10[i] = e2 - e1; v11[i] = e1 - e3;
    v12[i] = f0 - f2; v13[i] = f1 + f2; v14[i] = f2 - f1; v15[i] = f1 - f3;
  }
}

/**
 * Input transform: `V[ξ]` (16 arrays of `[tiles, inC]`) `= Bᵀ d B` of every tile's 4×4 input window of
 * x (`[B, inH, inW, inC]`, zeros outside), for tiles t0 … t1−1. Windows that cross the border are copied
 * to a zero-padded scratch first.
 */
export function inputTransform(x: Float32Array, g: WinogradGeometry, V: Float32Array[], t0 = 0, t1 = tileCount(g)): void {
  const C = g.inC;
  const offs = new Int32Array(16);
  const padded = new Float32Array(16 * C);
  const local = new Int32Array(16).map((_, k) => k * C);
  for (let t = t0; t < t1; t++) {
    const { b, ty, tx } = tileAt(g, t);
    if (windowOffsets(g, b, ty, tx, offs)) {
      transformWindow(x, offs, C, V, t);
      continue;
    }
    for (let k = 0; k < 16; k++) {
      if (offs[k] < 0) padded.fill(0, k * C, (k + 1) * C);
      else padded.set(x.subarray(offs[k], offs[k] + C), k * C);
    }
    transformWindow(padded, local, C, V, t);
  }
}

/**
 * Output transform: `y` (`[B, outH, outW, outC]`) `= Aᵀ m A` of every tile, m the tile's row of the 16
 * products `M[ξ]` (`[tiles, outC]`), for tiles t0 … t1−1; outputs past outH/outW are dropped.
 */
export function outputTransform(M: Float32Array[], g: WinogradGeometry, y: Float32Array, t0 = 0, t1 = tileCount(g)): void {
  const C = g.outC;
  const [m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15] = M;
  for (let t = t0; t < t1; t++) {
    const { pixel, row1, col1 } = tileAt(g, t);
    const y00 = pixel * C;
    const y10 = y00 + g.outW * C;
    const base = t * C;
    for (let c = 0; c < C; c++) {
      const i = base + c;
      // rows: Aᵀ m
      const u0 = m0[i] + m4[i] + m8[i], u1 = m1[i] + m5[i] + m9[i];
      const u2 = m2[i] + m6[i] + m10[i], u3 = m3[i] + m7[i] + m11[i];
      const w0 = m4[i] - m8[i] - m12[i], w1 = m5[i] - m9[i] - m13[i];
      const w2 = m6[i] - m10[i] - m14[i], w3 = m7[i] - m11[i] - m15[i];
      // columns: (·) A
      y[y00 + c] = u0 + u1 + u2;
      if (col1) y[y00 + C + c] = u1 - u2 - u3;
      if (row1) {
        y[y10 + c] = w0 + w1 + w2;
        if (col1) y[y10 + C + c] = w1 - w2 - w3;
      }
    }
  }
}

/**
 * Filter transform: `U[ξ]` (16 arrays of `[inC, outC]`) `= G g Gᵀ` for every (ci, co), g the 3×3 taps
 * `w[ky, kx, ci, co]` of an HWIO filter `[3, 3, inC, outC]`, for i = ci·outC + co in i0 … i1−1.
 */
export function filterTransform(w: Float32Array, inC: number, outC: number, U: Float32Array[], i0 = 0, i1 = inC * outC): void {
  const n = inC * outC;
  const [u0, u1, u2, u3, u4, u5, u6, u7, u8, u9, u10, u11, u12, u13, u14, u15] = U;
  for (let i = i0; i < i1; i++) {
    const g00 = w[i], g01 = w[n + i], g02 = w[2 * n + i];
    const g10 = w[3 * n + i], g11 = w[4 * n + i], g12 = w[5 * n + i];
    const g20 = w[6 * n + i], g21 = w[7 * n + i], g22 = w[8 * n + i];
    // rows: G g
    const s0 = 0.5 * (g00 + g20), s1 = 0.5 * (g01 + g21), s2 = 0.5 * (g02 + g22);
    const h10 = s0 + 0.5 * g10, h11 = s1 + 0.5 * g11, h12 = s2 + 0.5 * g12;
    const h20 = s0 - 0.5 * g10, h21 = s1 - 0.5 * g11, h22 = s2 - 0.5 * g12;
    // columns: (·) Gᵀ
    u0[i] = g00; u1[i] = 0.5 * (g00 + g01 + g02); u2[i] = 0.5 * (g00 - g01 + g02); u3[i] = g02;
    u4[i] = h10; u5[i] = 0.5 * (h10 + h11 + h12); u6[i] = 0.5 * (h10 - h11 + h12); u7[i] = h12;
    u8[i] = h20; u9[i] = 0.5 * (h20 + h21 + h22); u10[i] = 0.5 * (h20 - h21 + h22); u11[i] = h22;
    u12[i] = g20; u13[i] = 0.5 * (g20 + g21 + g22); u14[i] = 0.5 * (g20 - g21 + g22); u15[i] = g22;
  }
}

/** `dst[c·rows + r] = src[r·cols + c]`, in 32×32 blocks. */
export function transpose(src: Float32Array, rows: number, cols: number, dst: Float32Array): void {
  const B = 32;
  for (let r0 = 0; r0 < rows; r0 += B) {
    const r1 = Math.min(rows, r0 + B);
    for (let c0 = 0; c0 < cols; c0 += B) {
      const c1 = Math.min(cols, c0 + B);
      for (let r = r0; r < r1; r++) {
        const s = r * cols;
        for (let c = c0; c < c1; c++) dst[c * rows + r] = src[s + c];
      }
    }
  }
}

/**
 * dy transform of the filter gradient: `E[ξ]` (16 arrays of `[tiles, outC]`) `= A e Aᵀ` of every
 * tile's 2×2 block e of dy (`[B, outH, outW, outC]`, zeros past outH/outW), for tiles t0 … t1−1.
 */
export function gradTransform(dy: Float32Array, g: WinogradGeometry, E: Float32Array[], t0 = 0, t1 = tileCount(g)): void {
  const C = g.outC;
  const [e0, e1, e2, e3, e4, e5, e6, e7, e8, e9, e10, e11, e12, e13, e14, e15] = E;
  const zeros = new Float32Array(C);
  for (let t = t0; t < t1; t++) {
    const { pixel, row1, col1 } = tileAt(g, t);
    const p00 = pixel * C;
    // the 2×2 block as four channel rows (zeros outside)
    const r00 = dy.subarray(p00, p00 + C);
    const r01 = col1 ? dy.subarray(p00 + C, p00 + 2 * C) : zeros;
    const r10 = row1 ? dy.subarray(p00 + g.outW * C, p00 + g.outW * C + C) : zeros;
    const r11 = row1 && col1 ? dy.subarray(p00 + g.outW * C + C, p00 + g.outW * C + 2 * C) : zeros;
    const base = t * C;
    for (let c = 0; c < C; c++) {
      const a = r00[c], bb = r01[c], cc = r10[c], d = r11[c];
      // rows: A e = [e0, e0 + e1, e0 − e1, −e1] (per column), then columns the same
      const s0 = a + cc, s1 = bb + d, d0 = a - cc, d1 = bb - d;
      const i = base + c;
      e0[i] = a; e1[i] = a + bb; e2[i] = a - bb; e3[i] = -bb;
      e4[i] = s0; e5[i] = s0 + s1; e6[i] = s0 - s1; e7[i] = -s1;
      e8[i] = d0; e9[i] = d0 + d1; e10[i] = d0 - d1; e11[i] = -d1;
      e12[i] = -cc; e13[i] = -cc - d; e14[i] = d - cc; e15[i] = d;
    }
  }
}

/**
 * Back transform of the filter gradient: `dw[ky, kx, ci, co]` (HWIO `[3, 3, inC, outC]`)
 * `= (Gᵀ m G)[ky][kx]`, m the 16 sums `M[ξ][ci·outC + co]` (`[inC, outC]` each), for i = ci·outC + co
 * in i0 … i1−1.
 */
export function filterGradTransform(M: Float32Array[], inC: number, outC: number, dw: Float32Array, i0 = 0, i1 = inC * outC): void {
  const n = inC * outC;
  const [m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15] = M;
  for (let i = i0; i < i1; i++) {
    // rows: Gᵀ m, q0 = m0 + ½(m1 + m2), q1 = ½(m1 − m2), q2 = ½(m1 + m2) + m3 (row-wise)
    const h0 = 0.5 * (m4[i] + m8[i]), h1 = 0.5 * (m5[i] + m9[i]), h2 = 0.5 * (m6[i] + m10[i]), h3 = 0.5 * (m7[i] + m11[i]);
    const q00 = m0[i] + h0, q01 = m1[i] + h1, q02 = m2[i] + h2, q03 = m3[i] + h3;
    const q10 = 0.5 * (m4[i] - m8[i]), q11 = 0.5 * (m5[i] - m9[i]), q12 = 0.5 * (m6[i] - m10[i]), q13 = 0.5 * (m7[i] - m11[i]);
    const q20 = h0 + m12[i], q21 = h1 + m13[i], q22 = h2 + m14[i], q23 = h3 + m15[i];
    // columns: (·) G
    const c0 = 0.5 * (q01 + q02), c1 = 0.5 * (q11 + q12), c2 = 0.5 * (q21 + q22);
    dw[i] = q00 + c0; dw[n + i] = 0.5 * (q01 - q02); dw[2 * n + i] = c0 + q03;
    dw[3 * n + i] = q10 + c1; dw[4 * n + i] = 0.5 * (q11 - q12); dw[5 * n + i] = c1 + q13;
    dw[6 * n + i] = q20 + c2; dw[7 * n + i] = 0.5 * (q21 - q22); dw[8 * n + i] = c2 + q23;
  }
}
