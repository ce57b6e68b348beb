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
 * around the first row (shifted sums, so a large mean does not cancel the variance away).
 * @internal
 */
export function channelMoments(x: Float32Array, C: number, mean: Float32Array, variance: Float32Array): void {
  const n = x.length / C;
  const s1 = new Float64Array(C);
  const s2 = new Float64Array(C);
  const shift = x.subarray(0, C);
  for (let i = 0; i < x.length; i += C) {
    for (let c = 0; c < C; c++) {
      const d = x[i + c] - shift[c];
      s1[c] += d;
      s2[c] += d * d;
    }
  }
  for (let c = 0; c < C; c++) {
    const m = s1[c] / n;
    mean[c] = shift[c] + m;
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
  if (alpha < 0) {
    for (let i = 0; i < x.length; i += C) for (let c = 0; c < C; c++) y[i + c] = x[i + c] * scale[c] + shift[c];
    return;
  }
  for (let i = 0; i < x.length; i += C) {
    for (let c = 0; c < C; c++) {
      const v = x[i + c] * scale[c] + shift[c];
      y[i + c] = v > 0 ? v : v * alpha;
    }
  }
}

/**
 * The gradient of {@link normalizeLeaky} with batch statistics: `dy = da·(y > 0 ? 1 : α)`,
 * `x̂ = (x − μ)/sqrt(σ² + ε)`, `dβ = Σ dy`, `dγ = Σ dy·x̂`, `dx = γ/sqrt(σ² + ε)·(dy − dβ/n − x̂·dγ/n)`
 * (sums in float64). A NaN in `y` gives a NaN gradient, as the composite path's `step` does.
 * @internal
 */
export function normalizeLeakyGrad(
  da: Float32Array, x: Float32Array, y: Float32Array, C: number, mean: Float32Array, variance: Float32Array,
  gamma: Float32Array, epsilon: number, alpha: number, dx: Float32Array, dgamma: Float32Array, dbeta: Float32Array,
): void {
  const n = x.length / C;
  const inv = new Float32Array(C);
  for (let c = 0; c < C; c++) inv[c] = 1 / Math.sqrt(variance[c] + epsilon);
  const sdy = new Float64Array(C);
  const sdyx = new Float64Array(C);
  const slope = (yv: number): number => (yv > 0 ? 1 : yv <= 0 ? alpha : NaN);
  const leaky = alpha >= 0;
  for (let i = 0; i < x.length; i += C) {
    for (let c = 0; c < C; c++) {
      const d = leaky ? da[i + c] * slope(y[i + c]) : da[i + c];
      sdy[c] += d;
      sdyx[c] += d * (x[i + c] - mean[c]) * inv[c];
    }
  }
  const k = new Float32Array(C);
  const a = new Float32Array(C);
  const b = new Float32Array(C);
  for (let c = 0; c < C; c++) {
    dbeta[c] = sdy[c];
    dgamma[c] = sdyx[c];
    k[c] = gamma[c] * inv[c];
    a[c] = sdy[c] / n;
    b[c] = (sdyx[c] / n) * inv[c];
  }
  // dx = k·(dy − a − (x − μ)·b)
  for (let i = 0; i < x.length; i += C) {
    for (let c = 0; c < C; c++) {
      const d = leaky ? da[i + c] * slope(y[i + c]) : da[i + c];
      dx[i + c] = k[c] * (d - a[c] - (x[i + c] - mean[c]) * b[c]);
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
