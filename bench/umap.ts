/**
 * `npm run bench -- umap`: the lib's UMAP with BERTopic's settings (15 neighbours, 5 components, min_dist 0,
 * cosine, seed 42) on seeded synthetic 384-d "sentence embeddings" (a mixture of Gaussian clusters around
 * random directions, rows unit-normalised) at 5k, 20k and 45k points, with the seconds of each stage
 * (k-NN, fuzzy graph, spectral init, SGD layout) and the k-NN recall on a sample checked by brute force;
 * side by side, umap-js 1.4 (random init, its own NN-descent) at 5k only, and the kNN accuracy (15-NN
 * majority vote against the true clusters) of both embeddings. "ours_unseeded": the same without a seed at
 * the --unseeded-sizes, where the SGD runs on all cores (umap-learn's parallel path; not reproducible).
 * Flags: --sizes 5000,20000,45000  --unseeded-sizes 45000  --umapjs-sizes 5000  --clusters 50  --dim 384.
 */
import { UMAP } from "../lib/topics/umap";
import { bruteForceKnn } from "../lib/topics/nndescent";
import { Rng } from "../lib/util/random";
import type { DenseMatrix } from "../lib/util/matrix";
import { flag, round } from "./args";

/** `n` unit vectors in `dim`-d around `clusters` random directions (per-cluster noise 0.04..0.06 per axis). */
export function syntheticEmbeddings(n: number, dim: number, clusters: number, seed: number): { x: DenseMatrix; y: Int32Array } {
  const rng = new Rng(seed);
  const normal = (): number => Math.sqrt(-2 * Math.log(1 - rng.random())) * Math.cos(2 * Math.PI * rng.random());
  const centers = new Float64Array(clusters * dim);
  for (let c = 0; c < clusters; c++) {
    let s = 0;
    for (let d = 0; d < dim; d++) s += (centers[c * dim + d] = normal()) ** 2;
    for (let d = 0; d < dim; d++) centers[c * dim + d] /= Math.sqrt(s);
  }
  const spreads = Array.from({ length: clusters }, () => 0.04 + 0.02 * rng.random());
  const data = new Float32Array(n * dim);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = rng.int(clusters);
    y[i] = c;
    let s = 0;
    for (let d = 0; d < dim; d++) {
      const v = centers[c * dim + d] + spreads[c] * normal();
      data[i * dim + d] = v;
      s += v * v;
    }
    const inv = 1 / Math.sqrt(s);
    for (let d = 0; d < dim; d++) data[i * dim + d] *= inv;
  }
  return { x: { rows: n, cols: dim, data }, y };
}

/** Share of points whose 15 nearest neighbours in the embedding mostly carry their own label (self excluded). */
function knnAccuracy(emb: DenseMatrix, y: Int32Array, sample = 1000): number {
  const knn = bruteForceKnn(emb, 16, "euclidean");
  let ok = 0;
  const m = Math.min(sample, emb.rows);
  for (let i = 0; i < m; i++) {
    const votes = new Map<number, number>();
    for (let t = 1; t < 16; t++) {
      const l = y[knn.indices[i * 16 + t]];
      votes.set(l, (votes.get(l) ?? 0) + 1);
    }
    let best = -1, bestCount = -1;
    for (const [l, c] of votes) if (c > bestCount) [best, bestCount] = [l, c];
    if (best === y[i]) ok++;
  }
  return ok / m;
}

/** Recall of the fitted model's k-NN graph on `sample` points against brute force. */
function knnRecall(model: UMAP, x: DenseMatrix, sample: number): number | null {
  const index = (model as unknown as { index?: { neighborGraph: { indices: Int32Array; k: number } } }).index;
  if (!index) return null;
  const { indices, k } = index.neighborGraph;
  const ids = Array.from({ length: sample }, (_, i) => Math.floor((i * x.rows) / sample));
  const q: DenseMatrix = { rows: ids.length, cols: x.cols, data: new Float32Array(ids.length * x.cols) };
  ids.forEach((id, r) => q.data.set(x.data.subarray(id * x.cols, (id + 1) * x.cols), r * x.cols));
  const exact = bruteForceKnn(x, k, "cosine", q);
  let hit = 0;
  ids.forEach((id, r) => {
    const truth = new Set(exact.indices.subarray(r * k, (r + 1) * k));
    for (let t = 0; t < k; t++) if (truth.has(indices[id * k + t])) hit++;
  });
  return hit / (ids.length * k);
}

export async function umapBench(args: string[]): Promise<Record<string, unknown>> {
  const sizes = (flag(args, "--sizes") ?? "5000,20000,45000").split(",").filter(Boolean).map(Number);
  const jsSizes = (flag(args, "--umapjs-sizes") ?? "5000").split(",").filter(Boolean).map(Number);
  const clusters = Number(flag(args, "--clusters") ?? 50);
  const dim = Number(flag(args, "--dim") ?? 384);
  const settings = { nNeighbors: 15, nComponents: 5, minDist: 0, metric: "cosine" as const, randomState: 42 };
  // JIT warm-up on a small set, so the first size is not charged for it.
  new UMAP({ ...settings, forceApproximationAlgorithm: true, nEpochs: 50 }).fitTransform(syntheticEmbeddings(1500, dim, clusters, 1).x);

  const unseededSizes = (flag(args, "--unseeded-sizes") ?? "45000").split(",").filter(Boolean).map(Number);
  const run = (n: number, seeded: boolean): Record<string, unknown> => {
    const { x, y } = syntheticEmbeddings(n, dim, clusters, n);
    const t0 = performance.now();
    const model = new UMAP(seeded ? settings : { ...settings, randomState: undefined });
    const emb = model.fitTransform(x);
    const total = (performance.now() - t0) / 1000;
    const t = model.timings;
    return {
      seconds: round(total, 2),
      knn: round(t.knn, 2),
      graph: round(t.graph, 2),
      init: round(t.init, 2),
      layout: round(t.layout, 2),
      layout_threads: model.layoutThreads,
      knn_recall: knnRecall(model, x, 200),
      knn_accuracy: round(knnAccuracy(emb, y), 4),
    };
  };
  const ours: Record<string, unknown> = {};
  for (const n of sizes) ours[n] = run(n, true);
  const oursUnseeded: Record<string, unknown> = {};
  for (const n of unseededSizes) oursUnseeded[n] = run(n, false);

  const umapJs: Record<string, unknown> = {};
  for (const n of jsSizes) {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { UMAP: UmapJs } = require("umap-js") as { UMAP: new (p: object) => { fit(x: number[][]): number[][] } };
    const { x, y } = syntheticEmbeddings(n, dim, clusters, n);
    const rows = Array.from({ length: n }, (_, i) => Array.from(x.data.subarray(i * dim, (i + 1) * dim)));
    const rng = new Rng(42);
    const cosine = (a: number[], b: number[]): number => {
      let s = 0, na = 0, nb = 0;
      for (let i = 0; i < a.length; i++) {
        s += a[i] * b[i];
        na += a[i] * a[i];
        nb += b[i] * b[i];
      }
      return 1 - s / Math.sqrt(na * nb);
    };
    const t0 = performance.now();
    const out = new UmapJs({ nNeighbors: 15, nComponents: 5, minDist: 0, distanceFn: cosine, random: () => rng.random() }).fit(rows);
    const seconds = (performance.now() - t0) / 1000;
    const emb: DenseMatrix = { rows: n, cols: 5, data: Float32Array.from(out.flat()) };
    umapJs[n] = { seconds: round(seconds, 2), knn_accuracy: round(knnAccuracy(emb, y), 4) };
  }
  return { dim, clusters, settings: "n_neighbors 15, n_components 5, min_dist 0, cosine", ours, ours_unseeded: oursUnseeded, umap_js: umapJs };
}
