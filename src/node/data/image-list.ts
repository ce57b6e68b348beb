/**
 * A dataset given as a text file listing image paths (darknet's `train.txt`, ultralytics' `*.txt`
 * splits), with YOLO labels where darknet looks for them.
 *
 * @packageDocumentation
 */
import { access, readFile } from 'node:fs/promises';
import { dirname, extname, isAbsolute, join } from 'node:path';
import { FormatError, ValueError, describe } from '../../errors.js';
import { type DetectionDataset, type DetectionSample, type SampleObject, clipObjects } from './datasets.js';
import { parseYOLOLabels } from './yolo-labels.js';
import { decodeImage } from './image.js';

/**
 * The label file of an image, as darknet's `fill_truth_detection` finds it: the first `/images/` or
 * `/JPEGImages/` folder becomes `/labels/`, the extension becomes `.txt`.
 * Example: `data/images/train/a.jpg` → `data/labels/train/a.txt`.
 */
export function labelPathOf(imagePath: string): string {
  const p = imagePath.replace(/([\\/])(images|JPEGImages)([\\/])/, '$1labels$3');
  return p.slice(0, p.length - extname(p).length) + '.txt';
}

/** Images listed one per line in a text file (relative lines resolve against the list's folder); YOLO labels beside them. */
export class ImageListDataset implements DetectionDataset {
  private constructor(
    readonly list: string,
    readonly files: readonly string[],
    readonly classNames: readonly string[],
  ) {}

  get length(): number {
    return this.files.length;
  }

  /** Read the list (blank lines and `#` comments skipped); no image is decoded yet. */
  static async open(list: string, classNames: readonly string[]): Promise<ImageListDataset> {
    let text: string;
    try {
      text = await readFile(list, 'utf8');
    } catch (e) {
      throw new FormatError(`ImageListDataset.open: cannot read ${list} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, list);
    }
    const files = text
      .split(/\r?\n/)
      .map((l) => l.replace(/#.*/, '').trim())
      .filter((l) => l)
      .map((l) => (isAbsolute(l) ? l : join(dirname(list), l)));
    return new ImageListDataset(list, files, classNames);
  }

  async get(index: number): Promise<DetectionSample> {
    if (!Number.isInteger(index) || index < 0 || index >= this.length) {
      throw new ValueError(`ImageListDataset.get: 'index' must be an integer in [0, ${this.length - 1}], got ${describe(index)}`);
    }
    const file = this.files[index];
    const image = await decodeImage(file);
    const labelPath = labelPathOf(file);
    let text = '';
    try {
      await access(labelPath);
      text = await readFile(labelPath, 'utf8');
    } catch {
      // an image without a label file has no objects (a background image)
    }
    const { width: W, height: H } = image;
    const objects: SampleObject[] = parseYOLOLabels(text, labelPath, { numClasses: this.classNames.length }).map((r) => {
      const [cx, cy, w, h] = r.box;
      return { classId: r.classId, box: [(cx - w / 2) * W, (cy - h / 2) * H, (cx + w / 2) * W, (cy + h / 2) * H] };
    });
    const c = clipObjects(objects, W, H, 'clip', labelPath);
    const id = file.slice(dirname(file).length + 1, file.length - extname(file).length);
    return { id, image, objects: c.objects, clippedBoxes: c.clipped, droppedBoxes: c.dropped };
  }
}
