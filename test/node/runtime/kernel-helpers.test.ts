/**
 * Kernel helper threads on a shared memory of the test's own (the test backends' wasm heap is not
 * shared): every task split over the calling thread and a helper must write exactly what one thread
 * writes, errors in a helper must surface, and stop() must uninstall the pool.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { YOLOv2Error, ValueError } from '../../../src/errors.js';
import { geometryArgs, winogradArgs, type KernelTaskName } from '../../../src/kernels/tasks.js';
import { kernelParts, kernelThreadPool, parallelForShared, runKernelTask, sharedGrain } from '../../../src/kernels/thread-pool.js';
import { bindSimd } from '../../../src/kernels/simd.js';
import { startKernelThreads, type KernelThreads } from '../../../src/node/runtime/kernel-helpers.js';
import { rng } from '../../helpers.js';

const memory = new WebAssembly.Memory({ initial: 256, maximum: 512, shared: true }); // 16 MiB
let threads: KernelThreads | null = null;
let next = 64; // bump allocator over the shared memory, 64-byte aligned

function alloc(floats: number): number {
  const at = next;
  next += Math.ceil((4 * floats) / 64) * 64;
  if (next > memory.buffer.byteLength) throw new Error('test memory full');
  return at;
}
const view = (at: number, n: number) => new Float32Array(memory.buffer, at, n);
function random(n: number, seed: number): number {
  const at = alloc(n);
  const rand = rng(seed);
  const v = view(at, n);
  for (let i = 0; i < n; i++) v[i] = 2 * rand() - 1;
  return at;
}

beforeAll(async () => {
  bindSimd(memory); // as the wasm kernels do on the calling thread; the helper binds its own
  threads = await startKernelThreads({ helpers: 1, memory });
}, 60_000);

afterAll(async () => {
  await threads?.stop();
});

/**
 * Run `task` once on one thread and once split in two (part 1 on the helper), writing to `outA` and
 * `outB` (args built by `argsFor(out)`), and return both outputs.
 */
function both(task: KernelTaskName, n: number, outFloats: number, argsFor: (out: number) => number[]): [Float32Array, Float32Array] {
  const outA = alloc(outFloats);
  const outB = alloc(outFloats);
  runKernelTask(task, memory.buffer, argsFor(outA), n, 1);
  runKernelTask(task, memory.buffer, argsFor(outB), n, 2);
  return [view(outA, outFloats).slice(), view(outB, outFloats).slice()];
}

describe('startKernelThreads', () => {
  it('installs a pool that shares the memory, and splits only big enough work', () => {
    expect(threads?.helpers).toBe(1);
    expect(kernelThreadPool()?.sharesHeap(memory.buffer)).toBe(true);
    expect(kernelThreadPool()?.sharesHeap(new ArrayBuffer(8))).toBe(false);
    expect(kernelParts(memory.buffer, 1000, 100)).toBe(2);
    expect(kernelParts(memory.buffer, 150, 100)).toBe(1);
    expect(kernelParts(new ArrayBuffer(8), 1000, 1)).toBe(1);
  });

  it('splits batch norm, its gradient, the max-pool gradient and im2col without changing a bit', () => {
    const C = 5;
    const rows = 203;
    const x = random(rows * C, 1);
    const da = random(rows * C, 2);
    const coef = random(4 * C, 3);
    const mean = random(C, 4);
    let [a, b] = both('bnNormalize', rows, rows * C, (y) => [x, y, C, coef, 0.1]);
    expect(b).toEqual(a);
    // bnGradApply reads dy from its output: start both copies from da
    const dxA = alloc(rows * C);
    const dxB = alloc(rows * C);
    view(dxA, rows * C).set(view(da, rows * C));
    view(dxB, rows * C).set(view(da, rows * C));
    runKernelTask('bnGradApply', memory.buffer, [dxA, x, C, coef], rows, 1);
    runKernelTask('bnGradApply', memory.buffer, [dxB, x, C, coef], rows, 2);
    expect(view(dxB, rows * C)).toEqual(view(dxA, rows * C));
    // the gradient sums write dy too (the same either way), and per-part float64 sums that add up to the whole
    const y = random(rows * C, 5);
    const sums1 = alloc(4 * 2 * C);
    const sums2 = alloc(4 * 2 * C * 2);
    new Float64Array(memory.buffer, sums1, 2 * C).fill(0);
    new Float64Array(memory.buffer, sums2, 4 * C).fill(0);
    const dx1 = alloc(rows * C);
    const dx2 = alloc(rows * C);
    runKernelTask('bnGradSums', memory.buffer, [da, x, y, dx1, C, mean, 0.1, sums1], rows, 1);
    runKernelTask('bnGradSums', memory.buffer, [da, x, y, dx2, C, mean, 0.1, sums2], rows, 2);
    expect(view(dx2, rows * C)).toEqual(view(dx1, rows * C));
    const whole = new Float64Array(memory.buffer, sums1, 2 * C);
    const parts = new Float64Array(memory.buffer, sums2, 4 * C);
    for (let i = 0; i < 2 * C; i++) {
      expect(parts[2 * C + i]).not.toBe(0); // the helper's part wrote its own slot
      expect(parts[i] + parts[2 * C + i]).toBeCloseTo(whole[i], 10);
    }
    // maxPoolGrad2x2 over [2, 9, 7, 3] (odd sizes: clipped windows), rows b·outH + oy
    const [B, H, W, Cp] = [2, 9, 7, 3];
    const [oh, ow] = [Math.ceil(H / 2), Math.ceil(W / 2)];
    const xp = random(B * H * W * Cp, 6);
    const gp = random(B * oh * ow * Cp, 7);
    [a, b] = both('maxPoolGrad2x2', B * oh, B * H * W * Cp, (out) => [xp, gp, out, B, H, W, Cp, oh, ow]);
    expect(b).toEqual(a);
    expect(a.some((v) => v !== 0)).toBe(true);
    // im2col of a 3×3 'same' convolution over [2, 5, 6, 3], output rows 1 … 8 (n0 = 6, n1 = 54)
    const g = { batch: 2, inH: 5, inW: 6, inC: 3, outH: 5, outW: 6, outC: 4, kh: 3, kw: 3, sh: 1, sw: 1, pt: 1, pl: 1, pb: 1, pr: 1 };
    const xi = random(2 * 5 * 6 * 3, 8);
    [a, b] = both('im2col', 8, 27 * 48, (dst) => [xi, dst, 6, 54, ...geometryArgs(g)]);
    expect(b).toEqual(a);
  });

  it('splits the SIMD batch-norm loops (C a multiple of 4) without changing a bit', () => {
    const C = 8;
    const rows = 203;
    const x = random(rows * C, 21);
    const coef = random(4 * C, 22);
    const [a, b] = both('bnNormalize', rows, rows * C, (y) => [x, y, C, coef, 0.1]);
    expect(b).toEqual(a);
    const da = random(rows * C, 23);
    const y = random(rows * C, 24);
    const [c, d] = both('bnGradSums', rows, rows * C, (dx) => {
      const sums = alloc(4 * C * 2);
      new Float64Array(memory.buffer, sums, 4 * C).fill(0);
      return [da, x, y, dx, C, coef, 0.1, sums];
    });
    expect(d).toEqual(c);
    expect(c.some((v) => v !== 0)).toBe(true);
  });

  it('splits the Winograd transforms without changing a bit', () => {
    const wg = { batch: 2, inH: 7, inW: 5, inC: 6, outH: 7, outW: 5, outC: 4, pt: 1, pl: 1 };
    const T = 2 * 4 * 3;
    const x = random(2 * 7 * 5 * 6, 9);
    const w = random(9 * 6 * 4, 10);
    const m16 = Array.from({ length: 16 }, (_, k) => random(T * 4, 20 + k));
    const u16 = Array.from({ length: 16 }, (_, k) => random(6 * 4, 40 + k));
    const dy = random(2 * 7 * 5 * 4, 11);
    const out16 = (out: number, n: number) => Array.from({ length: 16 }, (_, k) => out + 4 * n * k);
    const cases: Array<[KernelTaskName, number, number, (out: number) => number[]]> = [
      ['wgInput', T, 16 * T * 6, (o) => [x, ...winogradArgs(wg), ...out16(o, T * 6)]],
      ['wgOutput', T, 2 * 7 * 5 * 4, (o) => [o, ...winogradArgs(wg), ...m16]],
      ['wgGrad', T, 16 * T * 4, (o) => [dy, ...winogradArgs(wg), ...out16(o, T * 4)]],
      ['wgFilter', 24, 16 * 24, (o) => [w, 6, 4, ...out16(o, 24)]],
      ['wgFilterGrad', 24, 9 * 24, (o) => [o, 6, 4, ...u16]],
      ['wgTranspose', 16, 16 * 24, (o) => [6, 4, ...u16, ...out16(o, 24)]],
    ];
    for (const [task, n, floats, args] of cases) {
      const [a, b] = both(task, n, floats, args);
      expect(b, task).toEqual(a);
      expect(a.some((v) => v !== 0), task).toBe(true);
    }
  });

  it('a shared split (blocks taken from a counter) writes exactly what one thread writes, for any grain', () => {
    const wg = { batch: 2, inH: 9, inW: 7, inC: 6, outH: 9, outW: 7, outC: 4, pt: 1, pl: 1 };
    const T = 2 * 5 * 4; // 40 tiles
    const x = random(2 * 9 * 7 * 6, 31);
    const out16 = (out: number) => Array.from({ length: 16 }, (_, k) => out + 4 * T * 6 * k);
    const one = alloc(16 * T * 6);
    runKernelTask('wgInput', memory.buffer, [x, ...winogradArgs(wg), ...out16(one)], T, 1);
    const want = view(one, 16 * T * 6).slice();
    expect(want.some((v) => v !== 0)).toBe(true);
    expect(kernelThreadPool()?.counter).toBeInstanceOf(Int32Array);
    for (const grain of [1, 3, 7, 39, 40, 100]) {
      const out = alloc(16 * T * 6);
      view(out, 16 * T * 6).fill(Number.NaN); // an item run by no thread would stay NaN
      parallelForShared('wgInput', memory.buffer, [x, ...winogradArgs(wg), ...out16(out)], T, grain);
      expect(view(out, 16 * T * 6), `grain ${grain}`).toEqual(want);
    }
    // about 6 blocks per thread (2 threads here), never below the minimum
    expect(sharedGrain(120)).toBe(10);
    expect(sharedGrain(120, 32)).toBe(32);
  });

  it('a shared split surfaces an error in any block, and the pool stays usable', () => {
    // bnNormalize over rows whose last ones lie past the end of the memory: whichever thread takes that
    // block fails (a RangeError or a wasm trap on the calling thread, a YOLOv2Error from the helper)
    const C = 4;
    const rows = 64;
    const x = random(rows * C, 32);
    const coef = random(2 * C, 33);
    const y = memory.buffer.byteLength - 4 * C * (rows / 2); // room for half of the rows (4·C bytes each)
    expect(() => parallelForShared('bnNormalize', memory.buffer, [x, y, C, coef, 0.1], rows, 4)).toThrow();
    const x2 = random(40, 34);
    const coef2 = random(8, 35);
    const [a, b] = both('bnNormalize', 10, 40, (out) => [x2, out, 4, coef2, -1]);
    expect(b).toEqual(a);
  });

  it('reports an error in a helper with the task and its message', () => {
    // bnMoments writes part k's sums at sums + 16·C·k: with the sums at the last 16·C bytes, part 0's
    // slot fits and part 1's (the helper's) lies past the end of the memory (C = 4: the SIMD loop, which
    // traps in wasm)
    const C = 4;
    const x = random(64 * C, 14);
    const sums = memory.buffer.byteLength - 16 * C;
    runKernelTask('bnMoments', memory.buffer, [x, C, sums], 64, 1); // one thread: fine
    expect(() => runKernelTask('bnMoments', memory.buffer, [x, C, sums], 64, 2)).toThrow(YOLOv2Error);
    expect(() => runKernelTask('bnMoments', memory.buffer, [x, C, sums], 64, 2)).toThrow(/kernel helper thread 0 failed: bnMoments \[32, 64\): \S/); // a RangeError (JS) or a wasm trap (SIMD)
    // the helper is still usable
    const x2 = random(40, 12);
    const coef = random(8, 13);
    const [a, b] = both('bnNormalize', 10, 40, (y) => [x2, y, 4, coef, -1]);
    expect(b).toEqual(a);
  });

  it('rejects bad options and a second start', async () => {
    await expect(startKernelThreads({ helpers: 0, memory })).rejects.toThrow(ValueError);
    await expect(startKernelThreads({ helpers: 1.5, memory })).rejects.toThrow(/'helpers' must be an integer from 1 to 15, got 1.5/);
    await expect(startKernelThreads({ timeoutMs: -1, memory })).rejects.toThrow(/'timeoutMs' must be a number > 0/);
    await expect(startKernelThreads({ memory: new WebAssembly.Memory({ initial: 1 }) })).rejects.toThrow(/shared WebAssembly.Memory/);
    await expect(startKernelThreads({ memory })).rejects.toThrow(/running already/);
  });

  it('returns null when the wasm backend has no shared memory (the single-threaded start)', async () => {
    const running = threads;
    await running?.stop();
    expect(kernelThreadPool()).toBeNull();
    // the test backends start wasm single-threaded (or not at all on the cpu leg)
    expect(await startKernelThreads()).toBeNull();
    threads = await startKernelThreads({ helpers: 1, memory });
    expect(kernelThreadPool()?.helpers).toBe(1);
  });
});

describe('startKernelThreads options (issue 18, item 5)', () => {
  it('a misspelled option is a ValueError naming it, before any helper starts', async () => {
    const before = kernelThreadPool();
    await expect(startKernelThreads({ helper: 1 } as never)).rejects.toThrow(ValueError);
    await expect(startKernelThreads({ helper: 1 } as never)).rejects.toThrow(/startKernelThreads: unknown option 'helper'.*did you mean 'helpers'/);
    expect(kernelThreadPool()).toBe(before);
  });
});
