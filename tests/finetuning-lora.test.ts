import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { initEngine, tf } from "../lib/engine";
import { GPT2LMHeadModel } from "../lib/models/gpt2";
import { LlamaForCausalLM } from "../lib/models/llama";
import { Module } from "../lib/models/module";
import { Conv1D, Linear } from "../lib/models/layers";
import { AdamW } from "../lib/training/optim";
import { lossAndGrads } from "../lib/training/step";
import { ForwardModule, LoraConfig, PeftModel, findTargetModules, getPeftModel } from "../lib/finetuning/lora";
import { Linear4bit, getMemoryFootprint, quantizeModel } from "../lib/finetuning/nf4";

const FIXTURES = path.join(__dirname, "fixtures");
const gpt2Tiny = { vocab_size: 11, n_positions: 8, n_embd: 8, n_layer: 2, n_head: 2, n_inner: 12, resid_pdrop: 0, embd_pdrop: 0, attn_pdrop: 0 };
const llamaTiny = { vocab_size: 13, hidden_size: 8, intermediate_size: 12, num_hidden_layers: 2, num_attention_heads: 2, num_key_value_heads: 1, max_position_embeddings: 16 };
const newGpt2 = () => new GPT2LMHeadModel(gpt2Tiny, { seed: 3 });
const newLlama = () => new LlamaForCausalLM(llamaTiny, { seed: 5 });
const ids = () => tf.tensor2d([[1, 4, 2, 7, 3], [5, 0, 9, 2, 8]], [2, 5], "int32");

function logitsOf(model: { forward(x: tf.Tensor2D): { logits: tf.Tensor } }): Float32Array {
  return tf.tidy(() => {
    const input = ids();
    const out = model.forward(input).logits.dataSync() as Float32Array;
    return out;
  });
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, "sizes differ");
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "lora-test-"));
}

/** Gives every lora_B a random non-zero value, so that the adapters change the outputs. */
function randomizeB(peft: PeftModel, seed: number): void {
  let s = seed;
  for (const [name, p] of peft.adapterStateDict()) if (name.endsWith("lora_B.weight")) p.assign(tf.randomNormal(p.shape, 0, 0.5, "float32", s++));
}

/**
 * W + scaling · B A in float64 from the raw arrays, written independently of lora.ts: Linear weights are
 * [out, in] and B A is [out, in]; Conv1D weights are [in, out], so element (i, o) takes (B A)[o, i].
 */
function mergedWeightsFloat64(model: Module, peft: PeftModel, scaling: number): Map<string, number[]> {
  const state = new Map(peft.namedParameters().map(([n, p]) => [n, { shape: p.shape, v: Array.from(p.dataSync()) }]));
  const modules = new Map(model.namedModules());
  const out = new Map<string, number[]>();
  for (const target of peft.targetedModules()) {
    const W = state.get(`base_model.model.${target}.weight`)!;
    const A = state.get(`base_model.model.${target}.lora_A.weight`)!;
    const B = state.get(`base_model.model.${target}.lora_B.weight`)!;
    const [r, nIn] = A.shape;
    const conv = modules.get(target) instanceof Conv1D;
    const [rows, cols] = W.shape;
    const merged: number[] = [];
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        const [o, k] = conv ? [j, i] : [i, j];
        let delta = 0;
        for (let t = 0; t < r; t++) delta += B.v[o * r + t] * A.v[t * nIn + k];
        merged.push(W.v[i * cols + j] + scaling * delta);
      }
    }
    out.set(`${target}.weight`, merged);
  }
  return out;
}

/** A fresh copy of the base model (same seed) carrying the given weights: the independent reference. */
function referenceWith<M extends Module>(make: () => M, weights: Map<string, number[]>): M {
  const model = make();
  const params = new Map(model.namedParameters());
  for (const [name, values] of weights) {
    const p = params.get(name)!;
    p.assign(tf.tensor(values, p.shape, "float32"));
  }
  return model;
}

test("LoraConfig: peft's defaults, names and scaling", async () => {
  await initEngine({ verbose: false });
  const c = new LoraConfig();
  assert.equal(c.r, 8);
  assert.equal(c.lora_alpha, 8);
  assert.equal(c.lora_dropout, 0);
  assert.equal(c.bias, "none");
  assert.equal(c.fan_in_fan_out, false);
  assert.equal(c.use_rslora, false);
  assert.equal(c.modules_to_save, null);
  assert.equal(c.peft_type, "LORA");
  assert.equal(c.scaling, 1);
  assert.equal(new LoraConfig({ r: 4, lora_alpha: 16 }).scaling, 4);
  assert.equal(new LoraConfig({ r: 4, lora_alpha: 16, use_rslora: true }).scaling, 8);
  const dict = new LoraConfig({ r: 4, target_modules: ["q_proj"], task_type: "CAUSAL_LM" }).toDict();
  assert.deepEqual(Object.keys(dict), [...Object.keys(dict)].sort(), "keys sorted as peft's json.dumps(sort_keys=True)");
  for (const key of ["r", "lora_alpha", "lora_dropout", "target_modules", "bias", "task_type", "fan_in_fan_out", "modules_to_save", "base_model_name_or_path", "peft_type", "inference_mode", "use_rslora"]) {
    assert.ok(key in dict, `adapter_config.json has ${key}`);
  }
  assert.throws(() => new LoraConfig({ r: 0 }), /r must be a positive integer/);
  assert.throws(() => new LoraConfig({ bias: "all" as "none" }), /bias 'all' is not supported/);
  assert.throws(() => LoraConfig.fromDict({ peft_type: "PREFIX_TUNING" }, "x/adapter_config.json"), /x\/adapter_config.json: peft_type "PREFIX_TUNING" is not supported/);
  assert.throws(() => LoraConfig.fromDict({ peft_type: "LORA", use_dora: true }, "f.json"), /f.json: use_dora = true is not supported/);
});

test("target matching as peft: exact path or '.'-suffix, regex full match, all-linear without lm_head", () => {
  const llama = newLlama();
  const names = (targets: LoraConfig["target_modules"], extra: Partial<LoraConfig> = {}) => findTargetModules(llama, new LoraConfig({ target_modules: targets, ...extra }));
  assert.deepEqual(names(["q_proj", "v_proj"]), ["model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.v_proj", "model.layers.1.self_attn.q_proj", "model.layers.1.self_attn.v_proj"]);
  assert.deepEqual(names(["layers.1.mlp.up_proj"]), ["model.layers.1.mlp.up_proj"]);
  assert.deepEqual(names("model\\.layers\\.0\\..*_proj"), ["q", "k", "v", "o"].map((x) => `model.layers.0.self_attn.${x}_proj`).concat(["gate", "up", "down"].map((x) => `model.layers.0.mlp.${x}_proj`)));
  // peft's default targets for llama when target_modules is null.
  assert.deepEqual(names(null), names(["q_proj", "v_proj"]));
  const all = names("all-linear");
  assert.equal(all.length, 14, "7 projections x 2 layers");
  assert.ok(!all.includes("lm_head"), "the output head is left out");
  assert.deepEqual(names("all-linear", { exclude_modules: ["down_proj", "layers.0.self_attn.q_proj"] }).length, 11);
  // "proj" is no '.'-separated suffix of any path, so nothing matches: peft's error.
  assert.throws(() => names(["proj"]), /Target modules \["proj"\] not found in the base model/);
  assert.throws(() => names(["input_layernorm"]), /'model.layers.0.input_layernorm' \(RMSNorm\).*not supported/);
  // GPT-2: "attn.c_proj" picks the attention projection only, "c_proj" also the MLP's.
  const gpt2 = newGpt2();
  assert.deepEqual(findTargetModules(gpt2, new LoraConfig({ target_modules: ["attn.c_proj"] })), ["transformer.h.0.attn.c_proj", "transformer.h.1.attn.c_proj"]);
  assert.equal(findTargetModules(gpt2, new LoraConfig({ target_modules: ["c_proj"] })).length, 4);
  assert.deepEqual(findTargetModules(gpt2, new LoraConfig()), ["transformer.h.0.attn.c_attn", "transformer.h.1.attn.c_attn"]);
  llama.dispose();
  gpt2.dispose();
});

test("a fresh adapter: A Kaiming-uniform, B zero, outputs unchanged, only A/B trainable, peft's count line", () => {
  const model = newGpt2();
  const before = logitsOf(model);
  const basePaths = model.namedParameters().map(([n]) => n);
  const peft = getPeftModel(model, { r: 4, lora_alpha: 8, target_modules: ["c_attn"] });
  assert.equal(peft.peftConfig.fan_in_fan_out, true, "set for Conv1D, as peft does");
  const after = logitsOf(peft);
  assert.deepEqual(Array.from(after), Array.from(before), "identical outputs");
  const adapters = peft.adapterStateDict();
  assert.deepEqual([...adapters.keys()], [0, 1].flatMap((i) => ["A", "B"].map((x) => `base_model.model.transformer.h.${i}.attn.c_attn.lora_${x}.weight`)));
  for (const [name, p] of adapters) {
    const v = Array.from(p.dataSync());
    if (name.endsWith("lora_B.weight")) {
      assert.deepEqual(p.shape, [24, 4]);
      assert.ok(v.every((x) => x === 0));
    } else {
      assert.deepEqual(p.shape, [4, 8]);
      const bound = 1 / Math.sqrt(8); // kaiming_uniform_(a=sqrt(5)) on [r, in]: 1 / sqrt(fan_in)
      assert.ok(v.every((x) => Math.abs(x) <= bound) && v.some((x) => Math.abs(x) > bound / 2), "uniform within ±1/sqrt(in)");
    }
  }
  // Base weights keep their HF paths under base_model.model. and are frozen.
  const trainable = peft.trainableParameters().map(([n]) => n);
  assert.deepEqual(trainable, [...adapters.keys()]);
  for (const n of basePaths) assert.ok(peft.namedParameters().some(([m, p]) => m === `base_model.model.${n}` && !p.trainable));
  // Counted by hand: wte 11·8, wpe 8·8, per block 2·8 + (8·24 + 24) + (8·8 + 8) + 2·8 + (8·12 + 12) + (12·8 + 8), ln_f 2·8.
  const base = 88 + 64 + 2 * (16 + 216 + 72 + 16 + 108 + 104) + 16;
  const lora = 2 * (4 * 8 + 24 * 4);
  const logged: string[] = [];
  const log = console.log;
  console.log = (line: string) => logged.push(line);
  try {
    peft.printTrainableParameters();
  } finally {
    console.log = log;
  }
  assert.equal(logged[0], `trainable params: ${lora} || all params: ${(base + lora).toLocaleString("en-US")} || trainable%: ${((100 * lora) / (base + lora)).toFixed(4)}`);
  assert.equal(logged[0], "trainable params: 256 || all params: 1,488 || trainable%: 17.2043");
  peft.dispose();
});

for (const kind of ["gpt2", "llama"] as const) {
  test(`${kind}: adapted forward = independent float64 W + scaling·BA; mergeAndUnload gives the same`, () => {
    const make = (kind === "gpt2" ? newGpt2 : newLlama) as () => ForwardModule & { forward(x: tf.Tensor2D): { logits: tf.Tensor } };
    const model = make();
    const config = new LoraConfig(kind === "gpt2" ? { r: 3, lora_alpha: 6, target_modules: ["c_attn", "c_fc", "c_proj"] } : { r: 3, lora_alpha: 5, target_modules: "all-linear" });
    const peft = getPeftModel(model, config);
    assert.equal(peft.targetedModules().length, kind === "gpt2" ? 8 : 14);
    if (kind === "llama") assert.deepEqual(peft.peftConfig.target_modules, peft.targetedModules(), "all-linear saved as the chosen paths, as peft");
    randomizeB(peft, 100);
    const expected = mergedWeightsFloat64(model, peft, config.scaling);
    const reference = referenceWith(make, expected);
    const want = logitsOf(reference);
    const adapted = logitsOf(peft);
    assert.ok(maxDiff(adapted, want) < 1e-4, `adapted vs reference ${maxDiff(adapted, want)}`);
    const base = peft.disableAdapter(() => logitsOf(peft));
    assert.ok(maxDiff(base, want) > 1e-2, "the adapters change the outputs");
    const namesBefore = model.namedParameters().filter(([n]) => !n.includes("lora_")).map(([n]) => n);
    const merged = peft.mergeAndUnload();
    assert.equal(merged, model);
    assert.deepEqual(merged.namedParameters().map(([n]) => n), namesBefore, "plain model, HF names, no lora weights left");
    const params = new Map(merged.namedParameters());
    for (const [name, values] of expected) assert.ok(maxDiff(params.get(name)!.dataSync(), values) < 1e-5, name);
    assert.ok(maxDiff(logitsOf(merged), want) < 1e-4);
    assert.ok(merged.namedModules().every(([, m]) => !(m instanceof Linear || m instanceof Conv1D) || m.adapter === null));
    assert.throws(() => peft.getBaseModel(), /merged or unloaded/);
    merged.dispose();
    reference.dispose();
  });
}

test("disableAdapter / withAdapterDisabled run the base model and restore the adapters (sync, async, on error)", async () => {
  const model = newLlama();
  const plain = logitsOf(model);
  const peft = getPeftModel(model, { r: 2, target_modules: ["q_proj", "down_proj"] });
  randomizeB(peft, 7);
  const adapted = logitsOf(peft);
  assert.ok(maxDiff(adapted, plain) > 1e-3);
  assert.deepEqual(Array.from(peft.withAdapterDisabled(() => logitsOf(peft))), Array.from(plain));
  assert.deepEqual(Array.from(logitsOf(peft)), Array.from(adapted), "restored after the callback");
  const asyncResult = await peft.disableAdapter(async () => {
    await new Promise((r) => setTimeout(r, 1));
    return logitsOf(model); // the wrapped model itself runs without adapters too
  });
  assert.deepEqual(Array.from(asyncResult), Array.from(plain));
  assert.throws(() => peft.disableAdapter(() => { throw new Error("boom"); }), /boom/);
  assert.deepEqual(Array.from(logitsOf(peft)), Array.from(adapted), "restored after an error");
  peft.disableAdapterLayers();
  peft.withAdapterDisabled(() => undefined);
  assert.deepEqual(Array.from(logitsOf(peft)), Array.from(plain), "nested use keeps the outer state");
  peft.enableAdapterLayers();
  assert.deepEqual(Array.from(logitsOf(peft)), Array.from(adapted));
  const unloaded = peft.unload();
  assert.deepEqual(Array.from(logitsOf(unloaded)), Array.from(plain), "unload drops the adapters without merging");
  unloaded.dispose();
});

test("lora_dropout acts on the adapter input in training only", () => {
  const model = newLlama();
  const peft = getPeftModel(model, { r: 2, lora_dropout: 0.5, target_modules: ["v_proj"] });
  randomizeB(peft, 3);
  const evalOut = logitsOf(peft);
  assert.deepEqual(Array.from(logitsOf(peft)), Array.from(evalOut), "deterministic in eval");
  peft.train();
  const trainOut = logitsOf(peft);
  assert.ok(maxDiff(trainOut, evalOut) > 1e-4, "dropout changes the adapted output in training");
  assert.deepEqual(Array.from(peft.disableAdapter(() => logitsOf(peft))), Array.from(peft.disableAdapter(() => logitsOf(peft))), "the base path has no dropout here");
  peft.seedDropout(5);
  const a = logitsOf(peft);
  peft.seedDropout(5);
  assert.deepEqual(Array.from(logitsOf(peft)), Array.from(a), "seedDropout reaches the adapter's dropout");
  peft.dispose();
});

test("savePretrained / fromPretrained round trip in peft's layout", () => {
  const dir = tmpDir();
  const model = newGpt2();
  const peft = getPeftModel(model, { r: 2, lora_alpha: 4, target_modules: ["c_attn", "attn.c_proj"], task_type: "CAUSAL_LM" });
  randomizeB(peft, 21);
  const adapted = logitsOf(peft);
  peft.savePretrained(dir);
  assert.deepEqual(fs.readdirSync(dir).sort(), ["adapter_config.json", "adapter_model.safetensors"], "no temporary files left");
  const saved = JSON.parse(fs.readFileSync(path.join(dir, "adapter_config.json"), "utf8"));
  assert.equal(saved.peft_type, "LORA");
  assert.equal(saved.fan_in_fan_out, true);
  assert.equal(saved.r, 2);
  assert.equal(saved.inference_mode, true);
  assert.deepEqual(saved.target_modules, ["c_attn", "attn.c_proj"]);
  // The safetensors header, read by hand: peft's names (no ".default"), A [r, in], B [out, r].
  const bytes = fs.readFileSync(path.join(dir, "adapter_model.safetensors"));
  const header = JSON.parse(bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString());
  assert.deepEqual(header.__metadata__, { format: "pt" });
  const shapes = Object.fromEntries(Object.entries(header).filter(([k]) => k !== "__metadata__").map(([k, v]) => [k, (v as { shape: number[] }).shape]));
  assert.deepEqual(shapes, Object.fromEntries([0, 1].flatMap((i) => [
    [`base_model.model.transformer.h.${i}.attn.c_attn.lora_A.weight`, [2, 8]],
    [`base_model.model.transformer.h.${i}.attn.c_attn.lora_B.weight`, [24, 2]],
    [`base_model.model.transformer.h.${i}.attn.c_proj.lora_A.weight`, [2, 8]],
    [`base_model.model.transformer.h.${i}.attn.c_proj.lora_B.weight`, [8, 2]],
  ])));
  const loaded = PeftModel.fromPretrained(newGpt2(), dir);
  assert.deepEqual(Array.from(logitsOf(loaded)), Array.from(adapted));
  assert.equal(loaded.numParameters(true), 0, "loaded for inference: frozen");
  const trainable = PeftModel.fromPretrained(newGpt2(), dir, { isTrainable: true });
  assert.equal(trainable.numParameters(true), 2 * (2 * 8 + 24 * 2 + 2 * 8 + 8 * 2));
  for (const m of [peft, loaded, trainable]) m.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

test("loading errors name the file and the tensor", () => {
  const dir = tmpDir();
  const peft = getPeftModel(newLlama(), { r: 2, target_modules: ["q_proj"] });
  peft.savePretrained(dir);
  const configFile = path.join(dir, "adapter_config.json");
  const config = JSON.parse(fs.readFileSync(configFile, "utf8"));
  const weights = path.join(dir, "adapter_model.safetensors");
  assert.throws(() => PeftModel.fromPretrained(newLlama(), path.join(dir, "nope")), /nope: no adapter_config.json/);
  // Shape mismatch: the config says r = 3, the tensors are r = 2.
  fs.writeFileSync(configFile, JSON.stringify({ ...config, r: 3 }));
  const model = newLlama();
  const plain = logitsOf(model);
  assert.throws(() => PeftModel.fromPretrained(model, dir), (e: Error) => e.message.includes(weights) && /tensor 'base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight': shape \[2,8\] does not match the adapter's \[3,8\]/.test(e.message));
  assert.deepEqual(Array.from(logitsOf(model)), Array.from(plain), "a failed load leaves the model as it was");
  assert.ok(model.namedParameters().every(([n]) => !n.includes("lora_")));
  // The file's tensors name modules the config does not target.
  fs.writeFileSync(configFile, JSON.stringify({ ...config, target_modules: ["k_proj"] }));
  assert.throws(() => PeftModel.fromPretrained(newLlama(), dir), /target module 'model.layers.0.self_attn.q_proj' not found among the adapted layers.*missing tensor 'base_model.model.model.layers.0.self_attn.k_proj.lora_A.weight'/);
  fs.writeFileSync(configFile, JSON.stringify({ ...config, peft_type: "IA3" }));
  assert.throws(() => PeftModel.fromPretrained(newLlama(), dir), (e: Error) => e.message.includes(configFile) && /peft_type "IA3" is not supported/.test(e.message));
  fs.writeFileSync(configFile, JSON.stringify(config));
  fs.rmSync(weights);
  fs.writeFileSync(path.join(dir, "adapter_model.bin"), "pickle");
  assert.throws(() => PeftModel.fromPretrained(newLlama(), dir), /no adapter_model.safetensors \(only adapter_model.bin, a pickle/);
  assert.throws(() => getPeftModel(peft.getBaseModel(), { target_modules: ["q_proj"] }), /already carries adapters/);
  peft.dispose();
  model.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

for (const fixture of [
  { name: "llama-tiny-qv", load: () => LlamaForCausalLM.fromFolder(path.join(FIXTURES, "llama-tiny", "llama")), targets: 4 },
  { name: "gpt2-tiny-rslora", load: () => GPT2LMHeadModel.fromFolder(path.join(FIXTURES, "gpt2-tiny")), targets: 6 },
]) {
  test(`a peft-written adapter (${fixture.name}, see tests/fixtures/lora/make_fixture.py) loads and merges as peft's merge_and_unload`, () => {
    const dir = path.join(FIXTURES, "lora", fixture.name);
    const expected = JSON.parse(fs.readFileSync(path.join(dir, "expected.json"), "utf8")) as { scaling: number; merged: Record<string, { shape: number[]; values: number[] }> };
    const peft = PeftModel.fromPretrained(fixture.load() as ForwardModule, dir);
    assert.equal(peft.targetedModules().length, fixture.targets);
    assert.ok(Math.abs(peft.peftConfig.scaling - expected.scaling) < 1e-12);
    const adapted = tf.tidy(() => (peft.forward(tf.tensor2d([[1, 5, 9, 2, 7, 3]], [1, 6], "int32")) as { logits: tf.Tensor }).logits.dataSync());
    const merged = peft.mergeAndUnload() as ForwardModule;
    const params = new Map(merged.namedParameters());
    for (const [name, want] of Object.entries(expected.merged)) {
      assert.deepEqual(params.get(name)!.shape, want.shape);
      assert.ok(maxDiff(params.get(name)!.dataSync(), want.values) < 1e-5, name);
    }
    const after = tf.tidy(() => (merged.forward(tf.tensor2d([[1, 5, 9, 2, 7, 3]], [1, 6], "int32")) as { logits: tf.Tensor }).logits.dataSync());
    assert.ok(maxDiff(adapted, after) < 1e-4);
    merged.dispose();
  });
}

test("a training step moves only lora_A / lora_B and lowers the loss; memory stays flat", () => {
  for (const make of [newGpt2, newLlama] as Array<() => ForwardModule>) {
    const model = make();
    const peft = getPeftModel(model, { r: 4, lora_alpha: 8, target_modules: "all-linear" });
    const snapshot = () => new Map(peft.namedParameters().map(([n, p]) => [n, Array.from(p.dataSync())]));
    const before = snapshot();
    const input = tf.tensor2d([[1, 2, 3, 4, 5, 6], [6, 5, 4, 3, 2, 1]], [2, 6], "int32");
    const loss = () => (peft.forward(input, { labels: input }) as { loss: tf.Scalar }).loss;
    const optimizer = new AdamW(peft.trainableParameters(), { lr: 1e-2, weightDecay: 0 });
    const losses: number[] = [];
    let tensorsAfterFirst = 0;
    for (let step = 0; step < 8; step++) {
      const { loss: value, grads } = lossAndGrads(peft.trainableParameters(), loss);
      assert.ok(Object.keys(grads).every((n) => /\.lora_[AB]\.weight$/.test(n)));
      optimizer.step(grads);
      losses.push(value.dataSync()[0]);
      tf.dispose([value, ...Object.values(grads)]);
      if (step === 0) tensorsAfterFirst = tf.memory().numTensors;
    }
    assert.equal(tf.memory().numTensors, tensorsAfterFirst, "no tensors leak per step");
    assert.ok(losses[7] < losses[0] - 1e-3, `loss ${losses[0]} -> ${losses[7]}`);
    const after = snapshot();
    for (const [name, values] of before) {
      const changed = maxDiff(values, after.get(name)!) > 0;
      // B starts at zero, so on the first step only B moves; by now A has moved as well.
      assert.equal(changed, /\.lora_[AB]\.weight$/.test(name), `${name} ${changed ? "changed" : "unchanged"}`);
    }
    input.dispose();
    optimizer.dispose();
    peft.dispose();
  }
});

test("QLoRA: adapters on NF4 Linear4bit layers; forward = dequantised W + scaling·BA; only A/B get gradients; merge re-quantises", () => {
  const model = newLlama();
  const replaced = quantizeModel(model, { doubleQuant: true });
  assert.equal(replaced.length, 14, "7 projections x 2 layers are 4-bit");
  const quantizedLogits = logitsOf(model);
  const peft = getPeftModel(model, { r: 4, lora_alpha: 8, target_modules: ["q_proj", "v_proj", "down_proj"] });
  assert.equal(peft.targetedModules().length, 6);
  const [trainable, all] = peft.getNbTrainableParameters();
  const fp32Count = newLlama();
  assert.equal(all, fp32Count.numParameters() + trainable, "4-bit weights count at full size, as peft counts Params4bit");
  let packedBytes = 0;
  for (const [, m] of model.namedModules()) if (m instanceof Linear4bit) packedBytes += m.weightBytes();
  assert.equal(getMemoryFootprint(model), 4 * model.numParameters() + packedBytes, "footprint: float32 variables at 4 bytes, 4-bit layers at their packed size");
  assert.ok(packedBytes < all - model.numParameters(), `under a byte per 4-bit parameter (${packedBytes} bytes for ${all - model.numParameters()})`);
  fp32Count.dispose();
  assert.equal((peft.config as { hidden_size: number }).hidden_size, 8, "config is the base model's");
  assert.equal(maxDiff(logitsOf(peft), quantizedLogits), 0, "a fresh adapter changes nothing on a 4-bit model either");
  randomizeB(peft, 11);

  // Reference, independent of lora.ts: an fp32 Llama whose weights are the 4-bit layers' dequantised weights,
  // plus scaling·B·A computed here in float64 for the adapted ones.
  const modules = new Map(model.namedModules());
  const state = new Map(peft.namedParameters().map(([n, p]) => [n, { shape: p.shape, v: Array.from(p.dataSync()) }]));
  const reference = newLlama();
  const refParams = new Map(reference.namedParameters());
  for (const [p, m] of modules) {
    if (m instanceof Linear4bit) {
      const W = m.dequantizeWeight();
      const w = Array.from(W.dataSync());
      W.dispose();
      const A = state.get(`base_model.model.${p}.lora_A.weight`);
      const B = state.get(`base_model.model.${p}.lora_B.weight`);
      if (A && B) {
        const [r, nIn] = A.shape;
        const nOut = B.shape[0];
        for (let o = 0; o < nOut; o++) for (let i = 0; i < nIn; i++) {
          let s = 0;
          for (let k = 0; k < r; k++) s += B.v[o * r + k] * A.v[k * nIn + i];
          w[o * nIn + i] += (8 / 4) * s;
        }
      }
      refParams.get(`${p}.weight`)!.assign(tf.tensor(w, refParams.get(`${p}.weight`)!.shape));
    }
  }
  for (const [name, p] of model.namedParameters()) refParams.get(name)?.assign(p);
  const adapted = logitsOf(peft);
  const expected = logitsOf(reference);
  assert.ok(maxDiff(adapted, expected) < 1e-4, `QLoRA forward vs reference: ${maxDiff(adapted, expected)}`);

  // Training: gradients exist only for the adapters (the 4-bit weights are not variables at all).
  const input = tf.tensor2d([[1, 2, 3, 4, 5, 6]], [1, 6], "int32");
  const { loss, grads } = lossAndGrads(peft.trainableParameters(), () => (peft.forward(input, { labels: input }) as { loss: tf.Scalar }).loss);
  assert.equal(Object.keys(grads).length, 12);
  assert.ok(Object.keys(grads).every((n) => /\.lora_[AB]\.weight$/.test(n)));
  tf.dispose([loss, input, ...Object.values(grads)]);

  // Merge as peft's bnb path: dequantise, add, quantise again — close to the adapted output, up to NF4 rounding.
  const warn = console.warn;
  console.warn = () => {};
  const merged = peft.mergeAndUnload();
  console.warn = warn;
  assert.ok(merged.namedModules().every(([n]) => !/lora_/.test(n)));
  assert.ok(new Map(merged.namedModules()).get("model.layers.0.self_attn.q_proj") instanceof Linear4bit);
  const mergedLogits = logitsOf(merged);
  const err = maxDiff(mergedLogits, adapted);
  assert.ok(err > 0 && err < 0.2, `re-quantised merge differs by NF4 rounding only: ${err}`);
  merged.dispose();
  reference.dispose();
});
