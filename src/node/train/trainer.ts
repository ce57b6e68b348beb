/**
 * The training loop: SGD with momentum and kernel-only weight decay, warm-up and decay schedules,
 * gradient accumulation, a NaN/Inf guard, checkpoints with exact resume, a progress bar and a
 * JSON-lines log. Model-, loss- and data-agnostic: it takes a `tf.LayersModel`, anything with the
 * `compute` method of `YOLOv2Loss`, and a function that returns batches.
 *
 * @packageDocumentation
 */
import { createWriteStream, existsSync, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import cliProgress from 'cli-progress';
import { FormatError, ValueError, describe } from '../../errors.js';
import { YOLOv2Loss } from '../../loss/yolov2-loss.js';
import { assertNumber } from '../../validate.js';
import { loadCheckpoint, saveCheckpoint, type CheckpointTensor } from './checkpoint.js';
import { learningRateAt, validateSchedule, type LrSchedule } from '../../train/schedule.js';
import { GradientWorkers, type WorkerGradients } from './gradient-workers.js';
import { gradientsOf } from './compute-gradients.js';
import type { Batch, BatchSource, LossLike, LossTerms, StepRecord } from './contracts.js';

export type { Batch, BatchSource, LossLike, LossTerms, StepRecord } from './contracts.js';
import { SGD, type SGDConfig } from '../../train/sgd.js';

/** Options of {@link train}. */
export interface TrainOptions {
  model: LayersModel;
  loss: LossLike;
  batches: BatchSource;
  /** Number of epochs to train to (a resumed run continues up to it). */
  epochs: number;
  /** Optimizer steps per epoch. */
  stepsPerEpoch: number;
  /** Learning-rate schedule (epochs converted with `stepsPerEpoch`). */
  schedule: LrSchedule;
  /** SGD momentum and weight decay; defaults μ 0.9, wd 5e-4 on kernels only. */
  optimizer?: SGDConfig;
  /** Micro-batches per optimizer step (gradient accumulation; gradients are averaged). Default 1. */
  accumulate?: number;
  /**
   * Extra worker threads for data-parallel gradients (default 0): micro-batch m of each step is
   * differentiated by thread m mod (workers + 1), thread 0 being this one, so `accumulate` must be at
   * least `workers + 1`. The step is the same as with `accumulate` alone (gradients averaged over the
   * micro-batches, up to float rounding), except that batch-norm moving statistics are updated by this
   * thread's micro-batches only. Needs the `wasm` or `cpu` backend (each worker runs a single-threaded
   * copy; start wasm with one thread here too) and a {@link YOLOv2Loss} (its config is sent to the
   * workers). See {@link GradientWorkers}.
   */
  workers?: number;
  /** Modules each worker imports first (see {@link GradientWorkersOptions.setup}). */
  workerSetup?: string[];
  /** Clip the global gradient norm to this value (off by default). */
  clipGradNorm?: number;
  /** Stop after this many optimizer steps in this call (for tests and budgets). */
  maxSteps?: number;
  /** Checkpoint directory; a checkpoint is written every `checkpointEvery` epochs and at the end. */
  checkpointDir?: string;
  /** Epochs between checkpoints, default 1. */
  checkpointEvery?: number;
  /** Continue from the checkpoint in `checkpointDir` when one is there. */
  resume?: boolean;
  /** Append one JSON line per step to this file. */
  logFile?: string;
  /** Progress bar on a TTY, a plain line every `logEvery` steps otherwise; `false` silences both. */
  progress?: boolean;
  /** Plain-line interval when not on a TTY, default: ~10 lines per epoch. */
  logEvery?: number;
  /** A data RNG whose state is saved and restored with checkpoints. */
  rng?: { getState(): unknown; setState(state: unknown): void };
  /** Called after each optimizer step. */
  onStep?: (record: StepRecord) => void;
  /** Called after each epoch (e.g. to evaluate); may be async. */
  onEpochEnd?: (epoch: number) => void | Promise<void>;
}

/** What {@link train} returns. */
export interface TrainResult {
  /** Epochs completed in total (including resumed ones). */
  epochs: number;
  /** Optimizer steps completed in total. */
  steps: number;
  /** Images seen in total. */
  seenImages: number;
  /** Steps skipped by the NaN/Inf guard in this call. */
  skippedSteps: number;
  /** The records of this call's steps. */
  history: StepRecord[];
  /** Wall time of this call. */
  seconds: number;
}

function trainableVariables(model: LayersModel): tf.Variable[] {
  return model.trainableWeights.map((w) => w.read() as tf.Variable);
}

/**
 * Train `model` with `loss` on `batches`. Resumes from `checkpointDir` when `resume` is set and a
 * checkpoint is there: the next step is then exactly the step the interrupted run would have taken
 * (weights, momentum buffers, counters and the data RNG are restored).
 */
export async function train(options: TrainOptions): Promise<TrainResult> {
  const { model, loss, batches, epochs, stepsPerEpoch, schedule } = options;
  const accumulate = options.accumulate ?? 1;
  assertNumber('train', 'epochs', epochs, { min: 0, integer: true });
  assertNumber('train', 'stepsPerEpoch', stepsPerEpoch, { min: 1, integer: true });
  assertNumber('train', 'accumulate', accumulate, { min: 1, integer: true });
  if (options.clipGradNorm !== undefined) assertNumber('train', 'clipGradNorm', options.clipGradNorm, { min: 0, minOpen: true });
  validateSchedule(schedule);

  const workerCount = options.workers ?? 0;
  assertNumber('train', 'workers', workerCount, { min: 0, max: 16, integer: true });
  if (workerCount > 0 && accumulate < workerCount + 1) {
    throw new ValueError(`train: 'workers' ${workerCount} needs 'accumulate' ≥ ${workerCount + 1} (one micro-batch per thread), got ${accumulate}`);
  }
  if (workerCount > 0 && !(loss instanceof YOLOv2Loss)) {
    throw new ValueError(`train: 'workers' needs a YOLOv2Loss (its config is sent to the workers), got ${describe(loss)}`);
  }

  const vars = trainableVariables(model);
  const pool = workerCount > 0
    ? await GradientWorkers.start({ count: workerCount, model, lossConfig: (loss as YOLOv2Loss).config, ...(options.workerSetup ? { setup: options.workerSetup } : {}) })
    : undefined;
  const sgd = new SGD(vars, options.optimizer);
  let step = 0;
  let seenImages = 0;

  if (options.resume && options.checkpointDir && existsSync(join(options.checkpointDir, 'checkpoint.json'))) {
    const ck = await loadCheckpoint(options.checkpointDir);
    restoreModel(model, ck.tensors.filter((t) => t.group === 'model'), options.checkpointDir);
    const opt = ck.tensors.filter((t) => t.group === 'optimizer');
    sgd.setState(
      opt.map((t) => {
        const index = Number(t.name.split(':')[1]);
        const v = vars[index];
        if (!v) throw new FormatError(`train: checkpoint optimizer buffer '${t.name}' has no matching variable`, options.checkpointDir);
        return { name: v.name, shape: t.shape, values: t.values };
      }),
    );
    step = ck.step;
    seenImages = ck.seenImages;
    if (options.rng && ck.rngState !== undefined) options.rng.setState(ck.rngState);
  }

  const log = options.logFile ? await openLog(options.logFile) : undefined;
  const progress = options.progress === false ? undefined : makeProgress(stepsPerEpoch, epochs, options.logEvery);
  const history: StepRecord[] = [];
  let skippedSteps = 0;
  const t0 = performance.now();
  let stepsThisCall = 0;
  const stepOf = (s: number) => ({ epoch: Math.floor(s / stepsPerEpoch), inEpoch: s % stepsPerEpoch });

  try {
    while (stepOf(step).epoch < epochs) {
      if (options.maxSteps !== undefined && stepsThisCall >= options.maxSteps) break;
      const { epoch, inEpoch } = stepOf(step);
      const ts = performance.now();
      const lr = learningRateAt(step, stepsPerEpoch, schedule);
      let grads: tf.NamedTensorMap = {};
      const sums = [0, 0, 0, 0, 0];
      let images = 0;
      let inputSize = 0;
      // with workers: micro-batch m goes to thread m mod (workers + 1); the remote ones are sent first
      const weights = pool ? vars.map((v) => v.dataSync() as Float32Array) : [];
      const remote: Array<Promise<WorkerGradients>> = [];
      const local: Batch[] = [];
      for (let micro = 0; micro < accumulate; micro++) {
        const batch = await batches({ epoch, step, micro });
        images += batch.images.shape[0];
        inputSize = batch.images.shape[1];
        const thread = micro % (workerCount + 1);
        if (pool && thread > 0) {
          remote.push(pool.compute(thread - 1, weights, batch.images, batch.targets, seenImages));
          tf.dispose([batch.images, batch.targets]);
        } else {
          local.push(batch);
        }
      }
      for (const batch of local) {
        const { terms, grads: g } = gradientsOf(model, loss, batch, vars, seenImages);
        tf.dispose([batch.images, batch.targets]);
        terms.forEach((v, i) => (sums[i] += v / accumulate));
        grads = accumulateInto(grads, g, accumulate);
      }
      for (const r of await Promise.all(remote)) {
        r.terms.forEach((v, i) => (sums[i] += v / accumulate));
        const g: tf.NamedTensorMap = Object.fromEntries(vars.map((v, i) => [v.name, tf.tensor(r.grads[i], v.shape, 'float32')]));
        grads = accumulateInto(grads, g, accumulate);
      }
      const norm = globalNorm(grads);
      const skipped = !Number.isFinite(norm) || !Number.isFinite(sums[0]);
      if (skipped) {
        skippedSteps++;
        console.warn(`yolov2-ts train: step ${step} skipped: non-finite ${Number.isFinite(sums[0]) ? 'gradient' : 'loss'} (${skippedSteps} skipped so far)`);
      } else {
        if (options.clipGradNorm !== undefined && norm > options.clipGradNorm) scaleInPlace(grads, options.clipGradNorm / norm);
        sgd.step(grads, lr);
      }
      tf.dispose(Object.values(grads));
      seenImages += images;
      const seconds = (performance.now() - ts) / 1000;
      const record: StepRecord = {
        epoch, step, lr, total: sums[0], coord: sums[1], obj: sums[2], noobj: sums[3], cls: sums[4],
        gradNorm: norm, inputSize, imagesPerSecond: images / seconds, skipped,
      };
      history.push(record);
      log?.write(`${JSON.stringify(record)}\n`);
      step++;
      stepsThisCall++;
      progress?.update(record, step, stepsPerEpoch, epochs);
      options.onStep?.(record);
      // Let the event loop run once per step: the steps are CPU-bound and their awaits resolve as
      // microtasks, which would starve file writes (the log), timers (the progress bar) and signals.
      await new Promise<void>((resolve) => setImmediate(resolve));
      const epochDone = inEpoch === stepsPerEpoch - 1;
      if (epochDone) {
        const every = options.checkpointEvery ?? 1;
        if (options.checkpointDir && ((epoch + 1) % every === 0 || epoch + 1 === epochs)) {
          await writeCheckpoint(options.checkpointDir, model, sgd, vars, step, stepsPerEpoch, seenImages, options.rng);
        }
        await options.onEpochEnd?.(epoch);
      }
    }
    if (options.checkpointDir && stepsThisCall > 0 && step % stepsPerEpoch !== 0) {
      await writeCheckpoint(options.checkpointDir, model, sgd, vars, step, stepsPerEpoch, seenImages, options.rng);
    }
  } finally {
    await pool?.terminate();
    progress?.stop();
    sgd.dispose();
    if (log) await new Promise<void>((resolve) => log.end(resolve));
  }
  return {
    epochs: Math.floor(step / stepsPerEpoch),
    steps: step,
    seenImages,
    skippedSteps,
    history,
    seconds: (performance.now() - t0) / 1000,
  };
}


function accumulateInto(acc: tf.NamedTensorMap, g: tf.NamedTensorMap, k: number): tf.NamedTensorMap {
  const out: tf.NamedTensorMap = {};
  for (const name of Object.keys(g)) {
    out[name] = tf.tidy(() => {
      const scaled = k === 1 ? g[name] : tf.div(g[name], k);
      return acc[name] ? tf.add(acc[name], scaled) : tf.clone(scaled);
    });
  }
  tf.dispose([...Object.values(acc), ...Object.values(g)]);
  return out;
}

function globalNorm(grads: tf.NamedTensorMap): number {
  const list = Object.values(grads);
  if (list.length === 0) return 0;
  const sq = tf.tidy(() => tf.addN(list.map((g) => tf.sum(tf.square(g)))));
  const v = sq.dataSync()[0];
  sq.dispose();
  return Math.sqrt(v);
}

function scaleInPlace(grads: tf.NamedTensorMap, factor: number): void {
  for (const name of Object.keys(grads)) {
    const old = grads[name];
    grads[name] = tf.mul(old, factor);
    old.dispose();
  }
}

function restoreModel(model: LayersModel, saved: CheckpointTensor[], dir: string): void {
  const weights = model.weights;
  if (saved.length !== weights.length) {
    throw new FormatError(`train: checkpoint in ${dir} holds ${saved.length} model tensors, the model has ${weights.length}`, dir);
  }
  const tensors = saved.map((t, i) => {
    const want = weights[i].shape;
    if (want.join(',') !== t.shape.join(',')) {
      throw new FormatError(`train: checkpoint tensor ${i} ('${t.name}') has shape [${t.shape}], the model's '${weights[i].name}' has [${want}]`, dir);
    }
    return tf.tensor(t.values, t.shape, 'float32');
  });
  model.setWeights(tensors);
  tf.dispose(tensors);
}

async function writeCheckpoint(
  dir: string,
  model: LayersModel,
  sgd: SGD,
  vars: tf.Variable[],
  step: number,
  stepsPerEpoch: number,
  seenImages: number,
  rng: TrainOptions['rng'],
): Promise<void> {
  const index = new Map(vars.map((v, i) => [v.name, i]));
  const tensors: CheckpointTensor[] = [
    ...model.weights.map((w) => ({ name: w.name, group: 'model' as const, shape: w.shape.slice() as number[], values: w.read().dataSync() as Float32Array })),
    ...sgd.getState().map((s) => ({ name: `momentum:${index.get(s.name)}`, group: 'optimizer' as const, shape: s.shape, values: s.values })),
  ];
  await saveCheckpoint(dir, {
    epoch: Math.floor(step / stepsPerEpoch),
    step,
    seenImages,
    rngState: rng?.getState(),
    tensors,
  });
}

async function openLog(path: string): Promise<WriteStream> {
  await mkdir(dirname(path), { recursive: true });
  return createWriteStream(path, { flags: 'a' });
}

interface Progress {
  update(r: StepRecord, step: number, stepsPerEpoch: number, epochs: number): void;
  stop(): void;
}

function fmt(x: number): string {
  return Math.abs(x) >= 100 ? x.toFixed(1) : x.toPrecision(4);
}

function makeProgress(stepsPerEpoch: number, epochs: number, logEvery?: number): Progress {
  const totalSteps = stepsPerEpoch * epochs;
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format:
          'train |{bar}| {value}/{total} steps · epoch {epoch} · loss {loss} (coord {coord} obj {obj} noobj {noobj} cls {cls}) · lr {lr} · {ips} img/s · ETA {eta_formatted}',
        hideCursor: true,
        etaBuffer: 20,
        stream: process.stderr,
      },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update(r, step) {
        const payload = {
          epoch: `${r.epoch + 1}/${epochs}`, loss: fmt(r.total), coord: fmt(r.coord), obj: fmt(r.obj),
          noobj: fmt(r.noobj), cls: fmt(r.cls), lr: r.lr.toExponential(2), ips: r.imagesPerSecond.toFixed(1),
        };
        if (!started) {
          bar.start(totalSteps, step, payload);
          started = true;
        } else bar.update(step, payload);
      },
      stop: () => bar.stop(),
    };
  }
  const every = logEvery ?? Math.max(1, Math.round(stepsPerEpoch / 10));
  const t0 = performance.now();
  let first = -1;
  return {
    update(r, step) {
      if (first < 0) first = step - 1;
      if (step % every !== 0 && step !== totalSteps) return;
      const done = step - first;
      const eta = ((performance.now() - t0) / 1000 / done) * (totalSteps - step);
      console.log(
        `train ${step}/${totalSteps} epoch ${r.epoch + 1}/${epochs} loss ${fmt(r.total)} (coord ${fmt(r.coord)} obj ${fmt(r.obj)} noobj ${fmt(r.noobj)} cls ${fmt(r.cls)}) lr ${r.lr.toExponential(2)} ${r.imagesPerSecond.toFixed(1)} img/s ETA ${Math.round(eta)} s`,
      );
    },
    stop() {},
  };
}
