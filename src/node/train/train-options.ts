/**
 * The options of {@link train}, what it returns, and their validation.
 *
 * @packageDocumentation
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { ValueError, describe } from '../../errors.js';
import { validateSchedule, type LrSchedule } from '../../train/schedule.js';
import type { SGDConfig } from '../../train/sgd.js';
import { assertKnownKeys, assertNumber } from '../../validate.js';
import type { BatchSource, LossLike, StepRecord } from './contracts.js';
import { validateEvaluateOptions, type EvaluateOptions, type EvaluationRecord, type StoppedEarly } from './evaluate-option.js';

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
   * copy; start wasm with one thread here too) and a loss with `toConfig()` (e.g. `YOLOv2Loss`: the
   * workers rebuild the loss from that value). See {@link GradientWorkers}.
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
  /**
   * Images to re-estimate the batch-norm statistics from before each checkpoint
   * (`recalibrateBatchNorm` of yolov2-ts/models), e.g. a few batches of training images; the trainer disposes them.
   * Off by default (the checkpoint holds the training-time moving averages).
   */
  calibrationImages?: () => tf.Tensor[] | Promise<tf.Tensor[]>;
  /** Checkpoints kept in `checkpointDir`, the newest included (default 2; see {@link saveCheckpoint}). */
  keepLast?: number;
  /**
   * Consecutive steps the NaN/Inf guard may skip before `train` stops with a {@link TrainingError}
   * (default 5). A skipped step leaves the model (batch-norm statistics included) and the optimizer
   * bit-identical to before it.
   */
  maxSkippedSteps?: number;
  /**
   * Continue from the newest checkpoint in `checkpointDir` when one is there (an empty or absent
   * directory starts fresh; one holding only partial files is an error, see {@link loadCheckpoint}).
   */
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
  /** Called after each epoch (after its checkpoint and evaluation) with the 0-based epoch index; may be async. */
  onEpochEnd?: (epoch: number) => void | Promise<void>;
  /**
   * Score the model every N epochs and after the last, call `onBest` on a new best score (save the
   * model there) and stop after `patience` evaluations without improvement; see {@link EvaluateOptions}.
   */
  evaluate?: EvaluateOptions;
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
  /** Wall time of this call, in seconds. */
  seconds: number;
  /** This call's evaluations (`evaluate` option), oldest first; empty without it. */
  evaluations: EvaluationRecord[];
  /** Set when `evaluate.patience` ended training before `epochs`. */
  stoppedEarly?: StoppedEarly;
}

const KNOWN: readonly string[] = [
  'model', 'loss', 'batches', 'epochs', 'stepsPerEpoch', 'schedule', 'optimizer', 'accumulate', 'workers', 'workerSetup',
  'clipGradNorm', 'maxSteps', 'checkpointDir', 'checkpointEvery', 'calibrationImages', 'keepLast', 'maxSkippedSteps', 'resume', 'logFile',
  'progress', 'logEvery', 'rng', 'onStep', 'onEpochEnd', 'evaluate',
];

/** Check the options of {@link train}. @throws ValueError naming the option. @internal */
export function validateTrainOptions(options: TrainOptions): void {
  assertKnownKeys('train', 'options', options, KNOWN);
  assertNumber('train', 'epochs', options.epochs, { min: 0, integer: true });
  assertNumber('train', 'stepsPerEpoch', options.stepsPerEpoch, { min: 1, integer: true });
  const accumulate = options.accumulate ?? 1;
  assertNumber('train', 'accumulate', accumulate, { min: 1, integer: true });
  if (options.clipGradNorm !== undefined) assertNumber('train', 'clipGradNorm', options.clipGradNorm, { min: 0, minOpen: true });
  for (const key of ['maxSteps', 'checkpointEvery', 'keepLast', 'maxSkippedSteps', 'logEvery'] as const) {
    if (options[key] !== undefined) assertNumber('train', key, options[key], { min: key === 'maxSteps' ? 0 : 1, integer: true });
  }
  if (options.calibrationImages !== undefined && typeof options.calibrationImages !== 'function') {
    throw new ValueError(`train: 'calibrationImages' must be a function returning image tensors, got ${describe(options.calibrationImages)}`);
  }
  validateSchedule(options.schedule);
  validateEvaluateOptions(options.evaluate);
  const workers = options.workers ?? 0;
  assertNumber('train', 'workers', workers, { min: 0, max: 16, integer: true });
  if (workers > 0 && accumulate < workers + 1) {
    throw new ValueError(`train: 'workers' ${workers} needs 'accumulate' ≥ ${workers + 1} (one micro-batch per thread), got ${accumulate}`);
  }
  if (workers > 0 && typeof options.loss?.toConfig !== 'function') {
    throw new ValueError(`train: 'workers' needs a loss with toConfig() (e.g. YOLOv2Loss: the workers rebuild it from that value), got ${describe(options.loss)} without one`);
  }
}
