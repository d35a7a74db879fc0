/**
 * Agglomerative clustering on a precomputed distance matrix (average and Ward linkage): what BERTopic's
 * `reduce_topics` runs on topic embeddings (sklearn's AgglomerativeClustering(linkage="average",
 * metric="precomputed")), and the merge tree behind the topic hierarchy chart. Topics number in the
 * tens to hundreds, so the plain O(k^3) algorithm is the clear choice.
 */

/** One merge, in scipy's `linkage` layout: clusters a and b (ids >= n are earlier merges) joined at `distance`. */
export interface Merge {
  a: number;
  b: number;
  distance: number;
  size: number;
}

function checkSquare(distances: ArrayLike<number>[]): number {
  const n = distances.length;
  distances.forEach((row, i) => {
    if (row.length !== n) throw new Error(`agglomerative: distance matrix row ${i} has ${row.length} values, expected ${n}`);
    for (let j = 0; j < n; j++) if (!Number.isFinite(row[j])) throw new Error(`agglomerative: distance [${i}, ${j}] is ${row[j]}`);
  });
  return n;
}

export type LinkageMethod = "average" | "ward";

/**
 * The full merge tree (n - 1 merges), as scipy's `linkage(squareform(distances), method)`: each step joins
 * the closest pair of clusters, and the distances to the new cluster follow Lance-Williams' update for the
 * method. "average": the mean of the members' pairwise distances (what BERTopic's reduce_topics uses);
 * "ward": the increase in within-cluster variance, sqrt(((n_i + n_k) d_ik^2 + (n_j + n_k) d_jk^2 -
 * n_k d_ij^2) / (n_i + n_j + n_k)) (BERTopic's hierarchical_topics). Ties go to the pair with the smallest
 * ids; the distance matrix is symmetrised first.
 */
export function linkage(distances: ArrayLike<number>[], method: LinkageMethod = "average"): Merge[] {
  if (method !== "average" && method !== "ward") throw new Error(`agglomerative: linkage method must be "average" or "ward", got ${JSON.stringify(method)}`);
  const n = checkSquare(distances);
  // Distances between live clusters in one (2n - 1)^2 table: ids >= n are merges, as in scipy.
  const m = Math.max(2 * n - 1, 1);
  const d = new Float64Array(m * m);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) d[i * m + j] = (Number(distances[i][j]) + Number(distances[j][i])) / 2;
  const ids: number[] = Array.from({ length: n }, (_, i) => i);
  const size = new Float64Array(m).fill(1);
  const merges: Merge[] = [];
  for (let next = n; ids.length > 1; next++) {
    let best = Infinity;
    let bi = -1;
    let bj = -1;
    for (let x = 0; x < ids.length; x++) {
      for (let y = x + 1; y < ids.length; y++) {
        const dist = d[ids[x] * m + ids[y]];
        if (dist < best - 1e-12) [best, bi, bj] = [dist, ids[x], ids[y]];
      }
    }
    const [ni, nj] = [size[bi], size[bj]];
    size[next] = ni + nj;
    merges.push({ a: Math.min(bi, bj), b: Math.max(bi, bj), distance: best, size: ni + nj });
    ids.splice(ids.indexOf(bi), 1);
    ids.splice(ids.indexOf(bj), 1);
    for (const k of ids) {
      const [dik, djk, nk] = [d[bi * m + k], d[bj * m + k], size[k]];
      const v = method === "average"
        ? (ni * dik + nj * djk) / (ni + nj)
        : Math.sqrt(Math.max(0, ((ni + nk) * dik * dik + (nj + nk) * djk * djk - nk * best * best) / (ni + nj + nk)));
      d[next * m + k] = v;
      d[k * m + next] = v;
    }
    ids.push(next);
  }
  return merges;
}

/** The merge tree under average linkage (see `linkage`). */
export function averageLinkage(distances: ArrayLike<number>[]): Merge[] {
  return linkage(distances, "average");
}

/** The ids of the leaves (0..n-1) under each merge, in merge order. */
export function mergeLeaves(merges: Merge[], n: number): number[][] {
  const leaves: number[][] = [];
  const of = (id: number): number[] => (id < n ? [id] : leaves[id - n]);
  for (const mg of merges) leaves.push([...of(mg.a), ...of(mg.b)].sort((x, y) => x - y));
  return leaves;
}

/** Cuts the tree into `nClusters` flat clusters: labels 0.. in order of each cluster's smallest member. */
export function cutTree(merges: Merge[], n: number, nClusters: number): Int32Array {
  if (!Number.isInteger(nClusters) || nClusters < 1 || nClusters > Math.max(n, 1)) {
    throw new Error(`agglomerative: nClusters must be between 1 and ${n}, got ${nClusters}`);
  }
  const parent = Int32Array.from({ length: 2 * n }, (_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i])));
  merges.slice(0, n - nClusters).forEach((m, k) => {
    parent[find(m.a)] = n + k;
    parent[find(m.b)] = n + k;
  });
  const labelOf = new Map<number, number>();
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const root = find(i);
    if (!labelOf.has(root)) labelOf.set(root, labelOf.size);
    labels[i] = labelOf.get(root)!;
  }
  return labels;
}

/** sklearn's AgglomerativeClustering(n_clusters, metric="precomputed", linkage="average").fit_predict. */
export function agglomerativeClustering(distances: ArrayLike<number>[], nClusters: number): Int32Array {
  return cutTree(averageLinkage(distances), distances.length, nClusters);
}
