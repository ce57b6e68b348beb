/**
 * `yolov2-ts/node`: Node-only helpers — dataset readers and writers, image decoding, backend selection.
 *
 * @packageDocumentation
 */
// The error classes, re-exported so Node code can catch them without a second import (same classes as the core's).
export { YOLOv2Error, ShapeError, ValueError, TargetError, FormatError } from '../errors.js';

export type { VOCAnnotation, VOCObject } from './voc-xml.js';
export { readVOCAnnotation, writeVOCAnnotation } from './voc-xml.js';

// training loop
export type { WarmupConfig, DecayConfig, LrSchedule } from './schedule.js';
export { learningRateAt, validateSchedule, RECORDS_SCHEDULE } from './schedule.js';
export type { SGDConfig, SGDStateEntry } from './sgd.js';
export { SGD, decaysKernelsOnly } from './sgd.js';
export type { Checkpoint, CheckpointTensor } from './checkpoint.js';
export { saveCheckpoint, loadCheckpoint } from './checkpoint.js';
export type { LossTerms, LossLike, Batch, BatchSource, StepRecord, TrainOptions, TrainResult } from './trainer.js';
export { train } from './trainer.js';
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
export type { SyntheticOptions, SyntheticSample, SyntheticShape, ResolvedSyntheticOptions } from './synthetic.js';
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
  letterboxPlacement,
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
export { initWasmBackend, logicalCores } from './wasm-threads.js';
export type { WasmBackendInit, WasmBackendOptions } from './wasm-threads.js';
export { startKernelThreads } from './kernel-threads.js';
export type { KernelThreads, KernelThreadsOptions } from './kernel-threads.js';
// ---- end data ------------------------------------------------------------------------------------
// --- eval: devkit / YOLO / split text formats, VOC folder evaluation, reports ---
export type {
  DevkitDetection, YOLOLabel, NumberFormatOptions, EvaluateVOCFolderOptions, EvaluateVOCFolderResult,
} from './devkit.js';
export {
  devkitResultFileName, parseDevkitResults, formatDevkitResults, readDevkitResultFile, writeDevkitResultFile,
  writeDevkitResultFolder, parseYOLOLabels, formatYOLOLabels, readYOLOLabelFile, writeYOLOLabelFile,
  parseVOCSplit, readVOCSplit, evaluateVOCFolder,
} from './devkit.js';
// --- end eval ---
// --- eval: reports ---
export type { InputSizeRow, VOCReportInput, COCOSummaryInput, PRCurveOptions, PRCurveInput } from './report.js';
export {
  formatFixed, formatInputSizeLine, formatInputSizeTable, formatVOCReport, formatCOCOSummary,
  prCurveSpec, renderPRCurvesSVG, renderPRCurvesPNG, writePRCurvesPNG,
} from './report.js';
// --- end eval reports ---

// charts
export { renderVegaLiteSVG, renderVegaLitePNG, lossCurveSpec, writeLossCurvePNG } from './chart.js';

// model files (TF.js layers format) without tfjs-node
export { saveModel, loadModel } from './model-io.js';

// evaluation of a model on a dataset at several input sizes
export type { EvaluateDetectorOptions, SizeEvaluation } from './evaluate.js';
export { evaluateDetector } from './evaluate.js';
export type { GradientWorkersOptions, WorkerGradients } from './gradient-workers.js';
export { GradientWorkers } from './gradient-workers.js';
