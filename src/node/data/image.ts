/**
 * Images in Node: decode (sharp), resize, letterbox, conversion to float tensors, and detection PNGs
 * with boxes and labels drawn (an SVG overlay composited by sharp).
 *
 * Pixels are {@link RGBImage}s: 8-bit RGB, row-major HWC. Boxes are continuous pixel corners
 * `(x1, y1, x2, y2)` unless said otherwise (see `datasets.ts`).
 *
 * EXIF orientation is **not** applied: annotation boxes (VOC, YOLO) refer to the stored pixel grid.
 *
 * @packageDocumentation
 */
import { writeFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs-core';
import sharp from 'sharp';
import { FormatError, ValueError, describe } from '../../errors.js';
import { assertNumber } from '../../validate.js';
import { letterboxParams } from '../../letterbox.js';
import type { RGBImage } from './rgb-image.js';

function assertImage(fn: string, name: string, img: unknown): asserts img is RGBImage {
  const i = img as RGBImage;
  const ok =
    typeof i === 'object' &&
    i !== null &&
    Number.isInteger(i.width) &&
    Number.isInteger(i.height) &&
    i.width > 0 &&
    i.height > 0 &&
    i.data instanceof Uint8Array &&
    i.data.length === i.width * i.height * 3;
  if (!ok) {
    const got =
      typeof i === 'object' && i !== null
        ? `{ width: ${describe(i.width)}, height: ${describe(i.height)}, data: ${i.data ? `length ${i.data.length}` : describe(i.data)} }`
        : describe(img);
    throw new ValueError(`${fn}: '${name}' must be an RGBImage { width, height, data: Uint8Array of width·height·3 }, got ${got}`);
  }
}

/** Expand 1, 2 or 4 channel raw pixels to RGB. */
function toRGB(raw: Uint8Array, width: number, height: number, channels: number): Uint8Array {
  if (channels === 3) return raw;
  const out = new Uint8Array(width * height * 3);
  for (let i = 0, o = 0; o < out.length; i += channels, o += 3) {
    if (channels <= 2) {
      out[o] = out[o + 1] = out[o + 2] = raw[i];
    } else {
      out[o] = raw[i];
      out[o + 1] = raw[i + 1];
      out[o + 2] = raw[i + 2];
    }
  }
  return out;
}

/**
 * Decode an image file or its bytes (JPEG, PNG, WebP, GIF, TIFF, AVIF — what sharp reads) into RGB.
 * Grey images are expanded to three channels, alpha is dropped (not blended).
 *
 * @param input a file path or the encoded bytes.
 * @param source a name for error messages (default: the path, or `<buffer>`).
 * @throws {@link FormatError} naming the source when the data cannot be decoded, including truncated
 *   files (sharp `failOn: 'truncated'`).
 */
export async function decodeImage(input: string | Uint8Array, source?: string): Promise<RGBImage> {
  const name = source ?? (typeof input === 'string' ? input : '<buffer>');
  try {
    const { data, info } = await sharp(input, { failOn: 'truncated' })
      .raw()
      .toBuffer({ resolveWithObject: true });
    const rgb = toRGB(new Uint8Array(data.buffer, data.byteOffset, data.length), info.width, info.height, info.channels);
    return { width: info.width, height: info.height, data: rgb };
  } catch (e) {
    const msg = (e as Error).message?.split('\n')[0] ?? String(e);
    throw new FormatError(`decodeImage: ${name}: cannot decode the image (${msg})`, name);
  }
}

/** Encode an RGB image as PNG bytes. */
export async function encodePNG(image: RGBImage): Promise<Buffer> {
  assertImage('encodePNG', 'image', image);
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } }).png().toBuffer();
}

/**
 * Resize to exactly `width × height` (aspect ratio not kept) with sharp.
 * @param kernel sharp's reduction kernel (default `'linear'`, i.e. bilinear; `'lanczos3'` is sharper).
 */
export async function resizeImage(
  image: RGBImage,
  width: number,
  height: number,
  kernel: 'nearest' | 'linear' | 'cubic' | 'lanczos3' = 'linear',
): Promise<RGBImage> {
  assertImage('resizeImage', 'image', image);
  assertNumber('resizeImage', 'width', width, { min: 1, integer: true });
  assertNumber('resizeImage', 'height', height, { min: 1, integer: true });
  if (width === image.width && height === image.height) return { width, height, data: image.data.slice() };
  const data = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize(width, height, { fit: 'fill', kernel })
    .raw()
    .toBuffer();
  return { width, height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

/**
 * Where a letterboxed image sits in its canvas: {@link letterboxParams}' geometry with other field names.
 * @deprecated Use `LetterboxParams` (core entry): `width`/`height` are `newW`/`newH`, `left`/`top` are
 *   `padX`/`padY`, `canvasWidth`/`canvasHeight` are `dstW`/`dstH`, `right = dstW − newW − padX`.
 */
export interface LetterboxGeometry {
  /** Scale from source pixels to canvas pixels (the same on both axes). */
  scale: number;
  /** Size of the resized image inside the canvas: `round(width · scale)`, `round(height · scale)`. */
  width: number;
  height: number;
  /** Padding in canvas pixels: `left = floor((W − width) / 2)`, `right = W − width − left`; same for top. */
  left: number;
  top: number;
  right: number;
  bottom: number;
  /** The canvas size. */
  canvasWidth: number;
  canvasHeight: number;
}

/**
 * Letterbox geometry of a `srcWidth × srcHeight` image in a `dstWidth × dstHeight` canvas (default square),
 * computed by {@link letterboxParams} and renamed:
 * `scale = min(dstW / srcW, dstH / srcH)`, resized size rounded, padding split with the odd pixel on the
 * right / bottom. Example: 200×100 into 64×64 → scale 0.32, 64×32, top 16, bottom 16.
 * @deprecated Use `letterboxParams(srcWidth, srcHeight, { width: dstWidth, height: dstHeight })` (core entry).
 */
export function letterboxGeometry(srcWidth: number, srcHeight: number, dstWidth: number, dstHeight = dstWidth): LetterboxGeometry {
  for (const [n, v] of [['srcWidth', srcWidth], ['srcHeight', srcHeight], ['dstWidth', dstWidth], ['dstHeight', dstHeight]] as const) {
    assertNumber('letterboxGeometry', n, v, { min: 1, integer: true });
  }
  // the core's arithmetic (exact integer comparison of the two ratios, round on the free side)
  const p = letterboxParams(srcWidth, srcHeight, { width: dstWidth, height: dstHeight });
  return {
    scale: p.scale,
    width: p.newW,
    height: p.newH,
    left: p.padX,
    top: p.padY,
    right: dstWidth - p.newW - p.padX,
    bottom: dstHeight - p.newH - p.padY,
    canvasWidth: dstWidth,
    canvasHeight: dstHeight,
  };
}

/**
 * Map a source-pixel box into the letterboxed canvas: `x' = left + x · width / srcWidth` (the exact
 * per-axis scale of the rounded resized size), same for y.
 */
export function letterboxBox(
  box: readonly [number, number, number, number],
  srcWidth: number,
  srcHeight: number,
  g: LetterboxGeometry,
): [number, number, number, number] {
  const sx = g.width / srcWidth;
  const sy = g.height / srcHeight;
  return [g.left + box[0] * sx, g.top + box[1] * sy, g.left + box[2] * sx, g.top + box[3] * sy];
}

/**
 * Letterbox with sharp: resize keeping the aspect ratio (bilinear), then pad with `fill` (default grey
 * 128) to `size × size` (or `size.width × size.height`), as {@link letterboxGeometry} says.
 */
export async function letterboxImage(
  image: RGBImage,
  size: number | { width: number; height: number },
  options: { fill?: number | [number, number, number]; kernel?: 'nearest' | 'linear' | 'cubic' | 'lanczos3' } = {},
): Promise<{ image: RGBImage; geometry: LetterboxGeometry }> {
  assertImage('letterboxImage', 'image', image);
  const dw = typeof size === 'number' ? size : size?.width;
  const dh = typeof size === 'number' ? size : size?.height;
  const g = letterboxGeometry(image.width, image.height, dw, dh);
  const fill = options.fill ?? 128;
  const [r, gg, b] = typeof fill === 'number' ? [fill, fill, fill] : fill;
  const resized = await resizeImage(image, g.width, g.height, options.kernel ?? 'linear');
  const data = await sharp(resized.data, { raw: { width: g.width, height: g.height, channels: 3 } })
    .extend({ left: g.left, right: g.right, top: g.top, bottom: g.bottom, background: { r, g: gg, b } })
    .raw()
    .toBuffer();
  return { image: { width: dw, height: dh, data: new Uint8Array(data.buffer, data.byteOffset, data.length) }, geometry: g };
}

/**
 * Pixels as float32 in 0…1 (`v / 255`), HWC. Writes into `out` at `offset` when given (for batches).
 */
export function imageToFloat32(image: RGBImage, out?: Float32Array, offset = 0): Float32Array {
  assertImage('imageToFloat32', 'image', image);
  const n = image.data.length;
  const dst = out ?? new Float32Array(n);
  if (dst.length < offset + n) {
    throw new ValueError(`imageToFloat32: 'out' must hold offset + ${n} = ${offset + n} values, got length ${dst.length}`);
  }
  const src = image.data;
  const k = 1 / 255;
  for (let i = 0; i < n; i++) dst[offset + i] = src[i] * k;
  return dst;
}

/** The image as a `[H, W, 3]` float32 tensor in 0…1. The caller disposes it. */
export function imageToTensor(image: RGBImage): tf.Tensor3D {
  return tf.tensor3d(imageToFloat32(image), [image.height, image.width, 3], 'float32');
}

/** One box to draw. */
export interface DrawBox {
  /** Corners `(x1, y1, x2, y2)`, normalised 0…1 (default) or pixels — see `units`. */
  box: readonly [number, number, number, number];
  classId: number;
  /** Shown after the class name with two decimals when present. */
  score?: number;
}

/** Options of {@link drawDetections}. */
export interface DrawOptions {
  /** Class names for the labels; `class <id>` when missing. */
  classNames?: readonly string[];
  /** Units of the boxes: `'normalized'` (default: decodeBoxes / postprocess output) or `'pixels'`. */
  units?: 'normalized' | 'pixels';
  /** Ground truth drawn dashed, in the same units, without a label background. */
  groundTruth?: readonly DrawBox[];
  /** Stroke width in pixels (default 2). */
  lineWidth?: number;
  /** Label font size in pixels (default 12). */
  fontSize?: number;
}

/** A distinct, deterministic colour per class (golden-ratio hues). */
export function classColour(classId: number): string {
  const h = ((classId * 0.618033988749895) % 1 + 1) % 1;
  const f = (n: number): number => {
    const k = (n + h * 6) % 6;
    return Math.round(255 * (1 - 0.85 * Math.max(0, Math.min(1, Math.min(k, 4 - k)))));
  };
  return `rgb(${f(5)},${f(3)},${f(1)})`;
}

function xmlEscape(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] as string);
}

/** The SVG overlay of {@link drawDetections} (exposed for tests and custom compositing). */
export function detectionsSVG(width: number, height: number, detections: readonly DrawBox[], options: DrawOptions = {}): string {
  const { classNames = [], units = 'normalized', groundTruth = [], lineWidth = 2, fontSize = 12 } = options;
  if (units !== 'normalized' && units !== 'pixels') {
    throw new ValueError(`drawDetections: 'units' must be 'normalized' or 'pixels', got ${describe(units)}`);
  }
  const sx = units === 'normalized' ? width : 1;
  const sy = units === 'normalized' ? height : 1;
  const parts: string[] = [];
  const rect = (d: DrawBox, dashed: boolean): [number, number, number, number] => {
    if (!Array.isArray(d?.box) || d.box.length !== 4 || !d.box.every(Number.isFinite)) {
      throw new ValueError(`drawDetections: every box must be 4 finite numbers, got ${describe(d?.box)}`);
    }
    const x1 = d.box[0] * sx, y1 = d.box[1] * sy, x2 = d.box[2] * sx, y2 = d.box[3] * sy;
    parts.push(
      `<rect x="${x1.toFixed(1)}" y="${y1.toFixed(1)}" width="${Math.max(0, x2 - x1).toFixed(1)}" height="${Math.max(0, y2 - y1).toFixed(1)}" ` +
        `fill="none" stroke="${classColour(d.classId)}" stroke-width="${lineWidth}"${dashed ? ' stroke-dasharray="4 3"' : ''}/>`,
    );
    return [x1, y1, x2, y2];
  };
  for (const g of groundTruth) rect(g, true);
  for (const d of detections) {
    const [x1, y1] = rect(d, false);
    const name = classNames[d.classId] ?? `class ${d.classId}`;
    const label = xmlEscape(d.score === undefined ? name : `${name} ${d.score.toFixed(2)}`);
    const tw = Math.ceil(label.length * fontSize * 0.6) + 4;
    const ty = y1 - fontSize - 2 >= 0 ? y1 - fontSize - 2 : y1;
    parts.push(
      `<rect x="${x1.toFixed(1)}" y="${ty.toFixed(1)}" width="${tw}" height="${fontSize + 2}" fill="${classColour(d.classId)}"/>`,
      `<text x="${(x1 + 2).toFixed(1)}" y="${(ty + fontSize - 1).toFixed(1)}" font-family="DejaVu Sans, sans-serif" font-size="${fontSize}" fill="black">${label}</text>`,
    );
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${parts.join('')}</svg>`;
}

/**
 * Draw detections (and optionally ground truth, dashed) on an image and return PNG bytes. Boxes use
 * one colour per class with a label `name score`. The image is an {@link RGBImage}, a file path or
 * encoded bytes.
 */
export async function drawDetections(
  image: RGBImage | string | Uint8Array,
  detections: readonly DrawBox[],
  options: DrawOptions = {},
): Promise<Buffer> {
  const img = typeof image === 'string' || image instanceof Uint8Array ? await decodeImage(image) : image;
  assertImage('drawDetections', 'image', img);
  const svg = detectionsSVG(img.width, img.height, detections, options);
  return sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .composite([{ input: Buffer.from(svg), top: 0, left: 0 }])
    .png()
    .toBuffer();
}

/** {@link drawDetections} written to `path`. */
export async function writeDetectionsPNG(
  path: string,
  image: RGBImage | string | Uint8Array,
  detections: readonly DrawBox[],
  options: DrawOptions = {},
): Promise<void> {
  await writeFile(path, await drawDetections(image, detections, options));
}
