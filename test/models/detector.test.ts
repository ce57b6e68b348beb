import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { FormatError, ShapeError, ValueError } from '../../src/errors.js';
import { Detector } from '../../src/models/detector.js';
import type { DetectorMeta } from '../../src/head/detector-meta.js';
import { expectNoLeakAsync } from '../helpers.js';

// A head whose output does not depend on the image: average-pool the whole 32×64 input to one cell,
// then a 1×1 conv with a zero kernel, so the output is exactly the bias (A = 2 anchors, C = 2 classes).
//   anchor 0 (0.25, 0.5): tx = ty = tw = th = 0, to = 2, logits (ln 3, 0)
//   anchor 1 (4, 4):      tx = ty = tw = th = 0, to = 0, logits (0, ln 4)
const BIAS = [0, 0, 0, 0, 2, Math.log(3), 0, 0, 0, 0, 0, 0, 0, Math.log(4)];
function fixedHeadModel(objectnessFromPixels = false): tfl.LayersModel {
  const input = tfl.input({ shape: [32, 64, 3] });
  const pooled = tfl.layers.averagePooling2d({ poolSize: [32, 64], strides: [32, 64] }).apply(input) as tfl.SymbolicTensor;
  const head = tfl.layers.conv2d({ filters: 14, kernelSize: 1, kernelInitializer: 'zeros' });
  const out = head.apply(pooled) as tfl.SymbolicTensor;
  const model = tfl.model({ inputs: input, outputs: out });
  // optionally to = 2 + (mean of the three channels of the pooled input): kernel[0, 0, c, 4] = 1/3
  const kernel = tf.buffer([1, 1, 3, 14]);
  if (objectnessFromPixels) for (let c = 0; c < 3; c++) kernel.set(1 / 3, 0, 0, c, 4);
  head.setWeights([kernel.toTensor(), tf.tensor1d(BIAS)]);
  return model;
}
const META: DetectorMeta = {
  format: 'yolov2-ts/detector',
  version: 1,
  inputSize: [32, 64],
  classNames: ['a', 'b'],
  anchors: [[0.25, 0.5], [4, 4]],
  layout: 'NHWC',
  letterbox: 'round',
  pixelScale: 255,
  postprocess: { confThreshold: 0.25, iouThreshold: 0.45, maxDetections: 100 },
};
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

describe('Detector', () => {
  it('maps the decoded boxes back through a non-square letterbox to clipped pixels (hand-computed)', async () => {
    const det = new Detector(fixedHeadModel(), META);
    // Source 100 wide × 60 high into 64 × 32: 64·60 = 3840 > 32·100 = 3200, so the height fills:
    // newH = 32, newW = round(100·32/60) = round(53.33) = 53, padX = ⌊(64 − 53)/2⌋ = 5, padY = 0.
    const image = tf.zeros([60, 100, 3]) as tf.Tensor3D;
    const dets = await det.detect(image);
    // anchor 0, grid 1×1: centre (σ(0), σ(0)) = (0.5, 0.5), size (0.25, 0.5) → corners (0.375, 0.25, 0.625, 0.75)
    // → letterbox pixels x 24…40, y 8…24 → x = (x − 5)·100/53, y = y · 60/32.
    const score0 = sigmoid(2) * 0.75; // p = softmax(ln 3, 0) = (3/4, 1/4); 0.6606
    // anchor 1: size 4 × 4 grid cells = the whole input ×4 → corners (−1.5, −1.5, 2.5, 2.5), clipped to the image.
    const score1 = 0.5 * 0.8; // σ(0) · softmax(0, ln 4)[1]
    expect(dets).toHaveLength(2);
    expect(dets[0].classId).toBe(0);
    expect(dets[0].className).toBe('a');
    expect(dets[0].score).toBeCloseTo(score0, 5);
    const want = [(24 - 5) * 100 / 53, 8 * 60 / 32, (40 - 5) * 100 / 53, 24 * 60 / 32]; // 35.85, 15, 66.04, 45
    dets[0].box.forEach((v, k) => expect(v).toBeCloseTo(want[k], 3));
    expect(dets[1]).toMatchObject({ classId: 1, className: 'b' });
    expect(dets[1].score).toBeCloseTo(score1, 5);
    expect(dets[1].box).toEqual([0, 0, 100, 60]);
    // thresholds and class filters: above 0.5 only the first; class 'b' only: anchor 0's best allowed class
    // is b with 0.8808 · 0.25 = 0.22 < 0.25, so only anchor 1 remains.
    expect((await det.detect(image, { confThreshold: 0.5 })).map((d) => d.classId)).toEqual([0]);
    expect((await det.detect(image, { classes: ['b'] })).map((d) => d.score)).toEqual([dets[1].score]);
    expect((await det.detect(image, { classes: [1], confThreshold: 0.2 })).map((d) => d.classId)).toEqual([1, 1]);
    expect(await det.detect(image, { maxDetections: 1 })).toHaveLength(1);
    // a batch of two sizes: the second (square 50 × 50 → 32 × 32, padX 16) gets its own mapping
    const square = tf.zeros([50, 50, 3]) as tf.Tensor3D;
    const [b0, b1] = await det.detectBatch([image, square]);
    expect(b0).toEqual(dets);
    const want1 = [(24 - 16) * 50 / 32, 8 * 50 / 32, (40 - 16) * 50 / 32, 24 * 50 / 32]; // 12.5, 12.5, 37.5, 37.5
    b1[0].box.forEach((v, k) => expect(v).toBeCloseTo(want1[k], 4));
    // ImageData-like RGBA pixels (tf.browser.fromPixels) and a [1, H, W, 3] tensor work the same
    const rgba = { width: 100, height: 60, data: new Uint8Array(100 * 60 * 4) };
    expect(await det.detect(rgba)).toEqual(dets);
    const four = tf.expandDims(image, 0) as tf.Tensor4D;
    expect(await det.detect(four)).toEqual(dets);
    tf.dispose([image, square, four]);
    det.dispose();
  });

  it('feeds the model the letterboxed pixels divided by pixelScale, padded with mid-grey (hand-computed)', async () => {
    const det = new Detector(fixedHeadModel(true), META);
    // a white 100 × 60 image: 255 / 255 = 1 over the 53 × 32 resized area, 127.5 / 255 = 0.5 on the
    // 64·32 − 53·32 = 352 padding pixels; the pooled mean is (1696 · 1 + 352 · 0.5) / 2048 = 0.9140625.
    const white = tf.fill([60, 100, 3], 255) as tf.Tensor3D;
    const [top] = await det.detect(white);
    expect(top.score).toBeCloseTo(sigmoid(2 + 0.9140625) * 0.75, 5);
    // the same white image as RGBA pixels (tf.browser.fromPixels drops alpha)
    const rgba = { width: 100, height: 60, data: new Uint8Array(100 * 60 * 4).fill(255) };
    expect((await det.detect(rgba))[0].score).toBeCloseTo(top.score, 6);
    // a black image: (0 + 176) / 2048 = 0.0859375
    const black = tf.zeros([60, 100, 3]) as tf.Tensor3D;
    expect((await det.detect(black))[0].score).toBeCloseTo(sigmoid(2 + 0.0859375) * 0.75, 5);
    tf.dispose([white, black]);
    det.dispose();
  });

  it('leaves no tensors behind, on success and on errors', async () => {
    const det = new Detector(fixedHeadModel(), META);
    const image = tf.randomUniform([40, 70, 3], 0, 255) as tf.Tensor3D;
    await det.detect(image); // the warm-up and weights are allocated before counting
    await expectNoLeakAsync(async () => {
      await det.detect(image);
      await det.detectBatch([image, image], { classes: ['a'] });
      await expect(det.detect(image, { classes: ['zebra'] })).rejects.toThrow(ValueError);
      await expect(det.detectBatch([image, 'x' as never])).rejects.toThrow(ValueError);
    });
    image.dispose();
    det.dispose();
  });

  it('rejects bad metadata, mismatched heads, bad inputs and options by name', async () => {
    expect(() => new Detector(fixedHeadModel(), { ...META, classNames: ['a', 'b', 'c'] })).toThrow(/14 channels.*2·\(5\+3\) = 16/);
    expect(() => new Detector(fixedHeadModel(), { ...META, pixelScale: 0 })).toThrow(FormatError);
    const det = new Detector(fixedHeadModel(), META);
    const bad = tf.zeros([4, 4, 1]);
    await expect(det.detect(bad)).rejects.toThrow(ShapeError);
    await expect(det.detect(bad, { iouThreshold: 2 } as never)).rejects.toThrow(/iouThreshold/);
    await expect(det.detect(bad, { conf: 0.2 } as never)).rejects.toThrow(/conf/);
    const batch = tf.zeros([2, 8, 8, 3]);
    await expect(det.detect(batch)).rejects.toThrow(/detectBatch/);
    expect(await det.detectBatch([batch])).toHaveLength(2);
    tf.dispose([bad, batch]);
    det.dispose();
    await expect(det.detect(tf.zeros([8, 8, 3]))).rejects.toThrow(/disposed/);
  });
});

describe('Detector: batch-norm folding', () => {
  it('runs a folded copy by default (no batch-norm layers left, the source disposed) with the unfolded detections', async () => {
    const { tinyYOLOv2, DarknetBatchNorm } = await import('../../src/models/index.js');
    const meta: DetectorMeta = { ...META, inputSize: [64, 64], classNames: ['a', 'b', 'c'], anchors: [[1, 1], [2, 2], [3, 1], [1, 3], [4, 4]] };
    const build = () => tinyYOLOv2({ numClasses: 3, inputSize: 64, widthMultiplier: 0.25 });
    const source = build();
    // non-trivial statistics, so that folding has something to fold: moving mean 0.1·k, variance 1 + 0.05·k
    const setStats = (m: tfl.LayersModel) => {
      for (const layer of m.layers.filter((l) => l instanceof DarknetBatchNorm)) {
        const w = layer.getWeights();
        const n = w[0].shape[0];
        const stats = [tf.tensor1d(Array.from({ length: n }, (_, k) => 0.1 * (k % 5))), tf.tensor1d(Array.from({ length: n }, (_, k) => 1 + 0.05 * (k % 7)))];
        layer.setWeights([...w.slice(0, w.length - 2), ...stats]);
        tf.dispose(stats); // getWeights returns the variables themselves: not disposed here
      }
    };
    setStats(source);
    const plainModel = build();
    plainModel.setWeights(source.getWeights()); // the same weights and statistics (setWeights copies the values)
    const folded = new Detector(source, meta);
    const plain = new Detector(plainModel, meta, { fold: false });
    expect(folded.model.layers.some((l) => l instanceof DarknetBatchNorm)).toBe(false);
    expect(plain.model.layers.some((l) => l instanceof DarknetBatchNorm)).toBe(true);
    expect(folded.model).not.toBe(source);
    const image = tf.randomUniform([64, 64, 3], 0, 255, 'float32', 11) as tf.Tensor3D;
    const opts = { confThreshold: 0.01 };
    const a = await folded.detect(image, opts);
    const b = await plain.detect(image, opts);
    expect(a.length).toBe(b.length);
    a.forEach((d, i) => {
      expect(d.classId).toBe(b[i].classId);
      expect(d.score).toBeCloseTo(b[i].score, 4);
      d.box.forEach((v, k) => expect(v).toBeCloseTo(b[i].box[k], 2));
    });
    image.dispose();
    folded.dispose();
    plain.dispose();
    expect(() => new Detector(build(), meta, { fould: true } as never)).toThrow(/unknown option 'fould'/);
  });
});
