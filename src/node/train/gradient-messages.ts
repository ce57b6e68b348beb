/**
 * Messages between {@link GradientWorkers} and its worker threads.
 * @packageDocumentation
 * @internal
 */

import type { SerializedLoss } from './contracts.js';

/** What a worker is started with (`workerData`). @internal */
export interface WorkerInit {
  /** `model.toJSON(null, false)`: the layers topology, rebuilt with `tfl.models.modelFromJSON`. */
  modelTopology: unknown;
  /** The loss to rebuild (`LossLike.toConfig()`). */
  loss: SerializedLoss;
  /** The backend of the main thread: 'wasm' (started single-threaded in the worker) or 'cpu'. */
  backend: 'wasm' | 'cpu';
  /** Modules imported first (e.g. one that registers TF.js's gradients). */
  setup: string[];
}

/** One micro-batch to differentiate at the given weights. @internal */
export interface ComputeRequest {
  id: number;
  /** The trainable weights, in `model.trainableWeights` order. */
  weights: Float32Array[];
  images: Float32Array;
  imagesShape: [number, number, number, number];
  targets: Float32Array;
  targetsShape: [number, number, number];
  seenImages: number;
}

/** A worker's answer. @internal */
export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'result'; id: number; terms: number[]; grads: Float32Array[] }
  | { type: 'error'; id: number; message: string };
