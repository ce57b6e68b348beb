/**
 * The trainer's side of checkpoints: what goes into one (every model weight, the momentum buffers, the
 * counters, the data RNG's state) and how a run is resumed from one, checked against the model first so
 * that a mismatch changes nothing and leaks nothing.
 *
 * @packageDocumentation
 * @internal
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { FormatError } from '../../errors.js';
import type { SGD } from '../../train/sgd.js';
import { listCheckpoints, loadCheckpoint, saveCheckpoint, type CheckpointTensor } from './checkpoint.js';

/** What a checkpoint is written from and restored into. @internal */
export interface TrainingState {
  model: LayersModel;
  sgd: SGD;
  vars: tf.Variable[];
  rng?: { getState(): unknown; setState(state: unknown): void };
}

/** Counters restored from a checkpoint. @internal */
export interface ResumePoint {
  step: number;
  seenImages: number;
}

/**
 * Restore `dir`'s newest checkpoint into the model, the optimizer and the RNG. An empty or absent
 * directory gives `undefined` (start fresh).
 * @throws {@link FormatError} for partial files only, a bad checkpoint, or one that does not fit the
 *   model (tensor count or shape), the optimizer, or the RNG; nothing is changed then.
 */
export async function resumeTraining(dir: string, state: TrainingState): Promise<ResumePoint | undefined> {
  const found = await listCheckpoints(dir);
  if (found.complete.length === 0 && !found.legacy && found.partial.length === 0) return undefined;
  const ck = await loadCheckpoint(dir);
  const saved = ck.tensors.filter((t) => t.group === 'model');
  const weights = state.model.weights;
  if (saved.length !== weights.length) {
    throw new FormatError(`train: the checkpoint in ${dir} holds ${saved.length} model tensors, the model has ${weights.length}`, dir);
  }
  saved.forEach((t, i) => {
    if (weights[i].shape.join(',') !== t.shape.join(',')) {
      throw new FormatError(`train: checkpoint tensor ${i} ('${t.name}') in ${dir} has shape [${t.shape}], the model's '${weights[i].name}' has [${weights[i].shape}]`, dir);
    }
  });
  const momentum = ck.tensors.filter((t) => t.group === 'optimizer').map((t) => {
    const v = state.vars[Number(t.name.split(':')[1])];
    if (!v) throw new FormatError(`train: checkpoint optimizer buffer '${t.name}' in ${dir} has no matching variable`, dir);
    return { name: v.name, shape: t.shape, values: t.values };
  });
  if (state.rng && ck.rngState === undefined) {
    throw new FormatError(`train: the checkpoint in ${dir} has no 'rngState' but this run has a data RNG ('rng'): expected the RNG's state, got nothing (was it written by a run without 'rng'?)`, dir);
  }
  state.sgd.setState(momentum);
  const tensors = saved.map((t) => tf.tensor(t.values, t.shape, 'float32'));
  try {
    state.model.setWeights(tensors);
  } finally {
    tf.dispose(tensors);
  }
  if (state.rng && ck.rngState !== undefined) state.rng.setState(ck.rngState);
  return { step: ck.step, seenImages: ck.seenImages };
}

/** Write the training state after `step` steps. @throws ValueError when a value is not finite (named). @internal */
export async function writeTrainingCheckpoint(
  dir: string,
  state: TrainingState,
  counters: { step: number; epoch: number; seenImages: number },
  keepLast: number,
): Promise<void> {
  const index = new Map(state.vars.map((v, i) => [v.name, i]));
  const tensors: CheckpointTensor[] = [
    ...state.model.weights.map((w) => ({ name: w.name, group: 'model' as const, shape: w.shape.slice() as number[], values: w.read().dataSync() as Float32Array })),
    ...state.sgd.getState().map((s) => ({ name: `momentum:${index.get(s.name)}`, group: 'optimizer' as const, shape: s.shape, values: s.values })),
  ];
  const rngState = state.rng?.getState();
  await saveCheckpoint(dir, { ...counters, ...(rngState === undefined ? {} : { rngState }), tensors }, { keepLast });
}
