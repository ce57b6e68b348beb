/**
 * The training page's self-check (`train.html?auto=test`, run by the browser test): one full training
 * step on the active backend against the cpu backend, then `steps` guarded training steps with the loss
 * and the tensor count after each, then a save / load round trip through IndexedDB.
 */
import * as tf from '@tensorflow/tfjs-core';
import { registerTrainingKernels } from 'yolov2-ts/models';
import type { SyntheticOptions } from 'yolov2-ts';
import { HELD_OUT_OFFSET, type TrainConfig, Trainer, buildModel, lossAndGrads, lossFor, makeBatch, sampleAt, syntheticOptions, toFloat } from './train-core.js';
import { loadTrained, saveTrained } from './model-store.js';
import { type BrowserMeta, maxRelDiff } from './results.js';

/** Denominator floor of the head output and loss comparison: `|a − b| / max(|b|, VALUE_FLOOR)`. */
export const VALUE_FLOOR = 1e-3;
const maxRel = (a: ArrayLike<number>, b: ArrayLike<number>, floor = VALUE_FLOOR) => maxRelDiff(a, b, floor);
/**
 * Denominator floor of a weight's gradient, as a fraction of that weight's largest cpu gradient:
 * `|g − g_cpu| / max(|g_cpu|, GRAD_FLOOR_FRACTION · max|g_cpu|)`. A first-layer kernel gradient sums
 * tens of thousands of float32 products, so its tiny elements carry the absolute rounding of the large ones.
 */
export const GRAD_FLOOR_FRACTION = 1e-2;

export interface GradCheck {
  backends: [string, string];
  /** Trainable weights compared (all of them). */
  weights: number;
  /** Values compared over all weights. */
  values: number;
  /** max over every gradient value of |g − g_cpu| / max(|g_cpu|, GRAD_FLOOR_FRACTION · max|g_cpu| of its weight). */
  gradMaxRelErr: number;
  /** The weight where it occurs. */
  worstWeight: string;
  /** Same measure on the five loss terms and on the head output (the forward). */
  lossMaxRelErr: number;
  outputMaxRelErr: number;
  lossCpu: number[];
  gradNormCpu: number;
  /** Per weight: name, max |g − g_cpu|, max |g_cpu|, RMS of g_cpu. */
  perWeight: Array<[string, number, number, number]>;
}

export interface TrainCheck {
  done: boolean;
  error?: string;
  backend: string;
  /** The run's configuration and the generator options of its scenes. */
  config?: TrainConfig;
  synthetic?: SyntheticOptions;
  /** FNV-1a of the pixels of samples 0…3 and their objects as JSON: Node draws the same for the same seed. */
  scenes?: Array<{ pixelHash: number; objects: string }>;
  gradCheck?: GradCheck;
  losses: number[];
  terms: number[][];
  numTensors: number[];
  msPerStep: number;
  /** Wall time of each step. */
  stepMs: number[];
  skipped: number;
  /** Largest |prediction difference| between the trained model and its copy loaded back from IndexedDB. */
  reloadMaxAbsDiff?: number;
}

/** FNV-1a of bytes (as in test/browser/prepare.ts's pixel hash). */
export function fnv1a(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return h >>> 0;
}


/** Forward, loss terms and every weight's gradient of step 0 on `backend`, as plain arrays. */
async function stepOn(backend: string, c: TrainConfig): Promise<{ output: Float32Array; terms: Float32Array; grads: Array<[string, Float32Array]> }> {
  await tf.setBackend(backend);
  const model = buildModel(c);
  const loss = lossFor(c);
  const batch = makeBatch(c, 0);
  try {
    const output = tf.tidy(() => model.apply(batch.images, { training: false }) as tf.Tensor);
    const outData = (await output.data()) as Float32Array;
    output.dispose();
    const { total, terms, grads } = lossAndGrads(model, loss, batch);
    const names = model.trainableWeights.map((w) => (w.read() as tf.Variable).name);
    const list: Array<[string, Float32Array]> = [];
    for (const [i, n] of names.entries()) list.push([model.trainableWeights[i].originalName, (await grads[n].data()) as Float32Array]);
    const termData = (await terms.data()) as Float32Array;
    tf.dispose([total, terms, grads]);
    return { output: outData, terms: termData, grads: list };
  } finally {
    tf.dispose([batch.images, batch.targets]);
    model.dispose();
  }
}

/** One full training step on `backend` vs cpu (cpu with the library's training kernels). */
export async function gradientCheck(backend: string, c: TrainConfig): Promise<GradCheck> {
  registerTrainingKernels();
  const ref = await stepOn('cpu', c);
  const got = await stepOn(backend, c);
  let worst = 0;
  let worstWeight = '';
  let values = 0;
  const perWeight: Array<[string, number, number, number]> = [];
  for (const [i, [name, g]] of got.grads.entries()) {
    const b = ref.grads[i][1];
    let absErr = 0;
    let maxRef = 0;
    let sq = 0;
    for (let j = 0; j < g.length; j++) {
      absErr = Math.max(absErr, Math.abs(g[j] - b[j]));
      maxRef = Math.max(maxRef, Math.abs(b[j]));
      sq += b[j] * b[j];
    }
    const r = maxRel(g, b, Math.max(GRAD_FLOOR_FRACTION * maxRef, Number.MIN_VALUE));
    perWeight.push([name, absErr, maxRef, Math.sqrt(sq / g.length)]);
    values += g.length;
    if (!(r <= worst)) {
      worst = r;
      worstWeight = name;
    }
  }
  const gradNormCpu = Math.sqrt(ref.grads.reduce((s, [, g]) => s + g.reduce((a, v) => a + v * v, 0), 0));
  return {
    backends: [backend, 'cpu'], weights: got.grads.length, values, gradMaxRelErr: worst, worstWeight,
    lossMaxRelErr: maxRel(got.terms, ref.terms), outputMaxRelErr: maxRel(got.output, ref.output), lossCpu: Array.from(ref.terms), gradNormCpu, perWeight,
  };
}

/** The whole self-check; publishes progress into `out` as it goes. */
export async function runTrainCheck(backend: string, c: TrainConfig, steps: number, out: TrainCheck, meta: BrowserMeta): Promise<void> {
  out.config = c;
  out.synthetic = syntheticOptions(c);
  out.scenes = [0, 1, 2, 3].map((i) => {
    const s = sampleAt(c, i);
    return { pixelHash: fnv1a(s.image.data), objects: JSON.stringify(s.objects) };
  });
  out.gradCheck = await gradientCheck(backend, c);
  await tf.setBackend(backend);
  const trainer = new Trainer(c);
  try {
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) {
      const r = await trainer.trainStep();
      out.losses.push(r.terms.total);
      out.terms.push([r.terms.total, r.terms.coord, r.terms.obj, r.terms.noobj, r.terms.cls]);
      out.numTensors.push(tf.memory().numTensors);
      out.stepMs.push(performance.now() - t0 - out.stepMs.reduce((a, b) => a + b, 0));
    }
    out.msPerStep = (performance.now() - t0) / steps;
    out.skipped = trainer.skipped;
    await saveTrained(trainer.model, meta);
    const back = await loadTrained();
    if (!back) throw new Error('the trained model did not load back from IndexedDB');
    const S = c.inputSize;
    const pixels = new Float32Array(S * S * 3);
    toFloat(sampleAt(c, HELD_OUT_OFFSET), pixels, 0);
    const x = tf.tensor4d(pixels, [1, S, S, 3]);
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(trainer.model.predict(x) as tf.Tensor, back.model.predict(x) as tf.Tensor))));
    out.reloadMaxAbsDiff = (await diff.data())[0];
    tf.dispose([x, diff]);
    back.model.dispose();
  } finally {
    trainer.dispose();
  }
}
