import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { decaysKernelsOnly, SGD } from '../../src/train/sgd.js';
import { expectNoLeak } from '../helpers.js';

describe('SGD', () => {
  it('two steps by hand: momentum 0.9, weight decay 0.1 on the kernel only', () => {
    const k = tf.variable(tf.tensor1d([1, 2]), true, 'sgdtest/kernel');
    const b = tf.variable(tf.tensor1d([1]), true, 'sgdtest/bias');
    const opt = new SGD([k, b], { momentum: 0.9, weightDecay: 0.1 });
    expect(opt.decayedVariables()).toEqual(['sgdtest/kernel']);
    const g = { 'sgdtest/kernel': tf.tensor1d([0.5, -1]), 'sgdtest/bias': tf.tensor1d([2]) };
    // step 1, lr 0.1: kernel g' = g + 0.1·w = (0.6, −0.8); v = g'; w = (1 − 0.06, 2 + 0.08) = (0.94, 2.08)
    //                 bias   g' = 2 (no decay); v = 2; w = 1 − 0.2 = 0.8
    opt.step(g, 0.1);
    const [k1, k2] = Array.from(k.dataSync());
    expect(k1).toBeCloseTo(0.94, 6);
    expect(k2).toBeCloseTo(2.08, 6);
    expect(b.dataSync()[0]).toBeCloseTo(0.8, 6);
    // step 2, lr 0.1: kernel g' = (0.5 + 0.094, −1 + 0.208) = (0.594, −0.792);
    //   v = 0.9·(0.6, −0.8) + g' = (1.134, −1.512); w = (0.94 − 0.1134, 2.08 + 0.1512) = (0.8266, 2.2312)
    //   bias v = 0.9·2 + 2 = 3.8; w = 0.8 − 0.38 = 0.42
    opt.step(g, 0.1);
    const [k3, k4] = Array.from(k.dataSync());
    expect(k3).toBeCloseTo(0.8266, 6);
    expect(k4).toBeCloseTo(2.2312, 6);
    expect(b.dataSync()[0]).toBeCloseTo(0.42, 6);
    // state round trip
    const state = opt.getState();
    const opt2 = new SGD([k, b], { momentum: 0.9, weightDecay: 0.1 });
    opt2.setState(state);
    expect(Array.from(opt2.getState()[0].values)).toEqual(Array.from(state[0].values));
    opt.dispose();
    opt2.dispose();
    tf.dispose([k, b, ...Object.values(g)]);
  });

  it('leaks nothing per step', () => {
    const k = tf.variable(tf.ones([3]), true, 'sgdleak/kernel');
    const opt = new SGD([k]);
    const g = { 'sgdleak/kernel': tf.ones([3]) };
    opt.step(g, 0.01);
    expectNoLeak(() => opt.step(g, 0.01));
    opt.dispose();
    tf.dispose([k, g['sgdleak/kernel']]);
  });

  it('default decay filter: kernels, not biases nor batch-norm', () => {
    expect(decaysKernelsOnly('conv2d_1/kernel')).toBe(true);
    expect(decaysKernelsOnly('conv2d_1/bias')).toBe(false);
    expect(decaysKernelsOnly('batch_normalization_3/gamma')).toBe(false);
    expect(decaysKernelsOnly('batch_normalization_3/beta')).toBe(false);
  });

  it('rejects bad settings and states', () => {
    const k = tf.variable(tf.ones([2]), true, 'sgdbad/kernel');
    expect(() => new SGD([k], { momentum: 1 })).toThrow(/momentum/);
    const opt = new SGD([k]);
    expect(() => opt.setState([{ name: 'nope', shape: [2], values: new Float32Array(2) }])).toThrow(/no variable named 'nope'/);
    expect(() => opt.setState([{ name: 'sgdbad/kernel', shape: [3], values: new Float32Array(3) }])).toThrow(/shape/);
    k.dispose();
  });
});
