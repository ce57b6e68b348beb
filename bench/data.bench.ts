/**
 * Data pipeline timings (pure JS + sharp; no TF.js backend involved, reported as backend "js"/"sharp"):
 * - synthetic sample generation at 416 / 224 / 128 (JS rasteriser into a Uint8 buffer);
 * - the same kind of scene rendered from an SVG by sharp (librsvg) to raw RGB, for comparison;
 * - one augmented batch of 8 at 416 and at 224 from pre-generated 416 samples (crop jitter, placing,
 *   flip, HSV, boxes), and the same including generation (BatchLoader over SyntheticDataset);
 * - one letterboxed evaluation batch of 8 at 416;
 * - JPEG decode + sharp letterbox to 416 of one 500×375 image.
 */
import { measure, report } from './util.js';
import sharp from 'sharp';
import type { DetectionDataset } from '../src/node/data/datasets.js';
import { BatchLoader, evalBatches } from '../src/node/data/batches.js';
import { decodeImage, letterboxImage } from '../src/node/data/image.js';
import { Rng } from '../src/node/data/rng.js';
import { SyntheticDataset, generateSyntheticSample } from '../src/node/data/synthetic.js';

function svgScene(seed: number, size: number): string {
  const r = new Rng(seed);
  const c = () => `rgb(${r.int(0, 255)},${r.int(0, 255)},${r.int(0, 255)})`;
  const parts = [
    `<defs><linearGradient id="g" x1="0" y1="0" x2="${r.next()}" y2="1"><stop offset="0" stop-color="${c()}"/><stop offset="1" stop-color="${c()}"/></linearGradient></defs>`,
    `<rect width="${size}" height="${size}" fill="url(#g)"/>`,
  ];
  for (let i = 0; i < 5; i++) parts.push(`<line x1="${r.uniform(0, size)}" y1="${r.uniform(0, size)}" x2="${r.uniform(0, size)}" y2="${r.uniform(0, size)}" stroke="${c()}" stroke-width="${r.int(1, 3)}"/>`);
  for (let i = 0; i < 4; i++) {
    const w = r.uniform(0.08, 0.6) * size, h = r.uniform(0.08, 0.6) * size, x = r.uniform(0, size - w), y = r.uniform(0, size - h);
    const k = i % 4;
    if (k === 0) parts.push(`<rect x="${x}" y="${y}" width="${w}" height="${h}" fill="${c()}"/>`);
    if (k === 1) parts.push(`<ellipse cx="${x + w / 2}" cy="${y + h / 2}" rx="${w / 2}" ry="${h / 2}" fill="${c()}"/>`);
    if (k === 2) parts.push(`<polygon points="${x + w / 2},${y} ${x + w},${y + h} ${x},${y + h}" fill="${c()}"/>`);
    if (k === 3) parts.push(`<path d="M${x + w / 3},${y}h${w / 3}v${h / 3}h${w / 3}v${h / 3}h${-w / 3}v${h / 3}h${-w / 3}v${-h / 3}h${-w / 3}v${-h / 3}h${w / 3}z" fill="${c()}"/>`);
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}">${parts.join('')}</svg>`;
}

export default async function (): Promise<void> {
  for (const size of [416, 224, 128]) {
    let seed = 0;
    const m = await measure(() => generateSyntheticSample(seed++, { width: size }), { iterations: 200, warmup: 20 });
    report({ name: `synthetic-js-${size}`, backend: 'js', ...m });
  }
  {
    let seed = 0;
    const m = await measure(
      () => sharp(Buffer.from(svgScene(seed++, 416))).removeAlpha().raw().toBuffer(),
      { iterations: 60, warmup: 5 },
    );
    report({ name: 'synthetic-svg-sharp-416 (no noise, comparison)', backend: 'sharp', ...m });
  }
  const pre = new SyntheticDataset({ seed: 1, length: 64, width: 416 });
  const samples = Array.from({ length: 64 }, (_, i) => pre.getSync(i));
  const cached: DetectionDataset = { length: 64, classNames: pre.classNames, get: (i) => Promise.resolve(samples[i]) };
  for (const size of [416, 224]) {
    const loader = new BatchLoader(cached, { batchSize: 8, sizes: [size] });
    const m = await measure(() => loader.next(), { iterations: 30, warmup: 3 });
    report({ name: `augmented-batch8-${size} (samples cached)`, backend: 'js', ...m, msPerImage: Math.round((m.medianMs / 8) * 1000) / 1000 });
  }
  {
    const loader = new BatchLoader(new SyntheticDataset({ seed: 2, length: 1000, width: 416 }), { batchSize: 8, sizes: [416] });
    const m = await measure(() => loader.next(), { iterations: 30, warmup: 3 });
    report({ name: 'augmented-batch8-416 (with generation)', backend: 'js', ...m });
  }
  {
    const m = await measure(async () => {
      for await (const b of evalBatches(cached, { batchSize: 8, size: 416 })) return b;
    }, { iterations: 30, warmup: 3 });
    report({ name: 'eval-letterbox-batch8-416', backend: 'js', ...m });
  }
  {
    const s = generateSyntheticSample(5, { width: 500, height: 375 });
    const jpg = await sharp(s.image.data, { raw: { width: 500, height: 375, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
    const m = await measure(async () => letterboxImage(await decodeImage(jpg), 416), { iterations: 40, warmup: 5 });
    report({ name: 'decode-jpeg-500x375+letterbox-416 (sharp)', backend: 'sharp', ...m });
  }
}
