import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { relaxedSimdSupported } from '../../../src/kernels/wasm-asm.js';
import { enableRelaxedSimd } from '../../../src/node/runtime/relaxed-simd.js';
import { initWasmBackend } from '../../../src/node/runtime/wasm-threads.js';

describe('relaxed SIMD on Node (the fused products of the inference convolutions)', () => {
  it('enableRelaxedSimd makes f32x4.relaxed_madd validate on this Node (20: by V8 flag; 22+: already on)', () => {
    expect(enableRelaxedSimd()).toBe(true);
    expect(relaxedSimdSupported()).toBe(true);
  });

  it('initWasmBackend reports it, and accepts relaxedSimd: false', async () => {
    const before = tf.getBackend();
    try {
      const init = await initWasmBackend(1, { relaxedSimd: false });
      expect(init.relaxedSimd).toBe(true); // the flag is process-wide and the test setup turned it on
      expect(tf.getBackend()).toBe('wasm');
    } finally {
      await tf.setBackend(before);
    }
  });
});
