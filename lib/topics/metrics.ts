/**
 * Clustering agreement scores, as scikit-learn's `sklearn.metrics` defines them: adjusted Rand index,
 * normalized mutual information (arithmetic mean normalisation, sklearn's default), homogeneity,
 * completeness and V-measure. Labels are any integers (HDBSCAN's -1 is just one more label, as in sklearn).
 */

interface Contingency {
  /** Counts per (true class, predicted cluster) pair that occur, with the pair's class and cluster index. */
  cells: number[];
  cellClass: number[];
  cellCluster: number[];
  classSums: number[];
  clusterSums: number[];
  n: number;
}

function contingency(labelsTrue: ArrayLike<number>, labelsPred: ArrayLike<number>, what: string): Contingency {
  if (labelsTrue.length !== labelsPred.length) {
    throw new Error(`${what}: labelsTrue has ${labelsTrue.length} entries, labelsPred ${labelsPred.length}`);
  }
  const classIds = new Map<number, number>();
  const clusterIds = new Map<number, number>();
  const cellIds = new Map<string, number>();
  const cells: number[] = [];
  const cellClass: number[] = [];
  const cellCluster: number[] = [];
  const classSums: number[] = [];
  const clusterSums: number[] = [];
  for (let i = 0; i < labelsTrue.length; i++) {
    const t = labelsTrue[i];
    const p = labelsPred[i];
    if (!Number.isFinite(t) || !Number.isFinite(p)) throw new Error(`${what}: label at ${i} is not a finite number`);
    let a = classIds.get(t);
    if (a === undefined) classIds.set(t, (a = classSums.push(0) - 1));
    let b = clusterIds.get(p);
    if (b === undefined) clusterIds.set(p, (b = clusterSums.push(0) - 1));
    classSums[a]++;
    clusterSums[b]++;
    const key = `${a},${b}`;
    const c = cellIds.get(key);
    if (c === undefined) {
      cellIds.set(key, cells.push(1) - 1);
      cellClass.push(a);
      cellCluster.push(b);
    } else cells[c]++;
  }
  return { cells, cellClass, cellCluster, classSums, clusterSums, n: labelsTrue.length };
}

/** sklearn's adjusted_rand_score: the Rand index corrected for chance (1 = identical partitions). */
export function adjustedRandScore(labelsTrue: ArrayLike<number>, labelsPred: ArrayLike<number>): number {
  const c = contingency(labelsTrue, labelsPred, "adjustedRandScore");
  // sklearn 1.2's form, from the pair confusion matrix (pairs counted in both orders).
  const sq = (xs: number[]): number => xs.reduce((s, x) => s + x * x, 0);
  const sumSquares = sq(c.cells);
  const tp = sumSquares - c.n;
  const fp = sq(c.clusterSums) - sumSquares;
  const fn = sq(c.classSums) - sumSquares;
  const tn = c.n * c.n - fp - fn - sumSquares;
  // Empty input or full agreement.
  if (fn === 0 && fp === 0) return 1;
  return (2 * (tp * tn - fn * fp)) / ((tp + fn) * (fn + tn) + (tp + fp) * (fp + tn));
}

function entropy(sums: number[], n: number): number {
  let h = 0;
  for (const s of sums) if (s > 0) h -= (s / n) * Math.log(s / n);
  return h;
}


function mutualInformation(labelsTrue: ArrayLike<number>, labelsPred: ArrayLike<number>, what: string) {
  const { cells, cellClass, cellCluster, classSums, clusterSums, n } = contingency(labelsTrue, labelsPred, what);
  let mi = 0;
  cells.forEach((nij, k) => {
    mi += (nij / n) * (Math.log(nij) + Math.log(n) - Math.log(classSums[cellClass[k]]) - Math.log(clusterSums[cellCluster[k]]));
  });
  return { mi: Math.max(0, mi), hTrue: entropy(classSums, n), hPred: entropy(clusterSums, n), classes: classSums.length, clusters: clusterSums.length, n };
}

/** sklearn's mutual_info_score (natural log). */
export function mutualInfoScore(labelsTrue: ArrayLike<number>, labelsPred: ArrayLike<number>): number {
  return mutualInformation(labelsTrue, labelsPred, "mutualInfoScore").mi;
}

/** sklearn's normalized_mutual_info_score with average_method "arithmetic": MI / mean(H(true), H(pred)). */
export function normalizedMutualInfoScore(labelsTrue: ArrayLike<number>, labelsPred: ArrayLike<number>): number {
  const m = mutualInformation(labelsTrue, labelsPred, "normalizedMutualInfoScore");
  // sklearn: both labelings a single cluster (or empty) -> perfect agreement.
  if ((m.classes === 1 && m.clusters === 1) || (m.classes === 0 && m.clusters === 0)) return 1;
  if (m.mi === 0) return 0;
  const normalizer = (m.hTrue + m.hPred) / 2;
  // sklearn clips the normaliser at float64 eps to avoid 0 / 0.
  return m.mi / Math.max(normalizer, 2.220446049250313e-16);
}

/** sklearn's homogeneity_completeness_v_measure (beta 1 by default). */
export function homogeneityCompletenessVMeasure(
  labelsTrue: ArrayLike<number>,
  labelsPred: ArrayLike<number>,
  beta = 1,
): { homogeneity: number; completeness: number; vMeasure: number } {
  const m = mutualInformation(labelsTrue, labelsPred, "homogeneityCompletenessVMeasure");
  if (m.n === 0) return { homogeneity: 1, completeness: 1, vMeasure: 1 };
  const homogeneity = m.hTrue ? m.mi / m.hTrue : 1;
  const completeness = m.hPred ? m.mi / m.hPred : 1;
  const vMeasure = homogeneity + completeness === 0 ? 0 : ((1 + beta) * homogeneity * completeness) / (beta * homogeneity + completeness);
  return { homogeneity, completeness, vMeasure };
}

export function homogeneityScore(labelsTrue: ArrayLike<number>, labelsPred: ArrayLike<number>): number {
  return homogeneityCompletenessVMeasure(labelsTrue, labelsPred).homogeneity;
}

export function completenessScore(labelsTrue: ArrayLike<number>, labelsPred: ArrayLike<number>): number {
  return homogeneityCompletenessVMeasure(labelsTrue, labelsPred).completeness;
}

export function vMeasureScore(labelsTrue: ArrayLike<number>, labelsPred: ArrayLike<number>, beta = 1): number {
  return homogeneityCompletenessVMeasure(labelsTrue, labelsPred, beta).vMeasure;
}
