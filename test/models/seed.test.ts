import type { LayersModel } from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { ValueError } from '../../src/index.js';
import { compactYOLOv2, tinyYOLOv2, yolov2 } from '../../src/models/index.js';

/** Each weight's bytes (bit-exact comparison, fast on large weights). */
const bitsOf = (m: LayersModel) => m.weights.map((w) => Buffer.from((w.read().dataSync() as Float32Array).slice().buffer));
const same = (a: Buffer[], b: Buffer[]) => a.length === b.length && a.every((x, i) => x.equals(b[i]));
const builders: Array<[string, (seed?: number) => LayersModel]> = [
  ['tinyYOLOv2', (seed) => tinyYOLOv2({ numClasses: 2, widthMultiplier: 1 / 16, ...(seed === undefined ? {} : { seed }) })],
  ['yolov2', (seed) => yolov2({ numClasses: 2, widthMultiplier: 1 / 16, ...(seed === undefined ? {} : { seed }) })],
  ['compactYOLOv2', (seed) => compactYOLOv2({ numClasses: 2, filters: [4, 8], neck: [8], passthrough: 4, ...(seed === undefined ? {} : { seed }) })],
];

describe("the builders' seed option", () => {
  it.each(builders)('%s: the same seed gives bit-identical weights, another seed or none gives others', (_name, build) => {
    const [a, b, c, d, e] = [build(7), build(7), build(8), build(), build()];
    const [wa, wb, wc, wd, we] = [a, b, c, d, e].map(bitsOf);
    expect(same(wb, wa)).toBe(true);
    const kernels = a.weights.map((w, i) => (/\/kernel(_\d+)?$/.test(w.name) ? i : -1)).filter((i) => i >= 0);
    expect(kernels.length).toBeGreaterThan(2);
    for (const i of kernels) expect(wc[i].equals(wa[i])).toBe(false);
    // unseeded builds differ from each other: the equality above is the seed's doing
    expect(we[kernels[0]].equals(wd[kernels[0]])).toBe(false);
    [a, b, c, d, e].forEach((m) => m.dispose());
  });

  it("draws each kernel from its layer's distribution: He normal for the conv-bn blocks, Glorot normal for the head, truncated at 2σ", () => {
    const m = tinyYOLOv2({ numClasses: 2, widthMultiplier: 1 / 4, seed: 3 });
    // conv4: 3×3 kernel, 32 → 64 filters at ×1/4, fanIn = 3·3·32 = 288, σ = √(2/288) = 0.08333;
    // a normal truncated at ±2σ has standard deviation σ·√(1 − 4φ(2)/(2Φ(2) − 1)) = σ·√(1 − 4·0.053991/0.954500) = 0.87958·σ
    const conv = m.getLayer('conv4').getWeights()[0];
    expect(conv.shape).toEqual([3, 3, 32, 64]);
    const v = Array.from(conv.dataSync());
    const sigma = Math.sqrt(2 / 288);
    const mean = v.reduce((s, x) => s + x, 0) / v.length;
    const sd = Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / v.length);
    expect(Math.abs(mean)).toBeLessThan(0.01 * sigma);
    expect(Math.abs(sd / sigma - 0.87958)).toBeLessThan(0.02);
    expect(Math.max(...v.map(Math.abs))).toBeLessThanOrEqual(2 * sigma * (1 + 1e-6));
    // the head conv8: 1×1, 256 → 5·(5+2) = 35, Glorot normal: σ = √(1/fanAvg) = √(2/(256+35)) = 0.08290
    const head = Array.from(m.getLayer('conv8').getWeights()[0].dataSync());
    const hs = Math.sqrt(2 / (256 + 35));
    const hsd = Math.sqrt(head.reduce((s, x) => s + x * x, 0) / head.length);
    expect(Math.abs(hsd / hs - 0.87958)).toBeLessThan(0.03);
    expect(Math.max(...head.map(Math.abs))).toBeLessThanOrEqual(2 * hs * (1 + 1e-6));
    m.dispose();
  });

  it('rejects a seed that is not an integer 0 … 2³² − 1', () => {
    expect(() => tinyYOLOv2({ numClasses: 2, seed: -1 })).toThrow(ValueError);
    expect(() => tinyYOLOv2({ numClasses: 2, seed: 1.5 })).toThrow(/'seed'/);
  });
});
