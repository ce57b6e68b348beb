/**
 * An indexed binary max-heap of box indices keyed by a shared score array, with decrease-key and
 * removal: the priority queue of soft-NMS. Order: higher score first, equal scores lower index first.
 *
 * @internal
 * @packageDocumentation
 */

/** @internal */
export class ScoreHeap {
  private readonly heap: Int32Array;
  /** Position of each box in `heap`, −1 when absent. */
  private readonly pos: Int32Array;
  size = 0;

  /**
   * @param key the score of every box; the caller lowers `key[i]` and then calls {@link ScoreHeap.decreased}.
   * @param capacity the most boxes held at once.
   */
  constructor(private readonly key: Float32Array, capacity: number) {
    this.heap = new Int32Array(capacity);
    this.pos = new Int32Array(key.length).fill(-1);
  }

  /** Whether box `i` is in the heap. */
  has(i: number): boolean {
    return this.pos[i] >= 0;
  }

  private before(a: number, b: number): boolean {
    const ka = this.key[a], kb = this.key[b];
    return ka > kb || (ka === kb && a < b);
  }

  private place(at: number, i: number): void {
    this.heap[at] = i;
    this.pos[i] = at;
  }

  private up(at: number): void {
    const i = this.heap[at];
    while (at > 0) {
      const p = (at - 1) >> 1;
      const q = this.heap[p];
      if (!this.before(i, q)) break;
      this.place(at, q);
      at = p;
    }
    this.place(at, i);
  }

  private down(at: number): void {
    const i = this.heap[at];
    for (;;) {
      const l = 2 * at + 1;
      if (l >= this.size) break;
      const r = l + 1;
      const c = r < this.size && this.before(this.heap[r], this.heap[l]) ? r : l;
      if (!this.before(this.heap[c], i)) break;
      this.place(at, this.heap[c]);
      at = c;
    }
    this.place(at, i);
  }

  /** Add box `i` (with its current key). */
  push(i: number): void {
    this.place(this.size++, i);
    this.up(this.size - 1);
  }

  /** Remove and return the first box. */
  pop(): number {
    const top = this.heap[0];
    this.removeAt(0);
    return top;
  }

  /** Restore the order after `key[i]` was lowered. */
  decreased(i: number): void {
    this.down(this.pos[i]);
  }

  /** Remove box `i`. */
  remove(i: number): void {
    this.removeAt(this.pos[i]);
  }

  private removeAt(at: number): void {
    const gone = this.heap[at];
    this.pos[gone] = -1;
    const last = this.heap[--this.size];
    if (at === this.size) return;
    this.place(at, last);
    // The moved box may need to go either way.
    this.up(at);
    this.down(this.pos[last]);
  }
}
