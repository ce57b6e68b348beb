/**
 * The pixel type of the data wing.
 *
 * @packageDocumentation
 */
/** An 8-bit RGB image, row-major HWC (`data[(y * width + x) * 3 + c]`), `data.length = width·height·3`. */
export interface RGBImage {
  width: number;
  height: number;
  data: Uint8Array;
}
