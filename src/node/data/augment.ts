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

/**
 * One sampled augmentation, as plain data (loggable, replayable). The geometry is
 * `X = ax·x + bx`, `Y = ay·y + by` from source pixels to canvas pixels (ax < 0 when flipped); the image
 * is visible in the canvas rectangle `visible = [x1, y1, x2, y2]`.
 */
export interface AugmentParams {
  canvasWidth: number;
  canvasHeight: number;
  ax: number;
  bx: number;
  ay: number;
  by: number;
  visible: [number, number, number, number];
  flip: boolean;
  /** Hue shift (fraction of the circle), saturation and exposure factors; 0, 1, 1 = none. */
  hue: number;
  saturation: number;
  exposure: number;
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
 * Render `image` through `p` into `out` (float32 HWC, 0…1) at `offset`: bilinear sampling, `fill` outside
 * the visible region, then the HSV distortion of `p`. `out` needs `offset + W·H·3` values.
 */
export function renderAugmented(image: RGBImage, p: AugmentParams, out: Float32Array, offset = 0, fill = 0.5): Float32Array {
  const { canvasWidth: W, canvasHeight: H } = p;
  if (out.length < offset + W * H * 3) {
    throw new ValueError(`renderAugmented: 'out' must hold offset + ${W * H * 3} values, got length ${out.length}`);
  }
  const { width: sw, height: sh, data: src } = image;
  const [vx0, vy0, vx1, vy1] = p.visible;
  // per-column source index pairs and weights (−1: outside the visible region)
  const cx0 = new Int32Array(W);
  const cx1 = new Int32Array(W);
  const wx = new Float32Array(W);
  for (let u = 0; u < W; u++) {
    const c = u + 0.5;
    if (c < vx0 || c >= vx1) {
      cx0[u] = -1;
      continue;
    }
    let sx = (c - p.bx) / p.ax - 0.5;
    sx = Math.min(sw - 1, Math.max(0, sx));
    const x0 = Math.min(sw - 1, Math.floor(sx));
    cx0[u] = x0 * 3;
    cx1[u] = Math.min(sw - 1, x0 + 1) * 3;
    wx[u] = sx - x0;
  }
  const k = 1 / 255;
  const hsv = p.hue !== 0 || p.saturation !== 1 || p.exposure !== 1;
  const dh = p.hue * 6;
  const sat = p.saturation;
  const exp = p.exposure;
  // the fill colour after the HSV step (grey: only the exposure acts)
  const f = hsv ? Math.min(1, fill * exp) : fill;
  for (let v = 0; v < H; v++) {
    let o = offset + v * W * 3;
    const c = v + 0.5;
    if (c < vy0 || c >= vy1) {
      out.fill(f, o, o + W * 3);
      continue;
    }
    let sy = (c - p.by) / p.ay - 0.5;
    sy = Math.min(sh - 1, Math.max(0, sy));
    const y0 = Math.min(sh - 1, Math.floor(sy));
    const fy = sy - y0;
    const r0 = y0 * sw * 3;
    const r1 = Math.min(sh - 1, y0 + 1) * sw * 3;
    for (let u = 0; u < W; u++, o += 3) {
      const a = cx0[u];
      if (a < 0) {
        out[o] = f;
        out[o + 1] = f;
        out[o + 2] = f;
        continue;
      }
      const b = cx1[u];
      const fx = wx[u];
      const ta = r0 + a;
      const tb = r0 + b;
      const ba = r1 + a;
      const bb = r1 + b;
      let t = src[ta] + (src[tb] - src[ta]) * fx;
      let d = src[ba] + (src[bb] - src[ba]) * fx;
      const R = (t + (d - t) * fy) * k;
      t = src[ta + 1] + (src[tb + 1] - src[ta + 1]) * fx;
      d = src[ba + 1] + (src[bb + 1] - src[ba + 1]) * fx;
      const G = (t + (d - t) * fy) * k;
      t = src[ta + 2] + (src[tb + 2] - src[ta + 2]) * fx;
      d = src[ba + 2] + (src[bb + 2] - src[ba + 2]) * fx;
      const B = (t + (d - t) * fy) * k;
      if (hsv) {
        hsvPixel(out, o, R, G, B, dh, sat, exp);
      } else {
        out[o] = R;
        out[o + 1] = G;
        out[o + 2] = B;
      }
    }
  }
  return out;
}

/** HSV distortion of one pixel, written to out[o…o+2]; `dh` in sextants (hue · 6). */
function hsvPixel(out: Float32Array, o: number, r: number, g: number, b: number, dh: number, sat: number, exp: number): void {
  const max = r > g ? (r > b ? r : b) : g > b ? g : b;
  const min = r < g ? (r < b ? r : b) : g < b ? g : b;
  const v = max * exp;
  const delta = max - min;
  if (delta <= 0 || max <= 0) {
    // grey: hue and saturation do nothing
    const c = v > 1 ? 1 : v;
    out[o] = c;
    out[o + 1] = c;
    out[o + 2] = c;
    return;
  }
  const s = (delta / max) * sat;
  let h: number;
  if (r === max) h = (g - b) / delta;
  else if (g === max) h = 2 + (b - r) / delta;
  else h = 4 + (r - g) / delta;
  // h in [−1, 5) sextants; shift and wrap into [0, 6) (|dh| < 6 so one step is enough)
  h += dh;
  if (h < 0) h += 6;
  if (h < 0) h += 6;
  if (h >= 6) h -= 6;
  if (h >= 6) h -= 6;
  const idx = h | 0;
  const fr = h - idx;
  const p = v * (1 - s);
  const q = v * (1 - s * fr);
  const t = v * (1 - s * (1 - fr));
  let rr: number, gg: number, bb: number;
  switch (idx) {
    case 0: rr = v; gg = t; bb = p; break;
    case 1: rr = q; gg = v; bb = p; break;
    case 2: rr = p; gg = v; bb = t; break;
    case 3: rr = p; gg = q; bb = v; break;
    case 4: rr = t; gg = p; bb = v; break;
    default: rr = v; gg = p; bb = q; break;
  }
  out[o] = rr < 0 ? 0 : rr > 1 ? 1 : rr;
  out[o + 1] = gg < 0 ? 0 : gg > 1 ? 1 : gg;
  out[o + 2] = bb < 0 ? 0 : bb > 1 ? 1 : bb;
}

/**
 * darknet's HSV distortion in place on `n` float RGB pixels (0…1) at `offset`: h += hue (wrapping),
 * s *= saturation, v *= exposure (both unclamped), then back to RGB clamped to 0…1 (darknet's
 * `constrain_image`). {@link renderAugmented} applies the same per-pixel step fused with sampling.
 */
export function distortHSV(data: Float32Array, offset: number, n: number, hue: number, saturation: number, exposure: number): void {
  const dh = hue * 6;
  for (let i = 0, o = offset; i < n; i++, o += 3) hsvPixel(data, o, data[o], data[o + 1], data[o + 2], dh, saturation, exposure);
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
