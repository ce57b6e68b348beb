/**
 * Learning-rate schedules of the training records and of darknet: warm-up (linear, or darknet's
 * power-4 burn-in) followed by a constant, MultiStep or cosine schedule. Pure functions of the
 * iteration number.
 *
 * @packageDocumentation
 */
import { ValueError } from '../errors.js';
import { assertNumber, assertOneOf } from '../validate.js';

/** Warm-up at the start of training. */
export interface WarmupConfig {
  /** Length of the warm-up in epochs (may be fractional). */
  epochs: number;
  /**
   * `'linear'` (the training records): `lr · (it + 1) / W` for iteration `it < W`.
   * `'burn-in'` (darknet): `lr · (it / W)^power`, power 4 by default.
   */
  mode?: 'linear' | 'burn-in';
  /** Exponent of the burn-in, default 4. */
  power?: number;
}

/** After warm-up: keep the base rate, decay at milestones, or follow a cosine. */
export type DecayConfig =
  | { type: 'constant' }
  /** Multiply by `gamma` at each milestone epoch (PyTorch's MultiStepLR). */
  | { type: 'multistep'; milestones: number[]; gamma?: number }
  /** Cosine from the base rate to `minLr` over `epochs` epochs (warm-up included). */
  | { type: 'cosine'; epochs: number; minLr?: number };

/** A complete learning-rate schedule. */
export interface LrSchedule {
  /** Base learning rate, e.g. 1e-3 (the training records). */
  lr: number;
  /** Optional warm-up; none by default. */
  warmup?: WarmupConfig;
  /** The decay after warm-up; `{ type: 'constant' }` by default. */
  decay?: DecayConfig;
}

/** The training records' schedule: lr 1e-3, 5 linear warm-up epochs, MultiStep [60, 90, 110] γ 0.1. */
export const RECORDS_SCHEDULE: LrSchedule = Object.freeze({
  lr: 1e-3,
  warmup: { epochs: 5, mode: 'linear' },
  decay: { type: 'multistep', milestones: [60, 90, 110], gamma: 0.1 },
}) as LrSchedule;

/** Check a schedule once, at the boundary. */
export function validateSchedule(s: LrSchedule): void {
  const fn = 'LrSchedule';
  assertNumber(fn, 'lr', s?.lr, { min: 0 });
  if (s.warmup) {
    assertNumber(fn, 'warmup.epochs', s.warmup.epochs, { min: 0 });
    assertOneOf(fn, 'warmup.mode', s.warmup.mode ?? 'linear', ['linear', 'burn-in'] as const);
    assertNumber(fn, 'warmup.power', s.warmup.power ?? 4, { min: 0, minOpen: true });
  }
  const d = s.decay ?? { type: 'constant' };
  assertOneOf(fn, 'decay.type', d.type, ['constant', 'multistep', 'cosine'] as const);
  if (d.type === 'multistep') {
    if (!Array.isArray(d.milestones)) throw new ValueError(`${fn}: 'decay.milestones' must be an array of epochs`);
    d.milestones.forEach((m, i) => assertNumber(fn, `decay.milestones[${i}]`, m, { min: 0 }));
    assertNumber(fn, 'decay.gamma', d.gamma ?? 0.1, { min: 0 });
  } else if (d.type === 'cosine') {
    assertNumber(fn, 'decay.epochs', d.epochs, { min: 0, minOpen: true });
    assertNumber(fn, 'decay.minLr', d.minLr ?? 0, { min: 0 });
  }
}

/**
 * The learning rate at a given iteration.
 *
 * @param iteration 0-based optimizer step.
 * @param iterationsPerEpoch optimizer steps per epoch (> 0); epochs in the schedule are converted with it.
 * @param schedule the schedule.
 * @returns the learning rate for that step.
 */
export function learningRateAt(iteration: number, iterationsPerEpoch: number, schedule: LrSchedule): number {
  const { lr, warmup, decay = { type: 'constant' } } = schedule;
  const epoch = iteration / iterationsPerEpoch;
  let factor = 1;
  if (decay.type === 'multistep') {
    const passed = decay.milestones.filter((m) => epoch >= m).length;
    factor = (decay.gamma ?? 0.1) ** passed;
  } else if (decay.type === 'cosine') {
    const minLr = decay.minLr ?? 0;
    const t = Math.min(1, epoch / decay.epochs);
    const cos = minLr + (lr - minLr) * 0.5 * (1 + Math.cos(Math.PI * t));
    factor = lr > 0 ? cos / lr : 0;
  }
  if (warmup && warmup.epochs > 0) {
    const w = warmup.epochs * iterationsPerEpoch;
    if (iteration < w) {
      factor *= warmup.mode === 'burn-in' ? (iteration / w) ** (warmup.power ?? 4) : (iteration + 1) / w;
    }
  }
  return lr * factor;
}
