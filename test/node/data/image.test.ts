import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { FormatError, ValueError } from '../../../src/errors.js';
import type { RGBImage } from '../../../src/node/data/datasets.js';
import {
  classColour,
  decodeImage,
  detectionsSVG,
  drawDetections,
  encodePNG,
  imageToFloat32,
  imageToTensor,
  letterboxBox,
  letterboxGeometry,
  letterboxImage,
  resizeImage,
} from '../../../src/node/data/image.js';
import { expectNoLeak, thrown } from '../../helpers.js';

/** A black image with white rectangles painted over pixel columns x1…x2−1, rows y1…y2−1. */
function rectImage(width: number, height: number, ...boxes: number[][]): RGBImage {
  const data = new Uint8Array(width * height * 3);
  for (const [x1, y1, x2, y2] of boxes) {
    for (let y = y1; y < y2; y++) data.fill(255, (y * width + x1) * 3, (y * width + x2) * 3);
  }
  return { width, height, data };
}

/** Extent (continuous corners) of pixels whose red channel is ≥ threshold. */
function extent(img: RGBImage, threshold = 128): number[] | null {
  let x1 = Infinity, y1 = Infinity, x2 = -Infinity, y2 = -Infinity;
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      if (img.data[(y * img.width + x) * 3] < threshold) continue;
      x1 = Math.min(x1, x); y1 = Math.min(y1, y); x2 = Math.max(x2, x + 1); y2 = Math.max(y2, y + 1);
    }
  }
  return x1 === Infinity ? null : [x1, y1, x2, y2];
}

describe('letterboxGeometry', () => {
  it('200×100 into 64×64: scale 0.32, 64×32, 16 px top and bottom', () => {
    expect(letterboxGeometry(200, 100, 64)).toEqual({
      scale: 0.32, width: 64, height: 32, left: 0, top: 16, right: 0, bottom: 16, canvasWidth: 64, canvasHeight: 64,
    });
  });

  it('odd padding goes right/bottom: 100×200 into 63×63 → 0.315, 32×63 (31.5 rounds up), left 15, right 16', () => {
    const g = letterboxGeometry(100, 200, 63);
    expect(g.scale).toBeCloseTo(0.315, 12);
    expect([g.width, g.height, g.left, g.right, g.top, g.bottom]).toEqual([32, 63, 15, 16, 0, 0]);
  });

  it('non-square canvas and identity', () => {
    expect(letterboxGeometry(100, 100, 100, 50)).toMatchObject({ scale: 0.5, width: 50, height: 50, left: 25, right: 25, top: 0 });
    expect(letterboxGeometry(64, 64, 64)).toMatchObject({ scale: 1, width: 64, height: 64, left: 0, top: 0 });
  });

  it('maps boxes: (50, 25, 150, 75) in 200×100 → (16, 24, 48, 40) in the 64×64 canvas', () => {
    // x' = 0 + 50·64/200 = 16, y' = 16 + 25·32/100 = 24, 150·0.32 = 48, 16 + 75·0.32 = 40
    expect(letterboxBox([50, 25, 150, 75], 200, 100, letterboxGeometry(200, 100, 64))).toEqual([16, 24, 48, 40]);
  });

  it('rejects non-integer sizes', () => {
    expect(thrown(() => letterboxGeometry(0, 10, 10))).toBeInstanceOf(ValueError);
    expect(thrown(() => letterboxGeometry(10, 10, 1.5)).message).toMatch(/letterboxGeometry: 'dstWidth' must be an integer/);
  });
});

describe('letterboxImage / resizeImage (sharp)', () => {
  it('pads with grey 128 and places the white rectangle where letterboxBox says, within a pixel', async () => {
    const src = rectImage(200, 100, [50, 25, 150, 75]);
    const { image, geometry } = await letterboxImage(src, 64);
    expect([image.width, image.height, image.data.length]).toEqual([64, 64, 64 * 64 * 3]);
    // padding rows 0…15 and 48…63 are exactly the fill
    for (const y of [0, 15, 48, 63]) for (const x of [0, 31, 63]) expect(image.data[(y * 64 + x) * 3 + 1]).toBe(128);
    const expected = letterboxBox([50, 25, 150, 75], 200, 100, geometry); // (16, 24, 48, 40)
    const got = extent(image, 192)!; // padding is 128, black 0, white 255
    got.forEach((v, i) => expect(Math.abs(v - expected[i])).toBeLessThanOrEqual(1));
  });

  it('fill colour option; resize to an exact size', async () => {
    const src = rectImage(10, 20, [0, 0, 10, 20]);
    const { image } = await letterboxImage(src, { width: 20, height: 20 }, { fill: [0, 255, 0] });
    expect(Array.from(image.data.subarray(0, 3))).toEqual([0, 255, 0]); // left padding, pixel (0, 0)
    const r = await resizeImage(src, 5, 7);
    expect([r.width, r.height, r.data.length]).toEqual([5, 7, 105]);
    expect(r.data.every((v) => v === 255)).toBe(true);
  });
});

describe('decodeImage', () => {
  it('round-trips PNG exactly; grey expands to RGB; alpha is dropped', async () => {
    const img = rectImage(7, 5, [1, 1, 4, 3]);
    img.data[0] = 17;
    const back = await decodeImage(await encodePNG(img));
    expect(back).toEqual({ width: 7, height: 5, data: img.data });
    const grey = await sharp(Buffer.from([0, 50, 100, 150, 200, 250]), { raw: { width: 3, height: 2, channels: 1 } }).png().toBuffer();
    const g = await decodeImage(grey);
    expect(Array.from(g.data.subarray(0, 6))).toEqual([0, 0, 0, 50, 50, 50]);
    const rgba = await sharp(Buffer.from([10, 20, 30, 40]), { raw: { width: 1, height: 1, channels: 4 } }).png().toBuffer();
    expect(Array.from((await decodeImage(rgba)).data)).toEqual([10, 20, 30]);
  });

  it('truncated, garbage and missing files → FormatError naming the file', async () => {
    const jpg = await sharp({ create: { width: 32, height: 32, channels: 3, background: '#f00' } }).jpeg().toBuffer();
    const e1 = await decodeImage(jpg.subarray(0, jpg.length - 10), 'JPEGImages/cut.jpg').catch((e) => e);
    expect(e1).toBeInstanceOf(FormatError);
    expect(e1.file).toBe('JPEGImages/cut.jpg');
    expect(e1.message).toMatch(/decodeImage: JPEGImages\/cut.jpg: cannot decode the image \(.*premature end/);
    const e2 = await decodeImage(Buffer.from('not an image'), 'bad.png').catch((e) => e);
    expect(e2).toBeInstanceOf(FormatError);
    expect(e2.message).toMatch(/bad.png/);
    const e3 = await decodeImage('/nonexistent/dir/x.jpg').catch((e) => e);
    expect(e3).toBeInstanceOf(FormatError);
    expect(e3.file).toBe('/nonexistent/dir/x.jpg');
  });
});

describe('imageToFloat32 / imageToTensor', () => {
  it('divides by 255, HWC, writes at an offset', () => {
    const img: RGBImage = { width: 2, height: 1, data: new Uint8Array([0, 51, 255, 102, 204, 1]) };
    expect(Array.from(imageToFloat32(img))).toEqual([0, 51, 255, 102, 204, 1].map((v) => Math.fround(v * (1 / 255))));
    const out = new Float32Array(8).fill(-1);
    imageToFloat32(img, out, 2);
    expect(out[0]).toBe(-1);
    expect(out[4]).toBe(1);
    expect(thrown(() => imageToFloat32(img, new Float32Array(5)))).toBeInstanceOf(ValueError);
    expect(thrown(() => imageToFloat32({ width: 2, height: 2, data: new Uint8Array(3) })).message).toMatch(
      /imageToFloat32: 'image' must be an RGBImage/,
    );
  });

  it('tensor [H, W, 3] float32 without leaks', () => {
    const img = rectImage(3, 2, [0, 0, 1, 1]);
    expectNoLeak(() => {
      const t = imageToTensor(img);
      expect(t.shape).toEqual([2, 3, 3]);
      expect(t.dtype).toBe('float32');
      expect(t.dataSync()[0]).toBe(1);
      t.dispose();
    });
  });
});

describe('drawDetections', () => {
  it('draws class-coloured boxes (normalised units) and labels, leaves the rest untouched', async () => {
    const img: RGBImage = { width: 100, height: 80, data: new Uint8Array(100 * 80 * 3).fill(40) };
    const png = await drawDetections(img, [{ box: [0.2, 0.5, 0.6, 0.9], classId: 1, score: 0.875 }], {
      classNames: ['a', 'shape<&>'],
      lineWidth: 2,
    });
    const out = await decodeImage(png);
    expect([out.width, out.height]).toEqual([100, 80]);
    const px = (x: number, y: number) => Array.from(out.data.subarray((y * 100 + x) * 3, (y * 100 + x) * 3 + 3));
    const colour = classColour(1).match(/\d+/g)!.map(Number);
    // the left edge x = 20 (stroke 19…21), halfway down the box (y = 56)
    expect(px(20, 56)).toEqual(colour);
    // far from the box: unchanged
    expect(px(90, 10)).toEqual([40, 40, 40]);
    expect(px(40, 60)).toEqual([40, 40, 40]);
    // a label band above the box (y 40 − 12 − 2 = 26 … 40) is painted
    expect(px(22, 30)).not.toEqual([40, 40, 40]);
  });

  it('pixel units, dashed ground truth, escaped labels; bad boxes → ValueError', () => {
    const svg = detectionsSVG(10, 10, [{ box: [1, 2, 3, 4], classId: 0 }], {
      units: 'pixels', classNames: ['x<y'], groundTruth: [{ box: [0, 0, 5, 5], classId: 0 }],
    });
    expect(svg).toContain('x="1.0" y="2.0" width="2.0" height="2.0"');
    expect(svg).toContain('stroke-dasharray');
    expect(svg).toContain('x&lt;y');
    expect(thrown(() => detectionsSVG(10, 10, [{ box: [0, 0, NaN, 1], classId: 0 }]))).toBeInstanceOf(ValueError);
    expect(thrown(() => detectionsSVG(10, 10, [], { units: 'px' as 'pixels' }))).toBeInstanceOf(ValueError);
  });
});
