/**
 * A KD-tree over float64 points for exact k-nearest-neighbour queries in low dimensions (the 5-d UMAP
 * output that HDBSCAN clusters). Nodes are stored in flat typed arrays in preorder (a child always has a
 * larger id than its parent), each covering a contiguous range of the permuted point order `index`, with
 * its bounding box, so callers (HDBSCAN's Boruvka MST) can walk the tree with their own pruning rules.
 *
 * All distances here are squared Euclidean, computed by `squaredDistance` with one fixed summation order,
 * so that the same pair of points always gives bit-identical values wherever it is measured.
 */

/** Squared Euclidean distance between row i of `a` and row j of `b` (both `dim` wide). */
export function squaredDistance(a: Float64Array, i: number, b: Float64Array, j: number, dim: number): number {
  let s = 0;
  const oi = i * dim;
  const oj = j * dim;
  for (let d = 0; d < dim; d++) {
    const t = a[oi + d] - b[oj + d];
    s += t * t;
  }
  return s;
}

/** The k nearest neighbours of each query row: squared distances ascending, ties by index. */
export interface KnnResult {
  readonly k: number;
  /** Row q is [q * k, (q + 1) * k). */
  readonly indices: Int32Array;
  readonly squaredDistances: Float64Array;
}

export class KDTree {
  readonly points: Float64Array;
  readonly size: number;
  readonly dim: number;
  /** Point ids in tree order: node m covers index[start[m] .. end[m]). */
  readonly index: Int32Array;
  readonly start: Int32Array;
  readonly end: Int32Array;
  /** Child node ids, -1 for a leaf. */
  readonly left: Int32Array;
  readonly right: Int32Array;
  /** Bounding boxes, node m's is [m * dim, (m + 1) * dim). */
  readonly lower: Float64Array;
  readonly upper: Float64Array;
  readonly nodeCount: number;

  /** Builds the tree over `points` (row-major, `size` x `dim`, not copied); leaves hold <= leafSize points. */
  constructor(points: Float64Array, size: number, dim: number, leafSize = 16) {
    if (points.length !== size * dim) throw new Error(`KDTree: ${points.length} values for ${size} x ${dim}`);
    this.points = points;
    this.size = size;
    this.dim = dim;
    this.index = new Int32Array(size);
    for (let i = 0; i < size; i++) this.index[i] = i;
    const maxNodes = Math.max(1, 2 * Math.ceil(size / Math.max(1, leafSize >> 1)) + 1);
    this.start = new Int32Array(maxNodes);
    this.end = new Int32Array(maxNodes);
    this.left = new Int32Array(maxNodes).fill(-1);
    this.right = new Int32Array(maxNodes).fill(-1);
    this.lower = new Float64Array(maxNodes * dim);
    this.upper = new Float64Array(maxNodes * dim);
    let count = 0;
    // Iterative build: a stack of [node, start, end]; node ids handed out in preorder.
    const stack: number[] = [];
    const newNode = (s: number, e: number): number => {
      const m = count++;
      this.start[m] = s;
      this.end[m] = e;
      return m;
    };
    if (size > 0) stack.push(newNode(0, size));
    while (stack.length) {
      const m = stack.pop()!;
      const s = this.start[m];
      const e = this.end[m];
      const spread = this.fitBox(m, s, e);
      if (e - s <= leafSize || spread.width === 0) continue;
      const mid = (s + e) >> 1;
      this.select(s, e, mid, spread.axis);
      // Preorder ids: the left child is numbered right after its parent's subtree root.
      const l = newNode(s, mid);
      const r = newNode(mid, e);
      this.left[m] = l;
      this.right[m] = r;
      stack.push(r, l);
    }
    this.nodeCount = count;
  }

  /** Sets node m's bounding box; returns its widest axis and width. */
  private fitBox(m: number, s: number, e: number): { axis: number; width: number } {
    const { dim, points, index } = this;
    const lo = this.lower;
    const hi = this.upper;
    for (let d = 0; d < dim; d++) {
      lo[m * dim + d] = Infinity;
      hi[m * dim + d] = -Infinity;
    }
    for (let t = s; t < e; t++) {
      const o = index[t] * dim;
      for (let d = 0; d < dim; d++) {
        const v = points[o + d];
        if (v < lo[m * dim + d]) lo[m * dim + d] = v;
        if (v > hi[m * dim + d]) hi[m * dim + d] = v;
      }
    }
    let axis = 0;
    let width = -1;
    for (let d = 0; d < dim; d++) {
      const w = hi[m * dim + d] - lo[m * dim + d];
      if (w > width) {
        width = w;
        axis = d;
      }
    }
    return { axis, width: Math.max(0, width) };
  }

  /** Quickselect on index[s..e) so that the point at `k` has the median coordinate on `axis`. */
  private select(s: number, e: number, k: number, axis: number): void {
    const { index, points, dim } = this;
    let lo = s;
    let hi = e - 1;
    while (lo < hi) {
      const pivot = points[index[(lo + hi) >> 1] * dim + axis];
      let i = lo;
      let j = hi;
      while (i <= j) {
        while (points[index[i] * dim + axis] < pivot) i++;
        while (points[index[j] * dim + axis] > pivot) j--;
        if (i <= j) {
          const t = index[i];
          index[i] = index[j];
          index[j] = t;
          i++;
          j--;
        }
      }
      if (k <= j) hi = j;
      else if (k >= i) lo = i;
      else break;
    }
  }

  /** Squared distance from row q of `query` to node m's bounding box (0 inside it). */
  boxDistance(query: Float64Array, q: number, m: number): number {
    const dim = this.dim;
    let s = 0;
    for (let d = 0; d < dim; d++) {
      const v = query[q * dim + d];
      const lo = this.lower[m * dim + d];
      const hi = this.upper[m * dim + d];
      const t = v < lo ? lo - v : v > hi ? v - hi : 0;
      s += t * t;
    }
    return s;
  }

  /**
   * The k nearest tree points of every row of `query` (`rows` x dim). Exact: the k smallest squared
   * distances are always right; among equal distances the smaller point id comes first.
   */
  knn(query: Float64Array, rows: number, k: number): KnnResult {
    if (!Number.isInteger(k) || k < 1 || k > this.size) throw new Error(`KDTree.knn: k=${k} with ${this.size} points`);
    const indices = new Int32Array(rows * k);
    const dists = new Float64Array(rows * k);
    // A sorted insertion buffer: k is small (min_samples + 1), so this beats a heap.
    const bd = new Float64Array(k);
    const bi = new Int32Array(k);
    const stack = new Int32Array(64 + 2 * this.nodeCount);
    const { dim, points, index } = this;
    for (let q = 0; q < rows; q++) {
      bd.fill(Infinity);
      bi.fill(0x7fffffff);
      let top = 0;
      stack[top++] = 0;
      while (top > 0) {
        const m = stack[--top];
        if (this.boxDistance(query, q, m) > bd[k - 1]) continue;
        const l = this.left[m];
        if (l < 0) {
          for (let t = this.start[m]; t < this.end[m]; t++) {
            const p = index[t];
            const d2 = squaredDistance(query, q, points, p, dim);
            if (d2 > bd[k - 1] || (d2 === bd[k - 1] && p > bi[k - 1])) continue;
            let at = k - 1;
            while (at > 0 && (bd[at - 1] > d2 || (bd[at - 1] === d2 && bi[at - 1] > p))) {
              bd[at] = bd[at - 1];
              bi[at] = bi[at - 1];
              at--;
            }
            bd[at] = d2;
            bi[at] = p;
          }
          continue;
        }
        const r = this.right[m];
        // Visit the nearer child first (pushed last).
        if (this.boxDistance(query, q, l) <= this.boxDistance(query, q, r)) {
          stack[top++] = r;
          stack[top++] = l;
        } else {
          stack[top++] = l;
          stack[top++] = r;
        }
      }
      indices.set(bi, q * k);
      dists.set(bd, q * k);
    }
    return { k, indices, squaredDistances: dists };
  }
}
