import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VOC_ANCHORS } from '../../src/anchors.js';
import { buildTargets, LOSS_PRESETS, packTargets, TargetError, ValueError, YOLOv2Loss } from '../../src/index.js';
import type { YOLOv2LossConfig } from '../../src/loss/presets.js';
import { ANCHORS, C, CASES, F0, F2, type Fixture, fixtureOutput, fixtureShape, H, W } from '../fixtures/loss.js';
import { expectNoLeak, randn, rng } from '../helpers.js';

const A = ANCHORS.length;
const base = { anchors: ANCHORS as unknown as YOLOv2LossConfig['anchors'], numClasses: C };

function tensors(f: Fixture): { output: tf.Tensor4D; targets: tf.Tensor3D } {
  const output = tf.tensor4d(fixtureOutput(f), fixtureShape(f));
  return { output, targets: tf.tensor3d(f.targets) };
}

function values(t: Record<string, tf.Tensor>): Record<string, number> {
  return Object.fromEntries(Object.entries(t).map(([k, v]) => [k, v.dataSync()[0]]));
}

describe('YOLOv2Loss on the hand-computed fixtures', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const { output, targets } = tensors(c.fixture);
      const loss = new YOLOv2Loss({ ...base, ...c.config });
      const terms = loss.compute(output, targets, c.state);
      const v = values(terms as unknown as Record<string, tf.Tensor>);
      for (const k of ['coord', 'obj', 'noobj', 'cls'] as const) expect(v[k], k).toBeCloseTo(c.expected[k], 5);
      expect(v.total).toBeCloseTo(v.coord + v.obj + v.noobj + v.cls, 5);
      if (c.stats) expect(loss.lastStats).toEqual(c.stats);
      tf.dispose([output, targets, terms as unknown as tf.Tensor[]] as never);
    });
  }

  it('every option and every preset is pinned by a case whose numbers differ from another case of its fixture', () => {
    const options = ['ignoreThresh', 'ignoreRule', 'noobjIgnore', 'anchorMatch', 'whSpace', 'boxScale', 'objTarget', 'coordScale',
      'objScale', 'noobjScale', 'classScale', 'halfSquaredError', 'classLoss', 'emptyImages', 'reduction', 'priorWarmup', 'anchorUnits'];
    const key = (e: { coord: number; obj: number; noobj: number; cls: number }): string => [e.coord, e.obj, e.noobj, e.cls].map((x) => x.toFixed(9)).join();
    for (const o of options) {
      const pinned = CASES.filter((c) => c.pins.includes(o));
      expect(pinned.length, o).toBeGreaterThan(0);
      if (o === 'anchorUnits') continue; // pinned by equality: relative anchors given as fractions reproduce grid anchors
      const differs = pinned.some((c) => CASES.some((d) => d.fixture === c.fixture && key(d.expected) !== key(c.expected)));
      expect(differs, o).toBe(true);
    }
    for (const p of Object.keys(LOSS_PRESETS)) expect(CASES.some((c) => c.pins.includes(`preset:${p}`)), p).toBe(true);
  });

  it('relative anchors are really read as fractions: the same numbers as grid units give another loss', () => {
    const { output, targets } = tensors(F0);
    const rel = new YOLOv2Loss({ ...base, anchors: [[0.5, 0.5], [1, 0.5]], anchorUnits: 'grid' });
    const v = rel.compute(output, targets);
    expect(v.total.dataSync()[0]).not.toBeCloseTo(CASES[0].expected.coord + CASES[0].expected.obj + CASES[0].expected.noobj + CASES[0].expected.cls, 3);
    tf.dispose([output, targets, v as unknown as tf.Tensor[]] as never);
  });

  it('NCHW gives the same terms as NHWC', () => {
    const { output, targets } = tensors(F2);
    const nchw = tf.transpose(output, [0, 3, 1, 2]) as tf.Tensor4D;
    const a = values(new YOLOv2Loss(base).compute(output, targets) as never);
    const b = values(new YOLOv2Loss({ ...base, layout: 'NCHW' }).compute(nchw, targets) as never);
    for (const k of Object.keys(a)) expect(b[k]).toBeCloseTo(a[k], 5);
    const ga = tf.grad((x: tf.Tensor) => new YOLOv2Loss(base).compute(x as tf.Tensor4D, targets).total)(output);
    const gb = tf.grad((x: tf.Tensor) => new YOLOv2Loss({ ...base, layout: 'NCHW' }).compute(x as tf.Tensor4D, targets).total)(nchw);
    const gbT = tf.transpose(gb, [0, 2, 3, 1]);
    const [da, db] = [ga.dataSync(), gbT.dataSync()];
    da.forEach((v, k) => expect(db[k], `gradient entry ${k}`).toBeCloseTo(v, 5));
    tf.dispose([output, targets, nchw, ga, gb, gbT]);
    tf.disposeVariables();
  });
});

describe('YOLOv2Loss gradients', () => {
  it('match the closed form on F0 (darknet defaults, B = 1)', () => {
    const { output, targets } = tensors(F0);
    const loss = new YOLOv2Loss(base);
    const g = tf.grad((x: tf.Tensor) => loss.compute(x as tf.Tensor4D, targets).total)(output);
    const d = g.dataSync();
    const D = 5 + C;
    // row 0 (responsible), σ(ln 3) = 3/4, σ' = 3/4 · 1/4 = 3/16; weight 7/4, ½ on squared errors:
    //   ∂/∂tx = ½ · 7/4 · 2 · (3/4 − 1/2) · 3/16 = 21/256;   ∂/∂ty = 0 (σ(0) = target 1/2)
    //   ∂/∂tw = ½ · 7/4 · 2 · (ln 2 − 0) = 7/4 · ln 2;         ∂/∂th = 0
    //   ∂/∂to = ½ · 5 · 2 · (1/4 − 1/2) · (1/4 · 3/4) = −15/64  (IoU target 1/2 held constant)
    //   ∂/∂c = softmax − one-hot = (1/4 − 0, 3/4 − 1)
    const row0 = [21 / 256, 0, (7 / 4) * Math.log(2), 0, -15 / 64, 1 / 4, -1 / 4];
    row0.forEach((e, k) => expect(d[k], `row 0 channel ${k}`).toBeCloseTo(e, 5));
    // row 1 (no-object, to = 0): ∂/∂to of ½ · σ² = σ · σ' = 1/2 · 1/4 = 1/8; nothing else
    [0, 0, 0, 0, 1 / 8, 0, 0].forEach((e, k) => expect(d[D + k], `row 1 channel ${k}`).toBeCloseTo(e, 6));
    tf.dispose([output, targets, g]);
  });

  const configs: Array<[string, Partial<YOLOv2LossConfig>]> = [
    ['darknet', {}],
    ['recordsV2', LOSS_PRESETS.recordsV2],
    ['recordsRewrite + softmax-mse', { ...LOSS_PRESETS.recordsRewrite, classLoss: 'softmax-mse' }],
    ['warm-up, exp space, sum', { whSpace: 'exp', priorWarmup: { images: 10, scale: 0.5 }, reduction: 'sum' }],
  ];
  for (const [name, cfg] of configs) {
    it(`match central differences with targets held fixed (${name})`, () => {
      // B = 2, 3×3 grid, A = 2, C = 3: 2·9·2 = 36 rows of 8.
      const r = rng(11);
      const cfgFull = { anchors: [[1, 1.5], [2.5, 2]] as YOLOv2LossConfig['anchors'], numClasses: 3, ...cfg };
      const shape: [number, number, number, number] = [2, 3, 3, 16];
      const x0 = randn(r, 2 * 3 * 3 * 16, 0, 1);
      const gt = packTargets([
        [{ classId: 0, box: [0.3, 0.4, 0.3, 0.5] }, { classId: 2, box: [0.8, 0.7, 0.2, 0.2] }],
        [{ classId: 1, box: [0.5, 0.5, 0.6, 0.4] }],
      ]);
      const out0 = tf.tensor4d(x0, shape);
      const fixed = buildTargets(out0, gt, cfgFull);
      const loss = new YOLOv2Loss(cfgFull);
      const state = { seenImages: 0 };
      const f = (x: tf.Tensor): tf.Scalar => loss.computeWithTargets(x as tf.Tensor4D, fixed, state).total;
      const grad = tf.grad(f)(out0).dataSync();
      // float32: a loss of size L is summed with a relative rounding error of a few ulps (2⁻²⁴ ≈ 6e-8 each), so the
      // central difference with step h carries up to ~ 8 · 6e-8 · L / h of noise (≈ 1e-2 for L = 20 at h = 1e-3
      // would be the worst case; typical is far less); truncation error is O(h²) ≈ 1e-6 here. Tolerance: that
      // noise bound plus 1 % of the derivative.
      const h = 1e-3;
      const L = tf.tidy(() => f(out0).dataSync()[0]);
      const noise = (8 * 6e-8 * Math.abs(L)) / h;
      const evalAt = (k: number, delta: number): number => {
        const x = Float32Array.from(x0);
        x[k] += delta;
        return tf.tidy(() => f(tf.tensor4d(x, shape)).dataSync()[0]);
      };
      const picks = Array.from({ length: x0.length }, (_, k) => k).filter((k) => k % 5 === 0 || fixedRow(fixed, k, 16));
      for (const k of picks) {
        const fd = (evalAt(k, h) - evalAt(k, -h)) / (2 * h);
        expect(Math.abs(grad[k] - fd), `entry ${k}: grad ${grad[k]} vs fd ${fd}, L = ${L}`).toBeLessThan(noise + 1e-2 * Math.abs(fd));
      }
      tf.dispose([out0, gt, fixed as never]);
    });
  }
});

/** Whether flat NHWC entry k belongs to a responsible anchor (A = 2, 8 channels each). */
function fixedRow(t: { objMask: tf.Tensor }, k: number, channels: number): boolean {
  const cell = Math.floor(k / channels);
  const a = Math.floor((k % channels) / 8);
  return t.objMask.dataSync()[cell * 2 + a] > 0;
}

describe('YOLOv2Loss edge cases', () => {
  const out = (b: number, fill?: (k: number) => number): tf.Tensor4D =>
    tf.tensor4d(Float32Array.from({ length: b * H * W * A * (5 + C) }, (_, k) => (fill ? fill(k) : 0)), [b, H, W, A * (5 + C)]);

  it('no objects in the batch, all padding: only the no-object term, ½ · 8 · 1/4 per image', () => {
    const output = out(2);
    const targets = tf.tensor3d([[[-1, 0, 0, 0, 0]], [[-1, 0, 0, 0, 0]]]);
    const v = values(new YOLOv2Loss(base).compute(output, targets) as never);
    expect(v).toEqual({ total: 1, coord: 0, obj: 0, noobj: 1, cls: 0 });
    const skipLoss = new YOLOv2Loss({ ...base, emptyImages: 'skip' });
    const skip = values(skipLoss.compute(output, targets) as never);
    expect(skip.total).toBe(0);
    // …and still differentiable (a zero gradient), so a training step on such a batch does not throw
    const g = tf.grad((x: tf.Tensor) => skipLoss.compute(x as tf.Tensor4D, targets).total)(output);
    expect(Array.from(g.dataSync()).every((v) => v === 0)).toBe(true);
    g.dispose();
    tf.dispose([output, targets]);
  });

  it('a centre at cx = cy = 1 belongs to the last cell, with target offset 1', () => {
    const output = out(1);
    const targets = tf.tensor3d([[[1, 1, 1, 0.5, 0.5]]]);
    const t = buildTargets(output, targets, base);
    // g = (2, 2, 1, 1), cell clamped to (1, 1), anchor a0 → row (1·2 + 1)·2 + 0 = 6; targets (2 − 1, 2 − 1, 0, 0)
    expect(Array.from(t.objMask.dataSync())).toEqual([0, 0, 0, 0, 0, 0, 1, 0]);
    expect(Array.from(t.coords.dataSync().subarray(24, 28))).toEqual([1, 1, 0, 0]);
    const v = values(new YOLOv2Loss(base).compute(output, targets) as never);
    expect(Object.values(v).every(Number.isFinite)).toBe(true);
    tf.dispose([output, targets, t as never]);
  });

  it('tiny boxes (w = h = 1e-6) give a large but finite loss and gradient', () => {
    const output = out(1);
    const targets = tf.tensor3d([[[0, 0.5, 0.5, 1e-6, 1e-6]]]);
    const loss = new YOLOv2Loss(base);
    const { value, grad: grads } = tf.valueAndGrad((x: tf.Tensor) => loss.compute(x as tf.Tensor4D, targets).total)(output);
    expect(Number.isFinite(value.dataSync()[0])).toBe(true);
    expect(value.dataSync()[0]).toBeGreaterThan(100); // (ln(2e-6))² ≈ 172 per coordinate
    expect(Array.from(grads.dataSync()).every(Number.isFinite)).toBe(true);
    tf.dispose([output, targets, value, grads]);
  });

  it('logits of ±80 give a finite loss and gradient under every preset', () => {
    const output = out(2, (k) => (k % 3 === 0 ? 80 : k % 3 === 1 ? -80 : 0));
    const targets = tf.tensor3d(F2.targets.concat(F2.targets));
    for (const p of Object.values(LOSS_PRESETS)) {
      const loss = new YOLOv2Loss({ ...base, ...p, anchors: base.anchors });
      const { value, grad: grads } = tf.valueAndGrad((x: tf.Tensor) => loss.compute(x as tf.Tensor4D, targets).total)(output);
      expect(Number.isFinite(value.dataSync()[0])).toBe(true);
      expect(Array.from(grads.dataSync()).every(Number.isFinite)).toBe(true);
      tf.dispose([value, grads]);
    }
    tf.dispose([output, targets]);
  });

  it('C = 1 works: the class term is 0', () => {
    const output = tf.zeros([1, 2, 2, 12]) as tf.Tensor4D;
    const targets = tf.tensor3d([[[0, 0.25, 0.25, 0.5, 0.5]]]);
    const loss = new YOLOv2Loss({ anchors: ANCHORS as never, numClasses: 1 });
    const v = values(loss.compute(output, targets) as never);
    expect(v.cls).toBe(0);
    const g = tf.grad((x: tf.Tensor) => loss.compute(x as tf.Tensor4D, targets).total)(output);
    expect(Array.from(g.dataSync()).every(Number.isFinite)).toBe(true);
    tf.dispose([output, targets, g]);
  });

  it('invalid targets throw TargetError naming the image and row', () => {
    const output = out(2);
    const loss = new YOLOv2Loss(base);
    const cases: Array<[number[], RegExp]> = [
      [[0, NaN, 0.5, 0.1, 0.1], /finite/],
      [[0, 0.5, 0.5, 0, 0.1], /w and h must be > 0/],
      [[0, 0.5, 0.5, 0.1, -1], /w and h must be > 0/],
      [[2, 0.5, 0.5, 0.1, 0.1], /< C = 2/],
      [[0.5, 0.5, 0.5, 0.1, 0.1], /integer/],
      [[-Infinity, 0.5, 0.5, 0.1, 0.1], /classId must be finite/],
    ];
    for (const [row, msg] of cases) {
      const targets = tf.tensor3d([[[-1, 0, 0, 0, 0], [-1, 0, 0, 0, 0]], [[0, 0.5, 0.5, 0.2, 0.2], row]]);
      const before = tf.memory().numTensors;
      let err: unknown;
      try {
        loss.compute(output, targets);
      } catch (e) {
        err = e;
      }
      expect(tf.memory().numTensors).toBe(before);
      expect(err).toBeInstanceOf(TargetError);
      expect((err as TargetError).message).toMatch(msg);
      expect((err as TargetError).message).toMatch(/image 1, row 1/);
      expect([(err as TargetError).image, (err as TargetError).row]).toEqual([1, 1]);
      targets.dispose();
    }
    output.dispose();
  });

  it('rejects unknown options and values with a ValueError naming the option', () => {
    expect(() => new YOLOv2Loss({ ...base, whSpace: 'linear' as never })).toThrow(ValueError);
    expect(() => new YOLOv2Loss({ ...base, whSpace: 'linear' as never })).toThrow(/'whSpace'/);
    expect(() => new YOLOv2Loss({ ...base, ignoreThresh: 1.5 })).toThrow(/'ignoreThresh'/);
    expect(() => new YOLOv2Loss({ ...base, objScale: -1 })).toThrow(/'objScale'/);
    expect(() => new YOLOv2Loss({ ...base, ignoreTresh: 0.5 } as never)).toThrow(/unknown option 'ignoreTresh'/);
    expect(() => new YOLOv2Loss({ ...base, priorWarmup: { images: 10 } as never })).toThrow(/'priorWarmup.scale'/);
  });

  it('only { anchors, numClasses } gives the darknet defaults', () => {
    const { anchors: _a, numClasses: _c, ...rest } = new YOLOv2Loss(base).config;
    expect(rest).toEqual({ ...LOSS_PRESETS.darknet, layout: 'NHWC', priorWarmup: null, outside: 'error', checkFinite: true });
  });
});

describe('YOLOv2Loss in training', () => {
  it('works inside optimizer.minimize and tf.variableGrads, without leaks', () => {
    const { output, targets } = tensors(F2);
    const v = tf.variable(output);
    const loss = new YOLOv2Loss({ ...base, ...LOSS_PRESETS.recordsNew });
    const opt = tf.train.sgd(0.01);
    const first = tf.tidy(() => loss.compute(v as unknown as tf.Tensor4D, targets).total.dataSync()[0]);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) tf.dispose(opt.minimize(() => loss.compute(v as unknown as tf.Tensor4D, targets).total, true) ?? []);
    expect(tf.memory().numTensors).toBe(before);
    const after = tf.tidy(() => loss.compute(v as unknown as tf.Tensor4D, targets).total.dataSync()[0]);
    expect(after).toBeLessThan(first);
    expectNoLeak(() => {
      const { value, grads } = tf.variableGrads(() => loss.compute(v as unknown as tf.Tensor4D, targets).total);
      tf.dispose([value, ...Object.values(grads)]);
    });
    expectNoLeak(() => tf.dispose(loss.compute(output, targets) as never));
    tf.dispose([output, targets, v]);
    opt.dispose();
  });

  it('lastStats reports the last batch and a VOC-sized batch runs', () => {
    const r = rng(3);
    const output = tf.tensor4d(randn(r, 2 * 13 * 13 * 125, 0, 1), [2, 13, 13, 125]);
    const targets = packTargets([[{ classId: 3, box: [0.5, 0.5, 0.3, 0.4] }], []]);
    const loss = new YOLOv2Loss({ anchors: VOC_ANCHORS, numClasses: 20 });
    expectNoLeak(() => tf.dispose(loss.compute(output, targets) as never));
    expect(loss.lastStats).toMatchObject({ objects: 1, assigned: 1, collisions: 0 });
    tf.dispose([output, targets]);
  });
});

/**
 * A plain reference of docs/math.md §6 given grid-shaped targets: one loop over the rows, float64.
 */
function referenceLoss(
  raw: Float32Array, t: Record<'coords' | 'coordWeights' | 'objTarget' | 'objMask' | 'noobjMask' | 'priorMask' | 'classIds', ArrayLike<number>>,
  cfg: Required<Pick<YOLOv2LossConfig, 'whSpace' | 'classLoss' | 'halfSquaredError' | 'reduction' | 'coordScale' | 'objScale' | 'noobjScale' | 'classScale'>>,
  B: number, D: number, warmScale: number,
): Record<'coord' | 'obj' | 'noobj' | 'cls', number> {
  const sig = (x: number): number => 1 / (1 + Math.exp(-x));
  const wh = (x: number): number => (cfg.whSpace === 'log' ? x : Math.exp(Math.min(x, 20)));
  let coord = 0, obj = 0, noobj = 0, cls = 0, prior = 0;
  for (let n = 0; n < raw.length / D; n++) {
    const r = raw.subarray(n * D, (n + 1) * D);
    if (t.objMask[n]) {
      const pred = [sig(r[0]), sig(r[1]), wh(r[2]), wh(r[3])];
      for (let k = 0; k < 4; k++) coord += t.coordWeights[n * 4 + k] * (pred[k] - t.coords[n * 4 + k]) ** 2;
      obj += (sig(r[4]) - t.objTarget[n]) ** 2;
      const logits = Array.from(r.subarray(5));
      const m = Math.max(...logits);
      const z = logits.reduce((s, v) => s + Math.exp(v - m), 0);
      const p = logits.map((v) => Math.exp(v - m) / z);
      const k = t.classIds[n];
      cls += cfg.classLoss === 'softmax-ce' ? -(logits[k] - m - Math.log(z)) : p.reduce((s, v, c) => s + (v - (c === k ? 1 : 0)) ** 2, 0);
    }
    noobj += t.noobjMask[n] * sig(r[4]) ** 2;
    const whPrior = cfg.whSpace === 'log' ? r[2] ** 2 + r[3] ** 2 : (wh(r[2]) - 1) ** 2 + (wh(r[3]) - 1) ** 2;
    prior += t.priorMask[n] * warmScale * ((sig(r[0]) - 0.5) ** 2 + (sig(r[1]) - 0.5) ** 2 + whPrior);
  }
  const half = cfg.halfSquaredError ? 0.5 : 1;
  const per = cfg.reduction === 'batch-mean' ? 1 / B : 1;
  return {
    coord: (cfg.coordScale * coord + prior) * half * per,
    obj: cfg.objScale * obj * half * per,
    noobj: cfg.noobjScale * noobj * half * per,
    cls: cfg.classScale * cls * per,
  };
}

describe('YOLOv2Loss against a plain reference on random inputs', () => {
  const configs: Array<Partial<YOLOv2LossConfig>> = [
    {},
    { ...LOSS_PRESETS.recordsNew },
    { ...LOSS_PRESETS.recordsRewrite, classLoss: 'softmax-mse', coordScale: 2, classScale: 0.5 },
    { whSpace: 'exp', priorWarmup: { images: 1, scale: 0.3 }, reduction: 'sum', objTarget: 'one' },
    { ...LOSS_PRESETS.recordsV1, anchorUnits: 'relative', anchors: [[0.2, 0.3], [0.5, 0.4]] },
  ];
  configs.forEach((extra, c) => {
    it(`config ${c}: compute = computeWithTargets(buildTargets) = the reference`, () => {
      const r = rng(100 + c);
      const [B, G, An, Cn] = [3, 3, 2, 3];
      const D = 5 + Cn;
      const cfg = { anchors: [[1, 1.5], [2.5, 2]] as YOLOv2LossConfig['anchors'], numClasses: Cn, ...extra };
      const raw = randn(r, B * G * G * An * D, 0, 1.5);
      const output = tf.tensor4d(raw, [B, G, G, An * D]);
      const ann = Array.from({ length: B }, (_, b) =>
        Array.from({ length: b }, () => ({ classId: Math.floor(r() * Cn), box: [0.1 + 0.8 * r(), 0.1 + 0.8 * r(), 0.05 + 0.5 * r(), 0.05 + 0.5 * r()] as const })),
      );
      const gt = packTargets(ann);
      const loss = new YOLOv2Loss(cfg);
      const t = buildTargets(output, gt, cfg);
      const a = values(loss.compute(output, gt, { seenImages: 0 }) as never);
      const b = values(loss.computeWithTargets(output, t, { seenImages: 0 }) as never);
      const dense = Object.fromEntries(Object.entries(t).filter(([k]) => k !== 'stats').map(([k, v]) => [k, (v as tf.Tensor).dataSync()]));
      const ref = referenceLoss(raw, dense as never, loss.config, B, D, loss.config.priorWarmup?.scale ?? 0);
      for (const k of ['coord', 'obj', 'noobj', 'cls'] as const) {
        expect(a[k], k).toBeCloseTo(b[k], 6);
        expect(Math.abs(a[k] - ref[k]), `${k}: ${a[k]} vs ${ref[k]}`).toBeLessThan(1e-5 * Math.max(1, Math.abs(ref[k])));
      }
      tf.dispose([output, gt, t as never]);
    });
  });
});

describe('YOLOv2Loss properties (fast-check)', () => {
  const obj = fc.record({
    classId: fc.integer({ min: 0, max: 2 }),
    box: fc.tuple(
      fc.double({ min: 0, max: 1, noNaN: true }),
      fc.double({ min: 0, max: 1, noNaN: true }),
      fc.double({ min: 0.01, max: 1, noNaN: true }),
      fc.double({ min: 0.01, max: 1, noNaN: true }),
    ),
  });
  const cfg = { anchors: [[1, 1.5], [2.5, 2]] as YOLOv2LossConfig['anchors'], numClasses: 3 };
  const makeOutput = (): tf.Tensor4D => tf.tensor4d(randn(rng(21), 2 * 3 * 3 * 16, 0, 1.5), [2, 3, 3, 16]);

  it('padding rows anywhere change nothing; terms are ≥ 0 and sum to total; counts add up', () => {
    const output = makeOutput();
    fc.assert(
      fc.property(fc.array(obj, { maxLength: 4 }), fc.array(obj, { maxLength: 4 }), fc.nat(5), (a, b, pad) => {
        const loss = new YOLOv2Loss(cfg);
        const rows = (objs: typeof a): number[][] => objs.map((o) => [o.classId, ...o.box]);
        const padRow = [-1, 0, 0, 0, 0];
        const n = Math.max(1, Math.max(a.length, b.length) + pad);
        const packed = (objs: typeof a, front: boolean): number[][] => {
          const padding = Array.from({ length: n - objs.length }, () => padRow);
          return front ? [...padding, ...rows(objs)] : [...rows(objs), ...padding];
        };
        const t1 = tf.tensor3d([packed(a, false), packed(b, false)]);
        const t2 = tf.tensor3d([packed(a, true), packed(b, true)]);
        const v1 = values(loss.compute(output, t1) as never);
        const s1 = loss.lastStats!;
        const v2 = values(loss.compute(output, t2) as never);
        tf.dispose([t1, t2]);
        tf.disposeVariables();
        for (const k of ['coord', 'obj', 'noobj', 'cls'] as const) {
          expect(v1[k]).toBeGreaterThanOrEqual(0);
          expect(v2[k]).toBeCloseTo(v1[k], 5);
        }
        expect(v1.total).toBeCloseTo(v1.coord + v1.obj + v1.noobj + v1.cls, 4);
        expect(s1.objects).toBe(a.length + b.length);
        expect(s1.assigned + s1.collisions).toBe(s1.objects);
      }),
      { numRuns: 25 },
    );
    output.dispose();
  });

  it('leaks nothing whatever the ground truth', () => {
    const output = makeOutput();
    fc.assert(
      fc.property(fc.array(obj, { maxLength: 3 }), (a) => {
        const n = Math.max(1, a.length);
        const padding = Array.from({ length: n }, () => [-1, 0, 0, 0, 0]);
        const t = tf.tensor3d([a.length ? a.map((o) => [o.classId, ...o.box]) : padding, padding]);
        const loss = new YOLOv2Loss({ ...cfg, ...LOSS_PRESETS.recordsNew });
        expectNoLeak(() => tf.dispose(tf.grad((x: tf.Tensor) => loss.compute(x as tf.Tensor4D, t).total)(output)));
        t.dispose();
      }),
      { numRuns: 15 },
    );
    output.dispose();
  });
});
