/**
 * Seeded synthetic detection data for the evaluation benchmarks: images with objects, ~1.2 detections
 * per object (jittered copies, some duplicates) plus false positives, scores correlated with quality.
 */
import { mulberry32 } from '../src/random.js';
import type { COCOGroundTruthBox, DetectionBox } from '../src/index.js';


export interface SyntheticEvalOptions {
  images: number;
  classes: number;
  objectsPerImage: number; // mean; uniform in [1, 2·mean − 1]
  detectionsPerObject: number; // mean, ≥ 1: one per object, extra ones with probability (mean − 1)
  falsePositivesPerImage: number;
  difficultRate?: number;
  crowdRate?: number;
  width?: number;
  height?: number;
  seed?: number;
}

export function syntheticEval(o: SyntheticEvalOptions): { dets: DetectionBox[]; gts: COCOGroundTruthBox[] } {
  const r = mulberry32(o.seed ?? 1);
  const W = o.width ?? 500, H = o.height ?? 375;
  const gts: COCOGroundTruthBox[] = [];
  const dets: DetectionBox[] = [];
  const clamp = (v: number, hi: number): number => Math.max(0, Math.min(hi, Math.round(v)));
  const randomBox = (): [number, number, number, number] => {
    const w = 8 + r() * (W * 0.6), h = 8 + r() * (H * 0.6);
    const x = r() * (W - w), y = r() * (H - h);
    return [Math.round(x), Math.round(y), Math.round(x + w), Math.round(y + h)];
  };
  for (let i = 0; i < o.images; i++) {
    const imageId = String(100000 + i);
    const nObj = 1 + Math.floor(r() * (2 * o.objectsPerImage - 1));
    for (let k = 0; k < nObj; k++) {
      const classId = Math.floor(r() * o.classes);
      const box = randomBox();
      const g: COCOGroundTruthBox = { imageId, classId, box };
      if (o.difficultRate && r() < o.difficultRate) g.difficult = true;
      if (o.crowdRate && r() < o.crowdRate) g.iscrowd = true;
      gts.push(g);
      const n = 1 + (r() < o.detectionsPerObject - 1 ? 1 : 0);
      for (let j = 0; j < n; j++) {
        if (r() < 0.1) continue; // missed
        const w = box[2] - box[0], h = box[3] - box[1];
        const q = r();
        const jit = 0.25 * q;
        const x1 = clamp(box[0] + (r() - 0.5) * jit * w, W), y1 = clamp(box[1] + (r() - 0.5) * jit * h, H);
        const x2 = Math.max(x1, clamp(box[2] + (r() - 0.5) * jit * w, W)), y2 = Math.max(y1, clamp(box[3] + (r() - 0.5) * jit * h, H));
        dets.push({ imageId, classId, box: [x1, y1, x2, y2], score: Math.round((1 - 0.6 * q) * r() * 1e6) / 1e6 });
      }
    }
    for (let k = 0; k < o.falsePositivesPerImage; k++) {
      dets.push({ imageId, classId: Math.floor(r() * o.classes), box: randomBox(), score: Math.round(r() * 0.6 * 1e6) / 1e6 });
    }
  }
  return { dets, gts };
}

/**
 * Median timing and JSON-line output with the same fields as bench/util.ts's `measure` / `report`.
 * (The metrics need no backend; importing bench/util.ts currently fails under `npm run bench` because
 * its `@tensorflow/tfjs-core/dist/register_all_gradients` import loads tfjs-core's ESM build, whose
 * directory imports Node rejects.)
 */
export async function measureMs(
  fn: () => unknown,
  { iterations = 20, warmup = 3 }: { iterations?: number; warmup?: number } = {},
): Promise<{ medianMs: number; minMs: number; maxMs: number; cpuMsMean: number; iterations: number }> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  const c0 = process.cpuUsage();
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  const cpu = process.cpuUsage(c0);
  const s = [...times].sort((a, b) => a - b);
  const med = s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  const r = (x: number): number => Math.round(x * 1000) / 1000;
  // cpuMsMean: process CPU time per iteration — less sensitive than wall time to a shared machine
  return { medianMs: r(med), minMs: r(s[0]), maxMs: r(s[s.length - 1]), cpuMsMean: r((cpu.user + cpu.system) / 1000 / iterations), iterations };
}

export function reportLine(result: Record<string, unknown>): void {
  console.log(JSON.stringify(result));
}
