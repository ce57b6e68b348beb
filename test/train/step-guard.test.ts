import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ValueError } from '../../src/errors.js';
import { checkStep } from '../../src/train/step-guard.js';
import { expectNoLeakAsync } from '../helpers.js';

async function rejected(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

describe('checkStep (the NaN/Inf guard)', () => {
  it('a finite step: the loss and the global gradient norm by hand', async () => {
    const loss = tf.scalar(2.5);
    const grads = { a: tf.tensor1d([3, 0]), b: tf.tensor2d([[0, 4]]), c: tf.tensor1d([12]) };
    // ‖g‖ = sqrt(3² + 4² + 12²) = sqrt(169) = 13
    await expectNoLeakAsync(async () => {
      const r = await checkStep(loss, grads);
      expect(r).toEqual({ loss: 2.5, gradNorm: 13, skip: false, reason: null });
    });
    tf.dispose([loss, grads]);
  });

  it('skips a non-finite loss first, then a non-finite gradient (NaN, ±Inf, overflow of the squares)', async () => {
    const ok = { a: tf.tensor1d([1, 1]) };
    const nanLoss = tf.scalar(NaN);
    const infLoss = tf.scalar(-Infinity);
    const finite = tf.scalar(1);
    const nanGrad = { a: tf.tensor1d([NaN]) };
    await expectNoLeakAsync(async () => {
      expect(await checkStep(nanLoss, ok)).toMatchObject({ skip: true, reason: 'loss' });
      expect(await checkStep(infLoss, nanGrad)).toMatchObject({ skip: true, reason: 'loss' });
    });
    for (const bad of [[NaN, 1], [1, Infinity], [-Infinity, 0], [3e19, 0]]) {
      const grads = { a: tf.tensor1d([1, 1]), b: tf.tensor1d(bad) };
      const r = await checkStep(finite, grads);
      expect(r.skip, `gradient ${bad}`).toBe(true);
      expect(r.reason).toBe('gradient');
      expect(r.loss).toBe(1);
      tf.dispose(grads);
    }
    // 1e19² = 1e38 still fits float32 (max 3.4e38): not skipped
    const big = { a: tf.tensor1d([1e19]) };
    const r = await checkStep(finite, big);
    expect(r.skip).toBe(false);
    expect(r.gradNorm / 1e19).toBeCloseTo(1, 5);
    tf.dispose([ok, nanGrad, nanLoss, infLoss, finite, big]);
  });

  it('no gradients: norm 0, not skipped', async () => {
    const loss = tf.scalar(0.5);
    expect(await checkStep(loss, {})).toEqual({ loss: 0.5, gradNorm: 0, skip: false, reason: null });
    loss.dispose();
  });

  it('rejects a non-scalar loss and non-tensor gradients with a ValueError naming the argument', async () => {
    const v = tf.tensor1d([1, 2]);
    const s = tf.scalar(1);
    await expectNoLeakAsync(async () => {
      const e1 = await rejected(checkStep(v as unknown as tf.Scalar, {}));
      expect(e1).toBeInstanceOf(ValueError);
      expect(e1.message).toMatch(/checkStep: 'loss' must be a scalar tf.Tensor, got shape \[2\]/);
      const e2 = await rejected(checkStep(s, { w: [1, 2] as unknown as tf.Tensor }));
      expect(e2).toBeInstanceOf(ValueError);
      expect(e2.message).toMatch(/'grads.w' must be a tf.Tensor/);
      const e3 = await rejected(checkStep(s, null as unknown as tf.NamedTensorMap));
      expect(e3.message).toMatch(/'grads' must be a map/);
    });
    tf.dispose([v, s]);
  });
});
