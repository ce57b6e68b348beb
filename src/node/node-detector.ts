/**
 * The Detector in Node: a {@link Detector} that also takes image files, encoded bytes and `RGBImage`s.
 * Created by `loadDetector`; this module is loaded on demand (it needs `@tensorflow/tfjs-layers`,
 * which the rest of `yolov2-ts/node` does not).
 *
 * @packageDocumentation
 */
import * as tf from '@tensorflow/tfjs-core';
import { Detector, type DetectorInput } from '../models/detector.js';
import { decodeImage } from './data/image.js';
import type { RGBImage } from './data/rgb-image.js';

/** What the Node detector accepts: everything {@link Detector} does, plus a file path, encoded bytes or an `RGBImage`. */
export type NodeDetectorInput = DetectorInput | string | Uint8Array | RGBImage;

const isRGBImage = (x: unknown): x is RGBImage =>
  typeof x === 'object' && x !== null && 'data' in x && (x as RGBImage).data instanceof Uint8Array &&
  (x as RGBImage).data.length === (x as RGBImage).width * (x as RGBImage).height * 3;

/** A {@link Detector} that also reads image files (path), encoded bytes (Buffer) and 8-bit RGB images. */
export class NodeDetector extends Detector {
  /** Detect on one image; see {@link Detector.detect}. */
  override detect(input: NodeDetectorInput, options?: Parameters<Detector['detect']>[1]) {
    return super.detect(input as DetectorInput, options);
  }

  /** Detect on several images; see {@link Detector.detectBatch}. */
  override detectBatch(inputs: readonly NodeDetectorInput[], options?: Parameters<Detector['detectBatch']>[1], fn?: string) {
    return super.detectBatch(inputs as DetectorInput[], options, fn);
  }

  protected override async toImages(fn: string, input: DetectorInput, index: number): Promise<tf.Tensor3D[]> {
    const x = input as NodeDetectorInput;
    if (typeof x === 'string' || (x instanceof Uint8Array && !isRGBImage(x))) {
      return [rgbTensor(await decodeImage(x, typeof x === 'string' ? x : `inputs[${index}]`))];
    }
    if (isRGBImage(x)) return [rgbTensor(x)];
    return super.toImages(fn, input, index);
  }
}

function rgbTensor(image: RGBImage): tf.Tensor3D {
  return tf.tensor3d(Float32Array.from(image.data), [image.height, image.width, 3], 'float32');
}
