/**
 * What the calling thread and a kernel helper thread share: the start-up data, the request, and the
 * layout of the helper's shared state (an Int32 state word, the byte length of an error message, the
 * message's UTF-8 bytes).
 *
 * @internal
 * @packageDocumentation
 */

/** State word: a part is running (or none was posted yet). */
export const HELPER_BUSY = 0;
/** State word: the part finished. */
export const HELPER_DONE = 1;
/** State word: the part threw; the message is in the state buffer. */
export const HELPER_FAILED = 2;
/** Bytes of a helper's shared state. */
export const HELPER_STATE_BYTES = 8 + 1024;

/** `workerData` of a helper thread. */
export interface HelperInit {
  /** The wasm backend's shared memory. */
  memory: WebAssembly.Memory;
  /** This helper's state ({@link HELPER_STATE_BYTES}). */
  state: SharedArrayBuffer;
  /** The pool's shared block counter (one Int32) for shared splits. */
  counter: SharedArrayBuffer;
}

/** One part of a kernel task. */
export interface HelperRequest {
  task: string;
  args: readonly number[];
  lo: number;
  hi: number;
  part: number;
  /** Set for a shared split: take blocks of `grain` items of lo … hi−1 (lo = 0) from the counter. */
  grain?: number;
}

export function writeHelperError(state: SharedArrayBuffer, message: string): void {
  const bytes = new TextEncoder().encode(message).subarray(0, HELPER_STATE_BYTES - 8);
  new Uint8Array(state, 8).set(bytes);
  new Int32Array(state, 4, 1)[0] = bytes.length;
}

export function readHelperError(state: SharedArrayBuffer): string {
  const length = new Int32Array(state, 4, 1)[0];
  return new TextDecoder().decode(new Uint8Array(state, 8, length).slice());
}
