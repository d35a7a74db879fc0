/**
 * SentenceTransformer: pooled embeddings against an independent PyTorch BERT, the sentence-transformers
 * folder layout (save -> load, hand-written modules.json), config errors naming their file, the
 * EmbeddingSimilarityEvaluator against numpy, training with each loss, and the cross-encoder.
 * References: tests/fixtures/sentence-transformers/make_reference.py.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { initEngine, tf } from "../lib";
import { SentenceTransformer } from "../lib/embeddings/sentence-transformer";
import { EmbeddingSimilarityEvaluator, embeddingSimilarityMetrics, pearsonr, rankdata, spearmanr } from "../lib/embeddings/evaluation";
import { MultipleNegativesRankingLoss, SoftmaxLoss } from "../lib/embeddings/losses";
import { noDuplicatesBatchIndices, trainSentenceTransformer } from "../lib/embeddings/train";
import { CrossEncoder, augmentedSbert, binaryCrossEntropyWithLogits } from "../lib/embeddings/cross-encoder";
import type { InputExample } from "../lib/embeddings/train";
import { maxAbsDiff } from "./helpers/compare";

const fixtures = path.join(__dirname, "fixtures", "sentence-transformers");
const tinyBert = path.join(fixtures, "tiny-bert");
const ref = JSON.parse(fs.readFileSync(path.join(fixtures, "expected.json"), "utf8"));

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "st-"));
}

/** A copy of the tiny encoder folder, for hand-written sentence-transformers files. */
function copyTiny(): string {
  const dir = tmpDir();
  for (const f of fs.readdirSync(tinyBert)) fs.copyFileSync(path.join(tinyBert, f), path.join(dir, f));
  return dir;
}

function embeddingsOf(model: SentenceTransformer, texts: string[]): tf.Tensor2D {
  const m = model.encode(texts);
  return tf.tensor2d(m.data, [m.rows, m.cols]);
}

test("a plain HF folder loads with mean pooling; mean / CLS / max match the PyTorch reference", async () => {
  await initEngine({ verbose: false });
  const model = await SentenceTransformer.fromPretrained(tinyBert);
  assert.equal(model.pooling, "mean");
  assert.equal(model.normalize, false);
  assert.equal(model.maxSeqLength, 24); // min(max_position_embeddings 24, model_max_length 24)
  const { sentences, input_ids } = ref.pooling;
  tf.tidy(() => {
    const inputs = model.tokenize(sentences);
    assert.deepEqual(inputs.inputIds.arraySync(), input_ids);
    const d = maxAbsDiff(embeddingsOf(model, sentences), ref.pooling.mean);
    assert.ok(d <= 1e-4, `mean pooling: max abs diff ${d}`);
  });
  for (const mode of ["cls", "max"] as const) {
    const other = new SentenceTransformer(model.encoder, model.tokenizer, { pooling: mode });
    tf.tidy(() => {
      const d = maxAbsDiff(embeddingsOf(other, sentences), ref.pooling[mode]);
      assert.ok(d <= 1e-4, `${mode} pooling: max abs diff ${d}`);
    });
  }
  model.dispose();
});

test("save writes the sentence-transformers layout; loading it gives the same embeddings", async () => {
  await initEngine({ verbose: false });
  const model = await SentenceTransformer.fromPretrained(tinyBert, { pooling: "max", maxSeqLength: 16 });
  const dir = path.join(tmpDir(), "saved");
  model.save(dir);
  const read = (f: string) => JSON.parse(fs.readFileSync(path.join(dir, f), "utf8"));
  assert.deepEqual(read("modules.json"), [
    { idx: 0, name: "0", path: "", type: "sentence_transformers.models.Transformer" },
    { idx: 1, name: "1", path: "1_Pooling", type: "sentence_transformers.models.Pooling" },
  ]);
  assert.deepEqual(read("sentence_bert_config.json"), { max_seq_length: 16, do_lower_case: false });
  const pooling = read("1_Pooling/config.json");
  assert.equal(pooling.word_embedding_dimension, 16);
  assert.equal(pooling.pooling_mode_max_tokens, true);
  assert.equal(pooling.pooling_mode_mean_tokens, false);
  assert.equal(pooling.pooling_mode_cls_token, false);
  assert.equal(read("config.json").architectures[0], "BertModel");
  for (const f of ["model.safetensors", "tokenizer.json", "tokenizer_config.json"]) assert.ok(fs.existsSync(path.join(dir, f)), f);
  assert.deepEqual(fs.readdirSync(dir).filter((f) => f.includes(".tmp")), [], "no temporary files left");

  const again = await SentenceTransformer.fromPretrained(dir);
  assert.equal(again.pooling, "max");
  assert.equal(again.maxSeqLength, 16);
  const texts = ["a cat sat on the mat", "music is loud", "the bird flies in the blue sky and the fish swims"];
  const a = model.encode(texts);
  const b = again.encode(texts);
  assert.deepEqual(Array.from(b.data), Array.from(a.data));
  model.dispose();
  again.dispose();
});

test("a hand-written modules.json with CLS pooling and Normalize loads as such (and saves back)", async () => {
  await initEngine({ verbose: false });
  const dir = copyTiny();
  fs.writeFileSync(path.join(dir, "modules.json"), JSON.stringify([
    { idx: 0, name: "0", path: "", type: "sentence_transformers.models.Transformer" },
    { idx: 1, name: "1", path: "1_Pooling", type: "sentence_transformers.models.Pooling" },
    { idx: 2, name: "2", path: "2_Normalize", type: "sentence_transformers.models.Normalize" },
  ]));
  fs.mkdirSync(path.join(dir, "1_Pooling"));
  fs.writeFileSync(path.join(dir, "1_Pooling", "config.json"), JSON.stringify({ word_embedding_dimension: 16, pooling_mode_cls_token: true, pooling_mode_mean_tokens: false }));
  fs.writeFileSync(path.join(dir, "sentence_bert_config.json"), JSON.stringify({ max_seq_length: 20, do_lower_case: true }));
  const model = await SentenceTransformer.fromPretrained(dir);
  assert.equal(model.pooling, "cls");
  assert.equal(model.normalize, true);
  assert.equal(model.maxSeqLength, 20);
  assert.equal(model.doLowerCase, true);
  tf.tidy(() => {
    const d = maxAbsDiff(embeddingsOf(model, ref.pooling.sentences), ref.pooling.cls_normalized);
    assert.ok(d <= 1e-4, `CLS + Normalize: max abs diff ${d}`);
  });
  const out = path.join(tmpDir(), "again");
  model.save(out);
  assert.equal(JSON.parse(fs.readFileSync(path.join(out, "modules.json"), "utf8"))[2].path, "2_Normalize");
  assert.ok(fs.statSync(path.join(out, "2_Normalize")).isDirectory());
  const again = await SentenceTransformer.fromPretrained(out);
  assert.deepEqual([again.pooling, again.normalize, again.doLowerCase], ["cls", true, true]);
  model.dispose();
  again.dispose();
});

test("unsupported modules and bad configs are errors naming the file", async () => {
  await initEngine({ verbose: false });
  const write = (dir: string, file: string, value: unknown) => {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), JSON.stringify(value));
  };
  const transformer = { idx: 0, name: "0", path: "", type: "sentence_transformers.models.Transformer" };
  const pooling = { idx: 1, name: "1", path: "1_Pooling", type: "sentence_transformers.models.Pooling" };
  const meanCfg = { word_embedding_dimension: 16, pooling_mode_mean_tokens: true };

  let dir = copyTiny();
  write(dir, "modules.json", [transformer, pooling, { idx: 2, name: "2", path: "2_Dense", type: "sentence_transformers.models.Dense" }]);
  write(dir, "1_Pooling/config.json", meanCfg);
  await assert.rejects(SentenceTransformer.fromPretrained(dir), /modules\.json: module 2 \(sentence_transformers\.models\.Dense, path "2_Dense"\) is not supported/);

  dir = copyTiny();
  write(dir, "modules.json", [transformer, pooling]);
  write(dir, "1_Pooling/config.json", { word_embedding_dimension: 16, pooling_mode_mean_tokens: true, pooling_mode_max_tokens: true });
  await assert.rejects(SentenceTransformer.fromPretrained(dir), /1_Pooling\/config\.json: several pooling modes are set/);

  write(dir, "1_Pooling/config.json", { word_embedding_dimension: 384, pooling_mode_mean_tokens: true });
  await assert.rejects(SentenceTransformer.fromPretrained(dir), /1_Pooling\/config\.json: word_embedding_dimension is 384 but the encoder's hidden_size is 16/);

  write(dir, "1_Pooling/config.json", meanCfg);
  write(dir, "sentence_bert_config.json", { max_seq_length: 512 });
  await assert.rejects(SentenceTransformer.fromPretrained(dir), /sentence_bert_config\.json: max_seq_length 512 exceeds max_position_embeddings \(24\)/);

  write(dir, "sentence_bert_config.json", { max_seq_length: 8 });
  write(dir, "modules.json", [pooling, transformer].map((m, i) => ({ ...m, idx: i })));
  await assert.rejects(SentenceTransformer.fromPretrained(dir), /modules\.json: expected the modules Transformer, Pooling and optionally Normalize in that order, got Pooling, Transformer/);

  fs.writeFileSync(path.join(dir, "modules.json"), "[{");
  await assert.rejects(SentenceTransformer.fromPretrained(dir), /modules\.json: invalid JSON/);
});

test("rankdata / spearmanr / pearsonr: hand values (average ranks for ties)", () => {
  assert.deepEqual(Array.from(rankdata([10, 20, 20, 5, 20])), [2, 4, 4, 1, 4]);
  assert.equal(spearmanr([1, 2, 3, 4], [10, 20, 25, 100]), 1);
  assert.ok(Math.abs(pearsonr([1, 2, 3], [1, 2, 4]) - 0.9819805060619657) < 1e-12); // sxy 3, sxx 2, syy 14/3: 3 / sqrt(28/3)
  // x = (1, 2, 3, 4), y = (1, 3, 2, 4) with ranks equal to values: 1 - 6 * 2 / (4 * 15) = 0.8.
  assert.ok(Math.abs(spearmanr([1, 2, 3, 4], [1, 3, 2, 4]) - 0.8) < 1e-12);
  assert.throws(() => spearmanr([1, 2], [1]), /spearmanr: x has 2 values but y has 1/);
});

test("embeddingSimilarityMetrics matches numpy (cosine, -manhattan, -euclidean, dot; ties in the gold scores)", () => {
  const { embeddings1, embeddings2, scores, metrics } = ref.evaluator;
  const got = embeddingSimilarityMetrics(embeddings1, embeddings2, scores) as Record<string, number>;
  for (const [key, want] of Object.entries(metrics as Record<string, number>)) {
    assert.ok(Math.abs(got[key] - want) <= 1e-6, `${key}: ${got[key]} vs ${want}`);
  }
  assert.equal(got.spearman_max, Math.max(got.spearman_cosine, got.spearman_manhattan, got.spearman_euclidean, got.spearman_dot));
  assert.equal(got.pearson_max, Math.max(got.pearson_cosine, got.pearson_manhattan, got.pearson_euclidean, got.pearson_dot));
});

test("EmbeddingSimilarityEvaluator encodes both sides with the model; a name prefixes the keys", async () => {
  await initEngine({ verbose: false });
  const model = await SentenceTransformer.fromPretrained(tinyBert);
  const s1 = ["a cat sat on the mat", "the dog runs fast", "rain is wet", "the sun is hot", "a man plays guitar"];
  const s2 = ["a cat sat on a mat", "the dog is slow", "water is wet", "the sun is cold", "a woman plays piano"];
  const scores = [5, 1.5, 3, 1, 2.5];
  const evaluator = new EmbeddingSimilarityEvaluator(s1, s2, scores, { name: "sts-dev", mainSimilarity: "cosine" });
  const got = evaluator.evaluate(model);
  const want = embeddingSimilarityMetrics(model.encode(s1), model.encode(s2), scores) as Record<string, number>;
  assert.deepEqual(Object.keys(got), Object.keys(want).map((k) => `sts-dev_${k}`));
  for (const k of Object.keys(want)) assert.equal(got[`sts-dev_${k}`], want[k]);
  assert.equal(evaluator.primaryMetric, "sts-dev_spearman_cosine");
  assert.equal(new EmbeddingSimilarityEvaluator(s1, s2, scores).primaryMetric, "spearman_max");
  assert.throws(() => new EmbeddingSimilarityEvaluator(s1, s2.slice(1), scores), /sentences1 \(5\), sentences2 \(4\) and scores \(5\) must have the same length/);
  model.dispose();
});

test("no_duplicates batches never hold a text twice and cover every example once per pass", () => {
  const examples = [
    { texts: ["a cat", "a small cat"] }, { texts: ["a cat", "the cat"] }, { texts: ["a dog", "the dog"] },
    { texts: ["a cat", "cats"] }, { texts: ["the dog", "a big dog"] }, { texts: ["rain", "water"] }, { texts: ["sun", "hot"] },
  ];
  const sampler = noDuplicatesBatchIndices(examples, 3, 42);
  const steps = sampler.stepsForEpochs(2);
  const seenPerPass: number[][] = [[], []];
  let pass = 0;
  for (let i = 0; i < steps; i++) {
    const batch = sampler.batch(i);
    assert.deepEqual(sampler.batch(i), batch, "a pure function of the step");
    const texts = batch.flatMap((k) => examples[k].texts);
    assert.equal(new Set(texts).size, texts.length, `batch ${i} repeats a text: ${texts.join(" | ")}`);
    if (seenPerPass[pass].length + batch.length > examples.length) pass++;
    seenPerPass[pass].push(...batch);
  }
  for (const seen of seenPerPass) assert.deepEqual([...seen].sort(), [0, 1, 2, 3, 4, 5, 6]);
  // Three examples share "a cat": at least three batches per pass.
  assert.ok(sampler.stepsForEpochs(1) >= 3);
});

test("trainSentenceTransformer: a few dozen MNR steps lower the loss; the evaluator runs at the end", async (t) => {
  await initEngine({ verbose: false });
  const model = await SentenceTransformer.fromPretrained(tinyBert);
  const pairs: Array<[string, string]> = [
    ["a cat sat on the mat", "the cat sat on a mat"], ["the dog runs fast", "a dog runs fast"], ["rain is wet", "water is wet"],
    ["the sun is hot", "hot sun"], ["a man plays guitar", "the man plays music"], ["a woman plays piano", "the woman plays music"],
    ["the child smiles", "a happy child"], ["the bird flies in the sky", "a bird flies"], ["the fish swims in the water", "a fish swims"],
    ["a big red car", "the car is red and big"], ["a small green tree", "the tree is green"], ["the man reads a book", "a man reads"],
  ];
  const trainExamples = pairs.map(([a, b]) => ({ texts: [a, b] }));
  const loss = new MultipleNegativesRankingLoss(model);
  const evalLoss = () => tf.tidy(() => {
    model.eval();
    return loss.forward([model.tokenize(pairs.map((p) => p[0])), model.tokenize(pairs.map((p) => p[1]))]).dataSync()[0];
  });
  const before = evalLoss();
  const evaluator = new EmbeddingSimilarityEvaluator(pairs.map((p) => p[0]), pairs.map((p) => p[1]).reverse(), pairs.map((_, i) => i % 3));
  const tensorsBefore = tf.memory().numTensors;
  const out = await trainSentenceTransformer({
    loss, trainExamples, batchSize: 6, epochs: 15, batchSampler: "no_duplicates", evaluator,
    args: { learningRate: 3e-3, warmupRatio: 0.1, progress: false },
  });
  const after = evalLoss();
  t.diagnostic(`MNR loss over the 12 pairs: before ${before.toFixed(4)}, after ${after.toFixed(4)}; spearman_cosine ${out.evaluation?.spearman_cosine}`);
  assert.equal(out.globalStep, 30);
  assert.ok(after < before * 0.5, `MNR loss over the pairs: before ${before}, after ${after}`);
  assert.ok(out.evaluation && Number.isFinite(out.evaluation.spearman_cosine), JSON.stringify(out.evaluation));
  assert.ok(out.logHistory.some((r) => r.eval_spearman_cosine !== undefined), "eval_ metrics logged");
  assert.equal(tf.memory().numTensors, tensorsBefore, "no tensor left behind by training");
  loss.dispose();
  model.dispose();
});

test("trainSentenceTransformer checks the examples against the loss", async () => {
  await initEngine({ verbose: false });
  const model = await SentenceTransformer.fromPretrained(tinyBert);
  const softmax = new SoftmaxLoss(model, { numLabels: 3 });
  await assert.rejects(trainSentenceTransformer({ loss: softmax, trainExamples: [{ texts: ["a", "b"], label: 0 }, { texts: ["a", "b"] }] }), /example 1 has no numeric label, which SoftmaxLoss needs/);
  await assert.rejects(trainSentenceTransformer({ loss: softmax, trainExamples: [{ texts: ["a", "b"], label: 3 }] }), /example 0 has label 3, SoftmaxLoss expects a class id in \[0, 3\)/);
  await assert.rejects(trainSentenceTransformer({ loss: softmax, trainExamples: [{ texts: ["a", "b", "c"], label: 1 }] }), /SoftmaxLoss expects 2 texts per example, the examples have 3/);
  await assert.rejects(trainSentenceTransformer({ loss: new MultipleNegativesRankingLoss(model), trainExamples: [{ texts: ["a", "b"] }, { texts: ["a"] }] }), /example 1 has 1 texts, example 0 has 2/);
  softmax.dispose();
  model.dispose();
});

test("binaryCrossEntropyWithLogits: the hand value of -[y log s(x) + (1 - y) log(1 - s(x))]", async () => {
  await initEngine({ verbose: false });
  const x = [0, 2, -1, 30];
  const y = [1, 0, 0.5, 1];
  const sig = (v: number) => 1 / (1 + Math.exp(-v));
  const want = x.reduce((sum, xi, i) => sum - (y[i] * Math.log(sig(xi)) + (1 - y[i]) * Math.log(1 - sig(xi))), 0) / x.length;
  const got = tf.tidy(() => binaryCrossEntropyWithLogits(tf.tensor1d(x), tf.tensor1d(y)).dataSync()[0]);
  assert.ok(Math.abs(got - want) < 1e-6, `${got} vs ${want}`);
});

const TOPICS = [
  ["the cat sat on the mat", "a cat sleeps", "the small cat"],
  ["the dog runs fast", "a big dog", "the dog sleeps in the park"],
  ["rain is wet", "the water is cold", "rain and water"],
  ["a man plays guitar", "loud music", "the woman plays piano"],
];
/** Same topic: 1, different topics: 0. */
function topicPairs(): InputExample[] {
  const out: InputExample[] = [];
  TOPICS.forEach((group, g) => group.forEach((a, i) => {
    out.push({ texts: [a, group[(i + 1) % group.length]], label: 1 });
    out.push({ texts: [a, TOPICS[(g + 1) % TOPICS.length][i]], label: 0 });
  }));
  return out;
}

test("CrossEncoder (num_labels 1): fit lowers the BCE loss, predict gives sigmoid scores; save -> load", async (t) => {
  await initEngine({ verbose: false });
  const ce = await CrossEncoder.fromPretrained(tinyBert, { numLabels: 1 });
  assert.equal(ce.numLabels, 1);
  const examples = topicPairs();
  const pairs = examples.map((e) => [e.texts[0], e.texts[1]] as [string, string]);
  const labels = examples.map((e) => e.label as number);
  const meanLoss = () => tf.tidy(() => {
    ce.model.eval();
    return ce.loss(ce.tokenize(pairs), tf.tensor1d(labels)).dataSync()[0];
  });
  const inputs = ce.tokenize([["a cat", "the dog"]]);
  assert.deepEqual(inputs.tokenTypeIds!.arraySync(), [[0, 0, 0, 0, 1, 1, 1]]); // [CLS] a cat [SEP] the dog [SEP]
  tf.dispose([inputs.inputIds, inputs.attentionMask!, inputs.tokenTypeIds!]);
  const before = meanLoss();
  const out = await ce.fit({ trainExamples: examples, batchSize: 8, epochs: 30, args: { learningRate: 3e-3, progress: false } });
  const after = meanLoss();
  t.diagnostic(`cross-encoder BCE over the ${examples.length} pairs: before ${before.toFixed(4)}, after ${after.toFixed(4)} (${out.globalStep} steps)`);
  assert.equal(out.globalStep, 90);
  assert.ok(after < before * 0.75, `before ${before}, after ${after}`);
  const scores = ce.predict(pairs, { batchSize: 5 }) as number[];
  assert.equal(scores.length, pairs.length);
  assert.ok(scores.every((s) => s > 0 && s < 1));
  const dir = path.join(tmpDir(), "ce");
  ce.save(dir);
  const again = await CrossEncoder.fromPretrained(dir);
  assert.deepEqual(again.predict(pairs), ce.predict(pairs));
  await assert.rejects(ce.fit({ trainExamples: [{ texts: ["a", "b"], label: 2 }] }), /example 0 has label 2; with num_labels 1 the targets are scores in \[0, 1\]/);
  ce.dispose();
  again.dispose();
});

test("augmentedSbert: cross-encoder on gold, silver labels in [0, 1], bi-encoder trained on gold + silver", async () => {
  await initEngine({ verbose: false });
  const crossEncoder = await CrossEncoder.fromPretrained(tinyBert, { numLabels: 1 });
  const biEncoder = await SentenceTransformer.fromPretrained(tinyBert);
  const gold = topicPairs();
  const silverPairs: Array<[string, string]> = [["the small cat", "a cat sat"], ["a big dog", "rain is wet"], ["loud music", "the man plays guitar"], ["the water is cold", "a cat sleeps"]];
  const before = biEncoder.encode(["a cat"]).data.slice();
  const result = await augmentedSbert({
    crossEncoder, biEncoder, gold, silverPairs,
    crossEncoderFit: { batchSize: 8, epochs: 2, args: { learningRate: 1e-3, progress: false } },
    biEncoderFit: { batchSize: 4, epochs: 1, args: { learningRate: 1e-3, progress: false } },
  });
  assert.equal(result.silver.length, 4);
  assert.ok(result.silver.every((e) => typeof e.label === "number" && e.label > 0 && e.label < 1));
  assert.deepEqual(result.silver.map((e) => e.texts), silverPairs);
  assert.equal(result.biEncoderTraining.globalStep, Math.floor((gold.length + 4) / 4));
  assert.notDeepEqual(Array.from(biEncoder.encode(["a cat"]).data), Array.from(before), "the bi-encoder was trained");
  crossEncoder.dispose();
  biEncoder.dispose();
});
