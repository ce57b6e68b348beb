/**
 * `yolov2-ts demo`: what `npm run demo` runs (examples/demo.ts: synthetic shapes, training, evaluation,
 * pictures), in a child process through tsx. The example ships with the repository, not with the npm
 * package: run it from a clone.
 *
 * @packageDocumentation
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { type GlobalOptions, UsageError } from './common.js';

/** The `demo` subcommand. */
export function demoCommand(_globals: () => GlobalOptions): Command {
  return new Command('demo')
    .description('train and evaluate on synthetic shapes (npm run demo); writes runs/demo/')
    .option('--quick', 'a tiny budget: the whole pipeline in seconds')
    .option('--out <dir>', 'output folder', 'runs/demo')
    .addHelpText('after', '\nExample:\n  yolov2-ts demo --quick')
    .action(async (o: { quick?: boolean; out: string }) => {
      // src/cli/demo.ts and dist/cli/index.js both sit two folders below the repository root
      const file = fileURLToPath(new URL('../../examples/demo.ts', import.meta.url));
      if (!existsSync(file)) throw new UsageError('demo: examples/demo.ts is not here; it ships with the repository (git clone, npm install, then yolov2-ts demo)');
      const root = dirname(dirname(file));
      const args = ['--import', 'tsx', file, ...(o.quick ? ['--quick'] : []), '--out', resolvePath(o.out)];
      const code = await new Promise<number>((resolve, reject) => {
        spawn(process.execPath, args, { cwd: root, stdio: 'inherit' }).on('error', reject).on('exit', (c) => resolve(c ?? 1));
      });
      if (code !== 0) process.exitCode = code;
    });
}
