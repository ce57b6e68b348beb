/**
 * The browser test (issue 7): the example page, built from the package's ESM build, in Debian's Chromium.
 *
 * Pins: the page runs on webgl; it decodes the same pixels as Node; its detections match Node's (cpu
 * backend, same model file and image; all detections above min(confThreshold, 0.01), of which the page draws
 * those above confThreshold): every detection clear of that threshold is found on the
 * other side with the same class, boxes and scores within 1e-3 relative; the core functions (decodeBoxes,
 * nms, YOLOv2Loss and its gradient) agree between webgl and cpu within 1e-3 relative with identical NMS
 * indices; 20 inferences leave tf.memory().numTensors unchanged; a screenshot is saved to
 * runs/browser/screenshot.png.
 *
 * Relative difference: |a − b| / max(|b|, floor), b the reference (cpu / Node); floor 1e-3 for the core
 * outputs (examples/browser/results.ts) and 1e-2 for box corners (normalised to the input, so coordinates
 * within 1 % of the image edge are compared absolutely at 1e-5).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareThreshold, type BrowserMeta, type PageDetection, type PageResults } from '../../examples/browser/results.js';
import { launchChromium, serveStatic } from './harness.js';
import { DIST, ROOT, nodeReference, prepareBuild, type NodeReference } from './prepare.js';

const TOL = 1e-3;
const BOX_FLOOR = 1e-2;
const SCORE_FLOOR = 1e-3;
/** Detections whose score is this close to the threshold may legitimately appear on one side only. */
const THRESHOLD_MARGIN = 1e-4;

let browser: Browser | undefined;
let server: { url: string; close: () => Promise<void> } | undefined;
let page: Page;
let results: PageResults;
let meta: BrowserMeta;

/** IoU of two pixel-corner boxes (continuous coordinates). */
function boxIoU(a: readonly number[], b: readonly number[]): number {
  const iw = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const ih = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = iw * ih;
  return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter);
}
let ref: NodeReference;
const consoleErrors: string[] = [];

const rel = (a: number, b: number, floor: number): number => Math.abs(a - b) / Math.max(Math.abs(b), floor);

interface Match { boxRel: number; scoreRel: number }

/** For each of `from` clear of the threshold: the best same-class partner in `to`, or null. */
function matchAll(from: ReadonlyArray<Omit<PageDetection, 'label'>>, to: ReadonlyArray<Omit<PageDetection, 'label'>>, threshold: number): Array<Match | null> {
  return from
    .filter((d) => d.score > threshold + THRESHOLD_MARGIN)
    .map((d) => {
      let best: Match | null = null;
      for (const e of to) {
        if (e.classId !== d.classId) continue;
        const boxRel = Math.max(...d.box.map((v, i) => rel(v, e.box[i], BOX_FLOOR)));
        if (!best || boxRel < best.boxRel) best = { boxRel, scoreRel: rel(d.score, e.score, SCORE_FLOOR) };
      }
      return best;
    });
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  meta = await prepareBuild();
  ref = await nodeReference(meta);
  server = await serveStatic(DIST);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  await page.goto(`${server.url}?mode=all`);
  await page.waitForFunction(() => window.__yolov2Results?.done === true, undefined, { timeout: 200_000, polling: 250 });
  results = (await page.evaluate(() => window.__yolov2Results)) as PageResults;
  await mkdir(join(ROOT, 'runs/browser'), { recursive: true });
  await page.screenshot({ path: join(ROOT, 'runs/browser/screenshot.png') });
  await writeFile(join(ROOT, 'runs/browser/results.json'), JSON.stringify({ page: results, node: { detections: ref.detections } }, null, 2));
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('browser example (webgl in Chromium)', () => {
  it('ran without errors on the webgl backend', () => {
    expect(results.error).toBeUndefined();
    expect(results.detect?.backend).toBe('webgl');
    expect(results.webgl.version).toBe(2);
    expect(results.webgl.float32).toBe(true);
    expect(consoleErrors.filter((e) => !/favicon/.test(e))).toEqual([]);
  });

  it('decoded exactly the pixels Node decoded', () => {
    const d = results.detect!;
    expect(d.imageSize).toEqual([ref.image.width, ref.image.height]);
    expect(d.pixelSum).toBe(ref.pixelSum);
    expect(d.pixelHash).toBe(ref.pixelHash);
  });

  it('found the same detections as Node (cpu) for the same model and image', () => {
    const pageDets = results.detect!.compareDetections;
    const nodeDets = ref.detections;
    const t = compareThreshold(meta);
    expect(results.detect!.compareThreshold).toBe(t);
    // compared above a low threshold on purpose: several detections even for a confident trained model
    // (the committed fixture gives at least 3; a local demo model in runs/demo, trained on other scenes,
    // may find fewer on this image, but at least one)
    const fromDemo = String(meta.source ?? '').includes('trained demo model');
    expect(nodeDets.length).toBeGreaterThanOrEqual(fromDemo ? 1 : 3);
    // the screenshot must show detections, and what the page drew is the part above the display threshold
    expect(
      results.detect!.detections.length,
      `nothing drawn: no detection above confThreshold ${meta.confThreshold} (${meta.source}); lower confThreshold in its meta.json`,
    ).toBeGreaterThan(0);
    expect(results.detect!.detections.length).toBe(pageDets.filter((d) => d.score > meta.confThreshold).length);
    for (const [from, to] of [[nodeDets, pageDets], [pageDets, nodeDets]] as const) {
      const matches = matchAll(from, to, t);
      expect(matches.length).toBeGreaterThan(0);
      for (const m of matches) {
        expect(m).not.toBeNull();
        expect(m!.boxRel).toBeLessThanOrEqual(TOL);
        expect(m!.scoreRel).toBeLessThanOrEqual(TOL);
      }
    }
    const all = [...matchAll(nodeDets, pageDets, t), ...matchAll(pageDets, nodeDets, t)];
    console.log(
      `page (webgl) vs Node (cpu): ${pageDets.length} / ${nodeDets.length} detections > ${t}; max relative diff ` +
        `boxes ${Math.max(...all.map((m) => m?.boxRel ?? Infinity)).toExponential(2)}, ` +
        `scores ${Math.max(...all.map((m) => m?.scoreRel ?? Infinity)).toExponential(2)}`,
    );
    // a trained fixture: the page's most confident detection is one of the drawn objects (IoU ≥ 0.5, same class)
    if (meta.groundTruth) {
      const best = results.detect!.detections[0];
      const S = meta.inputSize; // page boxes are normalised corners, ground truth is in pixels
      const hits = meta.groundTruth.filter((g) => g.classId === best.classId && boxIoU(g.box.map((v) => v / S), best.box) >= 0.5);
      expect(hits.length, `best detection ${JSON.stringify(best)} matches no object of ${JSON.stringify(meta.groundTruth)}`).toBe(1);
    }
    // the top detections in the same order with the same classes
    const k = Math.min(5, nodeDets.length);
    expect(pageDets.slice(0, k).map((d) => d.classId)).toEqual(nodeDets.slice(0, k).map((d) => d.classId));
  });

  it('webgl and cpu agree on decodeBoxes, nms, the loss and its gradient', () => {
    const c = results.core!;
    expect(c.nmsIdentical).toBe(true);
    expect(c.nmsIndices.cpu.length).toBeGreaterThan(0);
    const m = c.maxRelDiff;
    console.log(`webgl vs cpu, max relative diff: ${JSON.stringify(m)}; nms identical ${c.nmsIdentical}`);
    for (const v of [m.boxes, m.objectness, m.classProbs, m.scores, m.gradient, ...Object.values(m.loss)]) {
      expect(v).toBeLessThanOrEqual(TOL);
    }
    expect(c.loss.cpu.total).toBeGreaterThan(0);
    expect(c.gradientNorm.cpu).toBeGreaterThan(0);
    expect(c.leak.numTensorsAfter).toBe(c.leak.numTensorsBefore);
  });

  it('leaks no tensor over 20 inferences', () => {
    const l = results.detect!.leak;
    expect(l.runs).toBe(20);
    expect(l.numTensorsAfter).toBe(l.numTensorsBefore);
  });
});
