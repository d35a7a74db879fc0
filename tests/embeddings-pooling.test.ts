import { test } from "node:test";
import * as assert from "node:assert/strict";
import { initEngine, tf, trackTensors } from "hands-on-llm";
import {
  clsPooling,
  cosineSimilarity,
  dotScores,
  l2Normalize,
  lastTokenPooling,
  maxPooling,
  meanPooling,
  pca,
  pca2d,
  symmetricEigen,
} from "../lib/embeddings";

function close(got: ArrayLike<number>, want: number[], tol = 1e-5, what = ""): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i] - want[i]) <= tol, `${what}[${i}]: ${got[i]} vs ${want[i]}`);
}

// Two sequences of 3 tokens, dim 2; the second has one padding token holding large values that must not leak in.
const HIDDEN = [
  [[1, 2], [3, 4], [5, 6]],
  [[-1, 0], [2, 8], [100, 100]],
];
const MASK = [[1, 1, 1], [1, 1, 0]];

test("meanPooling averages only unmasked tokens (sentence-transformers)", async () => {
  await initEngine({ verbose: false });
  const h = tf.tensor3d(HIDDEN);
  const m = tf.tensor2d(MASK, undefined, "int32");
  const { result, leaked } = trackTensors(() => meanPooling(h, m));
  assert.equal(leaked, 0);
  assert.deepEqual(result.shape, [2, 2]);
  close(result.dataSync(), [3, 4, 0.5, 4], 1e-6, "mean");
  // A row with no tokens gives zeros, not NaN.
  const empty = meanPooling(h, tf.tensor2d([[0, 0, 0], [1, 0, 0]]));
  close(empty.dataSync(), [0, 0, -1, 0], 1e-6, "empty row");
  tf.dispose([h, m, result, empty]);
});

test("maxPooling ignores padding; clsPooling takes token 0", async () => {
  await initEngine({ verbose: false });
  const h = tf.tensor3d(HIDDEN);
  const m = tf.tensor2d(MASK);
  const max = maxPooling(h, m);
  close(max.dataSync(), [5, 6, 2, 8], 1e-6, "max");
  const cls = clsPooling(h);
  close(cls.dataSync(), [1, 2, -1, 0], 1e-6, "cls");
  tf.dispose([h, m, max, cls]);
});

test("lastTokenPooling takes the last kept token, with right or left padding", async () => {
  await initEngine({ verbose: false });
  const h = tf.tensor3d(HIDDEN);
  const right = lastTokenPooling(h, tf.tensor2d(MASK));
  close(right.dataSync(), [5, 6, 2, 8], 1e-6, "right padding");
  const left = lastTokenPooling(h, tf.tensor2d([[1, 1, 1], [0, 1, 1]]));
  close(left.dataSync(), [5, 6, 100, 100], 1e-6, "left padding");
  tf.dispose([h, right, left]);
});

test("l2Normalize gives unit rows and leaves a zero row at zero", async () => {
  await initEngine({ verbose: false });
  const x = tf.tensor2d([[3, 4], [0, 0], [1, 1]]);
  const n = l2Normalize(x);
  close(n.dataSync(), [0.6, 0.8, 0, 0, Math.SQRT1_2, Math.SQRT1_2], 1e-6, "normalized");
  tf.dispose([x, n]);
});

test("cosineSimilarity and dotScores as score matrices, vectors counting as one row", async () => {
  await initEngine({ verbose: false });
  const a = tf.tensor2d([[1, 0], [1, 1]]);
  const b = tf.tensor2d([[2, 0], [0, 3], [-1, -1]]);
  const { result: cos, leaked } = trackTensors(() => cosineSimilarity(a, b));
  assert.equal(leaked, 0);
  assert.deepEqual(cos.shape, [2, 3]);
  const r = Math.SQRT1_2;
  close(cos.dataSync(), [1, 0, -r, r, r, -1], 1e-6, "cos");
  const dot = dotScores(a, b);
  close(dot.dataSync(), [2, 0, -1, 2, 3, -2], 1e-6, "dot");
  const v = tf.tensor1d([0, 5]);
  const cv = cosineSimilarity(v, b);
  assert.deepEqual(cv.shape, [1, 3]);
  close(cv.dataSync(), [0, 1, -r], 1e-6, "vector vs matrix");
  assert.throws(() => cosineSimilarity(a, tf.tensor2d([[1, 2, 3]])), /dimensions differ/);
  assert.throws(() => meanPooling(tf.tensor3d(HIDDEN), tf.tensor2d([[1, 1]])), /attentionMask/);
  tf.dispose([a, b, cos, dot, v, cv]);
});

test("symmetricEigen recovers a known spectrum", () => {
  // [[2,1,0],[1,2,0],[0,0,5]]: eigenvalues 5, 3, 1; eigenvector of 3 is (1,1,0)/√2.
  const { values, vectors } = symmetricEigen(Float64Array.from([2, 1, 0, 1, 2, 0, 0, 0, 5]), 3);
  close(values, [5, 3, 1], 1e-12, "eigenvalues");
  const v3 = [vectors[0 * 3 + 1], vectors[1 * 3 + 1], vectors[2 * 3 + 1]];
  close(v3.map(Math.abs), [Math.SQRT1_2, Math.SQRT1_2, 0], 1e-12, "eigenvector");
});

test("pca finds the axis of spread, with deterministic signs and variance shares", () => {
  // Points on the line y = -2x plus a little spread along (2, 1): PC1 = ±(1, -2)/√5, PC2 = ±(2, 1)/√5.
  const pts: number[][] = [];
  // e = ±1 alternating is uncorrelated with i over -5..5, so the axes are exact.
  for (let i = -5; i <= 5; i++) {
    const e = i % 2 === 0 ? 1 : -1;
    pts.push([i + 0.4 * e, -2 * i + 0.2 * e]);
  }
  const res = pca(pts, 2);
  const s5 = Math.sqrt(5);
  // Largest loading positive: (-1, 2)/√5 has its largest entry (2) positive.
  close(res.components[0], [-1 / s5, 2 / s5], 1e-9, "pc1");
  close(res.components[1], [2 / s5, 1 / s5], 1e-9, "pc2");
  assert.ok(Math.abs(res.explainedVarianceRatio[0] + res.explainedVarianceRatio[1] - 1) < 1e-9);
  assert.ok(res.explainedVarianceRatio[0] > 0.99);
  // Points are coordinates along the components: projections of the centred data.
  const c0 = pts[0].map((x, j) => x - res.mean[j]);
  close(res.points[0], res.components.map((axis) => c0[0] * axis[0] + c0[1] * axis[1]), 1e-9, "scores");
  // Same input, same picture; flipping the data's sign does not flip the axes.
  assert.deepEqual(pca(pts, 2).points, res.points);
  assert.deepEqual(pca(pts.map((p) => p.map((x) => -x)), 2).components, res.components);
});

test("pca: Gram path (fewer points than dims) and power-iteration path (dims > 256) agree with the direct one", async () => {
  await initEngine({ verbose: false });
  // Low-rank data with a clear spectrum plus noise, from a fixed generator.
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296) - 0.5;
  const d = 300;
  const basis = [0, 1, 2].map(() => Array.from({ length: d }, rand));
  const rows = Array.from({ length: 40 }, () => {
    const c = [6 * rand(), 3 * rand(), 1.5 * rand()];
    return basis[0].map((_, t) => c[0] * basis[0][t] + c[1] * basis[1][t] + c[2] * basis[2][t] + 0.01 * rand());
  });
  const gram = pca(rows, 2); // n = 40 < d: eigenvectors of the 40 x 40 Gram matrix
  const direct = pca(tf.tensor2d(rows.slice(0, 40)), 2); // tensor input, same data
  close(direct.explainedVariance, gram.explainedVariance, 1e-6, "tensor input");
  // d = 300 > 256 with n > d: block power iteration on the covariance.
  const tall = Array.from({ length: 320 }, (_, i) => rows[i % 40].map((x, t) => x + 1e-4 * Math.sin(i * 7 + t)));
  const power = pca(tall, 2);
  for (let c = 0; c < 2; c++) {
    const dot = power.components[c].reduce((s, x, t) => s + x * gram.components[c][t], 0);
    assert.ok(Math.abs(Math.abs(dot) - 1) < 1e-4, `component ${c}: |cos| ${dot}`);
  }
  const pts = pca2d(rows.slice(0, 5), ["a", "b", "c", "d", "e"]);
  assert.equal(pts.length, 5);
  assert.deepEqual(Object.keys(pts[0]).sort(), ["label", "x", "y"]);
  assert.throws(() => pca2d(rows.slice(0, 5), ["a"]), /labels/);
  assert.throws(() => pca([[1, 2]], 1), /at least 2/);
});
