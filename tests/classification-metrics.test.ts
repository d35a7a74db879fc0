/**
 * Metrics against scikit-learn 1.2.1 (tests/fixtures/sklearn/make_fixtures.py): classification_report
 * text byte for byte and its output_dict, precision_recall_fscore_support for every average,
 * f1_score, accuracy and the confusion matrix, on binary, multi-class, string-label and tie-rounding cases,
 * with the number of UndefinedMetricWarnings sklearn raised.
 */
import { test, type TestContext } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  accuracyScore,
  classificationReport,
  confusionMatrix,
  f1Score,
  formatFixed,
  precisionRecallFscoreSupport,
  precisionScore,
  recallScore,
  type Label,
} from "../lib/classification/metrics";

const ref = JSON.parse(fs.readFileSync(path.join(__dirname, "fixtures", "sklearn", "metrics.json"), "utf8"));

function reportOptions(c: any) {
  return {
    labels: c.labels ?? undefined,
    targetNames: c.report_kwargs.target_names,
    digits: c.report_kwargs.digits,
    zeroDivision: c.zero_division,
  };
}

/** Runs fn with console.warn captured; returns its result and the warnings. */
function captureWarnings<T>(t: TestContext, fn: () => T): { result: T; warnings: string[] } {
  const warnings: string[] = [];
  const mock = t.mock.method(console, "warn", (msg: string) => void warnings.push(msg));
  try {
    return { result: fn(), warnings };
  } finally {
    mock.mock.restore();
  }
}

test("classificationReport text is byte-identical to sklearn's, with the same warnings", (t) => {
  for (const c of ref.cases) {
    const { result, warnings } = captureWarnings(t, () => classificationReport(c.y_true, c.y_pred, reportOptions(c)));
    assert.equal(result, c.report, `${c.name}:\n${result}\n---\n${c.report}`);
    assert.equal(warnings.length, c.report_warnings, `${c.name}: warnings ${JSON.stringify(warnings)}`);
  }
  console.log(classificationReport(ref.cases[0].y_true, ref.cases[0].y_pred, reportOptions(ref.cases[0])));
});

test("classificationReport outputDict equals sklearn's output_dict exactly", (t) => {
  for (const c of ref.cases) {
    const { result } = captureWarnings(t, () => classificationReport(c.y_true, c.y_pred, { ...reportOptions(c), outputDict: true }));
    assert.deepEqual(result, c.report_dict, c.name);
  }
});

test("precisionRecallFscoreSupport, f1Score, accuracyScore and confusionMatrix equal sklearn's", (t) => {
  for (const c of ref.cases) {
    captureWarnings(t, () => {
      const labels = c.labels ?? undefined;
      const zeroDivision = c.zero_division;
      const per = precisionRecallFscoreSupport(c.y_true, c.y_pred, { labels, zeroDivision });
      assert.deepEqual(per, { precision: c.prfs.None.precision, recall: c.prfs.None.recall, fScore: c.prfs.None.f1, support: c.prfs.None.support }, c.name);
      for (const average of ["micro", "macro", "weighted"] as const) {
        const r = precisionRecallFscoreSupport(c.y_true, c.y_pred, { labels, zeroDivision, average });
        const w = c.prfs[average];
        assert.deepEqual(r, { precision: w.precision, recall: w.recall, fScore: w.f1, support: null }, `${c.name} ${average}`);
      }
      if (c.f1_binary !== null) assert.equal(f1Score(c.y_true, c.y_pred), c.f1_binary, `${c.name} f1 binary`);
      assert.equal(accuracyScore(c.y_true, c.y_pred), c.accuracy);
      assert.equal(accuracyScore(c.y_true, c.y_pred, { normalize: false }), c.accuracy_count);
      assert.deepEqual(confusionMatrix(c.y_true, c.y_pred, { labels }), c.confusion_matrix, `${c.name} confusion`);
    });
  }
});

test("f1Score / precisionScore / recallScore: averages, warnings and errors as sklearn", (t) => {
  const yTrue: Label[] = [0, 1, 2, 3, 0, 1, 2, 3];
  const yPred: Label[] = [0, 1, 2, 0, 0, 2, 2, 1];
  // f1 alone warns only when a label has neither true nor predicted samples (here: none).
  const { warnings } = captureWarnings(t, () => f1Score(yTrue, yPred, { average: "macro" }));
  assert.equal(warnings.length, 0);
  const p = captureWarnings(t, () => precisionScore(yTrue, yPred, { average: null }));
  assert.deepEqual(p.result, [2 / 3, 0.5, 2 / 3, 0]);
  assert.match(p.warnings[0], /Precision is ill-defined and being set to 0.0 in labels with no predicted samples/);
  assert.deepEqual(recallScore(yTrue, yPred, { average: "micro" }), 0.625);
  assert.throws(() => f1Score(yTrue, yPred), /Target is multiclass but average='binary'/);
  assert.throws(() => f1Score(["a", "b"], ["a", "b"]), /pos_label=1 is not a valid label/);
  assert.equal(f1Score(["a", "b", "b"], ["a", "b", "a"], { posLabel: "b" }), 2 / 3);
  assert.throws(() => accuracyScore([1, 2], [1]), /inconsistent numbers of samples: \[2, 1\]/);
  assert.throws(() => accuracyScore([1, "a"], [1, 1]), /Mix of label input types/);
  assert.throws(() => classificationReport([0, 1], [0, 1], { targetNames: ["a"] }), /Number of classes, 2, does not match size of target_names, 1/);
  assert.throws(() => precisionRecallFscoreSupport([0, 1], [0, 1], { zeroDivision: 2 as 1 }), /zeroDivision=2/);
  assert.deepEqual(confusionMatrix([0, 0, 1], [0, 1, 1], { normalize: "true" }), [[0.5, 0.5], [0, 1]]);
});

test("formatFixed rounds like Python's format(): exact ties to even", () => {
  assert.equal(formatFixed(0.125, 2), "0.12");
  assert.equal(formatFixed(0.375, 2), "0.38");
  assert.equal(formatFixed(0.625, 2), "0.62");
  assert.equal(formatFixed(0.5, 0), "0");
  assert.equal(formatFixed(1.5, 0), "2");
  assert.equal(formatFixed(2.675, 2), "2.67"); // 2.675 is 2.67499999... in binary
  assert.equal(formatFixed(1 / 3, 4), "0.3333");
  assert.equal(formatFixed(0.8333333333333334, 1), "0.8");
  assert.equal(formatFixed(0.25, 1), "0.2");
  assert.equal(formatFixed(0.35, 1), "0.3"); // 0.35 is 0.34999... in binary
});
