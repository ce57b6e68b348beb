import { describe, expect, it } from 'vitest';
import { ValueError } from '../../../src/errors.js';
import { resolveLossConfig, LOSS_PRESETS } from '../../../src/loss/presets.js';
import { parseDarknetCfg } from '../../../src/models/darknet-cfg/parse.js';
import { regionDecodeOptions, regionLossOptions } from '../../../src/models/darknet-cfg/region.js';
import { trainingConfigFromNet } from '../../../src/models/darknet-cfg/net.js';
import type { NetOptions, RegionOptions } from '../../../src/models/darknet-cfg/schema.js';
import { thrown } from '../../helpers.js';

const sectionOf = <T>(text: string, type: string) => parseDarknetCfg(text).sections.find((s) => s.type === type)!.options as T;
const REGION = `[net]\n[region]\nanchors = 1.08,1.19,  3.42,4.41\nbias_match=1\nclasses=20\ncoords=4\nnum=2\nsoftmax=1\njitter=.3\nrescore=1\nobject_scale=5\nnoobject_scale=0.5\nclass_scale=2\ncoord_scale=1.5\nthresh = .6\nrandom=1\n`;

describe('regionLossOptions / regionDecodeOptions', () => {
  const region = sectionOf<RegionOptions>(REGION, 'region');

  it('maps each [region] key onto the loss options, the rest from LOSS_PRESETS.darknet', () => {
    const o = regionLossOptions(region);
    expect(o).toEqual({
      ...LOSS_PRESETS.darknet,
      anchors: [[1.08, 1.19], [3.42, 4.41]],
      numClasses: 20,
      anchorUnits: 'grid',
      objScale: 5,
      noobjScale: 0.5,
      classScale: 2,
      coordScale: 1.5,
      ignoreThresh: 0.6,
      objTarget: 'iou',
      anchorMatch: 'shape',
      classLoss: 'softmax-ce',
      priorWarmup: { images: 12800, scale: 0.01 },
    });
    expect(() => resolveLossConfig('test', o)).not.toThrow();
    expect(regionLossOptions({ ...region, rescore: false }).objTarget).toBe('one');
  });

  it('rejects what the loss cannot reproduce, naming each setting', () => {
    const e = thrown(() => regionLossOptions({ ...region, softmax: false, bias_match: false, sqrt: true }));
    expect(e).toBeInstanceOf(ValueError);
    expect(e.message).toMatch(/softmax=0.*bias_match=0.*sqrt=1/);
    expect(thrown(() => regionLossOptions({ ...region, anchors: [1, 2, 3] }))).toBeInstanceOf(ValueError);
    expect(thrown(() => regionDecodeOptions({ ...region, anchors: [1, -2, 3, 4] })).message).toMatch(/anchor 0/);
    expect(thrown(() => regionDecodeOptions(null as never))).toBeInstanceOf(ValueError);
  });

  it('decode options: grid anchors, classes, NHWC', () => {
    expect(regionDecodeOptions(region)).toEqual({ anchors: [[1.08, 1.19], [3.42, 4.41]], numClasses: 20, anchorUnits: 'grid', layout: 'NHWC' });
  });
});

describe('trainingConfigFromNet', () => {
  const text = `[net]\nbatch=64\nsubdivisions=8\nwidth=416\nheight=320\nchannels=3\nmomentum=0.9\ndecay=0.0005\nangle=7\nsaturation = .75\nexposure = 1.5\nhue=.1\nlearning_rate=0.001\nburn_in=1000\nmax_batches = 80200\npolicy=steps\nsteps=40000,60000\nscales=.1,.1\n`;

  it('maps batch/subdivisions, SGD, burn-in, steps, augmentation and lists what it cannot reproduce', () => {
    const net = sectionOf<NetOptions>(text, 'net');
    const region = sectionOf<RegionOptions>(REGION, 'region');
    const c = trainingConfigFromNet(net, { region, iterationsPerEpoch: 100 });
    expect(c.inputSize).toEqual([320, 416]);
    expect([c.batchSize, c.microBatch, c.accumulation]).toEqual([64, 8, 8]);
    expect(c.sgd).toEqual({ momentum: 0.9, weightDecay: 0.0005 });
    // burn_in 1000 iterations / 100 per epoch = 10 epochs; steps 40000, 60000 → epochs 400, 600
    expect(c.schedule).toEqual({ lr: 0.001, warmup: { epochs: 10, mode: 'burn-in', power: 4 }, decay: { type: 'multistep', milestones: [400, 600], gamma: 0.1 } });
    expect(c.maxIterations).toBe(80200);
    expect(c.multiScale).toBe(true);
    expect(c.augment).toEqual({ jitter: 0.3, hue: 0.1, saturation: 1 / 0.75, exposure: 1.5 });
    expect(c.unsupported).toEqual(['angle=7 (no rotation augmentation)']);
  });

  it("folds steps ≤ 0 into the rate and lists unequal scales and other policies (yolov2-tiny-voc's schedule)", () => {
    const tiny = sectionOf<NetOptions>('[net]\nlearning_rate=0.001\npolicy=steps\nsteps=-1,100,20000,30000\nscales=.1,10,.1,.1\n', 'net');
    const c = trainingConfigFromNet(tiny);
    expect(c.schedule.lr).toBeCloseTo(0.0001, 12);
    expect(c.schedule.decay).toEqual({ type: 'constant' });
    expect(c.unsupported[0]).toMatch(/^scales=0.1,10,0.1,0.1 \(unequal scales/);
    const poly = trainingConfigFromNet(sectionOf<NetOptions>('[net]\npolicy=poly\npower=4\nmax_crop=512\n', 'net'));
    expect(poly.unsupported).toEqual(['max_crop=512 (classifier crops)', 'policy=poly (supported: constant, step, steps; schedule kept constant)']);
    const step = trainingConfigFromNet(sectionOf<NetOptions>('[net]\npolicy=step\nstep=100\nscale=0.5\nmax_batches=350\n', 'net'));
    expect(step.schedule.decay).toEqual({ type: 'multistep', milestones: [100, 200, 300], gamma: 0.5 });
    expect(step.multiScale).toBe(false);
    expect(step.augment.jitter).toBeUndefined();
  });

  it('rejects malformed input', () => {
    const net = sectionOf<NetOptions>(text, 'net');
    expect(thrown(() => trainingConfigFromNet({ ...net, batch: 60 }))).toBeInstanceOf(ValueError);
    expect(thrown(() => trainingConfigFromNet(net, { iterationsPerEpoc: 3 } as never)).message).toMatch(/did you mean 'iterationsPerEpoch'/);
    expect(thrown(() => trainingConfigFromNet(net, { iterationsPerEpoch: 0 }))).toBeInstanceOf(ValueError);
    expect(thrown(() => trainingConfigFromNet(undefined as never))).toBeInstanceOf(ValueError);
  });
});
