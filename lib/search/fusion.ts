/**
 * Hybrid search (chapter 8): merging ranked lists from different retrievers, and reranking a shortlist.
 *
 * - `reciprocalRankFusion` (Cormack, Clarke & Büttcher 2009): score(d) = sum over lists of
 *   weight / (k + rank of d in that list), ranks from 1, k = 60. Only ranks matter, so BM25 scores and
 *   cosine similarities need no common scale.
 * - `rerank`: scores (query, passage) pairs with any scorer, e.g. a cross-encoder
 *   (`(pairs) => crossEncoder.predict(pairs)`), and reorders the first `topN` candidates by it
 *   (sentence-transformers' CrossEncoder.rank over a retriever's shortlist).
 */
import type { SearchHit } from "./topk";

export type DocId = string | number;

/** A ranked list, best first: document ids, or hits (their `index` is the id). */
export type RankedList = ReadonlyArray<DocId | SearchHit>;

export interface FusedHit {
  id: DocId;
  /** Sum of weight / (k + rank) over the lists that hold the id. */
  score: number;
  /** The id's 1-based rank in each list (null where absent). */
  ranks: Array<number | null>;
}

export interface RrfOptions {
  /** The rank constant (default 60). */
  k?: number;
  /** One weight per list (default all 1). */
  weights?: readonly number[];
  /** Keep only the best topN (default all). */
  topN?: number;
}

function idOf(item: DocId | SearchHit, list: number, pos: number): DocId {
  if (typeof item === "string" || typeof item === "number") return item;
  if (item && typeof item === "object" && typeof item.index === "number") return item.index;
  throw new Error(`reciprocalRankFusion: item ${pos} of list ${list} is not an id or a { index } hit`);
}

/**
 * Fuses ranked lists by reciprocal rank. Result: best first; equal scores keep the order in which ids were
 * first met (list 0 first, then list 1, ...). A duplicate id within one list counts at its first rank.
 */
export function reciprocalRankFusion(lists: readonly RankedList[], opts: RrfOptions = {}): FusedHit[] {
  const k = opts.k ?? 60;
  if (!Array.isArray(lists)) throw new Error("reciprocalRankFusion: lists must be an array of ranked lists");
  if (!(k >= 0)) throw new Error(`reciprocalRankFusion: k must be >= 0, got ${k}`);
  const weights = opts.weights ?? lists.map(() => 1);
  if (weights.length !== lists.length) throw new Error(`reciprocalRankFusion: ${weights.length} weights for ${lists.length} lists`);
  const fused = new Map<DocId, FusedHit>();
  lists.forEach((list, li) => {
    if (!Array.isArray(list)) throw new Error(`reciprocalRankFusion: list ${li} is not an array`);
    list.forEach((item, pos) => {
      const id = idOf(item, li, pos);
      let entry = fused.get(id);
      if (!entry) fused.set(id, (entry = { id, score: 0, ranks: lists.map(() => null) }));
      if (entry.ranks[li] !== null) return;
      entry.ranks[li] = pos + 1;
      entry.score += weights[li] / (k + pos + 1);
    });
  });
  // Array.prototype.sort is stable: ties keep first-met order.
  const out = Array.from(fused.values()).sort((a, b) => b.score - a.score);
  return opts.topN !== undefined ? out.slice(0, opts.topN) : out;
}

/** Scores (query, passage) pairs; CrossEncoder.predict fits (one label: a number per pair). */
export type PairScorer = (pairs: Array<[string, string]>) => ArrayLike<number> | number[][] | Promise<ArrayLike<number> | number[][]>;

export interface RerankOptions {
  /** How many of the candidates (from the top) to score and reorder (default all). */
  topN?: number;
  /** With a scorer returning several scores per pair (e.g. class logits): which one ranks (default: error). */
  scoreIndex?: number;
}

export interface Reranked<T> {
  item: T;
  /** The scorer's score. */
  score: number;
  /** Position in the candidate list before reranking. */
  originalRank: number;
}

/**
 * Reranks the first `topN` candidates by the scorer, best first (ties keep their original order). Only
 * those topN are returned: the shortlist a cross-encoder has time to read. Candidates are passage strings,
 * or any objects with `text` (or pass `textOf`).
 */
export async function rerank<T>(
  query: string,
  candidates: readonly T[],
  scorer: PairScorer,
  opts: RerankOptions & { textOf?: (item: T) => string } = {},
): Promise<Reranked<T>[]> {
  if (typeof query !== "string") throw new Error("rerank: query must be a string");
  if (!Array.isArray(candidates)) throw new Error("rerank: candidates must be an array");
  if (typeof scorer !== "function") throw new Error("rerank: scorer must be a function (pairs) => scores, e.g. (p) => crossEncoder.predict(p)");
  const topN = Math.min(opts.topN ?? candidates.length, candidates.length);
  if (!Number.isInteger(topN) || topN < 0) throw new Error(`rerank: topN must be an integer >= 0, got ${opts.topN}`);
  const textOf =
    opts.textOf ??
    ((item: T): string => {
      if (typeof item === "string") return item;
      const text = (item as unknown as { text?: unknown })?.text;
      if (typeof text === "string") return text;
      throw new Error("rerank: candidates must be strings or objects with a text field (or pass textOf)");
    });
  const shortlist = candidates.slice(0, topN);
  if (shortlist.length === 0) return [];
  const raw = await scorer(shortlist.map((c) => [query, textOf(c)] as [string, string]));
  if (!raw || raw.length !== shortlist.length) throw new Error(`rerank: the scorer returned ${raw ? raw.length : raw} scores for ${shortlist.length} pairs`);
  const scores = Array.from({ length: shortlist.length }, (_, i): number => {
    const s = (raw as ArrayLike<number | number[]>)[i];
    if (typeof s === "number") return s;
    if (Array.isArray(s)) {
      if (s.length === 1) return s[0];
      if (opts.scoreIndex === undefined) throw new Error(`rerank: the scorer returned ${s.length} scores per pair; pass scoreIndex to pick one`);
      if (!(opts.scoreIndex >= 0 && opts.scoreIndex < s.length)) throw new Error(`rerank: scoreIndex ${opts.scoreIndex} is out of range for ${s.length} scores`);
      return s[opts.scoreIndex];
    }
    throw new Error(`rerank: score ${i} is not a number`);
  });
  scores.forEach((s, i) => {
    if (Number.isNaN(s)) throw new Error(`rerank: score ${i} is NaN`);
  });
  return shortlist
    .map((item, i) => ({ item, score: scores[i], originalRank: i }))
    .sort((a, b) => b.score - a.score || a.originalRank - b.originalRank);
}
