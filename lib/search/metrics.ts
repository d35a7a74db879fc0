/**
 * Retrieval metrics (chapter 8's evaluation of search systems), per query and averaged, with the
 * definitions sentence-transformers' InformationRetrievalEvaluator uses:
 *
 * - recall@k = |relevant among the top k| / |relevant|
 * - precision@k = |relevant among the top k| / k
 * - reciprocal rank (MRR@k when averaged) = 1 / rank of the first relevant result within the top k, else 0
 * - nDCG@k = DCG@k / IDCG@k with DCG = sum over ranks i = 1..k of gain_i / log2(i + 1), linear gains
 *   (binary relevance: gain 1); IDCG is the DCG of the ideal ordering of the relevant documents.
 *
 * A query with no relevant documents is an error rather than a silent 0 or NaN.
 */
import type { DocId } from "./fusion";

/** The relevant documents of a query: a list or set of ids (gain 1 each), or id -> graded gain (> 0 relevant). */
export type Relevance = readonly DocId[] | ReadonlySet<DocId> | ReadonlyMap<DocId, number>;

function gains(relevant: Relevance, who: string): Map<DocId, number> {
  const out = new Map<DocId, number>();
  if (relevant instanceof Map) {
    for (const [id, g] of relevant) {
      if (!(typeof g === "number" && g >= 0)) throw new Error(`${who}: the gain of ${String(id)} must be a number >= 0, got ${g}`);
      if (g > 0) out.set(id, g);
    }
  } else if (relevant instanceof Set || Array.isArray(relevant)) {
    for (const id of relevant as Iterable<DocId>) out.set(id, 1);
  } else throw new Error(`${who}: relevant must be an array, a Set or a Map of ids`);
  if (out.size === 0) throw new Error(`${who}: the query has no relevant documents`);
  return out;
}

function checkRetrieved(retrieved: readonly DocId[], who: string): void {
  if (!Array.isArray(retrieved)) throw new Error(`${who}: retrieved must be an array of ids, best first`);
}

function checkCutoff(k: number, who: string): void {
  if (!Number.isInteger(k) || k < 1) throw new Error(`${who}: k must be an integer >= 1, got ${k}`);
}

/** Distinct relevant ids among the first k retrieved (a repeated id counts once). */
function hitsAt(retrieved: readonly DocId[], rel: Map<DocId, number>, k: number): number {
  const seen = new Set<DocId>();
  for (const id of retrieved.slice(0, k)) if (rel.has(id)) seen.add(id);
  return seen.size;
}

export function recallAtK(retrieved: readonly DocId[], relevant: Relevance, k: number): number {
  checkRetrieved(retrieved, "recallAtK");
  checkCutoff(k, "recallAtK");
  const rel = gains(relevant, "recallAtK");
  return hitsAt(retrieved, rel, k) / rel.size;
}

export function precisionAtK(retrieved: readonly DocId[], relevant: Relevance, k: number): number {
  checkRetrieved(retrieved, "precisionAtK");
  checkCutoff(k, "precisionAtK");
  return hitsAt(retrieved, gains(relevant, "precisionAtK"), k) / k;
}

/** 1 / rank of the first relevant result among the first k (default: all), 0 when none. */
export function reciprocalRank(retrieved: readonly DocId[], relevant: Relevance, k = Infinity): number {
  checkRetrieved(retrieved, "reciprocalRank");
  if (k !== Infinity) checkCutoff(k, "reciprocalRank");
  const rel = gains(relevant, "reciprocalRank");
  const n = Math.min(k, retrieved.length);
  for (let i = 0; i < n; i++) if (rel.has(retrieved[i])) return 1 / (i + 1);
  return 0;
}

export function ndcgAtK(retrieved: readonly DocId[], relevant: Relevance, k: number): number {
  checkRetrieved(retrieved, "ndcgAtK");
  checkCutoff(k, "ndcgAtK");
  const rel = gains(relevant, "ndcgAtK");
  let dcg = 0;
  const seen = new Set<DocId>();
  retrieved.slice(0, k).forEach((id, i) => {
    if (seen.has(id)) return; // a repeated document earns nothing the second time
    seen.add(id);
    dcg += (rel.get(id) ?? 0) / Math.log2(i + 2);
  });
  const ideal = Array.from(rel.values()).sort((a, b) => b - a).slice(0, k);
  const idcg = ideal.reduce((s, g, i) => s + g / Math.log2(i + 2), 0);
  return dcg / idcg;
}

/** Mean reciprocal rank over queries (MRR@k with a cutoff). */
export function meanReciprocalRank(runs: readonly (readonly DocId[])[], relevant: readonly Relevance[], k = Infinity): number {
  checkRuns(runs, relevant, "meanReciprocalRank");
  return mean(runs.map((r, i) => reciprocalRank(r, relevant[i], k)));
}

export interface RetrievalMetrics {
  /** Means over queries, keyed by cutoff. */
  recall: Record<number, number>;
  precision: Record<number, number>;
  ndcg: Record<number, number>;
  mrr: Record<number, number>;
  queries: number;
}

/** All metrics at each cutoff, averaged over queries (InformationRetrievalEvaluator's table). */
export function retrievalMetrics(runs: readonly (readonly DocId[])[], relevant: readonly Relevance[], ks: readonly number[] = [1, 3, 5, 10]): RetrievalMetrics {
  checkRuns(runs, relevant, "retrievalMetrics");
  const out: RetrievalMetrics = { recall: {}, precision: {}, ndcg: {}, mrr: {}, queries: runs.length };
  for (const k of ks) {
    out.recall[k] = mean(runs.map((r, i) => recallAtK(r, relevant[i], k)));
    out.precision[k] = mean(runs.map((r, i) => precisionAtK(r, relevant[i], k)));
    out.ndcg[k] = mean(runs.map((r, i) => ndcgAtK(r, relevant[i], k)));
    out.mrr[k] = mean(runs.map((r, i) => reciprocalRank(r, relevant[i], k)));
  }
  return out;
}

/**
 * How many of the exact k nearest neighbours an approximate search found, over all queries (the ANN
 * "recall@k" of ann-benchmarks): |approx top-k ∩ exact top-k| / (queries * k).
 */
export function neighborRecall(approx: readonly (readonly { index: number }[])[], exact: readonly (readonly { index: number }[])[], k: number): number {
  checkCutoff(k, "neighborRecall");
  if (approx.length !== exact.length) throw new Error(`neighborRecall: ${approx.length} approximate result lists for ${exact.length} exact ones`);
  if (approx.length === 0) throw new Error("neighborRecall: no queries");
  let hit = 0;
  let total = 0;
  approx.forEach((a, i) => {
    const truth = new Set(exact[i].slice(0, k).map((h) => h.index));
    for (const h of a.slice(0, k)) if (truth.has(h.index)) hit++;
    total += truth.size;
  });
  return hit / total;
}

function checkRuns(runs: readonly (readonly DocId[])[], relevant: readonly Relevance[], who: string): void {
  if (!Array.isArray(runs) || !Array.isArray(relevant)) throw new Error(`${who}: runs and relevant must be arrays (one entry per query)`);
  if (runs.length !== relevant.length) throw new Error(`${who}: ${runs.length} result lists for ${relevant.length} relevance sets`);
  if (runs.length === 0) throw new Error(`${who}: no queries`);
}

function mean(xs: number[]): number {
  return xs.reduce((s, x) => s + x, 0) / xs.length;
}
