/**
 * `yolov2-ts train`: train a model on a data config; evaluate mAP@0.5 on the validation split every
 * N epochs, keep `OUT/best/` and `OUT/last/` as detector folders and the resumable checkpoint in
 * `OUT/checkpoint/`, stop early after `--patience` evaluations without improvement, and write
 * `OUT/log.jsonl` and `OUT/results.png`.
 *
 * @packageDocumentation
 */
import { existsSync } from 'node:fs';
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { Anchor, DetectorMeta, YOLOv2LossConfig } from '../index.js';
import type { DetectionDataset, StepRecord, TrainOptions } from '../node/index.js';
import { type GlobalOptions, UsageError, int, mustExist, num, registerGradients, say, startBackend } from './common.js';
import { letterboxedSizes, openSplit } from './dataset.js';
import type { EvalRecord } from './train-eval.js';

type Models = typeof import('../models/index.js');

interface TrainCliOptions {
  data: string;
  model: string;
  weights?: string;
  layers?: number;
  width?: number;
  epochs: number;
  batch: number;
  size: number;
  lr: number;
  out: string;
  resume?: boolean;
  evalEvery: number;
  patience?: number;
  maxSteps?: number;
  anchors: number;
  augment: boolean;
  seed: number;
}

/** The `train` subcommand. */
export function trainCommand(globals: () => GlobalOptions): Command {
  return new Command('train')
    .description('train on a data config; keeps OUT/best and OUT/last detector folders, OUT/log.jsonl, OUT/results.png')
    .requiredOption('--data <file>', 'data config (.yaml or darknet .data)')
    .option('--model <name>', 'compact, tiny, yolov2 or a darknet .cfg file (its [region] gives anchors and loss)', 'compact')
    .option('--weights <file>', 'darknet .weights to start from (the whole model, or its first --layers N layers)')
    .option('--layers <n>', 'load only the first N layers of --weights', int(1))
    .option('--width <m>', 'width multiplier (default 0.5 for compact, 1 otherwise)', num(0.01, 4))
    .option('--epochs <n>', 'epochs', int(1), 30)
    .option('--batch <n>', 'images per step', int(1), 8)
    .option('--size <px>', 'input size (a multiple of 32)', int(32), 416)
    .option('--lr <x>', 'base learning rate', num(0, 10), 1e-2)
    .option('--out <dir>', 'output folder', 'runs/train')
    .option('--resume', 'continue from OUT/checkpoint')
    .option('--eval-every <n>', 'evaluate every N epochs (and after the last)', int(1), 1)
    .option('--patience <n>', 'stop after N evaluations without a better mAP', int(1))
    .option('--max-steps <n>', 'stop after N optimizer steps (a budget)', int(1))
    .option('--anchors <k>', 'number of k-means anchors', int(1), 5)
    .option('--no-augment', 'plain letterbox, no augmentation')
    .option('--seed <n>', 'data order and augmentation seed', int(0), 0)
    .addHelpText('after', '\nExample:\n  yolov2-ts train --data shapes/data.yaml --size 128 --epochs 20 --out runs/shapes')
    .action(async (o: TrainCliOptions) => runTrain(o, globals()));
}

function checkModelName(o: TrainCliOptions): void {
  if (o.model.endsWith('.cfg')) mustExist('--model', o.model, 'file');
  else if (!['compact', 'tiny', 'yolov2'].includes(o.model)) throw new UsageError(`--model ${o.model}: must be compact, tiny, yolov2 or a darknet .cfg file`);
}

/** A model from a darknet cfg: its [region] gives the anchors (grid cells) and the loss options. */
async function modelFromCfg(m: Models, o: TrainCliOptions, numClasses: number): Promise<{ model: LayersModel; anchors: Anchor[]; lossConfig: YOLOv2LossConfig }> {
  const cfg = m.parseDarknetCfg(await readFile(o.model, 'utf8'));
  const built = m.modelFromDarknetCfg(cfg, { inputSize: o.size, seed: o.seed });
  if (!built.region) {
    built.model.dispose();
    throw new UsageError(`--model ${o.model}: the cfg has no [region] section (a detector cfg is needed)`);
  }
  if (built.region.classes !== numClasses) {
    built.model.dispose();
    throw new UsageError(`--model ${o.model}: [region] classes=${built.region.classes}, but --data has ${numClasses} names (set classes and the last filters = num·(classes + 5))`);
  }
  const spec = m.regionDecodeOptions(built.region);
  return { model: built.model, anchors: spec.anchors.map(([w, h]) => [w, h] as Anchor), lossConfig: m.regionLossOptions(built.region) };
}

function buildModel(m: Models, o: TrainCliOptions, numClasses: number, anchors: readonly Anchor[]): LayersModel {
  const { compactYOLOv2, tinyYOLOv2, yolov2 } = m;
  const widthMultiplier = o.width ?? (o.model === 'compact' ? 0.5 : 1);
  if (o.model === 'compact') return compactYOLOv2({ numClasses, anchors, widthMultiplier });
  if (o.model === 'tiny') return tinyYOLOv2({ numClasses, anchors, widthMultiplier });
  return yolov2({ numClasses, anchors, widthMultiplier });
}

async function runTrain(o: TrainCliOptions, g: GlobalOptions): Promise<void> {
  checkModelName(o);
  if (o.size % 32 !== 0) throw new UsageError(`--size ${o.size}: must be a multiple of 32`);
  if (o.layers !== undefined && !o.weights) throw new UsageError('--layers: goes with --weights (the first N layers of that file are loaded)');
  if (o.weights) mustExist('--weights', o.weights, 'file');
  const { config, dataset: trainSet } = await openSplit(o.data, ['train']);
  const { openDataset } = await import('../node/data/data-config.js');
  const valSet = config.splits.val ? await openDataset(config, 'val') : undefined;
  const names = config.names;
  await startBackend(g);
  await registerGradients();
  const models = await import('../models/index.js');
  const { initObjectnessPrior, loadDarknetWeights, outputStride } = models;
  models.registerTrainingKernels();
  const { kmeansAnchors } = await import('../kmeans.js');
  const out = resolve(o.out);
  await mkdir(out, { recursive: true });

  let model: LayersModel;
  let anchors: Anchor[];
  let lossConfig: YOLOv2LossConfig | undefined;
  if (o.model.endsWith('.cfg')) {
    ({ model, anchors, lossConfig } = await modelFromCfg(models, o, names.length));
  } else {
    // the anchor count fixes the model; its stride sets the grid the k-means anchors are measured in
    const probe = buildModel(models, o, names.length, Array.from({ length: o.anchors }, () => [1, 1] as Anchor));
    const stride = outputStride(probe);
    probe.dispose();
    const sizes = await letterboxedSizes(trainSet, o.size);
    if (sizes.length < o.anchors) throw new UsageError(`--data ${o.data}: ${sizes.length} training boxes, fewer than --anchors ${o.anchors}`);
    anchors = kmeansAnchors(sizes, o.anchors, { seed: o.seed, units: 'grid', gridSize: o.size / stride }).anchors.map(([w, h]) => [w, h] as Anchor);
    model = buildModel(models, o, names.length, anchors);
  }
  if (o.weights) loadDarknetWeights(model, await readFile(o.weights), o.layers !== undefined ? { layers: o.layers } : undefined);
  else initObjectnessPrior(model, names.length, 0.01);
  const meta: DetectorMeta = {
    format: 'yolov2-ts/detector', version: 1, inputSize: [o.size, o.size], classNames: [...names], anchors, layout: 'NHWC', letterbox: 'round',
    pixelScale: 255, postprocess: { confThreshold: 0.25, iouThreshold: 0.45, maxDetections: 100 }, source: `yolov2-ts train --model ${o.model}`,
  };
  try {
    await trainLoop(o, g, { model, meta, trainSet, valSet, out, ...(lossConfig ? { lossConfig } : {}) });
  } finally {
    model.dispose();
  }
}

async function trainLoop(
  o: TrainCliOptions, g: GlobalOptions,
  ctx: { model: LayersModel; meta: DetectorMeta; trainSet: DetectionDataset; valSet?: DetectionDataset; out: string; lossConfig?: YOLOv2LossConfig },
): Promise<void> {
  const { model, meta, trainSet, valSet, out } = ctx;
  const { LOSS_PRESETS, YOLOv2Loss, packTargets } = await import('../index.js');
  const { BatchLoader, saveDetector, train, trainerBatches } = await import('../node/index.js');
  const { evaluateEpoch, writeResultsChart } = await import('./train-eval.js');
  const logFile = join(out, 'log.jsonl');
  const prior = o.resume && existsSync(logFile) ? (await readFile(logFile, 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
  if (!o.resume) await writeFile(logFile, '');
  const history: StepRecord[] = prior.filter((r) => r.type === 'step');
  const evals: EvalRecord[] = prior.filter((r) => r.type === 'eval');
  const loss = new YOLOv2Loss(ctx.lossConfig ?? { ...LOSS_PRESETS.darknet, objTarget: 'one', anchors: meta.anchors, anchorUnits: 'grid', numClasses: meta.classNames.length });
  const loader = new BatchLoader(trainSet, { batchSize: o.batch, sizes: [o.size], seed: o.seed, ...(o.augment ? {} : { augment: false }) });
  const stepsPerEpoch = Math.max(1, Math.ceil(trainSet.length / o.batch));
  // mAP@0.5 on the validation split; the resumed run's evaluations (from log.jsonl) seed the best score and patience
  const evaluate: TrainOptions['evaluate'] = valSet && {
    every: o.evalEvery, past: evals.map((e) => e.mAP50), ...(o.patience !== undefined ? { patience: o.patience } : {}),
    run: async ({ epoch }) => {
      const rec = await evaluateEpoch(model, meta, valSet, epoch);
      evals.push(rec);
      await appendFile(logFile, `${JSON.stringify(rec)}\n`);
      say(g, `epoch ${epoch}: mAP@0.5 ${rec.mAP50.toFixed(4)}, AP@[.5:.95] ${rec.AP.toFixed(4)} on ${valSet.length} val images`);
      return rec.mAP50;
    },
    onBest: () => saveDetector(model, meta, join(out, 'best')),
  };
  const result = await train({
    model, loss, batches: trainerBatches(loader, packTargets), rng: loader, epochs: o.epochs, stepsPerEpoch,
    schedule: { lr: o.lr, warmup: { epochs: Math.min(1, 0.05 * o.epochs), mode: 'burn-in' }, decay: { type: 'cosine', epochs: o.epochs, minLr: o.lr * 0.02 } },
    checkpointDir: join(out, 'checkpoint'), resume: o.resume ?? false, progress: !g.quiet, ...(o.maxSteps ? { maxSteps: o.maxSteps } : {}),
    onStep: (r) => {
      history.push(r);
      void appendFile(logFile, `${JSON.stringify({ type: 'step', ...r })}\n`);
    },
    onEpochEnd: async () => {
      await saveDetector(model, meta, join(out, 'last'));
      if (!valSet) await saveDetector(model, meta, join(out, 'best'));
    },
    ...(evaluate ? { evaluate } : {}),
  });
  const stopped = result.stoppedEarly ? ` (stopped early: no better mAP in ${result.stoppedEarly.stale} evaluations)` : '';
  if (!existsSync(join(out, 'last', 'model.json'))) await saveDetector(model, meta, join(out, 'last'));
  if (!existsSync(join(out, 'best', 'model.json'))) await saveDetector(model, meta, join(out, 'best'));
  await writeResultsChart(join(out, 'results.png'), history, evals);
  const bestText = evals.length ? `best mAP@0.5 ${Math.max(...evals.map((e) => e.mAP50)).toFixed(4)}` : 'no evaluation';
  say(g, `${history.length} steps${stopped}; ${bestText}; wrote ${out}/{best,last,checkpoint,log.jsonl,results.png}`);
}
