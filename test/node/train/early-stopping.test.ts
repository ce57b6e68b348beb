import { describe, expect, it } from 'vitest';
import { EarlyStopping } from '../../../src/node/train/early-stopping.js';

describe('EarlyStopping', () => {
  it('keeps the strictly best score and stops after `patience` evaluations in a row without one', () => {
    const s = new EarlyStopping(2);
    // 0.1 best; 0.3 best; 0.3 equal (stale 1); 0.2 worse (stale 2 → stop)
    expect([0.1, 0.3, 0.3, 0.2].map((m) => s.update(m))).toEqual([
      { improved: true, stop: false },
      { improved: true, stop: false },
      { improved: false, stop: false },
      { improved: false, stop: true },
    ]);
    expect(s.best).toBe(0.3);
    expect(new EarlyStopping(undefined, [0.5, 0.1, 0.1]).update(0.1)).toEqual({ improved: false, stop: false });
  });

  it('replays a resumed run: the count continues where it stopped', () => {
    const s = new EarlyStopping(3, [0.4, 0.2, 0.3]); // best 0.4, 2 stale
    expect([s.best, s.stale]).toEqual([0.4, 2]);
    expect(s.update(0.35)).toEqual({ improved: false, stop: true });
    expect(new EarlyStopping(1).update(0)).toEqual({ improved: true, stop: false }); // the first evaluation is the best so far
  });
});
