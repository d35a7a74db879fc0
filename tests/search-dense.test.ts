import { test } from "node:test";
import * as assert from "node:assert/strict";
import { ExactCosineIndex, cosineTopK, l2NormalizeRows } from "../lib/search/dense";
import { NNDescentIndex } from "../lib/search/ann";
import { neighborRecall } from "../lib/search/metrics";
import { Rng } from "../lib/util/random";
import type { DenseMatrix } from "../lib/util/matrix";

function gaussian(rng: Rng): number {
  return Math.sqrt(-2 * Math.log(1 - rng.random())) * Math.cos(2 * Math.PI * rng.random());
}

/** n points around `clusters` random centres (not normalised: the indexes must normalise). */
function clustered(n: number, dim: number, clusters: number, seed: number): DenseMatrix {
  const rng = new Rng(seed);
  const centres = Array.from({ length: clusters }, () => Array.from({ length: dim }, () => gaussian(rng)));
  const data = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const c = centres[rng.int(clusters)];
    const scale = 0.5 + rng.random() * 3;
    for (let d = 0; d < dim; d++) data[i * dim + d] = scale * (c[d] + 0.6 * gaussian(rng));
  }
  return { rows: n, cols: dim, data };
}

/** Reference: cosine in float64 from the raw rows, all of them sorted. */
function fullSortTopK(x: DenseMatrix, q: DenseMatrix, k: number): Array<Array<{ index: number; score: number }>> {
  const out = [];
  for (let i = 0; i < q.rows; i++) {
    const sims = [];
    for (let j = 0; j < x.rows; j++) {
      let dot = 0, nq = 0, nx = 0;
      for (let d = 0; d < x.cols; d++) {
        const a = q.data[i * q.cols + d], b = x.data[j * x.cols + d];
        dot += a * b;
        nq += a * a;
        nx += b * b;
      }
      sims.push({ index: j, score: dot / Math.sqrt(nq * nx) });
    }
    out.push(sims.sort((a, b) => b.score - a.score).slice(0, k));
  }
  return out;
}

test("ExactCosineIndex equals a float64 full sort (SIMD kernel and plain JS), for batches and single vectors", () => {
  const x = clustered(700, 24, 6, 1);
  const q = clustered(25, 24, 6, 2);
  const ref = fullSortTopK(x, q, 10);
  for (const useWasm of [true, false]) {
    const index = new ExactCosineIndex(x, { useWasm });
    assert.equal(index.size, 700);
    const got = index.search(q, 10);
    assert.equal(got.length, 25);
    got.forEach((hits, i) => {
      // Float32 scores can swap near-ties: compare the scores rank by rank, and the ids where the gap is clear.
      hits.forEach((h, r) => {
        assert.ok(Math.abs(h.score - ref[i][r].score) < 1e-5, `query ${i} rank ${r}: ${h.score} vs ${ref[i][r].score}`);
        const gap = Math.min(r > 0 ? ref[i][r - 1].score - ref[i][r].score : 1, r < 9 ? ref[i][r].score - ref[i][r + 1].score : 1);
        if (gap > 1e-5) assert.equal(h.index, ref[i][r].index, `query ${i} rank ${r}`);
      });
    });
  }
  // Several query batches and corpus blocks (ragged last ones) give the same results as one pass.
  assert.deepEqual(new ExactCosineIndex(x, { batchSize: 4, blockRows: 99 }).search(q, 10), new ExactCosineIndex(x, { batchSize: 25, blockRows: 700 }).search(q, 10));
  assert.throws(() => new ExactCosineIndex(x, { batchSize: 0 }), /batchSize must be an integer >= 1/);
  const one = Array.from(q.data.subarray(0, 24));
  assert.deepEqual(new ExactCosineIndex(x).search(one, 3), new ExactCosineIndex(x).search(q, 3).slice(0, 1));
  assert.deepEqual(cosineTopK(x, Float32Array.from(one), 3), new ExactCosineIndex(x).search(one, 3));
  const scores = new ExactCosineIndex(x).scores(one);
  assert.equal(scores.length, 700);
  assert.ok(Math.abs(scores[ref[0][0].index] - ref[0][0].score) < 1e-5);
  // k larger than the corpus: everything, sorted.
  assert.equal(new ExactCosineIndex(x).search(one, 5000)[0].length, 700);
});

test("l2NormalizeRows gives unit rows and leaves zero rows at zero; bad input fails clearly", () => {
  const m = l2NormalizeRows([[3, 4], [0, 0]]);
  assert.deepEqual(m.data, Float32Array.from([0.6, 0.8, 0, 0]));
  const index = new ExactCosineIndex([[1, 0, 0], [0, 1, 0]]);
  assert.throws(() => index.search([[1, 0]], 1), /queries have 2 values per row, the index has 3/);
  assert.throws(() => index.search([[1, 0, 0]], 0), /k must be an integer >= 1/);
  assert.throws(() => new ExactCosineIndex([[1, 0], [1]]), /row 1 has 1 values, row 0 has 2/);
  assert.throws(() => new NNDescentIndex([[1, 0]]), /at least 2 rows/);
});

test("NNDescentIndex: recall@10 against exact search on 3,000 clustered 32-d vectors", () => {
  const x = clustered(3000, 32, 20, 3);
  const q = clustered(100, 32, 20, 4);
  const exact = new ExactCosineIndex(x).search(q, 10);
  const ann = new NNDescentIndex(x, { randomState: 42 });
  const approx = ann.search(q, 10);
  const recall = neighborRecall(approx, exact, 10);
  const wider = neighborRecall(ann.search(q, 10, { searchK: 40 }), exact, 10);
  console.log(`NNDescentIndex recall@10 ${recall.toFixed(4)} (searchK 40: ${wider.toFixed(4)}), build ${ann.buildSeconds}s, rounds ${ann.stats.rounds}`);
  assert.ok(recall >= 0.9, `recall@10 ${recall}`);
  assert.ok(wider >= recall - 1e-9 && wider >= 0.95, `searchK 40 recall ${wider}`);
  // Scores are cosine similarities, best first, and agree with the exact ones for the same ids.
  approx.forEach((hits, i) => {
    const exactScore = new Map(exact[i].map((h) => [h.index, h.score]));
    for (let r = 1; r < hits.length; r++) assert.ok(hits[r - 1].score >= hits[r].score - 1e-6);
    for (const h of hits) if (exactScore.has(h.index)) assert.ok(Math.abs(exactScore.get(h.index)! - h.score) < 1e-5);
  });
  // A poor index (few neighbours, no slack) finds fewer: the recall measure can fail.
  const poor = new NNDescentIndex(x, { nNeighbors: 3, nTrees: 1, nIters: 1, randomState: 1 });
  const poorRecall = neighborRecall(poor.search(q, 10, { epsilon: 0 }), exact, 10);
  console.log(`poor index recall@10 ${poorRecall.toFixed(4)}`);
  assert.ok(poorRecall < recall, `poor ${poorRecall} vs ${recall}`);
});
