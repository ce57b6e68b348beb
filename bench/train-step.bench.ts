/**
 * One full SGD step of tinyYOLOv2 (VOC head: 5 anchors × 25 = 125 channels) at 416×416, batch 8, on the
 * best CPU backend available (wasm, with the training kernels of yolov2-ts/models installed).
 *
 *   npm run bench -- train-step
 *   BENCH_BACKENDS=wasm,cpu BENCH_STOCK=1 BENCH_SIZE=416 BENCH_BATCH=8 BENCH_ITERS=5 npm run bench -- train-step
 *
 * BENCH_KERNEL_HELPERS=0 starts wasm without the kernel helper threads (see initWasmBackend).
 * BENCH_STOCK=1 also times the stock kernels where they exist (cpu only: wasm has no Conv2DBackpropFilter).
 * Prints {"name":"train-step","backend",...,"inputSize","batch","medianMs"} per configuration.
 * BENCH_KERNELS=1 instead times single kernels, ours against the stock ones, on tiny-YOLOv2 layer shapes
 * at 416 (batch 1 for the convolutions, so that the stock cpu kernel finishes):
 * {"name":"train-step/kernel","kernel","backend","shape","stockMs","oursMs","speedup"}.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { LOSS_PRESETS, packTargets, TINY_VOC_ANCHORS, YOLOv2Loss } from '../src/index.js';
import { registerTrainingKernels, tinyYOLOv2, unregisterTrainingKernels } from '../src/models/index.js';
import { benchBackends, measure, report, useBackend } from './util.js';

/** The real loss: darknet's region layer on the VOC head (5 anchors, 20 classes). */
const loss = new YOLOv2Loss({ ...LOSS_PRESETS.darknet, anchors: TINY_VOC_ANCHORS, numClasses: 20 });
let benchTargets: tf.Tensor3D | null = null; // packed ground truth, 6 seeded objects per image

function randomTargets(batch: number): tf.Tensor3D {
  let seed = 12345;
  const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  return packTargets(Array.from({ length: batch }, () => Array.from({ length: 6 }, () => {
    const w = 0.05 + 0.5 * rand();
    const h = 0.05 + 0.5 * rand();
    return { classId: Math.floor(rand() * 20), box: [w / 2 + (1 - w) * rand(), h / 2 + (1 - h) * rand(), w, h] as [number, number, number, number] };
  })));
}

function benchLoss(output: tf.Tensor4D): tf.Scalar {
  return loss.compute(output, benchTargets as tf.Tensor3D).total;
}

function trainStep(model: tfl.LayersModel, optimizer: tf.Optimizer, x: tf.Tensor4D): void {
  const cost = optimizer.minimize(() => benchLoss(model.apply(x, { training: true }) as tf.Tensor4D), true);
  cost?.dataSync();
  cost?.dispose();
}

type KernelCase = { kernel: string; backend: string; shape: string; make: () => () => tf.Tensor };

/** Kernels called directly through the engine, on tiny-YOLOv2 layer shapes at 416 (batch 1). */
function kernelCases(): KernelCase[] {
  const run = (name: string, inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown>) => () =>
    tf.engine().runKernel(name, inputs as unknown as tf.NamedTensorMap, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
  const out: KernelCase[] = [];
  const convShapes: Array<[number[], number[]]> = [
    [[1, 208, 208, 16], [3, 3, 16, 32]],
    [[1, 13, 13, 1024], [3, 3, 1024, 1024]],
  ];
  // the stock cpu kernel needs ~1 min for the first shape under load and far longer for the second
  const backends = (process.env.BENCH_KERNEL_BACKENDS ?? 'cpu,wasm').split(',');
  for (const backend of backends) {
    for (const [x, f] of backend === 'cpu' ? convShapes.slice(0, 1) : convShapes) {
      const shape = `x[${x}] f[${f}] stride 1 same`;
      const attrs = { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', dimRoundingMode: undefined };
      const dyShape = [x[0], x[1], x[2], f[3]];
      out.push({
        kernel: 'Conv2DBackpropFilter', backend, shape,
        make: () => run('Conv2DBackpropFilter', { x: tf.randomNormal(x), dy: tf.randomNormal(dyShape) }, { ...attrs, filterShape: f }),
      });
      if (backend === 'wasm') {
        out.push({
          kernel: 'Conv2DBackpropInput', backend, shape,
          make: () => run('Conv2DBackpropInput', { dy: tf.randomNormal(dyShape), filter: tf.randomNormal(f) }, { ...attrs, inputShape: x }),
        });
      }
    }
  }
  if (!backends.includes('wasm')) return out;
  out.push({ kernel: 'Tile', backend: 'wasm', shape: '[1,1,1,16] → [8,416,416,16]', make: () => { const x = tf.randomNormal([1, 1, 1, 16]); return () => tf.tile(x, [8, 416, 416, 1]); } });
  out.push({
    kernel: 'MaxPoolGrad', backend: 'wasm', shape: 'x[8,416,416,16] 2×2/2 same',
    make: () => {
      const input = tf.randomNormal([8, 416, 416, 16]) as tf.Tensor4D;
      const output = tf.maxPool(input, 2, 2, 'same');
      return run('MaxPoolGrad', { dy: tf.randomNormal(output.shape), input, output }, { filterSize: 2, strides: 2, pad: 'same' });
    },
  });
  out.push({ kernel: 'Identity', backend: 'wasm', shape: '[8,416,416,16]', make: () => { const x = tf.randomNormal([8, 416, 416, 16]); return () => tf.clone(x); } });
  return out;
}

async function benchKernels(): Promise<void> {
  for (const c of kernelCases()) {
    await useBackend(c.backend);
    const fn = c.make();
    const time = async (iterations: number) =>
      // cpu and wasm kernels are synchronous: the result is complete when runKernel returns (no read-back timed)
      (await measure(() => fn().dispose(), { iterations, warmup: 1 })).medianMs;
    unregisterTrainingKernels();
    const noStock = c.backend === 'wasm' && c.kernel === 'Conv2DBackpropFilter';
    const stock = noStock ? null : await time(c.backend === 'cpu' ? 1 : 3);
    registerTrainingKernels();
    const ours = await time(3);
    unregisterTrainingKernels();
    report({
      name: 'train-step/kernel', kernel: c.kernel, backend: c.backend, shape: c.shape, stockMs: stock, oursMs: ours,
      speedup: stock === null ? null : Math.round((stock / ours) * 10) / 10,
      note: noStock ? 'no stock kernel on wasm' : c.kernel === 'MaxPoolGrad' ? 'the stock wasm MaxPoolGrad is also wrong' : undefined,
    });
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
      const x = tf.randomUniform([batch, inputSize, inputSize, 3]) as tf.Tensor4D;
      benchTargets = randomTargets(batch);
      const before = tf.memory().numTensors;
      const r = await measure(() => trainStep(model, optimizer, x), { iterations, warmup: 1 });
      const leaked = tf.memory().numTensors - before;
      report({ name: 'train-step', backend, kernels: mode, model: 'tinyYOLOv2', inputSize, batch, ...r, tensorGrowth: leaked, loss: 'YOLOv2Loss (darknet preset)' });
      tf.dispose([x, benchTargets as tf.Tensor3D]);
      benchTargets = null;
      optimizer.dispose();
      model.dispose();
      unregisterTrainingKernels();
    }
  }
}
