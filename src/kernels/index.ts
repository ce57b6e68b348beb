/**
 * The CPU training kernels (cpu and wasm backends): convolution gradients by im2col and Winograd, batch
 * norm, max-pool gradients, WebAssembly SIMD loops and the helper-thread pool. Re-exported by
 * `yolov2-ts/models`; this file is the wing's only door.
 *
 * @packageDocumentation
 */
export type { TrainingKernelOptions } from './register.js';
export { registerTrainingKernels, unregisterTrainingKernels, trainingKernelsInstalled } from './register.js';
/** The fused batch-norm kernels' names, run by the model's batch-norm layer when they are registered. */
export { BN_TRAIN_KERNEL, BN_TRAIN_GRAD_KERNEL } from './batch-norm.js';
/** The inference convolutions of the wasm backend (the folded model's layers use them). */
export type { InferConvPlan, InferenceConvolutionOptions } from './infer-conv.js';
export { recordingGradients } from './util.js';
export { inferConv2d, inferConvEligible, inferConvPlan, inferConvWeights, setInferenceConvolutions, INFER_CONV_KERNEL } from './infer-conv.js';
export { inferMaxPool2d, inferMaxPoolEligible, INFER_MAX_POOL_KERNEL } from './infer-max-pool.js';
