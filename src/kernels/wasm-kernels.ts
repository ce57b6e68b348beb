/**
 * Replacements for wasm kernels that training needs and the stock wasm backend gets slow or wrong:
 * `Tile`, `MaxPoolGrad`, `Identity`. See {@link registerTrainingKernels}.
 *
 * @internal
 * @packageDocumentation
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelArgs, TensorInfo, WasmBackendLike } from './util.js';
import { stockKernel } from './util.js';
import { parallelFor } from './thread-pool.js';

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

export function tileWasm(args: KernelArgs): TensorInfo {
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
export function maxPoolGradWasm(args: KernelArgs): TensorInfo {
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
  if (fh === 2 && fw === 2 && strideHeight === 2 && strideWidth === 2 && pt === 0 && pl === 0) {
    // the windows tile the input: only 'valid' pooling of odd sizes leaves positions no window writes
    if (2 * outHeight < H || 2 * outWidth < W) out.fill(0);
    const rowsPerPart = Math.ceil(8192 / Math.max(1, outWidth * C)); // at least ~8k windows·channels a part
    const a = [x.byteOffset, g.byteOffset, out.byteOffset, batchSize, H, W, C, outHeight, outWidth];
    parallelFor('maxPoolGrad2x2', x.buffer, a, batchSize * outHeight, rowsPerPart);
    return dx;
  }
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
export function identityWasm(args: KernelArgs): TensorInfo {
  const backend = args.backend as WasmBackendLike;
  const { x } = args.inputs;
  if (x.dtype === 'string') return stockKernel(tf.Identity, 'wasm')(args) as TensorInfo;
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape.slice(), dtype: x.dtype };
}
