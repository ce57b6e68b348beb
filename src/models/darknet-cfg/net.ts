/**
 * `[net]` → training configuration: input size, batch and accumulation, SGD, the learning-rate schedule,
 * multi-scale training and the augmentation, with every setting the library cannot reproduce listed.
 *
 * @packageDocumentation
 */
import { ValueError, describe } from '../../errors.js';
import type { DecayConfig, LrSchedule } from '../../train/schedule.js';
import type { SGDConfig } from '../../train/sgd.js';
import { assertKnownKeys, assertNumber } from '../../validate.js';
import type { NetOptions, RegionOptions } from './schema.js';

/** The photometric and geometric augmentation of a cfg, in the BatchLoader's terms (`AugmentOptions` of yolov2-ts/node). */
export interface CfgAugmentation {
  /** Crop jitter, fraction of each side (`[region] jitter`); absent without a region. */
  jitter?: number;
  /** Hue shift range, fraction of the hue circle (`hue`). */
  hue: number;
  /** Saturation scale bound ≥ 1 (`saturation`; darknet treats s and 1/s alike). */
  saturation: number;
  /** Exposure scale bound ≥ 1 (`exposure`; s and 1/s alike). */
  exposure: number;
}

/** The result of {@link trainingConfigFromNet}. */
export interface DarknetTrainingConfig {
  /** Network input `[height, width]` in pixels. */
  inputSize: [height: number, width: number];
  /** Images per optimizer step (`batch`). */
  batchSize: number;
  /** Images per forward/backward pass (`batch / subdivisions`). */
  microBatch: number;
  /** Micro-batches accumulated per optimizer step (`subdivisions`). */
  accumulation: number;
  /** SGD: `momentum`, and `decay` as weightDecay. */
  sgd: Required<Pick<SGDConfig, 'momentum' | 'weightDecay'>>;
  /** The schedule, epochs measured with `iterationsPerEpoch` (burn_in/power → burn-in warm-up; policy). */
  schedule: LrSchedule;
  /** Optimizer steps to train (`max_batches`). */
  maxIterations: number;
  /** Multi-scale training (`[region] random=1`). */
  multiScale: boolean;
  /** The augmentation. */
  augment: CfgAugmentation;
  /** Settings present in the cfg that this configuration does not reproduce, as `key=value (why)`. */
  unsupported: string[];
}

/** Options of {@link trainingConfigFromNet}. */
export interface TrainingConfigOptions {
  /** The cfg's `[region]` (for jitter and random), when it has one. */
  region?: RegionOptions | null;
  /** Optimizer steps per epoch, to express darknet's iteration counts in the schedule's epochs; default 1. */
  iterationsPerEpoch?: number;
}

function decayOf(net: NetOptions, ipe: number, unsupported: string[]): { lrScale: number; decay: DecayConfig } {
  const constant: DecayConfig = { type: 'constant' };
  if (net.policy === 'constant') return { lrScale: 1, decay: constant };
  if (net.policy === 'step') {
    const milestones: number[] = [];
    for (let it = net.step; it < net.max_batches && net.step > 0; it += net.step) milestones.push(it / ipe);
    return { lrScale: 1, decay: { type: 'multistep', milestones, gamma: net.scale } };
  }
  if (net.policy === 'steps') {
    const steps = net.steps ?? [];
    const scales = net.scales ?? [];
    if (steps.length !== scales.length) {
      unsupported.push(`steps/scales (${steps.length} steps but ${scales.length} scales; schedule kept constant)`);
      return { lrScale: 1, decay: constant };
    }
    // darknet applies every scale whose step is ≤ the iteration: steps ≤ 0 act from the start
    const lrScale = scales.filter((_, k) => steps[k] <= 0).reduce((p, s) => p * s, 1);
    const later = steps.map((s, k) => [s, scales[k]] as const).filter(([s]) => s > 0);
    if (later.length === 0) return { lrScale, decay: constant };
    const gamma = later[0][1];
    if (later.some(([, g]) => g !== gamma)) {
      unsupported.push(`scales=${scales.join(',')} (unequal scales; the multistep schedule has one gamma; schedule kept constant)`);
      return { lrScale, decay: constant };
    }
    return { lrScale, decay: { type: 'multistep', milestones: later.map(([s]) => s / ipe), gamma } };
  }
  unsupported.push(`policy=${net.policy} (supported: constant, step, steps; schedule kept constant)`);
  return { lrScale: 1, decay: constant };
}

/**
 * Read a cfg's `[net]` (and `[region]`) as a training configuration: input size, batch / subdivisions
 * (→ micro-batch and accumulation), momentum and decay (→ SGD), learning_rate, burn_in and power (→ a
 * burn-in warm-up), policy with steps/scales or step/scale (→ multistep), max_batches, `[region]`
 * jitter and random (→ crop jitter, multi-scale), hue/saturation/exposure (→ augmentation).
 *
 * Settings it cannot reproduce are listed in `unsupported` (angle, aspect, max_crop/min_crop, policies
 * other than constant/step/steps, unequal step scales), never dropped silently; keys unknown to the parser
 * are listed by {@link parseDarknetCfg} itself.
 *
 * @throws ValueError when `net` is not a parsed `[net]` or the options are malformed.
 */
export function trainingConfigFromNet(net: NetOptions, options: TrainingConfigOptions = {}): DarknetTrainingConfig {
  const fn = 'trainingConfigFromNet';
  if (net === null || typeof net !== 'object' || typeof net.learning_rate !== 'number') {
    throw new ValueError(`${fn}: 'net' must be the [net] options of a parsed cfg (modelFromDarknetCfg(...).net), got ${describe(net)}`);
  }
  assertKnownKeys(fn, 'options', options, ['region', 'iterationsPerEpoch']);
  const ipe = options.iterationsPerEpoch ?? 1;
  assertNumber(fn, 'iterationsPerEpoch', ipe, { min: 0, minOpen: true });
  if (!(net.batch >= 1 && net.subdivisions >= 1 && net.batch % net.subdivisions === 0)) {
    throw new ValueError(`${fn}: [net] batch (${net.batch}) must be a multiple of subdivisions (${net.subdivisions}), both ≥ 1`);
  }
  const unsupported: string[] = [];
  if (net.angle !== 0) unsupported.push(`angle=${net.angle} (no rotation augmentation)`);
  if (net.aspect !== 1) unsupported.push(`aspect=${net.aspect} (no aspect augmentation)`);
  if (net.max_crop !== undefined) unsupported.push(`max_crop=${net.max_crop} (classifier crops)`);
  if (net.min_crop !== undefined) unsupported.push(`min_crop=${net.min_crop} (classifier crops)`);
  const { lrScale, decay } = decayOf(net, ipe, unsupported);
  const schedule: LrSchedule = { lr: net.learning_rate * lrScale, decay };
  if (net.burn_in > 0) schedule.warmup = { epochs: net.burn_in / ipe, mode: 'burn-in', power: net.power };
  const bound = (s: number) => (s > 0 && s < 1 ? 1 / s : s);
  const region = options.region ?? null;
  return {
    inputSize: [net.height, net.width],
    batchSize: net.batch,
    microBatch: net.batch / net.subdivisions,
    accumulation: net.subdivisions,
    sgd: { momentum: net.momentum, weightDecay: net.decay },
    schedule,
    maxIterations: net.max_batches,
    multiScale: region ? region.random : false,
    augment: { ...(region ? { jitter: region.jitter } : {}), hue: net.hue, saturation: bound(net.saturation), exposure: bound(net.exposure) },
    unsupported,
  };
}
