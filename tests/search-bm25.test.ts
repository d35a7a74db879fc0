import { test } from "node:test";
import * as assert from "node:assert/strict";
import { BM25, searchTokenizer } from "../lib/search/bm25";
import { topKIndices } from "../lib/search/topk";
import { Rng } from "../lib/util/random";

// Four tiny documents, tokens as given (rank_bm25 takes token lists).
const DOCS = [
  ["the", "cat", "sat"], // |d| = 3
  ["the", "dog", "sat", "on", "the", "mat"], // |d| = 6
  ["cat", "and", "dog"], // |d| = 3
  ["the", "bird"], // |d| = 2
];
const close = (a: number, b: number, what: string): void => assert.ok(Math.abs(a - b) <= 1e-12, `${what}: ${a} vs ${b}`);

test("BM25Okapi (rank_bm25 idf with the epsilon floor) on a hand-computed example", () => {
  const bm = new BM25(DOCS);
  // N = 4, avgdl = (3 + 6 + 3 + 2) / 4 = 3.5. Document frequencies: the 3; cat, sat, dog 2; on, mat, and, bird 1.
  assert.equal(bm.avgdl, 3.5);
  assert.equal(bm.docFreq.get("the"), 3);
  // idf = ln(N - n + 0.5) - ln(n + 0.5): n = 3 -> ln(1.5 / 3.5) = -0.8473 (negative), n = 2 -> ln(2.5 / 2.5) = 0,
  // n = 1 -> ln(3.5 / 1.5) = +0.8473.
  const idf3 = Math.log(1.5) - Math.log(3.5);
  const idf1 = Math.log(3.5) - Math.log(1.5);
  // Mean over the 8 terms (negative one included): (idf3 + 3 * 0 + 4 * idf1) / 8 = 3 * 0.8473 / 8 = 0.31774;
  // the negative idf of "the" becomes epsilon * mean = 0.25 * 0.31774 = 0.079434.
  const average = (idf3 + 0 + 0 + 0 + 4 * idf1) / 8;
  close(bm.averageIdf, average, "average idf");
  const idfThe = 0.25 * average;
  close(bm.idf.get("the")!, idfThe, "idf(the)");
  assert.equal(bm.idf.get("cat"), 0); // exactly half the documents: 0, not floored
  close(bm.idf.get("mat")!, idf1, "idf(mat)");

  // Query "the mat cat". Length part K(d) = k1 * (1 - b + b * |d| / avgdl), k1 = 1.5, b = 0.75:
  // K(3) = 1.5 * (0.25 + 0.75 * 3 / 3.5) = 1.339286; K(6) = 2.303571; K(2) = 1.017857.
  const K = (len: number): number => 1.5 * (0.25 + (0.75 * len) / 3.5);
  const term = (idf: number, tf: number, len: number): number => (idf * tf * 2.5) / (tf + K(len));
  const expected = [
    term(idfThe, 1, 3) + term(0, 1, 3), // d0: the once, cat (idf 0)                       = 0.084891
    term(idfThe, 2, 6) + term(idf1, 1, 6), // d1: the twice, mat once: 0.092289 + 0.641198 = 0.733487
    term(0, 1, 3), // d2: only cat                                                              = 0
    term(idfThe, 1, 2), // d3: the once                                                        = 0.098414
  ];
  // The closed forms above agree with the numbers worked on paper (to their 6 decimals).
  [0.084891, 0.733487, 0, 0.098414].forEach((v, d) => assert.ok(Math.abs(expected[d] - v) < 1e-6, `worked d${d}`));
  const scores = bm.getScores(["the", "mat", "cat"]);
  expected.forEach((e, d) => close(scores[d], e, `score of d${d}`));
  assert.deepEqual(bm.search(["the", "mat", "cat"], 4).map((h) => h.index), [1, 3, 0, 2]);
  // A repeated query token counts twice (rank_bm25 loops over the query tokens); unknown tokens count 0.
  const twice = bm.getScores(["mat", "mat", "zebra"]);
  close(twice[1], 2 * term(idf1, 1, 6), "repeated query token");
  assert.deepEqual(Array.from(bm.getScores(["zebra"])), [0, 0, 0, 0]);
  assert.deepEqual(bm.getTopN(["the", "mat"], ["d0", "d1", "d2", "d3"], 2), ["d1", "d3"]);
});

test("BM25 with Lucene's idf ln(1 + (N - n + 0.5) / (n + 0.5)) and other k1 / b", () => {
  const bm = new BM25(DOCS, { idf: "lucene", k1: 1.2, b: 0.5 });
  // idf(the) = ln(1 + 1.5 / 3.5) = 0.356675, idf(cat) = ln(2) = 0.693147, idf(mat) = ln(1 + 3.5 / 1.5) = 1.203973.
  close(bm.idf.get("the")!, Math.log(1 + 1.5 / 3.5), "idf(the)");
  close(bm.idf.get("cat")!, Math.log(2), "idf(cat)");
  const K = (len: number): number => 1.2 * (0.5 + (0.5 * len) / 3.5);
  const term = (idf: number, tf: number, len: number): number => (idf * tf * 2.2) / (tf + K(len));
  const scores = bm.getScores(["the", "mat", "cat"]);
  close(scores[0], term(Math.log(1 + 1.5 / 3.5), 1, 3) + term(Math.log(2), 1, 3), "d0");
  close(scores[1], term(Math.log(1 + 1.5 / 3.5), 2, 6) + term(Math.log(1 + 3.5 / 1.5), 1, 6), "d1");
  close(scores[2], term(Math.log(2), 1, 3), "d2");
  // With a positive idf for "cat", d2 now beats d3 (only "the").
  assert.deepEqual(bm.search(["the", "mat", "cat"], 4).map((h) => h.index), [1, 0, 2, 3]);
});

test("BM25 over raw texts uses the CountVectorizer analysis; matches a brute-force float64 BM25 on random corpora", () => {
  const texts = ["The cat sat.", "The DOG sat on the mat!", "Cat and dog", "the bird"];
  const fromText = new BM25(texts);
  const fromTokens = new BM25(DOCS);
  assert.deepEqual(Array.from(fromText.getScores("The MAT, the cat?")), Array.from(fromTokens.getScores(["the", "mat", "the", "cat"])));
  assert.deepEqual(searchTokenizer({ stopWords: "english" })("The cat and the hat"), ["cat", "hat"]);

  // Random corpora, scored by an independent per-document loop (no inverted index, no maps).
  const rng = new Rng(3);
  for (let trial = 0; trial < 5; trial++) {
    const vocab = Array.from({ length: 12 }, (_, i) => `w${i}`);
    const docs = Array.from({ length: 30 }, () => Array.from({ length: 1 + rng.int(15) }, () => vocab[Math.floor(rng.random() ** 2 * vocab.length)]));
    const query = Array.from({ length: 4 }, () => vocab[rng.int(vocab.length)]);
    const bm = new BM25(docs);
    const N = docs.length;
    const avgdl = docs.reduce((s, d) => s + d.length, 0) / N;
    const rawIdf = (t: string): number => {
      const n = docs.filter((d) => d.includes(t)).length;
      return Math.log(N - n + 0.5) - Math.log(n + 0.5);
    };
    const terms = vocab.filter((t) => docs.some((d) => d.includes(t)));
    const mean = terms.reduce((s, t) => s + rawIdf(t), 0) / terms.length;
    const idf = (t: string): number => (rawIdf(t) < 0 ? 0.25 * mean : rawIdf(t));
    const scores = bm.getScores(query);
    docs.forEach((d, i) => {
      let s = 0;
      for (const t of query) {
        const tf = d.filter((x) => x === t).length;
        if (tf && terms.includes(t)) s += (idf(t) * tf * 2.5) / (tf + 1.5 * (0.25 + (0.75 * d.length) / avgdl));
      }
      close(scores[i], s, `trial ${trial} doc ${i}`);
    });
  }
});

test("topKIndices is a partial selection equal to a full sort (ties by index); BM25 rejects bad input", () => {
  const rng = new Rng(9);
  const values = Array.from({ length: 1000 }, () => Math.round(rng.random() * 50)); // many ties
  for (const k of [1, 7, 100, 1000, 2000]) {
    const sorted = values.map((score, index) => ({ index, score })).sort((a, b) => b.score - a.score || a.index - b.index).slice(0, k);
    assert.deepEqual(topKIndices(values, k), sorted);
  }
  assert.deepEqual(topKIndices([1, NaN, 3], 3), [{ index: 2, score: 3 }, { index: 0, score: 1 }]);
  assert.throws(() => new BM25([]), /corpus must be a non-empty array/);
  assert.throws(() => new BM25([["a"], [1 as unknown as string]]), /document 1 is neither a string nor an array of token strings/);
  assert.throws(() => new BM25(DOCS, { b: 2 }), /b must be in \[0, 1\]/);
  assert.throws(() => new BM25(DOCS, { idf: "bm25+" as "lucene" }), /idf must be "rank_bm25" or "lucene"/);
  assert.throws(() => new BM25(DOCS).search("cat", 0), /k must be an integer >= 1/);
  assert.throws(() => new BM25(DOCS).getTopN("cat", ["only one"]), /1 documents given, the index holds 4/);
});
