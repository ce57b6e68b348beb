/**
 * Class-name lists of the standard detection datasets, in their canonical id order.
 *
 * @packageDocumentation
 */

/** The 20 PASCAL VOC classes, ids 0…19 in the devkit's order. */
export const VOC_CLASSES: readonly string[] = Object.freeze([
  'aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car', 'cat', 'chair', 'cow',
  'diningtable', 'dog', 'horse', 'motorbike', 'person', 'pottedplant', 'sheep', 'sofa', 'train', 'tvmonitor',
]);
