import { describe, expect, it } from 'vitest';
import { ValueError } from '../src/errors.js';
import { assertKnownKeys, positiveIntPair } from '../src/validate.js';

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

describe('positiveIntPair', () => {
  it('returns the pair or the fallback, and names the function and argument otherwise', () => {
    expect(positiveIntPair('f', 'strides', [2, 3], [1, 1])).toEqual([2, 3]);
    expect(positiveIntPair('f', 'strides', undefined, [1, 1])).toEqual([1, 1]);
    for (const bad of [[0, 1], [1.5, 1], [1], [1, 2, 3], 'x']) {
      expect(() => positiveIntPair('f', 'strides', bad, [1, 1])).toThrow(ValueError);
    }
    expect(() => positiveIntPair('Layer', 'poolSize', [2, -1], [2, 2])).toThrow(/Layer: 'poolSize' must be two positive integers, got/);
  });
});
