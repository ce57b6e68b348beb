/**
 * The matrices of the Winograd algorithms F(m×m, 3×3) used for inference (Lavin & Gray, "Fast
 * Algorithms for Convolutional Neural Networks", 2016): `Y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A` for a 3×3
 * filter g and an (m + 2)×(m + 2) input tile d, giving an m×m output tile with (m + 2)² multiplications
 * per channel pair instead of 9m². F(2×2, 3×3) (16 products for 4 outputs) is the one `winograd.ts`
 * also uses for training; F(4×4, 3×3) (36 products for 16 outputs) uses the points 0, ±1, ±2, ∞.
 *
 * @internal
 * @packageDocumentation
 */

/** Output tile side: 2 for F(2×2, 3×3), 4 for F(4×4, 3×3). */
export type TileSize = 2 | 4;

export interface WinogradMatrices {
  /** Bᵀ, (m + 2) × (m + 2). */
  BT: number[][];
  /** G, (m + 2) × 3. */
  G: number[][];
  /** Aᵀ, m × (m + 2). */
  AT: number[][];
}

export const WINOGRAD_MATRICES: Record<TileSize, WinogradMatrices> = {
  2: {
    BT: [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]],
    G: [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]],
    AT: [[1, 1, 1, 0], [0, 1, -1, -1]],
  },
  4: {
    BT: [
      [4, 0, -5, 0, 1, 0],
      [0, -4, -4, 1, 1, 0],
      [0, 4, -4, -1, 1, 0],
      [0, -2, -1, 2, 1, 0],
      [0, 2, -1, -2, 1, 0],
      [0, 4, 0, -5, 0, 1],
    ],
    G: [
      [1 / 4, 0, 0],
      [-1 / 6, -1 / 6, -1 / 6],
      [-1 / 6, 1 / 6, -1 / 6],
      [1 / 24, 1 / 12, 1 / 6],
      [1 / 24, -1 / 12, 1 / 6],
      [0, 0, 1],
    ],
    AT: [
      [1, 1, 1, 1, 1, 0],
      [0, 1, -1, 2, -2, 0],
      [0, 1, 1, 4, 4, 0],
      [0, 1, -1, 8, -8, 1],
    ],
  },
};

/**
 * `U[ξ] = (G g Gᵀ)[ξ]` (ξ = (m + 2)·row + column) for every (ci, co) of an HWIO filter `[3, 3, inC, outC]`,
 * in float64 before rounding; U holds (m + 2)² arrays of `[inC, outC]`.
 */
export function filterTransformM(w: Float32Array, inC: number, outC: number, m: TileSize, U: Float32Array[]): void {
  const { G } = WINOGRAD_MATRICES[m];
  const a = m + 2;
  const n = inC * outC;
  const h = new Float64Array(3 * a);
  for (let i = 0; i < n; i++) {
    // h = G g (a × 3), then U = h Gᵀ (a × a)
    for (let r = 0; r < a; r++) {
      for (let c = 0; c < 3; c++) h[3 * r + c] = G[r][0] * w[c * n + i] + G[r][1] * w[(3 + c) * n + i] + G[r][2] * w[(6 + c) * n + i];
    }
    for (let r = 0; r < a; r++) {
      for (let c = 0; c < a; c++) U[a * r + c][i] = h[3 * r] * G[c][0] + h[3 * r + 1] * G[c][1] + h[3 * r + 2] * G[c][2];
    }
  }
}

/**
 * The first pass of the F(4×4, 3×3) filter transform alone, `H = G g` (6 × 3), for every (ci, co) of an
 * HWIO filter `[3, 3, inC, outC]`, in float64 before rounding: H holds 18 arrays `[inC, outC]`, H[3i + a]
 * = Σ_ky G[i][ky]·g[ky][a]. The second pass, `U = H Gᵀ`, is then done per call (`wgExpand4`).
 */
export function filterHalfTransform4(w: Float32Array, inC: number, outC: number, H: Float32Array[]): void {
  const { G } = WINOGRAD_MATRICES[4];
  const n = inC * outC;
  for (let i = 0; i < n; i++) {
    for (let r = 0; r < 6; r++) {
      for (let c = 0; c < 3; c++) H[3 * r + c][i] = G[r][0] * w[c * n + i] + G[r][1] * w[(3 + c) * n + i] + G[r][2] * w[(6 + c) * n + i];
    }
  }
}
