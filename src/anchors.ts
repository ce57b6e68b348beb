/**
 * Anchor presets and anchor units (docs/math.md §2).
 *
 * An anchor is a prior box size `(p_w, p_h)`. Its unit is either
 * - `'grid'`: grid cells, used as is whatever the input size (darknet, the training records' "fixed anchors");
 *   at stride 32 a grid anchor is a constant size in pixels;
 * - `'relative'`: fractions of the image side; the grid prior for a `W × H` grid is `(r_w·W, r_h·H)`
 *   (the training records' "scaled anchors").
 *
 * @packageDocumentation
 */
import { ShapeError, describe } from './errors.js';
import { assertKnownKeys, assertNumber, assertOneOf } from './validate.js';

/** A prior box size `(w, h)`; the unit is given separately by {@link AnchorUnits}. */
export type Anchor = readonly [w: number, h: number];

/** `'grid'`: grid cells. `'relative'`: fractions of the image. */
export type AnchorUnits = 'grid' | 'relative';

/** The anchor unit names, for validation. @internal */
export const ANCHOR_UNITS: readonly AnchorUnits[] = ['grid', 'relative'];

/** YOLOv2 VOC anchors (yolov2-voc.cfg), in grid units of a 13×13 grid at 416 px. */
export const VOC_ANCHORS: readonly Anchor[] = Object.freeze([
  [1.3221, 1.73145],
  [3.19275, 4.00944],
  [5.05587, 8.09892],
  [9.47112, 4.84053],
  [11.2364, 10.0071],
] as const);

/** The VOC anchors as fractions of the image (grid values / 13, as in the training records). */
export const VOC_ANCHORS_RELATIVE: readonly Anchor[] = Object.freeze([
  [0.1017, 0.133188],
  [0.245596, 0.308418],
  [0.388913, 0.622994],
  [0.728548, 0.372348],
  [0.864338, 0.769777],
] as const);

/** YOLOv2 COCO anchors (yolov2.cfg), in grid units. */
export const COCO_ANCHORS: readonly Anchor[] = Object.freeze([
  [0.57273, 0.677385],
  [1.87446, 2.06253],
  [3.33843, 5.47434],
  [7.88282, 3.52778],
  [9.77052, 9.16828],
] as const);

/** tiny-YOLOv2 VOC anchors (yolov2-tiny-voc.cfg), in grid units. */
export const TINY_VOC_ANCHORS: readonly Anchor[] = Object.freeze([
  [1.08, 1.19],
  [3.42, 4.41],
  [6.63, 11.38],
  [9.42, 5.11],
  [16.62, 10.52],
] as const);

/**
 * Check an anchor list: at least one `(w, h)` pair, each finite and > 0.
 * @internal
 */
export function assertAnchors(fn: string, anchors: unknown): asserts anchors is readonly Anchor[] {
  if (!Array.isArray(anchors) || anchors.length === 0) {
    throw new ShapeError(`${fn}: 'anchors' must be a non-empty array of [w, h] pairs, got ${describe(anchors)}`);
  }
  anchors.forEach((a: unknown, i) => {
    if (!Array.isArray(a) || a.length !== 2) {
      throw new ShapeError(`${fn}: 'anchors[${i}]' must be a [w, h] pair, got ${describe(a)}`);
    }
    assertNumber(fn, `anchors[${i}][0]`, a[0], { min: 0, minOpen: true });
    assertNumber(fn, `anchors[${i}][1]`, a[1], { min: 0, minOpen: true });
  });
}

const GRID_KEYS = ['width', 'height'];

/**
 * The grid priors `(p_w, p_h)` in grid cells for a given grid.
 *
 * - `units = 'grid'`: the anchors unchanged;
 * - `units = 'relative'`: `(r_w · width, r_h · height)`.
 *
 * @param anchors `A` pairs `(w, h)` in `units`.
 * @param units unit of `anchors`.
 * @param grid the grid size in cells, `{ width: W, height: H }` (416 px at stride 32 → 13 × 13).
 * @returns `A` pairs in grid cells.
 */
export function gridAnchors(anchors: readonly Anchor[], units: AnchorUnits, grid: { width: number; height: number }): Anchor[] {
  assertAnchors('gridAnchors', anchors);
  assertKnownKeys('gridAnchors', 'grid', grid, GRID_KEYS);
  assertOneOf('gridAnchors', 'units', units, ANCHOR_UNITS);
  assertNumber('gridAnchors', 'grid.width', grid?.width, { min: 1, integer: true });
  assertNumber('gridAnchors', 'grid.height', grid?.height, { min: 1, integer: true });
  return anchors.map(([w, h]) => (units === 'grid' ? [w, h] : [w * grid.width, h * grid.height]) as Anchor);
}

/**
 * Convert anchors between units for a given grid (`'grid'` ↔ `'relative'`).
 *
 * @param anchors pairs in `from` units.
 * @param from their unit.
 * @param to the wanted unit.
 * @param grid the grid the conversion refers to (13 × 13 for the VOC presets).
 */
export function convertAnchors(
  anchors: readonly Anchor[],
  from: AnchorUnits,
  to: AnchorUnits,
  grid: { width: number; height: number },
): Anchor[] {
  assertOneOf('convertAnchors', 'to', to, ANCHOR_UNITS);
  assertKnownKeys('convertAnchors', 'grid', grid, GRID_KEYS);
  const inGrid = gridAnchors(anchors, from, grid);
  return to === 'grid' ? inGrid : inGrid.map(([w, h]) => [w / grid.width, h / grid.height] as Anchor);
}

