/**
 * The batch-norm loops over an activation viewed as `[n, C]` rows: moments, normalisation (+ leaky
 * ReLU) and the gradient's sums and application, each over a row range so that the kernels of
 * `batch-norm.ts` and the helper threads' tasks (`tasks.ts`) can split them. Plain typed arrays, free of
 * TF.js and of the thread pool.
 *
 * @internal
 * @packageDocumentation
 */
/**
 * Shifted per-channel sums of rows r0 … r1−1 of `x` viewed as `[n, C]` rows, added to `sums`
 * (float64, `[2C]`): `sums[c] += Σ (x − k)`, `sums[C + c] += Σ (x − k)²`, k the first row of x (shifted
 * sums, so a large mean does not cancel the variance away). Four rows per iteration: the per-channel
 * accumulators live in memory, and one update per four values keeps the loop near memory speed.
 * @internal
 */
export function momentSums(x: Float32Array, C: number, r0: number, r1: number, sums: Float64Array): void {
  const k = Float64Array.from(x.subarray(0, C));
  const s1 = new Float64Array(C);
  const s2 = new Float64Array(C);
  const C2 = 2 * C;
  const C3 = 3 * C;
  let r = r0;
  for (; r + 3 < r1; r += 4) {
    const o = r * C;
    for (let c = 0; c < C; c++) {
      const kc = k[c];
      const a = x[o + c] - kc;
      const b = x[o + C + c] - kc;
      const d = x[o + C2 + c] - kc;
      const e = x[o + C3 + c] - kc;
      s1[c] += a + b + (d + e);
      s2[c] += a * a + b * b + (d * d + e * e);
    }
  }
  for (; r < r1; r++) {
    const o = r * C;
    for (let c = 0; c < C; c++) {
      const a = x[o + c] - k[c];
      s1[c] += a;
      s2[c] += a * a;
    }
  }
  for (let c = 0; c < C; c++) {
    sums[c] += s1[c];
    sums[C + c] += s2[c];
  }
}

/** Batch mean and biased variance from the {@link momentSums} of all n rows. @internal */
export function finishMoments(x: Float32Array, C: number, n: number, sums: Float64Array, mean: Float32Array, variance: Float32Array): void {
  for (let c = 0; c < C; c++) {
    const m = sums[c] / n;
    mean[c] = x[c] + m;
    variance[c] = Math.max(0, sums[C + c] / n - m * m);
  }
}

/**
 * Per-channel batch mean and biased variance of `x` viewed as `[n, C]` rows, accumulated in float64
 * around the first row ({@link momentSums}).
 * @internal
 */
export function channelMoments(x: Float32Array, C: number, mean: Float32Array, variance: Float32Array): void {
  const n = x.length / C;
  const sums = new Float64Array(2 * C);
  momentSums(x, C, 0, n, sums);
  finishMoments(x, C, n, sums, mean, variance);
}

/** `scale = γ/sqrt(σ² + ε)` and `shift = β − μ·scale`, into `out` (`[2C]`: scale, then shift). @internal */
export function normalizeCoefficients(
  C: number, mean: Float32Array, variance: Float32Array, gamma: Float32Array, beta: Float32Array, epsilon: number, out: Float32Array,
): void {
  for (let c = 0; c < C; c++) {
    const scale = gamma[c] / Math.sqrt(variance[c] + epsilon);
    out[c] = scale;
    out[C + c] = beta[c] - mean[c] * scale;
  }
}

/** `y = leaky(x·scale + shift)` for rows r0 … r1−1 (coefficients `[2C]` as {@link normalizeCoefficients}). @internal */
export function normalizeRows(x: Float32Array, C: number, coef: Float32Array, alpha: number, y: Float32Array, r0: number, r1: number): void {
  const scale = coef.subarray(0, C);
  const shift = coef.subarray(C, 2 * C);
  const end = r1 * C;
  if (alpha < 0) {
    for (let i = r0 * C; i < end; i += C) for (let c = 0; c < C; c++) y[i + c] = x[i + c] * scale[c] + shift[c];
    return;
  }
  for (let i = r0 * C; i < end; i += C) {
    for (let c = 0; c < C; c++) {
      const v = x[i + c] * scale[c] + shift[c];
      y[i + c] = v > 0 ? v : v * alpha;
    }
  }
}

/**
 * `y = leaky(γ·(x − μ)/sqrt(σ² + ε) + β)` over `[n, C]` rows; `alpha < 0` means no activation.
 * @internal
 */
export function normalizeLeaky(
  x: Float32Array, C: number, mean: Float32Array, variance: Float32Array,
  gamma: Float32Array, beta: Float32Array, epsilon: number, alpha: number, y: Float32Array,
): void {
  const coef = new Float32Array(2 * C);
  normalizeCoefficients(C, mean, variance, gamma, beta, epsilon, coef);
  normalizeRows(x, C, coef, alpha, y, 0, x.length / C);
}

/**
 * Pass 1 of {@link normalizeLeakyGrad} for rows r0 … r1−1: `dx = dy = da·(y > 0 ? 1 : α)` and the sums
 * `sums[c] += Σ dy`, `sums[C + c] += Σ dy·(x − μ)` (float64, `[2C]`).
 * @internal
 */
export function gradSums(
  da: Float32Array, x: Float32Array, y: Float32Array, C: number, mean: Float32Array, alpha: number,
  dx: Float32Array, r0: number, r1: number, sums: Float64Array,
): void {
  const lo = alpha < 0 ? 1 : alpha; // slope where y ≤ 0 (1: no activation)
  const mu = Float64Array.from(mean.subarray(0, C));
  const sdy = new Float64Array(C);
  const sdx = new Float64Array(C); // Σ dy·(x − μ)
  const C2 = 2 * C;
  const C3 = 3 * C;
  let r = r0;
  for (; r + 3 < r1; r += 4) {
    const o = r * C;
    for (let c = 0; c < C; c++) {
      const i0 = o + c;
      const i1 = i0 + C;
      const i2 = i0 + C2;
      const i3 = i0 + C3;
      const d0 = y[i0] > 0 ? da[i0] : da[i0] * lo;
      const d1 = y[i1] > 0 ? da[i1] : da[i1] * lo;
      const d2 = y[i2] > 0 ? da[i2] : da[i2] * lo;
      const d3 = y[i3] > 0 ? da[i3] : da[i3] * lo;
      dx[i0] = d0;
      dx[i1] = d1;
      dx[i2] = d2;
      dx[i3] = d3;
      const m = mu[c];
      sdy[c] += d0 + d1 + (d2 + d3);
      sdx[c] += d0 * (x[i0] - m) + d1 * (x[i1] - m) + (d2 * (x[i2] - m) + d3 * (x[i3] - m));
    }
  }
  for (; r < r1; r++) {
    const o = r * C;
    for (let c = 0; c < C; c++) {
      const d = y[o + c] > 0 ? da[o + c] : da[o + c] * lo;
      dx[o + c] = d;
      sdy[c] += d;
      sdx[c] += d * (x[o + c] - mu[c]);
    }
  }
  for (let c = 0; c < C; c++) {
    sums[c] += sdy[c];
    sums[C + c] += sdx[c];
  }
}

/**
 * From the {@link gradSums} of all n rows: dβ, dγ, and the coefficients of pass 2 into `coef` (`[4C]`:
 * k = γ/sqrt(σ² + ε), a = Σdy/n, b = Σdy·(x − μ)/n/(σ² + ε), μ).
 * @internal
 */
export function gradCoefficients(
  C: number, n: number, sums: Float64Array, mean: Float32Array, variance: Float32Array, gamma: Float32Array, epsilon: number,
  dgamma: Float32Array, dbeta: Float32Array, coef: Float32Array,
): void {
  for (let c = 0; c < C; c++) {
    const inv = 1 / Math.sqrt(variance[c] + epsilon);
    dbeta[c] = sums[c];
    dgamma[c] = sums[C + c] * inv;
    coef[c] = gamma[c] * inv;
    coef[C + c] = sums[c] / n;
    coef[2 * C + c] = (sums[C + c] / n) * inv * inv;
    coef[3 * C + c] = mean[c];
  }
}

/** Pass 2 of {@link normalizeLeakyGrad} for rows r0 … r1−1: `dx = k·(dy − a − (x − μ)·b)`, dy read from dx. @internal */
export function gradApply(dx: Float32Array, x: Float32Array, C: number, coef: Float32Array, r0: number, r1: number): void {
  const k = coef.subarray(0, C);
  const a = coef.subarray(C, 2 * C);
  const b = coef.subarray(2 * C, 3 * C);
  const mean = coef.subarray(3 * C, 4 * C);
  const end = r1 * C;
  for (let i = r0 * C; i < end; i += C) {
    for (let c = 0; c < C; c++) {
      const j = i + c;
      dx[j] = k[c] * (dx[j] - a[c] - (x[j] - mean[c]) * b[c]);
    }
  }
}

/**
 * The gradient of {@link normalizeLeaky} with batch statistics: `dy = da·(y > 0 ? 1 : α)`,
 * `x̂ = (x − μ)/sqrt(σ² + ε)`, `dβ = Σ dy`, `dγ = Σ dy·x̂`, `dx = γ/sqrt(σ² + ε)·(dy − dβ/n − x̂·dγ/n)`
 * (sums in float64, four rows per iteration as {@link momentSums}). A NaN in x or in a channel's
 * statistics makes that channel's dx and dγ NaN.
 * @internal
 */
export function normalizeLeakyGrad(
  da: Float32Array, x: Float32Array, y: Float32Array, C: number, mean: Float32Array, variance: Float32Array,
  gamma: Float32Array, epsilon: number, alpha: number, dx: Float32Array, dgamma: Float32Array, dbeta: Float32Array,
): void {
  const n = x.length / C;
  const sums = new Float64Array(2 * C);
  gradSums(da, x, y, C, mean, alpha, dx, 0, n, sums);
  const coef = new Float32Array(4 * C);
  gradCoefficients(C, n, sums, mean, variance, gamma, epsilon, dgamma, dbeta, coef);
  gradApply(dx, x, C, coef, 0, n);
}
