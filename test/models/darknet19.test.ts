import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { ValueError } from '../../src/errors.js';
import { reorg, yolov2 } from '../../src/models/index.js';
import { expectNoLeak } from '../helpers.js';

async function roundTrip(model: tfl.LayersModel): Promise<tfl.LayersModel> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      saved = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return tfl.loadLayersModel(tf.io.fromMemory(saved!));
}

describe('yolov2', () => {
  it('is yolov2-voc.cfg layer for layer (m = 0.25)', () => {
    const model = yolov2({ numClasses: 20, inputSize: 64, widthMultiplier: 0.25 });
    const convs = model.layers
      .filter((l) => /^conv\d+$/.test(l.name))
      .map((l) => {
        const c = l.getConfig() as { filters: number; kernelSize: number[]; useBias: boolean };
        return [l.name, c.filters, c.kernelSize[0], c.useBias];
      });
    // yolov2-voc.cfg filters/size ×0.25: Darknet-19 (18 convs), 2×(1024,3), route conv (64,1), (1024,3), head (125,1)
    const cfg = [
      [32, 3], [64, 3], [128, 3], [64, 1], [128, 3], [256, 3], [128, 1], [256, 3],
      [512, 3], [256, 1], [512, 3], [256, 1], [512, 3], [1024, 3], [512, 1], [1024, 3], [512, 1], [1024, 3],
      [1024, 3], [1024, 3], [64, 1], [1024, 3],
    ];
    expect(convs.sort((a, b) => Number((a[0] as string).slice(4)) - Number((b[0] as string).slice(4)))).toEqual([
      ...cfg.map(([f, k], i) => [`conv${i}`, f / 4, k, false]),
      ['conv22', 125, 1, true],
    ]);
    // route: conv20 reads conv12's block output (26×26 at 416, here 4×4), concatenation [reorg, conv19 block]
    expect(model.getLayer('conv20').input).toBe(model.getLayer('bn12').output);
    const route = model.getLayer('route');
    const inputs = route.input as tfl.SymbolicTensor[];
    expect(inputs[0]).toBe(model.getLayer('reorg').output);
    expect(inputs[1]).toBe(model.getLayer('bn19').output);
    expect(route.outputShape).toEqual([null, 2, 2, 4 * 16 + 256]);
    expect(model.outputs[0].shape).toEqual([null, 2, 2, 125]);
    model.dispose();
  });

  it('concatenates darknet-reorg(conv20) first, then the 13×13 features', () => {
    const model = yolov2({ numClasses: 2, inputSize: 64, widthMultiplier: 0.25 });
    const probe = tfl.model({
      inputs: model.inputs,
      outputs: [model.getLayer('bn20').output, model.getLayer('bn19').output, model.getLayer('route').output] as tfl.SymbolicTensor[],
    });
    const x = tf.randomUniform([2, 64, 64, 3]);
    const [fine, coarse, routed] = probe.predict(x) as tf.Tensor4D[];
    const expected = tf.concat([reorg(fine), coarse], 3);
    expect(routed.shape).toEqual(expected.shape);
    expect(Array.from(routed.dataSync())).toEqual(Array.from(expected.dataSync()));
    tf.dispose([x, fine, coarse, routed, expected]);
    model.dispose();
  });

  it('maps any multiple of 32 to [B, H/32, W/32, A·(5+C)] and round-trips save/load', async () => {
    const model = yolov2({ numClasses: 3, anchors: [[1, 1], [2, 2], [3, 3]], widthMultiplier: 0.125 });
    const x = tf.randomUniform([1, 96, 64, 3]);
    const y = model.predict(x) as tf.Tensor;
    expect(y.shape).toEqual([1, 3, 2, 3 * 8]);
    const loaded = await roundTrip(model);
    const y2 = loaded.predict(x) as tf.Tensor;
    expect(Array.from(y2.dataSync())).toEqual(Array.from(y.dataSync()));
    expectNoLeak(() => tf.dispose(loaded.predict(x)));
    tf.dispose([x, y, y2]);
    model.dispose();
    loaded.dispose();
  });

  it('rejects width multipliers that break the reorg', () => {
    expect(() => yolov2({ numClasses: 2, widthMultiplier: 0.1 })).toThrow(ValueError);
    expect(() => yolov2({ numClasses: 2, widthMultiplier: 0.1 })).toThrow(/round\(64·0.1\) = 6 filters; reorg needs a multiple of 4/);
  });
});
