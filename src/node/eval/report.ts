/**
 * Evaluation reports: the training records' text formats, pycocotools' summary lines, and
 * precision–recall curves as a picture (vega-lite → vega → SVG → sharp → PNG).
 *
 * Numbers are printed as Python's `'{:.4f}'.format(x)` prints them (round half to even on exact
 * binary ties — JavaScript's `toFixed` rounds those up), so a line equals the training records' byte for byte.
 *
 * @packageDocumentation
 */
import { renderVegaLitePNG, renderVegaLiteSVG } from './chart.js';
import { writeFile } from 'node:fs/promises';
import { ValueError, describe } from '../../errors.js';
import { assertKnownKeys } from '../../validate.js';

/**
 * `x` with `digits` digits after the point, exactly as Python's `format(x, '.{digits}f')`:
 * correctly rounded from the exact binary value, ties to even; `nan`, `inf`, `-inf` as Python spells them.
 */
export function formatFixed(x: number, digits: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  const s = x.toFixed(digits); // ties away from zero
  if (Math.abs(x) >= 1e21 || digits >= 100) return s;
  // A tie needs the exact binary value to end in 5 at digit `digits + 1`; such a value's decimal
  // expansion is short, and toFixed(100) shows it exactly.
  const exact = Math.abs(x).toFixed(100);
  const cut = exact.indexOf('.') + 1 + digits;
  if (exact[cut] !== '5' || !/^0*$/.test(exact.slice(cut + 1))) return s;
  // An exact tie: Python keeps the even neighbour. toFixed took the one away from zero.
  const truncated = exact.slice(0, digits === 0 ? cut - 1 : cut);
  const lastDigit = Number(truncated[truncated.length - 1]);
  if (lastDigit % 2 === 1) return s; // away-from-zero neighbour is even
  return (x < 0 ? '-' : '') + truncated;
}

/** One row of the training records' per-input-size table. */
export interface InputSizeRow {
  /** Input size: `416` (square), `[width, height]` or `{ width, height }`. */
  size: number | readonly [number, number] | { width: number; height: number };
  /** COCO AP@[.50:.95]; `null` / `undefined` / −1 print as `-1.0000` (never computed, as in the training records). */
  ap50_95?: number | null;
  /** AP at IoU 0.5 (the VOC mAP). */
  ap50: number;
}

function sizeText(size: InputSizeRow['size']): string {
  if (typeof size === 'number') return `${size}x${size}`;
  if (Array.isArray(size)) return `${size[0]}x${size[1]}`;
  const s = size as { width: number; height: number };
  if (s && typeof s.width === 'number' && typeof s.height === 'number') return `${s.width}x${s.height}`;
  throw new ValueError(`formatInputSizeLine: 'size' must be a number, [width, height] or { width, height }, got ${describe(size)}`);
}

/**
 * `Input Size：[416x416] ap50_95: = 0.4321 ap50: = 0.7096` — the training records' line, with the full-width
 * colon U+FF1A after "Input Size".
 */
export function formatInputSizeLine(row: InputSizeRow): string {
  const ap = row.ap50_95 === null || row.ap50_95 === undefined ? -1 : row.ap50_95;
  return `Input Size\uFF1A[${sizeText(row.size)}] ap50_95: = ${formatFixed(ap, 4)} ap50: = ${formatFixed(row.ap50, 4)}`;
}

/** Several {@link formatInputSizeLine} rows, newline-separated (no trailing newline), optionally under a `# title` line. */
export function formatInputSizeTable(rows: readonly InputSizeRow[], title?: string): string {
  const out = rows.map(formatInputSizeLine);
  if (title !== undefined) out.unshift(`# ${title}`);
  return out.join('\n');
}

/** What {@link formatVOCReport} needs: a `vocAP` / `evaluateVOCFolder` result (or the same shape). */
export interface VOCReportInput {
  mAP: number;
  metric?: 'voc07' | 'voc2010';
  perClass: ReadonlyArray<{ classId: number; name?: string; ap: number | null }>;
}

/**
 * The training records' per-class block:
 * ```text
 * VOC07 metric? Yes
 * AP for aeroplane = 0.7318
 * …
 * Mean AP = 0.6969
 * ```
 * Class names come from the result (`classNames` option of vocAP) or `options.classNames`, else the
 * class id. A class without positives (`ap: null`) prints `AP for <class> = n/a (no positives)`; the
 * mean is over the other classes, as `vocAP` computed it. No trailing newline.
 */
export function formatVOCReport(result: VOCReportInput, options: { classNames?: readonly string[]; metric?: 'voc07' | 'voc2010' } = {}): string {
  assertKnownKeys('formatVOCReport', 'options', options, ['classNames', 'metric']);
  const metric = options.metric ?? result.metric ?? 'voc07';
  const lines = [`VOC07 metric? ${metric === 'voc07' ? 'Yes' : 'No'}`];
  for (const k of result.perClass) {
    const name = k.name ?? options.classNames?.[k.classId] ?? String(k.classId);
    lines.push(`AP for ${name} = ${k.ap === null ? 'n/a (no positives)' : formatFixed(k.ap, 4)}`);
  }
  lines.push(`Mean AP = ${formatFixed(result.mAP, 4)}`);
  return lines.join('\n');
}

/** What {@link formatCOCOSummary} needs: a `cocoAP` result. */
export interface COCOSummaryInput {
  stats: readonly number[];
  iouThresholds?: readonly number[];
  maxDets?: readonly [number, number, number];
}

/** The 12 lines pycocotools' `summarize()` prints, e.g. ` Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.433`. */
export function formatCOCOSummary(result: COCOSummaryInput): string {
  const thr = result.iouThresholds ?? [0.5, 0.95];
  const [m1, m10, m100] = result.maxDets ?? [1, 10, 100];
  const rows: Array<[boolean, string | null, string, number]> = [
    [true, null, 'all', m100], [true, '0.50', 'all', m100], [true, '0.75', 'all', m100],
    [true, null, 'small', m100], [true, null, 'medium', m100], [true, null, 'large', m100],
    [false, null, 'all', m1], [false, null, 'all', m10], [false, null, 'all', m100],
    [false, null, 'small', m100], [false, null, 'medium', m100], [false, null, 'large', m100],
  ];
  const range = `${formatFixed(thr[0], 2)}:${formatFixed(thr[thr.length - 1], 2)}`;
  return rows
    .map(([ap, iou, area, maxDet], i) => {
      const title = (ap ? 'Average Precision' : 'Average Recall').padEnd(18);
      const iouStr = (iou ?? range).padEnd(9);
      return ` ${title} ${ap ? '(AP)' : '(AR)'} @[ IoU=${iouStr} | area=${area.padStart(6)} | maxDets=${String(maxDet).padStart(3)} ] = ${formatFixed(result.stats[i], 3)}`;
    })
    .join('\n');
}

/** Options of the precision–recall plots. */
export interface PRCurveOptions {
  /** `'overlay'` (default): one chart, a line per class. `'panels'`: one small chart per class. */
  layout?: 'overlay' | 'panels';
  /** Class names when the result has none. */
  classNames?: readonly string[];
  /** Chart title; default "Precision–recall (VOC07, mAP 0.6969)". */
  title?: string;
  /** Width of the chart (overlay) or of each panel, in pixels; default 520 / 180. */
  width?: number;
  /** Panels per row (panels layout); default 5. */
  columns?: number;
  /** Points kept per class (evenly thinned, last point kept); default 400. */
  maxPoints?: number;
  /** PNG scale factor (device pixels per SVG pixel); default 2. */
  scale?: number;
}

const PR_CURVE_KEYS = ['layout', 'classNames', 'title', 'width', 'columns', 'maxPoints', 'scale'];

/** What the plots need: a `vocAP` result (classes with `ap: null` or no detections are left out). */
export interface PRCurveInput extends VOCReportInput {
  perClass: ReadonlyArray<{ classId: number; name?: string; ap: number | null; precision: ArrayLike<number>; recall: ArrayLike<number> }>;
}

/**
 * The vega-lite spec of the precision–recall curves: each class's raw precision against recall, in
 * detection order (the points vocAP returns), labelled "name (AP)".
 */
export function prCurveSpec(result: PRCurveInput, options: PRCurveOptions = {}): Record<string, unknown> {
  assertKnownKeys('prCurveSpec', 'options', options, PR_CURVE_KEYS);
  const { layout = 'overlay', classNames, maxPoints = 400, columns = 5 } = options;
  const metric = result.metric ?? 'voc07';
  const title = options.title ?? `Precision–recall (${metric === 'voc07' ? 'VOC07' : 'VOC2010'}, mAP ${formatFixed(result.mAP, 4)})`;
  const values: Array<{ label: string; recall: number; precision: number; order: number }> = [];
  for (const k of result.perClass) {
    const n = k.precision.length;
    if (k.ap === null || n === 0) continue;
    const name = k.name ?? classNames?.[k.classId] ?? String(k.classId);
    const label = `${name} (${formatFixed(k.ap, 3)})`;
    const step = Math.max(1, Math.ceil(n / maxPoints));
    for (let i = 0; i < n; i += step) values.push({ label, recall: k.recall[i], precision: k.precision[i], order: i });
    if ((n - 1) % step !== 0) values.push({ label, recall: k.recall[n - 1], precision: k.precision[n - 1], order: n - 1 });
  }
  const scale = { domain: [0, 1] };
  const encoding = {
    x: { field: 'recall', type: 'quantitative', scale, title: 'recall' },
    y: { field: 'precision', type: 'quantitative', scale, title: 'precision' },
    order: { field: 'order', type: 'quantitative' },
  };
  const config = { font: 'DejaVu Sans, Liberation Sans, Arial, sans-serif', view: { stroke: '#bbb' }, background: 'white' };
  if (layout === 'panels') {
    const w = options.width ?? 180;
    return {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      title, config, data: { values },
      facet: { field: 'label', type: 'nominal', title: null, header: { labelFontSize: 12 } },
      columns,
      spec: { width: w, height: w, mark: { type: 'line', interpolate: 'step-after', color: '#1f77b4' }, encoding },
    };
  }
  const w = options.width ?? 520;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title, config, data: { values }, width: w, height: w,
    mark: { type: 'line', interpolate: 'step-after', strokeWidth: 1.5 },
    encoding: { ...encoding, color: { field: 'label', type: 'nominal', title: 'class (AP)', scale: { scheme: 'category20' } } },
  };
}

/** Render the precision–recall curves to an SVG string (vega-lite → vega, headless renderer). */
export async function renderPRCurvesSVG(result: PRCurveInput, options: PRCurveOptions = {}): Promise<string> {
  assertKnownKeys('renderPRCurvesSVG', 'options', options, PR_CURVE_KEYS);
  return renderVegaLiteSVG(prCurveSpec(result, options));
}

/** Render the precision–recall curves to PNG bytes (SVG rasterised by sharp). */
export async function renderPRCurvesPNG(result: PRCurveInput, options: PRCurveOptions = {}): Promise<Buffer> {
  assertKnownKeys('renderPRCurvesPNG', 'options', options, PR_CURVE_KEYS);
  return renderVegaLitePNG(prCurveSpec(result, options), options.scale ?? 2);
}

/** Write the precision–recall curves as a PNG file. */
export async function writePRCurvesPNG(path: string, result: PRCurveInput, options: PRCurveOptions = {}): Promise<void> {
  assertKnownKeys('writePRCurvesPNG', 'options', options, PR_CURVE_KEYS);
  await writeFile(path, await renderPRCurvesPNG(result, options));
}
