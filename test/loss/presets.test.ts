import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { VOC_ANCHORS, VOC_ANCHORS_RELATIVE } from '../../src/anchors.js';
import { LOSS_DEFAULTS, LOSS_PRESETS, packTargets, resolveLossConfig, YOLOv2Loss } from '../../src/index.js';
import { randn, rng } from '../helpers.js';

// The columns of docs/math.md §7, row by row.
const TABLE = {
  darknet: ['grid', 'shape', true, 'gt', 0.6, 'log', 'truth', 'iou', 5, 1, true, 'noobj'],
  recordsV2: ['grid', 'cell-center', true, 'gte', 0.7, 'exp', 'none', 'max-iou', 25, 1, false, 'noobj'],
  recordsNew: ['grid', 'cell-center', true, 'gte', 0.7, 'exp', 'none', 'max-iou', 25, 1, true, 'skip'],
  recordsV1: ['grid', 'cell-center', false, 'gte', 0.7, 'exp', 'none', 'max-iou', 5, 1, false, 'noobj'],
  tztz: ['grid', 'cell-center', true, 'gte', 0.6, 'exp', 'none', 'max-iou', 25, 1, true, 'noobj'],
  recordsRewrite: ['grid', 'cell-corner', true, 'gt', 0.6, 'exp', 'prediction-wh', 'iou', 5, 1, false, 'noobj'],
} as const;
const COLS = ['anchorUnits', 'anchorMatch', 'noobjIgnore', 'ignoreRule', 'ignoreThresh', 'whSpace', 'boxScale', 'objTarget',
  'objScale', 'noobjScale', 'halfSquaredError', 'emptyImages'] as const;

describe('LOSS_PRESETS', () => {
  for (const [name, row] of Object.entries(TABLE)) {
    it(`${name} is its row of docs/math.md §7`, () => {
      const p = LOSS_PRESETS[name] as Record<string, unknown>;
      COLS.forEach((c, k) => expect(p[c], c).toBe(row[k]));
      expect([p.coordScale, p.classScale, p.classLoss, p.reduction]).toEqual([1, 1, 'softmax-ce', 'batch-mean']);
      expect(Object.isFrozen(p)).toBe(true);
    });
  }

  it('recordsOld is recordsV2; recordsScaledAnchors is recordsV2 with the relative VOC anchors', () => {
    expect(LOSS_PRESETS.recordsOld).toBe(LOSS_PRESETS.recordsV2);
    const { anchors, anchorUnits, ...rest } = LOSS_PRESETS.recordsScaledAnchors;
    const { anchorUnits: _u, ...v2 } = LOSS_PRESETS.recordsV2;
    expect(rest).toEqual(v2);
    expect(anchorUnits).toBe('relative');
    expect(anchors).toBe(VOC_ANCHORS_RELATIVE);
  });

  it('the defaults are the darknet row', () => {
    // outside and checkFinite are input checks, not part of any implementation's loss: no preset sets them.
    const { layout, priorWarmup, outside, checkFinite, ...d } = LOSS_DEFAULTS;
    expect(d).toEqual(LOSS_PRESETS.darknet);
    expect([layout, priorWarmup, outside, checkFinite]).toEqual(['NHWC', null, 'error', true]);
  });

  it('every preset resolves with anchors and classes, and can be overridden by spreading', () => {
    for (const p of Object.values(LOSS_PRESETS)) {
      const c = resolveLossConfig('test', { anchors: VOC_ANCHORS, numClasses: 20, ...p, ignoreThresh: 0.5 });
      expect(c.ignoreThresh).toBe(0.5);
    }
  });

  it("the scaled-anchor preset at 416 px (13×13) is the fixed-anchor loss up to the anchors' rounding", () => {
    const r = rng(5);
    const output = tf.tensor4d(randn(r, 2 * 13 * 13 * 125, 0, 1), [2, 13, 13, 125]);
    const targets = packTargets([[{ classId: 1, box: [0.4, 0.5, 0.3, 0.6] }], [{ classId: 7, box: [0.7, 0.2, 0.1, 0.2] }]]);
    const fixed = new YOLOv2Loss({ ...LOSS_PRESETS.recordsV2, anchors: VOC_ANCHORS, numClasses: 20 }).compute(output, targets);
    const scaled = new YOLOv2Loss({ ...LOSS_PRESETS.recordsScaledAnchors, anchors: VOC_ANCHORS_RELATIVE, numClasses: 20 }).compute(output, targets);
    expect(scaled.total.dataSync()[0]).toBeCloseTo(fixed.total.dataSync()[0], 2);
    tf.dispose([output, targets, fixed as never, scaled as never]);
  });
});
