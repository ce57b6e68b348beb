/**
 * The training page: a compact YOLOv2 trained on synthetic shapes drawn in the page, on the GPU backend
 * (webgpu when offered, else webgl, else cpu). Live loss chart (every term), learning rate, steps/s,
 * the current model's detections on a held-out image every DETECT_EVERY steps, pause / resume, save to
 * IndexedDB, download, load back.
 *
 * `?auto=test[&steps=40]` runs the self-check of train-check.ts instead (read by the browser test from
 * `window.__yolov2Train`); `?backend=cpu` forces a backend.
 */
import * as tf from '@tensorflow/tfjs-core';
// The core registers no gradients; training needs them.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import type * as tfl from '@tensorflow/tfjs-layers';
import { SYNTHETIC_CLASSES, learningRateAt } from 'yolov2-ts';
import { chooseBackend, webglInfo } from './backend.js';
import { detect, draw, type LoadedImage } from './detect.js';
import { drawLossChart } from './loss-chart.js';
import { downloadModel, loadTrained, saveTrained } from './model-store.js';
import type { BrowserMeta, PageDetection } from './results.js';
import { DEFAULT_TRAIN_CONFIG, HELD_OUT_OFFSET, type StepTerms, Trainer, sampleAt, scheduleFor } from './train-core.js';
import { runTrainCheck, type TrainCheck } from './train-check.js';

declare global {
  interface Window {
    __yolov2Train?: TrainCheck;
  }
}

const DETECT_EVERY = 10;
const config = { ...DEFAULT_TRAIN_CONFIG };
const meta: BrowserMeta = {
  classNames: [...SYNTHETIC_CLASSES], anchors: config.anchors.map((a) => [a[0], a[1]]), inputSize: config.inputSize,
  source: 'trained in the browser (train.html)', confThreshold: 0.15,
};
const $ = (id: string): HTMLElement => document.getElementById(id)!;
const history: StepTerms[] = [];
let trainer: Trainer | null = null;
let running = false;
let backend = '';
let stepTimes: number[] = [];
let lastLr = 0;

/** The held-out image (never in a training batch) as the detection helpers want it. */
async function heldOutImage(): Promise<LoadedImage> {
  const s = sampleAt(config, HELD_OUT_OFFSET);
  const { width, height, data } = s.image;
  const rgba = new Uint8ClampedArray(width * height * 4);
  for (let p = 0, q = 0; q < data.length; p += 4, q += 3) {
    rgba[p] = data[q];
    rgba[p + 1] = data[q + 1];
    rgba[p + 2] = data[q + 2];
    rgba[p + 3] = 255;
  }
  const bitmap = await createImageBitmap(new ImageData(rgba, width, height));
  return { width, height, rgb: data, bitmap };
}

async function showDetections(model: tfl.LayersModel): Promise<void> {
  const image = await heldOutImage();
  const k = 1 / 255;
  const input = tf.tensor4d(Float32Array.from(image.rgb, (v) => v * k), [1, image.height, image.width, 3]);
  try {
    const { detections } = await detect(model, input, meta);
    const shown: PageDetection[] = detections
      .filter((d) => d.score > meta.confThreshold)
      .map((d) => ({ ...d, label: meta.classNames[d.classId] }));
    draw($('heldout') as HTMLCanvasElement, image, shown);
    $('heldout-info').textContent = `${shown.length} detections > ${meta.confThreshold}: ` +
      shown.slice(0, 6).map((d) => `${d.label} ${d.score.toFixed(2)}`).join(', ');
  } finally {
    input.dispose();
  }
}

/** `rate`: steps per second when known otherwise (the self-check's mean), else from the last 10 step times. */
function showStats(extra = '', steps = trainer?.step ?? 0, rate?: number): void {
  const last = history[history.length - 1];
  const recent = stepTimes.slice(-10);
  const sps = rate ?? (recent.length > 1 ? (recent.length - 1) / ((recent[recent.length - 1] - recent[0]) / 1000) : 0);
  const gl = webglInfo();
  $('stats').textContent = [
    `backend ${backend}${backend === 'webgl' ? ` (WebGL ${gl.version}, ${gl.renderer})` : ''}`,
    `compactYOLOv2 filters ${config.filters.join('-')} | ${config.neck.join('-')}, input ${config.inputSize} px, batch ${config.batchSize}, ${config.optimizer}`,
    `step ${steps}   lr ${lastLr.toExponential(2)}   ${sps.toFixed(2)} steps/s   skipped ${trainer?.skipped ?? 0}   tensors ${tf.memory().numTensors}`,
    last ? `loss ${last.total.toFixed(3)}  coord ${last.coord.toFixed(3)}  obj ${last.obj.toFixed(3)}  noobj ${last.noobj.toFixed(3)}  cls ${last.cls.toFixed(3)}` : 'loss —',
    extra,
  ].join('\n');
  drawLossChart($('chart') as HTMLCanvasElement, history);
}

async function loop(): Promise<void> {
  while (running && trainer) {
    const r = await trainer.trainStep();
    lastLr = r.lr;
    history.push(r.terms);
    stepTimes.push(performance.now());
    showStats(r.skipped ? 'last step skipped: non-finite loss or gradient' : '');
    if (trainer.step % DETECT_EVERY === 0) await showDetections(trainer.model);
  }
}

function setRunning(on: boolean): void {
  running = on;
  $('run').textContent = on ? 'pause' : 'resume';
  if (on) {
    stepTimes = [];
    void loop().catch((e) => fail(e));
  }
}

function fail(e: unknown): void {
  running = false;
  $('log').textContent = `ERROR ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`;
}

function wireButtons(): void {
  $('run').onclick = () => setRunning(!running);
  $('save').onclick = async () => {
    if (!trainer) return;
    const bytes = await saveTrained(trainer.model, meta);
    $('log').textContent = `saved to IndexedDB (${(bytes / 1024).toFixed(0)} KiB of weights) at step ${trainer.step}`;
  };
  $('download').onclick = () => trainer && void downloadModel(trainer.model, meta);
  $('load').onclick = async () => {
    setRunning(false);
    const back = await loadTrained();
    if (!back) {
      $('log').textContent = 'nothing saved in IndexedDB yet';
      return;
    }
    trainer?.dispose();
    trainer = new Trainer(config, back.model);
    $('log').textContent = 'loaded from IndexedDB (the optimizer restarts from zero)';
    await showDetections(trainer.model);
  };
  $('reset').onclick = () => {
    setRunning(false);
    trainer?.dispose();
    trainer = new Trainer(config);
    history.length = 0;
    showStats();
  };
}

async function autoTest(steps: number): Promise<void> {
  const out: TrainCheck = { done: false, backend, losses: [], terms: [], numTensors: [], msPerStep: 0, stepMs: [], skipped: 0 };
  window.__yolov2Train = out;
  try {
    await runTrainCheck(backend, config, steps, out, meta);
    for (const t of out.terms) history.push({ total: t[0], coord: t[1], obj: t[2], noobj: t[3], cls: t[4] });
    const back = await loadTrained();
    if (back) {
      await showDetections(back.model);
      back.model.dispose();
    }
    lastLr = learningRateAt(steps - 1, 1, scheduleFor(config));
    showStats(`self-check: ${steps} steps, ${out.msPerStep.toFixed(0)} ms/step; gradient vs cpu max rel. err ${out.gradCheck?.gradMaxRelErr.toExponential(2)}`, steps, out.msPerStep > 0 ? 1000 / out.msPerStep : 0);
  } catch (e) {
    out.error = e instanceof Error ? `${e.name}: ${e.message}\n${e.stack ?? ''}` : String(e);
    fail(e);
  }
  out.done = true;
}

async function main(): Promise<void> {
  const params = new URLSearchParams(location.search);
  backend = await chooseBackend(params.get('backend'));
  const filters = params.get('filters');
  if (filters) config.filters = filters.split(',').map(Number);
  const neck = params.get('neck');
  if (neck) config.neck = neck.split(',').map(Number);
  if (params.get('size')) config.inputSize = Number(params.get('size'));
  if (params.get('lr')) config.lr = Number(params.get('lr'));
  if (params.get('prior')) config.objectnessPrior = Number(params.get('prior'));
  if (params.get('optimizer') === 'sgd') config.optimizer = 'sgd';
  if (params.get('auto') === 'test') {
    await autoTest(Number(params.get('steps') ?? 40));
    return;
  }
  wireButtons();
  trainer = new Trainer(config);
  lastLr = trainer.lr();
  showStats();
  await showDetections(trainer.model);
  $('run').textContent = 'start';
}

void main().catch((e) => fail(e));
