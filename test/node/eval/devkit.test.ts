import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FormatError, ValueError, vocAP } from '../../../src/index.js';
import {
  devkitResultFileName, evaluateVOCFolder, formatDevkitResults, formatYOLOLabels, parseDevkitResults, parseVOCSplit,
  parseYOLOLabels, readDevkitResultFile, readYOLOLabelFile, writeDevkitResultFile, writeDevkitResultFolder, writeVOCAnnotation,
  writeYOLOLabelFile,
} from '../../../src/node/index.js';
import type { VOCAnnotation } from '../../../src/node/index.js';
import { thrown } from '../../helpers.js';

describe('devkit result files', () => {
  it('parse lines imageId score x1 y1 x2 y2, skipping blank lines', () => {
    const text = '000001 0.9 10 20 30 40\r\n\n  000002   0.25 1.5 2.5 3.5 4.5  \n';
    expect(parseDevkitResults(text, 'r.txt')).toEqual([
      { imageId: '000001', score: 0.9, box: [10, 20, 30, 40] },
      { imageId: '000002', score: 0.25, box: [1.5, 2.5, 3.5, 4.5] },
    ]);
    expect(devkitResultFileName('dog')).toBe('comp4_det_test_dog.txt');
  });

  it('round-trip exactly by default; fixed digits on request', async () => {
    const rows = [{ imageId: 'a', score: 0.1 + 0.2, box: [1, 2, 3.25, 4] as [number, number, number, number] }];
    expect(parseDevkitResults(formatDevkitResults(rows))).toEqual(rows);
    expect(formatDevkitResults(rows, { scoreDigits: 3, boxDigits: 1 })).toBe('a 0.300 1.0 2.0 3.3 4.0\n');
    const dir = await mkdtemp(join(tmpdir(), 'devkit-'));
    await writeDevkitResultFile(join(dir, 'x.txt'), rows);
    expect(await readDevkitResultFile(join(dir, 'x.txt'))).toEqual(rows);
    await rm(dir, { recursive: true });
  });

  it('bad lines are FormatErrors naming the file and line', () => {
    let e = thrown(() => parseDevkitResults('a 0.5 1 2 3 4\na 0.5 1 2 3\n', 'comp4_det_test_cat.txt'));
    expect(e).toBeInstanceOf(FormatError);
    expect((e as FormatError).file).toBe('comp4_det_test_cat.txt');
    expect((e as FormatError).line).toBe(2);
    expect(e.message).toMatch(/comp4_det_test_cat\.txt:2: expected 6 fields 'imageId score x1 y1 x2 y2', got 5/);
    e = thrown(() => parseDevkitResults('a 0.5 1 2 x 4', 'f'));
    expect(e.message).toMatch(/f:1: x2 must be a finite number, got "x"/);
    e = thrown(() => parseDevkitResults('a nan 1 2 3 4', 'f'));
    expect(e.message).toMatch(/score must be a finite number, got "nan"/);
    e = thrown(() => parseDevkitResults('\n\na 0.5 5 2 3 4', 'f'));
    expect(e.message).toMatch(/f:3: expected x1 ≤ x2 and y1 ≤ y2, got \(5, 2, 3, 4\)/);
    expect(thrown(() => parseDevkitResults('a 0.5 1 2 3 4 5', 'f')).message).toMatch(/got 7/);
  });
});

describe('YOLO label files', () => {
  it('parse, format and round-trip', async () => {
    const labels = parseYOLOLabels('0 0.5 0.5 0.25 0.125\n\n14 0.1 0.2 0.3 0.4\n', 'l.txt', { numClasses: 20 });
    expect(labels).toEqual([
      { classId: 0, box: [0.5, 0.5, 0.25, 0.125] },
      { classId: 14, box: [0.1, 0.2, 0.3, 0.4] },
    ]);
    expect(formatYOLOLabels(labels)).toBe('0 0.5 0.5 0.25 0.125\n14 0.1 0.2 0.3 0.4\n');
    expect(formatYOLOLabels(labels, { boxDigits: 6 })).toBe('0 0.500000 0.500000 0.250000 0.125000\n14 0.100000 0.200000 0.300000 0.400000\n');
    const dir = await mkdtemp(join(tmpdir(), 'yolo-'));
    await writeYOLOLabelFile(join(dir, 'a.txt'), labels);
    expect(await readYOLOLabelFile(join(dir, 'a.txt'))).toEqual(labels);
    await rm(dir, { recursive: true });
  });
  // the parser's rule (bad lines, the 6th field) is tested in test/node/data/yolo-labels.test.ts
});

describe('VOC split lists', () => {
  it('reads ids, and class lists with flags', () => {
    expect(parseVOCSplit('000001\n000002\r\n\n')).toEqual(['000001', '000002']);
    expect(parseVOCSplit('000001  1\n000002 -1\n000003  0\n')).toEqual(['000001', '000002', '000003']);
  });
  it('rejects extra fields, bad flags and duplicates', () => {
    expect(thrown(() => parseVOCSplit('a\nb 2\n', 's.txt')).message).toMatch(/s\.txt:2: expected 'imageId' or 'imageId flag'/);
    expect(thrown(() => parseVOCSplit('a\nb\na\n', 's.txt')).message).toMatch(/s\.txt:3: image id 'a' already listed on line 1/);
  });
});

// --- a small VOC folder on disk -------------------------------------------------------------------
const ann = (objects: VOCAnnotation['objects']): string => writeVOCAnnotation({ filename: 'x.jpg', size: { width: 100, height: 100, depth: 3 }, objects });
const obj = (name: string, box: [number, number, number, number], difficult = false): VOCAnnotation['objects'][number] => ({ name, box, difficult, truncated: false });

describe('evaluateVOCFolder', () => {
  let root: string;
  let voc: string;
  let res: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'vocfolder-'));
    voc = join(root, 'VOC2007');
    res = join(root, 'results');
    await mkdir(join(voc, 'Annotations'), { recursive: true });
    await mkdir(join(voc, 'ImageSets', 'Main'), { recursive: true });
    await mkdir(res);
    await writeFile(join(voc, 'ImageSets', 'Main', 'test.txt'), '000001\n000002\n000003\n');
    await writeFile(join(voc, 'Annotations', '000001.xml'), ann([obj('cat', [1, 1, 50, 50]), obj('dog', [60, 60, 90, 90], true)]));
    await writeFile(join(voc, 'Annotations', '000002.xml'), ann([obj('cat', [10, 10, 40, 40]), obj('unicorn', [1, 1, 5, 5])]));
    await writeFile(join(voc, 'Annotations', '000003.xml'), ann([]));
    await writeFile(join(voc, 'Annotations', 'bad.xml'), '<annotation><object><name>cat</name></object></annotation>');
    await writeFile(join(voc, 'ImageSets', 'Main', 'bad.txt'), 'bad\n');
    await writeFile(join(voc, 'Annotations', 'nan.xml'), ann([obj('cat', [1, 1, 5, 5])]).replace('<xmin>1</xmin>', '<xmin>one</xmin>'));
    await writeFile(join(voc, 'ImageSets', 'Main', 'nan.txt'), 'nan\n');
    // cat: TP (0.9), FP on an image without cats (0.8), TP (0.7), a line for an image outside the split
    await writeFile(join(res, 'comp4_det_test_cat.txt'), '000001 0.9 1 1 50 50\n000003 0.8 1 1 50 50\n000002 0.7 10 10 40 40\n999999 0.95 1 1 2 2\n');
    // dog: the only dog is difficult → detection ignored, class has no positives
    await writeFile(join(res, 'comp4_det_test_dog.txt'), '000001 0.6 60 60 90 90\n');
    await writeFile(join(res, 'comp4_det_test_horse.txt'), '000001 0.6 1 1 2 2\n');
  });
  afterAll(async () => {
    await rm(root, { recursive: true });
  });

  it('scores the folder like vocAP on the same data, with every skip counted', async () => {
    const r = await evaluateVOCFolder(res, voc, { classNames: ['cat', 'dog', 'bird'], unknownClasses: 'skip' });
    // cat: precision 1, 1/2, 2/3; recall 1/2, 1/2, 1 → 11-point: 6 points of 1, 5 of 2/3.
    expect(r.perClass[0].ap).toBe((6 + 5 * (2 / 3)) / 11);
    expect(r.perClass[1]).toMatchObject({ name: 'dog', ap: null, npos: 0, ignored: 1 });
    expect(r.perClass[2]).toMatchObject({ name: 'bird', ap: null, npos: 0 });
    expect(r.mAP).toBe(r.perClass[0].ap);
    expect(r.images).toBe(3);
    expect(r.groundTruths).toBe(3);
    expect(r.detections).toBe(4);
    expect(r.skippedObjects).toEqual({ unicorn: 1 });
    expect(r.skippedDetections).toEqual({ [join(res, 'comp4_det_test_cat.txt')]: 1 });
    expect(r.missingResultFiles).toEqual([join(res, 'comp4_det_test_bird.txt')]);
    expect(r.extraResultFiles).toEqual(['comp4_det_test_horse.txt']);
    // the same numbers as the in-memory call
    const direct = vocAP(
      [
        { imageId: '000001', classId: 0, box: [1, 1, 50, 50], score: 0.9 },
        { imageId: '000003', classId: 0, box: [1, 1, 50, 50], score: 0.8 },
        { imageId: '000002', classId: 0, box: [10, 10, 40, 40], score: 0.7 },
      ],
      [
        { imageId: '000001', classId: 0, box: [1, 1, 50, 50] },
        { imageId: '000002', classId: 0, box: [10, 10, 40, 40] },
      ],
    );
    expect(r.perClass[0].ap).toBe(direct.perClass[0].ap);
  });

  it('unknown class names are errors by default, naming the file', async () => {
    await expect(evaluateVOCFolder(res, voc, { classNames: ['cat', 'dog'] })).rejects.toThrow(/000002\.xml: unknown class name 'unicorn'/);
    await expect(evaluateVOCFolder(res, voc, { classNames: ['cat', 'dog'] })).rejects.toBeInstanceOf(FormatError);
  });

  it('missing files and bad XML are FormatErrors naming the file', async () => {
    await expect(evaluateVOCFolder(res, voc, { classNames: ['cat', 'dog', 'bird'], unknownClasses: 'skip', missingResults: 'error' })).rejects.toThrow(
      /missing result file .*comp4_det_test_bird\.txt/,
    );
    await expect(evaluateVOCFolder(res, voc, { split: 'val', classNames: ['cat'] })).rejects.toThrow(/cannot read .*val\.txt \(ENOENT\)/);
    await expect(evaluateVOCFolder(res, voc, { split: 'bad', classNames: ['cat'] })).rejects.toThrow(/bad\.xml: object 0 \('cat'\) has no <bndbox>/);
    await expect(evaluateVOCFolder(res, voc, { split: 'nan', classNames: ['cat'] })).rejects.toThrow(/nan\.xml: object 0 \('cat'\) <xmin> must be a number, got "one"/);
    await expect(evaluateVOCFolder(res, voc, { split: 'nan', classNames: ['cat'] })).rejects.toBeInstanceOf(FormatError);
  });

  it('an inverted result box (x2 < x1) is scored as voc_eval scores it, a false positive, with a warning naming file:line', async () => {
    const inv = join(root, 'inverted');
    await mkdir(inv);
    // cat, ranked: 0.95 inverted (x1 = 50 > x2 = 1) → FP; 0.9 TP on 000001; 0.7 TP on 000002. npos = 2.
    // precision 0, 1/2, 2/3 and recall 0, 1/2, 1: the envelope is 2/3 at each of the 11 points → AP = 2/3.
    await writeFile(join(inv, 'comp4_det_test_cat.txt'), '000001 0.95 50 1 1 50\n000001 0.9 1 1 50 50\n000002 0.7 10 10 40 40\n');
    const warnings: string[] = [];
    const r = await evaluateVOCFolder(inv, voc, { classNames: ['cat'], unknownClasses: 'skip', onWarning: (m) => warnings.push(m) });
    expect(r.perClass[0]).toMatchObject({ tp: 2, fp: 1, npos: 2 });
    expect(Array.from(r.perClass[0].precision)).toEqual([0, 1 / 2, 2 / 3]);
    expect(r.perClass[0].ap).toBeCloseTo(2 / 3, 15);
    const where = `${join(inv, 'comp4_det_test_cat.txt')}:1`;
    expect(r.invertedBoxes).toEqual([where]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(where);
    // the plain parser still refuses it
    expect(() => parseDevkitResults('000001 0.95 50 1 1 50', 'f')).toThrow(/f:1: expected x1 ≤ x2/);
  });

  it('unknown option keys and unreadable files are typed errors naming them (issue 18, items 5 and 10)', async () => {
    await expect(evaluateVOCFolder(res, voc, { clasNames: ['cat'] } as never)).rejects.toThrow(/evaluateVOCFolder: unknown option 'clasNames'.*'classNames'/);
    await expect(evaluateVOCFolder(res, voc, { unknownClasses: 'ignore' as never })).rejects.toBeInstanceOf(ValueError);
    const missing = join(root, 'nope', 'comp4_det_test_cat.txt');
    const e = await readDevkitResultFile(missing).catch((x) => x);
    expect(e).toBeInstanceOf(FormatError);
    expect(e.message).toMatch(/readDevkitResultFile: cannot read .*nope.*comp4_det_test_cat\.txt \(ENOENT\)/);
    const e2 = await readYOLOLabelFile(join(root, 'nope', 'a.txt')).catch((x) => x);
    expect(e2).toBeInstanceOf(FormatError);
    expect(e2.file).toBe(join(root, 'nope', 'a.txt'));
    await writeFile(join(voc, 'ImageSets', 'Main', 'gone.txt'), 'gone\n'); // listed, but no Annotations/gone.xml
    await expect(evaluateVOCFolder(res, voc, { split: 'gone', classNames: ['cat'] })).rejects.toThrow(/evaluateVOCFolder: cannot read .*gone\.xml \(ENOENT\)/);
  });

  it('writeDevkitResultFolder writes one file per class that evaluateVOCFolder reads back', async () => {
    const out = join(root, 'written');
    await mkdir(out);
    const paths = await writeDevkitResultFolder(out, [
      { imageId: '000001', classId: 0, box: [1, 1, 50, 50], score: 0.9 },
      { imageId: '000002', classId: 0, box: [10, 10, 40, 40], score: 0.7 },
    ], { classNames: ['cat', 'dog'] });
    expect(paths.map((p) => p.slice(out.length + 1))).toEqual(['comp4_det_test_cat.txt', 'comp4_det_test_dog.txt']);
    const r = await evaluateVOCFolder(out, voc, { classNames: ['cat', 'dog'], unknownClasses: 'skip' });
    expect(r.perClass[0].ap).toBe(1);
    expect(r.missingResultFiles).toEqual([]);
  });
});
