import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { initEngine, loadText, tf } from "hands-on-llm";
import {
  AliasSampler,
  KeyedVectors,
  Word2Vec,
  buildVocab,
  keepProbabilities,
  sgnsLossAndGrads,
  simplePreprocess,
  textToSentences,
} from "../lib/embeddings";
import { Rng } from "../lib/util/random";

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const softplus = (x: number) => Math.log(1 + Math.exp(x));

test("simplePreprocess: lowercase letter words, inner apostrophes kept, possessive dropped, gensim's length limits", () => {
  assert.deepEqual(simplePreprocess("Mr. Darcy's pride, _Elizabeth's_ 2 prejudices! Don't—a I"), ["mr", "darcy", "pride", "elizabeth", "prejudices", "don't"]);
  assert.deepEqual(simplePreprocess("Café ÉTÉ x1y"), ["café", "été"]);
  assert.deepEqual(simplePreprocess("don't", { apostrophes: false }), ["don"]);
  assert.deepEqual(simplePreprocess("a bb", { minLen: 1 }), ["a", "bb"]);
});

test("textToSentences splits paragraphs, sentences (not after Mr.) or lines", () => {
  const text = 'It is a truth. Mr. Darcy came!\n"Yes," said she.\n\nNew paragraph here.';
  assert.deepEqual(textToSentences(text), [["it", "is", "truth", "mr", "darcy", "came", "yes", "said", "she"], ["new", "paragraph", "here"]]);
  assert.deepEqual(textToSentences(text, { unit: "sentence" }), [["it", "is", "truth"], ["mr", "darcy", "came"], ["yes", "said", "she"], ["new", "paragraph", "here"]]);
  assert.equal(textToSentences(text, { unit: "line" }).length, 3);
});

test("vocabulary, subsampling probabilities and the noise sampler follow word2vec's formulas", () => {
  const { words, counts, rawWords } = buildVocab([["b", "a", "b", "c"], ["a", "b", "d"]], 2);
  assert.deepEqual(words, ["b", "a"]); // most frequent first; c and d below minCount
  assert.deepEqual(counts, [3, 2]);
  assert.equal(rawWords, 7);
  // keep(c) = (sqrt(c / t) + 1) * t / c with t = sample * total, capped at 1.
  const keep = keepProbabilities([1000, 10], 1e-3); // t = 1.01
  const t = 1e-3 * 1010;
  assert.ok(Math.abs(keep[0] - (Math.sqrt(1000 / t) + 1) * (t / 1000)) < 1e-12); // ~0.033
  assert.ok(Math.abs(keep[1] - (Math.sqrt(10 / t) + 1) * (t / 10)) < 1e-12); // ~0.42
  assert.equal(keepProbabilities([1000, 1], 1e-3)[1], 1, "rare words are always kept");
  assert.deepEqual(Array.from(keepProbabilities([5, 5], 0)), [1, 1]);
  // Alias sampler: frequencies match the weights (counts^0.75 in training).
  const weights = [8, 4, 2, 1, 1];
  const sampler = new AliasSampler(weights);
  const rng = new Rng(3);
  const hits = new Array(5).fill(0);
  const n = 200_000;
  for (let i = 0; i < n; i++) hits[sampler.sample(rng)]++;
  weights.forEach((w, i) => {
    const p = w / 16;
    assert.ok(Math.abs(hits[i] / n - p) < 4 * Math.sqrt((p * (1 - p)) / n) + 1e-4, `word ${i}: ${hits[i] / n} vs ${p}`);
  });
});

test("SGNS loss and gradients equal a hand computation and tf's autodiff", async () => {
  await initEngine({ verbose: false });
  // Two pairs, one positive + two negatives each; the second pair's last negative is masked out.
  const U = [[0.5, -1], [0.2, 0.3]];
  const V = [
    [[1, 2], [-1, 0.5], [0.3, 0.3]],
    [[0.4, -0.2], [1.5, 1], [2, -3]],
  ];
  const W = [[1, 1, 1], [1, 1, 0]];
  let loss = 0;
  const dU = U.map(() => [0, 0]);
  const dV = V.map((row) => row.map(() => [0, 0]));
  U.forEach((u, b) =>
    V[b].forEach((v, k) => {
      const s = u[0] * v[0] + u[1] * v[1];
      const y = k === 0 ? 1 : 0;
      // -log σ(s) for the true word, -log σ(-s) for a negative; σ(s) - y is the gradient wrt s.
      loss += W[b][k] * (y ? softplus(-s) : softplus(s));
      const c = W[b][k] * (sigmoid(s) - y);
      dU[b][0] += c * v[0];
      dU[b][1] += c * v[1];
      dV[b][k] = [c * u[0], c * u[1]];
    }),
  );
  const u = tf.tensor2d(U);
  const v = tf.tensor3d(V);
  const w = tf.tensor2d(W);
  const before = tf.memory().numTensors;
  const g = sgnsLossAndGrads(u, v, w);
  assert.equal(tf.memory().numTensors - before, 4, "only the 4 results stay alive");
  assert.ok(Math.abs(g.loss.dataSync()[0] - loss) < 1e-5, `loss ${g.loss.dataSync()[0]} vs ${loss}`);
  const flat = (x: number[][] | number[][][]) => (x as unknown[]).flat(2) as number[];
  Array.from(g.dInput.dataSync()).forEach((x, i) => assert.ok(Math.abs(x - flat(dU)[i]) < 1e-6, `dInput[${i}]`));
  Array.from(g.dOutput.dataSync()).forEach((x, i) => assert.ok(Math.abs(x - flat(dV)[i]) < 1e-6, `dOutput[${i}]`));
  // Autodiff of the same loss written as -log σ = softplus(-x) (tf.logSigmoid's gradient is broken on intermediates).
  const lossFn = (a: tf.Tensor, bb: tf.Tensor) => {
    const s = tf.sum(tf.mul(bb, tf.expandDims(a, 1)), 2);
    const sign = tf.tensor2d([[1, -1, -1]]);
    return tf.sum(tf.mul(tf.softplus(tf.neg(tf.mul(sign, s))), w)) as tf.Scalar;
  };
  const [ga, gb] = tf.grads(lossFn)([u, v]);
  Array.from(ga.dataSync()).forEach((x, i) => assert.ok(Math.abs(x - g.dInput.dataSync()[i]) < 1e-6));
  Array.from(gb.dataSync()).forEach((x, i) => assert.ok(Math.abs(x - g.dOutput.dataSync()[i]) < 1e-6));
  tf.dispose([u, v, w, g.loss, g.coef, g.dInput, g.dOutput, ga, gb]);
});

test("training is deterministic for a seed, leaves no tensors, and saves/loads in word2vec text format", async () => {
  await initEngine({ verbose: false });
  const sentences = textToSentences(loadText("austen/persuasion"));
  const opts = { vectorSize: 16, epochs: 1, seed: 5, progress: false as const };
  const before = tf.memory().numTensors;
  const perEpoch: number[] = [];
  const a = await Word2Vec.train(sentences, { ...opts, epochs: 2, onEpoch: () => perEpoch.push(tf.memory().numTensors) });
  assert.equal(tf.memory().numTensors, before, "no tensors left after training");
  // Flat: during training only the constant [1, 1+K] label row is alive.
  assert.deepEqual(perEpoch, [before + 1, before + 1], "memory flat across epochs");
  const b = await Word2Vec.train(sentences, { ...opts, epochs: 2 });
  assert.deepEqual(a.vocab, b.vocab);
  assert.deepEqual(Array.from(a.vectors), Array.from(b.vectors), "same seed, same vectors");
  const c = await Word2Vec.train(sentences, { ...opts, seed: 6 });
  assert.notDeepEqual(Array.from(a.vectors.slice(0, 50)), Array.from(c.vectors.slice(0, 50)));
  assert.ok(a.history[1].loss < a.history[0].loss, `loss falls: ${a.history.map((h) => h.loss)}`);
  assert.ok(a.history[0].effectiveWords < a.history[0].rawWords, "subsampling and minCount drop words");

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "w2v-"));
  try {
    const file = path.join(dir, "vectors.txt");
    a.save(file);
    assert.deepEqual(fs.readdirSync(dir), ["vectors.txt"], "atomic write leaves no temporary file");
    const head = fs.readFileSync(file, "utf8").split("\n", 2);
    assert.equal(head[0], `${a.size} 16`);
    assert.equal(head[1].split(" ")[0], a.vocab[0]);
    const kv = KeyedVectors.load(file);
    assert.deepEqual(kv.vocab, a.vocab);
    assert.deepEqual(Array.from(kv.vectors), Array.from(a.vectors), "float32 round trip is exact");
    assert.deepEqual(kv.mostSimilar("anne", 5), a.mostSimilar("anne", 5));
    // Damaged files: clear errors naming the file.
    const lines = fs.readFileSync(file, "utf8").split("\n");
    fs.writeFileSync(path.join(dir, "short.txt"), lines.slice(0, 10).join("\n"));
    assert.throws(() => KeyedVectors.load(path.join(dir, "short.txt")), /short\.txt: the header announces \d+ words but the file has 9/);
    fs.writeFileSync(path.join(dir, "bad.txt"), "2 3\nx 1 2 3\ny 1 2\n");
    assert.throws(() => KeyedVectors.load(path.join(dir, "bad.txt")), /bad\.txt: line 3 has 2 values, expected 3/);
    fs.writeFileSync(path.join(dir, "head.txt"), "hello\n");
    assert.throws(() => KeyedVectors.load(path.join(dir, "head.txt")), /line 1 must be/);
    assert.throws(() => KeyedVectors.load(path.join(dir, "missing.txt")), /no file/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("queries: unknown words, options and divergence give clear errors", async () => {
  await initEngine({ verbose: false });
  const sentences = textToSentences(loadText("austen/persuasion")).slice(0, 400);
  const m = await Word2Vec.train(sentences, { vectorSize: 8, epochs: 1, minCount: 3, progress: false });
  assert.throws(() => m.mostSimilar("Anne"), /Word 'Anne' is not in the vocabulary .*minCount=3.*did you mean 'anne'/);
  assert.throws(() => m.similarity("anne", "zzzz"), /Word 'zzzz' is not in the vocabulary/);
  assert.throws(() => m.vector("qqq"), /not in the vocabulary/);
  assert.throws(() => m.mostSimilar(new Float32Array(3)), /3 values; this model's vectors have 8/);
  // The query words are never their own neighbours; a raw vector query may return the word itself.
  assert.ok(!m.mostSimilar({ positive: ["anne", "she"] }).some((s) => s.word === "anne" || s.word === "she"));
  assert.equal(m.mostSimilar(m.vector("anne"), 1)[0].word, "anne");
  assert.ok(Math.abs(m.similarity("anne", "anne") - 1) < 1e-6);
  await assert.rejects(Word2Vec.train(sentences, { window: 0, progress: false }), /window must be a positive integer/);
  await assert.rejects(Word2Vec.train(sentences, { minCount: 10 ** 6, progress: false }), /no word occurs minCount=1000000 times/);
  await assert.rejects(Word2Vec.train(sentences, { alpha: 1000, progress: false }), /diverged .* lower batchSize/);
});

test("word2vec on Austen finds character names, kin words and an analogy", async () => {
  await initEngine({ verbose: false });
  // Reduced config (dim 50, 2 epochs; ~10 s on one core): the checks below held for seeds 1-3.
  const sentences = textToSentences(loadText("austen"));
  const before = tf.memory().numTensors;
  const m = await Word2Vec.train(sentences, { vectorSize: 50, epochs: 2, seed: 1, progress: false });
  assert.equal(tf.memory().numTensors, before);
  assert.equal(m.size, 5752, "vocabulary as gensim builds it from the same tokens (min_count 5)");
  const top = (w: string, n = 10) => m.mostSimilar(w, n).map((s) => s.word);
  const hasAny = (w: string, want: string[], n = 10) => {
    const got = top(w, n);
    assert.ok(want.some((x) => got.includes(x)), `${w}: ${got.join(", ")} has none of ${want.join(", ")}`);
  };
  hasAny("darcy", ["bingley", "wickham", "elizabeth"]);
  hasAny("sister", ["brother", "mother"]);
  hasAny("mother", ["father"]);
  hasAny("morning", ["evening"]);
  // he : she :: brother : sister
  const analogy = m.analogy("he", "she", "brother", 5).map((s) => s.word);
  assert.ok(analogy.includes("sister"), `brother - he + she: ${analogy.join(", ")}`);
  assert.ok(m.similarity("sister", "brother") > m.similarity("sister", "carriage"));
});
