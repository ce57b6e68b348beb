import { describe, expect, it } from 'vitest';
import * as core from '../../src/index.js';
import * as node from '../../src/node/index.js';
import { Rng, deriveSeed } from '../../src/data/rng.js';
import { generateSyntheticSample } from '../../src/data/synthetic-scene.js';

describe('the browser-safe synthetic scene (src/data)', () => {
  it('is the very code yolov2-ts/node uses: one generator, one Rng, one class list', () => {
    expect(core.generateSyntheticSample).toBe(node.generateSyntheticSample);
    expect(core.Rng).toBe(node.Rng);
    expect(core.deriveSeed).toBe(node.deriveSeed);
    expect(core.SYNTHETIC_CLASSES).toBe(node.SYNTHETIC_CLASSES);
    expect(core.shapeRowSpan).toBe(node.shapeRowSpan);
  });

  it("draws sample i of seed s as Node's SyntheticDataset does (same pixels, same objects)", () => {
    const options = { width: 64, height: 48, maxObjects: 4 };
    const ds = new node.SyntheticDataset({ seed: 21, length: 3, ...options });
    for (let i = 0; i < 3; i++) {
      const a = generateSyntheticSample(new Rng(deriveSeed(21, i)), options);
      const b = ds.getSync(i);
      expect(Buffer.from(a.image.data).equals(Buffer.from(b.image.data))).toBe(true);
      expect(a.objects).toEqual(b.objects);
      expect(b.id).toBe(`synthetic-21-${i}`);
      expect(a.id).toBe('synthetic');
    }
  });
});
