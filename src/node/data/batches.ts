/**
 * Batching: samples of a {@link DetectionDataset} → `{ images [B, S, S, 3] in 0…1, annotations }` ready for
 * `packTargets(batch.annotations)`, with darknet-style augmentation and multi-scale training.
 *
 * (Split from `datasets.ts`, which holds the readers, to keep each file to one concept.)
 *
 * - **Training stream** ({@link BatchLoader}): endless, epoch after epoch; each epoch visits every sample
 *   once in a seeded permutation (`shuffle`), batches always full (an epoch's tail continues into the next
 *   epoch). The input size is drawn from `sizes` on the first batch and every `sizeEvery` batches
 *   (darknet: every 10 batches, 320…608 step 32). Its state (`getState`) is plain JSON for checkpoints.
 * - **Evaluation pass** ({@link evalBatches}): one pass in order, no augmentation, centred letterbox, the
 *   last batch may be short; each image's geometry is in `params` so predictions can be mapped back with
 *   {@link canvasBoxToSource}.
 *
 * @packageDocumentation
 */
import * as tf from '@tensorflow/tfjs-core';
import { FormatError, ValueError, describe } from '../../errors.js';
import { assertKnownKeys, assertNumber } from '../../validate.js';
import { type AugmentOptions, type AugmentParams, letterboxPlacement, resolveAugmentOptions, sampleAugmentation } from './augment.js';
import type { DetectionDataset, DetectionSample } from './datasets.js';
import { Rng, type RngState, deriveSeed } from './rng.js';
import { type BatchAnnotation, type BatchStats, type DataBatch, assertDataset, assertSizes, emptyBatch, fill, loadAll, newStats } from './batch-fill.js';

export type { BatchAnnotation, BatchStats, DataBatch } from './batch-fill.js';

/** Options of {@link BatchLoader}. */
export interface BatchLoaderOptions {
  /** Images per batch [8]. */
  batchSize?: number;
  /** Input sizes to draw from (multi-scale) [[416]]. */
  sizes?: readonly number[];
  /** Draw a new size every this many batches [10]. */
  sizeEvery?: number;
  /**
   * Progressive resizing [off]: from the `fromBatch`-th batch on (0-based, counting every batch this
   * loader produces), sizes are drawn from `sizes` instead — e.g. most batches at a cheap 96 px and the
   * last ones at the evaluation size. The first batch of the new phase draws a new size.
   */
  progressive?: { fromBatch: number; sizes: readonly number[] };
  /** Augmentation options, or `false` for the plain centred letterbox [defaults of augment.ts]. */
  augment?: AugmentOptions | false;
  /** Shuffle each epoch [true]. */
  shuffle?: boolean;
  /** Seed of the permutations and of the augmentation stream [0]. */
  seed?: number;
  /** Leave out objects flagged `difficult` (darknet's voc_label.py does) [true]. */
  dropDifficult?: boolean;
  /**
   * A sample whose `get` rejects with a `FormatError` (undecodable image, malformed annotation):
   * `'throw'` (default) or `'skip'` — recorded in `stats.skipped` and replaced by the next sample.
   * Other errors always propagate.
   */
  onError?: 'throw' | 'skip';
}

const LOADER_KEYS = ['batchSize', 'sizes', 'sizeEvery', 'progressive', 'augment', 'shuffle', 'seed', 'dropDifficult', 'onError'] as const;

/** The resumable position of a {@link BatchLoader}: JSON-safe. */
export interface BatchLoaderState {
  epoch: number;
  cursor: number;
  batchIndex: number;
  size: number;
  rng: RngState;
}

/**
 * The training stream: `await loader.next()` gives the next full batch, augmented, at the current
 * multi-scale size. Deterministic for a given dataset, options and seed; `getState` / `setState`
 * resume it exactly (the permutation of epoch e is regenerated from `deriveSeed(seed, e)`).
 */
export class BatchLoader {
  readonly stats: BatchStats = newStats();
  private readonly batchSize: number;
  private readonly sizes: readonly number[];
  private readonly sizeEvery: number;
  private readonly progressive: { fromBatch: number; sizes: readonly number[] } | null;
  private readonly augment: ReturnType<typeof resolveAugmentOptions> | null;
  private readonly shuffle: boolean;
  private readonly seed: number;
  private readonly dropDifficult: boolean;
  private readonly onError: 'throw' | 'skip';
  private rng: Rng;
  private epoch = 0;
  private cursor = 0;
  private batchIndex = 0;
  private size: number;
  private order: number[] | null = null;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    readonly dataset: DetectionDataset,
    options: BatchLoaderOptions = {},
  ) {
    const fn = 'BatchLoader';
    assertDataset(fn, dataset);
    assertKnownKeys(fn, 'options', options, LOADER_KEYS);
    const { batchSize = 8, sizes = [416], sizeEvery = 10, augment = {}, shuffle = true, seed = 0, dropDifficult = true, onError = 'throw', progressive } = options;
    assertNumber(fn, 'batchSize', batchSize, { min: 1, integer: true });
    assertSizes(fn, 'sizes', sizes);
    if (progressive !== undefined) {
      if (typeof progressive !== 'object' || progressive === null) {
        throw new ValueError(`${fn}: 'progressive' must be { fromBatch, sizes }, got ${describe(progressive)}`);
      }
      assertNumber(fn, 'progressive.fromBatch', progressive.fromBatch, { min: 0, integer: true });
      assertSizes(fn, 'progressive.sizes', progressive.sizes);
    }
    assertNumber(fn, 'sizeEvery', sizeEvery, { min: 1, integer: true });
    assertNumber(fn, 'seed', seed, { integer: true });
    if (onError !== 'throw' && onError !== 'skip') {
      throw new ValueError(`${fn}: 'onError' must be 'throw' or 'skip', got ${describe(onError)}`);
    }
    this.batchSize = batchSize;
    this.sizes = [...sizes];
    this.sizeEvery = sizeEvery;
    this.progressive = progressive ? { fromBatch: progressive.fromBatch, sizes: [...progressive.sizes] } : null;
    this.augment = augment === false ? null : resolveAugmentOptions(augment, fn);
    this.shuffle = shuffle;
    this.seed = seed;
    this.dropDifficult = dropDifficult;
    this.onError = onError;
    this.rng = new Rng(deriveSeed(seed, 0x5eed));
    this.size = this.sizes[0];
  }

  /** The input size the next batch will have unless a size change is due. */
  get currentSize(): number {
    return this.size;
  }

  private orderOf(epoch: number): number[] {
    const idx = Array.from({ length: this.dataset.length }, (_, i) => i);
    return this.shuffle ? new Rng(deriveSeed(this.seed, epoch)).shuffle(idx) : idx;
  }

  private takeIndex(): number {
    if (!this.order) this.order = this.orderOf(this.epoch);
    const i = this.order[this.cursor++];
    if (this.cursor >= this.order.length) {
      this.epoch++;
      this.cursor = 0;
      this.order = null;
    }
    return i;
  }

  /**
   * The next batch. Rejects with the dataset's error (or, with 'skip', when every sample fails).
   * Overlapping calls are queued, so batches come out in stream order either way.
   */
  next(): Promise<DataBatch> {
    const run = this.queue.then(() => this.produce());
    this.queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private async produce(): Promise<DataBatch> {
    const p = this.progressive;
    const late = p !== null && this.batchIndex >= p.fromBatch;
    if (this.batchIndex % this.sizeEvery === 0 || (late && this.batchIndex === p.fromBatch)) this.size = this.rng.pick(late ? p.sizes : this.sizes);
    const B = this.batchSize;
    const epoch = this.epoch;
    const slots: Array<{ index: number; sample: DetectionSample }> = [];
    let failedInARow = 0;
    while (slots.length < B) {
      const want = Array.from({ length: B - slots.length }, () => this.takeIndex());
      const loaded = await loadAll(this.dataset, want, this.onError, this.stats);
      loaded.forEach((s, k) => {
        if (s) {
          slots.push({ index: want[k], sample: s });
          failedInARow = 0;
        } else {
          failedInARow++;
        }
      });
      if (failedInARow >= this.dataset.length) {
        throw new FormatError(`BatchLoader.next: every one of the ${this.dataset.length} samples failed to load (see stats.skipped)`);
      }
    }
    const S = this.size;
    const batch = emptyBatch(B, S, epoch, this.batchIndex);
    slots.forEach(({ index, sample }, b) => {
      const { width, height } = sample.image;
      const params = this.augment
        ? sampleAugmentation(this.rng, width, height, S, S, this.augment)
        : letterboxPlacement(width, height, S, S);
      fill(batch, b, index, sample, params, this.augment?.fill ?? 0.5, this.augment?.minBoxPixels ?? 1, this.dropDifficult, this.stats);
    });
    this.batchIndex++;
    return batch;
  }

  /** The position and generator state, JSON-safe (store it in a checkpoint). */
  getState(): BatchLoaderState {
    return { epoch: this.epoch, cursor: this.cursor, batchIndex: this.batchIndex, size: this.size, rng: this.rng.getState() };
  }

  /** Resume from {@link getState}'s output (same dataset and options). */
  setState(state: BatchLoaderState): void {
    const fn = 'BatchLoader.setState';
    assertNumber(fn, 'state.epoch', state?.epoch, { min: 0, integer: true });
    assertNumber(fn, 'state.cursor', state.cursor, { min: 0, max: this.dataset.length - 1, integer: true });
    assertNumber(fn, 'state.batchIndex', state.batchIndex, { min: 0, integer: true });
    const allowed = [...this.sizes, ...(this.progressive?.sizes ?? [])];
    if (!allowed.includes(state.size)) {
      throw new ValueError(`${fn}: 'state.size' must be one of the sizes [${allowed.join(', ')}], got ${describe(state.size)}`);
    }
    this.rng = Rng.fromState(state.rng);
    this.epoch = state.epoch;
    this.cursor = state.cursor;
    this.batchIndex = state.batchIndex;
    this.size = state.size;
    this.order = null;
  }
}

/**
 * One evaluation pass over `dataset` in index order: centred letterbox to `size`, no augmentation, the
 * last batch short when `length` is not a multiple of `batchSize`. Difficult objects are kept (flagged
 * in `difficult`) unless `dropDifficult`. With `onError: 'skip'` bad samples are left out and counted in
 * `stats` (pass your own object to read it afterwards).
 */
export async function* evalBatches(
  dataset: DetectionDataset,
  options: { batchSize?: number; size?: number; fill?: number; dropDifficult?: boolean; onError?: 'throw' | 'skip'; stats?: BatchStats } = {},
): AsyncGenerator<DataBatch> {
  const fn = 'evalBatches';
  assertDataset(fn, dataset);
  assertKnownKeys(fn, 'options', options, ['batchSize', 'size', 'fill', 'dropDifficult', 'onError', 'stats']);
  const { batchSize = 8, size = 416, fill: fillValue = 0.5, dropDifficult = false, onError = 'throw' } = options;
  assertNumber(fn, 'batchSize', batchSize, { min: 1, integer: true });
  assertNumber(fn, 'size', size, { min: 1, integer: true });
  assertNumber(fn, 'fill', fillValue, { min: 0, max: 1 });
  const stats = options.stats ?? newStats();
  let batchIndex = 0;
  for (let start = 0; start < dataset.length; start += batchSize) {
    const indices = Array.from({ length: Math.min(batchSize, dataset.length - start) }, (_, k) => start + k);
    const loaded = await loadAll(dataset, indices, onError, stats);
    const ok = loaded.map((s, k) => ({ s, index: indices[k] })).filter((x) => x.s !== null);
    if (ok.length === 0) continue;
    const batch = emptyBatch(ok.length, size, 0, batchIndex++);
    ok.forEach(({ s, index }, b) => {
      const sample = s as DetectionSample;
      fill(batch, b, index, sample, letterboxPlacement(sample.image.width, sample.image.height, size, size), fillValue, 0, dropDifficult, stats);
    });
    yield batch;
  }
}

/** The batch's images as a `[B, S, S, 3]` float32 tensor (the caller disposes it). */
export function batchImagesTensor(batch: DataBatch): tf.Tensor4D {
  return tf.tensor4d(batch.images, batch.shape, 'float32');
}

/**
 * Map a box from canvas coordinates back to the source image's pixels by inverting `params`
 * (undo letterbox / placement / flip). `units: 'normalized'` (default) means the box is 0…1 of the
 * canvas, as `decodeBoxes` returns; the result is continuous source pixel corners, not clipped.
 */
export function canvasBoxToSource(
  box: readonly [number, number, number, number],
  params: AugmentParams,
  units: 'normalized' | 'pixels' = 'normalized',
): [number, number, number, number] {
  const kx = units === 'normalized' ? params.canvasWidth : 1;
  const ky = units === 'normalized' ? params.canvasHeight : 1;
  const xa = (box[0] * kx - params.bx) / params.ax;
  const xb = (box[2] * kx - params.bx) / params.ax;
  return [Math.min(xa, xb), (box[1] * ky - params.by) / params.ay, Math.max(xa, xb), (box[3] * ky - params.by) / params.ay];
}

/**
 * Adapt a {@link BatchLoader} to the trainer's `batches` callback: each call takes the loader's next batch
 * and returns `{ images: [B, S, S, 3], targets: packTargets(annotations, maxBoxes) }` as tensors (the
 * trainer disposes both). The call context (epoch, step, micro) is ignored: batches come in stream order,
 * so pass the loader itself as the trainer's `rng` and a checkpoint resumes the data stream exactly.
 *
 * @param packTargets the core's `packTargets` (passed in, so this wing does not pin the core's version).
 */
export function trainerBatches(
  loader: BatchLoader,
  packTargets: (annotations: BatchAnnotation[][], maxBoxes?: number) => tf.Tensor3D,
  maxBoxes?: number,
): (ctx?: unknown) => Promise<{ images: tf.Tensor4D; targets: tf.Tensor3D }> {
  return async () => {
    const batch = await loader.next();
    const targets = packTargets(batch.annotations, maxBoxes); // first: if it throws, nothing leaks
    return { images: batchImagesTensor(batch), targets };
  };
}
