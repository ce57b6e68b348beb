/**
 * Input checks used at the public boundary of every function (never in inner loops).
 * Each throws a typed {@link YOLOv2Error} whose message names the function, the argument,
 * what was expected and what arrived.
 *
 * @internal
 * @packageDocumentation
 */
import { ValueError, describe } from './errors.js';

/**
 * Check a finite number within [min, max] (inclusive unless `open` says otherwise).
 * @internal
 */
export function assertNumber(
  fn: string,
  name: string,
  value: unknown,
  range: { min?: number; max?: number; minOpen?: boolean; maxOpen?: boolean; integer?: boolean; allowInfinity?: boolean } = {},
): asserts value is number {
  const { min = -Infinity, max = Infinity, minOpen = false, maxOpen = false, integer = false, allowInfinity = false } = range;
  const finiteOk = typeof value === 'number' && (Number.isFinite(value) || (allowInfinity && !Number.isNaN(value)));
  const inRange =
    finiteOk &&
    (minOpen ? (value as number) > min : (value as number) >= min) &&
    (maxOpen ? (value as number) < max : (value as number) <= max) &&
    (!integer || Number.isInteger(value));
  if (!inRange) {
    const lo = min === -Infinity ? '' : `${minOpen ? '>' : '≥'} ${min}`;
    const hi = max === Infinity ? '' : `${maxOpen ? '<' : '≤'} ${max}`;
    const what = [integer ? 'an integer' : allowInfinity ? 'a number' : 'a finite number', lo, hi && lo ? `and ${hi}` : hi]
      .filter(Boolean)
      .join(' ');
    throw new ValueError(`${fn}: '${name}' must be ${what}, got ${describe(value)}`);
  }
}

/**
 * Check that a value is one of the allowed strings.
 * @internal
 */
export function assertOneOf<T extends string>(fn: string, name: string, value: unknown, allowed: readonly T[]): asserts value is T {
  if (!allowed.includes(value as T)) {
    throw new ValueError(
      `${fn}: '${name}' must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${describe(value)}`,
    );
  }
}

/**
 * Check that every value of a typed array is finite; report the first offender's index.
 * @internal
 */
export function assertFiniteArray(fn: string, name: string, values: ArrayLike<number>, stride = 1): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      const where = stride > 1 ? `row ${Math.floor(i / stride)}, column ${i % stride}` : `index ${i}`;
      throw new ValueError(`${fn}: '${name}' must be finite everywhere, got ${describe(values[i])} at ${where}`);
    }
  }
}

/** Edit distance of two short strings (for "did you mean" in option errors). */
function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const next = Math.min(row[j] + 1, row[j - 1] + 1, diag + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1));
      diag = row[j];
      row[j] = next;
    }
  }
  return row[b.length];
}

/**
 * Check that an options object (when given) is a plain object whose keys are all known; a misspelled key
 * is an error rather than a silently used default. `undefined` passes.
 * @throws ValueError naming the function, the unknown key, the closest known key and the known keys.
 * @internal
 */
export function assertKnownKeys(fn: string, name: string, options: unknown, known: readonly string[]): void {
  if (options === undefined) return;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new ValueError(`${fn}: '${name}' must be an options object, got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const near = known.map((k) => ({ k, d: editDistance(key, k) })).sort((x, y) => x.d - y.d)[0];
    const hint = near && near.d <= Math.max(2, Math.floor(key.length / 3)) ? ` (did you mean '${near.k}'?)` : '';
    throw new ValueError(`${fn}: unknown option '${key}' in '${name}'${hint}; known options: ${known.join(', ')}`);
  }
}

/**
 * `value` (or `fallback` when it is undefined) as a pair of positive integers (a layer's window, strides,
 * dilations). @throws ValueError `${fn}: '${name}' must be two positive integers, got …`.
 */
export function positiveIntPair(fn: string, name: string, value: unknown, fallback: [number, number]): [number, number] {
  const p = value ?? fallback;
  if (!Array.isArray(p) || p.length !== 2 || !p.every((n) => Number.isInteger(n) && n >= 1)) {
    throw new ValueError(`${fn}: '${name}' must be two positive integers, got ${describe(value)}`);
  }
  return [p[0], p[1]];
}
