/**
 * One batch's arrays: the {@link DataBatch} the loaders deliver, its annotations and counters, and the
 * steps that build it (load samples, render each into its slot with its boxes transformed). Shared by the
 * training stream and the evaluation pass of `batches.ts`.
 *
 * @packageDocumentation
 */
import { FormatError, ValueError, describe } from '../../errors.js';
import { assertNumber } from '../../validate.js';
import { type AugmentParams, renderAugmented } from './augment-render.js';
import { transformBoxes } from './augment.js';
import type { DetectionDataset, DetectionSample } from './datasets.js';

/** One ground-truth row for `packTargets`: class id and `(cx, cy, w, h)` normalised to the canvas (0…1). */
export interface BatchAnnotation {
  classId: number;
  box: [cx: number, cy: number, w: number, h: number];
}

/** A batch of images and their annotations. */
export interface DataBatch {
  /** `[B, S, S, 3]` float32, HWC, 0…1. */
  images: Float32Array;
  shape: [number, number, number, number];
  /** The input size S of this batch. */
  size: number;
  /** Per image, the objects that survived augmentation — exactly the input of `packTargets`. */
  annotations: BatchAnnotation[][];
  /** Per image, parallel to `annotations`: the VOC `difficult` flag (all false when dropped). */
  difficult: boolean[][];
  /** Sample ids. */
  ids: string[];
  /** Dataset indices. */
  indices: number[];
  /** Per image, the geometry and photometric parameters applied. */
  params: AugmentParams[];
  /** Epoch of the first image and running batch number (0-based). */
  epoch: number;
  batchIndex: number;
}

/** Counters of a {@link BatchLoader} (or of one {@link evalBatches} pass). */
export interface BatchStats {
  /** Images delivered. */
  images: number;
  /** Samples skipped with `onError: 'skip'`, with the error's file and message. */
  skipped: Array<{ index: number; file?: string; message: string }>;
  /** Boxes clipped / dropped by the reader (outside the image). */
  readerClippedBoxes: number;
  readerDroppedBoxes: number;
  /** Boxes dropped by augmentation (cropped away or thinner than `minBoxPixels`). */
  augmentDroppedBoxes: number;
  /** Difficult objects left out (`dropDifficult`). */
  difficultDropped: number;
}

/** Zeroed counters. @internal */
export function newStats(): BatchStats {
  return { images: 0, skipped: [], readerClippedBoxes: 0, readerDroppedBoxes: 0, augmentDroppedBoxes: 0, difficultDropped: 0 };
}

/** Check a {@link DetectionDataset} argument (non-empty). @internal */
export function assertDataset(fn: string, ds: unknown): asserts ds is DetectionDataset {
  const d = ds as DetectionDataset;
  if (!d || typeof d.get !== 'function' || !Number.isInteger(d.length)) {
    throw new ValueError(`${fn}: 'dataset' must be a DetectionDataset { length, classNames, get(index) }, got ${describe(ds)}`);
  }
  if (d.length === 0) throw new ValueError(`${fn}: 'dataset' must hold at least one sample, got length 0`);
}

/** Load samples `indices` concurrently; with 'skip', failures are recorded and reported as null. @internal */
export async function loadAll(
  ds: DetectionDataset,
  indices: number[],
  onError: 'throw' | 'skip',
  stats: BatchStats,
): Promise<Array<DetectionSample | null>> {
  return Promise.all(
    indices.map((i) =>
      ds.get(i).catch((e: unknown) => {
        if (onError === 'skip' && e instanceof FormatError) {
          stats.skipped.push({ index: i, file: e.file, message: e.message });
          return null;
        }
        throw e;
      }),
    ),
  );
}

/** Write one sample into slot `b` of the batch arrays (image rendered through `params`, boxes transformed, counters updated). @internal */
export function fill(
  batch: DataBatch,
  b: number,
  index: number,
  sample: DetectionSample,
  params: AugmentParams,
  fillValue: number,
  minBoxPixels: number,
  dropDifficult: boolean,
  stats: BatchStats,
): void {
  const S = batch.size;
  renderAugmented(sample.image, params, batch.images, b * S * S * 3, fillValue);
  let objects = sample.objects;
  if (dropDifficult) {
    const before = objects.length;
    objects = objects.filter((o) => !o.difficult);
    stats.difficultDropped += before - objects.length;
  }
  const t = transformBoxes(objects, params, minBoxPixels);
  stats.augmentDroppedBoxes += t.dropped;
  stats.readerClippedBoxes += sample.clippedBoxes ?? 0;
  stats.readerDroppedBoxes += sample.droppedBoxes ?? 0;
  stats.images++;
  batch.annotations[b] = t.objects.map((o) => {
    const [x1, y1, x2, y2] = o.box;
    return { classId: o.classId, box: [(x1 + x2) / 2 / S, (y1 + y2) / 2 / S, (x2 - x1) / S, (y2 - y1) / S] };
  });
  batch.difficult[b] = t.objects.map((o) => o.difficult === true);
  batch.ids[b] = sample.id;
  batch.indices[b] = index;
  batch.params[b] = params;
}

/** A batch of `n` images of side `size`, to be filled slot by slot. @internal */
export function emptyBatch(n: number, size: number, epoch: number, batchIndex: number): DataBatch {
  return {
    images: new Float32Array(n * size * size * 3),
    shape: [n, size, size, 3],
    size,
    annotations: new Array(n),
    difficult: new Array(n),
    ids: new Array(n),
    indices: new Array(n),
    params: new Array(n),
    epoch,
    batchIndex,
  };
}

/** Check a non-empty list of integer input sizes. @internal */
export function assertSizes(fn: string, name: string, sizes: unknown): void {
  if (!Array.isArray(sizes) || sizes.length === 0) {
    throw new ValueError(`${fn}: '${name}' must be a non-empty array of input sizes, got ${describe(sizes)}`);
  }
  sizes.forEach((s, i) => assertNumber(fn, `${name}[${i}]`, s, { min: 1, integer: true }));
}

