/**
 * Topic representation models, as BERTopic's `bertopic.representation`: each takes the c-TF-IDF
 * candidate words of every topic and returns a new ranked word list. Chain them by passing an array
 * (BERTopic's `representation_model=[KeyBERTInspired(), MaximalMarginalRelevance(0.3)]`).
 */
import { denseMatrix, type DenseMatrix } from "../util/matrix";
import type { CsrMatrix } from "../util/sparse";
import { cosineSimilarityDense, argmax } from "./similarity";

/** A topic's words with their scores, best first. */
export type TopicWords = Array<[string, number]>;

/** What a representation model may read from the fitted topic model. */
export interface RepresentationContext {
  /** c-TF-IDF, one row per topic in ascending topic order (-1 first when present). */
  cTfIdf: CsrMatrix;
  /** The vocabulary: column j of cTfIdf is words[j]. */
  words: string[];
  /** The topics, ascending (-1 first when present). */
  topicIds: number[];
  /** The current representation of each topic (BERTopic's base: the top 30 c-TF-IDF words). */
  topics: Map<number, TopicWords>;
  /** The model's document embeddings, when known. */
  embeddings?: DenseMatrix;
  /** Embeds texts with the topic model's embedding model (throws when it has none). */
  embed(texts: string[]): Promise<DenseMatrix>;
  /** BERTopic's `_extract_representative_docs`: per topic, the document ids most similar to it by c-TF-IDF. */
  representativeDocs(nrSamples: number, nrReprDocs: number): Map<number, { ids: number[]; docs: string[] }>;
}

export interface RepresentationModel {
  extractTopics(ctx: RepresentationContext): Promise<Map<number, TopicWords>>;
}

/** The indices of the n largest entries of a sparse row, best first (ties: lower column first). */
export function topEntries(m: CsrMatrix, row: number, n: number): Array<[number, number]> {
  const entries: Array<[number, number]> = [];
  for (let p = m.indptr[row]; p < m.indptr[row + 1]; p++) if (m.data[p] > 0) entries.push([m.indices[p], m.data[p]]);
  entries.sort((x, y) => y[1] - x[1] || x[0] - y[0]);
  return entries.slice(0, n);
}

function meanRows(m: DenseMatrix, rows: number[]): Float32Array {
  const out = new Float32Array(m.cols);
  for (const r of rows) for (let j = 0; j < m.cols; j++) out[j] += m.data[r * m.cols + j];
  for (let j = 0; j < m.cols; j++) out[j] /= Math.max(rows.length, 1);
  return out;
}

export interface KeyBERTInspiredOptions {
  topNWords?: number;
  nrReprDocs?: number;
  nrSamples?: number;
  nrCandidateWords?: number;
}

/**
 * KeyBERTInspired: rerank each topic's `nrCandidateWords` best c-TF-IDF words by the cosine similarity of
 * their embedding to the topic's embedding (the mean embedding of its `nrReprDocs` most representative
 * documents). Defaults as BERTopic: 10 words, 5 documents, 500 samples, 100 candidates.
 */
export class KeyBERTInspired implements RepresentationModel {
  readonly topNWords: number;
  readonly nrReprDocs: number;
  readonly nrSamples: number;
  readonly nrCandidateWords: number;

  constructor(opts: KeyBERTInspiredOptions = {}) {
    this.topNWords = opts.topNWords ?? 10;
    this.nrReprDocs = opts.nrReprDocs ?? 5;
    this.nrSamples = opts.nrSamples ?? 500;
    this.nrCandidateWords = opts.nrCandidateWords ?? 100;
  }

  async extractTopics(ctx: RepresentationContext): Promise<Map<number, TopicWords>> {
    const repr = ctx.representativeDocs(this.nrSamples, this.nrReprDocs);
    // Topic embeddings: mean of the representative documents' embeddings (precomputed ones when given).
    const topicVectors: Float32Array[] = [];
    if (ctx.embeddings) {
      for (const t of ctx.topicIds) topicVectors.push(meanRows(ctx.embeddings, repr.get(t)!.ids));
    } else {
      const docs = ctx.topicIds.flatMap((t) => repr.get(t)!.docs);
      const e = await ctx.embed(docs);
      let offset = 0;
      for (const t of ctx.topicIds) {
        const k = repr.get(t)!.docs.length;
        topicVectors.push(meanRows(e, Array.from({ length: k }, (_, i) => offset + i)));
        offset += k;
      }
    }
    const candidates = new Map<number, string[]>();
    ctx.topicIds.forEach((t, row) => candidates.set(t, topEntries(ctx.cTfIdf, row, this.nrCandidateWords).map(([j]) => ctx.words[j])));
    const vocab = Array.from(new Set(Array.from(candidates.values()).flat()));
    if (vocab.length === 0) return new Map(ctx.topicIds.map((t) => [t, []]));
    const wordVectors = await ctx.embed(vocab);
    const dim = wordVectors.cols;
    const topicMatrix = denseMatrix(topicVectors.length, dim);
    topicVectors.forEach((v, i) => topicMatrix.data.set(v, i * dim));
    const sim = cosineSimilarityDense(topicMatrix, wordVectors);
    const index = new Map(vocab.map((w, i) => [w, i]));
    const out = new Map<number, TopicWords>();
    ctx.topicIds.forEach((t, row) => {
      const scored = candidates.get(t)!.map((w): [string, number] => [w, sim[row][index.get(w)!]]);
      scored.sort((x, y) => y[1] - x[1]);
      out.set(t, scored.slice(0, this.topNWords));
    });
    return out;
  }
}

/**
 * Maximal Marginal Relevance (Carbonell & Goldstein 1998) over the words already chosen: pick the word
 * most similar to the topic first, then repeatedly the one maximising
 * (1 - diversity) * sim(word, topic) - diversity * max sim(word, picked).
 * Returns indices into `wordVectors` in the order picked.
 */
export function mmr(topicVector: DenseMatrix, wordVectors: DenseMatrix, diversity: number, topN: number): number[] {
  if (wordVectors.rows === 0) return [];
  const toTopic = cosineSimilarityDense(wordVectors, topicVector).map((r) => r[0]);
  const between = cosineSimilarityDense(wordVectors);
  const picked = [argmax(toTopic)];
  const candidates = new Set(Array.from({ length: wordVectors.rows }, (_, i) => i).filter((i) => i !== picked[0]));
  while (picked.length < Math.min(topN, wordVectors.rows)) {
    let best = -1;
    let bestScore = -Infinity;
    for (const c of candidates) {
      let redundancy = -Infinity;
      for (const p of picked) redundancy = Math.max(redundancy, between[c][p]);
      const score = (1 - diversity) * toTopic[c] - diversity * redundancy;
      if (score > bestScore) {
        bestScore = score;
        best = c;
      }
    }
    picked.push(best);
    candidates.delete(best);
  }
  return picked;
}

/**
 * MaximalMarginalRelevance(diversity): keeps `topNWords` of each topic's words chosen by MMR against the
 * embedding of the topic's words joined by spaces, in their original (c-TF-IDF) order, as BERTopic does.
 */
export class MaximalMarginalRelevance implements RepresentationModel {
  constructor(readonly diversity = 0.1, readonly topNWords = 10) {
    if (!(diversity >= 0 && diversity <= 1)) throw new Error(`MaximalMarginalRelevance: diversity must be in [0, 1], got ${diversity}`);
  }

  async extractTopics(ctx: RepresentationContext): Promise<Map<number, TopicWords>> {
    const out = new Map<number, TopicWords>();
    for (const t of ctx.topicIds) {
      const topicWords = ctx.topics.get(t) ?? [];
      const words = topicWords.map(([w]) => w);
      if (words.length === 0) {
        out.set(t, []);
        continue;
      }
      const wordVectors = await ctx.embed(words);
      const topicVector = await ctx.embed([words.join(" ")]);
      const keep = new Set(mmr(topicVector, wordVectors, this.diversity, this.topNWords).map((i) => words[i]));
      out.set(t, topicWords.filter(([w]) => keep.has(w)));
    }
    return out;
  }
}
