/**
 * The video page: detection on every frame of the webcam (`getUserMedia`) or a video file, boxes drawn
 * on a canvas, FPS and per-frame latency shown. The model: the demo model, a converted model by URL,
 * or the one trained on the training page (IndexedDB).
 *
 * Query: `?model=demo|trained|<url of model.json>`, `?source=camera` starts the webcam at once,
 * `?frames=N` stops after N frames and publishes the run on `window.__yolov2Video` (read by the
 * browser test); `?backend=cpu` forces a backend.
 *
 * Frames are resized (stretched, bilinear) to the model's square input; boxes are drawn back on the
 * frame's own aspect ratio.
 */
import * as tf from '@tensorflow/tfjs-core';
import { decodeBoxes, postprocessAsync } from 'yolov2-ts';
import { chooseBackend } from './backend.js';
import { drawBoxes } from './detect.js';
import { type LoadedDetector, loadDemo, loadFromUrl, loadTrained } from './model-store.js';
import type { PageDetection } from './results.js';

/** What a run publishes. */
export interface VideoRun {
  done: boolean;
  error?: string;
  backend: string;
  model: string;
  frames: number;
  /** Frames per second over the run (detection included). */
  fps: number;
  /** Median milliseconds from grabbing a frame to its detections being drawn. */
  latencyMs: number;
  /** Tensors after the 5th frame and after the last one. */
  numTensorsAfterWarmup: number;
  numTensorsEnd: number;
  /** Detections drawn, summed over the frames. */
  boxesDrawn: number;
  /** Whether the canvas holds non-blank pixels at the end (the frames were drawn). */
  drewPixels: boolean;
}

declare global {
  interface Window {
    __yolov2Video?: VideoRun;
  }
}

const $ = (id: string): HTMLElement => document.getElementById(id)!;
const video = $('video') as HTMLVideoElement;
const canvas = $('view') as HTMLCanvasElement;
let detector: LoadedDetector | null = null;
let generation = 0;

/** One frame: resize to the input, run, decode, NMS; boxes as normalised corners. */
async function detectFrame(d: LoadedDetector): Promise<PageDetection[]> {
  const S = d.meta.inputSize;
  const decoded = tf.tidy(() => {
    const x = tf.expandDims(tf.div(tf.image.resizeBilinear(tf.browser.fromPixels(video), [S, S]), 255), 0) as tf.Tensor4D;
    const out = d.model.predict(x) as tf.Tensor4D;
    return decodeBoxes(out, { anchors: d.meta.anchors, numClasses: d.meta.classNames.length });
  });
  try {
    const [dets] = await postprocessAsync(decoded, { confThreshold: d.meta.confThreshold, iouThreshold: 0.45 });
    return dets.map((x) => ({ ...x, label: d.meta.classNames[x.classId] ?? `class ${x.classId}` }));
  } finally {
    tf.dispose(decoded);
  }
}

async function pickModel(choice: string): Promise<LoadedDetector> {
  if (choice === 'demo') return loadDemo();
  if (choice === 'trained') {
    const t = await loadTrained();
    if (!t) throw new Error('no trained model in IndexedDB: train one on the training page and press "save"');
    return t;
  }
  return loadFromUrl(choice);
}

function blankCanvas(): boolean {
  const px = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
  for (let i = 0; i < px.length; i += 4) if (px[i] + px[i + 1] + px[i + 2] > 0) return false;
  return true;
}

/** Run detection on the playing video until `maxFrames` (0: until stopped). */
async function run(maxFrames: number, out: VideoRun): Promise<void> {
  const my = ++generation;
  const d = detector!;
  const ctx = canvas.getContext('2d')!;
  const latencies: number[] = [];
  const t0 = performance.now();
  while (my === generation && (maxFrames === 0 || out.frames < maxFrames)) {
    if (video.readyState < 2 || video.videoWidth === 0) {
      await new Promise((r) => setTimeout(r, 20));
      continue;
    }
    const start = performance.now();
    const dets = await detectFrame(d);
    canvas.height = Math.round((canvas.width * video.videoHeight) / video.videoWidth);
    ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
    drawBoxes(canvas, dets);
    latencies.push(performance.now() - start);
    out.frames++;
    out.boxesDrawn += dets.length;
    if (out.frames === 5) out.numTensorsAfterWarmup = tf.memory().numTensors;
    out.fps = out.frames / ((performance.now() - t0) / 1000);
    const sorted = [...latencies].sort((a, b) => a - b);
    out.latencyMs = sorted[Math.floor(sorted.length / 2)];
    $('video-stats').textContent = `${d.meta.source}\nbackend ${out.backend}  frame ${out.frames}  ${out.fps.toFixed(1)} FPS  ` +
      `latency ${latencies[latencies.length - 1].toFixed(0)} ms (median ${out.latencyMs.toFixed(0)})  ${dets.length} boxes  tensors ${tf.memory().numTensors}`;
    await new Promise((r) => requestAnimationFrame(() => r(null)));
  }
  out.numTensorsEnd = tf.memory().numTensors;
  out.drewPixels = !blankCanvas();
}

async function start(src: MediaStream | string, maxFrames: number, out: VideoRun): Promise<void> {
  generation++;
  if (typeof src === 'string') {
    video.srcObject = null;
    video.src = src;
    video.loop = true;
  } else {
    video.srcObject = src;
  }
  await video.play();
  const choice = ($('model') as HTMLSelectElement).value;
  const url = ($('model-url') as HTMLInputElement).value.trim();
  detector?.model.dispose();
  detector = await pickModel(choice === 'url' ? url : choice);
  out.model = detector.meta.source;
  await run(maxFrames, out);
}

function fail(out: VideoRun, e: unknown): void {
  out.error = e instanceof Error ? `${e.name}: ${e.message}\n${e.stack ?? ''}` : String(e);
  $('video-stats').textContent = `ERROR ${out.error}`;
}

async function main(): Promise<void> {
  const params = new URLSearchParams(location.search);
  const out: VideoRun = {
    done: false, backend: '', model: '', frames: 0, fps: 0, latencyMs: 0, numTensorsAfterWarmup: 0, numTensorsEnd: 0, boxesDrawn: 0, drewPixels: false,
  };
  window.__yolov2Video = out;
  try {
    out.backend = await chooseBackend(params.get('backend'));
    const model = params.get('model');
    if (model) {
      const known = model === 'demo' || model === 'trained';
      ($('model') as HTMLSelectElement).value = known ? model : 'url';
      if (!known) ($('model-url') as HTMLInputElement).value = model;
    }
    const frames = Number(params.get('frames') ?? 0);
    $('camera').onclick = async () => start(await navigator.mediaDevices.getUserMedia({ video: true }), 0, out).catch((e) => fail(out, e));
    $('file').onchange = (ev) => {
      const f = (ev.target as HTMLInputElement).files?.[0];
      if (f) void start(URL.createObjectURL(f), 0, out).catch((e) => fail(out, e));
    };
    $('stop').onclick = () => {
      generation++;
      video.pause();
    };
    if (params.get('source') === 'camera') await start(await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 } }), frames, out);
  } catch (e) {
    fail(out, e);
  }
  out.done = true;
}

void main();
