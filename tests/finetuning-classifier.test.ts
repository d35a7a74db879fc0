import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { initEngine, tf } from "../lib/engine";
import { BertForSequenceClassification } from "../lib/models/bert";
import { AutoTokenizer } from "../lib/tokenizers/hf";
import { predictLabels, trainSequenceClassification } from "../lib/finetuning/classifier";
import { epochBatchIndices, stepsForEpochs } from "../lib/training/data";
import { Rng } from "../lib/util/random";

const MODEL_DIR = path.join(__dirname, "..", "data", "models", "bert-mini-mlm");

test("epochBatchIndices: each pass a seeded permutation in full batches; pure in the step index", () => {
  const at = epochBatchIndices(10, 3, 7);
  const pass0 = [0, 1, 2].flatMap((i) => at(i));
  assert.equal(new Set(pass0).size, 9, "no repeats within a pass");
  assert.notDeepEqual([3, 4, 5].flatMap((i) => at(i)), pass0, "the next pass is shuffled anew");
  assert.deepEqual(epochBatchIndices(10, 3, 7)(4), at(4), "same seed, same batch");
  assert.deepEqual(at(1), at(1));
  assert.equal(stepsForEpochs(10, 3, 2), 6);
  assert.deepEqual(epochBatchIndices(2, 16, 1)(0).sort(), [0, 1], "batch larger than the data: all of it");
  assert.throws(() => epochBatchIndices(0, 3, 1), /at least one example/);
});

test("trainSequenceClassification: the head and encoder learn a keyword task; frozen variables stay bit-identical", async () => {
  await initEngine();
  const tokenizer = await AutoTokenizer.fromPretrained(MODEL_DIR);
  const model = await BertForSequenceClassification.fromPretrained(MODEL_DIR, { num_labels: 2 });
  const rng = new Rng(3);
  const filler = ["the", "nation", "economy", "year", "people", "government", "war", "country", "trade", "law"];
  const make = (n: number) => {
    const texts: string[] = [];
    const labels: number[] = [];
    for (let i = 0; i < n; i++) {
      const label = rng.int(2);
      const words = Array.from({ length: 6 }, () => filler[rng.int(filler.length)]);
      words.splice(rng.int(7), 0, label ? "peace" : "crisis");
      texts.push(words.join(" "));
      labels.push(label);
    }
    return { texts, labels };
  };
  const train = make(96);
  const heldOut = make(64);
  // Freeze the embeddings: they must not move while the rest learns.
  const frozen = model.namedParameters().filter(([n]) => n.startsWith("bert.embeddings."));
  for (const [, p] of frozen) p.trainable = false;
  const before = frozen.map(([, p]) => p.dataSync().slice());
  const accuracy = () => predictLabels(model, tokenizer, heldOut.texts).filter((p, i) => p === heldOut.labels[i]).length / heldOut.texts.length;
  const start = accuracy();
  const tensors = tf.memory().numTensors;
  await trainSequenceClassification(model, tokenizer, train, { batchSize: 16, args: { maxSteps: stepsForEpochs(96, 16, 5), learningRate: 5e-4, progress: false } });
  assert.equal(tf.memory().numTensors, tensors, "no tensors left behind");
  const end = accuracy();
  console.log(`held-out accuracy ${start.toFixed(3)} -> ${end.toFixed(3)}`);
  assert.ok(end >= 0.9, `accuracy ${start} -> ${end}`);
  frozen.forEach(([name, p], k) => assert.deepEqual(p.dataSync(), before[k], `${name} moved`));
  await assert.rejects(trainSequenceClassification(model, tokenizer, { texts: ["a"], labels: [2] }, { args: { maxSteps: 1 } }), /label 0 is 2/);
  model.dispose();
});

test("fromPretrained with num_labels replaces the saved id2label, as HF's from_pretrained(num_labels=N)", async () => {
  await initEngine({ verbose: false });
  // bert-mini-mlm's config.json carries a 2-label id2label.
  const one = await BertForSequenceClassification.fromPretrained(MODEL_DIR, { num_labels: 1 });
  assert.deepEqual(one.config.id2label, { "0": "LABEL_0" });
  assert.deepEqual(one.classifier.weight.shape.includes(1), true);
  const named = await BertForSequenceClassification.fromPretrained(MODEL_DIR, { num_labels: 3, id2label: { "0": "a", "1": "b", "2": "c" } });
  assert.deepEqual(named.config.id2label, { "0": "a", "1": "b", "2": "c" });
  const saved = await BertForSequenceClassification.fromPretrained(MODEL_DIR);
  assert.equal(Object.keys(saved.config.id2label).length, 2);
  for (const m of [one, named, saved]) m.dispose();
});
