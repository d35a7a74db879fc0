import { test } from "node:test";
import * as assert from "node:assert/strict";
import { reciprocalRankFusion, rerank } from "../lib/search/fusion";
import { meanReciprocalRank, ndcgAtK, neighborRecall, precisionAtK, recallAtK, reciprocalRank, retrievalMetrics } from "../lib/search/metrics";
import { BM25 } from "../lib/search/bm25";

const close = (a: number, b: number, what = ""): void => assert.ok(Math.abs(a - b) <= 1e-12, `${what}: ${a} vs ${b}`);

test("reciprocalRankFusion (k = 60) by hand, with hits, weights and ties", () => {
  const bm25 = ["a", "b", "c"];
  const dense = ["c", "a", "d"];
  const fused = reciprocalRankFusion([bm25, dense]);
  // a: 1/61 + 1/62; c: 1/63 + 1/61; b: 1/62; d: 1/63.
  assert.deepEqual(fused.map((f) => f.id), ["a", "c", "b", "d"]);
  close(fused[0].score, 1 / 61 + 1 / 62, "a");
  close(fused[1].score, 1 / 63 + 1 / 61, "c");
  close(fused[3].score, 1 / 63, "d");
  assert.deepEqual(fused[1].ranks, [3, 1]);
  assert.deepEqual(fused[3].ranks, [null, 3]);
  // Weights: dense counts 3 times -> c: 1/63 + 3/61 beats a: 1/61 + 3/62.
  assert.deepEqual(reciprocalRankFusion([bm25, dense], { weights: [1, 3] }).slice(0, 2).map((f) => f.id), ["c", "a"]);
  // Hits are fused by their index; k = 0 is plain 1/rank; ties keep first-met order (x before y).
  const hits = reciprocalRankFusion([[{ index: 4, score: 9 }, { index: 2, score: 1 }], [2, 4]], { k: 0 });
  assert.deepEqual(hits.map((h) => [h.id, h.score]), [[4, 1.5], [2, 1.5]]);
  assert.deepEqual(reciprocalRankFusion([["x", "y"], ["y", "x"]]).map((f) => f.id), ["x", "y"]);
  // A duplicate within one list counts once, at its best rank.
  close(reciprocalRankFusion([["a", "a"]])[0].score, 1 / 61);
  assert.equal(reciprocalRankFusion([bm25, dense], { topN: 2 }).length, 2);
  assert.throws(() => reciprocalRankFusion([bm25], { weights: [1, 2] }), /2 weights for 1 lists/);
  assert.throws(() => reciprocalRankFusion([[{} as unknown as string]]), /item 0 of list 0 is not an id/);
});

test("rerank reorders the top-n by a (query, passage) scorer, sync or async, one score or several", async () => {
  const passages = ["cats purr", "dogs bark loudly", "the cat sat on the mat", "birds sing"];
  // A stand-in cross-encoder: the number of query words in the passage.
  const seen: Array<[string, string]>[] = [];
  const overlap = (pairs: Array<[string, string]>): number[] => {
    seen.push(pairs);
    return pairs.map(([q, p]) => q.split(" ").filter((w) => p.split(" ").includes(w)).length);
  };
  const out = await rerank("the cat on mat", passages, overlap, { topN: 3 });
  assert.deepEqual(seen[0].map((p) => p[1]), passages.slice(0, 3)); // only the top 3 are scored
  assert.deepEqual(out.map((r) => [r.item, r.score, r.originalRank]), [
    ["the cat sat on the mat", 4, 2],
    ["cats purr", 0, 0], // tie at 0 keeps the original order
    ["dogs bark loudly", 0, 1],
  ]);
  // Objects with text; an async scorer returning [n, 1] rows (CrossEncoder.predict with one label).
  const docs = passages.map((text, id) => ({ id, text }));
  const asyncScorer = async (pairs: Array<[string, string]>): Promise<number[][]> => pairs.map(([, p]) => [p.length]);
  assert.deepEqual((await rerank("q", docs, asyncScorer)).map((r) => r.item.id), [2, 1, 3, 0]);
  // Several scores per pair need scoreIndex.
  const twoLabels = (pairs: Array<[string, string]>): number[][] => pairs.map(([, p]) => [-p.length, p.length]);
  await assert.rejects(rerank("q", passages, twoLabels), /2 scores per pair; pass scoreIndex/);
  assert.deepEqual((await rerank("q", passages, twoLabels, { scoreIndex: 0 })).map((r) => r.originalRank), [0, 3, 1, 2]);
  await assert.rejects(rerank("q", passages, () => [1]), /returned 1 scores for 4 pairs/);
  await assert.rejects(rerank("q", [{ id: 1 }], () => [1]), /strings or objects with a text field/);
  assert.deepEqual(await rerank("q", [], overlap), []);
});

test("recall@k, precision@k, MRR and nDCG@k by hand", () => {
  const retrieved = ["d3", "d1", "d7", "d2", "d9"];
  const relevant = ["d1", "d2", "d5"];
  close(recallAtK(retrieved, relevant, 1), 0); // d3 not relevant
  close(recallAtK(retrieved, relevant, 2), 1 / 3); // d1
  close(recallAtK(retrieved, relevant, 5), 2 / 3); // d1, d2 (d5 never retrieved)
  close(precisionAtK(retrieved, relevant, 4), 2 / 4);
  close(reciprocalRank(retrieved, relevant), 1 / 2); // first relevant at rank 2
  close(reciprocalRank(retrieved, relevant, 1), 0); // MRR@1: none in the top 1
  // nDCG@5, binary gains: DCG = 1/log2(3) + 1/log2(5) (ranks 2 and 4); IDCG = 1 + 1/log2(3) + 1/log2(4).
  close(ndcgAtK(retrieved, relevant, 5), (1 / Math.log2(3) + 1 / Math.log2(5)) / (1 + 1 / Math.log2(3) + 1 / 2), "ndcg@5");
  // nDCG@2: DCG = 1/log2(3); IDCG@2 = 1 + 1/log2(3).
  close(ndcgAtK(retrieved, relevant, 2), 1 / Math.log2(3) / (1 + 1 / Math.log2(3)), "ndcg@2");
  // Graded gains: d2 = 3, d1 = 1. DCG@5 = 1/log2(3) + 3/log2(5); IDCG = 3 + 1/log2(3).
  const graded = new Map([["d2", 3], ["d1", 1]]);
  close(ndcgAtK(retrieved, graded, 5), (1 / Math.log2(3) + 3 / Math.log2(5)) / (3 + 1 / Math.log2(3)), "graded");
  close(ndcgAtK(["d2", "d1"], graded, 2), 1);
  // A repeated id counts once.
  close(recallAtK(["d1", "d1"], relevant, 2), 1 / 3);
  close(ndcgAtK(["d1", "d1"], ["d1"], 2), 1);

  // Means over queries: q1 as above (RR 1/2), q2 finds its one relevant doc first (RR 1), q3 misses (RR 0).
  const runs = [retrieved, ["x", "y"], ["p"]];
  const rel = [relevant, new Set(["x"]), ["q"]];
  close(meanReciprocalRank(runs, rel), (1 / 2 + 1 + 0) / 3);
  const m = retrievalMetrics(runs, rel, [1, 5]);
  close(m.recall[1], (0 + 1 + 0) / 3);
  close(m.recall[5], (2 / 3 + 1 + 0) / 3);
  close(m.mrr[1], 1 / 3);
  close(m.precision[5], (2 / 5 + 1 / 5 + 0) / 3);
  assert.equal(m.queries, 3);

  assert.throws(() => recallAtK(retrieved, [], 5), /no relevant documents/);
  assert.throws(() => recallAtK(retrieved, relevant, 0), /k must be an integer >= 1/);
  assert.throws(() => meanReciprocalRank(runs, rel.slice(1)), /3 result lists for 2 relevance sets/);
  assert.throws(() => ndcgAtK(retrieved, new Map([["d1", -1]]), 3), /gain of d1 must be a number >= 0/);
});

test("neighborRecall counts exact neighbours found; hybrid BM25 + dense through RRF on a toy corpus", () => {
  const exact = [[{ index: 1 }, { index: 2 }, { index: 3 }], [{ index: 7 }, { index: 8 }, { index: 9 }]];
  const approx = [[{ index: 2 }, { index: 1 }, { index: 5 }], [{ index: 7 }, { index: 8 }, { index: 9 }]];
  close(neighborRecall(approx, exact, 3), 5 / 6);
  close(neighborRecall(approx, exact, 1), 1 / 2); // query 0's top 1 is 2, not 1
  // Lexical and "semantic" lists disagree; fusion puts the document both rank well first.
  const docs = ["the capital of france is paris", "paris hilton is famous", "france borders spain", "the eiffel tower stands in the french capital"];
  const lexical = new BM25(docs).search("capital of france", 4).map((h) => h.index);
  // In 4 documents, "capital" and "france" (in 2 each) get idf ln(2.5 / 2.5) = 0: only "of" scores.
  assert.equal(lexical[0], 0);
  const semantic = [3, 0, 2, 1]; // as an embedding model might rank them
  assert.equal(reciprocalRankFusion([lexical, semantic])[0].id, 0);
});
