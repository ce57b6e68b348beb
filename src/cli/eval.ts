/**
 * `yolov2-ts eval`, three modes: a detector folder on a data config (VOC07 and COCO numbers per class
 * and input size), devkit result files against a VOC folder, and COCO JSON results against COCO JSON
 * ground truth (pycocotools' 12 numbers). `--json` prints one JSON object.
 *
 * @packageDocumentation
 */
import { dirname, resolve } from 'node:path';
import { Command } from 'commander';
import { type GlobalOptions, UsageError, mustExist, oneOf, progress, say, startBackend } from './common.js';
import { openSplit } from './dataset.js';

interface EvalOptions {
  model?: string;
  data?: string;
  split?: 'train' | 'val' | 'test';
  sizes?: string;
  voc?: string;
  results?: string;
  metric: 'voc07' | 'voc2010';
  vocSplit: string;
  cocoGt?: string;
  cocoDt?: string;
  json?: boolean;
}

/** The `eval` subcommand. */
export function evalCommand(globals: () => GlobalOptions): Command {
  return new Command('eval')
    .description('evaluate: a detector on a dataset, devkit result files on VOC, or COCO JSON results')
    .option('--model <dir>', 'detector folder (with --data)')
    .option('--data <file>', 'data config (with --model)')
    .option('--split <split>', 'split of --data: train, val or test (default: val, else test)', oneOf('train', 'val', 'test'))
    .option('--sizes <list>', 'input sizes, comma-separated (default: the detector\'s)')
    .option('--voc <root>', 'VOC folder (with --results)')
    .option('--results <dir>', 'folder of devkit result files comp4_det_test_<class>.txt (with --voc)')
    .option('--metric <m>', 'voc07 (11-point) or voc2010 (all points)', oneOf('voc07', 'voc2010'), 'voc07')
    .option('--voc-split <name>', 'image set of --voc', 'test')
    .option('--coco-gt <file>', 'COCO annotation file (with --coco-dt)')
    .option('--coco-dt <file>', 'COCO results file (with --coco-gt)')
    .option('--json', 'print one JSON object')
    .addHelpText('after', '\nExamples:\n  yolov2-ts eval --model runs/train/best --data shapes/data.yaml\n  yolov2-ts eval --coco-gt instances_val.json --coco-dt results.json --json')
    .action(async (o: EvalOptions) => runEval(o, globals()));
}

async function runEval(o: EvalOptions, g: GlobalOptions): Promise<void> {
  const modes = [o.model || o.data ? 'model' : '', o.voc || o.results ? 'voc' : '', o.cocoGt || o.cocoDt ? 'coco' : ''].filter(Boolean);
  if (modes.length !== 1) throw new UsageError('give one of: --model DIR --data FILE, --voc ROOT --results DIR, --coco-gt FILE --coco-dt FILE');
  if (modes[0] === 'coco') return evalCOCO(o, g);
  if (modes[0] === 'voc') return evalVOC(o, g);
  return evalModel(o, g);
}

function need(flag: string, value: string | undefined, other: string): string {
  if (!value) throw new UsageError(`${flag} is needed with ${other}`);
  return value;
}

async function evalCOCO(o: EvalOptions, g: GlobalOptions): Promise<void> {
  const gtFile = mustExist('--coco-gt', need('--coco-gt', o.cocoGt, '--coco-dt'), 'file');
  const dtFile = mustExist('--coco-dt', need('--coco-dt', o.cocoDt, '--coco-gt'), 'file');
  const { cocoAP } = await import('../metrics/coco.js');
  const { COCODataset, readCOCOResults, formatCOCOSummary } = await import('../node/index.js');
  const gt = await COCODataset.open(gtFile, dirname(gtFile));
  const dets = await readCOCOResults(dtFile, gt.categoryIds);
  const r = cocoAP(dets, gt.groundTruths(), { numClasses: gt.classNames.length, classNames: gt.classNames });
  if (o.json) {
    const perClass = Object.fromEntries(r.perClass.map((c) => [gt.classNames[c.classId], c.ap]));
    process.stdout.write(`${JSON.stringify({ stats: r.stats, AP: r.AP, AP50: r.AP50, AP75: r.AP75, perClass, images: gt.images.length, detections: dets.length })}\n`);
    return;
  }
  say(g, formatCOCOSummary(r));
}

async function evalVOC(o: EvalOptions, g: GlobalOptions): Promise<void> {
  const root = mustExist('--voc', need('--voc', o.voc, '--results'), 'folder');
  const results = mustExist('--results', need('--results', o.results, '--voc'), 'folder');
  const { evaluateVOCFolder, formatVOCReport } = await import('../node/index.js');
  const r = await evaluateVOCFolder(results, root, { split: o.vocSplit, metric: o.metric });
  if (o.json) {
    const perClass = Object.fromEntries(r.perClass.map((c) => [c.name ?? String(c.classId), c.ap]));
    process.stdout.write(`${JSON.stringify({ mAP: r.mAP, metric: o.metric, perClass, images: r.images, detections: r.detections, missingResultFiles: r.missingResultFiles })}\n`);
    return;
  }
  say(g, formatVOCReport(r, { metric: o.metric }));
}

async function evalModel(o: EvalOptions, g: GlobalOptions): Promise<void> {
  const modelDir = mustExist('--model', need('--model', o.model, '--data'), 'folder');
  const dataFile = need('--data', o.data, '--model');
  const { dataset, split } = await openSplit(dataFile, o.split ? [o.split] : ['val', 'test', 'train']);
  await startBackend(g);
  const { evaluateDetector, formatCOCOSummary, formatInputSizeTable, formatVOCReport, loadDetector } = await import('../node/index.js');
  const detector = await loadDetector(resolve(modelDir));
  const { meta } = detector;
  if (meta.classNames.length !== dataset.classNames.length) {
    throw new UsageError(`--model ${modelDir} has ${meta.classNames.length} classes, --data ${dataFile} has ${dataset.classNames.length}`);
  }
  const sizes = o.sizes ? o.sizes.split(',').map(Number) : [meta.inputSize[0]];
  if (sizes.some((s) => !Number.isInteger(s) || s < 32 || s % 32 !== 0)) throw new UsageError(`--sizes ${o.sizes}: must be multiples of 32`);
  const bar = progress(`eval ${split}`, dataset.length * sizes.length, o.json ? { ...g, quiet: true } : g);
  let base = 0;
  try {
    const evals = await evaluateDetector(detector.model, dataset, {
      anchors: meta.anchors, numClasses: meta.classNames.length, sizes, vocMetric: o.metric,
      onProgress: (size, done) => {
        bar.tick(base + done, `${size} px`);
        if (done === dataset.length) base += done;
      },
    });
    bar.stop();
    const first = evals[0];
    if (o.json) {
      const perClass = Object.fromEntries(first.voc.perClass.map((c) => [meta.classNames[c.classId], c.ap]));
      const perSize = evals.map((e) => ({ size: e.size, mAP: e.voc.mAP, AP: e.coco.AP, stats: e.coco.stats }));
      process.stdout.write(`${JSON.stringify({ mAP: first.voc.mAP, metric: o.metric, perClass, stats: first.coco.stats, perSize, split, images: dataset.length })}\n`);
      return;
    }
    say(g, formatInputSizeTable(evals.map((e) => ({ size: e.size, ap50_95: e.coco.AP, ap50: e.voc.mAP }))));
    say(g, `\n# input ${first.size}, ${split} split, ${dataset.length} images\n${formatVOCReport(first.voc, { classNames: meta.classNames, metric: o.metric })}`);
    say(g, `\n${formatCOCOSummary(first.coco)}`);
  } finally {
    bar.stop();
    detector.dispose();
  }
}
