/**
 * The darknet `.cfg` parser: text → sections in order, each with typed options (darknet's defaults filled
 * in), the raw text values, and the keys this library does not know (kept and listed, as darknet ignores
 * them too).
 *
 * @packageDocumentation
 */
import { FormatError, ValueError, describe } from '../../errors.js';
import {
  type CfgKeySpec,
  type CfgSectionType,
  type SectionOptionsMap,
  SECTION_ALIASES,
  SECTION_SCHEMA,
} from './schema.js';

/** One section of a cfg file. */
export type CfgSection = {
  [T in CfgSectionType]: {
    /** Canonical section type (`[network]` → `'net'`, `[conv]` → `'convolutional'`, …). */
    type: T;
    /** 1-based line of the section header. */
    line: number;
    /** Typed options, darknet's defaults filled in for absent keys. */
    options: SectionOptionsMap[T];
    /** Every `key = value` as written (trimmed), unknown keys included. */
    raw: Record<string, string>;
    /** Keys of this section that the library does not know, in file order. */
    unknownKeys: string[];
  };
}[CfgSectionType];

/** A key the library does not know, with where it is. */
export interface UnknownCfgKey {
  /** Index of the section among all sections (`[net]` is 0). */
  section: number;
  /** The section's type. */
  type: CfgSectionType;
  key: string;
  /** 1-based line. */
  line: number;
}

/** A parsed cfg file. */
export interface DarknetCfg {
  /** Every section in file order; `sections[0]` is `[net]`. */
  sections: CfgSection[];
  /** Every unknown key of the file, in order. */
  unknownKeys: UnknownCfgKey[];
}

const FN = 'parseDarknetCfg';

function fail(line: number, what: string): never {
  throw new FormatError(`${FN}: line ${line}: ${what}`, 'cfg', line);
}

function parseNumber(text: string, integer: boolean, line: number, key: string): number {
  const ok = integer ? /^[+-]?\d+$/.test(text) : /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text);
  if (!ok) fail(line, `'${key}' must be ${integer ? 'an integer' : 'a number'}, got ${JSON.stringify(text)}`);
  return Number(text);
}

function parseValue(spec: CfgKeySpec, text: string, line: number, key: string): number | string | boolean | number[] {
  switch (spec.kind) {
    case 'int':
    case 'float':
      return parseNumber(text, spec.kind === 'int', line, key);
    case 'flag': {
      const v = parseNumber(text, true, line, key);
      return v !== 0;
    }
    case 'string':
      return text;
    default: {
      const parts = text.split(',').map((s) => s.trim());
      if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop(); // a trailing comma, as darknet allows
      return parts.map((p) => {
        if (p === '') fail(line, `'${key}' has an empty list entry in ${JSON.stringify(text)}`);
        return parseNumber(p, spec.kind === 'ints', line, key);
      });
    }
  }
}

interface Pending {
  type: CfgSectionType;
  line: number;
  raw: Record<string, string>;
  lines: Record<string, number>;
}

function finish(p: Pending, index: number, unknown: UnknownCfgKey[]): CfgSection {
  const schema = SECTION_SCHEMA[p.type];
  const options: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(schema)) {
    if (spec.default !== undefined) options[key] = Array.isArray(spec.default) ? [...spec.default] : spec.default;
  }
  const unknownKeys: string[] = [];
  for (const [key, text] of Object.entries(p.raw)) {
    const spec = schema[key];
    if (!spec) {
      unknownKeys.push(key);
      unknown.push({ section: index, type: p.type, key, line: p.lines[key] });
      continue;
    }
    options[key] = parseValue(spec, text, p.lines[key], key);
  }
  return { type: p.type, line: p.line, options, raw: p.raw, unknownKeys } as CfgSection;
}

/**
 * Parse the text of a darknet `.cfg` file.
 *
 * Syntax (as darknet): `[section]` headers, `key=value` lines (spaces around `=` and the value ignored),
 * comments from `#` or `;` to the end of the line, blank lines; lists are comma-separated
 * (`anchors = 1.08,1.19, 3.42,4.41`, `layers=-1,-4`). Section aliases (`[network]`, `[conv]`, `[max]`,
 * `[avg]`, `[soft]`) are mapped to their canonical names. Unknown keys are kept (in `raw`) and listed
 * (`unknownKeys`); their values are not interpreted.
 *
 * @param text the file's contents.
 * @returns the sections in order with typed options; `sections[0]` is `[net]`.
 * @throws FormatError naming the 1-based line (also in `error.line`) for: an unknown or unclosed section
 *   header, a line that is neither a header nor `key=value`, a key before the first section, an empty key
 *   or value, a key repeated in one section, a value of the wrong type (`filters=3.5`, `size=big`), a first
 *   section other than `[net]`, or a file without sections.
 */
export function parseDarknetCfg(text: string): DarknetCfg {
  if (typeof text !== 'string') throw new ValueError(`${FN}: 'text' must be a string (the cfg file's contents), got ${describe(text)}`);
  const pending: Pending[] = [];
  const lines = text.split(/\r\n|\r|\n/);
  lines.forEach((rawLine, i) => {
    const line = i + 1;
    const s = rawLine.replace(/[#;].*$/, '').trim();
    if (s === '') return;
    if (s.startsWith('[')) {
      const m = /^\[\s*([^\]]*?)\s*\]$/.exec(s);
      if (!m) fail(line, `malformed section header ${JSON.stringify(s)} (expected [name])`);
      const type = SECTION_ALIASES[m[1].toLowerCase()];
      if (!type) fail(line, `unknown section [${m[1]}] (known: ${[...new Set(Object.keys(SECTION_ALIASES))].join(', ')})`);
      if (pending.length === 0 && type !== 'net') fail(line, `the first section must be [net] or [network], got [${m[1]}]`);
      if (pending.length > 0 && type === 'net') fail(line, `[${m[1]}] may only be the first section`);
      pending.push({ type, line, raw: {}, lines: {} });
      return;
    }
    const eq = s.indexOf('=');
    if (eq < 0) fail(line, `expected 'key=value' or '[section]', got ${JSON.stringify(s)}`);
    const key = s.slice(0, eq).trim();
    const value = s.slice(eq + 1).trim();
    if (key === '') fail(line, `missing key before '=' in ${JSON.stringify(s)}`);
    if (value === '') fail(line, `'${key}' has no value`);
    const cur = pending[pending.length - 1];
    if (!cur) fail(line, `'${key}' appears before the first section ([net])`);
    if (key in cur.raw) fail(line, `'${key}' is repeated in [${cur.type}] (first on line ${cur.lines[key]})`);
    cur.raw[key] = value;
    cur.lines[key] = line;
  });
  if (pending.length === 0) throw new FormatError(`${FN}: the cfg has no sections (expected [net] first)`, 'cfg');
  const unknownKeys: UnknownCfgKey[] = [];
  const sections = pending.map((p, k) => finish(p, k, unknownKeys));
  return { sections, unknownKeys };
}
