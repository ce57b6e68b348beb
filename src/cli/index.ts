#!/usr/bin/env node
/**
 * The `yolov2-ts` command: synth, train, detect, eval, anchors, convert, demo. Each subcommand lives in its own
 * file and is a thin layer over the library. A usage problem (a missing file, a bad flag or config)
 * prints one line and exits with 2; `--verbose` adds the stack trace.
 *
 * @packageDocumentation
 */
import { Command, CommanderError } from 'commander';
import { YOLOv2Error } from '../errors.js';
import { UsageError, oneOf, type GlobalOptions } from './common.js';
import { anchorsCommand } from './anchors.js';
import { convertCommand } from './convert.js';
import { demoCommand } from './demo.js';
import { detectCommand } from './detect.js';
import { evalCommand } from './eval.js';
import { synthCommand } from './synth.js';
import { trainCommand } from './train.js';

const program = new Command('yolov2-ts')
  .description('YOLOv2 on TensorFlow.js: make a dataset, train, detect, evaluate, compute anchors.')
  .option('--verbose', 'print stack traces of errors')
  .option('-q, --quiet', 'no progress output')
  .option('--backend <name>', 'TF.js backend: tensorflow, wasm or cpu (default: the first that starts)', oneOf('tensorflow', 'wasm', 'cpu'))
  .showSuggestionAfterError()
  .exitOverride();

const globals = (): GlobalOptions => program.opts<GlobalOptions>();
for (const make of [synthCommand, trainCommand, detectCommand, evalCommand, anchorsCommand, convertCommand, demoCommand]) {
  program.addCommand(make(globals).exitOverride());
}

async function main(): Promise<void> {
  try {
    await program.parseAsync(process.argv);
  } catch (e) {
    fail(e);
  }
}

function fail(e: unknown): never {
  if (e instanceof CommanderError) {
    // commander printed its one-line message (or the help) already
    process.exit(e.code === 'commander.helpDisplayed' || e.code === 'commander.help' || e.code === 'commander.version' ? 0 : 2);
  }
  const verbose = process.argv.includes('--verbose');
  const err = e as Error;
  const usage = e instanceof UsageError || e instanceof YOLOv2Error;
  process.stderr.write(`yolov2-ts: ${(err?.message ?? String(e)).split('\n')[0]}\n`);
  if (verbose && err?.stack) process.stderr.write(`${err.stack}\n`);
  process.exit(usage ? 2 : 1);
}

void main();
