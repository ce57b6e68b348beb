/**
 * A live loss chart on a canvas: every term of the YOLOv2 loss per step, log scale, no dependencies.
 */
import type { StepTerms } from './train-core.js';

export const TERM_COLOURS: Record<keyof StepTerms, string> = {
  total: '#111111', coord: '#ff3b30', obj: '#34c759', noobj: '#0a84ff', cls: '#af52de',
};

/** Draw `history` (one entry per step) on `canvas`, each term a line, y in log10. */
export function drawLossChart(canvas: HTMLCanvasElement, history: readonly StepTerms[]): void {
  const ctx = canvas.getContext('2d')!;
  const W = canvas.width;
  const H = canvas.height;
  const pad = { l: 48, r: 90, t: 10, b: 24 };
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, W, H);
  ctx.font = '12px system-ui, sans-serif';
  const keys = Object.keys(TERM_COLOURS) as Array<keyof StepTerms>;
  const values = history.flatMap((h) => keys.map((k) => h[k])).filter((v) => Number.isFinite(v) && v > 0);
  if (values.length === 0) {
    ctx.fillStyle = '#666';
    ctx.fillText('no steps yet', pad.l, H / 2);
    return;
  }
  const lo = Math.floor(Math.log10(Math.min(...values)));
  const hi = Math.ceil(Math.log10(Math.max(...values)));
  const span = Math.max(1, hi - lo);
  const n = Math.max(2, history.length);
  const x = (i: number): number => pad.l + ((W - pad.l - pad.r) * i) / (n - 1);
  const y = (v: number): number => pad.t + ((H - pad.t - pad.b) * (hi - Math.log10(v))) / span;
  ctx.strokeStyle = '#ddd';
  ctx.fillStyle = '#444';
  ctx.lineWidth = 1;
  for (let e = lo; e <= lo + span; e++) {
    ctx.beginPath();
    ctx.moveTo(pad.l, y(10 ** e));
    ctx.lineTo(W - pad.r, y(10 ** e));
    ctx.stroke();
    ctx.fillText(`1e${e}`, 4, y(10 ** e) + 4);
  }
  ctx.fillText(`step ${history.length}`, W - pad.r - 60, H - 6);
  keys.forEach((k, row) => {
    ctx.strokeStyle = TERM_COLOURS[k];
    ctx.lineWidth = k === 'total' ? 2 : 1.2;
    ctx.beginPath();
    let pen = false;
    history.forEach((h, i) => {
      const v = h[k];
      if (!(Number.isFinite(v) && v > 0)) {
        pen = false;
        return;
      }
      if (pen) ctx.lineTo(x(i), y(v));
      else ctx.moveTo(x(i), y(v));
      pen = true;
    });
    ctx.stroke();
    ctx.fillStyle = TERM_COLOURS[k];
    const last = history[history.length - 1][k];
    ctx.fillText(`${k} ${Number.isFinite(last) ? last.toFixed(3) : last}`, W - pad.r + 6, pad.t + 14 + row * 16);
  });
}
