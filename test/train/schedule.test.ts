import { describe, expect, it } from 'vitest';
import { learningRateAt, RECORDS_SCHEDULE, validateSchedule } from '../../src/train/schedule.js';
import { ValueError } from '../../src/index.js';

describe('learningRateAt', () => {
  it('linear warm-up: lr · (it + 1) / W, then the base rate', () => {
    // 10 iterations per epoch, 2 warm-up epochs → W = 20 iterations.
    const s = { lr: 0.01, warmup: { epochs: 2 } };
    expect(learningRateAt(0, 10, s)).toBeCloseTo(0.01 * (1 / 20), 15);
    expect(learningRateAt(9, 10, s)).toBeCloseTo(0.01 * (10 / 20), 15);
    expect(learningRateAt(19, 10, s)).toBeCloseTo(0.01, 15);
    expect(learningRateAt(20, 10, s)).toBe(0.01);
  });

  it("darknet burn-in: lr · (it / W)^4", () => {
    const s = { lr: 1e-3, warmup: { epochs: 1, mode: 'burn-in' as const } };
    expect(learningRateAt(0, 100, s)).toBe(0);
    expect(learningRateAt(50, 100, s)).toBeCloseTo(1e-3 * 0.5 ** 4, 18); // 6.25e-5
    expect(learningRateAt(100, 100, s)).toBe(1e-3);
  });

  it('the training records’ MultiStep [60, 90, 110] γ 0.1 after 5 warm-up epochs', () => {
    const per = 100;
    expect(learningRateAt(5 * per, per, RECORDS_SCHEDULE)).toBe(1e-3);
    expect(learningRateAt(60 * per - 1, per, RECORDS_SCHEDULE)).toBe(1e-3);
    expect(learningRateAt(60 * per, per, RECORDS_SCHEDULE)).toBeCloseTo(1e-4, 18);
    expect(learningRateAt(90 * per, per, RECORDS_SCHEDULE)).toBeCloseTo(1e-5, 18);
    expect(learningRateAt(119 * per, per, RECORDS_SCHEDULE)).toBeCloseTo(1e-6, 18);
  });

  it('cosine: half way is (lr + minLr) / 2, the end is minLr', () => {
    const s = { lr: 0.1, decay: { type: 'cosine' as const, epochs: 10, minLr: 0.001 } };
    expect(learningRateAt(0, 1, s)).toBeCloseTo(0.1, 15);
    expect(learningRateAt(5, 1, s)).toBeCloseTo((0.1 + 0.001) / 2, 15);
    expect(learningRateAt(10, 1, s)).toBeCloseTo(0.001, 15);
    expect(learningRateAt(20, 1, s)).toBeCloseTo(0.001, 15);
  });

  it('validates', () => {
    expect(() => validateSchedule({ lr: -1 })).toThrow(ValueError);
    // @ts-expect-error bad decay type on purpose
    expect(() => validateSchedule({ lr: 1, decay: { type: 'step' } })).toThrow(/decay.type/);
    expect(() => validateSchedule({ lr: 1, decay: { type: 'multistep', milestones: [NaN] } })).toThrow(/milestones\[0\]/);
    expect(() => validateSchedule(RECORDS_SCHEDULE)).not.toThrow();
  });
});
