/**
 * The public API, entry by entry: every runtime export (from `import * as`) and every type-only export (parsed from
 * the entry file's `export type { … }` and `export type X =` lines). The lists below were generated once from the
 * entries as they were before the issue-17 clean-up; a removed name fails here. A name added to an entry must be
 * appended to its list (the second test of each entry says which).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as core from '../src/index.js';
import * as models from '../src/models/index.js';
import * as node from '../src/node/index.js';

const CORE_VALUES = [
    'COCO_ANCHORS', 'COCO_AREA_RANGES', 'COCO_IOU_THRESHOLDS', 'COCO_RECALL_THRESHOLDS', 'DETECTOR_META_FORMAT',
    'DETECTOR_META_VERSION', 'FormatError', 'LOSS_DEFAULTS', 'LOSS_PRESETS', 'MAX_LOG_SCALE', 'RECORDS_SCHEDULE',
    'SGD', 'ShapeError', 'TINY_VOC_ANCHORS', 'TargetError', 'VOC07_RECALL_THRESHOLDS', 'VOC_ANCHORS',
    'VOC_ANCHORS_RELATIVE', 'VOC_CLASSES', 'ValueError', 'YOLOv2Error', 'YOLOv2Loss', 'boxIoU', 'boxIoUArrays',
    'buildTargets', 'cocoAP', 'convertAnchors', 'cxcywhToXyxy', 'decaysKernelsOnly', 'decodeBoxes', 'gridAnchors',
    'gridPriors', 'headDims', 'headGrid', 'headRows', 'iouFloat32', 'kmeansAnchors', 'learningRateAt',
    'letterboxParams', 'nms', 'nmsArrays', 'nmsArraysWithScores', 'nmsWithScores', 'packTargets', 'parseDetectorMeta',
    'postprocess', 'postprocessAsync', 'resolveLossConfig', 'rowIndex', 'toNHWC', 'undoLetterbox',
    'undoLetterboxDetections', 'validateSchedule', 'vocAP', 'xyxyToCxcywh',
  // added since main:
  'TrainingError',
  'Rng',
  'SYNTHETIC_CLASSES',
  'checkStep',
  'deriveSeed',
  'generateSyntheticSample',
  'shapeMask',
  'shapeRowSpan',
];
const CORE_TYPES = [
    'Anchor', 'AnchorUnits', 'Annotation', 'BoxFormat', 'BoxIoUArrayOptions', 'COCOAPOptions', 'COCOAPResult',
    'COCOClassResult', 'COCOGroundTruthBox', 'CornerBox', 'DecayConfig', 'DecodedBoxes', 'DecodedHead', 'Detection',
    'DetectionBox', 'DetectorMeta', 'DetectorPostprocessDefaults', 'GroundTruthBox', 'HeadDims', 'HeadGrid',
    'HeadSpec', 'KmeansAnchorsOptions', 'KmeansAnchorsResult', 'Layout', 'LetterboxParams', 'LetterboxRounding',
    'LossPreset', 'LossState', 'LrSchedule', 'NmsArrayOptions', 'NmsBaseOptions', 'NmsMethod', 'NmsOptions',
    'PostprocessOptions', 'ResolvedLossConfig', 'SGDConfig', 'SGDStateEntry', 'TargetStats', 'UndoLetterboxOptions',
    'VOCAPOptions', 'VOCAPResult', 'VOCClassResult', 'WarmupConfig', 'YOLOv2LossConfig', 'YOLOv2LossTerms',
    'YOLOv2Targets',
  // added since main:
  'GroundTruthOutside',
  'PackTargetsOptions',
  'RGBImage',
  'ResolvedSyntheticOptions',
  'RngState',
  'StepCheck',
  'SyntheticObject',
  'SyntheticOptions',
  'SyntheticSample',
  'SyntheticShape',
];
const MODELS_VALUES = [
    'BN_EPSILON', 'BN_MOMENTUM', 'COMPACT_YOLOV2_FILTERS', 'COMPACT_YOLOV2_NECK', 'DARKNET19_STAGES',
    'DarknetBatchNorm', 'LEAKY_ALPHA', 'Reorg', 'TINY_YOLOV2_FILTERS', 'compactYOLOv2', 'darknetWeightsSize',
    'initObjectnessPrior', 'loadDarknetWeights', 'outputStride', 'registerTrainingKernels', 'reorg',
    'saveDarknetWeights', 'tinyYOLOv2', 'trainingKernelsInstalled', 'unregisterTrainingKernels', 'yolov2',
  // added since main:
  'Detector',
  'FoldedConv2D',
  'canFoldBatchNorm',
  'foldBatchNorm',
  'setInferenceConvolutions',
  'FoldedMaxPool2D',
  'DarknetMaxPool',
  'darknetLayerTable',
  'modelFromDarknetCfg',
  'parseDarknetCfg',
  'regionDecodeOptions',
  'regionLossOptions',
  'trainingConfigFromNet',
  'recalibrateBatchNorm',
];
const MODELS_TYPES = [
    'CompactYOLOv2Options', 'DarknetBatchNormArgs', 'DarknetWeightsHeader', 'ModelOptions', 'ReorgLayerArgs',
    'TinyYOLOv2Options', 'TrainingKernelOptions', 'YOLOv2Options',
  // added since main:
  'DetectOptions',
  'DetectorInput',
  'FoldedConv2DArgs',
  'InferenceConvolutionOptions',
  'FoldedMaxPool2DArgs',
  'PixelDataLike',
  'PixelDetection',
  'CfgAugmentation',
  'CfgSection',
  'CfgSectionType',
  'ConvolutionalOptions',
  'CostOptions',
  'DarknetCfg',
  'DarknetLayerInfo',
  'DarknetMaxPoolArgs',
  'DarknetModel',
  'DarknetModelOptions',
  'DarknetTrainingConfig',
  'DarknetWeightsOptions',
  'DetectorModelOptions',
  'DropoutOptions',
  'HWC',
  'LoadDarknetWeightsOptions',
  'MaxpoolOptions',
  'NetOptions',
  'Pads',
  'RegionOptions',
  'ReorgOptions',
  'RouteOptions',
  'SectionOptionsMap',
  'ShortcutOptions',
  'SoftmaxOptions',
  'TrainingConfigOptions',
  'UnknownCfgKey',
  'UpsampleOptions',
  'BatchNormRecalibration',
];
const NODE_VALUES = [
    'BACKEND_CANDIDATES', 'BatchLoader', 'DEFAULT_AUGMENT', 'EarlyStopping', 'FormatError', 'GradientWorkers', 'RECORDS_SCHEDULE',
    'Rng', 'SGD', 'SYNTHETIC_CLASSES', 'ShapeError', 'SyntheticDataset', 'TargetError', 'VOCDataset', 'ValueError',
    'YOLODataset', 'YOLOv2Error', 'augmentSample', 'batchImagesTensor', 'canvasBoxToSource', 'classColour',
    'clipObjects', 'decaysKernelsOnly', 'decodeImage', 'deriveSeed', 'detectionsSVG', 'devkitResultFileName',
    'distortHSV', 'drawDetections', 'encodePNG', 'evalBatches', 'evaluateDetector', 'evaluateVOCFolder',
    'formatCOCOSummary', 'formatDevkitResults', 'formatFixed', 'formatInputSizeLine', 'formatInputSizeTable',
    'formatVOCReport', 'formatYOLOLabels', 'generateSyntheticSample', 'imageToFloat32', 'imageToTensor',
    'initWasmBackend', 'learningRateAt', 'letterboxBox', 'letterboxGeometry', 'letterboxImage', 'letterboxPlacement',
    'loadCheckpoint', 'loadModel', 'logicalCores', 'lossCurveSpec', 'parseDevkitResults', 'parseVOCSplit',
    'parseYOLOLabels', 'placementParams', 'prCurveSpec', 'readDevkitResultFile', 'readVOCAnnotation', 'readVOCSplit',
    'readYOLOLabelFile', 'readYOLOLabels', 'renderAugmented', 'renderPRCurvesPNG', 'renderPRCurvesSVG',
    'renderVegaLitePNG', 'renderVegaLiteSVG', 'resizeImage', 'resolveAugmentOptions', 'resolveSyntheticOptions',
    'sampleAugmentation', 'saveCheckpoint', 'saveModel', 'selectBackend', 'shapeMask', 'shapeRowSpan',
    'startKernelThreads', 'train', 'trainerBatches', 'transformBoxes', 'validateSchedule', 'writeDetectionsPNG',
    'writeDevkitResultFile', 'writeDevkitResultFolder', 'writeLossCurvePNG', 'writePRCurvesPNG', 'writeSyntheticVOC',
    'writeVOCAnnotation', 'writeYOLOLabelFile', 'writeYOLOLabels',
  // added since main:
  'COCODataset',
  'ImageListDataset',
  'labelPathOf',
  'loadDetector',
  'openDataset',
  'parseYAMLConfig',
  'readCOCOResults',
  'readDataConfig',
  'saveDetector',
  'writeCOCOAnnotations',
  'writeCOCOResults',
  'convertDarknet',
  'loadConvertedModel',
  'TrainingError',
  'enableRelaxedSimd',
];
const NODE_TYPES = [
    'AugmentOptions', 'AugmentParams', 'BackendAttempt', 'BackendName', 'Batch', 'BatchAnnotation',
    'BatchLoaderOptions', 'BatchLoaderState', 'BatchSource', 'BatchStats', 'COCOSummaryInput', 'Checkpoint',
    'CheckpointTensor', 'DataBatch', 'DecayConfig', 'DetectionDataset', 'DetectionSample', 'DevkitDetection', 'EvaluateOptions', 'EvaluationRecord', 'StoppedEarly',
    'DrawBox', 'DrawOptions', 'EvaluateDetectorOptions', 'EvaluateVOCFolderOptions', 'EvaluateVOCFolderResult',
    'GradientWorkersOptions', 'InputSizeRow', 'KernelThreads', 'KernelThreadsOptions', 'LetterboxGeometry',
    'LossLike', 'LossTerms', 'LrSchedule', 'NumberFormatOptions', 'OutsidePolicy', 'PRCurveInput', 'PRCurveOptions',
    'RGBImage', 'ResolvedAugmentOptions', 'ResolvedSyntheticOptions', 'RngState', 'SGDConfig', 'SGDStateEntry',
    'SampleObject', 'SelectBackendOptions', 'SelectBackendResult', 'SizeEvaluation', 'StepRecord', 'SyntheticOptions',
    'SyntheticSample', 'SyntheticShape', 'TrainOptions', 'TrainResult', 'VOCAnnotation', 'VOCDatasetOptions',
    'VOCObject', 'VOCReportInput', 'WarmupConfig', 'WasmBackendInit', 'WasmBackendOptions', 'WorkerGradients',
    'YOLODatasetOptions', 'YOLOLabel',
  // added since main:
  'ParseYOLOLabelsOptions',
  'COCOAnnotation',
  'COCOAnnotationInput',
  'COCODatasetOptions',
  'COCOImage',
  'DataConfig',
  'DataFormat',
  'DataSplit',
  'NodeDetector',
  'NodeDetectorInput',
  'SplitSource',
  'ConvertDarknetOptions',
  'ConvertDarknetResult',
  'DarknetSources',
  'WeightQuantization',
  'SaveCheckpointOptions',
  'SerializedLoss',
];

/** The type-only names an entry file exports: `export type { A, B as C }` lists and `export type X =` / `export interface X`. */
function typeExports(entry: string): string[] {
  const src = readFileSync(fileURLToPath(new URL(entry, import.meta.url)), 'utf8');
  const names: string[] = [];
  for (const m of src.matchAll(/export type\s*\{([^}]*)\}/g)) {
    for (const part of m[1].split(',')) {
      const name = part.trim().split(/\s+as\s+/).pop();
      if (name) names.push(name);
    }
  }
  for (const m of src.matchAll(/export (?:type|interface)\s+([A-Za-z0-9_]+)/g)) names.push(m[1]);
  return [...new Set(names)].sort();
}

const ENTRIES = [
  { name: 'yolov2-ts', file: '../src/index.ts', module: core as object, values: CORE_VALUES, types: CORE_TYPES },
  { name: 'yolov2-ts/models', file: '../src/models/index.ts', module: models as object, values: MODELS_VALUES, types: MODELS_TYPES },
  { name: 'yolov2-ts/node', file: '../src/node/index.ts', module: node as object, values: NODE_VALUES, types: NODE_TYPES },
];

describe.each(ENTRIES)('API snapshot of $name', ({ file, module, values, types }) => {
  const actualValues = Object.keys(module).sort();
  const actualTypes = typeExports(file);

  it('removes no runtime export', () => {
    expect(values.filter((n) => !actualValues.includes(n))).toEqual([]);
  });
  it('lists every runtime export (append a new one to the list)', () => {
    expect(actualValues.filter((n) => !values.includes(n))).toEqual([]);
  });
  it('removes no type-only export', () => {
    expect(types.filter((n) => !actualTypes.includes(n))).toEqual([]);
  });
  it('lists every type-only export (append a new one to the list)', () => {
    expect(actualTypes.filter((n) => !types.includes(n))).toEqual([]);
  });
});
