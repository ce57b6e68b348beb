import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodePNG, generateSyntheticSample, writeVOCAnnotation } from '../../src/node/index.js';
import { RECORDS_VOC_TRAINING, runVOCTraining } from '../../examples/gpu-train.js';

const leg = process.env.YOLOV2_TEST_BACKEND ?? 'cpu';
const root = mkdtempSync(join(tmpdir(), 'yolov2-voc-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A two-image VOC folder: synthetic scenes whose shapes are labelled with VOC class names. */
async function makeVOC(): Promise<string> {
  const voc = join(root, 'VOC2007');
  for (const d of ['Annotations', 'JPEGImages', 'ImageSets/Main']) mkdirSync(join(voc, d), { recursive: true });
  const names = ['person', 'car', 'dog', 'bottle'];
  const ids = ['000001', '000002'];
  for (const [k, id] of ids.entries()) {
    const s = generateSyntheticSample(k + 1, { width: 96, height: 80 });
    writeFileSync(join(voc, 'JPEGImages', `${id}.png`), await encodePNG(s.image));
    writeFileSync(join(voc, 'Annotations', `${id}.xml`), writeVOCAnnotation({
      filename: `${id}.png`, size: { width: 96, height: 80, depth: 3 },
      objects: s.objects.map((o) => ({
        name: names[o.classId], difficult: false, truncated: false,
        box: [o.box[0] + 1, o.box[1] + 1, o.box[2], o.box[3]] as [number, number, number, number], // VOC: 1-based inclusive
      })),
    }));
  }
  writeFileSync(join(voc, 'ImageSets/Main/trainval.txt'), `${ids.join('\n')}\n`);
  return voc;
}

describe.runIf(leg === 'wasm')('examples/gpu-train.ts (the training records’ VOC loop) on CPU, two steps', () => {
  it('trains YOLOv2 with accumulation and multi-scale, checkpoints, evaluates in the training records’ format', async () => {
    const voc = await makeVOC();
    const out = join(root, 'run');
    const r = await runVOCTraining({
      ...RECORDS_VOC_TRAINING, voc: [voc], test: voc, testSplit: 'trainval', out,
      batch: 2, micro: 1, sizes: [64, 96], evalSizes: [64], widthMultiplier: 0.0625, maxSteps: 2, epochs: 2, progress: false,
    });
    expect(r.result.steps).toBe(2); // 2 images / batch 2 = 1 step per epoch, 2 epochs
    expect(r.result.seenImages).toBe(4);
    expect(r.evals?.[0].size).toBe(64);
    expect(r.evals?.[0].voc.perClass).toHaveLength(20);
    for (const f of ['loss.png', 'report.txt', 'model/model.json', 'checkpoint/ckpt-000000002.bin', 'train-log.jsonl']) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
  }, 300_000);
});
