/**
 * The training loop of the training page, free of the DOM (it also runs under Node for a quick check):
 * synthetic shapes drawn in the page by the core's generator, a small `compactYOLOv2` with seeded
 * weights, `YOLOv2Loss`, SGD (the core's) or Adam, the core's learning-rate schedule and NaN/Inf guard.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import {
  Rng,
  SGD,
  SYNTHETIC_CLASSES,
  YOLOv2Loss,
  checkStep,
  deriveSeed,
  generateSyntheticSample,
  learningRateAt,
  packTargets,
  type Anchor,
  type LrSchedule,
  type SyntheticOptions,
  type SyntheticSample,
} from 'yolov2-ts';
import { compactYOLOv2, initObjectnessPrior } from 'yolov2-ts/models';

/** Everything that defines a run; the defaults are the browser test's. */
export interface TrainConfig {
  seed: number;
  /** Square input in pixels (a multiple of 32). */
  inputSize: number;
  batchSize: number;
  /** Backbone filters of `compactYOLOv2` (stride 2^(n−1)). */
  filters: number[];
  neck: number[];
  /** Anchors in grid units. */
  anchors: Anchor[];
  optimizer: 'sgd' | 'adam';
  /** Peak learning rate (after the warm-up). */
  lr: number;
  /** Linear warm-up steps from 0 to `lr`. */
  warmupSteps: number;
  /** Objects per image, inclusive range. */
  objects: [number, number];
  /** Objectness every anchor starts at (`initObjectnessPrior`). */
  objectnessPrior: number;
}

export const DEFAULT_TRAIN_CONFIG: Readonly<TrainConfig> = Object.freeze({
  seed: 21,
  inputSize: 96,
  batchSize: 8,
  filters: [4, 8, 16, 32],
  neck: [32],
  // stride 8: a 96-px image is a 12 × 12 grid; shapes are 8–60 % of the side, 1–7 cells
  anchors: [[1.2, 1.2], [2.4, 2.4], [4.4, 4.4], [6.2, 3.6], [3.6, 6.2]] as Anchor[],
  optimizer: 'adam',
  lr: 4e-3,
  warmupSteps: 5,
  objects: [1, 3] as [number, number],
  objectnessPrior: 0.1,
});

/** Held-out images use seeds from here on (training batches never reach them). */
export const HELD_OUT_OFFSET = 1_000_000;

export function syntheticOptions(c: TrainConfig): SyntheticOptions {
  return { width: c.inputSize, height: c.inputSize, minObjects: c.objects[0], maxObjects: c.objects[1], minSize: 0.15, maxSize: 0.6 };
}

/** Sample `index` of the run's stream (the same scene Node's SyntheticDataset draws for this seed and index). */
export function sampleAt(c: TrainConfig, index: number): SyntheticSample {
  return generateSyntheticSample(new Rng(deriveSeed(c.seed, index)), syntheticOptions(c));
}

/** Bytes → `[1, H, W, 3]`-ready floats in 0…1 (`v · (1/255)`, as yolov2-ts/node's imageToFloat32). */
export function toFloat(s: SyntheticSample, out: Float32Array, offset: number): void {
  const k = 1 / 255;
  const d = s.image.data;
  for (let i = 0; i < d.length; i++) out[offset + i] = d[i] * k;
}

/** Batch `step`: images `[B, S, S, 3]` in 0…1 and packed targets `[B, N, 5]` (cx, cy, w, h normalised). */
export function makeBatch(c: TrainConfig, step: number): { images: tf.Tensor4D; targets: tf.Tensor3D } {
  const S = c.inputSize;
  const data = new Float32Array(c.batchSize * S * S * 3);
  const annotations = [];
  for (let b = 0; b < c.batchSize; b++) {
    const s = sampleAt(c, step * c.batchSize + b);
    toFloat(s, data, b * S * S * 3);
    annotations.push(s.objects.map((o) => {
      const [x1, y1, x2, y2] = o.box;
      return { classId: o.classId, box: [(x1 + x2) / 2 / S, (y1 + y2) / 2 / S, (x2 - x1) / S, (y2 - y1) / S] as [number, number, number, number] };
    }));
  }
  const images = tf.tensor4d(data, [c.batchSize, S, S, 3]);
  return { images, targets: packTargets(annotations, c.objects[1]) };
}

/**
 * The model of a run: `compactYOLOv2`, kernels redrawn from the run's seed (He-uniform, limit
 * √(6 / fan-in)) so every backend and every reload starts from the same weights, objectness at
 * `objectnessPrior`.
 */
export function buildModel(c: TrainConfig): tfl.LayersModel {
  const model = compactYOLOv2({
    numClasses: SYNTHETIC_CLASSES.length, anchors: c.anchors, inputSize: c.inputSize, filters: c.filters, neck: c.neck, name: 'browser-compact',
  });
  const rng = new Rng(deriveSeed(c.seed, 0x5eed));
  for (const w of model.trainableWeights) {
    if (!/kernel$/.test(w.originalName)) continue;
    const shape = w.shape as number[];
    const fanIn = shape.slice(0, -1).reduce((a, b) => a * b, 1);
    const lim = Math.sqrt(6 / fanIn);
    const v = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < v.length; i++) v[i] = rng.uniform(-lim, lim);
    const t = tf.tensor(v, shape);
    w.write(t);
    t.dispose();
  }
  initObjectnessPrior(model, SYNTHETIC_CLASSES.length, c.objectnessPrior);
  return model;
}

export function lossFor(c: TrainConfig): YOLOv2Loss {
  return new YOLOv2Loss({ anchors: c.anchors, numClasses: SYNTHETIC_CLASSES.length });
}

export function scheduleFor(c: TrainConfig): LrSchedule {
  // one 'epoch' of the schedule is one step here (learningRateAt(step, 1, …))
  return { lr: c.lr, warmup: { epochs: c.warmupSteps, mode: 'linear' }, decay: { type: 'constant' } };
}

/** The loss terms of one step, as numbers. */
export interface StepTerms { total: number; coord: number; obj: number; noobj: number; cls: number }

/** One forward + loss + gradient of every trainable weight; the caller disposes `grads` and `total`. */
export function lossAndGrads(model: tfl.LayersModel, loss: YOLOv2Loss, batch: { images: tf.Tensor4D; targets: tf.Tensor3D }): {
  total: tf.Scalar; terms: tf.Tensor1D; grads: tf.NamedTensorMap;
} {
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  let terms: tf.Tensor1D | null = null;
  const { value, grads } = tf.variableGrads(() => {
    const out = model.apply(batch.images, { training: true }) as tf.Tensor4D;
    // a non-finite output is left to the step guard (checkStep skips the step) instead of throwing
    const l = loss.compute(out, batch.targets, { checkFinite: false });
    terms = tf.keep(tf.stack([l.total, l.coord, l.obj, l.noobj, l.cls]) as tf.Tensor1D);
    return l.total;
  }, vars);
  return { total: value, terms: terms!, grads };
}

/** A training run: model, loss, optimizer and step counter. */
export class Trainer {
  readonly model: tfl.LayersModel;
  readonly loss: YOLOv2Loss;
  readonly schedule: LrSchedule;
  step = 0;
  skipped = 0;
  private readonly sgd: SGD | null;
  private readonly adam: tf.AdamOptimizer | null;

  constructor(readonly config: TrainConfig, model?: tfl.LayersModel) {
    this.model = model ?? buildModel(config);
    this.loss = lossFor(config);
    this.schedule = scheduleFor(config);
    const vars = this.model.trainableWeights.map((w) => w.read() as tf.Variable);
    this.sgd = config.optimizer === 'sgd' ? new SGD(vars, { momentum: 0.9, weightDecay: 5e-4 }) : null;
    this.adam = config.optimizer === 'adam' ? tf.train.adam(config.lr) : null;
  }

  /** The learning rate of the next step. */
  lr(): number {
    return learningRateAt(this.step, 1, this.schedule);
  }

  /** One guarded step on batch `this.step`; returns its terms, lr, gradient norm and whether it was skipped. */
  async trainStep(): Promise<{ terms: StepTerms; lr: number; gradNorm: number; skipped: boolean }> {
    const lr = this.lr();
    const batch = makeBatch(this.config, this.step);
    const { total, terms, grads } = lossAndGrads(this.model, this.loss, batch);
    try {
      const check = await checkStep(total, grads);
      if (check.skip) this.skipped++;
      else if (this.sgd) this.sgd.step(grads, lr);
      else {
        (this.adam as unknown as { learningRate: number }).learningRate = lr;
        // applyGradients only reads the map by name; its type asks for variables
        this.adam!.applyGradients(grads as unknown as Parameters<tf.AdamOptimizer['applyGradients']>[0]);
      }
      const [t, coord, obj, noobj, cls] = Array.from(await terms.data());
      this.step++;
      return { terms: { total: t, coord, obj, noobj, cls }, lr, gradNorm: check.gradNorm, skipped: check.skip };
    } finally {
      tf.dispose([total, terms, grads, batch.images, batch.targets]);
    }
  }

  dispose(): void {
    this.sgd?.dispose();
    this.adam?.dispose();
    this.model.dispose();
  }
}
