/**
 * The sections of a darknet `.cfg` file this library understands, their keys, the type of each value and
 * darknet's default for it (as darknet's cfg parser applies them).
 *
 * @packageDocumentation
 */

/** How a value is read: an integer, a number, a 0/1 flag, a word, or a comma-separated list. @internal */
export type CfgKind = 'int' | 'float' | 'flag' | 'string' | 'ints' | 'floats';

/** One key of a section: its kind and darknet's default (`undefined`: required or absent). @internal */
export interface CfgKeySpec {
  kind: CfgKind;
  default?: number | string | boolean | number[];
}

/** The canonical section names. */
export type CfgSectionType =
  | 'net'
  | 'convolutional'
  | 'maxpool'
  | 'avgpool'
  | 'route'
  | 'reorg'
  | 'upsample'
  | 'shortcut'
  | 'dropout'
  | 'softmax'
  | 'cost'
  | 'region';

/** Section headers darknet accepts, mapped to their canonical names. @internal */
export const SECTION_ALIASES: Readonly<Record<string, CfgSectionType>> = Object.freeze({
  net: 'net',
  network: 'net',
  conv: 'convolutional',
  convolutional: 'convolutional',
  max: 'maxpool',
  maxpool: 'maxpool',
  avg: 'avgpool',
  avgpool: 'avgpool',
  route: 'route',
  reorg: 'reorg',
  upsample: 'upsample',
  shortcut: 'shortcut',
  dropout: 'dropout',
  soft: 'softmax',
  softmax: 'softmax',
  cost: 'cost',
  region: 'region',
});

const int = (d?: number): CfgKeySpec => ({ kind: 'int', default: d });
const float = (d?: number): CfgKeySpec => ({ kind: 'float', default: d });
const flag = (d: boolean): CfgKeySpec => ({ kind: 'flag', default: d });
const str = (d?: string): CfgKeySpec => ({ kind: 'string', default: d });

/** Per section, the keys understood and darknet's defaults. @internal */
export const SECTION_SCHEMA: Readonly<Record<CfgSectionType, Readonly<Record<string, CfgKeySpec>>>> = Object.freeze({
  net: {
    batch: int(1), subdivisions: int(1), width: int(0), height: int(0), channels: int(0),
    momentum: float(0.9), decay: float(0.0001), learning_rate: float(0.001),
    burn_in: int(0), power: float(4), max_batches: int(0), policy: str('constant'),
    steps: { kind: 'ints' }, scales: { kind: 'floats' }, step: int(1), scale: float(1), gamma: float(1),
    angle: float(0), aspect: float(1), saturation: float(1), exposure: float(1), hue: float(0),
    max_crop: int(), min_crop: int(),
  },
  convolutional: {
    batch_normalize: flag(false), filters: int(1), size: int(1), stride: int(1), pad: flag(false), padding: int(0),
    activation: str('logistic'),
  },
  maxpool: { size: int(), stride: int(1), padding: int() },
  avgpool: {},
  route: { layers: { kind: 'ints' } },
  reorg: { stride: int(1), reverse: flag(false) },
  upsample: { stride: int(2), scale: float(1) },
  shortcut: { from: int(), activation: str('linear'), alpha: float(1), beta: float(1) },
  dropout: { probability: float(0.5) },
  softmax: { groups: int(1), temperature: float(1) },
  cost: { type: str('sse'), scale: float(1) },
  region: {
    anchors: { kind: 'floats', default: [] }, classes: int(20), coords: int(4), num: int(1), softmax: flag(false),
    jitter: float(0.2), rescore: flag(false), object_scale: float(1), noobject_scale: float(1), class_scale: float(1),
    coord_scale: float(1), bias_match: flag(false), absolute: flag(false), thresh: float(0.5), random: flag(false),
    log: int(0), sqrt: flag(false),
  },
});

/** `[net]`/`[network]`: input size and training hyper-parameters (darknet's defaults filled in). */
export interface NetOptions {
  batch: number; subdivisions: number; width: number; height: number; channels: number;
  momentum: number; decay: number; learning_rate: number; burn_in: number; power: number; max_batches: number;
  policy: string; steps?: number[]; scales?: number[]; step: number; scale: number; gamma: number;
  angle: number; aspect: number; saturation: number; exposure: number; hue: number; max_crop?: number; min_crop?: number;
}
/** `[convolutional]`. Darknet pads `size/2` (integer division) when `pad=1`, else `padding` pixels. */
export interface ConvolutionalOptions {
  batch_normalize: boolean; filters: number; size: number; stride: number; pad: boolean; padding: number; activation: string;
}
/** `[maxpool]`: `size` defaults to `stride`, `padding` to `size − 1`. */
export interface MaxpoolOptions { size?: number; stride: number; padding?: number }
/** `[route]`: layer indices, negative = relative to this layer. */
export interface RouteOptions { layers?: number[] }
/** `[reorg]`. */
export interface ReorgOptions { stride: number; reverse: boolean }
/** `[upsample]`. */
export interface UpsampleOptions { stride: number; scale: number }
/** `[shortcut]`: adds the output of layer `from` (negative = relative). */
export interface ShortcutOptions { from?: number; activation: string; alpha: number; beta: number }
/** `[dropout]`. */
export interface DropoutOptions { probability: number }
/** `[softmax]`. */
export interface SoftmaxOptions { groups: number; temperature: number }
/** `[cost]`. */
export interface CostOptions { type: string; scale: number }
/** `[region]`: darknet's YOLOv2 detection layer (anchors in grid cells, `num` of them). */
export interface RegionOptions {
  anchors: number[]; classes: number; coords: number; num: number; softmax: boolean; jitter: number; rescore: boolean;
  object_scale: number; noobject_scale: number; class_scale: number; coord_scale: number; bias_match: boolean;
  absolute: boolean; thresh: number; random: boolean; log: number; sqrt: boolean;
}

/** Options type per section type. */
export interface SectionOptionsMap {
  net: NetOptions; convolutional: ConvolutionalOptions; maxpool: MaxpoolOptions; avgpool: Record<string, never>;
  route: RouteOptions; reorg: ReorgOptions; upsample: UpsampleOptions; shortcut: ShortcutOptions; dropout: DropoutOptions;
  softmax: SoftmaxOptions; cost: CostOptions; region: RegionOptions;
}
