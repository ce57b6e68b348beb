import { describe, expect, it } from 'vitest';
import { tinyYOLOv2, initObjectnessPrior } from '../../src/models/index.js';
import { ShapeError, ValueError } from '../../src/index.js';
import { expectNoLeak } from '../helpers.js';

describe('initObjectnessPrior', () => {
  it('sets channel a·(5+C)+4 of the head bias to ln(p/(1−p)) and nothing else', () => {
    const model = tinyYOLOv2({ numClasses: 3, widthMultiplier: 0.125, inputSize: 64 }); // 5 anchors · 8 channels
    const head = model.layers[model.layers.length - 1];
    const before = Array.from(head.getWeights()[1].dataSync());
    expectNoLeak(() => initObjectnessPrior(model, 3, 0.01));
    const after = Array.from(head.getWeights()[1].dataSync());
    const logit = Math.log(0.01 / 0.99); // −4.59512
    after.forEach((v, i) => {
      if (i % 8 === 4) expect(v).toBeCloseTo(logit, 5);
      else expect(v).toBe(before[i]);
    });
    model.dispose();
  });

  it('rejects a head that does not match C, and priors outside (0, 1)', () => {
    const model = tinyYOLOv2({ numClasses: 3, widthMultiplier: 0.125, inputSize: 64 });
    expect(() => initObjectnessPrior(model, 4)).toThrow(ShapeError); // 40 channels is not a multiple of 9
    expect(() => initObjectnessPrior(model, 3, 1)).toThrow(ValueError);
    model.dispose();
  });
});
