/**
 * sentence-transformers' EmbeddingSimilarityEvaluator: embed both sides of each pair, score the pair by
 * cosine similarity, negative Manhattan and Euclidean distances, and the dot product, and report the
 * Pearson and Spearman correlations of each with the gold scores (STSB's 0-5 or 0-1 ratings). The book
 * prints this dictionary; spearman_cosine is the number it compares (STSB: softmax loss 0.45, cosine
 * loss 0.73, MNR 0.81 with bert-base-uncased).
 */
import { toDenseMatrix, type DenseMatrix, type MatrixLike } from "../util/matrix";
import type { SentenceTransformer } from "./sentence-transformer";

/** Pearson's correlation coefficient (scipy.stats.pearsonr's statistic); NaN when a side is constant. */
export function pearsonr(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = checkPaired(x, y, "pearsonr");
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i] - mx;
    const dy = y[i] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  const r = sxy / Math.sqrt(sxx * syy);
  return Math.max(-1, Math.min(1, r));
}

/** Ranks 1..n, ties sharing their average rank (scipy.stats.rankdata's default "average"). */
export function rankdata(x: ArrayLike<number>): Float64Array {
  const n = x.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => x[a] - x[b] || a - b);
  const ranks = new Float64Array(n);
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && x[order[j + 1]] === x[order[i]]) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[order[k]] = rank;
    i = j + 1;
  }
  return ranks;
}

/** Spearman's rank correlation: Pearson's on the average ranks (scipy.stats.spearmanr's statistic). */
export function spearmanr(x: ArrayLike<number>, y: ArrayLike<number>): number {
  checkPaired(x, y, "spearmanr");
  return pearsonr(rankdata(x), rankdata(y));
}

function checkPaired(x: ArrayLike<number>, y: ArrayLike<number>, fn: string): number {
  if (x.length !== y.length) throw new Error(`${fn}: x has ${x.length} values but y has ${y.length}`);
  if (x.length < 2) throw new Error(`${fn}: needs at least 2 pairs (got ${x.length})`);
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i]) || !Number.isFinite(y[i])) throw new Error(`${fn}: pair ${i} is not finite (${x[i]}, ${y[i]})`);
  }
  return x.length;
}

export type SimilarityName = "cosine" | "manhattan" | "euclidean" | "dot";
const SIMILARITIES: SimilarityName[] = ["cosine", "manhattan", "euclidean", "dot"];

/**
 * The evaluator's dictionary, keys as sentence-transformers prints them: pearson_/spearman_ of cosine,
 * manhattan, euclidean and dot, then pearson_max and spearman_max (the best of the four).
 */
export type SimilarityMetrics = Record<`${"pearson" | "spearman"}_${SimilarityName | "max"}`, number>;

/** Pairwise similarities of row i of a with row i of b: cosine, -L1, -L2 and dot, as sentence-transformers scores them. */
export function pairedSimilarities(a: DenseMatrix, b: DenseMatrix): Record<SimilarityName, Float64Array> {
  if (a.rows !== b.rows || a.cols !== b.cols) throw new Error(`pairedSimilarities: embeddings [${a.rows}, ${a.cols}] and [${b.rows}, ${b.cols}] must have the same shape`);
  const out = Object.fromEntries(SIMILARITIES.map((s) => [s, new Float64Array(a.rows)])) as Record<SimilarityName, Float64Array>;
  const d = a.cols;
  for (let i = 0; i < a.rows; i++) {
    let dot = 0;
    let na = 0;
    let nb = 0;
    let l1 = 0;
    let l2 = 0;
    for (let k = 0; k < d; k++) {
      const x = a.data[i * d + k];
      const y = b.data[i * d + k];
      dot += x * y;
      na += x * x;
      nb += y * y;
      l1 += Math.abs(x - y);
      l2 += (x - y) * (x - y);
    }
    // sklearn's paired_cosine_distances normalises rows (a zero row stays zero); distances become similarities by negation.
    out.cosine[i] = dot / (Math.sqrt(na) || 1) / (Math.sqrt(nb) || 1);
    out.manhattan[i] = -l1;
    out.euclidean[i] = -Math.sqrt(l2);
    out.dot[i] = dot;
  }
  return out;
}

/** Pearson and Spearman of the gold scores against each paired similarity of two embedding matrices. */
export function embeddingSimilarityMetrics(embeddings1: MatrixLike, embeddings2: MatrixLike, scores: ArrayLike<number>): SimilarityMetrics {
  const a = toDenseMatrix(embeddings1, "embeddings1");
  const b = toDenseMatrix(embeddings2, "embeddings2");
  if (scores.length !== a.rows) throw new Error(`embeddingSimilarityMetrics: ${scores.length} scores for ${a.rows} pairs`);
  const sims = pairedSimilarities(a, b);
  const metrics = {} as SimilarityMetrics;
  for (const s of SIMILARITIES) {
    metrics[`pearson_${s}`] = pearsonr(scores, sims[s]);
    metrics[`spearman_${s}`] = spearmanr(scores, sims[s]);
  }
  metrics.pearson_max = Math.max(...SIMILARITIES.map((s) => metrics[`pearson_${s}`]));
  metrics.spearman_max = Math.max(...SIMILARITIES.map((s) => metrics[`spearman_${s}`]));
  return metrics;
}

export interface EmbeddingSimilarityEvaluatorOptions {
  /** Texts per encode batch (default 16). */
  batchSize?: number;
  /** Prefixes every key, `${name}_spearman_cosine`, as sentence-transformers does when named. */
  name?: string;
  /** The similarity whose Spearman is the primary metric (default: the best of the four, spearman_max). */
  mainSimilarity?: SimilarityName;
  showProgressBar?: boolean;
}

/**
 * `new EmbeddingSimilarityEvaluator(sentences1, sentences2, scores)`, then `evaluator.evaluate(model)`
 * (Python's `evaluator(model)`): the metrics dictionary of the model's embeddings of the pairs.
 */
export class EmbeddingSimilarityEvaluator {
  readonly batchSize: number;
  readonly name: string;
  readonly mainSimilarity: SimilarityName | null;
  readonly showProgressBar: boolean;

  constructor(readonly sentences1: string[], readonly sentences2: string[], readonly scores: number[], opts: EmbeddingSimilarityEvaluatorOptions = {}) {
    if (sentences1.length !== sentences2.length || sentences1.length !== scores.length) {
      throw new Error(`EmbeddingSimilarityEvaluator: sentences1 (${sentences1.length}), sentences2 (${sentences2.length}) and scores (${scores.length}) must have the same length`);
    }
    if (sentences1.length < 2) throw new Error(`EmbeddingSimilarityEvaluator: needs at least 2 pairs (got ${sentences1.length})`);
    const bad = scores.findIndex((s) => typeof s !== "number" || !Number.isFinite(s));
    if (bad >= 0) throw new Error(`EmbeddingSimilarityEvaluator: score ${bad} is not a finite number (${scores[bad]})`);
    this.batchSize = opts.batchSize ?? 16;
    this.name = opts.name ?? "";
    this.mainSimilarity = opts.mainSimilarity ?? null;
    this.showProgressBar = opts.showProgressBar ?? false;
  }

  /** The key of the metric that model selection should follow (with the name prefix). */
  get primaryMetric(): string {
    return this.prefix(this.mainSimilarity ? `spearman_${this.mainSimilarity}` : "spearman_max");
  }

  private prefix(key: string): string {
    return this.name ? `${this.name}_${key}` : key;
  }

  /** The metrics of `model` on the pairs (the model is put in eval mode while encoding). */
  evaluate(model: Pick<SentenceTransformer, "encode">): Record<string, number> {
    const opts = { batchSize: this.batchSize, showProgressBar: this.showProgressBar };
    const metrics = embeddingSimilarityMetrics(model.encode(this.sentences1, opts), model.encode(this.sentences2, opts), this.scores);
    return Object.fromEntries(Object.entries(metrics).map(([k, v]) => [this.prefix(k), v]));
  }
}
