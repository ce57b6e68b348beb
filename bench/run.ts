/**
 * `npm run bench -- <name> [<name> …]` runs bench/<name>.bench.ts; with no name, lists them.
 * Each benchmark prints JSON lines {"name","backend","medianMs",...}. Medians, never assertions.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .map((f) => f.replace(/\.bench\.ts$/, ''))
  .sort();
const names = process.argv.slice(2);
if (names.length === 0) {
  console.log(`usage: npm run bench -- <name> [...]\navailable: ${available.join(', ')}`);
  process.exit(0);
}
for (const name of names) {
  if (!available.includes(name)) {
    console.error(`unknown benchmark '${name}'; available: ${available.join(', ')}`);
    process.exit(2);
  }
  const mod = (await import(pathToFileURL(join(here, `${name}.bench.ts`)).href)) as { default: () => Promise<void> };
  await mod.default();
}
