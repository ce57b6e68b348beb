import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { cocoAP, COCO_IOU_THRESHOLDS, COCO_RECALL_THRESHOLDS, ValueError } from '../../src/index.js';
import type { COCOGroundTruthBox, DetectionBox } from '../../src/index.js';
import { rng, thrown } from '../helpers.js';
import reference from '../fixtures/eval-python-reference.json';

type Box = [number, number, number, number];
const gt = (imageId: string, box: Box, extra: Partial<COCOGroundTruthBox> = {}): COCOGroundTruthBox => ({ imageId, classId: 0, box, ...extra });
const det = (imageId: string, box: Box, score: number, classId = 0): DetectionBox => ({ imageId, classId, box, score });

describe('cocoAP: grids', () => {
  it('IoU thresholds are numpy linspace: 0.85 exactly, then 0.8999999999999999', () => {
    expect(COCO_IOU_THRESHOLDS[7]).toBe(0.85);
    expect(COCO_IOU_THRESHOLDS[8]).toBe(0.8999999999999999);
    expect(COCO_IOU_THRESHOLDS[9]).toBe(0.95);
    expect(0.5 + 7 * 0.05).toBe(0.8500000000000001); // the wrong way
  });
  it('recall points are k * 0.01: 0.7000000000000001, not 0.7', () => {
    expect(COCO_RECALL_THRESHOLDS[70]).toBe(0.7000000000000001);
    expect(COCO_RECALL_THRESHOLDS[100]).toBe(1);
    expect(COCO_RECALL_THRESHOLDS.length).toBe(101);
  });
});

describe('cocoAP: hand-checked cases', () => {
  it('IoU 0.625: matched at 0.5, 0.55, 0.6, not from 0.65 on', () => {
    // gt [0,0,4,4] area 16; det [0,0,4,2.5] area 10 inside → IoU 10/16 = 0.625.
    // 3 of 10 thresholds matched, each with precision 1 at every recall point → AP = 3 · 101 / 1010 = 0.3.
    const r = cocoAP([det('1', [0, 0, 4, 2.5], 0.9)], [gt('1', [0, 0, 4, 4])]);
    expect(r.AP50).toBe(1);
    expect(r.AP75).toBe(0);
    expect(r.AP).toBe(0.3);
    expect(r.AR100).toBe(0.3); // recall 1 at 3 thresholds, 0 at 7
  });

  it('the 0.85 threshold: an IoU of exactly 0.85 matches at 8 of the 10 thresholds', () => {
    // gt [0,0,20,1] area 20; det [0,0,17,1] area 17 → IoU 17 / 20 = 0.85 ≥ 0.85, < 0.8999999999999999.
    // AP = 8 · 101 / 1010 = 0.8 (0.7 with 0.5 + i·0.05, whose 0.8500000000000001 misses it).
    const r = cocoAP([det('1', [0, 0, 17, 1], 0.9)], [gt('1', [0, 0, 20, 1])]);
    expect(r.AP).toBe(0.8);
  });

  it('recall exactly 0.7 does not reach the 0.70 recall point', () => {
    // 10 objects, 7 found exactly (precision 1): recall reaches 0.7 < 0.7000000000000001.
    // Points 0 … 69 get 1, points 70 … 100 get 0: AP = 70 / 101 at every threshold.
    const g = Array.from({ length: 10 }, (_, i) => gt(String(i), [0, 0, 10, 10]));
    const d = Array.from({ length: 7 }, (_, i) => det(String(i), [0, 0, 10, 10], 0.9 - i / 100));
    const r = cocoAP(d, g);
    expect(r.AP).toBe(700 / 1010);
    expect(r.AP).toBe(70 / 101);
    expect(r.AR100).toBe(0.7);
  });

  it('a duplicate detection: AP50 reads the envelope at 101 points', () => {
    // 3 objects; TP, duplicate (FP), TP, TP → precision 1, 1/2, 2/3, 3/4, recall 1/3, 1/3, 2/3, 1.
    // envelope: 1 up to recall 1/3, then 3/4. Points k·0.01 ≤ 1/3: k = 0…33 (34 points) → 1; 67 points → 3/4.
    // AP50 = (34 + 67 · 0.75) / 101 = 84.25 / 101.
    const g = [gt('1', [0, 0, 10, 10]), gt('2', [0, 0, 10, 10]), gt('3', [0, 0, 10, 10])];
    const d = [det('1', [0, 0, 10, 10], 0.9), det('1', [0, 0, 10, 9], 0.8), det('2', [0, 0, 10, 10], 0.7), det('3', [0, 0, 10, 10], 0.6)];
    const r = cocoAP(d, g);
    expect(r.AP50).toBe(84.25 / 101);
    expect(r.perClass[0].ap50).toBe(84.25 / 101);
  });

  it('a crowd region absorbs any number of detections (ignored, not FP) and is not counted', () => {
    // one object [0,0,10,10]; a crowd region [100,100,200,200]; three detections inside the crowd
    // (IoU with a crowd = intersection / detection area = 1) score above the true one.
    const g = [gt('1', [0, 0, 10, 10]), gt('1', [100, 100, 200, 200], { iscrowd: true })];
    const d = [
      det('1', [110, 110, 120, 120], 0.99), det('1', [130, 130, 150, 150], 0.98), det('1', [150, 150, 160, 190], 0.97),
      det('1', [0, 0, 10, 10], 0.5),
    ];
    const r = cocoAP(d, g);
    expect(r.AP).toBe(1);
    expect(r.perClass[0].npos).toBe(1);
    // without the crowd flag the region is an object: 1 TP at rank 4 → precision 1/4, but recall 1/2 at most.
    const plain = cocoAP(d, [g[0], { ...g[1], iscrowd: false }]);
    expect(plain.AP).toBeLessThan(0.5);
  });

  it('a class with only crowd ground truth is −1 / null and left out of the mean', () => {
    const g = [gt('1', [0, 0, 10, 10]), { ...gt('1', [0, 0, 50, 50], { iscrowd: true }), classId: 1 }];
    const d = [det('1', [0, 0, 10, 10], 0.9), det('1', [0, 0, 50, 50], 0.9, 1), det('1', [60, 60, 70, 70], 0.8, 1)];
    const r = cocoAP(d, g, { classNames: ['a', 'b'] });
    expect(r.perClass.map((k) => [k.name, k.ap])).toEqual([['a', 1], ['b', null]]);
    expect(r.AP).toBe(1);
    expect(cocoAP([], [g[1]]).AP).toBe(-1);
  });

  it('area ranges are closed: an area of exactly 1024 is small and medium', () => {
    // a 32 × 32 object (area 1024) found exactly: small 1, medium 1, large −1 (no object there).
    const r = cocoAP([det('1', [0, 0, 32, 32], 0.9)], [gt('1', [0, 0, 32, 32])]);
    expect([r.APsmall, r.APmedium, r.APlarge]).toEqual([1, 1, -1]);
    expect([r.ARsmall, r.ARmedium, r.ARlarge]).toEqual([1, 1, -1]);
    // the `area` field overrides w·h
    const s = cocoAP([det('1', [0, 0, 32, 32], 0.9)], [gt('1', [0, 0, 32, 32], { area: 9217 })]);
    expect([s.APsmall, s.APmedium, s.APlarge]).toEqual([-1, -1, 1]);
  });

  it('per range: out-of-range ground truth is ignored and so is an unmatched out-of-range detection', () => {
    // one small object (10×10) found; one large FP detection (100×100) elsewhere with a higher score.
    const g = [gt('1', [0, 0, 10, 10])];
    const d = [det('1', [200, 200, 300, 300], 0.9), det('1', [0, 0, 10, 10], 0.8)];
    const r = cocoAP(d, g);
    expect(r.APsmall).toBe(1); // the large FP is outside 'small' → ignored there
    // all: FP then TP → envelope 1/2 everywhere → 0.5
    expect(r.AP).toBe(0.5);
    // a detection matching an out-of-range object is ignored in that range
    const big = cocoAP([det('1', [0, 0, 100, 100], 0.9)], [gt('1', [0, 0, 100, 100]), gt('1', [300, 300, 310, 310])]);
    expect(big.APsmall).toBe(0); // small: 1 positive, never found; the large det is ignored, not FP
    expect(big.recall.length).toBeGreaterThan(0);
  });

  it('on equal IoU the later ground truth wins', () => {
    // A = [0,0,10,10], B = [10,0,20,10]; det 1 = [5,0,15,10] overlaps each by 50 / 150 = 1/3 (threshold 0.3).
    // It takes B (the later one), so det 2 = A exactly is a TP too: AP 1. (Taking A would leave det 2 an FP.)
    const g = [gt('1', [0, 0, 10, 10]), gt('1', [10, 0, 20, 10])];
    const d = [det('1', [5, 0, 15, 10], 0.9), det('1', [0, 0, 10, 10], 0.8)];
    const r = cocoAP(d, g, { iouThresholds: [0.3] });
    expect(r.AP).toBe(1);
    expect([r.AP50, r.AP75]).toEqual([-1, -1]); // thresholds not evaluated
    expect(r.perClass[0].ap50).toBeNull();
  });

  it('maxDets cut per image and class, in score order', () => {
    // 3 objects in one image found exactly: AR1 = 1/3, AR10 = AR100 = 1.
    const boxes: Box[] = [[0, 0, 10, 10], [20, 20, 30, 30], [40, 40, 50, 50]];
    const r = cocoAP(boxes.map((b, i) => det('1', b, 0.9 - i / 10)), boxes.map((b) => gt('1', b)));
    // AR1 = mean of ten 1/3s, summed as np.mean does (8 partial sums, then the rest):
    // np.mean([1/3] * 10) = 0.33333333333333337 (a left-to-right sum gives 0.3333333333333333).
    const third = 1 / 3;
    const pairwise = ((third + third) + (third + third)) + ((third + third) + (third + third)) + third + third;
    expect([r.AR1, r.AR10, r.AR100]).toEqual([pairwise / 10, 1, 1]);
    expect(r.AR1).toBe(0.33333333333333337);
    const cut = cocoAP(boxes.map((b, i) => det('1', b, 0.9 - i / 10)), boxes.map((b) => gt('1', b)), { maxDets: [1, 2, 2] });
    expect(cut.AR100).toBeCloseTo(2 / 3, 15); // recall 2/3 at every threshold
  });

  it('ties across images follow image order (numeric ids sort numerically)', () => {
    // image "10" has an FP, image "9" a TP, equal scores: numeric order visits 9 first → TP, FP → AP50 1.
    const g = [gt('9', [0, 0, 10, 10]), gt('10', [0, 0, 10, 10])];
    const d = [det('10', [50, 50, 60, 60], 0.5), det('9', [0, 0, 10, 10], 0.5)];
    // recall 1/2 after the TP, precision 1 → points 0…50 get 1, the rest 0.
    expect(cocoAP(d, g).AP50).toBe(51 / 101);
    // string ids ("a10" < "a9"): the FP comes first → precision 0, then 1/2 → 51 points of 1/2.
    const gs = g.map((x) => ({ ...x, imageId: 'a' + x.imageId }));
    const ds = d.map((x) => ({ ...x, imageId: 'a' + x.imageId }));
    expect(cocoAP(ds, gs).AP50).toBe((51 * 0.5) / 101);
  });
});

// --- independent transcription of COCOeval's evaluateImg / accumulate / summarize (slow, obvious) ---
function referenceCOCO(dets: DetectionBox[], gts: COCOGroundTruthBox[], K: number): number[] {
  const thrs = [...COCO_IOU_THRESHOLDS], recs = [...COCO_RECALL_THRESHOLDS];
  const areas: Array<[number, number]> = [[0, 1e10], [0, 1024], [1024, 9216], [9216, 1e10]];
  const maxDets = [1, 10, 100];
  const ids = [...new Set([...gts.map((g) => g.imageId), ...dets.map((d) => d.imageId)])];
  ids.sort((a, b) => Number(a) - Number(b));
  const area = (b: readonly number[]): number => (b[2] - b[0]) * (b[3] - b[1]);
  const iou = (d: readonly number[], g: readonly number[], crowd: boolean): number => {
    const w = Math.min(d[2], g[2]) - Math.max(d[0], g[0]);
    const h = Math.min(d[3], g[3]) - Math.max(d[1], g[1]);
    if (w <= 0 || h <= 0) return 0;
    return (w * h) / (crowd ? area(d) : area(d) + area(g) - w * h);
  };
  // P[t][r][k][a][m], Rc[t][k][a][m]
  const P: number[][][][][] = thrs.map(() => recs.map(() => Array.from({ length: K }, () => areas.map(() => maxDets.map(() => -1)))));
  const Rc: number[][][][] = thrs.map(() => Array.from({ length: K }, () => areas.map(() => maxDets.map(() => -1))));
  for (let k = 0; k < K; k++) {
    for (let a = 0; a < 4; a++) {
      const [lo, hi] = areas[a];
      const E = ids.map((id) => {
        const G0 = gts.filter((g) => g.imageId === id && g.classId === k);
        const D0 = dets.map((d, i) => ({ d, i })).filter(({ d }) => d.imageId === id && d.classId === k);
        if (G0.length === 0 && D0.length === 0) return null;
        const Gs = G0.map((g) => ({ g, ig: g.iscrowd || (g.area ?? area(g.box)) < lo || (g.area ?? area(g.box)) > hi }));
        const G = [...Gs.filter((x) => !x.ig), ...Gs.filter((x) => x.ig)];
        const D = [...D0].sort((p, q) => q.d.score - p.d.score || p.i - q.i).slice(0, 100);
        const dtm = thrs.map(() => D.map(() => false));
        const dtIg = thrs.map(() => D.map(() => false));
        thrs.forEach((t, ti) => {
          const gtm = G.map(() => false);
          D.forEach(({ d }, di) => {
            let best = Math.min(t, 1 - 1e-10), m = -1;
            for (let gi = 0; gi < G.length; gi++) {
              if (gtm[gi] && !G[gi].g.iscrowd) continue;
              if (m > -1 && !G[m].ig && G[gi].ig) break;
              const v = iou(d.box, G[gi].g.box, !!G[gi].g.iscrowd);
              if (v < best) continue;
              best = v; m = gi;
            }
            if (m === -1) { dtIg[ti][di] = area(d.box) < lo || area(d.box) > hi; return; }
            dtIg[ti][di] = G[m].ig; dtm[ti][di] = true; gtm[m] = true;
          });
        });
        return { scores: D.map(({ d }) => d.score), dtm, dtIg, npig: G.filter((x) => !x.ig).length };
      }).filter((e) => e !== null);
      if (E.length === 0) continue;
      maxDets.forEach((maxDet, mi) => {
        const rows: Array<{ s: number; e: number; j: number }> = [];
        E.forEach((e, ei) => e!.scores.slice(0, maxDet).forEach((s, j) => rows.push({ s, e: ei, j })));
        rows.sort((p, q) => q.s - p.s); // stable
        const npig = E.reduce((acc, e) => acc + e!.npig, 0);
        if (npig === 0) return;
        thrs.forEach((_, ti) => {
          let tp = 0, fp = 0;
          const rc: number[] = [], pr: number[] = [];
          for (const { e, j } of rows) {
            const ig = E[e]!.dtIg[ti][j], m = E[e]!.dtm[ti][j];
            if (m && !ig) tp++;
            if (!m && !ig) fp++;
            rc.push(tp / npig);
            pr.push(tp + fp === 0 ? 0 : tp / (tp + fp));
          }
          Rc[ti][k][a][mi] = rows.length ? rc[rc.length - 1] : 0;
          for (let i = pr.length - 1; i > 0; i--) if (pr[i] > pr[i - 1]) pr[i - 1] = pr[i];
          recs.forEach((r, ri) => {
            const idx = rc.findIndex((x) => x >= r);
            P[ti][ri][k][a][mi] = idx === -1 ? 0 : pr[idx];
          });
        });
      });
    }
  }
  const mean = (xs: number[]): number => {
    const v = xs.filter((x) => x > -1);
    return v.length ? v.reduce((p, q) => p + q, 0) / v.length : -1;
  };
  const pAt = (ts: number[], a: number, m: number): number[] => ts.flatMap((t) => P[t].flatMap((row) => row.map((c) => c[a][m])));
  const rAt = (a: number, m: number): number[] => Rc.flatMap((row) => row.map((c) => c[a][m]));
  const all = thrs.map((_, i) => i);
  return [
    mean(pAt(all, 0, 2)), mean(pAt([0], 0, 2)), mean(pAt([5], 0, 2)),
    mean(pAt(all, 1, 2)), mean(pAt(all, 2, 2)), mean(pAt(all, 3, 2)),
    mean(rAt(0, 0)), mean(rAt(0, 1)), mean(rAt(0, 2)), mean(rAt(1, 2)), mean(rAt(2, 2)), mean(rAt(3, 2)),
  ];
}

function randomScene(seed: number, nImages = 5, K = 2): { dets: DetectionBox[]; gts: COCOGroundTruthBox[] } {
  const r = rng(seed);
  const int = (n: number): number => Math.floor(r() * n);
  const gts: COCOGroundTruthBox[] = [];
  const dets: DetectionBox[] = [];
  for (let i = 0; i < nImages; i++) {
    const id = String(int(3) === 0 ? i * 7 : i);
    for (let o = int(5); o > 0; o--) {
      const x = int(100), y = int(100), w = 4 + int(120), h = 4 + int(120); // ≥ 4: jittered copies keep x1 ≤ x2
      const b: Box = [x, y, x + w, y + h];
      const classId = int(K);
      gts.push({ imageId: id, classId, box: b, iscrowd: r() < 0.1, ...(r() < 0.2 ? { area: int(12000) } : {}) });
      for (let k = int(3); k > 0; k--) {
        const j = (): number => int(9) - 4;
        dets.push({ imageId: id, classId, box: [b[0] + j(), b[1] + j(), b[2] + j() + 4, b[3] + j() + 4], score: int(20) / 20 });
      }
    }
    for (let k = int(4); k > 0; k--) {
      const x = int(150), y = int(150);
      dets.push({ imageId: id, classId: int(K), box: [x, y, x + 2 + int(100), y + 2 + int(100)], score: int(20) / 20 });
    }
  }
  return { dets, gts };
}

describe('cocoAP: against the reference transcription', () => {
  it('random scenes with crowds, area overrides, duplicates and tied scores', () => {
    for (let seed = 1; seed <= 25; seed++) {
      const { dets, gts } = randomScene(seed);
      const ours = cocoAP(dets, gts, { numClasses: 2 }).stats;
      const ref = referenceCOCO(dets, gts, 2);
      ours.forEach((v, i) => expect(v).toBeCloseTo(ref[i], 12));
    }
  });
});

describe('cocoAP: properties', () => {
  const scene = fc.integer({ min: 1, max: 1_000_000 }).map((seed) => randomScene(seed, 4, 2));
  it('every summary number is −1 or in [0, 1]', () => {
    fc.assert(
      fc.property(scene, ({ dets, gts }) => {
        for (const v of cocoAP(dets, gts, { numClasses: 2 }).stats) expect(v === -1 || (v >= 0 && v <= 1)).toBe(true);
      }),
      { numRuns: 40 },
    );
  });
  it('perfect detections give exactly 1', () => {
    fc.assert(
      fc.property(scene, ({ gts }) => {
        const plain = gts.map((g) => ({ imageId: g.imageId, classId: g.classId, box: g.box }));
        const r = cocoAP(plain.map((g, i) => ({ ...g, score: 1 - i / 1000 })), plain, { numClasses: 2 });
        if (r.AP !== -1) expect(r.AP).toBe(1);
        if (r.AR100 !== -1) expect(r.AR100).toBe(1);
      }),
      { numRuns: 40 },
    );
  });
  it('shuffling the input (distinct scores) changes nothing', () => {
    fc.assert(
      fc.property(scene, fc.integer(), ({ dets, gts }, seed) => {
        const r = rng(seed);
        const distinct = dets.map((d, i) => ({ ...d, score: (i + 1) / (dets.length + 1) }));
        const shuffled = [...distinct];
        for (let i = shuffled.length - 1; i > 0; i--) {
          const j = Math.floor(r() * (i + 1));
          [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
        }
        expect(cocoAP(shuffled, gts, { numClasses: 2 }).stats).toEqual(cocoAP(distinct, gts, { numClasses: 2 }).stats);
      }),
      { numRuns: 30 },
    );
  });
});

describe('cocoAP: bad input', () => {
  it('names the record or option', () => {
    const g = [gt('1', [0, 0, 10, 10])];
    expect(thrown(() => cocoAP([det('1', [0, 0, 10, NaN], 0.5)], g)).message).toMatch(/cocoAP: 'detections\[0\]\.box' must hold 4 finite numbers/);
    expect(thrown(() => cocoAP([], [gt('1', [0, 0, 10, 10], { area: -1 })])).message).toMatch(/'groundTruths\[0\]\.area' must be a finite number ≥ 0, got -1/);
    const e = thrown(() => cocoAP([], g, { maxDets: [1, 10] as unknown as [number, number, number] }));
    expect(e).toBeInstanceOf(ValueError);
    expect(thrown(() => cocoAP([], g, { iouThresholds: [0.5, 2] })).message).toMatch(/'options\.iouThresholds\[1\]'/);
  });
});

describe('cocoAP: against numbers computed in Python', () => {
  // test/fixtures/eval-python-reference.json: seeded synthetic inputs (crowds, area overrides, tied
  // scores) and the 12 stats a numpy transcription of COCOeval gives on them.
  it('the 12 numbers agree to 1e-15', () => {
    const { dets, gts, K } = reference.input.coco;
    const r = cocoAP(dets as DetectionBox[], gts as COCOGroundTruthBox[], { numClasses: K });
    r.stats.forEach((v, i) => expect(Math.abs(v - reference.expected.coco[i])).toBeLessThanOrEqual(1e-15));
  });
});

describe('cocoAP: option keys (issue 18, item 5)', () => {
  it('an unknown option key is a ValueError naming it and the near known one', () => {
    const e = thrown(() => cocoAP([], [], { maxDet: [1, 10, 100] } as never));
    expect(e).toBeInstanceOf(ValueError);
    expect(e.message).toMatch(/cocoAP: unknown option 'maxDet'.*did you mean 'maxDets'/);
  });
});

describe('numeric image ids (issue 18, item 10)', () => {
  it('the public types accept imageId: number, compared as its decimal string', () => {
    // one image, given as 7 and '7': the detection matches the ground truth exactly → AP 1
    const dets: DetectionBox[] = [{ imageId: 7, classId: 0, box: [0, 0, 10, 10], score: 0.9 }];
    const gts: COCOGroundTruthBox[] = [{ imageId: '7', classId: 0, box: [0, 0, 10, 10] }];
    expect(cocoAP(dets, gts).AP50).toBe(1);
  });
});
