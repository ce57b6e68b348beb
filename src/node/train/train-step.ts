/**
 * One optimizer step's gradients: the micro-batches of the step fetched, differentiated on this thread
 * or on the gradient workers, and averaged. Nothing is applied here (the guard decides, then the
 * optimizer steps); every tensor is freed on every path, the error paths included.
 *
 * @packageDocumentation
 * @internal
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { Batch, BatchSource, LossLike } from './contracts.js';
import { gradientsOf } from './compute-gradients.js';
import type { GradientWorkers, WorkerGradients } from './gradient-workers.js';

/** What a step needs to compute its gradients. @internal */
export interface StepContext {
  model: LayersModel;
  loss: LossLike;
  batches: BatchSource;
  vars: tf.Variable[];
  accumulate: number;
  pool?: GradientWorkers;
}

/** A step's averaged gradients (owned by the caller) and its loss terms. @internal */
export interface StepGradients {
  grads: tf.NamedTensorMap;
  /** total, coord, obj, noobj, cls, averaged over the micro-batches. */
  terms: number[];
  images: number;
  inputSize: number;
}

/**
 * Fetch and differentiate the `accumulate` micro-batches of step `step`: micro-batch m goes to thread
 * m mod (workers + 1), thread 0 being this one; the remote ones are sent first.
 * @internal
 */
export async function stepGradients(ctx: StepContext, at: { epoch: number; step: number; seenImages: number }): Promise<StepGradients> {
  const { accumulate, pool, vars } = ctx;
  const threads = (pool?.count ?? 0) + 1;
  const weights = pool ? vars.map((v) => v.dataSync() as Float32Array) : [];
  const remote: Array<Promise<WorkerGradients>> = [];
  const local: Batch[] = [];
  const out: StepGradients = { grads: {}, terms: [0, 0, 0, 0, 0], images: 0, inputSize: 0 };
  try {
    for (let micro = 0; micro < accumulate; micro++) {
      const batch = await ctx.batches({ epoch: at.epoch, step: at.step, micro });
      out.images += batch.images.shape[0];
      out.inputSize = batch.images.shape[1];
      const thread = micro % threads;
      if (pool && thread > 0) {
        try {
          remote.push(pool.compute(thread - 1, weights, batch.images, batch.targets, at.seenImages));
        } finally {
          tf.dispose([batch.images, batch.targets]);
        }
      } else local.push(batch);
    }
    while (local.length > 0) {
      const batch = local.shift() as Batch;
      try {
        const { terms, grads } = gradientsOf(ctx.model, ctx.loss, batch, vars, at.seenImages);
        addInto(out, terms, grads, accumulate);
      } finally {
        tf.dispose([batch.images, batch.targets]);
      }
    }
    for (const r of await Promise.all(remote)) {
      const grads: tf.NamedTensorMap = Object.fromEntries(vars.map((v, i) => [v.name, tf.tensor(r.grads[i], v.shape, 'float32')]));
      addInto(out, r.terms, grads, accumulate);
    }
    return out;
  } catch (e) {
    await Promise.allSettled(remote);
    tf.dispose([...local.flatMap((b) => [b.images, b.targets]), ...Object.values(out.grads)]);
    throw e;
  }
}

/** out.grads += grads / k, out.terms += terms / k; disposes `grads`. */
function addInto(out: StepGradients, terms: number[], grads: tf.NamedTensorMap, k: number): void {
  terms.forEach((v, i) => (out.terms[i] += v / k));
  const next: tf.NamedTensorMap = {};
  for (const name of Object.keys(grads)) {
    next[name] = tf.tidy(() => {
      const scaled = k === 1 ? grads[name] : tf.div(grads[name], k);
      return out.grads[name] ? tf.add(out.grads[name], scaled) : tf.clone(scaled);
    });
  }
  tf.dispose([...Object.values(out.grads), ...Object.values(grads)]);
  out.grads = next;
}

/** Global L2 norm of the gradients (0 for none). @internal */
export function globalNorm(grads: tf.NamedTensorMap): number {
  const list = Object.values(grads);
  if (list.length === 0) return 0;
  const sq = tf.tidy(() => tf.addN(list.map((g) => tf.sum(tf.square(g)))));
  const v = sq.dataSync()[0];
  sq.dispose();
  return Math.sqrt(v);
}

/** Multiply every gradient by `factor`, replacing the tensors in `grads`. @internal */
export function scaleInPlace(grads: tf.NamedTensorMap, factor: number): void {
  for (const name of Object.keys(grads)) {
    const old = grads[name];
    grads[name] = tf.mul(old, factor);
    old.dispose();
  }
}
