/**
 * `npm run bench -- topics`: the whole BERTopic pipeline (UMAP 5-d cosine min_dist 0 -> HDBSCAN
 * min_cluster_size 10 -> CountVectorizer -> c-TF-IDF -> top words) on precomputed embeddings, as the book
 * runs it, at 5k / 20k / 45k documents: seconds per stage and in all, and the NMI of the topics against the
 * true clusters. Data: seeded synthetic 384-d "sentence embeddings" (50 clusters, bench/umap.ts) with a
 * synthetic document per point (12 words of its cluster's 10-word vocabulary, 8 from a shared pool of 500).
 * Two settings: "seeded" (UMAP random_state 42: one thread, reproducible; this lib's BERTopic default) and, at
 * --unseeded-sizes, "unseeded" — BERTopic's Python default (UMAP without random_state, whose SGD runs
 * Hogwild on all cores: umap-learn's parallel path, and what the ~53 s Colab figure in issue 5 measured).
 * Flags: --sizes 5000,20000,45000  --unseeded-sizes 45000  --clusters 50.
 */
import { BERTopic } from "../lib/topics/bertopic";
import { UMAP } from "../lib/topics/umap";
import { HDBSCAN } from "../lib/topics/hdbscan";
import { normalizedMutualInfoScore } from "../lib/topics/metrics";
import type { Clusterer, DimensionReducer } from "../lib/topics/components";
import type { DenseMatrix } from "../lib/util/matrix";
import { Rng } from "../lib/util/random";
import { syntheticEmbeddings } from "./umap";
import { flag, round } from "./args";

/** Wraps a stage to record the seconds its fit took. */
class TimedReducer implements DimensionReducer {
  seconds = 0;
  constructor(private readonly inner: DimensionReducer) {}
  fitTransform(x: DenseMatrix): DenseMatrix {
    const t = performance.now();
    const out = this.inner.fitTransform(x);
    this.seconds = (performance.now() - t) / 1000;
    return out;
  }
  transform(x: DenseMatrix): DenseMatrix {
    return this.inner.transform(x);
  }
}

class TimedClusterer implements Clusterer {
  seconds = 0;
  constructor(private readonly inner: Clusterer) {}
  get probabilities(): Float32Array | undefined {
    return this.inner.probabilities;
  }
  fitPredict(x: DenseMatrix): Int32Array {
    const t = performance.now();
    const out = this.inner.fitPredict(x);
    this.seconds = (performance.now() - t) / 1000;
    return out;
  }
  predict(x: DenseMatrix): Int32Array {
    return this.inner.predict(x);
  }
}

function syntheticDocs(y: Int32Array, seed: number): string[] {
  const rng = new Rng(seed);
  return Array.from(y, (c) => {
    const words: string[] = [];
    for (let k = 0; k < 12; k++) words.push(`topic${c}word${rng.int(10)}`);
    for (let k = 0; k < 8; k++) words.push(`common${rng.int(500)}`);
    return words.join(" ");
  });
}

export async function topicsBench(args: string[]): Promise<Record<string, unknown>> {
  const sizes = (flag(args, "--sizes") ?? "5000,20000,45000").split(",").map(Number);
  const clusters = Number(flag(args, "--clusters") ?? 50);
  const unseededSizes = (flag(args, "--unseeded-sizes") ?? "45000").split(",").filter(Boolean).map(Number);
  const run = async (n: number, seeded: boolean): Promise<Record<string, unknown>> => {
    const { x, y } = syntheticEmbeddings(n, 384, clusters, 7);
    const docs = syntheticDocs(y, 8);
    const umap = new TimedReducer(new UMAP({ nNeighbors: 15, nComponents: 5, minDist: 0, metric: "cosine", randomState: seeded ? 42 : undefined }));
    const hdbscan = new TimedClusterer(new HDBSCAN({ minClusterSize: 10, metric: "euclidean", clusterSelectionMethod: "eom" }));
    const model = new BERTopic({ umapModel: umap, hdbscanModel: hdbscan });
    const t = performance.now();
    const { topics } = await model.fitTransform(docs, x);
    const total = (performance.now() - t) / 1000;
    return {
      seconds: round(total, 2),
      umap: round(umap.seconds, 2),
      hdbscan: round(hdbscan.seconds, 2),
      representation: round(total - umap.seconds - hdbscan.seconds, 2),
      topics: model.topicIds.filter((id) => id !== -1).length,
      outliers: round(topics.filter((id) => id === -1).length / n, 4),
      nmi: round(normalizedMutualInfoScore(y, topics), 4),
    };
  };
  const seeded: Record<string, unknown> = {};
  for (const n of sizes) seeded[n] = await run(n, true);
  const unseeded: Record<string, unknown> = {};
  for (const n of unseededSizes) unseeded[n] = await run(n, false);
  return {
    dim: 384,
    clusters,
    settings: "UMAP(15, 5, min_dist 0, cosine) + HDBSCAN(min_cluster_size 10, eom) + CountVectorizer + c-TF-IDF",
    seeded,
    unseeded,
    goal_45k_seconds: 45,
  };
}
