/**
 * The metadata of a converted detector: the `yolov2.json` written beside a TF.js `model.json` by the
 * darknet converter and the trainer, and read by the Detector. It holds everything needed to turn an
 * image into pixel boxes with the model: input size, letterbox, anchors, classes and the decode and
 * post-processing options.
 *
 * @packageDocumentation
 */
import { FormatError, describe } from '../errors.js';
import type { Anchor } from '../anchors.js';
import type { LetterboxRounding } from '../letterbox.js';
import type { Layout } from './layout.js';

/** The value of {@link DetectorMeta.format}. */
export const DETECTOR_META_FORMAT = 'yolov2-ts/detector';
/** The version of the metadata this library writes (and the highest it reads). */
export const DETECTOR_META_VERSION = 1;

/** Post-processing defaults stored with a detector (each may be overridden per call). */
export interface DetectorPostprocessDefaults {
  /** Candidate threshold on `objectness · p_class`; default 0.25 (display). */
  confThreshold: number;
  /** NMS IoU threshold; default 0.45. */
  iouThreshold: number;
  /** Most detections per image; default 100. */
  maxDetections: number;
}

/** The contents of `yolov2.json`. */
export interface DetectorMeta {
  /** Always {@link DETECTOR_META_FORMAT}. */
  format: typeof DETECTOR_META_FORMAT;
  /** Always ≤ {@link DETECTOR_META_VERSION}. */
  version: number;
  /** Network input `[height, width]` in pixels (multiples of the output stride). */
  inputSize: [height: number, width: number];
  /** Class names, `numClasses` long; index = class id. */
  classNames: string[];
  /** Anchor sizes `(w, h)` in grid cells (as darknet's `[region] anchors`). */
  anchors: Anchor[];
  /** Layout of the model's raw head output; `'NHWC'` for models built by this library. */
  layout: Layout;
  /** Letterbox rounding used to fit an image into `inputSize` (`'floor'` as darknet, `'round'`). */
  letterbox: LetterboxRounding;
  /** Pixel value scale of the input: the model takes `pixel / 255` when 255 (the library's models). */
  pixelScale: number;
  /** Post-processing defaults. */
  postprocess: DetectorPostprocessDefaults;
  /** Where the model came from (free text: a cfg name, `train`, …); informative only. */
  source?: string;
}

function fail(source: string, field: string, expected: string, got: unknown): never {
  throw new FormatError(`${source}: field '${field}' must be ${expected}, got ${describe(got)}`);
}

const isPositiveInt = (v: unknown): v is number => Number.isInteger(v) && (v as number) > 0;
const isFinitePositive = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;

/**
 * Validate parsed `yolov2.json` contents field by field.
 * @param json the parsed JSON.
 * @param source the file name or URL, for messages.
 * @returns the metadata, typed.
 * @throws FormatError naming the file, the field, what was expected and what arrived.
 */
export function parseDetectorMeta(json: unknown, source = 'yolov2.json'): DetectorMeta {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) fail(source, '(root)', 'an object', json);
  const m = json as Record<string, unknown>;
  if (m.format !== DETECTOR_META_FORMAT) fail(source, 'format', `'${DETECTOR_META_FORMAT}'`, m.format);
  if (!isPositiveInt(m.version) || m.version > DETECTOR_META_VERSION) {
    fail(source, 'version', `an integer from 1 to ${DETECTOR_META_VERSION}`, m.version);
  }
  const size = m.inputSize;
  if (!Array.isArray(size) || size.length !== 2 || !size.every(isPositiveInt)) {
    fail(source, 'inputSize', '[height, width] in whole pixels', size);
  }
  const names = m.classNames;
  if (!Array.isArray(names) || names.length === 0 || !names.every((n) => typeof n === 'string')) {
    fail(source, 'classNames', 'a non-empty array of strings', names);
  }
  const anchors = m.anchors;
  if (!Array.isArray(anchors) || anchors.length === 0) fail(source, 'anchors', 'a non-empty array of [w, h]', anchors);
  anchors.forEach((a, i) => {
    if (!Array.isArray(a) || a.length !== 2 || !a.every(isFinitePositive)) {
      fail(source, `anchors[${i}]`, '[w, h] with w, h > 0 (grid cells)', a);
    }
  });
  if (m.layout !== 'NHWC' && m.layout !== 'NCHW') fail(source, 'layout', "'NHWC' or 'NCHW'", m.layout);
  if (m.letterbox !== 'floor' && m.letterbox !== 'round') fail(source, 'letterbox', "'floor' or 'round'", m.letterbox);
  if (!isFinitePositive(m.pixelScale)) fail(source, 'pixelScale', 'a number > 0', m.pixelScale);
  const p = m.postprocess as Record<string, unknown> | undefined;
  if (p === null || typeof p !== 'object') fail(source, 'postprocess', 'an object', p);
  const unit = (v: unknown) => typeof v === 'number' && v >= 0 && v <= 1;
  if (!unit(p.confThreshold)) fail(source, 'postprocess.confThreshold', 'a number in [0, 1]', p.confThreshold);
  if (!unit(p.iouThreshold)) fail(source, 'postprocess.iouThreshold', 'a number in [0, 1]', p.iouThreshold);
  if (!isPositiveInt(p.maxDetections)) fail(source, 'postprocess.maxDetections', 'a whole number ≥ 1', p.maxDetections);
  if (m.source !== undefined && typeof m.source !== 'string') fail(source, 'source', 'a string', m.source);
  return {
    format: DETECTOR_META_FORMAT,
    version: m.version as number,
    inputSize: [size[0], size[1]],
    classNames: [...(names as string[])],
    anchors: (anchors as number[][]).map(([w, h]) => [w, h] as Anchor),
    layout: m.layout,
    letterbox: m.letterbox,
    pixelScale: m.pixelScale as number,
    postprocess: {
      confThreshold: p.confThreshold as number,
      iouThreshold: p.iouThreshold as number,
      maxDetections: p.maxDetections as number,
    },
    ...(m.source !== undefined ? { source: m.source as string } : {}),
  };
}
