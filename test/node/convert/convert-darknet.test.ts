import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FormatError, ValueError } from '../../../src/errors.js';
import { parseDetectorMeta } from '../../../src/head/detector-meta.js';
import { modelFromDarknetCfg, parseDarknetCfg, saveDarknetWeights } from '../../../src/models/index.js';
import { convertDarknet } from '../../../src/node/convert/convert-darknet.js';
import { loadConvertedModel } from '../../../src/node/convert/load-converted.js';
import { float16Bits } from '../../../src/node/convert/quantize.js';
import { expectNoLeakAsync, randn, rng } from '../../helpers.js';

// A small YOLOv2-shaped detector: conv-bn-leaky, a 3×3/2 maxpool (darknet padding → DarknetMaxPool), a
// passthrough route + reorg, a conv with bn and relu, and the head (3 classes, 2 anchors: 2·(5 + 3) = 16).
const CFG = `[net]\nwidth=32\nheight=32\nchannels=3\n
[convolutional]\nbatch_normalize=1\nfilters=8\nsize=3\npad=1\nactivation=leaky
[maxpool]\nsize=3\nstride=2
[convolutional]\nbatch_normalize=1\nfilters=16\nsize=3\npad=1\nactivation=leaky
[maxpool]\nsize=2\nstride=2
[convolutional]\nbatch_normalize=1\nfilters=8\nsize=1\npad=1\nactivation=relu
[route]\nlayers=-3
[reorg]\nstride=2
[route]\nlayers=-1,-3
[convolutional]\nfilters=16\nsize=1\npad=1\nactivation=linear
[region]\nanchors=1.5,2, 3,4.25\nclasses=3\nnum=2\ncoords=4\nsoftmax=1\n`;

let dir: string;
let weights: Uint8Array;
let reference: Float32Array;
const input = () => tf.tensor4d(Float32Array.from({ length: 32 * 32 * 3 }, (_, i) => ((i * 7919) % 256) / 255), [1, 32, 32, 3]);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'yolov2-convert-'));
  const built = modelFromDarknetCfg(parseDarknetCfg(CFG), { seed: 3 });
  for (const layer of built.model.layers.filter((l) => /^bn\d+$/.test(l.name))) {
    const n = layer.getWeights()[0].shape[0];
    const r = rng(n + 11);
    const ts = [randn(r, n, 1, 0.2), randn(r, n, 0.1, 0.2), randn(r, n, 0, 0.2), randn(r, n, 1, 0.2).map(Math.abs)].map((v) => tf.tensor1d(v));
    layer.setWeights(ts);
    tf.dispose(ts);
  }
  weights = saveDarknetWeights(built.model);
  const x = input();
  const y = built.model.predict(x) as tf.Tensor;
  reference = y.dataSync() as Float32Array;
  tf.dispose([x, y]);
  built.model.dispose();
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

async function outputOf(out: string): Promise<Float32Array> {
  const { model } = await loadConvertedModel(out);
  const x = input();
  const y = model.predict(x) as tf.Tensor;
  const data = y.dataSync() as Float32Array;
  tf.dispose([x, y]);
  model.dispose();
  return data;
}

/** max |a − b| / max |b|. */
const relErr = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0) / b.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

describe('convertDarknet', () => {
  it('writes model.json, shards and yolov2.json; the loaded model reproduces the cfg-built one', async () => {
    const cfgPath = join(dir, 'small.cfg');
    const namesPath = join(dir, 'small.names');
    await writeFile(cfgPath, CFG);
    await writeFile(namesPath, 'cat\ndog\n\nbird\n');
    const out = join(dir, 'f32');
    const result = await convertDarknet({ cfg: cfgPath, weights, names: namesPath }, out, { shardBytes: 4096 });
    const files = (await readdir(out)).sort();
    expect(files).toEqual([...result.files].sort());
    const manifest = JSON.parse(await readFile(join(out, 'model.json'), 'utf8'));
    const shardTotal = (await Promise.all(manifest.weightsManifest[0].paths.map((p: string) => readFile(join(out, p))))).reduce((s, b) => s + b.length, 0);
    const floats = manifest.weightsManifest[0].weights.reduce((s: number, w: { shape: number[] }) => s + w.shape.reduce((a, b) => a * b, 1), 0);
    expect(shardTotal).toBe(4 * floats);
    expect(manifest.weightsManifest[0].paths.length).toBe(Math.ceil(shardTotal / 4096));
    const meta = parseDetectorMeta(JSON.parse(await readFile(join(out, 'yolov2.json'), 'utf8')));
    expect(meta).toEqual({
      format: 'yolov2-ts/detector', version: 1, inputSize: [32, 32], classNames: ['cat', 'dog', 'bird'], anchors: [[1.5, 2], [3, 4.25]],
      layout: 'NHWC', letterbox: 'floor', pixelScale: 255, postprocess: { confThreshold: 0.25, iouThreshold: 0.45, maxDetections: 100 }, source: 'small.cfg',
    });
    expect(result.meta).toEqual(meta);
    const got = await outputOf(out);
    expect(got.length).toBe(reference.length);
    expect(relErr(got, reference)).toBeLessThan(1e-6);
    // the Detector's Node loader reads the same folder (float32 weights)
    const { loadDetector } = await import('../../../src/node/detector.js');
    const detector = await loadDetector(out);
    expect(detector.meta).toEqual(meta);
    const x = input();
    const y = detector.model.predict(x) as tf.Tensor;
    expect(relErr(y.dataSync() as Float32Array, reference)).toBeLessThan(1e-6);
    tf.dispose([x, y]);
    detector.model.dispose();
    const topology = JSON.stringify(manifest.modelTopology);
    for (const cls of ['DarknetBatchNorm', 'Reorg', 'DarknetMaxPool']) expect(topology).toContain(`"class_name":"${cls}"`);
  });

  it('quantised weights stay within the documented tolerance of float32 (float16 1e-2, uint8 5e-2)', async () => {
    const sizes: Record<string, number> = {};
    const errors: Record<string, number> = {};
    for (const q of ['float16', 'uint8'] as const) {
      const out = join(dir, q);
      await convertDarknet({ cfg: { text: CFG }, weights }, out, { quantize: q });
      sizes[q] = (await readFile(join(out, 'group1-shard1of1.bin'))).length;
      errors[q] = relErr(await outputOf(out), reference);
    }
    const floats = (weights.byteLength - 20) / 4;
    expect(sizes.float16).toBe(2 * floats);
    expect(sizes.uint8).toBe(floats);
    expect(errors.float16).toBeLessThan(1e-2);
    expect(errors.uint8).toBeLessThan(5e-2);
    expect(errors.float16).toBeGreaterThan(0); // it did quantise
  });

  it('loadDetector reads a float16 folder (2 bytes a value) and detects with it', async () => {
    const out = join(dir, 'float16-detector');
    await convertDarknet({ cfg: { text: CFG }, weights, names: ['a', 'b', 'c'] }, out, { quantize: 'float16' });
    const { loadDetector } = await import('../../../src/node/detector.js');
    const det = await loadDetector(out, { fold: false });
    const x = input();
    const y = det.model.predict(x) as tf.Tensor;
    expect(relErr(y.dataSync() as Float32Array, reference)).toBeLessThan(1e-2);
    tf.dispose([x, y]);
    const image = tf.fill([32, 32, 3], 128) as tf.Tensor3D;
    const found = await det.detect(image, { confThreshold: 0 });
    expect(found.length).toBeGreaterThan(0);
    expect(['a', 'b', 'c']).toContain(found[0].className);
    image.dispose();
    det.dispose();
  });

  it('rejects bad inputs with typed errors and leaks nothing', async () => {
    await expectNoLeakAsync(async () => {
      const names = await convertDarknet({ cfg: { text: CFG }, weights, names: ['a', 'b'] }, join(dir, 'x')).catch((e) => e);
      expect(names).toBeInstanceOf(FormatError);
      expect(names.message).toMatch(/holds 2 class names but the cfg's \[region\] has classes=3/);
      const short = await convertDarknet({ cfg: { text: CFG }, weights: weights.subarray(0, 100) }, join(dir, 'x')).catch((e) => e);
      expect(short).toBeInstanceOf(FormatError);
    });
    const noRegion = await convertDarknet({ cfg: { text: '[net]\nwidth=8\nheight=8\nchannels=1\n[convolutional]\n' }, weights }, join(dir, 'x')).catch((e) => e);
    expect(noRegion).toBeInstanceOf(ValueError);
    const missing = await convertDarknet({ cfg: join(dir, 'nope.cfg'), weights }, join(dir, 'x')).catch((e) => e);
    expect(missing).toBeInstanceOf(FormatError);
    expect(missing.message).toMatch(/cannot read the cfg .*nope\.cfg/);
    const badCfg = await convertDarknet({ cfg: { text: '[net]\nwidth=8\n[yolo]\n' }, weights }, join(dir, 'x')).catch((e) => e);
    expect(badCfg).toBeInstanceOf(FormatError);
    expect(badCfg.line).toBe(3);
    const opt = await convertDarknet({ cfg: { text: CFG }, weights }, join(dir, 'x'), { quantize: 'int8' as never }).catch((e) => e);
    expect(opt).toBeInstanceOf(ValueError);
    const loadMissing = await loadConvertedModel(join(dir, 'nothing')).catch((e) => e);
    expect(loadMissing).toBeInstanceOf(FormatError);
  });
});

describe('float16Bits', () => {
  it('encodes known half-precision values (round to nearest even)', () => {
    const cases: Array<[number, number]> = [
      [1, 0x3c00], [-2, 0xc000], [0.5, 0x3800], [65504, 0x7bff], [1e5, 0x7c00], [-Infinity, 0xfc00], [2 ** -24, 0x0001], [2 ** -14, 0x0400],
      [0.1, 0x2e66], [1 + 2 ** -11, 0x3c00] /* a tie → even */, [1 + 3 * 2 ** -11, 0x3c02] /* a tie → even (up) */, [0, 0], [2 ** -26, 0],
    ];
    for (const [v, bits] of cases) expect(float16Bits(v), String(v)).toBe(bits);
    expect(float16Bits(NaN) & 0x7c00).toBe(0x7c00);
    expect(float16Bits(NaN) & 0x3ff).not.toBe(0);
  });
});
