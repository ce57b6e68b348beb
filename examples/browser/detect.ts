/**
 * Detection mode: load the TF.js model, decode `image.png` to 0…1 floats exactly (no resampling: the
 * image has the model's input size), run the model on the active backend, decode + post-process with the
 * core, draw boxes and labels.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { decodeBoxes, postprocessAsync, type Detection } from 'yolov2-ts';
// Importing the models entry registers the custom layers (DarknetBatchNorm, Reorg) with tf.serialization;
// reference an export so a bundler honouring `sideEffects: false` keeps the module.
import { DarknetBatchNorm, Reorg } from 'yolov2-ts/models';
import { compareThreshold, type BrowserMeta, type DetectResults, type PageDetection } from './results.js';

export const CUSTOM_LAYERS = [DarknetBatchNorm.className, Reorg.className];

const PALETTE = ['#ff3b30', '#34c759', '#0a84ff', '#ffcc00', '#af52de', '#ff9500', '#5ac8fa', '#ff2d55'];

export interface LoadedImage {
  width: number;
  height: number;
  /** RGB bytes, HWC. */
  rgb: Uint8Array;
  bitmap: ImageBitmap;
}

/** Decode a PNG to exact RGB bytes (no colour-space conversion, no premultiplication). */
export async function loadImage(url: string): Promise<LoadedImage> {
  const blob = await (await fetch(url)).blob();
  const bitmap = await createImageBitmap(blob, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  ctx.drawImage(bitmap, 0, 0);
  const rgba = ctx.getImageData(0, 0, bitmap.width, bitmap.height).data;
  const rgb = new Uint8Array(bitmap.width * bitmap.height * 3);
  for (let p = 0, q = 0; p < rgba.length; p += 4, q += 3) {
    rgb[q] = rgba[p];
    rgb[q + 1] = rgba[p + 1];
    rgb[q + 2] = rgba[p + 2];
  }
  return { width: bitmap.width, height: bitmap.height, rgb, bitmap };
}

/** `[1, H, W, 3]` float32 in 0…1, the same arithmetic as yolov2-ts/node's imageToFloat32 (`v · (1/255)`). */
export function imageTensor(image: LoadedImage): tf.Tensor4D {
  const k = 1 / 255;
  const f = new Float32Array(image.rgb.length);
  for (let i = 0; i < f.length; i++) f[i] = image.rgb[i] * k;
  return tf.tensor4d(f, [1, image.height, image.width, 3]);
}

/** One inference: model → decodeBoxes → postprocess (above `compareThreshold(meta)`). Leaves no tensor behind. */
export async function detect(model: tfl.LayersModel, input: tf.Tensor4D, meta: BrowserMeta): Promise<{ detections: Detection[]; head: Float32Array }> {
  const decoded = tf.tidy(() => {
    const output = model.predict(input) as tf.Tensor4D;
    return { output, ...decodeBoxes(output, { anchors: meta.anchors, numClasses: meta.classNames.length }) };
  });
  try {
    const [detections] = await postprocessAsync(decoded, { confThreshold: compareThreshold(meta), iouThreshold: 0.45 });
    const head = (await decoded.output.data()) as Float32Array;
    return { detections, head };
  } finally {
    tf.dispose(decoded);
  }
}

/** Draw the image scaled to the canvas, then boxes (normalised corners) and labels. */
export function draw(canvas: HTMLCanvasElement, image: LoadedImage, detections: readonly PageDetection[]): void {
  const ctx = canvas.getContext('2d')!;
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(image.bitmap, 0, 0, canvas.width, canvas.height);
  drawBoxes(canvas, detections);
}

/** Boxes (normalised corners) and labels over what the canvas shows. */
export function drawBoxes(canvas: HTMLCanvasElement, detections: readonly PageDetection[]): void {
  const ctx = canvas.getContext('2d')!;
  const W = canvas.width;
  const H = canvas.height;
  ctx.font = 'bold 14px system-ui, sans-serif';
  ctx.textBaseline = 'top';
  // lowest score first so the best boxes end on top
  for (const d of [...detections].reverse()) {
    const colour = PALETTE[d.classId % PALETTE.length];
    const x1 = Math.max(0, d.box[0] * W);
    const y1 = Math.max(0, d.box[1] * H);
    const x2 = Math.min(W, d.box[2] * W);
    const y2 = Math.min(H, d.box[3] * H);
    ctx.lineWidth = 3;
    ctx.strokeStyle = colour;
    ctx.strokeRect(x1, y1, x2 - x1, y2 - y1);
    const text = `${d.label} ${d.score.toFixed(2)}`;
    const tw = ctx.measureText(text).width + 6;
    const ty = y1 >= 18 ? y1 - 18 : y1;
    ctx.fillStyle = colour;
    const tx = Math.max(0, Math.min(x1, W - tw));
    ctx.fillRect(tx, ty, tw, 18);
    ctx.fillStyle = '#000';
    ctx.fillText(text, tx + 3, ty + 2);
  }
}

function fnv1a(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return h >>> 0;
}

/** The whole detection mode; returns what the page publishes. */
export async function runDetection(canvas: HTMLCanvasElement, meta: BrowserMeta, leakRuns = 20): Promise<DetectResults> {
  const model = await tfl.loadLayersModel('model/model.json');
  const image = await loadImage('image.png');
  const input = imageTensor(image);
  try {
    const { detections, head } = await detect(model, input, meta);
    const labelled: PageDetection[] = detections.map((d) => ({ ...d, label: meta.classNames[d.classId] ?? `class ${d.classId}` }));
    const shown = labelled.filter((d) => d.score > meta.confThreshold);
    draw(canvas, image, shown);

    // leak check: the same inference leakRuns times, tensors counted before and after
    const before = tf.memory();
    const t0 = performance.now();
    for (let i = 0; i < leakRuns; i++) await detect(model, input, meta);
    const ms = (performance.now() - t0) / leakRuns;
    const after = tf.memory();
    let pixelSum = 0;
    for (let i = 0; i < image.rgb.length; i++) pixelSum += image.rgb[i];
    return {
      backend: tf.getBackend(),
      modelSource: meta.source,
      imageSize: [image.width, image.height],
      pixelSum,
      pixelHash: fnv1a(image.rgb),
      confThreshold: meta.confThreshold,
      detections: shown,
      compareThreshold: compareThreshold(meta),
      compareDetections: labelled,
      headPreview: Array.from(head.subarray(0, 16)),
      leak: {
        runs: leakRuns,
        numTensorsBefore: before.numTensors,
        numTensorsAfter: after.numTensors,
        numBytesBefore: before.numBytes,
        numBytesAfter: after.numBytes,
      },
      msPerInference: ms,
    };
  } finally {
    input.dispose();
    model.dispose();
  }
}
