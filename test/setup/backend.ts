/**
 * Per-project setup of the backend matrix. tfjs-core alone registers no gradients and no
 * backend; the library never imports either, so the tests do it here, as a user would.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll } from 'vitest';

const wanted = process.env.YOLOV2_TEST_BACKEND ?? 'cpu';

beforeAll(async () => {
  if (tf.getBackend() !== wanted) {
    const ok = await tf.setBackend(wanted);
    if (!ok) throw new Error(`could not initialise the '${wanted}' backend`);
  }
  await tf.ready();
});
