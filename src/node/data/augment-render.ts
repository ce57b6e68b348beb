/**
 * The pixel side of an augmentation: the {@link AugmentParams} one augmentation applies, and rendering a
 * source image through them (bilinear sampling at pixel centres, `fill` outside the visible region, then
 * darknet's HSV distortion). Sampling the parameters and moving the boxes is `augment.ts`.
 *
 * @packageDocumentation
 */
import { ValueError } from '../../errors.js';
import type { RGBImage } from './rgb-image.js';

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

