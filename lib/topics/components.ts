/**
 * The pluggable stages of the topic pipeline, as in BERTopic: embedder -> dimension reducer ->
 * clusterer -> vectorizer -> c-TF-IDF -> representation. Each is a small interface, so a reader can swap
 * UMAP for PCA or HDBSCAN for k-means without touching the pipeline.
 */
import type { DenseMatrix } from "../util/matrix";
import type { CsrMatrix } from "../util/sparse";

/** Lowers the dimension of embeddings (UMAP, PCA). */
export interface DimensionReducer {
  /** Learns the projection and returns the training points in it. */
  fitTransform(x: DenseMatrix): DenseMatrix;
  /** Projects new points with the learned projection (after fitTransform). */
  transform(x: DenseMatrix): DenseMatrix;
}

/** Assigns each point a cluster id, -1 for outliers (HDBSCAN, k-means). */
export interface Clusterer {
  /** Clusters the points: labels[i] in {-1, 0, 1, ...}. */
  fitPredict(x: DenseMatrix): Int32Array;
  /** Labels for new points, as the fitted model would give them (HDBSCAN: approximate_predict). */
  predict(x: DenseMatrix): Int32Array;
  /** Strength of each training point's membership in its cluster, in [0, 1], when the method has one. */
  readonly probabilities?: Float32Array;
}

/** Turns texts into vectors (sentence-transformers' `encode`, a transformers.js pipeline, the lib's BERT). */
export interface Embedder {
  /** One row per text. */
  embed(texts: string[]): Promise<DenseMatrix>;
}

/** Bag-of-words counts, as scikit-learn's CountVectorizer: one row per document, one column per term. */
export interface TextVectorizer {
  fitTransform(docs: readonly string[]): CsrMatrix;
  transform(docs: readonly string[]): CsrMatrix;
  getFeatureNamesOut(): string[];
  /** Splits one document into tokens (sklearn's build_tokenizer(); BERTopic's approximate_distribution uses it). */
  tokenize(doc: string): string[];
}

/** Weights a per-topic count matrix (c-TF-IDF). */
export interface TopicWeighting {
  fit(counts: CsrMatrix): unknown;
  transform(counts: CsrMatrix): CsrMatrix;
}
