/**
 * Save and load a `tf.LayersModel` in the TF.js layers format (`model.json` + `weights.bin`) with plain
 * `fs`, without `@tensorflow/tfjs-node` (whose `file://` handler this replaces). The files load in a
 * browser with `tf.loadLayersModel(url)`. Custom layers (`Reorg`, …) must be registered first: importing
 * `yolov2-ts/models` does it.
 *
 * @packageDocumentation
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { FormatError } from '../errors.js';

/** Write `model` to `dir/model.json` and `dir/weights.bin` (created as needed). */
export async function saveModel(model: LayersModel, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const data = artifacts.weightData;
      const bytes = data === undefined ? new Uint8Array(0) : new Uint8Array(tf.io.concatenateArrayBuffers(Array.isArray(data) ? data : [data]));
      const manifest = {
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
      };
      await writeFile(join(dir, 'weights.bin'), bytes);
      await writeFile(join(dir, 'model.json'), JSON.stringify(manifest));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON({ ...artifacts, weightData: bytes.buffer as ArrayBuffer }) };
    }),
  );
}

/** Bytes one value of a weight takes in the shards: 2 for float16, 1 for uint8 quantisation, else 4 (1 for bool). */
function bytesPerValue(spec: tf.io.WeightsManifestEntry): number {
  const q = spec.quantization?.dtype;
  if (q === 'float16' || q === 'uint16') return 2;
  if (q === 'uint8') return 1;
  return spec.dtype === 'bool' ? 1 : 4;
}

/**
 * Load a model saved by {@link saveModel} (or any TF.js layers model whose weights are in `dir`).
 * @throws {@link FormatError} naming the file when `model.json` is missing or malformed, or a weights
 *   file is missing or of the wrong size.
 */
export async function loadModel(dir: string): Promise<LayersModel> {
  const [tfl, models] = await Promise.all([import('@tensorflow/tfjs-layers'), import('../models/index.js')]);
  // the library's custom layers, registered explicitly: a bundler may drop a side-effect-only import of them
  for (const cls of [models.Reorg, models.DarknetBatchNorm, models.DarknetMaxPool, models.FoldedConv2D, models.FoldedMaxPool2D]) tf.serialization.registerClass(cls);
  const jsonPath = join(dir, 'model.json');
  let manifest: { modelTopology?: object; weightsManifest?: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }>; format?: string; generatedBy?: string; convertedBy?: string | null };
  try {
    manifest = JSON.parse(await readFile(jsonPath, 'utf8'));
  } catch (e) {
    throw new FormatError(`loadModel: cannot read ${jsonPath}: ${(e as Error).message}`, jsonPath);
  }
  if (!manifest.modelTopology || !Array.isArray(manifest.weightsManifest)) {
    throw new FormatError(`loadModel: ${jsonPath} must have 'modelTopology' and 'weightsManifest'`, jsonPath);
  }
  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: ArrayBuffer[] = [];
  for (const group of manifest.weightsManifest) {
    specs.push(...group.weights);
    for (const p of group.paths) {
      const file = join(dir, p);
      try {
        const b = await readFile(file);
        buffers.push(b.buffer.slice(b.byteOffset, b.byteOffset + b.length) as ArrayBuffer);
      } catch (e) {
        throw new FormatError(`loadModel: cannot read weights file ${file}: ${(e as Error).message}`, file);
      }
    }
  }
  const weightData = tf.io.concatenateArrayBuffers(buffers);
  const expected = specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1) * bytesPerValue(s), 0);
  if (weightData.byteLength !== expected) {
    throw new FormatError(`loadModel: the weights in ${dir} hold ${weightData.byteLength} bytes, ${jsonPath} describes ${expected}`, dir);
  }
  return tfl.loadLayersModel(
    tf.io.fromMemory({ modelTopology: manifest.modelTopology, weightSpecs: specs, weightData, format: manifest.format, generatedBy: manifest.generatedBy, convertedBy: manifest.convertedBy ?? undefined }),
  );
}
