import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FormatError } from '../../../src/errors.js';
import { cocoAP } from '../../../src/metrics/coco.js';
import { COCODataset, readCOCOResults, writeCOCOAnnotations, writeCOCOResults } from '../../../src/node/data/coco-json.js';
import { encodePNG } from '../../../src/node/data/image.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'coco-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

// Two categories with COCO-style ids 3 ('cat') and 7 ('dog'): class ids 0 and 1.
const GT = {
  images: [{ id: 42, file_name: 'a.png', width: 100, height: 80 }],
  annotations: [
    { id: 1, image_id: 42, category_id: 7, bbox: [10, 20, 50, 50], area: 2500, iscrowd: 0 },
    { id: 2, image_id: 42, category_id: 7, bbox: [70, 0, 30, 30], area: 900, iscrowd: 1 },
  ],
  categories: [{ id: 7, name: 'dog' }, { id: 3, name: 'cat' }],
};

async function write(name: string, json: unknown): Promise<string> {
  const f = join(dir, name);
  await writeFile(f, typeof json === 'string' ? json : JSON.stringify(json));
  return f;
}

describe('COCODataset', () => {
  it('maps bbox xywh to corners, category ids to contiguous class ids and back, crowd to an ignored region', async () => {
    const file = await write('gt.json', GT);
    await writeFile(join(dir, 'a.png'), await encodePNG({ width: 100, height: 80, data: new Uint8Array(100 * 80 * 3) }));
    const ds = await COCODataset.open(file, dir);
    expect(ds.classNames).toEqual(['cat', 'dog']); // sorted by category id: 3, 7
    expect(ds.categoryIds).toEqual([3, 7]);
    expect(ds.classId(7)).toBe(1);
    const s = await ds.get(0);
    expect(s.id).toBe('42');
    // [10, 20, 50, 50] → (10, 20, 60, 70); the crowd region [70, 0, 30, 30] → (70, 0, 100, 30), difficult
    expect(s.objects).toEqual([
      { classId: 1, box: [10, 20, 60, 70], difficult: false },
      { classId: 1, box: [70, 0, 100, 30], difficult: true },
    ]);
    expect(ds.groundTruths()[1]).toEqual({ imageId: '42', classId: 1, box: [70, 0, 100, 30], area: 900, iscrowd: true });
  });

  it('feeds cocoAP from result files: hand-computed numbers with an FP and a detection on a crowd region', async () => {
    const ds = await COCODataset.open(await write('gt2.json', GT), dir);
    const results = [
      { image_id: 42, category_id: 7, bbox: [71, 1, 28, 28], score: 0.95 }, // inside the crowd region: ignored
      { image_id: 42, category_id: 7, bbox: [10, 20, 50, 50], score: 0.9 }, // exact: TP at every IoU
    ];
    const dtFile = await write('dt.json', results);
    const dets = await readCOCOResults(dtFile, ds.categoryIds);
    expect(dets[1]).toEqual({ imageId: '42', classId: 1, box: [10, 20, 60, 70], score: 0.9 });
    // one non-crowd GT of area 2500 (medium: 32² < 2500 ≤ 96²), matched first-ranked once the crowd hit is ignored:
    // precision 1 at recall 1 for every IoU → AP = AP50 = AP75 = APmedium = 1, AR10 = AR100 = 1; AR1 keeps only the
    // top detection (the ignored crowd hit), so recall 0; small and large have no GT → −1.
    const r = cocoAP(dets, ds.groundTruths(), { numClasses: 2 });
    expect(r.stats).toEqual([1, 1, 1, -1, 1, -1, 0, 1, 1, -1, 1, -1]);
    // with an FP ranked first instead (no overlap): precision at recall 1 is 1/2 → AP 0.5 at every IoU.
    const withFP = await readCOCOResults(await write('dt2.json', [{ ...results[1], bbox: [0, 60, 10, 10], score: 0.99 }, results[1]]), ds.categoryIds);
    expect(cocoAP(withFP, ds.groundTruths(), { numClasses: 2 }).AP).toBeCloseTo(0.5, 12);
    // writing back gives category id 7 and numeric image ids, the same rows as read
    const out = join(dir, 'back.json');
    await writeCOCOResults(out, dets, ds.categoryIds);
    expect(JSON.parse(await readFile(out, 'utf8'))).toEqual(results);
  });

  it('writes an annotation file that reads back to the same samples', async () => {
    const f = join(dir, 'w.json');
    await writeCOCOAnnotations(f, [{ id: 1, fileName: 'a.png', width: 100, height: 80, objects: [{ classId: 1, box: [1, 2, 11, 22] }] }], ['x', 'y']);
    const ds = await COCODataset.open(f, dir);
    expect(ds.categoryIds).toEqual([1, 2]);
    expect((await ds.get(0)).objects).toEqual([{ classId: 1, box: [1, 2, 11, 22], difficult: false }]);
  });

  it('names the file and the entry for bad input', async () => {
    const cases: Array<[unknown, RegExp]> = [
      ['{not json', /bad\.json is not valid JSON/],
      [{ images: [], annotations: [] }, /bad\.json: 'categories' must be an array/],
      [{ ...GT, annotations: [GT.annotations[0], { ...GT.annotations[0], bbox: [1, 2, -3, 4] }] }, /annotations\[1\]\.bbox must be \[x, y, w, h\]/],
      [{ ...GT, annotations: [{ ...GT.annotations[0], category_id: 9 }] }, /annotations\[0\]\.category_id must be the id of an entry of categories, got 9/],
      [{ ...GT, annotations: [{ ...GT.annotations[0], image_id: 1 }] }, /annotations\[0\]\.image_id/],
    ];
    for (const [json, re] of cases) {
      const f = await write('bad.json', json);
      const e = await COCODataset.open(f, dir).catch((x: Error) => x);
      expect(e).toBeInstanceOf(FormatError);
      expect((e as Error).message).toMatch(re);
    }
    await expect(COCODataset.open(join(dir, 'nope.json'), dir)).rejects.toThrow(/cannot read .*nope\.json/);
    await expect(readCOCOResults(await write('r.json', [{ image_id: 1, category_id: 5, bbox: [0, 0, 1, 1], score: 1 }]), [3, 7])).rejects.toThrow(
      /r\.json: \[0\]\.category_id must be one of the category ids 3, 7, got 5/,
    );
    await expect(readCOCOResults(await write('r.json', [{ image_id: 1, category_id: 3, bbox: [0, 0, 1, 1] }]))).rejects.toThrow(/\[0\]\.score/);
  });
});
