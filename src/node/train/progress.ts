/**
 * The trainer's reporting: a progress bar on a TTY, a plain line every few steps otherwise, and the
 * JSON-lines log file.
 *
 * @packageDocumentation
 * @internal
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import cliProgress from 'cli-progress';
import type { StepRecord } from './contracts.js';

/**
 * The JSON-lines log of a run. Each line is written synchronously when its step ends, so the file
 * always holds every finished step: a crash loses no line, and a reader (`tail -f`, a chart) sees a
 * step as soon as it is taken. One short line per step costs microseconds against a training step.
 * @internal
 */
export interface LineLog {
  write(line: string): void;
  close(): void;
}

/** Open `path` for appending (its directory created as needed). @internal */
export async function openLog(path: string): Promise<LineLog> {
  await mkdir(dirname(path), { recursive: true });
  let fd: number | undefined = openSync(path, 'a');
  return {
    write(line: string) {
      if (fd !== undefined) writeSync(fd, line);
    },
    close() {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}

/** Progress display of a run. @internal */
export interface Progress {
  update(r: StepRecord, step: number, stepsPerEpoch: number, epochs: number): void;
  stop(): void;
}

function fmt(x: number): string {
  return Math.abs(x) >= 100 ? x.toFixed(1) : x.toPrecision(4);
}

/** The progress bar (TTY) or plain lines every `logEvery` steps. @internal */
export function makeProgress(stepsPerEpoch: number, epochs: number, logEvery?: number): Progress {
  const totalSteps = stepsPerEpoch * epochs;
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format:
          'train |{bar}| {value}/{total} steps · epoch {epoch} · loss {loss} (coord {coord} obj {obj} noobj {noobj} cls {cls}) · lr {lr} · {ips} img/s · ETA {eta_formatted}',
        hideCursor: true,
        etaBuffer: 20,
        stream: process.stderr,
      },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update(r, step) {
        const payload = {
          epoch: `${r.epoch + 1}/${epochs}`, loss: fmt(r.total), coord: fmt(r.coord), obj: fmt(r.obj),
          noobj: fmt(r.noobj), cls: fmt(r.cls), lr: r.lr.toExponential(2), ips: r.imagesPerSecond.toFixed(1),
        };
        if (!started) {
          bar.start(totalSteps, step, payload);
          started = true;
        } else bar.update(step, payload);
      },
      stop: () => bar.stop(),
    };
  }
  const every = logEvery ?? Math.max(1, Math.round(stepsPerEpoch / 10));
  const t0 = performance.now();
  let first = -1;
  return {
    update(r, step) {
      if (first < 0) first = step - 1;
      if (step % every !== 0 && step !== totalSteps) return;
      const done = step - first;
      const eta = ((performance.now() - t0) / 1000 / done) * (totalSteps - step);
      console.log(
        `train ${step}/${totalSteps} epoch ${r.epoch + 1}/${epochs} loss ${fmt(r.total)} (coord ${fmt(r.coord)} obj ${fmt(r.obj)} noobj ${fmt(r.noobj)} cls ${fmt(r.cls)}) lr ${r.lr.toExponential(2)} ${r.imagesPerSecond.toFixed(1)} img/s ETA ${Math.round(eta)} s`,
      );
    },
    stop() {},
  };
}
