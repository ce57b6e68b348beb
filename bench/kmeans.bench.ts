/**
 * kmeansAnchors on seeded log-normal box sizes: 2,000 sizes with k = 5 (the test's size) and 40,000 with
 * k = 9 (a COCO-sized label set), default options (20 restarts). Pure JS: no backend involved.
 */
import { kmeansAnchors } from '../src/kmeans.js';
import { measure, report } from './util.js';

function sizes(n: number, seed: number): [number, number][] {
  let a = seed >>> 0;
  const rand = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => Math.sqrt(-2 * Math.log(Math.max(rand(), 1e-12))) * Math.cos(2 * Math.PI * rand());
  const modes = [[0.08, 0.1], [0.15, 0.35], [0.35, 0.2], [0.3, 0.6], [0.6, 0.45], [0.85, 0.8], [0.05, 0.05]];
  return Array.from({ length: n }, () => {
    const [mw, mh] = modes[Math.floor(rand() * modes.length)];
    return [Math.min(1, mw * Math.exp(0.3 * normal())), Math.min(1, mh * Math.exp(0.3 * normal()))];
  });
}

export default async function (): Promise<void> {
  for (const [n, k] of [[2000, 5], [40000, 9]]) {
    const data = sizes(n, 1);
    let out = kmeansAnchors(data, k);
    const t = await measure(() => { out = kmeansAnchors(data, k); }, { iterations: n > 10000 ? 3 : 10, warmup: 1 });
    report({ name: 'kmeans', backend: 'js', boxes: n, k, ...t, meanIoU: Math.round(out.meanIoU * 1e5) / 1e5, lloydIterations: out.iterations });
  }
}
