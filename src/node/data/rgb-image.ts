/**
 * The pixel type of the data wing, defined in the browser-safe `src/data/rgb-image.ts`.
 *
 * @packageDocumentation
 */
export type { RGBImage } from '../../data/rgb-image.js';
