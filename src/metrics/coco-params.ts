/**
 * The fixed parameters of COCO box evaluation (pycocotools' `Params` for iouType 'bbox') and the
 * per-detection status codes its phases exchange.
 *
 * @packageDocumentation
 */

/** numpy's `linspace(0.5, 0.95, 10)`: `0.5 + i * ((0.95 − 0.5) / 9)`, the last exactly 0.95 (…, 0.85, 0.8999999999999999, 0.95). */
export const COCO_IOU_THRESHOLDS: readonly number[] = Object.freeze(
  Array.from({ length: 10 }, (_, i) => (i === 9 ? 0.95 : 0.5 + i * ((0.95 - 0.5) / 9))),
);
/** numpy's `linspace(0, 1, 101)`: `k * 0.01` (ten of them sit one ulp above k/100, e.g. 0.7000000000000001). */
export const COCO_RECALL_THRESHOLDS: readonly number[] = Object.freeze(Array.from({ length: 101 }, (_, k) => k * 0.01));
/** Area ranges all, small, medium, large — closed at both ends (1024 is small and medium). */
export const COCO_AREA_RANGES: readonly (readonly [number, number])[] = Object.freeze([
  [0, 1e10], [0, 32 ** 2], [32 ** 2, 96 ** 2], [96 ** 2, 1e10],
] as const);

/**
 * Codes the phases exchange. A detection's status at one (area range, IoU threshold): `FP`, `TP` or `IGNORED`
 * (matched ignored ground truth, or unmatched and outside the area range). Its summary in one area range:
 * `ALL_FP` / `ALL_IGNORED` when the status is the same at every threshold (the statuses are then left
 * unwritten), `MIXED` otherwise (read them).
 * @internal
 */
export const COCO_STATUS = Object.freeze({ FP: 0, TP: 1, IGNORED: 2, ALL_FP: 0, ALL_IGNORED: 1, MIXED: 2 } as const);
