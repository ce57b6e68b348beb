/**
 * `modelFromDarknetCfg`: a tfjs-layers model from a parsed darknet cfg, layer for layer.
 *
 * @packageDocumentation
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { ValueError, describe } from '../../errors.js';
import { assertKnownKeys, assertNumber } from '../../validate.js';
import { BN_EPSILON, BN_MOMENTUM, DarknetBatchNorm, LEAKY_ALPHA, Reorg, convLayerNames } from '../layers.js';
import { registerDarknetLayerMap } from './layer-map.js';
import { DarknetMaxPool } from './maxpool-layer.js';
import type { CfgSection, DarknetCfg } from './parse.js';
import { CFG_ACTIVATIONS, type DarknetLayerInfo, netInput, planDarknetCfg } from './plan.js';
import type { ConvolutionalOptions, NetOptions, RegionOptions } from './schema.js';

/** Options of {@link modelFromDarknetCfg}. */
export interface DarknetModelOptions {
  /**
   * Input size in pixels, square (a number) or `[height, width]`; default the cfg's `[net] height, width`.
   * `null` builds a model for any size (`[null, null, channels]`, for multi-scale training); the layer
   * table then shows the cfg's size, and a size that the cfg's strides or reorg cannot divide fails at run time.
   */
  inputSize?: number | readonly [number, number] | null;
  /** Seed of the initial weights (same seed → same model); default unseeded. */
  seed?: number;
  /** Model name; default `'darknet'`. */
  name?: string;
}

/** The result of {@link modelFromDarknetCfg}. */
export interface DarknetModel {
  /**
   * The network: input NHWC `[B, height, width, channels]` (pixel values / 255, as darknet), output the last
   * layer before `[region]` (the raw head `[B, H, W, num·(5 + classes)]`, as `yolov2()` gives), or the last
   * layer of a classifier cfg.
   */
  model: tfl.LayersModel;
  /** The parsed `[net]` section's options. */
  net: NetOptions;
  /** The parsed `[region]` section's options, or null when the cfg has none (a classifier or backbone). */
  region: RegionOptions | null;
  /** Every darknet layer with its geometry and parameter count (see {@link darknetLayerTable}). */
  layers: DarknetLayerInfo[];
}

const KNOWN = ['inputSize', 'seed', 'name'] as const;
type Sym = tfl.SymbolicTensor;

/** The activation layer (checked by the plan: {@link CFG_ACTIVATIONS}). */
function activation(name: string, act: string, x: Sym): Sym {
  if (act === 'linear') return x;
  if (act === 'leaky') return tfl.layers.leakyReLU({ alpha: LEAKY_ALPHA, name }).apply(x) as Sym;
  return tfl.layers.activation({ activation: CFG_ACTIVATIONS[act] as 'relu', name }).apply(x) as Sym;
}

function convLayer(s: CfgSection, info: DarknetLayerInfo, x: Sym, seed: number | undefined): Sym {
  const o = s.options as ConvolutionalOptions;
  const k = info.conv!;
  const names = convLayerNames(k);
  const p = info.pads![0];
  const sameAsTf = o.stride === 1 && 2 * p === o.size - 1;
  let y = x;
  if (!sameAsTf && p > 0) y = tfl.layers.zeroPadding2d({ padding: [[p, p], [p, p]], name: `pad${k}` }).apply(y) as Sym;
  const kernelInitializer = o.batch_normalize ? tfl.initializers.heNormal({ seed }) : tfl.initializers.glorotUniform({ seed });
  y = tfl.layers
    .conv2d({ filters: o.filters, kernelSize: o.size, strides: o.stride, padding: sameAsTf ? 'same' : 'valid', useBias: !o.batch_normalize, name: names.conv, kernelInitializer })
    .apply(y) as Sym;
  if (!o.batch_normalize) return activation(`act${k}`, o.activation, y);
  const fused = o.activation === 'leaky' ? 'leaky' : 'linear';
  y = new DarknetBatchNorm({ epsilon: BN_EPSILON, momentum: BN_MOMENTUM, activation: fused, name: names.bn }).apply(y) as Sym;
  return fused === 'leaky' ? y : activation(`act${k}`, o.activation, y);
}

/** Whether TF's 'same' pooling equals darknet's for every side length (checked over 1…128 pixels). */
function sameAsTfPooling(size: number, stride: number, padding: number): boolean {
  for (let n = 1; n <= 128; n++) {
    const out = Math.floor((n + padding - size) / stride) + 1;
    const tfOut = Math.ceil(n / stride);
    const tfBefore = Math.floor(Math.max((tfOut - 1) * stride + size - n, 0) / 2);
    if (out !== tfOut || tfBefore !== Math.floor(padding / 2)) return false;
  }
  return true;
}

function maxpoolLayer(info: DarknetLayerInfo, x: Sym): Sym {
  const { size, stride, padding } = info as Required<DarknetLayerInfo>;
  const name = `maxpool${info.index}`;
  if (sameAsTfPooling(size, stride, padding)) {
    return tfl.layers.maxPooling2d({ poolSize: size, strides: stride, padding: 'same', name }).apply(x) as Sym;
  }
  return new DarknetMaxPool({ size, stride, padding, name }).apply(x) as Sym;
}

function layerOf(s: CfgSection, info: DarknetLayerInfo, ins: Sym[], seed: number | undefined): Sym {
  const name = `${info.type}${info.index}`;
  const x = ins[0];
  switch (s.type) {
    case 'convolutional':
      return convLayer(s, info, x, seed === undefined ? undefined : seed + info.conv!);
    case 'maxpool':
      return maxpoolLayer(info, x);
    case 'avgpool': {
      const g = tfl.layers.globalAveragePooling2d({ name }).apply(x) as Sym;
      return tfl.layers.reshape({ targetShape: [1, 1, info.output[2]], name: `${name}_hw` }).apply(g) as Sym;
    }
    case 'route':
      return ins.length === 1 ? x : (tfl.layers.concatenate({ axis: -1, name }).apply(ins) as Sym);
    case 'reorg':
      return new Reorg({ stride: 2, name }).apply(x) as Sym;
    case 'upsample':
      return tfl.layers.upSampling2d({ size: [info.stride!, info.stride!], name }).apply(x) as Sym;
    case 'shortcut':
      return activation(`${name}_act`, s.options.activation, tfl.layers.add({ name }).apply(ins) as Sym);
    case 'dropout':
      return tfl.layers.dropout({ rate: s.options.probability, name }).apply(x) as Sym;
    case 'softmax':
      return tfl.layers.softmax({ axis: -1, name }).apply(x) as Sym;
    default: // cost, region: the output of the layer before
      return x;
  }
}

function resolveInput(fn: string, net: NetOptions, line: number, inputSize: DarknetModelOptions['inputSize']) {
  const base = netInput(net, line);
  if (inputSize === undefined || inputSize === null) return base;
  const [h, w] = typeof inputSize === 'number' ? [inputSize, inputSize] : Array.isArray(inputSize) && inputSize.length === 2 ? inputSize : [NaN, NaN];
  if (Number.isNaN(h)) throw new ValueError(`${fn}: 'inputSize' must be a number or [height, width], got ${describe(inputSize)}`);
  assertNumber(fn, 'inputSize (height)', h, { min: 1, integer: true });
  assertNumber(fn, 'inputSize (width)', w, { min: 1, integer: true });
  return { ...base, height: h, width: w };
}

/**
 * Build a tfjs-layers model from a parsed darknet cfg ({@link parseDarknetCfg}), layer for layer.
 *
 * Sections: `[convolutional]` (batch_normalize, filters, size, stride, pad/padding as darknet: `pad=1` means
 * `size/2`; activation leaky, linear, relu, logistic, tanh, mish), `[maxpool]` (darknet's padding: windows
 * start ⌊padding/2⌋ before the input, `padding` defaulting to size − 1, so size 2 stride 1 keeps the size),
 * `[avgpool]` (global, output 1×1×C), `[route]` (relative or absolute indices, concatenated in order),
 * `[reorg]` (stride 2, darknet's order: {@link Reorg}), `[upsample]` (nearest), `[shortcut]` (sum, same
 * shapes), `[dropout]` (identity at inference), `[softmax]`, `[cost]` (identity) and `[region]` (ends the
 * model). Batch norm as darknet (ε 1e-5, after the conv, before the activation).
 *
 * Layer names: the i-th conv (in cfg order, the `.weights` order) is `conv{i}` with its batch norm `bn{i}`,
 * so {@link loadDarknetWeights} and {@link saveDarknetWeights} work on the model; other layers are named
 * `{type}{darknet index}` (`maxpool1`, `route25`, `reorg27`).
 *
 * @param cfg the parsed cfg.
 * @param options `inputSize` (default the cfg's), `seed`, `name`.
 * @throws FormatError naming the cfg line for a section darknet would reject or that is not supported.
 * @throws ValueError for bad options.
 */
export function modelFromDarknetCfg(cfg: DarknetCfg, options: DarknetModelOptions = {}): DarknetModel {
  const fn = 'modelFromDarknetCfg';
  if (!cfg || !Array.isArray((cfg as DarknetCfg).sections) || cfg.sections[0]?.type !== 'net') {
    throw new ValueError(`${fn}: 'cfg' must be the result of parseDarknetCfg, got ${describe(cfg)}`);
  }
  assertKnownKeys(fn, 'options', options, KNOWN);
  if (options.seed !== undefined) assertNumber(fn, 'seed', options.seed, { integer: true });
  const netSection = cfg.sections[0] as Extract<CfgSection, { type: 'net' }>;
  const input = resolveInput(fn, netSection.options, netSection.line, options.inputSize);
  const layers = planDarknetCfg(cfg, input);
  const anySize = options.inputSize === null;
  const image = tfl.input({ shape: [anySize ? null : input.height, anySize ? null : input.width, input.channels], name: 'image' });
  const outs: Sym[] = [];
  layers.forEach((info, i) => {
    const ins = info.from.map((j) => (j < 0 ? image : outs[j]));
    outs.push(layerOf(cfg.sections[i + 1], info, ins, options.seed));
  });
  const model = tfl.model({ inputs: image, outputs: outs[outs.length - 1], name: options.name ?? 'darknet' });
  const convLayers = layers.filter((l) => l.conv !== undefined).map((l) => l.index);
  registerDarknetLayerMap(model, convLayers, layers.length);
  const regionSection = cfg.sections.find((s) => s.type === 'region') as Extract<CfgSection, { type: 'region' }> | undefined;
  return { model, net: netSection.options, region: regionSection ? regionSection.options : null, layers };
}
