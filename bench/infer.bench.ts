/**
 * Inference time per image for tinyYOLOv2 and yolov2 (VOC heads, 125 channels) at 416×416, batch 1 and 8,
 * on the backends of BENCH_BACKENDS (default wasm, the fastest CPU backend without tfjs-node):
 * the model as built (conv → DarknetBatchNorm → leaky), the same model after foldBatchNorm (one fused
 * conv + bias + leaky per layer), and an end-to-end detect per image (image file → pixel boxes: sharp
 * decode, letterbox, normalise, predict with the folded model, decodeBoxes, postprocess, undo letterbox).
 *
 *   npm run bench -- infer
 *   BENCH_MODELS=tinyYOLOv2 BENCH_BATCHES=1 BENCH_ITERS=5 BENCH_SIZE=416 npm run bench -- infer
 *   BENCH_PROFILE=1 BENCH_MODELS=yolov2 BENCH_BATCHES=1 npm run bench -- infer   # per-kernel times too
 *
 * Prints {"name":"infer","backend","model","variant":"unfolded"|"folded","inputSize","batch","medianMs",
 * "minMs","maxMs","cpuMedianMs","msPerImage","cpuMsPerImage",...} (cpu: the process's CPU time, all threads)
 * and {"name":"infer-detect",...,"msPerImage","cpuMsPerImage","detections"} per model and
 * batch; with BENCH_PROFILE=1 also {"name":"infer-profile",...,"kernels":[{kernel,outShape,count,ms},...]}
 * (the 15 slowest kernel kinds of one folded and one unfolded batch).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import sharp from 'sharp';
import { TINY_VOC_ANCHORS, VOC_ANCHORS, decodeBoxes, letterboxParams, postprocess, undoLetterboxDetections } from '../src/index.js';
import { foldBatchNorm, tinyYOLOv2, yolov2 } from '../src/models/index.js';
import { decodeImage, imageToFloat32, letterboxImage } from '../src/node/data/image.js';
import { benchBackends, measure, report, useBackend } from './util.js';

const MODELS = { tinyYOLOv2: [tinyYOLOv2, TINY_VOC_ANCHORS], yolov2: [yolov2, VOC_ANCHORS] } as const;

/** A 640×480 JPEG of smooth colour gradients and noise (a photo-like decode cost). */
async function writeTestImage(dir: string): Promise<string> {
  const w = 640;
  const h = 480;
  const px = new Uint8Array(w * h * 3);
  let s = 12345;
  for (let i = 0; i < w * h; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    const x = i % w;
    const y = Math.floor(i / w);
    px[3 * i] = (x * 255) / w;
    px[3 * i + 1] = (y * 255) / h;
    px[3 * i + 2] = s >>> 24;
  }
  const path = join(dir, 'bench.jpg');
  await sharp(px, { raw: { width: w, height: h, channels: 3 } }).jpeg({ quality: 90 }).toFile(path);
  return path;
}

/** Image files → pixel detections per image, with the library's functions (see the header). */
async function detectFiles(model: tfl.LayersModel, files: string[], inputSize: number, anchors: readonly (readonly [number, number])[]): Promise<number> {
  const images = await Promise.all(files.map((f) => decodeImage(f)));
  const boxes = await Promise.all(images.map((im) => letterboxImage(im, inputSize)));
  const n = inputSize * inputSize * 3;
  const pixels = new Float32Array(files.length * n);
  boxes.forEach((b, i) => imageToFloat32(b.image, pixels, i * n));
  const x = tf.tensor4d(pixels, [files.length, inputSize, inputSize, 3]);
  const out = model.predict(x) as tf.Tensor4D;
  const decoded = decodeBoxes(out, { anchors: anchors as [number, number][], numClasses: 20 });
  const perImage = postprocess(decoded, { confThreshold: 0.25 });
  tf.dispose([x, out, decoded.boxes, decoded.objectness, decoded.classProbs, decoded.scores]);
  const pixelBoxes = perImage.map((d, i) => undoLetterboxDetections(d, letterboxParams(images[i].width, images[i].height, inputSize)));
  return pixelBoxes.reduce((k, d) => k + d.length, 0);
}

/** The slowest kernel kinds (name + output shape) of one call of `fn`, summed. */
async function profileKernels(fn: () => tf.Tensor): Promise<Array<{ kernel: string; outShape: string; count: number; ms: number }>> {
  const info = await tf.profile(() => {
    const y = fn();
    y.dataSync();
    return y;
  });
  const sums = new Map<string, { kernel: string; outShape: string; count: number; ms: number }>();
  // tf.fused.conv2d shows twice (the op wrapper 'fusedConv2d__op' and the kernel): count kernels only
  for (const k of info.kernels.filter((e) => !e.name.endsWith('__op'))) {
    const outShape = JSON.stringify(k.outputShapes[0] ?? []);
    const key = `${k.name} ${outShape}`;
    const e = sums.get(key) ?? { kernel: k.name, outShape, count: 0, ms: 0 };
    e.count++;
    e.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    sums.set(key, e);
  }
  tf.dispose(info.result as tf.Tensor);
  return [...sums.values()].sort((a, b) => b.ms - a.ms).slice(0, 15).map((e) => ({ ...e, ms: Math.round(e.ms * 10) / 10 }));
}

function perImage(ms: number, batch: number): number {
  return Math.round((ms / batch) * 10) / 10;
}

export default async function (): Promise<void> {
  const inputSize = Number(process.env.BENCH_SIZE ?? 416);
  const batches = (process.env.BENCH_BATCHES ?? process.env.BENCH_BATCH ?? '1,8').split(',').map(Number);
  const iterations = Number(process.env.BENCH_ITERS ?? 5);
  const models = (process.env.BENCH_MODELS ?? 'tinyYOLOv2,yolov2').split(',') as Array<keyof typeof MODELS>;
  const dir = mkdtempSync(join(tmpdir(), 'yolov2-ts-bench-'));
  const file = await writeTestImage(dir);
  for (const backend of benchBackends(['wasm'])) {
    await useBackend(backend);
    for (const name of models) {
      const [build, anchors] = MODELS[name];
      const model = build({ numClasses: 20, inputSize });
      const folded = foldBatchNorm(model);
      for (const batch of batches) {
        const common = { backend, model: name, inputSize, batch };
        const x = tf.randomUniform([batch, inputSize, inputSize, 3]);
        for (const [variant, m] of [['unfolded', model], ['folded', folded]] as const) {
          const r = await measure(() => {
            const y = m.predict(x) as tf.Tensor;
            y.dataSync();
            y.dispose();
          }, { iterations, warmup: 1 });
          report({ name: 'infer', ...common, variant, ...r, msPerImage: perImage(r.medianMs, batch), cpuMsPerImage: perImage(r.cpuMedianMs, batch) });
          if (process.env.BENCH_PROFILE === '1') {
            report({ name: 'infer-profile', ...common, variant, kernels: await profileKernels(() => m.predict(x) as tf.Tensor) });
          }
        }
        x.dispose();
        const files = Array.from({ length: batch }, () => file);
        let detections = 0;
        const d = await measure(async () => {
          detections = await detectFiles(folded, files, inputSize, anchors);
        }, { iterations, warmup: 1 });
        report({ name: 'infer-detect', ...common, variant: 'folded', ...d, msPerImage: perImage(d.medianMs, batch), cpuMsPerImage: perImage(d.cpuMedianMs, batch), detections });
      }
      folded.dispose();
      model.dispose();
    }
  }
  rmSync(dir, { recursive: true, force: true });
}
