/**
 * Okapi BM25, the lexical retriever of chapter 8, with rank_bm25's `BM25Okapi` semantics and defaults
 * (k1 = 1.5, b = 0.75, epsilon = 0.25):
 *
 *   score(q, d) = sum over query tokens t (repeats count again) of
 *                 idf(t) * tf(t, d) * (k1 + 1) / (tf(t, d) + k1 * (1 - b + b * |d| / avgdl))
 *
 * Two idf choices, named after the library that uses them:
 * - "rank_bm25" (default): idf(t) = ln((N - n_t + 0.5) / (n_t + 0.5)). It is negative for a term in more
 *   than half the documents; rank_bm25 replaces every negative idf by epsilon * (mean idf over the whole
 *   vocabulary, negative ones included). An idf of exactly 0 (a term in exactly half) stays 0.
 * - "lucene": idf(t) = ln(1 + (N - n_t + 0.5) / (n_t + 0.5)), always positive, no floor (Lucene's
 *   BM25Similarity). Only the idf changes: the tf part keeps the (k1 + 1) factor (Lucene 8+ drops it, which
 *   scales every score by the same constant), and Lucene's lossy one-byte length norms and its default
 *   k1 = 1.2 are not reproduced.
 *
 * Documents are analysed like the lib's CountVectorizer (lowercase, sklearn's token pattern
 * `(?u)\b\w\w+\b`), with no stop words by default (rank_bm25 takes whatever tokens it is given); pass
 * pre-tokenised documents (string[][]) to use your own analysis exactly.
 */
import { DEFAULT_TOKEN_PATTERN } from "../classification/vectorizers";
import { ENGLISH_STOP_WORDS } from "../classification/stop-words";
import { topKIndices, type SearchHit } from "./topk";

export type Bm25Idf = "rank_bm25" | "lucene";

export interface SearchAnalyzerOptions {
  /** Default true. */
  lowercase?: boolean;
  /** Default: sklearn's token pattern (runs of 2+ Unicode letters, digits or _). */
  tokenPattern?: RegExp;
  /** "english" (sklearn's ENGLISH_STOP_WORDS) or a list; default none. */
  stopWords?: "english" | readonly string[];
}

export interface Bm25Options extends SearchAnalyzerOptions {
  /** Term-frequency saturation (default 1.5, rank_bm25). */
  k1?: number;
  /** Length normalisation, 0 = none, 1 = full (default 0.75). */
  b?: number;
  /** rank_bm25's floor for negative idf, as a fraction of the mean idf (default 0.25; "rank_bm25" idf only). */
  epsilon?: number;
  /** Which idf formula (default "rank_bm25"; see the module notes). */
  idf?: Bm25Idf;
  /** Replaces the analyser: text -> tokens (used for documents given as strings and for string queries). */
  tokenizer?: (text: string) => string[];
}

/** Lowercase + token pattern + optional stop words: the analysis CountVectorizer applies, as a function. */
export function searchTokenizer(opts: SearchAnalyzerOptions = {}): (text: string) => string[] {
  const lowercase = opts.lowercase ?? true;
  const src = opts.tokenPattern ?? DEFAULT_TOKEN_PATTERN;
  const pattern = new RegExp(src.source, src.flags.includes("g") ? src.flags : src.flags + "g");
  const stop = opts.stopWords === "english" ? new Set(ENGLISH_STOP_WORDS) : opts.stopWords ? new Set(opts.stopWords) : null;
  return (text: string): string[] => {
    if (typeof text !== "string") throw new Error(`search tokenizer: expected a string, got ${typeof text}`);
    const src = lowercase ? text.toLowerCase() : text;
    const tokens = src.match(pattern) ?? [];
    return stop ? tokens.filter((t) => !stop.has(t)) : tokens;
  };
}

export class BM25 {
  readonly k1: number;
  readonly b: number;
  readonly epsilon: number;
  readonly idfMode: Bm25Idf;
  readonly corpusSize: number;
  /** Mean document length in tokens. */
  readonly avgdl: number;
  /** Tokens per document. */
  readonly docLengths: Int32Array;
  /** Number of documents containing each term (rank_bm25's nd). */
  readonly docFreq: Map<string, number>;
  /** idf per term, after the epsilon floor. */
  readonly idf: Map<string, number>;
  /** Mean of the raw idf over the vocabulary (rank_bm25's average_idf; NaN with the "lucene" idf). */
  readonly averageIdf: number;
  private readonly tokenize: (text: string) => string[];
  /** Inverted index: term -> (document ids, term frequencies). */
  private readonly postings: Map<string, { docs: Int32Array; tfs: Float64Array }>;

  /** `corpus`: texts (analysed by the tokenizer) or pre-tokenised documents (used as given). */
  constructor(corpus: readonly string[] | readonly (readonly string[])[], opts: Bm25Options = {}) {
    this.k1 = opts.k1 ?? 1.5;
    this.b = opts.b ?? 0.75;
    this.epsilon = opts.epsilon ?? 0.25;
    this.idfMode = opts.idf ?? "rank_bm25";
    if (!(this.k1 >= 0)) throw new Error(`BM25: k1 must be >= 0, got ${this.k1}`);
    if (!(this.b >= 0 && this.b <= 1)) throw new Error(`BM25: b must be in [0, 1], got ${this.b}`);
    if (this.idfMode !== "rank_bm25" && this.idfMode !== "lucene") throw new Error(`BM25: idf must be "rank_bm25" or "lucene", got "${this.idfMode}"`);
    if (!Array.isArray(corpus) || corpus.length === 0) throw new Error("BM25: corpus must be a non-empty array of texts or token lists");
    this.tokenize = opts.tokenizer ?? searchTokenizer(opts);
    const n = corpus.length;
    this.corpusSize = n;
    this.docLengths = new Int32Array(n);
    this.docFreq = new Map();
    const docIds = new Map<string, number[]>();
    const tfs = new Map<string, number[]>();
    let total = 0;
    for (let d = 0; d < n; d++) {
      const doc = corpus[d];
      let tokens: readonly string[];
      if (typeof doc === "string") tokens = this.tokenize(doc);
      else if (Array.isArray(doc) && doc.every((t) => typeof t === "string")) tokens = doc;
      else throw new Error(`BM25: document ${d} is neither a string nor an array of token strings`);
      this.docLengths[d] = tokens.length;
      total += tokens.length;
      const counts = new Map<string, number>();
      for (const t of tokens) counts.set(t, (counts.get(t) ?? 0) + 1);
      for (const [t, c] of counts) {
        this.docFreq.set(t, (this.docFreq.get(t) ?? 0) + 1);
        let ids = docIds.get(t);
        if (!ids) {
          docIds.set(t, (ids = []));
          tfs.set(t, []);
        }
        ids.push(d);
        tfs.get(t)!.push(c);
      }
    }
    this.avgdl = total / n;
    this.postings = new Map();
    for (const [t, ids] of docIds) this.postings.set(t, { docs: Int32Array.from(ids), tfs: Float64Array.from(tfs.get(t)!) });

    this.idf = new Map();
    if (this.idfMode === "lucene") {
      for (const [t, df] of this.docFreq) this.idf.set(t, Math.log(1 + (n - df + 0.5) / (df + 0.5)));
      this.averageIdf = NaN;
    } else {
      let sum = 0;
      const negative: string[] = [];
      for (const [t, df] of this.docFreq) {
        const v = Math.log(n - df + 0.5) - Math.log(df + 0.5);
        this.idf.set(t, v);
        sum += v;
        if (v < 0) negative.push(t);
      }
      this.averageIdf = this.docFreq.size ? sum / this.docFreq.size : 0;
      const floor = this.epsilon * this.averageIdf;
      for (const t of negative) this.idf.set(t, floor);
    }
  }

  /** Query text (analysed like the documents) or query tokens (used as given). */
  private queryTokens(query: string | readonly string[]): readonly string[] {
    if (typeof query === "string") return this.tokenize(query);
    if (Array.isArray(query) && query.every((t) => typeof t === "string")) return query;
    throw new Error("BM25: a query must be a string or an array of token strings");
  }

  /** BM25 score of every document for the query (rank_bm25's get_scores), float64. */
  getScores(query: string | readonly string[]): Float64Array {
    const scores = new Float64Array(this.corpusSize);
    const { k1, b, avgdl } = this;
    // avgdl is 0 only when every document is empty, and then no term matches anything.
    const lengthRatio = avgdl > 0 ? 1 / avgdl : 0;
    for (const t of this.queryTokens(query)) {
      const post = this.postings.get(t);
      if (!post) continue;
      const idf = this.idf.get(t)!;
      for (let p = 0; p < post.docs.length; p++) {
        const d = post.docs[p];
        const tf = post.tfs[p];
        scores[d] += (idf * (tf * (k1 + 1))) / (tf + k1 * (1 - b + b * this.docLengths[d] * lengthRatio));
      }
    }
    return scores;
  }

  /** The k best documents for each query, best first (ties by lower index). */
  search(query: string | readonly string[], k = 10): SearchHit[] {
    if (!Number.isInteger(k) || k < 1) throw new Error(`BM25.search: k must be an integer >= 1, got ${k}`);
    return topKIndices(this.getScores(query), k);
  }

  /** rank_bm25's get_top_n: the n best of `documents` (which must be the indexed corpus, in order). */
  getTopN<T>(query: string | readonly string[], documents: readonly T[], n = 5): T[] {
    if (documents.length !== this.corpusSize) throw new Error(`BM25.getTopN: ${documents.length} documents given, the index holds ${this.corpusSize}`);
    return this.search(query, n).map((h) => documents[h.index]);
  }
}
