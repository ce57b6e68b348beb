import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { iouFloat32, postprocess, postprocessAsync, ShapeError, ValueError, type DecodedHead, type Detection } from '../../src/index.js';
import { expectNoLeak, expectNoLeakAsync, rng } from '../helpers.js';

const f = Math.fround;

/** Build a DecodedHead from plain arrays; scores = objectness · classProbs in float32. */
function head(boxes: number[][][], objectness: number[][], classProbs: number[][][]): DecodedHead {
  const scores = classProbs.map((img, b) => img.map((probs, k) => probs.map((p) => f(f(objectness[b][k]) * f(p)))));
  return {
    boxes: tf.tensor3d(boxes),
    objectness: tf.tensor2d(objectness),
    classProbs: tf.tensor3d(classProbs),
    scores: tf.tensor3d(scores),
  };
}

const disposeHead = (h: DecodedHead) => tf.dispose([h.boxes, h.objectness, h.classProbs, h.scores]);
const brief = (dets: Detection[][]) => dets.map((img) => img.map((d) => [d.classId, d.score, d.box]));

// Image 0: b0 = (0,0,0.5,0.5), b1 = (0,0,0.5,0.3125): IoU = 0.078125 / 0.125 = 0.625; b2 = (0.6,0.6,0.9,0.9) apart.
//   objectness [0.9, 0.8, 0.5], probs [[0.9,0.1],[0.6,0.4],[0.3,0.7]]
//   scores: b0 (0.81, 0.09), b1 (0.48, 0.32), b2 (0.15, 0.35).
// Image 1: b0 = b1 = (0.1,0.1,0.4,0.4) (IoU 1); b2 with objectness 0 (all scores 0).
//   scores: b0 (0.72, 0.18), b1 (0.24, 0.56), b2 (0, 0).
const B0 = [0, 0, 0.5, 0.5], B1 = [0, 0, 0.5, 0.3125], B2 = [0.6, 0.6, 0.9, 0.9], S = [0.1, 0.1, 0.4, 0.4];
function fixture(): DecodedHead {
  return head(
    [[B0, B1, B2], [S, S, [0.5, 0.5, 0.7, 0.7]]],
    [[0.9, 0.8, 0.5], [0.9, 0.8, 0]],
    [[[0.9, 0.1], [0.6, 0.4], [0.3, 0.7]], [[0.8, 0.2], [0.3, 0.7], [0.5, 0.5]]],
  );
}
const sc = (o: number, p: number) => f(f(o) * f(p));
const box = (b: number[]) => b.map(f);

describe('postprocess: hand-computed fixtures', () => {
  it('default: best class per box, class-aware NMS at 0.45', () => {
    const h = fixture();
    // Image 0 candidates: b0/c0 0.81, b1/c0 0.48, b2/c1 0.35; b1 is suppressed by b0 (0.625 > 0.45).
    // Image 1 candidates: b0/c0 0.72, b1/c1 0.56 (different classes: both kept); b2 scores 0 ≤ 0.005.
    expect(brief(postprocess(h))).toEqual([
      [[0, sc(0.9, 0.9), box(B0)], [1, sc(0.5, 0.7), box(B2)]],
      [[0, sc(0.9, 0.8), box(S)], [1, sc(0.8, 0.7), box(S)]],
    ]);
    disposeHead(h);
  });

  it('classAgnostic: one NMS across classes', () => {
    const h = fixture();
    // Image 1: b1/c1 0.56 overlaps b0/c0 0.72 with IoU 1: suppressed.
    expect(brief(postprocess(h, { classAgnostic: true }))[1]).toEqual([[0, sc(0.9, 0.8), box(S)]]);
    disposeHead(h);
  });

  it('multiLabel: every class above the threshold; class-aware and agnostic', () => {
    const h = fixture();
    // Image 0 candidates (score order): b0c0 .81, b1c0 .48, b2c1 .35, b1c1 .32, b2c0 .15, b0c1 .09.
    // Class 0: b0 kept, b1 suppressed by b0 (0.625), b2 kept. Class 1: b2 kept, b1 kept (no overlap with b2),
    // b0 suppressed by b1 (0.625). Merged by score: b0c0, b2c1, b1c1, b2c0.
    expect(brief(postprocess(h, { multiLabel: true }))[0]).toEqual([
      [0, sc(0.9, 0.9), box(B0)],
      [1, sc(0.5, 0.7), box(B2)],
      [1, sc(0.8, 0.4), box(B1)],
      [0, sc(0.5, 0.3), box(B2)],
    ]);
    // Agnostic: b0c0 kept; b1c0 suppressed (0.625); b2c1 kept; b1c1 suppressed by b0 (0.625);
    // b2c0 and b0c1 suppressed by the same box of another class (IoU 1).
    expect(brief(postprocess(h, { multiLabel: true, classAgnostic: true }))[0]).toEqual([
      [0, sc(0.9, 0.9), box(B0)],
      [1, sc(0.5, 0.7), box(B2)],
    ]);
    disposeHead(h);
  });

  it('confThreshold (strict), iouThreshold, maxDetections per image', () => {
    const h = fixture();
    // conf 0.4: image 0 keeps b0 (0.81) only (b1 0.48 suppressed, b2 0.35 below); image 1 both (0.72, 0.56).
    expect(postprocess(h, { confThreshold: 0.4 }).map((d) => d.length)).toEqual([1, 2]);
    // conf exactly 0.56 (the float32 score of image 1's b1): not strictly above → dropped.
    expect(postprocess(h, { confThreshold: sc(0.8, 0.7) })[1].map((d) => d.classId)).toEqual([0]);
    // iouThreshold 0.7: b1 (IoU 0.625) survives in image 0.
    expect(postprocess(h, { iouThreshold: 0.7 })[0].length).toBe(3);
    expect(postprocess(h, { maxDetections: 1 }).map((d) => d.length)).toEqual([1, 1]);
    disposeHead(h);
  });

  it('soft-NMS decays scores: b1 0.48 · (1 − 0.625) = 0.18', () => {
    const h = fixture();
    const dets = postprocess(h, { method: 'soft-linear' })[0];
    expect(dets.map((d) => d.score)).toEqual([sc(0.9, 0.9), sc(0.5, 0.7), f(sc(0.8, 0.6) * 0.375)]);
    disposeHead(h);
  });

  it('postprocessAsync gives the same result', async () => {
    const h = fixture();
    expect(await postprocessAsync(h, { multiLabel: true })).toEqual(postprocess(h, { multiLabel: true }));
    disposeHead(h);
  });
});

/** Naive reference: candidates, then O(n²) greedy NMS per the documented rules. */
function reference(boxes: Float32Array, scores: Float32Array, B: number, K: number, C: number, o: { conf: number; iou: number; max: number; multi: boolean; agnostic: boolean }) {
  const out: Array<Array<[number, number, number]>> = [];
  for (let b = 0; b < B; b++) {
    const cand: Array<{ k: number; c: number; s: number }> = [];
    for (let k = 0; k < K; k++) {
      const row = scores.subarray((b * K + k) * C, (b * K + k + 1) * C);
      if (o.multi) {
        for (let c = 0; c < C; c++) if (row[c] > o.conf) cand.push({ k, c, s: row[c] });
      } else {
        const c = row.indexOf(Math.max(...row));
        if (row[c] > o.conf) cand.push({ k, c, s: row[c] });
      }
    }
    const order = cand.map((_, i) => i).sort((x, y) => cand[y].s - cand[x].s || x - y);
    const kept: number[] = [];
    for (const i of order) {
      if (kept.length >= o.max) break;
      const hit = kept.some((j) => (o.agnostic || cand[j].c === cand[i].c) && iouFloat32(boxes, b * K + cand[j].k, boxes, b * K + cand[i].k) > o.iou);
      if (!hit) kept.push(i);
    }
    out.push(kept.map((i) => [cand[i].k, cand[i].c, cand[i].s]));
  }
  return out;
}

describe('postprocess: agrees with a naive reference on random heads', () => {
  it('B = 2, K = 300, C = 4, all option combinations', () => {
    const r = rng(5);
    const B = 2, K = 300, C = 4;
    const boxes = new Float32Array(B * K * 4);
    for (let i = 0; i < B * K; i++) {
      const x = r() * 0.9, y = r() * 0.9;
      boxes.set([x, y, x + 0.02 + r() * 0.15, y + 0.02 + r() * 0.15], 4 * i);
    }
    const obj = Float32Array.from({ length: B * K }, () => r());
    const probs = Float32Array.from({ length: B * K * C }, () => Math.floor(r() * 8) / 8); // ties on purpose
    const scores = Float32Array.from(probs, (p, i) => f(obj[Math.floor(i / C)] * p));
    const h: DecodedHead = {
      boxes: tf.tensor3d(boxes, [B, K, 4]),
      objectness: tf.tensor2d(obj, [B, K]),
      classProbs: tf.tensor3d(probs, [B, K, C]),
      scores: tf.tensor3d(scores, [B, K, C]),
    };
    for (const multi of [false, true]) {
      for (const agnostic of [false, true]) {
        for (const [conf, iou, max] of [[0.005, 0.45, 100], [0.3, 0.3, 20], [-Infinity, 0.6, Infinity]]) {
          // clip: false — the reference finds each detection by its raw box (some reach x2 = 1.07)
          const got = postprocess(h, { multiLabel: multi, classAgnostic: agnostic, confThreshold: conf, iouThreshold: iou, maxDetections: max, clip: false });
          const want = reference(boxes, scores, B, K, C, { conf, iou, max, multi, agnostic });
          expect(got.map((img, b) => img.map((d) => {
            const k = want[b].find(([kk, cc]) => cc === d.classId && boxes[4 * (b * K + kk)] === d.box[0] && boxes[4 * (b * K + kk) + 3] === d.box[3]);
            return [k?.[0], d.classId, d.score];
          }))).toEqual(want);
        }
      }
    }
    disposeHead(h);
  });
});

describe('postprocess: bad input and leaks', () => {
  it('inconsistent shapes name the tensor, expected and received', () => {
    const h = fixture();
    const bad3 = tf.zeros([2, 3, 3]) as tf.Tensor3D;
    const bad2 = tf.zeros([2, 4]) as tf.Tensor2D;
    const badC = tf.zeros([2, 3, 5]) as tf.Tensor3D;
    expect(() => postprocess({ ...h, boxes: bad3 })).toThrow(ShapeError);
    expect(() => postprocess({ ...h, boxes: bad3 })).toThrow(/postprocess: 'decoded.boxes' must be a tensor of shape \[B, K, 4\].*\[2, 3, 3\]/);
    expect(() => postprocess({ ...h, objectness: bad2 })).toThrow(/'decoded.objectness' must be a tensor of shape \[B, K\] = \[2, 3\].*\[2, 4\]/);
    expect(() => postprocess({ ...h, classProbs: badC })).toThrow(/'decoded.classProbs' must be a tensor of shape \[B, K, C\] = \[2, 3, 2\].*\[2, 3, 5\]/);
    expect(() => postprocess({ ...h, scores: bad2 as unknown as tf.Tensor3D })).toThrow(/'decoded.scores' must be a tensor of shape \[B, K, C\] = \[2, 3, C\]/);
    tf.dispose([bad3, bad2, badC]);
    disposeHead(h);
  });

  it('NaN values and bad options are ValueErrors', () => {
    const h = fixture();
    const nanBoxes = tf.tensor3d([[[0, 0, 1, 1], [0, 0, NaN, 1], [0, 0, 1, 1]], [[0, 0, 1, 1], [0, 0, 1, 1], [0, 0, 1, 1]]]);
    expect(() => postprocess({ ...h, boxes: nanBoxes })).toThrow(/'decoded.boxes' must be finite everywhere, got NaN at row 1, column 2/);
    expect(() => postprocess(h, { confThreshold: NaN })).toThrow(/'confThreshold'.*got NaN/);
    expect(() => postprocess(h, { iouThreshold: 2 })).toThrow(/postprocess: 'iouThreshold'/);
    // @ts-expect-error classIds is not an option of postprocess
    expect(() => postprocess(h, { classIds: h.objectness })).toThrow(/'classIds' is not an option here/);
    // @ts-expect-error wrong type on purpose
    expect(() => postprocess(h, { multiLabel: 'yes' })).toThrow(/'multiLabel' must be a boolean, got "yes"/);
    nanBoxes.dispose();
    disposeHead(h);
  });

  it('leaks no tensor (sync and async, inside tidy)', async () => {
    const h = fixture();
    expectNoLeak(() => postprocess(h, { multiLabel: true }));
    expectNoLeak(() => tf.tidy(() => { postprocess(h); }));
    await expectNoLeakAsync(() => postprocessAsync(h));
    disposeHead(h);
  });
});

describe('postprocess: boxes clipped to the image (issue 18, item 8) and option keys (item 5)', () => {
  it('clips each coordinate to [0, 1] after NMS by default; clip: false keeps the raw box', () => {
    // two boxes of one class, far apart: (−0.25, 0.5, 0.25, 1.25) score 0.9·1, (0.75, −0.5, 1.5, 0.25) score 0.8·1
    const h = head([[[-0.25, 0.5, 0.25, 1.25], [0.75, -0.5, 1.5, 0.25]]], [[0.9, 0.8]], [[[1], [1]]]);
    const clipped = postprocess(h);
    expect(clipped[0].map((d) => d.box)).toEqual([[0, 0.5, 0.25, 1], [0.75, 0, 1, 0.25]]);
    const raw = postprocess(h, { clip: false });
    expect(raw[0].map((d) => d.box)).toEqual([[-0.25, 0.5, 0.25, 1.25], [0.75, -0.5, 1.5, 0.25]]);
    expect(clipped[0].map((d) => d.score)).toEqual(raw[0].map((d) => d.score));
    expect(() => postprocess(h, { clip: 'yes' as never })).toThrow(/postprocess: 'clip' must be a boolean/);
    disposeHead(h);
  });
  it('unknown option keys are ValueErrors naming the near known key (postprocess, postprocessAsync)', async () => {
    const h = head([[[0, 0, 0.5, 0.5]]], [[0.9]], [[[1]]]);
    expect(() => postprocess(h, { confThresh: 0.3 } as never)).toThrow(/postprocess: unknown option 'confThresh'.*'confThreshold'/);
    expect(() => postprocess(h, { iouThreshhold: 0.3 } as never)).toThrow(/unknown option 'iouThreshhold'.*'iouThreshold'/);
    await expectNoLeakAsync(async () => {
      await expect(postprocessAsync(h, { maxDetection: 3 } as never)).rejects.toThrow(/postprocessAsync: unknown option 'maxDetection'/);
    });
    disposeHead(h);
  });
});
