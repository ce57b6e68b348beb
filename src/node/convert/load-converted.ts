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
  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: ArrayBuffer[] = [];
  for (const group of manifest.weightsManifest) {
    specs.push(...group.weights);
    for (const p of group.paths) {
      const b = await readOrFail(join(dir, p), 'the weight shard');
      buffers.push(b.buffer.slice(b.byteOffset, b.byteOffset + b.length) as ArrayBuffer);
    }
  }
  const weightData = tf.io.concatenateArrayBuffers(buffers);
  const [layers, { Reorg, DarknetBatchNorm, DarknetMaxPool }] = await Promise.all([import('@tensorflow/tfjs-layers'), import('../../models/index.js')]);
  // registered explicitly: a bundler may drop a side-effect-only import of the layers
  for (const cls of [Reorg, DarknetBatchNorm, DarknetMaxPool]) tf.serialization.registerClass(cls);
  const model = await layers.loadLayersModel(
    tf.io.fromMemory({ modelTopology: manifest.modelTopology, weightSpecs: specs, weightData, format: manifest.format, generatedBy: manifest.generatedBy, convertedBy: manifest.convertedBy ?? undefined }),
  );
  return { model, meta };
}
