/**
 * Detection datasets: the sample and dataset interfaces shared by the synthetic generator, the VOC and
 * YOLO folder readers and the batcher.
 *
 * Box convention inside a {@link DetectionSample}: **continuous pixel corners** `(x1, y1, x2, y2)` with
 * `0 ≤ x1 < x2 ≤ width`, pixel `i` covering `[i, i + 1)`. A VOC box `(xmin, ymin, xmax, ymax)` (1-based,
 * inclusive) is `(xmin − 1, ymin − 1, xmax, ymax)` here; a YOLO row `(cx, cy, w, h)` (normalised) is
 * `((cx − w/2)·W, (cy − h/2)·H, (cx + w/2)·W, (cy + h/2)·H)`.
 *
 * @packageDocumentation
 */

/** An 8-bit RGB image, row-major HWC (`data[(y * width + x) * 3 + c]`), `data.length = width·height·3`. */
export interface RGBImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** One object of a sample: class id and continuous pixel corners `(x1, y1, x2, y2)`. */
export interface SampleObject {
  classId: number;
  box: [x1: number, y1: number, x2: number, y2: number];
  /** VOC `difficult` flag; false or absent for other sources. */
  difficult?: boolean;
}

/** One image with its ground truth. */
export interface DetectionSample {
  /** Stable id (VOC id, file stem, or `synthetic-<seed>-<index>`). */
  id: string;
  image: RGBImage;
  /** Objects in source order; may be empty (an image without objects is allowed). */
  objects: SampleObject[];
  /** How many boxes were clipped to the image while reading (0 for clean data). */
  clippedBoxes?: number;
  /** How many boxes were dropped while reading because nothing was left after clipping. */
  droppedBoxes?: number;
}

/** Random-access detection dataset. `get` rejects with a `FormatError` naming the file for bad data. */
export interface DetectionDataset {
  readonly length: number;
  readonly classNames: readonly string[];
  get(index: number): Promise<DetectionSample>;
}
