/**
 * Weight quantisation in the TF.js weights-manifest format (`quantization: { dtype, scale?, min? }`),
 * which `tf.loadLayersModel` dequantises on load: float16 (half precision, round to nearest even) and
 * uint8 (per-tensor affine, `v ≈ q·scale + min`).
 *
 * @packageDocumentation
 */
import type * as tf from '@tensorflow/tfjs-core';

/** The quantisations `convertDarknet` writes. */
export type WeightQuantization = 'float16' | 'uint8';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE half-precision bits of `v` (round to nearest even; overflow → ±Infinity, NaN kept). @internal */
export function float16Bits(v: number): number {
  f32[0] = v;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    const m = mant | 0x800000; // subnormal half: shift the implicit 1 in
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let q = m >>> shift;
    const rest = m & ((1 << shift) - 1);
    if (rest > half || (rest === half && q & 1)) q++;
    return sign | q;
  }
  let q = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && q & 1)) q++; // may carry into the exponent, as it should
  return sign | q;
}

/**
 * Quantise float32 weights: each spec gets its `quantization` entry and the bytes are re-encoded.
 * Non-float32 weights are kept as they are.
 * @param specs the weight specs, in the order of `data`.
 * @param data the float32 weight bytes.
 * @returns the new specs and bytes.
 */
export function quantizeWeights(
  specs: readonly tf.io.WeightsManifestEntry[],
  data: ArrayBuffer,
  dtype: WeightQuantization,
): { specs: tf.io.WeightsManifestEntry[]; data: ArrayBuffer } {
  const parts: Uint8Array[] = [];
  const out: tf.io.WeightsManifestEntry[] = [];
  let offset = 0;
  for (const spec of specs) {
    const n = spec.shape.reduce((a, b) => a * b, 1);
    const bytes = n * 4;
    if (spec.dtype !== 'float32' && spec.dtype !== undefined) {
      parts.push(new Uint8Array(data, offset, bytes));
      out.push({ ...spec });
      offset += bytes;
      continue;
    }
    const values = new Float32Array(data.slice(offset, offset + bytes));
    offset += bytes;
    if (dtype === 'float16') {
      const q = new Uint16Array(n);
      for (let i = 0; i < n; i++) q[i] = float16Bits(values[i]);
      parts.push(new Uint8Array(q.buffer));
      out.push({ ...spec, quantization: { dtype: 'float16' } });
    } else {
      let min = Infinity;
      let max = -Infinity;
      for (const v of values) {
        if (v < min) min = v;
        if (v > max) max = v;
      }
      if (n === 0) [min, max] = [0, 0];
      const scale = max > min ? (max - min) / 255 : 1;
      const q = new Uint8Array(n);
      for (let i = 0; i < n; i++) q[i] = Math.round((values[i] - min) / scale);
      parts.push(q);
      out.push({ ...spec, quantization: { dtype: 'uint8', scale, min } });
    }
  }
  const total = parts.reduce((s, p) => s + p.byteLength, 0);
  const joined = new Uint8Array(total);
  let p = 0;
  for (const part of parts) {
    joined.set(part, p);
    p += part.byteLength;
  }
  return { specs: out, data: joined.buffer };
}
