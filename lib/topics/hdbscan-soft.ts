/**
 * Soft clustering for HDBSCAN, with the semantics of the `hdbscan` library's
 * `all_points_membership_vectors` (fit data) and `membership_vector` (new points), which BERTopic calls
 * when `calculate_probabilities=True`: a points x clusters matrix whose row i says how much point i
 * belongs to each selected cluster (columns in label order 0..k-1), each row summing to the point's
 * probability of being in some cluster.
 *
 * Three parts, as in the library ("How Soft Clustering for HDBSCAN Works"):
 * - distance: 1 / (distance to the nearest exemplar of each cluster), normalised to sum 1. The exemplars
 *   of a selected cluster are the points of each leaf cluster under it that stay until the leaf's largest
 *   lambda. A point at distance 0 from a cluster's exemplars gets DBL_MAX / k there.
 * - outlier: how high in the condensed tree the point merges with each cluster. The merge height with
 *   cluster c is the point's own lambda when c and the point's cluster lie on one branch (one is an
 *   ancestor of the other, or they are equal), else the lambda at which the two branches split. A softmax
 *   of a per-cluster score turns the heights into a distribution.
 * - in some cluster: the largest merge height over the clusters divided by that cluster's largest lambda
 *   (or the point's lambda when that is larger).
 *
 * The library computes the two entry points differently, and this module mirrors both:
 * - all points: score exp(-(maxLambda + 1e-8) / height), where maxLambda is the largest lambda of the
 *   point's own cluster; the softmax shift is the largest score of the whole matrix; the two vectors are
 *   multiplied as they are.
 * - new points: the point joins the tree beside its nearest training point in mutual reachability (as in
 *   approximate_predict) at lambda = min(1 / that distance, the neighbour's lambda); the score is
 *   maxLambda / (maxLambda - height) (a denominator <= 0 counts as 1e-8), the height taken with the
 *   lambda rounded to float32 (the library's Cython signature); the softmax is per row; the product is
 *   distance^0.5 * outlier^2; the in-cluster probability adds 1e-8 to its denominator.
 *
 * Where the library yields NaN (infinite lambdas, from duplicated points whose core distance is 0:
 * Infinity / Infinity), this module takes the limit instead: a ratio of two infinite lambdas counts as 1
 * (the point sits at its cluster's deepest level), and a softmax whose largest score is infinite shares
 * the mass among its infinite entries. With no selected cluster the result has 0 columns (the library
 * returns zeros for the fit data and fails for new points).
 */
import type { DenseMatrix } from "../util/matrix";
import { HDBSCAN, toPoints, type CondensedTree, type HDBSCANPredictionData } from "./hdbscan";
import { squaredDistance } from "./kdtree";

const DBL_MAX = Number.MAX_VALUE;

/** a / b for lambdas, with Infinity / Infinity taken as 1 (both at the deepest level). */
function lambdaRatio(a: number, b: number): number {
  return a === Infinity && b === Infinity ? 1 : a / b;
}

/** The condensed tree as per-cluster and per-point arrays, plus the selected clusters' exemplars. */
class SoftTree {
  readonly n: number;
  /** Indexed by cluster id - n. */
  readonly parent: Int32Array;
  readonly birth: Float64Array;
  readonly depth: Int32Array;
  /** Largest lambda of any row leaving the cluster (hdbscan's leaf_max_lambdas). */
  readonly maxLambda: Float64Array;
  readonly pointParent: Int32Array;
  readonly pointLambda: Float64Array;
  readonly clusters: readonly number[];
  /** Exemplar point ids of each selected cluster. */
  readonly exemplars: Int32Array[];
  /** Merge heights against each selected cluster, by point cluster id - n: NaN = on one branch. */
  private readonly splitCache = new Map<number, Float64Array>();

  constructor(t: CondensedTree, n: number, clusters: readonly number[]) {
    this.n = n;
    this.clusters = clusters;
    let count = 1;
    for (let i = 0; i < t.parent.length; i++) count = Math.max(count, t.parent[i] - n + 1, t.child[i] - n + 1);
    this.parent = new Int32Array(count).fill(-1);
    this.birth = new Float64Array(count);
    this.depth = new Int32Array(count);
    this.maxLambda = new Float64Array(count);
    this.pointParent = new Int32Array(n).fill(-1);
    this.pointLambda = new Float64Array(n);
    const children: number[][] = Array.from({ length: count }, () => []);
    for (let i = 0; i < t.parent.length; i++) {
      const p = t.parent[i] - n;
      const c = t.child[i];
      if (t.lambda[i] > this.maxLambda[p]) this.maxLambda[p] = t.lambda[i];
      if (c >= n) {
        this.parent[c - n] = t.parent[i];
        this.birth[c - n] = t.lambda[i];
        children[p].push(c);
      } else {
        this.pointParent[c] = t.parent[i];
        this.pointLambda[c] = t.lambda[i];
      }
    }
    // A child cluster always has a larger id than its parent, so one ascending pass sets every depth.
    for (let k = 1; k < count; k++) if (this.parent[k] >= 0) this.depth[k] = this.depth[this.parent[k] - n] + 1;

    // Exemplars: in every leaf cluster under a selected cluster, the points leaving at the leaf's max lambda.
    const leafPoints: number[][] = Array.from({ length: count }, () => []);
    for (let i = 0; i < t.parent.length; i++) {
      const p = t.parent[i] - n;
      if (t.child[i] < n && children[p].length === 0 && t.lambda[i] === this.maxLambda[p]) leafPoints[p].push(t.child[i]);
    }
    this.exemplars = clusters.map((c) => {
      const ids: number[] = [];
      const stack = [c];
      while (stack.length) {
        const k = stack.pop()!;
        if (children[k - n].length === 0) ids.push(...leafPoints[k - n]);
        else stack.push(...children[k - n]);
      }
      return Int32Array.from(ids.sort((a, b) => a - b));
    });
  }

  /**
   * For a point's cluster, per selected cluster: NaN when the two lie on one branch of the tree (the merge
   * height is then the point's own lambda), else the lambda at which their branches split.
   */
  splits(pointCluster: number): Float64Array {
    const cached = this.splitCache.get(pointCluster);
    if (cached) return cached;
    const n = this.n;
    const out = new Float64Array(this.clusters.length);
    this.clusters.forEach((c, j) => {
      let a = pointCluster;
      let b = c;
      let aMoved = false;
      let bMoved = false;
      let lastChild = -1;
      while (a !== b) {
        // Lift the deeper side (either side at equal depth); the last one lifted is a child of the meeting point.
        if (this.depth[a - n] >= this.depth[b - n]) {
          lastChild = a;
          a = this.parent[a - n];
          aMoved = true;
        } else {
          lastChild = b;
          b = this.parent[b - n];
          bMoved = true;
        }
      }
      out[j] = aMoved && bMoved ? this.birth[lastChild - n] : NaN;
    });
    this.splitCache.set(pointCluster, out);
    return out;
  }

  /** Merge heights of a point (its cluster, its lambda) with every selected cluster, into `out`. */
  heights(pointCluster: number, lambda: number, out: Float64Array): Float64Array {
    const s = this.splits(pointCluster);
    for (let j = 0; j < s.length; j++) out[j] = Number.isNaN(s[j]) ? lambda : s[j];
    return out;
  }
}

interface SoftModel {
  data: HDBSCANPredictionData;
  tree: SoftTree;
  /** Squared Euclidean (of unit rows for cosine) to the metric's distance, as HDBSCAN's. */
  distance: (w2: number) => number;
}

/** The fitted pieces, or null when the model was fitted on < 2 points (no tree: every point noise). */
function softModel(model: HDBSCAN, what: string): SoftModel | null {
  if (!(model instanceof HDBSCAN)) throw new Error(`${what}: expected a fitted HDBSCAN model`);
  const data = model.predictionData();
  if (!data) {
    if (!model.condensedTree) throw new Error(`${what}: the HDBSCAN model is not fitted; call fit or fitPredict first`);
    return null;
  }
  const t = model.condensedTree!;
  const tree = new SoftTree(t, data.tree.size, data.selectedClusters);
  const distance = model.options.metric === "cosine" ? (w2: number) => w2 / 2 : Math.sqrt;
  return { data, tree, distance };
}

/** The distance part into `out`: 1 / min distance to each cluster's exemplars, normalised. */
function distanceMembership(m: SoftModel, query: Float64Array, q: number, out: Float64Array): void {
  const { points, dim } = m.data;
  const k = out.length;
  let sum = 0;
  for (let j = 0; j < k; j++) {
    let best = Infinity;
    for (const e of m.tree.exemplars[j]) {
      const d2 = squaredDistance(query, q, points, e, dim);
      if (d2 < best) best = d2;
    }
    const d = m.distance(best);
    out[j] = d !== 0 ? 1 / d : DBL_MAX / k;
    sum += out[j];
  }
  for (let j = 0; j < k; j++) out[j] /= sum;
}

/** exp(s - max s) normalised, in place; an infinite max shares the mass among the infinite entries. */
function softmaxRow(s: Float64Array, shift: number): void {
  let sum = 0;
  for (let j = 0; j < s.length; j++) {
    s[j] = shift === Infinity ? (s[j] === Infinity ? 1 : 0) : Math.exp(s[j] - shift);
    sum += s[j];
  }
  for (let j = 0; j < s.length; j++) s[j] /= sum;
}

/** Largest non-NaN value (numpy's nanmax), -Infinity when there is none. */
function nanMax(s: Float64Array, from = 0, to = s.length): number {
  let m = -Infinity;
  for (let j = from; j < to; j++) if (s[j] > m) m = s[j];
  return m;
}

/** Index of the first largest value (numpy's argmax on NaN-free input). */
function argMax(s: Float64Array): number {
  let best = 0;
  for (let j = 1; j < s.length; j++) if (s[j] > s[best]) best = j;
  return best;
}

/**
 * hdbscan's `prediction_data_.exemplars`, as point indices: for each selected cluster (label order), the
 * points of every leaf cluster under it that stay until that leaf's largest lambda. Empty before a fit
 * on >= 2 points or without clusters.
 */
export function clusterExemplars(model: HDBSCAN): Int32Array[] {
  const m = softModel(model, "clusterExemplars");
  return m ? m.tree.exemplars.map((e) => Int32Array.from(e)) : [];
}

/**
 * hdbscan's `all_points_membership_vectors`: for every point the model was fitted on (rows, in input
 * order), its membership in each selected cluster (columns, labels 0..k-1); row sums are the probability
 * of being in some cluster (<= 1). No selected cluster -> a rows x 0 matrix.
 */
export function allPointsMembershipVectors(model: HDBSCAN): DenseMatrix {
  const m = softModel(model, "allPointsMembershipVectors");
  const rows = model.labels.length;
  const k = m ? m.tree.clusters.length : 0;
  if (!m || k === 0) return { rows, cols: 0, data: new Float32Array(0) };
  const { tree } = m;
  const n = tree.n;
  const dist = new Float64Array(n * k);
  const outlier = new Float64Array(n * k);
  const inCluster = new Float64Array(n);
  const h = new Float64Array(k);
  for (let p = 0; p < n; p++) {
    const o = p * k;
    distanceMembership(m, m.data.points, p, dist.subarray(o, o + k));
    const pc = tree.pointParent[p];
    const lambda = tree.pointLambda[p];
    tree.heights(pc, lambda, h);
    const maxLambda = tree.maxLambda[pc - n] + 1e-8;
    for (let j = 0; j < k; j++) outlier[o + j] = Math.exp(-lambdaRatio(maxLambda, h[j]));
    const best = argMax(h);
    inCluster[p] = lambdaRatio(h[best], Math.max(tree.maxLambda[tree.clusters[best] - n], lambda));
  }
  // The library shifts the softmax by the largest score of the whole matrix (scores lie in [0, 1]).
  const shift = nanMax(outlier);
  const out = new Float32Array(n * k);
  for (let p = 0; p < n; p++) {
    const row = outlier.subarray(p * k, (p + 1) * k);
    softmaxRow(row, shift);
    let sum = 0;
    for (let j = 0; j < k; j++) {
      row[j] *= dist[p * k + j];
      sum += row[j];
    }
    for (let j = 0; j < k; j++) out[p * k + j] = (row[j] / sum) * inCluster[p];
  }
  return { rows: n, cols: k, data: out };
}

/**
 * hdbscan's `membership_vector`: soft membership of new points (rows) in each selected cluster of a
 * fitted model (columns, labels 0..k-1), placing each point in the condensed tree as approximatePredict
 * does without changing it. No selected cluster -> a rows x 0 matrix.
 */
export function membershipVector(model: HDBSCAN, points: DenseMatrix): DenseMatrix {
  const m = softModel(model, "membershipVector");
  if (!points || !(points.data instanceof Float32Array)) throw new Error("membershipVector: points must be a DenseMatrix (rows, cols, data: Float32Array)");
  if (m && points.cols !== m.data.dim) {
    throw new Error(`membershipVector: new points have ${points.cols} columns, the fit data had ${m.data.dim}`);
  }
  const query = toPoints(points, model.options.metric, "membershipVector");
  const rows = points.rows;
  const k = m ? m.tree.clusters.length : 0;
  if (!m || k === 0) return { rows, cols: 0, data: new Float32Array(0) };
  const { tree, data, distance } = m;
  const n = tree.n;
  const minSamples = model.options.minSamples;
  // The library asks for 2 * min_samples neighbours; a small fit set has fewer.
  const kn = Math.min(2 * minSamples, n);
  const knn = rows > 0 ? data.tree.knn(query, rows, kn) : null;
  const out = new Float32Array(rows * k);
  const dist = new Float64Array(k);
  const outlier = new Float64Array(k);
  const h = new Float64Array(k);
  for (let i = 0; i < rows; i++) {
    const o = i * kn;
    // The nearest training point in mutual reachability (the first of equals, as numpy's argmin).
    const ownCore = distance(knn!.squaredDistances[o + Math.min(minSamples, kn - 1)]);
    let best = Infinity;
    let neighbor = -1;
    for (let j = 0; j < kn; j++) {
      const q = knn!.indices[o + j];
      const mr = Math.max(distance(data.coreDistances2[q]), ownCore, distance(knn!.squaredDistances[o + j]));
      if (mr < best) {
        best = mr;
        neighbor = q;
      }
    }
    let lambda = best > 0 ? 1 / best : DBL_MAX;
    if (tree.pointLambda[neighbor] <= lambda) lambda = tree.pointLambda[neighbor];
    const pc = tree.pointParent[neighbor];

    distanceMembership(m, query, i, dist);

    // Outlier part: the library passes lambda as a C float here.
    tree.heights(pc, Math.fround(lambda), h);
    const maxLambda = tree.maxLambda[pc - n];
    for (let j = 0; j < k; j++) {
      if (maxLambda === Infinity) {
        // Limits of maxLambda / (maxLambda - h): 1 for a finite h; at the top (h infinite too) as h = maxLambda.
        outlier[j] = h[j] === Infinity ? Infinity : 1;
      } else {
        const denominator = maxLambda - h[j];
        outlier[j] = maxLambda / (denominator <= 0 ? 1e-8 : denominator);
      }
    }
    softmaxRow(outlier, nanMax(outlier));

    let sum = 0;
    for (let j = 0; j < k; j++) {
      dist[j] = Math.sqrt(dist[j]) * (outlier[j] * outlier[j]);
      sum += dist[j];
    }
    tree.heights(pc, lambda, h);
    const top = argMax(h);
    const inCluster = lambdaRatio(h[top], Math.max(lambda, tree.maxLambda[tree.clusters[top] - n]) + 1e-8);
    for (let j = 0; j < k; j++) out[i * k + j] = (dist[j] / sum) * inCluster;
  }
  return { rows, cols: k, data: out };
}
