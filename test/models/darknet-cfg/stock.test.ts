/**
 * The stock YOLOv2-family cfgs, written here from their published layer lists (the files themselves are not
 * in the repository; set YOLOV2_DARKNET_CFG_DIR to a folder holding darknet's own yolov2-voc.cfg, yolov2.cfg,
 * yolov2-tiny-voc.cfg, yolov2-tiny.cfg and darknet19_448.cfg to check those too).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { modelFromDarknetCfg } from '../../../src/models/darknet-cfg/build.js';
import { parseDarknetCfg } from '../../../src/models/darknet-cfg/parse.js';
import { darknetLayerTable } from '../../../src/models/darknet-cfg/table.js';
import { yolov2 } from '../../../src/models/darknet19.js';
import { loadDarknetWeights, saveDarknetWeights } from '../../../src/models/weights.js';
import { randn, rng } from '../../helpers.js';

const conv = (f: number, s: number, bn = true, act = 'leaky') =>
  `[convolutional]\n${bn ? 'batch_normalize=1\n' : ''}filters=${f}\nsize=${s}\nstride=1\npad=1\nactivation=${act}\n`;
const pool = (s = 2, st = 2) => `[maxpool]\nsize=${s}\nstride=${st}\n`;
const net = (w: number) => `[net]\nbatch=64\nsubdivisions=8\nwidth=${w}\nheight=${w}\nchannels=3\n`;
const region = (classes: number) => `[region]\nanchors=1,1, 2,2, 3,3, 4,4, 5,5\nclasses=${classes}\nnum=5\ncoords=4\nsoftmax=1\n`;
const DARKNET19 = [conv(32, 3), pool(), conv(64, 3), pool(), conv(128, 3), conv(64, 1), conv(128, 3), pool(), conv(256, 3), conv(128, 1),
  conv(256, 3), pool(), conv(512, 3), conv(256, 1), conv(512, 3), conv(256, 1), conv(512, 3), pool(), conv(1024, 3), conv(512, 1),
  conv(1024, 3), conv(512, 1), conv(1024, 3)];
const YOLOV2 = (w: number, classes: number) => [net(w), ...DARKNET19, conv(1024, 3), conv(1024, 3), '[route]\nlayers=-9\n', conv(64, 1),
  '[reorg]\nstride=2\n', '[route]\nlayers=-1,-4\n', conv(1024, 3), conv(5 * (5 + classes), 1, false, 'linear'), region(classes)].join('\n');
const TINY = (f7: number, classes: number) => [net(416), conv(16, 3), pool(), conv(32, 3), pool(), conv(64, 3), pool(), conv(128, 3), pool(),
  conv(256, 3), pool(), conv(512, 3), pool(2, 1), conv(1024, 3), conv(f7, 3), conv(5 * (5 + classes), 1, false, 'linear'), region(classes)].join('\n');
const STOCK: Record<string, string> = {
  'yolov2-voc.cfg': YOLOV2(416, 20),
  'yolov2.cfg': YOLOV2(608, 80),
  'yolov2-tiny-voc.cfg': TINY(1024, 20),
  'yolov2-tiny.cfg': TINY(512, 80),
  'darknet19_448.cfg': [net(448), ...DARKNET19, conv(1000, 1, false, 'linear'), '[avgpool]\n', '[softmax]\ngroups=1\n'].join('\n'),
};
/** Totals published with the hand-built models (darknet19.ts, tiny.ts) and by YAD2K's yolov2 (COCO) summary. */
const KNOWN_TOTALS: Record<string, number> = { 'yolov2-voc.cfg': 50_676_061, 'yolov2.cfg': 50_983_561, 'yolov2-tiny-voc.cfg': 15_867_885 };

/**
 * Independent count: walk the sections tracking only the channel count (a route sums its sources', a reorg
 * multiplies by 4); each conv stores k·k·c·n weights plus n biases, or 4n batch-norm values instead.
 */
function expectedParams(text: string): number {
  const blocks = text.split(/^\[/m).slice(2).map((b) => ({ type: b.slice(0, b.indexOf(']')), kv: Object.fromEntries([...b.matchAll(/^(\w+)\s*=\s*(.+)$/gm)].map((m) => [m[1], m[2].trim()])) }));
  const channels: number[] = [];
  let c = Number(/channels=(\d+)/.exec(text)![1]);
  let total = 0;
  blocks.forEach((b, i) => {
    if (b.type === 'convolutional') {
      const n = Number(b.kv.filters), k = Number(b.kv.size);
      total += k * k * c * n + (b.kv.batch_normalize === '1' ? 4 * n : n);
      c = n;
    } else if (b.type === 'route') c = b.kv.layers.split(',').map((s) => Number(s)).reduce((sum, r) => sum + channels[r < 0 ? i + r : r], 0);
    else if (b.type === 'reorg') c *= 4;
    channels.push(c);
  });
  return total;
}

describe('the stock cfgs', () => {
  const dir = process.env.YOLOV2_DARKNET_CFG_DIR;
  const sources: Array<[string, string]> = Object.entries(STOCK).map(([n, t]) => [`${n} (test-written)`, t]);
  if (dir) for (const n of Object.keys(STOCK)) sources.push([`${n} (${dir})`, readFileSync(join(dir, n), 'utf8')]);

  it.each(sources)('%s builds with darknet\'s parameter count', (name, text) => {
    const built = modelFromDarknetCfg(parseDarknetCfg(text), { inputSize: 64 });
    const want = expectedParams(text);
    const total = built.layers.reduce((n, l) => n + l.params, 0);
    expect(total).toBe(want);
    expect(built.model.countParams()).toBe(want);
    const known = KNOWN_TOTALS[name.split(' ')[0]];
    if (known !== undefined) expect(total).toBe(known);
    expect(darknetLayerTable(built.layers)).toContain(`total parameters: ${want.toLocaleString('en-US')}`);
    built.model.dispose();
  });

  it('the cfg-built yolov2-voc and yolov2({ numClasses: 20 }) agree to 1e-5 with the same darknet weights', () => {
    const hand = yolov2({ numClasses: 20, inputSize: 64 });
    // non-trivial batch-norm statistics, so the test also covers their order in the file
    for (const layer of hand.layers.filter((l) => /^bn\d+$/.test(l.name))) {
      const n = layer.getWeights()[0].shape[0];
      const r = rng(n);
      const [gamma, beta, mean, variance] = [randn(r, n, 1, 0.1), randn(r, n, 0, 0.1), randn(r, n, 0, 0.1), randn(r, n, 1, 0.1).map(Math.abs)];
      const ts = [gamma, beta, mean, variance].map((v) => tf.tensor1d(v));
      layer.setWeights(ts);
      tf.dispose(ts);
    }
    const bytes = saveDarknetWeights(hand);
    const built = modelFromDarknetCfg(parseDarknetCfg(STOCK['yolov2-voc.cfg']), { inputSize: 64 });
    loadDarknetWeights(built.model, bytes);
    const x = tf.tensor4d(Float32Array.from({ length: 64 * 64 * 3 }, (_, i) => ((i * 7919) % 256) / 255), [1, 64, 64, 3]);
    const a = hand.predict(x) as tf.Tensor;
    const b = built.model.predict(x) as tf.Tensor;
    expect(b.shape).toEqual([1, 2, 2, 125]);
    const scale = Math.max(1, tf.max(tf.abs(a)).dataSync()[0]);
    const diff = tf.max(tf.abs(tf.sub(a, b))).dataSync()[0];
    expect(diff / scale).toBeLessThan(1e-5);
    // the outputs are not degenerate (measured: max |a| ≈ 0.57, variance ≈ 0.025; the difference is 0)
    expect(tf.tidy(() => tf.moments(a).variance.dataSync()[0])).toBeGreaterThan(1e-3);
    expect(Buffer.compare(saveDarknetWeights(built.model), bytes)).toBe(0); // and saving it back gives the same file
    tf.dispose([x, a, b]);
    hand.dispose();
    built.model.dispose();
  }, 240_000);
});
