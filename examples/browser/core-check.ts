/**
 * Core mode: the core functions on a fixed seeded input, once on `webgl` and once on `cpu` in the same
 * page, and the largest relative difference of every output (cpu is the reference).
 *
 * Input: a head output `[2, 4, 4, 5·(5+4)]` (5 anchors, 4 classes) drawn from N(0, 1.5²) with a
 * mulberry32 seed, and packed targets for 3 + 2 objects. Computed: `decodeBoxes` (boxes, objectness,
 * classProbs, scores), `nms` on image 0 (indices must be identical), `YOLOv2Loss` (darknet defaults) terms
 * and `tf.grad` of the total with respect to the head output.
 */
import * as tf from '@tensorflow/tfjs-core';
import { YOLOv2Loss, decodeBoxes, nms, packTargets, type Anchor } from 'yolov2-ts';
import { maxRelDiff, type CoreResults } from './results.js';

export const CORE_ANCHORS: Anchor[] = [[0.332, 0.366], [1.052, 1.357], [2.04, 3.502], [2.898, 1.572], [5.114, 3.237]];
export const CORE_SHAPE: [number, number, number, number] = [2, 4, 4, 5 * (5 + 4)];
export const CORE_SEED = 1234;
const NUM_CLASSES = 4;

/** cx, cy, w, h normalised. */
export const CORE_ANNOTATIONS = [
  [
    { classId: 0, box: [0.3, 0.35, 0.25, 0.3] as [number, number, number, number] },
    { classId: 2, box: [0.7, 0.6, 0.4, 0.5] as [number, number, number, number] },
    { classId: 3, box: [0.15, 0.8, 0.1, 0.12] as [number, number, number, number] },
  ],
  [
    { classId: 1, box: [0.5, 0.5, 0.8, 0.7] as [number, number, number, number] },
    { classId: 3, box: [0.9, 0.1, 0.15, 0.15] as [number, number, number, number] },
  ],
];

export function coreInput(seed = CORE_SEED, std = 1.5): Float32Array {
  let a = seed >>> 0;
  const rand = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const n = CORE_SHAPE.reduce((p, q) => p * q, 1);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = Math.max(rand(), 1e-12);
    out[i] = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand()) * std;
  }
  return out;
}

interface CoreOutputs {
  boxes: Float32Array;
  objectness: Float32Array;
  classProbs: Float32Array;
  scores: Float32Array;
  nms: number[];
  loss: Record<'total' | 'coord' | 'obj' | 'noobj' | 'cls', number>;
  gradient: Float32Array;
}

async function computeOn(backend: string, input: Float32Array): Promise<CoreOutputs> {
  if (!(await tf.setBackend(backend))) throw new Error(`core check: cannot activate the '${backend}' backend`);
  await tf.ready();
  const spec = { anchors: CORE_ANCHORS, numClasses: NUM_CLASSES };
  const lossFn = new YOLOv2Loss(spec);
  const output = tf.tensor4d(input, CORE_SHAPE);
  const targets = packTargets(CORE_ANNOTATIONS);
  try {
    const dec = decodeBoxes(output, spec);
    const K = dec.boxes.shape[1];
    const picked = tf.tidy(() => {
      const boxes0 = tf.reshape(tf.slice(dec.boxes, [0, 0, 0], [1, K, 4]), [K, 4]) as tf.Tensor2D;
      const scores0 = tf.reshape(tf.max(tf.slice(dec.scores, [0, 0, 0], [1, K, NUM_CLASSES]), 2), [K]) as tf.Tensor1D;
      return nms(boxes0, scores0, { iouThreshold: 0.45, scoreThreshold: 0.05, maxDetections: 100 });
    });
    const terms = lossFn.compute(output, targets);
    const gradient = tf.grad((o: tf.Tensor) => lossFn.compute(o as tf.Tensor4D, targets).total)(output);
    const [boxes, objectness, classProbs, scores, nmsIdx, grad] = await Promise.all(
      [dec.boxes, dec.objectness, dec.classProbs, dec.scores, picked, gradient].map((t) => t.data()),
    );
    const loss = {
      total: (await terms.total.data())[0],
      coord: (await terms.coord.data())[0],
      obj: (await terms.obj.data())[0],
      noobj: (await terms.noobj.data())[0],
      cls: (await terms.cls.data())[0],
    };
    tf.dispose([...Object.values(dec), picked, ...Object.values(terms), gradient] as tf.Tensor[]);
    return {
      boxes: boxes as Float32Array,
      objectness: objectness as Float32Array,
      classProbs: classProbs as Float32Array,
      scores: scores as Float32Array,
      nms: Array.from(nmsIdx),
      loss,
      gradient: grad as Float32Array,
    };
  } finally {
    tf.dispose([output, targets]);
  }
}

const norm = (v: Float32Array): number => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

/** Run the check on `webgl` and `cpu`; restores the backend that was active before. */
export async function runCoreCheck(): Promise<CoreResults> {
  const previous = tf.getBackend();
  const input = coreInput();
  const numTensorsBefore = tf.memory().numTensors;
  const gl = await computeOn('webgl', input);
  const numTensorsAfterWebgl = tf.memory().numTensors;
  const cpu = await computeOn('cpu', input);
  await tf.setBackend(previous);
  const lossDiff = (k: keyof CoreOutputs['loss']): number => maxRelDiff([gl.loss[k]], [cpu.loss[k]]);
  return {
    backends: ['webgl', 'cpu'],
    maxRelDiff: {
      boxes: maxRelDiff(gl.boxes, cpu.boxes),
      objectness: maxRelDiff(gl.objectness, cpu.objectness),
      classProbs: maxRelDiff(gl.classProbs, cpu.classProbs),
      scores: maxRelDiff(gl.scores, cpu.scores),
      loss: { total: lossDiff('total'), coord: lossDiff('coord'), obj: lossDiff('obj'), noobj: lossDiff('noobj'), cls: lossDiff('cls') },
      gradient: maxRelDiff(gl.gradient, cpu.gradient),
    },
    nmsIdentical: gl.nms.length === cpu.nms.length && gl.nms.every((v, i) => v === cpu.nms[i]),
    nmsIndices: { webgl: gl.nms, cpu: cpu.nms },
    loss: { webgl: gl.loss, cpu: cpu.loss },
    gradientNorm: { webgl: norm(gl.gradient), cpu: norm(cpu.gradient) },
    // tensors live per backend in the one engine: webgl's count is checked right after its run
    leak: { numTensorsBefore, numTensorsAfter: Math.max(numTensorsAfterWebgl, tf.memory().numTensors) },
  };
}
