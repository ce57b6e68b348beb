/**
 * The error hierarchy of yolov2-ts. Every error thrown on purpose by the library is a
 * {@link YOLOv2Error}; its message names the argument (or file and line), what was expected and
 * what arrived, so `catch (e) { if (e instanceof ShapeError) … }` can tell bad input from bugs.
 *
 * @packageDocumentation
 */

/** Base class of every error the library throws on purpose. */
export class YOLOv2Error extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
    // Keep `instanceof` working when compiled to ES5-style classes by a user's bundler.
    Object.setPrototypeOf(this, new.target.prototype);
  }
}

/** A tensor or array has the wrong rank, shape, channel count or dtype. */
export class ShapeError extends YOLOv2Error {}

/** A numeric argument or option is out of its allowed range, non-finite, or of an unknown value. */
export class ValueError extends YOLOv2Error {}

/** A ground-truth row is invalid: non-finite values, w ≤ 0 or h ≤ 0, or a class id ≥ C. */
export class TargetError extends YOLOv2Error {
  constructor(
    message: string,
    /** Index of the image in the batch, when known. */
    readonly image?: number,
    /** Index of the row within that image, when known. */
    readonly row?: number,
  ) {
    super(message);
  }
}

/** A file or text is malformed: a truncated weights file, a result line with too few fields, bad XML. */
export class FormatError extends YOLOv2Error {
  constructor(
    message: string,
    /** The file (or a description of the source) where the problem is. */
    readonly file?: string,
    /** 1-based line number, when the source is line-oriented. */
    readonly line?: number,
  ) {
    super(message);
  }
}

/**
 * Training cannot go on: e.g. `train` (yolov2-ts/node) skipped `maxSkippedSteps` steps in a row because the loss or
 * the gradient was not finite. The message says what happened and what to try.
 */
export class TrainingError extends YOLOv2Error {}

/** Describe a received value briefly for an error message. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (typeof value === 'object' && 'shape' in value && Array.isArray((value as { shape: unknown }).shape)) {
    const t = value as { shape: number[]; dtype?: string };
    return `a ${t.dtype ?? ''} tensor of shape [${t.shape.join(', ')}]`.replace('a  tensor', 'a tensor');
  }
  return typeof value;
}
