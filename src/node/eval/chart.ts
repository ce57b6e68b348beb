/**
 * Charts for people: a vega-lite spec rendered headless (vega-lite → vega → SVG), then rasterised by
 * sharp. `vega`, `vega-lite` and `sharp` are loaded on first use.
 *
 * @packageDocumentation
 */
import { writeFile } from 'node:fs/promises';
import type { StepRecord } from '../train/contracts.js';

/** Render a vega-lite spec to an SVG string with vega's headless renderer. */
export async function renderVegaLiteSVG(spec: Record<string, unknown>): Promise<string> {
  const [vega, vl] = await Promise.all([import('vega'), import('vega-lite')]);
  const compiled = vl.compile(spec as unknown as Parameters<typeof vl.compile>[0]).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Render a vega-lite spec to PNG bytes; `scale` 2 (default) gives a sharp picture on high-DPI screens. */
export async function renderVegaLitePNG(spec: Record<string, unknown>, scale = 2): Promise<Buffer> {
  const svg = await renderVegaLiteSVG(spec);
  const { default: sharp } = await import('sharp');
  return sharp(Buffer.from(svg), { density: 72 * scale }).png().toBuffer();
}

/**
 * The vega-lite spec of a loss curve: every term of every step (log scale), plus the learning rate in a
 * second panel. Skipped (non-finite) steps are left out.
 */
export function lossCurveSpec(history: readonly StepRecord[], title = 'training loss'): Record<string, unknown> {
  const terms = ['total', 'coord', 'obj', 'noobj', 'cls'] as const;
  const values = history
    .filter((r) => !r.skipped)
    .flatMap((r) => terms.map((t) => ({ step: r.step, term: t, value: Math.max(r[t], 1e-6) })));
  const lr = history.map((r) => ({ step: r.step, lr: r.lr }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    vconcat: [
      {
        width: 560, height: 260, data: { values },
        mark: { type: 'line', strokeWidth: 1.2 },
        encoding: {
          x: { field: 'step', type: 'quantitative', title: 'optimizer step' },
          y: { field: 'value', type: 'quantitative', title: 'loss (per image)', scale: { type: 'log' } },
          color: { field: 'term', type: 'nominal', sort: [...terms], title: 'term' },
        },
      },
      {
        width: 560, height: 80, data: { values: lr },
        mark: { type: 'line', strokeWidth: 1.2, color: '#555' },
        encoding: {
          x: { field: 'step', type: 'quantitative', title: 'optimizer step' },
          y: { field: 'lr', type: 'quantitative', title: 'learning rate', axis: { format: '.0e' } },
        },
      },
    ],
    config: { background: 'white', font: 'DejaVu Sans' },
  };
}

/** Write the loss curve of a training run (the trainer's `history`) as a PNG. */
export async function writeLossCurvePNG(path: string, history: readonly StepRecord[], title?: string): Promise<void> {
  await writeFile(path, await renderVegaLitePNG(lossCurveSpec(history, title)));
}
