/**
 * Text formats of the detection toolchains, read and written, and a one-call VOC evaluation of a
 * folder of devkit result files:
 * - devkit result files `comp4_det_test_<class>.txt`, one detection per line: `imageId score x1 y1 x2 y2`
 *   (what darknet's `detector valid` and the PyTorch YOLOv2 ports write; VOC pixel boxes, 1-based);
 * - YOLO label files, one object per line: `classId cx cy w h` (fractions of the image);
 * - VOC split lists `ImageSets/Main/<split>.txt` (one image id per line; class lists add a `1`/`0`/`-1` flag).
 *
 * Every parse error is a {@link FormatError} naming the file and the 1-based line.
 *
 * @packageDocumentation
 */
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { VOC_CLASSES } from '../../classes.js';
import { FormatError, ValueError, describe } from '../../errors.js';
import { assertKnownKeys, assertOneOf } from '../../validate.js';
import type { DetectionBox, GroundTruthBox } from '../../metrics/types.js';
import { vocAPKeepingInverted } from '../../metrics/voc.js';
import type { VOCAPOptions, VOCAPResult } from '../../metrics/voc.js';
import { readVOCAnnotation } from '../data/voc-xml.js';
import { parseYOLOLabels } from '../data/yolo-labels.js';
import type { ParseYOLOLabelsOptions, YOLOLabel } from '../data/yolo-labels.js';

/** One line of a devkit result file. */
export interface DevkitDetection {
  imageId: string;
  score: number;
  /** `(x1, y1, x2, y2)`, VOC pixel coordinates as written. */
  box: [number, number, number, number];
}

/** `comp4_det_test_<class>.txt` (the prefix is configurable: `comp3_det_val_`, …). */
export function devkitResultFileName(className: string, prefix = 'comp4_det_test_'): string {
  return `${prefix}${className}.txt`;
}

function lines(text: string): string[] {
  return text.split(/\r?\n/);
}

function fields(line: string): string[] {
  const t = line.trim();
  return t === '' ? [] : t.split(/\s+/);
}

function number(fn: string, token: string, what: string, source: string, line: number): number {
  const x = Number(token);
  if (token === '' || !Number.isFinite(x)) {
    throw new FormatError(`${fn}: ${source}:${line}: ${what} must be a finite number, got ${JSON.stringify(token)}`, source, line);
  }
  return x;
}

/**
 * Parse a devkit result file. Blank lines are skipped; every other line must hold exactly 6 fields.
 * @param text the file's text.
 * @param source a name for error messages (the path).
 * @throws {@link FormatError} naming `source:line`: a line with other than 6 fields, a field that is
 *   not a finite number, or `x2 < x1` / `y2 < y1`.
 */
export function parseDevkitResults(text: string, source = '<string>'): DevkitDetection[] {
  return parseDevkitLines('parseDevkitResults', text, source);
}

/**
 * {@link parseDevkitResults}; with `onInverted`, a line whose box has `x2 < x1` or `y2 < y1` is kept (as
 * voc_eval keeps it) and reported by its 1-based line number instead of refused.
 */
function parseDevkitLines(FN: string, text: string, source: string, onInverted?: (line: number) => void): DevkitDetection[] {
  const out: DevkitDetection[] = [];
  lines(text).forEach((raw, i) => {
    const f = fields(raw);
    if (f.length === 0) return;
    const line = i + 1;
    if (f.length !== 6) {
      throw new FormatError(
        `${FN}: ${source}:${line}: expected 6 fields 'imageId score x1 y1 x2 y2', got ${f.length}: ${JSON.stringify(raw.trim())}`,
        source,
        line,
      );
    }
    const score = number(FN, f[1], 'score', source, line);
    const box: [number, number, number, number] = [
      number(FN, f[2], 'x1', source, line),
      number(FN, f[3], 'y1', source, line),
      number(FN, f[4], 'x2', source, line),
      number(FN, f[5], 'y2', source, line),
    ];
    if (box[2] < box[0] || box[3] < box[1]) {
      if (!onInverted) throw new FormatError(`${FN}: ${source}:${line}: expected x1 ≤ x2 and y1 ≤ y2, got (${box.join(', ')})`, source, line);
      onInverted(line);
    }
    out.push({ imageId: f[0], score, box });
  });
  return out;
}

/** Number formatting of {@link formatDevkitResults} and {@link formatYOLOLabels}. */
export interface NumberFormatOptions {
  /** Digits after the point for scores (devkit files) — default: shortest exact (`String(x)`). The Python ports write 3. */
  scoreDigits?: number;
  /** Digits after the point for coordinates — default: shortest exact. The Python ports write 1, darknet 6. */
  boxDigits?: number;
}

function fmt(x: number, digits: number | undefined): string {
  return digits === undefined ? String(x) : x.toFixed(digits);
}

/**
 * Write devkit result lines `imageId score x1 y1 x2 y2` (newline-terminated). By default numbers are
 * written exactly, so reading them back gives the same values (rounding scores can create ties).
 */
export function formatDevkitResults(rows: readonly DevkitDetection[], options: NumberFormatOptions = {}): string {
  const { scoreDigits, boxDigits } = options;
  let s = '';
  for (const r of rows) {
    s += `${r.imageId} ${fmt(r.score, scoreDigits)} ${r.box.map((v) => fmt(v, boxDigits)).join(' ')}\n`;
  }
  return s;
}

/**
 * Read and parse one devkit result file.
 * @throws {@link FormatError} naming the file when it cannot be read, or `file:line` for a bad line.
 */
export async function readDevkitResultFile(path: string): Promise<DevkitDetection[]> {
  return parseDevkitResults(await readText(path, 'readDevkitResultFile'), path);
}

/** Write one devkit result file. */
export async function writeDevkitResultFile(path: string, rows: readonly DevkitDetection[], options?: NumberFormatOptions): Promise<void> {
  await writeFile(path, formatDevkitResults(rows, options));
}

/**
 * Write one result file per class into `dir` (`comp4_det_test_<class>.txt`, every class, empty
 * files included) from detections with class ids — e.g. the output of `postprocess` scaled to pixels.
 * @returns the paths written.
 */
export async function writeDevkitResultFolder(
  dir: string,
  detections: readonly DetectionBox[],
  options: NumberFormatOptions & { classNames?: readonly string[]; prefix?: string } = {},
): Promise<string[]> {
  const { classNames = VOC_CLASSES, prefix = 'comp4_det_test_' } = options;
  const perClass: DevkitDetection[][] = classNames.map(() => []);
  detections.forEach((d, i) => {
    if (!Number.isInteger(d.classId) || d.classId < 0 || d.classId >= classNames.length) {
      throw new ValueError(`writeDevkitResultFolder: 'detections[${i}].classId' must be an integer in [0, ${classNames.length - 1}], got ${describe(d.classId)}`);
    }
    perClass[d.classId].push({ imageId: String(d.imageId), score: d.score, box: [d.box[0], d.box[1], d.box[2], d.box[3]] });
  });
  const paths = classNames.map((name) => join(dir, devkitResultFileName(name, prefix)));
  await Promise.all(paths.map((p, c) => writeDevkitResultFile(p, perClass[c], options)));
  return paths;
}

/** Write YOLO label lines `classId cx cy w h` (and the `confidence` where a label has one; newline-terminated; numbers exact unless `boxDigits`). */
export function formatYOLOLabels(labels: readonly YOLOLabel[], options: Pick<NumberFormatOptions, 'boxDigits'> = {}): string {
  let s = '';
  for (const l of labels) {
    const conf = l.confidence === undefined ? '' : ` ${fmt(l.confidence, options.boxDigits)}`;
    s += `${l.classId} ${l.box.map((v) => fmt(v, options.boxDigits)).join(' ')}${conf}\n`;
  }
  return s;
}

/** Read and parse one YOLO label file ({@link parseYOLOLabels}'s rule; `confidence: true` for a prediction file). */
export async function readYOLOLabelFile(path: string, options?: ParseYOLOLabelsOptions): Promise<YOLOLabel[]> {
  return parseYOLOLabels(await readText(path, 'readYOLOLabelFile'), path, options);
}

/** Write one YOLO label file. */
export async function writeYOLOLabelFile(path: string, labels: readonly YOLOLabel[], options?: Pick<NumberFormatOptions, 'boxDigits'>): Promise<void> {
  await writeFile(path, formatYOLOLabels(labels, options));
}

/**
 * Parse a VOC split list (`ImageSets/Main/test.txt`: one id per line; class lists such as
 * `aeroplane_test.txt` add a flag `1`, `0` or `-1` after the id). Returns every id in file order.
 * @throws {@link FormatError} naming `source:line`: more than 2 fields, a flag other than 1 / 0 / −1,
 *   or an id listed twice.
 */
export function parseVOCSplit(text: string, source = '<string>'): string[] {
  const FN = 'parseVOCSplit';
  const ids: string[] = [];
  const seen = new Map<string, number>();
  lines(text).forEach((raw, i) => {
    const f = fields(raw);
    if (f.length === 0) return;
    const line = i + 1;
    if (f.length > 2 || (f.length === 2 && !['1', '0', '-1'].includes(f[1]))) {
      throw new FormatError(`${FN}: ${source}:${line}: expected 'imageId' or 'imageId flag' (flag 1, 0 or -1), got ${JSON.stringify(raw.trim())}`, source, line);
    }
    const first = seen.get(f[0]);
    if (first !== undefined) throw new FormatError(`${FN}: ${source}:${line}: image id '${f[0]}' already listed on line ${first}`, source, line);
    seen.set(f[0], line);
    ids.push(f[0]);
  });
  return ids;
}

/** Read `<vocRoot>/ImageSets/Main/<split>.txt`. */
export async function readVOCSplit(vocRoot: string, split: string): Promise<string[]> {
  const path = join(vocRoot, 'ImageSets', 'Main', `${split}.txt`);
  return parseVOCSplit(await readText(path, 'readVOCSplit'), path);
}

async function readText(path: string, fn: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new FormatError(`${fn}: cannot read ${path}${code ? ` (${code})` : ''}`, path);
  }
}

/** Options of {@link evaluateVOCFolder}: the VOC AP options plus where and how to read. */
export interface EvaluateVOCFolderOptions extends Omit<VOCAPOptions, 'numClasses' | 'classNames'> {
  /** Split list under `ImageSets/Main/`, default `'test'`. */
  split?: string;
  /** Class names (ids in this order), default the 20 VOC classes. */
  classNames?: readonly string[];
  /** Result file prefix, default `'comp4_det_test_'`. */
  prefix?: string;
  /** An annotated object whose name is not in `classNames`: `'error'` (default, FormatError naming the file) or `'skip'` (counted). */
  unknownClasses?: 'error' | 'skip';
  /** A class without a result file: `'empty'` (default: no detections, listed in `missingResultFiles`) or `'error'`. */
  missingResults?: 'empty' | 'error';
  /** Receives one message per result line whose box is inverted (`file:line`); default `console.warn`. */
  onWarning?: (message: string) => void;
}

/** Result of {@link evaluateVOCFolder}: the {@link VOCAPResult} plus what was read and what was left out. */
export interface EvaluateVOCFolderResult extends VOCAPResult {
  /** Images in the split. */
  images: number;
  /** Annotated objects of known classes (difficult included). */
  groundTruths: number;
  /** Detections evaluated. */
  detections: number;
  /** Annotated objects skipped because their class is unknown (`unknownClasses: 'skip'`), by name. */
  skippedObjects: Record<string, number>;
  /** Result lines skipped because their image id is not in the split, by file. */
  skippedDetections: Record<string, number>;
  /** Result files expected but absent (classes evaluated with no detections). */
  missingResultFiles: string[];
  /** Files in the results folder with the prefix whose class is not in `classNames` (not read). */
  extraResultFiles: string[];
  /**
   * Result lines (`file:line`) whose box is inverted (`x2 < x1` or `y2 < y1`): kept and scored as voc_eval
   * scores them — their intersection width `min(x2) − max(x1) + 1` is ≤ 0, so they are false positives
   * (unless inverted by less than a pixel) — and reported through `onWarning`.
   */
  invertedBoxes: string[];
}

/**
 * Evaluate a folder of devkit result files against a VOC folder — darknet's or PyTorch's output
 * scored directly.
 *
 * Reads `<vocRoot>/ImageSets/Main/<split>.txt`, `<vocRoot>/Annotations/<id>.xml` for every listed
 * image, and `<resultsDir>/<prefix><class>.txt` for every class; runs `vocAP` (default: VOC07
 * 11-point, IoU > 0.5, inclusive pixels, difficult ignored — the training records' setting). Nothing is dropped
 * silently: skipped objects, skipped result lines and missing / extra files are reported.
 *
 * @example
 * ```ts
 * import { evaluateVOCFolder, formatVOCReport } from 'yolov2-ts/node';
 * const result = await evaluateVOCFolder('results/', 'VOCdevkit/VOC2007');
 * console.log(formatVOCReport(result));
 * ```
 * @throws {@link FormatError} naming the file (and line): a missing split list or annotation, bad
 *   XML, an unknown class name (unless skipped), a malformed result line.
 */
export async function evaluateVOCFolder(
  resultsDir: string,
  vocRoot: string,
  options: EvaluateVOCFolderOptions = {},
): Promise<EvaluateVOCFolderResult> {
  assertKnownKeys(FN_FOLDER, 'options', options, FOLDER_KEYS);
  const {
    split = 'test', classNames = VOC_CLASSES, prefix = 'comp4_det_test_', unknownClasses = 'error', missingResults = 'empty',
    onWarning = (message: string) => console.warn(message), ...apOptions
  } = options;
  assertOneOf(FN_FOLDER, 'options.unknownClasses', unknownClasses, ['error', 'skip'] as const);
  assertOneOf(FN_FOLDER, 'options.missingResults', missingResults, ['empty', 'error'] as const);
  if (typeof onWarning !== 'function') throw new ValueError(`${FN_FOLDER}: 'options.onWarning' must be a function, got ${describe(onWarning)}`);
  const splitPath = join(vocRoot, 'ImageSets', 'Main', `${split}.txt`);
  const ids = parseVOCSplit(await readText(splitPath, FN_FOLDER), splitPath);
  const { groundTruths, skippedObjects } = await readFolderGroundTruth(vocRoot, ids, classNames, unknownClasses);
  const read = await readResultFolder(resultsDir, new Set(ids), classNames, prefix, missingResults, onWarning);
  const result = vocAPKeepingInverted(read.detections, groundTruths, { ...apOptions, numClasses: classNames.length, classNames });
  return {
    ...result,
    images: ids.length,
    groundTruths: groundTruths.length,
    detections: read.detections.length,
    skippedObjects,
    skippedDetections: read.skippedDetections,
    missingResultFiles: read.missingResultFiles,
    extraResultFiles: read.extraResultFiles,
    invertedBoxes: read.invertedBoxes,
  };
}

const FN_FOLDER = 'evaluateVOCFolder';
const FOLDER_KEYS = [
  'split', 'classNames', 'prefix', 'unknownClasses', 'missingResults', 'onWarning',
  'iouThreshold', 'metric', 'pixelConvention', 'matchRule', 'useDifficult', 'emptyClasses',
] as const;

/** The annotations of the listed images (read with bounded concurrency), in split order. */
async function readFolderGroundTruth(
  vocRoot: string, ids: readonly string[], classNames: readonly string[], unknownClasses: 'error' | 'skip',
): Promise<{ groundTruths: GroundTruthBox[]; skippedObjects: Record<string, number> }> {
  const classIndex = new Map(classNames.map((n, i) => [n, i]));
  const skippedObjects: Record<string, number> = {};
  const perImage: GroundTruthBox[][] = new Array(ids.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < ids.length) {
      const i = next++;
      const path = join(vocRoot, 'Annotations', `${ids[i]}.xml`);
      const ann = readVOCAnnotation(await readText(path, FN_FOLDER), path);
      const rows: GroundTruthBox[] = [];
      for (const o of ann.objects) {
        const classId = classIndex.get(o.name);
        if (classId === undefined) {
          if (unknownClasses === 'error') {
            throw new FormatError(`${FN_FOLDER}: ${path}: unknown class name '${o.name}' (not in classNames; pass unknownClasses: 'skip' to skip and count it)`, path);
          }
          skippedObjects[o.name] = (skippedObjects[o.name] ?? 0) + 1;
          continue;
        }
        rows.push({ imageId: ids[i], classId, box: o.box, difficult: o.difficult });
      }
      perImage[i] = rows;
    }
  };
  await Promise.all(Array.from({ length: Math.min(32, ids.length) }, worker));
  return { groundTruths: perImage.flat(), skippedObjects };
}

/** Every class's result file: the detections on images of the split, and what was skipped, missing or extra. */
async function readResultFolder(
  resultsDir: string, idSet: ReadonlySet<string>, classNames: readonly string[], prefix: string,
  missingResults: 'empty' | 'error', onWarning: (message: string) => void,
) {
  let present: string[];
  try {
    present = await readdir(resultsDir);
  } catch (e) {
    throw new FormatError(`${FN_FOLDER}: cannot read the results folder ${resultsDir} (${(e as NodeJS.ErrnoException).code ?? e})`, resultsDir);
  }
  const presentSet = new Set(present);
  const expected = new Set(classNames.map((n) => devkitResultFileName(n, prefix)));
  const extraResultFiles = present.filter((f) => f.startsWith(prefix) && f.endsWith('.txt') && !expected.has(f)).sort();
  const missingResultFiles: string[] = [];
  const skippedDetections: Record<string, number> = {};
  const invertedBoxes: string[] = [];
  const detections: DetectionBox[] = [];
  for (let c = 0; c < classNames.length; c++) {
    const name = devkitResultFileName(classNames[c], prefix);
    const path = join(resultsDir, name);
    if (!presentSet.has(name)) {
      if (missingResults === 'error') throw new FormatError(`${FN_FOLDER}: missing result file ${path} for class '${classNames[c]}'`, path);
      missingResultFiles.push(path);
      continue;
    }
    const onInverted = (line: number): void => {
      invertedBoxes.push(`${path}:${line}`);
      onWarning(`${FN_FOLDER}: ${path}:${line}: the box has x2 < x1 or y2 < y1; scored as voc_eval scores it (a false positive unless its +1-pixel extent still overlaps)`);
    };
    for (const d of parseDevkitLines(FN_FOLDER, await readText(path, FN_FOLDER), path, onInverted)) {
      if (!idSet.has(d.imageId)) {
        skippedDetections[path] = (skippedDetections[path] ?? 0) + 1;
        continue;
      }
      detections.push({ imageId: d.imageId, classId: c, box: d.box, score: d.score });
    }
  }
  return { detections, skippedDetections, missingResultFiles, extraResultFiles, invertedBoxes };
}
