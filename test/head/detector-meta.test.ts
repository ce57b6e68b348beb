import { describe, expect, it } from 'vitest';
import { FormatError, parseDetectorMeta } from '../../src/index.js';

const good = {
  format: 'yolov2-ts/detector',
  version: 1,
  inputSize: [416, 416],
  classNames: ['a', 'b'],
  anchors: [[1.08, 1.19], [3.42, 4.41]],
  layout: 'NHWC',
  letterbox: 'floor',
  pixelScale: 255,
  postprocess: { confThreshold: 0.25, iouThreshold: 0.45, maxDetections: 100 },
};

describe('parseDetectorMeta', () => {
  it('returns a typed copy of valid metadata', () => {
    const m = parseDetectorMeta(JSON.parse(JSON.stringify(good)));
    expect(m).toEqual(good);
  });
  it.each([
    ['format', 'x', /field 'format' must be 'yolov2-ts\/detector', got "x"/],
    ['version', 2, /field 'version' must be an integer from 1 to 1, got 2/],
    ['inputSize', [416], /field 'inputSize'/],
    ['classNames', [], /field 'classNames'/],
    ['anchors', [[1, 0]], /field 'anchors\[0\]' must be \[w, h\] with w, h > 0/],
    ['layout', 'HWC', /field 'layout'/],
    ['letterbox', 'ceil', /field 'letterbox'/],
    ['pixelScale', 0, /field 'pixelScale'/],
    ['postprocess', { confThreshold: 2, iouThreshold: 0.45, maxDetections: 100 }, /postprocess.confThreshold/],
  ])('names the bad field %s', (field, value, message) => {
    const bad = { ...good, [field]: value };
    expect(() => parseDetectorMeta(bad, 'm/yolov2.json')).toThrow(FormatError);
    expect(() => parseDetectorMeta(bad, 'm/yolov2.json')).toThrow(message);
    expect(() => parseDetectorMeta(bad, 'm/yolov2.json')).toThrow(/^m\/yolov2.json: /);
  });
});
