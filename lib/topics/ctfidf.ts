/**
 * Class-based TF-IDF (c-TF-IDF), exactly as BERTopic's ClassTfidfTransformer (bertopic 0.16-0.17,
 * bertopic/vectorizers/_ctfidf.py). The input has one row per class (topic): the counts of the class's
 * documents joined into one. With X that count matrix:
 *
 *   f_t    = sum over classes of X[c, t]                 (frequency of term t across all classes)
 *   A      = trunc(mean over classes of sum_t X[c, t])   (average words per class; Python's int())
 *   idf(t) = ln(1 + A / f_t)                              or, with bm25Weighting,
 *   idf(t) = ln(1 + (A - f_t + 0.5) / (f_t + 0.5))
 *   tf     = X with each row L1-normalised               (sqrt(tf) with reduceFrequentWords)
 *   W      = tf * idf                                     (idf optionally times a per-term multiplier)
 *
 * The order is BERTopic's: idf from the raw counts in fit; normalise, optional sqrt, then multiply by idf
 * in transform. A term with f_t = 0 (never counted in fit) gets idf 0 instead of numpy's inf/NaN.
 */
import { columnSums, normalizeRows, rowSums, validateCsr, type CsrMatrix } from "../util/sparse";

export interface ClassTfidfOptions {
  /** BM25-inspired idf instead of ln(1 + A / f_t) (default false). */
  bm25Weighting?: boolean;
  /** Square root of the L1-normalised term frequencies (default false). */
  reduceFrequentWords?: boolean;
  /** Words whose idf is multiplied by seedMultiplier (exact matches only; default none). */
  seedWords?: readonly string[];
  /** Multiplier of the seed words' idf (default 2). */
  seedMultiplier?: number;
}

export interface ClassTfidfFitOptions {
  /** The vocabulary (column names): needed to find the seed words. */
  words?: readonly string[];
  /** A per-column idf multiplier, used as given (BERTopic's `multiplier` argument). */
  multiplier?: ArrayLike<number>;
}

/**
 * BERTopic's idf multiplier for a vocabulary: seedMultiplier for seed words; 1.2 for words of a guided
 * seed-topic list, which overrides the seed-word multiplier (BERTopic._c_tf_idf); undefined when neither.
 */
export function ctfidfMultiplier(
  words: readonly string[],
  opts: { seedWords?: readonly string[]; seedMultiplier?: number; seedTopicList?: readonly (readonly string[])[] },
): Float64Array | undefined {
  const seedWords = opts.seedWords && opts.seedWords.length ? new Set(opts.seedWords) : undefined;
  const topicWords = opts.seedTopicList && opts.seedTopicList.length ? new Set(opts.seedTopicList.flat()) : undefined;
  if (!seedWords && !topicWords) return undefined;
  const seedMultiplier = opts.seedMultiplier ?? 2;
  return Float64Array.from(words, (w) => (topicWords?.has(w) ? 1.2 : seedWords?.has(w) ? seedMultiplier : 1));
}

/** c-TF-IDF weighting of a class-by-term count matrix (BERTopic's ClassTfidfTransformer). */
export class ClassTfidfTransformer {
  readonly bm25Weighting: boolean;
  readonly reduceFrequentWords: boolean;
  readonly seedWords: readonly string[] | undefined;
  readonly seedMultiplier: number;
  /** idf of each term (after fit), multiplier included. */
  idf: Float64Array | undefined;
  /** A: the average number of words per class, truncated to an integer (after fit). */
  averageWordsPerClass = 0;

  constructor(options: ClassTfidfOptions = {}) {
    this.bm25Weighting = options.bm25Weighting ?? false;
    this.reduceFrequentWords = options.reduceFrequentWords ?? false;
    this.seedWords = options.seedWords;
    this.seedMultiplier = options.seedMultiplier ?? 2;
    if (!Number.isFinite(this.seedMultiplier)) throw new Error(`ClassTfidfTransformer: seedMultiplier must be a finite number, got ${options.seedMultiplier}`);
  }

  /** Learns idf from the per-class counts (rows = classes, columns = terms). */
  fit(counts: CsrMatrix, options: ClassTfidfFitOptions = {}): this {
    checkCounts(counts, "ClassTfidfTransformer.fit");
    if (counts.rows === 0) throw new Error("ClassTfidfTransformer.fit: the count matrix has no rows (classes)");
    let multiplier = options.multiplier;
    if (this.seedWords && this.seedWords.length) {
      if (multiplier === undefined) {
        if (!options.words) throw new Error("ClassTfidfTransformer.fit: seedWords need the vocabulary; call fit(counts, { words })");
        multiplier = ctfidfMultiplier(options.words, { seedWords: this.seedWords, seedMultiplier: this.seedMultiplier });
      }
    }
    if (options.words && options.words.length !== counts.cols) {
      throw new Error(`ClassTfidfTransformer.fit: ${options.words.length} words for ${counts.cols} columns`);
    }
    if (multiplier && multiplier.length !== counts.cols) {
      throw new Error(`ClassTfidfTransformer.fit: multiplier has ${multiplier.length} values for ${counts.cols} columns`);
    }
    const df = columnSums(counts);
    const perClass = rowSums(counts);
    let total = 0;
    for (let i = 0; i < perClass.length; i++) total += perClass[i];
    const avg = Math.trunc(total / counts.rows);
    this.averageWordsPerClass = avg;
    const idf = new Float64Array(counts.cols);
    for (let t = 0; t < counts.cols; t++) {
      const f = df[t];
      if (f === 0) continue; // never counted: no entry of it to weight
      idf[t] = this.bm25Weighting ? Math.log(1 + (avg - f + 0.5) / (f + 0.5)) : Math.log(avg / f + 1);
      if (multiplier) idf[t] *= multiplier[t];
    }
    this.idf = idf;
    return this;
  }

  /** c-TF-IDF of per-class counts: L1-normalised rows (sqrt with reduceFrequentWords) times idf. */
  transform(counts: CsrMatrix): CsrMatrix {
    if (!this.idf) throw new Error("ClassTfidfTransformer: not fitted; call fit first");
    checkCounts(counts, "ClassTfidfTransformer.transform");
    if (counts.cols !== this.idf.length) throw new Error(`ClassTfidfTransformer.transform: ${counts.cols} columns, fitted on ${this.idf.length}`);
    const tf = normalizeRows(counts, "l1");
    const values = tf.data as Float64Array;
    const indptr = new Int32Array(counts.rows + 1);
    const indices: number[] = [];
    const data: number[] = [];
    for (let i = 0; i < counts.rows; i++) {
      for (let k = tf.indptr[i]; k < tf.indptr[i + 1]; k++) {
        const t = tf.indices[k];
        const v = (this.reduceFrequentWords ? Math.sqrt(values[k]) : values[k]) * this.idf[t];
        // scipy's sparse product does not store zeros; neither do we.
        if (v !== 0) {
          indices.push(t);
          data.push(v);
        }
      }
      indptr[i + 1] = indices.length;
    }
    return { rows: counts.rows, cols: counts.cols, indptr, indices: Int32Array.from(indices), data: Float64Array.from(data) };
  }

  fitTransform(counts: CsrMatrix, options: ClassTfidfFitOptions = {}): CsrMatrix {
    return this.fit(counts, options).transform(counts);
  }
}

function checkCounts(counts: CsrMatrix, what: string): void {
  validateCsr(counts, what);
  for (let k = 0; k < counts.data.length; k++) {
    if (counts.data[k] < 0) throw new Error(`${what}: counts must be >= 0, found ${counts.data[k]}`);
  }
}

export interface WordScore {
  word: string;
  score: number;
}

/**
 * The n highest-weighted words of each class (row), best first, skipping zero weights; equal weights in
 * column (alphabetical) order. BERTopic pads short topics with ("", 1e-5); this returns fewer instead.
 */
export function topWordsPerClass(ctfidf: CsrMatrix, featureNames: readonly string[], n = 10): WordScore[][] {
  validateCsr(ctfidf, "topWordsPerClass");
  if (featureNames.length !== ctfidf.cols) throw new Error(`topWordsPerClass: ${featureNames.length} feature names for ${ctfidf.cols} columns`);
  if (!Number.isInteger(n) || n < 0) throw new Error(`topWordsPerClass: n must be an integer >= 0, got ${n}`);
  const out: WordScore[][] = [];
  for (let i = 0; i < ctfidf.rows; i++) {
    const entries: WordScore[] = [];
    const cols: number[] = [];
    for (let k = ctfidf.indptr[i]; k < ctfidf.indptr[i + 1]; k++) {
      if (ctfidf.data[k] > 0) {
        entries.push({ word: featureNames[ctfidf.indices[k]], score: ctfidf.data[k] });
        cols.push(ctfidf.indices[k]);
      }
    }
    const order = entries.map((_, k) => k).sort((a, b) => entries[b].score - entries[a].score || cols[a] - cols[b]);
    out.push(order.slice(0, n).map((k) => entries[k]));
  }
  return out;
}
