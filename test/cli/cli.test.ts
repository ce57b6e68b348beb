/**
 * End-to-end: the real `yolov2-ts` command in child processes (from the sources, through tsx), on tiny
 * datasets written by `synth` in each format.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cocoAP } from '../../src/metrics/coco.js';
import { COCODataset, readCOCOResults } from '../../src/node/data/coco-json.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(ROOT, 'src', 'cli', 'index.ts');

interface Run { code: number; stdout: string; stderr: string }
function cli(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', CLI, '--backend', 'cpu', ...args], { cwd: ROOT, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}
const lines = (s: string) => s.split('\n').filter((l) => l.trim() !== '');

let dir: string;
const data = (format: string) => join(dir, format, 'data.yaml');
beforeAll(async () => {
  if (process.env.YOLOV2_TEST_BACKEND === 'wasm') return;
  dir = await mkdtemp(join(tmpdir(), 'cli-'));
  const made = await Promise.all(['yolo', 'coco', 'voc'].map((f) => cli('synth', '--out', join(dir, f), '--format', f, '--images', '8', '--val', '3', '--size', '64', '-q')));
  made.forEach((r) => expect(r.stderr).toBe(''));
}, 60_000);
afterAll(() => dir && rm(dir, { recursive: true, force: true }));

// The children always run on --backend cpu, so the wasm leg of the matrix would repeat the same work.
describe.skipIf(process.env.YOLOV2_TEST_BACKEND === 'wasm')('yolov2-ts', () => {
  it('synth writes each format with a data.yaml that the readers accept', async () => {
    expect((await readdir(join(dir, 'yolo', 'images', 'train'))).length).toBe(8);
    expect((await readdir(join(dir, 'yolo', 'labels', 'val'))).length).toBe(3);
    expect(existsSync(join(dir, 'voc', 'ImageSets', 'Main', 'val.txt'))).toBe(true);
    const coco = await COCODataset.open(join(dir, 'coco', 'annotations', 'train.json'), join(dir, 'coco', 'images', 'train'));
    expect(coco.length).toBe(8);
    expect(coco.classNames).toEqual(['rectangle', 'ellipse', 'triangle', 'cross']);
  });

  it('train, detect and eval in a row on the tiny datasets', async () => {
    const out = join(dir, 'run');
    const t = await cli('train', '--data', data('yolo'), '--size', '64', '--epochs', '2', '--batch', '4', '--width', '0.25', '--out', out, '--patience', '3', '-q');
    expect(t.stderr).toBe('');
    expect(t.code).toBe(0);
    for (const f of ['best/model.json', 'best/yolov2.json', 'last/weights.bin', 'checkpoint/ckpt-000000004.bin', 'results.png']) expect(existsSync(join(out, f)), f).toBe(true);
    const log = lines(await readFile(join(out, 'log.jsonl'), 'utf8')).map((l) => JSON.parse(l));
    // 8 images / batch 4 = 2 steps per epoch, 2 epochs; one evaluation after each epoch
    expect(log.filter((r) => r.type === 'step').map((r) => r.step)).toEqual([0, 1, 2, 3]);
    expect(log.filter((r) => r.type === 'eval').map((r) => r.epoch)).toEqual([1, 2]);

    const det = join(dir, 'det');
    const d = await cli('detect', '--model', join(out, 'best'), '--out', det, '--conf', '0', '--max', '3', '--save-txt', '--save-coco', join(det, 'coco.json'), join(dir, 'yolo', 'images', 'val'));
    expect(d.code).toBe(0);
    const rows = JSON.parse(await readFile(join(det, 'detections.json'), 'utf8'));
    expect(rows).toHaveLength(9); // 3 images × at most 3, and with threshold 0 every image has ≥ 3 candidates
    for (const r of rows) {
      expect(r.box[0]).toBeGreaterThanOrEqual(0);
      expect(r.box[2]).toBeLessThanOrEqual(64);
      expect(['rectangle', 'ellipse', 'triangle', 'cross']).toContain(r.className);
    }
    expect((await readdir(det)).filter((f) => f.endsWith('.png'))).toHaveLength(3);
    expect(lines(await readFile(join(det, 'labels', (await readdir(join(det, 'labels')))[0]), 'utf8'))).toHaveLength(3);
    expect(await readCOCOResults(join(det, 'coco.json'))).toHaveLength(9);

    for (const format of ['coco', 'voc']) {
      const e = await cli('eval', '--model', join(out, 'best'), '--data', data(format), '--json');
      expect(e.code, e.stderr).toBe(0);
      const j = JSON.parse(e.stdout);
      expect(j.split).toBe('val');
      expect(j.stats).toHaveLength(12);
      expect(j.mAP).toBeGreaterThanOrEqual(0);
      expect(Object.keys(j.perClass)).toEqual(['rectangle', 'ellipse', 'triangle', 'cross']);
    }
  }, 60_000);

  it('eval --coco-gt/--coco-dt gives the numbers of cocoAP on the same files; perfect results score 1', async () => {
    const gtFile = join(dir, 'coco', 'annotations', 'val.json');
    const gt = JSON.parse(await readFile(gtFile, 'utf8'));
    // the ground truth itself as results (score 1), plus one false positive on image 1 with a lower score
    const dt = gt.annotations.map((a: { image_id: number; category_id: number; bbox: number[] }) => ({ image_id: a.image_id, category_id: a.category_id, bbox: a.bbox, score: 1 }));
    dt.push({ image_id: 1, category_id: 1, bbox: [0, 0, 3, 3], score: 0.5 });
    const dtFile = join(dir, 'dt.json');
    await writeFile(dtFile, JSON.stringify(dt));
    const r = await cli('eval', '--coco-gt', gtFile, '--coco-dt', dtFile, '--json');
    expect(r.code, r.stderr).toBe(0);
    const { stats } = JSON.parse(r.stdout);
    // every object is found first-ranked at IoU 1: AP@[.5:.95], AP50 and AP75 are 1 (the FP ranks below every TP)
    expect(stats.slice(0, 3)).toEqual([1, 1, 1]);
    const ds = await COCODataset.open(gtFile, join(dir, 'coco', 'images', 'val'));
    expect(stats).toEqual(cocoAP(await readCOCOResults(dtFile, ds.categoryIds), ds.groundTruths(), { numClasses: 4 }).stats);
    const text = await cli('eval', '--coco-gt', gtFile, '--coco-dt', dtFile);
    expect(lines(text.stdout)[0]).toBe(' Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 1.000');
  }, 30_000);

  it('anchors prints k anchors, the cfg line and the mean IoU, the same for every format of the same data', async () => {
    const runs = await Promise.all(['yolo', 'coco', 'voc'].map((f) => cli('anchors', '--data', data(f), '-k', '3', '--size', '64', '--json')));
    const [y, c, v] = runs.map((r) => JSON.parse(r.stdout));
    expect(y.anchors).toHaveLength(3);
    expect(y.cfg).toBe(`anchors = ${y.anchors.map((a: number[]) => a.join(',')).join(', ')}`);
    expect(y.meanIoU).toBeGreaterThan(0);
    expect(y.meanIoU).toBeLessThanOrEqual(1);
    // VOC stores boxes as 1-based inclusive integers and COCO as x, y, w, h: the same boxes, so the same anchors
    expect(c.boxes).toBe(y.boxes);
    expect(v.boxes).toBe(y.boxes);
    expect(c.anchors).toEqual(y.anchors);
  }, 30_000);

  it('convert writes a detector folder from a cfg and darknet weights, which detect then runs', async () => {
    const { modelFromDarknetCfg, parseDarknetCfg, saveDarknetWeights } = await import('../../src/models/index.js');
    const cfg = `[net]\nwidth=64\nheight=64\nchannels=3\n[convolutional]\nbatch_normalize=1\nfilters=4\nsize=3\npad=1\nactivation=leaky\n[maxpool]\nsize=2\nstride=2\n[convolutional]\nfilters=${2 * (5 + 2)}\nsize=1\npad=1\nactivation=linear\n[region]\nanchors=1,1, 2,2\nclasses=2\nnum=2\ncoords=4\nsoftmax=1\n`;
    const built = modelFromDarknetCfg(parseDarknetCfg(cfg), { seed: 1 });
    await writeFile(join(dir, 'tiny.cfg'), cfg);
    await writeFile(join(dir, 'tiny.weights'), saveDarknetWeights(built.model));
    await writeFile(join(dir, 'tiny.names'), 'square\ncircle\n');
    built.model.dispose();
    const out = join(dir, 'converted');
    const r = await cli('convert', '--cfg', join(dir, 'tiny.cfg'), '--weights', join(dir, 'tiny.weights'), '--names', join(dir, 'tiny.names'), '--out', out, '--json');
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { files: string[]; meta: { classNames: string[]; inputSize: number[] } };
    expect(report.files).toContain('yolov2.json');
    expect(report.meta.classNames).toEqual(['square', 'circle']);
    expect(report.meta.inputSize).toEqual([64, 64]);
    const d = await cli('detect', '--model', out, '--conf', '0', '--out', join(dir, 'det-converted'), join(dir, 'yolo', 'images', 'val'));
    expect(d.code, d.stderr).toBe(0);
    const dets = JSON.parse(await readFile(join(dir, 'det-converted', 'detections.json'), 'utf8')) as Array<{ className: string }>;
    expect(dets.length).toBeGreaterThan(0);
    expect(['square', 'circle']).toContain(dets[0].className);
    const bad = await cli('convert', '--cfg', join(dir, 'tiny.cfg'), '--weights', join(dir, 'none.weights'), '--out', out);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--weights .*none\.weights: no such file/);
  });

  it('train --model X.cfg takes anchors and loss from [region] and starts from the first --layers N of --weights', async () => {
    const { modelFromDarknetCfg, parseDarknetCfg, saveDarknetWeights } = await import('../../src/models/index.js');
    // the synthetic shapes have 4 classes: the head has num·(classes + 5) = 2·9 = 18 filters
    const cfg = `[net]\nwidth=64\nheight=64\nchannels=3\n[convolutional]\nbatch_normalize=1\nfilters=4\nsize=3\npad=1\nactivation=leaky\n[maxpool]\nsize=2\nstride=2\n[convolutional]\nfilters=18\nsize=1\npad=1\nactivation=linear\n[region]\nanchors=1.5,1.5, 3,2.5\nbias_match=1\nclasses=4\nnum=2\ncoords=4\nsoftmax=1\n`;
    const built = modelFromDarknetCfg(parseDarknetCfg(cfg), { seed: 2 });
    await writeFile(join(dir, 'shapes.cfg'), cfg);
    await writeFile(join(dir, 'shapes.weights'), saveDarknetWeights(built.model));
    built.model.dispose();
    const out = join(dir, 'run-cfg');
    const t = await cli('train', '--data', data('yolo'), '--model', join(dir, 'shapes.cfg'), '--weights', join(dir, 'shapes.weights'), '--layers', '1',
      '--size', '64', '--epochs', '1', '--batch', '4', '--out', out, '-q');
    expect(t.code, t.stderr).toBe(0);
    const meta = JSON.parse(await readFile(join(out, 'best', 'yolov2.json'), 'utf8')) as { anchors: number[][] };
    expect(meta.anchors).toEqual([[1.5, 1.5], [3, 2.5]]);
    await writeFile(join(dir, 'three.cfg'), cfg.replace('classes=4', 'classes=3').replace('filters=18', 'filters=16'));
    const bad = await cli('train', '--data', data('yolo'), '--model', join(dir, 'three.cfg'), '--size', '64', '--out', join(dir, 'run-bad'));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/\[region\] classes=3, but --data has 4 names/);
  });

  it('every subcommand has --help; bad flags, missing files and bad configs exit 2 with one line naming them', async () => {
    const cmds = ['synth', 'train', 'detect', 'eval', 'anchors', 'convert', 'demo'];
    const helps = await Promise.all(cmds.map((c) => cli(c, '--help')));
    helps.forEach((h, i) => {
      expect(h.code).toBe(0);
      expect(h.stdout).toContain(`Usage: yolov2-ts ${cmds[i]}`);
    });
    await writeFile(join(dir, 'bad.yaml'), 'train: images\nnames: [a]\nepochs: 3\n');
    await writeFile(join(dir, 'bad.data'), 'classes = 3\ntrain = t.txt\nnames = ' + join(dir, 'yolo', 'data.yaml') + '\n');
    const cases: Array<[string[], RegExp]> = [
      [['train', '--data', join(dir, 'none.yaml')], /--data .*none\.yaml: no such file/],
      [['train', '--data', data('yolo'), '--epochs', 'two'], /--epochs <n>.*'two' is invalid/],
      [['detect', '--model', join(dir, 'run', 'best'), '--bogus', 'x.png'], /unknown option '--bogus'/],
      [['anchors', '--data', join(dir, 'bad.yaml')], /bad\.yaml: epochs: unknown key/],
      [['anchors', '--data', join(dir, 'bad.data')], /bad\.data:1: classes: is 3 but/],
      [['synth', '--out', join(dir, 'x'), '--format', 'kitti'], /--format .*'kitti' is invalid.*voc, yolo, coco/],
      [['eval', '--json'], /give one of: --model DIR --data FILE/],
      [['detect', '--model', join(dir, 'run', 'best'), join(dir, 'missing.png')], /missing\.png: no such file or folder/],
    ];
    const runs = await Promise.all(cases.map(([args]) => cli(...args)));
    runs.forEach((r, i) => {
      expect(r.code, cases[i][0].join(' ')).toBe(2);
      expect(lines(r.stderr), r.stderr).toHaveLength(1);
      expect(r.stderr).toMatch(cases[i][1]);
    });
    const verbose = await cli('anchors', '--data', join(dir, 'bad.yaml'), '--verbose');
    expect(verbose.code).toBe(2);
    expect(verbose.stderr).toMatch(/at .*data-config\.ts/);
  }, 60_000);
});
