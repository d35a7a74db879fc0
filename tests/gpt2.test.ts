import { test } from "node:test";
import * as assert from "node:assert/strict";
import { AdamW, GPT2LMHeadModel, Rng, initEngine, randomWindows, tf, trainStep } from "hands-on-llm";

const tiny = { vocab_size: 11, n_positions: 8, n_embd: 8, n_layer: 2, n_head: 2, n_inner: 12 };

/** An independent float64 GPT-2 forward written from the paper's / HF's formulas on plain arrays. */
function referenceLogits(model: GPT2LMHeadModel, ids: number[]): number[][] {
  const P = Object.fromEntries(model.namedParameters().map(([n, p]) => [n, { shape: p.shape, v: Array.from(p.dataSync()) }]));
  const C = tiny.n_embd, H = tiny.n_head, D = C / H, T = ids.length;
  const row = (name: string, r: number, width: number) => P[name].v.slice(r * width, (r + 1) * width);
  const linear = (x: number[], w: string, b: string) => {
    const [nIn, nOut] = P[w].shape;
    return Array.from({ length: nOut }, (_, o) => x.reduce((s, xi, i) => s + xi * P[w].v[i * nOut + o], P[b].v[o]));
    void nIn;
  };
  const layerNorm = (x: number[], pre: string) => {
    const mu = x.reduce((a, b) => a + b) / x.length;
    const va = x.reduce((a, b) => a + (b - mu) ** 2, 0) / x.length;
    return x.map((xi, i) => ((xi - mu) / Math.sqrt(va + 1e-5)) * P[`${pre}.weight`].v[i] + P[`${pre}.bias`].v[i]);
  };
  const gelu = (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
  let h = ids.map((id, t) => row("transformer.wte.weight", id, C).map((e, i) => e + row("transformer.wpe.weight", t, C)[i]));
  for (let l = 0; l < tiny.n_layer; l++) {
    const pre = `transformer.h.${l}`;
    const qkv = h.map((x) => linear(layerNorm(x, `${pre}.ln_1`), `${pre}.attn.c_attn.weight`, `${pre}.attn.c_attn.bias`));
    const attnOut = h.map((_, t) => {
      const y = new Array(C).fill(0);
      for (let hd = 0; hd < H; hd++) {
        const q = qkv[t].slice(hd * D, hd * D + D);
        const scores = Array.from({ length: t + 1 }, (_, s) => q.reduce((a, qi, i) => a + qi * qkv[s][C + hd * D + i], 0) / Math.sqrt(D));
        const m = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - m));
        const z = e.reduce((a, b) => a + b);
        for (let s = 0; s <= t; s++) for (let i = 0; i < D; i++) y[hd * D + i] += (e[s] / z) * qkv[s][2 * C + hd * D + i];
      }
      return linear(y, `${pre}.attn.c_proj.weight`, `${pre}.attn.c_proj.bias`);
    });
    h = h.map((x, t) => x.map((xi, i) => xi + attnOut[t][i]));
    h = h.map((x) => {
      const inner = linear(layerNorm(x, `${pre}.ln_2`), `${pre}.mlp.c_fc.weight`, `${pre}.mlp.c_fc.bias`).map(gelu);
      const out = linear(inner, `${pre}.mlp.c_proj.weight`, `${pre}.mlp.c_proj.bias`);
      return x.map((xi, i) => xi + out[i]);
    });
  }
  return h.map((x) => {
    const f = layerNorm(x, "transformer.ln_f");
    return Array.from({ length: tiny.vocab_size }, (_, v) => f.reduce((s, fi, i) => s + fi * row("transformer.wte.weight", v, C)[i], 0));
  });
}

test("GPT-2 logits match an independent float64 implementation", async () => {
  await initEngine({ verbose: false });
  // Larger-than-default init so that every part of the block matters numerically.
  const model = new GPT2LMHeadModel({ ...tiny, initializer_range: 0.5 }, { seed: 3 });
  const ids = [1, 5, 2, 9, 0, 3];
  const logits = tf.tidy(() => model.forward(tf.tensor2d([ids], [1, ids.length], "int32")).logits.arraySync()[0]);
  const expected = referenceLogits(model, ids);
  let maxDiff = 0;
  for (let t = 0; t < ids.length; t++) for (let v = 0; v < tiny.vocab_size; v++) maxDiff = Math.max(maxDiff, Math.abs(logits[t][v] - expected[t][v]));
  assert.ok(maxDiff < 1e-4, `max abs diff ${maxDiff}`);
  model.dispose();
});

test("GPT-2 is causal: later tokens do not change earlier logits", async () => {
  await initEngine({ verbose: false });
  const model = new GPT2LMHeadModel({ ...tiny, initializer_range: 0.5 }, { seed: 4 });
  const [a, b] = tf.tidy(() => [
    model.forward(tf.tensor2d([[1, 2, 3, 4, 5]], undefined, "int32")).logits.arraySync()[0],
    model.forward(tf.tensor2d([[1, 2, 3, 9, 10]], undefined, "int32")).logits.arraySync()[0],
  ]);
  for (let t = 0; t < 3; t++) for (let v = 0; v < tiny.vocab_size; v++) assert.ok(Math.abs(a[t][v] - b[t][v]) < 1e-5);
  assert.ok(Math.abs(a[3][0] - b[3][0]) > 1e-6, "position 3 must see its own token");
  model.dispose();
});

test("GPT-2 uses Hugging Face parameter names and shapes", () => {
  const model = new GPT2LMHeadModel(tiny);
  const shapes = Object.fromEntries(model.namedParameters().map(([n, p]) => [n, p.shape]));
  assert.deepEqual(shapes["transformer.wte.weight"], [11, 8]);
  assert.deepEqual(shapes["transformer.wpe.weight"], [8, 8]);
  assert.deepEqual(shapes["transformer.h.1.attn.c_attn.weight"], [8, 24]);
  assert.deepEqual(shapes["transformer.h.1.mlp.c_fc.weight"], [8, 12]);
  assert.deepEqual(shapes["transformer.h.1.mlp.c_proj.weight"], [12, 8]);
  assert.deepEqual(shapes["transformer.ln_f.bias"], [8]);
  assert.equal(Object.keys(shapes).length, 2 + 2 * 12 + 2);
  model.dispose();
});

test("GPT-2 config errors name the field", () => {
  assert.throws(() => new GPT2LMHeadModel({ n_embd: 10, n_head: 3 }), /n_embd \(10\) must be divisible by n_head \(3\)/);
  assert.throws(() => new GPT2LMHeadModel({ n_layer: 0 }), /n_layer must be a positive integer/);
});

test("training a tiny GPT-2 fits a repeating pattern, with flat memory", async () => {
  await initEngine({ verbose: false });
  const model = new GPT2LMHeadModel({ vocab_size: 5, n_positions: 16, n_embd: 32, n_layer: 1, n_head: 2 }, { seed: 1 });
  model.train();
  const params = model.namedParameters();
  const optimizer = new AdamW(params, { lr: 1e-2 });
  const tokens = Int32Array.from({ length: 400 }, (_, i) => [0, 1, 2, 3, 4, 2][i % 6]);
  const rng = new Rng(0);
  const losses: number[] = [];
  let tensorsAfterFirst = 0;
  for (let step = 0; step < 60; step++) {
    const batch = randomWindows(tokens, 8, 16, rng);
    const { loss } = await trainStep(params, optimizer, () => model.forward(batch, { labels: batch }).loss!);
    batch.dispose();
    losses.push(loss);
    if (step === 0) tensorsAfterFirst = tf.memory().numTensors;
  }
  assert.ok(Math.abs(losses[0] - Math.log(5)) < 0.3, `initial loss ${losses[0]} should be near ln 5`);
  assert.ok(losses[59] < 0.2, `final loss ${losses[59]}`);
  assert.equal(tf.memory().numTensors, tensorsAfterFirst, "training leaks tensors");
  model.dispose();
  optimizer.dispose();
});

test("GPT-2 savePretrained / fromPretrained reloads bit-exactly, and bare GPT2Model checkpoints load", async () => {
  const fs = await import("node:fs");
  const os = await import("node:os");
  const path = await import("node:path");
  const { saveSafetensors } = await import("../lib/models/safetensors");
  await initEngine({ verbose: false });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gpt2-ckpt-"));
  const model = new GPT2LMHeadModel({ ...tiny, initializer_range: 0.5 }, { seed: 9 });
  model.savePretrained(dir);
  const config = JSON.parse(fs.readFileSync(path.join(dir, "config.json"), "utf8"));
  assert.equal(config.model_type, "gpt2");
  assert.deepEqual(config.architectures, ["GPT2LMHeadModel"]);
  const loaded = GPT2LMHeadModel.fromFolder(dir);
  const original = new Map(model.namedParameters());
  for (const [name, p] of loaded.namedParameters()) {
    assert.deepEqual(Array.from(p.dataSync()), Array.from(original.get(name)!.dataSync()), name);
  }
  // The hub's gpt2 stores GPT2Model names (no "transformer.") and old mask buffers.
  const bare: Record<string, { shape: number[]; values: Float32Array }> = {};
  for (const [name, p] of model.namedParameters()) bare[name.replace(/^transformer\./, "")] = { shape: p.shape, values: p.dataSync() as Float32Array };
  bare["h.0.attn.bias"] = { shape: [1, 1, 8, 8], values: new Float32Array(64) };
  const bareDir = fs.mkdtempSync(path.join(os.tmpdir(), "gpt2-bare-"));
  saveSafetensors(path.join(bareDir, "model.safetensors"), bare);
  fs.writeFileSync(path.join(bareDir, "config.json"), JSON.stringify({ model_type: "gpt2", ...tiny }));
  const fromBare = GPT2LMHeadModel.fromFolder(bareDir);
  const ids = tf.tensor2d([[1, 2, 3]], undefined, "int32");
  const [a, b] = tf.tidy(() => [model.forward(ids).logits.dataSync(), fromBare.forward(ids).logits.dataSync()]);
  assert.deepEqual(Array.from(a), Array.from(b));
  // A config that contradicts the weights is a clear error naming the folder.
  fs.writeFileSync(path.join(bareDir, "config.json"), JSON.stringify({ model_type: "gpt2", ...tiny, n_embd: 16 }));
  assert.throws(() => GPT2LMHeadModel.fromFolder(bareDir), /gpt2-bare-.*shape \[11,8\] does not match the model's \[11,16\]/);
  fs.writeFileSync(path.join(bareDir, "config.json"), JSON.stringify({ model_type: "bert" }));
  assert.throws(() => GPT2LMHeadModel.fromFolder(bareDir), /config.json: model_type is 'bert', not 'gpt2'/);
  [model, loaded, fromBare].forEach((m) => m.dispose());
  ids.dispose();
});

test("toString prints the module tree as PyTorch does, folding repeated blocks", () => {
  const model = new GPT2LMHeadModel({ ...tiny, n_layer: 3 });
  const text = String(model);
  assert.match(text, /^GPT2LMHeadModel\(\n  \(transformer\): GPT2Model\(\n    \(wte\): Embedding\(11, 8\)/);
  assert.match(text, /\(h\): ModuleList\(\n      \(0-2\): 3 x GPT2Block\(/);
  assert.match(text, /\(c_attn\): Conv1D\(nf=24, nx=8\)/);
  assert.match(text, /\(ln_f\): LayerNorm\(\(8,\), eps=1e-05, elementwise_affine=True\)/);
  model.dispose();
});
