/**
 * Opening the dataset of a `--data` config in the subcommands, with file errors as usage errors.
 *
 * @packageDocumentation
 */
import type { DataConfig, DataSplit, DetectionDataset } from '../node/index.js';
import { mustExist } from './common.js';

/** Read `--data` and open one split (the first of `splits` that the config has). */
export async function openSplit(file: string, splits: readonly DataSplit[]): Promise<{ config: DataConfig; dataset: DetectionDataset; split: DataSplit }> {
  const { openDataset, readDataConfig } = await import('../node/data/data-config.js');
  const config = await readDataConfig(mustExist('--data', file, 'file'));
  const split = splits.find((s) => config.splits[s]) ?? splits[0];
  return { config, dataset: await openDataset(config, split), split };
}

/** Box sizes `(w, h)` as fractions of a square `size` letterbox, for k-means: every object of every sample. */
export async function letterboxedSizes(dataset: DetectionDataset, size: number, onProgress?: (done: number) => void): Promise<Array<[number, number]>> {
  const sizes: Array<[number, number]> = [];
  for (let i = 0; i < dataset.length; i++) {
    const s = await dataset.get(i);
    const scale = Math.min(size / s.image.width, size / s.image.height);
    for (const o of s.objects) {
      if (o.difficult) continue;
      const w = Math.min(1, ((o.box[2] - o.box[0]) * scale) / size);
      const h = Math.min(1, ((o.box[3] - o.box[1]) * scale) / size);
      if (w > 0 && h > 0) sizes.push([w, h]);
    }
    onProgress?.(i + 1);
  }
  return sizes;
}
