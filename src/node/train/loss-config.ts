/**
 * Rebuilding a loss from its serialisable value ({@link SerializedLoss}), as gradient workers do.
 *
 * @packageDocumentation
 * @internal
 */
import { ValueError } from '../../errors.js';
import { YOLOv2Loss } from '../../loss/yolov2-loss.js';
import type { LossLike, SerializedLoss } from './contracts.js';

/** The loss a {@link SerializedLoss} describes. @throws ValueError for an unknown kind. @internal */
export function lossFromConfig(value: SerializedLoss): LossLike {
  switch (value.kind) {
    case 'yolov2':
      return new YOLOv2Loss(value.config);
    default:
      throw new ValueError(`lossFromConfig: 'kind' must be 'yolov2', got ${JSON.stringify((value as { kind: unknown }).kind)}`);
  }
}
