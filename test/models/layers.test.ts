import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { ShapeError, ValueError } from '../../src/errors.js';
import { DarknetBatchNorm, Reorg, registerTrainingKernels, reorg, unregisterTrainingKernels } from '../../src/models/index.js';
import { expectNoLeak, randn, rng } from '../helpers.js';

/** Generic row-major transpose of a flat array (numpy's `x.transpose(perm)` followed by a copy). */
function npTranspose(data: ArrayLike<number>, shape: number[], perm: number[]): Float32Array {
  const n = data.length;
  const rank = shape.length;
  const outShape = perm.map((p) => shape[p]);
  const inStrides = new Array<number>(rank);
  let s = 1;
  for (let i = rank - 1; i >= 0; i--) {
    inStrides[i] = s;
    s *= shape[i];
  }
  const out = new Float32Array(n);
  const idx = new Array<number>(rank).fill(0);
  for (let o = 0; o < n; o++) {
    let src = 0;
    for (let d = 0; d < rank; d++) src += idx[d] * inStrides[perm[d]];
    out[o] = data[src];
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d] < outShape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

/** Darknet's reorg on CHW data, verbatim from the spec: reshape(C/4,H,2,W,2).transpose(2,4,0,1,3).reshape(4C,H/2,W/2). */
function darknetReorgCHW(x: Float32Array, c: number, h: number, w: number): Float32Array {
  return npTranspose(x, [c / 4, h, 2, w, 2], [2, 4, 0, 1, 3]);
}

/** NHWC [B,H,W,C] tensor from per-image CHW arrays. */
function fromCHW(images: Float32Array[], c: number, h: number, w: number): tf.Tensor4D {
  const nhwc = images.map((img) => npTranspose(img, [c, h, w], [1, 2, 0]));
  const flat = new Float32Array(images.length * c * h * w);
  nhwc.forEach((a, i) => flat.set(a, i * a.length));
  return tf.tensor4d(flat, [images.length, h, w, c]);
}

/** CHW arrays of one image of an NHWC tensor. */
function toCHW(t: tf.Tensor4D, image: number): Float32Array {
  const [, h, w, c] = t.shape;
  const data = t.dataSync().subarray(image * h * w * c, (image + 1) * h * w * c);
  return npTranspose(data, [h, w, c], [2, 0, 1]);
}

describe('reorg (darknet order)', () => {
  it('pins the hand-computed 4×4×4 example', () => {
    // Input CHW holds 0..63: element (c, y, x) = 16c + 4y + x.
    // Memory viewed as (C/4=1, H=4, 2, W=4, 2): f = 16h' + 8a + 2w' + b; output o = ((2a+b)·1 + 0)·16 + 4h' + w'.
    // Output is (16, 2, 2): channel k holds o = 4k … 4k+3.
    //   k=0: a=b=0, h'=0, w'=0..3 → f = 0, 2, 4, 6      → [[0, 2], [4, 6]]   (spaceToDepth: [[0, 2], [8, 10]])
    //   k=1: a=b=0, h'=1          → f = 16, 18, 20, 22  → [[16, 18], [20, 22]]
    //   k=4: a=0, b=1, h'=0       → f = 1, 3, 5, 7      → [[1, 3], [5, 7]]
    //   k=8: a=1, b=0, h'=0       → f = 8, 10, 12, 14   → [[8, 10], [12, 14]]
    //   k=15: a=b=1, h'=3         → f = 48+8+1 + 2w' = 57, 59, 61, 63
    const x = fromCHW([Float32Array.from({ length: 64 }, (_, i) => i)], 4, 4, 4);
    const y = reorg(x);
    expect(y.shape).toEqual([1, 2, 2, 16]);
    const chw = toCHW(y, 0);
    const ch = (k: number) => Array.from(chw.subarray(4 * k, 4 * k + 4));
    expect(ch(0)).toEqual([0, 2, 4, 6]);
    expect(ch(1)).toEqual([16, 18, 20, 22]);
    expect(ch(4)).toEqual([1, 3, 5, 7]);
    expect(ch(8)).toEqual([8, 10, 12, 14]);
    expect(ch(15)).toEqual([57, 59, 61, 63]);
    tf.dispose([x, y]);
  });

  it('matches the numpy formula on random odd-ish sizes, batch 2', () => {
    const rand = rng(7);
    for (const [c, h, w] of [
      [8, 6, 4],
      [12, 2, 10],
      [4, 8, 8],
    ]) {
      const imgs = [0, 1].map(() => Float32Array.from({ length: c * h * w }, () => rand()));
      const x = fromCHW(imgs, c, h, w);
      const y = reorg(x);
      expect(y.shape).toEqual([2, h / 2, w / 2, 4 * c]);
      for (let b = 0; b < 2; b++) expect(Array.from(toCHW(y, b))).toEqual(Array.from(darknetReorgCHW(imgs[b], c, h, w)));
      tf.dispose([x, y]);
    }
  });

  it('has the inverse permutation as its gradient', () => {
    const rand = rng(3);
    const x = tf.tensor4d(Float32Array.from({ length: 2 * 4 * 6 * 8 }, () => rand()), [2, 4, 6, 8]);
    const wts = tf.tensor4d(Float32Array.from({ length: 2 * 4 * 6 * 8 }, () => rand()), [2, 2, 3, 32]);
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(reorg(t as tf.Tensor4D), wts)))(x) as tf.Tensor4D;
    // d/dx Σ P(x)·w = Pᵀw, so P(grad) = w exactly
    const back = reorg(g);
    expect(Array.from(back.dataSync())).toEqual(Array.from(wts.dataSync()));
    tf.dispose([x, wts, g, back]);
  });

  it('rejects odd sizes and channels not divisible by 4', () => {
    const a = tf.zeros([1, 3, 4, 4]) as tf.Tensor4D;
    const b = tf.zeros([1, 4, 4, 6]) as tf.Tensor4D;
    expect(() => reorg(a)).toThrow(ShapeError);
    expect(() => reorg(b)).toThrow(/even H and W and C divisible by 4, got shape \[1, 4, 4, 6\]/);
    tf.dispose([a, b]);
  });

  it('does not leak, forward or backward', () => {
    const x = tf.ones([1, 4, 4, 8]) as tf.Tensor4D;
    reorg(x).dispose(); // warm the index cache
    expectNoLeak(() => tf.tidy(() => reorg(x)).dispose());
    expectNoLeak(() => (tf.grad((t: tf.Tensor) => tf.sum(reorg(t as tf.Tensor4D)))(x) as tf.Tensor).dispose());
    x.dispose();
  });
});

describe('Reorg layer', () => {
  it('infers output shapes, including unknown sizes', () => {
    const layer = new Reorg();
    expect(layer.computeOutputShape([null, 26, 26, 64])).toEqual([null, 13, 13, 256]);
    expect(layer.computeOutputShape([null, null, null, 64])).toEqual([null, null, null, 256]);
    expect(() => layer.computeOutputShape([null, 26, 26, 6])).toThrow(ShapeError);
    expect(() => new Reorg({ stride: 3 })).toThrow(ValueError);
  });

  it('is registered with tf.serialization and round-trips through save/load', async () => {
    const input = tfl.input({ shape: [4, 4, 4] });
    const out = new Reorg({ name: 'r' }).apply(input) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: input, outputs: out });
    let saved: tf.io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler(async (a) => {
        saved = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    expect(JSON.stringify(saved!.modelTopology)).toContain('"class_name":"Reorg"');
    const loaded = await tfl.loadLayersModel(tf.io.fromMemory(saved!));
    const x = fromCHW([Float32Array.from({ length: 64 }, (_, i) => i)], 4, 4, 4);
    const y = loaded.predict(x) as tf.Tensor4D;
    expect(Array.from(toCHW(y, 0).subarray(0, 4))).toEqual([0, 2, 4, 6]);
    tf.dispose([x, y]);
    model.dispose();
    loaded.dispose();
  });
});

describe('DarknetBatchNorm', () => {
  /** tfjs-layers' BatchNormalization (+ LeakyReLU 0.1) with the same ε, momentum and weights: the reference. */
  function pair(activation: 'linear' | 'leaky', offset = 0.3) {
    const input = tfl.input({ shape: [3, 5, 4] });
    const ours = new DarknetBatchNorm({ activation, name: 'ours' });
    const ref = tfl.layers.batchNormalization({ epsilon: 1e-5, momentum: 0.99, name: 'ref' });
    const a = tfl.model({ inputs: input, outputs: ours.apply(input) as tfl.SymbolicTensor });
    let r = ref.apply(input) as tfl.SymbolicTensor;
    if (activation === 'leaky') r = tfl.layers.leakyReLU({ alpha: 0.1 }).apply(r) as tfl.SymbolicTensor;
    const b = tfl.model({ inputs: input, outputs: r });
    const rand = rng(5);
    const w = [
      tf.tensor1d([1.5, 0.5, 2, 1]), // gamma
      tf.tensor1d([0.1, -0.2, 0.3, 0]), // beta
      tf.tensor1d([0.2, 0.1, -0.1, 0]), // moving mean
      tf.tensor1d([1.2, 0.8, 1, 2]), // moving variance
    ];
    a.setWeights(w);
    b.setWeights(w);
    tf.dispose(w);
    const x = tf.tensor4d(randn(rand, 2 * 3 * 5 * 4, offset, 2), [2, 3, 5, 4]);
    const wts = tf.tensor4d(randn(rand, 2 * 3 * 5 * 4), [2, 3, 5, 4]);
    return { a, b, x, wts };
  }

  function gradsOf(m: tfl.LayersModel, x: tf.Tensor, wts: tf.Tensor): Float32Array[] {
    const vars = m.trainableWeights.map((v) => (v as unknown as { val: tf.Variable }).val);
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(m.apply(x, { training: true }) as tf.Tensor, wts)) as tf.Scalar, vars);
    const dx = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(m.apply(t, { training: true }) as tf.Tensor, wts)))(x);
    const out = [value, ...vars.map((v) => grads[v.name]), dx].map((t) => Float32Array.from(t.dataSync()));
    tf.dispose([value, dx, ...Object.values(grads)]);
    return out;
  }

  // without and with the fused kernels of registerTrainingKernels() (cpu and wasm)
  const variants = [
    { activation: 'linear', fusedOn: false, offset: 0.3 },
    { activation: 'leaky', fusedOn: false, offset: 0.3 },
    { activation: 'linear', fusedOn: true, offset: 0.3 },
    { activation: 'leaky', fusedOn: true, offset: 0.3 },
  ] as const;
  for (const { activation, fusedOn, offset } of variants) {
    const what = `${activation === 'leaky' ? ' + LeakyReLU(0.1)' : ''}${fusedOn ? ', fused kernels' : ''}`;
    it(`matches tfjs-layers BatchNormalization${what}: outputs, gradients, moving averages`, () => {
      if (fusedOn) registerTrainingKernels();
      const { a, b, x, wts } = pair(activation, offset);
      for (const training of [false, true]) {
        const ya = a.apply(x, { training }) as tf.Tensor;
        const yb = b.apply(x, { training }) as tf.Tensor;
        const da = ya.dataSync();
        const db = yb.dataSync();
        for (let i = 0; i < da.length; i++) expect(da[i]).toBeCloseTo(db[i], 5);
        tf.dispose([ya, yb]);
      }
      const ga = gradsOf(a, x, wts);
      const gb = gradsOf(b, x, wts);
      ga.forEach((g, k) => g.forEach((v, i) => expect(v).toBeCloseTo(gb[k][i], 4)));
      // moving statistics after the same number of training calls
      const ma = a.getWeights().slice(2).map((t) => Array.from(t.dataSync()));
      const mb = b.getWeights().slice(2).map((t) => Array.from(t.dataSync()));
      ma.forEach((m, k) => m.forEach((v, i) => expect(v).toBeCloseTo(mb[k][i], 6)));
      tf.dispose([x, wts]);
      a.dispose();
      b.dispose();
      unregisterTrainingKernels();
    });
  }

  it('fused kernels: a mean of 300 does not cancel the variance away (float64 reference in the test)', () => {
    registerTrainingKernels();
    const input = tfl.input({ shape: [3, 5, 4] });
    const model = tfl.model({ inputs: input, outputs: new DarknetBatchNorm({ activation: 'leaky' }).apply(input) as tfl.SymbolicTensor });
    const xv = randn(rng(9), 120, 300, 2); // std 2 around 300: E[x²] − E[x]² in float32 would lose ~3 digits
    const x = tf.tensor4d(xv, [2, 3, 5, 4]);
    const y = (model.apply(x, { training: true }) as tf.Tensor).dataSync();
    // reference: per channel c, μ = Σx/30, σ² = Σ(x − μ)²/30 in float64, y = leaky((x − μ)/sqrt(σ² + 1e-5)), γ = 1, β = 0
    for (let c = 0; c < 4; c++) {
      const vals = Array.from(xv).filter((_, i) => i % 4 === c);
      const mu = vals.reduce((p, q) => p + q, 0) / vals.length;
      const v = vals.reduce((p, q) => p + (q - mu) ** 2, 0) / vals.length;
      for (let i = c; i < 120; i += 4) {
        const z = (xv[i] - mu) / Math.sqrt(v + 1e-5);
        expect(y[i]).toBeCloseTo(z > 0 ? z : 0.1 * z, 4);
      }
    }
    x.dispose();
    model.dispose();
    unregisterTrainingKernels();
  });

  it('fused kernels: a NaN input gives NaN outputs and gradients, not a silent number', () => {
    registerTrainingKernels();
    const input = tfl.input({ shape: [2, 2, 3] });
    const model = tfl.model({ inputs: input, outputs: new DarknetBatchNorm({ activation: 'leaky' }).apply(input) as tfl.SymbolicTensor });
    const xv = Float32Array.from({ length: 24 }, (_, i) => i * 0.1);
    xv[5] = NaN; // channel 2
    const x = tf.tensor4d(xv, [2, 2, 2, 3]);
    const dx = tf.grad((t: tf.Tensor) => tf.sum(model.apply(t, { training: true }) as tf.Tensor))(x);
    const y = model.apply(x, { training: true }) as tf.Tensor;
    const yv = y.dataSync();
    const dv = dx.dataSync();
    for (let i = 0; i < 24; i++) {
      expect(Number.isNaN(yv[i])).toBe(i % 3 === 2); // only channel 2's statistics are poisoned
      expect(Number.isNaN(dv[i])).toBe(i % 3 === 2);
    }
    tf.dispose([x, y, dx]);
    model.dispose();
    unregisterTrainingKernels();
  });

  it('serialises its config and does not leak in training (composite and fused)', async () => {
    const input = tfl.input({ shape: [2, 2, 4] });
    const model = tfl.model({ inputs: input, outputs: new DarknetBatchNorm({ activation: 'leaky', name: 'bn' }).apply(input) as tfl.SymbolicTensor });
    expect(model.getLayer('bn').getConfig()).toMatchObject({ epsilon: 1e-5, momentum: 0.99, activation: 'leaky' });
    const x = tf.randomNormal([2, 2, 2, 4]);
    const vars = model.trainableWeights.map((v) => (v as unknown as { val: tf.Variable }).val);
    const run = () => {
      const { value, grads } = tf.variableGrads(() => tf.sum(model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, vars);
      tf.dispose([value, ...Object.values(grads)]);
    };
    run();
    expectNoLeak(run);
    registerTrainingKernels();
    run();
    expectNoLeak(run);
    unregisterTrainingKernels();
    let saved: tf.io.ModelArtifacts | undefined;
    await model.save(tf.io.withSaveHandler(async (art) => ((saved = art), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
    const loaded = await tfl.loadLayersModel(tf.io.fromMemory(saved!));
    const y1 = model.predict(x) as tf.Tensor;
    const y2 = loaded.predict(x) as tf.Tensor;
    expect(Array.from(y2.dataSync())).toEqual(Array.from(y1.dataSync()));
    tf.dispose([x, y1, y2]);
    expect(() => new DarknetBatchNorm({ activation: 'relu' as 'leaky' })).toThrow(ValueError);
    model.dispose();
    loaded.dispose();
  });
});
