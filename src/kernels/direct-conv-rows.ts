/**
 * A 3×3 stride-1 'same' convolution with few input channels (the first layer of a detector: 3) on the
 * SIMD matrix products of `simd-gemm.ts`, without im2col: in an input padded by one pixel on each side,
 * the 3·inC values under filter row ky of the output pixels of a row are contiguous and one pixel
 * apart, so each filter row is one product `[W, 3·inC] × [3·inC, outC]` whose A rows overlap
 * (`lda` = one pixel). Output row oy is the sum of three such products (ky = 0, 1, 2; the last adds the
 * bias and applies the activation).
 *
 * @internal
 * @packageDocumentation
 */
import { PANEL, gemmRows, type SimdGemm } from './simd-gemm.js';

/**
 * Output rows lo … hi−1 (numbered b·H + oy): a = [xp, w, y, H, W, inC, outC, bias, alpha] with xp the
 * padded input `[B, H + 2, W + 2, inC]`, w the filter rows packed `[3, outC/8, 3·inC, 8]`, y `[B, H, W, outC]`.
 */
export function directConvRows(k: SimdGemm, a: readonly number[], lo: number, hi: number): void {
  const [xp, w, y, H, W, inC, outC, bias, alpha] = a;
  const pixel = 4 * inC;
  const K = 3 * inC;
  const panels = outC / PANEL;
  for (let row = lo; row < hi; row++) {
    const b = Math.floor(row / H);
    const oy = row - b * H;
    const out = y + row * W * outC * 4;
    for (let ky = 0; ky < 3; ky++) {
      const src = xp + (b * (H + 2) + oy + ky) * (W + 2) * pixel;
      const last = ky === 2;
      gemmRows(k, src, w + ky * K * outC * 4, out, W, K, pixel, 4 * outC, 0, panels, last ? bias : undefined, alpha, ky > 0);
    }
  }
}
