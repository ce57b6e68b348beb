/**
 * Node side of the browser test: choose the model the built page serves, load it on Node's cpu backend
 * and compute the reference detections for the same image.
 *
 * Model source: `runs/demo/model` (the demo's trained tiny model, TF.js format) when it holds a model.json
 * (override with the env `YOLOV2_BROWSER_MODEL=<dir>`), else the committed fixture already in the build
 * (examples/browser/public/model, written by scripts/browser-fixture.ts). A chosen directory is copied over
 * `runs/browser-dist/model/`; its `meta.json` (classNames, anchors in grid units, inputSize, confThreshold),
 * when present, overrides the fixture's. When the model's input size is fixed and differs from the
 * fixture image's, a synthetic image of the right size replaces `image.png` in the build. The fixture's
 * `groundTruth` (the detection-quality check) is dropped for a swapped-in model.
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { decodeBoxes, postprocess, type Detection } from '../../src/index.js';
import '../../src/models/index.js';
import { decodeImage, encodePNG, generateSyntheticSample, imageToFloat32, type RGBImage } from '../../src/node/index.js';
import { compareThreshold, type BrowserMeta } from '../../examples/browser/results.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const DIST = join(ROOT, 'runs/browser-dist');
/** The preferred model: the demo's trained output. */
export const DEMO_MODEL_DIR = process.env.YOLOV2_BROWSER_MODEL ? resolve(process.env.YOLOV2_BROWSER_MODEL) : join(ROOT, 'runs/demo/model');

interface ModelJSON {
  modelTopology: { config: { layers: Array<{ config: { batch_input_shape?: Array<number | null> } }> } };
  weightsManifest: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }>;
}

/** Copy the demo model into the build when present; returns the meta the page will read. */
export async function prepareBuild(): Promise<BrowserMeta> {
  if (!existsSync(join(DIST, 'index.html'))) {
    throw new Error(`no page build in ${DIST}: run 'npm run test:browser' (it builds the package and the page first)`);
  }
  let meta = JSON.parse(await readFile(join(DIST, 'meta.json'), 'utf8')) as BrowserMeta;
  if (existsSync(join(DEMO_MODEL_DIR, 'model.json'))) {
    const target = join(DIST, 'model');
    await rm(target, { recursive: true, force: true });
    await mkdir(target, { recursive: true });
    const json = JSON.parse(await readFile(join(DEMO_MODEL_DIR, 'model.json'), 'utf8')) as ModelJSON;
    await copyFile(join(DEMO_MODEL_DIR, 'model.json'), join(target, 'model.json'));
    for (const g of json.weightsManifest) for (const p of g.paths) await copyFile(join(DEMO_MODEL_DIR, p), join(target, p));
    const given = existsSync(join(DEMO_MODEL_DIR, 'meta.json'))
      ? (JSON.parse(await readFile(join(DEMO_MODEL_DIR, 'meta.json'), 'utf8')) as Partial<BrowserMeta>)
      : {};
    // the fixture's ground-truth check is for the committed trained fixture; a demo model may be weaker
    const { groundTruth: _fixtureObjects, ...fixtureMeta } = meta;
    meta = { ...fixtureMeta, confThreshold: 0.25, ...given, source: `${DEMO_MODEL_DIR} (trained demo model)` };
    const fixed = json.modelTopology.config.layers[0]?.config.batch_input_shape?.[1];
    if (typeof fixed === 'number' && fixed !== meta.inputSize) meta.inputSize = fixed;
    const image = await decodeImage(join(DIST, 'image.png'));
    if (image.width !== meta.inputSize || image.height !== meta.inputSize) {
      const s = generateSyntheticSample(7, { width: meta.inputSize, height: meta.inputSize, minObjects: 3, maxObjects: 5 });
      await writeFile(join(DIST, 'image.png'), await encodePNG(s.image));
    }
    await writeFile(join(DIST, 'meta.json'), JSON.stringify(meta, null, 2));
  }
  return meta;
}

/** An IOHandler reading a TF.js layers model (model.json + weight files) from disk. */
export function fileHandler(dir: string): tf.io.IOHandler {
  return {
    load: async () => {
      const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as ModelJSON & tf.io.ModelJSON;
      const specs: tf.io.WeightsManifestEntry[] = [];
      const buffers: Buffer[] = [];
      for (const g of json.weightsManifest) {
        specs.push(...g.weights);
        for (const p of g.paths) buffers.push(await readFile(join(dir, p)));
      }
      const all = Buffer.concat(buffers);
      return {
        modelTopology: json.modelTopology,
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy,
        weightSpecs: specs,
        weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
      };
    },
  };
}

export interface NodeReference {
  image: RGBImage;
  pixelSum: number;
  pixelHash: number;
  detections: Detection[];
  head: Float32Array;
}

function fnv1a(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return h >>> 0;
}

/**
 * The page's pipeline on Node (current backend): decode the PNG, v·(1/255), predict, decode, postprocess
 * above `compareThreshold(meta)`.
 */
export async function nodeReference(meta: BrowserMeta): Promise<NodeReference> {
  const model = await tfl.loadLayersModel(fileHandler(join(DIST, 'model')));
  const image = await decodeImage(join(DIST, 'image.png'));
  try {
    const input = tf.tensor4d(imageToFloat32(image), [1, image.height, image.width, 3]);
    const decoded = tf.tidy(() => {
      const output = model.predict(input) as tf.Tensor4D;
      return { output, ...decodeBoxes(output, { anchors: meta.anchors, numClasses: meta.classNames.length }) };
    });
    const [detections] = postprocess(decoded, { confThreshold: compareThreshold(meta), iouThreshold: 0.45 });
    const head = decoded.output.dataSync() as Float32Array;
    tf.dispose([input, decoded]);
    let pixelSum = 0;
    for (let i = 0; i < image.data.length; i++) pixelSum += image.data[i];
    return { image, pixelSum, pixelHash: fnv1a(image.data), detections, head };
  } finally {
    model.dispose();
  }
}
