/**
 * Soak test (issue 18, "done when"): 200 rounds of the inference path — decodeBoxes, postprocess and nms on
 * a fresh random head output each round — leave no tensor behind: `tf.memory().numTensors` (and the bytes)
 * after round 1 equal those after round 200, and both equal the count before the first round.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { decodeBoxes, nms, postprocess, VOC_ANCHORS } from '../src/index.js';
import { randn, rng } from './helpers.js';

const ROUNDS = 200;
const B = 2;
const G = 7;
const C = 4;
const spec = { anchors: VOC_ANCHORS, numClasses: C };
const depth = VOC_ANCHORS.length * (5 + C);

/** One round; returns how many detections postprocess gave and how many boxes nms kept. */
function round(seed: number): { detections: number; kept: number } {
  // logits of std 2: some boxes score well above the threshold, so every stage has work to do
  const output = tf.tensor4d(randn(rng(seed), B * G * G * depth, 0, 2), [B, G, G, depth]);
  const decoded = decodeBoxes(output, spec);
  const detections = postprocess(decoded, { confThreshold: 0.3, iouThreshold: 0.45 }).reduce((n, d) => n + d.length, 0);
  const [boxes, scores] = tf.tidy(() => [
    tf.reshape(tf.slice(decoded.boxes, [0, 0, 0], [1, -1, 4]), [-1, 4]) as tf.Tensor2D,
    tf.reshape(tf.max(tf.slice(decoded.scores, [0, 0, 0], [1, -1, C]), 2), [-1]) as tf.Tensor1D,
  ]);
  const keep = nms(boxes, scores, { iouThreshold: 0.45, scoreThreshold: 0.3 });
  const kept = keep.size;
  tf.dispose([output, decoded.boxes, decoded.objectness, decoded.classProbs, decoded.scores, boxes, scores, keep]);
  return { detections, kept };
}

describe(`soak: ${ROUNDS} rounds of decode + postprocess + nms`, () => {
  it('leave tf.memory() where it was: no tensor growth between round 1 and round 200', () => {
    const start = tf.memory();
    let detections = 0;
    let kept = 0;
    const add = (r: { detections: number; kept: number }): void => {
      detections += r.detections;
      kept += r.kept;
    };
    add(round(1));
    const afterFirst = tf.memory();
    for (let s = 2; s <= ROUNDS; s++) add(round(s));
    const afterLast = tf.memory();
    expect(afterLast.numTensors).toBe(afterFirst.numTensors);
    expect(afterLast.numBytes).toBe(afterFirst.numBytes);
    expect(afterFirst.numTensors).toBe(start.numTensors);
    // the rounds did real work (else the test could not fail): detections and kept boxes in every round
    expect(detections).toBeGreaterThan(ROUNDS);
    expect(kept).toBeGreaterThan(ROUNDS);
  });
});
