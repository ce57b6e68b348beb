/**
 * The worker-thread side of data-parallel training ({@link GradientWorkers}): holds a replica of the
 * model and the loss, and for each request loads the weights it is sent, runs forward, loss and
 * gradients on the micro-batch it is sent, and posts the gradients back. Started by
 * `GradientWorkers.start`, never imported by user code.
 *
 * @packageDocumentation
 * @internal
 */
import { createRequire } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { DarknetBatchNorm, Reorg, registerTrainingKernels } from '../../models/index.js';
import type { ComputeRequest, WorkerInit, WorkerMessage } from './gradient-messages.js';
import { gradientsOf } from './compute-gradients.js';
import type { LossLike } from './contracts.js';
import { lossFromConfig } from './loss-config.js';
import { initWasmBackend } from '../runtime/wasm-threads.js';

const port = parentPort;
if (!port) throw new Error('yolov2-ts gradient-worker: must run in a worker thread');
const init = workerData as WorkerInit;

async function setUp(): Promise<{ model: tfl.LayersModel; loss: LossLike; vars: tf.Variable[] }> {
  const require = createRequire(import.meta.url);
  for (const specifier of init.setup) await import(specifier);
  // tfjs-core registers no gradients by itself. Its register_all_gradients module loads under tsx and
  // bundlers; in plain Node the union package @tensorflow/tfjs registers them when it is installed.
  if (tf.getGradient('Conv2D') === undefined) {
    try {
      require('@tensorflow/tfjs-core/dist/register_all_gradients');
    } catch {
      try {
        await import('@tensorflow/tfjs' as string);
      } catch {
        // reported below
      }
    }
  }
  if (tf.getGradient('Conv2D') === undefined) {
    throw new Error(`no TF.js gradients registered in the worker; pass 'workerSetup' with a module that registers them (e.g. '@tensorflow/tfjs')`);
  }
  if (init.backend === 'wasm') {
    await initWasmBackend(1);
  } else {
    require('@tensorflow/tfjs-backend-cpu');
    await tf.setBackend('cpu');
  }
  registerTrainingKernels();
  // registered here, not only at the models module's import: this script is bundled on its own, and
  // tree-shaking may drop a module-level registration it sees no use of
  tf.serialization.registerClass(DarknetBatchNorm);
  tf.serialization.registerClass(Reorg);
  const model = await tfl.models.modelFromJSON({ modelTopology: init.modelTopology } as never);
  const loss = lossFromConfig(init.loss);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  return { model, loss, vars };
}

function compute(replica: { model: tfl.LayersModel; loss: LossLike; vars: tf.Variable[] }, req: ComputeRequest): WorkerMessage {
  const { model, loss, vars } = replica;
  vars.forEach((v, i) => {
    const w = tf.tensor(req.weights[i], v.shape, 'float32');
    v.assign(w);
    w.dispose();
  });
  const images = tf.tensor4d(req.images, req.imagesShape);
  const targets = tf.tensor3d(req.targets, req.targetsShape);
  try {
    const { terms, grads } = gradientsOf(model, loss, { images, targets }, vars, req.seenImages);
    // copies: the cpu backend's dataSync hands out its own storage, which must not be transferred
    const out = vars.map((v) => (grads[v.name].dataSync() as Float32Array).slice());
    tf.dispose(Object.values(grads));
    return { type: 'result', id: req.id, terms, grads: out };
  } finally {
    tf.dispose([images, targets]);
  }
}

const ready = setUp();
ready.then(
  () => port.postMessage({ type: 'ready' } satisfies WorkerMessage),
  (e: unknown) => port.postMessage({ type: 'error', id: -1, message: e instanceof Error ? e.stack ?? e.message : String(e) } satisfies WorkerMessage),
);
port.on('message', (req: ComputeRequest) => {
  void ready.then((replica) => {
    let reply: WorkerMessage;
    try {
      reply = compute(replica, req);
    } catch (e) {
      reply = { type: 'error', id: req.id, message: e instanceof Error ? e.stack ?? e.message : String(e) };
    }
    port.postMessage(reply, reply.type === 'result' ? reply.grads.map((g) => g.buffer as ArrayBuffer) : []);
  });
});
