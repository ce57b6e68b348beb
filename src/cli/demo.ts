/**
 * `yolov2-ts demo`: what `npm run demo` runs (examples/demo.ts: synthetic shapes, training, evaluation,
 * pictures). The example ships with the repository, not with the npm package: run it from a clone.
 *
 * @packageDocumentation
 */
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { type GlobalOptions, UsageError } from './common.js';

/** The `demo` subcommand. */
export function demoCommand(globals: () => GlobalOptions): Command {
  return new Command('demo')
    .description('train and evaluate on synthetic shapes (npm run demo); writes runs/demo/')
    .option('--quick', 'a tiny budget: the whole pipeline in seconds')
    .option('--out <dir>', 'output folder', 'runs/demo')
    .addHelpText('after', '\nExample:\n  yolov2-ts demo --quick')
    .action(async (o: { quick?: boolean; out: string }) => {
      const g = globals();
      const candidates = ['../../examples/demo.ts', '../../examples/demo.js'].map((p) => fileURLToPath(new URL(p, import.meta.url)));
      const file = candidates.find((f) => existsSync(f));
      if (!file) throw new UsageError('demo: examples/demo.ts is not here; it ships with the repository (git clone, then npm run demo)');
      const demo = (await import(pathToFileURL(file).href)) as { runDemo: (o: object) => Promise<unknown>; DEMO_QUICK: object };
      await demo.runDemo({ ...(o.quick ? demo.DEMO_QUICK : {}), out: o.out, progress: !g.quiet });
    });
}
