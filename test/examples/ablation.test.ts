import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runAblation } from '../../examples/ablation.js';
import { DEMO_QUICK } from '../../examples/demo.js';

// Like the demo test: the ablation picks its own backend, so one leg of the matrix is enough.
const leg = process.env.YOLOV2_TEST_BACKEND ?? 'cpu';
const out = mkdtempSync(join(tmpdir(), 'yolov2-ablation-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe.runIf(leg === 'wasm')('npm run ablation (one comparison on a tiny budget)', () => {
  it('runs both losses and writes the training records\' per-size tables', async () => {
    const text = await runAblation({ steps: 2, only: ['loss'], out, demo: { ...DEMO_QUICK, evalSizes: [96, 128], progress: false } });
    expect(text).toBe(readFileSync(join(out, 'ablations.md'), 'utf8'));
    expect(text).toContain('## New loss vs old loss');
    expect(text).toContain('# New YOLOv2Loss (recordsNew)');
    expect(text).toContain('# Old YOLOv2Loss (recordsOld = v2)');
    expect(text).not.toContain('## v1 vs v2');
    // one table per run, one line per evaluated size, in the training records' format
    expect(text.match(/Input Size：\[96x96\] ap50_95: = \d\.\d{4} ap50: = \d\.\d{4}/g)).toHaveLength(2);
    expect(text.match(/Input Size：\[128x128\]/g)).toHaveLength(2);
    expect(text).toContain('lr 0.001 with cosine decay, gradient norm clipped at 10');
    for (const run of ['new', 'old']) expect(existsSync(join(out, run, 'report.json')), run).toBe(true);
  }, 300_000);

  it('rejects an unknown or empty comparison list before training anything', async () => {
    await expect(runAblation({ only: ['loss', 'nope'], out })).rejects.toThrow(/'only' must list some of loss, anchors, v1v2, lr, got \["loss","nope"\]/);
    await expect(runAblation({ only: [], out })).rejects.toThrow(/'only'/);
  });
});
