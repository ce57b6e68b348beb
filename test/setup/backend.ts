/**
 * Per-project setup of the backend matrix. tfjs-core alone registers no gradients and no
 * backend; the library never imports either, so the tests do it here, as a user would.
 * The backend is activated at module load (top-level await), so test files may create
 * tensors at their top level.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';

import { enableRelaxedSimd } from '../../src/node/runtime/relaxed-simd.js';

// as initWasmBackend does: the inference products' fused variants (their unfused twins are tested
// directly in test/kernels/simd-gemm.test.ts)
enableRelaxedSimd();

const wanted = process.env.YOLOV2_TEST_BACKEND ?? 'cpu';
if (!(await tf.setBackend(wanted))) throw new Error(`could not initialise the '${wanted}' backend`);
await tf.ready();
