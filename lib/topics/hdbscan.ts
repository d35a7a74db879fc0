/**
 * HDBSCAN (Campello, Moulavi & Sander 2013) with the semantics and defaults of McInnes et al.'s `hdbscan`
 * Python library (the one BERTopic uses): core distances from a KD-tree, the minimum spanning tree of the
 * mutual reachability graph by Boruvka over the same tree (O(n) memory), the single-linkage tree, the
 * condensed tree, excess-of-mass or leaf selection, labels with -1 for noise, `probabilities_`, GLOSH
 * `outlier_scores_`, and `approximate_predict` for new points.
 *
 * Deliberate choices where the library is not deterministic:
 * - Equal mutual-reachability weights are frequent (every edge leaving a sparse point weighs its core
 *   distance). The library's MST and edge sort break such ties arbitrarily (and its default Boruvka is
 *   approximate); here every edge is ordered by (weight, smaller endpoint, larger endpoint), a strict total
 *   order, so the MST and the tree are unique and reproducible (tests/fixtures/clustering checks this
 *   against an independent brute-force implementation that uses the same order).
 * - `min_samples` follows the library's code, not its docstring: the core distance is the distance to the
 *   min_samples-th nearest *other* point (a k = min_samples + 1 query that includes the point itself).
 */
import type { Clusterer } from "./components";
import type { DenseMatrix } from "../util/matrix";
import { KDTree, squaredDistance, type KnnResult } from "./kdtree";

export interface HDBSCANOptions {
  /** Smallest group that counts as a cluster (library default 5; BERTopic passes min_topic_size = 10). */
  minClusterSize?: number;
  /** Neighbours for the core distance; default minClusterSize. */
  minSamples?: number;
  /** "eom" (excess of mass, default) or "leaf". */
  clusterSelectionMethod?: "eom" | "leaf";
  /** Clusters split below this distance are merged back (0 = off). */
  clusterSelectionEpsilon?: number;
  /** EOM never selects a cluster born at a distance above this (default Infinity). */
  clusterSelectionEpsilonMax?: number;
  /** EOM never selects a cluster larger than this (0 = no limit). */
  maxClusterSize?: number;
  /** Lets EOM return the root as the single cluster (default false). */
  allowSingleCluster?: boolean;
  /** "euclidean" (default) or "cosine" (1 - cosine similarity, as the library's generic path). */
  metric?: "euclidean" | "cosine";
  /** KD-tree leaf size (default 16). */
  leafSize?: number;
}

/** hdbscan's `condensed_tree_` in raw form: one row per point or cluster leaving its parent cluster. */
export interface CondensedTree {
  readonly parent: Int32Array;
  readonly child: Int32Array;
  /** 1 / distance at which the child leaves the parent (Infinity at distance 0). */
  readonly lambda: Float64Array;
  readonly childSize: Int32Array;
}

/** scipy-style single-linkage tree: row i merges `left[i]` and `right[i]` into node n + i. */
export interface SingleLinkageTree {
  readonly left: Int32Array;
  readonly right: Int32Array;
  readonly distance: Float64Array;
  readonly size: Int32Array;
}

/** Minimum spanning tree edges (a < b), sorted by (weight, a, b); `squaredWeight` is in squared distance. */
export interface SpanningTree {
  readonly a: Int32Array;
  readonly b: Int32Array;
  readonly squaredWeight: Float64Array;
}

/** Edge u is before edge v in the strict total order (weight, smaller endpoint, larger endpoint). */
function edgeBefore(w: number, a: number, b: number, W: number, A: number, B: number): boolean {
  return w < W || (w === W && (a < A || (a === A && b < B)));
}

/**
 * The minimum spanning tree of the mutual reachability graph, where the weight of (p, q) is
 * max(core2[p], core2[q], |p - q|^2) (squared distances: same order, no square roots), by Boruvka rounds:
 * each component finds its lightest outgoing edge with a KD-tree search that skips nodes lying entirely
 * inside the component and nodes whose lower bound exceeds the component's best edge so far.
 */
export function mutualReachabilityMst(tree: KDTree, core2: Float64Array, knn?: KnnResult): SpanningTree {
  const n = tree.size;
  const { points, dim, index, left, right, start, end, nodeCount } = tree;
  const outA = new Int32Array(Math.max(0, n - 1));
  const outB = new Int32Array(Math.max(0, n - 1));
  const outW = new Float64Array(Math.max(0, n - 1));
  if (n <= 1) return { a: outA, b: outB, squaredWeight: outW };

  // The smallest core distance under each node: a lower bound on any edge into it.
  const nodeMinCore = new Float64Array(nodeCount);
  for (let m = nodeCount - 1; m >= 0; m--) {
    if (left[m] < 0) {
      let v = Infinity;
      for (let t = start[m]; t < end[m]; t++) v = Math.min(v, core2[index[t]]);
      nodeMinCore[m] = v;
    } else nodeMinCore[m] = Math.min(nodeMinCore[left[m]], nodeMinCore[right[m]]);
  }

  const uf = new Int32Array(n);
  for (let i = 0; i < n; i++) uf[i] = i;
  const find = (x: number): number => {
    let r = x;
    while (uf[r] !== r) r = uf[r];
    while (uf[x] !== r) {
      const nx = uf[x];
      uf[x] = r;
      x = nx;
    }
    return r;
  };

  const comp = new Int32Array(n);
  const nodeComp = new Int32Array(nodeCount);
  const bestW = new Float64Array(n);
  const bestA = new Int32Array(n);
  const bestB = new Int32Array(n);
  // A lower bound on each point's lightest edge out of its component; it only grows as components merge.
  const pointLowerBound = Float64Array.from(core2);
  // Each point's best partner found last round: often still a valid (and good) edge next round.
  const partner = new Int32Array(n).fill(-1);
  const stack = new Int32Array(64 + 2 * nodeCount);
  let edges = 0;

  const offer = (c: number, w: number, p: number, q: number): void => {
    const a = p < q ? p : q;
    const b = p < q ? q : p;
    if (edgeBefore(w, a, b, bestW[c], bestA[c], bestB[c])) {
      bestW[c] = w;
      bestA[c] = a;
      bestB[c] = b;
    }
  };
  const weight = (p: number, q: number): number => {
    const d2 = squaredDistance(points, p, points, q, dim);
    const cp = core2[p];
    const cq = core2[q];
    return d2 > cp ? (d2 > cq ? d2 : cq) : cp > cq ? cp : cq;
  };

  while (edges < n - 1) {
    for (let i = 0; i < n; i++) comp[i] = find(i);
    for (let m = nodeCount - 1; m >= 0; m--) {
      if (left[m] < 0) {
        const c = comp[index[start[m]]];
        let same = true;
        for (let t = start[m] + 1; t < end[m] && same; t++) same = comp[index[t]] === c;
        nodeComp[m] = same ? c : -1;
      } else {
        const c = nodeComp[left[m]];
        nodeComp[m] = c >= 0 && c === nodeComp[right[m]] ? c : -1;
      }
    }
    for (let i = 0; i < n; i++) {
      if (comp[i] !== i) continue;
      bestW[i] = Infinity;
      bestA[i] = 0x7fffffff;
      bestB[i] = 0x7fffffff;
    }
    // Seed the bounds with cheap candidate edges: last round's partners and the k nearest neighbours.
    for (let p = 0; p < n; p++) {
      const c = comp[p];
      const q = partner[p];
      if (q >= 0 && comp[q] !== c) offer(c, weight(p, q), p, q);
      if (knn) {
        for (let j = 0; j < knn.k; j++) {
          const r = knn.indices[p * knn.k + j];
          if (comp[r] !== c) offer(c, weight(p, r), p, r);
        }
      }
    }
    // The exact search, point by point in tree order (neighbours share bounds).
    for (let t = 0; t < n; t++) {
      const p = index[t];
      const c = comp[p];
      if (pointLowerBound[p] > bestW[c]) continue;
      const cp = core2[p];
      let ownW = Infinity;
      let ownQ = -1;
      let top = 0;
      stack[top++] = 0;
      while (top > 0) {
        const m = stack[--top];
        if (nodeComp[m] === c) continue;
        const box = tree.boxDistance(points, p, m);
        let lb = box > cp ? box : cp;
        if (nodeMinCore[m] > lb) lb = nodeMinCore[m];
        if (lb > bestW[c]) continue;
        const l = left[m];
        if (l < 0) {
          for (let u = start[m]; u < end[m]; u++) {
            const q = index[u];
            if (comp[q] === c) continue;
            const w = weight(p, q);
            if (w < ownW || (w === ownW && q < ownQ)) {
              ownW = w;
              ownQ = q;
            }
            offer(c, w, p, q);
          }
          continue;
        }
        const r = right[m];
        if (tree.boxDistance(points, p, l) <= tree.boxDistance(points, p, r)) {
          stack[top++] = r;
          stack[top++] = l;
        } else {
          stack[top++] = l;
          stack[top++] = r;
        }
      }
      // Everything not visited weighs more than the final bound; everything visited at least ownW.
      pointLowerBound[p] = Math.min(ownW, bestW[c]);
      partner[p] = ownQ;
    }
    let added = 0;
    for (let c = 0; c < n; c++) {
      if (comp[c] !== c || bestW[c] === Infinity) continue;
      const a = bestA[c];
      const b = bestB[c];
      const ra = find(a);
      const rb = find(b);
      if (ra === rb) continue; // the other component chose the same edge
      uf[ra] = rb;
      outA[edges] = a;
      outB[edges] = b;
      outW[edges] = bestW[c];
      edges++;
      added++;
    }
    if (added === 0) throw new Error("HDBSCAN: minimum spanning tree did not progress (internal error)");
  }
  return sortEdges({ a: outA, b: outB, squaredWeight: outW });
}

/** The edges sorted by (weight, a, b). */
export function sortEdges(t: SpanningTree): SpanningTree {
  const m = t.a.length;
  const order = Array.from({ length: m }, (_, i) => i);
  order.sort((i, j) => t.squaredWeight[i] - t.squaredWeight[j] || t.a[i] - t.a[j] || t.b[i] - t.b[j]);
  return {
    a: Int32Array.from(order, (i) => t.a[i]),
    b: Int32Array.from(order, (i) => t.b[i]),
    squaredWeight: Float64Array.from(order, (i) => t.squaredWeight[i]),
  };
}

/**
 * The single-linkage tree from sorted MST edges (hdbscan's `label`): each edge merges the components of
 * its endpoints (a's side on the left) into a new node n + i. `distance` maps a squared weight to a distance.
 */
export function singleLinkage(n: number, mst: SpanningTree, distance: (w2: number) => number): SingleLinkageTree {
  const m = mst.a.length;
  const parent = new Int32Array(2 * n - 1 > 0 ? 2 * n - 1 : 0);
  for (let i = 0; i < parent.length; i++) parent[i] = i;
  const sizes = new Int32Array(parent.length).fill(1);
  const find = (x: number): number => {
    let r = x;
    while (parent[r] !== r) r = parent[r];
    while (parent[x] !== r) {
      const nx = parent[x];
      parent[x] = r;
      x = nx;
    }
    return r;
  };
  const left = new Int32Array(m);
  const right = new Int32Array(m);
  const dist = new Float64Array(m);
  const size = new Int32Array(m);
  for (let i = 0; i < m; i++) {
    const ra = find(mst.a[i]);
    const rb = find(mst.b[i]);
    left[i] = ra;
    right[i] = rb;
    dist[i] = distance(mst.squaredWeight[i]);
    size[i] = sizes[ra] + sizes[rb];
    const node = n + i;
    parent[ra] = node;
    parent[rb] = node;
    sizes[node] = size[i];
  }
  return { left, right, distance: dist, size };
}

/**
 * hdbscan's `condense_tree`: walks the single-linkage tree from the root, breadth first; a split into two
 * parts of at least minClusterSize points makes two new clusters, otherwise the small part's points fall
 * out of the current cluster at lambda = 1 / distance. Clusters are numbered n (root), n + 1, ... in
 * that walk's order, so a child always has a larger id than its parent.
 */
export function condenseTree(slt: SingleLinkageTree, minClusterSize: number): CondensedTree {
  const m = slt.left.length;
  const n = m + 1;
  const parent: number[] = [];
  const child: number[] = [];
  const lambda: number[] = [];
  const childSize: number[] = [];
  const emit = (p: number, c: number, l: number, s: number): void => {
    parent.push(p);
    child.push(c);
    lambda.push(l);
    childSize.push(s);
  };
  const count = (node: number): number => (node >= n ? slt.size[node - n] : 1);
  const pointsBelow: number[] = [];
  const emitPoints = (node: number, cluster: number, l: number): void => {
    pointsBelow.length = 0;
    pointsBelow.push(node);
    while (pointsBelow.length) {
      const x = pointsBelow.pop()!;
      if (x < n) emit(cluster, x, l, 1);
      else pointsBelow.push(slt.right[x - n], slt.left[x - n]);
    }
  };
  if (m === 0) return { parent: new Int32Array(0), child: new Int32Array(0), lambda: new Float64Array(0), childSize: new Int32Array(0) };
  const root = 2 * m;
  const relabel = new Int32Array(root + 1);
  relabel[root] = n;
  let nextLabel = n + 1;
  const queue = new Int32Array(m);
  let head = 0;
  let tail = 0;
  queue[tail++] = root;
  while (head < tail) {
    const node = queue[head++];
    const row = node - n;
    const l = slt.left[row];
    const r = slt.right[row];
    const d = slt.distance[row];
    const lam = d > 0 ? 1 / d : Infinity;
    const lc = count(l);
    const rc = count(r);
    const here = relabel[node];
    if (lc >= minClusterSize && rc >= minClusterSize) {
      relabel[l] = nextLabel++;
      emit(here, relabel[l], lam, lc);
      relabel[r] = nextLabel++;
      emit(here, relabel[r], lam, rc);
      if (l >= n) queue[tail++] = l;
      if (r >= n) queue[tail++] = r;
    } else if (lc < minClusterSize && rc < minClusterSize) {
      emitPoints(l, here, lam);
      emitPoints(r, here, lam);
    } else if (lc < minClusterSize) {
      relabel[r] = here;
      emitPoints(l, here, lam);
      if (r >= n) queue[tail++] = r;
    } else {
      relabel[l] = here;
      emitPoints(r, here, lam);
      if (l >= n) queue[tail++] = l;
    }
  }
  return {
    parent: Int32Array.from(parent),
    child: Int32Array.from(child),
    lambda: Float64Array.from(lambda),
    childSize: Int32Array.from(childSize),
  };
}

/** The per-cluster view of a condensed tree that selection, labelling and prediction need. */
interface ClusterTable {
  n: number;
  root: number;
  count: number;
  /** Indexed by cluster id - n. */
  birth: Float64Array;
  parent: Int32Array;
  size: Int32Array;
  children: number[][];
  /** Largest lambda of any row whose parent is the cluster (hdbscan's `max_lambdas`). */
  maxLambda: Float64Array;
  stability: Float64Array;
  pointParent: Int32Array;
  pointLambda: Float64Array;
}

function clusterTable(t: CondensedTree, n: number): ClusterTable {
  let count = 1;
  for (let i = 0; i < t.parent.length; i++) count = Math.max(count, t.parent[i] - n + 1, t.child[i] - n + 1);
  const birth = new Float64Array(count);
  const parent = new Int32Array(count).fill(-1);
  const size = new Int32Array(count);
  const maxLambda = new Float64Array(count);
  const stability = new Float64Array(count);
  const children: number[][] = Array.from({ length: count }, () => []);
  const pointParent = new Int32Array(n).fill(-1);
  const pointLambda = new Float64Array(n);
  for (let i = 0; i < t.parent.length; i++) {
    const c = t.child[i];
    const p = t.parent[i] - n;
    if (t.lambda[i] > maxLambda[p]) maxLambda[p] = t.lambda[i];
    if (c >= n) {
      birth[c - n] = t.lambda[i];
      parent[c - n] = t.parent[i];
      size[c - n] = t.childSize[i];
      children[p].push(c);
    } else {
      pointParent[c] = t.parent[i];
      pointLambda[c] = t.lambda[i];
    }
  }
  // Stability (hdbscan's compute_stability): sum over rows of (lambda - birth of parent) * child size.
  for (let i = 0; i < t.parent.length; i++) {
    const p = t.parent[i] - n;
    stability[p] += (t.lambda[i] - birth[p]) * t.childSize[i];
  }
  return { n, root: n, count, birth, parent, size, children, maxLambda, stability, pointParent, pointLambda };
}

/** hdbscan's `traverse_upwards`: the first ancestor of `leaf` born above the epsilon distance. */
function traverseUpwards(tab: ClusterTable, epsilon: number, leaf: number, allowSingleCluster: boolean): number {
  const parent = tab.parent[leaf - tab.n];
  if (parent === tab.root) return allowSingleCluster ? parent : leaf;
  if (1 / tab.birth[parent - tab.n] > epsilon) return parent;
  return traverseUpwards(tab, epsilon, parent, allowSingleCluster);
}

/** hdbscan's `epsilon_search`, iterating the candidate clusters in ascending id order. */
function epsilonSearch(tab: ClusterTable, candidates: number[], epsilon: number, allowSingleCluster: boolean): Set<number> {
  const selected = new Set<number>();
  const processed = new Set<number>();
  for (const leaf of [...candidates].sort((a, b) => a - b)) {
    if (1 / tab.birth[leaf - tab.n] < epsilon) {
      if (processed.has(leaf)) continue;
      const chosen = traverseUpwards(tab, epsilon, leaf, allowSingleCluster);
      selected.add(chosen);
      for (const sub of clustersBelow(tab, chosen)) if (sub !== chosen) processed.add(sub);
    } else selected.add(leaf);
  }
  return selected;
}

function clustersBelow(tab: ClusterTable, cluster: number): number[] {
  const out = [cluster];
  for (let i = 0; i < out.length; i++) out.push(...tab.children[out[i] - tab.n]);
  return out;
}

interface Selection {
  /** Selected cluster ids, ascending: label k is selected[k]. */
  selected: number[];
  labels: Int32Array;
  probabilities: Float32Array;
  outlierScores: Float32Array;
}

/** hdbscan's `get_clusters` (+ `do_labelling`, `get_probabilities`, `outlier_scores`). */
function selectClusters(t: CondensedTree, tab: ClusterTable, opts: Required<HDBSCANOptions>): Selection {
  const { n, root } = tab;
  const isCluster = new Uint8Array(tab.count);
  if (t.parent.length > 0) {
    const stability = Float64Array.from(tab.stability);
    const hasClusterRows = tab.children[0].length > 0;
    if (opts.clusterSelectionMethod === "eom") {
      const sizes = Int32Array.from(tab.size);
      const eps = Float64Array.from(tab.birth, (b) => 1 / b);
      if (opts.allowSingleCluster) {
        sizes[0] = tab.children[0].reduce((s, c) => s + tab.size[c - n], 0);
        let minLambda = Infinity;
        for (let i = 0; i < t.lambda.length; i++) minLambda = Math.min(minLambda, t.lambda[i]);
        eps[0] = 1 / minLambda;
      }
      const maxSize = opts.maxClusterSize > 0 ? opts.maxClusterSize : n + 1;
      const last = opts.allowSingleCluster ? 0 : 1;
      for (let k = tab.count - 1; k >= last; k--) isCluster[k] = 1;
      // Children have larger ids than parents, so descending ids visit every subtree before its root.
      for (let k = tab.count - 1; k >= last; k--) {
        let sub = 0;
        for (const c of tab.children[k]) sub += stability[c - n];
        // The library accumulates this sum in a C float; rounding it the same way keeps near-ties alike.
        sub = Math.fround(sub);
        if (sub > stability[k] || sizes[k] > maxSize || eps[k] > opts.clusterSelectionEpsilonMax) {
          isCluster[k] = 0;
          stability[k] = sub;
        } else {
          for (const below of clustersBelow(tab, k + n)) if (below !== k + n) isCluster[below - n] = 0;
        }
      }
      if (opts.clusterSelectionEpsilon !== 0 && hasClusterRows) {
        const eom: number[] = [];
        for (let k = 0; k < tab.count; k++) if (isCluster[k]) eom.push(k + n);
        let chosen = new Set<number>();
        if (eom.length === 1 && eom[0] === root) {
          if (opts.allowSingleCluster) chosen = new Set(eom);
        } else chosen = epsilonSearch(tab, eom, opts.clusterSelectionEpsilon, opts.allowSingleCluster);
        isCluster.fill(0);
        for (const c of chosen) isCluster[c - n] = 1;
      }
    } else {
      const leaves: number[] = [];
      if (hasClusterRows) for (const c of clustersBelow(tab, root)) if (tab.children[c - n].length === 0) leaves.push(c);
      const chosen = opts.clusterSelectionEpsilon !== 0 && leaves.length > 0
        ? epsilonSearch(tab, leaves, opts.clusterSelectionEpsilon, opts.allowSingleCluster)
        : new Set(leaves);
      for (const c of chosen) isCluster[c - n] = 1;
    }
  }
  const selected: number[] = [];
  const labelOf = new Int32Array(tab.count).fill(-1);
  for (let k = 0; k < tab.count; k++) {
    if (isCluster[k]) {
      labelOf[k] = selected.length;
      selected.push(k + n);
    }
  }

  const labels = new Int32Array(n).fill(-1);
  const probabilities = new Float32Array(n);
  const singleRoot = selected.length === 1 && opts.allowSingleCluster && isCluster[0] === 1;
  for (let p = 0; p < n; p++) {
    let c = tab.pointParent[p];
    if (c < 0) continue; // n = 1: no tree
    while (c !== root && !isCluster[c - n]) c = tab.parent[c - n];
    const lam = tab.pointLambda[p];
    if (c === root) {
      if (!singleRoot) continue;
      const threshold = opts.clusterSelectionEpsilon !== 0 ? 1 / opts.clusterSelectionEpsilon : tab.maxLambda[0];
      if (!(lam >= threshold)) continue;
    }
    labels[p] = labelOf[c - n];
    const maxLambda = tab.maxLambda[c - n];
    probabilities[p] = maxLambda === 0 || !Number.isFinite(lam) ? 1 : Math.min(lam, maxLambda) / maxLambda;
  }

  // GLOSH: 1 - lambda(point) / (largest lambda anywhere below the cluster the point leaves).
  const deepest = Float64Array.from(tab.maxLambda);
  for (let k = tab.count - 1; k > 0; k--) {
    const p = tab.parent[k] - n;
    if (deepest[k] > deepest[p]) deepest[p] = deepest[k];
  }
  const outlierScores = new Float32Array(n);
  for (let p = 0; p < n; p++) {
    if (tab.pointParent[p] < 0) continue;
    const lmax = deepest[tab.pointParent[p] - n];
    const lam = tab.pointLambda[p];
    // The library divides Infinity by Infinity here (NaN); the limit of the score is 1.
    if (lmax === 0 || !Number.isFinite(lam)) outlierScores[p] = 0;
    else outlierScores[p] = Number.isFinite(lmax) ? (lmax - lam) / lmax : 1;
  }
  return { selected, labels, probabilities, outlierScores };
}

/** Converts the input to float64 rows, rejecting non-finite values (and zero rows for cosine). */
export function toPoints(x: DenseMatrix, metric: "euclidean" | "cosine", what: string): Float64Array {
  if (!x || !(x.data instanceof Float32Array) || x.data.length !== x.rows * x.cols) {
    throw new Error(`${what}: expected a DenseMatrix (rows, cols, data: Float32Array)`);
  }
  const { rows, cols, data } = x;
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    let norm = 0;
    for (let j = 0; j < cols; j++) {
      const v = data[i * cols + j];
      if (!Number.isFinite(v)) throw new Error(`${what}: value at [${i}, ${j}] is ${v}; HDBSCAN needs finite inputs`);
      out[i * cols + j] = v;
      norm += v * v;
    }
    if (metric === "cosine") {
      if (norm === 0) throw new Error(`${what}: row ${i} is all zeros; the cosine distance is undefined for it`);
      const s = 1 / Math.sqrt(norm);
      for (let j = 0; j < cols; j++) out[i * cols + j] *= s;
    }
  }
  return out;
}

/**
 * What soft clustering (hdbscan-soft.ts) reads from a fitted model, as hdbscan's `prediction_data_`:
 * the fit data, its KD-tree, the prediction core distances and the selected clusters in label order.
 */
export interface HDBSCANPredictionData {
  /** The fit data as float64 rows (unit rows for the cosine metric), n x dim. */
  readonly points: Float64Array;
  readonly dim: number;
  readonly tree: KDTree;
  /** Squared core distances as PredictionData has them (k = min_samples, the point itself counted). */
  readonly coreDistances2: Float64Array;
  /** Condensed-tree ids of the selected clusters: label k is selectedClusters[k]. */
  readonly selectedClusters: readonly number[];
}

/** What approximatePredict returns: labels (-1 noise) and membership strengths, as hdbscan's. */
export interface HDBSCANPrediction {
  labels: Int32Array;
  probabilities: Float32Array;
}

/**
 * HDBSCAN as a pipeline Clusterer. `fitPredict` returns hdbscan's `labels_`; after it, `probabilities`,
 * `outlierScores`, `condensedTree` and `singleLinkageTree` hold the library's `probabilities_`,
 * `outlier_scores_`, `condensed_tree_` and `single_linkage_tree_`; `predict` is `approximate_predict`.
 */
export class HDBSCAN implements Clusterer {
  readonly options: Required<HDBSCANOptions>;
  labels: Int32Array = new Int32Array(0);
  probabilities: Float32Array = new Float32Array(0);
  outlierScores: Float32Array = new Float32Array(0);
  condensedTree?: CondensedTree;
  singleLinkageTree?: SingleLinkageTree;
  /** Core distances (library's definition: to the min_samples-th nearest other point). */
  coreDistances: Float64Array = new Float64Array(0);
  private fitted?: {
    points: Float64Array;
    dim: number;
    tree: KDTree;
    /** Squared core distances as hdbscan's PredictionData has them (k = min_samples, self included). */
    predictionCore2: Float64Array;
    table: ClusterTable;
    /** Label of each cluster id - n for the selected clusters and everything below them, else -1. */
    clusterLabel: Int32Array;
    /** Largest lambda of the selected cluster above each cluster id - n. */
    clusterMaxLambda: Float64Array;
    hasClusterTree: boolean;
    selected: number[];
  };

  constructor(options: HDBSCANOptions = {}) {
    const minClusterSize = options.minClusterSize ?? 5;
    const minSamples = options.minSamples ?? minClusterSize;
    if (!Number.isInteger(minClusterSize) || minClusterSize < 2) {
      throw new Error(`HDBSCAN: minClusterSize must be an integer >= 2, got ${minClusterSize}`);
    }
    if (!Number.isInteger(minSamples) || minSamples < 1) throw new Error(`HDBSCAN: minSamples must be an integer >= 1, got ${minSamples}`);
    const method = options.clusterSelectionMethod ?? "eom";
    if (method !== "eom" && method !== "leaf") throw new Error(`HDBSCAN: clusterSelectionMethod must be "eom" or "leaf", got ${method}`);
    const metric = options.metric ?? "euclidean";
    if (metric !== "euclidean" && metric !== "cosine") throw new Error(`HDBSCAN: metric must be "euclidean" or "cosine", got ${metric}`);
    const epsilon = options.clusterSelectionEpsilon ?? 0;
    const epsilonMax = options.clusterSelectionEpsilonMax ?? Infinity;
    if (!(epsilon >= 0)) throw new Error(`HDBSCAN: clusterSelectionEpsilon must be >= 0, got ${epsilon}`);
    if (!(epsilonMax >= epsilon)) throw new Error(`HDBSCAN: clusterSelectionEpsilonMax (${epsilonMax}) must be >= clusterSelectionEpsilon (${epsilon})`);
    const leafSize = options.leafSize ?? 16;
    if (!Number.isInteger(leafSize) || leafSize < 1) throw new Error(`HDBSCAN: leafSize must be a positive integer, got ${leafSize}`);
    this.options = {
      minClusterSize,
      minSamples,
      clusterSelectionMethod: method,
      clusterSelectionEpsilon: epsilon,
      clusterSelectionEpsilonMax: epsilonMax,
      maxClusterSize: options.maxClusterSize ?? 0,
      allowSingleCluster: options.allowSingleCluster ?? false,
      metric,
      leafSize,
    };
  }

  /** Maps a squared Euclidean distance (of unit vectors, for cosine) to the metric's distance. */
  private distance(w2: number): number {
    return this.options.metric === "cosine" ? w2 / 2 : Math.sqrt(w2);
  }

  /** Fits and returns the labels (-1 for noise). */
  fitPredict(x: DenseMatrix): Int32Array {
    this.fit(x);
    return this.labels;
  }

  /** Fits the model: labels, probabilities, outlier scores, trees and the data approximatePredict needs. */
  fit(x: DenseMatrix): this {
    const opts = this.options;
    const points = toPoints(x, opts.metric, "HDBSCAN.fit");
    const n = x.rows;
    const dim = x.cols;
    this.fitted = undefined;
    if (n <= 1) {
      // No edge to build a tree from: a lone point is noise.
      this.labels = new Int32Array(n).fill(-1);
      this.probabilities = new Float32Array(n);
      this.outlierScores = new Float32Array(n);
      this.coreDistances = new Float64Array(n);
      this.condensedTree = condenseTree({ left: new Int32Array(0), right: new Int32Array(0), distance: new Float64Array(0), size: new Int32Array(0) }, 2);
      return this;
    }
    // As the library: min_samples is capped at n - 1 (and at least 1).
    const minSamples = Math.max(1, Math.min(n - 1, opts.minSamples));
    const tree = new KDTree(points, n, dim, opts.leafSize);
    const knn = tree.knn(points, n, minSamples + 1);
    const core2 = new Float64Array(n);
    const predictionCore2 = new Float64Array(n);
    const predK = Math.min(opts.minSamples, n);
    for (let i = 0; i < n; i++) {
      core2[i] = knn.squaredDistances[i * knn.k + minSamples];
      predictionCore2[i] = knn.squaredDistances[i * knn.k + predK - 1];
    }
    this.coreDistances = Float64Array.from(core2, (c) => this.distance(c));
    const mst = mutualReachabilityMst(tree, core2, knn);
    const slt = singleLinkage(n, mst, (w2) => this.distance(w2));
    const condensed = condenseTree(slt, opts.minClusterSize);
    const table = clusterTable(condensed, n);
    const sel = selectClusters(condensed, table, opts);
    this.labels = sel.labels;
    this.probabilities = sel.probabilities;
    this.outlierScores = sel.outlierScores;
    this.singleLinkageTree = slt;
    this.condensedTree = condensed;

    const clusterLabel = new Int32Array(table.count).fill(-1);
    const clusterMaxLambda = new Float64Array(table.count);
    sel.selected.forEach((c, label) => {
      for (const sub of clustersBelow(table, c)) {
        clusterLabel[sub - n] = label;
        clusterMaxLambda[sub - n] = table.maxLambda[c - n];
      }
    });
    this.fitted = { points, dim, tree, predictionCore2, table, clusterLabel, clusterMaxLambda, hasClusterTree: table.children[0].length > 0, selected: sel.selected };
    return this;
  }

  /** The data soft clustering needs (hdbscan's prediction_data_); undefined before fit or after a fit on < 2 points. */
  predictionData(): HDBSCANPredictionData | undefined {
    const f = this.fitted;
    if (!f) return undefined;
    return { points: f.points, dim: f.dim, tree: f.tree, coreDistances2: f.predictionCore2, selectedClusters: f.selected };
  }

  /** Labels for new points (hdbscan's approximate_predict). */
  predict(x: DenseMatrix): Int32Array {
    return this.approximatePredict(x).labels;
  }

  /**
   * hdbscan's `approximate_predict`: each new point joins the condensed tree next to its nearest training
   * point in mutual reachability (among its 2 * min_samples nearest), at lambda = 1 / that distance,
   * without changing the clustering; it gets the selected cluster above that spot, or -1.
   */
  approximatePredict(x: DenseMatrix): HDBSCANPrediction {
    const f = this.fitted;
    if (!f) throw new Error("HDBSCAN.predict: call fit or fitPredict first (with at least 2 points)");
    if (x.cols !== f.dim) throw new Error(`HDBSCAN.predict: new points have ${x.cols} columns, the fit data had ${f.dim}`);
    const query = toPoints(x, this.options.metric, "HDBSCAN.predict");
    const rows = x.rows;
    const labels = new Int32Array(rows).fill(-1);
    const probabilities = new Float32Array(rows);
    if (!f.hasClusterTree || rows === 0) return { labels, probabilities };
    const n = f.tree.size;
    const minSamples = this.options.minSamples;
    const k = Math.min(2 * minSamples, n);
    const knn = f.tree.knn(query, rows, k);
    const tab = f.table;
    for (let i = 0; i < rows; i++) {
      const o = i * k;
      const ownCore2 = knn.squaredDistances[o + Math.min(minSamples, k - 1)];
      let best = Infinity;
      let neighbor = -1;
      for (let j = 0; j < k; j++) {
        const q = knn.indices[o + j];
        const d2 = knn.squaredDistances[o + j];
        const w = Math.max(d2, ownCore2, f.predictionCore2[q]);
        if (w < best) {
          best = w;
          neighbor = q;
        }
      }
      const dist = this.distance(best);
      const lam = dist > 0 ? 1 / dist : Number.MAX_VALUE;
      let cluster = tab.pointParent[neighbor];
      if (tab.pointLambda[neighbor] > lam) {
        while (cluster > tab.root && tab.birth[cluster - n] >= lam) cluster = tab.parent[cluster - n];
      }
      const label = f.clusterLabel[cluster - n];
      if (label < 0) continue;
      labels[i] = label;
      const maxLambda = f.clusterMaxLambda[cluster - n];
      probabilities[i] = maxLambda > 0 ? Math.min(maxLambda, lam) / maxLambda : 1;
    }
    return { labels, probabilities };
  }
}
