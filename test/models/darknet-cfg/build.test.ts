import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { FormatError, ValueError } from '../../../src/errors.js';
import { modelFromDarknetCfg } from '../../../src/models/darknet-cfg/build.js';
import { parseDarknetCfg } from '../../../src/models/darknet-cfg/parse.js';
import { thrown } from '../../helpers.js';

const NET = (h: number, w: number, c: number) => `[net]\nheight=${h}\nwidth=${w}\nchannels=${c}\n`;
const build = (text: string, options = {}) => modelFromDarknetCfg(parseDarknetCfg(text), options);

/** Run `model` on NHWC data and return the output as nested arrays [h][w][c] of image 0. */
function run(model: LayersModel, data: number[], shape: [number, number, number]): number[][][] {
  return tf.tidy(() => (model.predict(tf.tensor4d(data, [1, ...shape])) as tf.Tensor).arraySync() as number[][][][])[0];
}

/** Naive darknet conv (one input channel, one filter): symmetric zero padding p, stride s. */
function refConv(x: number[][], k: number[][], bias: number, p: number, s: number): number[][] {
  const n = k.length, h = x.length, w = x[0].length;
  const oh = Math.floor((h + 2 * p - n) / s) + 1, ow = Math.floor((w + 2 * p - n) / s) + 1;
  return Array.from({ length: oh }, (_, i) => Array.from({ length: ow }, (_, j) => {
    let acc = bias;
    for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) {
      const y = i * s + a - p, xx = j * s + b - p;
      if (y >= 0 && y < h && xx >= 0 && xx < w) acc += k[a][b] * x[y][xx];
    }
    return acc;
  }));
}

/** Naive darknet max pool: windows start at −⌊padding/2⌋, out = ⌊(n + padding − size)/stride⌋ + 1. */
function refMaxpool(x: number[][], size: number, stride: number, padding = size - 1): number[][] {
  const h = x.length, w = x[0].length, off = Math.floor(padding / 2);
  const oh = Math.floor((h + padding - size) / stride) + 1, ow = Math.floor((w + padding - size) / stride) + 1;
  return Array.from({ length: oh }, (_, i) => Array.from({ length: ow }, (_, j) => {
    let m = -Infinity;
    for (let a = 0; a < size; a++) for (let b = 0; b < size; b++) {
      const y = i * stride + a - off, xx = j * stride + b - off;
      if (y >= 0 && y < h && xx >= 0 && xx < w) m = Math.max(m, x[y][xx]);
    }
    return m;
  }));
}

const grid = (h: number, w: number, f: (i: number, j: number) => number) => Array.from({ length: h }, (_, i) => Array.from({ length: w }, (_, j) => f(i, j)));
const squeeze = (o: number[][][]) => o.map((r) => r.map((c) => c[0]));

describe('modelFromDarknetCfg: convolutional and maxpool against a naive darknet reference', () => {
  // input 5×6, values (i·6 + j) − 10 (negatives make the maxpool's ignored borders matter)
  const x = grid(5, 6, (i, j) => i * 6 + j - 10);
  const flat = x.flat();
  const k3 = [[1, 0, -1], [2, 0.5, -2], [1, 0, -1]];

  it('a 2-layer cfg: 3×3 stride-2 pad-1 conv (bias, linear) then a 3×3 stride-2 maxpool (darknet padding 2)', () => {
    const built = build(`${NET(5, 6, 1)}[convolutional]\nfilters=1\nsize=3\nstride=2\npad=1\nactivation=linear\n[maxpool]\nsize=3\nstride=2\n`);
    built.model.getLayer('conv0').setWeights([tf.tensor4d(k3.flat(), [3, 3, 1, 1]), tf.tensor1d([0.5])]);
    // conv: out ⌊(5 + 2 − 3)/2⌋ + 1 = 3 × ⌊(6 + 2 − 3)/2⌋ + 1 = 3; pool: ⌊(3 + 2 − 3)/2⌋ + 1 = 2 each way
    const conv = refConv(x, k3, 0.5, 1, 2);
    const want = refMaxpool(conv, 3, 2);
    expect(built.layers.map((l) => l.output)).toEqual([[3, 3, 1], [2, 2, 1]]);
    const got = squeeze(run(built.model, flat, [5, 6, 1]));
    got.flat().forEach((v, i) => expect(v).toBeCloseTo(want.flat()[i], 4));
    // TF's 'same' pooling agrees with darknet's on odd sizes but not on even ones (it starts at 0, darknet at −1)
    expect(built.model.getLayer('maxpool1').getClassName()).toBe('DarknetMaxPool');
    built.model.dispose();
  });

  it('maxpool size 2 stride 1 keeps the size and takes the right/bottom edge alone', () => {
    const built = build(`${NET(5, 6, 1)}[maxpool]\nsize=2\nstride=1\n`);
    const got = squeeze(run(built.model, flat, [5, 6, 1]));
    expect(got).toEqual(refMaxpool(x, 2, 1));
    expect(got[4][5]).toBe(x[4][5]); // the last window holds one pixel
    expect(got[0][0]).toBe(x[1][1]);
    built.model.dispose();
  });

  it('maxpool with explicit padding=0 (valid) and size 2 stride 2 on an odd size', () => {
    for (const [cfg, size, stride, padding] of [
      ['size=2\nstride=2\npadding=0', 2, 2, 0],
      ['size=2\nstride=2', 2, 2, 1],
      ['size=3\nstride=1', 3, 1, 2],
      ['size=3\nstride=2', 3, 2, 2], // width 6: darknet starts at −1, TF's 'same' at 0 → DarknetMaxPool
      ['size=3\nstride=2\npadding=1', 3, 2, 1],
      ['size=4\nstride=3\npadding=5', 4, 3, 5],
    ] as const) {
      const built = build(`${NET(5, 6, 1)}[maxpool]\n${cfg}\n`);
      expect(squeeze(run(built.model, flat, [5, 6, 1])), cfg).toEqual(refMaxpool(x, size, stride, padding));
      built.model.dispose();
    }
  });

  it('pad=0 and explicit padding, with batch norm and each activation', () => {
    const acts: Record<string, (v: number) => number> = {
      linear: (v) => v,
      leaky: (v) => (v > 0 ? v : 0.1 * v),
      relu: (v) => Math.max(0, v),
      logistic: (v) => 1 / (1 + Math.exp(-v)),
      tanh: Math.tanh,
      mish: (v) => v * Math.tanh(Math.log1p(Math.exp(v))),
    };
    for (const [name, f] of Object.entries(acts)) {
      for (const bn of [0, 1]) {
        const built = build(`${NET(5, 6, 1)}[convolutional]\nbatch_normalize=${bn}\nfilters=1\nsize=3\npadding=2\nactivation=${name}\n`);
        const layer = built.model.getLayer('conv0');
        // batch norm: γ = 2, β = −1, mean 3, var 4 → y = 2·(z − 3)/sqrt(4 + 1e-5) − 1
        const norm = (z: number) => (bn ? (2 * (z - 3)) / Math.sqrt(4 + 1e-5) - 1 : z);
        layer.setWeights(bn ? [tf.tensor4d(k3.flat(), [3, 3, 1, 1])] : [tf.tensor4d(k3.flat(), [3, 3, 1, 1]), tf.tensor1d([0.25])]);
        if (bn) built.model.getLayer('bn0').setWeights([tf.tensor1d([2]), tf.tensor1d([-1]), tf.tensor1d([3]), tf.tensor1d([4])]);
        const want = refConv(x, k3, bn ? 0 : 0.25, 2, 1).map((r) => r.map((v) => f(norm(v))));
        expect(built.layers[0].output).toEqual([7, 8, 1]); // 5 + 4 − 3 + 1, 6 + 4 − 3 + 1
        const got = squeeze(run(built.model, flat, [5, 6, 1]));
        got.flat().forEach((v, i) => expect(v, `${name} bn=${bn}`).toBeCloseTo(want.flat()[i], 4));
        expect(built.layers[0].params).toBe(9 + (bn ? 4 : 1));
        built.model.dispose();
      }
    }
  });
});

describe('modelFromDarknetCfg: route, reorg, upsample, shortcut, dropout, avgpool, softmax, cost', () => {
  it('route: relative and absolute indices, several layers concatenated in order', () => {
    // layer 0: conv 1×1 with 2 filters (weights 1 and 10 → channels x, 10x); layer 1: route -1,0 is [0, 0]; layer 2: route 0,-2 (absolute + relative)
    const text = `${NET(2, 2, 1)}[convolutional]\nfilters=2\nsize=1\nactivation=linear\n[route]\nlayers=0\n[route]\nlayers=-2,1,0\n`;
    const built = build(text);
    built.model.getLayer('conv0').setWeights([tf.tensor4d([1, 10], [1, 1, 1, 2]), tf.tensor1d([0, 0])]);
    expect(built.layers[1].from).toEqual([0]);
    expect(built.layers[2].from).toEqual([0, 1, 0]);
    expect(built.layers[2].output).toEqual([2, 2, 6]);
    const got = run(built.model, [1, 2, 3, 4], [2, 2, 1]);
    expect(got[1][0]).toEqual([3, 30, 3, 30, 3, 30]);
    built.model.dispose();
  });

  it("reorg: darknet's order (channel 0 of a 4×4×4 CHW ramp is [[0, 2], [4, 6]])", () => {
    const built = build(`${NET(4, 4, 4)}[reorg]\nstride=2\n`);
    // CHW ramp 0…63 → NHWC data[(y·4 + x)·4 + c] = c·16 + y·4 + x
    const data = Array.from({ length: 64 }, (_, q) => (q % 4) * 16 + Math.floor(q / 16) * 4 + (Math.floor(q / 4) % 4));
    const out = run(built.model, data, [4, 4, 4]);
    expect(built.layers[0].output).toEqual([2, 2, 16]);
    expect(out.map((r) => r.map((c) => c[0]))).toEqual([[0, 2], [4, 6]]);
    // independent reference, numpy notation: out = x.reshape(C/4, H, 2, W, 2).transpose(2, 4, 0, 1, 3).reshape(4C, H/2, W/2);
    // with the CHW ramp the input's CHW flat index is the value, so out(c', y, x) is that index
    const [C, H, W] = [4, 4, 4];
    for (let o = 0; o < 64; o++) {
      // o over the transposed shape (a, b, c4, h, w) = (2, 2, C/4, H, W)
      const w = o % W, h = Math.floor(o / W) % H, c4 = Math.floor(o / (W * H)) % (C / 4), ab = Math.floor(o / (W * H * (C / 4)));
      const [a, b] = [ab >> 1, ab & 1];
      const src = (((c4 * H + h) * 2 + a) * W + w) * 2 + b;
      const [cc, y, xx] = [Math.floor(o / 4), Math.floor((o % 4) / 2), o % 2];
      expect(out[y][xx][cc]).toBe(src);
    }
    expect(out[1][0][3]).toBe(52);
    built.model.dispose();
  });

  it('upsample (nearest), shortcut (sum with activation), dropout (identity at inference)', () => {
    const text = `${NET(1, 2, 1)}[upsample]\nstride=2\n[dropout]\nprobability=0.5\n[shortcut]\nfrom=-2\nactivation=leaky\n`;
    const built = build(text);
    expect(built.layers.map((l) => l.output)).toEqual([[2, 4, 1], [2, 4, 1], [2, 4, 1]]);
    const got = squeeze(run(built.model, [3, -5], [1, 2, 1]));
    // upsample: [[3, 3, −5, −5], ×2 rows]; dropout: same; shortcut: 2·v, leaky → 6, −1
    expect(got).toEqual([[6, 6, -1, -1], [6, 6, -1, -1]]);
    built.model.dispose();
  });

  it('avgpool (global) → softmax → cost: a classifier ends in class probabilities', () => {
    const built = build(`${NET(2, 2, 2)}[avgpool]\n[softmax]\ngroups=1\n[cost]\ntype=sse\n`);
    const got = run(built.model, [1, 0, 3, 0, 5, 0, 7, 0], [2, 2, 2]);
    // means: channel 0 (1 + 3 + 5 + 7)/4 = 4, channel 1 0 → softmax [e⁴, 1]/(e⁴ + 1)
    expect(built.layers.map((l) => l.output)).toEqual([[1, 1, 2], [1, 1, 2], [1, 1, 2]]);
    expect(got[0][0][0]).toBeCloseTo(Math.exp(4) / (Math.exp(4) + 1), 5);
    built.model.dispose();
  });

  it('[region] ends the model at the layer before it; region and net are returned', () => {
    const built = build(`${NET(32, 64, 3)}[convolutional]\nfilters=14\nsize=1\nstride=32\nactivation=linear\n[region]\nanchors=1,2,3,4\nnum=2\nclasses=2\n`);
    expect(built.model.outputs[0].shape).toEqual([null, 1, 2, 14]);
    expect(built.region?.anchors).toEqual([1, 2, 3, 4]);
    expect(built.net.width).toBe(64);
    expect(build(`${NET(8, 8, 1)}[convolutional]\nfilters=2\n`).region).toBeNull();
  });
});

describe('modelFromDarknetCfg: options, errors, memory', () => {
  const tiny = `${NET(32, 32, 3)}[convolutional]\nbatch_normalize=1\nfilters=4\nsize=3\npad=1\nactivation=leaky\n[maxpool]\nsize=2\nstride=2\n[convolutional]\nfilters=14\nsize=1\nactivation=linear\n[region]\nanchors=1,1,2,2\nnum=2\nclasses=2\n`;

  it('inputSize overrides the cfg; the same seed gives the same weights', () => {
    const a = build(tiny, { inputSize: [64, 96], seed: 7 });
    const b = build(tiny, { inputSize: 64, seed: 7 });
    expect(a.model.inputs[0].shape).toEqual([null, 64, 96, 3]);
    expect(a.model.outputs[0].shape).toEqual([null, 32, 48, 14]);
    const wa = a.model.getWeights().map((t) => Array.from(t.dataSync()));
    const wb = b.model.getWeights().map((t) => Array.from(t.dataSync()));
    expect(wa).toEqual(wb);
    a.model.dispose();
    b.model.dispose();
  });

  it('every cfg problem is a FormatError naming the line', () => {
    const cases: Array<[string, number, RegExp]> = [
      [`${NET(8, 8, 1)}[convolutional]\nfilters=10\n[region]\nanchors=1,1\nnum=1\nclasses=2\n`, 7, /num·\(coords \+ 1 \+ classes\) = 1·\(4 \+ 1 \+ 2\) = 7: set its filters=7/],
      [`${NET(8, 8, 1)}[convolutional]\nfilters=7\n[region]\nanchors=1,1,2\nnum=1\nclasses=2\n`, 7, /2·num = 2 numbers, got 3/],
      [`${NET(8, 8, 1)}[route]\nlayers=-1\n`, 5, /not an earlier layer/],
      [`${NET(8, 8, 1)}[convolutional]\n[route]\nlayers=3\n`, 6, /not an earlier layer/],
      [`${NET(8, 8, 1)}[convolutional]\n[maxpool]\nsize=2\nstride=2\n[route]\nlayers=-1,-2\n`, 9, /share height and width/],
      [`${NET(8, 8, 1)}[convolutional]\nfilters=3\n[reorg]\nstride=2\n`, 7, /channels divisible by 4/],
      [`${NET(8, 8, 1)}[convolutional]\nfilters=4\nactivation=swish\n`, 5, /activation 'swish' is not supported/],
      [`${NET(8, 8, 1)}[convolutional]\nfilters=2\n[convolutional]\nfilters=3\n[shortcut]\nfrom=-2\n`, 9, /only equal shapes/],
      [`${NET(8, 8, 1)}[convolutional]\nsize=9\n`, 5, /does not fit/],
      [`${NET(8, 8, 1)}[convolutional]\nfilters=7\n[region]\nanchors=1,1\nclasses=2\n[convolutional]\n`, 10, /nothing may follow \[region\]/],
      ['[net]\nwidth=8\n[convolutional]\n', 1, /height, width and channels > 0/],
      [`${NET(8, 8, 1)}[upsample]\nscale=2\n`, 5, /scale=1/],
      [`${NET(8, 8, 1)}[convolutional]\nfilters=4\ngroups=2\n`, 7, /'groups=2' in \[convolutional\] changes the layer/],
      [`${NET(8, 8, 1)}[maxpool]\nstride=2\nstride_x=1\n`, 7, /'stride_x=1' in \[maxpool\] changes the layer and is not supported \(only stride_x=2\)/],
    ];
    build(`${NET(8, 8, 1)}[convolutional]\n`).model.dispose(); // (tfjs-layers keeps a few tensors after its first model)
    for (const [text, line, re] of cases) {
      const before = tf.memory().numTensors;
      const e = thrown(() => build(text));
      expect(e, text).toBeInstanceOf(FormatError);
      expect((e as FormatError).line, text).toBe(line);
      expect(e.message, text).toMatch(re);
      expect(tf.memory().numTensors).toBe(before);
    }
  });

  it('inputSize null: one model for any size, the same outputs as fixed-size builds', () => {
    const text = `${NET(32, 32, 3)}[convolutional]\nbatch_normalize=1\nfilters=4\nsize=3\nstride=2\npad=1\nactivation=leaky\n[maxpool]\nsize=3\nstride=2\n[maxpool]\nsize=2\nstride=1\n[reorg]\nstride=2\n`;
    const any = build(text, { inputSize: null, seed: 5 });
    expect(any.model.inputs[0].shape).toEqual([null, null, null, 3]);
    expect(any.layers[3].output).toEqual([4, 4, 16]); // the table at the cfg's 32×32
    for (const [h, w] of [[32, 32], [48, 64]]) {
      const fixed = build(text, { inputSize: [h, w], seed: 5 });
      const x = tf.tensor4d(Float32Array.from({ length: h * w * 3 }, (_, i) => Math.sin(i)), [1, h, w, 3]);
      const a = any.model.predict(x) as tf.Tensor;
      const b = fixed.model.predict(x) as tf.Tensor;
      // conv /2, maxpool 3/2: ⌊(n/2 + 2 − 3)/2⌋ + 1, maxpool 2/1 keeps it, reorg halves it
      expect(a.shape).toEqual([1, (Math.floor((h / 2 - 1) / 2) + 1) / 2, (Math.floor((w / 2 - 1) / 2) + 1) / 2, 16]);
      expect(b.shape).toEqual(a.shape);
      expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
      tf.dispose([x, a, b]);
      fixed.model.dispose();
    }
    any.model.dispose();
  });

  it('fork keys at their neutral value are accepted (and listed by the parser)', () => {
    const cfg = parseDarknetCfg(`${NET(8, 8, 1)}[convolutional]\nfilters=4\ngroups=1\nstride=2\nstride_x=2\n`);
    expect(cfg.unknownKeys.map((k) => k.key)).toEqual(['groups', 'stride_x']);
    const built = modelFromDarknetCfg(cfg);
    expect(built.layers[0].output).toEqual([4, 4, 4]);
    built.model.dispose();
  });

  it('bad options are ValueErrors', () => {
    const cfg = parseDarknetCfg(tiny);
    expect(thrown(() => modelFromDarknetCfg(cfg, { inputSise: 3 } as never)).message).toMatch(/did you mean 'inputSize'/);
    expect(thrown(() => modelFromDarknetCfg(cfg, { inputSize: [3] as never }))).toBeInstanceOf(ValueError);
    expect(thrown(() => modelFromDarknetCfg(cfg, { seed: 1.5 }))).toBeInstanceOf(ValueError);
    expect(thrown(() => modelFromDarknetCfg({} as never))).toBeInstanceOf(ValueError);
  });

  it('leaks nothing: building + disposing, and predicting through every custom layer', () => {
    build(`${NET(8, 8, 1)}[convolutional]\n`).model.dispose(); // (tfjs-layers keeps a few tensors after its first model)
    const before = tf.memory().numTensors;
    const built = build(`${NET(8, 8, 4)}[maxpool]\nsize=3\nstride=2\n[reorg]\nstride=2\n[upsample]\n`);
    expect(built.model.getLayer('maxpool0').getClassName()).toBe('DarknetMaxPool');
    const afterBuild = tf.memory().numTensors;
    const x = tf.ones([1, 8, 8, 4]);
    tf.dispose(built.model.predict(x) as tf.Tensor);
    x.dispose();
    expect(tf.memory().numTensors).toBe(afterBuild);
    built.model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
