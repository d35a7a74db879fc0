/**
 * Approximate k-nearest neighbours by NN-descent (Dong, Moses & Li 2011) with a random-projection-forest
 * start, after pynndescent (the index umap-learn uses): a few RP trees give each point candidates from its
 * leaves, then "a neighbour of a neighbour is likely a neighbour" refines the lists until few change.
 *
 * Everything runs on flat typed arrays: the data as one Float32Array (rows unit-normalised for cosine, so
 * cosine distance is 1 - dot and the RP split is the same hyperplane test for both metrics), and each
 * point's neighbour list as a bounded max-heap in shared Int32Array / Float32Array blocks. The distances of
 * the build (RP-tree margins, leaf pairs, candidate pairs) are computed in batches by WebAssembly SIMD
 * kernels (nn-kernels.ts), then offered to the heaps in the order the pairs were generated.
 */
import type { DenseMatrix } from "../util/matrix";
import { Rng } from "../util/random";
import { DistanceKernel, PAIR_BATCH } from "./nn-kernels";

export type NNMetric = "euclidean" | "cosine";

/** k nearest neighbours of each row: row i is [i * k, (i + 1) * k), ascending distance. */
export interface KnnGraph {
  readonly n: number;
  readonly k: number;
  readonly indices: Int32Array;
  /** True distances: Euclidean, or cosine distance 1 - cos. */
  readonly distances: Float32Array;
}

export interface NNDescentOptions {
  nNeighbors: number;
  metric?: NNMetric;
  /** Number of random-projection trees (umap-learn: min(64, 5 + round(sqrt(n) / 20))). */
  nTrees?: number;
  /** Largest leaf of an RP tree (default max(10, nNeighbors)). */
  leafSize?: number;
  /** Most NN-descent rounds (umap-learn: max(5, round(log2 n))). */
  nIters?: number;
  /** Candidates sampled per point and round (umap-learn passes 60; pynndescent alone: min(60, nNeighbors)). */
  maxCandidates?: number;
  /** Stop when fewer than delta * n * k neighbour lists changed in a round (pynndescent: 0.001). */
  delta?: number;
  randomState?: number;
  /** Compute distances with the WebAssembly SIMD kernels when available (default true; false: plain JS). */
  useWasm?: boolean;
}

// ---------------------------------------------------------------------------------------------------------
// distances on flat rows

/** Dot product of row ia of a and row ib of b (4-way unrolled: V8 keeps four independent accumulators). */
export function rowDot(a: Float32Array, ia: number, b: Float32Array, ib: number, dim: number): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  let t = 0;
  const oa = ia * dim;
  const ob = ib * dim;
  for (; t + 3 < dim; t += 4) {
    s0 += a[oa + t] * b[ob + t];
    s1 += a[oa + t + 1] * b[ob + t + 1];
    s2 += a[oa + t + 2] * b[ob + t + 2];
    s3 += a[oa + t + 3] * b[ob + t + 3];
  }
  for (; t < dim; t++) s0 += a[oa + t] * b[ob + t];
  return s0 + s1 + s2 + s3;
}

/** Squared Euclidean distance between row ia of a and row ib of b (unrolled as rowDot). */
export function rowSquaredDistance(a: Float32Array, ia: number, b: Float32Array, ib: number, dim: number): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  let t = 0;
  const oa = ia * dim;
  const ob = ib * dim;
  for (; t + 3 < dim; t += 4) {
    const d0 = a[oa + t] - b[ob + t];
    const d1 = a[oa + t + 1] - b[ob + t + 1];
    const d2 = a[oa + t + 2] - b[ob + t + 2];
    const d3 = a[oa + t + 3] - b[ob + t + 3];
    s0 += d0 * d0;
    s1 += d1 * d1;
    s2 += d2 * d2;
    s3 += d3 * d3;
  }
  for (; t < dim; t++) {
    const d = a[oa + t] - b[ob + t];
    s0 += d * d;
  }
  return s0 + s1 + s2 + s3;
}

/**
 * The data as the search works on it: a copy with unit rows for cosine (a zero row stays zero, so its cosine
 * distance to anything is 1), the caller's array for Euclidean.
 */
export function prepareData(x: DenseMatrix, metric: NNMetric): Float32Array {
  if (metric === "euclidean") return x.data;
  const out = new Float32Array(x.data.length);
  const d = x.cols;
  for (let i = 0; i < x.rows; i++) {
    const norm = Math.sqrt(rowDot(x.data, i, x.data, i, d));
    if (norm === 0) continue;
    const inv = 1 / norm;
    for (let t = 0; t < d; t++) out[i * d + t] = x.data[i * d + t] * inv;
  }
  return out;
}

/** The search's internal distance (squared Euclidean, or 1 - dot on unit rows): cheap, same order. */
function reducedDistance(a: Float32Array, ia: number, b: Float32Array, ib: number, dim: number, cosine: boolean): number {
  if (cosine) {
    const v = 1 - rowDot(a, ia, b, ib, dim);
    return v > 0 ? v : 0;
  }
  return rowSquaredDistance(a, ia, b, ib, dim);
}

/** Reduced distance -> true distance. */
function trueDistance(reduced: number, cosine: boolean): number {
  return cosine ? reduced : Math.sqrt(reduced);
}

function checkMetric(metric: string): NNMetric {
  if (metric !== "euclidean" && metric !== "cosine") throw new Error(`nearest neighbours: unknown metric "${metric}" (use "euclidean" or "cosine")`);
  return metric;
}

// ---------------------------------------------------------------------------------------------------------
// bounded max-heaps, one per point, in flat arrays

class NeighborHeaps {
  readonly indices: Int32Array;
  readonly distances: Float32Array;
  readonly isNew: Uint8Array;

  constructor(readonly n: number, readonly k: number) {
    this.indices = new Int32Array(n * k).fill(-1);
    this.distances = new Float32Array(n * k).fill(Infinity);
    this.isNew = new Uint8Array(n * k);
  }

  /** Largest distance kept for row i (Infinity while the list is not full). */
  threshold(i: number): number {
    return this.distances[i * this.k];
  }

  /** Pushes j at distance d onto row i if it is closer than the worst and not already there: 1 if it was. */
  push(i: number, d: number, j: number, isNew: number): number {
    const k = this.k;
    const base = i * k;
    const dist = this.distances;
    const idx = this.indices;
    if (!(d < dist[base])) return 0;
    for (let t = 0; t < k; t++) if (idx[base + t] === j) return 0;
    // Replace the root and sift down.
    let pos = 0;
    for (;;) {
      const l = 2 * pos + 1;
      if (l >= k) break;
      const r = l + 1;
      let c = l;
      if (r < k && dist[base + r] > dist[base + l]) c = r;
      if (dist[base + c] <= d) break;
      dist[base + pos] = dist[base + c];
      idx[base + pos] = idx[base + c];
      this.isNew[base + pos] = this.isNew[base + c];
      pos = c;
    }
    dist[base + pos] = d;
    idx[base + pos] = j;
    this.isNew[base + pos] = isNew;
    return 1;
  }

  /** Each row sorted ascending by distance (ties by index), as a KnnGraph with the reduced distances. */
  sorted(): { indices: Int32Array; distances: Float32Array } {
    const { n, k } = this;
    const indices = new Int32Array(n * k);
    const distances = new Float32Array(n * k);
    const order = Array.from({ length: k }, (_, t) => t);
    for (let i = 0; i < n; i++) {
      const base = i * k;
      order.sort((p, q) => this.distances[base + p] - this.distances[base + q] || this.indices[base + p] - this.indices[base + q]);
      for (let t = 0; t < k; t++) {
        indices[base + t] = this.indices[base + order[t]];
        distances[base + t] = this.distances[base + order[t]];
      }
      for (let t = 0; t < k; t++) order[t] = t;
    }
    return { indices, distances };
  }
}

/** Bounded max-heaps keyed by a random priority: pynndescent's candidate sampling. */
class CandidateHeaps {
  readonly indices: Int32Array;
  readonly priority: Float32Array;

  constructor(readonly n: number, readonly size: number) {
    this.indices = new Int32Array(n * size);
    this.priority = new Float32Array(n * size);
  }

  reset(): void {
    this.indices.fill(-1);
    this.priority.fill(Infinity);
  }

  push(i: number, pr: number, j: number): void {
    const size = this.size;
    const base = i * size;
    const pri = this.priority;
    const idx = this.indices;
    if (!(pr < pri[base])) return;
    for (let t = 0; t < size; t++) if (idx[base + t] === j) return;
    let pos = 0;
    for (;;) {
      const l = 2 * pos + 1;
      if (l >= size) break;
      const r = l + 1;
      let c = l;
      if (r < size && pri[base + r] > pri[base + l]) c = r;
      if (pri[base + c] <= pr) break;
      pri[base + pos] = pri[base + c];
      idx[base + pos] = idx[base + c];
      pos = c;
    }
    pri[base + pos] = pr;
    idx[base + pos] = j;
  }
}

// ---------------------------------------------------------------------------------------------------------
// random projection trees

/** One RP tree: `order` permutes the points so that each leaf is a contiguous range [leafStart, leafEnd). */
export interface RpTree {
  readonly order: Int32Array;
  readonly leafStart: Int32Array;
  readonly leafEnd: Int32Array;
  /** Internal nodes: hyperplane (normal, offset) and children; a child id < 0 is leaf ~id. */
  readonly normals: Float32Array[];
  readonly offsets: number[];
  readonly left: number[];
  readonly right: number[];
}

/**
 * Builds one tree: each node splits its points by the hyperplane halfway between two random members
 * (pynndescent's euclidean split; on unit rows it is also the angular split), until leaves hold at most
 * `leafSize` points. A split that puts everything on one side is replaced by a random half/half one.
 */
export function buildRpTree(data: Float32Array, n: number, dim: number, leafSize: number, rng: Rng, kernel?: DistanceKernel): RpTree {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const leafStart: number[] = [];
  const leafEnd: number[] = [];
  const normals: Float32Array[] = [];
  const offsets: number[] = [];
  const left: number[] = [];
  const right: number[] = [];
  const side = new Uint8Array(n);
  const scratch = new Int32Array(n);
  // Recursion by explicit stack: [start, end, parent node, is-right-child].
  const stack: number[] = [0, n, -1, 0];
  const attach = (parent: number, isRight: number, id: number): void => {
    if (parent < 0) return;
    if (isRight) right[parent] = id;
    else left[parent] = id;
  };
  while (stack.length) {
    const isRight = stack.pop()!;
    const parent = stack.pop()!;
    const end = stack.pop()!;
    const start = stack.pop()!;
    const size = end - start;
    if (size <= leafSize) {
      attach(parent, isRight, ~leafStart.length);
      leafStart.push(start);
      leafEnd.push(end);
      continue;
    }
    const p = order[start + rng.int(size)];
    let q = order[start + rng.int(size - 1)];
    if (q === p) q = order[end - 1];
    const normal = new Float32Array(dim);
    let offset = 0;
    for (let t = 0; t < dim; t++) {
      const a = data[p * dim + t];
      const b = data[q * dim + t];
      normal[t] = a - b;
      offset -= (a - b) * (a + b) * 0.5;
    }
    if (kernel) {
      // All margins of the node in one batched (SIMD) call.
      kernel.vec.set(normal);
      kernel.ids.set(order.subarray(start, end));
      kernel.rowDots(size);
    }
    let nLeft = 0;
    for (let s = start; s < end; s++) {
      const i = order[s];
      const margin = offset + (kernel ? kernel.out[s - start] : rowDot(normal, 0, data, i, dim));
      const goLeft = margin > 0 ? 1 : margin < 0 ? 0 : rng.random() < 0.5 ? 1 : 0;
      side[s] = goLeft;
      nLeft += goLeft;
    }
    if (nLeft === 0 || nLeft === size) {
      nLeft = 0;
      for (let s = start; s < end; s++) {
        side[s] = rng.random() < 0.5 ? 1 : 0;
        nLeft += side[s];
      }
      if (nLeft === 0 || nLeft === size) {
        for (let s = start; s < end; s++) side[s] = s - start < size / 2 ? 1 : 0;
        nLeft = Math.ceil(size / 2);
      }
    }
    // Stable partition into [left | right].
    let l = start;
    let r = start + nLeft;
    for (let s = start; s < end; s++) {
      if (side[s]) scratch[l++] = order[s];
      else scratch[r++] = order[s];
    }
    order.set(scratch.subarray(start, end), start);
    const id = normals.length;
    normals.push(normal);
    offsets.push(offset);
    left.push(0);
    right.push(0);
    attach(parent, isRight, id);
    stack.push(start + nLeft, end, id, 1);
    stack.push(start, start + nLeft, id, 0);
  }
  return { order, leafStart: Int32Array.from(leafStart), leafEnd: Int32Array.from(leafEnd), normals, offsets, left, right };
}

/** The leaf a query row falls in. */
function searchRpTree(tree: RpTree, q: Float32Array, qi: number, dim: number, rng: Rng): number {
  if (tree.normals.length === 0) return 0;
  let node = 0;
  for (;;) {
    const normal = tree.normals[node];
    const margin = tree.offsets[node] + rowDot(normal, 0, q, qi, dim);
    const goLeft = margin > 0 || (margin === 0 && rng.random() < 0.5);
    const child = goLeft ? tree.left[node] : tree.right[node];
    if (child < 0) return ~child;
    node = child;
  }
}

// ---------------------------------------------------------------------------------------------------------
// NN-descent

/** Default settings, as umap-learn passes them to pynndescent. */
export function defaultNNDescentSettings(n: number, nNeighbors: number): Required<Omit<NNDescentOptions, "metric" | "randomState" | "nNeighbors" | "useWasm">> {
  return {
    nTrees: Math.min(64, 5 + Math.round(Math.sqrt(n) / 20)),
    leafSize: Math.max(10, nNeighbors),
    nIters: Math.max(5, Math.round(Math.log2(n))),
    maxCandidates: 60, // umap-learn passes 60 (pynndescent alone: min(60, n_neighbors))
    delta: 0.001,
  };
}

/** A fitted k-NN index: the training data, its RP forest and k-NN graph, for queries of new points. */
export class NNDescent {
  readonly metric: NNMetric;
  readonly n: number;
  readonly dim: number;
  /** The k-NN graph of the training points (each point is its own first neighbour, at distance 0). */
  readonly neighborGraph: KnnGraph;
  private readonly data: Float32Array;
  private readonly forest: RpTree[];
  private searchGraph?: { indptr: Int32Array; indices: Int32Array };
  /** How the last build went: NN-descent rounds run, and whether the wasm SIMD kernels were used. */
  stats: { rounds: number; simd: boolean } = { rounds: 0, simd: false };

  constructor(x: DenseMatrix, opts: NNDescentOptions) {
    const metric = checkMetric(opts.metric ?? "euclidean");
    const n = x.rows;
    const k = opts.nNeighbors;
    if (!Number.isInteger(k) || k < 1) throw new Error(`NNDescent: nNeighbors must be an integer >= 1, got ${k}`);
    if (k > n) throw new Error(`NNDescent: nNeighbors (${k}) is larger than the number of points (${n})`);
    const defaults = defaultNNDescentSettings(n, k);
    const nTrees = opts.nTrees ?? defaults.nTrees;
    const leafSize = opts.leafSize ?? defaults.leafSize;
    const nIters = opts.nIters ?? defaults.nIters;
    const maxCandidates = opts.maxCandidates ?? defaults.maxCandidates;
    const delta = opts.delta ?? defaults.delta;
    const rng = new Rng(opts.randomState ?? 42);
    const dim = x.cols;
    const cosine = metric === "cosine";
    const data = prepareData(x, metric);
    this.metric = metric;
    this.n = n;
    this.dim = dim;
    this.data = data;

    const heaps = new NeighborHeaps(n, k);
    // Each point is its own nearest neighbour, as in umap-learn's k-NN graph.
    for (let i = 0; i < n; i++) heaps.push(i, 0, i, 0);

    // Distances are computed in batches of pairs (SIMD kernels), then offered to both points' heaps in the
    // order the pairs were generated: the same result as computing each one on the spot.
    const kernel = new DistanceKernel(data, n, dim, cosine, opts.useWasm ?? true);
    const pairs = kernel.pairs;
    let pending = 0;
    let updates = 0;
    const flush = (): void => {
      if (pending === 0) return;
      kernel.pairDistances(pending);
      const out = kernel.out;
      for (let t = 0; t < pending; t++) {
        const d = out[t];
        const p = pairs[2 * t];
        const q = pairs[2 * t + 1];
        // push() ignores anything not closer than the current worst, so no pre-test is needed.
        updates += heaps.push(p, d, q, 1);
        updates += heaps.push(q, d, p, 1);
      }
      pending = 0;
    };
    const addPair = (p: number, q: number): void => {
      if (pending === PAIR_BATCH) flush();
      pairs[2 * pending] = p;
      pairs[2 * pending + 1] = q;
      pending++;
    };

    // 1. RP forest: all pairs within each leaf.
    this.forest = [];
    for (let t = 0; t < nTrees; t++) {
      const tree = buildRpTree(data, n, dim, leafSize, rng, kernel);
      this.forest.push(tree);
      for (let leaf = 0; leaf < tree.leafStart.length; leaf++) {
        const s0 = tree.leafStart[leaf];
        const s1 = tree.leafEnd[leaf];
        for (let s = s0; s < s1; s++) {
          const p = tree.order[s];
          for (let u = s + 1; u < s1; u++) addPair(p, tree.order[u]);
        }
      }
    }
    flush();
    // Fill lists the leaves left short with random points.
    for (let i = 0; i < n; i++) {
      if (heaps.indices[i * k] >= 0 && heaps.distances[i * k] < Infinity) continue;
      for (let tries = 0; tries < 4 * k && heaps.distances[i * k] === Infinity; tries++) {
        const j = rng.int(n);
        heaps.push(i, reducedDistance(data, i, data, j, dim, cosine), j, 1);
      }
    }

    // 2. NN-descent rounds (pynndescent's nn_descent with low_memory): each point's sampled new and old
    // candidates (its neighbours and reverse neighbours); new-new and new-old pairs are compared, old-old
    // pairs were compared in an earlier round.
    const newCand = new CandidateHeaps(n, maxCandidates);
    const oldCand = new CandidateHeaps(n, maxCandidates);
    let rounds = 0;
    for (let iter = 0; iter < nIters; iter++) {
      rounds++;
      newCand.reset();
      oldCand.reset();
      for (let i = 0; i < n; i++) {
        for (let t = 0; t < k; t++) {
          const j = heaps.indices[i * k + t];
          if (j < 0 || j === i) continue;
          const pr = rng.random();
          const target = heaps.isNew[i * k + t] ? newCand : oldCand;
          target.push(i, pr, j);
          target.push(j, pr, i);
        }
      }
      // Sampled new neighbours become old.
      for (let i = 0; i < n; i++) {
        for (let t = 0; t < k; t++) {
          if (!heaps.isNew[i * k + t]) continue;
          const j = heaps.indices[i * k + t];
          for (let c = 0; c < maxCandidates; c++) {
            if (newCand.indices[i * maxCandidates + c] === j) {
              heaps.isNew[i * k + t] = 0;
              break;
            }
          }
        }
      }
      updates = 0;
      for (let i = 0; i < n; i++) {
        const nb = i * maxCandidates;
        for (let c = 0; c < maxCandidates; c++) {
          const p = newCand.indices[nb + c];
          if (p < 0) continue;
          for (let e = c + 1; e < maxCandidates; e++) {
            const q = newCand.indices[nb + e];
            if (q >= 0 && q !== p) addPair(p, q);
          }
          for (let e = 0; e < maxCandidates; e++) {
            const q = oldCand.indices[nb + e];
            if (q >= 0 && q !== p) addPair(p, q);
          }
        }
      }
      flush();
      if (updates <= delta * k * n) break;
    }
    this.stats = { rounds, simd: kernel.simd };

    const sorted = heaps.sorted();
    for (let p = 0; p < sorted.distances.length; p++) sorted.distances[p] = trueDistance(sorted.distances[p], cosine);
    this.neighborGraph = { n, k, indices: sorted.indices, distances: sorted.distances };
  }

  /**
   * The k nearest training points of each query row (pynndescent's query): start from the query's RP-tree
   * leaves, then a best-first walk over the undirected k-NN graph, expanding candidates until the nearest
   * unexpanded one is farther than (1 + epsilon) times the current k-th distance.
   */
  query(queries: DenseMatrix, k: number, epsilon = 0.1, randomState = 42): KnnGraph {
    if (queries.cols !== this.dim) throw new Error(`NNDescent.query: queries have ${queries.cols} columns, the index has ${this.dim}`);
    if (!Number.isInteger(k) || k < 1 || k > this.n) throw new Error(`NNDescent.query: k must be in 1..${this.n}, got ${k}`);
    const cosine = this.metric === "cosine";
    const q = prepareData(queries, this.metric);
    const m = queries.rows;
    const dim = this.dim;
    const graph = this.undirectedGraph();
    const rng = new Rng(randomState);
    const heaps = new NeighborHeaps(m, k);
    const visited = new Int32Array(this.n).fill(-1);
    // Frontier: a binary min-heap of (distance, point).
    let frontD = new Float64Array(64);
    let frontI = new Int32Array(64);
    for (let qi = 0; qi < m; qi++) {
      let size = 0;
      const pushFrontier = (d: number, j: number): void => {
        if (size === frontD.length) {
          const nd = new Float64Array(size * 2);
          nd.set(frontD);
          const ni = new Int32Array(size * 2);
          ni.set(frontI);
          frontD = nd;
          frontI = ni;
        }
        let pos = size++;
        while (pos > 0) {
          const parent = (pos - 1) >> 1;
          if (frontD[parent] <= d) break;
          frontD[pos] = frontD[parent];
          frontI[pos] = frontI[parent];
          pos = parent;
        }
        frontD[pos] = d;
        frontI[pos] = j;
      };
      const popFrontier = (): number => {
        const top = frontI[0];
        size--;
        const d = frontD[size];
        const j = frontI[size];
        let pos = 0;
        for (;;) {
          const l = 2 * pos + 1;
          if (l >= size) break;
          const c = l + 1 < size && frontD[l + 1] < frontD[l] ? l + 1 : l;
          if (frontD[c] >= d) break;
          frontD[pos] = frontD[c];
          frontI[pos] = frontI[c];
          pos = c;
        }
        frontD[pos] = d;
        frontI[pos] = j;
        return top;
      };
      const visit = (j: number): void => {
        if (visited[j] === qi) return;
        visited[j] = qi;
        const d = reducedDistance(q, qi, this.data, j, dim, cosine);
        heaps.push(qi, d, j, 0);
        pushFrontier(d, j);
      };
      for (const tree of this.forest) {
        const leaf = searchRpTree(tree, q, qi, dim, rng);
        for (let s = tree.leafStart[leaf]; s < tree.leafEnd[leaf]; s++) visit(tree.order[s]);
      }
      while (heaps.distances[qi * k] === Infinity) visit(rng.int(this.n)); // tiny leaves: top up at random
      while (size > 0) {
        const bound = heaps.threshold(qi);
        const dTop = frontD[0];
        if (dTop > bound * (1 + epsilon) + (cosine ? 0 : 0)) break;
        const j = popFrontier();
        for (let p = graph.indptr[j]; p < graph.indptr[j + 1]; p++) visit(graph.indices[p]);
      }
    }
    const sorted = heaps.sorted();
    for (let p = 0; p < sorted.distances.length; p++) sorted.distances[p] = trueDistance(sorted.distances[p], cosine);
    return { n: m, k, indices: sorted.indices, distances: sorted.distances };
  }

  /** The k-NN graph made undirected (forward and reverse edges), built once for queries. */
  private undirectedGraph(): { indptr: Int32Array; indices: Int32Array } {
    if (this.searchGraph) return this.searchGraph;
    const { n, k, indices } = this.neighborGraph;
    const deg = new Int32Array(n + 1);
    for (let i = 0; i < n; i++) {
      for (let t = 0; t < k; t++) {
        const j = indices[i * k + t];
        if (j < 0 || j === i) continue;
        deg[i + 1]++;
        deg[j + 1]++;
      }
    }
    for (let i = 0; i < n; i++) deg[i + 1] += deg[i];
    const out = new Int32Array(deg[n]);
    const fill = deg.slice(0, n);
    for (let i = 0; i < n; i++) {
      for (let t = 0; t < k; t++) {
        const j = indices[i * k + t];
        if (j < 0 || j === i) continue;
        out[fill[i]++] = j;
        out[fill[j]++] = i;
      }
    }
    this.searchGraph = { indptr: deg, indices: out };
    return this.searchGraph;
  }
}

/** Exact k nearest neighbours by brute force (each point its own first neighbour): the reference for recall. */
export function bruteForceKnn(x: DenseMatrix, k: number, metric: NNMetric = "euclidean", queries?: DenseMatrix): KnnGraph {
  checkMetric(metric);
  const cosine = metric === "cosine";
  const data = prepareData(x, metric);
  const qm = queries ?? x;
  const q = queries ? prepareData(queries, metric) : data;
  const n = qm.rows;
  const heaps = new NeighborHeaps(n, k);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < x.rows; j++) {
      const d = !queries && i === j ? 0 : reducedDistance(q, i, data, j, x.cols, cosine);
      if (d < heaps.threshold(i)) heaps.push(i, d, j, 0);
    }
  }
  const sorted = heaps.sorted();
  for (let p = 0; p < sorted.distances.length; p++) sorted.distances[p] = trueDistance(sorted.distances[p], cosine);
  return { n, k, indices: sorted.indices, distances: sorted.distances };
}
