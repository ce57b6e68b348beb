/**
 * FoldedMaxPool2D and the wasm inference max pool (src/kernels/infer-max-pool.ts): the same values as
 * tf.maxPool and as a window maximum written out here, the fallbacks, the errors, no leaks, and the
 * layer's place in a folded model.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { ShapeError, ValueError } from '../../src/errors.js';
import { inferMaxPool2d, inferMaxPoolEligible } from '../../src/kernels/index.js';
import { setKernelThreadPool } from '../../src/kernels/thread-pool.js';
import { FoldedMaxPool2D, foldBatchNorm, setInferenceConvolutions, tinyYOLOv2 } from '../../src/models/index.js';
import { randn, rng } from '../helpers.js';

const backend = tf.getBackend();

/** 2×2 max pool, 'same' padding (all of it after), stride s, over x [B, H, W, C] in plain loops. */
function reference(x: Float32Array, [B, H, W, C]: number[], s: number): Float32Array {
  const oh = Math.ceil(H / s);
  const ow = Math.ceil(W / s);
  const y = new Float32Array(B * oh * ow * C);
  for (let b = 0; b < B; b++) for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) for (let c = 0; c < C; c++) {
    let m = -Infinity;
    for (let dy = 0; dy < 2; dy++) for (let dx = 0; dx < 2; dx++) {
      const iy = oy * s + dy;
      const ix = ox * s + dx;
      if (iy < H && ix < W) m = Math.max(m, x[((b * H + iy) * W + ix) * C + c]);
    }
    y[((b * oh + oy) * ow + ox) * C + c] = m;
  }
  return y;
}

function layerModel(layer: FoldedMaxPool2D, shape: number[]): tfl.LayersModel {
  const input = tfl.input({ shape });
  return tfl.model({ inputs: input, outputs: layer.apply(input) as tfl.SymbolicTensor });
}

describe('FoldedMaxPool2D', () => {
  it('a 3×3×4 map at stride 2, by hand: windows {0,1}×{0,1}, {0,1}×{2}, {2}×{0,1}, {2}×{2}', () => {
    // channel c of pixel (y, x) holds 10·(3y + x) + c, so a window's max is its last pixel's
    const x = tf.tensor4d(Array.from({ length: 36 }, (_, i) => 10 * Math.floor(i / 4) + (i % 4)), [1, 3, 3, 4]);
    const model = layerModel(new FoldedMaxPool2D({ poolSize: [2, 2], strides: [2, 2], padding: 'same' }), [3, 3, 4]);
    const y = model.predict(x) as tf.Tensor;
    expect(y.shape).toEqual([1, 2, 2, 4]);
    // windows end at pixels (1, 1) = 4, (1, 2) = 5, (2, 1) = 7, (2, 2) = 8
    expect([...y.dataSync()]).toEqual([40, 41, 42, 43, 50, 51, 52, 53, 70, 71, 72, 73, 80, 81, 82, 83]);
    tf.dispose([x, y]);
    model.dispose();
  });

  for (const [shape, s] of [[[2, 9, 7, 8], 2], [[1, 13, 13, 16], 1], [[1, 8, 6, 4], 2], [[2, 5, 5, 3], 2], [[1, 4, 4, 4], 1]] as const) {
    it(`equals the window maximum and tf.maxPool exactly: [${shape.join(', ')}], stride ${s}`, () => {
      const v = randn(rng(shape[1] * 10 + s), shape.reduce((a: number, b: number) => a * b, 1));
      const x = tf.tensor4d(v, [...shape] as [number, number, number, number]);
      const model = layerModel(new FoldedMaxPool2D({ poolSize: [2, 2], strides: [s, s] }), shape.slice(1));
      const before = tf.memory().numTensors;
      const y = model.predict(x) as tf.Tensor;
      expect(tf.memory().numTensors).toBe(before + 1);
      const want = tf.maxPool(x, 2, s, 'same');
      expect([...y.dataSync()]).toEqual([...want.dataSync()]);
      expect([...y.dataSync()]).toEqual([...reference(v, [...shape], s)]);
      tf.dispose([x, y, want]);
      model.dispose();
    });
  }

  it("'valid' padding and other windows go to tf.maxPool", () => {
    const x = tf.tensor4d(randn(rng(3), 2 * 7 * 7 * 4), [2, 7, 7, 4]);
    for (const args of [{ padding: 'valid' as const }, { poolSize: [3, 3] as [number, number], strides: [2, 2] as [number, number] }]) {
      const layer = new FoldedMaxPool2D(args);
      const model = layerModel(layer, [7, 7, 4]);
      const y = model.predict(x) as tf.Tensor;
      const want = tf.maxPool(x, layer.poolSize, layer.strides, layer.padding);
      expect(y.shape).toEqual(want.shape);
      expect([...y.dataSync()]).toEqual([...want.dataSync()]);
      tf.dispose([y, want]);
      model.dispose();
    }
    tf.dispose(x);
  });

  it('rejects bad arguments with ValueError', () => {
    expect(() => new FoldedMaxPool2D({ poolSize: [0, 2] })).toThrow(ValueError);
    expect(() => new FoldedMaxPool2D({ padding: 'full' as 'same' })).toThrow(/'padding' must be 'same' or 'valid'/);
  });

  it('replaces every MaxPooling2D of a folded model, which saves its config and gives the same outputs', () => {
    const model = tinyYOLOv2({ numClasses: 2, inputSize: 64 });
    const folded = foldBatchNorm(model);
    const pools = folded.layers.filter((l) => l instanceof FoldedMaxPool2D) as FoldedMaxPool2D[];
    expect(pools.length).toBe(model.layers.filter((l) => l.getClassName() === 'MaxPooling2D').length);
    expect(pools.length).toBe(6);
    expect(pools.map((p) => p.strides[0])).toEqual([2, 2, 2, 2, 2, 1]);
    const copy = FoldedMaxPool2D.fromConfig(FoldedMaxPool2D, pools[5].getConfig()) as FoldedMaxPool2D;
    expect([copy.poolSize, copy.strides, copy.padding]).toEqual([[2, 2], [1, 1], 'same']);
    const x = tf.randomUniform([1, 64, 64, 3], 0, 1, 'float32', 7);
    const a = model.predict(x) as tf.Tensor;
    const b = folded.predict(x) as tf.Tensor;
    const scale = tf.max(tf.abs(a)).dataSync()[0];
    expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] / scale).toBeLessThan(1e-4);
    tf.dispose([x, a, b]);
    folded.dispose();
    model.dispose();
  });
});

describe.runIf(backend === 'wasm')('inferMaxPool2d (wasm)', () => {
  it('is used for 2×2 same windows at stride 1 or 2 over a multiple of 4 channels, unless turned off', () => {
    expect(inferMaxPoolEligible([1, 8, 8, 16], [2, 2], [2, 2], 'same')).toBe(true);
    expect(inferMaxPoolEligible([1, 8, 8, 16], [2, 2], [1, 1], 'same')).toBe(true);
    expect(inferMaxPoolEligible([1, 8, 8, 18], [2, 2], [2, 2], 'same')).toBe(false);
    expect(inferMaxPoolEligible([1, 8, 8, 16], [3, 3], [2, 2], 'same')).toBe(false);
    expect(inferMaxPoolEligible([1, 8, 8, 16], [2, 2], [2, 2], 'valid')).toBe(false);
    try {
      setInferenceConvolutions({ enabled: false });
      expect(inferMaxPoolEligible([1, 8, 8, 16], [2, 2], [2, 2], 'same')).toBe(false);
    } finally {
      setInferenceConvolutions({ enabled: true });
    }
  });

  it('gives NaN where a window holds NaN', () => {
    const v = new Float32Array(4 * 4 * 4).fill(1);
    v[(1 * 4 + 2) * 4 + 3] = Number.NaN; // pixel (1, 2), channel 3: the window of output (0, 1)
    const x = tf.tensor4d(v, [1, 4, 4, 4]);
    const y = inferMaxPool2d(x, 2).dataSync();
    expect(Number.isNaN(y[(0 * 2 + 1) * 4 + 3])).toBe(true);
    expect([...y].filter((n) => Number.isNaN(n)).length).toBe(1);
    x.dispose();
  });

  it('rejects other inputs with ShapeError / ValueError, and leaves nothing behind when a part fails', () => {
    const x3 = tf.zeros([1, 4, 4, 3]) as tf.Tensor4D;
    const x = tf.zeros([1, 64, 64, 16]) as tf.Tensor4D;
    expect(() => inferMaxPool2d(x3, 2)).toThrow(ShapeError);
    expect(() => inferMaxPool2d(x, 3)).toThrow(/'stride' must be 1 or 2, got 3/);
    const backendData = () => (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
    const tensors = tf.memory().numTensors;
    const buffers = backendData();
    setKernelThreadPool({ helpers: 1, sharesHeap: () => true, post: () => undefined, wait: () => { throw new Error('helper failed'); } });
    try {
      expect(() => inferMaxPool2d(x, 2)).toThrow('helper failed');
    } finally {
      setKernelThreadPool(null);
    }
    expect(tf.memory().numTensors).toBe(tensors);
    expect(backendData()).toBe(buffers);
    tf.dispose([x3, x]);
  });
});
