/**
 * `yolov2-ts/node`: Node-only helpers — dataset readers and writers, image decoding, backend selection.
 *
 * @packageDocumentation
 */
export type { VOCAnnotation, VOCObject } from './voc-xml.js';
export { readVOCAnnotation, writeVOCAnnotation } from './voc-xml.js';

// ---- data (area: data) -------------------------------------------------------------------------
export type {
  DetectionDataset,
  DetectionSample,
  OutsidePolicy,
  RGBImage,
  SampleObject,
  VOCDatasetOptions,
  YOLODatasetOptions,
} from './datasets.js';
export { VOCDataset, YOLODataset, clipObjects, readYOLOLabels, writeYOLOLabels } from './datasets.js';
export { Rng, deriveSeed } from './rng.js';
export type { RngState } from './rng.js';
export {
  SYNTHETIC_CLASSES,
  SyntheticDataset,
  generateSyntheticSample,
  resolveSyntheticOptions,
  shapeMask,
  shapeRowSpan,
  writeSyntheticVOC,
} from './synthetic.js';
export type { SyntheticOptions, SyntheticSample, SyntheticShape } from './synthetic.js';
export {
  classColour,
  decodeImage,
  detectionsSVG,
  drawDetections,
  encodePNG,
  imageToFloat32,
  imageToTensor,
  letterboxBox,
  letterboxGeometry,
  letterboxImage,
  resizeImage,
  writeDetectionsPNG,
} from './image.js';
export type { DrawBox, DrawOptions, LetterboxGeometry } from './image.js';
export {
  DEFAULT_AUGMENT,
  augmentSample,
  distortHSV,
  letterboxParams,
  placementParams,
  renderAugmented,
  resolveAugmentOptions,
  sampleAugmentation,
  transformBoxes,
} from './augment.js';
export type { AugmentOptions, AugmentParams, ResolvedAugmentOptions } from './augment.js';
export { BatchLoader, batchImagesTensor, canvasBoxToSource, evalBatches, trainerBatches } from './batches.js';
export type { DataBatch, BatchAnnotation, BatchLoaderOptions, BatchLoaderState, BatchStats } from './batches.js';
export { BACKEND_CANDIDATES, selectBackend } from './backend.js';
export type { BackendAttempt, BackendName, SelectBackendOptions, SelectBackendResult } from './backend.js';
// ---- end data ------------------------------------------------------------------------------------
