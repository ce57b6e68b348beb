/**
 * The Winograd paths of the inference convolution (`infer-conv.ts`) on the wasm heap, for output tiles
 * of m×m (F(2×2, 3×3) or F(4×4, 3×3)), with (m + 2)² products:
 *
 * - whole: the input transform of all tiles, the products split by matrix and panel over the threads,
 *   the output transform of all tiles (V and M written once and read back once);
 * - chunked: the tiles in cache-sized chunks split over the threads, each chunk transformed, multiplied
 *   and transformed back at once, reading the filter transform once per chunk. Used when there are
 *   several chunks and the filter transform is small.
 *
 * @internal
 * @packageDocumentation
 */
import { PANEL } from './simd-gemm.js';
import { winogradArgs } from './tasks.js';
import { kernelThreadPool, parallelFor, parallelForShared, sharedGrain } from './thread-pool.js';
import type { TensorInfo, WasmBackendLike } from './util.js';
import { heapOf, offset } from './util.js';
import { simdOf } from './simd.js';
import type { TileSize } from './winograd-matrices.js';
import { chunkedArgs, scratchFloats, tileCountM } from './winograd-rows.js';
import type { WinogradGeometry } from './winograd.js';

/** Fewest items per part when work is split over threads: tiles of a transform, panels of a product. */
const MIN_TILES_PER_PART = 32;
const MIN_PANELS_PER_PART = 2;

/**
 * Blocks per thread of the products' shared split: small blocks keep the tail short when one core runs
 * slower than the other (each block is still at least {@link MIN_PANELS_PER_PART} panels).
 */
const PRODUCT_BLOCKS_PER_THREAD = 16;

/** Bytes of one chunk's scratch (its V and M rows) aimed at: about half a core's L2 cache. */
const CHUNK_BYTES = 512 * 1024;

/** How the Winograd tiles are chunked (tests and benchmarks change it; see {@link setInferConvChunking}). */
let chunking: { mode: 'auto' | 'always' | 'never'; tiles?: number } = { mode: 'auto' };

/**
 * Override the chunking of {@link chunked}: 'always' (when inC is a multiple of 4 and there are two
 * chunks), 'never', or 'auto'; `tiles` fixes the tiles per chunk. For tests and benchmarks.
 * @internal
 */
export function setInferConvChunking(c: { mode: 'auto' | 'always' | 'never'; tiles?: number }): void {
  chunking = { ...c };
}

function chunkTiles(g: WinogradGeometry, m: TileSize): number {
  const mats = (m + 2) ** 2;
  return chunking.tiles ?? Math.max(8, Math.min(1024, Math.floor(CHUNK_BYTES / (4 * mats * (g.inC + g.outC)))));
}

/**
 * Whether the tiles go in chunks rather than each phase over all tiles: when there are at least two
 * chunks and the filter transform is small (at most 128 × 256 channels).
 */
export function chunked(g: WinogradGeometry, m: TileSize): boolean {
  if (chunking.mode === 'never' || g.inC % 4 !== 0) return false;
  return tileCountM(g, m) >= 2 * chunkTiles(g, m) && (chunking.mode === 'always' || g.inC * g.outC <= 32768);
}

export function winogradChunked(
  backend: WasmBackendLike, x: TensorInfo, w: TensorInfo, bias: TensorInfo, alpha: number, g: WinogradGeometry, m: TileSize, y: TensorInfo,
): void {
  const T = tileCountM(g, m);
  const chunk = chunkTiles(g, m);
  const parts = (kernelThreadPool()?.helpers ?? 0) + 1;
  const scratchBytes = 4 * (m + 2) ** 2 * chunk * (g.inC + g.outC);
  const pad = scratchFloats(g, m);
  const scratch = backend.makeOutput([(parts * scratchBytes) / 4 + 2 * pad], 'float32');
  try {
    const heap = heapOf(backend); // after the allocations: a growing heap replaces the buffer
    const base = offset(backend, scratch);
    const zero = base + parts * scratchBytes;
    simdOf(heap).zeroBytes(zero, 8 * pad);
    const a = chunkedArgs({
      x: offset(backend, x), y: offset(backend, y), g, m, U: offset(backend, w), bias: offset(backend, bias), alpha,
      zero, sink: zero + 4 * pad, chunk, scratch: base, scratchBytes,
    });
    parallelForShared('wgChunks', heap, a, Math.ceil(T / chunk), 1);
  } finally {
    backend.disposeData(scratch.dataId);
  }
}

export function winogradWhole(
  backend: WasmBackendLike, x: TensorInfo, w: TensorInfo, bias: TensorInfo, alpha: number, g: WinogradGeometry, m: TileSize, y: TensorInfo,
): void {
  const { inC, outC } = g;
  const T = tileCountM(g, m);
  const mats = (m + 2) ** 2;
  const V = backend.makeOutput([mats, T, inC], 'float32');
  const M = backend.makeOutput([mats, T, outC], 'float32');
  const pad = scratchFloats(g, m);
  // the zero buffer of the input transform, then the sink of the output transform
  const scratch = backend.makeOutput([2 * pad], 'float32');
  // weights kept half-transformed (H = G g, [18, P, inC, 8]): each thread expands a panel's six
  // matrices U = H Gᵀ into its own part of this scratch (`wgGemmHalf`)
  const half = w.shape[0] === 18;
  const parts = (kernelThreadPool()?.helpers ?? 0) + 1;
  const expandBytes = 6 * inC * PANEL * 4;
  const expanded = half ? backend.makeOutput([(parts * expandBytes) / 4], 'float32') : null;
  try {
    const heap = heapOf(backend); // after the allocations: a growing heap replaces the buffer
    const zero = offset(backend, scratch);
    simdOf(heap).zeroBytes(zero, 8 * pad);
    const sink = zero + 4 * pad;
    const at = (base: number, rowFloats: number) => Array.from({ length: mats }, (_, k) => base + 4 * k * T * rowFloats);
    const v = offset(backend, V);
    const mm = offset(backend, M);
    const xAt = offset(backend, x);
    const tileGrain = sharedGrain(T, MIN_TILES_PER_PART, 4);
    if (inC % 4 === 0) parallelForShared('wgInputSimd', heap, [xAt, ...winogradArgs(g), m, ...at(v, inC), zero], T, tileGrain);
    else if (m === 2) parallelFor('wgInput', heap, [xAt, ...winogradArgs(g), ...at(v, inC)], T, MIN_TILES_PER_PART);
    else throw new Error('winogradWhole: F(4×4, 3×3) needs inC a multiple of 4');
    if (expanded) {
      const items = 6 * (outC / PANEL);
      const a = [T, inC, outC, v, offset(backend, w), mm, offset(backend, expanded), expandBytes];
      parallelForShared('wgGemmHalf', heap, a, items, sharedGrain(items, MIN_PANELS_PER_PART, PRODUCT_BLOCKS_PER_THREAD));
    } else {
      const products = mats * (outC / PANEL);
      parallelForShared('wgGemm', heap, [T, inC, outC, v, offset(backend, w), mm], products, sharedGrain(products, MIN_PANELS_PER_PART, PRODUCT_BLOCKS_PER_THREAD));
    }
    const yAt = offset(backend, y);
    parallelForShared('wgOutputSimd', heap, [yAt, ...winogradArgs(g), m, ...at(mm, outC), offset(backend, bias), alpha, sink], T, tileGrain);
  } finally {
    backend.disposeData(V.dataId);
    backend.disposeData(M.dataId);
    backend.disposeData(scratch.dataId);
    if (expanded) backend.disposeData(expanded.dataId);
  }
}

