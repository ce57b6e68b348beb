/**
 * The trainer's NaN/Inf guard: a step whose loss or gradient is not finite is skipped and leaves the
 * model exactly as it was. The trainable weights and the optimizer are only written by an accepted
 * step; everything else the forward pass writes (the batch-norm moving statistics, any non-trainable
 * weight) is snapshotted before the step and written back when the step is skipped or throws.
 *
 * @packageDocumentation
 * @internal
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { TrainingError } from '../../errors.js';

/** Default of `TrainOptions.maxSkippedSteps`: consecutive skipped steps after which training stops. */
export const DEFAULT_MAX_SKIPPED_STEPS = 5;

/** Guards one model's steps; {@link StepGuard.dispose} it when training ends. @internal */
export class StepGuard {
  private saved: tf.Tensor[] | null = null;
  private consecutive = 0;
  /** Steps skipped so far (in this guard's life). */
  skipped = 0;

  constructor(
    private readonly model: LayersModel,
    private readonly maxSkippedSteps: number,
  ) {}

  /** Copy every non-trainable weight (the batch-norm moving statistics) before a step. */
  begin(): void {
    this.release();
    this.saved = this.model.nonTrainableWeights.map((w) => tf.clone(w.read()));
  }

  /** The step is applied: drop the copies, reset the run of skipped steps. */
  accept(): void {
    this.release();
    this.consecutive = 0;
  }

  /** Write the copies back (a skipped or failed step), bit for bit. */
  restore(): void {
    if (!this.saved) return;
    const saved = this.saved;
    this.model.nonTrainableWeights.forEach((w, i) => w.write(saved[i]));
    this.release();
  }

  /**
   * Skip step `step`: restore, warn, count.
   * @throws {@link TrainingError} after `maxSkippedSteps` consecutive skipped steps.
   */
  skip(step: number, what: 'loss' | 'gradient'): void {
    this.restore();
    this.skipped++;
    this.consecutive++;
    console.warn(`yolov2-ts train: step ${step} skipped: non-finite ${what} (${this.skipped} skipped so far, ${this.consecutive} in a row)`);
    if (this.consecutive >= this.maxSkippedSteps) {
      throw new TrainingError(
        `train: stopped at step ${step}: ${this.consecutive} steps in a row had a non-finite loss or gradient ` +
          `('maxSkippedSteps' ${this.maxSkippedSteps}); the model and optimizer hold the state of the last good step. ` +
          'Try a lower learning rate (or a longer warm-up), gradient clipping (clipGradNorm), and check the data ' +
          '(NaN or Inf pixels, boxes outside the image)',
      );
    }
  }

  /** Free the copies. */
  dispose(): void {
    this.release();
  }

  private release(): void {
    if (this.saved) tf.dispose(this.saved);
    this.saved = null;
  }
}
