/**
 * The WebAssembly SIMD batch-norm loops (simd.ts) against the JS loops of bn-kernels.ts, on memories
 * of the test's own (shared and not), over partial row ranges, with NaN and the activation variants.
 */
import { describe, expect, it } from 'vitest';
import { gradApply, gradSums, momentSums, normalizeRows } from '../../src/kernels/batch-norm-loops.js';
import { bindSimd, simdFor, simdModuleBytes } from '../../src/kernels/simd.js';
import { rng } from '../helpers.js';

function setup(shared: boolean) {
  const memory = shared ? new WebAssembly.Memory({ initial: 16, maximum: 64, shared: true }) : new WebAssembly.Memory({ initial: 16 });
  const simd = bindSimd(memory);
  if (!simd) throw new Error('no WebAssembly SIMD');
  let next = 64;
  const alloc = (n: number) => {
    const at = next;
    next += Math.ceil((8 * n) / 64) * 64; // room for float64 sums too
    return at;
  };
  const f32 = (at: number, n: number) => new Float32Array(memory.buffer, at, n);
  const fill = (at: number, n: number, seed: number, scale = 1) => {
    const r = rng(seed);
    const v = f32(at, n);
    for (let i = 0; i < n; i++) v[i] = scale * (2 * r() - 1);
    return v;
  };
  return { memory, simd, alloc, f32, fill };
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

describe('SIMD batch-norm loops', () => {
  it('assemble to a valid module, shared and not', () => {
    expect(WebAssembly.validate(simdModuleBytes(false, false))).toBe(true);
    expect(WebAssembly.validate(simdModuleBytes(true, false))).toBe(true);
    // with the fused products: needs relaxed SIMD, which the test setup turns on (as initWasmBackend does)
    expect(WebAssembly.validate(simdModuleBytes(false, true))).toBe(true);
    expect(WebAssembly.validate(simdModuleBytes(true, true))).toBe(true);
  });

  for (const shared of [false, true]) {
    for (const C of [4, 8, 16]) {
      it(`match the JS loops (${shared ? 'shared' : 'plain'} memory, C = ${C}, rows 3 … 40 of 41)`, () => {
        const { memory, simd, alloc, f32, fill } = setup(shared);
        expect(simdFor(memory.buffer)).toBe(simd);
        const n = 41;
        const N = n * C;
        const [r0, r1] = [3, 40];
        const x = alloc(N);
        const xv = fill(x, N, C, 3);
        xv[5 * C + 1] = NaN; // NaN stays NaN in its own element
        const coef = alloc(4 * C);
        const cv = fill(coef, 4 * C, C + 1);
        const da = alloc(N);
        const dav = fill(da, N, C + 2);
        const mean = alloc(C);
        const mv = fill(mean, C, C + 3);
        for (const alpha of [0.1, 0, -1]) {
          // normalize: y = leaky(x·scale + shift); rows outside [r0, r1) untouched
          const yJs = new Float32Array(N).fill(7);
          normalizeRows(xv, C, cv, alpha, yJs, r0, r1);
          const y = alloc(N);
          f32(y, N).fill(7);
          simd.normalize(x, y, C, coef, alpha < 0 ? 1 : alpha, r0, r1);
          const ys = f32(y, N);
          expect(Number.isNaN(ys[5 * C + 1])).toBe(true);
          ys[5 * C + 1] = yJs[5 * C + 1] = 0;
          expect(maxDiff(ys, yJs), `normalize α ${alpha}`).toBeLessThan(1e-5);
          expect(ys[r0 * C - 1]).toBe(7);
          expect(ys[r1 * C]).toBe(7);
          // gradSums: dx = dy and float64 sums Σdy, Σdy·(x − μ)
          const dxJs = new Float32Array(N);
          const sumsJs = new Float64Array(2 * C);
          gradSums(dav, xv, yJs, C, mv, alpha, dxJs, r0, r1, sumsJs);
          const dx = alloc(N);
          const sums = alloc(2 * C);
          new Float64Array(memory.buffer, sums, 2 * C).fill(0);
          simd.gradSums(da, x, y, dx, C, mean, alpha < 0 ? 1 : alpha, sums, r0, r1);
          expect(maxDiff(f32(dx, N), dxJs), `gradSums dx α ${alpha}`).toBeLessThan(1e-6);
          const s = new Float64Array(memory.buffer, sums, 2 * C);
          expect(Number.isNaN(s[C + 1])).toBe(true); // the NaN in x reaches its channel's Σdy·(x − μ)
          s[C + 1] = sumsJs[C + 1] = 0;
          expect(maxDiff(s, sumsJs), `gradSums sums α ${alpha}`).toBeLessThan(1e-5);
        }
        // gradApply: dx = k·(dx − a − (x − μ)·b), in place
        const dxJs = fill(alloc(N), N, C + 4).slice();
        const dx = alloc(N);
        f32(dx, N).set(dxJs);
        gradApply(dxJs, xv, C, cv, r0, r1);
        simd.gradApply(dx, x, C, coef, r0, r1);
        const got = f32(dx, N);
        got[5 * C + 1] = dxJs[5 * C + 1] = 0;
        expect(maxDiff(got, dxJs), 'gradApply').toBeLessThan(1e-5);
        // moments around row 0: Σ(x − k), Σ(x − k)² in float64
        xv[5 * C + 1] = 0.5;
        const mJs = new Float64Array(2 * C);
        momentSums(xv, C, r0, r1, mJs);
        const m = alloc(2 * C);
        new Float64Array(memory.buffer, m, 2 * C).fill(0);
        simd.moments(x, C, m, r0, r1);
        expect(maxDiff(new Float64Array(memory.buffer, m, 2 * C), mJs), 'moments').toBeLessThan(1e-9);
      });
    }
  }

  it('do nothing for an empty row range', () => {
    const { simd, alloc, f32 } = setup(false);
    const y = alloc(8);
    f32(y, 8).fill(3);
    simd.normalize(alloc(8), y, 4, alloc(8), 0.1, 2, 2);
    expect(Array.from(f32(y, 8))).toEqual(new Array(8).fill(3));
  });
});

describe('the bulk-memory helpers (zeroBytes, copyRows)', () => {
  for (const shared of [false, true]) {
    it(`zero a range and copy strided rows exactly, nothing outside (${shared ? 'shared' : 'plain'} memory)`, () => {
      const { memory, simd, alloc } = setup(shared);
      const bytes = new Uint8Array(memory.buffer);
      const at = alloc(64);
      bytes.fill(7, at, at + 256);
      simd.zeroBytes(at + 8, 100);
      expect([...bytes.subarray(at, at + 8)]).toEqual(new Array(8).fill(7));
      expect([...bytes.subarray(at + 8, at + 108)]).toEqual(new Array(100).fill(0));
      expect(bytes[at + 108]).toBe(7);
      // 3 rows of 5 bytes, 6 apart in the source, into rows 9 apart: by hand, row r = [10r … 10r + 4]
      const src = alloc(8);
      const dst = alloc(16);
      for (let r = 0; r < 3; r++) for (let i = 0; i < 6; i++) bytes[src + 6 * r + i] = i < 5 ? 10 * r + i : 99;
      bytes.fill(255, dst, dst + 27);
      simd.copyRows(dst, src, 3, 5, 9, 6);
      const want = [0, 1, 2, 3, 4, 255, 255, 255, 255, 10, 11, 12, 13, 14, 255, 255, 255, 255, 20, 21, 22, 23, 24, 255, 255, 255, 255];
      expect([...bytes.subarray(dst, dst + 27)]).toEqual(want);
      simd.copyRows(dst, src, 0, 5, 9, 6); // no rows: nothing
      expect([...bytes.subarray(dst, dst + 27)]).toEqual(want);
    });
  }
});
