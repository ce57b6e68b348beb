/**
 * Register TF.js's gradients for training in Node scripts. tfjs-core registers none by itself; in a
 * bundler `import '@tensorflow/tfjs-core/dist/register_all_gradients'` works, but Node's ESM loader
 * cannot import that deep path (tfjs-core has no exports map), so scripts run by tsx load it with
 * require. Nothing happens when they are registered already (importing `@tensorflow/tfjs`,
 * `@tensorflow/tfjs-node` or the test set-up does it).
 */
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';

export function registerGradients(): void {
  if (tf.getGradient('Conv2D') !== undefined) return;
  createRequire(import.meta.url)('@tensorflow/tfjs-core/dist/register_all_gradients');
}
