/**
 * The layer table darknet prints when it loads a cfg (index, type, filters, size/stride, input → output),
 * with a parameter column and a total.
 *
 * @packageDocumentation
 */
import { ValueError, describe } from '../../errors.js';
import type { DarknetLayerInfo, HWC } from './plan.js';

const SHORT: Record<DarknetLayerInfo['type'], string> = {
  convolutional: 'conv', maxpool: 'max', avgpool: 'avg', route: 'route', reorg: 'reorg', upsample: 'upsample',
  shortcut: 'res', dropout: 'dropout', softmax: 'softmax', cost: 'cost', region: 'detection',
};

const dims = ([h, w, c]: HWC) => `${String(w).padStart(4)} x${String(h).padStart(4)} x${String(c).padStart(4)}`;

function row(l: DarknetLayerInfo): string {
  const idx = String(l.index).padStart(5);
  const type = SHORT[l.type].padEnd(9);
  const params = l.params > 0 ? l.params.toLocaleString('en-US').padStart(12) : '';
  const io = `${dims(l.input)}   -> ${dims(l.output)}`;
  switch (l.type) {
    case 'convolutional':
      return `${idx} ${type}${String(l.filters).padStart(5)}  ${l.size} x ${l.size} / ${l.stride}  ${io}${params}`;
    case 'maxpool':
      return `${idx} ${type}       ${l.size} x ${l.size} / ${l.stride}  ${io}`;
    case 'reorg':
    case 'upsample':
      return `${idx} ${type}             / ${l.stride}  ${io}`;
    case 'route':
    case 'shortcut':
      return `${idx} ${type}${l.from.map((j) => String(j)).join(' ').padEnd(18)}${io}`;
    default:
      return `${idx} ${type}${' '.repeat(18)}${io}`;
  }
}

/**
 * Format the layers of a cfg-built model as darknet prints them on loading, one line per layer:
 * index, type (`conv`, `max`, `avg`, `route`, `reorg`, `upsample`, `res`, `dropout`, `softmax`, `cost`,
 * `detection`), filters, `size x size / stride` (a route lists its source layers), `input -> output` as
 * `width x height x channels`, and the parameters (convs), then the total.
 *
 * @param layers `modelFromDarknetCfg(...).layers`.
 * @returns the table, lines joined with `\n`.
 */
export function darknetLayerTable(layers: readonly DarknetLayerInfo[]): string {
  if (!Array.isArray(layers) || layers.some((l) => typeof l !== 'object' || l === null || !('output' in l))) {
    throw new ValueError(`darknetLayerTable: 'layers' must be the 'layers' of modelFromDarknetCfg, got ${describe(layers)}`);
  }
  const total = layers.reduce((n, l) => n + l.params, 0);
  const head = 'layer     filters    size              input                output          params';
  return [head, ...layers.map(row), `total parameters: ${total.toLocaleString('en-US')}`].join('\n');
}
