/**
 * `npm run bench -- loss`: YOLOv2Loss forward and forward+gradient, B = 16, A = 5, C = 20, 6 objects per
 * image, at 13×13 and 19×19, on each backend of `benchBackends()`. Raw output: t_x, t_y ~ N(0, 1),
 * t_w, t_h ~ N(0, 0.5), t_o ~ N(−2.5, 1.5), class logits ~ N(0, 2).
 */
import * as tf from '@tensorflow/tfjs-core';
import { VOC_ANCHORS } from '../src/anchors.js';
import { packTargets, YOLOv2Loss } from '../src/index.js';
import type { Annotation } from '../src/loss/targets.js';
import { randn, rng } from '../test/helpers.js';
import { benchBackends, measure, report, useBackend } from './util.js';

const B = 16;
const A = 5;
const C = 20;
const OBJECTS = 6;

/** A raw head output with the distributions above, NHWC. */
export function syntheticOutput(seed: number, b: number, h: number, w: number, a: number, c: number): Float32Array {
  const r = rng(seed);
  const d = 5 + c;
  const rows = b * h * w * a;
  const v = new Float32Array(rows * d);
  const cols: Array<[number, number]> = [[0, 1], [0, 1], [0, 0.5], [0, 0.5], [-2.5, 1.5]];
  for (let n = 0; n < rows; n++) {
    const z = randn(r, d, 0, 1);
    for (let k = 0; k < d; k++) {
      const [mean, std] = k < 5 ? cols[k] : [0, 2];
      v[n * d + k] = mean + std * z[k];
    }
  }
  return v;
}

/** `objects` random boxes per image, seeded. */
export function syntheticAnnotations(seed: number, b: number, objects: number, c: number): Annotation[][] {
  const r = rng(seed);
  return Array.from({ length: b }, () =>
    Array.from({ length: objects }, () => {
      const w = 0.05 + 0.6 * r();
      const h = 0.05 + 0.6 * r();
      return { classId: Math.floor(r() * c), box: [w / 2 + (1 - w) * r(), h / 2 + (1 - h) * r(), w, h] as const };
    }),
  );
}

export default async function (): Promise<void> {
  for (const backend of benchBackends()) {
    await useBackend(backend);
    for (const grid of [13, 19]) {
      const output = tf.tensor4d(syntheticOutput(1, B, grid, grid, A, C), [B, grid, grid, A * (5 + C)]);
      const targets = packTargets(syntheticAnnotations(2, B, OBJECTS, C));
      // BENCH_CHECK_FINITE=0: without the finite-output check (checkFinite: false), as the trainer runs the loss
      const loss = new YOLOv2Loss({ anchors: VOC_ANCHORS, numClasses: C, ...(process.env.BENCH_CHECK_FINITE === '0' ? { checkFinite: false } : {}) });
      const lossFn = (x: tf.Tensor): tf.Scalar => loss.compute(x as tf.Tensor4D, targets).total;
      const grad = tf.grad(lossFn);
      const before = tf.memory().numTensors;
      const fwd = await measure(() => tf.dispose(tf.tidy(() => lossFn(output))), { iterations: 30, warmup: 5 });
      report({ name: `loss forward ${grid}x${grid}`, backend, ...fwd, B, A, C, objects: OBJECTS });
      const both = await measure(() => tf.dispose(grad(output)), { iterations: 30, warmup: 5 });
      report({ name: `loss forward+gradient ${grid}x${grid}`, backend, ...both, B, A, C, objects: OBJECTS, leaked: tf.memory().numTensors - before });
      tf.dispose([output, targets]);
    }
  }
}
