/**
 * Average-linkage agglomerative clustering on a precomputed distance matrix: what BERTopic's
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

/**
 * The full merge tree (n - 1 merges) under average linkage: the distance between two clusters is the
 * mean of the pairwise distances of their members. Ties go to the pair with the smallest ids.
 */
export function averageLinkage(distances: ArrayLike<number>[]): Merge[] {
  const n = checkSquare(distances);
  // Live clusters: id -> members; pairwise average distances kept as sums over member pairs.
  const ids: number[] = Array.from({ length: n }, (_, i) => i);
  const size = new Map<number, number>(ids.map((i) => [i, 1]));
  const sum = new Map<string, number>();
  const key = (a: number, b: number) => (a < b ? `${a},${b}` : `${b},${a}`);
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) sum.set(key(i, j), (Number(distances[i][j]) + Number(distances[j][i])) / 2);
  const merges: Merge[] = [];
  let next = n;
  while (ids.length > 1) {
    let best = Infinity;
    let bi = -1;
    let bj = -1;
    for (let x = 0; x < ids.length; x++) {
      for (let y = x + 1; y < ids.length; y++) {
        const a = ids[x];
        const b = ids[y];
        const d = sum.get(key(a, b))! / (size.get(a)! * size.get(b)!);
        if (d < best - 1e-12) {
          best = d;
          bi = a;
          bj = b;
        }
      }
    }
    const merged = next++;
    const mergedSize = size.get(bi)! + size.get(bj)!;
    merges.push({ a: Math.min(bi, bj), b: Math.max(bi, bj), distance: best, size: mergedSize });
    for (const c of ids) {
      if (c === bi || c === bj) continue;
      sum.set(key(merged, c), sum.get(key(bi, c))! + sum.get(key(bj, c))!);
    }
    ids.splice(ids.indexOf(bi), 1);
    ids.splice(ids.indexOf(bj), 1);
    ids.push(merged);
    size.set(merged, mergedSize);
  }
  return merges;
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
