import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { vocAP, ValueError } from '../../src/index.js';
import type { DetectionBox, GroundTruthBox } from '../../src/index.js';
import { rng, thrown } from '../helpers.js';
import reference from '../fixtures/eval-python-reference.json';

type Box = [number, number, number, number];
const gt = (imageId: string, box: Box, difficult = false, classId = 0): GroundTruthBox => ({ imageId, classId, box, difficult });
const det = (imageId: string, box: Box, score: number, classId = 0): DetectionBox => ({ imageId, classId, box, score });

/** Sequential sum then / 11, as ap11 documents. */
const mean11 = (ps: number[]): number => ps.reduce((a, b) => a + b, 0) / 11;

describe('vocAP: hand-checked cases', () => {
  it('IoU 0.625 passes at 0.5 and fails at 0.75 (inclusive pixels)', () => {
    // gt [1,1,8,8]: 8 × 8 = 64 px; det [1,1,8,5]: 8 × 5 = 40 px, inside the gt → IoU = 40 / 64 = 0.625.
    const g = [gt('a', [1, 1, 8, 8])];
    const d = [det('a', [1, 1, 8, 5], 0.9)];
    expect(vocAP(d, g).perClass[0].ap).toBe(1);
    expect(vocAP(d, g, { metric: 'voc2010' }).perClass[0].ap).toBe(1);
    expect(vocAP(d, g, { iouThreshold: 0.75 }).perClass[0].ap).toBe(0);
    // continuous: [0,0,4,4] = 16, [0,0,4,2.5] = 10 → 10 / 16 = 0.625 as well
    const c = vocAP([det('a', [0, 0, 4, 2.5], 0.9)], [gt('a', [0, 0, 4, 4])], { pixelConvention: 'continuous', iouThreshold: 0.6 });
    expect(c.perClass[0].ap).toBe(1);
  });

  it('a duplicate detection is an FP: all-point AP 5/6 (turicreate-style)', () => {
    // 3 positives; order: TP, duplicate of the same object (FP), TP, TP.
    // precision 1, 1/2, 2/3, 3/4; recall 1/3, 1/3, 2/3, 1; envelope 1, 3/4, 3/4, 3/4.
    // all-point: 1/3·1 + 1/3·3/4 + 1/3·3/4 = 1/3 + 1/2 = 5/6.
    const g = [gt('a', [0, 0, 9, 9]), gt('b', [0, 0, 9, 9]), gt('c', [0, 0, 9, 9])];
    const d = [det('a', [0, 0, 9, 9], 0.9), det('a', [0, 0, 9, 8], 0.8), det('b', [0, 0, 9, 9], 0.7), det('c', [0, 0, 9, 9], 0.6)];
    const r = vocAP(d, g, { metric: 'voc2010' });
    const k = r.perClass[0];
    expect(k.ap).toBeCloseTo(5 / 6, 15);
    expect(Array.from(k.precision)).toEqual([1, 1 / 2, 2 / 3, 3 / 4]);
    expect(Array.from(k.recall)).toEqual([1 / 3, 1 / 3, 2 / 3, 1]);
    expect([k.tp, k.fp, k.ignored, k.npos]).toEqual([3, 1, 0, 3]);
    // 11-point: t = 0, 0.1, 0.2, 0.30000000000000004 reach recall 1/3 → 1 (4 points);
    // t = 0.4 … 0.6000000000000001 reach 2/3 → 3/4; t = 0.7000000000000001 … 1 reach 1 → 3/4 (7 points).
    expect(vocAP(d, g).perClass[0].ap).toBe(mean11([1, 1, 1, 1, 0.75, 0.75, 0.75, 0.75, 0.75, 0.75, 0.75]));
    expect(vocAP(d, g).perClass[0].ap).toBeCloseTo(9.25 / 11, 15);
  });

  it('a detection of a difficult object is ignored, not an FP', () => {
    // image: one normal and one difficult object; det 0.9 on the difficult one, det 0.8 on the normal one.
    // npos = 1; precision 0/ε = 0, then 1/1; recall 0, 1 → AP 1 (the ignored one costs nothing).
    const g = [gt('a', [0, 0, 9, 9]), gt('a', [20, 20, 29, 29], true)];
    const d = [det('a', [20, 20, 29, 29], 0.9), det('a', [0, 0, 9, 9], 0.8)];
    const k = vocAP(d, g).perClass[0];
    expect(k.npos).toBe(1);
    expect(Array.from(k.precision)).toEqual([0, 1]);
    expect(Array.from(k.recall)).toEqual([0, 1]);
    expect([k.tp, k.fp, k.ignored]).toEqual([1, 0, 1]);
    expect(k.ap).toBe(1);
    expect(vocAP(d, g, { metric: 'voc2010' }).perClass[0].ap).toBe(1);
    // useDifficult: both count, both are TPs.
    const u = vocAP(d, g, { useDifficult: true }).perClass[0];
    expect(u.npos).toBe(2);
    expect(Array.from(u.recall)).toEqual([0.5, 1]);
    expect(u.ap).toBe(1);
  });

  it('IoU exactly 0.5: FP under gt (>), TP under gte (>=)', () => {
    // inclusive: gt [0,0,1,0] is 2 × 1 px, det [0,0,0,0] is 1 × 1 px inside it → IoU = 1 / 2.
    const g = [gt('a', [0, 0, 1, 0])];
    const d = [det('a', [0, 0, 0, 0], 0.9)];
    // (every coordinate in [0, 1]: the pixel convention must be named, see the next describe)
    expect(vocAP(d, g, { pixelConvention: 'inclusive' }).perClass[0].ap).toBe(0);
    expect(vocAP(d, g, { pixelConvention: 'inclusive', matchRule: 'gte' }).perClass[0].ap).toBe(1);
    // continuous: [0,0,2,1] (area 2) and [0,0,1,1] (area 1) → 1 / 2.
    const dc = [det('a', [0, 0, 1, 1], 0.9)];
    const gc = [gt('a', [0, 0, 2, 1])];
    expect(vocAP(dc, gc, { pixelConvention: 'continuous' }).perClass[0].ap).toBe(0);
    expect(vocAP(dc, gc, { pixelConvention: 'continuous', matchRule: 'gte' }).perClass[0].ap).toBe(1);
  });

  it('non-monotone precision is interpolated (envelope)', () => {
    // npos 2; TP, FP, TP: precision 1, 1/2, 2/3; recall 1/2, 1/2, 1.
    // all-point: 1/2·1 + 1/2·2/3 = 5/6 (the raw 1/2 never enters).
    // 11-point: t ≤ 0.5 (6 points) → max precision from index 0 = 1; t ≥ 0.6000000000000001 (5 points) → 2/3.
    const g = [gt('a', [0, 0, 9, 9]), gt('b', [0, 0, 9, 9])];
    const d = [det('a', [0, 0, 9, 9], 0.9), det('c', [0, 0, 9, 9], 0.8), det('b', [0, 0, 9, 9], 0.7)];
    expect(vocAP(d, g, { metric: 'voc2010' }).perClass[0].ap).toBeCloseTo(5 / 6, 15);
    expect(vocAP(d, g).perClass[0].ap).toBe(mean11([1, 1, 1, 1, 1, 1, 2 / 3, 2 / 3, 2 / 3, 2 / 3, 2 / 3]));
  });

  it('a class with only difficult objects has ap null and stays out of the mean', () => {
    // class 0: one object found (AP 1); class 1: only a difficult object, found → ignored, npos 0.
    const g = [gt('a', [0, 0, 9, 9]), gt('a', [20, 20, 29, 29], true, 1)];
    const d = [det('a', [0, 0, 9, 9], 0.9), det('a', [20, 20, 29, 29], 0.8, 1)];
    const r = vocAP(d, g, { classNames: ['cat', 'dog'] });
    expect(r.perClass.map((k) => [k.name, k.ap, k.npos])).toEqual([['cat', 1, 1], ['dog', null, 0]]);
    expect(r.mAP).toBe(1);
    expect(r.numClassesInMean).toBe(1);
    expect(Number.isNaN(r.perClass[1].recall[0])).toBe(true); // 0 / 0
    // 'zero' reproduces the script's mean: (1 + 0) / 2
    const z = vocAP(d, g, { emptyClasses: 'zero' });
    expect(z.perClass[1].ap).toBe(0);
    expect(z.mAP).toBe(0.5);
    // numClasses adds classes that never appear: null, excluded
    const n = vocAP(d, g, { numClasses: 4 });
    expect(n.perClass.map((k) => k.ap)).toEqual([1, null, null, null]);
    expect(n.mAP).toBe(1);
  });

  it('tied scores keep input order (stable)', () => {
    // one object; two detections with equal score: an FP (elsewhere) and a TP.
    const g = [gt('a', [0, 0, 9, 9])];
    const fp = det('a', [50, 50, 59, 59], 0.5);
    const tp = det('a', [0, 0, 9, 9], 0.5);
    // FP first: precision 0, 1/2 with recall 0, 1 → every point sees 1/2.
    const a = vocAP([fp, tp], g).perClass[0];
    expect(Array.from(a.precision)).toEqual([0, 0.5]);
    expect(a.ap).toBe(mean11(Array(11).fill(0.5)));
    // TP first: precision 1, 1/2 → AP 1.
    const b = vocAP([tp, fp], g).perClass[0];
    expect(Array.from(b.precision)).toEqual([1, 0.5]);
    expect(b.ap).toBe(1);
  });

  it('11-point thresholds are k * 0.1: recall exactly 0.3 does not reach the 4th point', () => {
    // 10 objects, 3 found with precision 1: recall 3/10 = 0.3 < 0.30000000000000004.
    const g = Array.from({ length: 10 }, (_, i) => gt(`i${i}`, [0, 0, 9, 9]));
    const found = (k: number): DetectionBox[] => Array.from({ length: k }, (_, i) => det(`i${i}`, [0, 0, 9, 9], 1 - i / 100));
    expect(vocAP(found(3), g).perClass[0].ap).toBe(3 / 11); // not 4/11 (what k/10 = 0.3 would give)
    expect(vocAP(found(6), g).perClass[0].ap).toBe(6 / 11); // 0.6 < 0.6000000000000001
    expect(vocAP(found(7), g).perClass[0].ap).toBe(7 / 11); // 0.7 < 0.7000000000000001
    expect(vocAP(found(5), g).perClass[0].ap).toBe(6 / 11); // 0.5 reaches 0.5: points 0…5
  });

  it('no fallback to the second-best ground truth', () => {
    // Two objects; det 1 matches A; det 2 overlaps A best (already matched) and B less → FP, not B.
    const A: Box = [0, 0, 9, 9];
    const B: Box = [0, 5, 9, 14];
    const g = [gt('a', A), gt('a', B)];
    const d = [det('a', A, 0.9), det('a', [0, 1, 9, 10], 0.8)]; // IoU with A = 90/110, with B = 60/140
    const k = vocAP(d, g).perClass[0];
    expect([k.tp, k.fp]).toEqual([1, 1]);
  });

  it('detections on images without ground truth are FPs; classes without detections give 0', () => {
    const g = [gt('a', [0, 0, 9, 9]), gt('a', [0, 0, 9, 9], false, 1)];
    const d = [det('zzz', [0, 0, 9, 9], 0.9), det('a', [0, 0, 9, 9], 0.8)];
    const r = vocAP(d, g);
    expect(Array.from(r.perClass[0].precision)).toEqual([0, 0.5]);
    expect(r.perClass[1].ap).toBe(0);
    expect(r.perClass[1].precision.length).toBe(0);
    expect(r.mAP).toBe((r.perClass[0].ap! + 0) / 2);
  });

  it('no classes with positives: mAP is NaN', () => {
    expect(vocAP([], []).mAP).toBeNaN();
    expect(vocAP([], [], { numClasses: 2 }).perClass.map((k) => k.ap)).toEqual([null, null]);
  });
});

// --- an independent, obviously-correct transcription of the devkit steps (for random comparisons) ---
function referenceVOC(
  dets: DetectionBox[],
  gts: GroundTruthBox[],
  numClasses: number,
  metric: 'voc07' | 'voc2010',
  inclusive: boolean,
): Array<number | null> {
  const one = inclusive ? 1 : 0;
  const out: Array<number | null> = [];
  for (let c = 0; c < numClasses; c++) {
    const G = gts.filter((g) => g.classId === c);
    const used = G.map(() => false);
    const npos = G.filter((g) => !g.difficult).length;
    const D = dets.filter((d) => d.classId === c).map((d, i) => ({ d, i }));
    D.sort((p, q) => q.d.score - p.d.score || p.i - q.i);
    const tp: number[] = [], fp: number[] = [];
    for (const { d } of D) {
      let best = -1, ovmax = -Infinity;
      G.forEach((g, j) => {
        if (g.imageId !== d.imageId) return;
        const iw = Math.min(g.box[2], d.box[2]) - Math.max(g.box[0], d.box[0]) + one;
        const ih = Math.min(g.box[3], d.box[3]) - Math.max(g.box[1], d.box[1]) + one;
        if (iw <= 0 || ih <= 0) return;
        const inter = iw * ih;
        const ov = inter / ((d.box[2] - d.box[0] + one) * (d.box[3] - d.box[1] + one) + (g.box[2] - g.box[0] + one) * (g.box[3] - g.box[1] + one) - inter);
        if (ov > ovmax) { ovmax = ov; best = j; }
      });
      let t = 0, f = 0;
      if (ovmax > 0.5) {
        if (G[best].difficult) { /* ignored */ } else if (!used[best]) { used[best] = true; t = 1; } else f = 1;
      } else f = 1;
      tp.push((tp.at(-1) ?? 0) + t);
      fp.push((fp.at(-1) ?? 0) + f);
    }
    if (npos === 0) { out.push(null); continue; }
    const rec = tp.map((t) => t / npos);
    const prec = tp.map((t, i) => (t + fp[i] === 0 ? 0 : t / (t + fp[i])));
    if (metric === 'voc07') {
      let ap = 0;
      for (let k = 0; k <= 10; k++) {
        const ps = prec.filter((_, i) => rec[i] >= k * 0.1);
        ap += ps.length ? Math.max(...ps) : 0;
      }
      out.push(ap / 11);
    } else {
      const mrec = [0, ...rec, 1], mpre = [0, ...prec, 0];
      for (let i = mpre.length - 1; i > 0; i--) mpre[i - 1] = Math.max(mpre[i - 1], mpre[i]);
      let ap = 0;
      for (let i = 0; i + 1 < mrec.length; i++) if (mrec[i + 1] !== mrec[i]) ap += (mrec[i + 1] - mrec[i]) * mpre[i + 1];
      out.push(ap);
    }
  }
  return out;
}

/** Random scene: boxes on a small integer grid so overlaps, duplicates and exact ties happen. */
function randomScene(seed: number, nImages = 6, nClasses = 3): { dets: DetectionBox[]; gts: GroundTruthBox[] } {
  const r = rng(seed);
  const int = (n: number): number => Math.floor(r() * n);
  const gts: GroundTruthBox[] = [];
  const dets: DetectionBox[] = [];
  for (let i = 0; i < nImages; i++) {
    const nObj = int(5);
    for (let o = 0; o < nObj; o++) {
      const x = int(40), y = int(40), w = 4 + int(20), h = 4 + int(20);
      const b: Box = [x, y, x + w, y + h];
      const classId = int(nClasses);
      gts.push({ imageId: `img${i}`, classId, box: b, difficult: r() < 0.15 });
      const nDet = int(3);
      for (let k = 0; k < nDet; k++) {
        const j = (): number => int(7) - 3;
        dets.push({ imageId: `img${i}`, classId, box: [b[0] + j(), b[1] + j(), b[2] + j() + 3, b[3] + j() + 3], score: r() });
      }
    }
    for (let k = int(3); k > 0; k--) {
      const x = int(50), y = int(50);
      dets.push({ imageId: `img${i}`, classId: int(nClasses), box: [x, y, x + 5 + int(15), y + 5 + int(15)], score: r() });
    }
  }
  return { dets, gts };
}

describe('vocAP: against the reference transcription', () => {
  it('random scenes, both metrics, both pixel conventions', () => {
    for (let seed = 1; seed <= 60; seed++) {
      const { dets, gts } = randomScene(seed);
      for (const metric of ['voc07', 'voc2010'] as const) {
        for (const pc of ['inclusive', 'continuous'] as const) {
          const ours = vocAP(dets, gts, { numClasses: 3, metric, pixelConvention: pc }).perClass.map((k) => k.ap);
          const ref = referenceVOC(dets, gts, 3, metric, pc === 'inclusive');
          ours.forEach((ap, c) => {
            if (ref[c] === null) expect(ap).toBeNull();
            else expect(ap).toBeCloseTo(ref[c]!, 14);
          });
        }
      }
    }
  });
});

describe('vocAP: properties', () => {
  const scene = fc.integer({ min: 1, max: 1_000_000 }).map((seed) => randomScene(seed, 4, 2));

  it('AP is in [0, 1] or null; mAP in [0, 1]', () => {
    fc.assert(
      fc.property(scene, fc.constantFrom('voc07' as const, 'voc2010' as const), ({ dets, gts }, metric) => {
        const r = vocAP(dets, gts, { numClasses: 2, metric });
        for (const k of r.perClass) if (k.ap !== null) expect(k.ap >= 0 && k.ap <= 1).toBe(true);
        if (!Number.isNaN(r.mAP)) expect(r.mAP >= 0 && r.mAP <= 1).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('perfect detections give exactly 1', () => {
    fc.assert(
      fc.property(scene, fc.constantFrom('voc07' as const, 'voc2010' as const), ({ gts }, metric) => {
        const dets = gts.map((g, i) => ({ imageId: g.imageId, classId: g.classId, box: g.box, score: 1 - i * 1e-3 }));
        const r = vocAP(dets, gts.map((g) => ({ ...g, difficult: false })), { numClasses: 2, metric });
        for (const k of r.perClass) if (k.npos > 0) expect(k.ap).toBe(1);
      }),
      { numRuns: 60 },
    );
  });

  it('shuffling the input (distinct scores) changes nothing', () => {
    fc.assert(
      fc.property(scene, fc.integer(), ({ dets, gts }, seed) => {
        const r = rng(seed);
        const distinct = dets.map((d, i) => ({ ...d, score: (i + 1) / (dets.length + 1) }));
        const shuffle = <T>(xs: T[]): T[] => {
          const a = [...xs];
          for (let i = a.length - 1; i > 0; i--) {
            const j = Math.floor(r() * (i + 1));
            [a[i], a[j]] = [a[j], a[i]];
          }
          return a;
        };
        // ground truth of an image keeps its relative order (argmax picks the first on equal IoU)
        const before = vocAP(distinct, gts, { numClasses: 2, metric: 'voc2010' });
        const after = vocAP(shuffle(distinct), gts, { numClasses: 2, metric: 'voc2010' });
        expect(after.perClass.map((k) => k.ap)).toEqual(before.perClass.map((k) => k.ap));
        expect(after.perClass.map((k) => Array.from(k.precision))).toEqual(before.perClass.map((k) => Array.from(k.precision)));
      }),
      { numRuns: 40 },
    );
  });
});

describe('vocAP: bad input', () => {
  const g = [gt('a', [0, 0, 9, 9])];
  it('names the record and the problem', () => {
    let e = thrown(() => vocAP([det('a', [0, 0, NaN, 9], 0.5)], g));
    expect(e).toBeInstanceOf(ValueError);
    expect(e.message).toMatch(/vocAP: 'detections\[0\]\.box' must hold 4 finite numbers, got \[0, 0, NaN, 9\]/);
    e = thrown(() => vocAP([], [gt('a', [0, 0, 9, 9]), gt('a', [5, 0, 4, 9])]));
    expect(e.message).toMatch(/'groundTruths\[1\]\.box' must have x1 ≤ x2 and y1 ≤ y2, got \[5, 0, 4, 9\]/);
    e = thrown(() => vocAP([det('a', [0, 0, 9, 9], Infinity)], g));
    expect(e.message).toMatch(/'detections\[0\]\.score' must be a finite number, got Infinity/);
    e = thrown(() => vocAP([det('a', [0, 0, 9, 9], 0.5, 3)], g, { numClasses: 3 }));
    expect(e.message).toMatch(/'detections\[0\]\.classId' must be an integer in \[0, 2\], got 3/);
    e = thrown(() => vocAP([{ ...det('a', [0, 0, 9, 9], 0.5), classId: 0.5 }], g));
    expect(e).toBeInstanceOf(ValueError);
    e = thrown(() => vocAP([], [{ ...gt('a', [0, 0, 9, 9]), difficult: 'yes' as unknown as boolean }]));
    expect(e.message).toMatch(/'groundTruths\[0\]\.difficult' must be a boolean, got "yes"/);
    e = thrown(() => vocAP([{ ...det('a', [0, 0, 9, 9], 0.5), box: [0, 0, 9] as unknown as Box }], g));
    expect(e.message).toMatch(/'detections\[0\]\.box' must be \[x1, y1, x2, y2\]/);
  });
  it('rejects bad options', () => {
    expect(thrown(() => vocAP([], g, { iouThreshold: 1.5 })).message).toMatch(/'options\.iouThreshold'/);
    expect(thrown(() => vocAP([], g, { metric: 'voc12' as 'voc07' })).message).toMatch(/'options\.metric' must be one of 'voc07', 'voc2010', got "voc12"/);
    expect(thrown(() => vocAP([], g, { numClasses: 2, classNames: ['x'] })).message).toMatch(/classNames/);
  });
});

describe('vocAP: against numbers computed in Python', () => {
  // test/fixtures/eval-python-reference.json: seeded synthetic inputs and what a numpy transcription
  // of voc_eval.py gives on them (distinct scores, so its sort is unambiguous).
  it('per-class AP and mAP agree to 1e-15 (both metrics)', () => {
    const { dets, gts, K } = reference.input.voc;
    for (const metric of ['voc07', 'voc2010'] as const) {
      const r = vocAP(dets as DetectionBox[], gts as GroundTruthBox[], { numClasses: K, metric });
      const want = reference.expected[metric];
      r.perClass.forEach((k, c) => expect(Math.abs(k.ap! - want.ap[c])).toBeLessThanOrEqual(1e-15));
      expect(Math.abs(r.mAP - want.mAP)).toBeLessThanOrEqual(1e-15);
      expect(r.mAP.toFixed(4)).toBe(want.mAP.toFixed(4));
    }
  });
});

describe('vocAP: options are checked (issue 18, items 5 and 9)', () => {
  it('an unknown option key is a ValueError naming it and the near known one', () => {
    const g = [gt('a', [0, 0, 9, 9])];
    const e = thrown(() => vocAP([], g, { metrc: 'voc2010' } as never));
    expect(e).toBeInstanceOf(ValueError);
    expect(e.message).toMatch(/vocAP: unknown option 'metrc'.*did you mean 'metric'/);
    expect(thrown(() => vocAP([], g, { useDiffcult: true } as never)).message).toMatch(/'useDiffcult'.*'useDifficult'/);
  });
  it('normalised boxes without pixelConvention are refused; with continuous they get the right AP', () => {
    // gt [0.1, 0.1, 0.2, 0.2], det [0.15, 0.1, 0.25, 0.2].
    // continuous: inter 0.05 · 0.1 = 0.005, union 0.01 + 0.01 − 0.005 = 0.015, IoU 1/3 < 0.5 → FP, AP 0.
    // inclusive (+1 px per side): inter 1.05 · 1.1 = 1.155, areas 1.1² = 1.21 each, IoU 1.155 / 1.265 ≈ 0.913 → TP, AP 1.
    const g = [gt('a', [0.1, 0.1, 0.2, 0.2])];
    const d = [det('a', [0.15, 0.1, 0.25, 0.2], 0.9)];
    const e = thrown(() => vocAP(d, g));
    expect(e).toBeInstanceOf(ValueError);
    expect(e.message).toMatch(/'options\.pixelConvention' is not set/);
    expect(vocAP(d, g, { pixelConvention: 'continuous' }).perClass[0].ap).toBe(0);
    expect(vocAP(d, g, { pixelConvention: 'inclusive' }).perClass[0].ap).toBe(1);
    // pixel ground truth (a coordinate above 1) keeps the devkit default
    expect(vocAP([det('a', [0, 0, 9, 9], 0.9)], [gt('a', [0, 0, 9, 9])]).perClass[0].ap).toBe(1);
  });
});

describe('vocAP: numeric image ids (issue 18, item 10)', () => {
  it('imageId: number is accepted by the types and is the same image as its decimal string', () => {
    const d: DetectionBox[] = [{ imageId: 3, classId: 0, box: [0, 0, 9, 9], score: 0.9 }];
    const g: GroundTruthBox[] = [{ imageId: '3', classId: 0, box: [0, 0, 9, 9] }];
    expect(vocAP(d, g).perClass[0].ap).toBe(1);
  });
});
