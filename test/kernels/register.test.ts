import * as tf from '@tensorflow/tfjs-core';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ValueError } from '../../src/errors.js';
import {
  registerTrainingKernels,
  tinyYOLOv2,
  trainingKernelsInstalled,
  unregisterTrainingKernels,
} from '../../src/models/index.js';
import { tileInto } from '../../src/kernels/wasm-kernels.js';
import { randn, rng } from '../helpers.js';

const backend = process.env.YOLOV2_TEST_BACKEND ?? 'cpu';

afterEach(() => {
  unregisterTrainingKernels(); // a failing test must not leave the kernels installed for the next
});

afterAll(async () => {
  unregisterTrainingKernels();
  await tf.setBackend(backend);
});

/** Run `fn` on the cpu backend with the stock kernels; return its outputs as arrays. */
async function stockCpu(fn: () => tf.Tensor[]): Promise<Float32Array[]> {
  const wasInstalled = trainingKernelsInstalled().length > 0;
  unregisterTrainingKernels();
  await tf.setBackend('cpu');
  const outs = fn();
  const data = outs.map((o) => Float32Array.from(o.dataSync()));
  tf.dispose(outs);
  await tf.setBackend(backend);
  if (wasInstalled) registerTrainingKernels();
  return data;
}

/** max |a − b| / max(1, max |b|) */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let num = 0;
  let den = 1;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / den;
}

type Case = { x: [number, number, number, number]; f: [number, number, number, number]; stride: number; pad: 'same' | 'valid'; chunk?: number };
const cases: Case[] = [
  { x: [2, 7, 9, 3], f: [3, 3, 3, 5], stride: 1, pad: 'same' },
  { x: [2, 7, 9, 3], f: [3, 3, 3, 5], stride: 2, pad: 'same' },
  { x: [3, 9, 6, 5], f: [3, 3, 5, 2], stride: 1, pad: 'valid' },
  { x: [3, 9, 6, 5], f: [3, 3, 5, 2], stride: 2, pad: 'valid' },
  { x: [1, 8, 8, 4], f: [1, 1, 4, 6], stride: 1, pad: 'same' },
  { x: [2, 5, 7, 6], f: [1, 1, 6, 3], stride: 2, pad: 'valid' },
  { x: [1, 6, 5, 2], f: [2, 3, 2, 4], stride: 1, pad: 'same' }, // even kernel height: asymmetric 'same' padding
  { x: [2, 11, 10, 3], f: [5, 5, 3, 2], stride: 3, pad: 'same' }, // 5×5 at stride 3: uneven border columns
  // batch chunking in whole output rows: im2col limited to 4·K·10 bytes → 10 positions = 2 rows of 5
  // (21 rows: the last chunk is one row)
  { x: [3, 7, 5, 4], f: [3, 3, 4, 3], stride: 1, pad: 'same', chunk: 4 * 36 * 10 },
  { x: [2, 9, 9, 3], f: [3, 3, 3, 2], stride: 2, pad: 'valid', chunk: 4 * 27 * 7 }, // 7 positions → 1 row of 4
  { x: [2, 6, 8, 3], f: [3, 3, 3, 2], stride: 1, pad: 'same', chunk: 4 * 27 * 3 }, // limit below one row: one row
];

describe('training kernels: Conv2DBackpropFilter / Conv2DBackpropInput vs the stock cpu kernels', () => {
  for (const c of cases) {
    const label = `x [${c.x}] filter [${c.f}] stride ${c.stride} ${c.pad}${c.chunk ? ` chunked (${c.chunk} B)` : ''}`;
    it(label, async () => {
      const rand = rng(c.x.reduce((a, b) => a * 31 + b, c.stride));
      const xv = randn(rand, c.x.reduce((a, b) => a * b));
      const fv = randn(rand, c.f.reduce((a, b) => a * b));
      const outShape = tf.tidy(() => tf.conv2d(tf.zeros(c.x) as tf.Tensor4D, tf.zeros(c.f) as tf.Tensor4D, c.stride, c.pad).shape);
      const dyv = randn(rand, outShape.reduce((a, b) => a * b));
      const run = () =>
        tf.tidy(() => {
          const x = tf.tensor4d(xv, c.x);
          const f = tf.tensor4d(fv, c.f);
          const dy = tf.tensor4d(dyv, outShape as [number, number, number, number]);
          // d/dx, d/df of Σ conv(x, f)·dy are Conv2DBackpropInput(dy, f) and Conv2DBackpropFilter(x, dy)
          const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad), dy)))([x, f]);
          return [dw, dx];
        });
      const [dwRef, dxRef] = await stockCpu(run);
      registerTrainingKernels(c.chunk ? { maxIm2colBytes: c.chunk } : {});
      const before = tf.memory().numTensors;
      const [dw, dx] = run();
      expect(relErr(dw.dataSync(), dwRef)).toBeLessThanOrEqual(1e-4);
      expect(relErr(dx.dataSync(), dxRef)).toBeLessThanOrEqual(1e-4);
      expect(dw.shape).toEqual(c.f);
      expect(dx.shape).toEqual(c.x);
      tf.dispose([dw, dx]);
      expect(tf.memory().numTensors).toBe(before);
      unregisterTrainingKernels();
    });
  }
});

describe('training kernels: MaxPoolGrad vs the stock cpu kernel', () => {
  const poolCases: Array<{ x: [number, number, number, number]; size: number; stride: number; pad: 'same' | 'valid'; ties?: boolean }> = [
    { x: [2, 4, 4, 64], size: 2, stride: 2, pad: 'same' }, // the stock wasm kernel gets this one wrong
    { x: [2, 5, 7, 3], size: 2, stride: 1, pad: 'same' }, // tiny-YOLOv2's sixth pool, odd sizes
    { x: [1, 7, 6, 5], size: 3, stride: 2, pad: 'valid' },
    { x: [3, 6, 6, 2], size: 2, stride: 2, pad: 'valid' },
    { x: [2, 5, 7, 3], size: 2, stride: 2, pad: 'same' }, // 2×2/2 fast path, windows clipped at the bottom and right
    { x: [1, 7, 5, 4], size: 2, stride: 2, pad: 'valid' }, // 2×2/2 fast path, last row and column dropped
    { x: [2, 6, 6, 3], size: 2, stride: 2, pad: 'same', ties: true }, // values in {−1, 0, 1}: the first maximum wins
  ];
  for (const c of poolCases) {
    it(`x [${c.x}] ${c.size}×${c.size}/${c.stride} ${c.pad}${c.ties ? ' with ties' : ''}`, async () => {
      const rand = rng(c.x.reduce((a, b) => a * 7 + b, c.size));
      const xv = randn(rand, c.x.reduce((a, b) => a * b));
      if (c.ties) for (let i = 0; i < xv.length; i++) xv[i] = Math.sign(Math.round(xv[i]));
      const outShape = tf.tidy(() => tf.maxPool(tf.zeros(c.x) as tf.Tensor4D, c.size, c.stride, c.pad).shape);
      const dyv = randn(rand, outShape.reduce((a, b) => a * b));
      const run = () =>
        tf.tidy(() => {
          const x = tf.tensor4d(xv, c.x);
          const dy = tf.tensor(dyv, outShape);
          return [tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, c.size, c.stride, c.pad), dy)))(x)];
        });
      const [ref] = await stockCpu(run);
      registerTrainingKernels();
      const before = tf.memory().numTensors;
      const [dx] = run();
      expect(relErr(dx.dataSync(), ref)).toBeLessThanOrEqual(1e-6);
      dx.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  }
});

describe('training kernels: Identity', () => {
  it('clones without copying, and the clone outlives the original', () => {
    registerTrainingKernels();
    const x = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
    const y = tf.clone(x);
    if (tf.getBackend() === 'wasm') expect(y.dataId).toBe(x.dataId); // one shared, reference-counted buffer
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
    expect(y.shape).toEqual([2, 3]);
    y.dispose();
  });
});

/** Reference tile: out[i] = x[Σ_d (i_d mod shape_d)·stride_d]. */
function tileRef(x: ArrayLike<number>, shape: number[], reps: number[]): number[] {
  const outShape = shape.map((s, d) => s * reps[d]);
  const n = outShape.reduce((a, b) => a * b, 1);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    let rem = i;
    let src = 0;
    let stride = 1;
    const idx: number[] = [];
    for (let d = outShape.length - 1; d >= 0; d--) {
      idx[d] = rem % outShape[d];
      rem = Math.floor(rem / outShape[d]);
    }
    for (let d = shape.length - 1; d >= 0; d--) {
      src += (idx[d] % shape[d]) * stride;
      stride *= shape[d];
    }
    out.push(x[src]);
  }
  return out;
}

describe('training kernels: Tile', () => {
  const tileCases: Array<[number[], number[]]> = [
    [[3], [4]],
    [[2, 3], [3, 1]],
    [[1, 1, 1, 5], [2, 3, 4, 1]],
    [[2, 1, 3], [1, 4, 2]],
    [[2, 2, 1, 2, 3], [2, 1, 3, 2, 1]],
    [[4, 3], [1, 1]],
  ];
  it('tileInto matches the index-formula reference', () => {
    for (const [shape, reps] of tileCases) {
      const x = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i + 1);
      const out = new Float32Array(shape.reduce((a, b, d) => a * b * reps[d], 1));
      tileInto(x, shape, reps, out);
      expect(Array.from(out)).toEqual(tileRef(x, shape, reps));
    }
  });

  it('tf.tile with the kernels installed matches, for float32, int32 and bool, without leaks', () => {
    registerTrainingKernels();
    for (const [shape, reps] of tileCases) {
      for (const dtype of ['float32', 'int32', 'bool'] as const) {
        const vals = Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => (dtype === 'bool' ? i % 2 : i % 7));
        const x = tf.tensor(vals, shape, dtype);
        const before = tf.memory().numTensors;
        const y = tf.tile(x, reps);
        expect(y.dtype).toBe(dtype);
        expect(Array.from(y.dataSync())).toEqual(tileRef(vals, shape, reps));
        y.dispose();
        expect(tf.memory().numTensors).toBe(before);
        x.dispose();
      }
    }
    unregisterTrainingKernels();
  });
});

describe('registerTrainingKernels', () => {
  it('is idempotent and reversible', () => {
    const stock = {
      filterCpu: tf.getKernel('Conv2DBackpropFilter', 'cpu'),
      filterWasm: tf.getKernel('Conv2DBackpropFilter', 'wasm'),
      inputWasm: tf.getKernel('Conv2DBackpropInput', 'wasm'),
      tileWasm: tf.getKernel('Tile', 'wasm'),
      poolWasm: tf.getKernel('MaxPoolGrad', 'wasm'),
      identityWasm: tf.getKernel('Identity', 'wasm'),
      convWasm: tf.getKernel('Conv2D', 'wasm'),
      fusedConvWasm: tf.getKernel('FusedConv2D', 'wasm'),
    };
    expect(stock.filterWasm).toBeUndefined(); // the reason this module exists
    const bn = ['YOLOv2BatchNormTrain', 'YOLOv2BatchNormTrainGrad'];
    const all = [
      'Conv2DBackpropFilter/cpu', 'Conv2DBackpropFilter/wasm', 'Conv2DBackpropInput/wasm', 'Conv2D/wasm', 'FusedConv2D/wasm', 'Tile/wasm', 'MaxPoolGrad/wasm', 'Identity/wasm',
      ...bn.map((k) => `${k}/cpu`), ...bn.map((k) => `${k}/wasm`),
    ];
    expect(registerTrainingKernels()).toEqual(all);
    const ours = tf.getKernel('Conv2DBackpropFilter', 'cpu');
    expect(ours).not.toBe(stock.filterCpu);
    expect(registerTrainingKernels()).toEqual(all);
    expect(tf.getKernel('Conv2DBackpropFilter', 'cpu')).toBe(ours);
    expect(unregisterTrainingKernels()).toEqual(all);
    expect(tf.getKernel('Conv2DBackpropFilter', 'cpu')).toBe(stock.filterCpu);
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeUndefined();
    expect(tf.getKernel('Conv2DBackpropInput', 'wasm')).toBe(stock.inputWasm);
    expect(tf.getKernel('Tile', 'wasm')).toBe(stock.tileWasm);
    expect(tf.getKernel('MaxPoolGrad', 'wasm')).toBe(stock.poolWasm);
    expect(tf.getKernel('Identity', 'wasm')).toBe(stock.identityWasm);
    expect(tf.getKernel('Conv2D', 'wasm')).toBe(stock.convWasm);
    expect(tf.getKernel('FusedConv2D', 'wasm')).toBe(stock.fusedConvWasm);
    for (const k of bn) for (const b of ['cpu', 'wasm']) expect(tf.getKernel(k, b)).toBeUndefined(); // new kernels: removed again
    expect(unregisterTrainingKernels()).toEqual([]);
    expect(registerTrainingKernels({ backends: ['cpu'] })).toEqual(['Conv2DBackpropFilter/cpu', ...bn.map((k) => `${k}/cpu`)]);
    unregisterTrainingKernels();
  });

  it('rejects bad options', () => {
    expect(() => registerTrainingKernels({ maxIm2colBytes: 0 })).toThrow(ValueError);
    expect(() => registerTrainingKernels({ maxIm2colBytes: NaN })).toThrow(/'maxIm2colBytes' must be a finite number > 0, got NaN/);
    expect(() => registerTrainingKernels({ backends: ['webgl' as 'cpu'] })).toThrow(/'backends' may hold 'cpu' and 'wasm', got "webgl"/);
    expect(() => registerTrainingKernels({ maxIm2colByte: 1 << 20 } as never)).toThrow(ValueError);
    expect(() => registerTrainingKernels({ maxIm2colByte: 1 << 20 } as never)).toThrow(/unknown option 'maxIm2colByte'.*did you mean 'maxIm2colBytes'/);
    expect(trainingKernelsInstalled()).toEqual([]);
  });

  it('with no backend registered (tfjs-core alone) throws "set a backend first" instead of returning []', () => {
    // A fresh Node process that imports only tfjs-core and the library, as a user who forgot the backend would.
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const code = [
      "import { registerTrainingKernels } from './src/kernels/index.ts';",
      'try { console.log(JSON.stringify({ returned: registerTrainingKernels() })); }',
      'catch (e) { console.log(JSON.stringify({ name: e.name, message: e.message })); }',
    ].join('\n');
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: root, encoding: 'utf8' });
    const result = JSON.parse(out.trim().split('\n').pop() as string) as { name?: string; message?: string; returned?: string[] };
    expect(result.returned).toBeUndefined();
    expect(result.name).toBe('ValueError');
    expect(result.message).toMatch(/registerTrainingKernels: no 'cpu' or 'wasm' backend is registered.*set a backend first \(tf\.setBackend/);
  }, 60_000);
});

describe('training a model with the kernels', () => {
  const build = () => tinyYOLOv2({ numClasses: 2, inputSize: 64, widthMultiplier: 0.125 });

  function lossAndGrads(model: ReturnType<typeof build>, xv: Float32Array, tv: Float32Array): tf.Tensor[] {
    return tf.tidy(() => {
      const x = tf.tensor4d(xv, [2, 64, 64, 3]);
      const t = tf.tensor4d(tv, [2, 2, 2, 35]);
      const vars = model.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
      let out: tf.Tensor | null = null;
      const { value, grads } = tf.variableGrads(() => {
        const y = model.apply(x, { training: true }) as tf.Tensor;
        out = tf.keep(tf.clone(y));
        return tf.mean(tf.squaredDifference(y, t)) as tf.Scalar;
      }, vars);
      const o = out!;
      return [o, value, ...vars.map((v) => grads[v.name])];
    });
  }

  it('gives the stock cpu forward outputs and gradients (≤ 1e-4)', async () => {
    const rand = rng(11);
    const xv = Float32Array.from({ length: 2 * 64 * 64 * 3 }, () => rand());
    const tv = randn(rand, 2 * 2 * 2 * 35);
    const model = build();
    const weights = model.getWeights().map((w) => w.clone());
    const ref = await stockCpu(() => lossAndGrads(model, xv, tv));
    model.setWeights(weights); // undo the batch-norm moving-average update of the reference run
    registerTrainingKernels({ maxIm2colBytes: 64 * 1024 }); // forces chunking on the first layers
    const ours = lossAndGrads(model, xv, tv);
    ours.forEach((t, i) => expect(relErr(t.dataSync(), ref[i])).toBeLessThanOrEqual(1e-4));
    tf.dispose([...ours, ...weights]);
    unregisterTrainingKernels();
    model.dispose();
  });

  it('does not grow the tensor count over 20 SGD steps', () => {
    registerTrainingKernels();
    const model = build();
    const optimizer = tf.train.sgd(1e-3);
    const x = tf.randomUniform([2, 64, 64, 3]);
    const t = tf.randomNormal([2, 2, 2, 35]);
    const step = () => {
      const cost = optimizer.minimize(() => tf.mean(tf.squaredDifference(model.apply(x, { training: true }) as tf.Tensor, t)) as tf.Scalar, true);
      cost?.dispose();
    };
    step(); // the optimizer creates its state on the first step
    const before = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) step();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, t]);
    optimizer.dispose();
    model.dispose();
    unregisterTrainingKernels();
  });
});
