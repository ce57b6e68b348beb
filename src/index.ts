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
export { YOLOv2Error, ShapeError, ValueError, TargetError, FormatError } from './errors.js';
export type { BoxFormat, BoxIoUArrayOptions } from './boxes.js';
export { xyxyToCxcywh, cxcywhToXyxy, boxIoU, boxIoUArrays, iouFloat32 } from './boxes.js';

// --- loss area: head layout, decoding, targets, loss, presets ---
export type { Layout, HeadSpec, HeadDims, HeadGrid } from './head.js';
export { headDims, toNHWC, headRows, rowIndex, headGrid, gridPriors } from './head.js';
export type { DecodedBoxes } from './decode.js';
export { decodeBoxes, MAX_LOG_SCALE } from './decode.js';
export type { YOLOv2LossConfig, ResolvedLossConfig, LossPreset } from './presets.js';
export { LOSS_PRESETS, LOSS_DEFAULTS, resolveLossConfig } from './presets.js';
export type { Annotation, TargetStats, YOLOv2Targets } from './targets.js';
export { packTargets, buildTargets } from './targets.js';
export type { YOLOv2LossTerms, LossState } from './loss.js';
export { YOLOv2Loss } from './loss.js';
// --- end loss area ---
