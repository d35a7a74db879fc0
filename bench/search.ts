/**
 * `npm run bench -- search`: dense retrieval on seeded synthetic 384-d "sentence embeddings", exact cosine top-k
 * (ExactCosineIndex, SIMD kernel + heap selection) against the approximate NNDescentIndex (pynndescent
 * defaults: 30 neighbours, epsilon 0.1; and with searchK 40): build seconds, queries per second (one query
 * at a time, single thread) and recall@10 of the approximate results against the exact ones.
 *
 * The data are made hard on purpose (tight, well-separated clusters give recall 1.0 at any size): cluster
 * centres share one direction (so clusters overlap), each point adds isotropic noise of norm `--spread` times the
 * distance between centres, and the queries come from a shifted distribution, as questions do against passages:
 * halfway between two random cluster centres, plus the same noise.
 * Flags: --sizes 10000,100000  --queries 200  --clusters 50  --spread 2  --dim 384  --k 10.
 */
import { ExactCosineIndex } from "../lib/search/dense";
import { NNDescentIndex } from "../lib/search/ann";
import { neighborRecall } from "../lib/search/metrics";
import type { SearchHit } from "../lib/search/topk";
import type { DenseMatrix } from "../lib/util/matrix";
import { Rng } from "../lib/util/random";
import { flag, round } from "./args";

/**
 * Overlapping clusters and off-distribution queries (see the module notes). Centres: a shared unit direction
 * plus a random offset of norm ~1; corpus points: a centre plus noise of norm ~`spread`; queries: the midpoint of
 * two centres plus the same noise. Rows are not normalised (the indexes normalise).
 */
export function overlappingEmbeddings(n: number, nq: number, dim: number, clusters: number, spread: number, seed: number): { corpus: DenseMatrix; queries: DenseMatrix } {
  const rng = new Rng(seed);
  const normal = (): number => Math.sqrt(-2 * Math.log(1 - rng.random())) * Math.cos(2 * Math.PI * rng.random());
  const shared = Array.from({ length: dim }, normal);
  const norm = Math.hypot(...shared);
  const scale = 1 / Math.sqrt(dim);
  const centers = new Float64Array(clusters * dim);
  for (let c = 0; c < clusters; c++) for (let d = 0; d < dim; d++) centers[c * dim + d] = shared[d] / norm + normal() * scale;
  const corpus = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const c = rng.int(clusters);
    for (let d = 0; d < dim; d++) corpus[i * dim + d] = centers[c * dim + d] + spread * normal() * scale;
  }
  const queries = new Float32Array(nq * dim);
  for (let i = 0; i < nq; i++) {
    const a = rng.int(clusters), b = rng.int(clusters);
    for (let d = 0; d < dim; d++) queries[i * dim + d] = 0.5 * (centers[a * dim + d] + centers[b * dim + d]) + spread * normal() * scale;
  }
  return { corpus: { rows: n, cols: dim, data: corpus }, queries: { rows: nq, cols: dim, data: queries } };
}

function timed<T>(fn: () => T): { value: T; seconds: number } {
  const t0 = performance.now();
  const value = fn();
  return { value, seconds: (performance.now() - t0) / 1000 };
}

export async function searchBench(args: string[]): Promise<Record<string, unknown>> {
  const sizes = (flag(args, "--sizes") ?? "10000,100000").split(",").filter(Boolean).map(Number);
  const nq = Number(flag(args, "--queries") ?? 200);
  const clusters = Number(flag(args, "--clusters") ?? 50);
  const spread = Number(flag(args, "--spread") ?? 2);
  const dim = Number(flag(args, "--dim") ?? 384);
  const k = Number(flag(args, "--k") ?? 10);
  // JIT warm-up, so the first size is not charged for it.
  {
    const { corpus, queries } = overlappingEmbeddings(2000, 20, dim, clusters, spread, 1);
    new ExactCosineIndex(corpus).search(queries, k);
    new NNDescentIndex(corpus).search(queries, k);
  }
  const results: Record<string, unknown> = {};
  for (const n of sizes) {
    const { corpus, queries } = overlappingEmbeddings(n, nq, dim, clusters, spread, n);
    const exactBuild = timed(() => new ExactCosineIndex(corpus));
    const exact = timed(() => exactBuild.value.search(queries, k));
    const annBuild = timed(() => new NNDescentIndex(corpus, { randomState: 42 }));
    const ann = annBuild.value;
    const approx = timed(() => ann.search(queries, k));
    const approxWide = timed(() => ann.search(queries, k, { searchK: 40 }));
    const recall = (r: SearchHit[][]): number => round(neighborRecall(r, exact.value, k), 4);
    results[n] = {
      exact: { build_s: round(exactBuild.seconds, 2), search_s: round(exact.seconds, 3), qps: round(nq / exact.seconds, 1), simd: exactBuild.value.simd, recall_at_10: 1, top1_cosine_mean: round(exact.value.reduce((a, h) => a + h[0].score, 0) / nq, 3), top10_cosine_mean: round(exact.value.reduce((a, h) => a + h[Math.min(k, h.length) - 1].score, 0) / nq, 3) },
      nndescent: {
        build_s: round(annBuild.seconds, 2),
        rounds: ann.stats.rounds,
        search_s: round(approx.seconds, 3),
        qps: round(nq / approx.seconds, 1),
        recall_at_10: recall(approx.value),
      },
      nndescent_search_k_40: { search_s: round(approxWide.seconds, 3), qps: round(nq / approxWide.seconds, 1), recall_at_10: recall(approxWide.value) },
    };
  }
  return { dim, clusters, spread, queries: nq, k, data: "overlapping clusters, queries between two clusters (see bench/search.ts)", settings: "NNDescentIndex: n_neighbors 30, epsilon 0.1 (pynndescent defaults)", results };
}
