/**
 * Detections of a trained model before and after foldBatchNorm, on synthetic scenes, on the backends
 * named (default wasm with its threads, and cpu): the folded model runs the inference convolutions of
 * the wasm backend (Winograd, the SIMD products), so its scores differ from the unfolded model's in the
 * last bits; the detections (class, box, score to 1e-4) must not.
 *
 *   npx tsx scripts/fold-detections.ts [modelDir=runs/demo/model] [images=32]
 *
 * The model folder needs model.json, weights.bin and meta.json (`anchors`, `classNames`, `inputSize`),
 * as `npm run demo` writes them. Prints one JSON line per backend and exits 1 if any detection differs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { decodeBoxes, postprocess, type Detection } from '../src/index.js';
import { generateSyntheticSample } from '../src/data/synthetic-scene.js';
import { foldBatchNorm } from '../src/models/index.js';
import { loadModel } from '../src/node/model-io.js';
import { initWasmBackend, logicalCores } from '../src/node/runtime/wasm-threads.js';

const dir = process.argv[2] ?? 'runs/demo/model';
const count = Number(process.argv[3] ?? 32);
const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as { anchors: [number, number][]; classNames: string[]; inputSize: number };
let differs = false;
for (const backend of (process.env.BACKENDS ?? 'wasm,cpu').split(',')) {
  if (backend === 'wasm') await initWasmBackend(logicalCores());
  else await tf.setBackend(backend);
  await tf.ready();
  const model = await loadModel(dir);
  const folded = foldBatchNorm(model);
  const n = meta.inputSize;
  const detect = (m: typeof model, x: tf.Tensor4D): Detection[][] => {
    const out = m.predict(x) as tf.Tensor4D;
    const d = decodeBoxes(out, { anchors: meta.anchors, numClasses: meta.classNames.length });
    const r = postprocess(d, { confThreshold: 0.25 });
    tf.dispose([out, d.boxes, d.objectness, d.classProbs, d.scores]);
    return r;
  };
  let detections = 0;
  let maxScoreDiff = 0;
  let maxBoxDiff = 0;
  let mismatches = 0;
  for (let i = 0; i < count; i++) {
    const { image } = generateSyntheticSample(1000 + i, { width: n, height: n });
    const x = tf.tidy(() => tf.div(tf.tensor4d(image.data, [1, n, n, 3], 'float32'), 255)) as tf.Tensor4D;
    const [a] = detect(model, x);
    const [b] = detect(folded, x);
    x.dispose();
    detections += a.length;
    if (a.length !== b.length || a.some((d, k) => d.classId !== b[k].classId)) {
      mismatches++;
      continue;
    }
    a.forEach((d, k) => {
      maxScoreDiff = Math.max(maxScoreDiff, Math.abs(d.score - b[k].score));
      d.box.forEach((v, j) => (maxBoxDiff = Math.max(maxBoxDiff, Math.abs(v - b[k].box[j]))));
    });
  }
  const same = mismatches === 0 && maxScoreDiff < 1e-4 && maxBoxDiff < 1e-4;
  differs ||= !same;
  console.log(JSON.stringify({ name: 'fold-detections', backend, model: dir, images: count, detections, mismatches, maxScoreDiff, maxBoxDiff, same }));
  folded.dispose();
  model.dispose();
}
process.exit(differs ? 1 : 0);
