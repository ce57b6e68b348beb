/**
 * Post-processing of decoded YOLOv2 output into per-image detection lists: confidence threshold,
 * class-aware (or class-agnostic) NMS, a cap per image. Reads the tensors once, then works on plain
 * arrays (no per-box tensor ops).
 *
 * @packageDocumentation
 */
import * as tf from '@tensorflow/tfjs-core';
import { ShapeError, ValueError, describe } from '../errors.js';
import { resolveNmsOptions, runNms, type NmsBaseOptions } from '../nms/nms-arrays.js';
import { assertFiniteArray, assertNumber } from '../validate.js';
import type { DecodedBoxes } from './decode.js';

/**
 * The former name of {@link DecodedBoxes} (the same type): `postprocess` reads `boxes` and `scores` and checks
 * the shapes of the other two.
 * @deprecated Use `DecodedBoxes`.
 */
export type DecodedHead = DecodedBoxes;

/** One detection, plain JS. */
export interface Detection {
  /** Corners `(x1, y1, x2, y2)` in the units of the decoded boxes (normalised to the network input). */
  box: [number, number, number, number];
  /** Score `objectness · p_class` (decayed by soft-NMS when that method is used). */
  score: number;
  /** Class index in `0 … C−1`. */
  classId: number;
}

/** Options of {@link postprocess}: the NMS options (without `classIds`) plus the three below. */
export interface PostprocessOptions extends NmsBaseOptions {
  /**
   * A (box, class) pair is a candidate when its score `objectness · p_class` is strictly above this.
   * Default: `scoreThreshold` when given, else `0.005` (darknet's threshold for mAP evaluation; use
   * ~0.25 for display). The NMS step's `scoreThreshold` defaults to this value too.
   */
  confThreshold?: number;
  /** `true`: one NMS over all classes (a box suppresses boxes of any class). Default `false`: class-aware. */
  classAgnostic?: boolean;
  /**
   * `false` (default): each box contributes its best class only (highest score, lowest class id on ties).
   * `true`: each box contributes every class whose score is above `confThreshold`.
   */
  multiLabel?: boolean;
  /**
   * `true` (default): every returned box is clipped to the input image, each coordinate to [0, 1] (as darknet
   * clips the boxes it reports), after NMS. `false`: the boxes as decoded, which may reach past the edges.
   */
  clip?: boolean;
}

const POSTPROCESS_KEYS = ['confThreshold', 'classAgnostic', 'multiLabel', 'clip'] as const;

/**
 * Turn decoded output into detections per image.
 *
 * Per image: candidates are (box, class) pairs with score > `confThreshold` (best class per box, or every
 * class with `multiLabel`); then NMS — class-aware by default, class-agnostic on request — keeps at most
 * `maxDetections` (default 100) per image. Each list is sorted by decreasing score; equal scores keep
 * the lower box index first, then the lower class id. NMS sees the boxes as decoded; the returned boxes are
 * then clipped to the input image (`[0, 1]` per coordinate) unless `clip: false`. They are not rescaled:
 * map them to the original image with {@link undoLetterbox}.
 *
 * @param decoded `boxes [B, K, 4]`, `objectness [B, K]`, `classProbs [B, K, C]`, `scores [B, K, C]`.
 * @param options see {@link PostprocessOptions} and {@link NmsBaseOptions} (`iouThreshold` 0.45, `method`…).
 * @returns `B` lists of {@link Detection}.
 * @throws {@link ShapeError} for inconsistent shapes; {@link ValueError} for NaN/infinite boxes or scores and
 *   out-of-range options.
 */
export function postprocess(decoded: DecodedBoxes, options: PostprocessOptions = {}): Detection[][] {
  const { B, K, C } = checkDecoded('postprocess', decoded);
  const opts = resolvePostprocessOptions('postprocess', options);
  return detect('postprocess', decoded.boxes.dataSync() as Float32Array, decoded.scores.dataSync() as Float32Array, B, K, C, opts);
}

/**
 * {@link postprocess} that reads the tensors with `await data()` (does not block a GPU backend's thread).
 */
export async function postprocessAsync(decoded: DecodedBoxes, options: PostprocessOptions = {}): Promise<Detection[][]> {
  const { B, K, C } = checkDecoded('postprocessAsync', decoded);
  const opts = resolvePostprocessOptions('postprocessAsync', options);
  const [boxes, scores] = await Promise.all([decoded.boxes.data(), decoded.scores.data()]);
  return detect('postprocessAsync', boxes as Float32Array, scores as Float32Array, B, K, C, opts);
}

type Resolved = ReturnType<typeof resolvePostprocessOptions>;

function resolvePostprocessOptions(fn: string, options: PostprocessOptions) {
  if (options === null || typeof options !== 'object') {
    throw new ValueError(`${fn}: 'options' must be an object, got ${describe(options)}`);
  }
  if ('classIds' in options && (options as { classIds?: unknown }).classIds !== undefined) {
    throw new ValueError(`${fn}: 'classIds' is not an option here (classes come from the scores); use 'classAgnostic' to merge classes`);
  }
  const confThreshold = options.confThreshold ?? options.scoreThreshold ?? 0.005;
  assertNumber(fn, 'confThreshold', confThreshold, { allowInfinity: true });
  const nmsOpts = resolveNmsOptions(fn, { ...options, scoreThreshold: options.scoreThreshold ?? confThreshold }, POSTPROCESS_KEYS);
  const { classAgnostic = false, multiLabel = false, clip = true } = options;
  for (const [name, v] of [['classAgnostic', classAgnostic], ['multiLabel', multiLabel], ['clip', clip]] as const) {
    if (typeof v !== 'boolean') throw new ValueError(`${fn}: '${name}' must be a boolean, got ${describe(v)}`);
  }
  return { confThreshold, classAgnostic, multiLabel, clip, nms: nmsOpts };
}

function checkDecoded(fn: string, decoded: DecodedBoxes): { B: number; K: number; C: number } {
  if (decoded === null || typeof decoded !== 'object') {
    throw new ShapeError(`${fn}: 'decoded' must be { boxes, objectness, classProbs, scores }, got ${describe(decoded)}`);
  }
  const { boxes, objectness, classProbs, scores } = decoded;
  if (!(boxes instanceof tf.Tensor) || boxes.rank !== 3 || boxes.shape[2] !== 4) {
    throw new ShapeError(`${fn}: 'decoded.boxes' must be a tensor of shape [B, K, 4], got ${describe(boxes)}`);
  }
  const [B, K] = boxes.shape;
  if (!(scores instanceof tf.Tensor) || scores.rank !== 3 || scores.shape[0] !== B || scores.shape[1] !== K) {
    throw new ShapeError(`${fn}: 'decoded.scores' must be a tensor of shape [B, K, C] = [${B}, ${K}, C], got ${describe(scores)}`);
  }
  const C = scores.shape[2];
  if (!(objectness instanceof tf.Tensor) || objectness.rank !== 2 || objectness.shape[0] !== B || objectness.shape[1] !== K) {
    throw new ShapeError(`${fn}: 'decoded.objectness' must be a tensor of shape [B, K] = [${B}, ${K}], got ${describe(objectness)}`);
  }
  if (!(classProbs instanceof tf.Tensor) || classProbs.rank !== 3 || classProbs.shape.some((d, i) => d !== [B, K, C][i])) {
    throw new ShapeError(`${fn}: 'decoded.classProbs' must be a tensor of shape [B, K, C] = [${B}, ${K}, ${C}], got ${describe(classProbs)}`);
  }
  return { B, K, C };
}

function detect(fn: string, boxes: Float32Array, scores: Float32Array, B: number, K: number, C: number, opts: Resolved): Detection[][] {
  assertFiniteArray(fn, 'decoded.boxes', boxes, 4);
  assertFiniteArray(fn, 'decoded.scores', scores, C);
  const { confThreshold: conf, multiLabel, classAgnostic } = opts;
  const out: Detection[][] = [];
  // Candidate buffers, reused across images: at most K·C candidates (K with best-class-only).
  const cap = multiLabel ? K * C : K;
  const candBox = new Int32Array(cap);
  const candClass = new Int32Array(cap);
  const candScore = new Float32Array(cap);
  const candCoords = new Float32Array(4 * cap);
  for (let b = 0; b < B; b++) {
    let n = 0;
    for (let k = 0; k < K; k++) {
      const row = (b * K + k) * C;
      if (multiLabel) {
        for (let c = 0; c < C; c++) {
          if (scores[row + c] > conf) {
            candBox[n] = k;
            candClass[n] = c;
            candScore[n++] = scores[row + c];
          }
        }
      } else if (C > 0) {
        let best = 0;
        for (let c = 1; c < C; c++) if (scores[row + c] > scores[row + best]) best = c;
        if (scores[row + best] > conf) {
          candBox[n] = k;
          candClass[n] = best;
          candScore[n++] = scores[row + best];
        }
      }
    }
    for (let i = 0; i < n; i++) {
      const src = 4 * (b * K + candBox[i]);
      candCoords[4 * i] = boxes[src];
      candCoords[4 * i + 1] = boxes[src + 1];
      candCoords[4 * i + 2] = boxes[src + 2];
      candCoords[4 * i + 3] = boxes[src + 3];
    }
    const kept = runNms(
      candCoords.subarray(0, 4 * n),
      candScore.subarray(0, n),
      classAgnostic ? undefined : candClass.subarray(0, n),
      opts.nms,
    );
    const dets: Detection[] = [];
    for (let q = 0; q < kept.indices.length; q++) {
      const i = kept.indices[q];
      const o = 4 * i;
      const box: Detection['box'] = [candCoords[o], candCoords[o + 1], candCoords[o + 2], candCoords[o + 3]];
      if (opts.clip) for (let c = 0; c < 4; c++) box[c] = Math.min(1, Math.max(0, box[c]));
      dets.push({ box, score: kept.scores[q], classId: candClass[i] });
    }
    out.push(dets);
  }
  return out;
}
