/**
 * `yolov2-ts/node`: Node-only helpers — dataset readers and writers, image decoding, backend selection.
 *
 * @packageDocumentation
 */
// The error classes, re-exported so Node code can catch them without a second import (same classes as the core's).
export { YOLOv2Error, ShapeError, ValueError, TargetError, FormatError, TrainingError } from '../errors.js';

export type { VOCAnnotation, VOCObject } from './data/voc-xml.js';
export { readVOCAnnotation, writeVOCAnnotation } from './data/voc-xml.js';

// training loop
export type { WarmupConfig, DecayConfig, LrSchedule } from '../train/schedule.js';
export { learningRateAt, validateSchedule, RECORDS_SCHEDULE } from '../train/schedule.js';
export type { SGDConfig, SGDStateEntry } from '../train/sgd.js';
export { SGD, decaysKernelsOnly } from '../train/sgd.js';
export type { Checkpoint, CheckpointTensor, SaveCheckpointOptions } from './train/checkpoint.js';
export { saveCheckpoint, loadCheckpoint } from './train/checkpoint.js';
export type { LossTerms, LossLike, SerializedLoss, Batch, BatchSource, StepRecord, TrainOptions, TrainResult } from './train/trainer.js';
export type { EvaluateOptions, EvaluationRecord, StoppedEarly } from './train/trainer.js';
export { EarlyStopping } from './train/early-stopping.js';
export { train } from './train/trainer.js';
// ---- data (area: data) -------------------------------------------------------------------------
export type {
  DetectionDataset,
  DetectionSample,
  OutsidePolicy,
  RGBImage,
  SampleObject,
  VOCDatasetOptions,
  YOLODatasetOptions,
} from './data/datasets.js';
export { VOCDataset, YOLODataset, clipObjects, writeYOLOLabels } from './data/datasets.js';
export { parseYOLOLabels, readYOLOLabels } from './data/yolo-labels.js';
export type { YOLOLabel, ParseYOLOLabelsOptions } from './data/yolo-labels.js';
export { Rng, deriveSeed } from './data/rng.js';
export type { RngState } from './data/rng.js';
export {
  SYNTHETIC_CLASSES,
  SyntheticDataset,
  generateSyntheticSample,
  resolveSyntheticOptions,
  shapeMask,
  shapeRowSpan,
  writeSyntheticVOC,
} from './data/synthetic.js';
export type { SyntheticOptions, SyntheticSample, SyntheticShape, ResolvedSyntheticOptions } from './data/synthetic.js';
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
} from './data/image.js';
export type { DrawBox, DrawOptions, LetterboxGeometry } from './data/image.js';
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
} from './data/augment.js';
export type { AugmentOptions, AugmentParams, ResolvedAugmentOptions } from './data/augment.js';
export { BatchLoader, batchImagesTensor, canvasBoxToSource, evalBatches, trainerBatches } from './data/batches.js';
export type { DataBatch, BatchAnnotation, BatchLoaderOptions, BatchLoaderState, BatchStats } from './data/batches.js';
export { BACKEND_CANDIDATES, selectBackend } from './runtime/select-backend.js';
export type { BackendAttempt, BackendName, SelectBackendOptions, SelectBackendResult } from './runtime/select-backend.js';
export { initWasmBackend, logicalCores } from './runtime/wasm-threads.js';
export { enableRelaxedSimd } from './runtime/relaxed-simd.js';
export type { WasmBackendInit, WasmBackendOptions } from './runtime/wasm-threads.js';
export { startKernelThreads } from './runtime/kernel-helpers.js';
export type { KernelThreads, KernelThreadsOptions } from './runtime/kernel-helpers.js';
// ---- end data ------------------------------------------------------------------------------------
// --- eval: devkit / YOLO / split text formats, VOC folder evaluation, reports ---
export type {
  DevkitDetection, NumberFormatOptions, EvaluateVOCFolderOptions, EvaluateVOCFolderResult,
} from './eval/devkit.js';
export {
  devkitResultFileName, parseDevkitResults, formatDevkitResults, readDevkitResultFile, writeDevkitResultFile,
  writeDevkitResultFolder, formatYOLOLabels, readYOLOLabelFile, writeYOLOLabelFile,
  parseVOCSplit, readVOCSplit, evaluateVOCFolder,
} from './eval/devkit.js';
// --- end eval ---
// --- eval: reports ---
export type { InputSizeRow, VOCReportInput, COCOSummaryInput, PRCurveOptions, PRCurveInput } from './eval/report.js';
export {
  formatFixed, formatInputSizeLine, formatInputSizeTable, formatVOCReport, formatCOCOSummary,
  prCurveSpec, renderPRCurvesSVG, renderPRCurvesPNG, writePRCurvesPNG,
} from './eval/report.js';
// --- end eval reports ---

// charts
export { renderVegaLiteSVG, renderVegaLitePNG, lossCurveSpec, writeLossCurvePNG } from './eval/chart.js';

// model files (TF.js layers format) without tfjs-node
export { saveModel, loadModel } from './model-io.js';

// evaluation of a model on a dataset at several input sizes
export type { EvaluateDetectorOptions, SizeEvaluation } from './eval/evaluate-detector.js';
export { evaluateDetector } from './eval/evaluate-detector.js';
export type { GradientWorkersOptions, WorkerGradients } from './train/gradient-workers.js';
export { GradientWorkers } from './train/gradient-workers.js';
// detector folders (h20cli)
export type { NodeDetector, NodeDetectorInput } from './node-detector.js';
export { loadDetector, saveDetector } from './detector.js';
// data configs (YAML / darknet .data), image lists, COCO JSON (h20cli)
export type { DataConfig, DataFormat, DataSplit, SplitSource } from './data/data-config.js';
export { readDataConfig, parseYAMLConfig, openDataset } from './data/data-config.js';
export { ImageListDataset, labelPathOf } from './data/image-list.js';
export type { COCOImage, COCOAnnotation, COCODatasetOptions, COCOAnnotationInput } from './data/coco-json.js';
export { COCODataset, readCOCOResults, writeCOCOResults, writeCOCOAnnotations } from './data/coco-json.js';

// darknet cfg + weights → TF.js model folder with yolov2.json (h19cfg)
export type { DarknetSources, ConvertDarknetOptions, ConvertDarknetResult } from './convert/convert-darknet.js';
export { convertDarknet } from './convert/convert-darknet.js';
export { loadConvertedModel } from './convert/load-converted.js';
export type { WeightQuantization } from './convert/quantize.js';
