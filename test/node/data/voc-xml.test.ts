import { describe, expect, it } from 'vitest';
import { FormatError, ValueError } from '../../../src/index.js';
import { readVOCAnnotation, writeVOCAnnotation } from '../../../src/node/index.js';
import { thrown } from '../../helpers.js';

const XML = `<annotation>
  <folder>VOC2007</folder>
  <filename>000005.jpg</filename>
  <size><width>500</width><height>375</height><depth>3</depth></size>
  <object>
    <name>chair</name><pose>Rear</pose><truncated>0</truncated><difficult>0</difficult>
    <bndbox><xmin>263</xmin><ymin>211</ymin><xmax>324</xmax><ymax>339</ymax></bndbox>
  </object>
  <object>
    <name> chair </name><truncated>1</truncated><difficult>1</difficult>
    <bndbox><xmin>5</xmin><ymin>244</ymin><xmax>67</xmax><ymax>374</ymax></bndbox>
  </object>
</annotation>`;

describe('readVOCAnnotation', () => {
  it('reads filename, size, objects with difficult/truncated flags, boxes as written', () => {
    const a = readVOCAnnotation(XML, 'Annotations/000005.xml');
    expect(a.filename).toBe('000005.jpg');
    expect(a.folder).toBe('VOC2007');
    expect(a.size).toEqual({ width: 500, height: 375, depth: 3 });
    expect(a.objects).toEqual([
      { name: 'chair', pose: 'Rear', box: [263, 211, 324, 339], difficult: false, truncated: false },
      { name: 'chair', box: [5, 244, 67, 374], difficult: true, truncated: true },
    ]);
  });

  it('a single object is still an array; an image without objects has none', () => {
    const one = XML.replace(/<object>\s*<name> chair[\s\S]*?<\/object>/, '');
    expect(readVOCAnnotation(one).objects).toHaveLength(1);
    expect(readVOCAnnotation('<annotation><filename>x.jpg</filename></annotation>').objects).toEqual([]);
  });

  it('round-trips through writeVOCAnnotation', () => {
    const a = readVOCAnnotation(XML);
    expect(readVOCAnnotation(writeVOCAnnotation(a))).toEqual(a);
  });

  it('rejects malformed input with the source named', () => {
    const src = 'Annotations/bad.xml';
    expect(() => readVOCAnnotation(XML.replace(/<bndbox>[\s\S]*?<\/bndbox>/, ''), src)).toThrow(
      /bad\.xml: object 0 \('chair'\) has no <bndbox>/,
    );
    expect(() => readVOCAnnotation(XML.replace('<xmin>263</xmin>', '<xmin>26x</xmin>'), src)).toThrow(
      /<xmin> must be a number, got "26x"/,
    );
    expect(() => readVOCAnnotation(XML.replace('<xmax>324</xmax>', '<xmax>200</xmax>'), src)).toThrow(
      /xmin ≤ xmax.*\(263, 211, 200, 339\)/,
    );
    expect(() => readVOCAnnotation('<annotation><object>', src)).toThrow(FormatError);
    expect(() => readVOCAnnotation('<root/>', src)).toThrow(/expected an <annotation> root/);
    const e = thrown(() => readVOCAnnotation('<annotation>\n<filename>a</filename>\n<object></annotation>', src));
    expect(e).toBeInstanceOf(FormatError);
    expect((e as FormatError).file).toBe(src);
    expect((e as FormatError).line).toBeGreaterThan(1);
  });
});

describe('writeVOCAnnotation fields (issue 18, item 5)', () => {
  it('a field the format has no place for is a ValueError naming it, not silently dropped', () => {
    const object = { name: 'cat', box: [1, 2, 3, 4] as [number, number, number, number], difficult: false, truncated: false };
    expect(() => writeVOCAnnotation({ filename: 'a.jpg', objects: [], segmented: true } as never)).toThrow(ValueError);
    expect(() => writeVOCAnnotation({ filename: 'a.jpg', objects: [], segmented: true } as never)).toThrow(/writeVOCAnnotation: unknown option 'segmented' in 'annotation'/);
    expect(() => writeVOCAnnotation({ filename: 'a.jpg', objects: [object, { ...object, dificult: true }] } as never)).toThrow(
      /unknown option 'dificult' in 'annotation.objects\[1\]'.*did you mean 'difficult'/,
    );
    expect(() => writeVOCAnnotation({ filename: 'a.jpg', object: [object] } as never)).toThrow(/unknown option 'object'.*did you mean 'objects'/);
  });
});
