/**
 * yolov2-ts/models — the darknet models on tfjs-layers (tiny-YOLOv2, YOLOv2 with the passthrough route,
 * and a compact stride-16 variant for CPU budgets),
 * the serialisable {@link Reorg} layer, darknet `.weights` I/O and fast CPU training kernels.
 *
 * Depends on `@tensorflow/tfjs-core` and `@tensorflow/tfjs-layers`; registers no backend.
 *
 * @packageDocumentation
 */
// --- models ---
export type { ModelOptions } from './options.js';
import type { ModelOptions } from './options.js';
/** Options of {@link tinyYOLOv2} (same as {@link ModelOptions}). */
export type TinyYOLOv2Options = ModelOptions;
/** Options of {@link yolov2} (same as {@link ModelOptions}). */
export type YOLOv2Options = ModelOptions;
export { tinyYOLOv2, TINY_YOLOV2_FILTERS } from './tiny.js';
export { yolov2, DARKNET19_STAGES } from './darknet19.js';
export type { CompactYOLOv2Options } from './compact.js';
export { compactYOLOv2, outputStride, COMPACT_YOLOV2_FILTERS, COMPACT_YOLOV2_NECK } from './compact.js';
export type { ReorgLayerArgs, DarknetBatchNormArgs } from './layers.js';
export { Reorg, reorg, DarknetBatchNorm, BN_EPSILON, BN_MOMENTUM, LEAKY_ALPHA } from './layers.js';
// --- darknet weights ---
export type { DarknetWeightsHeader, DarknetWeightsOptions, LoadDarknetWeightsOptions } from './weights.js';
export { loadDarknetWeights, saveDarknetWeights, darknetWeightsSize } from './weights.js';
// --- training kernels ---
export type { TrainingKernelOptions } from '../kernels/index.js';
export { registerTrainingKernels, unregisterTrainingKernels, trainingKernelsInstalled } from '../kernels/index.js';
// --- inference convolutions of the folded layers (wasm) ---
export type { InferenceConvolutionOptions } from '../kernels/index.js';
export { setInferenceConvolutions } from '../kernels/index.js';

// --- head initialisation (lead) ---
export { initObjectnessPrior } from './init.js';
export type { BatchNormRecalibration } from './recalibrate-batch-norm.js';
export { recalibrateBatchNorm } from './recalibrate-batch-norm.js';
// --- detector (h20cli) ---
export type { PixelDetection, DetectOptions, DetectorInput, DetectorModelOptions, PixelDataLike } from './detector.js';
export { Detector } from './detector.js';

// --- inference: batch norm folded into the convolutions (h22infer) ---
export type { FoldedConv2DArgs } from './fold-batch-norm.js';
export { foldBatchNorm, canFoldBatchNorm, FoldedConv2D } from './fold-batch-norm.js';
export type { FoldedMaxPool2DArgs } from './folded-max-pool.js';
export { FoldedMaxPool2D } from './folded-max-pool.js';
// --- darknet cfg files (h19cfg) ---
export type { CfgSection, DarknetCfg, UnknownCfgKey } from './darknet-cfg/parse.js';
export { parseDarknetCfg } from './darknet-cfg/parse.js';
export type {
  CfgSectionType, NetOptions, ConvolutionalOptions, MaxpoolOptions, RouteOptions, ReorgOptions, UpsampleOptions,
  ShortcutOptions, DropoutOptions, SoftmaxOptions, CostOptions, RegionOptions, SectionOptionsMap,
} from './darknet-cfg/schema.js';
export type { DarknetModel, DarknetModelOptions } from './darknet-cfg/build.js';
export { modelFromDarknetCfg } from './darknet-cfg/build.js';
export type { DarknetLayerInfo, HWC, Pads } from './darknet-cfg/plan.js';
export { darknetLayerTable } from './darknet-cfg/table.js';
export type { DarknetMaxPoolArgs } from './darknet-cfg/maxpool-layer.js';
export { DarknetMaxPool } from './darknet-cfg/maxpool-layer.js';
export { regionLossOptions, regionDecodeOptions } from './darknet-cfg/region.js';
export type { DarknetTrainingConfig, TrainingConfigOptions, CfgAugmentation } from './darknet-cfg/net.js';
export { trainingConfigFromNet } from './darknet-cfg/net.js';
