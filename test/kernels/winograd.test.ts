import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { registerTrainingKernels, trainingKernelsInstalled, unregisterTrainingKernels } from '../../src/models/index.js';
import type { WinogradGeometry } from '../../src/kernels/winograd.js';
import {
  filterGradTransform, filterTransform, flippedIndex, gradTransform, inputTransform, outputTransform, tileCount,
  transpose,
} from '../../src/kernels/winograd.js';
import { geometry } from '../../src/kernels/conv.js';
import { WINOGRAD_MIN_CHANNELS, winogradEligible } from '../../src/kernels/winograd-conv.js';
import { randn, rng } from '../helpers.js';

const backend = process.env.YOLOV2_TEST_BACKEND ?? 'cpu';

afterEach(() => {
  unregisterTrainingKernels();
});

/* ---------- independent references: direct loops ---------- */

/** y[b, oy, ox, co] = Σ x[b, oy + ky − pt, ox + kx − pl, ci] · w[ky, kx, ci, co] (zeros outside x). */
function directConv(x: Float32Array, w: Float32Array, g: WinogradGeometry): Float64Array {
  const y = new Float64Array(g.batch * g.outH * g.outW * g.outC);
  for (let b = 0; b < g.batch; b++) for (let oy = 0; oy < g.outH; oy++) for (let ox = 0; ox < g.outW; ox++) {
    for (let co = 0; co < g.outC; co++) {
      let s = 0;
      for (let ky = 0; ky < 3; ky++) for (let kx = 0; kx < 3; kx++) {
        const iy = oy + ky - g.pt;
        const ix = ox + kx - g.pl;
        if (iy < 0 || iy >= g.inH || ix < 0 || ix >= g.inW) continue;
        for (let ci = 0; ci < g.inC; ci++) s += x[((b * g.inH + iy) * g.inW + ix) * g.inC + ci] * w[((ky * 3 + kx) * g.inC + ci) * g.outC + co];
      }
      y[((b * g.outH + oy) * g.outW + ox) * g.outC + co] = s;
    }
  }
  return y;
}

/** dw[ky, kx, ci, co] = Σ x[b, oy + ky − pt, ox + kx − pl, ci] · dy[b, oy, ox, co]. */
function directFilterGrad(x: Float32Array, dy: Float32Array, g: WinogradGeometry): Float64Array {
  const dw = new Float64Array(9 * g.inC * g.outC);
  for (let b = 0; b < g.batch; b++) for (let oy = 0; oy < g.outH; oy++) for (let ox = 0; ox < g.outW; ox++) {
    for (let ky = 0; ky < 3; ky++) for (let kx = 0; kx < 3; kx++) {
      const iy = oy + ky - g.pt;
      const ix = ox + kx - g.pl;
      if (iy < 0 || iy >= g.inH || ix < 0 || ix >= g.inW) continue;
      for (let ci = 0; ci < g.inC; ci++) for (let co = 0; co < g.outC; co++) {
        dw[((ky * 3 + kx) * g.inC + ci) * g.outC + co] += x[((b * g.inH + iy) * g.inW + ix) * g.inC + ci] * dy[((b * g.outH + oy) * g.outW + ox) * g.outC + co];
      }
    }
  }
  return dw;
}

/** [n, k] × [k, m] in float64. */
function gemm(a: Float32Array, b: Float32Array, n: number, k: number, m: number): Float32Array {
  const c = new Float32Array(n * m);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) {
    let s = 0;
    for (let p = 0; p < k; p++) s += a[i * k + p] * b[p * m + j];
    c[i * m + j] = s;
  }
  return c;
}

const mats = (n: number) => Array.from({ length: 16 }, () => new Float32Array(n));

/** The forward convolution through the pure transforms, with the 16 products in plain JS. */
function winogradConv(x: Float32Array, w: Float32Array, g: WinogradGeometry): Float32Array {
  const T = tileCount(g);
  const V = mats(T * g.inC);
  const U = mats(g.inC * g.outC);
  inputTransform(x, g, V);
  filterTransform(w, g.inC, g.outC, U);
  const M = V.map((v, k) => gemm(v, U[k], T, g.inC, g.outC));
  const y = new Float32Array(g.batch * g.outH * g.outW * g.outC);
  outputTransform(M, g, y);
  return y;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

function geom(batch: number, inH: number, inW: number, inC: number, outC: number, pad: 'same' | 'valid'): WinogradGeometry {
  const p = pad === 'same' ? 1 : 0;
  return { batch, inH, inW, inC, outH: inH + 2 * p - 2, outW: inW + 2 * p - 2, outC, pt: p, pl: p };
}

describe('Winograd F(2×2, 3×3) transforms', () => {
  it('give a hand-computed 4×4 valid convolution', () => {
    // x = 1 … 16 row-major, w = 3×3 of ones: each output is the sum of its 3×3 window
    // y00 = 1+2+3+5+6+7+9+10+11 = 54, y01 = 54 + 9 = 63, y10 = 54 + 36 = 90, y11 = 99
    const x = Float32Array.from({ length: 16 }, (_, i) => i + 1);
    const w = new Float32Array(9).fill(1);
    expect(Array.from(winogradConv(x, w, geom(1, 4, 4, 1, 1, 'valid')))).toEqual([54, 63, 90, 99]);
    // the filter transform of ones: G·1·Gᵀ with G·[1, 1, 1] = [1, 3/2, 1/2, 1]
    const U = mats(1);
    filterTransform(w, 1, 1, U);
    const Gg = [1, 1.5, 0.5, 1];
    expect(U.map((u) => u[0])).toEqual(Gg.flatMap((a) => Gg.map((b) => a * b)));
  });

  const shapes: Array<[string, WinogradGeometry]> = [
    ['same, odd sizes 5×7', geom(2, 5, 7, 3, 4, 'same')],
    ['same, 13×13 (a half tile at the border)', geom(1, 13, 13, 2, 3, 'same')],
    ['valid 6×9', geom(2, 6, 9, 3, 2, 'valid')],
    ['1×1 input, same', geom(3, 1, 1, 2, 2, 'same')],
    ['pad 2 (the input gradient of valid)', { batch: 1, inH: 4, inW: 5, inC: 2, outH: 6, outW: 7, outC: 3, pt: 2, pl: 2 }],
  ];
  for (const [label, g] of shapes) {
    it(`forward equals the direct convolution: ${label}`, () => {
      const rand = rng(g.inH * 100 + g.inW);
      const x = randn(rand, g.batch * g.inH * g.inW * g.inC);
      const w = randn(rand, 9 * g.inC * g.outC);
      expect(maxAbsDiff(winogradConv(x, w, g), directConv(x, w, g))).toBeLessThan(1e-4);
    });

    it(`filter gradient equals the direct sum: ${label}`, () => {
      const rand = rng(g.inH * 100 + g.inW + 7);
      const x = randn(rand, g.batch * g.inH * g.inW * g.inC);
      const dy = randn(rand, g.batch * g.outH * g.outW * g.outC);
      const T = tileCount(g);
      const V = mats(T * g.inC);
      const E = mats(T * g.outC);
      inputTransform(x, g, V);
      gradTransform(dy, g, E);
      const M = V.map((v, k) => {
        const vt = new Float32Array(T * g.inC);
        transpose(v, T, g.inC, vt);
        return gemm(vt, E[k], g.inC, T, g.outC);
      });
      const dw = new Float32Array(9 * g.inC * g.outC);
      filterGradTransform(M, g.inC, g.outC, dw);
      expect(maxAbsDiff(dw, directFilterGrad(x, dy, g))).toBeLessThan(1e-4);
    });
  }

  it('flippedIndex: the flipped, in/out-swapped filter\'s transform is the forward one permuted and transposed', () => {
    const inC = 3;
    const outC = 5;
    const w = randn(rng(5), 9 * inC * outC);
    // flipped[y, x, co, ci] = w[2 − y, 2 − x, ci, co]
    const flipped = new Float32Array(w.length);
    for (let y = 0; y < 3; y++) for (let x = 0; x < 3; x++) for (let ci = 0; ci < inC; ci++) for (let co = 0; co < outC; co++) {
      flipped[((y * 3 + x) * outC + co) * inC + ci] = w[(((2 - y) * 3 + (2 - x)) * inC + ci) * outC + co];
    }
    const direct = mats(inC * outC);
    filterTransform(flipped, outC, inC, direct);
    const U = mats(inC * outC);
    filterTransform(w, inC, outC, U);
    for (let k = 0; k < 16; k++) {
      const viaFlip = new Float32Array(inC * outC);
      transpose(U[flippedIndex(k)], inC, outC, viaFlip);
      expect(maxAbsDiff(viaFlip, direct[k])).toBeLessThan(1e-6);
    }
    expect(Array.from({ length: 16 }, (_, k) => flippedIndex(k))).toEqual([15, 13, 14, 12, 7, 5, 6, 4, 11, 9, 10, 8, 3, 1, 2, 0]);
  });

  it('transpose handles sizes that are not multiples of its 32×32 block', () => {
    const rows = 37;
    const cols = 70;
    const src = Float32Array.from({ length: rows * cols }, (_, i) => i);
    const dst = new Float32Array(rows * cols);
    transpose(src, rows, cols, dst);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) expect(dst[c * rows + r]).toBe(r * cols + c);
  });
});

describe('winogradEligible', () => {
  const same = { strides: [1, 1], pad: 'same' };
  const C = WINOGRAD_MIN_CHANNELS;
  it('takes 3×3 stride-1 convolutions with enough channels, same or valid', () => {
    expect(winogradEligible(geometry([8, 13, 13, 1024], [3, 3, 1024, 1024], same))).toBe(true);
    expect(winogradEligible(geometry([1, 6, 6, C], [3, 3, C, C], { strides: 1, pad: 'valid' }))).toBe(true);
  });
  it('leaves the rest to the other kernels', () => {
    expect(winogradEligible(geometry([8, 52, 52, C / 2], [3, 3, C / 2, C], same))).toBe(false); // too few input channels
    expect(winogradEligible(geometry([8, 13, 13, C], [3, 3, C, C / 2], same))).toBe(false); // too few output channels
    expect(winogradEligible(geometry([8, 13, 13, C], [1, 1, C, C], same))).toBe(false); // 1×1
    expect(winogradEligible(geometry([8, 26, 26, C], [3, 3, C, C], { strides: 2, pad: 'same' }))).toBe(false);
    expect(winogradEligible(geometry([8, 26, 26, C], [3, 3, C, C], { ...same, dilations: 2 }))).toBe(false);
    expect(winogradEligible(null)).toBe(false);
  });
});

/* ---------- the wasm kernels against the stock cpu ones ---------- */

describe.runIf(backend === 'wasm')('Winograd kernels on wasm vs the stock cpu kernels', () => {
  const C = WINOGRAD_MIN_CHANNELS; // the smallest channel count that takes the Winograd path
  const cases: Array<{ x: [number, number, number, number]; outC: number; pad: 'same' | 'valid' }> = [
    { x: [2, 5, 7, C], outC: C, pad: 'same' },
    { x: [1, 6, 6, C + 3], outC: C + 5, pad: 'valid' },
  ];
  for (const c of cases) {
    it(`conv2d, its gradients and fused conv2d: x [${c.x}] → ${c.outC}, ${c.pad}`, async () => {
      const f: [number, number, number, number] = [3, 3, c.x[3], c.outC];
      const rand = rng(c.x[1] * 10 + c.x[2]);
      const xv = randn(rand, c.x.reduce((a, b) => a * b));
      const fv = randn(rand, 9 * c.x[3] * c.outC, 0, 0.1);
      const outShape = tf.tidy(() => tf.conv2d(tf.zeros(c.x) as tf.Tensor4D, tf.zeros(f) as tf.Tensor4D, 1, c.pad).shape);
      const dyv = randn(rand, outShape.reduce((a, b) => a * b));
      const run = () => tf.tidy(() => {
        const x = tf.tensor4d(xv, c.x);
        const w = tf.tensor4d(fv, f);
        const dy = tf.tensor(dyv, outShape);
        // inference: the stock forward kernel (it caches its packed filter)
        const y = tf.conv2d(x, w, 1, c.pad);
        // while gradients are recorded (a training step), the Winograd forward, plain and fused
        let yTrain: tf.Tensor | null = null;
        let fusedTrain: tf.Tensor | null = null;
        const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => {
          yTrain = tf.keep(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, c.pad));
          fusedTrain = tf.keep(tf.fused.conv2d({ x: a as tf.Tensor4D, filter: b as tf.Tensor4D, strides: 1, pad: c.pad }));
          return tf.sum(tf.mul(tf.add(yTrain, fusedTrain), dy));
        })([x, w]);
        return [y, yTrain!, fusedTrain!, tf.div(dx, 2), tf.div(dw, 2)];
      });
      unregisterTrainingKernels();
      await tf.setBackend('cpu');
      const ref = run().map((t) => { const v = Float32Array.from(t.dataSync()); t.dispose(); return v; });
      await tf.setBackend('wasm');
      registerTrainingKernels();
      expect(trainingKernelsInstalled()).toContain('Conv2D/wasm');
      const before = tf.memory().numTensors;
      const outs = run();
      const names = ['conv2d (inference)', 'conv2d (training)', 'fused conv2d (training)', 'dx', 'dw'];
      outs.forEach((t, k) => {
        const r = ref[k];
        const scale = r.reduce((m, v) => Math.max(m, Math.abs(v)), 1);
        expect(maxAbsDiff(t.dataSync(), r) / scale, names[k]).toBeLessThanOrEqual(1e-4);
      });
      tf.dispose(outs);
      expect(tf.memory().numTensors).toBe(before);
    });
  }
});
