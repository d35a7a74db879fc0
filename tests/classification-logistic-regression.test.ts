/**
 * LogisticRegression against scikit-learn 1.2.1 (tests/fixtures/sklearn/make_fixtures.py): a dense
 * 200 x 10 three-class matrix (multinomial), a binary case with string labels and no intercept, and the
 * sparse TF-IDF matrix of 32 sentences (binary). The reference optimum is sklearn's newton-cg run to a
 * gradient of ~1e-9; sklearn's own lbfgs (tol 1e-10) stops on scipy's relative-decrease test about 1e-5
 * short of it, so it is compared more loosely.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { LogisticRegression, minimizeLbfgs, uniqueLabels } from "../lib/classification/logistic-regression";
import { denseMatrix } from "../lib/util/matrix";
import { csrMatrix, type CsrMatrix } from "../lib/util/sparse";

const ref = JSON.parse(fs.readFileSync(path.join(__dirname, "fixtures", "sklearn", "logistic.json"), "utf8"));

function features(c: { sparse: boolean; x: any }): CsrMatrix | ReturnType<typeof denseMatrix> {
  if (c.sparse) return csrMatrix(c.x.shape[0], c.x.shape[1], c.x.indptr, c.x.indices, c.x.data);
  const rows = c.x.length;
  const cols = c.x[0].length;
  return denseMatrix(rows, cols, Float32Array.from(c.x.flat()));
}

function options(params: Record<string, unknown>) {
  return { C: params.C as number | undefined, fitIntercept: params.fit_intercept as boolean | undefined };
}

/** max |a - b| / max |b| over all entries. */
function relDiff(got: ArrayLike<number>[], want: number[][]): number {
  let num = 0;
  let den = 0;
  want.forEach((row, k) => row.forEach((v, j) => {
    num = Math.max(num, Math.abs(got[k][j] - v));
    den = Math.max(den, Math.abs(v));
  }));
  return num / Math.max(den, 1e-300);
}

function absDiff(got: number[][], want: number[][]): number {
  let m = 0;
  want.forEach((row, i) => row.forEach((v, j) => (m = Math.max(m, Math.abs(got[i][j] - v)))));
  return m;
}

test("LogisticRegression matches sklearn's optimum: coef/intercept within 1e-4 relative, probabilities within 1e-5", () => {
  const report: Record<string, unknown> = {};
  for (const c of ref.cases) {
    const X = features(c);
    const clf = new LogisticRegression({ ...options(c.params), tol: 1e-8, ftol: 0, maxIter: 1000 }).fit(X, c.y);
    assert.deepEqual(clf.classes, c.classes, `${c.name}: classes`);
    assert.equal(clf.coef.length, c.coef.length, `${c.name}: coef rows`);
    const opt = c.optimum;
    const coefRel = relDiff(clf.coef, opt.coef);
    const interceptRel = c.params.fit_intercept === false ? 0 : relDiff([clf.intercept], [opt.intercept]);
    const proba = clf.predictProba(X);
    const probaDiff = absDiff(proba, opt.proba);
    const decisionDiff = absDiff(clf.decisionFunction(X), c.decision.map((v: number | number[]) => (Array.isArray(v) ? v : [v])));
    assert.deepEqual(clf.predict(X), c.predict, `${c.name}: predictions`);
    assert.equal(clf.score(X, c.y), c.score, `${c.name}: score`);
    // sklearn's lbfgs result (stopped early by its ftol) is within ~2e-5 of the optimum.
    const vsLbfgs = { coef: relDiff(clf.coef, c.coef), proba: absDiff(proba, c.proba), decision: decisionDiff };
    report[c.name] = { iters: clf.nIter, coefRel, interceptRel, probaDiff, vsSklearnLbfgs: vsLbfgs };
    assert.ok(clf.converged, `${c.name}: converged (${clf.optimizerMessage})`);
    assert.ok(coefRel <= 1e-4 && interceptRel <= 1e-4, `${c.name}: coef rel ${coefRel}, intercept rel ${interceptRel}`);
    assert.ok(probaDiff <= 1e-5, `${c.name}: proba diff ${probaDiff}`);
    assert.ok(vsLbfgs.coef <= 1e-4 && vsLbfgs.proba <= 1e-4, `${c.name}: vs sklearn lbfgs ${JSON.stringify(vsLbfgs)}`);
  }
  console.log("logistic regression vs sklearn:", JSON.stringify(report));
});

test("LogisticRegression with sklearn's defaults (tol 1e-4, maxIter 100) lands close to sklearn's", () => {
  const report: Record<string, unknown> = {};
  for (const c of ref.cases) {
    const X = features(c);
    const clf = new LogisticRegression(options(c.params)).fit(X, c.y);
    const probaDiff = absDiff(clf.predictProba(X), c.optimum.proba);
    report[c.name] = { iters: clf.nIter, probaDiff };
    assert.ok(clf.converged);
    assert.ok(probaDiff <= 1e-3, `${c.name}: ${probaDiff}`);
    assert.deepEqual(clf.predict(X), c.predict);
  }
  console.log("default tolerance:", JSON.stringify(report));
});

test("labels: numbers sorted numerically, strings by code point, mixing rejected", () => {
  assert.deepEqual(uniqueLabels([10, 2, 1, 2]), [1, 2, 10]);
  assert.deepEqual(uniqueLabels(["b", "B", "a"]), ["B", "a", "b"]);
  assert.throws(() => uniqueLabels([1, "1"]), /Mix of label input types/);
});

test("L-BFGS minimises the Rosenbrock function", () => {
  const r = minimizeLbfgs((x, g) => {
    const [a, b] = x;
    g[0] = -2 * (1 - a) - 400 * a * (b - a * a);
    g[1] = 200 * (b - a * a);
    return (1 - a) ** 2 + 100 * (b - a * a) ** 2;
  }, Float64Array.from([-1.2, 1]), { maxIter: 200, gtol: 1e-8, ftol: 0 });
  assert.ok(r.converged, r.message);
  assert.ok(Math.abs(r.x[0] - 1) < 1e-6 && Math.abs(r.x[1] - 1) < 1e-6, `${r.x}`);
});

test("errors name the problem", () => {
  const X = denseMatrix(3, 2, Float32Array.from([1, 2, 3, 4, 5, 6]));
  assert.throws(() => new LogisticRegression().fit(X, [0, 0, 0]), /at least 2 classes/);
  assert.throws(() => new LogisticRegression().fit(X, [0, 1]), /3 rows but y has 2/);
  assert.throws(() => new LogisticRegression({ C: 0 }), /C must be a positive/);
  assert.throws(() => new LogisticRegression().predict(X), /not fitted/);
  const clf = new LogisticRegression().fit(X, ["a", "b", "a"]);
  assert.throws(() => clf.predict(denseMatrix(1, 3)), /3 features, the model was fitted on 2/);
  assert.throws(() => new LogisticRegression().fit(denseMatrix(2, 1, Float32Array.from([1, NaN])), [0, 1]), /NaN/);
});
