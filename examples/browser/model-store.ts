/**
 * Where the pages keep and find models: the trained model in IndexedDB (with its metadata in
 * localStorage), as a download, and the three sources of the video page (the demo model, a converted
 * model's URL, the trained one).
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { parseDetectorMeta } from 'yolov2-ts';
// Registers the custom layers (DarknetBatchNorm, Reorg) with tf.serialization before any load.
import { DarknetBatchNorm } from 'yolov2-ts/models';
import type { BrowserMeta } from './results.js';

export const TRAINED_KEY = 'yolov2-ts-browser-trained';
export const TRAINED_URL = `indexeddb://${TRAINED_KEY}`;
const META_KEY = `${TRAINED_KEY}:meta`;
/** Keeps the models import (and so the layer registration) in the bundle. */
export const REGISTERED_LAYER = DarknetBatchNorm.className;

/** A model and what is needed to decode it. */
export interface LoadedDetector {
  model: tfl.LayersModel;
  meta: BrowserMeta;
}

/** Save to IndexedDB (model) and localStorage (meta); returns the model's byte size. */
export async function saveTrained(model: tfl.LayersModel, meta: BrowserMeta): Promise<number> {
  const r = await model.save(TRAINED_URL);
  localStorage.setItem(META_KEY, JSON.stringify(meta));
  return r.modelArtifactsInfo.weightDataBytes ?? 0;
}

/** Load what {@link saveTrained} stored; null when nothing is there. */
export async function loadTrained(): Promise<LoadedDetector | null> {
  const metaText = localStorage.getItem(META_KEY);
  if (!metaText) return null;
  try {
    const model = await tfl.loadLayersModel(TRAINED_URL);
    return { model, meta: JSON.parse(metaText) as BrowserMeta };
  } catch {
    return null;
  }
}

/** Download the model (`model.json` + `model.weights.bin`) and its `meta.json`. */
export async function downloadModel(model: tfl.LayersModel, meta: BrowserMeta, name = 'yolov2-ts-trained'): Promise<void> {
  await model.save(`downloads://${name}`);
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([JSON.stringify(meta, null, 2)], { type: 'application/json' }));
  a.download = `${name}.meta.json`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

/** The demo model served with the pages (`model/model.json`, `meta.json`). */
export async function loadDemo(): Promise<LoadedDetector> {
  const meta = (await (await fetch('meta.json')).json()) as BrowserMeta;
  return { model: await tfl.loadLayersModel('model/model.json'), meta };
}

/**
 * A model by URL: `…/model.json` with its metadata next to it — a converted darknet model's `yolov2.json`
 * (checked by the core's parseDetectorMeta), else a `meta.json` like the demo's.
 */
export async function loadFromUrl(url: string): Promise<LoadedDetector> {
  const base = url.slice(0, url.lastIndexOf('/') + 1);
  const model = await tfl.loadLayersModel(url);
  const yolo = await fetch(`${base}yolov2.json`);
  if (yolo.ok) {
    const m = parseDetectorMeta(await yolo.json(), `${base}yolov2.json`);
    if (m.inputSize[0] !== m.inputSize[1]) throw new Error(`${base}yolov2.json: the video page needs a square input, got ${m.inputSize.join('×')}`);
    const meta: BrowserMeta = {
      classNames: m.classNames, anchors: m.anchors.map((a) => [a[0], a[1]]), inputSize: m.inputSize[0],
      source: m.source ?? url, confThreshold: m.postprocess.confThreshold,
    };
    return { model, meta };
  }
  const meta = (await (await fetch(`${base}meta.json`)).json()) as BrowserMeta;
  return { model, meta: { ...meta, source: url } };
}
