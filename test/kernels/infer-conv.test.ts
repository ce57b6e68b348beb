import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import {
  WINOGRAD_INFER_MIN_CHANNELS, inferConv2d, inferConvEligible, inferConvPlan, inferConvWeights, setInferConvChunking, type InferConvPlan,
} from '../../src/kernels/infer-conv.js';
import { FoldedConv2D, setInferenceConvolutions } from '../../src/models/index.js';
import { ValueError } from '../../src/errors.js';
import { ShapeError } from '../../src/errors.js';
import { setKernelThreadPool } from '../../src/kernels/thread-pool.js';
import { randn, rng } from '../helpers.js';

const backend = process.env.YOLOV2_TEST_BACKEND ?? 'cpu';

/**
 * Independent reference: y[b, oy, ox, co] = act(Σ x[b, oy + ky − 1, ox + kx − 1, ci] · w[ky, kx, ci, co] + bias[co])
 * ('same' padding of a 3×3 stride-1 convolution; zeros outside x), in float64.
 */
function reference(x: Float32Array, w: Float32Array, bias: Float32Array, [B, H, W, C]: number[], outC: number, alpha: number, k = 3): Float64Array {
  const y = new Float64Array(B * H * W * outC);
  const pad = (k - 1) / 2;
  for (let b = 0; b < B; b++) for (let oy = 0; oy < H; oy++) for (let ox = 0; ox < W; ox++) {
    for (let co = 0; co < outC; co++) {
      let s = bias[co];
      for (let ky = 0; ky < k; ky++) for (let kx = 0; kx < k; kx++) {
        const iy = oy + ky - pad;
        const ix = ox + kx - pad;
        if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
        for (let ci = 0; ci < C; ci++) s += x[((b * H + iy) * W + ix) * C + ci] * w[((ky * k + kx) * C + ci) * outC + co];
      }
      y[((b * H + oy) * W + ox) * outC + co] = s < 0 ? alpha * s : s;
    }
  }
  return y;
}

function maxRelErr(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let scale = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]));
  let err = 0;
  for (let i = 0; i < want.length; i++) err = Math.max(err, Math.abs(got[i] - want[i]));
  return err / scale;
}

describe('inferConvEligible', () => {
  const C = WINOGRAD_INFER_MIN_CHANNELS;
  it(`says yes only on wasm, for stride-1 convolutions with 0 ≤ α ≤ 1, 3×3 'same' or 1×1`, () => {
    const onWasm = backend === 'wasm';
    const ok = (x: number[], f: number[], s = [1, 1], d = [1, 1], pad = 'same', alpha = 0.1) => inferConvEligible(x, f, s, d, pad, alpha);
    expect(ok([1, 13, 13, C], [3, 3, C, 64])).toBe(onWasm);
    expect(ok([1, 13, 13, 5], [1, 1, 5, 8])).toBe(onWasm);
    expect(ok([1, 13, 13, C], [3, 3, C, 64], [1, 1], [1, 1], 'same', 1)).toBe(onWasm);
    expect(ok([1, 13, 13, C], [3, 3, C, 64], [2, 2])).toBe(false);
    expect(ok([1, 13, 13, C], [3, 3, C, 64], [1, 1], [2, 2])).toBe(false);
    expect(ok([1, 13, 13, C], [3, 3, C, 64], [1, 1], [1, 1], 'valid')).toBe(false);
    expect(ok([1, 13, 13, C], [3, 3, C, 64], [1, 1], [1, 1], 'same', 1.5)).toBe(false);
    expect(ok([1, 13, 13, C], [3, 3, C, 64], [1, 1], [1, 1], 'same', -0.1)).toBe(false);
    expect(ok([1, 13, 13, 3], [3, 3, 3, 64])).toBe(onWasm); // fewer than ${C} channels in: the direct path
    expect(ok([1, 13, 13, C], [3, 3, C, 125])).toBe(onWasm); // a head: the last panel padded
    expect(ok([1, 13, 13, 1024], [1, 1, 1024, 125])).toBe(onWasm);
    expect(ok([1, 13, 13, C], [5, 5, C, 64])).toBe(false);
  });
});

describe('setInferenceConvolutions', () => {
  it('rejects unknown keys and non-boolean values with ValueError', () => {
    expect(() => setInferenceConvolutions({ winograd: true } as never)).toThrow(ValueError);
    expect(() => setInferenceConvolutions({ enabled: 'yes' } as never)).toThrow(/'enabled' must be true or false, got/);
  });

  it('turns F(4×4) off (F(2×2) instead) and the SIMD convolutions off (TF.js, no prepared weights)', () => {
    try {
      setInferenceConvolutions({ winograd4: false });
      expect(inferConvPlan([1, 26, 26, 128], [3, 3, 128, 256])).toBe('winograd2');
      setInferenceConvolutions({ winograd4: true, enabled: false });
      expect(inferConvPlan([1, 52, 52, 128], [3, 3, 128, 256])).toBe('winograd4');
      expect(inferConvEligible([1, 13, 13, 16], [3, 3, 16, 64], [1, 1], [1, 1], 'same', 0.1)).toBe(false);
      // a folded layer then keeps no prepared weights: on wasm the ones it had are freed
      setInferenceConvolutions({ enabled: true });
      const layer = new FoldedConv2D({ filters: 16, kernelSize: [3, 3] });
      const input = tfl.input({ shape: [8, 8, 16] });
      const model = tfl.model({ inputs: input, outputs: layer.apply(input) as tfl.SymbolicTensor });
      const x = tf.ones([1, 8, 8, 16]);
      const before = tf.memory().numTensors;
      tf.dispose(model.predict(x) as tf.Tensor);
      expect(tf.memory().numTensors).toBe(before + (backend === 'wasm' ? 1 : 0)); // the prepared weights
      setInferenceConvolutions({ enabled: false });
      tf.dispose(model.predict(x) as tf.Tensor);
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose(x);
      model.dispose();
    } finally {
      setInferenceConvolutions({ enabled: true, winograd4: true });
    }
  });
});

describe('inferConvPlan', () => {
  it('picks the product for 1×1, the direct path below 16 channels, F(4×4) on maps of ≥ 13×13 pixels with inC a multiple of 4 (half-transformed weights up to 64 tiles), else F(2×2)', () => {
    expect(inferConvPlan([1, 13, 13, 64], [1, 1, 64, 32])).toBe('gemm');
    expect(inferConvPlan([1, 416, 416, 3], [3, 3, 3, 16])).toBe('direct');
    expect(inferConvPlan([1, 26, 26, 128], [3, 3, 128, 256])).toBe('winograd4h'); // 7 × 7 = 49 tiles
    expect(inferConvPlan([8, 26, 26, 128], [3, 3, 128, 256])).toBe('winograd4h'); // tiles per image: the batch does not change the plan
    expect(inferConvPlan([1, 32, 32, 128], [3, 3, 128, 256])).toBe('winograd4h'); // 8 × 8 = 64 tiles
    expect(inferConvPlan([1, 33, 32, 128], [3, 3, 128, 256])).toBe('winograd4'); // 9 × 8 = 72 tiles
    expect(inferConvPlan([1, 52, 52, 128], [3, 3, 128, 256])).toBe('winograd4');
    expect(inferConvPlan([1, 13, 13, 256], [3, 3, 256, 512])).toBe('winograd4h'); // 169 pixels, 16 tiles
    expect(inferConvPlan([1, 12, 14, 512], [3, 3, 512, 1024])).toBe('winograd2'); // 168 pixels
    expect(inferConvPlan([1, 416, 416, 16], [3, 3, 16, 32])).toBe('winograd4');
    expect(inferConvPlan([1, 52, 52, 18], [3, 3, 18, 32])).toBe('winograd2'); // 18: not a multiple of 4
  });
});

describe.runIf(backend === 'wasm')('inferConv2d (wasm)', () => {
  for (const [label, shape, outC, alpha, k, chunkTiles, plan] of [
    ['3×3 Winograd F(4×4), leaky, 9×11, batch 2: border tiles on all sides', [2, 9, 11, 16], 16, 0.1, 3, undefined, 'winograd4'],
    ['3×3 Winograd F(4×4), linear, 30×27: runs of interior tiles', [1, 30, 27, 8 * 4], 24, 1, 3, undefined, 'winograd4'],
    ['3×3 Winograd F(4×4), leaky, 1×1 image', [1, 1, 1, 16], 8, 0.1, 3, undefined, 'winograd4'],
    ['3×3 Winograd F(4×4), leaky, 17×13, batch 2, in chunks of 5 tiles', [2, 17, 13, 16], 16, 0.1, 3, 5, 'winograd4'],
    ['3×3 F(4×4) half-transformed weights, leaky, 9×11, batch 2: border tiles on all sides', [2, 9, 11, 16], 16, 0.1, 3, undefined, 'winograd4h'],
    ['3×3 F(4×4) half-transformed weights, linear, 13×13, 32 → 24 channels (three panels)', [1, 13, 13, 32], 24, 1, 3, undefined, 'winograd4h'],
    ['3×3 F(4×4) half-transformed weights, leaky, 1×1 image', [1, 1, 1, 16], 8, 0.1, 3, undefined, 'winograd4h'],
    ['3×3 direct (3 channels), leaky, 5×7, batch 2', [2, 5, 7, 3], 16, 0.1, 3],
    ['3×3 direct (6 channels), linear, 4×4', [1, 4, 4, 6], 8, 1, 3],
    ['3×3 Winograd, leaky, 5×7, batch 2: the last tile row and column half outside', [2, 5, 7, 16], 16, 0.1, 3],
    ['3×3 Winograd, linear, 4×4 (18 channels: the JS input transform)', [1, 4, 4, 18], 8, 1, 3],
    ['3×3 Winograd, leaky, 1×1 image (all taps but the centre outside)', [1, 1, 1, 16], 8, 0.1, 3],
    ['3×3 Winograd, leaky, 12×10, batch 2, in chunks of 7 tiles (the last one short)', [2, 12, 10, 16], 16, 0.1, 3, 7],
    ['3×3 Winograd, linear, 9×11, in chunks of 5 tiles', [1, 9, 11, 20], 24, 1, 3, 5],
    ['1×1, leaky, 13 pixels: three blocks of 4 rows and one single row', [1, 1, 13, 5], 24, 0.1, 1],
    ['1×1, linear, 2×3×3', [2, 3, 3, 7], 8, 1, 1],
    ['1×1, linear, 13×13, 125 outputs (a head: the last panel padded, 3 columns cut off)', [1, 13, 13, 64], 125, 1, 1],
    ['3×3 F(4×4) half-transformed, leaky, 13×13, 21 outputs (the last panel padded)', [1, 13, 13, 16], 21, 0.1, 3, undefined, 'winograd4h'],
    ['3×3 Winograd F(2×2), leaky, 6×6, 5 outputs (one panel, 3 columns cut off)', [1, 6, 6, 16], 5, 0.1, 3, undefined, 'winograd2'],
    ['3×3 direct (3 channels), leaky, 5×7, 13 outputs', [1, 5, 7, 3], 13, 0.1, 3],
    ['1×1, leaky, 40×40×64: two row chunks times two panel groups', [1, 40, 40, 64], 16, 0.1, 1],
  ] as Array<readonly [string, readonly number[], number, number, number, number?, InferConvPlan?]>) {
    it(`equals the direct convolution + bias + activation within 1e-5 relative: ${label}`, () => {
      const r = rng(11);
      const n = shape.reduce((a: number, b: number) => a * b, 1);
      const x = randn(r, n);
      const w = randn(r, k * k * shape[3] * outC);
      const bias = randn(r, outC);
      const xt = tf.tensor4d(x, [...shape] as [number, number, number, number]);
      const wt = tf.tensor4d(w, [k, k, shape[3], outC]);
      const bt = tf.tensor1d(bias);
      const prepared = inferConvWeights(wt, plan);
      const before = tf.memory().numTensors;
      setInferConvChunking(chunkTiles ? { mode: 'always', tiles: chunkTiles } : { mode: 'never' });
      let y: tf.Tensor;
      try {
        y = inferConv2d(xt, prepared, bt, alpha);
      } finally {
        setInferConvChunking({ mode: 'auto' });
      }
      expect(tf.memory().numTensors).toBe(before + 1);
      expect(y.shape).toEqual([shape[0], shape[1], shape[2], outC]);
      expect(maxRelErr(y.dataSync(), reference(x, w, bias, [...shape], outC, alpha, k))).toBeLessThan(1e-5);
      tf.dispose([xt, wt, bt, y, prepared]);
    });
  }

  it('rejects weights or a bias that do not fit x with ShapeError', () => {
    const x = tf.zeros([1, 4, 4, 16]) as tf.Tensor4D;
    const w = inferConvWeights(tf.tidy(() => tf.zeros([3, 3, 8, 16])) as tf.Tensor4D); // prepared for 8 channels
    const w16 = inferConvWeights(tf.tidy(() => tf.zeros([3, 3, 16, 16])) as tf.Tensor4D);
    const b = tf.zeros([16]) as tf.Tensor1D;
    const b8 = tf.zeros([8]) as tf.Tensor1D;
    expect(() => inferConv2d(x, w, b, 0.1)).toThrow(ShapeError);
    expect(() => inferConv2d(x, w16, b8, 0.1)).toThrow(/bias must be \[n\] with 8 < n ≤ 16 \(the weights' 2 panels of 8\), got \[8\]/);
    tf.dispose([x, w, w16, b, b8]);
  });

  for (const plan of ['winograd2', 'winograd4h'] as const) it(`leaves no tensor and no backend buffer behind when a part fails (${plan})`, () => {
    const x = tf.zeros([1, 26, 26, 16]) as tf.Tensor4D;
    const w = inferConvWeights(tf.tidy(() => tf.zeros([3, 3, 16, 16])) as tf.Tensor4D, plan);
    const b = tf.zeros([16]) as tf.Tensor1D;
    const backendData = () => (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
    const tensors = tf.memory().numTensors;
    const buffers = backendData();
    // a pool whose helper fails: the kernel's parts on it throw
    setKernelThreadPool({ helpers: 1, sharesHeap: () => true, post: () => undefined, wait: () => { throw new Error('helper failed'); } });
    try {
      expect(() => inferConv2d(x, w, b, 0.1)).toThrow('helper failed');
    } finally {
      setKernelThreadPool(null);
    }
    expect(tf.memory().numTensors).toBe(tensors);
    expect(backendData()).toBe(buffers);
    tf.dispose([x, w, b]);
  });

  it('gives FoldedConv2D the same outputs as tf.fused.conv2d; the transform follows new weights and goes with the layer', () => {
    const C = 64;
    const r = rng(5);
    const before = tf.memory().numTensors;
    const layer = new FoldedConv2D({ filters: C, kernelSize: [3, 3], activation: 'leaky' });
    const input = tfl.input({ shape: [6, 6, C] });
    const model = tfl.model({ inputs: input, outputs: layer.apply(input) as tfl.SymbolicTensor });
    const x = tf.tensor4d(randn(r, 2 * 36 * C), [2, 6, 6, C]);
    const check = () => {
      const [w, b] = layer.getWeights() as [tf.Tensor4D, tf.Tensor1D];
      const want = tf.tidy(() => tf.fused.conv2d({ x, filter: w, bias: b, strides: 1, pad: 'same', activation: 'leakyrelu', leakyreluAlpha: 0.1 }));
      const got = model.predict(x) as tf.Tensor;
      expect(maxRelErr(got.dataSync(), want.dataSync())).toBeLessThan(1e-5);
      tf.dispose([got, want]);
    };
    check();
    // a second call reuses the transform: no tensor is added
    const afterFirst = tf.memory().numTensors;
    tf.dispose(model.predict(x) as tf.Tensor);
    expect(tf.memory().numTensors).toBe(afterFirst);
    // new weights: the transform is recomputed (the old outputs would differ)
    const fresh = [tf.tensor4d(randn(r, 9 * C * C), [3, 3, C, C]), tf.tensor1d(randn(r, C))];
    layer.setWeights(fresh);
    tf.dispose(fresh);
    check();
    x.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
