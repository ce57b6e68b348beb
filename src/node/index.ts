/**
 * `yolov2-ts/node`: Node-only helpers — dataset readers and writers, image decoding, backend selection.
 *
 * @packageDocumentation
 */
export type { VOCAnnotation, VOCObject } from './voc-xml.js';
export { readVOCAnnotation, writeVOCAnnotation } from './voc-xml.js';
