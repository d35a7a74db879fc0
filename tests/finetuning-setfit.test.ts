/**
 * SetFit: numpy's RandomState permutation bit for bit, setfit's ContrastiveDataset pair lists (order,
 * counts, balance) for each sampling strategy and the num_iterations rule, sampleDataset, and the two-phase
 * trainer on the tiny encoder (contrastive phase pulls same-label sentences together, head fitted, save /
 * load round trip, tensors disposed). References: tests/fixtures/setfit/make_reference.py.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { initEngine, tf } from "../lib";
import { ContrastiveDataset, MT19937, SetFitModel, numpyPermutation, sampleDataset, shuffleCombinations, shuffledBatches, trainSetFit } from "../lib/finetuning/setfit";
import { freezeAllExcept, freezeParameters, parameterTable, selectParameters, unfreezeAll } from "../lib/finetuning/freeze";
import { SentenceTransformer } from "../lib/embeddings/sentence-transformer";

const ref = JSON.parse(fs.readFileSync(path.join(__dirname, "fixtures", "setfit", "expected.json"), "utf8"));
const tinyBert = path.join(__dirname, "fixtures", "sentence-transformers", "tiny-bert");

test("numpyPermutation equals np.random.RandomState(seed).permutation(n)", () => {
  for (const [n, want] of Object.entries(ref.permutation_seed42 as Record<string, number[]>)) assert.deepEqual(numpyPermutation(Number(n), 42), want, `n=${n}`);
  for (const [key, want] of Object.entries(ref.permutation_other as Record<string, number[]>)) {
    const [seed, n] = key.split(":").map(Number);
    assert.deepEqual(numpyPermutation(n, seed), want, key);
  }
  // The first outputs of MT19937 seeded with 5489 (the reference implementation's default seed).
  const mt = new MT19937(5489);
  assert.deepEqual([mt.nextUint32(), mt.nextUint32(), mt.nextUint32()], [3499211612, 581869302, 3890346734]);
  assert.throws(() => new MT19937(-1), /seed must be an integer/);
});

test("shuffleCombinations: every pair with replacement once, in numpy's permuted order", () => {
  const pairs = shuffleCombinations(["a", "b", "c"]);
  assert.equal(pairs.length, 6);
  assert.deepEqual(new Set(pairs.map((p) => p.join(""))), new Set(["aa", "ab", "ac", "bb", "bc", "cc"]));
  const without = shuffleCombinations(["a", "b", "c"], { replacement: false });
  assert.deepEqual(new Set(without.map((p) => p.join(""))), new Set(["ab", "ac", "bc"]));
});

function asTriples(dataset: ContrastiveDataset, sentences: string[]): number[][] {
  return dataset.pairs().map((p) => [sentences.indexOf(p.sentence1), sentences.indexOf(p.sentence2), p.label]);
}

test("ContrastiveDataset: setfit's pair lists for oversampling, undersampling, unique and num_iterations", () => {
  for (const [labels, expected] of [
    [ref.labels as number[], ref.pairs],
    [ref.skewed_labels as string[], ref.skewed_pairs],
  ] as const) {
    const sentences = labels.map((_, i) => `s${i}`);
    for (const strategy of ["oversampling", "undersampling", "unique"] as const) {
      const dataset = new ContrastiveDataset(sentences, labels, { samplingStrategy: strategy });
      assert.deepEqual(asTriples(dataset, sentences), expected[strategy], `${labels} ${strategy}`);
      assert.equal(dataset.length, expected[strategy].length);
    }
  }
  // 6 sentences, 3 classes: 9 positive pairs (3 per class with replacement), 12 negative.
  const sentences = (ref.labels as number[]).map((_, i) => `s${i}`);
  const over = new ContrastiveDataset(sentences, ref.labels);
  assert.equal(over.posPairs.length, 9);
  assert.equal(over.negPairs.length, 12);
  assert.equal(over.length, 24); // both sides cycled up to 12
  // num_iterations: 2 x iterations x n_sentences pairs, half positive, alternating.
  const iter = new ContrastiveDataset(sentences, ref.labels, { numIterations: 3, samplingStrategy: "unique" });
  const pairs = iter.pairs();
  assert.equal(pairs.length, 2 * 3 * 6);
  assert.deepEqual(asTriples(iter, sentences), ref.pairs_iter3);
  assert.equal(pairs.filter((p) => p.label === 1).length, 18);
  pairs.forEach((p, k) => assert.equal(p.label, k % 2 === 0 ? 1 : 0, `pair ${k} alternates`));
  for (const p of pairs) {
    const [i, j] = [sentences.indexOf(p.sentence1), sentences.indexOf(p.sentence2)];
    assert.equal(p.label, ref.labels[i] === ref.labels[j] ? 1 : 0, "labels correct by construction");
  }
});

test("ContrastiveDataset: maxPairs caps each side; multilabel pairs share a label; bad input is named", () => {
  const sentences = ["a", "b", "c", "d", "e", "f"];
  const capped = new ContrastiveDataset(sentences, [0, 0, 1, 1, 2, 2], { maxPairs: 6 });
  assert.equal(capped.posPairs.length, 3);
  assert.equal(capped.negPairs.length, 3);
  const multi = new ContrastiveDataset(["x", "y", "z"], [[1, 0], [1, 1], [0, 1]], { multilabel: true, samplingStrategy: "unique" });
  // x-z share nothing: the only negative pair.
  assert.deepEqual(multi.negPairs.map((p) => p.sentence1 + p.sentence2).sort(), ["xz"]);
  assert.throws(() => new ContrastiveDataset(["a", "b"], [0, 0]), /no negative pairs/);
  assert.throws(() => new ContrastiveDataset(["a", "b"], [0]), /2 sentences but 1 labels/);
  assert.throws(() => new ContrastiveDataset(["a", "b"], [0, 1], { samplingStrategy: "random" as never }), /invalid sampling strategy 'random'/);
});

test("sampleDataset: numSamples rows per label (fewer when a label has fewer), seeded", () => {
  const rows = Array.from({ length: 100 }, (_, i) => ({ text: `t${i}`, label: i < 90 ? i % 3 : 3 }));
  const sample = sampleDataset(rows, { numSamples: 8 });
  const counts = new Map<number, number>();
  for (const r of sample) counts.set(r.label, (counts.get(r.label) ?? 0) + 1);
  assert.deepEqual([...counts].sort((a, b) => a[0] - b[0]), [[0, 8], [1, 8], [2, 8], [3, 8]]);
  assert.deepEqual(sampleDataset(rows, { numSamples: 8 }), sample, "same seed, same sample");
  assert.notDeepEqual(sampleDataset(rows, { numSamples: 8, seed: 1 }), sample);
  assert.equal(new Set(sample.map((r) => r.text)).size, sample.length, "no row twice");
  assert.equal(sampleDataset(rows, { numSamples: 20 }).filter((r) => r.label === 3).length, 10);
  assert.throws(() => sampleDataset([{ text: "a" }], { numSamples: 2 }), /row 0 has no 'label' column/);
});

test("shuffledBatches: every index once per pass, last partial batch kept", () => {
  const { batch, stepsPerEpoch } = shuffledBatches(10, 4, 7);
  assert.equal(stepsPerEpoch, 3);
  for (const pass of [0, 1]) {
    const seen = [0, 1, 2].flatMap((s) => batch(pass * 3 + s));
    assert.deepEqual([...seen].sort((a, b) => a - b), [...Array(10).keys()]);
    assert.equal(batch(pass * 3 + 2).length, 2);
  }
});

const ANIMALS = ["the cat sleeps", "a dog runs fast", "the bird flies", "a fish swims in water", "the dog sleeps on the mat", "a cat sat on the mat", "the bird and the fish", "a small dog runs"];
const MUSIC = ["the man plays guitar", "a woman plays piano", "loud music", "the child reads a book with music", "a woman plays guitar", "quiet piano music", "the man reads music", "music is loud"];

test("trainSetFit: the contrastive phase pulls same-label sentences together, the head separates them, save/load keeps predictions", async () => {
  await initEngine({ verbose: false });
  const model = await SetFitModel.fromPretrained(tinyBert, { labels: ["animals", "music"] });
  const rows = [...ANIMALS.map((text) => ({ text, label: 0 })), ...MUSIC.map((text) => ({ text, label: 1 }))];
  const gap = () => {
    // Mean cosine within classes minus across classes.
    const e = model.body.encode(rows.map((r) => r.text), { normalizeEmbeddings: true });
    let within = 0, across = 0, nw = 0, na = 0;
    for (let i = 0; i < rows.length; i++) for (let j = i + 1; j < rows.length; j++) {
      let dot = 0;
      for (let k = 0; k < e.cols; k++) dot += e.data[i * e.cols + k] * e.data[j * e.cols + k];
      if (rows[i].label === rows[j].label) (within += dot), nw++;
      else (across += dot), na++;
    }
    return within / nw - across / na;
  };
  const before = gap();
  const tensorsBefore = tf.memory().numTensors;
  const out = await trainSetFit(model, rows, { numIterations: 4, batchSize: 8, numEpochs: 3, bodyLearningRate: 3e-3, progress: false });
  assert.equal(tf.memory().numTensors, tensorsBefore, "no tensor left behind by training");
  assert.equal(out.numPairs, 2 * 4 * 16);
  assert.equal(out.globalStep, 3 * (128 / 8));
  const after = gap();
  assert.ok(after > before + 0.2 && after > 0.3, `within - across cosine: before ${before.toFixed(3)}, after ${after.toFixed(3)}`);
  assert.deepEqual(model.predict(["a cat runs", "a woman plays music"]), ["animals", "music"]);
  assert.equal(model.predict(rows.map((r) => r.text)).filter((p, i) => p === ["animals", "music"][rows[i].label]).length, rows.length);
  const proba = model.predictProba(["a dog flies"]);
  assert.equal(proba[0].length, 2);
  assert.ok(Math.abs(proba[0][0] + proba[0][1] - 1) < 1e-9);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "setfit-"));
  model.save(dir);
  for (const f of ["modules.json", "config_setfit.json", "model_head.json", "model.safetensors"]) assert.ok(fs.existsSync(path.join(dir, f)), f);
  const loaded = await SetFitModel.fromPretrained(dir);
  assert.deepEqual(loaded.labels, ["animals", "music"]);
  const texts = ["a cat runs", "the man plays piano", "a bird", "music"];
  assert.deepEqual(loaded.predict(texts), model.predict(texts));
  const [p, q] = [loaded.predictProba(texts), model.predictProba(texts)];
  assert.ok(p.flat().every((v, i) => Math.abs(v - q.flat()[i]) < 1e-5));
  fs.writeFileSync(path.join(dir, "model_head.json"), JSON.stringify({ type: "LogisticRegression", classes: [0, 1], coef: [[1, 2], [3]], intercept: [0] }));
  await assert.rejects(SetFitModel.fromPretrained(dir), /model_head\.json: malformed head/);
  loaded.dispose();
  model.dispose();
});

test("trainSetFit and SetFitModel name bad input", async () => {
  await initEngine({ verbose: false });
  const model = await SetFitModel.fromPretrained(tinyBert);
  assert.throws(() => model.predict(["a"]), /head is not fitted/);
  await assert.rejects(trainSetFit(model, [{ text: "a", label: 0 }, { text: "b", label: 0 }]), /single label/);
  await assert.rejects(trainSetFit(model, [{ text: 3, label: 0 }]), /row 0 has text = 3, expected a string/);
  await assert.rejects(trainSetFit(model, []), /training set is empty/);
  model.dispose();
});

test("freezing: by block, embeddings, names, first-N tensors; the parameter table counts what trains", async () => {
  await initEngine({ verbose: false });
  const model = await SentenceTransformer.fromPretrained(tinyBert);
  const names = model.encoder.namedParameters().map(([n]) => n);
  const layers = new Set(names.map((n) => /layer\.(\d+)\./.exec(n)?.[1]).filter(Boolean));
  assert.ok(layers.size >= 2, `tiny model has ${layers.size} blocks`);
  const frozen = freezeParameters(model.encoder, { firstLayers: 1, embeddings: true });
  assert.deepEqual(frozen, names.filter((n) => n.includes("embeddings.") || /layer\.0\./.test(n)));
  const table = parameterTable(model.encoder);
  assert.equal(table.rows.length, names.length);
  const frozenSize = table.rows.filter((r) => !r.trainable).reduce((s, r) => s + r.parameters, 0);
  assert.equal(table.total - table.trainable, frozenSize);
  assert.equal(table.total, model.encoder.namedParameters().reduce((s, [, p]) => s + p.size, 0));
  assert.match(table.text.split("\n")[0], /^\S+ (True|False)$/);
  assert.match(table.summary, /^trainable params: [\d,]+ \|\| all params: [\d,]+ \|\| trainable%: \d+\.\d{4}$/);
  unfreezeAll(model.encoder);
  assert.ok(model.encoder.namedParameters().every(([, p]) => p.trainable));
  // The book's "index < N" loop, and "everything but one module".
  assert.deepEqual(selectParameters(model.encoder, { firstParameters: 3 }), names.slice(0, 3));
  const lastBlock = `encoder.layer.${layers.size - 1}.`;
  const prefix = names.find((n) => n.includes(lastBlock))!.slice(0, names.find((n) => n.includes(lastBlock))!.indexOf(lastBlock) + lastBlock.length);
  freezeAllExcept(model.encoder, [prefix]);
  assert.deepEqual(model.encoder.namedParameters().filter(([, p]) => p.trainable).map(([n]) => n), names.filter((n) => n.startsWith(prefix)));
  unfreezeAll(model.encoder);
  assert.throws(() => selectParameters(model.encoder, ["no.such.weight"]), /no parameter named 'no\.such\.weight'/);
  assert.throws(() => selectParameters(model.encoder, { firstLayers: 99 }), /exceeds the model's \d+ layers/);
  assert.throws(() => selectParameters(model.encoder, { layers: 2 } as never), /unknown selector key\(s\) layers/);
  model.dispose();
});
