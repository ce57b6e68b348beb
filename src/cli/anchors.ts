/**
 * `yolov2-ts anchors`: IoU k-means anchors for a dataset, in grid cells, as a darknet cfg line, with
 * the mean IoU of the boxes with their best anchor.
 *
 * @packageDocumentation
 */
import { Command } from 'commander';
import { type GlobalOptions, UsageError, int, progress, say } from './common.js';
import { letterboxedSizes, openSplit } from './dataset.js';

interface AnchorsOptions {
  data: string;
  k: number;
  size: number;
  stride: number;
  seed: number;
  json?: boolean;
}

/** The `anchors` subcommand. */
export function anchorsCommand(globals: () => GlobalOptions): Command {
  return new Command('anchors')
    .description('IoU k-means anchors of the training boxes (grid cells and a darknet cfg line)')
    .requiredOption('--data <file>', 'data config (.yaml or darknet .data)')
    .option('-k, --k <n>', 'number of anchors', int(1), 5)
    .option('--size <px>', 'network input size the boxes are letterboxed into', int(32), 416)
    .option('--stride <px>', 'output stride of the model (32 for tiny-YOLOv2 and YOLOv2)', int(1), 32)
    .option('--seed <n>', 'k-means seed', int(0), 0)
    .option('--json', 'print one JSON object')
    .addHelpText('after', '\nExample:\n  yolov2-ts anchors --data shapes/data.yaml -k 5 --size 128')
    .action(async (o: AnchorsOptions) => runAnchors(o, globals()));
}

async function runAnchors(o: AnchorsOptions, g: GlobalOptions): Promise<void> {
  if (o.size % o.stride !== 0) throw new UsageError(`--size ${o.size}: must be a multiple of --stride ${o.stride}`);
  const { dataset } = await openSplit(o.data, ['train', 'val', 'test']);
  const bar = progress('reading boxes', dataset.length, o.json ? { ...g, quiet: true } : g);
  const sizes = await letterboxedSizes(dataset, o.size, (d) => bar.tick(d));
  bar.stop();
  if (sizes.length < o.k) throw new UsageError(`--data ${o.data}: ${sizes.length} boxes, fewer than -k ${o.k}`);
  const grid = o.size / o.stride;
  const { kmeansAnchors } = await import('../kmeans.js');
  const km = kmeansAnchors(sizes, o.k, { seed: o.seed, units: 'grid', gridSize: grid });
  const fmt = (v: number) => Number(v.toFixed(4));
  const anchors = km.anchors.map(([w, h]) => [fmt(w), fmt(h)]);
  const cfg = `anchors = ${anchors.map(([w, h]) => `${w},${h}`).join(', ')}`;
  if (o.json) {
    process.stdout.write(`${JSON.stringify({ anchors, cfg, meanIoU: km.meanIoU, k: o.k, size: o.size, grid, boxes: sizes.length })}\n`);
    return;
  }
  say(g, `${sizes.length} boxes, input ${o.size} (grid ${grid}×${grid}), k = ${o.k}`);
  say(g, `anchors (grid cells): ${anchors.map(([w, h]) => `(${w}, ${h})`).join(' ')}`);
  say(g, cfg);
  say(g, `mean IoU ${km.meanIoU.toFixed(4)}`);
}
