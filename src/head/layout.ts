/**
 * Layout of the YOLOv2 detection head (docs/math.md §1–2): shape checks, the NCHW → NHWC transpose, the
 * flat row order shared by decoding and the loss, and the grids of cell offsets and priors.
 *
 * The head output is `[B, H, W, A·(5+C)]` (NHWC) or `[B, A·(5+C), H, W]` (NCHW), channel `a·(5+C) + k`
 * holding `tx, ty, tw, th, to, c_0 … c_{C-1}` for `k = 0 … 4+C`. Conceptually it is `[B, H, W, A, 5+C]`;
 * to stay at rank ≤ 4 (rank-5 slicing is very slow on wasm) this library views it as **rows**
 * `[B·H·W·A, 5+C]`, row `n = ((b·H + j)·W + i)·A + a` — a plain reshape of the NHWC tensor.
 *
 * @packageDocumentation
 */
import * as tf from '@tensorflow/tfjs-core';
import { type Anchor, type AnchorUnits, ANCHOR_UNITS, assertAnchors, gridAnchors } from '../anchors.js';
import { ShapeError, describe } from '../errors.js';
import { assertNumber, assertOneOf } from '../validate.js';

/** Memory layout of the head output: `'NHWC'` (TF.js convolutions) or `'NCHW'` (PyTorch, darknet, ONNX). */
export type Layout = 'NHWC' | 'NCHW';

/** The layout names, for validation. @internal */
const LAYOUTS: readonly Layout[] = ['NHWC', 'NCHW'];

/** What is needed to read a head output. */
export interface HeadSpec {
  /** `A` anchor sizes `(w, h)`, in {@link HeadSpec.anchorUnits}. */
  anchors: readonly Anchor[];
  /** `C`, the number of classes (≥ 1). */
  numClasses: number;
  /** Unit of `anchors`: `'grid'` (default, grid cells) or `'relative'` (fractions of the image). */
  anchorUnits?: AnchorUnits;
  /** Layout of the output tensor; default `'NHWC'`. */
  layout?: Layout;
}

/** Sizes of a head output, read from its shape and a {@link HeadSpec}. */
export interface HeadDims {
  /** Batch size `B`. */
  batch: number;
  /** Grid height `H` (rows, index `j`). */
  height: number;
  /** Grid width `W` (columns, index `i`). */
  width: number;
  /** Anchors per cell `A`. */
  numAnchors: number;
  /** Classes `C`. */
  numClasses: number;
  /** Numbers per anchor, `5 + C`. */
  depth: number;
  /** Rows in the flat view, `B·H·W·A`. */
  rows: number;
}

/**
 * Check a head output against a spec and return its sizes.
 *
 * @param fn name of the calling function, for error messages.
 * @param output `[B, H, W, A·(5+C)]` (NHWC) or `[B, A·(5+C), H, W]` (NCHW).
 * @param spec anchors, class count and layout.
 * @throws ShapeError when the rank is not 4 or the channel count is not `A·(5+C)` (naming all three numbers).
 */
export function headDims(fn: string, output: tf.Tensor, spec: HeadSpec): HeadDims {
  assertHeadSpec(fn, spec);
  if (!(output instanceof tf.Tensor) || output.rank !== 4) {
    throw new ShapeError(`${fn}: 'output' must be a rank-4 tensor [B, H, W, A·(5+C)] or [B, A·(5+C), H, W], got ${describe(output)}`);
  }
  const layout = spec.layout ?? 'NHWC';
  const [batch, d1, d2, d3] = output.shape as [number, number, number, number];
  const [height, width, channels] = layout === 'NHWC' ? [d1, d2, d3] : [d2, d3, d1];
  const numAnchors = spec.anchors.length;
  const depth = 5 + spec.numClasses;
  if (channels !== numAnchors * depth) {
    throw new ShapeError(
      `${fn}: 'output' (${layout}) has ${channels} channels, expected A·(5+C) = ${numAnchors}·(5+${spec.numClasses}) = ` +
        `${numAnchors * depth} for A = ${numAnchors} anchors and C = ${spec.numClasses} classes`,
    );
  }
  if (batch < 1 || height < 1 || width < 1) {
    throw new ShapeError(`${fn}: 'output' must have B, H, W ≥ 1, got shape [${output.shape.join(', ')}]`);
  }
  return { batch, height, width, numAnchors, numClasses: spec.numClasses, depth, rows: batch * height * width * numAnchors };
}

/** Validate the fields of a {@link HeadSpec}. @internal */
export function assertHeadSpec(fn: string, spec: HeadSpec): void {
  if (typeof spec !== 'object' || spec === null) {
    throw new ShapeError(`${fn}: 'spec' must be an object { anchors, numClasses }, got ${describe(spec)}`);
  }
  assertAnchors(fn, spec.anchors);
  assertNumber(fn, 'numClasses', spec.numClasses, { min: 1, integer: true });
  if (spec.anchorUnits !== undefined) assertOneOf(fn, 'anchorUnits', spec.anchorUnits, ANCHOR_UNITS);
  if (spec.layout !== undefined) assertOneOf(fn, 'layout', spec.layout, LAYOUTS);
}

/**
 * The head output in NHWC layout (a transpose `[0, 2, 3, 1]` for NCHW, the input itself for NHWC).
 * Differentiable. The caller owns the result when it differs from the input.
 */
export function toNHWC(output: tf.Tensor4D, layout: Layout = 'NHWC'): tf.Tensor4D {
  return layout === 'NCHW' ? tf.transpose(output, [0, 2, 3, 1]) : output;
}

/**
 * The flat row view `[B·H·W·A, 5+C]` of a head output (row `n = ((b·H + j)·W + i)·A + a`, columns
 * `tx, ty, tw, th, to, c_0 …`). Differentiable (transpose for NCHW, then a reshape).
 */
export function headRows(output: tf.Tensor4D, dims: HeadDims, layout: Layout = 'NHWC'): tf.Tensor2D {
  return tf.tidy(() => tf.reshape(toNHWC(output, layout), [dims.rows, dims.depth]));
}

/**
 * Flat row index of batch `b`, cell row `j`, cell column `i`, anchor `a` in the row view.
 */
export function rowIndex(dims: HeadDims, b: number, j: number, i: number, a: number): number {
  return ((b * dims.height + j) * dims.width + i) * dims.numAnchors + a;
}

/** Per-row constants of the grid: cell offsets and grid priors, each of length `B·H·W·A` (or `H·W·A`). */
export interface HeadGrid {
  /** Column index `i` of each row's cell. */
  cellX: Float32Array;
  /** Row index `j` of each row's cell. */
  cellY: Float32Array;
  /** Prior width `p_w` in grid cells of each row's anchor. */
  priorW: Float32Array;
  /** Prior height `p_h` in grid cells of each row's anchor. */
  priorH: Float32Array;
}

/**
 * Cell offsets and priors for every row of one image (`H·W·A` rows, row `(j·W + i)·A + a`).
 * Repeat `B` times for a batch: the values do not depend on `b`.
 *
 * @param priors `A` priors in grid cells (see {@link gridPriors}).
 */
export function headGrid(height: number, width: number, priors: readonly Anchor[]): HeadGrid {
  const A = priors.length;
  const n = height * width * A;
  const cellX = new Float32Array(n);
  const cellY = new Float32Array(n);
  const priorW = new Float32Array(n);
  const priorH = new Float32Array(n);
  let r = 0;
  for (let j = 0; j < height; j++) {
    for (let i = 0; i < width; i++) {
      for (let a = 0; a < A; a++, r++) {
        cellX[r] = i;
        cellY[r] = j;
        priorW[r] = priors[a][0];
        priorH[r] = priors[a][1];
      }
    }
  }
  return { cellX, cellY, priorW, priorH };
}

/**
 * Grid priors `(p_w, p_h)` in grid cells for an `H × W` grid: the anchors as they are for
 * `'grid'` units, `(r_w·W, r_h·H)` for `'relative'` units (docs/math.md §2).
 */
export function gridPriors(spec: HeadSpec, height: number, width: number): Anchor[] {
  return gridAnchors(spec.anchors, spec.anchorUnits ?? 'grid', { width, height });
}
