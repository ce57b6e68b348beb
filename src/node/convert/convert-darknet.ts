/**
 * `convertDarknet`: a darknet cfg + `.weights` (+ class names) → a TF.js LayersModel folder
 * (`model.json` + weight shards) with the detector's `yolov2.json` beside it; and
 * {@link loadConvertedModel} to read such a folder back in Node. The model code (`yolov2-ts/models`,
 * `@tensorflow/tfjs-layers`) is imported when a conversion runs, not with this module.
 *
 * @packageDocumentation
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { FormatError, ValueError, describe } from '../../errors.js';
import { DETECTOR_META_FORMAT, DETECTOR_META_VERSION, type DetectorMeta } from '../../head/detector-meta.js';
import { assertKnownKeys, assertOneOf } from '../../validate.js';
import { type WeightQuantization, quantizeWeights } from './quantize.js';

/** The inputs of {@link convertDarknet}: each a file path, or the contents themselves. */
export interface DarknetSources {
  /** The `.cfg`: a path, or `{ text }`. */
  cfg: string | { text: string };
  /** The `.weights`: a path, or the bytes. */
  weights: string | Uint8Array;
  /** Class names: a path to a `.names` file (one per line), or the names; default `'0'`, `'1'`, …. */
  names?: string | readonly string[];
}

/** Options of {@link convertDarknet}. */
export interface ConvertDarknetOptions {
  /**
   * Store the weights as `'float16'` (half the size; outputs within 1e-2 of float32, relative to the largest
   * output magnitude) or `'uint8'` (a quarter; within 5e-2); default float32. TF.js dequantises on load.
   */
  quantize?: WeightQuantization;
  /** Input size in pixels, square or `[height, width]`; default the cfg's `[net]` size. */
  inputSize?: number | [number, number];
  /** Bytes per weight shard; default 4 MiB (as the TF.js converter). */
  shardBytes?: number;
}

/** What {@link convertDarknet} wrote. */
export interface ConvertDarknetResult {
  /** Files written, relative to `outDir`: `model.json`, the shards, `yolov2.json`. */
  files: string[];
  /** The detector metadata written to `yolov2.json`. */
  meta: DetectorMeta;
  /** Keys of the cfg the library does not know (ignored, as darknet does), as `[section] key (line n)`. */
  unknownKeys: string[];
}

const FN = 'convertDarknet';

async function readText(what: string, path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw new FormatError(`${FN}: cannot read the ${what} ${path}: ${(e as Error).message}`, path);
  }
}

async function readSources(src: DarknetSources) {
  if (src === null || typeof src !== 'object') throw new ValueError(`${FN}: 'sources' must be { cfg, weights, names? }, got ${describe(src)}`);
  assertKnownKeys(FN, 'sources', src, ['cfg', 'weights', 'names']);
  const cfgText = typeof src.cfg === 'string' ? await readText('cfg', src.cfg) : src.cfg?.text;
  if (typeof cfgText !== 'string') throw new ValueError(`${FN}: 'cfg' must be a path or { text }, got ${describe(src.cfg)}`);
  let weights: Uint8Array;
  if (typeof src.weights === 'string') {
    try {
      weights = new Uint8Array(await readFile(src.weights));
    } catch (e) {
      throw new FormatError(`${FN}: cannot read the weights ${src.weights}: ${(e as Error).message}`, src.weights);
    }
  } else if (src.weights instanceof Uint8Array) weights = src.weights;
  else throw new ValueError(`${FN}: 'weights' must be a path or a Uint8Array, got ${describe(src.weights)}`);
  let names: string[] | undefined;
  if (typeof src.names === 'string') names = (await readText('names file', src.names)).split(/\r?\n/).map((s) => s.trim()).filter((s) => s !== '');
  else if (Array.isArray(src.names)) names = [...src.names];
  else if (src.names !== undefined) throw new ValueError(`${FN}: 'names' must be a path or an array of strings, got ${describe(src.names)}`);
  const source = typeof src.cfg === 'string' ? basename(src.cfg) : 'darknet cfg';
  return { cfgText, weights, names, namesPath: typeof src.names === 'string' ? src.names : 'names', source };
}

async function modelArtifacts(model: tfl.LayersModel): Promise<tf.io.ModelArtifacts> {
  let saved: tf.io.ModelArtifacts | null = null;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return saved!;
}

/**
 * Convert a darknet YOLOv2-family detector (cfg + weights + class names) to a TF.js LayersModel folder.
 *
 * Writes into `outDir` (created as needed): `model.json` (topology and weights manifest, as
 * `tf.loadLayersModel` reads it), `group1-shard{i}of{n}.bin` (the weights, float32 unless `quantize`),
 * and `yolov2.json`, the {@link DetectorMeta} (input size, class names, the `[region]` anchors in grid
 * cells, NHWC layout, darknet's floor letterbox, pixels / 255, post-processing defaults 0.25 / 0.45 / 100).
 * The model uses the library's custom layers (`DarknetBatchNorm`, `Reorg`, and `DarknetMaxPool` where a
 * cfg needs it): import `yolov2-ts/models` before `tf.loadLayersModel`, or use {@link loadConvertedModel}.
 *
 * @throws FormatError for an unreadable file, a malformed cfg (naming the line), weights that do not fit
 *   the cfg, or a names file whose line count differs from `[region] classes`.
 * @throws ValueError for a cfg without `[region]`, or bad options.
 */
export async function convertDarknet(sources: DarknetSources, outDir: string, options: ConvertDarknetOptions = {}): Promise<ConvertDarknetResult> {
  assertKnownKeys(FN, 'options', options, ['quantize', 'inputSize', 'shardBytes']);
  if (options.quantize !== undefined) assertOneOf(FN, 'quantize', options.quantize, ['float16', 'uint8']);
  const shardBytes = options.shardBytes ?? 4 * 1024 * 1024;
  if (!(Number.isInteger(shardBytes) && shardBytes >= 4)) throw new ValueError(`${FN}: 'shardBytes' must be an integer ≥ 4, got ${describe(shardBytes)}`);
  if (typeof outDir !== 'string' || outDir === '') throw new ValueError(`${FN}: 'outDir' must be a folder path, got ${describe(outDir)}`);
  const src = await readSources(sources);
  const { loadDarknetWeights, modelFromDarknetCfg, parseDarknetCfg, regionDecodeOptions } = await import('../../models/index.js');
  const cfg = parseDarknetCfg(src.cfgText);
  if (!cfg.sections.some((s) => s.type === 'region')) throw new ValueError(`${FN}: the cfg has no [region] section; only YOLOv2-family detectors convert to a detector`);
  const built = modelFromDarknetCfg(cfg, options.inputSize === undefined ? {} : { inputSize: options.inputSize });
  try {
    const decode = regionDecodeOptions(built.region!);
    const names = src.names ?? Array.from({ length: decode.numClasses }, (_, i) => String(i));
    if (names.length !== decode.numClasses) {
      throw new FormatError(`${FN}: ${src.namesPath} holds ${names.length} class names but the cfg's [region] has classes=${decode.numClasses}`, src.namesPath);
    }
    loadDarknetWeights(built.model, src.weights);
    const artifacts = await modelArtifacts(built.model);
    const raw = artifacts.weightData;
    const data = raw === undefined ? new ArrayBuffer(0) : tf.io.concatenateArrayBuffers(Array.isArray(raw) ? raw : [raw]);
    const weights = options.quantize ? quantizeWeights(artifacts.weightSpecs ?? [], data, options.quantize) : { specs: artifacts.weightSpecs ?? [], data };
    const count = Math.max(1, Math.ceil(weights.data.byteLength / shardBytes));
    const shards = Array.from({ length: count }, (_, i) => `group1-shard${i + 1}of${count}.bin`);
    const [h, w] = [built.model.inputs[0].shape[1] as number, built.model.inputs[0].shape[2] as number];
    const meta: DetectorMeta = {
      format: DETECTOR_META_FORMAT, version: DETECTOR_META_VERSION, inputSize: [h, w], classNames: names,
      anchors: decode.anchors.map(([aw, ah]) => [aw, ah] as const), layout: 'NHWC', letterbox: 'floor', pixelScale: 255,
      postprocess: { confThreshold: 0.25, iouThreshold: 0.45, maxDetections: 100 }, source: src.source,
    };
    const manifest = {
      format: 'layers-model', generatedBy: artifacts.generatedBy, convertedBy: 'yolov2-ts convertDarknet',
      modelTopology: artifacts.modelTopology, weightsManifest: [{ paths: shards, weights: weights.specs }],
    };
    await mkdir(outDir, { recursive: true });
    for (let i = 0; i < count; i++) await writeFile(join(outDir, shards[i]), new Uint8Array(weights.data, i * shardBytes, Math.min(shardBytes, weights.data.byteLength - i * shardBytes)));
    await writeFile(join(outDir, 'model.json'), JSON.stringify(manifest));
    await writeFile(join(outDir, 'yolov2.json'), `${JSON.stringify(meta, null, 2)}\n`);
    const unknownKeys = cfg.unknownKeys.map((k) => `[${k.type}] ${k.key} (line ${k.line})`);
    return { files: ['model.json', ...shards, 'yolov2.json'], meta, unknownKeys };
  } finally {
    built.model.dispose();
  }
}
