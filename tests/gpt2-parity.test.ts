/**
 * GPT-2 against reference outputs from an independent PyTorch implementation of HF's GPT-2
 * (tests/fixtures/gpt2-tiny/make_reference.py): logits, every hidden state and every attention map,
 * on a single sequence and on a batch padded on the right and on the left.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { GPT2LMHeadModel, initEngine, tf } from "../lib";
import { maxAbsDiff } from "./helpers/compare";

const dir = path.join(__dirname, "fixtures", "gpt2-tiny");
const expected = JSON.parse(fs.readFileSync(path.join(dir, "expected.json"), "utf8")).cases;

for (const name of Object.keys(expected)) {
  test(`GPT-2 matches the PyTorch reference (${name}): logits, hidden states, attentions within 1e-4`, async () => {
    await initEngine({ verbose: false });
    const model = GPT2LMHeadModel.fromFolder(dir);
    const ref = expected[name];
    tf.tidy(() => {
      const out = model.forward(tf.tensor2d(ref.input_ids, undefined, "int32"), {
        attentionMask: tf.tensor2d(ref.attention_mask, undefined, "int32"),
        outputHiddenStates: true,
        outputAttentions: true,
      });
      const diffs: Record<string, number> = { logits: maxAbsDiff(out.logits, ref.logits) };
      out.hiddenStates!.forEach((h, i) => (diffs[`hidden_states[${i}]`] = maxAbsDiff(h, ref.hidden_states[i])));
      out.attentions!.forEach((a, i) => (diffs[`attentions[${i}]`] = maxAbsDiff(a, ref.attentions[i])));
      assert.equal(out.hiddenStates!.length, 3);
      if (process.env.HOLLM_PRINT_DIFFS) console.log(name, diffs);
      for (const [what, d] of Object.entries(diffs)) assert.ok(d <= 1e-4, `${what}: max abs diff ${d}`);
    });
    model.dispose();
  });
}
