import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { DEMO_QUICK, runDemo } from '../../examples/demo.js';

// The demo picks its own backend (selectBackend: wasm here), so one leg of the matrix is enough.
const leg = process.env.YOLOV2_TEST_BACKEND ?? 'cpu';
const out = mkdtempSync(join(tmpdir(), 'yolov2-demo-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe.runIf(leg === 'wasm')('npm run demo -- --quick (the pipeline on a tiny budget)', () => {
  it('trains, evaluates at each size, writes the report, pictures and model', async () => {
    const report = await runDemo({ ...DEMO_QUICK, out, progress: false });
    expect(report.steps).toBe(DEMO_QUICK.steps);
    expect(report.perSize.map((r) => r.size)).toEqual(DEMO_QUICK.evalSizes);
    for (const key of ['voc07_mAP50', 'coco_mAP', 'minutes', 'backend', 'inputSizes', 'perClassAP'] as const) expect(report).toHaveProperty(key);
    expect(Object.keys(report.perClassAP)).toEqual(['rectangle', 'ellipse', 'triangle', 'cross']);
    expect(report.voc07_mAP50).toBeGreaterThanOrEqual(0);
    expect(report.voc07_mAP50).toBeLessThanOrEqual(1);
    expect(report.voc07_mAP50_bestClass).toBeGreaterThanOrEqual(0);
    expect(report.voc07_mAP50_bestClass).toBeLessThanOrEqual(1);
    const onDisk = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(onDisk.voc07_mAP50).toBe(report.voc07_mAP50);
    for (const f of ['loss.png', 'pr-curves.png', 'detections-0.png', 'train-log.jsonl', 'model/model.json', 'model/weights.bin', 'report.txt']) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
    expect(readFileSync(join(out, 'report.txt'), 'utf8')).toMatch(/Input Size：\[96x96\] ap50_95: = \d\.\d{4} ap50: = \d\.\d{4}/);
  }, 300_000);

  it('gives the same numbers for the same seed, and leaks no tensor', async () => {
    // measured around a second run: the first one fills tfjs-layers' and the kernels' one-time caches
    const before = tf.memory().numTensors;
    const again = await runDemo({ ...DEMO_QUICK, out: join(out, 'again'), progress: false });
    expect(tf.memory().numTensors).toBe(before);
    const first = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(again.finalLoss).toBe(first.finalLoss);
    expect(again.perSize).toEqual(first.perSize);
  }, 300_000);

  it('runs the other model and decay, and rejects unknown ones', async () => {
    const r = await runDemo({ ...DEMO_QUICK, out: join(out, 'tiny-step'), progress: false, model: 'tiny', widthMultiplier: 0.25, lrDecay: 'step', multiLabel: false });
    expect(r.steps).toBe(DEMO_QUICK.steps);
    expect(r.voc07_mAP50_bestClass).toBe(r.voc07_mAP50); // best-class candidates: one evaluation, one number
    expect(JSON.parse(readFileSync(join(out, 'tiny-step', 'model', 'meta.json'), 'utf8'))).toMatchObject({ outputStride: 32, model: 'tiny-YOLOv2 ×0.25' });
    await expect(runDemo({ ...DEMO_QUICK, out: join(out, 'bad'), progress: false, model: 'yolo9' as 'tiny' })).rejects.toThrow(/'model' must be 'compact' or 'tiny', got 'yolo9'/);
    await expect(runDemo({ ...DEMO_QUICK, out: join(out, 'bad'), progress: false, lrDecay: 'linear' as 'step' })).rejects.toThrow(/'lrDecay' must be 'cosine' or 'step', got 'linear'/);
  }, 300_000);
});
