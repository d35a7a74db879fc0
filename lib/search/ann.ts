/**
 * Approximate nearest-neighbour search for large corpora, on the lib's NN-descent index
 * (lib/topics/nndescent.ts, after pynndescent): a random-projection forest plus a k-NN graph built by
 * NN-descent, queried by pynndescent's search (start in the query's RP-tree leaves, then a best-first walk
 * over the undirected graph until the nearest unexpanded candidate is farther than (1 + epsilon) times
 * the current k-th distance).
 *
 * Why not an npm package: `hnswlib-wasm` is ESM-only (no CommonJS entry, which tslab's runtime needs),
 * `usearch` and `hnswlib-node` are native addons with install scripts (node-gyp) and usearch needs
 * Node >= 22, and `hnsw` (pure JS) pulls in `idb` (IndexedDB) and keeps vectors as plain arrays. The
 * NN-descent graph already computes its distances with WebAssembly SIMD kernels.
 *
 * Defaults follow pynndescent's NNDescent: n_neighbors 30 and search epsilon 0.1; `searchK` widens the
 * candidate list of the walk (HNSW's ef): the walk keeps max(k, searchK) candidates, trading speed for recall.
 */
import type { MatrixLike } from "../util/matrix";
import { NNDescent, type NNDescentOptions } from "../topics/nndescent";
import { checkK, l2NormalizeRows, queryMatrix, type VectorIndex } from "./dense";
import type { SearchHit } from "./topk";

export interface NNDescentIndexOptions extends Omit<NNDescentOptions, "metric" | "nNeighbors"> {
  /** Graph degree of the index (default 30, pynndescent's n_neighbors). */
  nNeighbors?: number;
  /** Search: how far past the current k-th distance the walk goes on (default 0.1, pynndescent). */
  epsilon?: number;
  /** Search: candidates kept during the walk, at least k (default 0: k). */
  searchK?: number;
}

/** An approximate cosine k-NN index over a corpus of embeddings. */
export class NNDescentIndex implements VectorIndex {
  readonly size: number;
  readonly dim: number;
  readonly epsilon: number;
  readonly searchK: number;
  /** Seconds the graph build took. */
  readonly buildSeconds: number;
  private readonly index: NNDescent;

  constructor(corpus: MatrixLike, opts: NNDescentIndexOptions = {}) {
    const x = l2NormalizeRows(corpus, "NNDescentIndex: corpus");
    if (x.rows < 2) throw new Error(`NNDescentIndex: the corpus needs at least 2 rows, got ${x.rows}`);
    this.size = x.rows;
    this.dim = x.cols;
    this.epsilon = opts.epsilon ?? 0.1;
    this.searchK = opts.searchK ?? 0;
    if (!(this.epsilon >= 0)) throw new Error(`NNDescentIndex: epsilon must be >= 0, got ${this.epsilon}`);
    if (!Number.isInteger(this.searchK) || this.searchK < 0) throw new Error(`NNDescentIndex: searchK must be an integer >= 0, got ${this.searchK}`);
    const nNeighbors = Math.min(opts.nNeighbors ?? 30, x.rows);
    const t0 = Date.now();
    this.index = new NNDescent(x, { ...opts, nNeighbors, metric: "cosine" });
    this.buildSeconds = (Date.now() - t0) / 1000;
  }

  /** NN-descent rounds run and whether the SIMD kernels built the graph. */
  get stats(): { rounds: number; simd: boolean } {
    return this.index.stats;
  }

  search(queries: MatrixLike | ArrayLike<number>, k: number, opts: { epsilon?: number; searchK?: number } = {}): SearchHit[][] {
    checkK(k, this.size, "NNDescentIndex.search");
    const q = queryMatrix(queries, this.dim, "NNDescentIndex.search");
    if (q.rows === 0) return [];
    const kk = Math.min(this.size, Math.max(k, opts.searchK ?? this.searchK));
    const graph = this.index.query(q, kk, opts.epsilon ?? this.epsilon);
    const out: SearchHit[][] = [];
    for (let i = 0; i < q.rows; i++) {
      const hits: SearchHit[] = [];
      for (let t = 0; t < Math.min(k, kk); t++) {
        const index = graph.indices[i * kk + t];
        if (index < 0) break;
        // Cosine distance back to similarity.
        hits.push({ index, score: 1 - graph.distances[i * kk + t] });
      }
      out.push(hits);
    }
    return out;
  }
}
