/**
 * The seeded generator of the data wing; it lives in the browser-safe `src/data/rng.ts` (the synthetic
 * shapes are drawn in the browser too) and is re-exported here for the Node data pipeline.
 *
 * @packageDocumentation
 */
export { Rng, deriveSeed } from '../../data/rng.js';
export type { RngState } from '../../data/rng.js';
