/**
 * Llama (grouped-query attention, RoPE, RMSNorm, SwiGLU) and the same weights stored as Phi-3
 * (fused projections) against an independent PyTorch implementation of HF's Llama
 * (tests/fixtures/llama-tiny/make_reference.py), on a batch with left padding; plus the KV cache.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { LlamaForCausalLM, disposeCache, generate, initEngine, tf } from "../lib";
import { maxAbsDiff } from "./helpers/compare";

const dir = path.join(__dirname, "fixtures", "llama-tiny");
const ref = JSON.parse(fs.readFileSync(path.join(dir, "expected.json"), "utf8"));

for (const variant of ["llama", "phi3"]) {
  test(`${variant} checkpoint matches the PyTorch reference within 1e-4 (logits, hidden states, attentions)`, async () => {
    await initEngine({ verbose: false });
    const model = LlamaForCausalLM.fromFolder(path.join(dir, variant));
    tf.tidy(() => {
      const out = model.forward(tf.tensor2d(ref.input_ids, undefined, "int32"), {
        attentionMask: tf.tensor2d(ref.attention_mask, undefined, "int32"),
        positionIds: tf.tensor2d(ref.position_ids, undefined, "int32"),
        outputHiddenStates: true,
        outputAttentions: true,
      });
      const diffs: Record<string, number> = { logits: maxAbsDiff(out.logits, ref.logits) };
      out.hiddenStates!.forEach((h, i) => (diffs[`hidden_states[${i}]`] = maxAbsDiff(h, ref.hidden_states[i])));
      out.attentions!.forEach((a, i) => (diffs[`attentions[${i}]`] = maxAbsDiff(a, ref.attentions[i])));
      for (const [what, d] of Object.entries(diffs)) assert.ok(d <= 1e-4, `${what}: max abs diff ${d}`);
    });
    model.dispose();
  });
}

test("Llama: KV-cache steps equal the full forward; cached greedy = uncached; save/load is bit-exact", async () => {
  await initEngine({ verbose: false });
  const model = LlamaForCausalLM.fromFolder(path.join(dir, "llama"));
  const seq = ref.input_ids[0] as number[];
  tf.tidy(() => {
    const full = model.forward(tf.tensor2d([seq], undefined, "int32")).logits;
    const first = model.forward(tf.tensor2d([seq.slice(0, 5)], undefined, "int32"), { useCache: true });
    const second = model.forward(tf.tensor2d([seq.slice(5)], undefined, "int32"), { pastKeyValues: first.pastKeyValues });
    assert.ok(maxAbsDiff(second.logits, (tf.slice(full, [0, 5, 0], [1, 2, -1]).arraySync() as number[][][])) <= 1e-4);
    disposeCache(first.pastKeyValues);
  });
  assert.deepEqual(generate(model, [1, 5, 9], { maxNewTokens: 12 }), generate(model, [1, 5, 9], { maxNewTokens: 12, useCache: false }));
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "llama-"));
  model.savePretrained(out);
  const again = LlamaForCausalLM.fromFolder(out);
  const original = new Map(model.namedParameters());
  for (const [name, p] of again.namedParameters()) assert.deepEqual(Array.from(p.dataSync()), Array.from(original.get(name)!.dataSync()), name);
  model.dispose();
  again.dispose();
});

test("Llama config errors are clear", () => {
  assert.throws(() => new LlamaForCausalLM({ num_attention_heads: 6, num_key_value_heads: 4 }), /must be a multiple of num_key_value_heads \(4\)/);
});

test("RoPE scaling (linear, dynamic, llama3, Phi-3 longrope) matches the reference on short and long inputs", async () => {
  await initEngine({ verbose: false });
  const base = JSON.parse(fs.readFileSync(path.join(dir, "llama", "config.json"), "utf8"));
  for (const v of ref.rope_variants as Array<{ name: string; config: Record<string, unknown>; input_ids: number[][]; logits: number[][][] }>) {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), `rope-${v.name}-`));
    fs.copyFileSync(path.join(dir, "llama", "model.safetensors"), path.join(folder, "model.safetensors"));
    fs.writeFileSync(path.join(folder, "config.json"), JSON.stringify({ ...base, ...v.config }));
    const model = LlamaForCausalLM.fromFolder(folder);
    const d = tf.tidy(() => maxAbsDiff(model.forward(tf.tensor2d(v.input_ids, undefined, "int32")).logits, v.logits));
    assert.ok(d <= 1e-4, `${v.name}, ${v.input_ids[0].length} tokens: max abs diff ${d}`);
    // Within the trained context (8) the cache changes nothing. Past it, dynamic and longrope keys
    // already cached keep their old rotation (as in HF's generate), so only the full forward is compared.
    if (v.input_ids[0].length > 8) {
      const cached = generate(model, v.input_ids[0].slice(0, 5), { maxNewTokens: 3 });
      assert.deepEqual(cached, generate(model, v.input_ids[0].slice(0, 5), { maxNewTokens: 3, useCache: false }), `${v.name}: cached greedy`);
    }
    model.dispose();
  }
});

test("RoPE scaling errors name the field", () => {
  assert.throws(() => new LlamaForCausalLM({ rope_scaling: { type: "yarn", factor: 4 } }), /rope_scaling type 'yarn' is not supported/);
  assert.throws(() => new LlamaForCausalLM({ hidden_size: 32, num_attention_heads: 4, rope_scaling: { type: "longrope", short_factor: [1, 1], long_factor: [1, 1, 1, 1] } }),
    /rope_scaling.short_factor must list 4 positive numbers/);
  assert.throws(() => new LlamaForCausalLM({ rope_scaling: { rope_type: "linear" } }), /rope_scaling.factor must be a positive number/);
});
