import * as tf from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ValueError, YOLOv2Error } from '../../../src/errors.js';
import { BACKEND_CANDIDATES, selectBackend } from '../../../src/node/runtime/select-backend.js';
import { initWasmBackend, logicalCores } from '../../../src/node/runtime/wasm-threads.js';
import { registerTrainingKernels, unregisterTrainingKernels } from '../../../src/models/index.js';
import { kernelThreadPool } from '../../../src/kernels/thread-pool.js';
import { batchNormTraining } from '../../../src/models/layers.js';

const wanted = process.env.YOLOV2_TEST_BACKEND ?? 'cpu';
const leg = wanted;

afterEach(async () => {
  if (tf.findBackendFactory('tensorflow')) tf.removeBackend('tensorflow');
  await tf.setBackend(wanted);
  await tf.ready();
});

const quiet = { log: false } as const;

describe('selectBackend', () => {
  it('falls back past the missing tfjs-node packages to wasm (neither tfjs-node package is installed here)', async () => {
    const lines: string[] = [];
    const r = await selectBackend(undefined, { log: (l) => lines.push(l) });
    expect(r.backend).toBe('wasm');
    expect(r.module).toBe('@tensorflow/tfjs-backend-wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(r.tried.map((t) => [t.module, t.ok])).toEqual([
      ['@tensorflow/tfjs-node-gpu', false],
      ['@tensorflow/tfjs-node', false],
      ['@tensorflow/tfjs-backend-wasm', true],
    ]);
    expect(r.tried[0].error).toMatch(/tfjs-node-gpu/);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^yolov2-ts: using TF\.js backend 'wasm' \(@tensorflow\/tfjs-backend-wasm, \d+ threads?( \+ \d+ kernel helpers?)?\); unavailable: @tensorflow\/tfjs-node-gpu, @tensorflow\/tfjs-node$/,
    );
    expect(lines[0]).toContain(`, ${r.threads} thread`);
    // the test set-up started wasm single-threaded on the wasm leg; on the cpu leg this call started it,
    // with one XNNPACK thread per logical core
    expect(r.threads).toBe(leg === 'wasm' ? 1 : Math.min(8, logicalCores()));
    // a threaded start also starts threads − 1 kernel helpers (startKernelThreads)
    expect(r.kernelHelpers).toBe(r.threads! > 1 ? r.threads! - 1 : undefined);
    if (r.kernelHelpers) expect(lines[0]).toContain(` + ${r.kernelHelpers} kernel helper`);
  });

  it('the wasm backend it started computes what the cpu backend computes (threaded XNNPACK included)', async () => {
    await selectBackend('wasm', quiet);
    const x = tf.randomNormal([2, 13, 13, 64], 0, 1, 'float32', 1) as tf.Tensor4D;
    const w = tf.randomNormal([3, 3, 64, 96], 0, 0.1, 'float32', 2) as tf.Tensor4D;
    const a = tf.randomNormal([300, 200], 0, 1, 'float32', 3) as tf.Tensor2D;
    const b = tf.randomNormal([200, 150], 0, 1, 'float32', 4) as tf.Tensor2D;
    const onWasm = [tf.conv2d(x, w, 1, 'same'), tf.matMul(a, b)].map((t) => t.dataSync().slice());
    await tf.setBackend('cpu');
    const onCpu = [tf.conv2d(x, w, 1, 'same'), tf.matMul(a, b)].map((t) => t.dataSync().slice());
    onWasm.forEach((v, i) => {
      let worst = 0;
      for (let k = 0; k < v.length; k++) worst = Math.max(worst, Math.abs(v[k] - onCpu[i][k]) / (1 + Math.abs(onCpu[i][k])));
      expect(worst, ['conv2d', 'matMul'][i]).toBeLessThan(1e-4); // float32 sums in another order (1.1e-5 measured)
    });
    tf.dispose([x, w, a, b]);
  });

  it('with the training kernels and its kernel helpers, Winograd convolutions and batch norm match cpu', async () => {
    await selectBackend('wasm', quiet);
    const helpers = kernelThreadPool()?.helpers ?? 0; // ≥ 1 on the cpu leg (this file started wasm threaded)
    expect(helpers).toBe(leg === 'wasm' || logicalCores() < 2 ? 0 : Math.min(8, logicalCores()) - 1);
    const x = tf.randomNormal([1, 26, 26, 128], 0, 1, 'float32', 5) as tf.Tensor4D; // 169 tiles: split in parts
    const w = tf.randomNormal([3, 3, 128, 128], 0, 0.05, 'float32', 6) as tf.Tensor4D;
    const dy = tf.randomNormal([1, 26, 26, 128], 0, 1, 'float32', 7) as tf.Tensor4D;
    const run = () => tf.tidy(() => {
      let y: tf.Tensor | null = null; // the forward takes the Winograd path only while gradients are recorded
      const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul((y = tf.keep(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same'))), dy)))([x, w]);
      const bn = (a: tf.Tensor) => batchNormTraining(a as tf.Tensor4D, tf.ones([128]) as tf.Tensor1D, tf.zeros([128]) as tf.Tensor1D, 1e-3, 0.1).y;
      const bnDx = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(bn(a), dy)))(x);
      const out = [y!, dx, dw, bn(x), bnDx].map((t) => t.dataSync().slice());
      tf.dispose(y!);
      return out;
    });
    registerTrainingKernels();
    const onWasm = run();
    await tf.setBackend('cpu'); // with this package's cpu kernels: the stock filter gradient takes a minute here
    const onCpu = run();
    unregisterTrainingKernels();
    onWasm.forEach((v, i) => {
      let worst = 0;
      let scale = 1;
      for (let k = 0; k < v.length; k++) scale = Math.max(scale, Math.abs(onCpu[i][k]));
      for (let k = 0; k < v.length; k++) worst = Math.max(worst, Math.abs(v[k] - onCpu[i][k]) / scale);
      expect(worst, ['conv2d', 'dx', 'dw', 'batch norm', 'batch norm dx'][i]).toBeLessThan(1e-4);
    });
    tf.dispose([x, w, dy]);
  });

  it('honours a preference, then a list of preferences', async () => {
    const r = await selectBackend('cpu', quiet);
    expect(r).toEqual({ backend: 'cpu', module: '@tensorflow/tfjs-backend-cpu', tried: [{ backend: 'cpu', module: '@tensorflow/tfjs-backend-cpu', ok: true }] });
    expect(tf.getBackend()).toBe('cpu');
    const r2 = await selectBackend(['wasm', 'cpu'], quiet);
    expect(r2.backend).toBe('wasm');
    expect(r2.tried).toHaveLength(1);
  });

  it('a preferred backend that is missing falls back to the default order; strict throws instead', async () => {
    const r = await selectBackend('tensorflow', quiet);
    expect(r.backend).toBe('wasm');
    expect(r.tried.map((t) => t.ok)).toEqual([false, false, true]);
    const e = await selectBackend('tensorflow', { ...quiet, strict: true }).catch((x) => x);
    expect(e).toBeInstanceOf(YOLOv2Error);
    expect(e.message).toMatch(/no backend could be initialised; tried tensorflow via @tensorflow\/tfjs-node-gpu \(.*\); tensorflow via @tensorflow\/tfjs-node/);
  });

  it('picks tensorflow when a tfjs-node package is present (simulated module that registers the backend)', async () => {
    const importModule = async (s: string) => {
      if (s === '@tensorflow/tfjs-node-gpu') throw new Error(`Cannot find package '${s}'`);
      if (s === '@tensorflow/tfjs-node') {
        tf.registerBackend('tensorflow', () => new MathBackendCPU());
        return {};
      }
      return import(s);
    };
    const r = await selectBackend(undefined, { ...quiet, importModule });
    expect(r.backend).toBe('tensorflow');
    expect(r.module).toBe('@tensorflow/tfjs-node');
    expect(tf.getBackend()).toBe('tensorflow');
    expect(r.tried.map((t) => t.ok)).toEqual([false, true]);
    expect(r.tried[0].error).toBe("Cannot find package '@tensorflow/tfjs-node-gpu'");
  });

  it('a package that loads but registers nothing, or a backend whose initialisation fails, is skipped', async () => {
    let calls = 0;
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {}); // tf.setBackend reports the init error
    const importModule = async (s: string) => {
      calls++;
      if (s === '@tensorflow/tfjs-node-gpu') return {}; // registers nothing
      if (s === '@tensorflow/tfjs-node') {
        tf.registerBackend('tensorflow', () => {
          throw new Error('libtensorflow.so: cannot open shared object file');
        });
        return {};
      }
      return import(s);
    };
    const r = await selectBackend(undefined, { ...quiet, importModule });
    expect(calls).toBe(3);
    expect(r.backend).toBe('wasm');
    expect(r.tried[0].error).toBe("@tensorflow/tfjs-node-gpu did not register a 'tensorflow' backend");
    expect(r.tried[1].error).toBe("the 'tensorflow' backend failed to initialise");
    warn.mockRestore();
  });

  it('rejects a thread count outside 1…8 before touching any backend', async () => {
    await expect(selectBackend('wasm', { ...quiet, wasmThreads: 0 })).rejects.toThrow(ValueError);
    await expect(selectBackend('wasm', { ...quiet, wasmThreads: 9 })).rejects.toThrow(/wasmThreads/);
    await expect(initWasmBackend(1.5)).rejects.toThrow(/initWasmBackend: 'threads'/);
  });

  it('rejects unknown names', async () => {
    await expect(selectBackend('webgpu' as 'cpu')).rejects.toBeInstanceOf(ValueError);
    await expect(selectBackend(['cpu', 'gpu' as 'cpu'])).rejects.toThrow(/selectBackend: 'preference' must be one of 'tensorflow', 'wasm', 'cpu'/);
    expect(BACKEND_CANDIDATES.map((c) => c.backend)).toEqual(['tensorflow', 'tensorflow', 'wasm', 'cpu']);
  });
});

describe('runtime options (issue 18, item 5)', () => {
  it('selectBackend and initWasmBackend reject a misspelled option before starting anything', async () => {
    await expect(selectBackend('cpu', { strickt: true } as never)).rejects.toThrow(ValueError);
    await expect(selectBackend('cpu', { strickt: true } as never)).rejects.toThrow(/selectBackend: unknown option 'strickt'.*did you mean 'strict'/);
    await expect(initWasmBackend(2, { kernelHelper: false } as never)).rejects.toThrow(/initWasmBackend: unknown option 'kernelHelper'.*did you mean 'kernelHelpers'/);
  });
});
