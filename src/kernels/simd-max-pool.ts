/**
 * The WebAssembly SIMD row of the inference max pool (`infer-max-pool.ts`): 2×2 windows at stride s
 * (1 or 2), the window's right column and bottom row clipped to the image (TF.js's 'same' padding for a
 * 2×2 window puts all of it on the right and bottom, and a padded value never wins a max), four
 * channels per step (C a multiple of 4):
 *
 * - `maxPool2Row(r0, r1, y, C4, outW, s, W)`: for ox < outW, with x0 = s·ox and x1 = min(x0 + 1, W − 1),
 *   `y[ox] = max(r0[x0], r0[x1], r1[x0], r1[x1])` per channel; r0 and r1 are byte offsets of the two
 *   input rows (the same row when the bottom one is clipped), y of the output row, C4 = 4C a pixel's
 *   bytes.
 *
 * `maxPool2Row16(…)`: the same, 16 channels a step (C a multiple of 16).
 *
 * `f32x4.max` gives NaN when either value is NaN, so a NaN in a window makes that output NaN.
 *
 * @internal
 * @packageDocumentation
 */
import { I32, f32x4, load, op, store, type WasmFunction } from './wasm-asm.js';

/** `maxPool2Row` (4 channels a step) and `maxPool2Row16` (16 a step: C a multiple of 16). */
export function maxPoolFunctions(): WasmFunction[] {
  return [rowFunction(1), rowFunction(4)];
}

function rowFunction(unroll: 1 | 4): WasmFunction {
  const { get, set, tee, i32, i32Add, i32Mul, i32LtU } = op;
  const R0 = 0, R1 = 1, Y = 2, C4 = 3, OUTW = 4, S = 5, W = 6;
  // i32 locals: output column, x1, then the four window pointers, the output pointer and the channel end
  const OX = 7, X1 = 8, P = [9, 10, 11, 12], Q = 13, END = 14;
  // P[0] = r0 + x0·C4, P[1] = r0 + x1·C4, P[2] = r1 + x0·C4, P[3] = r1 + x1·C4 with x1 = min(x0 + 1, W − 1)
  const pixels = [
    ...get(OX), ...get(S), ...i32Mul, ...i32(1), ...i32Add, ...tee(X1),
    ...get(W), ...i32(1), ...op.i32Sub, ...get(X1), ...get(W), ...i32LtU, ...op.select, ...get(C4), ...i32Mul, ...set(X1),
    ...get(R0), ...get(OX), ...get(S), ...i32Mul, ...get(C4), ...i32Mul, ...tee(P[0]), ...i32Add, ...set(P[0]),
    ...get(R1), ...get(OX), ...get(S), ...i32Mul, ...get(C4), ...i32Mul, ...i32Add, ...set(P[2]),
    ...get(R0), ...get(X1), ...i32Add, ...set(P[1]), ...get(R1), ...get(X1), ...i32Add, ...set(P[3]),
    ...get(Y), ...set(Q), ...get(Y), ...get(C4), ...i32Add, ...set(END),
  ];
  const step: number[] = [];
  for (let u = 0; u < unroll; u++) {
    const l = (p: number) => [...get(p), ...load(16 * u)];
    step.push(...get(Q), ...l(P[0]), ...l(P[1]), ...f32x4.max, ...l(P[2]), ...l(P[3]), ...f32x4.max, ...f32x4.max, ...store(16 * u));
  }
  for (const p of [...P, Q]) step.push(...get(p), ...i32(16 * unroll), ...i32Add, ...set(p));
  const channels = [...op.loop, ...step, ...get(Q), ...get(END), ...i32LtU, ...op.brIf(0), ...op.end];
  const body = [
    ...op.block, ...get(OUTW), ...op.i32Eqz, ...op.brIf(0),
    ...i32(0), ...set(OX), ...op.loop, ...pixels, ...channels,
    ...get(END), ...set(Y),
    ...get(OX), ...i32(1), ...i32Add, ...tee(OX), ...get(OUTW), ...i32LtU, ...op.brIf(0), ...op.end, ...op.end,
  ];
  return { name: unroll === 1 ? 'maxPool2Row' : 'maxPool2Row16', params: new Array<number>(7).fill(I32), locals: new Array<number>(8).fill(I32), body };
}

/** The exported functions (byte offsets, counts). */
export interface SimdMaxPool {
  maxPool2Row(r0: number, r1: number, y: number, C4: number, outW: number, s: number, W: number): void;
  maxPool2Row16(r0: number, r1: number, y: number, C4: number, outW: number, s: number, W: number): void;
}
