/**
 * The `evaluate` option of {@link train}: a scoring callback run after every N epochs, best-model
 * saving through `onBest`, early stopping after `patience` evaluations without improvement.
 *
 * @packageDocumentation
 */
import { ValueError, describe } from '../../errors.js';
import { assertKnownKeys, assertNumber } from '../../validate.js';
import { EarlyStopping } from './early-stopping.js';

/** One evaluation of {@link train}: the epoch count when it ran (1-based) and the score `run` returned. */
export interface EvaluationRecord {
  epoch: number;
  score: number;
}

/** The `evaluate` option of {@link train}. */
export interface EvaluateOptions {
  /** Evaluate after every `every`-th epoch (epochs counted from 1) and after the last; default 1. */
  every?: number;
  /**
   * Score the model as it is now; higher is better (e.g. mAP@0.5 on a validation split). `epoch` is the
   * number of completed epochs (1-based), `step` the number of completed optimizer steps. A non-finite
   * score is an error.
   */
  run: (ctx: { epoch: number; step: number }) => number | Promise<number>;
  /** Called when a score is strictly above every earlier one (the first always is): save the best model here. */
  onBest?: (ctx: { epoch: number; score: number }) => void | Promise<void>;
  /** Stop training after this many evaluations in a row without improvement (never by default). */
  patience?: number;
  /**
   * Scores of earlier calls, oldest first, replayed into the best score and stale count (e.g. read back
   * from your own log when resuming). The checkpoint does not store them: without `past`, a resumed run
   * starts its best score and patience afresh.
   */
  past?: readonly number[];
}

/** Why {@link train} stopped before its last epoch: `stale` evaluations in a row did not beat `best`. */
export interface StoppedEarly {
  /** Completed epochs (1-based) when it stopped. */
  epoch: number;
  /** The best score seen (including `past`). */
  best: number;
  /** Evaluations since the best one. */
  stale: number;
}

const KNOWN: readonly string[] = ['every', 'run', 'onBest', 'patience', 'past'];

/** Check `options.evaluate` of {@link train}. @throws ValueError naming the field. @internal */
export function validateEvaluateOptions(evaluate: EvaluateOptions | undefined): void {
  if (evaluate === undefined) return;
  if (typeof evaluate !== 'object' || evaluate === null) throw new ValueError(`train: 'evaluate' must be an object { run, every?, onBest?, patience?, past? }, got ${describe(evaluate)}`);
  assertKnownKeys('train', 'evaluate', evaluate, KNOWN);
  if (typeof evaluate.run !== 'function') throw new ValueError(`train: 'evaluate.run' must be a function returning a score, got ${describe(evaluate.run)}`);
  if (evaluate.onBest !== undefined && typeof evaluate.onBest !== 'function') throw new ValueError(`train: 'evaluate.onBest' must be a function, got ${describe(evaluate.onBest)}`);
  if (evaluate.every !== undefined) assertNumber('train', 'evaluate.every', evaluate.every, { min: 1, integer: true });
  if (evaluate.patience !== undefined) assertNumber('train', 'evaluate.patience', evaluate.patience, { min: 1, integer: true });
  if (evaluate.past !== undefined) {
    if (!Array.isArray(evaluate.past)) throw new ValueError(`train: 'evaluate.past' must be an array of scores, got ${describe(evaluate.past)}`);
    evaluate.past.forEach((s, i) => assertNumber('train', `evaluate.past[${i}]`, s));
  }
}

/** The evaluation state of one {@link train} call. @internal */
export class Evaluator {
  readonly records: EvaluationRecord[] = [];
  stoppedEarly: StoppedEarly | undefined;
  private readonly stopper: EarlyStopping;

  constructor(private readonly options: EvaluateOptions) {
    this.stopper = new EarlyStopping(options.patience, options.past ?? []);
  }

  /** After epoch `epoch` (1-based) of `epochs`: evaluate when due; true when training must stop. */
  async afterEpoch(epoch: number, epochs: number, step: number): Promise<boolean> {
    if (epoch % (this.options.every ?? 1) !== 0 && epoch !== epochs) return false;
    const score = await this.options.run({ epoch, step });
    if (typeof score !== 'number' || !Number.isFinite(score)) {
      throw new ValueError(`train: 'evaluate.run' must return a finite number, got ${describe(score)} after epoch ${epoch}`);
    }
    this.records.push({ epoch, score });
    const { improved, stop } = this.stopper.update(score);
    if (improved) await this.options.onBest?.({ epoch, score });
    if (stop) this.stoppedEarly = { epoch, best: this.stopper.best, stale: this.stopper.stale };
    return stop;
  }
}
