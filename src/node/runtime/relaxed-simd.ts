/**
 * WebAssembly relaxed SIMD on Node.js. Its fused multiply-add (`f32x4.relaxed_madd`) lets the
 * inference convolutions' matrix products (src/kernels/simd-gemm.ts) do one instruction per
 * multiply-add instead of two. Node 22 and later, and Chrome 114 and later, have it on by default;
 * Node 20's V8 has it behind a flag, which {@link enableRelaxedSimd} turns on.
 *
 * @packageDocumentation
 */
import { setFlagsFromString } from 'node:v8';
import { relaxedSimdSupported } from '../../kernels/wasm-asm.js';

/**
 * Make WebAssembly relaxed SIMD available to modules compiled from now on: when this runtime does not
 * validate it already, set V8's `--experimental-wasm-relaxed-simd` (a process-wide flag that only adds
 * the relaxed instructions; it changes nothing else).
 * Called by `initWasmBackend` (unless its option `relaxedSimd` is false) before the kernels compile.
 * @returns whether relaxed SIMD is available now.
 */
export function enableRelaxedSimd(): boolean {
  if (relaxedSimdSupported()) return true;
  try {
    setFlagsFromString('--experimental-wasm-relaxed-simd');
  } catch {
    return false;
  }
  return relaxedSimdSupported();
}
