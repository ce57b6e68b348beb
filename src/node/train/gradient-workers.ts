/**
 * Data-parallel gradients on worker threads: each worker holds a replica of the model and the loss,
 * and differentiates the micro-batches it is sent at the weights it is sent. The trainer
 * ({@link train}'s `workers` option) keeps the optimizer and sends each step's weights along, so the
 * replicas never drift.
 *
 * Why: on the wasm backend much of a small-image training step is JavaScript (batch norm, im2col, the
 * loss) and small convolutions that XNNPACK's second thread barely speeds up; two single-threaded
 * replicas use both cores for all of it (docs/history.md has the measurements).
 *
 * @packageDocumentation
 */
import type { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { ValueError, YOLOv2Error } from '../../errors.js';
import type { ComputeRequest, WorkerInit, WorkerMessage } from './gradient-messages.js';
import type { SerializedLoss } from './contracts.js';
import type { YOLOv2LossConfig } from '../../loss/presets.js';
import { spawnWorker, workerScript } from '../runtime/worker-script.js';

/** What one worker sends back for one micro-batch. */
export interface WorkerGradients {
  /** total, coord, obj, noobj, cls. */
  terms: number[];
  /** One gradient per trainable weight, in `model.trainableWeights` order. */
  grads: Float32Array[];
}

/** Options of {@link GradientWorkers.start}. */
export interface GradientWorkersOptions {
  /** Worker threads to start (≥ 1). */
  count: number;
  /** The model to replicate (its topology; weights are sent with each request). */
  model: LayersModel;
  /** The loss to replicate, as a serialisable value (`loss.toConfig()`); this or `lossConfig`. */
  loss?: SerializedLoss;
  /** A `YOLOv2Loss` config to replicate (the same as `loss: { kind: 'yolov2', config }`). */
  lossConfig?: YOLOv2LossConfig;
  /**
   * Modules each worker imports before building its replica: specifiers resolvable from this package
   * or `file:` URLs. For what the worker cannot set up itself, e.g. TF.js's gradients in plain Node
   * without `@tensorflow/tfjs` installed.
   */
  setup?: string[];
  /** The worker script; default: `gradient-worker` next to this module (`.js`, `.cjs` or `.ts`). */
  workerFile?: string;
}

/** A pool of gradient workers; {@link GradientWorkers.terminate} it when done. */
export class GradientWorkers {
  private readonly pending = new Map<number, { resolve: (g: WorkerGradients) => void; reject: (e: Error) => void }>();
  private nextId = 0;
  private failure: Error | null = null;

  private constructor(private readonly workers: Worker[]) {
    for (const w of workers) {
      w.on('message', (m: WorkerMessage) => {
        if (m.type === 'ready') return;
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if (m.type === 'result') p.resolve({ terms: m.terms, grads: m.grads });
        else p.reject(new YOLOv2Error(`GradientWorkers: a worker failed on a micro-batch: ${m.message}`));
      });
      w.on('error', (e) => this.fail(new YOLOv2Error(`GradientWorkers: a worker crashed: ${e.stack ?? e.message}`)));
      w.on('exit', (code) => {
        if (code !== 0) this.fail(new YOLOv2Error(`GradientWorkers: a worker exited with code ${code}`));
      });
    }
  }

  /** Number of worker threads. */
  get count(): number {
    return this.workers.length;
  }

  /**
   * Start `count` workers on the main thread's backend (wasm, one XNNPACK thread each, or cpu) and
   * wait until each has built its replica.
   * @throws ValueError for a bad count or an unsupported backend; YOLOv2Error when a worker fails to start.
   */
  static async start(options: GradientWorkersOptions): Promise<GradientWorkers> {
    const { count, model } = options;
    const loss: SerializedLoss | undefined = options.loss ?? (options.lossConfig ? { kind: 'yolov2', config: options.lossConfig } : undefined);
    if (!loss) throw new ValueError(`GradientWorkers: 'loss' (a loss's toConfig()) or 'lossConfig' is required`);
    if (!Number.isInteger(count) || count < 1 || count > 16) {
      throw new ValueError(`GradientWorkers: 'count' must be an integer from 1 to 16, got ${String(count)}`);
    }
    const backend = tf.getBackend();
    if (backend !== 'wasm' && backend !== 'cpu') {
      throw new ValueError(`GradientWorkers: worker threads run the 'wasm' or 'cpu' backend; the active backend is '${backend}' (use one process: it is multi-threaded already)`);
    }
    const file = options.workerFile ?? workerScript('gradient-worker', 'GradientWorkers');
    const init: WorkerInit = { modelTopology: model.toJSON(null, false), loss, backend, setup: options.setup ?? [] };
    const workers = Array.from({ length: count }, () => spawnWorker(file, init));
    const started = workers.map(
      (w) =>
        new Promise<void>((resolve, reject) => {
          const onMessage = (m: WorkerMessage) => {
            if (m.type === 'ready') resolve();
            else if (m.type === 'error' && m.id === -1) reject(new YOLOv2Error(`GradientWorkers: a worker failed to start: ${m.message}`));
            else return;
            w.off('message', onMessage);
          };
          w.on('message', onMessage);
          w.once('error', (e) => reject(new YOLOv2Error(`GradientWorkers: a worker failed to start: ${e.message}`)));
        }),
    );
    try {
      await Promise.all(started);
    } catch (e) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw e;
    }
    return new GradientWorkers(workers);
  }

  /**
   * Differentiate one micro-batch on worker `index` at `weights` (one array per trainable weight, in
   * `model.trainableWeights` order; copied, the caller keeps them). The images and targets are read
   * from the tensors now, so the caller may dispose them as soon as this returns.
   */
  compute(index: number, weights: Float32Array[], images: tf.Tensor4D, targets: tf.Tensor3D, seenImages: number): Promise<WorkerGradients> {
    if (this.failure) return Promise.reject(this.failure);
    const worker = this.workers[index];
    if (!worker) return Promise.reject(new ValueError(`GradientWorkers.compute: 'index' must be 0…${this.workers.length - 1}, got ${index}`));
    const id = this.nextId++;
    const req: ComputeRequest = {
      id,
      weights: weights.map((w) => w.slice()),
      images: (images.dataSync() as Float32Array).slice(),
      imagesShape: images.shape as [number, number, number, number],
      targets: (targets.dataSync() as Float32Array).slice(),
      targetsShape: targets.shape as [number, number, number],
      seenImages,
    };
    return new Promise<WorkerGradients>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage(req, [...req.weights.map((w) => w.buffer as ArrayBuffer), req.images.buffer as ArrayBuffer, req.targets.buffer as ArrayBuffer]);
    });
  }

  /** Stop every worker (pending requests are rejected). */
  async terminate(): Promise<void> {
    this.fail(new YOLOv2Error('GradientWorkers: terminated'));
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private fail(e: Error): void {
    if (!this.failure) this.failure = e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }
}
