import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { packTargets, ValueError, YOLOv2Loss } from '../../../src/index.js';
import type { SerializedLoss } from '../../../src/node/index.js';
import { lossFromConfig } from '../../../src/node/train/loss-config.js';
import { randn, rng } from '../../helpers.js';

describe('the loss as a typed, serialisable value (what gradient workers rebuild)', () => {
  it("YOLOv2Loss.toConfig() survives structured cloning and rebuilds a loss with the same terms", () => {
    const loss = new YOLOv2Loss({ anchors: [[1, 1], [2, 1.5]], numClasses: 3, objScale: 4 });
    const value: SerializedLoss = structuredClone(loss.toConfig());
    expect(value.kind).toBe('yolov2');
    expect(value.config).toEqual({ ...loss.config });
    const copy = lossFromConfig(value);
    const out = tf.tensor4d(randn(rng(4), 2 * 2 * 2 * 16, 0, 1), [2, 2, 2, 16]);
    const gt = packTargets([[{ classId: 2, box: [0.3, 0.4, 0.4, 0.4] }], [{ classId: 0, box: [0.7, 0.6, 0.3, 0.2] }]]);
    const a = loss.compute(out, gt);
    const b = copy.compute(out, gt);
    const read = (l: typeof a) => [l.total, l.coord, l.obj, l.noobj, l.cls].map((t) => t.dataSync()[0]);
    expect(read(b)).toEqual(read(a));
    expect(read(a)[0]).toBeGreaterThan(0);
    tf.dispose([out, gt, ...Object.values(a), ...Object.values(b)]);
  });

  it('an unknown kind is a ValueError naming it', () => {
    expect(() => lossFromConfig({ kind: 'focal', config: {} } as never)).toThrow(new ValueError(`lossFromConfig: 'kind' must be 'yolov2', got "focal"`));
  });
});
