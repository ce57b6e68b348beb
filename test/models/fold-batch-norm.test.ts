import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { ValueError } from '../../src/errors.js';
import { decodeBoxes, postprocess } from '../../src/index.js';
import { foldConvWeights } from '../../src/models/fold-batch-norm.js';
import { DarknetBatchNorm, FoldedConv2D, canFoldBatchNorm, compactYOLOv2, foldBatchNorm, tinyYOLOv2, yolov2 } from '../../src/models/index.js';
import { expectNoLeak, randn, rng, thrown } from '../helpers.js';

/** Non-trivial inference statistics in every DarknetBatchNorm: γ ∈ [0.5, 1.5], β, μ ~ N(0, 0.3²), σ² ∈ [0.5, 2]. */
function randomiseBatchNorms(model: tfl.LayersModel, seed: number): void {
  const rand = rng(seed);
  for (const layer of model.layers) {
    if (!(layer instanceof DarknetBatchNorm)) continue;
    const c = layer.getWeights()[0].shape[0];
    const uniform = (lo: number, hi: number) => Float32Array.from({ length: c }, () => lo + (hi - lo) * rand());
    const w = [uniform(0.5, 1.5), randn(rand, c, 0, 0.3), randn(rand, c, 0, 0.3), uniform(0.5, 2)];
    tf.tidy(() => layer.setWeights(w.map((v) => tf.tensor1d(v))));
  }
}

/** max |a − b| / max |b| over all elements. */
function relativeError(a: tf.Tensor, b: tf.Tensor): number {
  const x = a.dataSync();
  const y = b.dataSync();
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < y.length; i++) {
    diff = Math.max(diff, Math.abs(x[i] - y[i]));
    scale = Math.max(scale, Math.abs(y[i]));
  }
  return diff / scale;
}

function weightValues(model: tfl.LayersModel): Float32Array[] {
  return model.getWeights().map((w) => Float32Array.from(w.dataSync()));
}

describe('foldConvWeights', () => {
  it('scales each output channel of the kernel and shifts the bias, by hand', () => {
    // kernel [1, 1, 2, 2] flattened (cin, cout): w[ci=0] = (1, 2), w[ci=1] = (3, 4)
    // channel 0: γ 2, β 1, μ 0.5, σ² 3, ε 1 → s = 2/√4 = 1;   w' = (1, 3), b' = 1 + (0 − 0.5)·1 = 0.5
    // channel 1: γ 3, β −1, μ 2, σ² 8, ε 1 → s = 3/√9 = 1;   with conv bias 5: b' = −1 + (5 − 2)·1 = 2
    // change channel 1's γ to 6 → s = 2: w' = (4, 8), b' = −1 + 3·2 = 5
    const r = foldConvWeights(
      new Float32Array([1, 2, 3, 4]),
      new Float32Array([0, 5]),
      new Float32Array([2, 6]),
      new Float32Array([1, -1]),
      new Float32Array([0.5, 2]),
      new Float32Array([3, 8]),
      1,
    );
    expect(Array.from(r.kernel)).toEqual([1, 4, 3, 8]);
    expect(Array.from(r.bias)).toEqual([0.5, 5]);
  });
});

describe('foldBatchNorm', () => {
  const builds = [
    ['tinyYOLOv2', () => tinyYOLOv2({ numClasses: 3, inputSize: 64, widthMultiplier: 0.25 })],
    ['yolov2 (passthrough + reorg)', () => yolov2({ numClasses: 3, inputSize: 64, widthMultiplier: 0.125 })],
    ['compactYOLOv2', () => compactYOLOv2({ numClasses: 3, inputSize: 64 })],
  ] as const;

  for (const [name, build] of builds) {
    it(`${name}: one FoldedConv2D per conv-bn pair and one (linear) for the head, outputs equal to the unfolded model within 1e-4 relative`, () => {
      const model = build();
      randomiseBatchNorms(model, 7);
      const folded = foldBatchNorm(model);
      const bns = model.layers.filter((l) => l instanceof DarknetBatchNorm).length;
      expect(bns).toBeGreaterThan(0);
      expect(folded.layers.filter((l) => l instanceof DarknetBatchNorm)).toHaveLength(0);
      // every conv is followed by a batch norm but the head (1×1, linear, with a bias)
      const convs = model.layers.filter((l) => l.getClassName() === 'Conv2D').length;
      expect(convs).toBe(bns + 1);
      const foldedConvs = folded.layers.filter((l) => l instanceof FoldedConv2D) as FoldedConv2D[];
      expect(foldedConvs).toHaveLength(bns + 1);
      expect(foldedConvs.filter((l) => l.activation === 'linear').map((l) => [l.name, l.kernelSize])).toEqual([[model.layers.at(-1)!.name, [1, 1]]]);
      expect(folded.layers.filter((l) => l.getClassName() === 'Conv2D')).toHaveLength(0);
      expect(folded.layers).toHaveLength(model.layers.length - bns);
      expect(folded.outputs[0].shape).toEqual(model.outputs[0].shape);
      const x = tf.randomUniform([2, 64, 64, 3], 0, 1, 'float32', 3);
      const a = model.predict(x) as tf.Tensor;
      const b = folded.predict(x) as tf.Tensor;
      const err = relativeError(b, a);
      expect(err).toBeLessThan(1e-4);
      tf.dispose([x, a, b]);
      folded.dispose();
      model.dispose();
    });
  }

  it('the batch-norm statistics matter (a model without them differs by far more than 1e-4)', () => {
    const model = tinyYOLOv2({ numClasses: 3, inputSize: 64, widthMultiplier: 0.25 });
    const plain = foldBatchNorm(model); // identity statistics
    randomiseBatchNorms(model, 7);
    const x = tf.randomUniform([1, 64, 64, 3], 0, 1, 'float32', 5);
    const a = model.predict(x) as tf.Tensor;
    const b = plain.predict(x) as tf.Tensor;
    expect(relativeError(b, a)).toBeGreaterThan(0.01);
    tf.dispose([x, a, b]);
    plain.dispose();
    model.dispose();
  });

  it('gives identical detections (decodeBoxes → postprocess) on a tiny-YOLOv2', () => {
    const model = tinyYOLOv2({ numClasses: 3, inputSize: 64, widthMultiplier: 0.25 });
    randomiseBatchNorms(model, 11);
    const folded = foldBatchNorm(model);
    const x = tf.randomUniform([2, 64, 64, 3], 0, 1, 'float32', 9);
    const spec = { anchors: [[1, 1], [2, 3], [3, 2], [4, 4], [6, 5]] as [number, number][], numClasses: 3 };
    const detections = (m: tfl.LayersModel) => {
      const out = m.predict(x) as tf.Tensor4D;
      const decoded = decodeBoxes(out, spec);
      const d = postprocess(decoded, { confThreshold: 0.05 });
      tf.dispose([out, decoded.boxes, decoded.objectness, decoded.classProbs, decoded.scores]);
      return d;
    };
    const a = detections(model);
    const b = detections(folded);
    expect(a[0].length + a[1].length).toBeGreaterThan(3);
    expect(b.map((d) => d.length)).toEqual(a.map((d) => d.length));
    a.forEach((image, i) =>
      image.forEach((det, k) => {
        expect(b[i][k].classId).toBe(det.classId);
        // same detections up to float32 rounding: 1e-5 relative (boxes are in input units, some ≈ 3)
        expect(Math.abs(b[i][k].score - det.score)).toBeLessThan(1e-5 * Math.max(1, det.score));
        b[i][k].box.forEach((v, j) => expect(Math.abs(v - det.box[j])).toBeLessThan(1e-5 * Math.max(1, Math.abs(det.box[j]))));
      }),
    );
    x.dispose();
    folded.dispose();
    model.dispose();
  });

  it('leaves the source model untouched and leaks no tensor (fold, predict, dispose)', () => {
    const model = yolov2({ numClasses: 3, inputSize: 64, widthMultiplier: 0.125 });
    randomiseBatchNorms(model, 3);
    const x = tf.randomUniform([1, 64, 64, 3], 0, 1, 'float32', 1);
    const before = weightValues(model);
    const outBefore = model.predict(x) as tf.Tensor;
    expectNoLeak(() => {
      const folded = foldBatchNorm(model);
      tf.dispose(folded.predict(x) as tf.Tensor);
      folded.dispose();
    });
    const after = weightValues(model);
    expect(after.length).toBe(before.length);
    after.forEach((w, i) => expect(w).toEqual(before[i]));
    const outAfter = model.predict(x) as tf.Tensor;
    expect(Array.from(outAfter.dataSync())).toEqual(Array.from(outBefore.dataSync()));
    tf.dispose([x, outBefore, outAfter]);
    model.dispose();
  });

  it('saves and loads (FoldedConv2D is registered), with the same outputs', async () => {
    const model = yolov2({ numClasses: 2, inputSize: 64, widthMultiplier: 0.125 });
    randomiseBatchNorms(model, 5);
    const folded = foldBatchNorm(model);
    let saved: tf.io.ModelArtifacts | undefined;
    await folded.save(tf.io.withSaveHandler(async (art) => ((saved = art), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
    const loaded = await tfl.loadLayersModel(tf.io.fromMemory(saved!));
    expect(loaded.layers.filter((l) => l instanceof FoldedConv2D)).toHaveLength(folded.layers.filter((l) => l instanceof FoldedConv2D).length);
    const x = tf.randomUniform([1, 64, 64, 3], 0, 1, 'float32', 2);
    const a = folded.predict(x) as tf.Tensor;
    const b = loaded.predict(x) as tf.Tensor;
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    tf.dispose([x, a, b]);
    loaded.dispose();
    folded.dispose();
    model.dispose();
  });

  it('rejects what it cannot fold', () => {
    expect(thrown(() => foldBatchNorm({} as tfl.LayersModel))).toBeInstanceOf(ValueError);
    const shared = tfl.layers.dense({ units: 4, name: 'shared' });
    const input = tfl.input({ shape: [4] });
    const y = shared.apply(shared.apply(input)) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: input, outputs: y });
    const e = thrown(() => foldBatchNorm(model));
    expect(e).toBeInstanceOf(ValueError);
    expect(e.message).toMatch(/shared/);
    model.dispose();
  });
});

describe('FoldedConv2D', () => {
  it('computes leaky(conv + bias) (checked on a 1×1 kernel by hand)', () => {
    // x = [[[[1, −2]]]] (1×1 image, 2 channels), kernel 1×1 2→2: y_c = Σ_i x_i·w[i][c] + b_c
    // w = [[1, 0.5], [2, −1]], b = (0.5, 1): y_0 = 1 − 4 + 0.5 = −2.5 → leaky 0.1 → −0.25; y_1 = 0.5 + 2 + 1 = 3.5
    const layer = new FoldedConv2D({ filters: 2, kernelSize: [1, 1] });
    const input = tfl.input({ batchShape: [1, 1, 1, 2] });
    const model = tfl.model({ inputs: input, outputs: layer.apply(input) as tfl.SymbolicTensor });
    tf.tidy(() => layer.setWeights([tf.tensor4d([1, 0.5, 2, -1], [1, 1, 2, 2]), tf.tensor1d([0.5, 1])]));
    const x = tf.tensor4d([1, -2], [1, 1, 1, 2]);
    const y = model.predict(x) as tf.Tensor;
    const v = Array.from(y.dataSync());
    expect(v[0]).toBeCloseTo(-0.25, 6);
    expect(v[1]).toBeCloseTo(3.5, 6);
    tf.dispose([x, y]);
    model.dispose();
  });

  it('rejects bad arguments with ValueError', () => {
    expect(thrown(() => new FoldedConv2D({ filters: 0, kernelSize: [3, 3] }))).toBeInstanceOf(ValueError);
    expect(thrown(() => new FoldedConv2D({ filters: 4, kernelSize: [3, 0] as [number, number] }))).toBeInstanceOf(ValueError);
    expect(thrown(() => new FoldedConv2D({ filters: 4, kernelSize: [3, 3], activation: 'relu' as 'leaky' }))).toBeInstanceOf(ValueError);
    expect(thrown(() => new FoldedConv2D({ filters: 4, kernelSize: [3, 3], padding: 'causal' as 'same' }))).toBeInstanceOf(ValueError);
  });
});

describe('canFoldBatchNorm', () => {
  it('is true for the darknet models and false for anything without a conv → DarknetBatchNorm pair', () => {
    const model = tinyYOLOv2({ numClasses: 2, inputSize: 32, widthMultiplier: 0.25 });
    const folded = foldBatchNorm(model);
    expect(canFoldBatchNorm(model)).toBe(true);
    expect(canFoldBatchNorm(folded)).toBe(false);
    expect(canFoldBatchNorm({ predict: () => null })).toBe(false);
    folded.dispose();
    model.dispose();
  });
});
