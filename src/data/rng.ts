/**
 * A small seeded pseudo-random generator with a serialisable state, for reproducible data pipelines.
 *
 * Algorithm: xoshiro128** (Blackman & Vigna), 128 bits of state as four uint32 words, seeded from a
 * number through splitmix32 so that nearby seeds give unrelated streams. Period 2^128 − 1; passes
 * BigCrush except for the lowest bits of linear tests, which `next()` discards (it uses the top 32 bits
 * through a division by 2^32).
 *
 * The state is plain JSON (`{ algorithm, state: [a, b, c, d] }`), so a trainer can store it in a
 * checkpoint and resume the exact same stream with {@link Rng.fromState}.
 *
 * @packageDocumentation
 */
import { ValueError, describe } from '../errors.js';

/** The serialisable state of an {@link Rng}: JSON-safe. */
export interface RngState {
  algorithm: 'xoshiro128**';
  /** Four uint32 words, not all zero. */
  state: [number, number, number, number];
}

/** splitmix32 step: mixes a 32-bit counter into a well-distributed 32-bit word. */
function splitmix32(x: number): number {
  x = (x + 0x9e3779b9) >>> 0;
  let z = x;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * Hash a seed and any number of extra integers (for example a sample index) into a uint32 seed.
 * `deriveSeed(seed, i)` gives independent-looking streams per sample, so a dataset item can be
 * regenerated alone, in any order.
 */
export function deriveSeed(seed: number, ...parts: number[]): number {
  let h = splitmix32((seed >>> 0) ^ Math.floor(seed / 4294967296));
  for (const p of parts) {
    h = splitmix32(Math.imul(h, 0x2c1b3c6d) ^ splitmix32((p >>> 0) ^ Math.floor(p / 4294967296)));
  }
  return h >>> 0;
}

/**
 * Seeded PRNG (xoshiro128**). `new Rng(seed)` with an integer seed (any finite number is accepted; it
 * is reduced to 53 bits). Same seed, same sequence, on every platform.
 */
export class Rng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;

  constructor(seed = 0) {
    if (typeof seed !== 'number' || !Number.isFinite(seed)) {
      throw new ValueError(`Rng: 'seed' must be a finite number, got ${describe(seed)}`);
    }
    const lo = Math.trunc(seed) >>> 0;
    const hi = Math.floor(Math.trunc(seed) / 4294967296) >>> 0;
    let x = splitmix32(lo ^ 0x5bd1e995);
    x ^= splitmix32(hi);
    this.s0 = splitmix32(x);
    this.s1 = splitmix32(this.s0 ^ 0x243f6a88);
    this.s2 = splitmix32(this.s1 ^ 0x85a308d3);
    this.s3 = splitmix32(this.s2 ^ 0x13198a2e);
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** Restore a generator from {@link Rng.getState}'s output. */
  static fromState(state: RngState): Rng {
    const r = new Rng(0);
    r.setState(state);
    return r;
  }

  /** Next uint32 (0 … 2^32 − 1). */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 = (this.s2 ^ t) >>> 0;
    this.s3 = rotl(this.s3 >>> 0, 11);
    this.s0 >>>= 0;
    this.s1 >>>= 0;
    return result;
  }

  /** Uniform float in [0, 1) with 32 bits of resolution. */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform float in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Uniform integer in [lo, hi] (both inclusive). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** True with probability `p`. */
  bool(p = 0.5): boolean {
    return this.next() < p;
  }

  /** One element of a non-empty array, uniformly. */
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  /** Standard normal sample (Box–Muller, one value per two uniforms). */
  normal(mean = 0, std = 1): number {
    const u = Math.max(this.next(), 2.3283064365386963e-10);
    const v = this.next();
    return mean + std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Shuffle an array in place (Fisher–Yates) and return it. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const t = items[i];
      items[i] = items[j];
      items[j] = t;
    }
    return items;
  }

  /** The current state, JSON-safe. Restoring it replays the stream from this point. */
  getState(): RngState {
    return { algorithm: 'xoshiro128**', state: [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0] };
  }

  /**
   * Replace the state.
   * @throws {@link ValueError} when the state is not four uint32 words (not all zero) of 'xoshiro128**'.
   */
  setState(state: RngState): void {
    const s = (state as RngState | undefined)?.state;
    const ok =
      state?.algorithm === 'xoshiro128**' &&
      Array.isArray(s) &&
      s.length === 4 &&
      s.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff) &&
      s.some((w) => w !== 0);
    if (!ok) {
      throw new ValueError(
        `Rng.setState: 'state' must be { algorithm: 'xoshiro128**', state: four uint32 words, not all zero }, got ${JSON.stringify(state)}`,
      );
    }
    [this.s0, this.s1, this.s2, this.s3] = s;
  }

  /** An independent copy with the same state. */
  clone(): Rng {
    return Rng.fromState(this.getState());
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
