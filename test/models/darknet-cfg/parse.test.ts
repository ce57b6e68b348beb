import { describe, expect, it } from 'vitest';
import { FormatError, ValueError } from '../../../src/errors.js';
import { parseDarknetCfg } from '../../../src/models/darknet-cfg/parse.js';
import { thrown } from '../../helpers.js';

const lineOf = (text: string) => {
  const e = thrown(() => parseDarknetCfg(text));
  expect(e).toBeInstanceOf(FormatError);
  return { line: (e as FormatError).line, message: e.message };
};

describe('parseDarknetCfg', () => {
  it('reads sections in order with typed options, comments, blank lines, spaces and lists', () => {
    const text = [
      '# a comment',
      '[net]',
      'width = 416 ; trailing comment',
      'height=320',
      'channels=3',
      'learning_rate = .001',
      'steps=400000,450000',
      'scales=.1,.1',
      '',
      '[convolutional]',
      'batch_normalize=1',
      'filters=16',
      'size=3',
      'pad=1',
      'activation=leaky',
      '  ',
      '[maxpool]',
      'size=2',
      '[route]',
      'layers = -1, -3',
      '[region]',
      'anchors =  1.08,1.19,  3.42,4.41,',
      'num=2',
      'classes=3',
    ].join('\n');
    const cfg = parseDarknetCfg(text);
    expect(cfg.sections.map((s) => s.type)).toEqual(['net', 'convolutional', 'maxpool', 'route', 'region']);
    const [net, conv, pool, route, region] = cfg.sections;
    expect(net.line).toBe(2);
    if (net.type !== 'net' || conv.type !== 'convolutional' || pool.type !== 'maxpool' || route.type !== 'route' || region.type !== 'region') throw new Error('types');
    expect(net.options.width).toBe(416);
    expect(net.options.height).toBe(320);
    expect(net.options.learning_rate).toBeCloseTo(0.001, 12);
    expect(net.options.steps).toEqual([400000, 450000]);
    expect(net.options.scales).toEqual([0.1, 0.1]);
    expect(net.options.momentum).toBe(0.9); // darknet's default
    expect(conv.options).toEqual({ batch_normalize: true, filters: 16, size: 3, stride: 1, pad: true, padding: 0, activation: 'leaky' });
    expect(pool.options.size).toBe(2);
    expect(pool.options.stride).toBe(1); // darknet's default; padding stays undefined (size − 1 when planned)
    expect(pool.options.padding).toBeUndefined();
    expect(route.options.layers).toEqual([-1, -3]);
    expect(region.options.anchors).toEqual([1.08, 1.19, 3.42, 4.41]); // the trailing comma is allowed
    expect(region.options.num).toBe(2);
    expect(region.options.classes).toBe(3);
    expect(region.options.thresh).toBe(0.5);
    expect(cfg.unknownKeys).toEqual([]);
  });

  it('maps aliases ([network], [conv], [max], [avg], [soft]) and accepts CRLF', () => {
    const cfg = parseDarknetCfg('[network]\r\nwidth=32\r\n[conv]\r\n[max]\r\n[avg]\r\n[soft]\r\n');
    expect(cfg.sections.map((s) => s.type)).toEqual(['net', 'convolutional', 'maxpool', 'avgpool', 'softmax']);
    expect(cfg.sections[2].line).toBe(4);
  });

  it('keeps and lists unknown keys', () => {
    const cfg = parseDarknetCfg('[net]\nmosaic=1\nwidth=32\n[convolutional]\nfilters=8\nxnor=1\n');
    expect(cfg.unknownKeys).toEqual([
      { section: 0, type: 'net', key: 'mosaic', line: 2 },
      { section: 1, type: 'convolutional', key: 'xnor', line: 6 },
    ]);
    expect(cfg.sections[1].raw).toEqual({ filters: '8', xnor: '1' });
    expect(cfg.sections[1].unknownKeys).toEqual(['xnor']);
    expect('xnor' in cfg.sections[1].options).toBe(false);
  });

  it('answers each malformed cfg with a FormatError naming the line', () => {
    const cases: Array<[string, number, RegExp]> = [
      ['[net]\n[yolo]\n', 2, /unknown section \[yolo\]/],
      ['[net]\n[convolutional\n', 2, /malformed section header/],
      ['[net]\nwidth 416\n', 2, /expected 'key=value'/],
      ['width=3\n[net]\n', 1, /before the first section/],
      ['[net]\n=3\n', 2, /missing key/],
      ['[net]\nwidth=\n', 2, /'width' has no value/],
      ['[net]\nwidth=1\n\nwidth=2\n', 4, /repeated in \[net\] \(first on line 2\)/],
      ['[net]\n[convolutional]\nfilters=3.5\n', 3, /'filters' must be an integer, got "3.5"/],
      ['[net]\n[convolutional]\nsize=big\n', 3, /'size' must be an integer/],
      ['[net]\n[region]\nanchors=1,,2\n', 3, /empty list entry/],
      ['[net]\n[region]\nthresh=0.6x\n', 3, /'thresh' must be a number/],
      ['# nothing\n\n[convolutional]\n', 3, /first section must be \[net\]/],
      ['[net]\n[convolutional]\n[network]\n', 3, /may only be the first section/],
    ];
    for (const [text, line, re] of cases) {
      const got = lineOf(text);
      expect(got.line, text).toBe(line);
      expect(got.message, text).toMatch(re);
      expect(got.message, text).toContain(`line ${line}`);
    }
    const empty = thrown(() => parseDarknetCfg('# only a comment\n'));
    expect(empty).toBeInstanceOf(FormatError);
    expect(empty.message).toMatch(/no sections/);
  });

  it('rejects a non-string', () => {
    expect(thrown(() => parseDarknetCfg(3 as unknown as string))).toBeInstanceOf(ValueError);
  });
});
