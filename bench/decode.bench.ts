/**
 * `npm run bench -- decode`: decodeBoxes on B = 16, 13×13, A = 5, C = 20 (NHWC and NCHW), on each backend
 * of `benchBackends()`. Raw output as in the loss benchmark.
 */
import * as tf from '@tensorflow/tfjs-core';
import { VOC_ANCHORS } from '../src/anchors.js';
import { decodeBoxes } from '../src/index.js';
import { syntheticOutput } from './loss.bench.js';
import { benchBackends, measure, report, useBackend } from './util.js';

export default async function (): Promise<void> {
  const [B, G, A, C] = [16, 13, 5, 20];
  for (const backend of benchBackends()) {
    await useBackend(backend);
    const nhwc = tf.tensor4d(syntheticOutput(1, B, G, G, A, C), [B, G, G, A * (5 + C)]);
    const nchw = tf.transpose(nhwc, [0, 3, 1, 2]) as tf.Tensor4D;
    for (const [layout, output] of [['NHWC', nhwc], ['NCHW', nchw]] as const) {
      const spec = { anchors: VOC_ANCHORS, numClasses: C, layout };
      const before = tf.memory().numTensors;
      // Read one result back so lazy backends finish the work inside the timing.
      const r = await measure(() => {
        const d = decodeBoxes(output, spec);
        d.scores.dataSync();
        tf.dispose([d.boxes, d.objectness, d.classProbs, d.scores]);
      }, { iterations: 30, warmup: 5 });
      report({ name: `decode ${G}x${G} ${layout}`, backend, ...r, B, A, C, leaked: tf.memory().numTensors - before });
    }
    tf.dispose([nhwc, nchw]);
  }
}
