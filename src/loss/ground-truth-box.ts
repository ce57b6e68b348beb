/**
 * The check of one ground-truth box `(cx, cy, w, h)`, normalised to the image, shared by `packTargets`,
 * `buildTargets` and `YOLOv2Loss`: finite, `cx, cy` in [0, 1], `w, h` in (0, 1] — or, with
 * `outside: 'clip'`, intersected with the image first.
 *
 * @packageDocumentation
 */
import { TargetError, describe } from '../errors.js';

/**
 * What the target builders do with a ground-truth box outside the image (`cx` or `cy` outside [0, 1], `w` or
 * `h` above 1): `'error'` (default) throws a {@link TargetError} naming the image, the row and the value;
 * `'clip'` intersects the box with the image `[0, 1] × [0, 1]` and uses what is left (a box with nothing left
 * still throws). The dataset readers clip pixel boxes to the image already, so their batches pass either way.
 */
export type GroundTruthOutside = 'error' | 'clip';

/** The allowed values of {@link GroundTruthOutside}. @internal */
export const GROUND_TRUTH_OUTSIDE: readonly GroundTruthOutside[] = ['error', 'clip'];

/**
 * Check one ground-truth box and return it, clipped to the image when `outside` is `'clip'`.
 *
 * @param fn the public function, for the message. @param b image index. @param r row index.
 * @throws TargetError naming image and row for a non-finite value, `w ≤ 0` or `h ≤ 0`, or (with `'error'`)
 *   `cx`/`cy` outside [0, 1] or `w`/`h` above 1; (with `'clip'`) a box with nothing inside the image.
 * @internal
 */
export function checkGroundTruthBox(
  fn: string, b: number, r: number, cx: number, cy: number, w: number, h: number, outside: GroundTruthOutside = 'error',
): [cx: number, cy: number, w: number, h: number] {
  const at = `${fn}: image ${b}, row ${r}`;
  if (![cx, cy, w, h].every(Number.isFinite)) {
    throw new TargetError(`${at}: box (cx, cy, w, h) must be finite, got (${[cx, cy, w, h].map(describe).join(', ')})`, b, r);
  }
  if (!(w > 0) || !(h > 0)) {
    throw new TargetError(`${at}: box w and h must be > 0, got w = ${w}, h = ${h}`, b, r);
  }
  if (outside === 'clip') {
    const x1 = Math.max(0, cx - w / 2);
    const x2 = Math.min(1, cx + w / 2);
    const y1 = Math.max(0, cy - h / 2);
    const y2 = Math.min(1, cy + h / 2);
    if (!(x2 > x1) || !(y2 > y1)) {
      throw new TargetError(`${at}: box (${cx}, ${cy}, ${w}, ${h}) lies entirely outside the image, nothing is left after clipping`, b, r);
    }
    return [(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1];
  }
  const bad = ([['cx', cx, 'in [0, 1]'], ['cy', cy, 'in [0, 1]'], ['w', w, 'in (0, 1]'], ['h', h, 'in (0, 1]']] as const)
    .find(([name, v]) => (name === 'w' || name === 'h' ? v > 1 : v < 0 || v > 1));
  if (bad) {
    throw new TargetError(
      `${at}: box ${bad[0]} must be ${bad[2]} (normalised to the image), got ${bad[0]} = ${bad[1]}; ` +
        `fix the annotation or pass outside: 'clip' to clip boxes to the image`,
      b, r,
    );
  }
  return [cx, cy, w, h];
}
