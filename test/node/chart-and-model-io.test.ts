import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { tinyYOLOv2 } from '../../src/models/index.js';
import { FormatError, loadModel, lossCurveSpec, saveModel, writeLossCurvePNG, type StepRecord } from '../../src/node/index.js';

const dir = mkdtempSync(join(tmpdir(), 'yolov2-io-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('loss curve', () => {
  const history: StepRecord[] = Array.from({ length: 30 }, (_, step) => ({
    epoch: 0, step, lr: 1e-3, total: 10 / (step + 1), coord: 4 / (step + 1), obj: 3 / (step + 1), noobj: 2 / (step + 1),
    cls: 1 / (step + 1), gradNorm: 1, inputSize: 128, imagesPerSecond: 10, skipped: step === 5,
  }));

  it('leaves skipped steps out and has one point per term and step', () => {
    const spec = lossCurveSpec(history) as { vconcat: Array<{ data: { values: unknown[] } }> };
    expect(spec.vconcat[0].data.values).toHaveLength(29 * 5);
    expect(spec.vconcat[1].data.values).toHaveLength(30);
  });

  it('renders a PNG', async () => {
    const path = join(dir, 'loss.png');
    await writeLossCurvePNG(path, history);
    const meta = await sharp(path).metadata();
    expect(meta.format).toBe('png');
    expect(meta.width).toBeGreaterThan(600);
  });
});

describe('saveModel / loadModel', () => {
  it('round-trips a tinyYOLOv2 (with its custom layers) bit for bit', async () => {
    const model = tinyYOLOv2({ numClasses: 2, widthMultiplier: 0.125, inputSize: 64 });
    await saveModel(model, join(dir, 'm'));
    const back = await loadModel(join(dir, 'm'));
    const x = tf.randomUniform([1, 64, 64, 3], 0, 1, 'float32', 3);
    const a = model.predict(x) as tf.Tensor;
    const b = back.predict(x) as tf.Tensor;
    expect(b.shape).toEqual(a.shape);
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    tf.dispose([x, a, b]);
    model.dispose();
    back.dispose();
  });

  it('names the file when it is missing, malformed or truncated', async () => {
    await expect(loadModel(join(dir, 'nope'))).rejects.toThrow(/model\.json/);
    const m = join(dir, 'm');
    truncateSync(join(m, 'weights.bin'), 100);
    await expect(loadModel(m)).rejects.toThrow(/hold 100 bytes/);
    writeFileSync(join(m, 'model.json'), '{}');
    await expect(loadModel(m)).rejects.toThrow(FormatError);
  });
});
