/**
 * The Detector in Node: load and save a converted detector folder (`model.json`, `weights.bin`,
 * `yolov2.json`) with plain `fs`, and detect on image files or encoded bytes as well as tensors.
 *
 * @packageDocumentation
 */
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { FormatError } from '../errors.js';
import { type DetectorMeta, parseDetectorMeta } from '../head/detector-meta.js';
import { Detector, type DetectorInput } from '../models/detector.js';
import { DarknetBatchNorm, Reorg } from '../models/layers.js';
import { decodeImage } from './data/image.js';
import type { RGBImage } from './data/rgb-image.js';
import { loadModel, saveModel } from './model-io.js';

/** What the Node detector accepts: everything {@link Detector} does, plus a file path, encoded bytes or an `RGBImage`. */
export type NodeDetectorInput = DetectorInput | string | Uint8Array | RGBImage;

const isRGBImage = (x: unknown): x is RGBImage =>
  typeof x === 'object' && x !== null && 'data' in x && (x as RGBImage).data instanceof Uint8Array &&
  (x as RGBImage).data.length === (x as RGBImage).width * (x as RGBImage).height * 3;

/** A {@link Detector} that also reads image files (path), encoded bytes (Buffer) and 8-bit RGB images. */
export class NodeDetector extends Detector {
  /** Detect on one image; see {@link Detector.detect}. */
  override detect(input: NodeDetectorInput, options?: Parameters<Detector['detect']>[1]) {
    return super.detect(input as DetectorInput, options);
  }

  /** Detect on several images; see {@link Detector.detectBatch}. */
  override detectBatch(inputs: readonly NodeDetectorInput[], options?: Parameters<Detector['detectBatch']>[1], fn?: string) {
    return super.detectBatch(inputs as DetectorInput[], options, fn);
  }

  protected override async toImages(fn: string, input: DetectorInput, index: number): Promise<tf.Tensor3D[]> {
    const x = input as NodeDetectorInput;
    if (typeof x === 'string' || (x instanceof Uint8Array && !isRGBImage(x))) {
      return [rgbTensor(await decodeImage(x, typeof x === 'string' ? x : `inputs[${index}]`))];
    }
    if (isRGBImage(x)) return [rgbTensor(x)];
    return super.toImages(fn, input, index);
  }
}

function rgbTensor(image: RGBImage): tf.Tensor3D {
  return tf.tensor3d(Float32Array.from(image.data), [image.height, image.width, 3], 'float32');
}

/**
 * Load a detector folder written by the converter or the trainer: `dir/model.json` (+ weights) and `dir/yolov2.json`.
 * @throws FormatError naming the file when one is missing or invalid.
 */
export async function loadDetector(dir: string): Promise<NodeDetector> {
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
  // the library's custom layers must be registered before a model is deserialised (explicitly: a bundler
  // may drop a side-effect-only import of the layers module)
  for (const cls of [Reorg, DarknetBatchNorm]) tf.serialization.registerClass(cls);
  return new NodeDetector(await loadModel(dir), meta);
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
