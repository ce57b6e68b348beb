/**
 * Fast CPU training kernels for TF.js's `cpu` and `wasm` backends.
 *
 * Stock TF.js cannot train a conv net on a CPU in reasonable time: the wasm backend has no
 * `Conv2DBackpropFilter` at all, the cpu backend's is a six-deep scalar loop, wasm's
 * `Conv2DBackpropInput` is a scalar loop too, and wasm's `Tile` (used by the batch-norm gradient) costs
 * ~60 ns per element. {@link registerTrainingKernels} replaces them, per backend name, with:
 *
 * - `Conv2DBackpropFilter` (cpu, wasm): im2col of the input into a `[K, N]` matrix
 *   (K = kh·kw·cin, N = B·outH·outW; no transposed matmul, which is ~50× slower on wasm), then the
 *   backend's own `BatchMatMul` `[K, N] × [N, cout]` (XNNPACK on wasm). N is split into chunks so that one
 *   im2col buffer stays below `maxIm2colBytes` (the wasm heap is at most 4 GB).
 * - `Conv2DBackpropInput` (wasm, stride 1, NHWC): a forward `Conv2D` (XNNPACK) of dy with the spatially
 *   flipped, in/out-swapped filter and the complementary padding. Other strides use the stock kernel.
 * - `Tile` (wasm): block copies with doubling `copyWithin`.
 * - `MaxPoolGrad` (wasm): a correct one; the stock wasm kernel (tfjs-backend-wasm 4.22) routes the
 *   gradient to wrong positions, so training on wasm without this is silently wrong.
 * - `Identity` (wasm): zero-copy (shared, reference-counted buffer) instead of a copy; the engine clones
 *   every tensor saved for a gradient, so this halves the activation memory of training.
 *
 * NCHW data, dilations ≠ 1 and other unsupported cases fall through to the stock kernels. Everything
 * here works on backend-internal memory and allocates no engine tensors, so it cannot leak tensors.
 *
 * @packageDocumentation
 */
import * as tf from '@tensorflow/tfjs-core';
import { ValueError, describe } from '../errors.js';

/* ---------- minimal views of the two backends (we may not import them) ---------- */

type TensorInfo = tf.TensorInfo;
type KernelArgs = { inputs: Record<string, TensorInfo>; backend: unknown; attrs?: Record<string, unknown> };
type KernelFunc = (args: KernelArgs) => TensorInfo | TensorInfo[];

interface WasmBackendLike {
  incRef(dataId: object): void;
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: object, force?: boolean): boolean;
}

interface CpuBackendLike {
  data: { get(dataId: object): { values: ArrayLike<number> } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: Float32Array): TensorInfo;
  disposeIntermediateTensorInfo(t: TensorInfo): void;
}

/* ---------- geometry ---------- */

interface Geometry {
  batch: number; inH: number; inW: number; inC: number;
  outH: number; outW: number; outC: number;
  kh: number; kw: number; sh: number; sw: number; pt: number; pl: number; pb: number; pr: number;
}

function geometry(xShape: number[], filterShape: number[], attrs: Record<string, unknown>): Geometry | null {
  const dataFormat = (attrs.dataFormat as string | undefined) ?? 'NHWC';
  if (dataFormat !== 'NHWC' || xShape.length !== 4) return null;
  const dil = attrs.dilations as number | number[] | undefined;
  if (dil != null && (Array.isArray(dil) ? dil.some((d) => d !== 1) : dil !== 1)) return null;
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides as number | [number, number],
    1,
    attrs.pad as 'same' | 'valid' | number,
    attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
    false,
    'channelsLast',
  );
  return {
    batch: info.batchSize, inH: info.inHeight, inW: info.inWidth, inC: info.inChannels,
    outH: info.outHeight, outW: info.outWidth, outC: info.outChannels,
    kh: info.filterHeight, kw: info.filterWidth, sh: info.strideHeight, sw: info.strideWidth,
    pt: info.padInfo.top, pl: info.padInfo.left, pb: info.padInfo.bottom, pr: info.padInfo.right,
  };
}

const BLOCK = 128;
const offsets = new Int32Array(BLOCK);

/**
 * im2col in the `[K, N]` layout for output positions `n0 … n1−1`: `dst[k·(n1−n0) + (n−n0)]` with
 * k = (ky·kw + kx)·inC + c and n = (b·outH + oy)·outW + ox holds `x[b, oy·sh + ky − pt, ox·sw + kx − pl, c]`
 * (0 outside the image). Blocked over n so that the channel-strided reads stay in cache.
 * @internal
 */
export function im2colKN(x: ArrayLike<number>, g: Geometry, n0: number, n1: number, dst: Float32Array): void {
  const cnt = n1 - n0;
  const { inH, inW, inC, outH, outW, kw, sh, sw, pt, pl } = g;
  for (let ky = 0; ky < g.kh; ky++) {
    for (let kx = 0; kx < kw; kx++) {
      const kBase = (ky * kw + kx) * inC;
      for (let nb = n0; nb < n1; nb += BLOCK) {
        const ne = Math.min(nb + BLOCK, n1);
        const len = ne - nb;
        let ox = nb % outW;
        const t = (nb - ox) / outW;
        let oy = t % outH;
        let b = (t - oy) / outH;
        for (let j = 0; j < len; j++) {
          const iy = oy * sh + ky - pt;
          const ix = ox * sw + kx - pl;
          offsets[j] = iy >= 0 && iy < inH && ix >= 0 && ix < inW ? ((b * inH + iy) * inW + ix) * inC : -1;
          if (++ox === outW) {
            ox = 0;
            if (++oy === outH) {
              oy = 0;
              b++;
            }
          }
        }
        const col = nb - n0;
        for (let c = 0; c < inC; c++) {
          const d = (kBase + c) * cnt + col;
          for (let j = 0; j < len; j++) {
            const o = offsets[j];
            dst[d + j] = o < 0 ? 0 : x[o + c];
          }
        }
      }
    }
  }
}

/* ---------- registry of installed kernels ---------- */

interface Installed {
  kernelName: string;
  backendName: string;
  original: tf.KernelConfig | undefined;
}

const installed = new Map<string, Installed>();
let im2colLimitBytes = 256 * 2 ** 20;

/** Options of {@link registerTrainingKernels}. */
export interface TrainingKernelOptions {
  /**
   * Upper bound of one im2col buffer in bytes (default 256 MiB). Larger convolutions are split over
   * the batch·height·width axis and their partial filter gradients summed. Must be ≥ 4·kh·kw·cin.
   */
  maxIm2colBytes?: number;
  /** Backends to patch; default every one of 'cpu' and 'wasm' that is registered with the engine. */
  backends?: ReadonlyArray<'cpu' | 'wasm'>;
}

function stockKernel(kernelName: string, backendName: string): KernelFunc {
  const entry = installed.get(`${kernelName}/${backendName}`);
  const cfg = entry ? entry.original : tf.getKernel(kernelName, backendName);
  if (!cfg) throw new Error(`training kernels: no stock '${kernelName}' kernel for backend '${backendName}'`);
  return cfg.kernelFunc as unknown as KernelFunc;
}

function liveKernel(kernelName: string, backendName: string): KernelFunc {
  const cfg = tf.getKernel(kernelName, backendName);
  if (!cfg) throw new Error(`training kernels: no '${kernelName}' kernel for backend '${backendName}'`);
  return cfg.kernelFunc as unknown as KernelFunc;
}

function chunkSize(g: Geometry): number {
  const k = g.kh * g.kw * g.inC;
  return Math.max(1, Math.floor(im2colLimitBytes / 4 / k));
}

/* ---------- Conv2DBackpropFilter ---------- */

function backpropFilterWasm(args: KernelArgs): TensorInfo {
  const backend = args.backend as WasmBackendLike;
  const { x, dy } = args.inputs;
  const attrs = args.attrs ?? {};
  const filterShape = attrs.filterShape as number[];
  const g = x.dtype === 'float32' ? geometry(x.shape, filterShape, attrs) : null;
  if (!g) return stockKernel(tf.Conv2DBackpropFilter, 'wasm')(args) as TensorInfo;
  const matMul = liveKernel(tf.BatchMatMul, 'wasm');
  const K = g.kh * g.kw * g.inC;
  const N = g.batch * g.outH * g.outW;
  const Co = g.outC;
  const step = chunkSize(g);
  let acc: TensorInfo | null = null;
  for (let n0 = 0; n0 < N; n0 += step) {
    const n1 = Math.min(N, n0 + step);
    const cnt = n1 - n0;
    const cols = backend.makeOutput([1, K, cnt], 'float32');
    let dyPart: TensorInfo;
    let ownDy = false;
    if (n0 === 0 && n1 === N) {
      dyPart = { dataId: dy.dataId, shape: [1, N, Co], dtype: 'float32' };
    } else {
      dyPart = backend.makeOutput([1, cnt, Co], 'float32');
      ownDy = true;
    }
    // views only after the allocations (the heap may have grown and detached older views)
    const xv = backend.typedArrayFromHeap(x) as Float32Array;
    const colsv = backend.typedArrayFromHeap(cols) as Float32Array;
    im2colKN(xv, g, n0, n1, colsv);
    if (ownDy) {
      const dyv = backend.typedArrayFromHeap(dy) as Float32Array;
      (backend.typedArrayFromHeap(dyPart) as Float32Array).set(dyv.subarray(n0 * Co, n1 * Co));
    }
    const part = matMul({ inputs: { a: cols, b: dyPart }, backend, attrs: { transposeA: false, transposeB: false } }) as TensorInfo;
    backend.disposeData(cols.dataId);
    if (ownDy) backend.disposeData(dyPart.dataId);
    if (acc === null) acc = part;
    else {
      const a = backend.typedArrayFromHeap(acc) as Float32Array;
      const p = backend.typedArrayFromHeap(part) as Float32Array;
      for (let i = 0; i < a.length; i++) a[i] += p[i];
      backend.disposeData(part.dataId);
    }
  }
  return { dataId: acc!.dataId, shape: filterShape.slice(), dtype: 'float32' };
}

function backpropFilterCpu(args: KernelArgs): TensorInfo {
  const backend = args.backend as CpuBackendLike;
  const { x, dy } = args.inputs;
  const attrs = args.attrs ?? {};
  const filterShape = attrs.filterShape as number[];
  const g = x.dtype === 'float32' ? geometry(x.shape, filterShape, attrs) : null;
  if (!g) return stockKernel(tf.Conv2DBackpropFilter, 'cpu')(args) as TensorInfo;
  const matMul = liveKernel(tf.BatchMatMul, 'cpu');
  const K = g.kh * g.kw * g.inC;
  const N = g.batch * g.outH * g.outW;
  const Co = g.outC;
  const xv = backend.data.get(x.dataId).values;
  const dyv = backend.data.get(dy.dataId).values as Float32Array;
  const step = chunkSize(g);
  const acc = new Float32Array(K * Co);
  for (let n0 = 0; n0 < N; n0 += step) {
    const n1 = Math.min(N, n0 + step);
    const cnt = n1 - n0;
    const colsv = new Float32Array(K * cnt);
    im2colKN(xv, g, n0, n1, colsv);
    const cols = backend.makeTensorInfo([1, K, cnt], 'float32', colsv);
    const dyPart = backend.makeTensorInfo([1, cnt, Co], 'float32', dyv.subarray(n0 * Co, n1 * Co));
    const part = matMul({ inputs: { a: cols, b: dyPart }, backend, attrs: { transposeA: false, transposeB: false } }) as TensorInfo;
    const pv = backend.data.get(part.dataId).values;
    for (let i = 0; i < acc.length; i++) acc[i] += pv[i];
    backend.disposeIntermediateTensorInfo(cols);
    backend.disposeIntermediateTensorInfo(dyPart);
    backend.disposeIntermediateTensorInfo(part);
  }
  return backend.makeTensorInfo(filterShape.slice(), 'float32', acc);
}

/* ---------- Conv2DBackpropInput (wasm, stride 1) ---------- */

function backpropInputWasm(args: KernelArgs): TensorInfo {
  const backend = args.backend as WasmBackendLike;
  const { dy, filter } = args.inputs;
  const attrs = args.attrs ?? {};
  const inputShape = attrs.inputShape as number[];
  const g = dy.dtype === 'float32' ? geometry(inputShape, filter.shape, attrs) : null;
  // dx = conv(dy, flip(W)ᵀ) with padding (kh−1−pt, inH−outH+kh−1−(kh−1−pt)) = (kh−1−pt, inH−outH+pt)
  const padT = g ? g.kh - 1 - g.pt : -1;
  const padL = g ? g.kw - 1 - g.pl : -1;
  const padB = g ? g.inH - g.outH + g.pt : -1;
  const padR = g ? g.inW - g.outW + g.pl : -1;
  if (!g || g.sh !== 1 || g.sw !== 1 || padT < 0 || padL < 0 || padB < 0 || padR < 0) {
    return stockKernel(tf.Conv2DBackpropInput, 'wasm')(args) as TensorInfo;
  }
  const { kh, kw, inC, outC } = g;
  const flipped = backend.makeOutput([kh, kw, outC, inC], 'float32');
  const w = backend.typedArrayFromHeap(filter) as Float32Array;
  const f = backend.typedArrayFromHeap(flipped) as Float32Array;
  // flipped[y, x, co, ci] = W[kh−1−y, kw−1−x, ci, co]
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) {
      const src = ((kh - 1 - y) * kw + (kw - 1 - x)) * inC * outC;
      const dst = (y * kw + x) * outC * inC;
      for (let ci = 0; ci < inC; ci++) {
        const s = src + ci * outC;
        for (let co = 0; co < outC; co++) f[dst + co * inC + ci] = w[s + co];
      }
    }
  }
  const conv = liveKernel(tf.Conv2D, 'wasm');
  const out = conv({
    inputs: { x: dy, filter: flipped },
    backend,
    attrs: { strides: [1, 1], pad: [[0, 0], [padT, padB], [padL, padR], [0, 0]], dataFormat: 'NHWC', dilations: [1, 1] },
  }) as TensorInfo;
  backend.disposeData(flipped.dataId);
  return out;
}

/* ---------- Tile (wasm) ---------- */

/**
 * Tile `src` (shape `shape`) by `reps` into `dst`, with block copies: each dimension's block is written
 * once, then replicated by doubling `copyWithin`.
 * @internal
 */
export function tileInto(
  src: Float32Array | Int32Array | Uint8Array,
  shape: readonly number[],
  reps: readonly number[],
  dst: Float32Array | Int32Array | Uint8Array,
): void {
  const rank = shape.length;
  const inStride = new Array<number>(rank);
  const outStride = new Array<number>(rank);
  let si = 1;
  let so = 1;
  for (let d = rank - 1; d >= 0; d--) {
    inStride[d] = si;
    outStride[d] = so;
    si *= shape[d];
    so *= shape[d] * reps[d];
  }
  const fill = (d: number, srcOff: number, dstOff: number): void => {
    const block = shape[d] * outStride[d]; // one copy of this dimension's extent
    if (d === rank - 1) dst.set(src.subarray(srcOff, srcOff + shape[d]), dstOff);
    else for (let i = 0; i < shape[d]; i++) fill(d + 1, srcOff + i * inStride[d], dstOff + i * outStride[d]);
    const total = block * reps[d];
    let filled = block;
    while (filled < total) {
      const n = Math.min(filled, total - filled);
      dst.copyWithin(dstOff + filled, dstOff, dstOff + n);
      filled += n;
    }
  };
  if (rank === 0) {
    dst.set(src);
    return;
  }
  fill(0, 0, 0);
}

function tileWasm(args: KernelArgs): TensorInfo {
  const backend = args.backend as WasmBackendLike;
  const { x } = args.inputs;
  const reps = (args.attrs ?? {}).reps as number[];
  if (x.dtype === 'string' || x.dtype === 'complex64' || reps.length !== x.shape.length) {
    return stockKernel(tf.Tile, 'wasm')(args) as TensorInfo;
  }
  const outShape = x.shape.map((s, i) => s * reps[i]);
  const out = backend.makeOutput(outShape, x.dtype);
  if (outShape.some((s) => s === 0)) return out;
  tileInto(backend.typedArrayFromHeap(x), x.shape, reps, backend.typedArrayFromHeap(out));
  return out;
}

/* ---------- MaxPoolGrad (wasm) ---------- */

/**
 * MaxPoolGrad for NHWC float32: each dy goes to the first maximum of its window in row-major window
 * order (the cpu backend's rule), out-of-bounds ('same' padding) positions skipped. The stock wasm
 * kernel of tfjs-backend-wasm 4.22 routes gradients to the wrong positions (a 2×2/2 pool on
 * [2, 4, 4, 64] disagrees with the cpu kernel and a scalar reference in most channels).
 */
function maxPoolGradWasm(args: KernelArgs): TensorInfo {
  const backend = args.backend as WasmBackendLike;
  const { dy, input } = args.inputs;
  const attrs = args.attrs ?? {};
  if (input.dtype !== 'float32' || input.shape.length !== 4) return stockKernel(tf.MaxPoolGrad, 'wasm')(args) as TensorInfo;
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    attrs.filterSize as [number, number] | number,
    attrs.strides as [number, number] | number,
    1,
    attrs.pad as 'same' | 'valid' | number,
    attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
  );
  const { batchSize, inHeight: H, inWidth: W, inChannels: C, outHeight, outWidth, strideHeight, strideWidth } = info;
  const fh = info.effectiveFilterHeight;
  const fw = info.effectiveFilterWidth;
  const pt = info.padInfo.top;
  const pl = info.padInfo.left;
  const dx = backend.makeOutput(input.shape.slice(), 'float32');
  const x = backend.typedArrayFromHeap(input) as Float32Array;
  const g = backend.typedArrayFromHeap(dy) as Float32Array;
  const out = backend.typedArrayFromHeap(dx) as Float32Array;
  out.fill(0);
  const best = new Float32Array(C);
  const where = new Int32Array(C);
  for (let b = 0; b < batchSize; b++) {
    for (let oy = 0; oy < outHeight; oy++) {
      for (let ox = 0; ox < outWidth; ox++) {
        best.fill(-Infinity);
        where.fill(-1);
        for (let wy = 0; wy < fh; wy++) {
          const iy = oy * strideHeight - pt + wy;
          if (iy < 0 || iy >= H) continue;
          for (let wx = 0; wx < fw; wx++) {
            const ix = ox * strideWidth - pl + wx;
            if (ix < 0 || ix >= W) continue;
            const base = ((b * H + iy) * W + ix) * C;
            for (let c = 0; c < C; c++) {
              const v = x[base + c];
              if (v > best[c]) {
                best[c] = v;
                where[c] = base + c;
              }
            }
          }
        }
        const gBase = ((b * outHeight + oy) * outWidth + ox) * C;
        for (let c = 0; c < C; c++) if (where[c] >= 0) out[where[c]] += g[gBase + c];
      }
    }
  }
  return dx;
}

/* ---------- Identity (wasm) ---------- */

/**
 * Zero-copy Identity: shares the input's buffer (reference-counted), as the cpu backend does. The stock
 * wasm kernel copies, and the engine clones every tensor a gradient saves, so in training each saved
 * activation existed twice on the 4 GB wasm heap.
 */
function identityWasm(args: KernelArgs): TensorInfo {
  const backend = args.backend as WasmBackendLike;
  const { x } = args.inputs;
  if (x.dtype === 'string') return stockKernel(tf.Identity, 'wasm')(args) as TensorInfo;
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape.slice(), dtype: x.dtype };
}

/* ---------- registration ---------- */

const KERNELS: ReadonlyArray<{ kernelName: string; backendName: 'cpu' | 'wasm'; kernelFunc: KernelFunc }> = [
  { kernelName: tf.Conv2DBackpropFilter, backendName: 'cpu', kernelFunc: backpropFilterCpu },
  { kernelName: tf.Conv2DBackpropFilter, backendName: 'wasm', kernelFunc: backpropFilterWasm },
  { kernelName: tf.Conv2DBackpropInput, backendName: 'wasm', kernelFunc: backpropInputWasm },
  { kernelName: tf.Tile, backendName: 'wasm', kernelFunc: tileWasm },
  { kernelName: tf.MaxPoolGrad, backendName: 'wasm', kernelFunc: maxPoolGradWasm },
  { kernelName: tf.Identity, backendName: 'wasm', kernelFunc: identityWasm },
];

function backendKnown(name: string): boolean {
  return tf.findBackendFactory(name) != null || tf.findBackend(name) != null;
}

/**
 * Install the fast training kernels (see the module doc) for the `cpu` and `wasm` backends that are
 * registered with the engine. Idempotent (a second call only updates `maxIm2colBytes`); undone by
 * {@link unregisterTrainingKernels}, which restores the stock kernels. Call it once at start-up, before
 * or after `tf.setBackend`.
 *
 * @returns the kernels now installed, as `'Kernel/backend'` strings.
 * @throws ValueError when `maxIm2colBytes` is not a positive number.
 */
export function registerTrainingKernels(options: TrainingKernelOptions = {}): string[] {
  const fn = 'registerTrainingKernels';
  if (options.maxIm2colBytes !== undefined) {
    const v = options.maxIm2colBytes;
    if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) {
      throw new ValueError(`${fn}: 'maxIm2colBytes' must be a finite number > 0, got ${describe(v)}`);
    }
    im2colLimitBytes = v;
  }
  const wanted = options.backends ?? ['cpu', 'wasm'];
  for (const b of wanted) {
    if (b !== 'cpu' && b !== 'wasm') throw new ValueError(`${fn}: 'backends' may hold 'cpu' and 'wasm', got ${describe(b)}`);
  }
  for (const k of KERNELS) {
    const key = `${k.kernelName}/${k.backendName}`;
    if (!wanted.includes(k.backendName) || installed.has(key) || !backendKnown(k.backendName)) continue;
    const original = tf.getKernel(k.kernelName, k.backendName);
    if (original) tf.unregisterKernel(k.kernelName, k.backendName);
    const config: tf.KernelConfig = {
      kernelName: k.kernelName,
      backendName: k.backendName,
      kernelFunc: k.kernelFunc as unknown as tf.KernelFunc,
      // the stock kernel's set-up (wasm: binding its C function) still has to run for the fall-backs
      ...(original?.setupFunc ? { setupFunc: original.setupFunc } : {}),
    };
    tf.registerKernel(config);
    installed.set(key, { kernelName: k.kernelName, backendName: k.backendName, original });
  }
  return [...installed.keys()];
}

/**
 * Restore the stock kernels replaced by {@link registerTrainingKernels}. Safe to call when nothing is
 * installed. @returns the kernels that were restored.
 */
export function unregisterTrainingKernels(): string[] {
  const restored: string[] = [];
  for (const [key, entry] of installed) {
    tf.unregisterKernel(entry.kernelName, entry.backendName);
    if (entry.original) tf.registerKernel(entry.original);
    restored.push(key);
  }
  installed.clear();
  im2colLimitBytes = 256 * 2 ** 20;
  return restored;
}

/** The kernels currently installed by {@link registerTrainingKernels}, as `'Kernel/backend'`. */
export function trainingKernelsInstalled(): string[] {
  return [...installed.keys()];
}
