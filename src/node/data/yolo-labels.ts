/**
 * The one YOLO label parser: `classId cx cy w h` per line, coordinates as fractions of the image.
 * `YOLODataset` (node/data/datasets.ts) reads ground truth with it and `readYOLOLabelFile` (node/eval/devkit.ts) reads label
 * files and prediction files with it.
 *
 * @packageDocumentation
 */
import { FormatError } from '../../errors.js';
import { assertKnownKeys } from '../../validate.js';

/** One line of a YOLO label file. */
export interface YOLOLabel {
  /** Integer class id in `[0, numClasses)`. */
  classId: number;
  /** `(cx, cy, w, h)` as fractions of the image width / height: `0 ≤ cx, cy ≤ 1`, `0 < w, h ≤ 1`. */
  box: [number, number, number, number];
  /** The sixth field of a prediction file, in [0, 1]; present only when read with `confidence: true`. */
  confidence?: number;
}

/** Options of {@link parseYOLOLabels}. */
export interface ParseYOLOLabelsOptions {
  /** Number of classes: a class id must be `< numClasses`. Default: no upper bound. */
  numClasses?: number;
  /**
   * Default false: a line has exactly 5 fields (ground truth, as `YOLODataset` reads it). True: a 6th
   * field, the confidence in [0, 1], is accepted (and optional), for prediction files written as
   * `classId cx cy w h confidence` (e.g. ultralytics' `--save-conf`).
   */
  confidence?: boolean;
}

const FN = 'parseYOLOLabels';
const KNOWN_OPTIONS = ['numClasses', 'confidence'] as const;

/**
 * Parse a YOLO label file. Blank lines are skipped; `\r\n` line ends are accepted.
 *
 * The rule, line by line: exactly 5 fields `classId cx cy w h` (6 with `confidence: true`, the last one in
 * [0, 1]); the class id an integer in `[0, numClasses)` written as digits; every other field a finite number
 * with `0 ≤ cx ≤ 1`, `0 ≤ cy ≤ 1`, `0 < w ≤ 1`, `0 < h ≤ 1`. Boxes are returned as written: a box whose
 * centre is inside the image may still reach past its edge (the dataset readers clip those).
 *
 * @param source the file name used in messages.
 * @throws {@link FormatError} naming `source:line`, what was expected and what the line holds.
 * @throws {@link ValueError} for an unknown option key.
 */
export function parseYOLOLabels(text: string, source = '<string>', options: ParseYOLOLabelsOptions = {}): YOLOLabel[] {
  assertKnownKeys(FN, 'options', options, KNOWN_OPTIONS);
  const { numClasses = Infinity, confidence = false } = options;
  const out: YOLOLabel[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const t = raw.trim();
    if (t === '') return;
    const f = t.split(/\s+/);
    const line = i + 1;
    const fail = (what: string): never => {
      throw new FormatError(`${FN}: ${source}:${line}: ${what}`, source, line);
    };
    if (f.length !== 5 && !(confidence && f.length === 6)) {
      fail(`expected 5 fields 'classId cx cy w h'${confidence ? ' (or 6 with a confidence)' : ''}, got ${f.length}: ${JSON.stringify(t)}`);
    }
    const classId = Number(f[0]);
    if (!/^\d+$/.test(f[0]) || classId >= numClasses) {
      fail(`classId must be ${numClasses === Infinity ? 'a non-negative integer' : `an integer in [0, ${numClasses - 1}]`}, got ${JSON.stringify(f[0])}`);
    }
    const v = f.slice(1).map(Number);
    ['cx', 'cy', 'w', 'h', 'confidence'].forEach((name, k) => {
      if (k < v.length && !Number.isFinite(v[k])) fail(`${name} must be a finite number, got ${JSON.stringify(f[k + 1])}`);
    });
    if (!(v[0] >= 0 && v[0] <= 1 && v[1] >= 0 && v[1] <= 1)) fail(`cx and cy must be in [0, 1], got cx = ${v[0]}, cy = ${v[1]}`);
    if (!(v[2] > 0 && v[2] <= 1 && v[3] > 0 && v[3] <= 1)) fail(`w and h must be in (0, 1], got w = ${v[2]}, h = ${v[3]}`);
    const label: YOLOLabel = { classId, box: [v[0], v[1], v[2], v[3]] };
    if (v.length === 5) {
      if (!(v[4] >= 0 && v[4] <= 1)) fail(`confidence must be in [0, 1], got ${v[4]}`);
      label.confidence = v[4];
    }
    out.push(label);
  });
  return out;
}

/**
 * The former name of {@link parseYOLOLabels}, with the class count as third argument.
 * @deprecated Use `parseYOLOLabels(text, source, { numClasses })`; same rule, same result.
 */
export function readYOLOLabels(text: string, source = '<string>', numClasses = Infinity): YOLOLabel[] {
  return parseYOLOLabels(text, source, { numClasses });
}
