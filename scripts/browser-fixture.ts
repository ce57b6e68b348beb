/**
 * Writes the browser example's fixture into `examples/browser/public/`:
 *
 * - `model/model.json` + `model/weights.bin`: a small tiny-YOLOv2 in TF.js layers format;
 * - `image.png`: a seeded synthetic image whose size equals the model input (no resampling anywhere);
 * - `meta.json`: class names, anchors (grid units), input size, the model's origin.
 *
 * Two sources:
 *
 *   npx tsx scripts/browser-fixture.ts                 # seeded random weights
 *   npx tsx scripts/browser-fixture.ts --train 1500    # the same, then trained N steps on synthetic shapes
 *   npx tsx scripts/browser-fixture.ts --from runs/demo/model
 *
 * `--data JSON` passes SyntheticOptions to the training set and the page's image (e.g. an easier
 * distribution: `'{"maxObjects":1,"background":"flat","noise":0,"clutterLines":[0,0]}'`).
 * `--width M` sets the width multiplier (default 0.125), `--float16` stores the weights as half floats
 * (TF.js dequantises them on load; both the page and Node see the same values). `--out DIR` writes elsewhere (default examples/browser/public). `--from DIR` copies a saved TF.js model (DIR/model.json and its weight files, e.g. the demo's trained
 * tiny model) instead of building one; `DIR/meta.json` (same fields as ours) overrides the defaults below
 * when present. Keep the committed fixture under 2 MB.
 *
 * Run with `npx tsx`. The test (`npm run test:browser`) also prefers `runs/demo/model` automatically when it
 * exists (see test/browser/detect.test.ts), so replacing this fixture is optional.
 */
import type { BrowserMeta } from '../examples/browser/results.js';
import { mulberry32 } from '../src/random.js';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { TINY_VOC_ANCHORS, YOLOv2Loss, packTargets } from '../src/index.js';
import { initObjectnessPrior, registerTrainingKernels, tinyYOLOv2 } from '../src/models/index.js';
import {
  type SyntheticOptions, BatchLoader, SYNTHETIC_CLASSES, SyntheticDataset, encodePNG, generateSyntheticSample, train, trainerBatches,
} from '../src/node/index.js';

// Under tsx (plain Node ESM) `import '@tensorflow/tfjs-core/dist/register_all_gradients'` fails on a
// directory import; require() loads it into the same engine.
createRequire(import.meta.url)('@tensorflow/tfjs-core/dist/register_all_gradients');

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const defaultOut = join(root, 'examples/browser/public');

export type { BrowserMeta };

const DEFAULTS = {
  inputSize: 128,
  widthMultiplier: 0.125,
  weightSeed: 20240607,
  imageSeed: 7,
};

const round3 = (v: number): number => Math.round(v * 1000) / 1000;


function gaussian(rand: () => number, n: number, std: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const u = Math.max(rand(), 1e-12);
    const v = rand();
    const r = Math.sqrt(-2 * Math.log(u)) * std;
    out[i] = r * Math.cos(2 * Math.PI * v);
    if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * v);
  }
  return out;
}

/**
 * Seeded weights: He-normal conv kernels, identity batch norm (γ 1, β 0, mean 0, var 1), head kernel
 * N(0, 1/fan_in) and zero bias, so the head output has roughly unit scale and a random model yields
 * several detections above a low threshold.
 */
function seedWeights(model: ReturnType<typeof tinyYOLOv2>, seed: number): void {
  const rand = mulberry32(seed);
  const values = model.weights.map((w) => {
    const shape = w.shape as number[];
    const n = shape.reduce((a, b) => a * b, 1);
    const name = w.originalName;
    if (name.endsWith('kernel')) {
      const fanIn = shape.slice(0, -1).reduce((a, b) => a * b, 1);
      const head = name.startsWith('conv8/');
      return tf.tensor(gaussian(rand, n, Math.sqrt((head ? 1 : 2) / fanIn)), shape);
    }
    if (name.endsWith('gamma') || name.endsWith('moving_variance')) return tf.ones(shape);
    return tf.zeros(shape);
  });
  model.setWeights(values);
  tf.dispose(values);
}

async function saveModel(model: ReturnType<typeof tinyYOLOv2>, dir: string, float16 = false): Promise<void> {
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const data = artifacts.weightData;
      let bytes = Array.isArray(data) ? Buffer.concat(data.map((b) => Buffer.from(b))) : Buffer.from(data as ArrayBuffer);
      let specs = artifacts.weightSpecs ?? [];
      if (float16) {
        // every weight is float32 here: store IEEE half floats, dequantised by tf.io on load (half the size)
        const f32 = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
        const half = new Uint16Array(f32.length);
        for (let i = 0; i < f32.length; i++) half[i] = toHalf(f32[i]);
        bytes = Buffer.from(half.buffer);
        specs = specs.map((w) => ({ ...w, quantization: { dtype: 'float16' as const } }));
      }
      const json = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{ paths: ['weights.bin'], weights: specs }],
      };
      await writeFile(join(dir, 'model.json'), JSON.stringify(json));
      await writeFile(join(dir, 'weights.bin'), bytes);
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
}

/** float32 → IEEE 754 half (round to nearest even; overflow to ±Inf, subnormals kept). */
function toHalf(v: number): number {
  const f = new Float32Array([v]);
  const x = new Uint32Array(f.buffer)[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rest > halfway || (rest === halfway && (h & 1))) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (h & 1))) h++;
  return sign | h;
}

/** Copy a saved TF.js model directory (model.json + the files of its weights manifest). */
async function copyModel(from: string, to: string): Promise<Partial<BrowserMeta>> {
  const json = JSON.parse(await readFile(join(from, 'model.json'), 'utf8')) as { weightsManifest: Array<{ paths: string[] }> };
  await copyFile(join(from, 'model.json'), join(to, 'model.json'));
  for (const group of json.weightsManifest) for (const p of group.paths) await copyFile(join(from, p), join(to, p));
  const metaFile = join(from, 'meta.json');
  return existsSync(metaFile) ? (JSON.parse(await readFile(metaFile, 'utf8')) as Partial<BrowserMeta>) : {};
}

/**
 * Train on the synthetic shapes (wasm backend with the training kernels, plain letterbox, batch 16,
 * SGD lr 2e-3 after a 100-step warm-up, darknet-default loss). Logs the loss every 50 steps.
 */
async function trainModel(model: ReturnType<typeof tinyYOLOv2>, meta: BrowserMeta, steps: number, data: SyntheticOptions): Promise<void> {
  await tf.setBackend('wasm');
  registerTrainingKernels();
  const dataset = new SyntheticDataset({ ...data, seed: 11, length: 1_000_000, width: meta.inputSize, height: meta.inputSize });
  // the stream of fresh synthetic images needs no augmentation to generalise
  const loader = new BatchLoader(dataset, { batchSize: 16, sizes: [meta.inputSize], seed: 11, augment: false });
  initObjectnessPrior(model, meta.classNames.length, 0.01);
  const loss = new YOLOv2Loss({ anchors: meta.anchors, numClasses: meta.classNames.length });
  const stepsPerEpoch = 100;
  const result = await train({
    model,
    loss,
    batches: trainerBatches(loader, packTargets),
    epochs: Math.ceil(steps / stepsPerEpoch),
    stepsPerEpoch,
    maxSteps: steps,
    schedule: { lr: 2e-3, warmup: { epochs: 1, mode: 'linear' } },
    progress: false,
    onStep: (r) => {
      if (r.step % 50 === 0 || r.step === steps - 1) {
        console.log(`step ${r.step} loss ${r.total.toFixed(3)} (coord ${r.coord.toFixed(3)} obj ${r.obj.toFixed(3)} noobj ${r.noobj.toFixed(3)} cls ${r.cls.toFixed(3)}) ${r.imagesPerSecond.toFixed(0)} img/s`);
      }
    },
  });
  console.log(`trained ${result.steps} steps in ${result.seconds.toFixed(0)} s`);
  await tf.setBackend('cpu');
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const fromIndex = args.indexOf('--from');
  const from = fromIndex >= 0 ? resolve(args[fromIndex + 1] ?? '') : null;
  const widthIndex = args.indexOf('--width');
  const widthMultiplier = widthIndex >= 0 ? Number(args[widthIndex + 1]) : DEFAULTS.widthMultiplier;
  const float16 = args.includes('--float16');
  const trainIndex = args.indexOf('--train');
  const trainSteps = trainIndex >= 0 ? Number(args[trainIndex + 1]) : 0;
  if (!(Number.isInteger(trainSteps) && trainSteps >= 0)) throw new Error(`--train needs a step count, got ${args[trainIndex + 1]}`);
  const dataIndex = args.indexOf('--data');
  const data = (dataIndex >= 0 ? JSON.parse(args[dataIndex + 1] ?? '{}') : {}) as SyntheticOptions;
  const outIndex = args.indexOf('--out');
  const publicDir = outIndex >= 0 ? resolve(args[outIndex + 1] ?? '') : defaultOut;
  await tf.setBackend('cpu');
  const modelDir = join(publicDir, 'model');
  await rm(modelDir, { recursive: true, force: true });
  await mkdir(modelDir, { recursive: true });

  let meta: BrowserMeta = {
    classNames: [...SYNTHETIC_CLASSES],
    // tiny-voc's anchors are for a 13×13 grid; scaled to this input's grid (inputSize / 32 cells)
    anchors: TINY_VOC_ANCHORS.map(([w, h]) => [round3((w * DEFAULTS.inputSize) / 416), round3((h * DEFAULTS.inputSize) / 416)] as [number, number]),
    inputSize: DEFAULTS.inputSize,
    source: `random tinyYOLOv2 (widthMultiplier ${widthMultiplier}, seed ${DEFAULTS.weightSeed}), scripts/browser-fixture.ts`,
    confThreshold: 0.2,
  };
  if (from) {
    const given = await copyModel(from, modelDir);
    meta = { ...meta, confThreshold: 0.25, source: `copied from ${from}`, ...given };
  } else {
    const model = tinyYOLOv2({
      numClasses: meta.classNames.length,
      anchors: meta.anchors,
      widthMultiplier,
      inputSize: null,
      name: 'tiny-yolov2-fixture',
    });
    seedWeights(model, DEFAULTS.weightSeed);
    if (trainSteps > 0) {
      await trainModel(model, meta, trainSteps, data);
      meta = {
        ...meta,
        confThreshold: 0.25,
        source: `tinyYOLOv2 (widthMultiplier ${widthMultiplier}) trained ${trainSteps} steps on synthetic shapes, scripts/browser-fixture.ts ${args.join(' ')}`,
      };
    }
    await saveModel(model, modelDir, float16);
    model.dispose();
  }
  const sample = generateSyntheticSample(DEFAULTS.imageSeed, {
    minObjects: Math.min(3, data.maxObjects ?? 5), maxObjects: 5, ...data, width: meta.inputSize, height: meta.inputSize,
  });
  await writeFile(join(publicDir, 'image.png'), await encodePNG(sample.image));
  if (trainSteps > 0 || from) meta = { ...meta, groundTruth: sample.objects.map((o) => ({ classId: o.classId, box: [...o.box] as [number, number, number, number] })) };
  await writeFile(join(publicDir, 'meta.json'), `${JSON.stringify(meta, null, 2)}\n`);
  console.log(`wrote ${publicDir}: model (${meta.source}), image.png ${meta.inputSize}×${meta.inputSize}, meta.json`);
}

await main();
