/**
 * Darknet `.weights` I/O for the models of this package (any `tf.LayersModel` whose conv layers are
 * named `conv0 … conv{n−1}` in cfg order, each optionally followed by a batch norm named `bn{i}`).
 *
 * Layout (little-endian): int32 major, int32 minor, int32 revision, then `seen` (images seen in training)
 * as uint64 when `major·10 + minor ≥ 2` (and both < 1000), else int32; then, per conv layer in cfg order,
 * float32 arrays: with batch norm `[beta (n), gamma (n), rolling mean (n), rolling variance (n)]`,
 * without `[bias (n)]`; then the kernel, `n·c·kh·kw` values in darknet's `[out, in, kh, kw]` order
 * (TF.js keeps `[kh, kw, in, out]`).
 *
 * Partial files (darknet's `partial`, e.g. `darknet19_448.conv.23`) hold the first n layers; `{ layers: n }`
 * loads or saves them on a model built by `modelFromDarknetCfg` (n counts darknet's layers), `{ convs: k }`
 * the first k conv layers of any model.
 *
 * @packageDocumentation
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { FormatError, ValueError, describe } from '../errors.js';
import { assertKnownKeys, assertNumber } from '../validate.js';
import { darknetLayerMap } from './darknet-cfg/layer-map.js';

/** The header of a darknet `.weights` file. */
export interface DarknetWeightsHeader {
  major: number;
  minor: number;
  revision: number;
  /** Images seen in training (stored as uint64 when `major·10 + minor ≥ 2`, else as int32). */
  seen: number;
}

/** One conv layer as darknet stores it. @internal */
interface ConvEntry {
  index: number;
  conv: tfl.layers.Layer;
  bn: tfl.layers.Layer | null;
  /** kernel shape [kh, kw, in, out] */
  shape: [number, number, number, number];
  /** float32 count of this layer in the file */
  floats: number;
}

const isConvName = /^conv(\d+)$/;

/** The model's conv layers in darknet order, with their batch norms and sizes. @internal */
function convEntries(fn: string, model: tfl.LayersModel): ConvEntry[] {
  if (!model || !Array.isArray((model as { layers?: unknown }).layers)) {
    throw new ValueError(`${fn}: 'model' must be a tf.LayersModel, got ${describe(model)}`);
  }
  const byName = new Map(model.layers.map((l) => [l.name, l]));
  const convs = model.layers
    .filter((l) => isConvName.test(l.name))
    .map((l) => Number(isConvName.exec(l.name)![1]))
    .sort((a, b) => a - b);
  if (convs.length === 0) {
    throw new ValueError(`${fn}: 'model' has no conv layers named conv0, conv1, …; build it with tinyYOLOv2 or yolov2`);
  }
  return convs.map((index, k) => {
    if (index !== k) throw new ValueError(`${fn}: conv layers must be named conv0 … conv${convs.length - 1} without gaps, conv${k} is missing`);
    const conv = byName.get(`conv${index}`)!;
    const bn = byName.get(`bn${index}`) ?? null;
    const kernel = conv.weights.find((w) => /kernel/.test(w.name));
    if (!kernel || kernel.shape.length !== 4) throw new ValueError(`${fn}: layer conv${index} has no 4-D kernel`);
    const shape = kernel.shape as [number, number, number, number];
    const n = shape[3];
    const hasBias = conv.weights.some((w) => /bias/.test(w.name));
    if (bn && hasBias) throw new ValueError(`${fn}: layer conv${index} has both a bias and a batch norm; darknet stores one or the other`);
    if (!bn && !hasBias) throw new ValueError(`${fn}: layer conv${index} has neither a bias nor a batch norm bn${index}`);
    return { index, conv, bn, shape, floats: (bn ? 4 * n : n) + shape[0] * shape[1] * shape[2] * n };
  });
}

function headerBytes(major: number, minor: number): number {
  return major * 10 + minor >= 2 && major < 1000 && minor < 1000 ? 20 : 16;
}

function describeLayer(e: ConvEntry): string {
  const [kh, kw, c, n] = e.shape;
  return `conv${e.index} (${e.bn ? `batch norm bn${e.index}` : 'bias'} + ${kh}×${kw}×${c}×${n} kernel)`;
}

function weightOf(layer: tfl.layers.Layer, suffix: RegExp): tfl.LayerVariable {
  const w = layer.weights.find((v) => suffix.test(v.name));
  if (!w) throw new ValueError(`darknet weights: layer ${layer.name} has no weight matching ${String(suffix)}`);
  return w;
}

/** darknet [out, in, kh, kw] → TF [kh, kw, in, out] */
function fromDarknetKernel(src: Float32Array, [kh, kw, c, n]: readonly number[]): Float32Array {
  const dst = new Float32Array(src.length);
  for (let o = 0; o < n; o++)
    for (let i = 0; i < c; i++)
      for (let y = 0; y < kh; y++)
        for (let x = 0; x < kw; x++) dst[((y * kw + x) * c + i) * n + o] = src[((o * c + i) * kh + y) * kw + x];
  return dst;
}

/** TF [kh, kw, in, out] → darknet [out, in, kh, kw] */
function toDarknetKernel(src: Float32Array, [kh, kw, c, n]: readonly number[]): Float32Array {
  const dst = new Float32Array(src.length);
  for (let o = 0; o < n; o++)
    for (let i = 0; i < c; i++)
      for (let y = 0; y < kh; y++)
        for (let x = 0; x < kw; x++) dst[((o * c + i) * kh + y) * kw + x] = src[((y * kw + x) * c + i) * n + o];
  return dst;
}

/** Which part of the model a darknet weights file covers (default: all of it). */
export interface DarknetWeightsOptions {
  /**
   * The first n darknet layers (cfg sections after `[net]`, as darknet's `partial` counts them; the convs
   * among them), for a model built by `modelFromDarknetCfg`. E.g. `darknet19_448.conv.23` into yolov2-voc:
   * `{ layers: 23 }` (its first 18 convs).
   */
  layers?: number;
  /** The first k conv layers (`conv0 … conv{k−1}`), for any model. */
  convs?: number;
}

/** Options of {@link loadDarknetWeights}. */
export interface LoadDarknetWeightsOptions extends DarknetWeightsOptions {
  /** Load NaN and ±Infinity values instead of rejecting the file (default false). */
  allowNonFinite?: boolean;
}

interface Selection {
  entries: ConvEntry[];
  all: ConvEntry[];
  partial: boolean;
}

function selectEntries(fn: string, model: tfl.LayersModel, options: DarknetWeightsOptions, known: readonly string[]): Selection {
  assertKnownKeys(fn, 'options', options, known);
  const all = convEntries(fn, model);
  const { layers, convs } = options ?? {};
  if (layers !== undefined && convs !== undefined) throw new ValueError(`${fn}: pass 'layers' or 'convs', not both`);
  if (convs !== undefined) {
    assertNumber(fn, 'convs', convs, { min: 1, max: all.length, integer: true });
    return { entries: all.slice(0, convs), all, partial: true };
  }
  if (layers === undefined) return { entries: all, all, partial: false };
  const map = darknetLayerMap(model);
  if (!map) {
    throw new ValueError(`${fn}: 'layers' counts darknet layers and needs a model built by modelFromDarknetCfg; for this model pass { convs: k } (the first k conv layers)`);
  }
  assertNumber(fn, 'layers', layers, { min: 1, max: map.layerCount, integer: true });
  const k = map.convLayers.filter((index) => index < layers).length;
  if (k === 0) throw new ValueError(`${fn}: the first ${layers} layers hold no conv layer`);
  return { entries: all.slice(0, k), all, partial: true };
}

const floatsOf = (entries: readonly ConvEntry[]) => entries.reduce((s, e) => s + e.floats, 0);

/** "pass { layers: n }" when `bytes` is exactly a prefix of the model's layers, else ''. */
function prefixHint(model: tfl.LayersModel, all: readonly ConvEntry[], hdr: number, bytes: number): string {
  let sum = hdr;
  for (let k = 1; k < all.length; k++) {
    sum += 4 * all[k - 1].floats;
    if (sum !== bytes) continue;
    const map = darknetLayerMap(model);
    if (!map) return `: the file matches the first ${k} conv layers; pass { convs: ${k} } to load them`;
    const n = map.convLayers[k - 1] + 1;
    return `: the file matches the first ${n} layers (${k} convs); pass { layers: ${n} } to load them`;
  }
  return '';
}

/** The FormatError for a file whose size does not fit the model. */
function sizeError(fn: string, model: tfl.LayersModel, sel: Selection, head: { major: number; minor: number; hdr: number }, bytes: number): FormatError {
  const { hdr, major, minor } = head;
  const payload = 4 * floatsOf(sel.entries);
  const total = hdr + payload;
  const alt = hdr === 16 ? 20 : 16;
  if (!sel.partial && bytes === alt + payload) {
    return new FormatError(
      `${fn}: the header says version ${major}.${minor}, which has a ${hdr}-byte header, but the file matches the model with a ${alt}-byte header: ` +
        `its major/minor fields are wrong (versions with major·10 + minor ≥ 2 have a 20-byte header with a 64-bit 'seen', older ones 16 bytes)`,
    );
  }
  const hint = sel.partial ? '' : prefixHint(model, sel.all, hdr, bytes);
  if (bytes < total) {
    let offset = hdr;
    const e = sel.entries.find((x) => (offset += 4 * x.floats) > bytes)!;
    const start = offset - 4 * e.floats;
    return new FormatError(
      `${fn}: the file ends inside layer ${describeLayer(e)}: it needs ${4 * e.floats} bytes at offset ${start}, ` +
        `only ${bytes - start} are left (file ${bytes} bytes, the model needs ${total})${hint}`,
    );
  }
  const last = sel.entries[sel.entries.length - 1];
  return new FormatError(
    `${fn}: the file has ${bytes} bytes but the model needs ${total}: ${bytes - total} bytes are left ` +
      `after the last layer ${describeLayer(last)} (check numClasses, anchors and widthMultiplier against the cfg)${hint}`,
  );
}

/** Throw when `floats` (the payload of `entries`) holds NaN or ±Infinity, naming the layer and the array. */
function assertFiniteWeights(fn: string, entries: readonly ConvEntry[], floats: Float32Array, hdr: number): void {
  let p = 0;
  for (const e of entries) {
    const n = e.shape[3];
    const parts: Array<[string, number]> = e.bn
      ? [['beta', n], ['gamma', n], ['rolling mean', n], ['rolling variance', n]]
      : [['bias', n]];
    parts.push(['kernel', e.floats - (e.bn ? 4 * n : n)]);
    for (const [name, count] of parts) {
      for (let i = 0; i < count; i++) {
        const v = floats[p + i];
        if (!Number.isFinite(v)) {
          throw new FormatError(
            `${fn}: layer ${describeLayer(e)} holds ${describe(v)} at ${name}[${i}] (file offset ${hdr + 4 * (p + i)}); ` +
              'pass { allowNonFinite: true } to load non-finite weights anyway',
          );
        }
      }
      p += count;
    }
  }
}

/**
 * Number of bytes {@link saveDarknetWeights} writes for `model` (header of 20 bytes by default), or for
 * its first layers with `options`.
 */
export function darknetWeightsSize(
  model: tfl.LayersModel,
  header: { major?: number; minor?: number } = {},
  options: DarknetWeightsOptions = {},
): number {
  const { entries } = selectEntries('darknetWeightsSize', model, options, ['layers', 'convs']);
  return headerBytes(header.major ?? 0, header.minor ?? 2) + 4 * floatsOf(entries);
}

function readHeader(fn: string, u8: Uint8Array): DarknetWeightsHeader & { hdr: number } {
  if (u8.byteLength < 16) {
    throw new FormatError(`${fn}: the file has ${u8.byteLength} bytes, too short for the darknet header (16 or 20 bytes)`);
  }
  const view = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
  const major = view.getInt32(0, true);
  const minor = view.getInt32(4, true);
  const revision = view.getInt32(8, true);
  const hdr = headerBytes(major, minor);
  if (u8.byteLength < hdr) {
    throw new FormatError(`${fn}: the file has ${u8.byteLength} bytes, too short for the ${hdr}-byte header of version ${major}.${minor}`);
  }
  const seen = hdr === 20 ? view.getUint32(12, true) + view.getUint32(16, true) * 2 ** 32 : view.getInt32(12, true);
  return { major, minor, revision, seen, hdr };
}

/**
 * Load a darknet `.weights` file into `model` (in place) and return its header.
 *
 * The model's conv layers `conv0 …` are filled in cfg order: batch-norm layers get beta, gamma, moving mean
 * and moving variance; other convs their bias; kernels are transposed from darknet's `[out, in, kh, kw]`.
 * By default the file must match the whole model (numClasses, anchors and widthMultiplier as in the cfg);
 * with `{ layers: n }` or `{ convs: k }` only those first layers are read (as darknet's partial weights;
 * the file may hold more, which is ignored) and the rest of the model is left as it is.
 *
 * @param bytes the whole file, as an ArrayBuffer or a Uint8Array (any byte offset).
 * @param options `layers` / `convs` (a prefix, see {@link DarknetWeightsOptions}), `allowNonFinite`.
 * @throws FormatError when the file is shorter than needed (naming the layer it ends in, the offset and the
 *   byte counts, and `{ layers: n }` when it is exactly the first n layers), longer (naming the last layer),
 *   has a header whose version does not match its layout (naming the header), or holds NaN/±Infinity
 *   (naming the layer and the array; unless `allowNonFinite`). Nothing is written to the model then.
 * @throws ValueError when the model has no darknet-named conv layers, or for bad options.
 */
export function loadDarknetWeights(
  model: tfl.LayersModel,
  bytes: ArrayBuffer | Uint8Array,
  options: LoadDarknetWeightsOptions = {},
): DarknetWeightsHeader {
  const fn = 'loadDarknetWeights';
  if (!(bytes instanceof ArrayBuffer) && !(bytes instanceof Uint8Array)) {
    throw new ValueError(`${fn}: 'bytes' must be an ArrayBuffer or a Uint8Array, got ${describe(bytes)}`);
  }
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const sel = selectEntries(fn, model, options, ['layers', 'convs', 'allowNonFinite']);
  const { hdr, ...header } = readHeader(fn, u8);
  const payload = 4 * floatsOf(sel.entries);
  const total = hdr + payload;
  if (u8.byteLength < total || (!sel.partial && u8.byteLength !== total)) throw sizeError(fn, model, sel, { ...header, hdr }, u8.byteLength);
  // aligned float view (copy once if the bytes are not 4-byte aligned)
  const start = u8.byteOffset + hdr;
  const floats =
    start % 4 === 0 ? new Float32Array(u8.buffer, start, payload / 4) : new Float32Array(u8.slice(hdr, total).buffer);
  if (!options.allowNonFinite) assertFiniteWeights(fn, sel.entries, floats, hdr);
  let p = 0;
  const take = (count: number) => floats.subarray(p, (p += count));
  for (const e of sel.entries) {
    const n = e.shape[3];
    const tensors: Array<[tfl.LayerVariable, tf.Tensor]> = [];
    if (e.bn) {
      const beta = take(n), gamma = take(n), mean = take(n), variance = take(n);
      tensors.push(
        [weightOf(e.bn, /beta/), tf.tensor1d(beta)],
        [weightOf(e.bn, /gamma/), tf.tensor1d(gamma)],
        [weightOf(e.bn, /moving_mean/), tf.tensor1d(mean)],
        [weightOf(e.bn, /moving_variance/), tf.tensor1d(variance)],
      );
    } else {
      tensors.push([weightOf(e.conv, /bias/), tf.tensor1d(take(n))]);
    }
    const kernel = fromDarknetKernel(take(e.shape[0] * e.shape[1] * e.shape[2] * n), e.shape);
    tensors.push([weightOf(e.conv, /kernel/), tf.tensor4d(kernel, e.shape)]);
    for (const [v, t] of tensors) {
      v.write(t);
      t.dispose();
    }
  }
  return header;
}

/**
 * Serialise `model`'s conv layers in darknet's `.weights` layout (see the module doc), the inverse of
 * {@link loadDarknetWeights}: `saveDarknetWeights(m)` loaded into a model of the same cfg reproduces it
 * exactly, and load-then-save returns the same bytes. With `{ layers: n }` or `{ convs: k }` only the
 * first layers are written (a backbone file such as darknet's `*.conv.23`).
 *
 * @param header default `{ major: 0, minor: 2, revision: 0, seen: 0 }` (64-bit `seen`, 20-byte header).
 * @returns the file's bytes.
 */
export function saveDarknetWeights(
  model: tfl.LayersModel,
  header: Partial<DarknetWeightsHeader> = {},
  options: DarknetWeightsOptions = {},
): Uint8Array {
  const fn = 'saveDarknetWeights';
  const { entries } = selectEntries(fn, model, options, ['layers', 'convs']);
  const { major = 0, minor = 2, revision = 0, seen = 0 } = header;
  for (const [k, v] of Object.entries({ major, minor, revision })) {
    if (!Number.isInteger(v) || v < 0 || v > 0x7fffffff) throw new ValueError(`${fn}: 'header.${k}' must be an int32 ≥ 0, got ${describe(v)}`);
  }
  const hdr = headerBytes(major, minor);
  const maxSeen = hdr === 20 ? Number.MAX_SAFE_INTEGER : 0x7fffffff;
  if (!Number.isInteger(seen) || seen < 0 || seen > maxSeen) {
    throw new ValueError(`${fn}: 'header.seen' must be an integer in [0, ${maxSeen}] for version ${major}.${minor}, got ${describe(seen)}`);
  }
  const payload = 4 * floatsOf(entries);
  const out = new Uint8Array(hdr + payload);
  const view = new DataView(out.buffer);
  view.setInt32(0, major, true);
  view.setInt32(4, minor, true);
  view.setInt32(8, revision, true);
  if (hdr === 20) {
    view.setUint32(12, seen % 2 ** 32, true);
    view.setUint32(16, Math.floor(seen / 2 ** 32), true);
  } else view.setInt32(12, seen, true);
  const floats = new Float32Array(out.buffer, hdr, payload / 4);
  let p = 0;
  const put = (v: tfl.LayerVariable) => {
    const data = v.read().dataSync() as Float32Array;
    floats.set(data, p);
    p += data.length;
  };
  for (const e of entries) {
    if (e.bn) {
      put(weightOf(e.bn, /beta/));
      put(weightOf(e.bn, /gamma/));
      put(weightOf(e.bn, /moving_mean/));
      put(weightOf(e.bn, /moving_variance/));
    } else put(weightOf(e.conv, /bias/));
    const k = toDarknetKernel(weightOf(e.conv, /kernel/).read().dataSync() as Float32Array, e.shape);
    floats.set(k, p);
    p += k.length;
  }
  return out;
}
