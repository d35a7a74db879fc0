/**
 * Bag-of-words vectorizers with scikit-learn's semantics and defaults (CountVectorizer, TfidfTransformer,
 * TfidfVectorizer, sklearn 1.2): the TF-IDF baseline of chapter 4 and the vocabulary step of BERTopic's
 * c-TF-IDF in chapter 5. Outputs are CSR matrices of float64 (sklearn: int64 counts, float64 TF-IDF).
 *
 * Differences from sklearn, on purpose or by platform:
 * - The default token pattern is the JS regex /[\p{L}\p{N}_]{2,}/gu, which finds exactly what Python's
 *   `(?u)\b\w\w+\b` finds (Python's \w is "alphanumeric or _", i.e. letters, numbers and _; JS's \w and \b
 *   are ASCII-only even with the u flag, hence the explicit class). Node's Unicode tables may be newer
 *   than Python's: letters added to Unicode after Python's version are word characters here but not there.
 * - Lowercasing is String.prototype.toLowerCase (full Unicode case mapping, like Python's str.lower).
 * - minDf / maxDf: Python tells a count (int) from a proportion (float) by type; JS numbers cannot. A
 *   number is a proportion when it is in [0, 1) and a count when it is an integer >= 2; exactly 1 keeps
 *   sklearn's default meaning (minDf: 1 document; maxDf: 100 % of documents). `{ count }` or
 *   `{ proportion }` says it explicitly.
 * - Only the "word" analyzer; no strip_accents, no preprocessor / custom analyzer (a `tokenizer` is
 *   accepted), no fixed `vocabulary` argument.
 */
import { ENGLISH_STOP_WORDS } from "./stop-words";
import { columnNonZeroCounts, columnSums, normalizeRows, selectColumns, validateCsr, type CsrMatrix } from "../util/sparse";

/** A document-frequency bound: a count of documents or a proportion of them (see the module notes). */
export type DocumentFrequency = number | { count: number } | { proportion: number };

export interface CountVectorizerOptions {
  /** Lowercase before tokenising (default true). */
  lowercase?: boolean;
  /**
   * What a token is (default /[\p{L}\p{N}_]{2,}/gu, sklearn's `(?u)\b\w\w+\b`). A string is compiled as a
   * JS regex with flags "gu". With one capturing group the group is the token, as in Python's findall.
   */
  tokenPattern?: RegExp | string;
  /** Replaces the token pattern: document (after lowercasing) -> tokens. */
  tokenizer?: (doc: string) => string[];
  /** [minN, maxN] word n-grams (default [1, 1]). */
  ngramRange?: readonly [number, number];
  /** "english" (sklearn's ENGLISH_STOP_WORDS) or a list; removed before n-grams are formed. */
  stopWords?: "english" | readonly string[];
  /** Drop terms in fewer documents than this (default 1 document). */
  minDf?: DocumentFrequency;
  /** Drop terms in more documents than this (default 1.0 = all documents). */
  maxDf?: DocumentFrequency;
  /** Keep only the most frequent terms over the corpus (ties broken as numpy's argsort breaks them). */
  maxFeatures?: number;
  /** Every non-zero count becomes 1. */
  binary?: boolean;
}

/** sklearn's token_pattern `(?u)\b\w\w+\b`: maximal runs of two or more Unicode word characters. */
export const DEFAULT_TOKEN_PATTERN = /[\p{L}\p{N}_]{2,}/gu;

/** Compares strings by Unicode code point, as Python sorts str (JS's default sort compares UTF-16 units). */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // A surrogate (part of a code point >= U+10000) sorts after U+E000..U+FFFF, not before.
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys && (x >= 0xe000 || y >= 0xe000)) return xs ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

/**
 * numpy's default argsort (introsort, "quicksort", numpy <= 1.24 for 64-bit ints) in ascending order. It is
 * not stable; sklearn's max_features keeps `(-tfs).argsort()[:k]`, so which of several equally frequent
 * terms survive depends on this exact algorithm.
 */
export function numpyArgsort(values: ArrayLike<number>): Int32Array {
  const num = values.length;
  const v = values;
  const tosort = new Int32Array(num);
  for (let i = 0; i < num; i++) tosort[i] = i;
  if (num < 2) return tosort;
  const SMALL = 15;
  const stack: number[] = [];
  const depthStack: number[] = [];
  let pl = 0;
  let pr = num - 1;
  let cdepth = 0; // 2 * floor(log2(num)), numpy's npy_get_msb(num) * 2
  for (let u = num; u > 1; u >>= 1) cdepth += 2;
  const swap = (a: number, b: number) => {
    const t = tosort[a];
    tosort[a] = tosort[b];
    tosort[b] = t;
  };
  for (;;) {
    if (cdepth < 0) {
      numpyAHeapsort(v, tosort, pl, pr - pl + 1);
    } else {
      while (pr - pl > SMALL) {
        const pm = pl + ((pr - pl) >> 1);
        if (v[tosort[pm]] < v[tosort[pl]]) swap(pm, pl);
        if (v[tosort[pr]] < v[tosort[pm]]) swap(pr, pm);
        if (v[tosort[pm]] < v[tosort[pl]]) swap(pm, pl);
        const vp = v[tosort[pm]];
        let pi = pl;
        let pj = pr - 1;
        swap(pm, pj);
        for (;;) {
          do ++pi; while (v[tosort[pi]] < vp);
          do --pj; while (vp < v[tosort[pj]]);
          if (pi >= pj) break;
          swap(pi, pj);
        }
        swap(pi, pr - 1);
        // Push the larger partition, go on with the smaller.
        if (pi - pl < pr - pi) {
          stack.push(pi + 1, pr);
          pr = pi - 1;
        } else {
          stack.push(pl, pi - 1);
          pl = pi + 1;
        }
        depthStack.push(--cdepth);
      }
      for (let pi = pl + 1; pi <= pr; pi++) {
        const vi = tosort[pi];
        const vp = v[vi];
        let pj = pi;
        while (pj > pl && vp < v[tosort[pj - 1]]) {
          tosort[pj] = tosort[pj - 1];
          pj--;
        }
        tosort[pj] = vi;
      }
    }
    if (stack.length === 0) break;
    pr = stack.pop()!;
    pl = stack.pop()!;
    cdepth = depthStack.pop()!;
  }
  return tosort;
}

/** numpy's aheapsort_ on tosort[start, start + n): the introsort fallback. */
/** @internal exported for its test: numpy.argsort(kind="heapsort") runs this same routine. */
export function numpyAHeapsort(v: ArrayLike<number>, tosort: Int32Array, start: number, n: number): void {
  // 1-based heap indexing, as numpy does: a[k] is tosort[start + k - 1].
  const base = start - 1;
  // Sinks `tmp` from heap slot i within a heap of `size` slots.
  const siftDown = (tmp: number, i: number, size: number): void => {
    for (let j = i << 1; j <= size; ) {
      if (j < size && v[tosort[base + j]] < v[tosort[base + j + 1]]) j += 1;
      if (v[tmp] < v[tosort[base + j]]) {
        tosort[base + i] = tosort[base + j];
        i = j;
        j += j;
      } else break;
    }
    tosort[base + i] = tmp;
  };
  for (let l = n >> 1; l > 0; --l) siftDown(tosort[base + l], l, n);
  for (; n > 1; ) {
    const tmp = tosort[base + n];
    tosort[base + n] = tosort[base + 1];
    n -= 1;
    siftDown(tmp, 1, n);
  }
}

function checkDocuments(docs: unknown, what: string): string[] {
  if (typeof docs === "string") throw new Error(`${what}: iterable over raw text documents expected, string object received`);
  if (docs === null || typeof docs !== "object" || typeof (docs as Iterable<unknown>)[Symbol.iterator] !== "function") {
    throw new Error(`${what}: expected an array (iterable) of strings`);
  }
  const out = Array.from(docs as Iterable<unknown>);
  out.forEach((d, i) => {
    if (typeof d !== "string") throw new Error(`${what}: document ${i} is ${d === null ? "null" : typeof d}, expected a string`);
  });
  return out as string[];
}

/** Resolves a DocumentFrequency to a number of documents out of nDocs. */
function documentCount(df: DocumentFrequency, nDocs: number, which: "minDf" | "maxDf"): number {
  if (typeof df === "object" && df !== null) {
    if ("count" in df) {
      if (!Number.isInteger(df.count) || df.count < 1) throw new Error(`${which}: count must be an integer >= 1, got ${df.count}`);
      return df.count;
    }
    if ("proportion" in df) {
      if (!(df.proportion >= 0 && df.proportion <= 1)) throw new Error(`${which}: proportion must be in [0, 1], got ${df.proportion}`);
      return df.proportion * nDocs;
    }
  }
  if (typeof df !== "number" || !Number.isFinite(df) || df < 0) {
    throw new Error(`${which}: expected a proportion in [0, 1], a count >= 1, { count } or { proportion }, got ${JSON.stringify(df)}`);
  }
  if (df === 1) return which === "minDf" ? 1 : nDocs;
  if (df < 1) return df * nDocs;
  if (!Number.isInteger(df)) throw new Error(`${which}: ${df} is neither a proportion in [0, 1] nor an integer count`);
  return df;
}

/**
 * Converts documents to a matrix of token counts (sklearn's CountVectorizer): one row per document, one
 * column per vocabulary term, columns in alphabetical (code-point) order of the terms.
 */
export class CountVectorizer {
  readonly lowercase: boolean;
  readonly ngramRange: readonly [number, number];
  readonly stopWords: "english" | readonly string[] | undefined;
  readonly minDf: DocumentFrequency;
  readonly maxDf: DocumentFrequency;
  readonly maxFeatures: number | undefined;
  readonly binary: boolean;
  private readonly tokenPattern: RegExp;
  private readonly tokenizer: ((doc: string) => string[]) | undefined;
  private readonly stopSet: ReadonlySet<string> | undefined;
  /** term -> column, after fit. */
  vocabulary: Map<string, number> | undefined;
  /** Terms dropped by minDf / maxDf / maxFeatures during fit (sklearn's stop_words_), sorted. */
  prunedTerms: string[] = [];

  constructor(options: CountVectorizerOptions = {}) {
    const name = this.constructor.name;
    this.lowercase = options.lowercase ?? true;
    this.ngramRange = options.ngramRange ?? [1, 1];
    const [minN, maxN] = this.ngramRange;
    if (!Number.isInteger(minN) || !Number.isInteger(maxN) || minN < 1 || minN > maxN) {
      throw new Error(`${name}: invalid ngramRange [${this.ngramRange}]: need integers 1 <= minN <= maxN`);
    }
    this.stopWords = options.stopWords;
    if (this.stopWords === "english") this.stopSet = new Set(ENGLISH_STOP_WORDS);
    else if (Array.isArray(this.stopWords)) this.stopSet = new Set(this.stopWords as string[]);
    else if (this.stopWords !== undefined) throw new Error(`${name}: stopWords must be "english", a list of strings or undefined`);
    this.minDf = options.minDf ?? 1;
    this.maxDf = options.maxDf ?? 1.0;
    // Validate the bounds now rather than at fit time.
    documentCount(this.minDf, 1, "minDf");
    documentCount(this.maxDf, 1, "maxDf");
    this.maxFeatures = options.maxFeatures;
    if (this.maxFeatures !== undefined && (!Number.isInteger(this.maxFeatures) || this.maxFeatures < 1)) {
      throw new Error(`${name}: maxFeatures must be an integer >= 1, got ${this.maxFeatures}`);
    }
    this.binary = options.binary ?? false;
    this.tokenizer = options.tokenizer;
    const p = options.tokenPattern ?? DEFAULT_TOKEN_PATTERN;
    if (typeof p === "string") this.tokenPattern = new RegExp(p, "gu");
    else if (p instanceof RegExp) this.tokenPattern = p.global ? p : new RegExp(p.source, p.flags + "g");
    else throw new Error(`${name}: tokenPattern must be a RegExp or a string`);
  }

  /** Splits a document into tokens (no lowercasing, stop words or n-grams). */
  tokenize(doc: string): string[] {
    if (this.tokenizer) return this.tokenizer(doc);
    const out: string[] = [];
    for (const m of doc.matchAll(this.tokenPattern)) {
      if (m.length > 2) throw new Error(`${this.constructor.name}: more than one capturing group in tokenPattern`);
      out.push(m.length === 2 ? m[1] ?? "" : m[0]);
    }
    return out;
  }

  /** sklearn's build_tokenizer(): the token pattern (or tokenizer) alone, without lowercasing. */
  buildTokenizer(): (doc: string) => string[] {
    return (doc: string) => this.tokenize(doc);
  }

  /** sklearn's build_analyzer(): document -> features (lowercase, tokenize, drop stop words, n-grams). */
  buildAnalyzer(): (doc: string) => string[] {
    return (doc: string) => this.analyze(doc);
  }

  private analyze(doc: string): string[] {
    let tokens = this.tokenize(this.lowercase ? doc.toLowerCase() : doc);
    if (this.stopSet) tokens = tokens.filter((t) => !this.stopSet!.has(t));
    let [minN, maxN] = this.ngramRange;
    if (maxN === 1) return tokens;
    const original = tokens;
    const out = minN === 1 ? original.slice() : [];
    if (minN === 1) minN = 2;
    for (let n = minN; n <= Math.min(maxN, original.length); n++) {
      for (let i = 0; i + n <= original.length; i++) out.push(original.slice(i, i + n).join(" "));
    }
    return out;
  }

  /** Learns the vocabulary. */
  fit(docs: readonly string[]): this {
    this.fitTransform(docs);
    return this;
  }

  /** Learns the vocabulary and returns the document-term count matrix. */
  fitTransform(docs: readonly string[]): CsrMatrix {
    const name = this.constructor.name;
    const documents = checkDocuments(docs, `${name}.fit`);
    // Count with insertion-ordered ids, then renumber alphabetically.
    const ids = new Map<string, number>();
    const rows = documents.map((doc) => {
      const counts = new Map<number, number>();
      for (const feature of this.analyze(doc)) {
        let id = ids.get(feature);
        if (id === undefined) ids.set(feature, (id = ids.size));
        counts.set(id, (counts.get(id) ?? 0) + 1);
      }
      return counts;
    });
    if (ids.size === 0) throw new Error(`${name}: empty vocabulary; perhaps the documents only contain stop words`);
    const terms = Array.from(ids.keys()).sort(compareCodePoints);
    const newId = new Int32Array(terms.length);
    terms.forEach((t, j) => (newId[ids.get(t)!] = j));
    let x = this.buildMatrix(rows, newId, terms.length);

    const nDocs = documents.length;
    const maxDocCount = documentCount(this.maxDf, nDocs, "maxDf");
    const minDocCount = documentCount(this.minDf, nDocs, "minDf");
    if (maxDocCount < minDocCount) throw new Error(`${name}: maxDf corresponds to < documents than minDf`);
    const keep = this.limitFeatures(x, maxDocCount, minDocCount);
    const keptTerms: string[] = [];
    this.prunedTerms = [];
    const kept = new Set<number>(keep);
    terms.forEach((t, j) => (kept.has(j) ? keptTerms : this.prunedTerms).push(t));
    if (keep.length === 0) throw new Error(`${name}: after pruning, no terms remain. Try a lower minDf or a higher maxDf.`);
    if (keep.length < terms.length) x = selectColumns(x, keep);
    this.vocabulary = new Map(keptTerms.map((t, j) => [t, j]));
    return x;
  }

  /** Column mask of sklearn's _limit_features: df bounds, then the maxFeatures most frequent. */
  private limitFeatures(x: CsrMatrix, high: number, low: number): number[] {
    const dfs = columnNonZeroCounts(x);
    const candidates: number[] = [];
    for (let j = 0; j < x.cols; j++) if (dfs[j] <= high && dfs[j] >= low) candidates.push(j);
    if (this.maxFeatures === undefined || candidates.length <= this.maxFeatures) return candidates;
    const tfs = columnSums(x);
    const negTfs = candidates.map((j) => -tfs[j]);
    const order = numpyArgsort(negTfs).subarray(0, this.maxFeatures);
    return Array.from(order, (k) => candidates[k]).sort((a, b) => a - b);
  }

  private buildMatrix(rows: Map<number, number>[], columnOf: Int32Array, cols: number): CsrMatrix {
    const indptr = new Int32Array(rows.length + 1);
    let total = 0;
    rows.forEach((r, i) => (indptr[i + 1] = total += r.size));
    const indices = new Int32Array(total);
    const data = new Float64Array(total);
    rows.forEach((r, i) => {
      const entries = Array.from(r, ([id, c]) => [columnOf[id], c] as const).sort((a, b) => a[0] - b[0]);
      let p = indptr[i];
      for (const [j, c] of entries) {
        indices[p] = j;
        data[p++] = this.binary ? 1 : c;
      }
    });
    return { rows: rows.length, cols, indptr, indices, data };
  }

  /** Counts the fitted vocabulary's terms in new documents (unknown terms are ignored). */
  transform(docs: readonly string[]): CsrMatrix {
    const vocabulary = this.fittedVocabulary();
    const documents = checkDocuments(docs, `${this.constructor.name}.transform`);
    const rows = documents.map((doc) => {
      const counts = new Map<number, number>();
      for (const feature of this.analyze(doc)) {
        const j = vocabulary.get(feature);
        if (j !== undefined) counts.set(j, (counts.get(j) ?? 0) + 1);
      }
      return counts;
    });
    const identity = new Int32Array(vocabulary.size);
    for (let j = 0; j < identity.length; j++) identity[j] = j;
    return this.buildMatrix(rows, identity, vocabulary.size);
  }

  /** The terms, in column order. */
  getFeatureNamesOut(): string[] {
    return Array.from(this.fittedVocabulary().keys());
  }

  protected fittedVocabulary(): Map<string, number> {
    if (!this.vocabulary) throw new Error(`${this.constructor.name}: not fitted; call fit or fitTransform first`);
    return this.vocabulary;
  }
}

export interface TfidfTransformerOptions {
  /** Row normalisation of the output (default "l2"); null leaves rows as they are. */
  norm?: "l1" | "l2" | null;
  /** Multiply by idf (default true). */
  useIdf?: boolean;
  /** idf = ln((1 + n) / (1 + df)) + 1, as if one extra document held every term once (default true). */
  smoothIdf?: boolean;
  /** Replace tf by 1 + ln(tf) (default false). */
  sublinearTf?: boolean;
}

/** Turns a count matrix into TF-IDF (sklearn's TfidfTransformer). */
export class TfidfTransformer {
  readonly norm: "l1" | "l2" | null;
  readonly useIdf: boolean;
  readonly smoothIdf: boolean;
  readonly sublinearTf: boolean;
  /** The idf of each column, after fit (when useIdf). */
  idf: Float64Array | undefined;
  private nFeatures: number | undefined;

  constructor(options: TfidfTransformerOptions = {}) {
    this.norm = options.norm === undefined ? "l2" : options.norm;
    if (this.norm !== null && this.norm !== "l1" && this.norm !== "l2") throw new Error(`TfidfTransformer: norm must be "l1", "l2" or null, got ${String(this.norm)}`);
    this.useIdf = options.useIdf ?? true;
    this.smoothIdf = options.smoothIdf ?? true;
    this.sublinearTf = options.sublinearTf ?? false;
  }

  /** Learns idf(t) = ln(n / df(t)) + 1 (with smoothIdf: n + 1 and df + 1) from a count matrix. */
  fit(counts: CsrMatrix): this {
    validateCsr(counts, "TfidfTransformer.fit");
    this.nFeatures = counts.cols;
    if (this.useIdf) {
      const df = columnNonZeroCounts(counts);
      const smooth = this.smoothIdf ? 1 : 0;
      const n = counts.rows + smooth;
      this.idf = new Float64Array(counts.cols);
      for (let j = 0; j < counts.cols; j++) this.idf[j] = Math.log(n / (df[j] + smooth)) + 1;
    }
    return this;
  }

  /** tf (or 1 + ln tf) times idf, then row-normalised. */
  transform(counts: CsrMatrix): CsrMatrix {
    if (this.nFeatures === undefined) throw new Error("TfidfTransformer: not fitted; call fit first");
    validateCsr(counts, "TfidfTransformer.transform");
    if (counts.cols !== this.nFeatures) throw new Error(`TfidfTransformer: input has ${counts.cols} columns, fitted on ${this.nFeatures}`);
    const data = Float64Array.from(counts.data);
    if (this.sublinearTf) for (let k = 0; k < data.length; k++) data[k] = Math.log(data[k]) + 1;
    if (this.useIdf) for (let k = 0; k < data.length; k++) data[k] *= this.idf![counts.indices[k]];
    const out: CsrMatrix = { rows: counts.rows, cols: counts.cols, indptr: counts.indptr, indices: counts.indices, data };
    return this.norm ? normalizeRows(out, this.norm) : out;
  }

  fitTransform(counts: CsrMatrix): CsrMatrix {
    return this.fit(counts).transform(counts);
  }
}

export type TfidfVectorizerOptions = CountVectorizerOptions & TfidfTransformerOptions;

/** CountVectorizer followed by TfidfTransformer (sklearn's TfidfVectorizer). */
export class TfidfVectorizer extends CountVectorizer {
  private readonly tfidf: TfidfTransformer;

  constructor(options: TfidfVectorizerOptions = {}) {
    super(options);
    this.tfidf = new TfidfTransformer(options);
  }

  get norm(): "l1" | "l2" | null {
    return this.tfidf.norm;
  }
  get useIdf(): boolean {
    return this.tfidf.useIdf;
  }
  get smoothIdf(): boolean {
    return this.tfidf.smoothIdf;
  }
  get sublinearTf(): boolean {
    return this.tfidf.sublinearTf;
  }
  /** The learned idf per column (sklearn's idf_). */
  get idf(): Float64Array {
    this.fittedVocabulary();
    if (!this.tfidf.idf) throw new Error("TfidfVectorizer: idf is only defined with useIdf");
    return this.tfidf.idf;
  }

  override fitTransform(docs: readonly string[]): CsrMatrix {
    return this.tfidf.fitTransform(super.fitTransform(docs));
  }

  override transform(docs: readonly string[]): CsrMatrix {
    this.fittedVocabulary();
    return this.tfidf.transform(super.transform(docs));
  }
}
