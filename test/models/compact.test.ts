import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { ValueError } from '../../src/errors.js';
import { compactYOLOv2, loadDarknetWeights, outputStride, registerTrainingKernels, saveDarknetWeights, tinyYOLOv2, unregisterTrainingKernels, yolov2 } from '../../src/models/index.js';
import { expectNoLeak } from '../helpers.js';

/** `[name, filters, kernel size]` of every `conv{i}` layer, in index order. */
function convLayout(model: tfl.LayersModel): Array<[string, number, number]> {
  return model.layers.filter((l) => /^conv\d+$/.test(l.name)).map((l): [string, number, number] => {
    const c = l.getConfig() as { filters: number; kernelSize: number[] };
    return [l.name, c.filters, c.kernelSize[0]];
  }).sort((a, b) => Number(a[0].slice(4)) - Number(b[0].slice(4)));
}

describe('compactYOLOv2', () => {
  it('builds conv-bn-leaky blocks with pools between the backbone blocks, a neck, and a 1×1 head', () => {
    const model = compactYOLOv2({ numClasses: 4, widthMultiplier: 0.5 });
    const convs = model.layers.filter((l) => /^conv\d+$/.test(l.name)).map((l) => {
      const c = l.getConfig() as { filters: number; kernelSize: number[]; useBias: boolean };
      return [l.name, c.filters, c.kernelSize[0], c.useBias];
    });
    // defaults 16-32-64-128-256 | 256, ×0.5 → 8 16 32 64 128 | 128; head 5·(5+4) = 45 unscaled
    expect(convs).toEqual([
      ...[8, 16, 32, 64, 128, 128].map((f, i) => [`conv${i}`, f, 3, false]),
      ['conv6', 45, 1, true],
    ]);
    for (let i = 0; i < 6; i++) expect((model.getLayer(`bn${i}`).getConfig() as { activation: string }).activation).toBe('leaky');
    expect(model.layers.filter((l) => /^pool/.test(l.name)).map((l) => l.name)).toEqual(['pool0', 'pool1', 'pool2', 'pool3']);
    expect(outputStride(model)).toBe(16);
    model.dispose();
  });

  it('maps [B, H, W, 3] to [B, H/s, W/s, A·(5+C)] with s = 2^(filters.length − 1)', () => {
    for (const [filters, s] of [[[4, 4, 4], 4], [[4, 4, 4, 4, 4, 4], 32], [[4], 1]] as const) {
      const model = compactYOLOv2({ numClasses: 2, anchors: [[1, 1]], filters, neck: [] });
      expect(outputStride(model)).toBe(s);
      const x = tf.randomUniform([2, 64, 96, 3]);
      const y = model.predict(x) as tf.Tensor;
      expect(y.shape).toEqual([2, 64 / s, 96 / s, 7]);
      tf.dispose([x, y]);
      model.dispose();
    }
  });

  it('has the hand-counted parameter count', () => {
    // filters [2, 3], no neck, C = 1, A = 1: conv0 3·3·3·2 = 54, bn0 4·2 = 8, conv1 3·3·2·3 = 54, bn1 4·3 = 12,
    // head 1·1·3·6 + 6 = 24 → 152
    const model = compactYOLOv2({ numClasses: 1, anchors: [[1, 1]], filters: [2, 3], neck: [] });
    expect(model.countParams()).toBe(152);
    model.dispose();
  });

  it('round-trips darknet .weights and trains without leaking', () => {
    const a = compactYOLOv2({ numClasses: 2, anchors: [[1, 1], [2, 2]], filters: [4, 8, 8], neck: [8] });
    const b = compactYOLOv2({ numClasses: 2, anchors: [[1, 1], [2, 2]], filters: [4, 8, 8], neck: [8] });
    const bytes = saveDarknetWeights(a);
    loadDarknetWeights(b, bytes);
    const x = tf.randomUniform([1, 32, 32, 3], 0, 1, 'float32', 3);
    const ya = a.predict(x) as tf.Tensor;
    const yb = b.predict(x) as tf.Tensor;
    expect(Array.from(yb.dataSync())).toEqual(Array.from(ya.dataSync()));
    registerTrainingKernels(); // the wasm backend has no stock Conv2DBackpropFilter
    const vars = a.trainableWeights.map((w) => w.read() as tf.Variable);
    const step = () => {
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(a.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar, vars);
      tf.dispose([value, ...Object.values(grads)]);
    };
    step();
    expectNoLeak(step);
    unregisterTrainingKernels();
    tf.dispose([x, ya, yb]);
    a.dispose();
    b.dispose();
  });

  it('localContrast feeds the network x − mean over a k×k window (hand-computed 3×3 example)', () => {
    const model = compactYOLOv2({ numClasses: 1, anchors: [[1, 1]], filters: [4, 4], neck: [], localContrast: 3 });
    const probe = tfl.model({ inputs: model.inputs, outputs: model.getLayer('contrast').output as tfl.SymbolicTensor });
    // One 4×4 channel (the other two zero), values 0…15 row-major:
    //  0  1  2  3
    //  4  5  6  7
    //  8  9 10 11
    // 12 13 14 15
    // (0,0): window rows 0–1, cols 0–1 (out-of-image pixels left out) → mean (0+1+4+5)/4 = 2.5 → 0 − 2.5 = −2.5
    // (1,1): full window rows 0–2, cols 0–2 → mean 45/9 = 5 → 5 − 5 = 0
    // (0,1): rows 0–1, cols 0–2 → (0+1+2+4+5+6)/6 = 3 → 1 − 3 = −2
    // (3,3): rows 2–3, cols 2–3 → (10+11+14+15)/4 = 12.5 → 15 − 12.5 = 2.5
    const values = new Float32Array(4 * 4 * 3);
    for (let p = 0; p < 16; p++) values[p * 3] = p;
    const x = tf.tensor4d(values, [1, 4, 4, 3]);
    const y = probe.predict(x) as tf.Tensor4D;
    const ch0 = tf.tidy(() => tf.reshape(tf.slice(y, [0, 0, 0, 0], [1, 4, 4, 1]), [4, 4]).arraySync() as number[][]);
    expect(ch0[0][0]).toBeCloseTo(-2.5, 5);
    expect(ch0[1][1]).toBeCloseTo(0, 5);
    expect(ch0[0][1]).toBeCloseTo(-2, 5);
    expect(ch0[3][3]).toBeCloseTo(2.5, 5);
    // a flat image of any colour maps to 0 everywhere
    const flat = tf.fill([1, 4, 4, 3], 0.7);
    const yf = probe.predict(flat) as tf.Tensor;
    expect(tf.tidy(() => tf.max(tf.abs(yf)).dataSync()[0])).toBeLessThan(1e-6);
    expect(model.countParams()).toBe(compactYOLOv2({ numClasses: 1, anchors: [[1, 1]], filters: [4, 4], neck: [] }).countParams());
    tf.dispose([x, y, flat, yf]);
    model.dispose();
  });

  it('passthrough adds yolov2\'s route: 1×1 conv, reorg, concat with the neck, 3×3 conv, in darknet order', () => {
    const model = compactYOLOv2({ numClasses: 2, anchors: [[1, 1]], filters: [4, 8, 16], neck: [16], passthrough: 8, widthMultiplier: 1 });
    const convs = convLayout(model);
    // backbone 4, 8, 16 (conv0–2), neck 16 (conv3), route 1×1 8 (conv4) on conv2's input block (stride 2),
    // post-concat 3×3 16 (conv5), head 1·(5+2) = 7 (conv6)
    expect(convs).toEqual([['conv0', 4, 3], ['conv1', 8, 3], ['conv2', 16, 3], ['conv3', 16, 3], ['conv4', 8, 1], ['conv5', 16, 3], ['conv6', 7, 1]]);
    // route: the 1×1 conv reads bn1 (the block before the last pool), reorg 8 → 32 channels at stride 4,
    // concatenated with the neck's 16 → 48 channels into conv5
    expect((model.getLayer('conv4').input as tfl.SymbolicTensor).sourceLayer.name).toBe('bn1');
    expect(model.getLayer('reorg').outputShape).toEqual([null, null, null, 32]);
    expect(model.getLayer('route').outputShape).toEqual([null, null, null, 48]);
    expect(outputStride(model)).toBe(4);
    const x = tf.randomUniform([2, 32, 64, 3], 0, 1, 'float32', 1);
    const y = model.predict(x) as tf.Tensor;
    expect(y.shape).toEqual([2, 8, 16, 7]);
    // darknet .weights round trip with the extra convs
    const b = compactYOLOv2({ numClasses: 2, anchors: [[1, 1]], filters: [4, 8, 16], neck: [16], passthrough: 8, widthMultiplier: 1 });
    loadDarknetWeights(b, saveDarknetWeights(model));
    const yb = b.predict(x) as tf.Tensor;
    expect(Array.from(yb.dataSync())).toEqual(Array.from(y.dataSync()));
    tf.dispose([x, y, yb]);
    model.dispose();
    b.dispose();
  });

  it('upsample adds a stride-s/2 route: 1×1 conv, ×2 nearest upsampling, concat with the finer block, 3×3 conv', () => {
    const model = compactYOLOv2({ numClasses: 2, anchors: [[1, 1]], filters: [4, 8, 16], neck: [16], upsample: 8, widthMultiplier: 1 });
    const convs = convLayout(model);
    // backbone 4, 8, 16 (conv0–2, stride 4), neck 16 (conv3), 1×1 8 (conv4), upsample to stride 2,
    // concat with bn1 (8 channels at stride 2) → 16 channels, 3×3 8 (conv5), head 7 (conv6)
    expect(convs).toEqual([['conv0', 4, 3], ['conv1', 8, 3], ['conv2', 16, 3], ['conv3', 16, 3], ['conv4', 8, 1], ['conv5', 8, 3], ['conv6', 7, 1]]);
    const fine = model.getLayer('route_fine');
    expect((fine.input as tfl.SymbolicTensor[]).map((t) => t.sourceLayer.name)).toEqual(['upsample', 'bn1']);
    expect(fine.outputShape).toEqual([null, null, null, 16]);
    expect(outputStride(model)).toBe(2);
    const x = tf.randomUniform([2, 32, 64, 3], 0, 1, 'float32', 2);
    const y = model.predict(x) as tf.Tensor;
    expect(y.shape).toEqual([2, 16, 32, 7]);
    // the upsampling is nearest-neighbour ×2: output pixel (i, j) is input pixel (⌊i/2⌋, ⌊j/2⌋)
    const probe = tfl.model({ inputs: model.inputs, outputs: [model.getLayer('bn4').output as tfl.SymbolicTensor, model.getLayer('upsample').output as tfl.SymbolicTensor] });
    const [low, up] = probe.predict(x) as tf.Tensor[];
    const lo = low.arraySync() as number[][][][];
    const hi = up.arraySync() as number[][][][];
    expect(up.shape).toEqual([2, 16, 32, 8]);
    for (const [b, i, j, c] of [[0, 0, 0, 0], [0, 1, 1, 3], [1, 15, 31, 7], [1, 6, 9, 2], [0, 11, 4, 5]]) {
      expect(hi[b][i][j][c]).toBe(lo[b][i >> 1][j >> 1][c]);
    }
    // darknet .weights round trip, and every weight gets a gradient
    const b2 = compactYOLOv2({ numClasses: 2, anchors: [[1, 1]], filters: [4, 8, 16], neck: [16], upsample: 8, widthMultiplier: 1 });
    loadDarknetWeights(b2, saveDarknetWeights(model));
    const yb = b2.predict(x) as tf.Tensor;
    expect(Array.from(yb.dataSync())).toEqual(Array.from(y.dataSync()));
    registerTrainingKernels();
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(model.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar, vars);
    for (const g of Object.values(grads)) expect(tf.max(tf.abs(g)).dataSync()[0]).toBeGreaterThan(0);
    unregisterTrainingKernels();
    tf.dispose([x, y, yb, low, up, value, ...Object.values(grads)]);
    model.dispose();
    b2.dispose();
  });

  it('rejects bad layouts with the expected and received values', () => {
    expect(() => compactYOLOv2({ numClasses: 2, filters: [] })).toThrow(ValueError);
    expect(() => compactYOLOv2({ numClasses: 2, filters: [8, 8, 8, 8, 8, 8, 8] })).toThrow(/'filters' must be an array of 1 to 6 positive integers, got/);
    expect(() => compactYOLOv2({ numClasses: 2, neck: [8, 0] })).toThrow(/'neck' must be an array of 0 to 16 positive integers/);
    expect(() => compactYOLOv2({ numClasses: 0 })).toThrow(ValueError);
    expect(() => compactYOLOv2({ numClasses: 2, filters: [8], passthrough: 8 })).toThrow(/'passthrough' needs at least two backbone blocks, got 'filters' of length 1/);
    expect(() => compactYOLOv2({ numClasses: 2, passthrough: 6 })).toThrow(/'passthrough' 6 × widthMultiplier 1 gives 6 filters; reorg needs a multiple of 4/);
    expect(() => compactYOLOv2({ numClasses: 2, passthrough: -4 })).toThrow(ValueError);
    expect(() => compactYOLOv2({ numClasses: 2, filters: [8], upsample: 8 })).toThrow(/'upsample' needs at least two backbone blocks, got 'filters' of length 1/);
    expect(() => compactYOLOv2({ numClasses: 2, upsample: 2.5 })).toThrow(ValueError);
    expect(() => compactYOLOv2({ numClasses: 2, localContrast: 4 })).toThrow(/'localContrast' must be 0 \(off\) or an odd window size from 3 to 31, got 4/);
    expect(() => compactYOLOv2({ numClasses: 2, localContrast: 33 })).toThrow(ValueError);
  });
});

describe('outputStride', () => {
  it('is 32 for the darknet models', () => {
    for (const m of [tinyYOLOv2({ numClasses: 1, widthMultiplier: 0.125 }), yolov2({ numClasses: 1, widthMultiplier: 0.125 })]) {
      expect(outputStride(m)).toBe(32);
      m.dispose();
    }
  });

  it('rejects a model whose output is not a 4-D grid', () => {
    const input = tfl.input({ shape: [null, null, 3] });
    const flat = tfl.model({ inputs: input, outputs: tfl.layers.globalAveragePooling2d({}).apply(input) as tfl.SymbolicTensor });
    expect(() => outputStride(flat)).toThrow(/expected a fully convolutional model with a 4-D output/);
    const m = compactYOLOv2({ numClasses: 1, filters: [4, 4], neck: [] });
    expect(() => outputStride(m, 48)).toThrow(/'probe' must be a multiple of 32 \(≥ 32\), got 48/);
    expect(() => outputStride(m, NaN)).toThrow(ValueError);
    m.dispose();
  });
});
