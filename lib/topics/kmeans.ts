/**
 * k-means as scikit-learn's `KMeans` (algorithm "lloyd"): k-means++ seeding with 2 + ln(k) local trials,
 * Lloyd iterations until the labels stop changing or the squared centre shift falls to tol x the mean
 * feature variance, empty clusters moved to the points farthest from their centres, best of nInit runs by
 * inertia. The alternative clusterer of the topic pipeline (BERTopic's `hdbscan_model=KMeans(...)`).
 *
 * nInit: "auto" (the default, as sklearn >= 1.4) means 1 run for k-means++ and 10 for random seeding.
 * Randomness comes from the lib's seeded Rng, so results are reproducible but not numpy's.
 */
import type { Clusterer } from "./components";
import { denseMatrix, type DenseMatrix } from "../util/matrix";
import { Rng } from "../util/random";

export interface KMeansOptions {
  /** k (sklearn default 8). */
  nClusters?: number;
  /** "k-means++" (default), "random" (k distinct points), or explicit initial centres (k x d). */
  init?: "k-means++" | "random" | DenseMatrix | ArrayLike<number>[];
  /** Runs with different seeds; the lowest inertia wins. "auto": 1 for k-means++ and explicit init, 10 for random. */
  nInit?: number | "auto";
  /** Lloyd iterations per run (300). */
  maxIter?: number;
  /** Relative tolerance on the squared centre shift (1e-4), scaled by the mean feature variance. */
  tol?: number;
  /** Seed of the lib's Rng (42). */
  seed?: number;
}

interface Run {
  centers: Float64Array;
  labels: Int32Array;
  inertia: number;
  nIter: number;
}

export class KMeans implements Clusterer {
  readonly nClusters: number;
  readonly maxIter: number;
  readonly tol: number;
  readonly seed: number;
  private readonly init: "k-means++" | "random" | Float64Array;
  private readonly nInit: number;
  /** sklearn's cluster_centers_, labels_, inertia_ and n_iter_ after fit. */
  clusterCenters: DenseMatrix = denseMatrix(0, 0);
  labels: Int32Array = new Int32Array(0);
  inertia = NaN;
  nIter = 0;
  private centers64: Float64Array = new Float64Array(0);

  constructor(options: KMeansOptions = {}) {
    this.nClusters = options.nClusters ?? 8;
    if (!Number.isInteger(this.nClusters) || this.nClusters < 1) throw new Error(`KMeans: nClusters must be a positive integer, got ${this.nClusters}`);
    this.maxIter = options.maxIter ?? 300;
    if (!Number.isInteger(this.maxIter) || this.maxIter < 1) throw new Error(`KMeans: maxIter must be a positive integer, got ${this.maxIter}`);
    this.tol = options.tol ?? 1e-4;
    if (!(this.tol >= 0)) throw new Error(`KMeans: tol must be >= 0, got ${this.tol}`);
    this.seed = options.seed ?? 42;
    const init = options.init ?? "k-means++";
    if (init === "k-means++" || init === "random") this.init = init;
    else if (typeof init === "string") throw new Error(`KMeans: init must be "k-means++", "random" or an array of centres, got ${init}`);
    else {
      const rows = "data" in init && (init as DenseMatrix).data instanceof Float32Array ? (init as DenseMatrix) : null;
      const arr = rows ? Array.from({ length: rows.rows }, (_, i) => rows.data.subarray(i * rows.cols, (i + 1) * rows.cols)) : (init as ArrayLike<number>[]);
      if (arr.length !== this.nClusters) throw new Error(`KMeans: init has ${arr.length} centres for nClusters=${this.nClusters}`);
      const d = arr.length ? arr[0].length : 0;
      this.init = new Float64Array(arr.length * d);
      for (let k = 0; k < arr.length; k++) {
        if (arr[k].length !== d) throw new Error(`KMeans: init centre ${k} has ${arr[k].length} values, centre 0 has ${d}`);
        for (let j = 0; j < d; j++) {
          if (!Number.isFinite(arr[k][j])) throw new Error(`KMeans: init centre ${k} has a non-finite value`);
          this.init[k * d + j] = arr[k][j];
        }
      }
    }
    const nInit = options.nInit ?? "auto";
    this.nInit = nInit === "auto" ? (this.init === "random" ? 10 : 1) : nInit;
    if (!Number.isInteger(this.nInit) || this.nInit < 1) throw new Error(`KMeans: nInit must be "auto" or a positive integer, got ${nInit}`);
  }

  fitPredict(x: DenseMatrix): Int32Array {
    this.fit(x);
    return this.labels;
  }

  fit(x: DenseMatrix): this {
    const { rows: n, cols: d } = x;
    const k = this.nClusters;
    if (n < k) throw new Error(`KMeans: ${n} samples for nClusters=${k}; need at least as many samples as clusters`);
    if (this.init instanceof Float64Array && this.init.length !== k * d) {
      throw new Error(`KMeans: init centres have ${this.init.length / k} columns, the data ${d}`);
    }
    // Centre the data as sklearn does (better rounding); centres are shifted back at the end.
    const mean = new Float64Array(d);
    const xs = new Float64Array(n * d);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < d; j++) {
        const v = x.data[i * d + j];
        if (!Number.isFinite(v)) throw new Error(`KMeans: value at [${i}, ${j}] is ${v}`);
        mean[j] += v;
      }
    }
    for (let j = 0; j < d; j++) mean[j] /= n;
    let variance = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < d; j++) {
        const v = x.data[i * d + j] - mean[j];
        xs[i * d + j] = v;
        variance += v * v;
      }
    }
    // sklearn's _tolerance: mean over features of the variance, times tol.
    const tol = d > 0 ? (variance / n / d) * this.tol : 0;
    const rng = new Rng(this.seed);
    let best: Run | undefined;
    for (let run = 0; run < this.nInit; run++) {
      const init = this.initialCenters(xs, n, d, rng, mean);
      const result = lloyd(xs, n, d, k, init, this.maxIter, tol);
      if (!best || result.inertia < best.inertia) best = result;
    }
    const centers = best!.centers;
    for (let c = 0; c < k; c++) for (let j = 0; j < d; j++) centers[c * d + j] += mean[j];
    this.centers64 = centers;
    this.clusterCenters = denseMatrix(k, d, Float32Array.from(centers));
    this.labels = best!.labels;
    this.inertia = best!.inertia;
    this.nIter = best!.nIter;
    return this;
  }

  private initialCenters(xs: Float64Array, n: number, d: number, rng: Rng, mean: Float64Array): Float64Array {
    const k = this.nClusters;
    if (this.init instanceof Float64Array) {
      const c = Float64Array.from(this.init);
      for (let i = 0; i < k; i++) for (let j = 0; j < d; j++) c[i * d + j] -= mean[j];
      return c;
    }
    if (this.init === "random") {
      // k distinct samples (a partial Fisher-Yates shuffle).
      const ids = Int32Array.from({ length: n }, (_, i) => i);
      const c = new Float64Array(k * d);
      for (let i = 0; i < k; i++) {
        const j = i + rng.int(n - i);
        const t = ids[i];
        ids[i] = ids[j];
        ids[j] = t;
        c.set(xs.subarray(ids[i] * d, ids[i] * d + d), i * d);
      }
      return c;
    }
    return kMeansPlusPlus(xs, n, d, k, rng);
  }

  /** Index of the nearest centre for each new point. */
  predict(x: DenseMatrix): Int32Array {
    const k = this.nClusters;
    const d = this.clusterCenters.cols;
    if (this.clusterCenters.rows !== k) throw new Error("KMeans.predict: call fit first");
    if (x.cols !== d) throw new Error(`KMeans.predict: points have ${x.cols} columns, the centres ${d}`);
    const labels = new Int32Array(x.rows);
    for (let i = 0; i < x.rows; i++) {
      let bestD = Infinity;
      for (let c = 0; c < k; c++) {
        let s = 0;
        for (let j = 0; j < d; j++) {
          const t = x.data[i * d + j] - this.centers64[c * d + j];
          s += t * t;
        }
        if (s < bestD) {
          bestD = s;
          labels[i] = c;
        }
      }
      if (!Number.isFinite(bestD)) throw new Error(`KMeans.predict: row ${i} has a non-finite value`);
    }
    return labels;
  }
}

/** sklearn's _kmeans_plusplus: each new centre is the best of 2 + ln(k) D^2-sampled candidates. */
function kMeansPlusPlus(xs: Float64Array, n: number, d: number, k: number, rng: Rng): Float64Array {
  const centers = new Float64Array(k * d);
  const trials = 2 + Math.floor(Math.log(k));
  const sqDist = (i: number, c: Float64Array, co: number): number => {
    let s = 0;
    for (let j = 0; j < d; j++) {
      const t = xs[i * d + j] - c[co + j];
      s += t * t;
    }
    return s;
  };
  const first = rng.int(n);
  centers.set(xs.subarray(first * d, first * d + d), 0);
  let closest = new Float64Array(n);
  let potential = 0;
  for (let i = 0; i < n; i++) potential += closest[i] = sqDist(i, centers, 0);
  const cumulative = new Float64Array(n);
  let candidateDist = new Float64Array(n);
  let bestDist = new Float64Array(n);
  for (let c = 1; c < k; c++) {
    let acc = 0;
    for (let i = 0; i < n; i++) cumulative[i] = acc += closest[i];
    let bestPot = Infinity;
    let bestId = -1;
    for (let t = 0; t < trials; t++) {
      const r = rng.random() * potential;
      // searchsorted (left), clipped to the last index as sklearn.
      let lo = 0;
      let hi = n - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cumulative[mid] < r) lo = mid + 1;
        else hi = mid;
      }
      const id = lo;
      let pot = 0;
      for (let i = 0; i < n; i++) {
        const dd = Math.min(closest[i], sqDist(i, xs, id * d));
        candidateDist[i] = dd;
        pot += dd;
      }
      if (pot < bestPot) {
        bestPot = pot;
        bestId = id;
        [bestDist, candidateDist] = [candidateDist, bestDist];
      }
    }
    centers.set(xs.subarray(bestId * d, bestId * d + d), c * d);
    potential = bestPot;
    [closest, bestDist] = [bestDist, closest];
  }
  return centers;
}

/** Lloyd iterations from `init` (k x d, centred data), as sklearn's _kmeans_single_lloyd. */
function lloyd(xs: Float64Array, n: number, d: number, k: number, init: Float64Array, maxIter: number, tol: number): Run {
  let centers = Float64Array.from(init);
  let next = new Float64Array(k * d);
  const counts = new Float64Array(k);
  const labels = new Int32Array(n).fill(-1);
  const labelsOld = new Int32Array(n).fill(-1);
  const dist = new Float64Array(n);
  const assign = (c: Float64Array): void => {
    for (let i = 0; i < n; i++) {
      let bestD = Infinity;
      let best = 0;
      for (let m = 0; m < k; m++) {
        let s = 0;
        for (let j = 0; j < d; j++) {
          const t = xs[i * d + j] - c[m * d + j];
          s += t * t;
        }
        if (s < bestD) {
          bestD = s;
          best = m;
        }
      }
      labels[i] = best;
      dist[i] = bestD;
    }
  };
  let iter = 0;
  let strict = false;
  for (; iter < maxIter; ) {
    assign(centers);
    next.fill(0);
    counts.fill(0);
    for (let i = 0; i < n; i++) {
      const m = labels[i];
      counts[m]++;
      for (let j = 0; j < d; j++) next[m * d + j] += xs[i * d + j];
    }
    relocateEmptyClusters(xs, d, k, labels, dist, next, counts);
    let shift = 0;
    for (let m = 0; m < k; m++) {
      for (let j = 0; j < d; j++) {
        const v = counts[m] > 0 ? next[m * d + j] / counts[m] : centers[m * d + j];
        next[m * d + j] = v;
        const t = v - centers[m * d + j];
        shift += t * t;
      }
    }
    [centers, next] = [next, centers];
    iter++;
    let same = true;
    for (let i = 0; i < n && same; i++) same = labels[i] === labelsOld[i];
    if (same) {
      strict = true;
      break;
    }
    if (shift <= tol) break;
    labelsOld.set(labels);
  }
  // As sklearn: unless the labels converged exactly, reassign them to the final centres.
  if (!strict) assign(centers);
  let inertia = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    const m = labels[i];
    for (let j = 0; j < d; j++) {
      const t = xs[i * d + j] - centers[m * d + j];
      s += t * t;
    }
    inertia += s;
  }
  return { centers, labels: Int32Array.from(labels), inertia, nIter: iter };
}

/** sklearn's _relocate_empty_clusters_dense: each empty cluster takes one of the farthest points. */
function relocateEmptyClusters(xs: Float64Array, d: number, k: number, labels: Int32Array, dist: Float64Array, sums: Float64Array, counts: Float64Array): void {
  const empty: number[] = [];
  for (let m = 0; m < k; m++) if (counts[m] === 0) empty.push(m);
  if (!empty.length) return;
  const far = Array.from(dist.keys()).sort((a, b) => dist[b] - dist[a] || a - b).slice(0, empty.length);
  empty.forEach((m, e) => {
    const p = far[e];
    const old = labels[p];
    for (let j = 0; j < d; j++) {
      sums[old * d + j] -= xs[p * d + j];
      sums[m * d + j] = xs[p * d + j];
    }
    counts[m] = 1;
    counts[old] -= 1;
  });
}
