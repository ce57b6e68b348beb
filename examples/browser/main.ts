/**
 * The browser example: tiny-YOLOv2 detection on the WebGL backend (drawn on a canvas) and a webgl-vs-cpu
 * check of the core functions, both in one page. `?mode=detect`, `?mode=core` or `?mode=all` (default).
 * Results go to `window.__yolov2Results` (read by the browser test) and to the page as text.
 */
import * as tf from '@tensorflow/tfjs-core';
// The core registers no gradients; the loss gradient of the core check needs them.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-cpu';
import { runCoreCheck } from './core-check.js';
import { CUSTOM_LAYERS, runDetection } from './detect.js';
import type { BrowserMeta, PageResults } from './results.js';
import { webglInfo } from './backend.js';

declare global {
  interface Window {
    __yolov2Results?: PageResults;
  }
}

const out = document.getElementById('results')!;
const canvas = document.getElementById('view') as HTMLCanvasElement;
const info = document.getElementById('model-info')!;


async function main(): Promise<void> {
  const mode = new URLSearchParams(location.search).get('mode') ?? 'all';
  const results: PageResults = { done: false, mode, webgl: { version: 0, float32: false, renderer: '' } };
  window.__yolov2Results = results;
  try {
    if (!(await tf.setBackend('webgl'))) throw new Error('the webgl backend could not be initialised');
    await tf.ready();
    results.webgl = webglInfo();
    if (mode === 'all' || mode === 'detect') {
      const meta = (await (await fetch('meta.json')).json()) as BrowserMeta;
      results.detect = await runDetection(canvas, meta);
      info.textContent = `model: ${meta.source}; custom layers: ${CUSTOM_LAYERS.join(', ')}; ` +
        `${results.detect.detections.length} detections above ${meta.confThreshold}`;
    }
    if (mode === 'all' || mode === 'core') results.core = await runCoreCheck();
  } catch (e) {
    results.error = e instanceof Error ? `${e.name}: ${e.message}\n${e.stack ?? ''}` : String(e);
  }
  results.done = true;
  out.textContent = summary(results);
}

const g = (v: number): string => (v === 0 ? '0' : Number.isFinite(v) ? v.toExponential(2) : String(v));

/** The results as short text (the full object is on window.__yolov2Results). */
function summary(r: PageResults): string {
  const lines: string[] = [];
  if (r.error) lines.push(`ERROR ${r.error}`, '');
  lines.push(`WebGL ${r.webgl.version}, float32 render ${r.webgl.float32}`, r.webgl.renderer, '');
  if (r.detect) {
    const d = r.detect;
    lines.push(`detection on '${d.backend}', image ${d.imageSize.join('×')}, ${d.detections.length} detections > ${d.confThreshold}:`);
    for (const det of d.detections.slice(0, 12)) {
      lines.push(`  ${det.label.padEnd(10)} ${det.score.toFixed(3)}  [${det.box.map((v) => v.toFixed(3)).join(', ')}]`);
    }
    if (d.detections.length > 12) lines.push(`  … ${d.detections.length - 12} more`);
    lines.push(`tensors before/after ${d.leak.runs} inferences: ${d.leak.numTensorsBefore} / ${d.leak.numTensorsAfter}` +
      `  (${d.msPerInference.toFixed(1)} ms per inference)`, '');
  }
  if (r.core) {
    const m = r.core.maxRelDiff;
    lines.push('core check, max |webgl − cpu| / max(|cpu|, 1e-3):',
      `  decodeBoxes  boxes ${g(m.boxes)}  objectness ${g(m.objectness)}  classProbs ${g(m.classProbs)}  scores ${g(m.scores)}`,
      `  nms indices identical: ${r.core.nmsIdentical} (${r.core.nmsIndices.cpu.length} kept)`,
      `  loss  total ${g(m.loss.total)}  coord ${g(m.loss.coord)}  obj ${g(m.loss.obj)}  noobj ${g(m.loss.noobj)}  cls ${g(m.loss.cls)}` +
        `  (cpu total ${r.core.loss.cpu.total.toFixed(4)})`,
      `  d total / d output ${g(m.gradient)}  (|grad| cpu ${g(r.core.gradientNorm.cpu)}, webgl ${g(r.core.gradientNorm.webgl)})`);
  }
  return lines.join('\n');
}

void main();
