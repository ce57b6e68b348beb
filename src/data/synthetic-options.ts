/**
 * Options of the synthetic shapes generator ({@link generateSyntheticSample}) and their validation.
 * Browser-safe: plain numbers, no Node.
 *
 * @packageDocumentation
 */
import { ValueError } from '../errors.js';
import { assertKnownKeys, assertNumber } from '../validate.js';

/** Options of the generator (all optional; defaults in brackets). */
export interface SyntheticOptions {
  /** Image width in pixels [416]. */
  width?: number;
  /** Image height in pixels [= width]. */
  height?: number;
  /** Fewest objects per image [1]. */
  minObjects?: number;
  /** Most objects per image [6]. */
  maxObjects?: number;
  /** Smallest box side as a fraction of the image side [0.08]. */
  minSize?: number;
  /** Largest box side as a fraction of the image side [0.6]. */
  maxSize?: number;
  /** Largest IoU allowed between two objects' boxes [0.3]. */
  maxIoU?: number;
  /** Clutter lines per image, inclusive range [[2, 8]]. */
  clutterLines?: readonly [number, number];
  /** Amplitude of the uniform luminance noise in 0–255 levels [12]; 0 turns it off. */
  noise?: number;
  /** 'gradient' (default) or 'flat' (plain black; with noise 0 and no clutter it isolates the shapes). */
  background?: 'gradient' | 'flat';
  /**
   * Largest per-channel difference, in 0–255 levels, between the two end colours of a gradient
   * background [255: two independent random colours]. Smaller values give gentler gradients, on which a
   * shape's edge keeps its contrast all around.
   */
  gradientRange?: number;
  /**
   * Smallest colour distance (L1 over RGB, 0–765 levels) between a shape and the background at its box's
   * centre and four corners [90]. Colours are redrawn up to 20 times to meet it.
   */
  minContrast?: number;
  /**
   * Smallest fraction of each shape's pixels left visible by the shapes drawn over it [0: no limit, only
   * `maxIoU`]. With 0.5, a placement that would hide more than half of an earlier shape — or touch one
   * drawn in a colour closer than `minContrast`, so the two merge — is redrawn like one above `maxIoU`.
   * Without it, a small shape can vanish under a large one (IoU ≤ 0.3 allows that) and keep its label:
   * at the demo's settings 4 % of the objects are less than a quarter visible (docs/history.md).
   */
  minVisible?: number;
}

/** {@link SyntheticOptions} with every default filled in. */
export interface ResolvedSyntheticOptions {
  width: number;
  height: number;
  minObjects: number;
  maxObjects: number;
  minSize: number;
  maxSize: number;
  maxIoU: number;
  clutterLines: [number, number];
  noise: number;
  background: 'gradient' | 'flat';
  gradientRange: number;
  minContrast: number;
  minVisible: number;
}

/** The keys of {@link SyntheticOptions} (any other key is an error). */
export const SYNTHETIC_OPTION_KEYS: readonly string[] = Object.freeze(['width', 'height', 'minObjects', 'maxObjects', 'minSize', 'maxSize', 'maxIoU', 'clutterLines', 'noise', 'background', 'gradientRange', 'minContrast', 'minVisible']);

/** Validate and fill in the defaults of {@link SyntheticOptions}. */
export function resolveSyntheticOptions(options: SyntheticOptions = {}, fn = 'generateSyntheticSample'): Readonly<ResolvedSyntheticOptions> {
  assertKnownKeys(fn, 'options', options, SYNTHETIC_OPTION_KEYS);
  const width = options.width ?? 416;
  const height = options.height ?? width;
  assertNumber(fn, 'width', width, { min: 16, max: 8192, integer: true });
  assertNumber(fn, 'height', height, { min: 16, max: 8192, integer: true });
  const minObjects = options.minObjects ?? 1;
  const maxObjects = options.maxObjects ?? 6;
  assertNumber(fn, 'minObjects', minObjects, { min: 0, max: 1000, integer: true });
  assertNumber(fn, 'maxObjects', maxObjects, { min: minObjects, max: 1000, integer: true });
  const minSize = options.minSize ?? 0.08;
  const maxSize = options.maxSize ?? 0.6;
  assertNumber(fn, 'minSize', minSize, { min: 0, max: 1, minOpen: true });
  assertNumber(fn, 'maxSize', maxSize, { min: minSize, max: 1 });
  const maxIoU = options.maxIoU ?? 0.3;
  assertNumber(fn, 'maxIoU', maxIoU, { min: 0, max: 1 });
  const clutterLines = options.clutterLines ?? [2, 8];
  if (!Array.isArray(clutterLines) || clutterLines.length !== 2) {
    throw new ValueError(`${fn}: 'clutterLines' must be [min, max], got ${JSON.stringify(clutterLines)}`);
  }
  assertNumber(fn, 'clutterLines[0]', clutterLines[0], { min: 0, max: 1000, integer: true });
  assertNumber(fn, 'clutterLines[1]', clutterLines[1], { min: clutterLines[0], max: 1000, integer: true });
  const noise = options.noise ?? 12;
  assertNumber(fn, 'noise', noise, { min: 0, max: 255 });
  const background = options.background ?? 'gradient';
  if (background !== 'gradient' && background !== 'flat') {
    throw new ValueError(`${fn}: 'background' must be 'gradient' or 'flat', got ${JSON.stringify(background)}`);
  }
  const gradientRange = options.gradientRange ?? 255;
  assertNumber(fn, 'gradientRange', gradientRange, { min: 0, max: 255, integer: true });
  const minContrast = options.minContrast ?? 90;
  assertNumber(fn, 'minContrast', minContrast, { min: 0, max: 765 });
  const minVisible = options.minVisible ?? 0;
  assertNumber(fn, 'minVisible', minVisible, { min: 0, max: 1 });
  return { width, height, minObjects, maxObjects, minSize, maxSize, maxIoU, clutterLines: [clutterLines[0], clutterLines[1]], noise, background, gradientRange, minContrast, minVisible };
}
