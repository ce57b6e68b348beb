/**
 * Detection augmentations, darknet style, with the boxes moved, clipped and dropped alongside.
 *
 * One augmentation is a per-axis affine map from source pixels to the canvas (`X = a·x + b`), so pixels
 * and boxes move by the same arithmetic:
 * 1. **crop jitter** (`jitter`, default 0.3): each side of the crop window moves by `U(−jitter, jitter)`
 *    of the image side (darknet's `pleft, pright, ptop, pbot`); the window may extend past the image
 *    (that part is `fill`).
 * 2. **placement** of the crop in the `W × H` canvas: `'random'` (default) keeps the crop's aspect ratio,
 *    scales it to fit times `U(placeScale)` and puts it at a uniform random offset in the free space;
 *    `'letterbox'` fits and centres it; `'stretch'` fills the canvas (darknet v2).
 * 3. **horizontal flip** with probability `flip` (0.5).
 * 4. **HSV distortion** (darknet's `random_distort_image`): hue shift `U(−hue, hue)` of the full circle
 *    (hue 0.1), saturation and value multiplied by `rand_scale(saturation)` / `rand_scale(exposure)`
 *    (1.5 each), where `rand_scale(s)` is `U(1, s)`, inverted with probability ½; clamped to 0…1.
 *
 * Pixels are bilinearly sampled at pixel centres (edge pixels replicated up to the image border); canvas
 * pixels whose centre falls outside the visible part of the image get `fill` (0.5 grey) before the HSV
 * step, as in darknet. Boxes (continuous pixel corners) are mapped, clipped to the visible region and
 * dropped when narrower or shorter than `minBoxPixels` (1 canvas pixel) — "boxes that vanish".
 *
 * @packageDocumentation
 */
import { letterboxParams } from '../../letterbox.js';
import { ValueError } from '../../errors.js';
import { assertKnownKeys, assertNumber } from '../../validate.js';
import type { RGBImage, SampleObject } from './datasets.js';
import type { Rng } from './rng.js';
import { type AugmentParams, renderAugmented } from './augment-render.js';

export type { AugmentParams } from './augment-render.js';
export { distortHSV, renderAugmented } from './augment-render.js';

/** Augmentation options (defaults in brackets: the training records' darknet config). */
export interface AugmentOptions {
  /** Crop jitter as a fraction of each side [0.3]; 0 = no crop. */
  jitter?: number;
  /** How the crop lands in the canvas ['random']. */
  placement?: 'random' | 'letterbox' | 'stretch';
  /** With `placement: 'random'`, the fitted crop is scaled by `U(lo, hi)` [[0.6, 1]]. */
  placeScale?: readonly [number, number];
  /** Probability of a horizontal flip [0.5]. */
  flip?: number;
  /** Hue shift range, fraction of the hue circle [0.1]. */
  hue?: number;
  /** Saturation scale bound (≥ 1) [1.5]. */
  saturation?: number;
  /** Exposure (value) scale bound (≥ 1) [1.5]. */
  exposure?: number;
  /** Grey level 0…1 outside the image [0.5]. */
  fill?: number;
  /** Boxes narrower or shorter than this many canvas pixels after clipping are dropped [1]. */
  minBoxPixels?: number;
}

/** Options with defaults applied. */
export type ResolvedAugmentOptions = Required<Omit<AugmentOptions, 'placeScale'>> & { placeScale: [number, number] };

/** The darknet-style defaults (jitter 0.3, hue 0.1, saturation 1.5, exposure 1.5, flip 0.5). */
export const DEFAULT_AUGMENT: Readonly<ResolvedAugmentOptions> = Object.freeze({
  jitter: 0.3,
  placement: 'random',
  placeScale: [0.6, 1] as [number, number],
  flip: 0.5,
  hue: 0.1,
  saturation: 1.5,
  exposure: 1.5,
  fill: 0.5,
  minBoxPixels: 1,
});

/** Validate and fill in {@link AugmentOptions}. */
export function resolveAugmentOptions(options: AugmentOptions = {}, fn = 'augment'): ResolvedAugmentOptions {
  assertKnownKeys(fn, 'augment', options, Object.keys(DEFAULT_AUGMENT));
  const o = { ...DEFAULT_AUGMENT, ...options } as ResolvedAugmentOptions;
  assertNumber(fn, 'jitter', o.jitter, { min: 0, max: 0.9 });
  if (!['random', 'letterbox', 'stretch'].includes(o.placement)) {
    throw new ValueError(`${fn}: 'placement' must be 'random', 'letterbox' or 'stretch', got ${JSON.stringify(o.placement)}`);
  }
  const ps = o.placeScale;
  if (!Array.isArray(ps) || ps.length !== 2) {
    throw new ValueError(`${fn}: 'placeScale' must be [lo, hi], got ${JSON.stringify(ps)}`);
  }
  assertNumber(fn, 'placeScale[0]', ps[0], { min: 0, max: 1, minOpen: true });
  assertNumber(fn, 'placeScale[1]', ps[1], { min: ps[0], max: 1 });
  assertNumber(fn, 'flip', o.flip, { min: 0, max: 1 });
  assertNumber(fn, 'hue', o.hue, { min: 0, max: 0.5 });
  assertNumber(fn, 'saturation', o.saturation, { min: 1 });
  assertNumber(fn, 'exposure', o.exposure, { min: 1 });
  assertNumber(fn, 'fill', o.fill, { min: 0, max: 1 });
  assertNumber(fn, 'minBoxPixels', o.minBoxPixels, { min: 0 });
  return { ...o, placeScale: [ps[0], ps[1]] };
}

function randScale(rng: Rng, s: number): number {
  const scale = rng.uniform(1, s);
  return rng.next() < 0.5 ? scale : 1 / scale;
}

/**
 * Geometry of a crop window `[cx0, cx1] × [cy0, cy1]` (source pixels) placed at `[px, px+pw] × [py, py+ph]`
 * (canvas pixels), optionally flipped.
 */
export function placementParams(
  srcWidth: number,
  srcHeight: number,
  canvasWidth: number,
  canvasHeight: number,
  crop: readonly [number, number, number, number],
  place: readonly [number, number, number, number],
  flip = false,
): AugmentParams {
  const [cx0, cy0, cx1, cy1] = crop;
  const [px, py, pw, ph] = place;
  const ax = pw / (cx1 - cx0);
  const ay = ph / (cy1 - cy0);
  let bx = px - ax * cx0;
  const by = py - ay * cy0;
  // visible: canvas ∩ placed window ∩ mapped image
  let vx0 = Math.max(0, px, bx);
  let vx1 = Math.min(canvasWidth, px + pw, ax * srcWidth + bx);
  const vy0 = Math.max(0, py, by);
  const vy1 = Math.min(canvasHeight, py + ph, ay * srcHeight + by);
  let a = ax;
  if (flip) {
    a = -ax;
    bx = canvasWidth - bx;
    [vx0, vx1] = [canvasWidth - vx1, canvasWidth - vx0];
  }
  return {
    canvasWidth,
    canvasHeight,
    ax: a,
    bx,
    ay,
    by,
    visible: [vx0, vy0, Math.max(vx0, vx1), Math.max(vy0, vy1)],
    flip,
    hue: 0,
    saturation: 1,
    exposure: 1,
  };
}

/**
 * No augmentation: the whole image letterboxed — the evaluation transform. The geometry is the core's
 * {@link letterboxParams} (resized size rounded, padding `⌊(canvas − size) / 2⌋`), so `undoLetterbox` with the
 * same parameters inverts it exactly.
 */
export function letterboxPlacement(srcWidth: number, srcHeight: number, canvasWidth: number, canvasHeight = canvasWidth): AugmentParams {
  const g = letterboxParams(srcWidth, srcHeight, { width: canvasWidth, height: canvasHeight });
  return placementParams(srcWidth, srcHeight, canvasWidth, canvasHeight, [0, 0, srcWidth, srcHeight], [g.padX, g.padY, g.newW, g.newH]);
}

/** Draw one augmentation for a `srcWidth × srcHeight` image into a `canvasWidth × canvasHeight` canvas. */
export function sampleAugmentation(
  rng: Rng,
  srcWidth: number,
  srcHeight: number,
  canvasWidth: number,
  canvasHeight: number,
  options: AugmentOptions | ResolvedAugmentOptions = {},
): AugmentParams {
  const o = resolveAugmentOptions(options, 'sampleAugmentation');
  const dw = o.jitter * srcWidth;
  const dh = o.jitter * srcHeight;
  const pleft = rng.uniform(-dw, dw);
  const pright = rng.uniform(-dw, dw);
  const ptop = rng.uniform(-dh, dh);
  const pbot = rng.uniform(-dh, dh);
  const crop: [number, number, number, number] = [pleft, ptop, srcWidth - pright, srcHeight - pbot];
  const cw = crop[2] - crop[0];
  const ch = crop[3] - crop[1];
  let place: [number, number, number, number];
  if (o.placement === 'stretch') {
    place = [0, 0, canvasWidth, canvasHeight];
  } else {
    const fit = Math.min(canvasWidth / cw, canvasHeight / ch) * (o.placement === 'random' ? rng.uniform(o.placeScale[0], o.placeScale[1]) : 1);
    const pw = cw * fit;
    const ph = ch * fit;
    const px = o.placement === 'random' ? rng.uniform(0, canvasWidth - pw) : (canvasWidth - pw) / 2;
    const py = o.placement === 'random' ? rng.uniform(0, canvasHeight - ph) : (canvasHeight - ph) / 2;
    place = [px, py, pw, ph];
  }
  const flip = rng.next() < o.flip;
  const p = placementParams(srcWidth, srcHeight, canvasWidth, canvasHeight, crop, place, flip);
  p.hue = rng.uniform(-o.hue, o.hue);
  p.saturation = randScale(rng, o.saturation);
  p.exposure = randScale(rng, o.exposure);
  return p;
}

/**
 * Move pixel boxes through the geometry of `p`, clip them to the visible region, drop those narrower or
 * shorter than `minBoxPixels`. Returned boxes are canvas pixel corners; `kept[i]` is the index of the
 * source object that output `i` came from.
 */
export function transformBoxes(
  objects: readonly SampleObject[],
  p: AugmentParams,
  minBoxPixels = 1,
): { objects: SampleObject[]; kept: number[]; dropped: number } {
  const out: SampleObject[] = [];
  const kept: number[] = [];
  let dropped = 0;
  const [vx0, vy0, vx1, vy1] = p.visible;
  objects.forEach((o, i) => {
    const xa = p.ax * o.box[0] + p.bx;
    const xb = p.ax * o.box[2] + p.bx;
    const x1 = Math.max(vx0, Math.min(xa, xb));
    const x2 = Math.min(vx1, Math.max(xa, xb));
    const y1 = Math.max(vy0, p.ay * o.box[1] + p.by);
    const y2 = Math.min(vy1, p.ay * o.box[3] + p.by);
    if (x2 - x1 < minBoxPixels || y2 - y1 < minBoxPixels || x2 <= x1 || y2 <= y1) {
      dropped++;
      return;
    }
    const t: SampleObject = { classId: o.classId, box: [x1, y1, x2, y2] };
    if (o.difficult !== undefined) t.difficult = o.difficult;
    out.push(t);
    kept.push(i);
  });
  return { objects: out, kept, dropped };
}

/**
 * Augment one sample into a canvas: sample the parameters from `rng`, render into `out` (or a new
 * array), transform the boxes.
 */
export function augmentSample(
  image: RGBImage,
  objects: readonly SampleObject[],
  rng: Rng,
  canvasWidth: number,
  canvasHeight = canvasWidth,
  options: AugmentOptions = {},
  out?: Float32Array,
  offset = 0,
): { image: Float32Array; objects: SampleObject[]; dropped: number; params: AugmentParams } {
  const o = resolveAugmentOptions(options, 'augmentSample');
  const params = sampleAugmentation(rng, image.width, image.height, canvasWidth, canvasHeight, o);
  const buf = out ?? new Float32Array(canvasWidth * canvasHeight * 3);
  renderAugmented(image, params, buf, offset, o.fill);
  const t = transformBoxes(objects, params, o.minBoxPixels);
  return { image: buf, objects: t.objects, dropped: t.dropped, params };
}
