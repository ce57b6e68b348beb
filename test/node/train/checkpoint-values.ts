/** The values the crash test's checkpoint at `step` holds: 100,000 floats (400 KB) that depend on the step. */
export function valuesOf(step: number): Float32Array {
  const n = 100_000 + (step % 7) * 1000;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = step + i / n;
  return out;
}
