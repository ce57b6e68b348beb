/**
 * `npm run ablation`: the training records' comparisons, repeated at small scale on the synthetic shapes
 * with the demo's recipe (tiny-YOLOv2 ×0.25, multi-scale 96–160, CPU), printed in the records' formats:
 *
 *   1. old vs new loss            (LOSS_PRESETS.recordsOld vs recordsNew)        per-size table
 *   2. fixed vs scaled anchors    (recordsOld with anchorUnits 'grid' vs 'relative') per-size table
 *   3. v1 vs v2                   (recordsV1 vs recordsV2)                        VOC07 per-class AP
 *   4. the LR comparison          (tztz: ignore 0.6, lr ÷ 10, no warm-up vs recordsV2: ignore 0.7, lr, warm-up)
 *
 *   npm run ablation                      # every run at the default budget
 *   npm run ablation -- --steps 300       # a shorter budget per run
 *   npm run ablation -- --only loss,anchors
 *
 * Results go to runs/ablation/<run>/ (each a full demo report) and runs/ablation/ablations.md.
 * The learning rates are the demo's (5e-3, batch 16, from scratch), not the records' (1e-3 fine-tuning a
 * pretrained Darknet-19): the comparison keeps the records' ratio (÷ 10) instead of their absolute values.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { formatInputSizeTable, formatVOCReport } from '../src/node/index.js';
import { DEMO_DEFAULTS, runDemo, type DemoOptions, type DemoReport } from './demo.js';

interface Run {
  name: string;
  title: string;
  options: Partial<DemoOptions>;
}

const EVAL_SIZES = [64, 96, 128, 160, 192, 224, 256];

const RUNS: Record<string, Run> = {
  old: { name: 'old', title: 'Old YOLOv2Loss (recordsOld = v2)', options: { lossPreset: 'recordsOld' } },
  new: { name: 'new', title: 'New YOLOv2Loss (recordsNew)', options: { lossPreset: 'recordsNew' } },
  scaled: { name: 'scaled', title: 'Scaled anchors (recordsOld, anchorUnits relative)', options: { lossPreset: 'recordsOld', anchorUnits: 'relative' } },
  v1: { name: 'v1', title: 'v1 (recordsV1: no ignore set)', options: { lossPreset: 'recordsV1' } },
  lrlow: {
    name: 'lrlow', title: 'tztz (ignore 0.6, lr ÷ 10, no warm-up)',
    options: { lossPreset: 'tztz', lr: DEMO_DEFAULTS.lr / 10, warmup: false },
  },
};

const COMPARISONS: Array<{ key: string; heading: string; runs: [string, string]; format: 'sizes' | 'voc' }> = [
  { key: 'loss', heading: 'New loss vs old loss', runs: ['new', 'old'], format: 'sizes' },
  { key: 'anchors', heading: 'Fixed vs scaled anchors', runs: ['old', 'scaled'], format: 'sizes' },
  { key: 'v1v2', heading: 'v1 vs v2', runs: ['v1', 'old'], format: 'voc' },
  { key: 'lr', heading: 'LR, ignore threshold and warm-up', runs: ['lrlow', 'old'], format: 'voc' },
];

const { values } = parseArgs({ args: process.argv.slice(2), options: { steps: { type: 'string' }, only: { type: 'string' }, out: { type: 'string' }, seed: { type: 'string' } } });
const steps = values.steps ? Number(values.steps) : 600;
const out = values.out ?? 'runs/ablation';
const only = values.only ? values.only.split(',') : COMPARISONS.map((c) => c.key);
const chosen = COMPARISONS.filter((c) => only.includes(c.key));
await mkdir(out, { recursive: true });

const reports = new Map<string, DemoReport>();
for (const name of [...new Set(chosen.flatMap((c) => c.runs))]) {
  const run = RUNS[name];
  console.log(`\n=== ${run.title}: ${steps} steps`);
  const report = await runDemo({
    ...run.options, steps, evalSizes: EVAL_SIZES, out: join(out, name), pictures: 2,
    seed: values.seed ? Number(values.seed) : DEMO_DEFAULTS.seed,
  });
  reports.set(name, report);
}

const classNames = ['rectangle', 'ellipse', 'triangle', 'cross'];
const sections: string[] = [];
for (const c of chosen) {
  const blocks = c.runs.map((name) => {
    const r = reports.get(name) as DemoReport;
    const body = c.format === 'sizes'
      ? formatInputSizeTable(r.perSize.map((p) => ({ size: p.size, ap50_95: p.ap50_95, ap50: p.ap50 })))
      : formatVOCReport({ mAP: r.voc07_mAP50, perClass: classNames.map((n, classId) => ({ classId, ap: r.perClassAP[n] })) }, { classNames });
    return `# ${RUNS[name].title}\n${body}`;
  });
  sections.push(`## ${c.heading}\n\n\`\`\`text\n${blocks.join('\n')}\n\`\`\``);
}
const meta = [...reports.values()][0];
const text = `# Ablations (measured by \`npm run ablation -- --steps ${steps}\`)\n\nEach run: tiny-YOLOv2 ×${meta.options.widthMultiplier}, ${steps} SGD steps of ${meta.options.batchSize} synthetic images, multi-scale ${meta.options.trainSizes.join('/')}, evaluated on ${meta.options.testImages} held-out images at ${EVAL_SIZES.join(', ')} px (VOC07 11-point AP at IoU 0.5; ap50_95 is COCO AP). Backend ${meta.backend}.\n\n${sections.join('\n\n')}\n`;
await writeFile(join(out, 'ablations.md'), text);
console.log(`\n${text}`);
