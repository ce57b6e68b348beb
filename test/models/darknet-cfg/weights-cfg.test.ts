import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { FormatError, ValueError } from '../../../src/errors.js';
import { modelFromDarknetCfg } from '../../../src/models/darknet-cfg/build.js';
import { parseDarknetCfg } from '../../../src/models/darknet-cfg/parse.js';
import { tinyYOLOv2 } from '../../../src/models/tiny.js';
import { darknetWeightsSize, loadDarknetWeights, saveDarknetWeights } from '../../../src/models/weights.js';
import { expectNoLeak, thrown } from '../../helpers.js';

const build = (text: string) => modelFromDarknetCfg(parseDarknetCfg(text), { seed: 1 });
const conv = (f: number, s: number, bn = true, act = 'leaky') => `[convolutional]\n${bn ? 'batch_normalize=1\n' : ''}filters=${f}\nsize=${s}\npad=1\nactivation=${act}\n`;
const pool = '[maxpool]\nsize=2\nstride=2\n';
const values = (m: { getWeights(): tf.Tensor[] }) => m.getWeights().map((t) => Array.from(t.dataSync()));

/** A .weights file: 20-byte header (version 0.2, seen 0) and the floats. */
function file(floats: number[]): Uint8Array {
  const out = new Uint8Array(20 + 4 * floats.length);
  const v = new DataView(out.buffer);
  v.setInt32(4, 2, true);
  floats.forEach((f, k) => v.setFloat32(20 + 4 * k, f, true));
  return out;
}

describe('darknet weights on cfg-built models', () => {
  it('a 2-layer cfg with known weights: conv+bn+leaky → maxpool → conv with bias', () => {
    const built = build(`[net]\nheight=2\nwidth=2\nchannels=1\n${conv(2, 1)}${pool}${conv(1, 1, false, 'linear')}`);
    // conv0 (bn): beta [0.5, −1], gamma [2, 1], mean [1, 0], variance [4, 1], kernel [out 2, in 1, 1, 1] = [1, −1]
    // conv1 (bias): bias [0.25], kernel [out 1, in 2, 1, 1] = [1, 2]
    const bytes = file([0.5, -1, 2, 1, 1, 0, 4, 1, 1, -1, 0.25, 1, 2]);
    expect(darknetWeightsSize(built.model)).toBe(bytes.byteLength); // 20 + 4·13
    loadDarknetWeights(built.model, bytes);
    const leaky = (v: number) => (v > 0 ? v : 0.1 * v);
    const xs = [1, 2, 3, 4];
    const a0 = Math.max(...xs.map((x) => leaky((2 * (x - 1)) / Math.sqrt(4 + 1e-5) + 0.5)));
    const a1 = Math.max(...xs.map((x) => leaky(-x / Math.sqrt(1 + 1e-5) - 1)));
    const want = 0.25 + a0 + 2 * a1; // ≈ 0.25 + 3.5 − 0.4 = 3.35
    const x = tf.tensor4d(xs, [1, 2, 2, 1]);
    const y = built.model.predict(x) as tf.Tensor;
    expect(y.shape).toEqual([1, 1, 1, 1]);
    expect(y.dataSync()[0]).toBeCloseTo(want, 5);
    expect(Buffer.compare(saveDarknetWeights(built.model), bytes)).toBe(0);
    tf.dispose([x, y]);
    built.model.dispose();
  });

  const d19 = (f: number) => [conv(2 * f, 3), pool, conv(4 * f, 3), pool, conv(8 * f, 3), conv(4 * f, 1), conv(8 * f, 3), pool, conv(16 * f, 3), conv(8 * f, 1),
    conv(16 * f, 3), pool, conv(32 * f, 3), conv(16 * f, 1), conv(32 * f, 3), conv(16 * f, 1), conv(32 * f, 3), pool, conv(64 * f, 3), conv(32 * f, 1),
    conv(64 * f, 3), conv(32 * f, 1), conv(64 * f, 3)].join('');
  const net = '[net]\nheight=64\nwidth=64\nchannels=3\n';
  const classifier = `${net}${d19(1)}${conv(10, 1, false, 'linear')}[avgpool]\n[softmax]\n`;
  const detector = `${net}${d19(1)}${conv(64, 3)}${conv(64, 3)}[route]\nlayers=-9\n${conv(4, 1)}[reorg]\nstride=2\n[route]\nlayers=-1,-4\n${conv(64, 3)}${conv(35, 1, false, 'linear')}[region]\nanchors=1,1,2,2,3,3,4,4,5,5\nnum=5\nclasses=2\n`;

  it("partial weights: the classifier's first 23 layers (18 convs, as darknet19_448.conv.23) into a yolov2-voc-shaped detector", () => {
    const cls = build(classifier);
    const det = modelFromDarknetCfg(parseDarknetCfg(detector), { seed: 2 });
    const backbone = saveDarknetWeights(cls.model, {}, { layers: 23 });
    expect(backbone.byteLength).toBe(darknetWeightsSize(cls.model, {}, { layers: 23 }));
    expect(backbone.byteLength).toBe(darknetWeightsSize(det.model, {}, { convs: 18 }));
    // the whole file does not fit the detector: the message says which prefix it is
    const e = thrown(() => loadDarknetWeights(det.model, backbone));
    expect(e).toBeInstanceOf(FormatError);
    expect(e.message).toMatch(/the file matches the first 23 layers \(18 convs\); pass \{ layers: 23 \}/);
    const headBefore = values(det.model.getLayer('conv22'));
    expectNoLeak(() => loadDarknetWeights(det.model, backbone, { layers: 23 }));
    for (let k = 0; k < 18; k++) {
      expect(values(det.model.getLayer(`conv${k}`))).toEqual(values(cls.model.getLayer(`conv${k}`)));
      expect(values(det.model.getLayer(`bn${k}`))).toEqual(values(cls.model.getLayer(`bn${k}`)));
    }
    expect(values(det.model.getLayer('conv22'))).toEqual(headBefore); // the rest is left as initialised
    // darknet's load_weights_upto: a whole file may be read up to a layer, the rest ignored
    const whole = saveDarknetWeights(cls.model);
    expect(() => loadDarknetWeights(det.model, whole, { layers: 23 })).not.toThrow();
    // and a file too short for the prefix says where it ends
    expect(() => loadDarknetWeights(det.model, backbone.subarray(0, 1000), { layers: 23 })).toThrow(/ends inside layer conv/);
    cls.model.dispose();
    det.model.dispose();
  });

  it('option errors: layers on a hand-built model, both options, out of range', () => {
    const hand = tinyYOLOv2({ numClasses: 1, inputSize: 32, widthMultiplier: 0.0625 });
    expect(thrown(() => saveDarknetWeights(hand, {}, { layers: 3 })).message).toMatch(/needs a model built by modelFromDarknetCfg; for this model pass \{ convs: k \}/);
    const first = saveDarknetWeights(hand, {}, { convs: 2 });
    expect(thrown(() => loadDarknetWeights(hand, first)).message).toMatch(/the first 2 conv layers; pass \{ convs: 2 \}/);
    expect(() => loadDarknetWeights(hand, first, { convs: 2 })).not.toThrow();
    expect(thrown(() => darknetWeightsSize(hand, {}, { convs: 10 }))).toBeInstanceOf(ValueError);
    const cfgModel = build(`[net]\nheight=8\nwidth=8\nchannels=1\n${pool}${conv(2, 1)}`);
    expect(thrown(() => darknetWeightsSize(cfgModel.model, {}, { layers: 1 })).message).toMatch(/hold no conv layer/);
    expect(thrown(() => darknetWeightsSize(cfgModel.model, {}, { layers: 3 }))).toBeInstanceOf(ValueError);
    expect(thrown(() => darknetWeightsSize(cfgModel.model, {}, { layers: 2, convs: 1 })).message).toMatch(/not both/);
    expect(thrown(() => darknetWeightsSize(cfgModel.model, {}, { layer: 2 } as never)).message).toMatch(/did you mean 'layers'/);
    hand.dispose();
    cfgModel.model.dispose();
  });
});
