/**
 * `yolov2-ts detect`: run a detector folder on images (files, folders, globs); write one drawn image
 * per input, `detections.json`, and on request YOLO `.txt` labels and a COCO results file.
 *
 * @packageDocumentation
 */
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import { Command } from 'commander';
import { type GlobalOptions, UsageError, int, mustExist, num, progress, say, startBackend } from './common.js';

interface DetectOptions {
  model: string;
  conf?: number;
  iou?: number;
  max?: number;
  classes?: string;
  out: string;
  saveTxt?: boolean;
  saveCoco?: string;
  draw: boolean;
}

const IMAGE = /\.(jpe?g|png|bmp|webp|tiff?|gif)$/i;

/** The `detect` subcommand. */
export function detectCommand(globals: () => GlobalOptions): Command {
  return new Command('detect')
    .description('detect objects in images with a detector folder (model.json + yolov2.json)')
    .argument('<source...>', 'image files, folders or globs')
    .requiredOption('--model <dir>', 'detector folder (from train or convert)')
    .option('--conf <x>', 'score threshold (default: the detector\'s)', num(0, 1))
    .option('--iou <x>', 'NMS IoU threshold (default: the detector\'s)', num(0, 1))
    .option('--max <n>', 'most detections per image', int(1))
    .option('--classes <names>', 'only these classes (comma-separated names or ids)')
    .option('--out <dir>', 'output folder', 'runs/detect')
    .option('--save-txt', 'also write YOLO labels (class cx cy w h) to OUT/labels/<name>.txt')
    .option('--save-coco <file>', 'also write the detections as a COCO results file')
    .option('--no-draw', 'do not write the drawn images')
    .addHelpText('after', '\nExample:\n  yolov2-ts detect --model runs/train/best --out runs/detect shapes/images/val')
    .action(async (sources: string[], o: DetectOptions) => runDetect(sources, o, globals()));
}

/** Expand files, folders and globs into a sorted list of image files. */
export async function expandSources(sources: readonly string[]): Promise<string[]> {
  const { glob } = await import('tinyglobby');
  const files = new Set<string>();
  for (const s of sources) {
    if (/[*?{[]/.test(s)) {
      const hits = (await glob(s, { absolute: true })).filter((f) => IMAGE.test(f));
      if (hits.length === 0) throw new UsageError(`${s}: the pattern matches no image`);
      hits.forEach((f) => files.add(f));
      continue;
    }
    const st = await stat(s).catch(() => undefined);
    if (!st) throw new UsageError(`${s}: no such file or folder`);
    if (st.isDirectory()) {
      const hits = (await glob('*', { cwd: s, absolute: true })).filter((f) => IMAGE.test(f));
      hits.sort().forEach((f) => files.add(f));
    } else {
      files.add(resolve(s));
    }
  }
  return [...files];
}

async function runDetect(sources: string[], o: DetectOptions, g: GlobalOptions): Promise<void> {
  mustExist('--model', o.model, 'folder');
  const files = await expandSources(sources);
  if (files.length === 0) throw new UsageError(`${sources.join(' ')}: no images found`);
  await startBackend(g);
  const { decodeImage, loadDetector, writeCOCOResults, writeDetectionsPNG, writeYOLOLabels } = await import('../node/index.js');
  const detector = await loadDetector(o.model);
  const classes = o.classes?.split(',').map((c) => (/^\d+$/.test(c.trim()) ? Number(c) : c.trim()));
  const opts = { ...(o.conf !== undefined ? { confThreshold: o.conf } : {}), ...(o.iou !== undefined ? { iouThreshold: o.iou } : {}), ...(o.max ? { maxDetections: o.max } : {}), ...(classes ? { classes } : {}) };
  const out = resolve(o.out);
  await mkdir(out, { recursive: true });
  if (o.saveTxt) await mkdir(join(out, 'labels'), { recursive: true });
  const rows: Array<{ image: string; box: number[]; classId: number; className: string; score: number }> = [];
  const stems = new Set<string>();
  const bar = progress('detect', files.length, g);
  try {
    for (const [i, file] of files.entries()) {
      const image = await decodeImage(file);
      const dets = await detector.detect(image, opts);
      let stem = basename(file, extname(file));
      while (stems.has(stem)) stem += '_';
      stems.add(stem);
      for (const d of dets) rows.push({ image: file, box: d.box, classId: d.classId, className: d.className, score: d.score });
      if (o.draw) {
        await writeDetectionsPNG(join(out, `${stem}.png`), image, dets, { units: 'pixels', classNames: detector.meta.classNames });
      }
      if (o.saveTxt) await writeFile(join(out, 'labels', `${stem}.txt`), writeYOLOLabels(dets, image.width, image.height));
      bar.tick(i + 1);
    }
  } finally {
    bar.stop();
    detector.dispose();
  }
  await writeFile(join(out, 'detections.json'), JSON.stringify(rows, null, 1) + '\n');
  if (o.saveCoco) {
    const id = (f: string) => basename(f, extname(f));
    await writeCOCOResults(resolve(o.saveCoco), rows.map((r) => ({ imageId: id(r.image), classId: r.classId, box: r.box, score: r.score })));
  }
  say(g, `${rows.length} detections in ${files.length} images; wrote ${out}`);
}
