/**
 * A compressed-sparse-row (CSR) matrix, scipy.sparse.csr_matrix's layout: the output of the vectorizers
 * and the input of c-TF-IDF and logistic regression. A document-term matrix of 3,000 sentences and a
 * 10,000-word vocabulary is 99.9 % zeros, so only the non-zeros are stored.
 */
import type { DenseMatrix } from "./matrix";

export interface CsrMatrix {
  readonly rows: number;
  readonly cols: number;
  /** Row i's entries are at positions indptr[i] .. indptr[i + 1] - 1 of `indices` and `data`. */
  readonly indptr: Int32Array;
  /** Column of each stored entry, increasing within a row. */
  readonly indices: Int32Array;
  /** Value of each stored entry. */
  readonly data: Float32Array | Float64Array;
}

export function isCsrMatrix(x: unknown): x is CsrMatrix {
  const m = x as CsrMatrix;
  return (
    typeof x === "object" && x !== null && m.indptr instanceof Int32Array && m.indices instanceof Int32Array &&
    (m.data instanceof Float64Array || m.data instanceof Float32Array) &&
    typeof m.rows === "number" && typeof m.cols === "number"
  );
}

/**
 * Builds a CSR matrix after checking its structure (lengths, index ranges, increasing columns within a
 * row); `what` names it in errors.
 */
export function csrMatrix(
  rows: number,
  cols: number,
  indptr: ArrayLike<number>,
  indices: ArrayLike<number>,
  data: ArrayLike<number>,
  what = "CSR matrix",
): CsrMatrix {
  const m: CsrMatrix = {
    rows,
    cols,
    indptr: indptr instanceof Int32Array ? indptr : Int32Array.from(indptr),
    indices: indices instanceof Int32Array ? indices : Int32Array.from(indices),
    data: data instanceof Float64Array || data instanceof Float32Array ? data : Float64Array.from(data),
  };
  validateCsr(m, what);
  return m;
}

/** Throws a clear error when `m` is not a well-formed CSR matrix. */
export function validateCsr(m: CsrMatrix, what = "CSR matrix"): void {
  if (!isCsrMatrix(m)) throw new Error(`${what}: expected {rows, cols, indptr: Int32Array, indices: Int32Array, data: Float32Array | Float64Array}`);
  const { rows, cols, indptr, indices, data } = m;
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0) throw new Error(`${what}: bad shape [${rows}, ${cols}]`);
  if (indptr.length !== rows + 1) throw new Error(`${what}: indptr has ${indptr.length} entries, expected rows + 1 = ${rows + 1}`);
  if (indptr[0] !== 0) throw new Error(`${what}: indptr[0] is ${indptr[0]}, expected 0`);
  const nnz = indptr[rows];
  if (indices.length !== nnz || data.length !== nnz) {
    throw new Error(`${what}: indptr says ${nnz} stored entries but indices has ${indices.length} and data ${data.length}`);
  }
  for (let i = 0; i < rows; i++) {
    const start = indptr[i];
    const end = indptr[i + 1];
    if (end < start) throw new Error(`${what}: indptr decreases at row ${i}`);
    for (let k = start; k < end; k++) {
      const j = indices[k];
      if (j < 0 || j >= cols) throw new Error(`${what}: column index ${j} out of range [0, ${cols}) in row ${i}`);
      if (k > start && j <= indices[k - 1]) throw new Error(`${what}: column indices of row ${i} are not strictly increasing`);
      if (!Number.isFinite(data[k])) throw new Error(`${what}: value at [${i}, ${j}] is ${data[k]}`);
    }
  }
}

/** Number of stored entries. */
export function nnz(m: CsrMatrix): number {
  return m.indptr[m.rows];
}

/** The dense float64 equivalent, row-major (rows * cols values). */
export function csrToDense(m: CsrMatrix): Float64Array {
  const out = new Float64Array(m.rows * m.cols);
  for (let i = 0; i < m.rows; i++) {
    for (let k = m.indptr[i]; k < m.indptr[i + 1]; k++) out[i * m.cols + m.indices[k]] += m.data[k];
  }
  return out;
}

/** The dense float32 DenseMatrix (the currency of the dimension reducers and clusterers). */
export function csrToDenseMatrix(m: CsrMatrix): DenseMatrix {
  return { rows: m.rows, cols: m.cols, data: Float32Array.from(csrToDense(m)) };
}

/** The dense rows as plain arrays (for tests, charts and JSON). */
export function csrToArrays(m: CsrMatrix): number[][] {
  const dense = csrToDense(m);
  const out: number[][] = [];
  for (let i = 0; i < m.rows; i++) out.push(Array.from(dense.subarray(i * m.cols, (i + 1) * m.cols)));
  return out;
}

/** A CSR copy of a dense matrix, keeping only the non-zero values. */
export function denseToCsr(x: DenseMatrix): CsrMatrix {
  const indptr = new Int32Array(x.rows + 1);
  const indices: number[] = [];
  const data: number[] = [];
  for (let i = 0; i < x.rows; i++) {
    for (let j = 0; j < x.cols; j++) {
      const v = x.data[i * x.cols + j];
      if (v !== 0) {
        indices.push(j);
        data.push(v);
      }
    }
    indptr[i + 1] = indices.length;
  }
  return { rows: x.rows, cols: x.cols, indptr, indices: Int32Array.from(indices), data: Float32Array.from(data) };
}

/** One row's stored entries, as views (no copy). */
export function csrRow(m: CsrMatrix, i: number): { indices: Int32Array; data: Float32Array | Float64Array } {
  if (!Number.isInteger(i) || i < 0 || i >= m.rows) throw new Error(`csrRow: row ${i} out of range [0, ${m.rows})`);
  const start = m.indptr[i];
  const end = m.indptr[i + 1];
  return { indices: m.indices.subarray(start, end), data: m.data.subarray(start, end) };
}

/** Calls fn(row, col, value) for every stored entry, row by row. */
export function forEachEntry(m: CsrMatrix, fn: (row: number, col: number, value: number) => void): void {
  for (let i = 0; i < m.rows; i++) {
    for (let k = m.indptr[i]; k < m.indptr[i + 1]; k++) fn(i, m.indices[k], m.data[k]);
  }
}

/**
 * Each row divided by its L1 norm (sum of |values|) or L2 norm, as sklearn.preprocessing.normalize:
 * all-zero rows are left as they are. Returns a new float64 matrix with the same structure.
 */
export function normalizeRows(m: CsrMatrix, norm: "l1" | "l2"): CsrMatrix {
  const data = Float64Array.from(m.data);
  for (let i = 0; i < m.rows; i++) {
    const start = m.indptr[i];
    const end = m.indptr[i + 1];
    let s = 0;
    if (norm === "l1") for (let k = start; k < end; k++) s += Math.abs(data[k]);
    else {
      for (let k = start; k < end; k++) s += data[k] * data[k];
      s = Math.sqrt(s);
    }
    if (s === 0) continue;
    for (let k = start; k < end; k++) data[k] /= s;
  }
  return { rows: m.rows, cols: m.cols, indptr: m.indptr, indices: m.indices, data };
}

/** Sum of each column (length cols), as X.sum(axis=0). */
export function columnSums(m: CsrMatrix): Float64Array {
  const out = new Float64Array(m.cols);
  const nz = nnz(m);
  for (let k = 0; k < nz; k++) out[m.indices[k]] += m.data[k];
  return out;
}

/** Sum of each row (length rows), as X.sum(axis=1). */
export function rowSums(m: CsrMatrix): Float64Array {
  const out = new Float64Array(m.rows);
  for (let i = 0; i < m.rows; i++) {
    let s = 0;
    for (let k = m.indptr[i]; k < m.indptr[i + 1]; k++) s += m.data[k];
    out[i] = s;
  }
  return out;
}

/** Number of stored non-zero entries in each column: the document frequency of a term-count matrix. */
export function columnNonZeroCounts(m: CsrMatrix): Int32Array {
  const out = new Int32Array(m.cols);
  const nz = nnz(m);
  for (let k = 0; k < nz; k++) if (m.data[k] !== 0) out[m.indices[k]]++;
  return out;
}

/** The columns `keep` (increasing column indices), renumbered 0..keep.length-1, as X[:, keep]. */
export function selectColumns(m: CsrMatrix, keep: ArrayLike<number>): CsrMatrix {
  const newIndex = new Int32Array(m.cols).fill(-1);
  for (let k = 0; k < keep.length; k++) {
    const j = keep[k];
    if (!Number.isInteger(j) || j < 0 || j >= m.cols) throw new Error(`selectColumns: column ${j} out of range [0, ${m.cols})`);
    if (k > 0 && j <= keep[k - 1]) throw new Error("selectColumns: columns must be strictly increasing");
    newIndex[j] = k;
  }
  const indptr = new Int32Array(m.rows + 1);
  let count = 0;
  for (let k = 0; k < nnz(m); k++) if (newIndex[m.indices[k]] >= 0) count++;
  const indices = new Int32Array(count);
  const data = m.data instanceof Float32Array ? new Float32Array(count) : new Float64Array(count);
  let p = 0;
  for (let i = 0; i < m.rows; i++) {
    for (let k = m.indptr[i]; k < m.indptr[i + 1]; k++) {
      const j = newIndex[m.indices[k]];
      if (j >= 0) {
        indices[p] = j;
        data[p++] = m.data[k];
      }
    }
    indptr[i + 1] = p;
  }
  return { rows: m.rows, cols: keep.length, indptr, indices, data };
}

/** The rows `rowIndices`, in that order, as X[rowIndices]. */
export function selectCsrRows(m: CsrMatrix, rowIndices: ArrayLike<number>): CsrMatrix {
  const indptr = new Int32Array(rowIndices.length + 1);
  for (let r = 0; r < rowIndices.length; r++) {
    const i = rowIndices[r];
    if (!Number.isInteger(i) || i < 0 || i >= m.rows) throw new Error(`selectCsrRows: row ${i} out of range [0, ${m.rows})`);
    indptr[r + 1] = indptr[r] + m.indptr[i + 1] - m.indptr[i];
  }
  const n = indptr[rowIndices.length];
  const indices = new Int32Array(n);
  const data = m.data instanceof Float32Array ? new Float32Array(n) : new Float64Array(n);
  for (let r = 0; r < rowIndices.length; r++) {
    const i = rowIndices[r];
    indices.set(m.indices.subarray(m.indptr[i], m.indptr[i + 1]), indptr[r]);
    data.set(m.data.subarray(m.indptr[i], m.indptr[i + 1]), indptr[r]);
  }
  return { rows: rowIndices.length, cols: m.cols, indptr, indices, data };
}
