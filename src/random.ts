/**
 * A small seeded PRNG for the core (k-means restarts) and for tests and benchmarks.
 * (The Node wing's `Rng` — xoshiro128** with a serialisable state — is the one for data pipelines.)
 *
 * @internal
 * @packageDocumentation
 */

/** mulberry32: a fast 32-bit seeded generator, uniform in [0, 1). Same seed → same stream. @internal */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
