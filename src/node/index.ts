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
