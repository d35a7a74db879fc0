/**
 * CountVectorizer / TfidfVectorizer against scikit-learn 1.2.1 (tests/fixtures/sklearn/make_fixtures.py):
 * vocabulary and every matrix value on 32 review sentences, for several option combinations, plus the
 * token pattern against Python's \w over all of Unicode and the stop-word list.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  CountVectorizer,
  DEFAULT_TOKEN_PATTERN,
  TfidfVectorizer,
  compareCodePoints,
  numpyArgsort,
  numpyAHeapsort,
  type TfidfVectorizerOptions,
} from "../lib/classification/vectorizers";
import { ENGLISH_STOP_WORDS } from "../lib/classification/stop-words";
import { csrToArrays, type CsrMatrix } from "../lib/util/sparse";

const dir = path.join(__dirname, "fixtures", "sklearn");
const ref = JSON.parse(fs.readFileSync(path.join(dir, "vectorizers.json"), "utf8"));

interface CsrJson { shape: [number, number]; indptr: number[]; indices: number[]; data: number[] }

/** Largest |got - want| after checking shape and the sparsity pattern. */
function csrMaxDiff(got: CsrMatrix, want: CsrJson, what: string): number {
  assert.deepEqual([got.rows, got.cols], want.shape, `${what}: shape`);
  assert.deepEqual(Array.from(got.indptr), want.indptr, `${what}: indptr`);
  assert.deepEqual(Array.from(got.indices), want.indices, `${what}: indices`);
  let m = 0;
  want.data.forEach((v, k) => (m = Math.max(m, Math.abs(got.data[k] - v))));
  return m;
}

function optionsOf(params: Record<string, unknown>): TfidfVectorizerOptions {
  const o: TfidfVectorizerOptions = {};
  for (const [k, v] of Object.entries(params)) {
    const camel = k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()) as keyof TfidfVectorizerOptions;
    (o as Record<string, unknown>)[camel] = v;
  }
  return o;
}

test("vectorizers match sklearn: vocabulary and values within 1e-6 (fit_transform and transform)", () => {
  const report: Record<string, number> = {};
  for (const c of ref.cases) {
    const opts = optionsOf(c.params);
    const vec = c.kind === "tfidf" ? new TfidfVectorizer(opts) : new CountVectorizer(opts);
    const docs: string[] = c.docs ?? ref.docs;
    const x = vec.fitTransform(docs);
    assert.deepEqual(vec.getFeatureNamesOut(), c.vocabulary, `${c.name}: vocabulary`);
    let d = csrMaxDiff(x, c.fit_transform, `${c.name} fit_transform`);
    if (c.transform_held_out) d = Math.max(d, csrMaxDiff(vec.transform(ref.held_out), c.transform_held_out, `${c.name} transform`));
    if (c.idf) {
      const idf = (vec as TfidfVectorizer).idf;
      c.idf.forEach((v: number, j: number) => (d = Math.max(d, Math.abs(idf[j] - v))));
    }
    // transform of the training documents equals fit_transform
    d = Math.max(d, csrMaxDiff(vec.transform(docs), c.fit_transform, `${c.name} transform(train)`));
    report[c.name] = d;
    assert.ok(d <= 1e-6, `${c.name}: max abs diff ${d}`);
  }
  console.log("vectorizers max abs diff vs sklearn:", JSON.stringify(report));
});

test("the default token pattern matches Python's \\w on every code point Python's Unicode assigns", () => {
  const isWord = new Uint8Array(0x110000);
  for (const [a, b] of ref.python_word_ranges) isWord.fill(1, a, b + 1);
  const unassigned = new Uint8Array(0x110000);
  for (const [a, b] of ref.python_unassigned_ranges) unassigned.fill(1, a, b + 1);
  const oneChar = new RegExp(`^${DEFAULT_TOKEN_PATTERN.source.replace("{2,}", "")}$`, "u");
  let differ = 0;
  let newer = 0;
  for (let c = 0; c < 0x110000; c++) {
    if (c >= 0xd800 && c <= 0xdfff) continue;
    const js = oneChar.test(String.fromCodePoint(c)) ? 1 : 0;
    if (js === isWord[c]) continue;
    if (unassigned[c]) newer++;
    else differ++;
  }
  console.log(`Python Unicode ${ref.python_unicode_version}, Node Unicode ${process.versions.unicode}: ${newer} newer code points differ, ${differ} assigned ones`);
  assert.equal(differ, 0);
});

test("tokenizing: maximal runs of 2+ word characters, apostrophes and hyphens split, lowercased", () => {
  const vec = new CountVectorizer();
  const analyze = vec.buildAnalyzer();
  assert.deepEqual(analyze("Don't re-use the café's 2nd Wi-Fi_key! x 42 日本語"), ["don", "re", "use", "the", "café", "2nd", "wi", "fi_key", "42", "日本語"]);
  const bigrams = new CountVectorizer({ ngramRange: [1, 2], stopWords: "english" }).buildAnalyzer();
  assert.deepEqual(bigrams("The cat sat on the mat"), ["cat", "sat", "mat", "cat sat", "sat mat"]);
  const group = new CountVectorizer({ tokenPattern: "#(\\w+)" }).buildAnalyzer();
  assert.deepEqual(group("#one two #three"), ["one", "three"]);
});

test("stop words equal sklearn's ENGLISH_STOP_WORDS", () => {
  const want = JSON.parse(fs.readFileSync(path.join(dir, "stop_words.json"), "utf8"));
  assert.equal(ENGLISH_STOP_WORDS.length, 318);
  assert.deepEqual([...ENGLISH_STOP_WORDS], want);
});

test("code-point order and numpy's argsort", () => {
  // U+FF01 (BMP, high) sorts before U+1F600 (astral) by code point, after it by UTF-16 units.
  const words = ["\u{1F600}x", "\uFF01y", "abc", "ab"];
  assert.deepEqual([...words].sort(compareCodePoints), ["ab", "abc", "\uFF01y", "\u{1F600}x"]);
  // Small arrays: insertion sort (stable); larger ones: introsort, checked against numpy 1.24 output.
  assert.deepEqual(Array.from(numpyArgsort([3, 1, 2, 1])), [1, 3, 2, 0]);
  const values = Array.from({ length: 40 }, (_, i) => -((i * 7) % 5));
  const order = Array.from(numpyArgsort(values));
  const sorted = order.map((i) => values[i]);
  assert.deepEqual(sorted, [...values].sort((a, b) => a - b));
  assert.deepEqual(order.slice().sort((a, b) => a - b), Array.from({ length: 40 }, (_, i) => i));
  // Introsort's heapsort fallback, ties included, against numpy 1.24's argsort(v, kind="heapsort").
  const v = Array.from({ length: 30 }, (_, i) => -((i * 7) % 5) + (i % 3));
  const heap = Int32Array.from({ length: 30 }, (_, i) => i);
  numpyAHeapsort(v, heap, 0, 30);
  assert.deepEqual(Array.from(heap), [12, 27, 9, 22, 7, 24, 21, 19, 6, 4, 2, 17, 14, 29, 1, 18, 3, 16, 28, 13, 26, 11, 15, 0, 25, 23, 10, 8, 5, 20]);
});

test("errors name the problem", () => {
  assert.throws(() => new CountVectorizer().fit("just one string" as unknown as string[]), /string object received/);
  assert.throws(() => new CountVectorizer().fit(["ok", 3 as unknown as string]), /document 1 is number/);
  assert.throws(() => new CountVectorizer({ stopWords: "english" }).fit(["the and of", "a"]), /empty vocabulary/);
  assert.throws(() => new CountVectorizer({ minDf: 2 }).fit(["aa bb", "cc dd"]), /no terms remain/);
  assert.throws(() => new CountVectorizer({ minDf: 3, maxDf: 2 }).fit(["aa bb", "cc dd"]), /maxDf corresponds to < documents than minDf/);
  assert.throws(() => new CountVectorizer({ ngramRange: [2, 1] }), /ngramRange/);
  assert.throws(() => new CountVectorizer({ maxDf: 1.5 }), /maxDf/);
  assert.throws(() => new CountVectorizer().transform(["aa"]), /not fitted/);
  assert.throws(() => new TfidfVectorizer({ norm: "l3" as "l2" }), /norm/);
});

test("minDf / maxDf: 1 keeps sklearn's default meaning, objects say it explicitly", () => {
  const docs = ["aa bb", "aa cc", "aa dd"];
  const names = (o: ConstructorParameters<typeof CountVectorizer>[0]) => new CountVectorizer(o).fit(docs).getFeatureNamesOut();
  assert.deepEqual(names({ maxDf: 1 }), ["aa", "bb", "cc", "dd"]);
  assert.deepEqual(names({ maxDf: { count: 1 } }), ["bb", "cc", "dd"]);
  assert.deepEqual(names({ minDf: { proportion: 1 } }), ["aa"]);
  assert.deepEqual(names({ minDf: 2 }), ["aa"]);
  assert.deepEqual(csrToArrays(new CountVectorizer({ binary: true }).fitTransform(["aa aa bb"])), [[1, 1]]);
});
