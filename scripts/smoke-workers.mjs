// Smoke test of the built data-parallel worker in plain Node (no tsx): start GradientWorkers from the
// ESM or CJS build and differentiate one micro-batch. Usage: node scripts/smoke-workers.mjs esm|cjs
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';

const kind = process.argv[2];
const require = createRequire(import.meta.url);
const load = (p) => (kind === 'cjs' ? require(`../dist/${p}.cjs`) : import(`../dist/${p}.js`));
const [lib, models, node] = await Promise.all([load('index'), load('models/index'), load('node/index')]);
await tf.setBackend('cpu');
const anchors = [[1, 1]];
const model = models.compactYOLOv2({ numClasses: 2, anchors, filters: [4, 8], neck: [4], passthrough: 4, localContrast: 3 });
const loss = new lib.YOLOv2Loss({ anchors, numClasses: 2 });
const pool = await node.GradientWorkers.start({ count: 1, model, lossConfig: loss.config });
const weights = model.trainableWeights.map((v) => v.read().dataSync());
const images = tf.randomUniform([2, 32, 32, 3], 0, 1, 'float32', 1);
const targets = lib.packTargets([[{ classId: 0, box: [0.5, 0.5, 0.3, 0.3] }], [{ classId: 1, box: [0.3, 0.6, 0.2, 0.4] }]]);
const r = await pool.compute(0, weights, images, targets, 0);
await pool.terminate();
if (r.grads.length !== weights.length || !r.terms.every(Number.isFinite) || !r.grads.every((g, i) => g.length === weights[i].length)) {
  console.error(`${kind}: unexpected worker result`, r.terms, r.grads.map((g) => g.length));
  process.exit(1);
}
console.log(`${kind} build: a gradient worker started and differentiated a micro-batch (loss ${r.terms[0].toFixed(3)})`);

// The kernel helper thread: a threaded wasm start runs one, and the Winograd kernels (128 channels) split
// their transforms with it; the input gradient of a convolution must match the cpu backend's.
const x = tf.randomUniform([2, 26, 26, 128], -1, 1, 'float32', 2);
const w = tf.randomUniform([3, 3, 128, 128], -0.1, 0.1, 'float32', 3);
const dy = tf.randomUniform([2, 26, 26, 128], -1, 1, 'float32', 4);
const inputGrad = (a, b, c) => tf.grad((v) => tf.sum(tf.mul(tf.conv2d(v, b, 1, 'same'), c)))(a);
const ref = inputGrad(x, w, dy).dataSync();
const init = await node.initWasmBackend(2);
models.registerTrainingKernels();
if (tf.getBackend() !== 'wasm' || init.threads !== 2 || init.kernelHelpers !== 1) {
  console.error(`${kind}: expected the wasm backend with 2 threads and 1 kernel helper, got`, tf.getBackend(), init);
  process.exit(1);
}
const onWasm = (t) => tf.tensor(t.dataSync(), t.shape);
const got = inputGrad(onWasm(x), onWasm(w), onWasm(dy)).dataSync();
const err = got.reduce((m, v, i) => Math.max(m, Math.abs(v - ref[i])), 0);
if (!(err < 1e-4)) {
  console.error(`${kind}: Winograd input gradient with a kernel helper differs from cpu by ${err}`);
  process.exit(1);
}
console.log(`${kind} build: a kernel helper thread started; a Winograd input gradient split with it matches cpu (max diff ${err.toExponential(1)})`);
