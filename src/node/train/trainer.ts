/**
 * The training loop: SGD with momentum and kernel-only weight decay, warm-up and decay schedules,
 * gradient accumulation, a NaN/Inf guard, atomic checkpoints with exact resume, a progress bar and a
 * JSON-lines log. Model-, loss- and data-agnostic: it takes a `tf.LayersModel`, anything with the
 * `compute` method of `YOLOv2Loss` ({@link LossLike}), and a function that returns batches.
 *
 * @packageDocumentation
 */
import * as tf from '@tensorflow/tfjs-core';
import { learningRateAt } from '../../train/schedule.js';
import { SGD } from '../../train/sgd.js';
import { resumeTraining, writeTrainingCheckpoint, type TrainingState } from './checkpointing.js';
import type { StepRecord } from './contracts.js';
import { GradientWorkers } from './gradient-workers.js';
import { makeProgress, openLog, type Progress } from './progress.js';
import { Evaluator } from './evaluate-option.js';
import { DEFAULT_MAX_SKIPPED_STEPS, StepGuard } from './step-guard.js';
import { globalNorm, scaleInPlace, stepGradients, type StepContext } from './train-step.js';
import { validateTrainOptions, type TrainOptions, type TrainResult } from './train-options.js';

export type { Batch, BatchSource, LossLike, LossTerms, SerializedLoss, StepRecord } from './contracts.js';
export type { TrainOptions, TrainResult } from './train-options.js';
export type { EvaluateOptions, EvaluationRecord, StoppedEarly } from './evaluate-option.js';

/** Counters of a run, advanced step by step. */
interface RunState {
  step: number;
  seenImages: number;
  stepsThisCall: number;
}

/**
 * Train `model` with `loss` on `batches`. Resumes from `checkpointDir` when `resume` is set and a
 * checkpoint is there: the next step is then exactly the step the interrupted run would have taken
 * (weights, momentum buffers, counters and the data RNG are restored).
 * @throws ValueError for bad options; FormatError for a checkpoint that cannot be resumed from;
 *   TrainingError after `maxSkippedSteps` consecutive non-finite steps. Whatever it throws, it leaves
 *   no tensor behind and stops its worker threads.
 */
export async function train(options: TrainOptions): Promise<TrainResult> {
  validateTrainOptions(options);
  const { model, epochs, stepsPerEpoch } = options;
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const sgd = new SGD(vars, options.optimizer);
  const guard = new StepGuard(model, options.maxSkippedSteps ?? DEFAULT_MAX_SKIPPED_STEPS);
  const state: TrainingState = { model, sgd, vars, ...(options.rng ? { rng: options.rng } : {}) };
  const run: RunState = { step: 0, seenImages: 0, stepsThisCall: 0 };
  const history: StepRecord[] = [];
  const evaluator = options.evaluate ? new Evaluator(options.evaluate) : undefined;
  const t0 = performance.now();
  let pool: GradientWorkers | undefined;
  let progress: Progress | undefined;
  let log: Awaited<ReturnType<typeof openLog>> | undefined;
  try {
    if (options.resume && options.checkpointDir) Object.assign(run, await resumeTraining(options.checkpointDir, state));
    pool = await startWorkers(options);
    log = options.logFile ? await openLog(options.logFile) : undefined;
    progress = options.progress === false ? undefined : makeProgress(stepsPerEpoch, epochs, options.logEvery);
    const ctx: StepContext = { model, loss: options.loss, batches: options.batches, vars, accumulate: options.accumulate ?? 1, ...(pool ? { pool } : {}) };
    while (run.step < epochs * stepsPerEpoch && !(options.maxSteps !== undefined && run.stepsThisCall >= options.maxSteps)) {
      const record = await takeStep(ctx, guard, sgd, options, run);
      history.push(record);
      log?.write(`${JSON.stringify(record)}\n`);
      run.step++;
      run.stepsThisCall++;
      progress?.update(record, run.step, stepsPerEpoch, epochs);
      options.onStep?.(record);
      // Let the event loop run once per step: the steps are CPU-bound and their awaits resolve as
      // microtasks, which would starve I/O callbacks, timers (the progress bar) and signals.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (run.step % stepsPerEpoch === 0 && (await endEpoch(options, state, run, record.epoch, evaluator))) break;
    }
    if (options.checkpointDir && run.stepsThisCall > 0 && run.step % stepsPerEpoch !== 0) await checkpoint(options, state, run);
  } finally {
    await pool?.terminate();
    progress?.stop();
    guard.dispose();
    sgd.dispose();
    log?.close();
  }
  return {
    epochs: Math.floor(run.step / stepsPerEpoch),
    steps: run.step,
    seenImages: run.seenImages,
    skippedSteps: guard.skipped,
    history,
    seconds: (performance.now() - t0) / 1000,
    evaluations: evaluator?.records ?? [],
    ...(evaluator?.stoppedEarly ? { stoppedEarly: evaluator.stoppedEarly } : {}),
  };
}

async function startWorkers(options: TrainOptions): Promise<GradientWorkers | undefined> {
  const count = options.workers ?? 0;
  const loss = options.loss.toConfig?.();
  if (count === 0 || !loss) return undefined;
  return GradientWorkers.start({ count, model: options.model, loss, ...(options.workerSetup ? { setup: options.workerSetup } : {}) });
}

/**
 * One optimizer step, guarded: the gradients of its micro-batches, then either the SGD update or (a
 * non-finite loss or gradient) a skipped step that leaves the model and the optimizer as they were.
 */
async function takeStep(ctx: StepContext, guard: StepGuard, sgd: SGD, options: TrainOptions, run: RunState): Promise<StepRecord> {
  const { step } = run;
  const epoch = Math.floor(step / options.stepsPerEpoch);
  const ts = performance.now();
  const lr = learningRateAt(step, options.stepsPerEpoch, options.schedule);
  guard.begin();
  let g: Awaited<ReturnType<typeof stepGradients>>;
  try {
    g = await stepGradients(ctx, { epoch, step, seenImages: run.seenImages });
  } catch (e) {
    guard.restore();
    throw e;
  }
  const [total, coord, obj, noobj, cls] = g.terms;
  let gradNorm: number;
  let skipped: boolean;
  try {
    gradNorm = globalNorm(g.grads);
    skipped = !Number.isFinite(gradNorm) || !Number.isFinite(total);
    if (skipped) guard.skip(step, Number.isFinite(total) ? 'gradient' : 'loss');
    else {
      if (options.clipGradNorm !== undefined && gradNorm > options.clipGradNorm) scaleInPlace(g.grads, options.clipGradNorm / gradNorm);
      sgd.step(g.grads, lr);
      guard.accept();
    }
  } finally {
    tf.dispose(Object.values(g.grads));
  }
  run.seenImages += g.images;
  const imagesPerSecond = g.images / ((performance.now() - ts) / 1000);
  return { epoch, step, lr, total, coord, obj, noobj, cls, gradNorm, inputSize: g.inputSize, imagesPerSecond, skipped };
}

/**
 * After the last step of epoch `epoch` (0-based): a checkpoint when one is due, the evaluation when one
 * is due, then the user's callback. True when the evaluation stops training early (a checkpoint is then
 * written if this epoch had none).
 */
async function endEpoch(options: TrainOptions, state: TrainingState, run: RunState, epoch: number, evaluator?: Evaluator): Promise<boolean> {
  const every = options.checkpointEvery ?? 1;
  const due = (epoch + 1) % every === 0 || epoch + 1 === options.epochs;
  if (options.checkpointDir && due) await checkpoint(options, state, run);
  const stop = (await evaluator?.afterEpoch(epoch + 1, options.epochs, run.step)) ?? false;
  if (stop && options.checkpointDir && !due) await checkpoint(options, state, run);
  await options.onEpochEnd?.(epoch);
  return stop;
}

async function checkpoint(options: TrainOptions, state: TrainingState, run: RunState): Promise<void> {
  if (options.calibrationImages) {
    const images = await options.calibrationImages();
    try {
      // loaded on demand: yolov2-ts/node imports no model code (tfjs-layers) statically
      const { recalibrateBatchNorm } = await import('../../models/recalibrate-batch-norm.js');
      recalibrateBatchNorm(options.model, images);
    } finally {
      tf.dispose(images);
    }
  }
  const counters = { step: run.step, epoch: Math.floor(run.step / options.stepsPerEpoch), seenImages: run.seenImages };
  await writeTrainingCheckpoint(options.checkpointDir as string, state, counters, options.keepLast ?? 2);
}
