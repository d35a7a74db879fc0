/**
 * Classification by embeddings without a trained classifier (the book's chapter 4): each document goes
 * to the label whose embedding is the most cosine-similar, where a label's embedding is either the
 * embedding of a description ("A positive review": zero-shot) or the mean embedding of the labelled
 * training documents of that class (the book's "averaged target embeddings", a nearest-centroid
 * classifier — it needs labels, so it is not zero-shot).
 */
import { toDenseMatrix, type DenseMatrix, type MatrixLike } from "../util/matrix";
import { cosineSimilarityDense } from "../topics/similarity";
import { uniqueLabels, type Label } from "./logistic-regression";

/** Any MatrixLike as a DenseMatrix whose values are all finite (`what` names it in errors). */
function finiteMatrix(x: MatrixLike, what: string): DenseMatrix {
  const m = toDenseMatrix(x, what);
  for (let k = 0; k < m.data.length; k++) {
    if (!Number.isFinite(m.data[k])) throw new Error(`${what}: value at [${Math.floor(k / m.cols)}, ${k % m.cols}] is ${m.data[k]}`);
  }
  return m;
}

/**
 * For each row of `embeddings`, the index of the most cosine-similar row of `references`:
 * `np.argmax(cosine_similarity(embeddings, references), axis=1)` (the first index on ties; a zero row
 * is similar to nothing, so it gets index 0, as there).
 */
export function cosineArgmax(embeddingsLike: MatrixLike, referencesLike: MatrixLike): number[] {
  const embeddings = finiteMatrix(embeddingsLike, "cosineArgmax embeddings");
  const references = finiteMatrix(referencesLike, "cosineArgmax references");
  if (references.rows === 0) throw new Error("cosineArgmax: no reference rows to compare with");
  if (embeddings.cols !== references.cols) {
    throw new Error(`cosineArgmax: embeddings have ${embeddings.cols} columns but references have ${references.cols}`);
  }
  return cosineSimilarityDense(embeddings, references).map((row) => {
    let best = 0;
    for (let k = 1; k < row.length; k++) if (row[k] > row[best]) best = k;
    return best;
  });
}

export interface ClassMeans {
  /** The classes, sorted as numpy.unique sorts them (row k of `means` belongs to classes[k]). */
  classes: Label[];
  /** [classes.length, dim]: the mean embedding of each class. */
  means: DenseMatrix;
}

/**
 * The mean embedding of each class (pandas' `groupby(label).mean()` over the embedding columns, as the
 * book averages its training embeddings per label), accumulated in float64.
 */
export function classMeanEmbeddings(embeddingsLike: MatrixLike, labels: readonly Label[]): ClassMeans {
  const embeddings = finiteMatrix(embeddingsLike, "classMeanEmbeddings embeddings");
  if (!Array.isArray(labels)) throw new Error("classMeanEmbeddings: labels must be an array");
  if (labels.length !== embeddings.rows) {
    throw new Error(`classMeanEmbeddings: ${embeddings.rows} embeddings but ${labels.length} labels`);
  }
  if (labels.length === 0) throw new Error("classMeanEmbeddings: no embeddings");
  const classes = uniqueLabels(labels);
  const index = new Map<Label, number>(classes.map((c, k) => [c, k]));
  const d = embeddings.cols;
  const sums = new Float64Array(classes.length * d);
  const counts = new Float64Array(classes.length);
  for (let i = 0; i < embeddings.rows; i++) {
    const k = index.get(labels[i])!;
    counts[k]++;
    for (let j = 0; j < d; j++) sums[k * d + j] += embeddings.data[i * d + j];
  }
  const data = new Float32Array(sums.length);
  for (let k = 0; k < classes.length; k++) for (let j = 0; j < d; j++) data[k * d + j] = sums[k * d + j] / counts[k];
  return { classes, means: { rows: classes.length, cols: d, data } };
}
