import { createServer } from 'node:http';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, describe, expect, it } from 'vitest';
import { FormatError } from '../../src/errors.js';
import type { DetectorMeta } from '../../src/head/detector-meta.js';
import { Detector } from '../../src/models/detector.js';
import { loadDetector, saveDetector } from '../../src/node/detector.js';
import { encodePNG } from '../../src/node/data/image.js';
import { expectNoLeakAsync } from '../helpers.js';

// One cell, one anchor (0.5, 0.5), one class: output = bias (tx ty tw th to c) = (0, 0, 0, 0, 1, 0).
function model(): tfl.LayersModel {
  const input = tfl.input({ shape: [32, 32, 3] });
  const pooled = tfl.layers.averagePooling2d({ poolSize: 32, strides: 32 }).apply(input) as tfl.SymbolicTensor;
  const head = tfl.layers.conv2d({ filters: 6, kernelSize: 1 });
  const m = tfl.model({ inputs: input, outputs: head.apply(pooled) as tfl.SymbolicTensor });
  head.setWeights([tf.zeros([1, 1, 3, 6]), tf.tensor1d([0, 0, 0, 0, 1, 0])]);
  return m;
}
const META: DetectorMeta = {
  format: 'yolov2-ts/detector', version: 1, inputSize: [32, 32], classNames: ['thing'], anchors: [[0.5, 0.5]],
  layout: 'NHWC', letterbox: 'round', pixelScale: 255, postprocess: { confThreshold: 0.25, iouThreshold: 0.45, maxDetections: 10 },
};
const dirs: string[] = [];
afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

describe('loadDetector / saveDetector', () => {
  it('round-trips a detector folder and detects on a PNG path, its bytes and an RGBImage', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'det-'));
    dirs.push(dir);
    const m = model();
    await saveDetector(m, META, dir);
    m.dispose();
    const det = await loadDetector(dir);
    expect(det.meta).toEqual(META);
    // 40 × 20 image into 32 × 32: newW 32, newH 16, padY 8; box (0.25…0.75)² → x 8…24, y 8…24
    // → x · 40/32 = 10…30, (y − 8) · 20/16 = 0…20.
    const img = { width: 40, height: 20, data: new Uint8Array(40 * 20 * 3).fill(200) };
    const png = await encodePNG(img);
    const file = join(dir, 'x.png');
    await writeFile(file, png);
    const want = [{ box: [10, 0, 30, 20], classId: 0, className: 'thing', score: 1 / (1 + Math.exp(-1)) }];
    for (const input of [file, png, img]) {
      const d = await det.detect(input);
      expect(d).toHaveLength(1);
      d[0].box.forEach((v, k) => expect(v).toBeCloseTo(want[0].box[k], 4));
      expect(d[0].score).toBeCloseTo(want[0].score, 6);
    }
    await expectNoLeakAsync(async () => {
      await det.detectBatch([file, png]);
      await expect(det.detect(join(dir, 'missing.png'))).rejects.toThrow(FormatError);
    });
    det.dispose();
  });

  it('names the file when yolov2.json is missing or invalid', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'det-'));
    dirs.push(dir);
    await expect(loadDetector(dir)).rejects.toThrow(/yolov2\.json/);
    await writeFile(join(dir, 'yolov2.json'), '{"format": "yolov2-ts/detector", "version": 7}');
    await expect(loadDetector(dir)).rejects.toThrow(/yolov2\.json: field 'version'/);
  });

  it('Detector.load fetches model.json and the yolov2.json beside it over HTTP', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'det-'));
    dirs.push(dir);
    const m = model();
    await saveDetector(m, META, join(dir, 'models', 'shapes'));
    m.dispose();
    const server = createServer((req, res) => {
      readFile(join(dir, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)))
        .then((b) => res.end(b))
        .catch(() => {
          res.statusCode = 404;
          res.end();
        });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    try {
      const det = await Detector.load(`http://127.0.0.1:${port}/models/shapes/model.json`);
      expect(det.meta).toEqual(META);
      const image = tf.zeros([20, 40, 3]) as tf.Tensor3D;
      const [d] = await det.detect(image);
      [10, 0, 30, 20].forEach((v, k) => expect(d.box[k]).toBeCloseTo(v, 4)); // as in the first test
      image.dispose();
      det.dispose();
      await expect(Detector.load(`http://127.0.0.1:${port}/missing/model.json?v=1`)).rejects.toThrow(/cannot read http:.*\/missing\/yolov2\.json: HTTP 404/);
    } finally {
      server.close();
    }
  });
});
