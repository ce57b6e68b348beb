/**
 * Inference time per image at 416×416 for tinyYOLOv2 and yolov2 (VOC heads, 125 channels), batch 1,
 * on the backends of BENCH_BACKENDS (default wasm, the fastest CPU backend without tfjs-node).
 *
 *   npm run bench -- infer
 *   BENCH_BACKENDS=wasm,cpu BENCH_SIZE=416 BENCH_BATCH=1 BENCH_ITERS=5 npm run bench -- infer
 *
 * Prints {"name":"infer","backend","model","inputSize","batch","medianMs","msPerImage",...} per model.
 */
import * as tf from '@tensorflow/tfjs-core';
import { tinyYOLOv2, yolov2 } from '../src/models/index.js';
import { benchBackends, measure, report, useBackend } from './util.js';

export default async function (): Promise<void> {
  const inputSize = Number(process.env.BENCH_SIZE ?? 416);
  const batch = Number(process.env.BENCH_BATCH ?? 1);
  const iterations = Number(process.env.BENCH_ITERS ?? 5);
  for (const backend of benchBackends(['wasm'])) {
    await useBackend(backend);
    for (const [name, build] of [['tinyYOLOv2', tinyYOLOv2], ['yolov2', yolov2]] as const) {
      const model = build({ numClasses: 20, inputSize });
      const x = tf.randomUniform([batch, inputSize, inputSize, 3]);
      const r = await measure(
        () => {
          const y = model.predict(x) as tf.Tensor;
          y.dataSync();
          y.dispose();
        },
        { iterations, warmup: 1 },
      );
      report({ name: 'infer', backend, model: name, inputSize, batch, ...r, msPerImage: Math.round((r.medianMs / batch) * 10) / 10 });
      x.dispose();
      model.dispose();
    }
  }
}
