/**
 * ONNX export (lib/export/onnx.ts) of the lib's own trained models (data/models/gpt2-austen and
 * bert-mini-mlm, with fresh seeded heads for the classifiers), checked three ways: ONNX Runtime's
 * outputs against the tfjs forward pass (max abs diff <= 1e-4), transformers.js pipelines loading the
 * exported folder fully offline against the lib's own results, and clear errors on bad input.
 */
import { after, before, describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type * as ort from "onnxruntime-node";
import type * as Transformers from "@huggingface/transformers";
import {
  BertForMaskedLM, BertForSequenceClassification, BertForTokenClassification, GPT2LMHeadModel, KVCache, LlamaForCausalLM,
  generate, initEngine, meanPooling, tf,
} from "../lib";
import { transformersJs } from "../lib/hub/pipeline";
import { exportToOnnx } from "../lib/export/onnx";

const MODELS = path.join(__dirname, "..", "data", "models");
const GPT2_DIR = path.join(MODELS, "gpt2-austen");
const BERT_DIR = path.join(MODELS, "bert-mini-mlm");
const TOL = 1e-4;
const PRINT = !!process.env.HOLLM_PRINT_DIFFS;

// ONNX Runtime through transformers.js' own copy (one native binding per process).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const ortNode = require("onnxruntime-node") as typeof ort;

let hf: typeof Transformers;
let root: string;
let dirCount = 0;
/** A fresh folder per export: transformers.js caches file checks per process, "not found" included. */
const freshDir = (name: string) => path.join(root, `${name}-${dirCount++}`);

before(async () => {
  await initEngine({ verbose: false });
  hf = transformersJs();
  hf.env.allowRemoteModels = false;
  hf.env.fetch = (() => {
    throw new Error("network access in a test");
  }) as typeof hf.env.fetch;
  root = fs.mkdtempSync(path.join(os.tmpdir(), "hollm-onnx-"));
});

after(() => fs.rmSync(root, { recursive: true, force: true }));

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, "sizes differ");
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

const int64 = (rows: number[][]) => new ortNode.Tensor("int64", BigInt64Array.from(rows.flat().map((v) => BigInt(v))), [rows.length, rows[0].length]);
const toRows = (t: Transformers.Tensor) => (t.tolist() as Array<Array<bigint | number>>).map((row) => row.map(Number));
const ints = (rows: number[][]) => tf.tensor2d(rows, undefined, "int32");

const SENTENCES = ["It is a truth universally acknowledged.", "Call me Ishmael, said the sailor to the whale at sea."];

/** The padded batch transformers.js' tokenizer makes for `texts`, as number rows. */
async function encodeBatch(dir: string, texts: string[]) {
  const tokenizer = await hf.AutoTokenizer.from_pretrained(dir);
  const enc = tokenizer(texts, { padding: true }) as unknown as Record<string, Transformers.Tensor>;
  const ids = toRows(enc.input_ids);
  const mask = toRows(enc.attention_mask);
  assert.ok(mask.some((row) => row.includes(0)), "the batch is padded");
  return { tokenizer, ids, mask, types: ids.map((row) => row.map(() => 0)) };
}

async function runOrt(file: string, feeds: Record<string, ort.Tensor>) {
  const session = await ortNode.InferenceSession.create(file);
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

describe("BERT", () => {
  test("feature-extraction: ORT last_hidden_state == tfjs on a padded batch; the pipeline's mean pooling == meanPooling", async () => {
    const mlm = BertForMaskedLM.fromFolder(BERT_DIR);
    const dir = freshDir("bert-features");
    const result = exportToOnnx(mlm.bert, dir, { tokenizerDir: BERT_DIR });
    assert.equal(result.task, "feature-extraction");
    assert.deepEqual(result.outputNames, ["last_hidden_state"]);
    for (const f of ["config.json", "tokenizer.json", "tokenizer_config.json", "onnx/model.onnx"]) assert.ok(fs.existsSync(path.join(dir, f)), f);
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(dir, "config.json"), "utf8")).architectures, ["BertModel"]);

    const { ids, mask, types } = await encodeBatch(dir, SENTENCES);
    const out = await runOrt(result.modelFile, { input_ids: int64(ids), attention_mask: int64(mask), token_type_ids: int64(types) });
    const [hidden, pooled] = tf.tidy(() => {
      const h = mlm.bert.forward({ inputIds: ints(ids), attentionMask: ints(mask), tokenTypeIds: ints(types) }).lastHiddenState;
      return [h.dataSync(), meanPooling(h, ints(mask)).dataSync()];
    });
    const hiddenDiff = maxAbsDiff(out.last_hidden_state.data as Float32Array, hidden);
    assert.deepEqual(out.last_hidden_state.dims, [2, ids[0].length, 128]);

    const extractor = await hf.pipeline("feature-extraction", dir, { device: "cpu", dtype: "fp32" });
    const embedded = await extractor(SENTENCES, { pooling: "mean", normalize: false });
    assert.deepEqual(embedded.dims, [2, 128]);
    const pooledDiff = maxAbsDiff(embedded.data as Float32Array, pooled);
    if (PRINT) console.log({ bertHiddenDiff: hiddenDiff, bertMeanPoolDiff: pooledDiff });
    assert.ok(hiddenDiff <= TOL, `last_hidden_state: max abs diff ${hiddenDiff}`);
    assert.ok(pooledDiff <= TOL, `mean pooling: max abs diff ${pooledDiff}`);
    await extractor.dispose();
    mlm.dispose();
  });

  test("text-classification: ORT logits == tfjs; the pipeline's top label and score == softmax of the lib's logits", async () => {
    const id2label = { "0": "negative", "1": "neutral", "2": "positive" };
    const model = BertForSequenceClassification.fromFolder(BERT_DIR, { id2label });
    const dir = freshDir("bert-seqcls");
    const result = exportToOnnx(model, dir, { tokenizerDir: BERT_DIR });
    const config = JSON.parse(fs.readFileSync(path.join(dir, "config.json"), "utf8"));
    assert.deepEqual(config.id2label, id2label);
    assert.deepEqual(config.label2id, { negative: 0, neutral: 1, positive: 2 });

    const { ids, mask, types } = await encodeBatch(dir, SENTENCES);
    const out = await runOrt(result.modelFile, { input_ids: int64(ids), attention_mask: int64(mask), token_type_ids: int64(types) });
    const logits = tf.tidy(() => model.forward({ inputIds: ints(ids), attentionMask: ints(mask), tokenTypeIds: ints(types) }).logits.arraySync());
    const diff = maxAbsDiff(out.logits.data as Float32Array, logits.flat());
    assert.deepEqual(out.logits.dims, [2, 3]);

    const classifier = await hf.pipeline("text-classification", dir, { device: "cpu", dtype: "fp32" });
    let scoreDiff = 0;
    for (let b = 0; b < SENTENCES.length; b++) {
      const [top] = (await classifier(SENTENCES[b])) as Array<{ label: string; score: number }>;
      const row = logits[b];
      const exps = row.map((v) => Math.exp(v - Math.max(...row)));
      const probs = exps.map((e) => e / exps.reduce((s, x) => s + x, 0));
      const best = probs.indexOf(Math.max(...probs));
      assert.equal(top.label, id2label[String(best) as keyof typeof id2label], SENTENCES[b]);
      scoreDiff = Math.max(scoreDiff, Math.abs(top.score - probs[best]));
    }
    if (PRINT) console.log({ bertSeqClsLogitsDiff: diff, bertSeqClsScoreDiff: scoreDiff });
    assert.ok(diff <= TOL, `logits: max abs diff ${diff}`);
    assert.ok(scoreDiff <= TOL, `score: abs diff ${scoreDiff}`);
    await classifier.dispose();
    model.dispose();
  });

  test("token-classification and fill-mask heads: ORT logits == tfjs; opset 21 gives the same outputs as 17", async () => {
    const tokenModel = BertForTokenClassification.fromFolder(BERT_DIR, { num_labels: 5 });
    const mlm = BertForMaskedLM.fromFolder(BERT_DIR);
    const tokenDir = freshDir("bert-tokcls");
    const mlmDir = freshDir("bert-mlm");
    const { ids, mask, types } = await encodeBatch(exportToOnnx(tokenModel, tokenDir, { tokenizerDir: BERT_DIR }).dir, SENTENCES);
    exportToOnnx(mlm, mlmDir, { tokenizerDir: BERT_DIR });
    const feeds = { input_ids: int64(ids), attention_mask: int64(mask), token_type_ids: int64(types) };
    const inputs = () => ({ inputIds: ints(ids), attentionMask: ints(mask), tokenTypeIds: ints(types) });

    const tokenOut = await runOrt(path.join(tokenDir, "onnx", "model.onnx"), feeds);
    const tokenDiff = maxAbsDiff(tokenOut.logits.data as Float32Array, tf.tidy(() => tokenModel.forward(inputs()).logits.dataSync()));
    const mlmOut = await runOrt(path.join(mlmDir, "onnx", "model.onnx"), feeds);
    const mlmDiff = maxAbsDiff(mlmOut.logits.data as Float32Array, tf.tidy(() => mlm.forward(inputs()).logits.dataSync()));
    assert.deepEqual(mlmOut.logits.dims, [2, ids[0].length, 4096]);

    const opset21 = exportToOnnx(mlm, freshDir("bert-mlm-opset21"), { opset: 21 });
    const opsetDiff = maxAbsDiff((await runOrt(opset21.modelFile, feeds)).logits.data as Float32Array, mlmOut.logits.data as Float32Array);
    if (PRINT) console.log({ bertTokenClsDiff: tokenDiff, bertMlmDiff: mlmDiff, opset21VsOpset17: opsetDiff });
    assert.ok(tokenDiff <= TOL, `token-classification logits: max abs diff ${tokenDiff}`);
    assert.ok(mlmDiff <= TOL, `fill-mask logits: max abs diff ${mlmDiff}`);
    assert.ok(opsetDiff <= 1e-6, `opset 21 vs 17: ${opsetDiff}`);
    tokenModel.dispose();
    mlm.dispose();
  });
});

describe("GPT-2 with past key values", () => {
  let model: GPT2LMHeadModel;
  let dir: string;
  before(() => {
    model = GPT2LMHeadModel.fromFolder(GPT2_DIR);
    dir = freshDir("gpt2");
    exportToOnnx(model, dir, { tokenizerDir: GPT2_DIR });
  });
  after(() => model.dispose());

  test("ORT == tfjs: prefill with an empty past on a left-padded batch, then one step fed the presents", async () => {
    const { n_layer: L, n_head: H, n_embd: C } = model.config;
    const D = C / H;
    // Left padding as the lib's generateBatch and transformers.js make it; position 1 at padding, as HF.
    const ids = [[0, 0, 101, 102, 103], [201, 202, 203, 204, 205]];
    const mask = [[0, 0, 1, 1, 1], [1, 1, 1, 1, 1]];
    const positions = [[1, 1, 0, 1, 2], [0, 1, 2, 3, 4]];
    const session = await ortNode.InferenceSession.create(path.join(dir, "onnx", "model.onnx"));
    const emptyPast: Record<string, ort.Tensor> = {};
    for (let i = 0; i < L; i++) {
      for (const kv of ["key", "value"]) emptyPast[`past_key_values.${i}.${kv}`] = new ortNode.Tensor("float32", new Float32Array(0), [2, H, 0, D]);
    }
    const prefill = await session.run({ input_ids: int64(ids), attention_mask: int64(mask), position_ids: int64(positions), ...emptyPast });
    const ref = model.forward(ints(ids), { attentionMask: ints(mask), positionIds: ints(positions), useCache: true });
    const prefillDiff = maxAbsDiff(prefill.logits.data as Float32Array, ref.logits.dataSync());
    let presentDiff = 0;
    ref.pastKeyValues!.forEach((layer, i) => {
      presentDiff = Math.max(presentDiff, maxAbsDiff(prefill[`present.${i}.key`].data as Float32Array, layer.key.dataSync()));
      presentDiff = Math.max(presentDiff, maxAbsDiff(prefill[`present.${i}.value`].data as Float32Array, layer.value.dataSync()));
    });
    assert.deepEqual(prefill["present.0.key"].dims, [2, H, 5, D]);

    // One step: each row's next token, the mask grown by one, the tfjs cache against ORT's presents.
    const next = [[104], [206]];
    const stepMask = mask.map((row) => [...row, 1]);
    const stepPositions = [[3], [5]];
    const past: Record<string, ort.Tensor> = {};
    for (let i = 0; i < L; i++) for (const kv of ["key", "value"]) past[`past_key_values.${i}.${kv}`] = prefill[`present.${i}.${kv}`];
    const step = await session.run({ input_ids: int64(next), attention_mask: int64(stepMask), position_ids: int64(stepPositions), ...past });
    const cache: KVCache = ref.pastKeyValues!;
    const stepRef = model.forward(ints(next), { attentionMask: ints(stepMask), positionIds: ints(stepPositions), pastKeyValues: cache, useCache: true });
    const stepDiff = maxAbsDiff(step.logits.data as Float32Array, stepRef.logits.dataSync());
    assert.deepEqual(step.logits.dims, [2, 1, model.config.vocab_size]);
    assert.deepEqual(step["present.3.value"].dims, [2, H, 6, D]);
    // Guards the test itself: the step's logits must depend on the past (else a dropped cache would pass).
    const noPast = await session.run({ input_ids: int64(next), attention_mask: int64([[1], [1]]), position_ids: int64(stepPositions), ...emptyPast });
    assert.ok(maxAbsDiff(noPast.logits.data as Float32Array, step.logits.data as Float32Array) > 1e-2, "the past changes the logits");
    if (PRINT) console.log({ gpt2PrefillDiff: prefillDiff, gpt2PresentDiff: presentDiff, gpt2StepDiff: stepDiff });
    assert.ok(prefillDiff <= TOL, `prefill logits: max abs diff ${prefillDiff}`);
    assert.ok(presentDiff <= TOL, `presents: max abs diff ${presentDiff}`);
    assert.ok(stepDiff <= TOL, `step logits: max abs diff ${stepDiff}`);
    tf.dispose([ref.logits, stepRef.logits]);
    for (const c of [ref.pastKeyValues!, stepRef.pastKeyValues!]) for (const { key, value } of c) tf.dispose([key, value]);
    await session.release();
  });

  test("pipeline('text-generation', folder) greedy, 20 new tokens: the same ids and text as the lib's generate", async () => {
    const prompt = "It is a truth universally acknowledged, that";
    const generator = await hf.pipeline("text-generation", dir, { device: "cpu", dtype: "fp32" });
    const tokenizer = generator.tokenizer;
    const promptIds = tokenizer.encode(prompt);
    const libIds = generate(model, promptIds, { maxNewTokens: 20, eosTokenId: model.config.eos_token_id });
    assert.equal(libIds.length, promptIds.length + 20, "the lib generated 20 tokens (no EOS): the comparison covers them all");

    // Ids from transformers.js' generate on the same folder, then the pipeline's text.
    const inputs = tokenizer(prompt) as unknown as Record<string, Transformers.Tensor>;
    const generated = (await generator.model.generate({ ...inputs, max_new_tokens: 20, do_sample: false })) as Transformers.Tensor;
    assert.deepEqual(toRows(generated)[0], libIds);
    const [{ generated_text }] = (await generator(prompt, { max_new_tokens: 20, do_sample: false })) as Array<{ generated_text: string }>;
    const libText = tokenizer.decode(libIds, { skip_special_tokens: true });
    if (PRINT) console.log({ prompt, libText, pipelineText: generated_text });
    assert.equal(generated_text, libText);
    assert.ok(generated_text.startsWith(prompt) && generated_text.length > prompt.length + 20);
    await generator.dispose();
  });
});

describe("folder and bad input", () => {
  test("a tokenizer folder without tokenizer_config.json gets a minimal one that transformers.js loads", async () => {
    const tokOnly = freshDir("tok-only");
    fs.mkdirSync(tokOnly);
    fs.copyFileSync(path.join(BERT_DIR, "tokenizer.json"), path.join(tokOnly, "tokenizer.json"));
    const mlm = BertForMaskedLM.fromFolder(BERT_DIR);
    const dir = freshDir("bert-minimal-config");
    exportToOnnx(mlm, dir, { tokenizerDir: tokOnly, task: "feature-extraction" });
    mlm.dispose();
    const config = JSON.parse(fs.readFileSync(path.join(dir, "tokenizer_config.json"), "utf8"));
    assert.equal(config.tokenizer_class, "BertTokenizer");
    assert.equal(config.cls_token, "[CLS]");
    assert.equal(config.mask_token, "[MASK]");
    assert.equal(config.do_lower_case, true);
    const ours = await hf.AutoTokenizer.from_pretrained(dir);
    const original = await hf.AutoTokenizer.from_pretrained(BERT_DIR);
    assert.deepEqual(ours.encode(SENTENCES[1]), original.encode(SENTENCES[1]));
    assert.equal(ours.convert_tokens_to_ids("[MASK]"), 4);
  });

  test("re-exporting into an existing folder replaces its files, leaves no staging folder and no tensors", () => {
    const mlm = BertForMaskedLM.fromFolder(BERT_DIR);
    const dir = freshDir("bert-twice");
    exportToOnnx(mlm, dir, { task: "feature-extraction" });
    const first = fs.readFileSync(path.join(dir, "onnx", "model.onnx"));
    const tensorsBefore = tf.memory().numTensors;
    const again = exportToOnnx(mlm, dir);
    assert.equal(tf.memory().numTensors, tensorsBefore, "the export frees every tensor it makes");
    mlm.dispose();
    assert.equal(again.task, "fill-mask");
    assert.ok(fs.readFileSync(again.modelFile).length > first.length, "the fill-mask graph replaced the encoder-only one");
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(dir, "config.json"), "utf8")).architectures, ["BertForMaskedLM"]);
    assert.deepEqual(fs.readdirSync(path.dirname(dir)).filter((n) => n.includes(".export-")), []);
  });

  test("unsupported models, tasks, opsets and tokenizer folders are clear errors, and nothing is written", () => {
    const gpt = GPT2LMHeadModel.fromFolder(GPT2_DIR);
    const llama = LlamaForCausalLM.fromFolder(path.join(__dirname, "fixtures", "llama-tiny", "llama"));
    const dir = freshDir("never");
    const cases: Array<[() => unknown, RegExp]> = [
      [() => exportToOnnx(llama as never, dir), /unsupported model LlamaForCausalLM; supported: GPT2LMHeadModel, BertModel/],
      [() => exportToOnnx(gpt.transformer as never, dir), /unsupported model GPT2Model/],
      [() => exportToOnnx(gpt, dir, { task: "fill-mask" }), /GPT2LMHeadModel cannot be exported for task 'fill-mask' \(supported: text-generation-with-past\)/],
      [() => exportToOnnx(gpt, dir, { opset: 16 }), /opset 16 is not supported \(use 17 to 21/],
      [() => exportToOnnx(gpt, dir, { tokenizerDir: path.join(root, "no-such-dir") }), /tokenizerDir '.*no-such-dir' does not exist/],
      [() => exportToOnnx(gpt, dir, { tokenizerDir: path.join(__dirname, "fixtures", "gpt2-tiny") }), /has no tokenizer\.json/],
      [() => exportToOnnx(gpt, dir, { tokenizerDir: BERT_DIR }), /ids up to 4095, but the model's vocab_size is 2048/],
    ];
    for (const [run, message] of cases) assert.throws(run, message);
    assert.ok(!fs.existsSync(dir), "a failed export writes nothing");
    gpt.dispose();
    llama.dispose();
  });
});
