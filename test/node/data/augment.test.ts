import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValueError } from '../../../src/errors.js';
import { letterboxParams, undoLetterbox } from '../../../src/letterbox.js';
import {
  type AugmentParams,
  DEFAULT_AUGMENT,
  augmentSample,
  distortHSV,
  letterboxPlacement,
  placementParams,
  renderAugmented,
  resolveAugmentOptions,
  sampleAugmentation,
  transformBoxes,
} from '../../../src/node/data/augment.js';
import type { RGBImage } from '../../../src/node/data/datasets.js';
import { Rng } from '../../../src/node/data/rng.js';
import { thrown } from '../../helpers.js';

/** Black image with a white rectangle over pixel columns x1…x2−1, rows y1…y2−1. */
function rectImage(width: number, height: number, box: number[]): RGBImage {
  const data = new Uint8Array(width * height * 3);
  const [x1, y1, x2, y2] = box;
  for (let y = y1; y < y2; y++) data.fill(255, (y * width + x1) * 3, (y * width + x2) * 3);
  return { width, height, data };
}

/** Extent (continuous corners) of canvas pixels whose first channel is ≥ threshold. */
function extent(out: Float32Array, W: number, H: number, threshold: number, offset = 0): number[] | null {
  let x1 = Infinity, y1 = Infinity, x2 = -Infinity, y2 = -Infinity;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      if (out[offset + (y * W + x) * 3] < threshold) continue;
      x1 = Math.min(x1, x); y1 = Math.min(y1, y); x2 = Math.max(x2, x + 1); y2 = Math.max(y2, y + 1);
    }
  }
  return x1 === Infinity ? null : [x1, y1, x2, y2];
}

/**
 * Greys stay grey under HSV: black and fill 0 stay 0, a grey g becomes min(1, g·e) with e the exposure
 * factor (≤ 1.5). Thresholding at e/2 (≤ 0.75) keeps exactly the pixels with g ≥ ½ — those whose centre maps
 * inside the box (bilinear) — so the extent is the transformed box within a pixel, whatever e is.
 */
function checkExtent(out: Float32Array, p: AugmentParams, box: number[] | null, offset = 0): void {
  const e = extent(out, p.canvasWidth, p.canvasHeight, 0.5 * p.exposure - 1e-6, offset);
  if (box === null) {
    expect(e).toBeNull();
    return;
  }
  expect(e).not.toBeNull();
  e!.forEach((v, i) => expect(Math.abs(v - box[i])).toBeLessThanOrEqual(1));
}

describe('geometry by hand', () => {
  it('horizontal flip: X = 100 − x; pixels mirrored exactly', () => {
    const img = rectImage(100, 80, [20, 10, 60, 50]);
    img.data[(5 * 100 + 3) * 3 + 1] = 77; // a marker at (3, 5), green channel
    const p = placementParams(100, 80, 100, 80, [0, 0, 100, 80], [0, 0, 100, 80], true);
    expect([p.ax, p.bx, p.ay, p.by]).toEqual([-1, 100, 1, 0]);
    expect(transformBoxes([{ classId: 2, box: [20, 10, 60, 50] }], p).objects).toEqual([{ classId: 2, box: [40, 10, 80, 50] }]);
    const out = renderAugmented(img, p, new Float32Array(100 * 80 * 3), 0, 0);
    for (let y = 0; y < 80; y++) {
      for (let x = 0; x < 100; x++) {
        for (let c = 0; c < 3; c++) {
          const want = img.data[(y * 100 + (99 - x)) * 3 + c] / 255;
          if (Math.abs(out[(y * 100 + x) * 3 + c] - want) > 1e-6) throw new Error(`(${x}, ${y}, ${c})`);
        }
      }
    }
    expect(out[(5 * 100 + 96) * 3 + 1]).toBeCloseTo(77 / 255, 6); // 99 − 3 = 96
  });

  it('letterbox: 200×100 into 64×64 → scale 0.32, rows 0…15 and 48…63 fill, box (50,25,150,75) → (16,24,48,40)', () => {
    const p = letterboxPlacement(200, 100, 64);
    expect(p.ax).toBeCloseTo(0.32, 12);
    expect(p.ay).toBeCloseTo(0.32, 12);
    expect([p.bx, p.by]).toEqual([0, 16]);
    expect(p.visible).toEqual([0, 16, 64, 48]);
    const t = transformBoxes([{ classId: 0, box: [50, 25, 150, 75] }], p).objects[0].box;
    [16, 24, 48, 40].forEach((v, i) => expect(t[i]).toBeCloseTo(v, 10));
    const out = renderAugmented(rectImage(200, 100, [50, 25, 150, 75]), p, new Float32Array(64 * 64 * 3), 0, 0.5);
    for (const y of [0, 15, 48, 63]) expect(out[(y * 64 + 10) * 3]).toBe(0.5);
    expect(out[(16 * 64 + 2) * 3]).toBe(0); // first image row, black
    expect(extent(out, 64, 64, 0.75)).toEqual([16, 24, 48, 40]);
  });

  it('letterboxPlacement is letterboxParams: 100×200 into 63×63 → 32×63 at left 15, and undoLetterbox inverts it', () => {
    // scale 63/200 = 0.315; the free side 100 · 0.315 = 31.5 rounds to 32; left = ⌊(63 − 32) / 2⌋ = 15
    const p = letterboxPlacement(100, 200, 63);
    const g = letterboxParams(100, 200, 63);
    expect([g.newW, g.newH, g.padX, g.padY]).toEqual([32, 63, 15, 0]);
    expect(p.ax).toBe(32 / 100);
    expect(p.ay).toBe(63 / 200);
    expect([p.bx, p.by]).toEqual([15, 0]);
    expect(p.visible).toEqual([15, 0, 47, 63]);
    // box (10, 20, 60, 180) → x' = 15 + 0.32 x, y' = 0.315 y → (18.2, 6.3, 34.2, 56.7); undone in pixels it is the box again
    const t = transformBoxes([{ classId: 0, box: [10, 20, 60, 180] }], p).objects[0].box;
    [18.2, 6.3, 34.2, 56.7].forEach((v, i) => expect(t[i]).toBeCloseTo(v, 10));
    undoLetterbox([t], g, { units: 'pixels' })[0].forEach((v, i) => expect(v).toBeCloseTo([10, 20, 60, 180][i], 10));
  });

  it('crop window past the image edge: the outside is fill and boxes clip to the visible part', () => {
    // crop (−50, 0)…(50, 100) of a 100×100 image placed on a 100×100 canvas: X = x + 50, visible x ∈ [50, 100]
    const p = placementParams(100, 100, 100, 100, [-50, 0, 50, 100], [0, 0, 100, 100]);
    expect(p.visible).toEqual([50, 0, 100, 100]);
    const t = transformBoxes([{ classId: 0, box: [30, 10, 70, 20] }, { classId: 1, box: [60, 10, 90, 20] }], p);
    expect(t.objects).toEqual([{ classId: 0, box: [80, 10, 100, 20] }]); // (80, 10, 120, 20) clipped; second is cropped away
    expect(t.kept).toEqual([0]);
    expect(t.dropped).toBe(1);
    const out = renderAugmented(rectImage(100, 100, [30, 10, 70, 20]), p, new Float32Array(100 * 100 * 3), 0, 0.25);
    expect(out[(50 * 100 + 10) * 3]).toBe(0.25);
    expect(extent(out, 100, 100, 0.5)).toEqual([80, 10, 100, 20]);
  });

  it('boxes thinner than minBoxPixels after clipping are dropped', () => {
    const p = placementParams(100, 100, 100, 100, [0, 0, 100, 100], [0, 0, 50, 50]); // scale ½
    const objs = [{ classId: 0, box: [10, 10, 11.5, 40] as [number, number, number, number] }]; // 0.75 px wide on the canvas
    expect(transformBoxes(objs, p, 1).dropped).toBe(1);
    expect(transformBoxes(objs, p, 0.5).objects).toHaveLength(1);
  });
});

describe('boxes stay right after every augmentation (pixel extent vs transformed box)', () => {
  const modes: Record<string, Parameters<typeof resolveAugmentOptions>[0]> = {
    'crop jitter (stretch)': { jitter: 0.3, placement: 'stretch', flip: 0, hue: 0, saturation: 1, exposure: 1 },
    'random placing': { jitter: 0, placement: 'random', flip: 0, hue: 0, saturation: 1, exposure: 1 },
    'letterbox + flip': { jitter: 0, placement: 'letterbox', flip: 1, hue: 0, saturation: 1, exposure: 1 },
    'HSV only': { jitter: 0, placement: 'stretch', flip: 0 },
    'everything (defaults)': {},
  };
  for (const [name, opts] of Object.entries(modes)) {
    it(name, () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 0, max: 2 ** 31 }),
          fc.integer({ min: 24, max: 120 }),
          fc.integer({ min: 24, max: 120 }),
          fc.integer({ min: 32, max: 96 }),
          (seed, W, H, S) => {
            const rng = new Rng(seed);
            const w = rng.int(4, W - 1);
            const h = rng.int(4, H - 1);
            const x1 = rng.int(0, W - w);
            const y1 = rng.int(0, H - h);
            const box = [x1, y1, x1 + w, y1 + h];
            const o = { ...opts, fill: 0, minBoxPixels: 1 };
            const r = augmentSample(rectImage(W, H, box), [{ classId: 1, box: box as [number, number, number, number] }], rng, S, S, o);
            if (r.objects.length) {
              checkExtent(r.image, r.params, r.objects[0].box);
            } else {
              // dropped: cropped away, or a sliver under 1 px wide/high — at most one row/column of pixel centres
              const e = extent(r.image, S, S, 0.5 * r.params.exposure - 1e-6);
              if (e) expect(Math.min(e[2] - e[0], e[3] - e[1])).toBeLessThanOrEqual(1);
            }
          },
        ),
        { numRuns: 80 },
      );
    });
  }
});

describe('HSV distortion (darknet random_distort_image)', () => {
  const px = (...v: number[]) => new Float32Array(v);
  it('hue, saturation, exposure by hand', () => {
    const red = px(1, 0, 0);
    distortHSV(red, 0, 1, 1 / 3, 1, 1); // hue 0 → 1/3 of the circle: green
    expect(Array.from(red)).toEqual([0, 1, 0]);
    const wrap = px(1, 0, 0);
    distortHSV(wrap, 0, 1, -1 / 6, 1, 1); // hue −1/6 wraps to 5/6: magenta
    expect(Array.from(wrap)).toEqual([1, 0, 1]);
    const sat = px(0.5, 0.25, 0.25); // v 0.5, s 0.5 → s 1 → (0.5, 0, 0)
    distortHSV(sat, 0, 1, 0, 2, 1);
    expect(Array.from(sat)).toEqual([0.5, 0, 0]);
    const bright = px(0.8, 0.4, 0.4); // v 0.8 × 1.5 = 1.2, s 0.5 → (1.2, 0.6, 0.6) → clamped (1, 0.6, 0.6)
    distortHSV(bright, 0, 1, 0, 1, 1.5);
    expect(bright[0]).toBe(1);
    expect(bright[1]).toBeCloseTo(0.6, 6);
    expect(bright[2]).toBeCloseTo(0.6, 6);
    const grey = px(0.5, 0.5, 0.5, 0, 0, 0); // greys keep s = 0 whatever the hue; black stays black
    distortHSV(grey, 0, 2, 0.3, 1.5, 0.5);
    expect(Array.from(grey)).toEqual([0.25, 0.25, 0.25, 0, 0, 0]);
  });

  it('identity parameters round-trip RGB → HSV → RGB', () => {
    const rng = new Rng(3);
    const data = new Float32Array(3000).map(() => rng.next());
    const copy = data.slice();
    distortHSV(data, 0, 1000, 0, 1, 1);
    for (let i = 0; i < data.length; i++) expect(Math.abs(data[i] - copy[i])).toBeLessThan(1e-6);
  });
});

describe('sampleAugmentation', () => {
  it('draws parameters in the configured ranges (defaults: jitter 0.3, hue 0.1, saturation/exposure 1.5, flip ½)', () => {
    const rng = new Rng(9);
    let flips = 0, satUp = 0;
    for (let i = 0; i < 400; i++) {
      const p = sampleAugmentation(rng, 100, 50, 64, 64);
      flips += p.flip ? 1 : 0;
      satUp += p.saturation > 1 ? 1 : 0;
      expect(Math.abs(p.hue)).toBeLessThanOrEqual(0.1);
      for (const f of [p.saturation, p.exposure]) {
        expect(f).toBeGreaterThanOrEqual(1 / 1.5);
        expect(f).toBeLessThanOrEqual(1.5);
      }
      // the crop is 100·(1 ± 0.3 ± 0.3) = 40…160 source pixels wide, placed at most 64 canvas pixels wide
      expect(Math.abs(p.ax)).toBeLessThanOrEqual(64 / 40 + 1e-9);
      expect(p.ax * p.ay).toBeGreaterThan(0 - (p.flip ? Infinity : 0));
      const [vx0, vy0, vx1, vy1] = p.visible;
      expect(vx0).toBeGreaterThanOrEqual(0);
      expect(vy0).toBeGreaterThanOrEqual(0);
      expect(vx1).toBeLessThanOrEqual(64);
      expect(vy1).toBeLessThanOrEqual(64);
    }
    expect(flips).toBeGreaterThan(150);
    expect(flips).toBeLessThan(250);
    expect(satUp).toBeGreaterThan(150);
    expect(satUp).toBeLessThan(250);
  });

  it('defaults and bad options', () => {
    expect(resolveAugmentOptions()).toEqual({ ...DEFAULT_AUGMENT, placeScale: [0.6, 1] });
    expect(thrown(() => resolveAugmentOptions({ jitter: -0.1 })).message).toMatch(/augment: 'jitter' must be a finite number ≥ 0/);
    expect(thrown(() => resolveAugmentOptions({ saturation: 0.5 }))).toBeInstanceOf(ValueError);
    expect(thrown(() => resolveAugmentOptions({ placement: 'tile' as 'random' }))).toBeInstanceOf(ValueError);
    expect(thrown(() => resolveAugmentOptions({ placeScale: [0.5, 0.4] }))).toBeInstanceOf(ValueError);
    expect(thrown(() => renderAugmented(rectImage(10, 10, [0, 0, 1, 1]), letterboxPlacement(10, 10, 8), new Float32Array(10)))).toBeInstanceOf(ValueError);
  });
});
