/**
 * `yolov2-ts synth`: the built-in synthetic shapes written as a dataset on disk (VOC, YOLO or COCO
 * layout) with a `data.yaml`, so every other command can be tried without downloading anything.
 *
 * @packageDocumentation
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import type { COCOAnnotationInput } from '../node/index.js';
import { type GlobalOptions, int, oneOf, progress, say } from './common.js';

interface SynthOptions {
  out: string;
  format: 'voc' | 'yolo' | 'coco';
  images: number;
  val?: number;
  size: number;
  seed: number;
}

/** The `synth` subcommand. */
export function synthCommand(globals: () => GlobalOptions): Command {
  return new Command('synth')
    .description('write the synthetic shapes dataset (train and val splits) with a data.yaml')
    .requiredOption('--out <dir>', 'output folder')
    .option('--format <format>', 'voc, yolo or coco', oneOf('voc', 'yolo', 'coco'), 'yolo')
    .option('--images <n>', 'training images', int(1), 200)
    .option('--val <n>', 'validation images (default: a quarter of --images, at least 1)', int(1))
    .option('--size <px>', 'image side in pixels', int(32), 128)
    .option('--seed <n>', 'random seed', int(0), 0)
    .addHelpText('after', '\nExample:\n  yolov2-ts synth --out shapes --format yolo --images 200 --size 128')
    .action(async (o: SynthOptions) => runSynth(o, globals()));
}

async function runSynth(o: SynthOptions, g: GlobalOptions): Promise<void> {
  const { SyntheticDataset, encodePNG, writeCOCOAnnotations, writeSyntheticVOC, writeYOLOLabels } = await import('../node/index.js');
  const out = resolve(o.out);
  const counts = { train: o.images, val: o.val ?? Math.max(1, Math.round(o.images / 4)) };
  const sets = {
    train: new SyntheticDataset({ seed: o.seed, length: counts.train, width: o.size }),
    val: new SyntheticDataset({ seed: o.seed + 1_000_003, length: counts.val, width: o.size }),
  };
  const names = [...sets.train.classNames];
  const bar = progress('synth', counts.train + counts.val, g);
  let done = 0;
  const splits: Record<string, unknown> = {};
  for (const split of ['train', 'val'] as const) {
    const ds = sets[split];
    if (o.format === 'voc') {
      await writeSyntheticVOC(out, ds, { imageSet: split });
      done += ds.length;
      bar.tick(done);
      splits[split] = split;
      continue;
    }
    await mkdir(join(out, 'images', split), { recursive: true });
    const coco: COCOAnnotationInput[] = [];
    if (o.format === 'yolo') await mkdir(join(out, 'labels', split), { recursive: true });
    for (let i = 0; i < ds.length; i++) {
      const s = ds.getSync(i);
      await writeFile(join(out, 'images', split, `${s.id}.png`), await encodePNG(s.image));
      if (o.format === 'yolo') await writeFile(join(out, 'labels', split, `${s.id}.txt`), writeYOLOLabels(s.objects, s.image.width, s.image.height));
      else coco.push({ id: i + 1, fileName: `${s.id}.png`, width: s.image.width, height: s.image.height, objects: s.objects });
      bar.tick(++done);
    }
    if (o.format === 'coco') {
      await mkdir(join(out, 'annotations'), { recursive: true });
      await writeCOCOAnnotations(join(out, 'annotations', `${split}.json`), coco, names);
      splits[split] = { annotations: `annotations/${split}.json`, images: `images/${split}` };
    } else {
      splits[split] = `images/${split}`;
    }
  }
  bar.stop();
  const yaml = [
    `# synthetic shapes, written by yolov2-ts synth (seed ${o.seed}, ${o.size} px)`,
    'path: .',
    `format: ${o.format}`,
    ...Object.entries(splits).map(([k, v]) => (typeof v === 'string' ? `${k}: ${v}` : `${k}:\n  annotations: ${(v as { annotations: string }).annotations}\n  images: ${(v as { images: string }).images}`)),
    `names: [${names.join(', ')}]`,
    '',
  ].join('\n');
  await writeFile(join(out, 'data.yaml'), yaml);
  say(g, `wrote ${counts.train} + ${counts.val} images (${o.format}) and ${join(out, 'data.yaml')}`);
}
