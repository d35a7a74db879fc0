import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { HDBSCAN } from "../lib/topics/hdbscan";
import { allPointsMembershipVectors, clusterExemplars, membershipVector } from "../lib/topics/hdbscan-soft";
import { Rng } from "../lib/util/random";
import type { DenseMatrix } from "../lib/util/matrix";
import { hdbscanFromReference } from "./helpers/hdbscan-reference";

const matrix = (rows: number[][]): DenseMatrix => ({ rows: rows.length, cols: rows.length ? rows[0].length : 0, data: Float32Array.from(rows.flat()) });

/** Seeded Gaussian blobs (point i in blob i % centers, centres uniform in [-box, box]) then `noise` uniform points. */
function blobsWithNoise(n: number, dim: number, centers: number, noise: number, seed: number): DenseMatrix {
  const rng = new Rng(seed);
  const box = 10;
  const c = Array.from({ length: centers * dim }, () => (rng.random() * 2 - 1) * box);
  const data = new Float32Array((n + noise) * dim);
  for (let i = 0; i < n; i++) {
    for (let d = 0; d < dim; d++) {
      const normal = Math.sqrt(-2 * Math.log(1 - rng.random())) * Math.cos(2 * Math.PI * rng.random());
      data[i * dim + d] = c[(i % centers) * dim + d] + normal;
    }
  }
  for (let i = n * dim; i < (n + noise) * dim; i++) data[i] = (rng.random() * 2 - 1) * box * 1.3;
  return { rows: n + noise, cols: dim, data };
}

function rowSum(m: DenseMatrix, i: number): number {
  let s = 0;
  for (let j = 0; j < m.cols; j++) s += m.data[i * m.cols + j];
  return s;
}

function rowArgMax(m: DenseMatrix, i: number): number {
  let best = 0;
  for (let j = 1; j < m.cols; j++) if (m.data[i * m.cols + j] > m.data[i * m.cols + best]) best = j;
  return best;
}

function maxAbsDiff(m: DenseMatrix, ref: number[][]): number {
  assert.equal(m.rows, ref.length);
  let worst = 0;
  for (let i = 0; i < m.rows; i++) {
    assert.equal(ref[i].length, m.cols);
    for (let j = 0; j < m.cols; j++) worst = Math.max(worst, Math.abs(m.data[i * m.cols + j] - ref[i][j]));
  }
  return worst;
}

test("soft clustering equals the numpy reference (all points, new points, exemplars) on 6 datasets", () => {
  const file = path.join(__dirname, "fixtures/clustering/hdbscan_soft_reference.json");
  const sets = JSON.parse(fs.readFileSync(file, "utf8"));
  assert.ok(sets.length >= 6);
  let overall = 0;
  for (const s of sets) {
    const h = hdbscanFromReference(s.params);
    const labels = h.fitPredict(matrix(s.x));
    assert.deepEqual(Array.from(labels), s.labels, `${s.name}: hard labels`);
    assert.deepEqual(h.predictionData()!.selectedClusters, s.selected, `${s.name}: selected clusters`);
    assert.deepEqual(clusterExemplars(h).map((e) => Array.from(e)), s.exemplars, `${s.name}: exemplars`);
    const all = allPointsMembershipVectors(h);
    const fresh = membershipVector(h, matrix(s.new_points));
    const dAll = maxAbsDiff(all, s.all_points_membership);
    const dNew = maxAbsDiff(fresh, s.membership_vector);
    console.log(`${s.name}: ${all.cols} clusters, max |diff| all points ${dAll.toExponential(1)}, new points ${dNew.toExponential(1)}`);
    assert.ok(dAll <= 1e-6, `${s.name}: all_points_membership_vectors off by ${dAll}`);
    assert.ok(dNew <= 1e-6, `${s.name}: membership_vector off by ${dNew}`);
    overall = Math.max(overall, dAll, dNew);
  }
  console.log(`overall max |diff| ${overall.toExponential(2)}`);
});

test("soft clustering properties on 5-d blobs with noise: row sums, argmax vs labels, exemplars, predict", () => {
  const x = blobsWithNoise(900, 5, 6, 100, 3);
  const h = new HDBSCAN({ minClusterSize: 10 });
  const labels = h.fitPredict(x);
  const all = allPointsMembershipVectors(h);
  const k = h.predictionData()!.selectedClusters.length;
  assert.ok(k >= 4, `clusters ${k}`);
  assert.equal(all.rows, x.rows);
  assert.equal(all.cols, k);
  for (const v of all.data) assert.ok(Number.isFinite(v) && v >= 0 && v <= 1 + 1e-6, `value ${v}`);
  let clustered = 0;
  let agree = 0;
  let worstSum = 0;
  for (let i = 0; i < x.rows; i++) {
    const sum = rowSum(all, i);
    assert.ok(sum <= 1 + 1e-6 && sum > 0, `row ${i} sums to ${sum}`);
    if (labels[i] < 0) continue;
    clustered++;
    if (rowArgMax(all, i) === labels[i]) agree++;
    // For a clustered point the in-cluster probability reduces to its hard membership strength.
    worstSum = Math.max(worstSum, Math.abs(sum - h.probabilities[i]));
  }
  console.log(`blobs: ${k} clusters, argmax = label for ${agree}/${clustered}, max |row sum - probability| ${worstSum.toExponential(1)}`);
  assert.ok(agree >= 0.95 * clustered, `argmax agreed on ${agree}/${clustered}`);
  assert.ok(worstSum <= 1e-5, `row sums differ from probabilities_ by ${worstSum}`);
  // An exemplar is nearest (distance 0) to its own cluster and deepest in it.
  const exemplars = clusterExemplars(h);
  assert.equal(exemplars.length, k);
  exemplars.forEach((ids, c) => {
    assert.ok(ids.length > 0, `cluster ${c} has no exemplars`);
    for (const e of ids) {
      assert.equal(labels[e], c, `exemplar ${e} of cluster ${c} has label ${labels[e]}`);
      assert.equal(rowArgMax(all, e), c, `exemplar ${e} argmax`);
    }
  });
  // New points: finite, rows <= 1, argmax = approximate_predict's label for most of the clustered ones.
  // The first 300 training points (same seed), each moved a little.
  const fresh = blobsWithNoise(300, 5, 6, 0, 3);
  const shifted: DenseMatrix = { rows: fresh.rows, cols: 5, data: fresh.data.map((v, i) => v + 0.1 * Math.sin(i)) };
  const mv = membershipVector(h, shifted);
  const pred = h.approximatePredict(shifted);
  assert.equal(mv.rows, 300);
  assert.equal(mv.cols, k);
  let predAgree = 0;
  let predClustered = 0;
  for (let i = 0; i < mv.rows; i++) {
    const sum = rowSum(mv, i);
    assert.ok(Number.isFinite(sum) && sum <= 1 + 1e-6 && sum >= 0, `new row ${i} sums to ${sum}`);
    if (pred.labels[i] < 0) continue;
    predClustered++;
    if (rowArgMax(mv, i) === pred.labels[i]) predAgree++;
  }
  console.log(`new points: argmax = approximate_predict label for ${predAgree}/${predClustered}`);
  assert.ok(predAgree >= 0.95 * predClustered, `new points argmax agreed on ${predAgree}/${predClustered}`);
});

test("no selected cluster gives 0 columns; cosine and duplicates stay finite; bad input is rejected", () => {
  // 40 uniform points with min_cluster_size 25: no split can make two clusters of 25.
  const rng = new Rng(5);
  const flat = matrix(Array.from({ length: 40 }, () => [rng.random(), rng.random()]));
  const h = new HDBSCAN({ minClusterSize: 25 });
  assert.ok(h.fitPredict(flat).every((l) => l === -1));
  const all = allPointsMembershipVectors(h);
  assert.deepEqual([all.rows, all.cols, all.data.length], [40, 0, 0]);
  const mv = membershipVector(h, matrix([[0.5, 0.5], [2, 2]]));
  assert.deepEqual([mv.rows, mv.cols], [2, 0]);
  assert.deepEqual(clusterExemplars(h), []);

  // A single training point: no tree at all.
  const one = new HDBSCAN({ minClusterSize: 2 });
  one.fit(matrix([[1, 2]]));
  assert.deepEqual([allPointsMembershipVectors(one).rows, allPointsMembershipVectors(one).cols], [1, 0]);

  // Cosine metric, with whole groups of identical rows (infinite lambdas) and new points equal to them.
  const rows: number[][] = [];
  for (let g = 0; g < 3; g++) {
    const base = [Math.cos(g * 2), Math.sin(g * 2), 0.3 * g + 0.1];
    for (let r = 0; r < 12; r++) rows.push(base);
    for (let r = 0; r < 15; r++) rows.push(base.map((v) => v + 0.05 * (rng.random() - 0.5)));
  }
  const c = new HDBSCAN({ minClusterSize: 8, minSamples: 4, metric: "cosine" });
  const cl = c.fitPredict(matrix(rows));
  const ca = allPointsMembershipVectors(c);
  assert.ok(ca.cols >= 2, `cosine clusters ${ca.cols}`);
  for (const v of ca.data) assert.ok(Number.isFinite(v) && v >= 0 && v <= 1 + 1e-6);
  const cm = membershipVector(c, matrix([rows[0], rows[27], rows[60]]));
  for (const v of cm.data) assert.ok(Number.isFinite(v) && v >= 0 && v <= 1 + 1e-6);
  // As the hard probabilities_: a point leaving a cluster whose deepest lambda is infinite gets 0.
  for (let i = 0; i < ca.rows; i++) if (cl[i] >= 0) assert.ok(Math.abs(rowSum(ca, i) - c.probabilities[i]) <= 1e-5, `cosine row ${i}`);

  const unfitted = new HDBSCAN();
  assert.throws(() => allPointsMembershipVectors(unfitted), /not fitted/);
  assert.throws(() => membershipVector(c, matrix([[1, 2]])), /2 columns, the fit data had 3/);
  assert.throws(() => membershipVector(c, matrix([[1, NaN, 2]])), /finite/);
});
