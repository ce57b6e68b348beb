import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { gridPriors, headDims, headGrid, headRows, rowIndex, ShapeError, toNHWC } from '../../src/index.js';
import { expectNoLeak } from '../helpers.js';

const spec = { anchors: [[1, 2], [3, 4]] as Array<[number, number]>, numClasses: 3 };

describe('head layout', () => {
  it('reads the sizes from NHWC and NCHW', () => {
    const nhwc = tf.zeros([2, 3, 4, 16]);
    const nchw = tf.zeros([2, 16, 3, 4]);
    const expected = { batch: 2, height: 3, width: 4, numAnchors: 2, numClasses: 3, depth: 8, rows: 2 * 3 * 4 * 2 };
    expect(headDims('f', nhwc, spec)).toEqual(expected);
    expect(headDims('f', nchw, { ...spec, layout: 'NCHW' })).toEqual(expected);
    expect(() => headDims('f', nchw, spec)).toThrow(ShapeError);
    expect(() => headDims('f', nchw, spec)).toThrow(/4 channels, expected A·\(5\+C\) = 2·\(5\+3\) = 16/);
    tf.dispose([nhwc, nchw]);
  });

  it('row n = ((b·H + j)·W + i)·A + a holds channels a·(5+C) … of cell (j, i)', () => {
    const dims = { batch: 2, height: 3, width: 4, numAnchors: 2, numClasses: 3, depth: 8, rows: 48 };
    expect(rowIndex(dims, 1, 2, 3, 1)).toBe(((1 * 3 + 2) * 4 + 3) * 2 + 1);
    const x = tf.tidy(() => tf.reshape(tf.range(0, 2 * 3 * 4 * 16), [2, 3, 4, 16])) as tf.Tensor4D;
    const rows = headRows(x, dims);
    expect(rows.shape).toEqual([48, 8]);
    // row 47 = b 1, j 2, i 3, a 1: NHWC offset ((1·3 + 2)·4 + 3)·16 + 1·8 = 376
    expect(Array.from(rows.dataSync().subarray(47 * 8, 48 * 8))).toEqual([376, 377, 378, 379, 380, 381, 382, 383]);
    const back = headRows(tf.transpose(x, [0, 3, 1, 2]) as tf.Tensor4D, dims, 'NCHW');
    expect(Array.from(back.dataSync())).toEqual(Array.from(rows.dataSync()));
    tf.dispose([x, rows, back]);
  });

  it('toNHWC transposes NCHW and passes NHWC through', () => {
    const x = tf.zeros([1, 16, 3, 4]) as tf.Tensor4D;
    expect(toNHWC(x, 'NHWC')).toBe(x);
    expectNoLeak(() => toNHWC(x, 'NCHW').dispose());
    x.dispose();
  });

  it('grids of cell offsets and priors, relative priors scaled by the grid', () => {
    const g = headGrid(2, 3, [[1, 2], [3, 4]]);
    expect(Array.from(g.cellX)).toEqual([0, 0, 1, 1, 2, 2, 0, 0, 1, 1, 2, 2]);
    expect(Array.from(g.cellY)).toEqual([0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1]);
    expect(Array.from(g.priorW)).toEqual([1, 3, 1, 3, 1, 3, 1, 3, 1, 3, 1, 3]);
    expect(Array.from(g.priorH)).toEqual([2, 4, 2, 4, 2, 4, 2, 4, 2, 4, 2, 4]);
    expect(gridPriors({ ...spec, anchorUnits: 'relative', anchors: [[0.5, 0.25]] }, 4, 6)).toEqual([[3, 1]]);
    expect(gridPriors(spec, 4, 6)).toEqual([[1, 2], [3, 4]]);
  });
});
