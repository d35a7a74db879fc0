/**
 * sentence-transformers' losses: hand-computed values on 2-d embeddings, then PyTorch values (and the
 * gradient of MNR with hard negatives) from tests/fixtures/sentence-transformers/make_reference.py,
 * and the loss modules on the tiny encoder.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { initEngine, tf } from "../lib";
import { SentenceTransformer } from "../lib/embeddings/sentence-transformer";
import {
  CosineSimilarityLoss,
  MultipleNegativesRankingLoss,
  SoftmaxLoss,
  cosineSimilarityLoss,
  multipleNegativesRankingLoss,
  softmaxLossFromEmbeddings,
} from "../lib/embeddings/losses";
import { DenoisingAutoEncoderLoss, deleteWords, denoisingExamples } from "../lib/embeddings/tsdae";
import { trainSentenceTransformer } from "../lib/embeddings/train";
import { Rng } from "../lib/util/random";
import { maxAbsDiff } from "./helpers/compare";

const fixtures = path.join(__dirname, "fixtures", "sentence-transformers");
const ref = JSON.parse(fs.readFileSync(path.join(fixtures, "expected.json"), "utf8")).losses;
const t2 = (x: number[][]) => tf.tensor2d(x);
const value = (s: tf.Scalar) => s.dataSync()[0];

function close(got: number, want: number, tol: number, what: string): void {
  assert.ok(Math.abs(got - want) <= tol, `${what}: ${got} vs ${want}`);
}

test("hand-computed values: cosine, MNR and softmax losses on 2-d embeddings", async () => {
  await initEngine({ verbose: false });
  tf.tidy(() => {
    // cos = 0 (target 0) and 1 (target 0.5): ((0)^2 + (0.5)^2) / 2.
    close(value(cosineSimilarityLoss(t2([[1, 0], [1, 1]]), t2([[0, 1], [2, 2]]), tf.tensor1d([0, 0.5]))), 0.125, 1e-7, "cosine");
    // anchors e1, e2; positives e1, (1,1)/|.|: row 0 logits (20, 20/sqrt2), right answer 0; row 1 (0, 20/sqrt2), right answer 1.
    const s = 20 / Math.SQRT2;
    const mnr = (Math.log(1 + Math.exp(s - 20)) + Math.log(1 + Math.exp(-s))) / 2;
    close(value(multipleNegativesRankingLoss(t2([[1, 0], [0, 1]]), t2([[1, 0], [1, 1]]))), mnr, 1e-6, "MNR");
    // Hard negatives (0,-1), (0,1) add columns (0, 0) to row 0 and (-20, 20) to row 1.
    const hard = (Math.log(1 + Math.exp(s - 20) + Math.exp(0 - 20) + Math.exp(-20)) + Math.log(Math.exp(0) + Math.exp(s) + Math.exp(-20) + Math.exp(20)) - s) / 2;
    close(value(multipleNegativesRankingLoss(t2([[1, 0], [0, 1]]), t2([[1, 0], [1, 1]]), t2([[0, -1], [0, 1]]))), hard, 1e-5, "MNR + hard negatives");
    // features cat(u, v, |u - v|) = (1, 2, 3, 1, 2, 1); logits (1, 1, 0); label 2: log(2e + 1).
    const W = t2([[1, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0]]);
    close(value(softmaxLossFromEmbeddings(t2([[1, 2]]), t2([[3, 1]]), tf.tensor1d([2], "int32"), W, tf.zeros([3]) as tf.Tensor1D)), Math.log(2 * Math.E + 1), 1e-6, "softmax");
  });
});

test("the losses match PyTorch (values, and the MNR gradient with hard negatives)", async () => {
  await initEngine({ verbose: false });
  tf.tidy(() => {
    const u = t2(ref.u);
    const v = t2(ref.v);
    close(value(softmaxLossFromEmbeddings(u, v, tf.tensor1d(ref.nli_labels, "int32"), t2(ref.classifier_weight), tf.tensor1d(ref.classifier_bias))), ref.softmax_loss, 1e-5, "softmax");
    close(value(cosineSimilarityLoss(u, v, tf.tensor1d(ref.scores))), ref.cosine_loss, 1e-6, "cosine");
    const a = t2(ref.anchors);
    const p = t2(ref.positives);
    const n = t2(ref.negatives);
    close(value(multipleNegativesRankingLoss(a, p)), ref.mnr_loss, 1e-4, "MNR");
    close(value(multipleNegativesRankingLoss(a, p, n)), ref.mnr_hard_loss, 1e-4, "MNR + hard negatives");
    close(value(multipleNegativesRankingLoss(a, p, null, 1)), ref.mnr_scale1_loss, 1e-6, "MNR scale 1");
    const grad = tf.grad((x: tf.Tensor) => multipleNegativesRankingLoss(x as tf.Tensor2D, p, [n]))(a);
    const d = maxAbsDiff(grad, ref.mnr_hard_grad_anchors);
    assert.ok(d <= 1e-4, `MNR gradient: max abs diff ${d}`);
  });
});

test("shape errors name the loss and the shapes", async () => {
  await initEngine({ verbose: false });
  tf.tidy(() => {
    assert.throws(() => multipleNegativesRankingLoss(t2([[1, 0]]), t2([[1, 0], [0, 1]])), /multipleNegativesRankingLoss: positives \[2,2\] must have the anchors' shape \[1,2\]/);
    assert.throws(() => multipleNegativesRankingLoss(t2([[1, 0]]), t2([[1, 0]]), null, 0), /scale must be a positive number/);
    assert.throws(() => softmaxLossFromEmbeddings(t2([[1, 2]]), t2([[3, 1]]), tf.tensor1d([0]), t2([[1, 2]]), tf.zeros([1]) as tf.Tensor1D), /classifier weight \[1,2\] and bias \[1\] must be \[numLabels, 3 x 2\]/);
  });
});

test("the loss modules embed each column with the model and train its parameters and their own", async () => {
  await initEngine({ verbose: false });
  const model = await SentenceTransformer.fromPretrained(path.join(fixtures, "tiny-bert"));
  const premises = ["a man plays guitar", "the child smiles", "rain is wet"];
  const hypotheses = ["a man plays music", "the child is sad", "the sun is hot"];
  const softmax = new SoftmaxLoss(model, { sentenceEmbeddingDimension: 16, numLabels: 3 });
  assert.deepEqual(softmax.classifier.weight.shape, [3, 48]);
  const bound = 1 / Math.sqrt(48);
  assert.ok(Array.from(softmax.classifier.weight.dataSync()).every((w) => Math.abs(w) <= bound), "nn.Linear's uniform init");
  const names = softmax.namedParameters().map(([n]) => n);
  assert.ok(names.includes("classifier.weight") && names.includes("model.encoder.embeddings.word_embeddings.weight"), names.slice(0, 3).join(", "));
  tf.tidy(() => {
    const features = [model.tokenize(premises), model.tokenize(hypotheses)];
    const labels = tf.tensor1d([0, 2, 1], "int32");
    const want = softmaxLossFromEmbeddings(model.forward(features[0]), model.forward(features[1]), labels, softmax.classifier.weight as tf.Tensor2D, softmax.classifier.bias as tf.Tensor1D);
    close(value(softmax.forward(features, labels)), value(want), 1e-6, "SoftmaxLoss module");
    const mnr = new MultipleNegativesRankingLoss(model);
    close(value(mnr.forward(features)), value(multipleNegativesRankingLoss(model.forward(features[0]), model.forward(features[1]))), 1e-6, "MNR module");
    const cos = new CosineSimilarityLoss(model);
    const scores = tf.tensor1d([0.9, 0.2, 0.1]);
    close(value(cos.forward(features, scores)), value(cosineSimilarityLoss(model.forward(features[0]), model.forward(features[1]), scores)), 1e-6, "CosineSimilarityLoss module");
    assert.throws(() => softmax.forward([features[0]], labels), /SoftmaxLoss: expects 2 texts per example, got 1/);
    assert.throws(() => cos.forward(features), /CosineSimilarityLoss: needs a label per example/);
  });
  // Disposing the loss frees its classifier, not the model.
  softmax.dispose();
  assert.equal(softmax.classifier.weight.isDisposed, true);
  assert.equal(model.encoder.embeddings.word_embeddings.weight.isDisposed, false);
  model.dispose();
});

test("TSDAE: deleteWords drops ~60 % of the words and keeps at least one", () => {
  const words = Array.from({ length: 2000 }, (_, i) => `w${i}`);
  const kept = deleteWords(words.join(" "), { rng: new Rng(1) }).split(" ");
  assert.ok(Math.abs(kept.length / words.length - 0.4) < 0.03, `kept ${kept.length} of ${words.length}`);
  assert.deepEqual(kept, words.filter((w) => kept.includes(w)), "order kept");
  for (let seed = 0; seed < 20; seed++) assert.equal(deleteWords("solo", { delRatio: 1, rng: new Rng(seed) }), "solo");
  assert.equal(deleteWords("", { rng: new Rng(1) }), "");
  assert.equal(deleteWords("a b c", { delRatio: 0 }), "a b c");
  const examples = denoisingExamples(["the cat sat on the mat", "rain is wet"], { seed: 3 });
  assert.deepEqual(examples.map((e) => e.texts[1]), ["the cat sat on the mat", "rain is wet"]);
  assert.deepEqual(denoisingExamples(["the cat sat on the mat", "rain is wet"], { seed: 3 }), examples, "reproducible");
  assert.throws(() => deleteWords("a", { delRatio: 1.5 }), /delRatio must be in \[0, 1\]/);
});

test("TSDAE: DenoisingAutoEncoderLoss matches a PyTorch BertLMHeadModel decoder (tied, cross-attention to the CLS embedding)", async (t) => {
  await initEngine({ verbose: false });
  const tsdae = JSON.parse(fs.readFileSync(path.join(fixtures, "expected.json"), "utf8")).tsdae;
  const model = await SentenceTransformer.fromPretrained(path.join(fixtures, "tiny-bert"), { pooling: "cls" });
  const loss = new DenoisingAutoEncoderLoss(model);
  const own = loss.namedParameters().filter(([n]) => !n.startsWith("model."));
  assert.deepEqual(own.map(([n]) => n).sort(), Object.keys(tsdae.weights).sort(), "HF-style names of the decoder's new weights");
  tf.tidy(() => {
    const state = new Map(Object.entries(tsdae.weights as Record<string, number[] | number[][]>).map(([n, v]) => [n, tf.tensor(v)]));
    loss.loadStateDict(state, false); // the decoder's own weights; the tied ones are the model's
    const target = model.tokenize(tsdae.original);
    assert.deepEqual(target.inputIds.arraySync(), tsdae.target_ids);
    const logitsDiff = maxAbsDiff(loss.decoderLogits(target, model.forward(model.tokenize(tsdae.noisy))), tsdae.logits);
    assert.ok(logitsDiff <= 1e-4, `decoder logits: max abs diff ${logitsDiff}`);
    close(value(loss.forward([model.tokenize(tsdae.noisy), target])), tsdae.loss, 1e-5, "TSDAE loss");
  });
  // A few training steps lower the reconstruction loss.
  const sentences = ["a cat sat on the mat", "the dog runs fast", "the sun is hot", "rain is wet", "a man plays guitar", "the bird flies in the blue sky"];
  const examples = denoisingExamples(sentences);
  const evalLoss = () => tf.tidy(() => value(loss.forward([model.tokenize(examples.map((e) => e.texts[0])), model.tokenize(sentences)])));
  const before = evalLoss();
  await trainSentenceTransformer({ loss, trainExamples: examples, batchSize: 3, epochs: 15, args: { learningRate: 3e-3, progress: false } });
  const after = evalLoss();
  t.diagnostic(`TSDAE reconstruction loss over 6 sentences: before ${before.toFixed(4)}, after ${after.toFixed(4)} (30 steps)`);
  assert.ok(after < before * 0.8, `TSDAE loss before ${before}, after ${after}`);
  loss.dispose();
  model.dispose();
});
