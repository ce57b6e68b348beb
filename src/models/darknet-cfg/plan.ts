/**
 * The geometry of a parsed cfg, layer by layer, as darknet computes it: each layer's inputs, input and output
 * shapes `[h, w, c]`, padding, and parameter count. The builder turns this plan into tfjs-layers layers; the
 * layer table prints it.
 *
 * @packageDocumentation
 */
import { FormatError } from '../../errors.js';
import type { CfgSection, DarknetCfg } from './parse.js';
import type { CfgSectionType, NetOptions } from './schema.js';

/** A shape `[height, width, channels]`. */
export type HWC = [height: number, width: number, channels: number];

/** Explicit padding `[top, bottom, left, right]` in pixels (bottom/right may be smaller than top/left). */
export type Pads = [top: number, bottom: number, left: number, right: number];

/** One darknet layer (a section after `[net]`) with its geometry. */
export interface DarknetLayerInfo {
  /** Darknet's layer index (0 = the first section after `[net]`), as `[route] layers=` counts. */
  index: number;
  /** Section type. */
  type: Exclude<CfgSectionType, 'net'>;
  /** 1-based line of the section header in the cfg. */
  line: number;
  /** Darknet indices of the layers feeding this one (−1 = the network input); several for a route. */
  from: number[];
  /** Shape of the (first) input. */
  input: HWC;
  /** Shape of the output. */
  output: HWC;
  /** Filters (conv), or undefined. */
  filters?: number;
  /** Window size (conv, maxpool). */
  size?: number;
  /** Stride (conv, maxpool, reorg, upsample). */
  stride?: number;
  /** Padding at this input size (conv: zeros; maxpool: ignored positions). */
  pads?: Pads;
  /** Darknet's `padding` of a maxpool (default size − 1). */
  padding?: number;
  /** Parameters darknet stores for the layer (conv: `k·k·c·n` weights + n biases, or + 4n with batch norm). */
  params: number;
  /** Position among the conv layers (the `.weights` order; layer names `conv{i}`, `bn{i}`), for convs. */
  conv?: number;
}

/** What the cfg's `[net]` and the caller fix: the input shape. @internal */
export interface PlanInput {
  height: number;
  width: number;
  channels: number;
}

const FN = 'modelFromDarknetCfg';

/** A FormatError about a cfg section, naming its line and darknet index. @internal */
export function sectionError(s: { type: string; line: number }, index: number, what: string): never {
  throw new FormatError(`${FN}: [${s.type}] at line ${s.line} (layer ${index}): ${what}`, 'cfg', s.line);
}

/** Darknet activations the builder supports (darknet name → tfjs-layers activation; leaky is handled apart). @internal */
export const CFG_ACTIVATIONS: Readonly<Record<string, string>> = Object.freeze({
  leaky: 'leaky', linear: 'linear', relu: 'relu', logistic: 'sigmoid', tanh: 'tanh', mish: 'mish',
});

function checkActivation(s: CfgSection, i: number, act: string): void {
  if (!(act in CFG_ACTIVATIONS)) sectionError(s, i, `activation '${act}' is not supported (supported: ${Object.keys(CFG_ACTIVATIONS).join(', ')})`);
}

const shapeText = (s: HWC) => `${s[0]}×${s[1]}×${s[2]}`;

type Planner = (s: CfgSection, i: number, prev: DarknetLayerInfo[], input: HWC) => Omit<DarknetLayerInfo, 'index' | 'type' | 'line'>;

function resolveIndex(s: CfgSection, i: number, ref: number): number {
  const j = ref < 0 ? i + ref : ref;
  if (!Number.isInteger(j) || j < 0 || j >= i) sectionError(s, i, `layer index ${ref} refers to layer ${j}, which is not an earlier layer (0…${i - 1})`);
  return j;
}

const planConv: Planner = (s, i, _prev, [h, w, c]) => {
  const o = (s as Extract<CfgSection, { type: 'convolutional' }>).options;
  if (!(o.filters >= 1 && o.size >= 1 && o.stride >= 1)) sectionError(s, i, `filters, size and stride must be ≥ 1, got ${o.filters}, ${o.size}, ${o.stride}`);
  checkActivation(s, i, o.activation);
  const p = o.pad ? Math.floor(o.size / 2) : o.padding;
  if (p < 0) sectionError(s, i, `padding must be ≥ 0, got ${p}`);
  const oh = Math.floor((h + 2 * p - o.size) / o.stride) + 1;
  const ow = Math.floor((w + 2 * p - o.size) / o.stride) + 1;
  if (oh < 1 || ow < 1) sectionError(s, i, `a ${o.size}×${o.size} window does not fit the ${shapeText([h, w, c])} input`);
  const params = o.size * o.size * c * o.filters + (o.batch_normalize ? 4 : 1) * o.filters;
  return { from: [i - 1], input: [h, w, c], output: [oh, ow, o.filters], filters: o.filters, size: o.size, stride: o.stride, pads: [p, p, p, p], params };
};

const planMaxpool: Planner = (s, i, _prev, [h, w, c]) => {
  const o = (s as Extract<CfgSection, { type: 'maxpool' }>).options;
  const stride = o.stride;
  const size = o.size ?? stride;
  const padding = o.padding ?? size - 1;
  if (!(size >= 1 && stride >= 1 && padding >= 0)) sectionError(s, i, `size and stride must be ≥ 1 and padding ≥ 0, got ${size}, ${stride}, ${padding}`);
  const out = (n: number) => Math.floor((n + padding - size) / stride) + 1;
  const [oh, ow] = [out(h), out(w)];
  if (oh < 1 || ow < 1) sectionError(s, i, `a ${size}×${size} window does not fit the ${shapeText([h, w, c])} input`);
  // darknet's windows start at −⌊padding/2⌋; positions outside the input are ignored
  const top = Math.floor(padding / 2);
  const far = (n: number, o2: number) => (o2 - 1) * stride + size - n - top;
  return { from: [i - 1], input: [h, w, c], output: [oh, ow, c], size, stride, padding, pads: [top, far(h, oh), top, far(w, ow)], params: 0 };
};

const planRoute: Planner = (s, i, prev) => {
  const refs = (s as Extract<CfgSection, { type: 'route' }>).options.layers;
  if (!refs || refs.length === 0) sectionError(s, i, "'layers' is required (one or more layer indices)");
  const from = refs.map((r) => resolveIndex(s, i, r));
  const shapes = from.map((j) => prev[j].output);
  const [h, w] = shapes[0];
  shapes.forEach((sh, k) => {
    if (sh[0] !== h || sh[1] !== w) {
      sectionError(s, i, `layer ${from[k]} outputs ${shapeText(sh)}, layer ${from[0]} ${shapeText(shapes[0])}: the routed layers must share height and width`);
    }
  });
  return { from, input: shapes[0], output: [h, w, shapes.reduce((n, sh) => n + sh[2], 0)], params: 0 };
};

const planReorg: Planner = (s, i, _prev, [h, w, c]) => {
  const o = (s as Extract<CfgSection, { type: 'reorg' }>).options;
  if (o.stride !== 2 || o.reverse) sectionError(s, i, `only stride=2 without reverse is supported, got stride=${o.stride}${o.reverse ? ', reverse=1' : ''}`);
  if (h % 2 || w % 2 || c % 4) sectionError(s, i, `reorg needs an even height and width and channels divisible by 4, got ${shapeText([h, w, c])}`);
  return { from: [i - 1], input: [h, w, c], output: [h / 2, w / 2, 4 * c], stride: 2, params: 0 };
};

const planUpsample: Planner = (s, i, _prev, [h, w, c]) => {
  const o = (s as Extract<CfgSection, { type: 'upsample' }>).options;
  if (!(Number.isInteger(o.stride) && o.stride >= 1) || o.scale !== 1) {
    sectionError(s, i, `only a positive integer stride with scale=1 is supported, got stride=${o.stride}, scale=${o.scale}`);
  }
  return { from: [i - 1], input: [h, w, c], output: [h * o.stride, w * o.stride, c], stride: o.stride, params: 0 };
};

const planShortcut: Planner = (s, i, prev, input) => {
  const o = (s as Extract<CfgSection, { type: 'shortcut' }>).options;
  if (o.from === undefined) sectionError(s, i, "'from' is required");
  checkActivation(s, i, o.activation);
  if (o.alpha !== 1 || o.beta !== 1) sectionError(s, i, `only alpha=1 and beta=1 are supported, got ${o.alpha}, ${o.beta}`);
  const j = resolveIndex(s, i, o.from);
  const other = prev[j].output;
  if (other.some((v, k) => v !== input[k])) {
    sectionError(s, i, `layer ${j} outputs ${shapeText(other)} but the previous layer ${shapeText(input)}: only equal shapes are supported`);
  }
  return { from: [i - 1, j], input, output: input, params: 0 };
};

const same: Planner = (_s, i, _prev, input) => ({ from: [i - 1], input, output: input, params: 0 });

const planSoftmax: Planner = (s, i, prev, input) => {
  const o = (s as Extract<CfgSection, { type: 'softmax' }>).options;
  if (o.groups !== 1 || o.temperature !== 1) sectionError(s, i, `only groups=1 and temperature=1 are supported, got ${o.groups}, ${o.temperature}`);
  return same(s, i, prev, input);
};

const planRegion: Planner = (s, i, prev, input) => {
  const o = (s as Extract<CfgSection, { type: 'region' }>).options;
  const per = o.coords + 1 + o.classes;
  if (o.num * per !== input[2]) {
    sectionError(
      s, i,
      `the previous layer has ${input[2]} channels but num·(coords + 1 + classes) = ${o.num}·(${o.coords} + 1 + ${o.classes}) = ${o.num * per}: set its filters=${o.num * per}`,
    );
  }
  if (o.anchors.length !== 2 * o.num) sectionError(s, i, `'anchors' must hold 2·num = ${2 * o.num} numbers, got ${o.anchors.length}`);
  if (o.coords !== 4) sectionError(s, i, `only coords=4 is supported, got ${o.coords}`);
  return same(s, i, prev, input);
};

const PLANNERS: Record<Exclude<CfgSectionType, 'net'>, Planner> = {
  convolutional: planConv,
  maxpool: planMaxpool,
  avgpool: (_s, i, _p, [h, w, c]) => ({ from: [i - 1], input: [h, w, c], output: [1, 1, c], params: 0 }),
  route: planRoute,
  reorg: planReorg,
  upsample: planUpsample,
  shortcut: planShortcut,
  dropout: same,
  softmax: planSoftmax,
  cost: same,
  region: planRegion,
};

/**
 * Keys this library does not know but that change what a layer computes (from darknet forks), with the value
 * that leaves the layer as darknet's original computes it; any other value is rejected rather than ignored.
 */
const SHAPE_KEYS: Readonly<Record<string, (raw: Record<string, string>) => string>> = Object.freeze({
  groups: () => '1',
  dilation: () => '1',
  stride_x: (raw) => raw.stride ?? '1',
  stride_y: (raw) => raw.stride ?? '1',
  antialiasing: () => '0',
  binary: () => '0',
  xnor: () => '0',
  share_index: () => '',
  maxpool_depth: () => '0',
  weights_type: () => 'none',
});

function checkUnknownKeys(cfg: DarknetCfg): void {
  for (const u of cfg.unknownKeys) {
    const neutral = SHAPE_KEYS[u.key];
    const raw = cfg.sections[u.section].raw;
    if (neutral && raw[u.key] !== neutral(raw)) {
      throw new FormatError(
        `${FN}: line ${u.line}: '${u.key}=${raw[u.key]}' in [${u.type}] changes the layer and is not supported (only ${u.key}=${neutral(raw) || '(absent)'})`,
        'cfg',
        u.line,
      );
    }
  }
}

/**
 * The layer-by-layer geometry of `cfg` for an input of `input` (darknet's shape rules).
 * @throws FormatError naming the section's line for anything darknet would reject or this library does
 *   not support (a route to a later layer, mismatched shapes, a region whose channel count is not
 *   num·(coords + 1 + classes), a `[region]` that is not last, a fork's key such as `groups=2` that
 *   would change the layer, …).
 * @internal
 */
export function planDarknetCfg(cfg: DarknetCfg, input: PlanInput): DarknetLayerInfo[] {
  checkUnknownKeys(cfg);
  const layers: DarknetLayerInfo[] = [];
  let convs = 0;
  const body = cfg.sections.slice(1);
  body.forEach((s, i) => {
    if (s.type === 'net') sectionError(s, i, '[net] may only be the first section');
    if (i > 0 && layers[i - 1].type === 'region') sectionError(s, i, 'nothing may follow [region]');
    const inShape: HWC = i === 0 ? [input.height, input.width, input.channels] : layers[i - 1].output;
    const info = PLANNERS[s.type](s, i, layers, inShape);
    layers.push({ index: i, type: s.type, line: s.line, ...info, ...(s.type === 'convolutional' ? { conv: convs++ } : {}) });
  });
  if (layers.length === 0) throw new FormatError(`${FN}: the cfg has no layers after [net]`, 'cfg');
  return layers;
}

/** The input size darknet uses for `net` (`height`, `width`, `channels`), checked. @internal */
export function netInput(net: NetOptions, line: number): PlanInput {
  const { height, width, channels } = net;
  if (!(height > 0 && width > 0 && channels > 0)) {
    throw new FormatError(`${FN}: [net] at line ${line} must set height, width and channels > 0, got ${height}, ${width}, ${channels}`, 'cfg', line);
  }
  return { height, width, channels };
}
