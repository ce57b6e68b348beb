import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FormatError, ValueError } from '../../../src/errors.js';
import { VOCDataset, YOLODataset, clipObjects, writeYOLOLabels } from '../../../src/node/data/datasets.js';
import { readYOLOLabels } from '../../../src/node/data/yolo-labels.js';
import { encodePNG } from '../../../src/node/data/image.js';
import { SYNTHETIC_CLASSES, SyntheticDataset, writeSyntheticVOC } from '../../../src/node/data/synthetic.js';
import { writeVOCAnnotation } from '../../../src/node/data/voc-xml.js';
import { thrown } from '../../helpers.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'yolov2-ts-datasets-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const solid = (w: number, h: number) => sharp({ create: { width: w, height: h, channels: 3, background: '#808080' } });

describe('clipObjects', () => {
  it('clips and counts, drops boxes with nothing left, tolerates 0.01 px rounding, or throws', () => {
    const objs = [
      { classId: 0, box: [-5, 10, 20, 30] as [number, number, number, number] }, // clipped
      { classId: 1, box: [110, 10, 120, 30] as [number, number, number, number] }, // fully outside → dropped
      { classId: 2, box: [0, 0, 100.004, 50] as [number, number, number, number] }, // rounding: silent
      { classId: 3, box: [10, 10, 20, 20] as [number, number, number, number] },
    ];
    const r = clipObjects(objs, 100, 50);
    expect(r.clipped).toBe(2);
    expect(r.dropped).toBe(1);
    expect(r.objects).toEqual([
      { classId: 0, box: [0, 10, 20, 30] },
      { classId: 2, box: [0, 0, 100, 50] },
      { classId: 3, box: [10, 10, 20, 20] },
    ]);
    const e = thrown(() => clipObjects(objs, 100, 50, 'error', 'a.xml'));
    expect(e).toBeInstanceOf(FormatError);
    expect(e.message).toBe('a.xml: object 0 box (-5, 10, 20, 30) reaches outside the 100×50 image');
  });
});

describe('VOCDataset', () => {
  it('reads a synthetic dataset written in VOC layout back exactly (PNG, boxes, class ids)', async () => {
    const root = join(dir, 'voc-synth');
    const ds = new SyntheticDataset({ seed: 11, length: 3, width: 64, height: 48 });
    const ids = await writeSyntheticVOC(root, ds, { imageSet: 'train' });
    expect(ids).toEqual(['synthetic-11-0', 'synthetic-11-1', 'synthetic-11-2']);
    const voc = await VOCDataset.open(root, { imageSet: 'train', classNames: SYNTHETIC_CLASSES });
    expect(voc.length).toBe(3);
    for (let i = 0; i < 3; i++) {
      const a = ds.getSync(i);
      const b = await voc.get(i);
      expect(b.id).toBe(a.id);
      expect(b.objects).toEqual(a.objects.map((o) => ({ ...o, difficult: false })));
      expect(Buffer.from(b.image.data).equals(Buffer.from(a.image.data))).toBe(true);
      expect([b.clippedBoxes, b.droppedBoxes]).toEqual([0, 0]);
    }
    const all = await VOCDataset.open(root, { imageSet: null, classNames: SYNTHETIC_CLASSES });
    expect(all.ids).toEqual(ids);
  });

  it('hand-made folder: 1-based inclusive → continuous corners, difficult kept, empty image, clipping, bad input', async () => {
    const root = join(dir, 'voc-hand');
    for (const d of ['Annotations', 'JPEGImages', 'ImageSets/Main']) mkdirSync(join(root, d), { recursive: true });
    await solid(50, 40).jpeg().toFile(join(root, 'JPEGImages', 'a.jpg'));
    await solid(30, 20).png().toFile(join(root, 'JPEGImages', 'b.png'));
    const aJpg = await solid(50, 40).jpeg().toBuffer();
    writeFileSync(join(root, 'JPEGImages', 'cut.jpg'), aJpg.subarray(0, aJpg.length - 30));
    const obj = (name: string, box: [number, number, number, number], difficult = false) => ({ name, box, difficult, truncated: false });
    const ann = (filename: string, objects: ReturnType<typeof obj>[]) =>
      writeVOCAnnotation({ filename, size: { width: 999, height: 999, depth: 3 }, objects });
    // a.jpg is 50×40: (1,1,50,40) is the whole image → (0, 0, 50, 40); (41,31,60,45) reaches outside → clipped
    writeFileSync(join(root, 'Annotations', 'a.xml'), ann('a.jpg', [obj('dog', [1, 1, 50, 40]), obj('cat', [41, 31, 60, 45], true), obj('cat', [55, 1, 60, 10])]));
    writeFileSync(join(root, 'Annotations', 'b.xml'), ann('b.png', [])); // no objects: allowed
    writeFileSync(join(root, 'Annotations', 'u.xml'), ann('a.jpg', [obj('unicorn', [1, 1, 5, 5]), obj('dog', [2, 2, 4, 4])]));
    writeFileSync(join(root, 'Annotations', 'cut.xml'), ann('cut.jpg', [obj('dog', [1, 1, 5, 5])]));
    writeFileSync(join(root, 'Annotations', 'bad.xml'), '<annotation><object><name>dog</name>');
    writeFileSync(join(root, 'ImageSets/Main/trainval.txt'), 'a\nb  1\n\nu\ncut\nbad\nmissing\n');
    const voc = await VOCDataset.open(root);
    expect(voc.ids).toEqual(['a', 'b', 'u', 'cut', 'bad', 'missing']);
    expect(voc.classNames).toHaveLength(20);
    const a = await voc.get(0);
    expect([a.image.width, a.image.height]).toEqual([50, 40]); // the decoded size wins over <size>
    // dog = VOC id 11, cat = 7; cat (41,31,60,45) → (40, 30, 60, 45) → clipped to (40, 30, 50, 40); third box is outside → dropped
    expect(a.objects).toEqual([
      { classId: 11, box: [0, 0, 50, 40], difficult: false },
      { classId: 7, box: [40, 30, 50, 40], difficult: true },
    ]);
    expect([a.clippedBoxes, a.droppedBoxes]).toEqual([2, 1]);
    const b = await voc.get(1);
    expect(b.objects).toEqual([]);
    expect([b.image.width, b.image.height]).toEqual([30, 20]);

    const e1 = await voc.get(2).catch((e) => e);
    expect(e1).toBeInstanceOf(FormatError);
    expect(e1.message).toMatch(/u\.xml: object 0 has class 'unicorn', which is not one of the 20 class names/);
    const skipping = await VOCDataset.open(root, { unknownClass: 'skip' });
    expect((await skipping.get(2)).objects).toEqual([{ classId: 11, box: [1, 1, 4, 4], difficult: false }]);

    const e2 = await voc.get(3).catch((e) => e);
    expect(e2).toBeInstanceOf(FormatError);
    expect(e2.file).toBe(join(root, 'JPEGImages', 'cut.jpg'));
    const e3 = await voc.get(4).catch((e) => e);
    expect(e3).toBeInstanceOf(FormatError);
    expect(e3.message).toMatch(/bad\.xml.*malformed XML/);
    const e4 = await voc.get(5).catch((e) => e);
    expect(e4).toBeInstanceOf(FormatError);
    expect(e4.message).toMatch(/cannot read .*missing\.xml \(ENOENT\)/);

    const strict = await VOCDataset.open(root, { outside: 'error' });
    await expect(strict.get(0)).rejects.toThrow(/a\.xml: object 1 box \(40, 30, 60, 45\) reaches outside the 50×40 image/);
    await expect(VOCDataset.open(root, { imageSet: 'test' })).rejects.toBeInstanceOf(FormatError);
    await expect(voc.get(6)).rejects.toBeInstanceOf(ValueError);
  });
});

describe('YOLO labels', () => {
  // the parser's rule is tested in test/node/data/yolo-labels.test.ts
  it('writeYOLOLabels ↔ readYOLOLabels', () => {
    const text = writeYOLOLabels([{ classId: 1, box: [10, 20, 30, 60] }], 100, 80);
    // cx = 20/100, cy = 40/80, w = 20/100, h = 40/80
    expect(text).toBe('1 0.200000 0.500000 0.200000 0.500000\n');
    expect(readYOLOLabels(text)).toEqual([{ classId: 1, box: [0.2, 0.5, 0.2, 0.5] }]);
  });
});

describe('dataset option keys (issue 18, item 5)', () => {
  it('VOCDataset.open and YOLODataset.open reject unknown keys before touching the disk', async () => {
    await expect(VOCDataset.open(join(dir, 'nowhere'), { imageset: 'test' } as never)).rejects.toThrow(/VOCDataset\.open: unknown option 'imageset'.*'imageSet'/);
    await expect(YOLODataset.open({ images: join(dir, 'nowhere'), classNames: ['a'], label: 'x' } as never)).rejects.toThrow(
      /YOLODataset\.open: unknown option 'label'.*'labels'/,
    );
    await expect(VOCDataset.open(join(dir, 'nowhere'), { imageset: 'test' } as never)).rejects.toBeInstanceOf(ValueError);
  });
});

describe('YOLODataset', () => {
  it('reads images/ + labels/ (derived folder), missing label = no objects, clips outside boxes, bad files are typed errors', async () => {
    const root = join(dir, 'yolo');
    mkdirSync(join(root, 'images'), { recursive: true });
    mkdirSync(join(root, 'labels'), { recursive: true });
    const img = { width: 40, height: 20, data: new Uint8Array(40 * 20 * 3).fill(9) };
    writeFileSync(join(root, 'images', 'b.png'), await encodePNG(img));
    writeFileSync(join(root, 'images', 'a.png'), await encodePNG(img));
    writeFileSync(join(root, 'images', 'c.png'), await encodePNG(img));
    writeFileSync(join(root, 'images', 'notes.md'), 'not an image');
    writeFileSync(join(root, 'images', 'd.jpg'), Buffer.from('garbage'));
    // a: cx 0.5 cy 0.5 w 0.5 h 0.5 → (10, 5, 30, 15); second row reaches past the right edge: (30, 0, 50, 20) → (30, 0, 40, 20)
    writeFileSync(join(root, 'labels', 'a.txt'), '1 0.5 0.5 0.5 0.5\n0 1.0 0.5 0.5 1.0\n');
    writeFileSync(join(root, 'labels', 'c.txt'), '0 0.5 0.5 0.5\n');
    const ds = await YOLODataset.open({ images: join(root, 'images'), classNames: ['p', 'q'] });
    expect(ds.labelDir).toBe(join(root, 'labels'));
    expect(ds.files).toEqual(['a.png', 'b.png', 'c.png', 'd.jpg']);
    const a = await ds.get(0);
    expect(a.id).toBe('a');
    expect(a.objects).toEqual([
      { classId: 1, box: [10, 5, 30, 15] },
      { classId: 0, box: [30, 0, 40, 20] },
    ]);
    expect(a.clippedBoxes).toBe(1);
    expect((await ds.get(1)).objects).toEqual([]); // b has no label file: a background image
    const e = await ds.get(2).catch((x) => x);
    expect(e).toBeInstanceOf(FormatError);
    expect([e.file, e.line]).toEqual([join(root, 'labels', 'c.txt'), 1]);
    const e2 = await ds.get(3).catch((x) => x);
    expect(e2).toBeInstanceOf(FormatError);
    expect(e2.message).toMatch(/d\.jpg: cannot decode/);
    await expect(YOLODataset.open({ images: join(root, 'nope'), classNames: ['p'] })).rejects.toBeInstanceOf(FormatError);
    await expect(YOLODataset.open({ images: join(root, 'images'), classNames: [] })).rejects.toBeInstanceOf(ValueError);
  });
});
