import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { letterboxParams, undoLetterbox, undoLetterboxDetections, ValueError } from '../src/index.js';

describe('letterboxParams', () => {
  it('640 × 480 → 416: scale = min(416/640, 416/480) = 0.65, new 416 × 312, pad (0, 52)', () => {
    // newH = 480 · 0.65 = 312; padY = (416 − 312) / 2 = 52.
    expect(letterboxParams(640, 480, 416)).toEqual({ srcW: 640, srcH: 480, dstW: 416, dstH: 416, scale: 0.65, newW: 416, newH: 312, padX: 0, padY: 52 });
  });

  it('portrait 480 × 640 → 416: new 312 × 416, pad (52, 0)', () => {
    const p = letterboxParams(480, 640, 416);
    expect([p.newW, p.newH, p.padX, p.padY]).toEqual([312, 416, 52, 0]);
  });

  it('rounding: 500 × 377 → 416: 377 · 416/500 = 313.664 → 314 (round) or 313 (floor, darknet)', () => {
    // round: pad (416 − 314) / 2 = 51. floor: (416 − 313) / 2 = 51.5 → 51 left/top, 52 right/bottom.
    const r = letterboxParams(500, 377, 416);
    expect([r.newW, r.newH, r.padX, r.padY]).toEqual([416, 314, 0, 51]);
    const d = letterboxParams(500, 377, 416, { rounding: 'floor' });
    expect([d.newW, d.newH, d.padX, d.padY]).toEqual([416, 313, 0, 51]);
  });

  it('non-square target {width: 608, height: 416} and a source with the same aspect ratio (no padding)', () => {
    // 1216 × 832 has the ratio of 608 × 416: scale 0.5 both ways, no padding.
    expect(letterboxParams(1216, 832, { width: 608, height: 416 })).toMatchObject({ scale: 0.5, newW: 608, newH: 416, padX: 0, padY: 0 });
    // 100 × 100 into 608 × 416: height limits, scale 4.16, new 416 × 416, padX (608 − 416)/2 = 96.
    expect(letterboxParams(100, 100, { width: 608, height: 416 })).toMatchObject({ newW: 416, newH: 416, padX: 96, padY: 0 });
  });

  it('a very thin image keeps at least one pixel', () => {
    expect(letterboxParams(10000, 1, 416)).toMatchObject({ newW: 416, newH: 1, padY: 207 });
  });

  it('rejects bad sizes and options, naming the argument', () => {
    expect(() => letterboxParams(0, 480, 416)).toThrow(/letterboxParams: 'srcW' must be an integer ≥ 1, got 0/);
    expect(() => letterboxParams(640, 480.5, 416)).toThrow(/'srcH'/);
    expect(() => letterboxParams(640, 480, { width: 416, height: NaN })).toThrow(/'dst.height'.*got NaN/);
    // @ts-expect-error bad rounding on purpose
    expect(() => letterboxParams(640, 480, 416, { rounding: 'ceil' })).toThrow(ValueError);
  });
});

describe('undoLetterbox', () => {
  const p = letterboxParams(640, 480, 416); // new 416 × 312, pad (0, 52)

  it('normalised box (0.25, 0.25, 0.75, 0.75) → (160, 80, 480, 400)', () => {
    // Letterbox pixels (104, 104, 312, 312); x: 104 · 640/416 = 160, 312 · 640/416 = 480;
    // y: (104 − 52) · 480/312 = 80, (312 − 52) · 480/312 = 400.
    const [b] = undoLetterbox([[0.25, 0.25, 0.75, 0.75]], p);
    expect(b[0]).toBeCloseTo(160, 10);
    expect(b[1]).toBeCloseTo(80, 10);
    expect(b[2]).toBeCloseTo(480, 10);
    expect(b[3]).toBeCloseTo(400, 10);
    // The same box in letterbox pixels.
    expect(undoLetterbox([[104, 104, 312, 312]], p, { units: 'pixels' })[0].map((v) => Math.round(v * 1e9) / 1e9)).toEqual([160, 80, 480, 400]);
  });

  it('clips to the image: the whole input (0, 0, 1, 1) → (0, 0, 640, 480); unclipped y = −80 … 560', () => {
    // y1 = (0 − 52) · 480/312 = −80; y2 = (416 − 52) · 480/312 = 560.
    expect(undoLetterbox([[0, 0, 1, 1]], p)).toEqual([[0, 0, 640, 480]]);
    const [u] = undoLetterbox([[0, 0, 1, 1]], p, { clip: false });
    expect(u[1]).toBeCloseTo(-80, 10);
    expect(u[3]).toBeCloseTo(560, 10);
  });

  it('uses the rounded resize per axis: 500 × 377 → 416 (new 416 × 314, pad 51)', () => {
    const q = letterboxParams(500, 377, 416);
    // y_lb = 51 + 314 maps to the bottom edge: (365 − 51) · 377/314 = 377.
    expect(undoLetterbox([[0, 51, 416, 365]], q, { units: 'pixels' })).toEqual([[0, 0, 500, 377]]);
  });

  it('undoLetterboxDetections keeps score and class', () => {
    const dets = [{ box: [0.25, 0.25, 0.75, 0.75] as [number, number, number, number], score: 0.9, classId: 3 }];
    const [d] = undoLetterboxDetections(dets, p);
    expect(d.score).toBe(0.9);
    expect(d.classId).toBe(3);
    expect(d.box[2]).toBeCloseTo(480, 10);
    expect(dets[0].box).toEqual([0.25, 0.25, 0.75, 0.75]); // input untouched
  });

  it('property: forward letterbox mapping then undo is the identity inside the image', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3000 }), fc.integer({ min: 1, max: 3000 }), fc.integer({ min: 32, max: 1024 }),
        fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }),
        (w, h, dst, u, v) => {
          const q = letterboxParams(w, h, dst);
          const x = u * w, y = v * h;
          // Forward: x_lb = padX + x · newW / srcW, normalised by dst.
          const xn = (q.padX + (x * q.newW) / w) / dst, yn = (q.padY + (y * q.newH) / h) / dst;
          const [b] = undoLetterbox([[xn, yn, xn, yn]], q);
          expect(b[0]).toBeCloseTo(x, 6);
          expect(b[1]).toBeCloseTo(y, 6);
        },
      ),
      { numRuns: 300, seed: 3 },
    );
  });

  it('rejects bad boxes and params', () => {
    expect(() => undoLetterbox([[0, 0, NaN, 1]], p)).toThrow(/undoLetterbox: 'boxes\[0\]\[2\]' must be a finite number, got NaN/);
    expect(() => undoLetterbox([[0, 0, 1] as unknown as [number, number, number, number]], p)).toThrow(/'boxes\[0\]' must be \[x1, y1, x2, y2\]/);
    // @ts-expect-error bad units on purpose
    expect(() => undoLetterbox([[0, 0, 1, 1]], p, { units: 'px' })).toThrow(/'units' must be one of 'normalized', 'pixels'/);
    expect(() => undoLetterbox([[0, 0, 1, 1]], { ...p, newW: 0 })).toThrow(/'params.newW'/);
  });
});

describe('letterbox option keys (issue 18, item 5)', () => {
  it('unknown keys are ValueErrors naming the function and the near known key', () => {
    expect(() => letterboxParams(640, 480, 416, { roundng: 'floor' } as never)).toThrow(/letterboxParams: unknown option 'roundng'.*'rounding'/);
    const p = letterboxParams(640, 480, 416);
    expect(() => undoLetterbox([[0, 0, 1, 1]], p, { unit: 'pixels' } as never)).toThrow(/undoLetterbox: unknown option 'unit'.*'units'/);
    expect(() => undoLetterboxDetections([], p, { clp: false } as never)).toThrow(/undoLetterboxDetections: unknown option 'clp'/);
  });
});
