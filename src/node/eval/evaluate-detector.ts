/**
 * Evaluate a detector on a dataset at one or more input sizes, as the training records do: each size
 * is a centred letterbox of every image (no augmentation), detections are decoded, thresholded and
 * NMS-ed (`postprocess`), mapped back to the source image's pixels, and scored with `vocAP` (VOC07
 * 11-point at IoU 0.5 by default) and `cocoAP` (AP@[.50:.95]).
 *
 * Boxes are compared as continuous pixel corners of the source image (no +1): exact for synthetic data
 * and YOLO labels. To reproduce the VOC devkit's pixel-inclusive numbers on VOC itself, write devkit
 * result files and use `evaluateVOCFolder`.
 *
 * @packageDocumentation
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { Anchor, AnchorUnits } from '../../anchors.js';
import { decodeBoxes } from '../../head/decode.js';
import { cocoAP } from '../../metrics/coco.js';
import type { COCOAPResult } from '../../metrics/coco.js';
import type { DetectionBox, GroundTruthBox } from '../../metrics/types.js';
import type { VOCAPResult } from '../../metrics/voc.js';
import { vocAP } from '../../metrics/voc.js';
import { postprocessAsync } from '../../head/postprocess.js';
import { canFoldBatchNorm, foldBatchNorm } from '../../models/fold-batch-norm.js';
import { assertKnownKeys, assertNumber } from '../../validate.js';
import { batchImagesTensor, canvasBoxToSource, evalBatches, type BatchStats } from '../data/batches.js';
import type { DetectionDataset } from '../data/datasets.js';

/** Options of {@link evaluateDetector}. */
export interface EvaluateDetectorOptions {
  /** The head's anchors and their units (as given to the loss). */
  anchors: readonly Anchor[];
  anchorUnits?: AnchorUnits;
  numClasses: number;
  /** Input sizes to evaluate at (multiples of 32), e.g. `[320, 352, …, 608]`. */
  sizes: readonly number[];
  /** Images per forward pass, default 8. */
  batchSize?: number;
  /** Candidate threshold on objectness · class probability, default 0.005 (darknet's for mAP). */
  confThreshold?: number;
  /** NMS IoU threshold, default 0.45. */
  iouThreshold?: number;
  /** Detections kept per image, default 100. */
  maxDetections?: number;
  /**
   * Candidates per box: `false` (default) its best class only; `true` every class whose score is above
   * `confThreshold`, as the training records' post-processing does (`postprocess`'s `multiLabel`).
   */
  multiLabel?: boolean;
  /** `'voc07'` (default, as the training records) or `'voc2010'`. */
  vocMetric?: 'voc07' | 'voc2010';
  /**
   * Run a copy with the batch norms folded into the convolutions (`foldBatchNorm`: the same outputs up to
   * float32 rounding, faster), disposed at the end; default true (models with nothing to fold run as
   * given). `false`: always run `model` as given.
   */
  fold?: boolean;
  /** Called after every batch with the size and the number of images done. */
  onProgress?: (size: number, imagesDone: number, imagesTotal: number) => void;
  /** Image batches to re-estimate the batch-norm statistics from first (`recalibrateBatchNorm` of yolov2-ts/models; changes the model; not disposed). */
  recalibrateBatchNorm?: readonly tf.Tensor[];
}

const EVALUATE_DETECTOR_KEYS = [
  'anchors', 'anchorUnits', 'numClasses', 'sizes', 'batchSize', 'confThreshold', 'iouThreshold', 'maxDetections', 'multiLabel',
  'vocMetric', 'onProgress', 'fold', 'recalibrateBatchNorm',
] as const;

/** The result at one input size. */
export interface SizeEvaluation {
  size: number;
  /** VOC AP at IoU 0.5 (`voc.mAP` is the training records' "ap50"). */
  voc: VOCAPResult;
  /** COCO AP (`coco.AP` is the training records' "ap50_95"). */
  coco: COCOAPResult;
  /** Every detection, in source-image pixels. */
  detections: DetectionBox[];
  /** The ground truth as evaluated, in source-image pixels. */
  groundTruths: GroundTruthBox[];
  /** Counters of the evaluation pass (skipped samples, clipped boxes). */
  stats: BatchStats;
  seconds: number;
}

/** Run the detector over `dataset` at each size and score it (with its batch norms folded unless `fold: false`). */
export async function evaluateDetector(model: LayersModel, dataset: DetectionDataset, options: EvaluateDetectorOptions): Promise<SizeEvaluation[]> {
  assertKnownKeys('evaluateDetector', 'options', options, EVALUATE_DETECTOR_KEYS);
  if (options.recalibrateBatchNorm) (await import('../../models/recalibrate-batch-norm.js')).recalibrateBatchNorm(model, options.recalibrateBatchNorm);
  const net = options.fold !== false && canFoldBatchNorm(model) ? foldBatchNorm(model) : model;
  try {
    return await evaluateSizes(net, dataset, options);
  } finally {
    if (net !== model) net.dispose();
  }
}

async function evaluateSizes(model: LayersModel, dataset: DetectionDataset, options: EvaluateDetectorOptions): Promise<SizeEvaluation[]> {
  const fn = 'evaluateDetector';
  const { anchors, anchorUnits = 'grid', numClasses, sizes, batchSize = 8, confThreshold = 0.005, iouThreshold = 0.45, maxDetections = 100, multiLabel = false, vocMetric = 'voc07' } = options;
  assertNumber(fn, 'numClasses', numClasses, { min: 1, integer: true });
  sizes.forEach((s, i) => assertNumber(fn, `sizes[${i}]`, s, { min: 32, integer: true }));
  const results: SizeEvaluation[] = [];
  for (const size of sizes) {
    const t0 = performance.now();
    const detections: DetectionBox[] = [];
    const groundTruths: GroundTruthBox[] = [];
    const stats = { images: 0, skipped: [], readerClippedBoxes: 0 } as unknown as BatchStats;
    let done = 0;
    for await (const batch of evalBatches(dataset, { size, batchSize, stats })) {
      const x = batchImagesTensor(batch);
      const out = model.predict(x) as tf.Tensor4D;
      const perImage = decodeBoxes(out, { anchors, anchorUnits, numClasses });
      tf.dispose([x, out]);
      try {
        const dets = await postprocessAsync(perImage, { confThreshold, iouThreshold, maxDetections, multiLabel });
        dets.forEach((list, b) => {
          const imageId = batch.ids[b];
          const params = batch.params[b];
          for (const d of list) detections.push({ imageId, classId: d.classId, score: d.score, box: canvasBoxToSource(d.box, params) });
          batch.annotations[b].forEach((a, k) => {
            const [cx, cy, w, h] = a.box;
            const box = canvasBoxToSource([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], params);
            groundTruths.push({ imageId, classId: a.classId, box, difficult: batch.difficult[b][k] });
          });
        });
      } finally {
        tf.dispose([perImage.boxes, perImage.objectness, perImage.classProbs, perImage.scores]);
      }
      done += batch.ids.length;
      options.onProgress?.(size, done, dataset.length);
    }
    const classNames = [...dataset.classNames];
    const voc = vocAP(detections, groundTruths, { metric: vocMetric, pixelConvention: 'continuous', numClasses, classNames });
    const coco = cocoAP(detections, groundTruths.filter((g) => !g.difficult), { numClasses });
    results.push({ size, voc, coco, detections, groundTruths, stats, seconds: (performance.now() - t0) / 1000 });
  }
  return results;
}
