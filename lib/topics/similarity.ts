/**
 * Cosine similarities between rows of dense and sparse matrices (sklearn's `cosine_similarity`): a zero
 * row has similarity 0 to everything, as there.
 */
import type { DenseMatrix } from "../util/matrix";
import type { CsrMatrix } from "../util/sparse";

export { argmax } from "../generation/sampling";

function denseNorms(m: DenseMatrix): Float64Array {
  const norms = new Float64Array(m.rows);
  for (let i = 0; i < m.rows; i++) {
    let s = 0;
    for (let j = i * m.cols; j < (i + 1) * m.cols; j++) s += m.data[j] * m.data[j];
    norms[i] = Math.sqrt(s);
  }
  return norms;
}

/** [a.rows][b.rows] cosine similarities. */
export function cosineSimilarityDense(a: DenseMatrix, b: DenseMatrix = a): Float64Array[] {
  if (a.cols !== b.cols) throw new Error(`cosineSimilarity: ${a.cols} vs ${b.cols} columns`);
  const na = denseNorms(a);
  const nb = a === b ? na : denseNorms(b);
  const out: Float64Array[] = [];
  for (let i = 0; i < a.rows; i++) {
    const row = new Float64Array(b.rows);
    const ai = i * a.cols;
    for (let k = 0; k < b.rows; k++) {
      if (na[i] === 0 || nb[k] === 0) continue;
      let dot = 0;
      const bk = k * b.cols;
      for (let j = 0; j < a.cols; j++) dot += a.data[ai + j] * b.data[bk + j];
      row[k] = dot / (na[i] * nb[k]);
    }
    out.push(row);
  }
  return out;
}

function sparseNorms(m: CsrMatrix): Float64Array {
  const norms = new Float64Array(m.rows);
  for (let i = 0; i < m.rows; i++) {
    let s = 0;
    for (let p = m.indptr[i]; p < m.indptr[i + 1]; p++) s += m.data[p] * m.data[p];
    norms[i] = Math.sqrt(s);
  }
  return norms;
}

/** [a.rows][b.rows] cosine similarities of sparse rows (b scattered into a dense row once per b-row). */
export function cosineSimilaritySparse(a: CsrMatrix, b: CsrMatrix = a): Float64Array[] {
  if (a.cols !== b.cols) throw new Error(`cosineSimilarity: ${a.cols} vs ${b.cols} columns`);
  const na = sparseNorms(a);
  const nb = a === b ? na : sparseNorms(b);
  const out: Float64Array[] = Array.from({ length: a.rows }, () => new Float64Array(b.rows));
  const dense = new Float64Array(b.cols);
  for (let k = 0; k < b.rows; k++) {
    if (nb[k] === 0) continue;
    for (let p = b.indptr[k]; p < b.indptr[k + 1]; p++) dense[b.indices[p]] = b.data[p];
    for (let i = 0; i < a.rows; i++) {
      if (na[i] === 0) continue;
      let dot = 0;
      for (let p = a.indptr[i]; p < a.indptr[i + 1]; p++) dot += a.data[p] * dense[a.indices[p]];
      out[i][k] = dot / (na[i] * nb[k]);
    }
    for (let p = b.indptr[k]; p < b.indptr[k + 1]; p++) dense[b.indices[p]] = 0;
  }
  return out;
}
