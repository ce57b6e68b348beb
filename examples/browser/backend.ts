/**
 * The backend of the training and video pages, chosen at run time: `webgpu` when the browser offers
 * WebGPU and a webgpu backend is registered (add `@tensorflow/tfjs-backend-webgpu` and import it to get
 * one), else `webgl`, else `cpu`. `?backend=<name>` forces one.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-cpu';

/** Try the backends in order; returns the one now active. */
export async function chooseBackend(forced?: string | null): Promise<string> {
  const offersWebGPU = typeof navigator !== 'undefined' && 'gpu' in navigator && tf.findBackendFactory('webgpu') !== null;
  const order = forced ? [forced] : [...(offersWebGPU ? ['webgpu'] : []), 'webgl', 'cpu'];
  for (const name of order) {
    try {
      if (await tf.setBackend(name)) {
        await tf.ready();
        return name;
      }
    } catch {
      // try the next one
    }
  }
  throw new Error(`no backend of ${order.join(', ')} could be initialised`);
}

/** WebGL version, float32 rendering and the renderer's name (SwiftShader when software-rendered). */
export function webglInfo(): { version: number; float32: boolean; renderer: string } {
  let renderer = 'unknown';
  try {
    const gl = document.createElement('canvas').getContext('webgl2');
    const ext = gl?.getExtension('WEBGL_debug_renderer_info');
    if (gl) renderer = String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
  } catch {
    // keep 'unknown'
  }
  const isGL = tf.getBackend() === 'webgl';
  return { version: isGL ? tf.env().getNumber('WEBGL_VERSION') : 0, float32: isGL && tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED'), renderer };
}
