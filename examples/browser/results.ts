/**
 * What the page publishes on `window.__yolov2Results` (read by test/browser/browser.test.ts), and the
 * relative-difference measure used throughout.
 */

/** Contents of `meta.json` next to the page (written by scripts/browser-fixture.ts). */
export interface BrowserMeta {
  classNames: string[];
  /** Anchors in grid units. */
  anchors: Array<[number, number]>;
  /** Square model input in pixels; `image.png` has this size, so no resampling happens anywhere. */
  inputSize: number;
  source: string;
  confThreshold: number;
  /**
   * The objects drawn in `image.png` (pixel corners), written by `scripts/browser-fixture.ts` for a
   * trained fixture; the browser test then checks that the page's best detection finds one of them.
   */
  groundTruth?: Array<{ classId: number; box: [number, number, number, number] }>;
}

export interface PageDetection {
  box: [number, number, number, number];
  score: number;
  classId: number;
  label: string;
}

export interface DetectResults {
  backend: string;
  modelSource: string;
  imageSize: [number, number];
  /** Σ of the RGB bytes and an FNV-1a hash of them, to prove the page decoded the same pixels as Node. */
  pixelSum: number;
  pixelHash: number;
  confThreshold: number;
  /** Drawn: score > confThreshold. */
  detections: PageDetection[];
  /** Compared with Node: score > compareThreshold (the drawn ones are their prefix, greedy NMS visits by score). */
  compareThreshold: number;
  compareDetections: PageDetection[];
  /** Head output of the single inference (first 16 values) for debugging. */
  headPreview: number[];
  leak: { runs: number; numTensorsBefore: number; numTensorsAfter: number; numBytesBefore: number; numBytesAfter: number };
  msPerInference: number;
}

export interface CoreResults {
  backends: [string, string];
  /** max over elements of |webgl − cpu| / max(|cpu|, REL_FLOOR) */
  maxRelDiff: {
    boxes: number;
    objectness: number;
    classProbs: number;
    scores: number;
    loss: { total: number; coord: number; obj: number; noobj: number; cls: number };
    gradient: number;
  };
  nmsIdentical: boolean;
  nmsIndices: { webgl: number[]; cpu: number[] };
  loss: { webgl: Record<string, number>; cpu: Record<string, number> };
  gradientNorm: { webgl: number; cpu: number };
  leak: { numTensorsBefore: number; numTensorsAfter: number };
}

export interface PageResults {
  done: boolean;
  error?: string;
  mode: string;
  webgl: { version: number; float32: boolean; renderer: string };
  detect?: DetectResults;
  core?: CoreResults;
}

/**
 * The page vs Node comparison uses every detection above min(confThreshold, this): even a trained model
 * that is confident about a handful of objects then yields enough boxes to compare.
 */
export const COMPARE_THRESHOLD = 0.01;

export function compareThreshold(meta: BrowserMeta): number {
  return Math.min(meta.confThreshold, COMPARE_THRESHOLD);
}

/** Denominator floor of {@link maxRelDiff}: values smaller than this are compared absolutely at 1e-3·floor. */
export const REL_FLOOR = 1e-3;

/**
 * Largest relative difference `max_i |a_i − b_i| / max(|b_i|, floor)` (b the reference, the cpu backend).
 * NaN anywhere, or different lengths, give Infinity.
 */
export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>, floor = REL_FLOOR): number {
  if (a.length !== b.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]) / Math.max(Math.abs(b[i]), floor);
    if (!(d <= worst)) worst = Number.isNaN(d) ? Infinity : d;
  }
  return worst;
}
