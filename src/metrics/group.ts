/**
 * Grouping one class's records by image, the step {@link vocAP} and {@link cocoAP} share: a detection
 * is matched only against the ground truth of its own image.
 *
 * @internal
 * @packageDocumentation
 */

/**
 * Reusable scratch that groups a list of row indices by image (a stable counting sort): after
 * {@link ImageGroups.group}, the rows of image `img` are `items[start[img] … start[img] + count[img] − 1]`
 * in their input order, and {@link ImageGroups.images} lists the images that hold at least one row
 * (in order of first appearance). Images not in that list have `count` 0.
 * @internal
 */
export class ImageGroups {
  /** First position of each image's rows in {@link items}. */
  readonly start: Int32Array;
  /** Number of rows per image (0 for an image without rows). */
  readonly count: Int32Array;
  /** The grouped rows. */
  readonly items: Int32Array;
  /** Images with at least one row, in order of first appearance. */
  readonly images: number[] = [];

  /**
   * @param numImages number of images (image indices are `0 … numImages − 1`).
   * @param capacity the largest number of rows one call groups.
   */
  constructor(numImages: number, capacity: number) {
    this.start = new Int32Array(numImages);
    this.count = new Int32Array(numImages);
    this.items = new Int32Array(capacity);
  }

  /**
   * Group `rows[r0 … r0 + n − 1]` by `imageOf[row]`, replacing the previous grouping.
   * @param rows row indices (e.g. one class's segment of a by-class grouping).
   * @param imageOf image index of every row.
   */
  group(rows: ArrayLike<number>, r0: number, n: number, imageOf: ArrayLike<number>): void {
    const { start, count, items, images } = this;
    for (const img of images) count[img] = 0;
    images.length = 0;
    for (let j = r0; j < r0 + n; j++) {
      const img = imageOf[rows[j]];
      if (count[img]++ === 0) images.push(img);
    }
    let offset = 0;
    for (const img of images) {
      start[img] = offset;
      offset += count[img];
      count[img] = 0;
    }
    for (let j = r0; j < r0 + n; j++) {
      const row = rows[j];
      const img = imageOf[row];
      items[start[img] + count[img]++] = row;
    }
  }
}
