/**
 * A 3×3 stride-1 'same' convolution with few input channels (the first layer of a detector: 3) on the
 * SIMD matrix products of `simd-gemm.ts`, without im2col: in an input padded by one pixel on each side,
 * the 3·inC values under filter row ky of the output pixels of a row are contiguous and one pixel
 * apart, so output row oy is one product `[W, 9·inC] × [9·inC, outC]` whose A rows overlap (`lda` = one
 * pixel) and are each three runs of 3·inC values, one padded row apart (`gemmRowsSegmented`), with the
 * bias and the activation in its epilogue.
 *
 * @internal
 * @packageDocumentation
 */
import { PANEL, gemmRowsSegmented, type SimdGemm } from './simd-gemm.js';

/**
 * Output rows lo … hi−1 (numbered b·H + oy): a = [xp, w, y, H, W, inC, outC, bias, alpha] with xp the
 * padded input `[B, H + 2, W + 2, inC]`, w the `[9·inC, outC]` filter packed `[outC/8, 9·inC, 8]`, y `[B, H, W, outC]`.
 */
export function directConvRows(k: SimdGemm, a: readonly number[], lo: number, hi: number): void {
  const [xp, w, y, H, W, inC, outC, bias, alpha] = a;
  const pixel = 4 * inC;
  const K = 3 * inC;
  const panels = outC / PANEL;
  // the three filter rows are three runs of 3·inC values, one padded row ((W + 2) pixels) apart
  const jump = (W + 2) * pixel - 4 * K;
  for (let row = lo; row < hi; row++) {
    const b = Math.floor(row / H);
    const oy = row - b * H;
    const src = xp + (b * (H + 2) + oy) * (W + 2) * pixel;
    gemmRowsSegmented(k, src, w, y + row * W * outC * 4, W, K, pixel, 4 * outC, 0, panels, bias, alpha, 3, jump);
  }
}
