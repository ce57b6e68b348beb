/**
 * Letterbox geometry: the parameters of resizing an image into a fixed input with its aspect ratio
 * kept and centred padding, and the pure inverse mapping of boxes back to the original image.
 * (The pixel work of letterboxing lives in the Node entry; this is arithmetic only.)
 *
 * Coordinates are continuous pixel coordinates (a pixel `i` spans `[i, i + 1)`; no +1 on widths).
 *
 * @packageDocumentation
 */
import { ValueError, describe } from './errors.js';
import { assertKnownKeys, assertNumber, assertOneOf } from './validate.js';

/** How the resized side that does not fill the target is rounded to whole pixels. */
export type LetterboxRounding = 'round' | 'floor';

/** The geometry of one letterbox: source size, target size, resized size and padding, in pixels. */
export interface LetterboxParams {
  /** Source image width and height. */
  srcW: number;
  srcH: number;
  /** Letterboxed (network input) width and height. */
  dstW: number;
  dstH: number;
  /** Nominal resize factor `min(dstW / srcW, dstH / srcH)`. */
  scale: number;
  /** Size of the resized image inside the letterbox (whole pixels). */
  newW: number;
  newH: number;
  /** Left and top padding: `⌊(dstW − newW) / 2⌋`, `⌊(dstH − newH) / 2⌋` (an odd remainder goes right/bottom). */
  padX: number;
  padY: number;
}

/**
 * Letterbox parameters for resizing a `srcW × srcH` image into `dst` with centred padding.
 *
 * Rounding: the side that limits the scale fills the target exactly; the other is
 * `round(src · scale)` (default, as OpenCV/Ultralytics pipelines) or `⌊src · scale⌋` (`'floor'`, as
 * darknet's `letterbox_image`), at least 1. Padding is `⌊(dst − new) / 2⌋` on the left/top, the rest on
 * the right/bottom (both pipelines agree on this).
 *
 * @param srcW source width in pixels, a positive integer.
 * @param srcH source height in pixels, a positive integer.
 * @param dst target size: a number for a square input (416) or `{ width, height }`.
 * @param options `rounding`, default `'round'`.
 * @example letterboxParams(640, 480, 416) → { scale: 0.65, newW: 416, newH: 312, padX: 0, padY: 52, … }
 */
export function letterboxParams(
  srcW: number,
  srcH: number,
  dst: number | { width: number; height: number },
  options: { rounding?: LetterboxRounding } = {},
): LetterboxParams {
  const fn = 'letterboxParams';
  assertNumber(fn, 'srcW', srcW, { min: 1, integer: true });
  assertNumber(fn, 'srcH', srcH, { min: 1, integer: true });
  const dstW = typeof dst === 'number' ? dst : dst?.width;
  const dstH = typeof dst === 'number' ? dst : dst?.height;
  assertNumber(fn, typeof dst === 'number' ? 'dst' : 'dst.width', dstW, { min: 1, integer: true });
  assertNumber(fn, typeof dst === 'number' ? 'dst' : 'dst.height', dstH, { min: 1, integer: true });
  assertKnownKeys(fn, 'options', options, ['rounding']);
  const { rounding = 'round' } = options;
  assertOneOf(fn, 'rounding', rounding, ['round', 'floor'] as const);
  const r = rounding === 'round' ? Math.round : Math.floor;
  let newW: number, newH: number;
  // Compare dstW/srcW with dstH/srcH exactly, in integers.
  if (dstW * srcH <= dstH * srcW) {
    newW = dstW;
    newH = Math.min(dstH, Math.max(1, r((srcH * dstW) / srcW)));
  } else {
    newH = dstH;
    newW = Math.min(dstW, Math.max(1, r((srcW * dstH) / srcH)));
  }
  return {
    srcW,
    srcH,
    dstW,
    dstH,
    scale: Math.min(dstW / srcW, dstH / srcH),
    newW,
    newH,
    padX: Math.floor((dstW - newW) / 2),
    padY: Math.floor((dstH - newH) / 2),
  };
}

/** Options of {@link undoLetterbox}. */
export interface UndoLetterboxOptions {
  /**
   * Units of the input boxes: `'normalized'` (default; fractions of the letterboxed input, as
   * `decodeBoxes` returns) or `'pixels'` of the letterboxed input.
   */
  units?: 'normalized' | 'pixels';
  /** Clip the result to the image `[0, srcW] × [0, srcH]`. Default `true`. */
  clip?: boolean;
}

/** A corner box `(x1, y1, x2, y2)`. */
export type CornerBox = [number, number, number, number];

/**
 * Map corner boxes from the letterboxed input back to the original image, in pixels.
 *
 * `x = (x_lb − padX) · srcW / newW`, `y = (y_lb − padY) · srcH / newH` (the actual per-axis resize after
 * rounding), where `x_lb = x · dstW` for normalised input; then clipped to `[0, srcW] × [0, srcH]`.
 *
 * @param boxes corner boxes `(x1, y1, x2, y2)` in the letterboxed input.
 * @param params from {@link letterboxParams}.
 * @param options see {@link UndoLetterboxOptions}.
 * @returns new boxes in original-image pixels (the input is not modified).
 */
export function undoLetterbox(
  boxes: ReadonlyArray<readonly [number, number, number, number]>,
  params: LetterboxParams,
  options: UndoLetterboxOptions = {},
): CornerBox[] {
  const fn = 'undoLetterbox';
  const map = mapper(fn, params, options);
  if (!Array.isArray(boxes)) throw new ValueError(`${fn}: 'boxes' must be an array of [x1, y1, x2, y2], got ${describe(boxes)}`);
  return boxes.map((b, i) => {
    if (!Array.isArray(b) || b.length !== 4) {
      throw new ValueError(`${fn}: 'boxes[${i}]' must be [x1, y1, x2, y2], got ${describe(b)}`);
    }
    return map(b, `boxes[${i}]`);
  });
}

/**
 * {@link undoLetterbox} for detections: the same detections with their boxes in original-image pixels.
 */
export function undoLetterboxDetections<T extends { box: readonly [number, number, number, number] }>(
  detections: readonly T[],
  params: LetterboxParams,
  options: UndoLetterboxOptions = {},
): Array<T & { box: CornerBox }> {
  const map = mapper('undoLetterboxDetections', params, options);
  return detections.map((d, i) => ({ ...d, box: map(d.box, `detections[${i}].box`) }));
}

function mapper(fn: string, params: LetterboxParams, options: UndoLetterboxOptions) {
  if (params === null || typeof params !== 'object') {
    throw new ValueError(`${fn}: 'params' must come from letterboxParams, got ${describe(params)}`);
  }
  for (const k of ['srcW', 'srcH', 'dstW', 'dstH', 'newW', 'newH'] as const) assertNumber(fn, `params.${k}`, params[k], { min: 0, minOpen: true });
  assertNumber(fn, 'params.padX', params.padX);
  assertNumber(fn, 'params.padY', params.padY);
  assertKnownKeys(fn, 'options', options, ['units', 'clip']);
  const { units = 'normalized', clip = true } = options;
  assertOneOf(fn, 'units', units, ['normalized', 'pixels'] as const);
  const { srcW, srcH, dstW, dstH, newW, newH, padX, padY } = params;
  const ux = units === 'normalized' ? dstW : 1;
  const uy = units === 'normalized' ? dstH : 1;
  const sx = srcW / newW;
  const sy = srcH / newH;
  const cx = (v: number) => (clip ? Math.min(srcW, Math.max(0, v)) : v);
  const cy = (v: number) => (clip ? Math.min(srcH, Math.max(0, v)) : v);
  return (b: readonly number[], name: string): CornerBox => {
    for (let k = 0; k < 4; k++) {
      if (!Number.isFinite(b[k])) throw new ValueError(`${fn}: '${name}[${k}]' must be a finite number, got ${describe(b[k])}`);
    }
    return [cx((b[0] * ux - padX) * sx), cy((b[1] * uy - padY) * sy), cx((b[2] * ux - padX) * sx), cy((b[3] * uy - padY) * sy)];
  };
}
