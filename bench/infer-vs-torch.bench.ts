/**
 * tinyYOLOv2 and yolov2 at 416, batch 1 (BENCH_BATCHES for others): yolov2-ts (wasm, the folded model) against PyTorch (CPU, the
 * same layer shapes, bench/pytorch_infer.py), in alternating rounds within one run, so that both meet
 * the same machine: on a shared or throttled machine the speed drifts by tens of percent over minutes,
 * and timings taken at different times do not compare. Before each engine's measurement the process sleeps
 * BENCH_PAUSE_MS (default 300 ms): PyTorch's OpenMP threads and TF.js's thread pool spin on the cores for
 * a while after their work, which would slow whichever engine runs next.
 *
 *   npm run bench -- infer-vs-torch
 *   BENCH_ROUNDS=7 BENCH_ITERS=5 BENCH_MODELS=yolov2 BENCH_BATCHES=1,8 BENCH_TORCH_THREADS=2 npm run bench -- infer-vs-torch
 *
 * Needs Debian's PyTorch (`apt-get install -y python3-torch`; BENCH_PYTHON, default /usr/bin/python3).
 * Prints per round {"name":"infer-vs-torch-round","model","batch","round","tsMs","torchFoldedMs","torchEvalMs"}
 * (medians of BENCH_ITERS calls each, ms per call) and per model and batch {"name":"infer-vs-torch","model","batch","rounds","tsMs",
 * "torchFoldedMs","torchEvalMs","ratioToFolded","ratioToEval"} (medians over the rounds; ratio =
 * yolov2-ts / PyTorch, below 1 is faster), or {"name":"infer-vs-torch","skipped":reason}.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { foldBatchNorm, tinyYOLOv2, yolov2 } from '../src/models/index.js';
import { measure, median, report, useBackend } from './util.js';

const here = dirname(fileURLToPath(import.meta.url));
const MODELS = { tinyYOLOv2: { build: tinyYOLOv2, torch: 'tiny' }, yolov2: { build: yolov2, torch: 'yolov2' } } as const;

/** PyTorch in serve mode: one request line in, one JSON line out. */
async function startTorch(): Promise<{ ask(line: string): Promise<Record<string, number>>; stop(): void }> {
  const python = process.env.BENCH_PYTHON ?? '/usr/bin/python3';
  const threads = process.env.BENCH_TORCH_THREADS ?? '2';
  const child = spawn(python, [join(here, 'pytorch_infer.py'), '--serve', '--threads', threads], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const r = await lines.next();
    if (r.done) throw new Error(`${python} bench/pytorch_infer.py --serve ended (is python3-torch installed?)`);
    return JSON.parse(r.value) as Record<string, number>;
  };
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('spawn', () => resolve());
  });
  await next(); // {"ready": true}
  return {
    ask: async (line) => {
      child.stdin.write(`${line}\n`);
      return next();
    },
    stop: () => child.kill(),
  };
}

export default async function (): Promise<void> {
  const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
  const iterations = Number(process.env.BENCH_ITERS ?? 5);
  const names = (process.env.BENCH_MODELS ?? 'tinyYOLOv2,yolov2').split(',') as Array<keyof typeof MODELS>;
  const batches = (process.env.BENCH_BATCHES ?? '1').split(',').map(Number);
  const pauseMs = Number(process.env.BENCH_PAUSE_MS ?? 300);
  const idle = new Int32Array(new SharedArrayBuffer(4));
  const pause = () => Atomics.wait(idle, 0, 0, pauseMs);
  let torch;
  try {
    torch = await startTorch();
  } catch (e) {
    report({ name: 'infer-vs-torch', skipped: (e as Error).message });
    return;
  }
  try {
    await useBackend('wasm');
    for (const name of names) {
      const { build, torch: torchName } = MODELS[name];
      const model = build({ numClasses: 20, inputSize: 416 });
      const folded = foldBatchNorm(model);
      for (const batch of batches) {
        const x = tf.randomUniform([batch, 416, 416, 3]);
        const ts: number[] = [];
        const tf_: number[] = [];
        const te: number[] = [];
        for (let round = 0; round < rounds; round++) {
          pause();
          const r = await measure(() => {
            const y = folded.predict(x) as tf.Tensor;
            y.dataSync();
            y.dispose();
          }, { iterations, warmup: 1 });
          pause();
          const f = await torch.ask(`${torchName} ${batch} ${iterations} folded`);
          pause();
          const e = await torch.ask(`${torchName} ${batch} ${iterations} eval`);
          ts.push(r.medianMs);
          tf_.push(f.medianMs);
          te.push(e.medianMs);
          report({ name: 'infer-vs-torch-round', backend: 'wasm', model: name, batch, round, tsMs: r.medianMs, torchFoldedMs: f.medianMs, torchEvalMs: e.medianMs });
        }
        const round3 = (v: number) => Math.round(v * 1000) / 1000;
        report({
          name: 'infer-vs-torch', backend: 'wasm', model: name, inputSize: 416, batch, rounds,
          tsMs: median(ts), torchFoldedMs: median(tf_), torchEvalMs: median(te),
          ratioToFolded: round3(median(ts.map((t, i) => t / tf_[i]))), ratioToEval: round3(median(ts.map((t, i) => t / te[i]))),
        });
        tf.dispose(x);
      }
      folded.dispose();
      model.dispose();
    }
  } finally {
    torch.stop();
  }
}
