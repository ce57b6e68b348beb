import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ValueError } from '../../../src/errors.js';
import { Rng } from '../../../src/node/data/rng.js';
import {
  SYNTHETIC_CLASSES,
  SyntheticDataset,
  generateSyntheticSample,
  writeSyntheticVOC,
  shapeMask,
  shapeRowSpan,
  type SyntheticShape,
} from '../../../src/node/data/synthetic.js';
import { thrown } from '../../helpers.js';

/** Extent [x1, y1, x2, y2) (continuous corners) of the pixels where pred is true, or null. */
function extent(width: number, height: number, pred: (i: number) => boolean): number[] | null {
  let x1 = Infinity, y1 = Infinity, x2 = -Infinity, y2 = -Infinity;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (!pred(y * width + x)) continue;
      x1 = Math.min(x1, x);
      y1 = Math.min(y1, y);
      x2 = Math.max(x2, x + 1);
      y2 = Math.max(y2, y + 1);
    }
  }
  return x1 === Infinity ? null : [x1, y1, x2, y2];
}

function iou(a: number[], b: number[]): number {
  const iw = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const ih = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = iw * ih;
  return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter);
}

const shape = (s: Partial<SyntheticShape> & Pick<SyntheticShape, 'kind' | 'box'>): SyntheticShape => ({
  classId: 0,
  colour: [255, 255, 255],
  ...s,
});

describe('shapeRowSpan: conservative rasterisation, by hand', () => {
  it('ellipse in the 8×8 box (0,0,8,8)', () => {
    const e = shape({ kind: 'ellipse', box: [0, 0, 8, 8] });
    // centre 4, radius 4. Row 0 (strip [0,1]): nearest y to centre is 1, t = 3/4, half-width 4·√(1 − 9/16)
    // = 2.6458 → (1.354, 6.646) → pixels 1…6. Row 1: t = 2/4, hw = 4·√0.75 = 3.464 → (0.536, 7.464) → 0…7.
    expect(shapeRowSpan(e, 0)).toEqual([1, 7]);
    expect(shapeRowSpan(e, 1)).toEqual([0, 8]);
    expect(shapeRowSpan(e, 3)).toEqual([0, 8]);
    expect(shapeRowSpan(e, 4)).toEqual([0, 8]);
    expect(shapeRowSpan(e, 7)).toEqual([1, 7]);
    expect(shapeRowSpan(e, 8)).toBeNull();
    expect(shapeRowSpan(e, -1)).toBeNull();
  });

  it('triangle pointing up in the 8×4 box (0,0,8,4)', () => {
    const t = shape({ kind: 'triangle', box: [0, 0, 8, 4], orientation: 'up' });
    // half-width at depth d (bottom of the strip) = 4·d/4 = d → (4 − d, 4 + d)
    expect([0, 1, 2, 3].map((y) => shapeRowSpan(t, y))).toEqual([[3, 5], [2, 6], [1, 7], [0, 8]]);
    const down = shape({ kind: 'triangle', box: [0, 0, 8, 4], orientation: 'down' });
    expect([0, 1, 2, 3].map((y) => shapeRowSpan(down, y))).toEqual([[0, 8], [1, 7], [2, 6], [3, 5]]);
  });

  it('triangle pointing left/right in the 8×8 box: the apex row spans to the apex column', () => {
    const l = shape({ kind: 'triangle', box: [0, 0, 8, 8], orientation: 'left' });
    // row 0: t = 3/4 → from 0 + 8·3/4 = 6 to 8; rows 3, 4 contain the centre → full width
    expect(shapeRowSpan(l, 0)).toEqual([6, 8]);
    expect(shapeRowSpan(l, 3)).toEqual([0, 8]);
    const r = shape({ kind: 'triangle', box: [0, 0, 8, 8], orientation: 'right' });
    expect(shapeRowSpan(r, 0)).toEqual([0, 2]);
    expect(shapeRowSpan(r, 4)).toEqual([0, 8]);
  });

  it('cross in the 9×9 box with bar 1/3', () => {
    const c = shape({ kind: 'cross', box: [0, 0, 9, 9], bar: 1 / 3 });
    // horizontal bar rows: strip meets (4.5 − 1.5, 4.5 + 1.5) = (3, 6) → rows 3, 4, 5 full; others (3, 6) → 3…5
    expect([0, 2, 3, 4, 5, 6, 8].map((y) => shapeRowSpan(c, y))).toEqual([
      [3, 6], [3, 6], [0, 9], [0, 9], [0, 9], [3, 6], [3, 6],
    ]);
  });
});

describe('generateSyntheticSample', () => {
  it('same seed → identical images and boxes; different seed → different', () => {
    const a = generateSyntheticSample(123, { width: 96 });
    const b = generateSyntheticSample(123, { width: 96 });
    expect(b.objects).toEqual(a.objects);
    expect(Buffer.from(b.image.data).equals(Buffer.from(a.image.data))).toBe(true);
    const c = generateSyntheticSample(124, { width: 96 });
    expect(Buffer.from(c.image.data).equals(Buffer.from(a.image.data))).toBe(false);
    expect(a.image.data.length).toBe(96 * 96 * 3);
  });

  it('boxes are exact: each shape mask spans its box, for every kind and many seeds', () => {
    const kinds = new Set<string>();
    for (let seed = 0; seed < 60; seed++) {
      const s = generateSyntheticSample(seed, { width: 80, height: 64 });
      s.shapes.forEach((sh, k) => {
        kinds.add(sh.kind + (sh.orientation ?? ''));
        const m = shapeMask(sh, 80, 64);
        expect(extent(80, 64, (i) => m[i] === 1)).toEqual(s.objects[k].box);
        expect(SYNTHETIC_CLASSES[s.objects[k].classId]).toBe(sh.kind);
      });
    }
    expect(kinds.size).toBe(7); // rectangle, ellipse, cross, triangle × 4 orientations
  });

  it('the painted pixels are exactly the shape (flat black background, no noise, no clutter)', () => {
    const opts = { width: 64, background: 'flat', noise: 0, clutterLines: [0, 0], maxObjects: 1 } as const;
    for (let seed = 0; seed < 40; seed++) {
      const s = generateSyntheticSample(seed, opts);
      expect(s.objects).toHaveLength(1);
      const d = s.image.data;
      const painted = (i: number) => d[3 * i] + d[3 * i + 1] + d[3 * i + 2] > 0;
      expect(extent(64, 64, painted)).toEqual(s.objects[0].box);
      const m = shapeMask(s.shapes[0], 64, 64);
      for (let i = 0; i < 64 * 64; i++) if (painted(i) !== (m[i] === 1)) throw new Error(`seed ${seed} pixel ${i}`);
    }
  });

  it('count, class, size and overlap distributions stay in the stated ranges', () => {
    const W = 100;
    const counts = new Array(7).fill(0);
    const classes = new Array(4).fill(0);
    const colours: number[][] = [[], [], [], []];
    let small = 0, large = 0, objects = 0;
    for (let seed = 0; seed < 400; seed++) {
      const s = generateSyntheticSample(seed, { width: W, noise: 0 });
      counts[s.objects.length]++;
      s.objects.forEach((o, k) => {
        objects++;
        classes[o.classId]++;
        colours[o.classId].push(s.shapes[k].colour[0]);
        const [x1, y1, x2, y2] = o.box;
        for (const side of [x2 - x1, y2 - y1]) {
          expect(side).toBeGreaterThanOrEqual(8); // round(0.08·100)
          expect(side).toBeLessThanOrEqual(60); // round(0.6·100)
          if (side < 20) small++;
          if (side > 45) large++;
        }
        expect(x1).toBeGreaterThanOrEqual(0);
        expect(y1).toBeGreaterThanOrEqual(0);
        expect(x2).toBeLessThanOrEqual(W);
        expect(y2).toBeLessThanOrEqual(W);
        for (let j = 0; j < k; j++) expect(iou(o.box, s.objects[j].box)).toBeLessThanOrEqual(0.3);
      });
    }
    expect(counts[0]).toBe(0);
    for (let n = 1; n <= 6; n++) expect(counts[n]).toBeGreaterThan(20); // ~67 each when placement never fails
    for (const c of classes) expect(c / objects).toBeGreaterThan(0.2); // ~0.25 each
    expect(small).toBeGreaterThan(objects * 0.2); // log-uniform scale: many small sides…
    expect(large).toBeGreaterThan(objects * 0.05); // …and some large ones
    // colours are not tied to the class: every class gets reds from all over 0…255
    for (const c of colours) {
      expect(Math.min(...c)).toBeLessThan(40);
      expect(Math.max(...c)).toBeGreaterThan(215);
    }
  });

  it('some images have overlapping objects (IoU > 0)', () => {
    let overlapping = 0;
    for (let seed = 0; seed < 100; seed++) {
      const o = generateSyntheticSample(seed, { width: 64, noise: 0 }).objects;
      for (let i = 0; i < o.length; i++) for (let j = 0; j < i; j++) if (iou(o[i].box, o[j].box) > 0) overlapping++;
    }
    expect(overlapping).toBeGreaterThan(10);
  });

  it('accepts a generator (advanced) and rejects bad options with ValueError', () => {
    const r = new Rng(1);
    const a = generateSyntheticSample(r, { width: 32 });
    const b = generateSyntheticSample(r, { width: 32 });
    expect(Buffer.from(a.image.data).equals(Buffer.from(b.image.data))).toBe(false);
    const e = thrown(() => generateSyntheticSample(1, { width: 8 }));
    expect(e).toBeInstanceOf(ValueError);
    expect(e.message).toMatch(/generateSyntheticSample: 'width' must be an integer ≥ 16/);
    expect(thrown(() => generateSyntheticSample(1, { minSize: 0.5, maxSize: 0.2 }))).toBeInstanceOf(ValueError);
    expect(thrown(() => generateSyntheticSample(1, { background: 'noise' as 'flat' }))).toBeInstanceOf(ValueError);
    expect(thrown(() => generateSyntheticSample(1, { gradientRange: 256 })).message).toMatch(/'gradientRange' must be .*255/);
  });

  it('gradientRange bounds the background: per channel, max − min ≤ range (no noise, no objects, no clutter)', () => {
    // A linear gradient between c0 and c1 takes values between them (rounded to integers), so the spread of
    // each channel over the image is at most |c1 − c0| ≤ range, plus 1 for rounding at both ends.
    const spread = (range?: number) => {
      let worst = 0;
      for (let seed = 0; seed < 40; seed++) {
        const { image } = generateSyntheticSample(seed, { width: 32, noise: 0, clutterLines: [0, 0], minObjects: 0, maxObjects: 0, gradientRange: range });
        for (let ch = 0; ch < 3; ch++) {
          let lo = 255, hi = 0;
          for (let i = ch; i < image.data.length; i += 3) { lo = Math.min(lo, image.data[i]); hi = Math.max(hi, image.data[i]); }
          worst = Math.max(worst, hi - lo);
        }
      }
      return worst;
    };
    expect(spread(0)).toBe(0);
    expect(spread(40)).toBeLessThanOrEqual(41);
    expect(spread(40)).toBeGreaterThan(20); // the bound is used, not a flat image
    expect(spread()).toBeGreaterThan(100); // the default: two independent colours
  });

  it('minContrast: a shape colour is that far (L1) from the background at its box centre and corners', () => {
    // The background is drawn before the shapes, so the same seed with no objects paints the same one.
    const share = (minContrast?: number, bound = minContrast ?? 90) => {
      let ok = 0, all = 0;
      for (let seed = 0; seed < 30; seed++) {
        const base = { width: 48, noise: 0, clutterLines: [0, 0] as [number, number] };
        const bg = generateSyntheticSample(seed, { ...base, minObjects: 0, maxObjects: 0 }).image.data;
        const at = (x: number, y: number) => [0, 1, 2].map((c) => bg[(y * 48 + x) * 3 + c]);
        for (const sh of generateSyntheticSample(seed, { ...base, minContrast }).shapes) {
          const [x1, y1, x2, y2] = sh.box;
          const points = [at(Math.floor((x1 + x2) / 2), Math.floor((y1 + y2) / 2)), at(x1, y1), at(x2 - 1, y1), at(x1, y2 - 1), at(x2 - 1, y2 - 1)];
          const d = Math.min(...points.map((p) => p.reduce((a, v, c) => a + Math.abs(v - sh.colour[c]), 0)));
          all++;
          if (d >= bound) ok++;
        }
      }
      return ok / all;
    };
    expect(share()).toBeGreaterThan(0.97); // default 90
    expect(share(250)).toBeGreaterThan(0.9); // 20 redraws almost always find one
    expect(share(0, 250)).toBeLessThan(0.75); // without the bound, many colours are closer than 250
    expect(thrown(() => generateSyntheticSample(1, { minContrast: -1 }))).toBeInstanceOf(ValueError);
  });

  it('minVisible: every shape keeps that share of its pixels under the shapes drawn later, and none merges with one of a close colour', () => {
    // Independent check from the masks: shape k is drawn before k+1…, so its visible pixels are those of
    // its mask that no later mask covers. Without the option the default placement hides some shapes.
    const worst = (minVisible?: number) => {
      let least = 1, merged = 0;
      for (let seed = 0; seed < 60; seed++) {
        const w = 64;
        const { shapes } = generateSyntheticSample(seed, { width: w, noise: 0, minContrast: 150, minVisible });
        const masks = shapes.map((sh) => shapeMask(sh, w, w));
        masks.forEach((m, k) => {
          let area = 0, visible = 0;
          for (let p = 0; p < m.length; p++) {
            if (!m[p]) continue;
            area++;
            const over = masks.findIndex((o, j) => j > k && o[p] === 1);
            if (over < 0) visible++;
            else if (shapes[over].colour.reduce((a, v, c) => a + Math.abs(v - shapes[k].colour[c]), 0) < 150) merged++;
          }
          least = Math.min(least, visible / area);
        });
      }
      return { least, merged };
    };
    const off = worst();
    expect(off.least).toBeLessThan(0.25); // a shape almost hidden under a later one
    expect(off.merged).toBeGreaterThan(0);
    const half = worst(0.5);
    expect(half.least).toBeGreaterThanOrEqual(0.5);
    expect(half.merged).toBe(0);
    expect(worst(0.9).least).toBeGreaterThanOrEqual(0.9);
    // 0 (the default) draws exactly what the generator drew before the option existed
    const a = generateSyntheticSample(7, { width: 48 });
    const b = generateSyntheticSample(7, { width: 48, minVisible: 0 });
    expect(Buffer.from(a.image.data).equals(Buffer.from(b.image.data))).toBe(true);
    expect(thrown(() => generateSyntheticSample(1, { minVisible: 1.5 })).message).toMatch(/'minVisible' must be/);
  });
});

describe('SyntheticDataset', () => {
  it('regenerates sample i alone, in any order, identically', async () => {
    const ds = new SyntheticDataset({ seed: 5, length: 10, width: 48 });
    const late = ds.getSync(7);
    const first = ds.getSync(0);
    const again = await ds.get(7);
    expect(again.id).toBe('synthetic-5-7');
    expect(again.objects).toEqual(late.objects);
    expect(Buffer.from(again.image.data).equals(Buffer.from(late.image.data))).toBe(true);
    expect(first.objects).not.toEqual(late.objects);
    expect(ds.classNames).toEqual(['rectangle', 'ellipse', 'triangle', 'cross']);
    await expect(ds.get(10)).rejects.toBeInstanceOf(ValueError);
  });
});

describe('synthetic options (issue 18, item 5)', () => {
  it('a misspelled option is a ValueError naming it', () => {
    expect(() => generateSyntheticSample(1, { maxObject: 2 } as never)).toThrow(ValueError);
    expect(() => generateSyntheticSample(1, { maxObject: 2 } as never)).toThrow(/generateSyntheticSample: unknown option 'maxObject'.*did you mean 'maxObjects'/);
    expect(() => new SyntheticDataset({ lenght: 4 } as never)).toThrow(/SyntheticDataset: unknown option 'lenght'.*did you mean 'length'/);
  });

  it('writeSyntheticVOC rejects a misspelled option before writing anything', async () => {
    const root = join(tmpdir(), `yolov2-ts-never-written-${process.pid}`);
    await expect(writeSyntheticVOC(root, new SyntheticDataset({ length: 1 }), { fromat: 'jpg' } as never)).rejects.toThrow(
      /writeSyntheticVOC: unknown option 'fromat'.*did you mean 'format'/,
    );
    expect(existsSync(root)).toBe(false);
  });
});
