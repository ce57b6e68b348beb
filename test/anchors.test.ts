import { describe, expect, it } from 'vitest';
import { convertAnchors, gridAnchors, ShapeError, ValueError, VOC_ANCHORS, VOC_ANCHORS_RELATIVE } from '../src/index.js';

describe('anchors', () => {
  it('the relative VOC preset is the grid preset / 13 (to the training records’ 6 digits)', () => {
    VOC_ANCHORS.forEach(([w, h], i) => {
      expect(VOC_ANCHORS_RELATIVE[i][0]).toBeCloseTo(w / 13, 5);
      expect(VOC_ANCHORS_RELATIVE[i][1]).toBeCloseTo(h / 13, 5);
    });
  });

  it("'grid' anchors are used as is whatever the grid; 'relative' ones scale with it", () => {
    expect(gridAnchors(VOC_ANCHORS, 'grid', { width: 19, height: 19 })).toEqual(VOC_ANCHORS.map((a) => [...a]));
    // 0.1017 · 10 = 1.017 and 0.133188 · 20 = 2.66376 on a 10-wide, 20-high grid
    const [first] = gridAnchors(VOC_ANCHORS_RELATIVE, 'relative', { width: 10, height: 20 });
    expect(first[0]).toBeCloseTo(1.017, 12);
    expect(first[1]).toBeCloseTo(2.66376, 12);
  });

  it('convertAnchors round-trips between units', () => {
    const rel = convertAnchors(VOC_ANCHORS, 'grid', 'relative', { width: 13, height: 13 });
    const back = convertAnchors(rel, 'relative', 'grid', { width: 13, height: 13 });
    back.forEach(([w, h], i) => {
      expect(w).toBeCloseTo(VOC_ANCHORS[i][0], 12);
      expect(h).toBeCloseTo(VOC_ANCHORS[i][1], 12);
    });
  });

  it('rejects bad anchors, units and grids with named arguments', () => {
    expect(() => gridAnchors([], 'grid', { width: 13, height: 13 })).toThrow(ShapeError);
    expect(() => gridAnchors([[1, 0]], 'grid', { width: 13, height: 13 })).toThrow(/anchors\[0\]\[1\].*> 0.*got 0/);
    expect(() => gridAnchors([[1, NaN]], 'grid', { width: 13, height: 13 })).toThrow(ValueError);
    // @ts-expect-error bad unit on purpose
    expect(() => gridAnchors(VOC_ANCHORS, 'pixels', { width: 13, height: 13 })).toThrow(/'units' must be one of 'grid', 'relative'/);
    expect(() => gridAnchors(VOC_ANCHORS, 'grid', { width: 12.5, height: 13 })).toThrow(/grid.width.*integer/);
  });
});

describe('anchor grids (issue 18, item 5)', () => {
  it("an unknown key in 'grid' is a ValueError naming it", () => {
    expect(() => gridAnchors(VOC_ANCHORS, 'grid', { width: 13, height: 13, heigth: 12 } as never)).toThrow(ValueError);
    expect(() => gridAnchors(VOC_ANCHORS, 'grid', { width: 13, height: 13, heigth: 12 } as never)).toThrow(/gridAnchors: unknown option 'heigth' in 'grid'/);
    expect(() => convertAnchors(VOC_ANCHORS, 'grid', 'relative', { width: 13, height: 13, stride: 32 } as never)).toThrow(/convertAnchors: unknown option 'stride' in 'grid'/);
  });
});
