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
import { access, readFile, readdir } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { VOC_CLASSES } from '../../classes.js';
import { FormatError, ValueError, describe } from '../../errors.js';
import { assertKnownKeys } from '../../validate.js';
import { decodeImage } from './image.js';
import type { RGBImage } from './rgb-image.js';

export type { RGBImage } from './rgb-image.js';
import { readVOCAnnotation } from './voc-xml.js';
import { parseYOLOLabels } from './yolo-labels.js';

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

const TOLERANCE = 0.01;

/** What to do with a box that reaches outside its image: clip it and count it (default), or throw. */
export type OutsidePolicy = 'clip' | 'error';

/**
 * Clip pixel boxes to `[0, width] × [0, height]`. A box that changed is counted in `clipped`; a box with
 * nothing left (`x2 ≤ x1` or `y2 ≤ y1` after clipping) is dropped and counted in `dropped`. With
 * `policy: 'error'` the first box outside throws a {@link FormatError} naming `source`. Overshoot of at
 * most 0.01 pixel (rounding in the source) is clipped silently.
 */
export function clipObjects(
  objects: readonly SampleObject[],
  width: number,
  height: number,
  policy: OutsidePolicy = 'clip',
  source = '<objects>',
): { objects: SampleObject[]; clipped: number; dropped: number } {
  const out: SampleObject[] = [];
  let clipped = 0;
  let dropped = 0;
  objects.forEach((o, i) => {
    const [x1, y1, x2, y2] = o.box;
    const c: SampleObject['box'] = [Math.max(0, x1), Math.max(0, y1), Math.min(width, x2), Math.min(height, y2)];
    // overshoot below 0.01 px is rounding in the source (6-decimal YOLO labels): clipped, not counted
    const changed = c[0] - x1 > TOLERANCE || c[1] - y1 > TOLERANCE || x2 - c[2] > TOLERANCE || y2 - c[3] > TOLERANCE;
    if (changed && policy === 'error') {
      throw new FormatError(
        `${source}: object ${i} box (${o.box.join(', ')}) reaches outside the ${width}×${height} image`,
        source,
      );
    }
    if (changed) clipped++;
    if (c[2] <= c[0] || c[3] <= c[1]) {
      dropped++;
      return;
    }
    out.push({ ...o, box: c });
  });
  return { objects: out, clipped, dropped };
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new FormatError(`${what}: cannot read ${path} (${code})`, path);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

function checkIndex(fn: string, index: number, length: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= length) {
    throw new ValueError(`${fn}: 'index' must be an integer in [0, ${length - 1}], got ${describe(index)}`);
  }
}

/** Options of {@link VOCDataset.open}. */
export interface VOCDatasetOptions {
  /** `ImageSets/Main/<imageSet>.txt` lists the ids (first token per line) [`'trainval'`]. `null`: every `Annotations/*.xml`, sorted. */
  imageSet?: string | null;
  /** Class names, index = class id [VOC_CLASSES, the 20 VOC names]. */
  classNames?: readonly string[];
  /** An object whose name is not in `classNames`: `'error'` (FormatError, default) or `'skip'` (dropped). */
  unknownClass?: 'error' | 'skip';
  /** Boxes reaching outside the image [`'clip'`], see {@link clipObjects}. */
  outside?: OutsidePolicy;
}

/**
 * A PASCAL VOC folder: `Annotations/<id>.xml`, `JPEGImages/<filename>` (the XML's `<filename>`, else
 * `<id>.jpg`), `ImageSets/Main/<set>.txt`. Samples are read lazily on `get`.
 *
 * Boxes become continuous pixel corners `(xmin − 1, ymin − 1, xmax, ymax)`; the `difficult` flag is kept.
 * The decoded image's size is authoritative (the XML `<size>` is not trusted). Errors: a missing or
 * malformed annotation, a missing or undecodable image, an unknown class (by default) → {@link FormatError}
 * naming the file.
 */
export class VOCDataset implements DetectionDataset {
  private constructor(
    readonly root: string,
    readonly ids: readonly string[],
    readonly classNames: readonly string[],
    private readonly options: Required<Omit<VOCDatasetOptions, 'imageSet' | 'classNames'>>,
  ) {}

  get length(): number {
    return this.ids.length;
  }

  /** Read the id list and return the dataset (no image is decoded yet). */
  static async open(root: string, options: VOCDatasetOptions = {}): Promise<VOCDataset> {
    assertKnownKeys('VOCDataset.open', 'options', options, ['imageSet', 'classNames', 'unknownClass', 'outside']);
    const { imageSet = 'trainval', classNames = VOC_CLASSES, unknownClass = 'error', outside = 'clip' } = options;
    let ids: string[];
    if (imageSet === null) {
      const dir = join(root, 'Annotations');
      let files: string[];
      try {
        files = await readdir(dir);
      } catch (e) {
        throw new FormatError(`VOCDataset.open: cannot list ${dir} (${(e as NodeJS.ErrnoException).code ?? e})`, dir);
      }
      ids = files.filter((f) => f.endsWith('.xml')).map((f) => f.slice(0, -4)).sort();
    } else {
      const list = join(root, 'ImageSets', 'Main', `${imageSet}.txt`);
      const text = await readText(list, 'VOCDataset.open');
      ids = text
        .split(/\r?\n/)
        .map((l) => l.trim().split(/\s+/)[0])
        .filter((s) => s);
    }
    return new VOCDataset(root, ids, classNames, { unknownClass, outside });
  }

  async get(index: number): Promise<DetectionSample> {
    checkIndex('VOCDataset.get', index, this.length);
    const id = this.ids[index];
    const xmlPath = join(this.root, 'Annotations', `${id}.xml`);
    const ann = readVOCAnnotation(await readText(xmlPath, 'VOCDataset.get'), xmlPath);
    let imagePath = join(this.root, 'JPEGImages', ann.filename || `${id}.jpg`);
    if (ann.filename && !(await exists(imagePath))) imagePath = join(this.root, 'JPEGImages', `${id}.jpg`);
    const image = await decodeImage(imagePath);
    const objects: SampleObject[] = [];
    for (const [i, o] of ann.objects.entries()) {
      const classId = this.classNames.indexOf(o.name);
      if (classId < 0) {
        if (this.options.unknownClass === 'skip') continue;
        throw new FormatError(
          `VOCDataset.get: ${xmlPath}: object ${i} has class '${o.name}', which is not one of the ${this.classNames.length} class names`,
          xmlPath,
        );
      }
      objects.push({ classId, box: [o.box[0] - 1, o.box[1] - 1, o.box[2], o.box[3]], difficult: o.difficult });
    }
    const c = clipObjects(objects, image.width, image.height, this.options.outside, xmlPath);
    return { id, image, objects: c.objects, clippedBoxes: c.clipped, droppedBoxes: c.dropped };
  }
}

/** Format YOLO label lines (`classId cx cy w h`, 6 decimals) from pixel objects of a `width × height` image. */
export function writeYOLOLabels(objects: readonly SampleObject[], width: number, height: number): string {
  return objects
    .map((o) => {
      const [x1, y1, x2, y2] = o.box;
      const v = [(x1 + x2) / 2 / width, (y1 + y2) / 2 / height, (x2 - x1) / width, (y2 - y1) / height];
      return `${o.classId} ${v.map((x) => x.toFixed(6)).join(' ')}\n`;
    })
    .join('');
}

const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.bmp', '.webp', '.tif', '.tiff', '.gif'];

/** Options of {@link YOLODataset.open}. */
export interface YOLODatasetOptions {
  /** Folder of images (every file with an image extension, sorted by name). */
  images: string;
  /** Folder of `<stem>.txt` label files [`images` with its last `images` path segment replaced by `labels`, as YOLOv5; else `images`]. */
  labels?: string;
  /** Class names, index = class id (required: sets the number of classes). */
  classNames: readonly string[];
  /** Boxes reaching outside the image [`'clip'`], see {@link clipObjects}. */
  outside?: OutsidePolicy;
}

/**
 * A YOLO label folder: images in one folder, `<stem>.txt` per image in the labels folder. An image
 * without a label file, or with an empty one, has no objects (allowed: a background image).
 */
export class YOLODataset implements DetectionDataset {
  private constructor(
    readonly imageDir: string,
    readonly labelDir: string,
    readonly files: readonly string[],
    readonly classNames: readonly string[],
    private readonly outside: OutsidePolicy,
  ) {}

  get length(): number {
    return this.files.length;
  }

  /** List the images and return the dataset (nothing decoded yet). */
  static async open(options: YOLODatasetOptions): Promise<YOLODataset> {
    assertKnownKeys('YOLODataset.open', 'options', options, ['images', 'labels', 'classNames', 'outside']);
    const { images, classNames, outside = 'clip' } = options ?? ({} as YOLODatasetOptions);
    if (typeof images !== 'string') {
      throw new ValueError(`YOLODataset.open: 'images' must be a folder path, got ${describe(images)}`);
    }
    if (!Array.isArray(classNames) || classNames.length === 0) {
      throw new ValueError(`YOLODataset.open: 'classNames' must be a non-empty array of names, got ${describe(classNames)}`);
    }
    let labels = options.labels;
    if (labels === undefined) {
      const parts = images.split(/([\\/])/);
      const k = parts.lastIndexOf('images');
      labels = k >= 0 ? [...parts.slice(0, k), 'labels', ...parts.slice(k + 1)].join('') : images;
    }
    let names: string[];
    try {
      names = await readdir(images);
    } catch (e) {
      throw new FormatError(`YOLODataset.open: cannot list ${images} (${(e as NodeJS.ErrnoException).code ?? e})`, images);
    }
    const files = names.filter((n) => IMAGE_EXTENSIONS.includes(extname(n).toLowerCase())).sort();
    return new YOLODataset(images, labels, files, classNames, outside);
  }

  async get(index: number): Promise<DetectionSample> {
    checkIndex('YOLODataset.get', index, this.length);
    const file = this.files[index];
    const id = basename(file, extname(file));
    const image = await decodeImage(join(this.imageDir, file));
    const labelPath = join(this.labelDir, `${id}.txt`);
    const text = (await exists(labelPath)) ? await readText(labelPath, 'YOLODataset.get') : '';
    const rows = parseYOLOLabels(text, labelPath, { numClasses: this.classNames.length });
    const { width: W, height: H } = image;
    const objects: SampleObject[] = rows.map((r) => {
      const [cx, cy, w, h] = r.box;
      return { classId: r.classId, box: [(cx - w / 2) * W, (cy - h / 2) * H, (cx + w / 2) * W, (cy + h / 2) * H] };
    });
    const c = clipObjects(objects, W, H, this.outside, labelPath);
    return { id, image, objects: c.objects, clippedBoxes: c.clipped, droppedBoxes: c.dropped };
  }
}
