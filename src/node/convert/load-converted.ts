/**
 * Read a folder written by `convertDarknet` back in Node: the TF.js LayersModel (quantised weights
 * dequantised, the library's custom layers registered) and its `yolov2.json`. The model code is imported
 * when a folder is loaded, not with this module.
 *
 * @packageDocumentation
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { FormatError } from '../../errors.js';
import { type DetectorMeta, parseDetectorMeta } from '../../head/detector-meta.js';
import { loadModel } from '../model-io.js';

interface Manifest {
  modelTopology?: object;
  weightsManifest?: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }>;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
}

async function readOrFail(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (e) {
    throw new FormatError(`loadConvertedModel: cannot read ${what} ${path}: ${(e as Error).message}`, path);
  }
}

/**
 * Load `dir/model.json` with its weight shards (float32 or quantised) and `dir/yolov2.json`.
 * @returns the model (the caller disposes it) and the validated metadata.
 * @throws FormatError naming the file when one is missing or malformed.
 */
export async function loadConvertedModel(dir: string): Promise<{ model: tfl.LayersModel; meta: DetectorMeta }> {
  const jsonPath = join(dir, 'model.json');
  let manifest: Manifest;
  try {
    manifest = JSON.parse((await readOrFail(jsonPath, 'the model')).toString('utf8')) as Manifest;
  } catch (e) {
    if (e instanceof FormatError) throw e;
    throw new FormatError(`loadConvertedModel: ${jsonPath} is not JSON: ${(e as Error).message}`, jsonPath);
  }
  if (!manifest.modelTopology || !Array.isArray(manifest.weightsManifest)) {
    throw new FormatError(`loadConvertedModel: ${jsonPath} must have 'modelTopology' and 'weightsManifest'`, jsonPath);
  }
  const metaPath = join(dir, 'yolov2.json');
  let metaJson: unknown;
  try {
    metaJson = JSON.parse((await readOrFail(metaPath, 'the detector metadata')).toString('utf8'));
  } catch (e) {
    if (e instanceof FormatError) throw e;
    throw new FormatError(`loadConvertedModel: ${metaPath} is not JSON: ${(e as Error).message}`, metaPath);
  }
  const meta = parseDetectorMeta(metaJson, metaPath);
  const model = await loadModel(dir);
  return { model, meta };
}
