import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { ValueError } from '../../src/errors.js';
import { compactYOLOv2, loadDarknetWeights, outputStride, registerTrainingKernels, saveDarknetWeights, tinyYOLOv2, unregisterTrainingKernels, yolov2 } from '../../src/models/index.js';
import { expectNoLeak } from '../helpers.js';

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

  it('rejects bad layouts with the expected and received values', () => {
    expect(() => compactYOLOv2({ numClasses: 2, filters: [] })).toThrow(ValueError);
    expect(() => compactYOLOv2({ numClasses: 2, filters: [8, 8, 8, 8, 8, 8, 8] })).toThrow(/'filters' must be an array of 1 to 6 positive integers, got/);
    expect(() => compactYOLOv2({ numClasses: 2, neck: [8, 0] })).toThrow(/'neck' must be an array of 0 to 16 positive integers/);
    expect(() => compactYOLOv2({ numClasses: 0 })).toThrow(ValueError);
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
