/**
 * The Detector: a YOLOv2 model with its metadata (`yolov2.json`), turning an image into boxes in the
 * image's own pixels in one call. Letterboxes the input (tensor ops, bilinear), runs the model,
 * decodes the head, thresholds, applies NMS and maps the boxes back through the letterbox.
 *
 * Browser-safe: images come as tensors or through `tf.browser.fromPixels` (ImageData, image, canvas,
 * video, ImageBitmap). File paths and encoded bytes are read by the Node loader (`loadDetector` in
 * `yolov2-ts/node`).
 *
 * @packageDocumentation
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ShapeError, ValueError, FormatError, describe } from '../errors.js';
import { assertKnownKeys, assertNumber } from '../validate.js';
import { decodeBoxes } from '../head/decode.js';
import { postprocessAsync } from '../head/postprocess.js';
import { type DetectorMeta, parseDetectorMeta } from '../head/detector-meta.js';
import { type CornerBox, type LetterboxParams, letterboxParams, undoLetterbox } from '../letterbox.js';
import { canFoldBatchNorm, foldBatchNorm } from './fold-batch-norm.js';

/** One detection of a {@link Detector}, in pixels of the input image. */
export interface PixelDetection {
  /** Corners `(x1, y1, x2, y2)` in continuous pixels of the input image, clipped to it. */
  box: CornerBox;
  /** Class index in `0 … C−1`. */
  classId: number;
  /** `meta.classNames[classId]`. */
  className: string;
  /** `objectness · p_class`, in 0…1. */
  score: number;
}

/** Options of {@link Detector.detect}; each defaults to the value stored in `meta.postprocess`. */
export interface DetectOptions {
  /** Keep detections with score strictly above this (0…1). */
  confThreshold?: number;
  /** NMS IoU threshold (0…1). */
  iouThreshold?: number;
  /** Most detections per image. */
  maxDetections?: number;
  /** Only these classes (ids or names); the others are ignored before NMS. Default: all. */
  classes?: ReadonlyArray<number | string>;
}

const DETECT_KEYS = ['confThreshold', 'iouThreshold', 'maxDetections', 'classes'] as const;

/** A pixel buffer as accepted by `tf.browser.fromPixels` (`data` is RGBA, `width·height·4` bytes). */
export interface PixelDataLike {
  width: number;
  height: number;
  data: Uint8Array | Uint8ClampedArray;
}

/**
 * What {@link Detector.detect} accepts: a `[H, W, 3]` (or `[1, H, W, 3]`) tensor of pixel values in
 * 0…255, an ImageData-like `{ width, height, data }` (RGBA), or in a browser an HTMLImageElement,
 * HTMLCanvasElement, HTMLVideoElement or ImageBitmap. The Node detector adds paths and encoded bytes.
 */
export type DetectorInput = tf.Tensor3D | tf.Tensor4D | PixelDataLike | object;

/** How a {@link Detector} prepares its model. */
export interface DetectorModelOptions {
  /**
   * Fold each convolution's batch norm into it (`foldBatchNorm`: one fused convolution + bias + leaky ReLU
   * per block; outputs equal within 1e-4 relative) and run the folded copy; the given model is disposed.
   * Default `true`; a model with nothing to fold is used as is.
   */
  fold?: boolean;
}

/**
 * A detector: `new Detector(model, meta)` or `await Detector.load(url)`, then `await detect(image)`.
 * The model must map `[B, H, W, 3]` inputs (pixels divided by `meta.pixelScale`) to the head output
 * `[B, H/s, W/s, A·(5+C)]` (`meta.layout` `'NHWC'`) or `[B, A·(5+C), H/s, W/s]` (`'NCHW'`).
 */
export class Detector {
  /** The validated metadata. */
  readonly meta: DetectorMeta;
  private warmedUp = false;
  private disposed = false;

  /**
   * @param model a tfjs-layers model with one input and one output (owned by the detector from now on:
   *   {@link Detector.dispose} disposes it).
   * @param meta the contents of `yolov2.json` (validated with `parseDetectorMeta`).
   * @throws FormatError for bad metadata; ShapeError when the model's output channels are not `A·(5+C)`.
   */
  /** The model the detector runs: the given one, or its batch-norm-folded copy (see {@link DetectorModelOptions}). */
  readonly model: tfl.LayersModel;

  constructor(model: tfl.LayersModel, meta: DetectorMeta, options: DetectorModelOptions = {}) {
    assertKnownKeys('Detector', 'options', options, ['fold']);
    this.meta = parseDetectorMeta(meta, 'Detector: meta');
    const out = model?.outputs?.[0]?.shape;
    if (!Array.isArray(out) || out.length !== 4) {
      throw new ShapeError(`Detector: 'model' must have one rank-4 output (the head), got ${describe(model)}`);
    }
    const channels = this.meta.layout === 'NHWC' ? out[3] : out[1];
    const A = this.meta.anchors.length;
    const C = this.meta.classNames.length;
    if (channels !== null && channels !== A * (5 + C)) {
      throw new ShapeError(`Detector: the model's head has ${channels} channels, the metadata needs A·(5+C) = ${A}·(5+${C}) = ${A * (5 + C)}`);
    }
    const fold = options.fold !== false && canFoldBatchNorm(model);
    this.model = fold ? foldBatchNorm(model) : model;
    if (fold) model.dispose();
  }

  /**
   * Load a converted detector from a URL of its `model.json`; `yolov2.json` is fetched from the same folder.
   * @param url the `model.json` URL (anything `tf.loadLayersModel` takes as a string).
   * @throws FormatError naming the URL when `yolov2.json` cannot be fetched or is invalid.
   */
  static async load(url: string, options: DetectorModelOptions = {}): Promise<Detector> {
    if (typeof url !== 'string') throw new ValueError(`Detector.load: 'url' must be the URL of a model.json, got ${describe(url)}`);
    const metaUrl = url.replace(/[^/?#]*([?#].*)?$/, 'yolov2.json');
    let json: unknown;
    try {
      const res = await fetch(metaUrl);
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      json = await res.json();
    } catch (e) {
      throw new FormatError(`Detector.load: cannot read ${metaUrl}: ${(e as Error).message}`, metaUrl);
    }
    const meta = parseDetectorMeta(json, metaUrl);
    return new Detector(await tfl.loadLayersModel(url), meta, options);
  }

  /** Run the model once on a blank input (compiles shaders, allocates buffers). Called by the first detect. */
  warmup(): void {
    this.assertLive('warmup');
    const [h, w] = this.meta.inputSize;
    tf.tidy(() => {
      this.model.predict(tf.zeros([1, h, w, 3]));
    });
    this.warmedUp = true;
  }

  /**
   * Detect objects in one image.
   * @param input see {@link DetectorInput}; a tensor is not disposed.
   * @param options see {@link DetectOptions}.
   * @returns detections sorted by decreasing score, boxes in pixels of `input`.
   */
  async detect(input: DetectorInput, options: DetectOptions = {}): Promise<PixelDetection[]> {
    if (input instanceof tf.Tensor && input.rank === 4 && input.shape[0] !== 1) {
      throw new ShapeError(`Detector.detect: a rank-4 input must hold one image, got ${describe(input)}; use detectBatch`);
    }
    return (await this.detectBatch([input], options, 'Detector.detect'))[0];
  }

  /**
   * Detect objects in several images in one forward pass.
   * @param inputs images (see {@link DetectorInput}); a `[B, H, W, 3]` tensor counts as B images.
   * @returns one list per image, in order.
   */
  async detectBatch(inputs: readonly DetectorInput[], options: DetectOptions = {}, fn = 'Detector.detectBatch'): Promise<PixelDetection[][]> {
    this.assertLive(fn);
    if (!Array.isArray(inputs)) throw new ValueError(`${fn}: 'inputs' must be an array of images, got ${describe(inputs)}`);
    const opts = this.resolveOptions(fn, options);
    if (!this.warmedUp) this.warmup();
    const images: tf.Tensor3D[] = [];
    try {
      for (let i = 0; i < inputs.length; i++) images.push(...(await this.toImages(fn, inputs[i], i)));
      if (images.length === 0) return [];
      const params = images.map((im) => letterboxParams(im.shape[1], im.shape[0], { width: this.meta.inputSize[1], height: this.meta.inputSize[0] }, { rounding: this.meta.letterbox }));
      const decoded = tf.tidy(() => {
        const x = tf.stack(images.map((im, b) => this.letterbox(im, params[b]))) as tf.Tensor4D;
        const d = decodeBoxes(this.model.predict(x) as tf.Tensor4D, { anchors: this.meta.anchors, numClasses: this.meta.classNames.length, layout: this.meta.layout });
        return { ...d, scores: opts.mask ? tf.mul(d.scores, opts.mask) : d.scores } as typeof d;
      });
      try {
        const lists = await postprocessAsync(decoded, opts.post);
        return lists.map((list, b) => {
          const boxes = undoLetterbox(list.map((d) => d.box), params[b]);
          return list.map((d, k) => ({ box: boxes[k], classId: d.classId, className: this.meta.classNames[d.classId], score: d.score }));
        });
      } finally {
        tf.dispose([decoded.boxes, decoded.objectness, decoded.classProbs, decoded.scores]);
      }
    } finally {
      tf.dispose(images);
      opts.mask?.dispose();
    }
  }

  /** Dispose the model's weights. The detector cannot be used afterwards. */
  dispose(): void {
    if (!this.disposed) this.model.dispose();
    this.disposed = true;
  }

  /**
   * Turn one input into `[H, W, 3]` float32 pixel tensors (0…255). Subclasses (the Node detector) extend
   * the accepted inputs. The caller disposes the returned tensors (never the input itself).
   */
  protected async toImages(fn: string, input: DetectorInput, index: number): Promise<tf.Tensor3D[]> {
    const name = `inputs[${index}]`;
    if (input instanceof tf.Tensor) {
      const ok = (input.rank === 3 || input.rank === 4) && input.shape[input.rank - 1] === 3 && input.size > 0;
      if (!ok) throw new ShapeError(`${fn}: '${name}' must be a [H, W, 3] or [B, H, W, 3] image tensor, got ${describe(input)}`);
      if (input.rank === 3) return [tf.cast(input as tf.Tensor3D, 'float32')];
      return tf.tidy(() => tf.unstack(tf.cast(input, 'float32')) as tf.Tensor3D[]);
    }
    if (input !== null && typeof input === 'object' && 'width' in input && 'height' in input) {
      const isPixelData = 'data' in input;
      if (!isPixelData && typeof document === 'undefined') {
        throw new ValueError(`${fn}: '${name}' is a browser image but there is no DOM here; pass a tensor, ImageData-like pixels, or (in Node) a path`);
      }
      const px = tf.browser.fromPixels(input as unknown as tf.PixelData, 3);
      try {
        return [tf.cast(px, 'float32')];
      } finally {
        px.dispose();
      }
    }
    throw new ValueError(`${fn}: '${name}' must be an image tensor, ImageData, image, canvas, video or ImageBitmap, got ${describe(input)}`);
  }

  /** The letterboxed, scaled network input `[h, w, 3]` for one image (inside a tidy). */
  private letterbox(image: tf.Tensor3D, p: LetterboxParams): tf.Tensor3D {
    const resized = tf.image.resizeBilinear(image, [p.newH, p.newW], false, true);
    const scaled = tf.div(resized, this.meta.pixelScale);
    const fill = 127.5 / this.meta.pixelScale;
    return tf.pad(scaled, [[p.padY, p.dstH - p.newH - p.padY], [p.padX, p.dstW - p.newW - p.padX], [0, 0]], fill) as tf.Tensor3D;
  }

  private resolveOptions(fn: string, options: DetectOptions) {
    assertKnownKeys(fn, 'options', options, DETECT_KEYS);
    const d = this.meta.postprocess;
    const { confThreshold = d.confThreshold, iouThreshold = d.iouThreshold, maxDetections = d.maxDetections, classes } = options;
    assertNumber(fn, 'confThreshold', confThreshold, { min: 0, max: 1 });
    assertNumber(fn, 'iouThreshold', iouThreshold, { min: 0, max: 1 });
    assertNumber(fn, 'maxDetections', maxDetections, { min: 1, integer: true });
    let mask: tf.Tensor1D | undefined;
    if (classes !== undefined) {
      if (!Array.isArray(classes)) throw new ValueError(`${fn}: 'classes' must be an array of class ids or names, got ${describe(classes)}`);
      const names = this.meta.classNames;
      const keep = new Float32Array(names.length);
      classes.forEach((c, i) => {
        const id = typeof c === 'string' ? names.indexOf(c) : c;
        if (!Number.isInteger(id) || id < 0 || id >= names.length) {
          throw new ValueError(`${fn}: 'classes[${i}]' must be a class id in 0…${names.length - 1} or one of the class names, got ${describe(c)}`);
        }
        keep[id] = 1;
      });
      mask = tf.tensor1d(keep);
    }
    return { post: { confThreshold, iouThreshold, maxDetections }, mask };
  }

  private assertLive(fn: string): void {
    if (this.disposed) throw new ValueError(`${fn}: the detector has been disposed`);
  }
}
