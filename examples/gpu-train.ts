/**
 * The full VOC training loop as the training records ran it, for a machine with a GPU:
 *
 *   YOLOv2 (Darknet-19 + passthrough), 416 base, multi-scale 320–608 (new size every 10 batches), batch 16
 *   (by gradient accumulation when memory is short), the training records' v2 loss (LOSS_PRESETS.recordsV2: ignore 0.7,
 *   object scale 5 → λ_obj 25), SGD momentum 0.9, weight decay 5e-4 on kernels only, lr 1e-3 with 5 linear
 *   warm-up epochs, MultiStep [60, 90, 110] γ 0.1, 120 epochs; VOC07 evaluation at every input size at the end.
 *
 * On a GPU box (CUDA and cuDNN as @tensorflow/tfjs-node-gpu requires):
 *
 *   npm install @tensorflow/tfjs-node-gpu
 *   npx tsx examples/gpu-train.ts --voc data/VOCdevkit/VOC2007 --voc data/VOCdevkit/VOC2012 \
 *       --test data/VOCdevkit/VOC2007 --out runs/voc
 *   npx tsx examples/gpu-train.ts ... --resume        # continue from runs/voc/checkpoint
 *
 * `selectBackend()` picks tfjs-node-gpu, then tfjs-node, then wasm (with the training kernels), then cpu,
 * and says which it got. On a CPU it runs, slowly (see the models docs for the speed of a step).
 * Options: --epochs, --batch (16), --micro (images per forward pass; batch/micro passes are accumulated),
 * --lr, --sizes 320,352,…, --max-steps N (stop early), --test-split (test), --train-split (trainval), --width.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { LOSS_PRESETS, packTargets, VOC_ANCHORS, VOC_CLASSES, YOLOv2Loss } from '../src/index.js';
import { registerTrainingKernels, yolov2 } from '../src/models/index.js';
import {
  BatchLoader, evaluateDetector, formatInputSizeTable, formatVOCReport, RECORDS_SCHEDULE, saveModel, selectBackend, train,
  trainerBatches, VOCDataset, writeLossCurvePNG, type DetectionDataset, type DetectionSample,
} from '../src/node/index.js';
import { registerGradients } from './gradients.js';

/** Options of {@link runVOCTraining}. */
export interface VOCTrainingOptions {
  /** VOC roots to train on (their `trainSplit` lists are concatenated). */
  voc: string[];
  /** VOC root to evaluate on (its `testSplit`), or none. */
  test?: string;
  trainSplit: string;
  testSplit: string;
  out: string;
  epochs: number;
  /** Images per optimizer step. */
  batch: number;
  /** Images per forward pass (batch must be a multiple). */
  micro: number;
  lr: number;
  sizes: number[];
  evalSizes: number[];
  widthMultiplier: number;
  maxSteps?: number;
  resume: boolean;
  progress: boolean;
}

export const RECORDS_VOC_TRAINING: Omit<VOCTrainingOptions, 'voc' | 'out'> = {
  trainSplit: 'trainval',
  testSplit: 'test',
  epochs: 120,
  batch: 16,
  micro: 16,
  lr: 1e-3,
  sizes: [320, 352, 384, 416, 448, 480, 512, 544, 576, 608],
  evalSizes: [320, 352, 384, 416, 448, 480, 512, 544, 576, 608],
  widthMultiplier: 1,
  resume: false,
  progress: true,
};

/** Several datasets as one (same class names). */
function concat(parts: DetectionDataset[]): DetectionDataset {
  const starts = parts.map((_, i) => parts.slice(0, i).reduce((n, p) => n + p.length, 0));
  return {
    length: parts.reduce((n, p) => n + p.length, 0),
    classNames: parts[0].classNames,
    get(index: number): Promise<DetectionSample> {
      let k = parts.length - 1;
      while (starts[k] > index) k--;
      return parts[k].get(index - starts[k]);
    },
  };
}

/** Train YOLOv2 on VOC as the training records did; returns the per-size evaluation (when `test` is given). */
export async function runVOCTraining(o: VOCTrainingOptions) {
  registerGradients();
  const { backend } = await selectBackend(undefined, { log: o.progress });
  registerTrainingKernels();
  if (o.batch % o.micro !== 0) throw new Error(`--batch (${o.batch}) must be a multiple of --micro (${o.micro})`);
  const out = resolve(o.out);
  await mkdir(out, { recursive: true });
  const data = concat(await Promise.all(o.voc.map((root) => VOCDataset.open(root, { imageSet: o.trainSplit }))));
  const anchors = VOC_ANCHORS;
  const model = yolov2({ numClasses: VOC_CLASSES.length, anchors, widthMultiplier: o.widthMultiplier });
  const loss = new YOLOv2Loss({ ...LOSS_PRESETS.recordsV2, anchors, numClasses: VOC_CLASSES.length });
  const loader = new BatchLoader(data, { batchSize: o.micro, sizes: o.sizes, sizeEvery: 10, seed: 0, onError: 'skip' });
  const accumulate = o.batch / o.micro;
  const stepsPerEpoch = Math.max(1, Math.floor(data.length / o.batch));
  const result = await train({
    model, loss, batches: trainerBatches(loader, packTargets), rng: loader, accumulate,
    epochs: o.epochs, stepsPerEpoch, maxSteps: o.maxSteps,
    schedule: { ...RECORDS_SCHEDULE, lr: o.lr },
    checkpointDir: join(out, 'checkpoint'), resume: o.resume,
    logFile: join(out, 'train-log.jsonl'), progress: o.progress,
  });
  await writeLossCurvePNG(join(out, 'loss.png'), result.history, `YOLOv2 on VOC (${backend})`);
  await saveModel(model, join(out, 'model'));
  let evals;
  if (o.test) {
    const testSet = await VOCDataset.open(o.test, { imageSet: o.testSplit });
    evals = await evaluateDetector(model, testSet, { anchors, numClasses: VOC_CLASSES.length, sizes: o.evalSizes, batchSize: o.micro });
    const table = formatInputSizeTable(evals.map((e) => ({ size: e.size, ap50_95: e.coco.AP, ap50: e.voc.mAP })));
    const at416 = evals.find((e) => e.size === 416) ?? evals[0];
    const text = `${table}\n\n${formatVOCReport(at416.voc, { classNames: VOC_CLASSES })}\n`;
    await writeFile(join(out, 'report.txt'), text);
    if (o.progress) console.log(`\n${text}`);
  }
  if (o.progress) console.log(`skipped samples: ${loader.stats.skipped.length}; skipped steps: ${result.skippedSteps}`);
  model.dispose();
  return { backend, result, evals, skippedSamples: loader.stats.skipped.length };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      voc: { type: 'string', multiple: true }, test: { type: 'string' }, out: { type: 'string' }, epochs: { type: 'string' },
      batch: { type: 'string' }, micro: { type: 'string' }, lr: { type: 'string' }, sizes: { type: 'string' },
      'max-steps': { type: 'string' }, resume: { type: 'boolean' }, 'train-split': { type: 'string' },
      'test-split': { type: 'string' }, width: { type: 'string' },
    },
  });
  if (!values.voc?.length) {
    console.error('usage: npx tsx examples/gpu-train.ts --voc <VOC root> [--voc …] [--test <VOC root>] [--out runs/voc] [--resume]');
    process.exit(2);
  }
  const n = (v: string | undefined, d: number) => (v === undefined ? d : Number(v));
  const sizes = values.sizes ? values.sizes.split(',').map(Number) : RECORDS_VOC_TRAINING.sizes;
  await runVOCTraining({
    ...RECORDS_VOC_TRAINING,
    voc: values.voc, test: values.test, out: values.out ?? 'runs/voc',
    trainSplit: values['train-split'] ?? 'trainval', testSplit: values['test-split'] ?? 'test',
    epochs: n(values.epochs, 120), batch: n(values.batch, 16), micro: n(values.micro, 16), lr: n(values.lr, 1e-3),
    sizes, evalSizes: sizes, maxSteps: values['max-steps'] ? Number(values['max-steps']) : undefined,
    widthMultiplier: n(values.width, 1), resume: values.resume ?? false,
  });
}
