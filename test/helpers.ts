/** Shared test helpers. */
import { mulberry32 } from '../src/random.js';
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';

/** Run `fn` and assert that `tf.memory().numTensors` is the same afterwards. */
export function expectNoLeak(fn: () => unknown): void {
  const before = tf.memory().numTensors;
  fn();
  expect(tf.memory().numTensors).toBe(before);
}

/** Async twin of {@link expectNoLeak}. */
export async function expectNoLeakAsync(fn: () => Promise<unknown>): Promise<void> {
  const before = tf.memory().numTensors;
  await fn();
  expect(tf.memory().numTensors).toBe(before);
}

/** A small seeded PRNG (mulberry32) for reproducible random test inputs. */
export const rng = mulberry32;

/** Standard normal samples from a seeded uniform source (Box–Muller). */
export function randn(rand: () => number, n: number, mean = 0, std = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = Math.max(rand(), 1e-12);
    const v = rand();
    out[i] = mean + std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  return out;
}

/** Run `fn`, assert that it throws, and return the error for further checks. */
export function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected the call to throw, but it returned normally');
}
