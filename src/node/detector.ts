/**
 * The Detector in Node: load and save a converted detector folder (`model.json`, `weights.bin`,
 * `yolov2.json`) with plain `fs`. The loaded detector also takes image files and encoded bytes. The
 * model code (`@tensorflow/tfjs-layers`) is imported when a detector is loaded, not with this module.
 *
 * @packageDocumentation
 */
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { FormatError } from '../errors.js';
import { type DetectorMeta, parseDetectorMeta } from '../head/detector-meta.js';
import { loadModel, saveModel } from './model-io.js';
import type { NodeDetector } from './node-detector.js';
import type { DetectorModelOptions } from '../models/detector.js';

/**
 * Load a detector folder written by the converter or the trainer: `dir/model.json` (+ weights) and `dir/yolov2.json`.
 * @param options `fold` (default `true`): run the batch-norm-folded copy of the model (see `Detector`).
 * @throws FormatError naming the file when one is missing or invalid.
 */
export async function loadDetector(dir: string, options: DetectorModelOptions = {}): Promise<NodeDetector> {
  const metaPath = join(dir, 'yolov2.json');
  let text: string;
  try {
    text = await readFile(metaPath, 'utf8');
  } catch (e) {
    throw new FormatError(`loadDetector: cannot read ${metaPath}: ${(e as Error).message}`, metaPath);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new FormatError(`loadDetector: ${metaPath} is not JSON: ${(e as Error).message}`, metaPath);
  }
  const meta = parseDetectorMeta(json, metaPath);
  const { NodeDetector: Cls } = await import('./node-detector.js');
  return new Cls(await loadModel(dir), meta, options);
}

/**
 * Write a detector folder: the model (`model.json`, `weights.bin`) and its metadata `yolov2.json`
 * (validated first). The folder is created as needed.
 */
export async function saveDetector(model: LayersModel, meta: DetectorMeta, dir: string): Promise<void> {
  const checked = parseDetectorMeta(meta, 'saveDetector: meta');
  await mkdir(dir, { recursive: true });
  await saveModel(model, dir);
  await writeFile(join(dir, 'yolov2.json'), JSON.stringify(checked, null, 2) + '\n');
}
