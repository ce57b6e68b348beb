/**
 * Plain-data box records shared by {@link vocAP} and {@link cocoAP}.
 *
 * @packageDocumentation
 */

/**
 * A ground-truth object.
 *
 * `box` is corners `(x1, y1, x2, y2)` with `x1 ≤ x2` and `y1 ≤ y2`, in the units of the detections
 * (VOC pixel boxes, absolute pixels, or fractions of the image).
 */
export interface GroundTruthBox {
  /** The image this object belongs to. Numbers are accepted and compared as their decimal string (`7` and `'7'` are one image). */
  imageId: string | number;
  /** Integer class id, `0 ≤ classId < numClasses`. */
  classId: number;
  /** `(x1, y1, x2, y2)`. */
  box: [number, number, number, number] | readonly number[];
  /** VOC "difficult" flag: ignored by {@link vocAP} unless `useDifficult` (default false). */
  difficult?: boolean;
}

/** A detection: a scored box of one class in one image. Same box format as {@link GroundTruthBox}. */
export interface DetectionBox {
  /** The image the detection was made on; a number is compared as its decimal string, as in {@link GroundTruthBox}. */
  imageId: string | number;
  /** Integer class id. */
  classId: number;
  /** `(x1, y1, x2, y2)`. */
  box: [number, number, number, number] | readonly number[];
  /** Confidence; higher first. Finite. */
  score: number;
}

/** Ground truth for {@link cocoAP}: adds the COCO `area` and `iscrowd` fields. */
export interface COCOGroundTruthBox extends GroundTruthBox {
  /** Area used for the area ranges; defaults to the box's `(x2 − x1) · (y2 − y1)`. */
  area?: number;
  /** A crowd region: never counted, can absorb any number of detections. Default false. */
  iscrowd?: boolean;
}
