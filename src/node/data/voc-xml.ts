/**
 * PASCAL VOC annotation files (`Annotations/<id>.xml`): read and write.
 *
 * Boxes are VOC pixel boxes `(xmin, ymin, xmax, ymax)`, 1-based and inclusive, exactly as written in the
 * file (no conversion): use `pixelConvention: 'inclusive'` when evaluating them.
 *
 * @packageDocumentation
 */
import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';
import { FormatError, ValueError, describe } from '../../errors.js';
import { assertKnownKeys } from '../../validate.js';

/** One `<object>` of a VOC annotation. */
export interface VOCObject {
  /** Class name as written in `<name>` (trimmed). */
  name: string;
  /** `(xmin, ymin, xmax, ymax)` in pixels, as written in `<bndbox>`. */
  box: [number, number, number, number];
  /** `<difficult>1</difficult>`; false when absent. */
  difficult: boolean;
  /** `<truncated>1</truncated>`; false when absent. */
  truncated: boolean;
  /** `<pose>` when present. */
  pose?: string;
}

/** A parsed VOC annotation file. */
export interface VOCAnnotation {
  /** `<filename>`, e.g. `000005.jpg`. */
  filename: string;
  /** `<folder>` when present. */
  folder?: string;
  /** `<size>` in pixels when present. */
  size?: { width: number; height: number; depth: number };
  /** The objects in file order (an image may have none). */
  objects: VOCObject[];
}

const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: true,
  isArray: (_name, jpath) => jpath === 'annotation.object',
});

function num(value: unknown, what: string, source: string): number {
  const text = typeof value === 'string' ? value.trim() : typeof value === 'number' ? String(value) : '';
  const n = text === '' ? NaN : Number(text);
  if (!Number.isFinite(n)) {
    throw new FormatError(`readVOCAnnotation: ${source}: ${what} must be a number, got ${JSON.stringify(value ?? null)}`, source);
  }
  return n;
}

function flag(value: unknown): boolean {
  return typeof value === 'string' ? value.trim() === '1' : value === 1;
}

/**
 * Parse a VOC annotation XML document.
 *
 * @param xml the file's text.
 * @param source a name for error messages (usually the file path).
 * @throws {@link FormatError} naming the source (and line, for malformed XML): no `<annotation>` root,
 *   an `<object>` without `<name>` or `<bndbox>`, a coordinate that is not a number, or `xmax < xmin` /
 *   `ymax < ymin`.
 */
export function readVOCAnnotation(xml: string, source = '<string>'): VOCAnnotation {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) {
    throw new FormatError(
      `readVOCAnnotation: ${source}:${valid.err.line}: malformed XML (${valid.err.msg})`,
      source,
      valid.err.line,
    );
  }
  const doc = parser.parse(xml) as { annotation?: Record<string, unknown> };
  const ann = doc.annotation;
  if (!ann || typeof ann !== 'object') {
    throw new FormatError(`readVOCAnnotation: ${source}: expected an <annotation> root element`, source);
  }
  const objects = ((ann.object as unknown[] | undefined) ?? []).map((raw, i): VOCObject => {
    const o = (raw ?? {}) as Record<string, unknown>;
    const where = `object ${i}`;
    const name = typeof o.name === 'string' ? o.name.trim() : '';
    if (!name) throw new FormatError(`readVOCAnnotation: ${source}: ${where} has no <name>`, source);
    const bb = o.bndbox as Record<string, unknown> | undefined;
    if (!bb || typeof bb !== 'object') {
      throw new FormatError(`readVOCAnnotation: ${source}: ${where} ('${name}') has no <bndbox>`, source);
    }
    const box: [number, number, number, number] = [
      num(bb.xmin, `${where} ('${name}') <xmin>`, source),
      num(bb.ymin, `${where} ('${name}') <ymin>`, source),
      num(bb.xmax, `${where} ('${name}') <xmax>`, source),
      num(bb.ymax, `${where} ('${name}') <ymax>`, source),
    ];
    if (box[2] < box[0] || box[3] < box[1]) {
      throw new FormatError(
        `readVOCAnnotation: ${source}: ${where} ('${name}') must have xmin ≤ xmax and ymin ≤ ymax, got (${box.join(', ')})`,
        source,
      );
    }
    const obj: VOCObject = { name, box, difficult: flag(o.difficult), truncated: flag(o.truncated) };
    if (typeof o.pose === 'string' && o.pose) obj.pose = o.pose;
    return obj;
  });
  const out: VOCAnnotation = { filename: typeof ann.filename === 'string' ? ann.filename : '', objects };
  if (typeof ann.folder === 'string') out.folder = ann.folder;
  const size = ann.size as Record<string, unknown> | undefined;
  if (size && typeof size === 'object') {
    out.size = {
      width: num(size.width, '<size><width>', source),
      height: num(size.height, '<size><height>', source),
      depth: size.depth === undefined ? 3 : num(size.depth, '<size><depth>', source),
    };
  }
  return out;
}

const builder = new XMLBuilder({ format: true, indentBy: '\t', suppressEmptyNode: false });

/**
 * Write a VOC annotation XML document (the layout of the VOC2007 files).
 * `readVOCAnnotation(writeVOCAnnotation(a))` gives `a` back.
 * @throws ValueError for a field the format has no place for (e.g. a misspelled `objects` or `difficult`),
 *   naming it, or when `objects` is not an array.
 */
export function writeVOCAnnotation(annotation: VOCAnnotation): string {
  const fn = 'writeVOCAnnotation';
  assertKnownKeys(fn, 'annotation', annotation, ['filename', 'folder', 'size', 'objects']);
  if (!Array.isArray(annotation?.objects)) {
    throw new ValueError(`${fn}: 'annotation.objects' must be an array of objects, got ${describe(annotation?.objects)}`);
  }
  annotation.objects.forEach((o, i) => assertKnownKeys(fn, `annotation.objects[${i}]`, o, ['name', 'box', 'difficult', 'truncated', 'pose']));
  const doc = {
    annotation: {
      ...(annotation.folder !== undefined ? { folder: annotation.folder } : {}),
      filename: annotation.filename,
      ...(annotation.size ? { size: { ...annotation.size } } : {}),
      object: annotation.objects.map((o) => ({
        name: o.name,
        ...(o.pose !== undefined ? { pose: o.pose } : {}),
        truncated: o.truncated ? 1 : 0,
        difficult: o.difficult ? 1 : 0,
        bndbox: { xmin: o.box[0], ymin: o.box[1], xmax: o.box[2], ymax: o.box[3] },
      })),
    },
  };
  return builder.build(doc) as string;
}
