import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { initEngine, tf } from "../lib/engine";
import { BertForMaskedLM } from "../lib/models/bert";
import { AutoTokenizer, type HfTokenizer } from "../lib/tokenizers/hf";
import { fillMask, maskedLMBatch, trainMaskedLM } from "../lib/finetuning/mlm";
import { IGNORE_INDEX } from "../lib/training/losses";
import { Rng } from "../lib/util/random";

const MODEL_DIR = path.join(__dirname, "..", "data", "models", "bert-mini-mlm");

async function load(): Promise<{ model: BertForMaskedLM; tokenizer: HfTokenizer }> {
  await initEngine();
  return { model: await BertForMaskedLM.fromPretrained(MODEL_DIR), tokenizer: await AutoTokenizer.fromPretrained(MODEL_DIR) };
}

test("fillMask: softmax scores at the [MASK], best first, each filled into the sequence", async () => {
  const { model, tokenizer } = await load();
  const text = "the president of the united [MASK] spoke to congress.";
  const out = fillMask(model, tokenizer, text, { topK: 4 });
  assert.equal(out.length, 4);
  // Independent: the logits row at the mask position, softmaxed in float64 here.
  const ids = tokenizer.encode(text);
  const at = ids.indexOf(tokenizer.maskTokenId!);
  const row = tf.tidy(() => Array.from(model.forward({ inputIds: tf.tensor2d([ids], undefined, "int32") }).logits.slice([0, at, 0], [1, 1, -1]).dataSync()));
  const max = Math.max(...row);
  const z = row.reduce((s, v) => s + Math.exp(v - max), 0);
  const ranked = row.map((v, id) => [id, Math.exp(v - max) / z] as const).sort((a, b) => b[1] - a[1]);
  out.forEach((r, k) => {
    assert.equal(r.token, ranked[k][0]);
    assert.ok(Math.abs(r.score - ranked[k][1]) < 1e-5, `${r.score} vs ${ranked[k][1]}`);
    assert.equal(r.token_str, tokenizer.decode([r.token]));
    assert.ok(r.sequence.includes(r.token_str.replace(/^##/, "")) && !r.sequence.includes("[MASK]") && !r.sequence.includes("[CLS]"), r.sequence);
  });
  assert.throws(() => fillMask(model, tokenizer, "no mask here"), /exactly one \[MASK\] token, found 0/);
  assert.throws(() => fillMask(model, tokenizer, "[MASK] and [MASK]"), /found 2/);
  model.dispose();
});

test("maskedLMBatch: about 15 % of real tokens chosen, never padding or specials; labels -100 elsewhere", async () => {
  const { tokenizer } = await load();
  const texts = Array.from({ length: 64 }, (_, i) => "the economy of the nation grew in the year ".repeat(1 + (i % 3)).trim());
  const b = maskedLMBatch(tokenizer, texts, new Rng(1));
  const ids = b.inputIds.arraySync();
  const labels = b.labels.arraySync();
  const mask = b.attentionMask.arraySync();
  const enc = tokenizer.call(texts, { padding: true });
  const specials = new Set(tokenizer.allSpecialIds);
  let chosen = 0;
  let real = 0;
  labels.forEach((row, i) =>
    row.forEach((l, t) => {
      const original = enc.inputIds[i][t];
      if (!specials.has(original)) real++;
      if (l === IGNORE_INDEX) {
        assert.equal(ids[i][t], original, "unchosen tokens are unchanged");
        return;
      }
      chosen++;
      assert.equal(l, original, "label = original id");
      assert.ok(!specials.has(original) && mask[i][t] === 1, "never a special or padding token");
    }),
  );
  const rate = chosen / real;
  assert.ok(rate > 0.12 && rate < 0.18, `chosen ${rate}`);
  tf.dispose([b.inputIds, b.labels, b.attentionMask]);
});

test("trainMaskedLM: a few steps on one's own sentences lower their masked-LM loss", async () => {
  const { model, tokenizer } = await load();
  const texts = ["what a horrible movie, the plot was awful.", "what a wonderful film, the acting was great.", "the movie was boring and far too long."];
  const lossOn = () => {
    let sum = 0;
    for (let s = 0; s < 8; s++) {
      const b = maskedLMBatch(tokenizer, texts, new Rng(500 + s));
      sum += tf.tidy(() => model.forward(b).loss!.dataSync()[0]);
      tf.dispose([b.inputIds, b.labels, b.attentionMask]);
    }
    return sum / 8;
  };
  const before = lossOn();
  const tensorsBefore = tf.memory().numTensors;
  const out = await trainMaskedLM(model, tokenizer, texts, { batchSize: 3, args: { maxSteps: 20, learningRate: 1e-3, progress: false } });
  assert.equal(out.globalStep, 20);
  assert.equal(tf.memory().numTensors, tensorsBefore, "no tensors left behind");
  const after = lossOn();
  console.log(`masked-LM loss on the texts: ${before.toFixed(3)} -> ${after.toFixed(3)}`);
  assert.ok(after < before - 0.5, `${before} -> ${after}`);
  model.dispose();
});
