/**
 * `[region]` → configuration: the `YOLOv2Loss` options darknet's region layer trains with, and the
 * `decodeBoxes` options that read the head it ends.
 *
 * @packageDocumentation
 */
import type { Anchor } from '../../anchors.js';
import { ValueError, describe } from '../../errors.js';
import type { HeadSpec } from '../../head/layout.js';
import { LOSS_PRESETS, type YOLOv2LossConfig } from '../../loss/presets.js';
import type { RegionOptions } from './schema.js';

function checkRegion(fn: string, region: RegionOptions): Anchor[] {
  if (region === null || typeof region !== 'object' || !Array.isArray(region.anchors)) {
    throw new ValueError(`${fn}: 'region' must be the [region] options of a parsed cfg (modelFromDarknetCfg(...).region), got ${describe(region)}`);
  }
  const { anchors, num, classes, coords } = region;
  if (!(Number.isInteger(num) && num >= 1) || anchors.length !== 2 * num) {
    throw new ValueError(`${fn}: [region] must have num ≥ 1 and 2·num anchors, got num=${describe(num)} and ${anchors.length} anchor values`);
  }
  if (!(Number.isInteger(classes) && classes >= 1)) throw new ValueError(`${fn}: [region] 'classes' must be an integer ≥ 1, got ${describe(classes)}`);
  if (coords !== 4) throw new ValueError(`${fn}: [region] 'coords' must be 4, got ${describe(coords)}`);
  const pairs: Anchor[] = [];
  for (let a = 0; a < num; a++) {
    const [w, h] = [anchors[2 * a], anchors[2 * a + 1]];
    if (!(w > 0 && h > 0 && Number.isFinite(w) && Number.isFinite(h))) {
      throw new ValueError(`${fn}: [region] anchor ${a} must have w, h > 0 (grid cells), got ${describe(w)}, ${describe(h)}`);
    }
    pairs.push([w, h]);
  }
  return pairs;
}

/**
 * The `decodeBoxes` options for the head a `[region]` ends: its anchors (grid cells), classes, NHWC.
 * @throws ValueError when num, classes, coords or the anchors are malformed.
 */
export function regionDecodeOptions(region: RegionOptions): Required<HeadSpec> {
  const anchors = checkRegion('regionDecodeOptions', region);
  return { anchors, numClasses: region.classes, anchorUnits: 'grid', layout: 'NHWC' };
}

/**
 * The `YOLOv2Loss` options of darknet's region layer for a `[region]` section: `LOSS_PRESETS.darknet`
 * with the section's anchors (grid cells), classes, `object_scale` → objScale, `noobject_scale` →
 * noobjScale, `class_scale` → classScale, `coord_scale` → coordScale, `thresh` → ignoreThresh,
 * `rescore` → objTarget (`'iou'` when 1, `'one'` when 0), `bias_match=1` → anchorMatch `'shape'`,
 * `softmax=1` → classLoss `'softmax-ce'`; and darknet's prior warm-up (the first 12,800 images pull
 * non-responsible boxes toward their anchors with weight 0.01).
 *
 * @throws ValueError for settings the loss cannot reproduce: `softmax=0` (per-class logistic), `bias_match=0`,
 *   `log` ≠ 0 or `sqrt=1`, or malformed anchors.
 */
export function regionLossOptions(region: RegionOptions): YOLOv2LossConfig {
  const fn = 'regionLossOptions';
  const anchors = checkRegion(fn, region);
  const unsupported: string[] = [];
  if (!region.softmax) unsupported.push('softmax=0 (per-class logistic; the loss uses a softmax)');
  if (!region.bias_match) unsupported.push('bias_match=0 (the loss matches anchors by shape, as bias_match=1)');
  if (region.log) unsupported.push(`log=${region.log}`);
  if (region.sqrt) unsupported.push('sqrt=1');
  if (unsupported.length > 0) throw new ValueError(`${fn}: [region] settings the loss does not support: ${unsupported.join('; ')}`);
  return {
    ...LOSS_PRESETS.darknet,
    anchors,
    numClasses: region.classes,
    anchorUnits: 'grid',
    objScale: region.object_scale,
    noobjScale: region.noobject_scale,
    classScale: region.class_scale,
    coordScale: region.coord_scale,
    ignoreThresh: region.thresh,
    objTarget: region.rescore ? 'iou' : 'one',
    anchorMatch: 'shape',
    classLoss: 'softmax-ce',
    priorWarmup: { images: 12800, scale: 0.01 },
  };
}
