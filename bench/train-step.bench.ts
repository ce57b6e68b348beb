/**
 * One full SGD step of tinyYOLOv2 (VOC head: 5 anchors × 25 = 125 channels) at 416×416, batch 8, on the
 * best CPU backend available (wasm, with the training kernels of yolov2-ts/models installed).
 *
 *   npm run bench -- train-step
 *   BENCH_BACKENDS=wasm,cpu BENCH_STOCK=1 BENCH_SIZE=416 BENCH_BATCH=8 BENCH_ITERS=5 npm run bench -- train-step
 *
 * BENCH_STOCK=1 also times the stock kernels where they exist (cpu only: wasm has no Conv2DBackpropFilter).
 * Prints {"name":"train-step","backend",...,"inputSize","batch","medianMs"} per configuration.
 * BENCH_KERNELS=1 instead times single kernels, ours against the stock ones, on tiny-YOLOv2 layer shapes
 * at 416 (batch 1 for the convolutions, so that the stock cpu kernel finishes):
 * {"name":"train-step/kernel","kernel","backend","shape","stockMs","oursMs","speedup"}.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { registerTrainingKernels, tinyYOLOv2, unregisterTrainingKernels } from '../src/models/index.js';
import { benchBackends, measure, report, useBackend } from './util.js';

/**
 * Stand-in loss with the cost profile of the real one (a few passes over the head output): mean of
 * squared differences to a fixed target.
 */
// TODO(lead): switch to YOLOv2Loss(LOSS_PRESETS.darknet) at merge
function benchLoss(output: tf.Tensor4D, target: tf.Tensor4D): tf.Scalar {
  return tf.mean(tf.squaredDifference(output, target));
}

function trainStep(model: tfl.LayersModel, optimizer: tf.Optimizer, x: tf.Tensor4D, target: tf.Tensor4D): void {
  const cost = optimizer.minimize(() => benchLoss(model.apply(x, { training: true }) as tf.Tensor4D, target), true);
  cost?.dataSync();
  cost?.dispose();
}

type KernelCase = { kernel: string; backend: string; shape: string; run: () => tf.Tensor };

function kernelCases(): KernelCase[] {
  const conv = (x: number[], f: number[]) => {
    const xs = tf.randomNormal(x as [number, number, number, number]) as tf.Tensor4D;
    const fs = tf.randomNormal(f as [number, number, number, number]) as tf.Tensor4D;
    const dy = tf.randomNormal([x[0], x[1], x[2], f[3]]) as tf.Tensor4D;
    return { xs, fs, dy };
  };
  const out: KernelCase[] = [];
  for (const backend of ['cpu', 'wasm']) {
    for (const [x, f] of [
      [[1, 208, 208, 16], [3, 3, 16, 32]],
      [[1, 52, 52, 64], [3, 3, 64, 128]],
      [[1, 13, 13, 1024], [3, 3, 1024, 1024]],
    ]) {
      const shape = `x[${x}] f[${f}]`;
      out.push({
        kernel: 'Conv2DBackpropFilter', backend, shape,
        run: () => tf.tidy(() => { const { xs, dy } = conv(x, f); return tf.grad((w: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(xs, w as tf.Tensor4D, 1, 'same'), dy)))(tf.randomNormal(f)); }),
      });
      if (backend === 'wasm') {
        out.push({
          kernel: 'Conv2DBackpropInput', backend, shape,
          run: () => tf.tidy(() => { const { xs, fs, dy } = conv(x, f); return tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, fs, 1, 'same'), dy)))(xs); }),
        });
      }
    }
  }
  out.push({ kernel: 'Tile', backend: 'wasm', shape: '[1,1,1,16] → [8,416,416,16]', run: () => tf.tidy(() => tf.tile(tf.randomNormal([1, 1, 1, 16]), [8, 416, 416, 1])) });
  out.push({
    kernel: 'MaxPoolGrad', backend: 'wasm', shape: 'x[8,416,416,16] 2×2/2',
    run: () => tf.tidy(() => { const x = tf.randomNormal([8, 416, 416, 16]); const dy = tf.randomNormal([8, 208, 208, 16]); return tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, 2, 2, 'same'), dy)))(x); }),
  });
  return out;
}

async function benchKernels(): Promise<void> {
  for (const c of kernelCases()) {
    await useBackend(c.backend);
    const time = async () => (await measure(() => { const t = c.run(); t.dataSync(); t.dispose(); }, { iterations: 3, warmup: 1 })).medianMs;
    unregisterTrainingKernels();
    const stock = c.backend === 'wasm' && c.kernel === 'Conv2DBackpropFilter' ? null : await time();
    registerTrainingKernels();
    const ours = await time();
    unregisterTrainingKernels();
    // includes the random inputs and the forward op in both columns (same for both)
    report({ name: 'train-step/kernel', kernel: c.kernel, backend: c.backend, shape: c.shape, stockMs: stock, oursMs: ours, speedup: stock === null ? null : Math.round((stock / ours) * 10) / 10, note: 'measured under load; stock wasm MaxPoolGrad is also wrong' });
  }
}

export default async function (): Promise<void> {
  if (process.env.BENCH_KERNELS) return benchKernels();
  const inputSize = Number(process.env.BENCH_SIZE ?? 416);
  const batch = Number(process.env.BENCH_BATCH ?? 8);
  const iterations = Number(process.env.BENCH_ITERS ?? 5);
  const modes = process.env.BENCH_STOCK ? ['kernels', 'stock'] : ['kernels'];
  for (const backend of benchBackends(['wasm'])) {
    for (const mode of modes) {
      if (mode === 'stock' && backend === 'wasm') continue; // no stock Conv2DBackpropFilter on wasm
      await useBackend(backend);
      if (mode === 'kernels') registerTrainingKernels();
      else unregisterTrainingKernels();
      const model = tinyYOLOv2({ numClasses: 20, inputSize });
      const optimizer = tf.train.sgd(1e-4);
      const grid = inputSize / 32;
      const x = tf.randomUniform([batch, inputSize, inputSize, 3]) as tf.Tensor4D;
      const target = tf.randomNormal([batch, grid, grid, 125]) as tf.Tensor4D;
      const before = tf.memory().numTensors;
      const r = await measure(() => trainStep(model, optimizer, x, target), { iterations, warmup: 1 });
      const leaked = tf.memory().numTensors - before;
      report({ name: 'train-step', backend, kernels: mode, model: 'tinyYOLOv2', inputSize, batch, ...r, tensorGrowth: leaked, note: 'measured under load' });
      tf.dispose([x, target]);
      optimizer.dispose();
      model.dispose();
      unregisterTrainingKernels();
    }
  }
}
