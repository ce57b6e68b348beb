import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FormatError } from '../../../src/errors.js';
import { openDataset, readDataConfig } from '../../../src/node/data/data-config.js';
import { labelPathOf } from '../../../src/node/data/image-list.js';
import { encodePNG } from '../../../src/node/data/image.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cfg-'));
  await mkdir(join(dir, 'set', 'images', 'train'), { recursive: true });
  await mkdir(join(dir, 'set', 'labels', 'train'), { recursive: true });
  await writeFile(join(dir, 'set', 'images', 'train', 'a.png'), await encodePNG({ width: 40, height: 20, data: new Uint8Array(40 * 20 * 3) }));
  // one object: class 1, centre (0.5, 0.5), size (0.25, 0.5) → pixels (15, 5, 25, 15) of 40 × 20
  await writeFile(join(dir, 'set', 'labels', 'train', 'a.txt'), '1 0.5 0.5 0.25 0.5\n');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function cfg(name: string, text: string): Promise<string> {
  const f = join(dir, name);
  await writeFile(f, text);
  return f;
}

describe('readDataConfig', () => {
  it('reads the ultralytics YAML dialect: paths relative to the file, names as a list or a map', async () => {
    const f = await cfg('a.yaml', 'path: set\ntrain: images/train\nval: images/train\nnames: [cat, dog]\n');
    const c = await readDataConfig(f);
    expect(c).toMatchObject({ dialect: 'yaml', format: 'yolo', names: ['cat', 'dog'] });
    expect(c.splits.train).toEqual({ kind: 'folder', images: join(dir, 'set', 'images', 'train') });
    const ds = await openDataset(c, 'train');
    expect((await ds.get(0)).objects).toEqual([{ classId: 1, box: [15, 5, 25, 15] }]);
    const m = await readDataConfig(await cfg('b.yaml', 'train: set/images/train\nnames:\n  1: dog\n  0: cat\n'));
    expect(m.names).toEqual(['cat', 'dog']);
    const voc = await readDataConfig(await cfg('v.yaml', 'path: voc\nformat: voc\ntrain: trainval\ntest: ImageSets/Main/test.txt\nnames: [a]\n'));
    expect(voc.splits.test).toEqual({ kind: 'voc', root: join(dir, 'voc'), imageSet: 'test' });
    await expect(openDataset(voc, 'val')).rejects.toThrow(/has no 'val' split \(it has train, test\)/);
  });

  it("reads darknet's .data: names file, classes checked, image lists with labels where darknet finds them", async () => {
    await writeFile(join(dir, 'obj.names'), 'cat\ndog\n');
    await writeFile(join(dir, 'train.txt'), 'set/images/train/a.png\n');
    const c = await readDataConfig(await cfg('obj.data', 'classes = 2\ntrain = train.txt\nvalid = train.txt\nnames = obj.names\nbackup = backup/\n'));
    expect(c).toMatchObject({ dialect: 'darknet', names: ['cat', 'dog'], backup: join(dir, 'backup/') });
    const ds = await openDataset(c, 'val');
    expect(await ds.get(0)).toMatchObject({ id: 'a', objects: [{ classId: 1, box: [15, 5, 25, 15] }] });
    expect(labelPathOf('/d/VOC/JPEGImages/x.jpg')).toBe('/d/VOC/labels/x.txt');
  });

  it('answers a bad file with a FormatError naming the file and the entry or line', async () => {
    const cases: Array<[string, string, RegExp]> = [
      ['e1.yaml', 'train: [a\n', /e1\.yaml:\d+: YAML:/],
      ['e2.yaml', 'train: x\nnames: [a]\nepochs: 3\n', /e2\.yaml: epochs: unknown key/],
      ['e3.yaml', 'train: x\n', /e3\.yaml: names: must be a list or a map/],
      ['e4.yaml', 'train: x\nnames: [a]\nformat: kitti\n', /e4\.yaml: format: must be yolo, voc or coco/],
      ['e5.yaml', 'format: coco\ntrain: a.json\nnames: [a]\n', /e5\.yaml: train: must be \{ annotations/],
      ['e6.data', 'classes = 3\ntrain = t.txt\nnames = obj.names\n', /e6\.data:1: classes: is 3 but .*obj\.names lists 2 names/],
      ['e7.data', 'classes = 2\ntrain t.txt\n', /e7\.data:2: line 2: expected 'key = value'/],
      ['e8.data', 'train = t.txt\nnames = missing.names\n', /cannot read .*missing\.names/],
    ];
    for (const [name, text, re] of cases) {
      const e = await readDataConfig(await cfg(name, text)).catch((x: Error) => x);
      expect(e, name).toBeInstanceOf(FormatError);
      expect((e as Error).message, name).toMatch(re);
    }
    await expect(readDataConfig(join(dir, 'none.yaml'))).rejects.toThrow(/cannot read .*none\.yaml/);
  });
});
