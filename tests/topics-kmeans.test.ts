import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { KMeans } from "../lib/topics/kmeans";
import {
  adjustedRandScore,
  homogeneityCompletenessVMeasure,
  mutualInfoScore,
  normalizedMutualInfoScore,
} from "../lib/topics/metrics";
import { Rng } from "../lib/util/random";
import type { DenseMatrix } from "../lib/util/matrix";

const ref = JSON.parse(fs.readFileSync(path.join(__dirname, "fixtures/clustering/kmeans_metrics_reference.json"), "utf8"));
const matrix = (rows: number[][]): DenseMatrix => ({ rows: rows.length, cols: rows[0].length, data: Float32Array.from(rows.flat()) });

test("KMeans Lloyd iterations from fixed centres match scikit-learn 1.2 (centres 1e-5, labels, inertia, n_iter)", () => {
  for (const c of ref.kmeans) {
    const km = new KMeans({ nClusters: c.init.length, init: c.init, maxIter: c.max_iter });
    const labels = km.fitPredict(matrix(c.x));
    assert.deepEqual(Array.from(labels), c.labels, `${c.name}: labels`);
    let worst = 0;
    c.centers.forEach((row: number[], k: number) =>
      row.forEach((v, j) => (worst = Math.max(worst, Math.abs(km.clusterCenters.data[k * row.length + j] - v)))),
    );
    assert.ok(worst <= 1e-5, `${c.name}: centres off by ${worst}`);
    assert.ok(Math.abs(km.inertia - c.inertia) <= 1e-6 * c.inertia, `${c.name}: inertia ${km.inertia} vs ${c.inertia}`);
    assert.equal(km.nIter, c.n_iter, `${c.name}: n_iter`);
    assert.deepEqual(Array.from(km.predict(matrix(c.predict_x))), c.predict, `${c.name}: predict`);
    console.log(`${c.name}: n_iter ${km.nIter}, inertia ${km.inertia.toFixed(4)} (sklearn ${c.inertia.toFixed(4)}), max centre error ${worst.toExponential(1)}`);
  }
});

test("KMeans with k-means++ recovers separated blobs, is seeded, and rejects bad input", () => {
  const rng = new Rng(5);
  const centers = [[0, 0, 0], [10, 0, 0], [0, 10, 0], [0, 0, 10], [10, 10, 10]];
  const rows: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < 1000; i++) {
    const k = i % 5;
    y.push(k);
    rows.push(centers[k].map((v) => v + (rng.random() + rng.random() + rng.random() - 1.5)));
  }
  const x = matrix(rows);
  const a = new KMeans({ nClusters: 5, seed: 1, nInit: 3 });
  const labels = a.fitPredict(x);
  const ari = adjustedRandScore(y, labels);
  console.log(`k-means++ blobs: ARI ${ari.toFixed(4)}, inertia ${a.inertia.toFixed(2)}`);
  assert.equal(ari, 1);
  assert.deepEqual(Array.from(new KMeans({ nClusters: 5, seed: 1, nInit: 3 }).fitPredict(x)), Array.from(labels));
  const random = new KMeans({ nClusters: 5, init: "random", seed: 2 }).fit(x);
  assert.ok(random.inertia <= a.inertia * 1.0001, "10 random restarts find the same optimum");
  assert.throws(() => new KMeans({ nClusters: 5 }).fit(matrix([[1, 2], [3, 4]])), /2 samples for nClusters=5/);
  assert.throws(() => new KMeans({ nClusters: 2 }).fit(matrix([[1, 2], [NaN, 4], [0, 0]])), /NaN/);
  assert.throws(() => new KMeans({ nClusters: 2, init: [[0, 0]] }), /1 centres/);
  assert.throws(() => new KMeans({ nClusters: 0 }), /nClusters/);
});

test("clustering metrics match scikit-learn 1.2 (ARI, NMI arithmetic, MI, homogeneity, completeness, V-measure)", () => {
  for (const c of ref.metrics) {
    const close = (got: number, want: number, what: string): void =>
      assert.ok(Math.abs(got - want) <= 1e-12, `${c.name}: ${what} ${got} vs ${want}`);
    close(adjustedRandScore(c.labels_true, c.labels_pred), c.adjusted_rand_score, "ARI");
    close(normalizedMutualInfoScore(c.labels_true, c.labels_pred), c.normalized_mutual_info_score, "NMI");
    close(mutualInfoScore(c.labels_true, c.labels_pred), c.mutual_info_score, "MI");
    const h = homogeneityCompletenessVMeasure(c.labels_true, c.labels_pred);
    close(h.homogeneity, c.homogeneity, "homogeneity");
    close(h.completeness, c.completeness, "completeness");
    close(h.vMeasure, c.v_measure, "V-measure");
  }
  assert.equal(adjustedRandScore([], []), 1);
  assert.equal(normalizedMutualInfoScore([0, 0], [1, 1]), 1);
  assert.throws(() => adjustedRandScore([0, 1], [0]), /2 entries/);
});
