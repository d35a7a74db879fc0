/**
 * UMAP (McInnes, Healy & Melville 2018), following umap-learn 0.5 step by step and with its parameter names
 * in camelCase: k-NN graph (exact below 4,096 points as umap-learn, NN-descent above) -> fuzzy simplicial
 * set (smooth_knn_dist, membership strengths, fuzzy union) -> spectral initialisation (normalized Laplacian
 * eigenvectors; umap-learn's multi-component layout when the graph is disconnected) -> SGD with negative
 * sampling, gradient clipping at 4 and a linearly decaying learning rate. `transform` places new points as
 * umap-learn does: weighted mean of their neighbours' embeddings, then a short optimisation against the
 * fixed training embedding.
 *
 * Differences from umap-learn, on purpose: one seeded RNG drives everything (umap-learn seeds numpy and
 * numba separately), so results match umap-learn in distribution, not bit for bit. As in umap-learn, the
 * SGD is sequential and reproducible with a randomState, and parallel (worker threads, Hogwild) without.
 */
import type { DimensionReducer } from "./components";
import type { DenseMatrix } from "../util/matrix";
import { Rng } from "../util/random";
import { NNDescent, bruteForceKnn, rowDot, type KnnGraph, type NNMetric } from "./nndescent";
import {
  findAbParams,
  fuzzyUnion,
  makeEpochsPerSample,
  membershipStrengths,
  smoothKnnDist,
  spectralEigenvectors,
  lobpcgLargest,
  type CsrGraph,
} from "./umap-math";
import { symmetricEigen } from "../embeddings/pca";
import { sgdLayoutWasm, availableThreads } from "./umap-layout";

export interface UMAPOptions {
  /** Size of the local neighbourhood (15). */
  nNeighbors?: number;
  /** Dimension of the embedding (2). */
  nComponents?: number;
  /** Minimum distance between embedded points (0.1); BERTopic uses 0. */
  minDist?: number;
  /** Scale of the embedded points (1.0). */
  spread?: number;
  /** Input-space metric: "euclidean" (default) or "cosine" (BERTopic). */
  metric?: NNMetric;
  /** SGD epochs; null -> 200 above 10,000 points, else 500. */
  nEpochs?: number | null;
  /** Initial SGD learning rate (1.0). */
  learningRate?: number;
  /** Negative samples per positive sample (5). */
  negativeSampleRate?: number;
  /** Weight of the negative samples, gamma (1.0). */
  repulsionStrength?: number;
  /** 1 = fuzzy union, 0 = fuzzy intersection of the directed k-NN graph with its transpose (1.0). */
  setOpMixRatio?: number;
  /** Number of nearest neighbours assumed connected, rho (1). */
  localConnectivity?: number;
  /** "spectral" (default) or "random" (uniform in [-10, 10]). */
  init?: "spectral" | "random";
  /** Seed of every random step; unset -> a random seed (umap-learn's random_state=None). */
  randomState?: number;
  /** Curve parameters; fitted from minDist and spread when unset (find_ab_params). */
  a?: number;
  b?: number;
  /** Use NN-descent even below 4,096 points (umap-learn's force_approximation_algorithm). */
  forceApproximationAlgorithm?: boolean;
  /**
   * Threads for the SGD layout (umap-learn's n_jobs; -1, the default: all cores). As in umap-learn, a
   * randomState forces 1: the parallel SGD races on shared coordinates and is not reproducible.
   */
  nJobs?: number;
  /** NN-descent settings (defaults as umap-learn passes to pynndescent). */
  nTrees?: number;
  nIters?: number;
}

/** Seconds spent in each stage of the last fit. */
export interface UMAPTimings {
  knn: number;
  graph: number;
  init: number;
  layout: number;
}

/** Below this many points the k-NN graph is exact (umap-learn's threshold for its pairwise path). */
const EXACT_KNN_BELOW = 4096;

/** UMAP dimension reduction (umap-learn's `UMAP`), a DimensionReducer for the BERTopic pipeline. */
export class UMAP implements DimensionReducer {
  readonly nNeighbors: number;
  readonly nComponents: number;
  readonly minDist: number;
  readonly spread: number;
  readonly metric: NNMetric;
  readonly nEpochs: number | null;
  readonly learningRate: number;
  readonly negativeSampleRate: number;
  readonly repulsionStrength: number;
  readonly setOpMixRatio: number;
  readonly localConnectivity: number;
  readonly init: "spectral" | "random";
  readonly randomState: number | undefined;
  readonly a: number;
  readonly b: number;
  /** The embedding of the training points (umap-learn's embedding_), after fit. */
  embedding?: DenseMatrix;
  /** The fuzzy simplicial set, symmetric (umap-learn's graph_), after fit. */
  graph?: CsrGraph;
  /** Seconds per stage of the last fit. */
  timings: UMAPTimings = { knn: 0, graph: 0, init: 0, layout: 0 };
  /** Threads the SGD layout of the last fit ran on. */
  layoutThreads = 1;
  private readonly opts: UMAPOptions;
  private rng: Rng;
  private trainData?: DenseMatrix;
  private index?: NNDescent;

  constructor(opts: UMAPOptions = {}) {
    this.opts = opts;
    this.nNeighbors = opts.nNeighbors ?? 15;
    this.nComponents = opts.nComponents ?? 2;
    this.minDist = opts.minDist ?? 0.1;
    this.spread = opts.spread ?? 1.0;
    this.metric = opts.metric ?? "euclidean";
    this.nEpochs = opts.nEpochs ?? null;
    this.learningRate = opts.learningRate ?? 1.0;
    this.negativeSampleRate = opts.negativeSampleRate ?? 5;
    this.repulsionStrength = opts.repulsionStrength ?? 1.0;
    this.setOpMixRatio = opts.setOpMixRatio ?? 1.0;
    this.localConnectivity = opts.localConnectivity ?? 1.0;
    this.init = opts.init ?? "spectral";
    this.randomState = opts.randomState;
    const bad = (what: string): never => {
      throw new Error(`UMAP: ${what}`);
    };
    if (!Number.isInteger(this.nNeighbors) || this.nNeighbors < 2) bad(`nNeighbors must be an integer >= 2, got ${this.nNeighbors}`);
    if (!Number.isInteger(this.nComponents) || this.nComponents < 1) bad(`nComponents must be an integer >= 1, got ${this.nComponents}`);
    if (!(this.minDist >= 0)) bad(`minDist must be >= 0, got ${this.minDist}`);
    if (!(this.spread > 0)) bad(`spread must be > 0, got ${this.spread}`);
    if (this.minDist > this.spread) bad(`minDist (${this.minDist}) must be less than or equal to spread (${this.spread})`);
    if (this.metric !== "euclidean" && this.metric !== "cosine") bad(`unknown metric "${this.metric}" (use "euclidean" or "cosine")`);
    if (this.nEpochs !== null && (!Number.isInteger(this.nEpochs) || this.nEpochs < 1)) bad(`nEpochs must be a positive integer or null, got ${this.nEpochs}`);
    if (!(this.learningRate > 0)) bad(`learningRate must be > 0, got ${this.learningRate}`);
    if (!(this.negativeSampleRate >= 0)) bad(`negativeSampleRate must be >= 0, got ${this.negativeSampleRate}`);
    if (!(this.repulsionStrength >= 0)) bad(`repulsionStrength must be >= 0, got ${this.repulsionStrength}`);
    if (!(this.setOpMixRatio >= 0 && this.setOpMixRatio <= 1)) bad(`setOpMixRatio must be in [0, 1], got ${this.setOpMixRatio}`);
    if (!(this.localConnectivity >= 0)) bad(`localConnectivity must be >= 0, got ${this.localConnectivity}`);
    if (opts.nJobs !== undefined && !(opts.nJobs === -1 || (Number.isInteger(opts.nJobs) && opts.nJobs >= 1))) bad(`nJobs must be -1 (all cores) or a positive integer, got ${opts.nJobs}`);
    if (this.init !== "spectral" && this.init !== "random") bad(`init must be "spectral" or "random", got "${this.init}"`);
    if (opts.a !== undefined && opts.b !== undefined) {
      this.a = opts.a;
      this.b = opts.b;
    } else {
      const ab = findAbParams(this.spread, this.minDist);
      this.a = ab.a;
      this.b = ab.b;
    }
    this.rng = new Rng(this.randomState ?? Math.floor(Math.random() * 0x7fffffff));
  }

  /** Fits the model on the rows of x (n x dim). */
  fit(x: DenseMatrix): this {
    this.fitTransform(x);
    return this;
  }

  /** Fits the model and returns the embedding of the training points (n x nComponents). */
  fitTransform(x: DenseMatrix): DenseMatrix {
    checkInput(x, "fit");
    const n = x.rows;
    if (n < 2) throw new Error(`UMAP: need at least 2 points to fit, got ${n}`);
    if (this.nNeighbors >= n) throw new Error(`UMAP: nNeighbors (${this.nNeighbors}) must be smaller than the number of points (${n})`);
    this.rng = new Rng(this.randomState ?? Math.floor(Math.random() * 0x7fffffff));
    const rng = this.rng;
    const k = this.nNeighbors;

    // 1. k nearest neighbours (each point its own first neighbour, as umap-learn's graph).
    let t0 = performance.now();
    let knn: KnnGraph;
    this.index = undefined;
    if (n < EXACT_KNN_BELOW && !this.opts.forceApproximationAlgorithm) {
      knn = bruteForceKnn(x, k, this.metric);
    } else {
      this.index = new NNDescent(x, { nNeighbors: k, metric: this.metric, randomState: rng.seed(), nTrees: this.opts.nTrees, nIters: this.opts.nIters });
      knn = this.index.neighborGraph;
    }
    this.trainData = x;
    const t1 = performance.now();

    // 2. Fuzzy simplicial set.
    const { sigmas, rhos } = smoothKnnDist(knn.distances, n, k, k, this.localConnectivity);
    const vals = membershipStrengths(knn.indices, knn.distances, n, k, sigmas, rhos, false);
    const graph = fuzzyUnion(knn.indices, vals, n, k, this.setOpMixRatio);
    this.graph = graph;
    // Prune edges too weak to be sampled in nEpochs (simplicial_set_embedding).
    const defaultEpochs = n <= 10000 ? 500 : 200;
    const nEpochs = this.nEpochs ?? defaultEpochs;
    const pruned = pruneGraph(graph, nEpochs > 10 ? nEpochs : defaultEpochs);
    const t2 = performance.now();

    // 3. Initial layout.
    const dim = this.nComponents;
    let emb: Float64Array;
    if (this.init === "spectral") {
      emb = spectralLayout(x, pruned, dim, this.metric, rng);
      let maxAbs = 0;
      for (let i = 0; i < emb.length; i++) maxAbs = Math.max(maxAbs, Math.abs(emb[i]));
      const expansion = maxAbs > 0 ? 10 / maxAbs : 1;
      for (let i = 0; i < emb.length; i++) emb[i] = emb[i] * expansion + 1e-4 * normal(rng);
    } else {
      emb = new Float64Array(n * dim);
      for (let i = 0; i < emb.length; i++) emb[i] = rng.random() * 20 - 10;
    }
    // umap-learn rescales each coordinate to [0, 10] before optimising.
    const embedding = new Float32Array(n * dim);
    for (let d = 0; d < dim; d++) {
      let lo = Infinity, hi = -Infinity;
      for (let i = 0; i < n; i++) {
        lo = Math.min(lo, emb[i * dim + d]);
        hi = Math.max(hi, emb[i * dim + d]);
      }
      const range = hi - lo || 1;
      for (let i = 0; i < n; i++) embedding[i * dim + d] = (10 * (emb[i * dim + d] - lo)) / range;
    }
    const t3 = performance.now();

    // 4. SGD.
    const { head, tail, weights } = graphEdges(pruned);
    const epochsPerSample = makeEpochsPerSample(weights, nEpochs);
    // umap-learn runs its SGD in parallel only without a random_state (n_jobs is then ignored, set to 1).
    const nJobs = this.opts.nJobs ?? -1;
    const threads = this.randomState !== undefined ? 1 : nJobs === -1 ? availableThreads() : nJobs;
    this.layoutThreads = optimizeLayout(embedding, embedding, head, tail, nEpochs, n, epochsPerSample, this.a, this.b, rng, this.repulsionStrength, this.learningRate, this.negativeSampleRate, true, true, threads);
    const t4 = performance.now();
    this.timings = { knn: (t1 - t0) / 1000, graph: (t2 - t1) / 1000, init: (t3 - t2) / 1000, layout: (t4 - t3) / 1000 };
    this.embedding = { rows: n, cols: dim, data: embedding };
    return this.embedding;
  }

  /**
   * Embeds new points into the fitted space (umap-learn's transform): their k nearest training points, the
   * bipartite fuzzy memberships (local_connectivity - 1), an initial position at the membership-weighted
   * mean of those neighbours' embeddings, then SGD against the fixed training embedding for nEpochs / 3
   * epochs (100, or 30 for more than 10,000 new points, when nEpochs is null) at a quarter of the rate.
   */
  transform(x: DenseMatrix): DenseMatrix {
    if (!this.embedding || !this.trainData) throw new Error("UMAP.transform: call fit or fitTransform first");
    checkInput(x, "transform");
    if (x.cols !== this.trainData.cols) throw new Error(`UMAP.transform: points have ${x.cols} columns, the model was fitted on ${this.trainData.cols}`);
    const m = x.rows;
    const dim = this.nComponents;
    if (m === 0) return { rows: 0, cols: dim, data: new Float32Array(0) };
    const k = this.nNeighbors;
    const knn = this.index ? this.index.query(x, k, 0.1, this.rng.seed()) : bruteForceKnn(this.trainData, k, this.metric, x);
    const { sigmas, rhos } = smoothKnnDist(knn.distances, m, k, k, Math.max(0, this.localConnectivity - 1));
    const vals = membershipStrengths(knn.indices, knn.distances, m, k, sigmas, rhos, true);
    const train = this.embedding.data;
    const out = new Float32Array(m * dim);
    for (let i = 0; i < m; i++) {
      let total = 0;
      for (let j = 0; j < k; j++) total += vals[i * k + j];
      for (let j = 0; j < k; j++) {
        const w = total > 0 ? vals[i * k + j] / total : 1 / k;
        const nb = knn.indices[i * k + j];
        for (let d = 0; d < dim; d++) out[i * dim + d] += w * train[nb * dim + d];
      }
    }
    const nEpochs = this.nEpochs === null ? (m <= 10000 ? 100 : 30) : Math.floor(this.nEpochs / 3);
    if (nEpochs < 1) return { rows: m, cols: dim, data: out };
    let max = 0;
    for (let i = 0; i < vals.length; i++) if (vals[i] > max) max = vals[i];
    const head: number[] = [];
    const tail: number[] = [];
    const weights: number[] = [];
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < k; j++) {
        const v = vals[i * k + j];
        if (v > 0 && !(v < max / nEpochs)) {
          head.push(i);
          tail.push(knn.indices[i * k + j]);
          weights.push(v);
        }
      }
    }
    const epochsPerSample = makeEpochsPerSample(Float32Array.from(weights), nEpochs);
    optimizeLayout(out, train, Int32Array.from(head), Int32Array.from(tail), nEpochs, this.embedding.rows, epochsPerSample, this.a, this.b, this.rng, this.repulsionStrength, this.learningRate / 4, this.negativeSampleRate, false);
    return { rows: m, cols: dim, data: out };
  }
}

function checkInput(x: DenseMatrix, what: string): void {
  if (!x || !(x.data instanceof Float32Array) || !Number.isInteger(x.rows) || !Number.isInteger(x.cols)) {
    throw new Error(`UMAP.${what}: expected a DenseMatrix {rows, cols, data: Float32Array}`);
  }
  if (x.data.length !== x.rows * x.cols) throw new Error(`UMAP.${what}: ${x.data.length} values for shape [${x.rows}, ${x.cols}]`);
  if (x.cols < 1 && x.rows > 0) throw new Error(`UMAP.${what}: points have no columns`);
  for (let i = 0; i < x.data.length; i++) {
    if (!Number.isFinite(x.data[i])) {
      throw new Error(`UMAP.${what}: value at [${Math.floor(i / x.cols)}, ${i % x.cols}] is ${x.data[i]} (NaN and infinities are not allowed)`);
    }
  }
}

function normal(rng: Rng): number {
  return Math.sqrt(-2 * Math.log(1 - rng.random())) * Math.cos(2 * Math.PI * rng.random());
}

/** Zeroes (drops) the edges with weight below max / nEpochs, as simplicial_set_embedding does. */
function pruneGraph(g: CsrGraph, nEpochs: number): CsrGraph {
  let max = 0;
  for (let i = 0; i < g.data.length; i++) if (g.data[i] > max) max = g.data[i];
  const cut = max / nEpochs;
  const indptr = new Int32Array(g.rows + 1);
  const indices: number[] = [];
  const data: number[] = [];
  for (let i = 0; i < g.rows; i++) {
    for (let p = g.indptr[i]; p < g.indptr[i + 1]; p++) {
      if (g.data[p] < cut) continue;
      indices.push(g.indices[p]);
      data.push(g.data[p]);
    }
    indptr[i + 1] = indices.length;
  }
  return { rows: g.rows, cols: g.cols, indptr, indices: Int32Array.from(indices), data: Float32Array.from(data) };
}

/** The graph as an edge list in row order (COO): head = row, tail = column. */
function graphEdges(g: CsrGraph): { head: Int32Array; tail: Int32Array; weights: Float32Array } {
  const nnz = g.indptr[g.rows];
  const head = new Int32Array(nnz);
  for (let i = 0; i < g.rows; i++) head.fill(i, g.indptr[i], g.indptr[i + 1]);
  return { head, tail: g.indices.slice(0, nnz), weights: g.data.slice(0, nnz) };
}

/** Connected components (union-find): a label per vertex, 0.. in order of first vertex. */
export function connectedComponents(g: CsrGraph): { count: number; labels: Int32Array } {
  const n = g.rows;
  const parent = new Int32Array(n);
  for (let i = 0; i < n; i++) parent[i] = i;
  const find = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]];
      i = parent[i];
    }
    return i;
  };
  for (let i = 0; i < n; i++) {
    for (let p = g.indptr[i]; p < g.indptr[i + 1]; p++) {
      const a = find(i);
      const b = find(g.indices[p]);
      if (a !== b) parent[Math.max(a, b)] = Math.min(a, b);
    }
  }
  const labels = new Int32Array(n).fill(-1);
  const rootLabel = new Int32Array(n).fill(-1);
  let count = 0;
  for (let i = 0; i < n; i++) {
    const r = find(i);
    if (rootLabel[r] < 0) rootLabel[r] = count++;
    labels[i] = rootLabel[r];
  }
  return { count, labels };
}

/** The subgraph on the vertices of one component, with their original ids. */
function subgraph(g: CsrGraph, members: Int32Array): CsrGraph {
  const local = new Map<number, number>();
  members.forEach((v, i) => local.set(v, i));
  const indptr = new Int32Array(members.length + 1);
  const indices: number[] = [];
  const data: number[] = [];
  for (let i = 0; i < members.length; i++) {
    const v = members[i];
    for (let p = g.indptr[v]; p < g.indptr[v + 1]; p++) {
      const j = local.get(g.indices[p]);
      if (j === undefined) continue;
      indices.push(j);
      data.push(g.data[p]);
    }
    indptr[i + 1] = indices.length;
  }
  return { rows: members.length, cols: members.length, indptr, indices: Int32Array.from(indices), data: Float32Array.from(data) };
}

/**
 * umap-learn's spectral_layout: Laplacian eigenvectors of a connected graph; for a disconnected one its
 * multi_component_layout: the components placed by a meta-embedding (spectral embedding of their centroid
 * affinities, or the +-unit vectors when there are at most 2 dim components), each laid out spectrally
 * (randomly when too small) and scaled to half the distance to the nearest other component.
 */
function spectralLayout(x: DenseMatrix, g: CsrGraph, dim: number, metric: NNMetric, rng: Rng): Float64Array {
  const random = (): number => rng.random();
  const { count, labels } = connectedComponents(g);
  if (count === 1) return spectralEigenvectors(g, dim, random);
  const n = g.rows;
  const meta = count > 2 * dim ? componentLayout(x, count, labels, dim, metric, random) : unitMetaEmbedding(count, dim);
  const result = new Float64Array(n * dim);
  const members: number[][] = Array.from({ length: count }, () => []);
  for (let i = 0; i < n; i++) members[labels[i]].push(i);
  for (let c = 0; c < count; c++) {
    let nearest = Infinity;
    for (let o = 0; o < count; o++) {
      let s = 0;
      for (let d = 0; d < dim; d++) s += (meta[c * dim + d] - meta[o * dim + d]) ** 2;
      if (s > 0) nearest = Math.min(nearest, Math.sqrt(s));
    }
    const dataRange = Number.isFinite(nearest) ? nearest / 2 : 1;
    const ids = Int32Array.from(members[c]);
    if (ids.length < 2 * dim || ids.length <= dim + 1) {
      for (const i of ids) for (let d = 0; d < dim; d++) result[i * dim + d] = meta[c * dim + d] + (rng.random() * 2 - 1) * dataRange;
      continue;
    }
    const vecs = spectralEigenvectors(subgraph(g, ids), dim, random);
    let maxAbs = 0;
    for (let i = 0; i < vecs.length; i++) maxAbs = Math.max(maxAbs, Math.abs(vecs[i]));
    const expansion = maxAbs > 0 ? dataRange / maxAbs : 0;
    ids.forEach((v, i) => {
      for (let d = 0; d < dim; d++) result[v * dim + d] = vecs[i * dim + d] * expansion + meta[c * dim + d];
    });
  }
  return result;
}

/** umap-learn's meta-embedding for few components: +-e_1, +-e_2, ... */
function unitMetaEmbedding(count: number, dim: number): Float64Array {
  const k = Math.ceil(count / 2);
  const meta = new Float64Array(count * dim);
  for (let c = 0; c < count; c++) meta[c * dim + (c % k)] = c < k ? 1 : -1;
  return meta;
}

/**
 * umap-learn's component_layout: centroids of the components in data space, affinities exp(-d^2) under the
 * metric, and their spectral embedding as scikit-learn's SpectralEmbedding(affinity="precomputed") computes
 * it (normalized Laplacian eigenvectors 2..dim+1 divided by sqrt(degree), sign-fixed), divided by its max.
 */
function componentLayout(x: DenseMatrix, count: number, labels: Int32Array, dim: number, metric: NNMetric, random: () => number): Float64Array {
  const cols = x.cols;
  const centroids = new Float32Array(count * cols);
  const sizes = new Float64Array(count);
  for (let i = 0; i < x.rows; i++) {
    const c = labels[i];
    sizes[c]++;
    for (let t = 0; t < cols; t++) centroids[c * cols + t] += x.data[i * cols + t];
  }
  for (let c = 0; c < count; c++) for (let t = 0; t < cols; t++) centroids[c * cols + t] /= sizes[c];
  const norms = new Float64Array(count);
  for (let c = 0; c < count; c++) norms[c] = Math.sqrt(rowDot(centroids, c, centroids, c, cols));
  // Affinity without its diagonal (scipy's laplacian ignores it), and sqrt(degree).
  const affinity = new Float64Array(count * count);
  for (let i = 0; i < count; i++) {
    for (let j = i + 1; j < count; j++) {
      let dist: number;
      if (metric === "cosine") {
        const denom = norms[i] * norms[j];
        dist = denom > 0 ? Math.max(0, 1 - rowDot(centroids, i, centroids, j, cols) / denom) : 1;
      } else {
        let s = 0;
        for (let t = 0; t < cols; t++) s += (centroids[i * cols + t] - centroids[j * cols + t]) ** 2;
        dist = Math.sqrt(s);
      }
      affinity[i * count + j] = affinity[j * count + i] = Math.exp(-dist * dist);
    }
  }
  const dd = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    let s = 0;
    for (let j = 0; j < count; j++) s += affinity[i * count + j];
    dd[i] = Math.sqrt(s);
  }
  const vectors = new Float64Array(count * dim);
  const normalized = (i: number, j: number): number => (dd[i] > 0 && dd[j] > 0 ? affinity[i * count + j] / (dd[i] * dd[j]) : 0);
  if (count <= 300) {
    const m = new Float64Array(count * count);
    for (let i = 0; i < count; i++) for (let j = 0; j < count; j++) m[i * count + j] = normalized(i, j);
    const eig = symmetricEigen(m, count);
    for (let i = 0; i < count; i++) for (let t = 0; t < dim; t++) vectors[i * dim + t] = t + 1 < count ? eig.vectors[i * count + t + 1] : 0;
  } else {
    const apply = (v: Float64Array, out: Float64Array): void => {
      for (let i = 0; i < count; i++) {
        let s = 0;
        for (let j = 0; j < count; j++) s += normalized(i, j) * v[j];
        out[i] = s;
      }
    };
    const v0 = Float64Array.from(dd);
    const norm = Math.sqrt(v0.reduce((s, v) => s + v * v, 0));
    for (let i = 0; i < count; i++) v0[i] /= norm;
    const res = lobpcgLargest(apply, count, dim, [v0], random, 300, 1e-6);
    for (let t = 0; t < dim; t++) for (let i = 0; i < count; i++) vectors[i * dim + t] = res.vectors[t][i];
  }
  // Divide by sqrt(degree), flip each vector so its largest-magnitude entry is positive, scale by the max.
  for (let t = 0; t < dim; t++) {
    let best = 0;
    for (let i = 0; i < count; i++) {
      vectors[i * dim + t] /= dd[i] || 1;
      if (Math.abs(vectors[i * dim + t]) > Math.abs(best)) best = vectors[i * dim + t];
    }
    if (best < 0) for (let i = 0; i < count; i++) vectors[i * dim + t] = -vectors[i * dim + t];
  }
  let max = -Infinity;
  for (let i = 0; i < vectors.length; i++) max = Math.max(max, vectors[i]);
  if (max > 0) for (let i = 0; i < vectors.length; i++) vectors[i] /= max;
  return vectors;
}

/**
 * umap-learn's optimize_layout_euclidean: for each epoch, each edge due for sampling pulls its head towards
 * its tail (attractive gradient -2ab d^(2(b-1)) / (1 + a d^2b), per coordinate clipped to [-4, 4]), then
 * pushes the head away from negativeSampleRate random vertices (2 gamma b / ((0.001 + d^2)(1 + a d^2b))),
 * with the learning rate decaying linearly to 0. `moveOther` also moves the tail (fit, not transform).
 * Runs in WebAssembly (umap-layout.wat, the same loop with a table-based d^2b) unless `useWasm` is false or
 * WebAssembly is missing; then single-threaded and deterministic per seed, or on `threads` threads
 * (Hogwild, not reproducible: see umap-layout.ts). Returns the number of threads it ran on.
 */
export function optimizeLayout(
  headEmbedding: Float32Array,
  tailEmbedding: Float32Array,
  head: Int32Array,
  tail: Int32Array,
  nEpochs: number,
  nVertices: number,
  epochsPerSample: Float64Array,
  a: number,
  b: number,
  rng: Rng,
  gamma: number,
  initialAlpha: number,
  negativeSampleRate: number,
  moveOther: boolean,
  useWasm = true,
  threads = 1,
): number {
  const dim = tailEmbedding.length / nVertices; // the tail embedding holds the nVertices sampled from
  // Work in float64 copies (no float32 rounding on every update in the hot loop); one array when fitting.
  const headE = Float64Array.from(headEmbedding);
  const tailE = headEmbedding === tailEmbedding ? headE : Float64Array.from(tailEmbedding);
  // Negative samples come from a mulberry32 stream seeded by `rng` (the same generator as util/random,
  // inlined: it runs hundreds of millions of times).
  const seed = rng.seed() >>> 0;
  const params = { nEpochs, nVertices, a, b, gamma, initialAlpha, negativeSampleRate, moveOther, seed, threads };
  const ranOn = useWasm ? sgdLayoutWasm(headE, tailE, dim, head, tail, epochsPerSample, params) : 0;
  if (ranOn > 0) {
    headEmbedding.set(headE);
    if (tailE !== headE) tailEmbedding.set(tailE);
    return ranOn;
  }
  const nEdges = epochsPerSample.length;
  const epochsPerNegativeSample = new Float64Array(nEdges);
  const epochOfNextNegativeSample = new Float64Array(nEdges);
  const epochOfNextSample = new Float64Array(nEdges);
  for (let i = 0; i < nEdges; i++) {
    epochsPerNegativeSample[i] = epochsPerSample[i] / negativeSampleRate;
    epochOfNextNegativeSample[i] = epochsPerNegativeSample[i];
    epochOfNextSample[i] = epochsPerSample[i];
  }
  let state = seed;
  const twoAB = 2 * a * b;
  const twoGammaB = 2 * gamma * b;
  let alpha = initialAlpha;
  for (let n = 0; n < nEpochs; n++) {
    for (let i = 0; i < nEdges; i++) {
      if (!(epochOfNextSample[i] <= n) || epochsPerSample[i] < 0) continue;
      const j = head[i];
      const cj = j * dim;
      let ck = tail[i] * dim;
      let distSquared = 0;
      for (let d = 0; d < dim; d++) {
        const diff = headE[cj + d] - tailE[ck + d];
        distSquared += diff * diff;
      }
      if (distSquared > 0) {
        const powB = Math.exp(b * Math.log(distSquared));
        const gradCoeff = (-twoAB * (powB / distSquared)) / (a * powB + 1);
        for (let d = 0; d < dim; d++) {
          let g = gradCoeff * (headE[cj + d] - tailE[ck + d]);
          g = (g > 4 ? 4 : g < -4 ? -4 : g) * alpha;
          headE[cj + d] += g;
          if (moveOther) tailE[ck + d] -= g;
        }
      }
      epochOfNextSample[i] += epochsPerSample[i];
      const nNeg = Math.trunc((n - epochOfNextNegativeSample[i]) / epochsPerNegativeSample[i]) || 0; // int(), as umap-learn
      for (let p = 0; p < nNeg; p++) {
        let t = (state = (state + 0x6d2b79f5) >>> 0);
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        const k = Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * nVertices);
        ck = k * dim;
        distSquared = 0;
        for (let d = 0; d < dim; d++) {
          const diff = headE[cj + d] - tailE[ck + d];
          distSquared += diff * diff;
        }
        // A coincident sample gives no push (umap-learn's grad_d = 0), and the point itself is skipped.
        if (!(distSquared > 0)) continue;
        const gradCoeff = twoGammaB / ((0.001 + distSquared) * (a * Math.exp(b * Math.log(distSquared)) + 1));
        for (let d = 0; d < dim; d++) {
          const g = gradCoeff * (headE[cj + d] - tailE[ck + d]);
          headE[cj + d] += (g > 4 ? 4 : g < -4 ? -4 : g) * alpha;
        }
      }
      epochOfNextNegativeSample[i] += nNeg * epochsPerNegativeSample[i];
    }
    alpha = initialAlpha * (1 - n / nEpochs);
  }
  headEmbedding.set(headE);
  if (tailE !== headE) tailEmbedding.set(tailE);
  return 1;
}

/**
 * scikit-learn's sklearn.manifold.trustworthiness: 1 - 2 / (n k (2n - 3k - 1)) * sum over points of
 * sum over their k nearest neighbours in the embedding of max(0, rank in input space - k), where ranks are
 * by Euclidean distance (1 = nearest, the point itself excluded, ties by index). 1 means every embedded
 * neighbourhood is a true one. Exact, O(n^2 (dim + k)): meant for evaluation on a few thousand points.
 */
export function trustworthiness(x: DenseMatrix, embedded: DenseMatrix, nNeighbors = 5): number {
  const n = x.rows;
  if (embedded.rows !== n) throw new Error(`trustworthiness: ${n} points but ${embedded.rows} embedded`);
  if (!(nNeighbors >= 1 && nNeighbors < n / 2)) throw new Error(`trustworthiness: nNeighbors (${nNeighbors}) should be less than n_samples / 2 (${n / 2})`);
  const k = nNeighbors;
  const emb = bruteForceKnn(embedded, k + 1, "euclidean");
  const dist = new Float64Array(n);
  let t = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let c = 0; c < x.cols; c++) {
        const diff = x.data[i * x.cols + c] - x.data[j * x.cols + c];
        s += diff * diff;
      }
      dist[j] = s;
    }
    // The embedded neighbours without the point itself (it sorts first unless duplicates tie with it).
    let taken = 0;
    for (let p = 0; p < k + 1 && taken < k; p++) {
      const j = emb.indices[i * (k + 1) + p];
      if (j === i) continue;
      taken++;
      let rank = 1;
      const dj = dist[j];
      for (let o = 0; o < n; o++) if (o !== i && (dist[o] < dj || (dist[o] === dj && o < j))) rank++;
      if (rank > k) t += rank - k;
    }
  }
  return 1 - t * (2 / (n * k * (2 * n - 3 * k - 1)));
}
