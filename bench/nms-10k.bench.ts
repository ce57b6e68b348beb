/**
 * NMS on 10,000 random boxes in a 1000 × 1000 field, sides 10–100 (seeded), IoU 0.5, no score filter
 * (-Infinity), no cap (Infinity). Measures the tensor API on each backend, the typed-array path, and a
 * plain O(N · kept) JS greedy loop (the reference) for the speed-up. Checks that all agree. Also times
 * soft-NMS (linear, gaussian) on the typed-array path, with the default score threshold 0.005.
 */
import { mulberry32 } from '../src/random.js';
import * as tf from '@tensorflow/tfjs-core';
import { iouFloat32 } from '../src/boxes.js';
import { nms } from '../src/nms/nms.js';
import { nmsArrays } from '../src/nms/nms-arrays.js';
import { benchBackends, measure, report, useBackend } from './util.js';


function makeBoxes(n: number, seed: number): { boxes: Float32Array; scores: Float32Array } {
  const r = mulberry32(seed);
  const boxes = new Float32Array(4 * n);
  const scores = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const w = 10 + 90 * r(), h = 10 + 90 * r();
    const x = (1000 - w) * r(), y = (1000 - h) * r();
    boxes.set([x, y, x + w, y + h], 4 * i);
    scores[i] = r();
  }
  return { boxes, scores };
}

/** The naive greedy loop: every candidate tested against every box kept so far. */
function referenceNms(boxes: Float32Array, scores: Float32Array, iouThreshold: number): Int32Array {
  const order = Int32Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b);
  const keep = new Int32Array(scores.length);
  let kept = 0;
  outer: for (const i of order) {
    for (let k = 0; k < kept; k++) if (iouFloat32(boxes, keep[k], boxes, i) > iouThreshold) continue outer;
    keep[kept++] = i;
  }
  return keep.slice(0, kept);
}

export default async function (): Promise<void> {
  const n = 10_000;
  const { boxes, scores } = makeBoxes(n, 42);
  const options = { iouThreshold: 0.5, scoreThreshold: -Infinity, maxDetections: Infinity };
  const expected = referenceNms(boxes, scores, 0.5);
  const same = (a: ArrayLike<number>) => a.length === expected.length && Array.prototype.every.call(a, (v: number, i: number) => v === expected[i]);

  for (const backend of benchBackends()) {
    await useBackend(backend);
    const tb = tf.tensor2d(boxes, [n, 4]);
    const ts = tf.tensor1d(scores);
    let kept = 0;
    let agrees = true;
    const t = await measure(() => {
      const out = nms(tb, ts, options);
      const v = out.dataSync();
      kept = v.length;
      agrees &&= same(v);
      out.dispose();
    }, { iterations: 15, warmup: 3 });
    report({ name: 'nms-10k', backend, api: 'tensor', ...t, kept, agreesWithReference: agrees });
    tf.dispose([tb, ts]);
  }

  let kept = 0;
  let agrees = true;
  const t = await measure(() => {
    const out = nmsArrays(boxes, scores, options);
    kept = out.length;
    agrees &&= same(out);
  }, { iterations: 15, warmup: 3 });
  report({ name: 'nms-10k', backend: 'js', api: 'nmsArrays', ...t, kept, agreesWithReference: agrees });

  for (const method of ['soft-linear', 'soft-gaussian'] as const) {
    let keptSoft = 0;
    const ts = await measure(() => {
      keptSoft = nmsArrays(boxes, scores, { ...options, method, scoreThreshold: 0.005 }).length;
    }, { iterations: 7, warmup: 1 });
    report({ name: 'nms-10k', backend: 'js', api: `nmsArrays ${method} (scoreThreshold 0.005)`, ...ts, kept: keptSoft });
  }

  const r = await measure(() => referenceNms(boxes, scores, 0.5), { iterations: 3, warmup: 1 });
  report({ name: 'nms-10k', backend: 'js', api: 'reference O(N·kept)', ...r, kept: expected.length, speedup: Math.round((r.medianMs / t.medianMs) * 10) / 10 });
}
