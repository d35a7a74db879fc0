import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { HDBSCAN, mutualReachabilityMst } from "../lib/topics/hdbscan";
import { KDTree, squaredDistance } from "../lib/topics/kdtree";
import { adjustedRandScore } from "../lib/topics/metrics";
import { Rng } from "../lib/util/random";
import type { DenseMatrix } from "../lib/util/matrix";
import { hdbscanFromReference } from "./helpers/hdbscan-reference";

/** Seeded isotropic Gaussian blobs (point i belongs to blob i % centers), centres uniform in [-box, box]. */
function blobs(n: number, dim: number, centers: number, seed: number, spread = 1, box = 20): { x: DenseMatrix; y: Int32Array } {
  const rng = new Rng(seed);
  const c = Array.from({ length: centers * dim }, () => (rng.random() * 2 - 1) * box);
  const data = new Float32Array(n * dim);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % centers;
    for (let d = 0; d < dim; d++) {
      const normal = Math.sqrt(-2 * Math.log(1 - rng.random())) * Math.cos(2 * Math.PI * rng.random());
      data[i * dim + d] = c[y[i] * dim + d] + spread * normal;
    }
  }
  return { x: { rows: n, cols: dim, data }, y };
}

const matrix = (rows: number[][]): DenseMatrix => ({ rows: rows.length, cols: rows.length ? rows[0].length : 0, data: Float32Array.from(rows.flat()) });
const countNoise = (labels: Int32Array): number => labels.reduce((s, l) => s + (l < 0 ? 1 : 0), 0);

test("HDBSCAN finds 5 Gaussian blobs in 5-d (2,000 points): ARI >= 0.95, little noise; predict agrees", () => {
  const { x, y } = blobs(2000, 5, 5, 1);
  const h = new HDBSCAN({ minClusterSize: 10 });
  const labels = h.fitPredict(x);
  const ari = adjustedRandScore(y, labels);
  const noise = countNoise(labels);
  console.log(`blobs: ARI ${ari.toFixed(4)}, clusters ${new Set(labels).size - (noise ? 1 : 0)}, noise ${noise}`);
  assert.ok(ari >= 0.95, `ARI ${ari}`);
  assert.ok(noise <= 40, `noise ${noise}`);
  assert.equal(h.probabilities.length, 2000);
  for (const p of h.probabilities) assert.ok(p >= 0 && p <= 1);
  // New points drawn from the same blobs get the label their blob got.
  const again = blobs(2200, 5, 5, 1); // same centres; the last 200 points are new draws
  const newPoints = { rows: 200, cols: 5, data: again.x.data.slice(2000 * 5) };
  const blobLabel = new Map<number, number>();
  for (let i = 0; i < 2000; i++) if (labels[i] >= 0) blobLabel.set(y[i], labels[i]);
  const predicted = h.predict(newPoints);
  let agree = 0;
  for (let i = 0; i < 200; i++) if (predicted[i] === blobLabel.get(again.y[2000 + i])) agree++;
  assert.ok(agree >= 190, `predict agreed on ${agree}/200`);
});

test("HDBSCAN equals the brute-force Python reference exactly (labels, probabilities, GLOSH, approximate_predict)", () => {
  const file = path.join(__dirname, "fixtures/clustering/hdbscan_reference.json");
  const sets = JSON.parse(fs.readFileSync(file, "utf8"));
  assert.ok(sets.length >= 6);
  for (const s of sets) {
    const h = hdbscanFromReference(s.params);
    const labels = h.fitPredict(matrix(s.x));
    assert.deepEqual(Array.from(labels), s.labels, `${s.name}: labels`);
    let worst = 0;
    for (let i = 0; i < labels.length; i++) {
      worst = Math.max(worst, Math.abs(h.probabilities[i] - s.probabilities[i]), Math.abs(h.outlierScores[i] - s.outlier_scores[i]));
      assert.ok(Math.abs(h.coreDistances[i] - s.core_distances[i]) <= 1e-12, `${s.name}: core distance ${i}`);
    }
    assert.ok(worst <= 1e-6, `${s.name}: probabilities / outlier scores off by ${worst}`);
    const pred = h.approximatePredict(matrix(s.new_points));
    assert.deepEqual(Array.from(pred.labels), s.predict_labels, `${s.name}: approximate_predict labels`);
    for (let i = 0; i < pred.labels.length; i++) {
      assert.ok(Math.abs(pred.probabilities[i] - s.predict_probabilities[i]) <= 1e-6, `${s.name}: predict probability ${i}`);
    }
    console.log(`${s.name}: ${s.n_clusters} clusters, ${countNoise(labels)} noise of ${labels.length}, max prob/score error ${worst.toExponential(1)}`);
  }
});

test("Boruvka MST of mutual reachability has the brute-force Prim weight (1,500 points with duplicates)", () => {
  const { x } = blobs(1500, 3, 4, 9, 2, 6);
  // Copy 300 rows over others to create exact duplicates and tied weights.
  for (let i = 0; i < 300; i++) x.data.copyWithin((1200 + i) * 3, (i * 2) * 3, (i * 2) * 3 + 3);
  const n = x.rows;
  const pts = Float64Array.from(x.data);
  const tree = new KDTree(pts, n, 3, 8);
  const k = 7;
  const knn = tree.knn(pts, n, k);
  const core2 = Float64Array.from({ length: n }, (_, i) => knn.squaredDistances[i * k + k - 1]);
  const mst = mutualReachabilityMst(tree, core2, knn);
  const mr = (i: number, j: number): number => Math.max(core2[i], core2[j], squaredDistance(pts, i, pts, j, 3));
  // O(n^2) Prim.
  const inTree = new Uint8Array(n);
  const best = new Float64Array(n).fill(Infinity);
  best[0] = 0;
  let primTotal = 0;
  for (let step = 0; step < n; step++) {
    let v = -1;
    for (let i = 0; i < n; i++) if (!inTree[i] && (v < 0 || best[i] < best[v])) v = i;
    inTree[v] = 1;
    primTotal += Math.sqrt(best[v]);
    for (let i = 0; i < n; i++) if (!inTree[i]) best[i] = Math.min(best[i], mr(v, i));
  }
  let total = 0;
  for (let e = 0; e < mst.a.length; e++) {
    assert.equal(mst.squaredWeight[e], mr(mst.a[e], mst.b[e]));
    total += Math.sqrt(mst.squaredWeight[e]);
  }
  assert.equal(mst.a.length, n - 1);
  assert.ok(Math.abs(total - primTotal) <= 1e-9 * primTotal, `${total} vs ${primTotal}`);
});

test("HDBSCAN degenerate inputs: duplicates, all noise, one cluster, tiny n, NaN", () => {
  // Three groups of 50 identical points and a sparse background: each group is one cluster, probability 1.
  const rng = new Rng(3);
  const rows: number[][] = [];
  for (const c of [[0, 0], [10, 0], [0, 10]]) for (let i = 0; i < 50; i++) rows.push(c);
  for (let i = 0; i < 20; i++) rows.push([rng.random() * 30 - 10, rng.random() * 30 - 10]);
  const h = new HDBSCAN({ minClusterSize: 10 });
  const labels = h.fitPredict(matrix(rows));
  for (let g = 0; g < 3; g++) {
    const group = new Set(Array.from(labels.slice(g * 50, g * 50 + 50)));
    assert.equal(group.size, 1, `group ${g} split: ${[...group]}`);
    assert.ok(labels[g * 50] >= 0);
    for (let i = g * 50; i < g * 50 + 50; i++) assert.equal(h.probabilities[i], 1);
  }
  assert.equal(new Set(Array.from(labels.slice(0, 150))).size, 3);
  for (const s of h.outlierScores) assert.ok(Number.isFinite(s));

  // All points identical: no split ever happens; allowSingleCluster then labels them all one cluster.
  const same = matrix(Array.from({ length: 40 }, () => [1, 2, 3]));
  assert.deepEqual(Array.from(new HDBSCAN().fitPredict(same)), new Array(40).fill(-1));
  assert.deepEqual(Array.from(new HDBSCAN({ allowSingleCluster: true }).fitPredict(same)), new Array(40).fill(0));

  // Uniform noise with a large minClusterSize: nothing is a cluster.
  const uniform = matrix(Array.from({ length: 300 }, () => [rng.random(), rng.random()]));
  const u = new HDBSCAN({ minClusterSize: 120 });
  assert.equal(countNoise(u.fitPredict(uniform)), 300);
  assert.deepEqual(Array.from(u.predict(matrix([[0.5, 0.5]]))), [-1]);

  // One blob: the root is not a candidate by default (all noise); allowSingleCluster makes it label 0.
  const one = blobs(300, 2, 1, 5).x;
  const noSingle = new HDBSCAN({ minClusterSize: 40 }).fitPredict(one);
  const single = new HDBSCAN({ minClusterSize: 40, allowSingleCluster: true }).fitPredict(one);
  assert.equal(countNoise(noSingle), 300);
  assert.ok(single.every((l) => l === 0 || l === -1) && single.some((l) => l === 0));

  // Fewer points than minClusterSize, one point, none.
  const few = new HDBSCAN({ minClusterSize: 10 });
  assert.deepEqual(Array.from(few.fitPredict(matrix([[0, 0], [0, 1], [1, 0], [5, 5]]))), [-1, -1, -1, -1]);
  assert.deepEqual(Array.from(few.predict(matrix([[0, 0]]))), [-1]);
  assert.deepEqual(Array.from(new HDBSCAN().fitPredict(matrix([[1, 2]]))), [-1]);
  assert.equal(new HDBSCAN().fitPredict({ rows: 0, cols: 3, data: new Float32Array(0) }).length, 0);

  // Bad input and options.
  assert.throws(() => new HDBSCAN().fitPredict(matrix([[0, 0], [NaN, 1], [2, 2]])), /\[1, 0\] is NaN/);
  assert.throws(() => new HDBSCAN({ minClusterSize: 1 }), /minClusterSize/);
  assert.throws(() => new HDBSCAN({ minSamples: 0 }), /minSamples/);
  assert.throws(() => new HDBSCAN({ metric: "cosine" }).fitPredict(matrix([[0, 0], [1, 1], [2, 0]])), /all zeros/);
  assert.throws(() => new HDBSCAN().predict(matrix([[0, 0]])), /fit/);
  const fitted = new HDBSCAN();
  fitted.fit(blobs(50, 2, 2, 1).x);
  assert.throws(() => fitted.predict(matrix([[0, 0, 0]])), /3 columns/);
});

test("HDBSCAN leaf selection, epsilon and cosine metric", () => {
  // Leaf selection never yields fewer clusters than EOM on nested data.
  const { x } = blobs(1000, 3, 4, 11, 1.5, 6);
  const eom = new HDBSCAN({ minClusterSize: 15 }).fitPredict(x);
  const leaf = new HDBSCAN({ minClusterSize: 15, clusterSelectionMethod: "leaf" }).fitPredict(x);
  const k = (l: Int32Array): number => new Set(Array.from(l).filter((v) => v >= 0)).size;
  assert.ok(k(leaf) >= k(eom), `leaf ${k(leaf)} < eom ${k(eom)}`);
  // A huge epsilon merges everything up to the root's children.
  const merged = new HDBSCAN({ minClusterSize: 15, clusterSelectionMethod: "leaf", clusterSelectionEpsilon: 1e6 }).fitPredict(x);
  assert.ok(k(merged) <= k(leaf));
  // Cosine: scaling each row by a positive factor changes nothing.
  const dirs = blobs(600, 4, 3, 4, 0.5, 10).x;
  const scaled = { ...dirs, data: dirs.data.map((v, i) => v * (1 + (Math.floor(i / 4) % 7))) };
  const a = new HDBSCAN({ minClusterSize: 10, metric: "cosine" }).fitPredict(dirs);
  const b = new HDBSCAN({ minClusterSize: 10, metric: "cosine" }).fitPredict(scaled);
  assert.ok(adjustedRandScore(a, b) > 0.999);
  assert.ok(k(a) >= 2);
});
