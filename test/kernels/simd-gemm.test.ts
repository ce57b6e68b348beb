import { describe, expect, it } from 'vitest';
import { bindSimd } from '../../src/kernels/simd.js';
import { PANEL, gemmRows, gemmRowsSegmented, packPanels } from '../../src/kernels/simd-gemm.js';
import { randn, rng } from '../helpers.js';

const memory = new WebAssembly.Memory({ initial: 64 });
const k = bindSimd(memory)!;

/** Copy `values` into the memory at `at` floats; returns the byte offset. */
function put(values: Float32Array, at: number): number {
  new Float32Array(memory.buffer).set(values, at);
  return at * 4;
}

describe('the SIMD matrix products (simd-gemm)', () => {
  it('is assembled and bound, with the fused products (the test setup turns relaxed SIMD on, as initWasmBackend does)', () => {
    expect(k).not.toBeNull();
    expect(k.fused).toBe(true);
    expect(k.gemm4).not.toBe(k.unfused.gemm4);
  });

  it('fused: C + a·b rounds once, unfused twice (a = b = 1 + 2⁻¹², C = −(1 + 2⁻¹¹))', () => {
    // a·b = 1 + 2⁻¹¹ + 2⁻²⁴ exactly; float32 keeps 23 fraction bits, so the rounded product is 1 + 2⁻¹¹
    // (a tie, to even) and C + round(a·b) = 0; one rounding of C + a·b keeps 2⁻²⁴.
    const x = 1 + 2 ** -12;
    const aAt = put(new Float32Array([x]), 0);
    const bAt = put(new Float32Array(8).fill(x), 4); // one panel row: 8 columns
    const cAt = put(new Float32Array(8).fill(-(1 + 2 ** -11)), 12);
    gemmRows(k.unfused, aAt, bAt, cAt, 1, 1, 4, 32, 0, 1, undefined, 1, true);
    expect([...new Float32Array(memory.buffer, cAt, 8)]).toEqual(new Array(8).fill(0));
    put(new Float32Array(8).fill(-(1 + 2 ** -11)), 12);
    gemmRows(k, aAt, bAt, cAt, 1, 1, 4, 32, 0, 1, undefined, 1, true);
    // relaxed_madd may run unfused on a CPU without FMA: then 0, like the unfused twin
    const got = new Float32Array(memory.buffer, cAt, 8)[0];
    expect([2 ** -24, 0]).toContain(got);
  });

  for (const [M, K, N, p0, p1] of [
    [1, 1, 8, 0, 1], [3, 5, 8, 0, 1], [4, 17, 16, 0, 2], [13, 33, 24, 0, 3], [13, 33, 24, 1, 3], [9, 64, 32, 2, 3],
  ] as const) {
    for (const [act, acc, fused] of [false, true].flatMap((f) => [[false, false, f], [true, false, f], [false, true, f], [true, true, f]])) {
      it(`${fused ? 'fused' : 'unfused'}: C = ${acc ? 'C + ' : ''}A·B${act ? ' + bias, leaky 0.1' : ''} for M=${M}, K=${K}, N=${N}, panels ${p0}…${p1 - 1}: equals a float64 loop within 1e-6 of Σ|terms|`, () => {
        const r = rng(M * 1000 + K * 10 + N + (act ? 7 : 0) + (acc ? 3 : 0));
        const a = randn(r, M * K);
        const b = randn(r, K * N);
        const bias = randn(r, N);
        const packed = new Float32Array(K * N);
        packPanels(b, K, N, packed);
        // packing by hand: element (k, n) sits at panel ⌊n/8⌋, row k, lane n mod 8
        expect(packed[(Math.floor((N - 1) / PANEL) * K + (K - 1)) * PANEL + ((N - 1) % PANEL)]).toBe(b[(K - 1) * N + N - 1]);
        const aAt = put(a, 0);
        const bAt = put(packed, M * K);
        const biasAt = put(bias, M * K + K * N);
        const cFloats = M * K + K * N + N;
        const sentinel = new Float32Array(M * N).fill(12345);
        const c0 = randn(r, M * N); // what C holds before an accumulating product
        if (acc) sentinel.set(c0);
        const cAt = put(sentinel, cFloats);
        gemmRows(fused ? k : k.unfused, aAt, bAt, cAt, M, K, 4 * K, 4 * N, p0, p1, act ? biasAt : undefined, 0.1, acc);
        const c = new Float32Array(memory.buffer, cAt, M * N);
        for (let i = 0; i < M; i++) {
          for (let j = 0; j < N; j++) {
            const inPanels = j >= p0 * PANEL && j < p1 * PANEL;
            if (!inPanels) {
              expect(c[i * N + j]).toBe(acc ? c0[i * N + j] : 12345); // columns of other panels are not written
              continue;
            }
            let s = (act ? bias[j] : 0) + (acc ? c0[i * N + j] : 0);
            let scale = Math.abs(s);
            for (let t = 0; t < K; t++) {
              s += a[i * K + t] * b[t * N + j];
              scale += Math.abs(a[i * K + t] * b[t * N + j]);
            }
            const want = act && s < 0 ? 0.1 * s : s;
            expect(Math.abs(c[i * N + j] - want)).toBeLessThanOrEqual(1e-6 * scale + 1e-30);
          }
        }
      });
    }
  }
});

describe('packPanels', () => {
  it('pads the last panel of a matrix whose width is not a multiple of 8 with zeros', () => {
    // B [2, 5] = [[1 2 3 4 5], [6 7 8 9 10]] → one panel [2, 8]
    const out = new Float32Array(16).fill(-1);
    packPanels(new Float32Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), 2, 5, out);
    expect([...out]).toEqual([1, 2, 3, 4, 5, 0, 0, 0, 6, 7, 8, 9, 10, 0, 0, 0]);
  });
});

describe('the segmented SIMD product (gemmRowsSegmented)', () => {
  for (const fused of [true, false]) it(`${fused ? 'fused' : 'unfused'}: reads each row of A as 3 runs of K values with a jump between them, against a float64 loop`, () => {
    const r = rng(77);
    const [M, K, N, segs, gap] = [9, 5, 16, 3, 7]; // rows 2 floats apart (they overlap); runs 7 floats apart
    const lda = 2;
    const span = (M - 1) * lda + segs * (K + gap);
    const a = randn(r, span);
    const b = randn(r, segs * K * N);
    const bias = randn(r, N);
    const packed = new Float32Array(segs * K * N);
    packPanels(b, segs * K, N, packed);
    const aAt = put(a, 0);
    const bAt = put(packed, span);
    const biasAt = put(bias, span + segs * K * N);
    const cAt = put(new Float32Array(M * N), span + segs * K * N + N);
    gemmRowsSegmented(fused ? k : k.unfused, aAt, bAt, cAt, M, K, 4 * lda, 4 * N, 0, N / PANEL, biasAt, 0.1, segs, 4 * gap);
    const c = new Float32Array(memory.buffer, cAt, M * N);
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = bias[j];
        let scale = Math.abs(s);
        for (let sg = 0; sg < segs; sg++) {
          for (let t = 0; t < K; t++) {
            const v = a[i * lda + sg * (K + gap) + t] * b[(sg * K + t) * N + j];
            s += v;
            scale += Math.abs(v);
          }
        }
        expect(Math.abs(c[i * N + j] - (s < 0 ? 0.1 * s : s))).toBeLessThanOrEqual(1e-6 * scale);
      }
    }
  });
});
