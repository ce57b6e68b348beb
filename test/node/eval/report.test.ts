import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cocoAP, vocAP, VOC_CLASSES } from '../../../src/index.js';
import {
  formatCOCOSummary, formatFixed, formatInputSizeLine, formatInputSizeTable, formatVOCReport, prCurveSpec, renderPRCurvesSVG,
  writePRCurvesPNG, renderPRCurvesPNG,
} from '../../../src/node/index.js';
import { ValueError } from '../../../src/errors.js';

describe('formatFixed: Python format(x, ".Nf")', () => {
  it('matches Python on exact binary ties (half to even) and elsewhere', () => {
    // Python 3: format(x, '.4f') / '.3f' / '.0f' / '.2f' for these x:
    const cases: Array<[number, string, string, string, string]> = [
      [0.03125, '0.0312', '0.031', '0', '0.03'],
      [0.00005, '0.0001', '0.000', '0', '0.00'],
      [1.5, '1.5000', '1.500', '2', '1.50'],
      [2.5, '2.5000', '2.500', '2', '2.50'],
      [0.125, '0.1250', '0.125', '0', '0.12'],
      [0.375, '0.3750', '0.375', '0', '0.38'],
      [-0.03125, '-0.0312', '-0.031', '-0', '-0.03'],
      [0.69685, '0.6968', '0.697', '1', '0.70'],
      [-1, '-1.0000', '-1.000', '-1', '-1.00'],
      [1 / 3, '0.3333', '0.333', '0', '0.33'],
      [0.0625, '0.0625', '0.062', '0', '0.06'],
      [0.9375, '0.9375', '0.938', '1', '0.94'],
    ];
    for (const [x, f4, f3, f0, f2] of cases) {
      expect([formatFixed(x, 4), formatFixed(x, 3), formatFixed(x, 0), formatFixed(x, 2)]).toEqual([f4, f3, f0, f2]);
    }
    expect(formatFixed(NaN, 4)).toBe('nan');
    expect((0.03125).toFixed(4)).toBe('0.0313'); // what plain toFixed would have printed
  });
});

describe('the training records’ formats', () => {
  it('Input Size line with the full-width colon', () => {
    const line = formatInputSizeLine({ size: 416, ap50_95: 0.4321, ap50: 0.7096 });
    expect(line).toBe('Input Size\uFF1A[416x416] ap50_95: = 0.4321 ap50: = 0.7096');
    expect(line.codePointAt(10)).toBe(0xff1a);
    // a line of the training records, byte for byte (ap50_95 never computed → -1)
    expect(formatInputSizeLine({ size: [320, 320], ap50: 0.6452 })).toBe('Input Size：[320x320] ap50_95: = -1.0000 ap50: = 0.6452');
    expect(formatInputSizeTable([{ size: { width: 608, height: 608 }, ap50_95: -1, ap50: 0.7269 }], 'New YOLOv2Loss')).toBe(
      '# New YOLOv2Loss\nInput Size：[608x608] ap50_95: = -1.0000 ap50: = 0.7269',
    );
  });

  it('VOC block: "VOC07 metric? Yes", AP per class, Mean AP', () => {
    const text = formatVOCReport({
      mAP: 0.69685, metric: 'voc07',
      perClass: [{ classId: 0, name: 'aeroplane', ap: 0.7318 }, { classId: 1, ap: 0.6619 }, { classId: 2, ap: null }],
    }, { classNames: VOC_CLASSES });
    expect(text).toBe([
      'VOC07 metric? Yes',
      'AP for aeroplane = 0.7318',
      'AP for bicycle = 0.6619',
      'AP for bird = n/a (no positives)',
      'Mean AP = 0.6968', // 0.69685 is below the tie in binary: Python prints 0.6968 too
    ].join('\n'));
    const r = vocAP([{ imageId: 'a', classId: 0, box: [0, 0, 9, 9], score: 1 }], [{ imageId: 'a', classId: 0, box: [0, 0, 9, 9] }], { metric: 'voc2010', classNames: ['cat'] });
    expect(formatVOCReport(r)).toBe('VOC07 metric? No\nAP for cat = 1.0000\nMean AP = 1.0000');
  });

  it('COCO summary lines as pycocotools prints them', () => {
    const r = cocoAP([{ imageId: '1', classId: 0, box: [0, 0, 10, 10], score: 1 }], [{ imageId: '1', classId: 0, box: [0, 0, 10, 10] }]);
    const lines = formatCOCOSummary(r).split('\n');
    expect(lines).toHaveLength(12);
    expect(lines[0]).toBe(' Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 1.000');
    expect(lines[1]).toBe(' Average Precision  (AP) @[ IoU=0.50      | area=   all | maxDets=100 ] = 1.000');
    expect(lines[5]).toBe(' Average Precision  (AP) @[ IoU=0.50:0.95 | area= large | maxDets=100 ] = -1.000');
    expect(lines[6]).toBe(' Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets=  1 ] = 1.000');
  });
});

describe('precision–recall curves', () => {
  const r = vocAP(
    [
      { imageId: 'a', classId: 0, box: [0, 0, 9, 9], score: 0.9 },
      { imageId: 'b', classId: 0, box: [50, 50, 59, 59], score: 0.8 },
      { imageId: 'b', classId: 0, box: [0, 0, 9, 9], score: 0.7 },
      { imageId: 'a', classId: 1, box: [0, 0, 9, 9], score: 0.6 },
    ],
    [
      { imageId: 'a', classId: 0, box: [0, 0, 9, 9] },
      { imageId: 'b', classId: 0, box: [0, 0, 9, 9] },
      { imageId: 'a', classId: 1, box: [0, 0, 9, 9] },
    ],
    { classNames: ['cat', 'dog', 'bird'] },
  );

  it('the spec holds one point per detection of every class with an AP', () => {
    const spec = prCurveSpec(r) as { data: { values: Array<{ label: string; recall: number; precision: number }> } };
    expect(spec.data.values).toEqual([
      { label: 'cat (0.848)', recall: 0.5, precision: 1, order: 0 },
      { label: 'cat (0.848)', recall: 0.5, precision: 0.5, order: 1 },
      { label: 'cat (0.848)', recall: 1, precision: 2 / 3, order: 2 },
      { label: 'dog (1.000)', recall: 1, precision: 1, order: 0 },
    ]);
    const thin = prCurveSpec(r, { maxPoints: 2 }) as { data: { values: Array<{ order: number }> } };
    expect(thin.data.values.map((v) => v.order)).toEqual([0, 2, 0]); // every 2nd point, last kept
  });

  it('renders an SVG and a PNG (overlay and panels)', async () => {
    const svg = await renderPRCurvesSVG(r);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('cat (0.848)');
    const dir = await mkdtemp(join(tmpdir(), 'pr-'));
    for (const layout of ['overlay', 'panels'] as const) {
      const path = join(dir, `${layout}.png`);
      await writePRCurvesPNG(path, r, { layout });
      const png = await readFile(path);
      expect(Array.from(png.subarray(0, 8))).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      expect(png.readUInt32BE(16)).toBeGreaterThan(300); // width in pixels
    }
    await rm(dir, { recursive: true });
  });
});

describe('report options (issue 18, item 5)', () => {
  const r = { mAP: 1, metric: 'voc07' as const, perClass: [{ classId: 0, name: 'cat', ap: 1, precision: [1], recall: [1] }] };
  it('a misspelled option is a ValueError naming it, in every function that takes options', async () => {
    expect(() => formatVOCReport(r, { classNmes: ['cat'] } as never)).toThrow(ValueError);
    expect(() => formatVOCReport(r, { classNmes: ['cat'] } as never)).toThrow(/formatVOCReport: unknown option 'classNmes'.*did you mean 'classNames'/);
    expect(() => prCurveSpec(r, { maxPoint: 2 } as never)).toThrow(/prCurveSpec: unknown option 'maxPoint'.*did you mean 'maxPoints'/);
    await expect(renderPRCurvesSVG(r, { colums: 3 } as never)).rejects.toThrow(/renderPRCurvesSVG: unknown option 'colums'.*did you mean 'columns'/);
    await expect(renderPRCurvesPNG(r, { scal: 1 } as never)).rejects.toThrow(/renderPRCurvesPNG: unknown option 'scal'.*did you mean 'scale'/);
    await expect(writePRCurvesPNG(join(tmpdir(), 'never-written.png'), r, { titel: 'x' } as never)).rejects.toThrow(/writePRCurvesPNG: unknown option 'titel'/);
  });
});
