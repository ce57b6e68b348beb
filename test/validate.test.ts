import { describe, expect, it } from 'vitest';
import { ValueError } from '../src/errors.js';
import { assertKnownKeys } from '../src/validate.js';

describe('assertKnownKeys', () => {
  const known = ['confThreshold', 'iouThreshold', 'maxDetections'];
  it('passes undefined and objects with known keys only', () => {
    expect(() => assertKnownKeys('f', 'options', undefined, known)).not.toThrow();
    expect(() => assertKnownKeys('f', 'options', { iouThreshold: 0.5 }, known)).not.toThrow();
  });
  it('names the unknown key and the closest known one', () => {
    // 'iouThreshhold' is one insertion away from 'iouThreshold'
    expect(() => assertKnownKeys('nms', 'options', { iouThreshhold: 0.5 }, known)).toThrow(
      new ValueError("nms: unknown option 'iouThreshhold' in 'options' (did you mean 'iouThreshold'?); known options: confThreshold, iouThreshold, maxDetections"),
    );
  });
  it('gives no hint for a key far from every known one, and rejects non-objects', () => {
    expect(() => assertKnownKeys('f', 'options', { zebra: 1 }, known)).toThrow(/unknown option 'zebra' in 'options'; known/);
    expect(() => assertKnownKeys('f', 'options', [1], known)).toThrow(ValueError);
    expect(() => assertKnownKeys('f', 'options', null, known)).toThrow(/must be an options object, got null/);
  });
});
