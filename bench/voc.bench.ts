/**
 * vocAP on a VOC-sized synthetic test set: 500 images, 20 classes, ~8 objects per image, ~1.2
 * detections per object plus 3 false positives per image (seeded). Pure JS: no backend involved.
 * Target (issue 4): ≤ 10 ms median (voc_eval.py: 190–560 ms on the same size).
 */
import { VOC_CLASSES, vocAP } from '../src/index.js';
import { measureMs as measure, reportLine as report, syntheticEval } from './synthetic-eval.js';

export default async function (): Promise<void> {
  const { dets, gts } = syntheticEval({
    images: 500, classes: 20, objectsPerImage: 8, detectionsPerObject: 1.2, falsePositivesPerImage: 3, difficultRate: 0.1, seed: 7,
  });
  for (const metric of ['voc07', 'voc2010'] as const) {
    let mAP = 0;
    const m = await measure(() => { mAP = vocAP(dets, gts, { classNames: VOC_CLASSES, metric }).mAP; }, { iterations: 100, warmup: 10 });
    report({ name: `vocAP ${metric}`, backend: 'js', ...m, images: 500, groundTruths: gts.length, detections: dets.length, mAP: Number(mAP.toFixed(4)) });
  }
}
