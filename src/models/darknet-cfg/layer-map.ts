/**
 * Which darknet layer each conv of a cfg-built model came from, so that `{ layers: n }` in the darknet
 * weights functions can count darknet's layers (as darknet's `partial`) rather than convs.
 *
 * @packageDocumentation
 */
import type * as tfl from '@tensorflow/tfjs-layers';

const maps = new WeakMap<tfl.LayersModel, { convLayers: readonly number[]; layerCount: number }>();

/** Record that conv `k` of `model` is darknet layer `convLayers[k]`, of `layerCount` layers in all. @internal */
export function registerDarknetLayerMap(model: tfl.LayersModel, convLayers: readonly number[], layerCount: number): void {
  maps.set(model, { convLayers: Object.freeze([...convLayers]), layerCount });
}

/** The darknet layer of each conv of `model`, when it was built by `modelFromDarknetCfg`. @internal */
export function darknetLayerMap(model: tfl.LayersModel): { convLayers: readonly number[]; layerCount: number } | undefined {
  return maps.get(model);
}
