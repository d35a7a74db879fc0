/**
 * ONNX export of the lib's GPT-2 and BERT models, so that `@huggingface/transformers` (transformers.js,
 * ONNX Runtime) runs them — offline, in Node or in a browser — as it runs models exported by HF optimum.
 *
 * The folder `exportToOnnx(model, dir, { tokenizerDir })` writes, laid out as transformers.js expects:
 *
 * ```text
 * dir/
 *   config.json              model_type, architectures, sizes (and id2label / label2id for classifiers)
 *   generation_config.json   GPT-2 only: bos / eos token ids
 *   tokenizer.json           copied from tokenizerDir (with vocab / merges files when present)
 *   tokenizer_config.json    copied, or a minimal one made from tokenizer.json when missing
 *   onnx/model.onnx          the graph, opset 17, fp32 weights inside
 * ```
 *
 * Load it with transformers.js, local files only (a path loads as-is; set the switch before any load):
 *
 * ```ts
 * import { env, pipeline } from "@huggingface/transformers";
 * env.allowRemoteModels = false;
 * const generator = await pipeline("text-generation", dir, { device: "cpu", dtype: "fp32" });
 * await generator("It is a truth", { max_new_tokens: 20, do_sample: false });
 * const embed = await pipeline("feature-extraction", bertDir, { device: "cpu", dtype: "fp32" });
 * await embed(["a sentence"], { pooling: "mean" });
 * ```
 *
 * The graphs follow HF optimum's names. GPT-2 (`text-generation-with-past`): inputs `input_ids`,
 * `attention_mask` [batch, past + seq], `position_ids`, `past_key_values.{i}.key|value`
 * [batch, heads, past, head_dim] (past may be 0 long); outputs `logits` and `present.{i}.key|value`.
 * BERT: inputs `input_ids`, `attention_mask`, `token_type_ids`; output `last_hidden_state` (and
 * `pooler_output` when the encoder has a pooler) for `feature-extraction`, `logits` for the heads.
 * Masks have HF's semantics: 0 = padding, float32's lowest value added to the scores it hides.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { BertConfig, BertForMaskedLM, BertForSequenceClassification, BertForTokenClassification, BertModel } from "../models/bert";
import { GPT2Config, GPT2LMHeadModel } from "../models/gpt2";
import { Activation, LayerNorm, Linear, MASK_VALUE } from "../models/layers";
import { Module } from "../models/module";
import { OnnxGraph, attr } from "./onnx-graph";

/** HF optimum's task names, as `optimum-cli export onnx --task`. */
export type OnnxExportTask = "feature-extraction" | "text-classification" | "token-classification" | "fill-mask" | "text-generation-with-past";

export type OnnxExportable = GPT2LMHeadModel | BertModel | BertForSequenceClassification | BertForTokenClassification | BertForMaskedLM;

export interface OnnxExportOptions {
  /** A folder with `tokenizer.json` (and usually `tokenizer_config.json`) to copy next to the model; pipelines need it. */
  tokenizerDir?: string;
  /** Default: the model's own task (GPT-2: text-generation-with-past; BertModel: feature-extraction; heads: theirs). */
  task?: OnnxExportTask;
  /** ONNX opset of the default domain, 17 (default) to 21. */
  opset?: number;
}

export interface OnnxExportResult {
  dir: string;
  /** `dir/onnx/model.onnx`. */
  modelFile: string;
  task: OnnxExportTask;
  inputNames: string[];
  outputNames: string[];
}

/** The graph of an exported model, in memory. */
export interface OnnxModelBytes {
  bytes: Uint8Array;
  task: OnnxExportTask;
  inputNames: string[];
  outputNames: string[];
}

export const DEFAULT_ONNX_OPSET = 17;
const MIN_OPSET = 17; // LayerNormalization
const MAX_OPSET = 21;

/** Files of a tokenizer folder that are copied when present (tokenizer.json is required). */
const TOKENIZER_FILES = ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt", "vocab.json", "merges.txt", "chat_template.jinja"];

/**
 * Writes `model` as a transformers.js model folder (layout in this file's header) and returns what
 * it wrote. The folder appears whole: everything is written into a staging folder first, then
 * renamed into place (file by file, each atomically, when `outDir` already exists).
 */
export function exportToOnnx(model: OnnxExportable, outDir: string, opts: OnnxExportOptions = {}): OnnxExportResult {
  // Everything that can fail on bad input runs before anything is written.
  const tokenizer = opts.tokenizerDir !== undefined ? readTokenizerFolder(opts.tokenizerDir) : null;
  const built = buildOnnxModel(model, opts);
  const files = new Map<string, string | Uint8Array>();
  const config = exportedConfig(model, built.task);
  files.set("config.json", json(config));
  if (model instanceof GPT2LMHeadModel) {
    files.set("generation_config.json", json({ _from_model_config: true, bos_token_id: model.config.bos_token_id, eos_token_id: model.config.eos_token_id }));
  }
  if (tokenizer) {
    checkTokenizerFits(tokenizer, config.vocab_size as number, opts.tokenizerDir!);
    for (const [name, content] of tokenizer.files) files.set(name, content);
    if (!tokenizer.files.has("tokenizer_config.json")) files.set("tokenizer_config.json", json(minimalTokenizerConfig(model, tokenizer.json)));
  }
  files.set(path.join("onnx", "model.onnx"), built.bytes);
  writeFolderAtomic(outDir, files);
  return { dir: outDir, modelFile: path.join(outDir, "onnx", "model.onnx"), task: built.task, inputNames: built.inputNames, outputNames: built.outputNames };
}

/** The ONNX graph of `model` for a task, serialized, without writing anything. */
export function buildOnnxModel(model: OnnxExportable, opts: Pick<OnnxExportOptions, "task" | "opset"> = {}): OnnxModelBytes {
  const opset = opts.opset ?? DEFAULT_ONNX_OPSET;
  if (!Number.isInteger(opset) || opset < MIN_OPSET || opset > MAX_OPSET) {
    throw new Error(`exportToOnnx: opset ${opset} is not supported (use ${MIN_OPSET} to ${MAX_OPSET}; LayerNormalization needs ${MIN_OPSET})`);
  }
  const task = resolveTask(model, opts.task);
  const g = new OnnxGraph(model instanceof GPT2LMHeadModel ? "gpt2" : "bert");
  const weights = new WeightTable(g, model);
  if (model instanceof GPT2LMHeadModel) buildGpt2(g, weights, model);
  else buildBert(g, weights, model, task);
  const bytes = g.serialize({ opset, docString: `hands-on-llm export of ${model.constructor.name} for ${task}`, metadata: { task } });
  return { bytes, task, inputNames: g.inputNames(), outputNames: g.outputNames() };
}

/** The task a model exports to by default, and which tasks it can export to. */
function resolveTask(model: OnnxExportable, requested: OnnxExportTask | undefined): OnnxExportTask {
  const supported: OnnxExportTask[] =
    model instanceof GPT2LMHeadModel ? ["text-generation-with-past"]
    : model instanceof BertModel ? ["feature-extraction"]
    : model instanceof BertForSequenceClassification ? ["text-classification", "feature-extraction"]
    : model instanceof BertForTokenClassification ? ["token-classification", "feature-extraction"]
    : model instanceof BertForMaskedLM ? ["fill-mask", "feature-extraction"]
    : [];
  if (supported.length === 0) {
    const name = model !== null && typeof model === "object" ? (model as object).constructor.name : typeof model;
    throw new Error(`exportToOnnx: unsupported model ${name}; supported: GPT2LMHeadModel, BertModel, BertForSequenceClassification, BertForTokenClassification, BertForMaskedLM`);
  }
  const task = requested ?? supported[0];
  if (!supported.includes(task)) {
    throw new Error(`exportToOnnx: ${model.constructor.name} cannot be exported for task '${task}' (supported: ${supported.join(", ")})`);
  }
  return task;
}

/**
 * Initializers made from the model's parameters, named by their HF paths (`.T` marks a weight
 * stored transposed), each added once however often the graph reads it.
 */
class WeightTable {
  private readonly names: Map<tf.Variable, string>;
  private readonly added = new Map<string, string>();

  constructor(private readonly g: OnnxGraph, model: Module) {
    this.names = new Map(model.namedParameters().map(([name, v]) => [v, name]));
  }

  /** The parameter as stored ([in, out] for GPT-2's Conv1D, [dim] for norms and biases). */
  raw(v: tf.Variable): string {
    return this.add(v, "", () => v.dataSync() as Float32Array, v.shape);
  }

  /** A PyTorch-layout Linear weight [out, in] stored as [in, out], for MatMul(x, W). */
  transposed(v: tf.Variable): string {
    const [rows, cols] = v.shape as number[];
    return this.add(v, ".T", () => tf.tidy(() => tf.transpose(v).dataSync() as Float32Array), [cols, rows]);
  }

  /** Column block `index` of `parts` equal blocks of a [in, parts * out] weight (GPT-2's fused c_attn). */
  columnBlock(v: tf.Variable, parts: number, index: number): string {
    const rank = v.shape.length;
    const cols = v.shape[rank - 1] / parts;
    const shape = rank === 1 ? [cols] : [v.shape[0], cols];
    const data = () => tf.tidy(() => tf.split(v, parts, rank - 1)[index].dataSync() as Float32Array);
    return this.add(v, `.${["q", "k", "v"][index] ?? index}`, data, shape);
  }

  private add(v: tf.Variable, suffix: string, data: () => Float32Array, shape: number[]): string {
    const base = this.names.get(v);
    if (base === undefined) throw new Error("exportToOnnx: a weight the graph reads is not a parameter of the model");
    const name = base + suffix;
    const existing = this.added.get(name);
    if (existing) return existing;
    const added = this.g.addInitializer(name, data(), shape);
    this.added.set(name, added);
    return added;
  }
}

// ---------------------------------------------------------------- shared pieces of the graphs

/** x W + b for a PyTorch Linear (weight stored transposed). */
function linear(g: OnnxGraph, w: WeightTable, x: string, layer: Linear): string {
  const y = g.op("MatMul", [x, w.transposed(layer.weight)]);
  return layer.bias ? g.op("Add", [y, w.raw(layer.bias)]) : y;
}

function layerNorm(g: OnnxGraph, w: WeightTable, x: string, norm: LayerNorm, outputName?: string): string {
  return g.op("LayerNormalization", [x, w.raw(norm.weight), w.raw(norm.bias)], { axis: attr.int(-1), epsilon: attr.float(norm.eps) }, outputName);
}

/** The activations of layers.ts, written with the same formulas (so the numbers agree closely). */
function activationOp(g: OnnxGraph, name: Activation, x: string): string {
  switch (name) {
    case "gelu_new":
    case "gelu_pytorch_tanh": {
      // x * sigmoid(2 sqrt(2/pi) (x + 0.044715 x^3)) = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
      const cube = g.op("Mul", [g.op("Mul", [x, x]), x]);
      const inner = g.op("Add", [x, g.op("Mul", [cube, g.constant([0.044715], "float32", [])])]);
      const scaled = g.op("Mul", [inner, g.constant([2 * Math.sqrt(2 / Math.PI)], "float32", [])]);
      return g.op("Mul", [x, g.op("Sigmoid", [scaled])]);
    }
    case "gelu": {
      // The exact erf form: 0.5 x (1 + erf(x / sqrt 2)).
      const erf = g.op("Erf", [g.op("Mul", [x, g.constant([Math.SQRT1_2], "float32", [])])]);
      return g.op("Mul", [g.op("Mul", [x, g.constant([0.5], "float32", [])]), g.op("Add", [erf, g.constant([1], "float32", [])])]);
    }
    case "relu":
      return g.op("Relu", [x]);
    case "silu":
    case "swish":
      return g.op("Mul", [x, g.op("Sigmoid", [x])]);
    default:
      throw new Error(`exportToOnnx: activation '${name as string}' has no ONNX form here`);
  }
}

/** [B, T, H * D] -> [B, H, T, D]. */
function splitHeads(g: OnnxGraph, x: string, heads: number, headDim: number): string {
  const reshaped = g.op("Reshape", [x, g.constant([0, 0, heads, headDim], "int64")]);
  return g.op("Transpose", [reshaped], { perm: attr.ints([0, 2, 1, 3]) });
}

/** [B, H, T, D] -> [B, T, H * D]. */
function mergeHeads(g: OnnxGraph, x: string, width: number): string {
  const transposed = g.op("Transpose", [x], { perm: attr.ints([0, 2, 1, 3]) });
  return g.op("Reshape", [transposed, g.constant([0, 0, width], "int64")]);
}

/** softmax(q kᵀ / sqrt(d) + bias) v, as layers.ts' scaledDotProductAttention. */
function attention(g: OnnxGraph, q: string, k: string, v: string, bias: string, headDim: number): string {
  const scores = g.op("MatMul", [q, g.op("Transpose", [k], { perm: attr.ints([0, 1, 3, 2]) })]);
  const scaled = g.op("Mul", [scores, g.constant([1 / Math.sqrt(headDim)], "float32", [])]);
  const probs = g.op("Softmax", [g.op("Add", [scaled, bias])], { axis: attr.int(-1) });
  return g.op("MatMul", [probs, v]);
}

/** Dimension `axis` of a tensor as an int64 scalar. */
function dimScalar(g: OnnxGraph, x: string, axis: number): string {
  const dim = g.op("Shape", [x], { start: attr.int(axis), end: attr.int(axis + 1) });
  return g.op("Squeeze", [dim, g.constant([0], "int64")]);
}

/** An allowed-mask (bool) to an additive bias: 0 where allowed, float32's lowest value elsewhere (HF's eager attention). */
function maskToBias(g: OnnxGraph, allowed: string): string {
  return g.op("Where", [allowed, g.constant([0], "float32", []), g.constant([MASK_VALUE], "float32", [])]);
}

/** attention_mask [B, K] (int64, 0 = padding) -> bool [B, 1, 1, K]. */
function paddingAllowed(g: OnnxGraph, attentionMask: string): string {
  const asBool = g.op("Cast", [attentionMask], { to: attr.int(9) }); // 9 = TensorProto.BOOL
  return g.op("Unsqueeze", [asBool, g.constant([1, 2], "int64")]);
}

// ---------------------------------------------------------------- GPT-2

function buildGpt2(g: OnnxGraph, w: WeightTable, model: GPT2LMHeadModel): void {
  const c: GPT2Config = model.config;
  const H = c.n_head;
  const D = c.n_embd / H;
  const t = model.transformer;
  const batch = "batch_size";
  const seq = "sequence_length";
  const past = "past_sequence_length";
  const total = "past_sequence_length + sequence_length";

  const inputIds = g.addInput("input_ids", "int64", [batch, seq]);
  const attentionMask = g.addInput("attention_mask", "int64", [batch, total]);
  const positionIds = g.addInput("position_ids", "int64", [batch, seq]);
  const pastKV = t.h.map((_, i) => ({
    key: g.addInput(`past_key_values.${i}.key`, "float32", [batch, H, past, D]),
    value: g.addInput(`past_key_values.${i}.value`, "float32", [batch, H, past, D]),
  }));
  g.addOutput("logits", "float32", [batch, seq, c.vocab_size]);
  t.h.forEach((_, i) => {
    g.addOutput(`present.${i}.key`, "float32", [batch, H, total, D]);
    g.addOutput(`present.${i}.value`, "float32", [batch, H, total, D]);
  });

  // Causal + padding bias [B, 1, S, K]: query i (absolute index past + i) sees keys j <= past + i
  // that the attention mask keeps, as layers.ts' attentionBias.
  const keyCount = dimScalar(g, attentionMask, 1);
  const newCount = dimScalar(g, inputIds, 1);
  const keyIndex = g.op("Range", [g.constant([0], "int64", []), keyCount, g.constant([1], "int64", [])]);
  const queryIndex = g.op("Range", [g.op("Sub", [keyCount, newCount]), keyCount, g.constant([1], "int64", [])]);
  const causal = g.op("LessOrEqual", [keyIndex, g.op("Unsqueeze", [queryIndex, g.constant([1], "int64")])]); // [S, K]
  const bias = maskToBias(g, g.op("And", [causal, paddingAllowed(g, attentionMask)]));

  let x = g.op("Add", [g.op("Gather", [w.raw(t.wte.weight), inputIds]), g.op("Gather", [w.raw(t.wpe.weight), positionIds])]);
  t.h.forEach((block, i) => {
    const h = layerNorm(g, w, x, block.ln_1);
    const cAttn = block.attn.c_attn;
    // c_attn's [C, 3C] weight split into q, k, v blocks: three MatMuls instead of one MatMul + Split.
    const [q, kNew, vNew] = [0, 1, 2].map((part) =>
      splitHeads(g, g.op("Add", [g.op("MatMul", [h, w.columnBlock(cAttn.weight, 3, part)]), w.columnBlock(cAttn.bias, 3, part)]), H, D),
    );
    const k = g.op("Concat", [pastKV[i].key, kNew], { axis: attr.int(2) }, `present.${i}.key`);
    const v = g.op("Concat", [pastKV[i].value, vNew], { axis: attr.int(2) }, `present.${i}.value`);
    const heads = mergeHeads(g, attention(g, q, k, v, bias, D), c.n_embd);
    const attended = g.op("Add", [g.op("MatMul", [heads, w.raw(block.attn.c_proj.weight)]), w.raw(block.attn.c_proj.bias)]);
    x = g.op("Add", [x, attended]);
    const mlp = block.mlp;
    const inner = activationOp(g, c.activation_function, g.op("Add", [g.op("MatMul", [layerNorm(g, w, x, block.ln_2), w.raw(mlp.c_fc.weight)]), w.raw(mlp.c_fc.bias)]));
    x = g.op("Add", [x, g.op("Add", [g.op("MatMul", [inner, w.raw(mlp.c_proj.weight)]), w.raw(mlp.c_proj.bias)])]);
  });
  const hidden = layerNorm(g, w, x, t.ln_f);
  // The head is tied to wte: a Transpose of the one stored copy (ONNX Runtime folds it at load).
  g.op("MatMul", [hidden, g.op("Transpose", [w.raw(t.wte.weight)], { perm: attr.ints([1, 0]) })], {}, "logits");
}

// ---------------------------------------------------------------- BERT

function buildBert(g: OnnxGraph, w: WeightTable, model: Exclude<OnnxExportable, GPT2LMHeadModel>, task: OnnxExportTask): void {
  const bert = model instanceof BertModel ? model : model.bert;
  const c: BertConfig = bert.config;
  const H = c.num_attention_heads;
  const D = c.hidden_size / H;
  const batch = "batch_size";
  const seq = "sequence_length";

  const inputIds = g.addInput("input_ids", "int64", [batch, seq]);
  const attentionMask = g.addInput("attention_mask", "int64", [batch, seq]);
  const tokenTypeIds = g.addInput("token_type_ids", "int64", [batch, seq]);

  const e = bert.embeddings;
  const positions = g.op("Range", [g.constant([0], "int64", []), dimScalar(g, inputIds, 1), g.constant([1], "int64", [])]);
  const summed = g.op("Add", [
    g.op("Add", [g.op("Gather", [w.raw(e.word_embeddings.weight), inputIds]), g.op("Gather", [w.raw(e.token_type_embeddings.weight), tokenTypeIds])]),
    g.op("Gather", [w.raw(e.position_embeddings.weight), positions]),
  ]);
  let x = layerNorm(g, w, summed, e.LayerNorm);
  const bias = maskToBias(g, paddingAllowed(g, attentionMask)); // [B, 1, 1, S]

  const featureExtraction = task === "feature-extraction";
  bert.layers.forEach((layer, i) => {
    const a = layer.attention;
    const heads = attention(g, splitHeads(g, linear(g, w, x, a.query), H, D), splitHeads(g, linear(g, w, x, a.key), H, D), splitHeads(g, linear(g, w, x, a.value), H, D), bias, D);
    const attended = layerNorm(g, w, g.op("Add", [linear(g, w, mergeHeads(g, heads, c.hidden_size), a.dense), x]), a.LayerNorm);
    const inner = activationOp(g, c.hidden_act, linear(g, w, attended, layer.intermediateDense));
    const last = featureExtraction && i === bert.layers.length - 1 ? "last_hidden_state" : undefined;
    x = layerNorm(g, w, g.op("Add", [linear(g, w, inner, layer.outputDense), attended]), layer.outputLayerNorm, last);
  });
  if (bert.layers.length === 0 && featureExtraction) x = g.op("Identity", [x], {}, "last_hidden_state");

  const pooled = () => g.op("Tanh", [linear(g, w, g.op("Gather", [x, g.constant([0], "int64", [])], { axis: attr.int(1) }), bert.poolerDense!)]);
  if (featureExtraction) {
    g.addOutput("last_hidden_state", "float32", [batch, seq, c.hidden_size]);
    if (bert.poolerDense) {
      g.op("Identity", [pooled()], {}, "pooler_output");
      g.addOutput("pooler_output", "float32", [batch, c.hidden_size]);
    }
  } else if (model instanceof BertForSequenceClassification) {
    const labels = Object.keys(c.id2label).length;
    g.op("Identity", [linear(g, w, pooled(), model.classifier)], {}, "logits");
    g.addOutput("logits", "float32", [batch, labels]);
  } else if (model instanceof BertForTokenClassification) {
    g.op("Identity", [linear(g, w, x, model.classifier)], {}, "logits");
    g.addOutput("logits", "float32", [batch, seq, Object.keys(c.id2label).length]);
  } else if (model instanceof BertForMaskedLM) {
    const transformed = layerNorm(g, w, activationOp(g, c.hidden_act, linear(g, w, x, model.transformDense)), model.transformLayerNorm);
    const decoder = g.op("Transpose", [w.raw(e.word_embeddings.weight)], { perm: attr.ints([1, 0]) });
    g.op("Add", [g.op("MatMul", [transformed, decoder]), w.raw(model.decoderBias)], {}, "logits");
    g.addOutput("logits", "float32", [batch, seq, c.vocab_size]);
  }
}

// ---------------------------------------------------------------- the folder around the graph

const ARCHITECTURES: Record<OnnxExportTask, string> = {
  "feature-extraction": "BertModel",
  "text-classification": "BertForSequenceClassification",
  "token-classification": "BertForTokenClassification",
  "fill-mask": "BertForMaskedLM",
  "text-generation-with-past": "GPT2LMHeadModel",
};

/** config.json as HF writes it for the exported architecture. */
function exportedConfig(model: OnnxExportable, task: OnnxExportTask): Record<string, unknown> {
  if (model instanceof GPT2LMHeadModel) {
    return { ...model.config, architectures: [ARCHITECTURES[task]], n_ctx: model.config.n_positions, use_cache: true };
  }
  const config = (model instanceof BertModel ? model : model.bert).config;
  const label2id = Object.fromEntries(Object.entries(config.id2label).map(([id, label]) => [label, Number(id)]));
  return { ...config, label2id, architectures: [ARCHITECTURES[task]] };
}

interface TokenizerFolder {
  files: Map<string, Buffer>;
  json: Record<string, unknown>;
}

function readTokenizerFolder(dir: string): TokenizerFolder {
  if (!fs.existsSync(dir)) throw new Error(`exportToOnnx: tokenizerDir '${dir}' does not exist`);
  if (!fs.statSync(dir).isDirectory()) throw new Error(`exportToOnnx: tokenizerDir '${dir}' is not a folder`);
  const tokenizerFile = path.join(dir, "tokenizer.json");
  if (!fs.existsSync(tokenizerFile)) throw new Error(`exportToOnnx: tokenizerDir '${dir}' has no tokenizer.json (transformers.js needs one)`);
  const files = new Map<string, Buffer>();
  for (const name of TOKENIZER_FILES) {
    const file = path.join(dir, name);
    if (fs.existsSync(file)) files.set(name, fs.readFileSync(file));
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(files.get("tokenizer.json")!.toString("utf8"));
  } catch (e) {
    throw new Error(`exportToOnnx: ${tokenizerFile} is not valid JSON (${(e as Error).message})`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error(`exportToOnnx: ${tokenizerFile} is not a JSON object`);
  return { files, json: parsed as Record<string, unknown> };
}

/** Token string -> id of a tokenizer.json (its model vocab, then its added tokens). */
function tokenizerVocab(tokenizerJson: Record<string, unknown>): Map<string, number> {
  const vocab = new Map<string, number>();
  const modelVocab = (tokenizerJson.model as { vocab?: unknown } | undefined)?.vocab;
  if (Array.isArray(modelVocab)) {
    // Unigram: [[piece, score], ...], ids in order.
    modelVocab.forEach((entry, id) => Array.isArray(entry) && typeof entry[0] === "string" && vocab.set(entry[0], id));
  } else if (modelVocab !== null && typeof modelVocab === "object") {
    for (const [token, id] of Object.entries(modelVocab as Record<string, unknown>)) if (typeof id === "number") vocab.set(token, id);
  }
  for (const t of (tokenizerJson.added_tokens as Array<{ id?: unknown; content?: unknown }> | undefined) ?? []) {
    if (typeof t.content === "string" && typeof t.id === "number") vocab.set(t.content, t.id);
  }
  return vocab;
}

/** A tokenizer whose ids exceed the embedding table would make Gather fail at run time: refuse it now. */
function checkTokenizerFits(tokenizer: TokenizerFolder, vocabSize: number, dir: string): void {
  let maxId = -1;
  for (const id of tokenizerVocab(tokenizer.json).values()) maxId = Math.max(maxId, id);
  if (maxId < 0) throw new Error(`exportToOnnx: ${path.join(dir, "tokenizer.json")} has no vocabulary`);
  if (maxId >= vocabSize) {
    throw new Error(`exportToOnnx: the tokenizer in '${dir}' has ids up to ${maxId}, but the model's vocab_size is ${vocabSize}`);
  }
}

/** tokenizer_config.json for a tokenizer folder that lacks one: the class and special tokens transformers.js reads. */
function minimalTokenizerConfig(model: OnnxExportable, tokenizerJson: Record<string, unknown>): Record<string, unknown> {
  const vocab = tokenizerVocab(tokenizerJson);
  const tokenOf = (id: number) => [...vocab].find(([, i]) => i === id)?.[0];
  if (model instanceof GPT2LMHeadModel) {
    const eos = tokenOf(model.config.eos_token_id);
    const bos = tokenOf(model.config.bos_token_id);
    return {
      tokenizer_class: "GPT2Tokenizer",
      model_max_length: model.config.n_positions,
      clean_up_tokenization_spaces: false,
      ...(bos !== undefined ? { bos_token: bos } : {}),
      ...(eos !== undefined ? { eos_token: eos, unk_token: eos } : {}),
    };
  }
  const config = (model instanceof BertModel ? model : model.bert).config;
  const normalizer = tokenizerJson.normalizer as { type?: unknown; lowercase?: unknown } | null | undefined;
  const special: Record<string, string> = {};
  for (const [key, token] of [["unk_token", "[UNK]"], ["sep_token", "[SEP]"], ["pad_token", "[PAD]"], ["cls_token", "[CLS]"], ["mask_token", "[MASK]"]]) {
    if (vocab.has(token)) special[key] = token;
  }
  return {
    tokenizer_class: "BertTokenizer",
    do_lower_case: normalizer?.type === "BertNormalizer" ? normalizer.lowercase !== false : false,
    model_max_length: config.max_position_embeddings,
    clean_up_tokenization_spaces: true,
    ...special,
  };
}

function json(value: unknown): string {
  return JSON.stringify(value, null, 2) + "\n";
}

/**
 * Writes `files` (relative path -> content) so that no reader sees a half-written folder: into a
 * staging folder beside `outDir`, renamed to `outDir` when it does not exist yet; otherwise each file
 * is renamed into place (atomic per file), the model last, and the staging folder removed.
 */
function writeFolderAtomic(outDir: string, files: Map<string, string | Uint8Array>): void {
  const parent = path.dirname(path.resolve(outDir));
  fs.mkdirSync(parent, { recursive: true });
  const staging = fs.mkdtempSync(path.join(parent, `.${path.basename(outDir)}.export-`));
  try {
    for (const [rel, content] of files) {
      fs.mkdirSync(path.dirname(path.join(staging, rel)), { recursive: true });
      fs.writeFileSync(path.join(staging, rel), content);
    }
    if (!fs.existsSync(outDir)) {
      fs.renameSync(staging, outDir);
      return;
    }
    if (!fs.statSync(outDir).isDirectory()) throw new Error(`exportToOnnx: '${outDir}' exists and is not a folder`);
    for (const rel of files.keys()) {
      const target = path.join(outDir, rel);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.renameSync(path.join(staging, rel), target);
    }
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}
