/**
 * Dense retrieval (chapter 8): nearest passages by cosine similarity of embeddings.
 *
 * `ExactCosineIndex` scores every corpus row for each query. The corpus rows are normalised once and copied
 * into the WebAssembly memory of the lib's SIMD distance kernels (lib/topics/nn-kernels.ts); queries are
 * scored in batches against cache-sized blocks of rows, and each query's best k are picked by a bounded
 * heap, never a full sort. Where
 * WebAssembly SIMD is missing (or the corpus exceeds 2 GiB) the same loop runs in plain JS.
 *
 * The approximate index for large corpora is in ann.ts; both implement `VectorIndex`.
 */
import { toDenseMatrix, type DenseMatrix, type MatrixLike } from "../util/matrix";
import { DistanceKernel } from "../topics/nn-kernels";
import { topKIndices, type SearchHit } from "./topk";

/** What the retrievers share: a corpus of `size` vectors of `dim` values, searched by query rows. */
export interface VectorIndex {
  readonly size: number;
  readonly dim: number;
  /** The k most similar corpus rows of each query row, best first (score: cosine similarity). */
  search(queries: MatrixLike, k: number): SearchHit[][];
}

/** A copy with every row scaled to unit length (a zero row stays zero). */
export function l2NormalizeRows(x: MatrixLike, what = "matrix"): DenseMatrix {
  const m = toDenseMatrix(x, what);
  const out = new Float32Array(m.data.length);
  const d = m.cols;
  for (let i = 0; i < m.rows; i++) {
    let s = 0;
    for (let t = 0; t < d; t++) s += m.data[i * d + t] * m.data[i * d + t];
    if (!(s > 0)) continue;
    const inv = 1 / Math.sqrt(s);
    for (let t = 0; t < d; t++) out[i * d + t] = m.data[i * d + t] * inv;
  }
  return { rows: m.rows, cols: d, data: out };
}

/** Checks a query batch against an index's dimension; a single vector (1-D array) is one query row. */
export function queryMatrix(queries: MatrixLike | ArrayLike<number>, dim: number, who: string): DenseMatrix {
  const q =
    queries instanceof Float32Array || (Array.isArray(queries) && queries.length > 0 && typeof queries[0] === "number")
      ? toDenseMatrix([queries as ArrayLike<number>], `${who}: query`)
      : toDenseMatrix(queries as MatrixLike, `${who}: queries`);
  if (q.rows > 0 && q.cols !== dim) throw new Error(`${who}: queries have ${q.cols} values per row, the index has ${dim}`);
  return q;
}

export function checkK(k: number, size: number, who: string): void {
  if (!Number.isInteger(k) || k < 1) throw new Error(`${who}: k must be an integer >= 1, got ${k}`);
  if (size === 0) throw new Error(`${who}: the index is empty`);
}

export interface ExactCosineIndexOptions {
  /** Use the WebAssembly SIMD kernels when available (default true). */
  useWasm?: boolean;
  /** Queries scored together per pass over the corpus (default 32). */
  batchSize?: number;
  /** Corpus rows per block of a pass (default 256: 384 KB of 384-d rows, cache-sized). */
  blockRows?: number;
}

/** Brute-force cosine top-k over a corpus of embeddings (the exact reference for the ANN index). */
export class ExactCosineIndex implements VectorIndex {
  readonly size: number;
  readonly dim: number;
  readonly batchSize: number;
  readonly blockRows: number;
  private readonly kernel: DistanceKernel;

  constructor(corpus: MatrixLike, opts: ExactCosineIndexOptions = {}) {
    const x = l2NormalizeRows(corpus, "ExactCosineIndex: corpus");
    this.size = x.rows;
    this.dim = x.cols;
    this.kernel = new DistanceKernel(x.data, x.rows, x.cols, true, opts.useWasm ?? true);
    this.batchSize = opts.batchSize ?? 32;
    this.blockRows = opts.blockRows ?? 256;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1) throw new Error(`ExactCosineIndex: batchSize must be an integer >= 1, got ${this.batchSize}`);
    if (!Number.isInteger(this.blockRows) || this.blockRows < 1) throw new Error(`ExactCosineIndex: blockRows must be an integer >= 1, got ${this.blockRows}`);
  }

  /** True when the SIMD kernels run. */
  get simd(): boolean {
    return this.kernel.simd;
  }

  /** Cosine similarity of one query vector (any length; normalised here) with every corpus row. */
  scores(query: ArrayLike<number>): Float32Array {
    const q = queryMatrix(Array.from(query), this.dim, "ExactCosineIndex.scores");
    this.loadQuery(l2NormalizeRows(q).data);
    return this.kernel.out.slice(0, this.size);
  }

  /**
   * Queries are scored in batches: the corpus is walked in blocks of `blockRows` rows small enough to stay
   * in cache, and each block is scored against every query of the batch before the next block is read, so
   * the corpus streams from memory once per batch instead of once per query.
   */
  search(queries: MatrixLike | ArrayLike<number>, k: number): SearchHit[][] {
    checkK(k, this.size, "ExactCosineIndex.search");
    const q = l2NormalizeRows(queryMatrix(queries, this.dim, "ExactCosineIndex.search"));
    const { size, dim, kernel, batchSize, blockRows } = this;
    const out: SearchHit[][] = [];
    const scores = new Float32Array(Math.min(batchSize, q.rows) * size);
    for (let b0 = 0; b0 < q.rows; b0 += batchSize) {
      const b1 = Math.min(b0 + batchSize, q.rows);
      for (let r0 = 0; r0 < size; r0 += blockRows) {
        const count = Math.min(blockRows, size - r0);
        for (let t = 0; t < count; t++) kernel.ids[t] = r0 + t;
        for (let i = b0; i < b1; i++) {
          kernel.vec.set(q.data.subarray(i * dim, (i + 1) * dim));
          kernel.rowDots(count);
          scores.set(kernel.out.subarray(0, count), (i - b0) * size + r0);
        }
      }
      for (let i = b0; i < b1; i++) out.push(topKIndices(scores.subarray((i - b0) * size, (i - b0 + 1) * size), k));
    }
    return out;
  }

  private loadQuery(unitRow: Float32Array): void {
    for (let i = 0; i < this.size; i++) this.kernel.ids[i] = i;
    this.kernel.vec.set(unitRow);
    this.kernel.rowDots(this.size);
  }
}

/** One-off exact cosine search: the k corpus rows most similar to each query row. */
export function cosineTopK(corpus: MatrixLike, queries: MatrixLike | ArrayLike<number>, k: number): SearchHit[][] {
  return new ExactCosineIndex(corpus).search(queries, k);
}
