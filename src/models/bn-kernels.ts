/**
 * Fused training-mode batch norm (+ leaky ReLU) kernels for the cpu and wasm backends: the forward pass
 * (batch statistics and normalisation) and its gradient, each in two passes over the activation instead
 * of the eight to twelve full-size elementwise kernels and axis reductions of the composite path (on
 * wasm a reduction over axes [0, 1, 2] transposes its input first). Used by `batchNormTraining`
 * (layers.ts) when {@link registerTrainingKernels} has installed them for the active backend; other
 * backends (webgl, tfjs-node) keep the composite path. See {@link registerTrainingKernels}.
 *
 * @internal
 * @packageDocumentation
 */
import type { CpuBackendLike, KernelArgs, TensorInfo, WasmBackendLike } from './kernel-util.js';

/**
 * Kernel name of the fused forward pass. Inputs `{ x [B, H, W, C], gamma [C], beta [C] }`, attributes
 * `{ epsilon, alpha }` (alpha: the leaky slope, or a negative number for no activation); outputs
 * `[y [B, H, W, C], mean [C], variance [C]]` (biased batch variance).
 */
export const BN_TRAIN_KERNEL = 'YOLOv2BatchNormTrain';
/**
 * Kernel name of the fused gradient. Inputs `{ da, x, y, mean, variance, gamma }`, attributes
 * `{ epsilon, alpha }`; outputs `[dx, dgamma, dbeta]`.
 */
export const BN_TRAIN_GRAD_KERNEL = 'YOLOv2BatchNormTrainGrad';

/**
 * Per-channel batch mean and biased variance of `x` viewed as `[n, C]` rows, accumulated in float64
 * around the first row (shifted sums, so a large mean does not cancel the variance away). Four rows per
 * iteration: the per-channel accumulators live in memory, and one update per four values keeps the loop
 * near memory speed.
 * @internal
 */
export function channelMoments(x: Float32Array, C: number, mean: Float32Array, variance: Float32Array): void {
  const n = x.length / C;
  const s1 = new Float64Array(C);
  const s2 = new Float64Array(C);
  const k = Float64Array.from(x.subarray(0, C));
  const C2 = 2 * C;
  const C3 = 3 * C;
  let r = 0;
  for (; r + 3 < n; r += 4) {
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
  for (; r < n; r++) {
    const o = r * C;
    for (let c = 0; c < C; c++) {
      const a = x[o + c] - k[c];
      s1[c] += a;
      s2[c] += a * a;
    }
  }
  for (let c = 0; c < C; c++) {
    const m = s1[c] / n;
    mean[c] = k[c] + m;
    variance[c] = Math.max(0, s2[c] / n - m * m);
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
  const scale = new Float32Array(C);
  const shift = new Float32Array(C);
  for (let c = 0; c < C; c++) {
    scale[c] = gamma[c] / Math.sqrt(variance[c] + epsilon);
    shift[c] = beta[c] - mean[c] * scale[c];
  }
  const len = x.length;
  if (alpha < 0) {
    for (let i = 0; i < len; i += C) for (let c = 0; c < C; c++) y[i + c] = x[i + c] * scale[c] + shift[c];
    return;
  }
  for (let i = 0; i < len; i += C) {
    for (let c = 0; c < C; c++) {
      const v = x[i + c] * scale[c] + shift[c];
      y[i + c] = v > 0 ? v : v * alpha;
    }
  }
}

/**
 * The gradient of {@link normalizeLeaky} with batch statistics: `dy = da·(y > 0 ? 1 : α)`,
 * `x̂ = (x − μ)/sqrt(σ² + ε)`, `dβ = Σ dy`, `dγ = Σ dy·x̂`, `dx = γ/sqrt(σ² + ε)·(dy − dβ/n − x̂·dγ/n)`
 * (sums in float64, four rows per iteration as {@link channelMoments}). A NaN in x or in a channel's
 * statistics makes that channel's dx and dγ NaN.
 * @internal
 */
export function normalizeLeakyGrad(
  da: Float32Array, x: Float32Array, y: Float32Array, C: number, mean: Float32Array, variance: Float32Array,
  gamma: Float32Array, epsilon: number, alpha: number, dx: Float32Array, dgamma: Float32Array, dbeta: Float32Array,
): void {
  const n = x.length / C;
  const len = x.length;
  const lo = alpha < 0 ? 1 : alpha; // slope where y ≤ 0 (1: no activation)
  const mu = Float64Array.from(mean);
  const sdy = new Float64Array(C);
  const sdx = new Float64Array(C); // Σ dy·(x − μ)
  const C2 = 2 * C;
  const C3 = 3 * C;
  // pass 1: dy (kept in dx) and the two per-channel sums
  let r = 0;
  for (; r + 3 < n; r += 4) {
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
  for (; r < n; r++) {
    const o = r * C;
    for (let c = 0; c < C; c++) {
      const d = y[o + c] > 0 ? da[o + c] : da[o + c] * lo;
      dx[o + c] = d;
      sdy[c] += d;
      sdx[c] += d * (x[o + c] - mu[c]);
    }
  }
  const k = new Float32Array(C);
  const a = new Float32Array(C);
  const b = new Float32Array(C);
  for (let c = 0; c < C; c++) {
    const inv = 1 / Math.sqrt(variance[c] + epsilon);
    dbeta[c] = sdy[c];
    dgamma[c] = sdx[c] * inv;
    k[c] = gamma[c] * inv;
    a[c] = sdy[c] / n;
    b[c] = (sdx[c] / n) * inv * inv;
  }
  // pass 2: dx = k·(dy − a − (x − μ)·b)
  for (let i = 0; i < len; i += C) {
    for (let c = 0; c < C; c++) {
      const j = i + c;
      dx[j] = k[c] * (dx[j] - a[c] - (x[j] - mean[c]) * b[c]);
    }
  }
}

function attrsOf(args: KernelArgs): { epsilon: number; alpha: number } {
  const attrs = args.attrs ?? {};
  return { epsilon: attrs.epsilon as number, alpha: attrs.alpha as number };
}

/* ---------- wasm ---------- */

export function bnTrainWasm(args: KernelArgs): TensorInfo[] {
  const backend = args.backend as WasmBackendLike;
  const { x, gamma, beta } = args.inputs;
  const { epsilon, alpha } = attrsOf(args);
  const C = x.shape[x.shape.length - 1];
  const y = backend.makeOutput(x.shape.slice(), 'float32');
  const mean = backend.makeOutput([C], 'float32');
  const variance = backend.makeOutput([C], 'float32');
  const v = (t: TensorInfo) => backend.typedArrayFromHeap(t) as Float32Array; // views after every allocation
  channelMoments(v(x), C, v(mean), v(variance));
  normalizeLeaky(v(x), C, v(mean), v(variance), v(gamma), v(beta), epsilon, alpha, v(y));
  return [y, mean, variance];
}

export function bnTrainGradWasm(args: KernelArgs): TensorInfo[] {
  const backend = args.backend as WasmBackendLike;
  const { da, x, y, mean, variance, gamma } = args.inputs;
  const { epsilon, alpha } = attrsOf(args);
  const C = x.shape[x.shape.length - 1];
  const dx = backend.makeOutput(x.shape.slice(), 'float32');
  const dgamma = backend.makeOutput([C], 'float32');
  const dbeta = backend.makeOutput([C], 'float32');
  const v = (t: TensorInfo) => backend.typedArrayFromHeap(t) as Float32Array;
  normalizeLeakyGrad(v(da), v(x), v(y), C, v(mean), v(variance), v(gamma), epsilon, alpha, v(dx), v(dgamma), v(dbeta));
  return [dx, dgamma, dbeta];
}

/* ---------- cpu ---------- */

function cpuValues(backend: CpuBackendLike, t: TensorInfo): Float32Array {
  const values = backend.data.get(t.dataId).values;
  return values instanceof Float32Array ? values : Float32Array.from(values);
}

export function bnTrainCpu(args: KernelArgs): TensorInfo[] {
  const backend = args.backend as CpuBackendLike;
  const { x, gamma, beta } = args.inputs;
  const { epsilon, alpha } = attrsOf(args);
  const C = x.shape[x.shape.length - 1];
  const xv = cpuValues(backend, x);
  const mean = new Float32Array(C);
  const variance = new Float32Array(C);
  const y = new Float32Array(xv.length);
  channelMoments(xv, C, mean, variance);
  normalizeLeaky(xv, C, mean, variance, cpuValues(backend, gamma), cpuValues(backend, beta), epsilon, alpha, y);
  return [
    backend.makeTensorInfo(x.shape.slice(), 'float32', y),
    backend.makeTensorInfo([C], 'float32', mean),
    backend.makeTensorInfo([C], 'float32', variance),
  ];
}

export function bnTrainGradCpu(args: KernelArgs): TensorInfo[] {
  const backend = args.backend as CpuBackendLike;
  const { da, x, y, mean, variance, gamma } = args.inputs;
  const { epsilon, alpha } = attrsOf(args);
  const C = x.shape[x.shape.length - 1];
  const xv = cpuValues(backend, x);
  const dx = new Float32Array(xv.length);
  const dgamma = new Float32Array(C);
  const dbeta = new Float32Array(C);
  normalizeLeakyGrad(
    cpuValues(backend, da), xv, cpuValues(backend, y), C, cpuValues(backend, mean), cpuValues(backend, variance),
    cpuValues(backend, gamma), epsilon, alpha, dx, dgamma, dbeta,
  );
  return [
    backend.makeTensorInfo(x.shape.slice(), 'float32', dx),
    backend.makeTensorInfo([C], 'float32', dgamma),
    backend.makeTensorInfo([C], 'float32', dbeta),
  ];
}
