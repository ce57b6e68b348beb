/**
 * Data config files: where a dataset's splits are and what its classes are called, in two dialects.
 *
 * - YAML, as ultralytics: `path` (the root), `train`, `val`, `test` (relative to `path`), `names` (a
 *   list, or a map `id: name` with ids 0…C−1) and `format: yolo | voc | coco` (default `yolo`).
 *   A split is, per format: yolo — an images folder (labels in the sibling `labels` folder) or a `.txt`
 *   list of image paths; voc — an image-set name of `ImageSets/Main` (`trainval`, `test`); coco — a
 *   map `{ annotations: file.json, images: folder }`.
 * - darknet's `.data`: `classes = N`, `train = list.txt`, `valid = list.txt`, `names = file.names`,
 *   `backup = folder` (lists of image paths; labels where darknet looks: `images`→`labels`,
 *   `JPEGImages`→`labels`, extension → `.txt`).
 *
 * Relative paths resolve against the folder of the config file.
 *
 * @packageDocumentation
 */
import { readFile } from 'node:fs/promises';
import { basename, dirname, extname, isAbsolute, join, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { FormatError, ValueError, describe } from '../../errors.js';
import { COCODataset } from './coco-json.js';
import { type DetectionDataset, VOCDataset, YOLODataset } from './datasets.js';
import { ImageListDataset } from './image-list.js';

/** A dataset format of a data config. */
export type DataFormat = 'yolo' | 'voc' | 'coco';
/** A split of a data config. */
export type DataSplit = 'train' | 'val' | 'test';

/** A split's location, resolved to absolute paths. */
export type SplitSource =
  | { kind: 'folder'; images: string }
  | { kind: 'list'; list: string }
  | { kind: 'voc'; root: string; imageSet: string }
  | { kind: 'coco'; annotations: string; images: string };

/** A data config, read and resolved. */
export interface DataConfig {
  /** The config file (absolute). */
  file: string;
  dialect: 'yaml' | 'darknet';
  format: DataFormat;
  /** Class names, index = class id. */
  names: string[];
  /** The splits present. */
  splits: Partial<Record<DataSplit, SplitSource>>;
  /** darknet's `backup` folder, when given. */
  backup?: string;
}

const YAML_KEYS = ['path', 'train', 'val', 'test', 'names', 'nc', 'format', 'download'];

function fail(file: string, entry: string, message: string, line?: number): never {
  throw new FormatError(`readDataConfig: ${file}${line ? `:${line}` : ''}: ${entry}: ${message}`, file, line);
}

async function readText(file: string, fn: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    throw new FormatError(`${fn}: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, file);
  }
}

/**
 * Read a data config (`.yaml`/`.yml`, or darknet `.data`; other extensions are tried as YAML).
 * @throws FormatError naming the file and the entry (or line) for a missing file, bad YAML, an unknown
 *   key, bad `names`, an unknown format or a split of the wrong kind.
 */
export async function readDataConfig(file: string): Promise<DataConfig> {
  const abs = resolve(file);
  const text = await readText(abs, 'readDataConfig');
  if (extname(abs).toLowerCase() === '.data') return readDarknetData(text, abs);
  return parseYAMLConfig(text, abs);
}

/** Parse YAML config text; `file` (absolute) is the base for relative paths and the name in errors. */
export function parseYAMLConfig(text: string, file: string): DataConfig {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    const err = doc.errors[0];
    fail(file, 'YAML', err.message.split('\n')[0], err.linePos?.[0]?.line);
  }
  const y = doc.toJS() as unknown;
  if (y === null || typeof y !== 'object' || Array.isArray(y)) fail(file, '(root)', `must be a map of keys, got ${describe(y)}`);
  const m = y as Record<string, unknown>;
  for (const k of Object.keys(m)) if (!YAML_KEYS.includes(k)) fail(file, k, `unknown key (known: ${YAML_KEYS.join(', ')})`);
  const format = (m.format ?? 'yolo') as DataFormat;
  if (!['yolo', 'voc', 'coco'].includes(format)) fail(file, 'format', `must be yolo, voc or coco, got ${describe(m.format)}`);
  if (m.path !== undefined && typeof m.path !== 'string') fail(file, 'path', `must be a folder path, got ${describe(m.path)}`);
  const root = resolve(dirname(file), (m.path as string | undefined) ?? '.');
  const names = readNames(file, m.names);
  if (m.nc !== undefined && m.nc !== names.length) fail(file, 'nc', `is ${describe(m.nc)} but names has ${names.length} entries`);
  const splits: DataConfig['splits'] = {};
  for (const split of ['train', 'val', 'test'] as const) {
    if (m[split] === undefined || m[split] === null) continue;
    splits[split] = yamlSplit(file, split, m[split], root, format);
  }
  if (!splits.train && !splits.val && !splits.test) fail(file, 'train', 'at least one of train, val, test is needed');
  return { file, dialect: 'yaml', format, names, splits };
}

function readNames(file: string, names: unknown): string[] {
  if (Array.isArray(names)) {
    if (names.length === 0 || !names.every((n) => typeof n === 'string' || typeof n === 'number')) {
      fail(file, 'names', `must be a non-empty list of class names, got ${describe(names)}`);
    }
    return names.map(String);
  }
  if (names !== null && typeof names === 'object') {
    const entries = Object.entries(names as Record<string, unknown>);
    const out: string[] = [];
    for (const [k, v] of entries) {
      const id = Number(k);
      if (!Number.isInteger(id) || id < 0 || id >= entries.length) fail(file, `names.${k}`, `ids must be 0…${entries.length - 1}`);
      out[id] = String(v);
    }
    return out;
  }
  return fail(file, 'names', `must be a list or a map of id: name, got ${describe(names)}`);
}

function yamlSplit(file: string, split: DataSplit, v: unknown, root: string, format: DataFormat): SplitSource {
  const at = (p: string) => (isAbsolute(p) ? p : join(root, p));
  if (format === 'coco') {
    const o = v as Record<string, unknown>;
    if (o === null || typeof o !== 'object' || typeof o.annotations !== 'string' || typeof o.images !== 'string') {
      fail(file, split, `must be { annotations: file.json, images: folder } for format coco, got ${describe(v)}`);
    }
    return { kind: 'coco', annotations: at(o.annotations as string), images: at(o.images as string) };
  }
  if (typeof v !== 'string') fail(file, split, `must be a path (or an image-set name for voc), got ${describe(v)}`);
  if (format === 'voc') return { kind: 'voc', root, imageSet: v.endsWith('.txt') ? basename(v, '.txt') : v };
  return v.endsWith('.txt') ? { kind: 'list', list: at(v) } : { kind: 'folder', images: at(v) };
}

/** Parse darknet `.data` text (`key = value` lines, `#` comments), then read its names file; `file` is absolute. */
async function readDarknetData(text: string, file: string): Promise<DataConfig> {
  const kv = new Map<string, { value: string; line: number }>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) return;
    const eq = line.indexOf('=');
    if (eq < 0) fail(file, `line ${i + 1}`, `expected 'key = value', got ${JSON.stringify(line)}`, i + 1);
    kv.set(line.slice(0, eq).trim(), { value: line.slice(eq + 1).trim(), line: i + 1 });
  });
  const at = (p: string) => (isAbsolute(p) ? p : join(dirname(file), p));
  const namesEntry = kv.get('names');
  if (!namesEntry) fail(file, 'names', 'missing (a file with one class name per line)');
  const namesFile = at(namesEntry.value);
  const names = (await readText(namesFile, 'readDataConfig')).split(/\r?\n/).map((s) => s.trim()).filter((s) => s);
  if (names.length === 0) fail(namesFile, 'names', 'the file lists no class names');
  const cls = kv.get('classes');
  if (cls && Number(cls.value) !== names.length) fail(file, 'classes', `is ${cls.value} but ${namesFile} lists ${names.length} names`, cls.line);
  const splits: DataConfig['splits'] = {};
  const train = kv.get('train');
  const valid = kv.get('valid');
  if (train) splits.train = { kind: 'list', list: at(train.value) };
  if (valid) splits.val = { kind: 'list', list: at(valid.value) };
  if (!train && !valid) fail(file, 'train', 'missing (and no valid either)');
  const backup = kv.get('backup');
  return { file, dialect: 'darknet', format: 'yolo', names, splits, ...(backup ? { backup: at(backup.value) } : {}) };
}

/**
 * Open one split of a data config as a dataset.
 * @throws ValueError when the config has no such split; FormatError from the readers for missing folders and files.
 */
export async function openDataset(config: DataConfig, split: DataSplit): Promise<DetectionDataset> {
  const src = config.splits[split];
  if (!src) {
    const have = Object.keys(config.splits).join(', ');
    throw new ValueError(`openDataset: ${config.file} has no '${split}' split (it has ${have})`);
  }
  switch (src.kind) {
    case 'folder':
      return YOLODataset.open({ images: src.images, classNames: config.names });
    case 'list':
      return ImageListDataset.open(src.list, config.names);
    case 'voc':
      return VOCDataset.open(src.root, { imageSet: src.imageSet, classNames: config.names });
    case 'coco': {
      const ds = await COCODataset.open(src.annotations, src.images);
      if (ds.classNames.join('\n') !== config.names.join('\n')) {
        throw new FormatError(`openDataset: ${src.annotations}: its categories (${ds.classNames.join(', ')}) differ from the names of ${config.file} (${config.names.join(', ')})`, src.annotations);
      }
      return ds;
    }
  }
}
