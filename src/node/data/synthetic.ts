/**
 * The synthetic detection dataset for Node: a random-access {@link SyntheticDataset} over the scenes of
 * `src/data/synthetic-scene.ts` (browser-safe, drawn the same in the browser), and
 * {@link writeSyntheticVOC}, which writes them to disk in VOC layout with sharp.
 *
 * Sample `i` of seed `s` uses its own generator `new Rng(deriveSeed(s, i))`, so any sample is
 * regenerated alone from `(s, i)`, cheaply and in any order.
 *
 * @packageDocumentation
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { Rng, deriveSeed } from '../../data/rng.js';
import { type ResolvedSyntheticOptions, SYNTHETIC_OPTION_KEYS, type SyntheticOptions, resolveSyntheticOptions } from '../../data/synthetic-options.js';
import { type SyntheticSample, generateSyntheticSample } from '../../data/synthetic-scene.js';
import { SYNTHETIC_CLASSES } from '../../data/synthetic-shapes.js';
import { assertKnownKeys, assertNumber } from '../../validate.js';
import type { DetectionDataset, DetectionSample } from './datasets.js';
import { writeVOCAnnotation } from './voc-xml.js';

export { SYNTHETIC_CLASSES, shapeRowSpan, shapeMask } from '../../data/synthetic-shapes.js';
export type { SyntheticShape } from '../../data/synthetic-shapes.js';
export { resolveSyntheticOptions } from '../../data/synthetic-options.js';
export type { SyntheticOptions, ResolvedSyntheticOptions } from '../../data/synthetic-options.js';
export { generateSyntheticSample } from '../../data/synthetic-scene.js';
export type { SyntheticSample, SyntheticObject } from '../../data/synthetic-scene.js';

/**
 * The synthetic dataset as a random-access {@link DetectionDataset}: sample `i` is
 * `generateSyntheticSample(new Rng(deriveSeed(seed, i)), options)` with id `synthetic-<seed>-<i>`.
 * Nothing is cached: regenerating is cheaper than keeping the pixels.
 */
export class SyntheticDataset implements DetectionDataset {
  readonly classNames = SYNTHETIC_CLASSES;
  readonly length: number;
  readonly seed: number;
  readonly options: Readonly<ResolvedSyntheticOptions>;

  constructor(options: SyntheticOptions & { seed?: number; length?: number } = {}) {
    assertKnownKeys('SyntheticDataset', 'options', options, ['seed', 'length', ...SYNTHETIC_OPTION_KEYS]);
    const { seed = 0, length = 1000, ...rest } = options;
    assertNumber('SyntheticDataset', 'seed', seed, { integer: true });
    assertNumber('SyntheticDataset', 'length', length, { min: 0, integer: true });
    this.seed = seed;
    this.length = length;
    this.options = resolveSyntheticOptions(rest, 'SyntheticDataset');
  }

  /** Sample `index` (0 ≤ index < length), synchronously. */
  getSync(index: number): SyntheticSample {
    assertNumber('SyntheticDataset.get', 'index', index, { min: 0, max: this.length - 1, integer: true });
    const s = generateSyntheticSample(new Rng(deriveSeed(this.seed, index)), this.options);
    s.id = `synthetic-${this.seed}-${index}`;
    return s;
  }

  get(index: number): Promise<DetectionSample> {
    try {
      return Promise.resolve(this.getSync(index));
    } catch (e) {
      return Promise.reject(e);
    }
  }
}

/**
 * Write a synthetic dataset in VOC layout under `root`: `JPEGImages/<id>.png` (PNG by default, lossless;
 * `format: 'jpg'` writes JPEG quality 95), `Annotations/<id>.xml` (VOC boxes: 1-based inclusive, i.e.
 * `xmin = x1 + 1, xmax = x2`), and `ImageSets/Main/<imageSet>.txt` listing the ids.
 *
 * @returns the ids written.
 */
export async function writeSyntheticVOC(
  root: string,
  dataset: SyntheticDataset,
  options: { imageSet?: string; format?: 'png' | 'jpg' } = {},
): Promise<string[]> {
  assertKnownKeys('writeSyntheticVOC', 'options', options, ['imageSet', 'format']);
  const { imageSet = 'trainval', format = 'png' } = options;
  await mkdir(join(root, 'JPEGImages'), { recursive: true });
  await mkdir(join(root, 'Annotations'), { recursive: true });
  await mkdir(join(root, 'ImageSets', 'Main'), { recursive: true });
  const ids: string[] = [];
  for (let i = 0; i < dataset.length; i++) {
    const s = dataset.getSync(i);
    const filename = `${s.id}.${format}`;
    const raw = sharp(s.image.data, { raw: { width: s.image.width, height: s.image.height, channels: 3 } });
    const bytes = await (format === 'png' ? raw.png() : raw.jpeg({ quality: 95 })).toBuffer();
    await writeFile(join(root, 'JPEGImages', filename), bytes);
    const xml = writeVOCAnnotation({
      folder: 'synthetic',
      filename,
      size: { width: s.image.width, height: s.image.height, depth: 3 },
      objects: s.objects.map((ob) => ({
        name: SYNTHETIC_CLASSES[ob.classId],
        box: [ob.box[0] + 1, ob.box[1] + 1, ob.box[2], ob.box[3]],
        difficult: false,
        truncated: false,
      })),
    });
    await writeFile(join(root, 'Annotations', `${s.id}.xml`), xml);
    ids.push(s.id);
  }
  await writeFile(join(root, 'ImageSets', 'Main', `${imageSet}.txt`), ids.join('\n') + '\n');
  return ids;
}
