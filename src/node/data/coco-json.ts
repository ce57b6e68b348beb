/**
 * COCO JSON: the instances annotation file as a {@link DetectionDataset}, and pycocotools' detection
 * result format (`[{ image_id, category_id, bbox: [x, y, w, h], score }]`) read and written.
 *
 * A COCO `bbox` `[x, y, w, h]` (continuous pixels) is the corner box `(x, y, x + w, y + h)` here.
 * Category ids (any integers, e.g. COCO's 1…90 with gaps) map to contiguous class ids `0 … C−1` in
 * increasing category-id order, and back. A crowd annotation (`iscrowd: 1`) is an ignored region:
 * `difficult` in a sample (never a positive, not counted as a miss), `iscrowd` for `cocoAP`.
 *
 * @packageDocumentation
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FormatError, ValueError, describe } from '../../errors.js';
import type { COCOGroundTruthBox, DetectionBox } from '../../metrics/types.js';
import { type DetectionDataset, type DetectionSample, type OutsidePolicy, type SampleObject, clipObjects } from './datasets.js';
import { decodeImage } from './image.js';

/** One image entry of a COCO annotation file. */
export interface COCOImage {
  id: number;
  file_name: string;
  width: number;
  height: number;
}

/** One annotation, validated; `box` is `(x1, y1, x2, y2)` from `bbox`. */
export interface COCOAnnotation {
  imageId: number;
  categoryId: number;
  box: [number, number, number, number];
  area: number;
  iscrowd: boolean;
}

async function readJSON(file: string, fn: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new FormatError(`${fn}: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, file);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new FormatError(`${fn}: ${file} is not valid JSON (${(e as Error).message})`, file);
  }
}

function bad(fn: string, file: string, entry: string, expected: string, got: unknown): never {
  throw new FormatError(`${fn}: ${file}: ${entry} must be ${expected}, got ${describe(got)}`, file);
}

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function readBbox(fn: string, file: string, entry: string, b: unknown): [number, number, number, number] {
  if (!Array.isArray(b) || b.length !== 4 || !b.every(isNum) || b[2] < 0 || b[3] < 0) {
    bad(fn, file, `${entry}.bbox`, '[x, y, w, h] with w, h ≥ 0', b);
  }
  return [b[0], b[1], b[0] + b[2], b[1] + b[3]];
}

/** Options of {@link COCODataset.open}. */
export interface COCODatasetOptions {
  /** Boxes reaching outside the image [`'clip'`]. */
  outside?: OutsidePolicy;
}

/**
 * A COCO instances file with its image folder. Samples are read lazily; a sample's `id` is the COCO
 * image id as a decimal string (so detections map back to `image_id`).
 */
export class COCODataset implements DetectionDataset {
  private constructor(
    /** The annotation file. */
    readonly file: string,
    readonly imagesDir: string,
    readonly images: readonly COCOImage[],
    readonly annotations: readonly COCOAnnotation[],
    readonly classNames: readonly string[],
    /** `categoryIds[classId]` is the COCO category id of that class. */
    readonly categoryIds: readonly number[],
    private readonly outside: OutsidePolicy,
    private readonly byImage: Map<number, COCOAnnotation[]>,
  ) {}

  get length(): number {
    return this.images.length;
  }

  /**
   * Read and validate the annotation file (no image is decoded yet).
   * @throws FormatError naming the file and the entry (`annotations[12].bbox`, …) for anything malformed.
   */
  static async open(annotationsFile: string, imagesDir: string, options: COCODatasetOptions = {}): Promise<COCODataset> {
    const fn = 'COCODataset.open';
    const json = await readJSON(annotationsFile, fn);
    const f = annotationsFile;
    if (!isObj(json)) bad(fn, f, '(root)', 'an object with images, annotations, categories', json);
    for (const k of ['images', 'annotations', 'categories']) if (!Array.isArray(json[k])) bad(fn, f, `'${k}'`, 'an array', json[k]);
    const cats = (json.categories as unknown[]).map((c, i) => {
      if (!isObj(c) || !Number.isInteger(c.id) || typeof c.name !== 'string') bad(fn, f, `categories[${i}]`, '{ id: integer, name: string }', c);
      return { id: c.id as number, name: c.name as string };
    });
    cats.sort((a, b) => a.id - b.id);
    cats.forEach((c, i) => i > 0 && c.id === cats[i - 1].id && bad(fn, f, `categories (id ${c.id})`, 'unique ids', 'a duplicate'));
    const classOf = new Map(cats.map((c, k) => [c.id, k]));
    const images = (json.images as unknown[]).map((im, i) => {
      if (!isObj(im) || !Number.isInteger(im.id) || typeof im.file_name !== 'string') bad(fn, f, `images[${i}]`, '{ id: integer, file_name: string, width, height }', im);
      return { id: im.id as number, file_name: im.file_name as string, width: Number(im.width), height: Number(im.height) };
    });
    const imageIds = new Set(images.map((im) => im.id));
    const byImage = new Map<number, COCOAnnotation[]>();
    const annotations = (json.annotations as unknown[]).map((a, i) => {
      const e = `annotations[${i}]`;
      if (!isObj(a)) bad(fn, f, e, 'an object', a);
      if (!imageIds.has(a.image_id as number)) bad(fn, f, `${e}.image_id`, 'the id of an entry of images', a.image_id);
      if (!classOf.has(a.category_id as number)) bad(fn, f, `${e}.category_id`, 'the id of an entry of categories', a.category_id);
      const box = readBbox(fn, f, e, a.bbox);
      if (a.area !== undefined && !isNum(a.area)) bad(fn, f, `${e}.area`, 'a number', a.area);
      const ann: COCOAnnotation = {
        imageId: a.image_id as number,
        categoryId: a.category_id as number,
        box,
        area: (a.area as number | undefined) ?? (box[2] - box[0]) * (box[3] - box[1]),
        iscrowd: a.iscrowd === 1 || a.iscrowd === true,
      };
      const list = byImage.get(ann.imageId) ?? [];
      list.push(ann);
      byImage.set(ann.imageId, list);
      return ann;
    });
    const { outside = 'clip' } = options;
    return new COCODataset(f, imagesDir, images, annotations, cats.map((c) => c.name), cats.map((c) => c.id), outside, byImage);
  }

  /** The contiguous class id of a COCO category id; throws ValueError for an unknown one. */
  classId(categoryId: number): number {
    const k = this.categoryIds.indexOf(categoryId);
    if (k < 0) throw new ValueError(`COCODataset.classId: ${describe(categoryId)} is not a category id of ${this.file}`);
    return k;
  }

  /** Every annotation as `cocoAP` ground truth (image id as a string, crowd and area kept). */
  groundTruths(): COCOGroundTruthBox[] {
    return this.annotations.map((a) => ({ imageId: String(a.imageId), classId: this.classId(a.categoryId), box: a.box, area: a.area, iscrowd: a.iscrowd }));
  }

  async get(index: number): Promise<DetectionSample> {
    if (!Number.isInteger(index) || index < 0 || index >= this.length) {
      throw new ValueError(`COCODataset.get: 'index' must be an integer in [0, ${this.length - 1}], got ${describe(index)}`);
    }
    const im = this.images[index];
    const image = await decodeImage(join(this.imagesDir, im.file_name));
    const objects: SampleObject[] = (this.byImage.get(im.id) ?? []).map((a) => ({ classId: this.classId(a.categoryId), box: [...a.box], difficult: a.iscrowd }));
    const c = clipObjects(objects, image.width, image.height, this.outside, `${this.file} (image ${im.id})`);
    return { id: String(im.id), image, objects: c.objects, clippedBoxes: c.clipped, droppedBoxes: c.dropped };
  }
}

/** One sample to write with {@link writeCOCOAnnotations}. */
export interface COCOAnnotationInput {
  /** COCO image id. */
  id: number;
  fileName: string;
  width: number;
  height: number;
  objects: readonly SampleObject[];
}

/**
 * Write a COCO instances file: category `k + 1` is class `k`; `difficult` objects are written as `iscrowd: 1`.
 * Boxes are written as `bbox [x1, y1, x2 − x1, y2 − y1]` with `area = w·h`.
 */
export async function writeCOCOAnnotations(file: string, images: readonly COCOAnnotationInput[], classNames: readonly string[]): Promise<void> {
  let annId = 1;
  const json = {
    images: images.map((im) => ({ id: im.id, file_name: im.fileName, width: im.width, height: im.height })),
    annotations: images.flatMap((im) =>
      im.objects.map((o) => {
        const [x1, y1, x2, y2] = o.box;
        return { id: annId++, image_id: im.id, category_id: o.classId + 1, bbox: [x1, y1, x2 - x1, y2 - y1], area: (x2 - x1) * (y2 - y1), iscrowd: o.difficult ? 1 : 0 };
      }),
    ),
    categories: classNames.map((name, k) => ({ id: k + 1, name })),
  };
  await writeFile(file, JSON.stringify(json));
}

const numericId = (id: string): number | string => (/^-?\d+$/.test(id) ? Number(id) : id);

/**
 * Read a pycocotools result file (`[{ image_id, category_id, bbox: [x, y, w, h], score }]`) as detections
 * with corner boxes. `categoryIds[classId]` maps category ids to class ids (default: class id = category id).
 * @throws FormatError naming the file and the entry.
 */
export async function readCOCOResults(file: string, categoryIds?: readonly number[]): Promise<DetectionBox[]> {
  const fn = 'readCOCOResults';
  const json = await readJSON(file, fn);
  if (!Array.isArray(json)) bad(fn, file, '(root)', 'an array of { image_id, category_id, bbox, score }', json);
  return json.map((r, i) => {
    const e = `[${i}]`;
    if (!isObj(r)) bad(fn, file, e, 'an object', r);
    if (typeof r.image_id !== 'number' && typeof r.image_id !== 'string') bad(fn, file, `${e}.image_id`, 'a number or string', r.image_id);
    const classId = categoryIds ? categoryIds.indexOf(r.category_id as number) : (r.category_id as number);
    if (!Number.isInteger(r.category_id) || classId < 0) {
      bad(fn, file, `${e}.category_id`, categoryIds ? `one of the category ids ${categoryIds.join(', ')}` : 'an integer ≥ 0', r.category_id);
    }
    if (!isNum(r.score)) bad(fn, file, `${e}.score`, 'a finite number', r.score);
    return { imageId: String(r.image_id), classId, box: readBbox(fn, file, e, r.bbox), score: r.score };
  });
}

/**
 * Write detections as a pycocotools result file. Numeric image ids are written as numbers;
 * `categoryIds[classId]` gives the category id (default: the class id).
 */
export async function writeCOCOResults(file: string, detections: readonly DetectionBox[], categoryIds?: readonly number[]): Promise<void> {
  const rows = detections.map((d, i) => {
    const cat = categoryIds ? categoryIds[d.classId] : d.classId;
    if (cat === undefined) throw new ValueError(`writeCOCOResults: 'detections[${i}].classId' ${d.classId} has no category id (${categoryIds?.length} given)`);
    const [x1, y1, x2, y2] = d.box;
    return { image_id: numericId(String(d.imageId)), category_id: cat, bbox: [x1, y1, x2 - x1, y2 - y1], score: d.score };
  });
  await writeFile(file, JSON.stringify(rows));
}
