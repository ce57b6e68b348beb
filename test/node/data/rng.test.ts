import { describe, expect, it } from 'vitest';
import { ValueError } from '../../../src/errors.js';
import { Rng, deriveSeed } from '../../../src/node/data/rng.js';
import { thrown } from '../../helpers.js';

describe('Rng (xoshiro128**)', () => {
  it('matches the reference algorithm from state (1, 2, 3, 4), worked by hand', () => {
    const r = Rng.fromState({ algorithm: 'xoshiro128**', state: [1, 2, 3, 4] });
    // out1 = rotl(2·5, 7)·9 = 1280·9 = 11520; state → (7, 0, 1026, 12288)
    expect(r.nextUint32()).toBe(11520);
    expect(r.getState().state).toEqual([7, 0, 1026, 12288]);
    // out2 = rotl(0·5, 7)·9 = 0; state → (12295, 1029, 1029, rotl(12288, 11) = 25165824)
    expect(r.nextUint32()).toBe(0);
    expect(r.getState().state).toEqual([12295, 1029, 1029, 25165824]);
    // out3 = rotl(1029·5 = 5145, 7)·9 = 658560·9
    expect(r.nextUint32()).toBe(5927040);
  });

  it('same seed → same stream; different seeds → different streams', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const sa = Array.from({ length: 50 }, () => a.next());
    expect(Array.from({ length: 50 }, () => b.next())).toEqual(sa);
    expect(Array.from({ length: 50 }, () => c.next())).not.toEqual(sa);
    expect(sa.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it('state survives JSON and resumes the exact stream (checkpointing)', () => {
    const a = new Rng(7);
    for (let i = 0; i < 13; i++) a.next();
    const saved = JSON.parse(JSON.stringify(a.getState()));
    const expected = Array.from({ length: 20 }, () => a.nextUint32());
    const b = Rng.fromState(saved);
    expect(Array.from({ length: 20 }, () => b.nextUint32())).toEqual(expected);
    const c = new Rng(1);
    c.setState(saved);
    expect(c.nextUint32()).toBe(expected[0]);
  });

  it('clone is independent', () => {
    const a = new Rng(3);
    const b = a.clone();
    expect(b.next()).toBe(a.next());
    b.next();
    expect(a.getState()).not.toEqual(b.getState());
  });

  it('int(lo, hi) is inclusive and covers the range; uniform, pick, bool, shuffle behave', () => {
    const r = new Rng(5);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const v = r.int(1, 6);
      expect(Number.isInteger(v) && v >= 1 && v <= 6).toBe(true);
      seen.add(v);
    }
    expect([...seen].sort()).toEqual([1, 2, 3, 4, 5, 6]);
    let mean = 0;
    for (let i = 0; i < 4000; i++) mean += r.uniform(2, 4) / 4000;
    expect(mean).toBeGreaterThan(2.95);
    expect(mean).toBeLessThan(3.05);
    expect(['a', 'b']).toContain(r.pick(['a', 'b']));
    expect(r.shuffle([1, 2, 3, 4, 5]).sort()).toEqual([1, 2, 3, 4, 5]);
    let n = 0;
    for (let i = 0; i < 4000; i++) n += r.normal();
    expect(Math.abs(n / 4000)).toBeLessThan(0.1);
  });

  it('rejects bad seeds and bad states with ValueError', () => {
    expect(thrown(() => new Rng(NaN))).toBeInstanceOf(ValueError);
    const e = thrown(() => Rng.fromState({ algorithm: 'xoshiro128**', state: [0, 0, 0, 0] }));
    expect(e).toBeInstanceOf(ValueError);
    expect(e.message).toMatch(/Rng.setState: 'state' must be/);
    expect(thrown(() => Rng.fromState({ algorithm: 'mt' as 'xoshiro128**', state: [1, 2, 3, 4] }))).toBeInstanceOf(ValueError);
    expect(thrown(() => Rng.fromState({ algorithm: 'xoshiro128**', state: [1, 2, 3, -1] }))).toBeInstanceOf(ValueError);
  });

  it('deriveSeed is deterministic and separates indices', () => {
    expect(deriveSeed(1, 2)).toBe(deriveSeed(1, 2));
    const seeds = new Set(Array.from({ length: 1000 }, (_, i) => deriveSeed(9, i)));
    expect(seeds.size).toBe(1000);
    expect(deriveSeed(1, 2)).not.toBe(deriveSeed(2, 1));
  });
});
