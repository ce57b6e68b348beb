/**
 * yolov2-ts — YOLOv2 building blocks on TensorFlow.js.
 *
 * The core entry depends on `@tensorflow/tfjs-core` only and imports no backend: register one
 * (`@tensorflow/tfjs-backend-wasm`, `-webgl`, `-cpu`, or `@tensorflow/tfjs-node`) before use.
 * Training needs the gradients registered too: importing `@tensorflow/tfjs`, `@tensorflow/tfjs-layers`
 * or `@tensorflow/tfjs-core/dist/register_all_gradients` does it.
 *
 * @packageDocumentation
 */
export { YOLOv2Error, ShapeError, ValueError, TargetError, FormatError, TrainingError } from './errors.js';
export { VOC_CLASSES } from './classes.js';
export type { Anchor, AnchorUnits } from './anchors.js';
export { VOC_ANCHORS, VOC_ANCHORS_RELATIVE, COCO_ANCHORS, TINY_VOC_ANCHORS, gridAnchors, convertAnchors } from './anchors.js';
export type { BoxFormat, BoxIoUArrayOptions } from './boxes.js';
export { xyxyToCxcywh, cxcywhToXyxy, boxIoU, boxIoUArrays, iouFloat32 } from './boxes.js';

// --- geometry: NMS, k-means anchors, post-processing, letterbox ---
export type { NmsOptions } from './nms/nms.js';
export { nms, nmsWithScores } from './nms/nms.js';
export type { NmsMethod, NmsBaseOptions, NmsArrayOptions } from './nms/nms-arrays.js';
export { nmsArrays, nmsArraysWithScores } from './nms/nms-arrays.js';
export type { KmeansAnchorsOptions, KmeansAnchorsResult } from './kmeans.js';
export { kmeansAnchors } from './kmeans.js';
export type { DecodedHead, Detection, PostprocessOptions } from './head/postprocess.js';
export { postprocess, postprocessAsync } from './head/postprocess.js';
export type { LetterboxParams, LetterboxRounding, UndoLetterboxOptions, CornerBox } from './letterbox.js';
export { letterboxParams, undoLetterbox, undoLetterboxDetections } from './letterbox.js';
// --- loss area: head layout, decoding, targets, loss, presets ---
export type { Layout, HeadSpec, HeadDims, HeadGrid } from './head/layout.js';
export { headDims, toNHWC, headRows, rowIndex, headGrid, gridPriors } from './head/layout.js';
export type { DecodedBoxes } from './head/decode.js';
export { decodeBoxes, MAX_LOG_SCALE } from './head/decode.js';
export type { YOLOv2LossConfig, ResolvedLossConfig, LossPreset } from './loss/presets.js';
export { LOSS_PRESETS, LOSS_DEFAULTS, resolveLossConfig } from './loss/presets.js';
export type { Annotation, PackTargetsOptions, TargetStats, YOLOv2Targets, GroundTruthOutside } from './loss/targets.js';
export { packTargets, buildTargets } from './loss/targets.js';
export type { YOLOv2LossTerms, LossState } from './loss/yolov2-loss.js';
export { YOLOv2Loss } from './loss/yolov2-loss.js';
// --- end loss area ---
// --- eval: VOC and COCO average precision (src/metrics) ---
export type { DetectionBox, GroundTruthBox, COCOGroundTruthBox } from './metrics/types.js';
export type { VOCAPOptions, VOCAPResult, VOCClassResult } from './metrics/voc.js';
export { vocAP, VOC07_RECALL_THRESHOLDS } from './metrics/voc.js';
export type { COCOAPOptions, COCOAPResult, COCOClassResult } from './metrics/coco.js';
export { cocoAP, COCO_IOU_THRESHOLDS, COCO_RECALL_THRESHOLDS, COCO_AREA_RANGES } from './metrics/coco.js';
// --- end eval ---
// --- converted detectors: the yolov2.json metadata ---
export type { DetectorMeta, DetectorPostprocessDefaults } from './head/detector-meta.js';
export { parseDetectorMeta, DETECTOR_META_FORMAT, DETECTOR_META_VERSION } from './head/detector-meta.js';
// --- training pieces that run anywhere (browser included): learning-rate schedules, SGD ---
export type { WarmupConfig, DecayConfig, LrSchedule } from './train/schedule.js';
export { learningRateAt, validateSchedule, RECORDS_SCHEDULE } from './train/schedule.js';
export type { SGDConfig, SGDStateEntry } from './train/sgd.js';
export { SGD, decaysKernelsOnly } from './train/sgd.js';
// --- synthetic shapes (browser-safe data: the scene drawing and its labels) ---
export type { RGBImage } from './data/rgb-image.js';
export type { RngState } from './data/rng.js';
export { Rng, deriveSeed } from './data/rng.js';
export type { SyntheticOptions, ResolvedSyntheticOptions } from './data/synthetic-options.js';
export type { SyntheticShape } from './data/synthetic-shapes.js';
export { SYNTHETIC_CLASSES, shapeRowSpan, shapeMask } from './data/synthetic-shapes.js';
export type { SyntheticSample, SyntheticObject } from './data/synthetic-scene.js';
export { generateSyntheticSample } from './data/synthetic-scene.js';
export type { StepCheck } from './train/step-guard.js';
export { checkStep } from './train/step-guard.js';
