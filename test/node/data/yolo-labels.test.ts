import { describe, expect, it } from 'vitest';
import { FormatError, ValueError } from '../../../src/errors.js';
import { parseYOLOLabels, readYOLOLabels } from '../../../src/node/data/yolo-labels.js';
import * as nodeEntry from '../../../src/node/index.js';
import { thrown } from '../../helpers.js';

describe('parseYOLOLabels: the one YOLO label rule', () => {
  it('parses rows, skips blank lines, accepts \\r\\n and the edges of the ranges', () => {
    expect(parseYOLOLabels('0 0.5 0.5 0.2 0.4\n\n2 0 1 1 0.001\r\n', 'l.txt', { numClasses: 3 })).toEqual([
      { classId: 0, box: [0.5, 0.5, 0.2, 0.4] },
      { classId: 2, box: [0, 1, 1, 0.001] },
    ]);
    expect(parseYOLOLabels('', 'empty.txt')).toEqual([]);
  });

  it('every bad line is a FormatError naming file:line and what arrived', () => {
    const cases: Array<[string, RegExp, number]> = [
      ['0 0.5 0.5 0.2', /l\.txt:1: expected 5 fields 'classId cx cy w h', got 4/, 1],
      ['0 0.5 0.5 0.2 0.2 0.9', /l\.txt:1: expected 5 fields .*got 6/, 1], // a confidence only with confidence: true
      ['0 0.5 0.5 0.2 0.2\n1 a 0.5 0.2 0.2', /l\.txt:2: cx must be a finite number, got "a"/, 2],
      ['3 0.5 0.5 0.2 0.2', /l\.txt:1: classId must be an integer in \[0, 2\], got "3"/, 1],
      ['1.5 0.5 0.5 0.2 0.2', /classId must be an integer in \[0, 2\], got "1.5"/, 1],
      ['-1 0.5 0.5 0.2 0.2', /classId must be/, 1],
      ['1 1.5 0.5 0.2 0.2', /l\.txt:1: cx and cy must be in \[0, 1\], got cx = 1.5, cy = 0.5/, 1],
      ['1 0.5 -0.1 0.2 0.2', /cx and cy must be in \[0, 1\]/, 1],
      ['1 0.5 0.5 0 0.2', /l\.txt:1: w and h must be in \(0, 1\], got w = 0, h = 0.2/, 1],
      ['1 0.5 0.5 0.2 1.2', /w and h must be in \(0, 1\]/, 1],
      ['\n\n1 0.5 0.5 -0.2 0.2', /l\.txt:3: w and h/, 3],
    ];
    for (const [text, re, line] of cases) {
      const e = thrown(() => parseYOLOLabels(text, 'l.txt', { numClasses: 3 })) as FormatError;
      expect(e).toBeInstanceOf(FormatError);
      expect(e.message).toMatch(re);
      expect([e.file, e.line]).toEqual(['l.txt', line]);
    }
  });

  it('a sixth field (the confidence of a prediction file) only with confidence: true', () => {
    expect(parseYOLOLabels('1 0.5 0.5 0.2 0.2 0.93\n0 0.1 0.1 0.1 0.1', 'p.txt', { confidence: true })).toEqual([
      { classId: 1, box: [0.5, 0.5, 0.2, 0.2], confidence: 0.93 },
      { classId: 0, box: [0.1, 0.1, 0.1, 0.1] },
    ]);
    expect(thrown(() => parseYOLOLabels('1 0.5 0.5 0.2 0.2 1.5', 'p.txt', { confidence: true })).message).toMatch(/p\.txt:1: confidence must be in \[0, 1\], got 1\.5/);
    expect(thrown(() => parseYOLOLabels('1 0.5 0.5 0.2 0.2 0.5 7', 'p.txt', { confidence: true })).message).toMatch(/or 6 with a confidence/);
  });

  it('an unknown option key is a ValueError', () => {
    const e = thrown(() => parseYOLOLabels('', 'l.txt', { numClass: 3 } as never));
    expect(e).toBeInstanceOf(ValueError);
    expect(e.message).toMatch(/unknown option 'numClass'.*'numClasses'/);
  });

  it('readYOLOLabels (deprecated) is the same parser, with numClasses as third argument', () => {
    expect(readYOLOLabels('1 0.5 0.5 0.2 0.4', 'l.txt', 2)).toEqual(parseYOLOLabels('1 0.5 0.5 0.2 0.4', 'l.txt', { numClasses: 2 }));
    expect(thrown(() => readYOLOLabels('2 0.5 0.5 0.2 0.4', 'l.txt', 2))).toBeInstanceOf(FormatError);
    expect(nodeEntry.readYOLOLabels).toBe(readYOLOLabels);
    expect(nodeEntry.parseYOLOLabels).toBe(parseYOLOLabels);
  });
});
