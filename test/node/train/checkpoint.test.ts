import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, open, readdir, rename, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FormatError, ValueError } from '../../../src/index.js';
import { fnv1a, loadCheckpoint, saveCheckpoint, saveCheckpointWith, type Checkpoint, type CheckpointFs } from '../../../src/node/train/checkpoint.js';
import { train } from '../../../src/node/train/trainer.js';
import { fixedBatch, stubLoss, tinyModel } from './tiny-setup.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'yolov2-ckpt-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const ckptAt = (step: number): Checkpoint => ({
  epoch: step, step, seenImages: 4 * step, rngState: { s: step },
  tensors: [
    { name: 'w', group: 'model', shape: [2, 3], values: new Float32Array([1, 2, 3, 4, 5, 6].map((v) => v + step)) },
    { name: 'momentum:0', group: 'optimizer', shape: [2, 3], values: new Float32Array(6).fill(step / 8) },
  ],
});

/** The real fs calls, counted; the call numbered `failAfter` runs and then throws (a crash right after it). */
function failingFs(failAfter: number): { fs: CheckpointFs; calls: () => number } {
  let n = 0;
  const step = async <T>(run: () => Promise<T>): Promise<T> => {
    const out = await run();
    if (++n === failAfter) throw new Error(`injected failure after file-system call ${n}`);
    return out;
  };
  const fs: CheckpointFs = {
    mkdir: (p) => step(() => mkdir(p, { recursive: true })),
    open: (p, flags) =>
      step(() => open(p, flags)).then((h) => ({
        writeFile: (d: Uint8Array) => step(() => h.writeFile(d)),
        sync: () => step(() => h.sync()),
        close: () => step(() => h.close()),
      })),
    rename: (a, b) => step(() => rename(a, b)),
    readdir: (p) => step(() => readdir(p)),
    unlink: (p) => step(() => unlink(p)),
  };
  return { fs, calls: () => n };
}

describe('checkpoints are atomic as a unit', () => {
  it('a failure after each file-system step of a write leaves a complete checkpoint loadable (the previous one until the rename, then the new one)', async () => {
    const clean = failingFs(0);
    const probe = tmp();
    await saveCheckpointWith(clean.fs, probe, ckptAt(1), 1);
    const first = clean.calls();
    await saveCheckpointWith(clean.fs, probe, ckptAt(2), 1);
    const total = clean.calls() - first;
    // mkdir, open, writeFile, sync, close, rename, open dir, sync dir, close dir, readdir, unlink the old one
    expect(total).toBe(11);
    const loaded: number[] = [];
    for (let k = 1; k <= total; k++) {
      const dir = tmp();
      await saveCheckpoint(dir, ckptAt(1));
      const { fs, calls } = failingFs(k);
      // the write stops there (the directory sync alone is best effort: a platform may refuse it)
      const outcome = await saveCheckpointWith(fs, dir, ckptAt(2), 1).then(() => 'done', (e: Error) => e.message);
      expect(outcome).toBe(k === 7 || k === 8 ? 'done' : `injected failure after file-system call ${k}`);
      expect(calls()).toBeGreaterThanOrEqual(k);
      const ck = await loadCheckpoint(dir);
      expect(ck).toEqual({ ...ckptAt(ck.step), extra: {} });
      loaded.push(ck.step);
    }
    // the rename is call 6: before it the previous checkpoint loads, from it on the new one
    expect(loaded).toEqual([1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2]);
  });

  it('keeps the newest keepLast checkpoints (default 2) and clears the partial files of interrupted writes', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'ckpt-000000007.bin.tmp'), 'half a checkpoint');
    for (const step of [1, 2, 3, 4]) await saveCheckpoint(dir, ckptAt(step));
    expect(readdirSync(dir).sort()).toEqual(['ckpt-000000003.bin', 'ckpt-000000004.bin']);
    await saveCheckpoint(dir, ckptAt(5), { keepLast: 3 });
    expect(readdirSync(dir).sort()).toEqual(['ckpt-000000003.bin', 'ckpt-000000004.bin', 'ckpt-000000005.bin']);
    expect((await loadCheckpoint(dir)).step).toBe(5);
    await expect(saveCheckpoint(dir, ckptAt(6), { keepLast: 0 })).rejects.toThrow(/'keepLast' must be .*got 0/);
    await expect(saveCheckpoint(dir, ckptAt(6), { keeplast: 2 } as never)).rejects.toThrow(/unknown option 'keeplast'.*did you mean 'keepLast'/);
  });

  it('resume: a directory with only partial files is an error (never a silent restart); an empty or absent one starts fresh', async () => {
    const opts = { loss: stubLoss, batches: fixedBatch, epochs: 1, stepsPerEpoch: 2, schedule: { lr: 0.01 }, progress: false as const, resume: true };
    const partial = tmp();
    writeFileSync(join(partial, 'ckpt-000000001.bin.tmp'), 'the first checkpoint ever, cut short');
    const model = tinyModel();
    await expect(train({ ...opts, model, checkpointDir: partial })).rejects.toThrow(
      (`loadCheckpoint: ${partial} holds only partial files of an interrupted write (ckpt-000000001.bin.tmp) and no complete checkpoint; delete them (or the directory) to start over`),
    );
    const empty = tmp();
    expect((await train({ ...opts, model, checkpointDir: empty })).history[0].step).toBe(0);
    expect((await train({ ...opts, model, checkpointDir: join(empty, 'absent') })).history[0].step).toBe(0);
    model.dispose();
  });
});

/** A checkpoint file written by hand from the documented layout, with any metadata (checksum made to match). */
function craft(dir: string, meta: Record<string, unknown>, values: number[]): string {
  let json = JSON.stringify(meta);
  while (json.length % 4 !== 0) json += ' ';
  const bytes = new Uint8Array(16 + json.length + 4 * values.length + 4);
  const view = new DataView(bytes.buffer);
  bytes.set(Buffer.from('YV2CKPT\n'), 0);
  view.setUint32(8, 2, true);
  view.setUint32(12, json.length, true);
  bytes.set(Buffer.from(json), 16);
  values.forEach((v, i) => view.setFloat32(16 + json.length + 4 * i, v, true));
  view.setUint32(bytes.length - 4, parseInt(fnv1a(bytes.subarray(0, bytes.length - 4)), 16), true);
  const file = join(dir, 'ckpt-000000003.bin');
  writeFileSync(file, bytes);
  return file;
}

describe('checkpoint metadata: covered by the checksum and validated field by field', () => {
  const good = { epoch: 1, step: 3, seenImages: 6, rngState: { s: 1 }, extra: {}, valueCount: 2, tensors: [{ name: 'w', group: 'model', shape: [2], offset: 0, length: 2 }] };

  it('reads a hand-written file (the layout is as documented)', async () => {
    const dir = tmp();
    craft(dir, good, [0.5, -2]);
    const ck = await loadCheckpoint(dir);
    expect(ck).toMatchObject({ epoch: 1, step: 3, seenImages: 6, rngState: { s: 1 } });
    expect(Array.from(ck.tensors[0].values)).toEqual([0.5, -2]);
  });

  it.each([
    ['step', 'abc', `'step' must be an integer ≥ 0, got "abc"`],
    ['step', null, `'step' must be an integer ≥ 0, got null`],
    ['step', -3, `'step' must be an integer ≥ 0, got -3`],
    ['step', 2.5, `'step' must be an integer ≥ 0, got 2.5`],
    ['epoch', undefined, `'epoch' must be an integer ≥ 0, got nothing`],
    ['seenImages', '6', `'seenImages' must be an integer ≥ 0, got "6"`],
    ['rngState', null, `'rngState' must be the data RNG's state (a JSON object) or absent, got null`],
    ['rngState', 7, `'rngState' must be the data RNG's state (a JSON object) or absent, got 7`],
    ['extra', [1], `'extra' must be a JSON object, got [1]`],
  ])('%s: %j is a FormatError naming the field, the file, what was expected and what arrived', async (field, value, message) => {
    const dir = tmp();
    const file = craft(dir, { ...good, [field]: value }, [0.5, -2]);
    const e = (await loadCheckpoint(dir).catch((x: unknown) => x)) as FormatError;
    expect(e).toBeInstanceOf(FormatError);
    expect(e.message).toBe(`loadCheckpoint: ${file}: ${message}`);
    expect((e as FormatError).file).toBe(file);
  });

  it('a tensor table that does not fit, and any flipped metadata byte, are FormatErrors', async () => {
    const dir = tmp();
    const file = craft(dir, { ...good, tensors: [{ name: 'w', group: 'model', shape: [3], offset: 0, length: 3 }] }, [0.5, -2]);
    await expect(loadCheckpoint(dir)).rejects.toThrow(`loadCheckpoint: ${file}: 'tensors[0]' ('w') must fit the 2 stored values with 3 values, got {"offset":0,"length":3}`);
    craft(dir, good, [0.5, -2]);
    const bytes = readFileSync(file);
    bytes[20] ^= 0x01; // inside the metadata JSON
    writeFileSync(file, bytes);
    await expect(loadCheckpoint(dir)).rejects.toThrow(/checksum [0-9a-f]{8} does not match the stored [0-9a-f]{8}/);
  });

  it('saveCheckpoint validates the counters it writes', async () => {
    await expect(saveCheckpoint(tmp(), { ...ckptAt(1), step: -1 })).rejects.toThrow(new ValueError(`saveCheckpoint: the checkpoint: 'step' must be an integer ≥ 0, got -1`));
  });
});

describe('the two-file format of earlier versions', () => {
  /** checkpoint.json + checkpoint.bin as version 1 wrote them. */
  function legacy(dir: string, meta: Record<string, unknown>): void {
    const bin = new Uint8Array(new Float32Array([1, 2, 3, 4, 5, 6]).buffer);
    writeFileSync(join(dir, 'checkpoint.bin'), bin);
    const table = [{ name: 'w', group: 'model', shape: [2, 3], offset: 0, length: 6 }];
    writeFileSync(join(dir, 'checkpoint.json'), JSON.stringify({ format: 'yolov2-ts-checkpoint', version: 1, epoch: 1, step: 3, seenImages: 6, rngState: null, extra: {}, byteLength: 24, checksum: fnv1a(bin), tensors: table, ...meta }));
  }

  it('is still read, validated field by field; its rngState null means no RNG, which a run with an RNG refuses', async () => {
    const dir = tmp();
    legacy(dir, {});
    const ck = await loadCheckpoint(dir);
    expect(ck).toMatchObject({ epoch: 1, step: 3, seenImages: 6 });
    expect(ck.rngState).toBeUndefined();
    legacy(dir, { step: 'abc' });
    await expect(loadCheckpoint(dir)).rejects.toThrow(`loadCheckpoint: ${join(dir, 'checkpoint.json')}: 'step' must be an integer ≥ 0, got "abc"`);
    // a run with a data RNG resuming from a checkpoint without its state: an error, not a silent reshuffle
    mkdirSync(join(dir, 'run'));
    const model = tinyModel();
    await train({ model, loss: stubLoss, batches: fixedBatch, epochs: 1, stepsPerEpoch: 1, schedule: { lr: 0.01 }, progress: false, checkpointDir: join(dir, 'run') });
    const rng = { getState: () => ({ s: 1 }), setState: () => {} };
    await expect(train({ model, loss: stubLoss, batches: fixedBatch, epochs: 2, stepsPerEpoch: 1, schedule: { lr: 0.01 }, progress: false, checkpointDir: join(dir, 'run'), resume: true, rng }))
      .rejects.toThrow(/has no 'rngState' but this run has a data RNG \('rng'\): expected the RNG's state, got nothing/);
    model.dispose();
  });
});
