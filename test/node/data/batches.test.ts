import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { FormatError, ValueError } from '../../../src/errors.js';
import {
  BatchLoader,
  type BatchStats,
  batchImagesTensor,
  canvasBoxToSource,
  evalBatches,
  trainerBatches,
} from '../../../src/node/data/batches.js';
import type { DetectionDataset, DetectionSample, RGBImage } from '../../../src/node/data/datasets.js';
import { SyntheticDataset } from '../../../src/node/data/synthetic.js';
import { expectNoLeak } from '../../helpers.js';

function rectImage(width: number, height: number, box: number[]): RGBImage {
  const data = new Uint8Array(width * height * 3);
  const [x1, y1, x2, y2] = box;
  for (let y = y1; y < y2; y++) data.fill(255, (y * width + x1) * 3, (y * width + x2) * 3);
  return { width, height, data };
}

/** n hand-made samples: one white rectangle each on black, varied sizes; sample 2 has no object. */
function rectDataset(n: number, failAt: number[] = [], failWith: () => Error = () => new FormatError('bad file', 'x.jpg')): DetectionDataset {
  const samples: DetectionSample[] = Array.from({ length: n }, (_, i) => {
    const W = 40 + 7 * i;
    const H = 30 + 5 * ((i * 3) % 7);
    const box: [number, number, number, number] = [3 + i, 2 + (i % 4), W - 5 - (i % 3), H - 4];
    return { id: `r${i}`, image: rectImage(W, H, box), objects: i === 2 ? [] : [{ classId: i % 3, box }] };
  });
  if (n > 2) samples[2].image = rectImage(samples[2].image.width, samples[2].image.height, [0, 0, 0, 0]);
  return {
    length: n,
    classNames: ['a', 'b', 'c'],
    get: (i) => (failAt.includes(i) ? Promise.reject(failWith()) : Promise.resolve(samples[i])),
  };
}

describe('BatchLoader', () => {
  it('produces [B, S, S, 3] images in 0…1 and packTargets-shaped annotations', async () => {
    const loader = new BatchLoader(new SyntheticDataset({ seed: 1, length: 20, width: 96 }), { batchSize: 4, sizes: [64] });
    const b = await loader.next();
    expect(b.shape).toEqual([4, 64, 64, 3]);
    expect(b.images.length).toBe(4 * 64 * 64 * 3);
    expect(b.images.every((v) => v >= 0 && v <= 1)).toBe(true);
    expect(b.annotations).toHaveLength(4);
    for (const img of b.annotations) {
      for (const a of img) {
        expect(Object.keys(a).sort()).toEqual(['box', 'classId']);
        const [cx, cy, w, h] = a.box;
        expect(w).toBeGreaterThan(0);
        expect(h).toBeGreaterThan(0);
        expect(cx - w / 2).toBeGreaterThanOrEqual(-1e-9);
        expect(cy + h / 2).toBeLessThanOrEqual(1 + 1e-9);
        expect(Number.isInteger(a.classId) && a.classId >= 0 && a.classId < 4).toBe(true);
      }
    }
    expect(loader.stats.images).toBe(4);
  });

  it('boxes stay right through the whole pipeline (pixel extent vs annotation, within a pixel)', async () => {
    const loader = new BatchLoader(rectDataset(8), { batchSize: 8, sizes: [48, 80], sizeEvery: 1, augment: { fill: 0, minBoxPixels: 0 }, seed: 4 });
    for (let k = 0; k < 6; k++) {
      const b = await loader.next();
      const S = b.size;
      b.annotations.forEach((ann, i) => {
        const p = b.params[i];
        const thr = 0.5 * p.exposure - 1e-6;
        let x1 = Infinity, y1 = Infinity, x2 = -Infinity, y2 = -Infinity;
        for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) {
          if (b.images[((i * S + y) * S + x) * 3] < thr) continue;
          x1 = Math.min(x1, x); y1 = Math.min(y1, y); x2 = Math.max(x2, x + 1); y2 = Math.max(y2, y + 1);
        }
        if (ann.length === 0) {
          expect(x1).toBe(Infinity); // empty image, or the rectangle was cropped away
          return;
        }
        const [cx, cy, w, h] = ann[0].box;
        const want = [(cx - w / 2) * S, (cy - h / 2) * S, (cx + w / 2) * S, (cy + h / 2) * S];
        [x1, y1, x2, y2].forEach((v, j) => expect(Math.abs(v - want[j])).toBeLessThanOrEqual(1));
      });
    }
  });

  it('multi-scale: a size from the list, changed only every sizeEvery batches', async () => {
    const loader = new BatchLoader(new SyntheticDataset({ seed: 2, length: 6, width: 32 }), {
      batchSize: 2, sizes: [32, 64, 96], sizeEvery: 3, seed: 8,
    });
    const sizes: number[] = [];
    for (let i = 0; i < 24; i++) sizes.push((await loader.next()).size);
    for (let i = 0; i < 24; i++) {
      expect([32, 64, 96]).toContain(sizes[i]);
      if (i % 3 !== 0) expect(sizes[i]).toBe(sizes[i - 1]);
    }
    expect(new Set(sizes).size).toBeGreaterThan(1);
  });

  it('progressive: from batch fromBatch on, sizes come from the second list (a new size at the switch), and resume works across it', async () => {
    const ds = new SyntheticDataset({ seed: 2, length: 6, width: 32 });
    const opts = { batchSize: 2, sizes: [32, 64], sizeEvery: 4, seed: 8, progressive: { fromBatch: 6, sizes: [96, 128] } };
    const loader = new BatchLoader(ds, opts);
    const sizes: number[] = [];
    for (let i = 0; i < 14; i++) sizes.push((await loader.next()).size);
    sizes.slice(0, 6).forEach((s) => expect([32, 64]).toContain(s));
    sizes.slice(6).forEach((s) => expect([96, 128]).toContain(s));
    // batches 6 and 7 are one size (6 starts the phase, 8 is the next multiple of sizeEvery), so are 8…11
    expect(sizes[7]).toBe(sizes[6]);
    expect(new Set(sizes.slice(8, 12)).size).toBe(1);
    const a = new BatchLoader(ds, opts);
    for (let i = 0; i < 5; i++) await a.next();
    const saved = JSON.parse(JSON.stringify(a.getState()));
    const want = [await a.next(), await a.next(), await a.next()].map((b) => b.size);
    const c = new BatchLoader(ds, opts);
    c.setState(saved);
    expect([(await c.next()).size, (await c.next()).size, (await c.next()).size]).toEqual(want);
    expect(() => new BatchLoader(ds, { progressive: { fromBatch: -1, sizes: [32] } })).toThrow(/'progressive.fromBatch'/);
    expect(() => new BatchLoader(ds, { progressive: { fromBatch: 1, sizes: [] } })).toThrow(/'progressive.sizes' must be a non-empty array/);
  });

  it('each epoch visits every sample once (shuffled), then continues into the next epoch', async () => {
    const loader = new BatchLoader(rectDataset(10), { batchSize: 4, sizes: [32] });
    const b1 = await loader.next();
    const b2 = await loader.next();
    const b3 = await loader.next(); // 2 of epoch 0, 2 of epoch 1
    const first = [...b1.indices, ...b2.indices, ...b3.indices.slice(0, 2)];
    expect([...first].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(first).not.toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect([b1.epoch, b3.epoch]).toEqual([0, 0]);
    expect(loader.getState().epoch).toBe(1);
  });

  it('same seed → same batches; getState/setState resume exactly (through JSON)', async () => {
    const ds = new SyntheticDataset({ seed: 3, length: 7, width: 48 });
    const opts = { batchSize: 3, sizes: [32, 48], sizeEvery: 2, seed: 21 };
    const a = new BatchLoader(ds, opts);
    const b = new BatchLoader(ds, opts);
    for (let i = 0; i < 3; i++) {
      const x = await a.next();
      const y = await b.next();
      expect(y.annotations).toEqual(x.annotations);
      expect(Buffer.from(y.images.buffer).equals(Buffer.from(x.images.buffer))).toBe(true);
    }
    const saved = JSON.parse(JSON.stringify(a.getState()));
    const next = [await a.next(), await a.next(), await a.next()];
    const c = new BatchLoader(ds, opts);
    c.setState(saved);
    for (const want of next) {
      const got = await c.next();
      expect(got.size).toBe(want.size);
      expect(got.indices).toEqual(want.indices);
      expect(got.annotations).toEqual(want.annotations);
      expect(Buffer.from(got.images.buffer).equals(Buffer.from(want.images.buffer))).toBe(true);
    }
    expect(() => c.setState({ ...saved, size: 50 })).toThrow(ValueError);
  });

  it('overlapping next() calls are queued: same batches as awaiting one by one', async () => {
    const ds = new SyntheticDataset({ seed: 6, length: 9, width: 32 });
    const opts = { batchSize: 2, sizes: [32, 64], sizeEvery: 1, seed: 2 };
    const a = new BatchLoader(ds, opts);
    const parallel = await Promise.all([a.next(), a.next(), a.next()]);
    const b = new BatchLoader(ds, opts);
    for (const p of parallel) {
      const q = await b.next();
      expect(p.batchIndex).toBe(q.batchIndex);
      expect(p.indices).toEqual(q.indices);
      expect(p.annotations).toEqual(q.annotations);
    }
  });

  it('augment: false letterboxes; difficult objects are dropped by default and counted', async () => {
    const img = rectImage(40, 20, [0, 0, 1, 1]);
    const ds: DetectionDataset = {
      length: 1,
      classNames: ['a'],
      get: async () => ({ id: 'd', image: img, objects: [
        { classId: 0, box: [4, 2, 20, 18] },
        { classId: 0, box: [20, 2, 36, 18], difficult: true },
      ] }),
    };
    const loader = new BatchLoader(ds, { batchSize: 1, sizes: [80], augment: false });
    const b = await loader.next();
    // scale 2, pad 20 top/bottom: (4,2,20,18) → (8, 24, 40, 56) → cx 24/80, cy 40/80, w 32/80, h 32/80
    expect(b.annotations).toEqual([[{ classId: 0, box: [0.3, 0.5, 0.4, 0.4] }]]);
    expect(loader.stats.difficultDropped).toBe(1);
    const keep = new BatchLoader(ds, { batchSize: 1, sizes: [80], augment: false, dropDifficult: false });
    expect((await keep.next()).difficult).toEqual([[false, true]]);
  });

  it("onError 'skip' records and replaces bad samples; 'throw' propagates; non-format errors always propagate", async () => {
    const loader = new BatchLoader(rectDataset(6, [1, 4]), { batchSize: 4, sizes: [32], onError: 'skip', shuffle: false });
    const b = await loader.next();
    expect(b.indices).toEqual([0, 2, 3, 5]);
    expect(loader.stats.skipped.map((s) => [s.index, s.file])).toEqual([[1, 'x.jpg'], [4, 'x.jpg']]);
    await expect(new BatchLoader(rectDataset(6, [1]), { batchSize: 4, sizes: [32], shuffle: false }).next()).rejects.toBeInstanceOf(FormatError);
    const allBad = new BatchLoader(rectDataset(3, [0, 1, 2]), { batchSize: 2, sizes: [32], onError: 'skip' });
    await expect(allBad.next()).rejects.toThrow(/every one of the 3 samples failed/);
    const bug = new BatchLoader(rectDataset(3, [0], () => new TypeError('bug')), { batchSize: 2, sizes: [32], onError: 'skip', shuffle: false });
    await expect(bug.next()).rejects.toBeInstanceOf(TypeError);
  });

  it('rejects bad options', () => {
    const ds = rectDataset(2);
    expect(() => new BatchLoader(ds, { batchSize: 0 })).toThrow(/BatchLoader: 'batchSize' must be an integer ≥ 1/);
    expect(() => new BatchLoader(ds, { sizes: [] })).toThrow(ValueError);
    expect(() => new BatchLoader(ds, { sizes: [64.5] })).toThrow(/sizes\[0\]/);
    expect(() => new BatchLoader({ length: 0, classNames: [], get: async () => { throw new Error(); } })).toThrow(/at least one sample/);
    expect(() => new BatchLoader({} as DetectionDataset)).toThrow(ValueError);
    expect(() => new BatchLoader(ds, { augment: { hue: 2 } })).toThrow(ValueError);
  });
});

describe('evalBatches', () => {
  it('one pass in order, short last batch, letterbox undone by canvasBoxToSource', async () => {
    const ds = rectDataset(5, [3]);
    const stats: BatchStats = { images: 0, skipped: [], readerClippedBoxes: 0, readerDroppedBoxes: 0, augmentDroppedBoxes: 0, difficultDropped: 0 };
    const seen: number[][] = [];
    for await (const b of evalBatches(ds, { batchSize: 2, size: 64, onError: 'skip', stats })) {
      seen.push(b.indices);
      for (let i = 0; i < b.indices.length; i++) {
        const src = (await ds.get(b.indices[i])).objects;
        expect(b.annotations[i]).toHaveLength(src.length);
        b.annotations[i].forEach((a, k) => {
          const [cx, cy, w, h] = a.box;
          const back = canvasBoxToSource([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], b.params[i]);
          back.forEach((v, j) => expect(v).toBeCloseTo(src[k].box[j], 9));
        });
      }
    }
    expect(seen).toEqual([[0, 1], [2], [4]]);
    expect(stats.skipped.map((s) => s.index)).toEqual([3]);
    expect(stats.images).toBe(4);
  });

  it('batchImagesTensor: [B, S, S, 3] float32, no leak', async () => {
    const gen = evalBatches(new SyntheticDataset({ seed: 0, length: 3, width: 32 }), { batchSize: 3, size: 32 });
    const b = (await gen.next()).value!;
    expectNoLeak(() => {
      const t = batchImagesTensor(b);
      expect(t.shape).toEqual([3, 32, 32, 3]);
      t.dispose();
    });
  });
});

describe('option keys (issue 18, item 5)', () => {
  it('BatchLoader, evalBatches and the augment options reject unknown keys, naming the near known one', async () => {
    const ds = rectDataset(3);
    expect(() => new BatchLoader(ds, { batchsize: 2 } as never)).toThrow(/BatchLoader: unknown option 'batchsize'.*'batchSize'/);
    expect(() => new BatchLoader(ds, { augment: { jiter: 0.2 } as never })).toThrow(/BatchLoader: unknown option 'jiter' in 'augment'.*'jitter'/);
    const it = evalBatches(ds, { sise: 64 } as never);
    await expect(it.next()).rejects.toThrow(/evalBatches: unknown option 'sise'.*'size'/);
    expect(new BatchLoader(ds, { batchSize: 2, augment: { jitter: 0.2 } })).toBeInstanceOf(BatchLoader);
  });
});

describe('trainerBatches', () => {
  it('gives image and packed-target tensors in stream order; the loader is the resumable state', async () => {
    // a tiny stand-in for the core's packTargets: [B, N, 5] rows (classId, cx, cy, w, h), padding classId −1
    const pack = (ann: Array<Array<{ classId: number; box: number[] }>>, maxBoxes?: number) => {
      const N = maxBoxes ?? Math.max(1, ...ann.map((a) => a.length));
      const rows = ann.flatMap((a) => Array.from({ length: N }, (_, k) => (a[k] ? [a[k].classId, ...a[k].box] : [-1, 0, 0, 0, 0])));
      return tf.tensor3d(rows.flat(), [ann.length, N, 5]);
    };
    const ds = new SyntheticDataset({ seed: 4, length: 5, width: 32 });
    const loader = new BatchLoader(ds, { batchSize: 2, sizes: [32] });
    const twin = new BatchLoader(ds, { batchSize: 2, sizes: [32] });
    const source = trainerBatches(loader, pack, 6);
    const before = tf.memory().numTensors;
    const { images, targets } = await source({ epoch: 0, step: 0, micro: 0 });
    expect(images.shape).toEqual([2, 32, 32, 3]);
    expect(targets.shape).toEqual([2, 6, 5]);
    const want = await twin.next();
    expect(Array.from(targets.dataSync().slice(0, 5))).toEqual(
      want.annotations[0].length ? [want.annotations[0][0].classId, ...want.annotations[0][0].box].map(Math.fround) : [-1, 0, 0, 0, 0],
    );
    images.dispose();
    targets.dispose();
    expect(tf.memory().numTensors).toBe(before);
    const failing = trainerBatches(loader, () => { throw new Error('too many boxes'); });
    await expect(failing()).rejects.toThrow('too many boxes');
    expect(tf.memory().numTensors).toBe(before);
  });
});
