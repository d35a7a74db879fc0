/**
 * `npm run bench -- hdbscan`: the lib's HDBSCAN (KD-tree core distances + Boruvka MST) on seeded synthetic
 * blobs in 5-d — the shape of BERTopic's UMAP output — at 5k, 20k and 45k points, with BERTopic's
 * min_cluster_size 10; side by side, hdbscan-ts (the npm package named in the original design) at 2k and
 * 5k only (its time grows ~n^2.8), with the ARI of both against the true blob labels.
 * Flags: --sizes 5000,20000,45000  --ts-sizes 2000,5000  --min-cluster-size 10  --blobs 20.
 */
import { HDBSCAN } from "../lib/topics/hdbscan";
import { KMeans } from "../lib/topics/kmeans";
import { adjustedRandScore } from "../lib/topics/metrics";
import { Rng } from "../lib/util/random";
import type { DenseMatrix } from "../lib/util/matrix";
import { flag, round } from "./args";

/** `n` points in `blobs` Gaussian blobs in `dim`-d: centres uniform in [-20, 20], spreads 0.5..1.5. */
export function syntheticBlobs(n: number, dim: number, blobs: number, seed: number): { x: DenseMatrix; y: Int32Array } {
  const rng = new Rng(seed);
  const centers = Array.from({ length: blobs * dim }, () => (rng.random() * 2 - 1) * 20);
  const spreads = Array.from({ length: blobs }, () => 0.5 + rng.random());
  const data = new Float32Array(n * dim);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const k = rng.int(blobs);
    y[i] = k;
    for (let d = 0; d < dim; d++) {
      const normal = Math.sqrt(-2 * Math.log(1 - rng.random())) * Math.cos(2 * Math.PI * rng.random());
      data[i * dim + d] = centers[k * dim + d] + spreads[k] * normal;
    }
  }
  return { x: { rows: n, cols: dim, data }, y };
}

function summary(labels: ArrayLike<number>, y: Int32Array, seconds: number): Record<string, number> {
  let noise = 0;
  const clusters = new Set<number>();
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] < 0) noise++;
    else clusters.add(labels[i]);
  }
  return { seconds: round(seconds, 3), clusters: clusters.size, noise_fraction: round(noise / labels.length, 4), ari: round(adjustedRandScore(y, labels), 4) };
}

export async function hdbscanBench(args: string[]): Promise<Record<string, unknown>> {
  const sizes = (flag(args, "--sizes") ?? "5000,20000,45000").split(",").map(Number);
  const tsSizes = (flag(args, "--ts-sizes") ?? "2000,5000").split(",").filter(Boolean).map(Number);
  const minClusterSize = Number(flag(args, "--min-cluster-size") ?? 10);
  const blobs = Number(flag(args, "--blobs") ?? 20);
  const dim = 5;
  // JIT warm-up on a small set, so the first size is not charged for it.
  new HDBSCAN({ minClusterSize }).fitPredict(syntheticBlobs(2000, dim, blobs, 1).x);

  const ours: Record<string, unknown> = {};
  const kmeans: Record<string, unknown> = {};
  for (const n of sizes) {
    const { x, y } = syntheticBlobs(n, dim, blobs, n);
    let t0 = performance.now();
    const h = new HDBSCAN({ minClusterSize });
    const labels = h.fitPredict(x);
    ours[n] = summary(labels, y, (performance.now() - t0) / 1000);
    t0 = performance.now();
    const km = new KMeans({ nClusters: blobs, seed: 42 }).fitPredict(x);
    kmeans[n] = summary(km, y, (performance.now() - t0) / 1000);
  }

  const hdbscanTs: Record<string, unknown> = {};
  const oursSmall: Record<string, unknown> = {};
  if (tsSizes.length) {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { HDBSCAN: HdbscanTs } = require("hdbscan-ts") as { HDBSCAN: new (p: object) => { fit(d: number[][]): number[] } };
    for (const n of tsSizes) {
      const { x, y } = syntheticBlobs(n, dim, blobs, n);
      const rows = Array.from({ length: n }, (_, i) => Array.from(x.data.subarray(i * dim, (i + 1) * dim)));
      let t0 = performance.now();
      const labels = new HdbscanTs({ minClusterSize, minSamples: minClusterSize }).fit(rows);
      hdbscanTs[n] = summary(labels, y, (performance.now() - t0) / 1000);
      t0 = performance.now();
      oursSmall[n] = summary(new HDBSCAN({ minClusterSize }).fitPredict(x), y, (performance.now() - t0) / 1000);
    }
  }
  return { dim, blobs, min_cluster_size: minClusterSize, ours, ours_at_ts_sizes: oursSmall, hdbscan_ts: hdbscanTs, kmeans };
}
