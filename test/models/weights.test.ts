import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { FormatError, ValueError } from '../../src/errors.js';
import { darknetWeightsSize, loadDarknetWeights, saveDarknetWeights, tinyYOLOv2, yolov2 } from '../../src/models/index.js';
import { expectNoLeak } from '../helpers.js';

/** conv0 3×3, 2 → 3 filters, no bias, + bn0; conv1 1×1, 3 → 2 filters with bias. */
function toyModel(): tfl.LayersModel {
  const input = tfl.input({ shape: [4, 4, 2] });
  let x = tfl.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', useBias: false, name: 'conv0' }).apply(input) as tfl.SymbolicTensor;
  x = tfl.layers.batchNormalization({ name: 'bn0', epsilon: 1e-5 }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.conv2d({ filters: 2, kernelSize: 1, useBias: true, name: 'conv1' }).apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: x });
}

/**
 * The toy file, written out by hand (all little-endian):
 *   bytes 0–19   header: major 0, minor 2, revision 5, seen = 2^32 + 7 as uint64 (0·10 + 2 ≥ 2 → 64-bit)
 *   layer conv0 (bn): beta 0.5, 1.5, 2.5 | gamma 10, 11, 12 | mean -1, -2, -3 | var 4, 5, 6
 *                     kernel [out 3, in 2, kh 3, kw 3] = 54 floats, value 1000·o + 100·i + 10·y + x
 *   layer conv1 (bias): bias 0.25, -0.25 | kernel [out 2, in 3, 1, 1] = 6 floats, value 1000·o + 100·i
 * 20 + 4·(12 + 54) + 4·(2 + 6) = 20 + 264 + 32 = 316 bytes.
 */
function toyFile(): Uint8Array {
  const ints = [0, 2, 5, 7, 1]; // major, minor, revision, seen lo, seen hi
  const floats: number[] = [0.5, 1.5, 2.5, 10, 11, 12, -1, -2, -3, 4, 5, 6];
  for (let o = 0; o < 3; o++) for (let i = 0; i < 2; i++) for (let y = 0; y < 3; y++) for (let x = 0; x < 3; x++) floats.push(1000 * o + 100 * i + 10 * y + x);
  floats.push(0.25, -0.25);
  for (let o = 0; o < 2; o++) for (let i = 0; i < 3; i++) floats.push(1000 * o + 100 * i);
  const out = new Uint8Array(20 + 4 * floats.length);
  const v = new DataView(out.buffer);
  ints.forEach((n, k) => v.setUint32(4 * k, n, true));
  floats.forEach((f, k) => v.setFloat32(20 + 4 * k, f, true));
  return out;
}

/** Index of the first differing element (-1 when equal); cheap on megabyte arrays, unlike toEqual. */
function firstDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

describe('darknet weights', () => {
  it('reads the hand-written toy file into the right places', () => {
    const model = toyModel();
    const file = toyFile();
    expect(file.byteLength).toBe(316);
    expect(darknetWeightsSize(model)).toBe(316);
    const header = loadDarknetWeights(model, file);
    expect(header).toEqual({ major: 0, minor: 2, revision: 5, seen: 2 ** 32 + 7 });
    const bn = model.getLayer('bn0');
    const val = (name: string) => Array.from(bn.weights.find((w) => w.name.endsWith(name))!.read().dataSync());
    expect(val('beta')).toEqual([0.5, 1.5, 2.5]);
    expect(val('gamma')).toEqual([10, 11, 12]);
    expect(val('moving_mean')).toEqual([-1, -2, -3]);
    expect(val('moving_variance')).toEqual([4, 5, 6]);
    // TF kernel [kh, kw, in, out]: element (y, x, i, o) must hold 1000·o + 100·i + 10·y + x
    const k0 = model.getLayer('conv0').weights.find((w) => w.name.endsWith('kernel'))!.read();
    expect(k0.shape).toEqual([3, 3, 2, 3]);
    const k0a = k0.arraySync() as number[][][][];
    for (let y = 0; y < 3; y++) for (let x = 0; x < 3; x++) for (let i = 0; i < 2; i++) for (let o = 0; o < 3; o++) expect(k0a[y][x][i][o]).toBe(1000 * o + 100 * i + 10 * y + x);
    const c1 = model.getLayer('conv1');
    expect(Array.from(c1.weights.find((w) => w.name.endsWith('bias'))!.read().dataSync())).toEqual([0.25, -0.25]);
    expect(c1.weights.find((w) => w.name.endsWith('kernel'))!.read().arraySync()).toEqual([[[[0, 1000], [100, 1100], [200, 1200]]]]);
    // and writes the same bytes back
    expect(Array.from(saveDarknetWeights(model, header))).toEqual(Array.from(file));
    model.dispose();
  });

  it('reads the 32-bit seen of old headers (major·10 + minor < 2) and accepts unaligned views', () => {
    const model = toyModel();
    const file = toyFile();
    // version 0.1: 16-byte header, seen int32 = 7; the floats follow directly
    const old = new Uint8Array(3 + 16 + file.byteLength - 20).subarray(3); // byteOffset 3: not 4-aligned
    old.set(file.subarray(0, 16));
    new DataView(old.buffer, old.byteOffset).setInt32(4, 1, true);
    old.set(file.subarray(20), 16);
    expect(loadDarknetWeights(model, old)).toEqual({ major: 0, minor: 1, revision: 5, seen: 7 });
    expect(Array.from(saveDarknetWeights(model, { major: 0, minor: 1, revision: 5, seen: 7 }))).toEqual(Array.from(old));
    expect(Array.from(model.getLayer('conv1').weights[1].read().dataSync())).toEqual([0.25, -0.25]);
    model.dispose();
  });

  it('rejects truncated and oversized files naming the layer and the byte counts', () => {
    const model = toyModel();
    const file = toyFile();
    expect(() => loadDarknetWeights(model, file.subarray(0, 308))).toThrow(FormatError);
    expect(() => loadDarknetWeights(model, file.subarray(0, 308))).toThrow(
      'loadDarknetWeights: the file ends inside layer conv1 (bias + 1×1×3×2 kernel): it needs 32 bytes at offset 284, only 24 are left (file 308 bytes, the model needs 316)',
    );
    expect(() => loadDarknetWeights(model, file.subarray(0, 100))).toThrow(/ends inside layer conv0 \(batch norm bn0 \+ 3×3×2×3 kernel\): it needs 264 bytes at offset 20, only 80 are left/);
    const big = new Uint8Array(320);
    big.set(file);
    expect(() => loadDarknetWeights(model, big)).toThrow(
      'loadDarknetWeights: the file has 320 bytes but the model needs 316: 4 bytes are left after the last layer conv1 (bias + 1×1×3×2 kernel) (check numClasses, anchors and widthMultiplier against the cfg)',
    );
    expect(() => loadDarknetWeights(model, file.subarray(0, 10))).toThrow(/has 10 bytes, too short for the darknet header/);
    expect(() => loadDarknetWeights(model, [1, 2] as unknown as Uint8Array)).toThrow(ValueError);
    model.dispose();
  });

  it('blames the header, not numClasses, when the file fits the model with the other header size', () => {
    const model = toyModel();
    const file = toyFile();
    // version 0.2 says 20 bytes of header; 312 = 16 + 296 bytes fits a 16-byte header exactly
    const e = (() => { try { loadDarknetWeights(model, file.subarray(0, 312)); } catch (err) { return err as Error; } return null; })();
    expect(e).toBeInstanceOf(FormatError);
    expect(e!.message).toMatch(/header says version 0\.2, which has a 20-byte header, but the file matches the model with a 16-byte header/);
    expect(e!.message).not.toMatch(/numClasses/);
    // version 0.1 (16 bytes) on a file written with a 20-byte header: 4 bytes too many
    const old = file.slice();
    new DataView(old.buffer).setInt32(4, 1, true);
    expect(() => loadDarknetWeights(model, old)).toThrow(/version 0\.1, which has a 16-byte header, but the file matches the model with a 20-byte header/);
    model.dispose();
  });

  it('rejects NaN and ±Infinity by default, naming the layer and the array, and loads them with allowNonFinite', () => {
    const model = toyModel();
    const before = model.getWeights().map((t) => Array.from(t.dataSync()));
    for (const [floatIndex, where] of [[4, /conv0 \(batch norm bn0.*holds NaN at gamma\[1\] \(file offset 36\)/], [12 + 54 + 1, /conv1 \(bias.*holds Infinity at bias\[1\] \(file offset 288\)/]] as const) {
      const file = toyFile();
      new DataView(file.buffer).setFloat32(20 + 4 * floatIndex, floatIndex === 4 ? NaN : Infinity, true);
      expect(() => loadDarknetWeights(model, file)).toThrow(FormatError);
      expect(() => loadDarknetWeights(model, file)).toThrow(where);
      // nothing was written
      expect(model.getWeights().map((t) => Array.from(t.dataSync()))).toEqual(before);
      expectNoLeak(() => expect(() => loadDarknetWeights(model, file)).toThrow(/allowNonFinite/));
    }
    const file = toyFile();
    new DataView(file.buffer).setFloat32(20 + 4 * 4, NaN, true);
    loadDarknetWeights(model, file, { allowNonFinite: true });
    expect(Number.isNaN(model.getLayer('bn0').getWeights()[0].dataSync()[1])).toBe(true);
    expect(() => loadDarknetWeights(model, file, { allowNaN: true } as never)).toThrow(ValueError);
    model.dispose();
  });

  it('round-trips exactly on tinyYOLOv2 and yolov2 (small widths) and does not leak', () => {
    for (const build of [tinyYOLOv2, yolov2]) {
      const a = build({ numClasses: 3, inputSize: 64, widthMultiplier: 0.125 });
      const b = build({ numClasses: 3, inputSize: 64, widthMultiplier: 0.125 });
      // give the bn statistics non-trivial values so they are checked too
      a.getLayer('bn1').weights.forEach((w, k) => w.write(tf.add(tf.randomUniform(w.shape as number[], 0.5, 1.5), k) as tf.Tensor));
      const bytes = saveDarknetWeights(a, { seen: 12345 });
      expect(bytes.byteLength).toBe(darknetWeightsSize(a));
      let header;
      expectNoLeak(() => {
        header = loadDarknetWeights(b, bytes);
      });
      expect(header).toEqual({ major: 0, minor: 2, revision: 0, seen: 12345 });
      expect(firstDiff(saveDarknetWeights(b, { seen: 12345 }), bytes)).toBe(-1);
      const x = tf.randomUniform([1, 64, 64, 3]);
      const ya = a.predict(x) as tf.Tensor;
      const yb = b.predict(x) as tf.Tensor;
      expect(firstDiff(yb.dataSync(), ya.dataSync())).toBe(-1);
      tf.dispose([x, ya, yb]);
      a.dispose();
      b.dispose();
    }
  });
});
