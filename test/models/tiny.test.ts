import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { ShapeError, ValueError } from '../../src/errors.js';
import { tinyYOLOv2 } from '../../src/models/index.js';
import { expectNoLeak } from '../helpers.js';

function convs(model: tfl.LayersModel) {
  return model.layers
    .filter((l) => /^conv\d+$/.test(l.name))
    .map((l) => {
      const c = l.getConfig() as { filters: number; kernelSize: number[]; useBias: boolean; strides: number[]; padding: string };
      return { name: l.name, filters: c.filters, k: c.kernelSize[0], bias: c.useBias, stride: c.strides[0], padding: c.padding };
    });
}

describe('tinyYOLOv2', () => {
  it('is yolov2-tiny-voc.cfg layer for layer (widths scaled by m = 0.25, head unscaled)', () => {
    const model = tinyYOLOv2({ numClasses: 3, inputSize: 64, widthMultiplier: 0.25 });
    // cfg: 16 32 64 128 256 512 1024 1024 (3×3, bn, leaky) then 1×1 head with bias; ×0.25 → 4 8 16 32 64 128 256 256
    expect(convs(model)).toEqual([
      ...[4, 8, 16, 32, 64, 128, 256, 256].map((f, i) => ({ name: `conv${i}`, filters: f, k: 3, bias: false, stride: 1, padding: 'same' })),
      { name: 'conv8', filters: 5 * (5 + 3), k: 1, bias: true, stride: 1, padding: 'same' },
    ]);
    // every conv but the head is followed by bn (ε 1e-5) with darknet's leaky ReLU 0.1 fused
    for (let i = 0; i < 8; i++) {
      const bn = model.getLayer(`bn${i}`).getConfig() as { epsilon: number; momentum: number; activation: string };
      expect(bn.epsilon).toBeLessThanOrEqual(1e-5);
      expect(bn.activation).toBe('leaky');
      expect(model.getLayer(`bn${i}`).inboundNodes[0].inboundLayers[0].name).toBe(`conv${i}`);
    }
    // pools: five 2×2/2, the sixth 2×2/1 'same' (padded right/bottom)
    const pools = [0, 1, 2, 3, 4, 5].map((i) => model.getLayer(`pool${i}`).getConfig() as { poolSize: number[]; strides: number[]; padding: string });
    expect(pools.map((p) => [p.poolSize[0], p.strides[0], p.padding])).toEqual([
      [2, 2, 'same'], [2, 2, 'same'], [2, 2, 'same'], [2, 2, 'same'], [2, 2, 'same'], [2, 1, 'same'],
    ]);
    expect(model.getLayer('pool5').outputShape).toEqual([null, 2, 2, 128]);
    expect(model.outputs[0].shape).toEqual([null, 2, 2, 40]);
    model.dispose();
  });

  it('has darknet yolov2-tiny-voc parameter count at full width', () => {
    // Σ 3·3·c_in·c_out + 4·c_out (bn: gamma, beta, mean, var) over the 8 blocks, + 1024·125 + 125 for the head:
    // convs 432+4608+18432+73728+294912+1179648+4718592+9437184 = 15727536, bn 4·3056 = 12224, head 128125
    const model = tinyYOLOv2({ numClasses: 20 });
    expect(model.countParams()).toBe(15727536 + 12224 + 128125);
    model.dispose();
  });

  it('maps [B, H, W, 3] to the NHWC head [B, H/32, W/32, A·(5+C)] at any multiple of 32', () => {
    const model = tinyYOLOv2({ numClasses: 2, anchors: [[1, 1], [2, 2]], widthMultiplier: 0.125 });
    expect(model.inputs[0].shape).toEqual([null, null, null, 3]);
    for (const [h, w] of [[64, 64], [96, 64], [32, 128]]) {
      const x = tf.randomUniform([2, h, w, 3]);
      const y = model.predict(x) as tf.Tensor;
      expect(y.shape).toEqual([2, h / 32, w / 32, 2 * 7]);
      tf.dispose([x, y]);
    }
    model.dispose();
  });

  it('predicts and trains without leaking', () => {
    const model = tinyYOLOv2({ numClasses: 1, inputSize: 64, widthMultiplier: 0.125 });
    const x = tf.randomUniform([1, 64, 64, 3]);
    expectNoLeak(() => tf.dispose(model.predict(x)));
    if (tf.getBackend() !== 'cpu') return; // wasm has no Conv2DBackpropFilter until registerTrainingKernels (kernels.test.ts)
    const vars = model.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
    expectNoLeak(() => {
      const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(model.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar, vars);
      expect(Object.keys(grads)).toHaveLength(vars.length);
      tf.dispose([value, ...Object.values(grads)]);
    });
    x.dispose();
    model.dispose();
  });

  it('rejects bad options with clear messages', () => {
    expect(() => tinyYOLOv2({ numClasses: 0 })).toThrow(ValueError);
    expect(() => tinyYOLOv2({ numClasses: 2.5 })).toThrow(/tinyYOLOv2: 'numClasses' must be an integer ≥ 1, got 2.5/);
    expect(() => tinyYOLOv2({ numClasses: 2, inputSize: 100 })).toThrow(/'inputSize' must be a multiple of 32 \(or null for any size\), got 100/);
    expect(() => tinyYOLOv2({ numClasses: 2, widthMultiplier: 0 })).toThrow(/'widthMultiplier' must be a finite number > 0, got 0/);
    expect(() => tinyYOLOv2({ numClasses: 2, anchors: [] })).toThrow(ShapeError);
  });
});
