/**
 * BERT against reference outputs from an independent PyTorch implementation of HF's BERT
 * (tests/fixtures/bert-tiny/make_reference.py), on a batch with padding and segment B tokens:
 * every hidden state, every attention map, the MLM logits, the pooler and the classifier.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { BertForMaskedLM, BertForSequenceClassification, initEngine, tf } from "../lib";
import { maxAbsDiff } from "./helpers/compare";

const dir = path.join(__dirname, "fixtures", "bert-tiny");
const ref = JSON.parse(fs.readFileSync(path.join(dir, "expected.json"), "utf8"));

const inputs = () => ({
  inputIds: tf.tensor2d(ref.input_ids, undefined, "int32"),
  attentionMask: tf.tensor2d(ref.attention_mask, undefined, "int32"),
  tokenTypeIds: tf.tensor2d(ref.token_type_ids, undefined, "int32"),
});

test("BertForMaskedLM matches the PyTorch reference within 1e-4 (hidden states, attentions, logits)", async () => {
  await initEngine({ verbose: false });
  const model = BertForMaskedLM.fromFolder(path.join(dir, "mlm"));
  tf.tidy(() => {
    const out = model.forward({ ...inputs(), outputHiddenStates: true, outputAttentions: true });
    const diffs: Record<string, number> = { logits: maxAbsDiff(out.logits, ref.mlm_logits), last: maxAbsDiff(out.lastHiddenState, ref.last_hidden_state) };
    assert.equal(out.hiddenStates!.length, 3);
    out.hiddenStates!.forEach((h, i) => (diffs[`hidden_states[${i}]`] = maxAbsDiff(h, ref.hidden_states[i])));
    out.attentions!.forEach((a, i) => (diffs[`attentions[${i}]`] = maxAbsDiff(a, ref.attentions[i])));
    for (const [what, d] of Object.entries(diffs)) assert.ok(d <= 1e-4, `${what}: max abs diff ${d}`);
  });
  model.dispose();
});

test("BertForSequenceClassification matches the reference (pooler, logits) and keeps id2label", async () => {
  await initEngine({ verbose: false });
  const model = BertForSequenceClassification.fromFolder(path.join(dir, "seqcls"));
  assert.deepEqual(model.config.id2label, { "0": "neg", "1": "neu", "2": "pos" });
  tf.tidy(() => {
    const out = model.forward(inputs());
    assert.ok(maxAbsDiff(out.poolerOutput!, ref.pooler_output) <= 1e-4, "pooler");
    assert.ok(maxAbsDiff(out.logits, ref.cls_logits) <= 1e-4, "logits");
  });
  // Saved and reloaded bit-exactly.
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "bert-"));
  model.savePretrained(out);
  const again = BertForSequenceClassification.fromFolder(out);
  const original = new Map(model.namedParameters());
  for (const [name, p] of again.namedParameters()) assert.deepEqual(Array.from(p.dataSync()), Array.from(original.get(name)!.dataSync()), name);
  model.dispose();
  again.dispose();
});

test("BERT config errors name the field; the MLM loss is the mean over masked positions", async () => {
  assert.throws(() => new BertForMaskedLM({ hidden_size: 10, num_attention_heads: 4 }), /hidden_size \(10\) must be divisible by num_attention_heads \(4\)/);
  await initEngine({ verbose: false });
  const model = BertForMaskedLM.fromFolder(path.join(dir, "mlm"));
  tf.tidy(() => {
    const labels = ref.input_ids.map((row: number[]) => row.map((id: number, j: number) => (j === 2 ? id : -100)));
    const out = model.forward({ ...inputs(), labels: tf.tensor2d(labels, undefined, "int32") });
    // Hand computation from the reference logits at the two labelled positions.
    const nll = (row: number[], y: number) => Math.log(row.reduce((s, v) => s + Math.exp(v), 0)) - row[y];
    const expected = (nll(ref.mlm_logits[0][2], labels[0][2]) + nll(ref.mlm_logits[1][2], labels[1][2])) / 2;
    assert.ok(Math.abs(out.loss!.dataSync()[0] - expected) < 1e-4);
  });
  model.dispose();
});
