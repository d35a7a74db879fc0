/**
 * Chapter 4 helpers: nearest label embedding by cosine, class-mean embeddings, the text-classification
 * pipeline, and classification by a causal LM's continuation likelihoods — checked against hand-computed
 * values and against unbatched, unpadded forward passes of real (random) lib models.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { initEngine } from "../lib/engine";
import { BertForSequenceClassification } from "../lib/models/bert";
import { GPT2LMHeadModel } from "../lib/models/gpt2";
import type { CausalLM } from "../lib/generation/generate";
import type { BatchEncoding, TokenizerCallOptions } from "../lib/tokenizers/hf";
import { classMeanEmbeddings, cosineArgmax } from "../lib/classification/zero-shot";
import {
  continuationLogProbs, promptClassificationPipeline, textClassificationPipeline, type SequenceClassificationModel,
} from "../lib/classification/pipelines";

const close = (actual: number, expected: number, tol = 1e-6, what = "") =>
  assert.ok(Math.abs(actual - expected) <= tol, `${what} ${actual} != ${expected}`);

test.before(async () => {
  await initEngine({ backend: "cpu" });
});

// ------------------------------------------------------------------ zero-shot by embeddings

test("cosineArgmax: nearest reference by cosine, first on ties, zero rows -> 0", () => {
  const embeddings = { rows: 5, cols: 2, data: Float32Array.from([1, 0, 0, 2, 1, 1, -1, 0.1, 0, 0]) };
  const references = { rows: 2, cols: 2, data: Float32Array.from([1, 0, 0, 1]) };
  // [1,0] -> ref 0; [0,2] -> ref 1; [1,1] ties (cos 0.707 both) -> 0; [-1,0.1]: cos -0.995 vs 0.0995 -> 1; [0,0] -> 0.
  assert.deepEqual(cosineArgmax(embeddings, references), [0, 1, 0, 1, 0]);
  // Scale does not matter, direction does; arrays of rows are accepted too.
  assert.deepEqual(cosineArgmax([[10, 1], [1, 10]], [[0, 5], [5, 0]]), [1, 0]);
});

test("cosineArgmax: bad input is named", () => {
  assert.throws(() => cosineArgmax([[1, 2]], [[1, 2, 3]]), /2 columns but references have 3/);
  assert.throws(() => cosineArgmax([[1, 2]], { rows: 0, cols: 2, data: new Float32Array(0) }), /no reference rows/);
  assert.throws(() => cosineArgmax([[1, NaN]], [[1, 0]]), /embeddings: value at \[0, 1\] is NaN/);
  assert.throws(() => cosineArgmax({ rows: 2, cols: 2, data: new Float32Array(3) }, [[1, 0]]), /3 values for shape \[2, 2\]/);
});

test("classMeanEmbeddings: per-class means with sorted classes (numbers and strings)", () => {
  const X = [[1, 2], [3, 4], [10, 0], [0, 10]];
  const { classes, means } = classMeanEmbeddings(X, [1, 1, 0, 0]);
  assert.deepEqual(classes, [0, 1]);
  assert.deepEqual({ rows: means.rows, cols: means.cols }, { rows: 2, cols: 2 });
  assert.deepEqual(Array.from(means.data), [5, 5, 2, 3]);
  const named = classMeanEmbeddings([[2], [4], [7]], ["pos", "neg", "pos"]);
  assert.deepEqual(named.classes, ["neg", "pos"]);
  assert.deepEqual(Array.from(named.means.data), [4, 4.5]);
  // Nearest centroid: [6, 0] is closer in angle to class 0's mean [5, 5]? cos 0.707 vs [2, 3]: 0.555 -> class 0.
  assert.deepEqual(cosineArgmax([[6, 0]], means), [0]);
});

test("classMeanEmbeddings: bad input is named", () => {
  assert.throws(() => classMeanEmbeddings([[1], [2]], [0]), /2 embeddings but 1 labels/);
  assert.throws(() => classMeanEmbeddings([], []), /no embeddings/);
  assert.throws(() => classMeanEmbeddings([[1], [2]], [0, "a"]), /Mix of label input types/);
});

// ------------------------------------------------------------------ text-classification pipeline

/** A model whose logits are fixed per text length, to check the scores by hand. */
function fakeClassifier(id2label: Record<string, string>, logitsFor: (length: number) => number[]): SequenceClassificationModel & { calls: number } {
  return {
    config: { id2label, max_position_embeddings: 8 },
    training: true,
    calls: 0,
    train(mode = true) {
      (this as { training: boolean }).training = mode;
    },
    forward(inputs) {
      this.calls++;
      assert.equal(this.training, false, "the pipeline must run in eval mode");
      const mask = inputs.attentionMask!.arraySync();
      return { logits: tf.tensor2d(mask.map((row) => logitsFor(row.reduce((a, b) => a + b, 0)))) };
    },
  };
}

/** Character-code tokenizer with [CLS]=1 ... [SEP]=2, right padding with 0 and truncation. */
const charTokenizer = {
  call(texts: string[], opts: TokenizerCallOptions): BatchEncoding {
    const max = opts.maxLength ?? 512;
    const rows = texts.map((t) => [1, ...Array.from(t, (c) => 3 + (c.charCodeAt(0) % 20))].slice(0, max - 1).concat([2]));
    const width = Math.max(...rows.map((r) => r.length));
    return {
      inputIds: rows.map((r) => r.concat(new Array(width - r.length).fill(0))),
      attentionMask: rows.map((r) => r.map(() => 1).concat(new Array(width - r.length).fill(0))),
    };
  },
};

test("textClassificationPipeline: all labels in id order with softmax scores, batched, eval mode restored", () => {
  // Logits [0, ln 3] -> softmax [0.25, 0.75]; labels given out of order in id2label.
  const model = fakeClassifier({ "1": "positive", "0": "negative" }, () => [0, Math.log(3)]);
  const pipe = textClassificationPipeline(model, charTokenizer, { batchSize: 2 });
  const out = pipe(["good", "bad", "so-so"]);
  assert.equal(out.length, 3);
  assert.equal(model.calls, 2, "3 texts in batches of 2");
  for (const row of out) {
    assert.deepEqual(row.map((s) => s.label), ["negative", "positive"]);
    close(row[0].score, 0.25, 1e-6);
    close(row[1].score, 0.75, 1e-6);
  }
  assert.equal(model.training, true, "training mode restored");
  assert.equal(pipe("one text").length, 1, "a single string gives one row");
});

test("textClassificationPipeline: sigmoid for one label, none, truncation to maxLength", () => {
  const lengths: number[] = [];
  const one = fakeClassifier({ "0": "LABEL_0" }, (n) => (lengths.push(n), [0]));
  close(textClassificationPipeline(one, charTokenizer)(["abc"])[0][0].score, 0.5);
  const raw = fakeClassifier({ "0": "a", "1": "b" }, (n) => [n, -n]);
  const out = textClassificationPipeline(raw, charTokenizer, { functionToApply: "none", maxLength: 4 })(["abcdefgh", "a"]);
  // "abcdefgh" truncated to [CLS] a b [SEP] = 4 tokens; "a" is [CLS] a [SEP] = 3.
  assert.deepEqual(out.map((r) => r.map((s) => s.score)), [[4, -4], [3, -3]]);
  assert.throws(() => textClassificationPipeline(raw, charTokenizer, { maxLength: 9 }), /maxLength must be an integer in \[2, 8\]/);
  assert.throws(() => textClassificationPipeline(raw, charTokenizer, { batchSize: 0 }), /batchSize must be a positive integer/);
  assert.throws(() => textClassificationPipeline(raw, charTokenizer)([3 as unknown as string]), /string or an array of strings/);
});

test("textClassificationPipeline on a real BertForSequenceClassification: padded batches equal one-by-one forwards", () => {
  const model = new BertForSequenceClassification({
    vocab_size: 30, hidden_size: 8, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 16,
    max_position_embeddings: 16, id2label: { "0": "neg", "1": "pos" },
  }, { seed: 7 });
  const texts = ["a", "a much longer text", "mid text"];
  const out = textClassificationPipeline(model, charTokenizer, { batchSize: 3 })(texts);
  texts.forEach((text, i) => {
    const ids = charTokenizer.call([text], { maxLength: 16 }).inputIds;
    const expected = tf.tidy(() => tf.softmax(model.forward({ inputIds: tf.tensor2d(ids, undefined, "int32") }).logits).arraySync()[0]);
    close(out[i][0].score, expected[0], 1e-5, `text ${i} neg`);
    close(out[i][1].score, expected[1], 1e-5, `text ${i} pos`);
  });
  model.dispose();
});

// ------------------------------------------------------------------ generative classification

/**
 * A "causal LM" over 3 tokens (a=0, b=1, c=2) whose next-token distribution depends only on the current
 * token: P(. | a) = [0.2, 0.6, 0.2], P(. | b) = [0.1, 0.6, 0.3], P(. | c) = [1/3, 1/3, 1/3]. Logits are the log
 * probabilities, so every expected value is a product of these numbers.
 */
const NEXT = [[0.2, 0.6, 0.2], [0.1, 0.6, 0.3], [1 / 3, 1 / 3, 1 / 3]];
function bigramLM(nPositions: number): CausalLM {
  return {
    config: { n_positions: nPositions, vocab_size: 3 },
    forward(inputIds: tf.Tensor2D) {
      const ids = inputIds.arraySync();
      return { logits: tf.tensor3d(ids.map((row) => row.map((id) => NEXT[id].map(Math.log)))) };
    },
  };
}
const abc = { encode: (text: string) => Array.from(text.replace(/\s/g, ""), (c) => "abc".indexOf(c)) };

test("continuationLogProbs: sums of next-token log-probabilities (hand-computed)", () => {
  const lp = continuationLogProbs(bigramLM(16), abc, "ab", ["c", "ca", "b"]);
  close(lp[0], Math.log(0.3), 1e-6, "c after b");
  close(lp[1], Math.log(0.3) + Math.log(1 / 3), 1e-6, "c then a");
  close(lp[2], Math.log(0.6), 1e-6, "b after b");
  assert.throws(() => continuationLogProbs(bigramLM(3), abc, "ab", ["ca"]), /prompt \(2 tokens\) \+ continuation \(2\) exceed the model's context of 3/);
  assert.throws(() => continuationLogProbs(bigramLM(8), abc, "", ["a"]), /prompt encodes to no tokens/);
  assert.throws(() => continuationLogProbs(bigramLM(8), abc, "a", []), /non-empty array of strings/);
  assert.throws(() => continuationLogProbs(bigramLM(8), abc, "a", [" "]), /continuation 0 \(" "\) encodes to no tokens/);
});

test("continuationLogProbs on a real GPT-2: equals log-softmax of unpadded full-sequence forwards", () => {
  const model = new GPT2LMHeadModel({ vocab_size: 20, n_positions: 16, n_embd: 8, n_layer: 2, n_head: 2 }, { seed: 3 });
  const tok = { encode: (text: string) => text.split(" ").filter(Boolean).map(Number) };
  const prompt = "1 5 9 2";
  const conts = ["7", "3 4 5", "11 0"];
  const got = continuationLogProbs(model, tok, prompt, conts);
  conts.forEach((c, i) => {
    const p = tok.encode(prompt), ids = p.concat(tok.encode(c));
    const logits = tf.tidy(() => tf.logSoftmax(model.forward(tf.tensor2d([ids], undefined, "int32")).logits, -1).arraySync()[0]);
    let expected = 0;
    for (let t = p.length; t < ids.length; t++) expected += logits[t - 1][ids[t]];
    close(got[i], expected, 1e-5, `continuation ${i}`);
  });
  model.dispose();
});

test("promptClassificationPipeline: softmax over label likelihoods, calibration, truncation of long documents", () => {
  const lm = bigramLM(4);
  // Prompt "ab": P(b | b) = 0.6, P(c | b) = 0.3 -> scores [2/3, 1/3].
  const pipe = promptClassificationPipeline(lm, abc, { template: "a[DOCUMENT]", labels: [" b", " c"], batchSize: 2 });
  const [row] = pipe(["b"]);
  assert.deepEqual(row.map((s) => s.label), ["b", "c"]);
  close(row[0].score, 2 / 3);
  close(row[1].score, 1 / 3);
  // Contextual calibration with an empty content-free document: prompt "a" gives P(b|a)=0.6, P(c|a)=0.2,
  // so the calibrated ratios are 0.6/0.6 : 0.3/0.2 = 1 : 1.5 -> [0.4, 0.6]: the decision flips.
  const calibrated = promptClassificationPipeline(lm, abc, { template: "a[DOCUMENT]", labels: [" b", " c"], calibrate: true, contentFree: "" });
  const [cal] = calibrated(["b"]);
  close(cal[0].score, 0.4);
  close(cal[1].score, 0.6);
  // Context 4, labels 1 token: the prompt may have 3 tokens, so "c b c b" is cut to "c b" -> "acb",
  // whose last token b gives [2/3, 1/3]; batches of 2 with a third text give the same rows.
  const out = pipe(["c b c b", "b", "c"]);
  close(out[0][0].score, 2 / 3);
  close(out[1][0].score, 2 / 3);
  close(out[2][0].score, 0.5, 1e-6, "after c both labels are 1/3");
  assert.throws(() => promptClassificationPipeline(lm, abc, { template: "aaaa[DOCUMENT]", labels: ["b", "c"] })(["b"]), /template alone does not fit the model's context of 4/);
  assert.throws(() => promptClassificationPipeline(lm, abc, { template: "a", labels: ["b", "c"] }), /must contain "\[DOCUMENT\]"/);
  assert.throws(() => promptClassificationPipeline(lm, abc, { template: "a[DOCUMENT]", labels: ["b"] }), /at least two non-empty strings/);
});
