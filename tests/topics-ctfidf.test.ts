/**
 * c-TF-IDF against BERTopic's ClassTfidfTransformer formula: a hand-computed example (3 tiny classes,
 * the expected values written out from the formula) and a numpy fixture on the review sentences joined
 * per class (tests/fixtures/sklearn/make_fixtures.py, which follows bertopic/vectorizers/_ctfidf.py).
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { ClassTfidfTransformer, ctfidfMultiplier, topWordsPerClass } from "../lib/topics/ctfidf";
import { CountVectorizer } from "../lib/classification/vectorizers";
import { csrMatrix, csrToArrays } from "../lib/util/sparse";

const ref = JSON.parse(fs.readFileSync(path.join(__dirname, "fixtures", "sklearn", "ctfidf.json"), "utf8"));

// Class 0: "apple apple banana"; class 1: "banana cherry cherry cherry"; class 2: "apple cherry date date".
// Columns: apple, banana, cherry, date.
const words = ["apple", "banana", "cherry", "date"];
const counts = csrMatrix(3, 4, [0, 2, 4, 7], [0, 1, 1, 2, 0, 2, 3], [2, 1, 1, 3, 1, 1, 2]);

function assertClose(got: number[][], want: number[][], tol: number, what: string): number {
  let m = 0;
  want.forEach((row, i) => row.forEach((v, j) => (m = Math.max(m, Math.abs(got[i][j] - v)))));
  assert.ok(m <= tol, `${what}: max abs diff ${m}`);
  return m;
}

test("c-TF-IDF equals the hand-computed BERTopic formula on 3 tiny classes", () => {
  // Words per class: 3, 4, 4 -> A = int(11 / 3) = 3 (BERTopic truncates with int()).
  const A = 3;
  // f_t across classes: apple 3, banana 2, cherry 4, date 2.
  const f = [3, 2, 4, 2];
  const tf = [
    [2 / 3, 1 / 3, 0, 0],
    [0, 1 / 4, 3 / 4, 0],
    [1 / 4, 0, 1 / 4, 2 / 4],
  ];
  const idf = f.map((ft) => Math.log(1 + A / ft)); // ln(2), ln(2.5), ln(1.75), ln(2.5)
  const want = tf.map((row) => row.map((v, t) => v * idf[t]));
  const model = new ClassTfidfTransformer();
  const got = csrToArrays(model.fitTransform(counts));
  assert.equal(model.averageWordsPerClass, 3);
  assertClose(Array.from(model.idf!, (v) => [v]), idf.map((v) => [v]), 1e-15, "idf");
  assertClose(got, want, 1e-15, "c-TF-IDF");
  // Spot values written out: class 0 "apple" = 2/3 * ln 2, class 2 "date" = 1/2 * ln 2.5.
  assert.ok(Math.abs(got[0][0] - (2 / 3) * Math.LN2) < 1e-15);
  assert.ok(Math.abs(got[2][3] - 0.5 * Math.log(2.5)) < 1e-15);

  // bm25Weighting: idf = ln(1 + (A - f + 0.5) / (f + 0.5)); reduceFrequentWords: sqrt(tf).
  const bm25Idf = f.map((ft) => Math.log(1 + (A - ft + 0.5) / (ft + 0.5)));
  const bm25 = csrToArrays(new ClassTfidfTransformer({ bm25Weighting: true }).fitTransform(counts));
  assertClose(bm25, tf.map((row) => row.map((v, t) => v * bm25Idf[t])), 1e-15, "bm25");
  const reduced = csrToArrays(new ClassTfidfTransformer({ reduceFrequentWords: true }).fitTransform(counts));
  assertClose(reduced, tf.map((row) => row.map((v, t) => Math.sqrt(v) * idf[t])), 1e-15, "reduceFrequentWords");

  // Seed words: idf of "date" times 2.
  const seeded = csrToArrays(new ClassTfidfTransformer({ seedWords: ["date"] }).fitTransform(counts, { words }));
  assertClose(seeded, want.map((row) => row.map((v, t) => (t === 3 ? 2 * v : v))), 1e-15, "seedWords");
});

test("c-TF-IDF matches the numpy fixture (CountVectorizer on joined class documents), all options", () => {
  const vec = new CountVectorizer({ stopWords: "english" });
  const x = vec.fitTransform(ref.joined_docs);
  assert.deepEqual(vec.getFeatureNamesOut(), ref.words);
  assert.deepEqual(csrToArrays(x), csrToArrays(csrMatrix(...(ref.counts.shape as [number, number]), ref.counts.indptr, ref.counts.indices, ref.counts.data)));
  const diffs: Record<string, number> = {};
  for (const c of ref.cases) {
    const model = new ClassTfidfTransformer({
      bm25Weighting: c.bm25_weighting,
      reduceFrequentWords: c.reduce_frequent_words,
      seedWords: c.seed_words,
      seedMultiplier: c.seed_multiplier,
    });
    const got = model.fitTransform(x, { words: vec.getFeatureNamesOut() });
    const want = csrMatrix(c.ctfidf.shape[0], c.ctfidf.shape[1], c.ctfidf.indptr, c.ctfidf.indices, c.ctfidf.data);
    assert.deepEqual(Array.from(got.indices), Array.from(want.indices), "sparsity pattern");
    const name = `bm25=${c.bm25_weighting},reduce=${c.reduce_frequent_words}${c.seed_words ? ",seed" : ""}`;
    diffs[name] = Math.max(
      assertClose(csrToArrays(got), csrToArrays(want), 1e-12, name),
      assertClose(Array.from(model.idf!, (v) => [v]), c.idf.map((v: number) => [v]), 1e-12, `${name} idf`),
    );
  }
  console.log("c-TF-IDF max abs diff vs numpy:", JSON.stringify(diffs));
});

test("topWordsPerClass: best first, zero weights skipped, ties alphabetical", () => {
  const model = new ClassTfidfTransformer();
  const top = topWordsPerClass(model.fitTransform(counts), words, 2);
  assert.deepEqual(top.map((t) => t.map((w) => w.word)), [["apple", "banana"], ["cherry", "banana"], ["date", "apple"]]);
  assert.ok(Math.abs(top[0][0].score - (2 / 3) * Math.LN2) < 1e-15);
  const tie = csrMatrix(1, 3, [0, 3], [0, 1, 2], [1, 2, 1]);
  assert.deepEqual(topWordsPerClass(tie, ["c", "a", "b"], 5)[0].map((w) => w.word), ["a", "c", "b"]);
});

test("BERTopic's multiplier: seed words x seedMultiplier, seed-topic words 1.2 overriding", () => {
  assert.equal(ctfidfMultiplier(["a", "b"], {}), undefined);
  assert.deepEqual(Array.from(ctfidfMultiplier(["a", "b", "c"], { seedWords: ["a", "b"], seedTopicList: [["b"], ["c"]] })!), [2, 1.2, 1.2]);
});

test("errors name the problem", () => {
  assert.throws(() => new ClassTfidfTransformer().transform(counts), /not fitted/);
  assert.throws(() => new ClassTfidfTransformer({ seedWords: ["date"] }).fit(counts), /need the vocabulary/);
  assert.throws(() => new ClassTfidfTransformer().fit(csrMatrix(1, 2, [0, 1], [0], [-1])), /counts must be >= 0/);
  const model = new ClassTfidfTransformer().fit(counts);
  assert.throws(() => model.transform(csrMatrix(1, 3, [0, 0], [], [])), /3 columns, fitted on 4/);
  assert.throws(() => topWordsPerClass(counts, ["a"], 3), /1 feature names for 4 columns/);
  assert.throws(() => csrMatrix(1, 2, [0, 1], [5], [1]), /column index 5 out of range/);
});
