/**
 * The evaluation and the chart of `yolov2-ts train`: mAP@0.5 (VOC07) and AP@[.5:.95] on the
 * validation split at the training size, and `results.png` (loss terms, learning rate, mAP).
 *
 * @packageDocumentation
 */
import { writeFile } from 'node:fs/promises';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { DetectorMeta } from '../index.js';
import { type DetectionDataset, type StepRecord, evaluateDetector, lossCurveSpec, renderVegaLitePNG } from '../node/index.js';

/** One evaluation line of `log.jsonl`. */
export interface EvalRecord {
  type: 'eval';
  epoch: number;
  mAP50: number;
  AP: number;
  seconds: number;
}

/** Evaluate the model on `dataset` at the metadata's input size. */
export async function evaluateEpoch(model: LayersModel, meta: DetectorMeta, dataset: DetectionDataset, epoch: number): Promise<EvalRecord> {
  const [r] = await evaluateDetector(model, dataset, { anchors: meta.anchors, numClasses: meta.classNames.length, sizes: [meta.inputSize[0]] });
  return { type: 'eval', epoch, mAP50: r.voc.mAP, AP: r.coco.AP, seconds: r.seconds };
}

/** Write the loss curve with an mAP panel below it (when there are evaluations). */
export async function writeResultsChart(path: string, history: readonly StepRecord[], evals: readonly EvalRecord[]): Promise<void> {
  const spec: Record<string, unknown> = { ...lossCurveSpec(history, 'training'), resolve: { scale: { color: 'independent' } } };
  if (evals.length > 0) {
    const values = evals.flatMap((e) => [{ epoch: e.epoch, metric: 'mAP@0.5', value: e.mAP50 }, { epoch: e.epoch, metric: 'AP@[.5:.95]', value: e.AP }]);
    (spec.vconcat as unknown[]).push({
      width: 560, height: 160, data: { values },
      mark: { type: 'line', point: true, strokeWidth: 1.2 },
      encoding: {
        x: { field: 'epoch', type: 'quantitative', title: 'epoch' },
        y: { field: 'value', type: 'quantitative', title: 'validation', scale: { domain: [0, 1] } },
        color: { field: 'metric', type: 'nominal', title: 'metric' },
      },
    });
  }
  await writeFile(path, await renderVegaLitePNG(spec));
}
