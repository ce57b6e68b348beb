/**
 * cocoAP on a COCO-val-sized synthetic set: 5,000 images, 80 classes, ~7 objects per image, ~1.2
 * detections per object plus false positives (seeded); once with ~20 and once with ~100 detections
 * per image. Pure JS: no backend involved. Target (issue 4): ≤ 2 s median.
 */
import { cocoAP } from '../src/index.js';
import { measureMs as measure, reportLine as report, syntheticEval } from './synthetic-eval.js';

export default async function (): Promise<void> {
  for (const fp of [10, 90]) {
    const { dets, gts } = syntheticEval({
      images: 5000, classes: 80, objectsPerImage: 7, detectionsPerObject: 1.2, falsePositivesPerImage: fp, crowdRate: 0.01,
      width: 640, height: 480, seed: 11,
    });
    let AP = 0;
    const m = await measure(() => { AP = cocoAP(dets, gts, { numClasses: 80 }).AP; }, { iterations: 5, warmup: 1 });
    report({
      name: `cocoAP ${Math.round(dets.length / 5000)} dets/image`, backend: 'js', ...m,
      images: 5000, groundTruths: gts.length, detections: dets.length, AP: Number(AP.toFixed(4)),
    });
  }
}
