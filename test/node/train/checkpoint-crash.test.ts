import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint, saveCheckpoint } from '../../../src/node/train/checkpoint.js';
import { rng } from '../../helpers.js';
import { valuesOf } from './checkpoint-values.js';

const here = dirname(fileURLToPath(import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'yolov2-crash-'));
const bundle = join(dir, 'writer.mjs');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
// one plain-JS bundle of the writer (esbuild, which tsup brings), so that each of the many children
// starts in tens of milliseconds instead of compiling TypeScript again
beforeAll(async () => {
  await build({ entryPoints: [join(here, 'checkpoint-writer.child.ts')], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: bundle, logLevel: 'error' });
});

/** Start the writer, wait for "ready", let it write for `ms`, SIGKILL it, wait for its exit. */
async function killWhileWriting(ms: number): Promise<NodeJS.Signals | null> {
  const child = spawn(process.execPath, [bundle, join(dir, 'ckpt')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
    child.on('exit', (code) => reject(new Error(`the writer exited with code ${code} before it was ready`)));
  });
  await new Promise((resolve) => setTimeout(resolve, ms));
  child.kill('SIGKILL');
  return exited;
}

describe('checkpoints survive SIGKILL at any instant', () => {
  it('after each of 24 kills at random instants, loadCheckpoint returns the newest complete checkpoint, verified whole', async () => {
    await saveCheckpoint(join(dir, 'ckpt'), { epoch: 0, step: 0, seenImages: 0, rngState: { n: 0 }, tensors: [{ name: 'w', group: 'model', shape: [valuesOf(0).length], values: valuesOf(0) }] });
    const rand = rng(2026);
    let last = 0;
    let sawPartial = 0;
    for (let kill = 0; kill < 24; kill++) {
      expect(await killWhileWriting(Math.floor(rand() * 60))).toBe('SIGKILL');
      if (readdirSync(join(dir, 'ckpt')).some((n) => n.endsWith('.tmp'))) sawPartial++;
      const ck = await loadCheckpoint(join(dir, 'ckpt')); // throws on a checksum or length mismatch
      expect(ck.step).toBeGreaterThanOrEqual(last);
      expect(ck).toMatchObject({ epoch: ck.step, seenImages: 2 * ck.step, rngState: { n: ck.step } });
      const want = valuesOf(ck.step);
      const got = ck.tensors[0].values;
      expect(got.length).toBe(want.length);
      expect(got.every((v, i) => v === want[i])).toBe(true);
      last = ck.step;
    }
    // the kills did land while writing: the writer advanced, and some kills left a partial file behind
    expect(last).toBeGreaterThan(0);
    expect(sawPartial).toBeGreaterThan(0);
  }, 30_000);
});
