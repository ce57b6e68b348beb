/**
 * `yolov2-ts/node`: Node-only helpers — dataset readers and writers, image decoding, backend selection.
 *
 * @packageDocumentation
 */
export type { VOCAnnotation, VOCObject } from './voc-xml.js';
export { readVOCAnnotation, writeVOCAnnotation } from './voc-xml.js';

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
