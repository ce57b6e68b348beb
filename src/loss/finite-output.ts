/**
 * The finite check of a head output before the loss or the targets are computed from it: NaN or ±Inf in
 * the network output would otherwise turn every loss term into NaN without a word.
 *
 * @packageDocumentation
 */
import { ValueError, describe } from '../errors.js';
import type { HeadDims } from '../head/layout.js';
import { assertKnownKeys } from '../validate.js';

const FIELDS = ['tx', 'ty', 'tw', 'th', 'to'];

/**
 * Throw unless every value of the head output is finite. `raw` is the output already read in NHWC order
 * (the loss reads it anyway), so the check is one pass over data on the CPU: no kernel, no tensor.
 *
 * @param fn the public function, for the message.
 * @param raw the head output's values in NHWC order, `B·H·W·A·(5+C)` numbers.
 * @param layout the layout of the caller's tensor, so the reported index is an index of that tensor.
 * @throws ValueError naming the first non-finite value: its index in `output`, the image, cell, anchor and
 *   field (`tx, ty, tw, th, to` or the class), and the value.
 * @internal
 */
export function assertFiniteOutput(fn: string, raw: ArrayLike<number>, dims: HeadDims, layout: 'NHWC' | 'NCHW'): void {
  const n = raw.length;
  let i = 0;
  while (i < n && Number.isFinite(raw[i])) i++;
  if (i === n) return;
  const { height: H, width: W, depth: D, numAnchors: A } = dims;
  const channels = A * D;
  const c = i % channels;
  const x = Math.floor(i / channels) % W;
  const y = Math.floor(i / (channels * W)) % H;
  const b = Math.floor(i / (channels * W * H));
  const k = c % D;
  const field = k < 5 ? FIELDS[k] : `class ${k - 5}`;
  const index = layout === 'NHWC' ? [b, y, x, c] : [b, c, y, x];
  throw new ValueError(
    `${fn}: 'output' must be finite everywhere, got ${describe(raw[i])} at output[${index.join(', ')}] ` +
      `(image ${b}, cell row ${y}, column ${x}, anchor ${Math.floor(c / D)}, ${field})`,
  );
}

/**
 * The loss's entry to {@link assertFiniteOutput}: checks `state` (its keys, and `checkFinite` a boolean when
 * given) and runs the check when `state.checkFinite` — or, when absent, `config.checkFinite` — is `true`.
 * @internal
 */
export function checkOutputFinite(
  fn: string, raw: ArrayLike<number>, dims: HeadDims, config: { checkFinite: boolean; layout: 'NHWC' | 'NCHW' },
  state: { checkFinite?: boolean } | undefined,
): void {
  assertKnownKeys(fn, 'state', state, ['seenImages', 'checkFinite']);
  const wanted = state?.checkFinite ?? config.checkFinite;
  if (typeof wanted !== 'boolean') throw new ValueError(`${fn}: 'state.checkFinite' must be a boolean, got ${describe(wanted)}`);
  if (wanted) assertFiniteOutput(fn, raw, dims, config.layout);
}
