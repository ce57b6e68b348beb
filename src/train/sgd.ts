/**
 * SGD with momentum and selective weight decay, PyTorch's semantics (dampening 0, no Nesterov):
 *
 *     g' = g + wd · w          (only for variables the decay filter accepts)
 *     v  = μ · v + g'          (v starts at 0, so the first step has v = g')
 *     w  = w − lr · v
 *
 * The training records train with μ = 0.9, wd = 5e-4 and no decay on biases and batch-norm parameters
 * (their NO_BIAS / NO_NORM): the default filter decays only `…/kernel` variables.
 * The state (one momentum buffer per variable) is plain data for checkpoints.
 *
 * @packageDocumentation
 */
import * as tf from '@tensorflow/tfjs-core';
import { ValueError } from '../errors.js';
import { assertNumber } from '../validate.js';

/** Options of {@link SGD}. */
export interface SGDConfig {
  /** Momentum μ, default 0.9. */
  momentum?: number;
  /** Weight decay (L2 added to the gradient), default 5e-4. */
  weightDecay?: number;
  /** Which variables get weight decay; default: names whose last segment is `kernel` (no bias, no BN). */
  decayFilter?: (variableName: string) => boolean;
}

/** The default decay filter: convolution and dense kernels only. */
export function decaysKernelsOnly(name: string): boolean {
  const last = name.split('/').pop() ?? name;
  return /^kernel(_\d+)?$/.test(last) || /^depthwise_kernel/.test(last);
}

/** One saved momentum buffer. */
export interface SGDStateEntry {
  /** The variable's name. */
  name: string;
  /** Its shape. */
  shape: number[];
  /** The buffer's values, row-major. */
  values: Float32Array;
}

/** SGD with momentum over a fixed list of variables. */
export class SGD {
  readonly momentum: number;
  readonly weightDecay: number;
  private readonly decay: (name: string) => boolean;
  private readonly buffers = new Map<string, tf.Tensor>();
  private readonly variables: Map<string, tf.Variable>;

  /**
   * @param variables the trainable variables (e.g. `model.trainableWeights.map(w => w.read())` is not
   *   what you want; pass the `tf.Variable`s, e.g. from `trainableVariables(model)`).
   * @param config momentum, weight decay and its filter.
   */
  constructor(variables: readonly tf.Variable[], config: SGDConfig = {}) {
    const { momentum = 0.9, weightDecay = 5e-4, decayFilter = decaysKernelsOnly } = config;
    assertNumber('SGD', 'momentum', momentum, { min: 0, max: 1, maxOpen: true });
    assertNumber('SGD', 'weightDecay', weightDecay, { min: 0 });
    this.momentum = momentum;
    this.weightDecay = weightDecay;
    this.decay = decayFilter;
    this.variables = new Map(variables.map((v) => [v.name, v]));
    if (this.variables.size !== variables.length) throw new ValueError('SGD: variable names must be unique');
  }

  /** Names of the variables that receive weight decay. */
  decayedVariables(): string[] {
    return [...this.variables.keys()].filter((n) => this.decay(n));
  }

  /**
   * Apply one update. Variables without a gradient in `grads` are left unchanged.
   * @param grads gradients by variable name (as returned by `tf.variableGrads`); not disposed here.
   * @param lr the learning rate of this step.
   */
  step(grads: tf.NamedTensorMap, lr: number): void {
    assertNumber('SGD.step', 'lr', lr, { min: 0 });
    for (const [name, v] of this.variables) {
      const g = grads[name];
      if (!g) continue;
      const old = this.buffers.get(name);
      const next = tf.tidy(() => {
        const gd = this.weightDecay > 0 && this.decay(name) ? tf.add(g, tf.mul(v, this.weightDecay)) : g;
        const buf = old ? tf.add(tf.mul(old, this.momentum), gd) : tf.clone(gd);
        v.assign(tf.sub(v, tf.mul(buf, lr)));
        return buf;
      });
      old?.dispose();
      this.buffers.set(name, next);
    }
  }

  /** The momentum buffers as plain data (for checkpoints). */
  getState(): SGDStateEntry[] {
    return [...this.buffers].map(([name, t]) => ({ name, shape: t.shape.slice(), values: t.dataSync() as Float32Array }));
  }

  /** Restore buffers saved by {@link getState}; unknown names or wrong shapes are errors. */
  setState(state: readonly SGDStateEntry[]): void {
    for (const e of state) {
      const v = this.variables.get(e.name);
      if (!v) throw new ValueError(`SGD.setState: no variable named '${e.name}' is being optimised`);
      if (v.shape.join(',') !== e.shape.join(',')) {
        throw new ValueError(`SGD.setState: buffer '${e.name}' must have shape [${v.shape}], got [${e.shape}]`);
      }
    }
    this.dispose();
    for (const e of state) this.buffers.set(e.name, tf.tensor(e.values, e.shape, 'float32'));
  }

  /** Free the momentum buffers. */
  dispose(): void {
    for (const t of this.buffers.values()) t.dispose();
    this.buffers.clear();
  }
}
