/**
 * A static uniform grid over corner boxes, used by the NMS fast path to visit only the boxes that
 * overlap a given box instead of all of them.
 *
 * Layout: every box is stored once, in the cell of its top-left corner `(x1, y1)`, in compressed rows
 * (the boxes of a cell are contiguous, with their coordinates copied next to their ids). Boxes wider or
 * taller than 4× the mean go to a separate "large" list instead. Boxes the caller marks dead (kept or
 * suppressed) are compacted out of the cells as queries meet them, so later queries scan fewer entries.
 *
 * Exactness: a grid box `j` with a positive intersection with box `b` has `x1_j ∈ (x1_b − w_j, x2_b)` and
 * `w_j ≤ maxW` (the widest grid box), likewise in y; a query visits every cell whose corner range meets
 * `[x1_b − maxW, x2_b] × [y1_b − maxH, y2_b]` (widened by a relative 1e-6 against rounding) plus the
 * large list, and the cell index is a monotone function of the coordinate. So every box with a
 * positive float32 intersection with `b` is visited, which covers every pair with IoU > 0.
 *
 * @internal
 * @packageDocumentation
 */

/** Boxes wider (taller) than this many times the mean width (height) go to the large list. */
const LARGE = 4;
/** Cell side as a fraction of the mean box side (fewer wasted visits than 1, fewer rows than 0.25). */
const CELL = 0.5;

/** Cell layout of a {@link BoxGrid}: which boxes are large, the grid size, origin, inverse cell size and widest box. */
interface GridLayout {
  isLarge: Uint8Array;
  nLarge: number;
  gx: number;
  gy: number;
  x0: number;
  y0: number;
  invW: number;
  invH: number;
  maxW: number;
  maxH: number;
}

/** Split off the large boxes and size the cells from the small ones (half their mean side, at most ~N cells). */
function gridLayout(boxes: Float32Array, members: Int32Array): GridLayout {
  const count = members.length;
  let sumW = 0, sumH = 0;
  for (let m = 0; m < count; m++) {
    const o = 4 * members[m];
    sumW += boxes[o + 2] - boxes[o];
    sumH += boxes[o + 3] - boxes[o + 1];
  }
  const limW = count > 0 ? (LARGE * sumW) / count : 0;
  const limH = count > 0 ? (LARGE * sumH) / count : 0;
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity, maxW = 0, maxH = 0;
  let nLarge = 0;
  let smallW = 0, smallH = 0;
  const isLarge = new Uint8Array(count);
  for (let m = 0; m < count; m++) {
    const o = 4 * members[m];
    const w = boxes[o + 2] - boxes[o], h = boxes[o + 3] - boxes[o + 1];
    if (w > limW || h > limH) {
      isLarge[m] = 1;
      nLarge++;
      continue;
    }
    const x = boxes[o], y = boxes[o + 1];
    if (x < minX) minX = x;
    if (y < minY) minY = y;
    if (x > maxX) maxX = x;
    if (y > maxY) maxY = y;
    if (w > maxW) maxW = w;
    if (h > maxH) maxH = h;
    smallW += w;
    smallH += h;
  }
  const nSmall = count - nLarge;
  const extentX = nSmall > 0 ? maxX - minX : 0;
  const extentY = nSmall > 0 ? maxY - minY : 0;
  const meanW = nSmall > 0 ? smallW / nSmall : 0;
  const meanH = nSmall > 0 ? smallH / nSmall : 0;
  // Cells of half the mean box side, at most ~N cells in all.
  let gx = extentX > 0 && meanW > 0 ? Math.ceil(extentX / (meanW * CELL)) : 1;
  let gy = extentY > 0 && meanH > 0 ? Math.ceil(extentY / (meanH * CELL)) : 1;
  const maxCells = Math.max(16, nSmall);
  if (gx * gy > maxCells) {
    const f = Math.sqrt((gx * gy) / maxCells);
    gx = Math.max(1, Math.floor(gx / f));
    gy = Math.max(1, Math.floor(gy / f));
  }
  return {
    isLarge, nLarge, gx, gy,
    x0: nSmall > 0 ? minX : 0,
    y0: nSmall > 0 ? minY : 0,
    // gx cells over [minX, maxX]: maxX lands in the last cell after clamping.
    invW: extentX > 0 ? gx / extentX : 0,
    invH: extentY > 0 ? gy / extentY : 0,
    maxW: maxW * (1 + 1e-6),
    maxH: maxH * (1 + 1e-6),
  };
}

/** @internal */
export class BoxGrid {
  private readonly x0: number;
  private readonly y0: number;
  private readonly invW: number;
  private readonly invH: number;
  private readonly gx: number;
  private readonly gy: number;
  private readonly maxW: number;
  private readonly maxH: number;
  private readonly start: Int32Array;
  /** End of each cell's live entries (dead entries are swapped past it). */
  private readonly end: Int32Array;
  private nLarge: number;
  private readonly ids: Int32Array;
  /** Coordinates of the stored boxes in cell order, 4 per entry (x1, y1, x2, y2). */
  private readonly coords: Float32Array;
  private readonly large: Int32Array;
  /** Output buffer of {@link BoxGrid.overlapping}. */
  readonly hits: Int32Array;

  /**
   * @param boxes flat float32 corner boxes, box `i` at `boxes[4i … 4i+3]`.
   * @param members the indices of the boxes to store (each with positive width and height).
   */
  constructor(private readonly boxes: Float32Array, members: Int32Array) {
    const count = members.length;
    const g = gridLayout(boxes, members);
    const { isLarge, nLarge, gx, gy } = g;
    const nSmall = count - nLarge;
    this.gx = gx;
    this.gy = gy;
    this.x0 = g.x0;
    this.y0 = g.y0;
    this.invW = g.invW;
    this.invH = g.invH;
    this.maxW = g.maxW;
    this.maxH = g.maxH;

    // Counting sort of the small boxes by cell (compressed rows).
    const cellOf = new Int32Array(count);
    const start = new Int32Array(gx * gy + 1);
    for (let m = 0; m < count; m++) {
      if (isLarge[m]) continue;
      const o = 4 * members[m];
      const cell = this.cy(boxes[o + 1]) * gx + this.cx(boxes[o]);
      cellOf[m] = cell;
      start[cell + 1]++;
    }
    for (let c = 0; c < gx * gy; c++) start[c + 1] += start[c];
    const fill = start.slice(0, gx * gy);
    this.ids = new Int32Array(nSmall);
    this.coords = new Float32Array(4 * nSmall);
    this.large = new Int32Array(nLarge);
    this.hits = new Int32Array(count);
    let l = 0;
    for (let m = 0; m < count; m++) {
      const id = members[m];
      if (isLarge[m]) {
        this.large[l++] = id;
        continue;
      }
      const e = fill[cellOf[m]]++;
      const o = 4 * id;
      this.ids[e] = id;
      this.coords[4 * e] = boxes[o];
      this.coords[4 * e + 1] = boxes[o + 1];
      this.coords[4 * e + 2] = boxes[o + 2];
      this.coords[4 * e + 3] = boxes[o + 3];
    }
    this.start = start;
    this.end = fill; // after the fill, fill[c] = start[c + 1]
    this.nLarge = nLarge;
  }

  private cx(x: number): number {
    const c = Math.floor((x - this.x0) * this.invW);
    return c < 0 ? 0 : c >= this.gx ? this.gx - 1 : c;
  }

  private cy(y: number): number {
    const c = Math.floor((y - this.y0) * this.invH);
    return c < 0 ? 0 : c >= this.gy ? this.gy - 1 : c;
  }

  /**
   * Find every live stored box `j` with a positive intersection with box `b`, each once: their indices
   * are written to `hits[0 … n−1]` (in no particular order). Boxes with `dead[j]` set are dropped from the
   * grid for good as they are met (callers only ever mark more boxes dead).
   * @returns n.
   */
  overlapping(b: number, dead: Uint8Array): number {
    const bx = this.boxes;
    const o = 4 * b;
    const x1 = bx[o], y1 = bx[o + 1], x2 = bx[o + 2], y2 = bx[o + 3];
    const { large, hits, start, end, ids, coords, gx } = this;
    let n = 0;
    let nl = this.nLarge;
    for (let k = 0; k < nl; ) {
      const id = large[k];
      if (dead[id]) {
        large[k] = large[--nl];
        continue;
      }
      const q = 4 * id;
      if (bx[q] < x2 && bx[q + 2] > x1 && bx[q + 1] < y2 && bx[q + 3] > y1) hits[n++] = id;
      k++;
    }
    this.nLarge = nl;
    const lx = x1 - this.maxW, ly = y1 - this.maxH;
    const c0 = this.cx(lx - Math.abs(lx) * 1e-6), c1 = this.cx(x2 + Math.abs(x2) * 1e-6);
    const r0 = this.cy(ly - Math.abs(ly) * 1e-6), r1 = this.cy(y2 + Math.abs(y2) * 1e-6);
    for (let r = r0; r <= r1; r++) {
      for (let cell = r * gx + c0, last = r * gx + c1; cell <= last; cell++) {
        let e1 = end[cell];
        for (let e = start[cell]; e < e1; ) {
          const id = ids[e];
          const q = 4 * e;
          if (dead[id]) {
            // Swap the last live entry of the cell into this slot.
            const z = 4 * --e1;
            ids[e] = ids[e1];
            coords[q] = coords[z];
            coords[q + 1] = coords[z + 1];
            coords[q + 2] = coords[z + 2];
            coords[q + 3] = coords[z + 3];
            continue;
          }
          if (coords[q] < x2 && coords[q + 2] > x1 && coords[q + 1] < y2 && coords[q + 3] > y1) hits[n++] = id;
          e++;
        }
        end[cell] = e1;
      }
    }
    return n;
  }
}
