/**
 * A sentence-transformers-style embedding model: a BERT encoder, then pooling (mean by default),
 * optionally L2-normalised. `encode` batches texts sorted by length (as sentence-transformers does, so
 * padding stays short) and returns rows in the input order.
 *
 * Folders use sentence-transformers' layout, so a model saved here loads in Python and back:
 *
 *   modules.json                    [Transformer "", Pooling "1_Pooling", (Normalize "2_Normalize")]
 *   sentence_bert_config.json       {max_seq_length, do_lower_case}
 *   config.json, model.safetensors  the encoder as a bare BertModel (HF names)
 *   tokenizer.json, tokenizer_config.json, …
 *   1_Pooling/config.json           word_embedding_dimension and the pooling_mode_* flags
 *   config_sentence_transformers.json
 *
 * A plain Hugging Face folder (no modules.json) loads with mean pooling, as sentence-transformers does.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { tf } from "../engine";
import type { DenseMatrix } from "../util/matrix";
import { BERT_DEFAULTS, BertModel, bertConfig, type BertInputs } from "../models/bert";
import { loadStateDict, readJson, readModelConfig, resolveCheckpoint, saveCheckpoint } from "../models/checkpoint";
import { Module } from "../models/module";
import { writeFileAtomic } from "../models/safetensors";
import { AutoTokenizer, TOKENIZER_FILES, type HfTokenizer } from "../tokenizers/hf";
import { resolveModelFolder, type HubDownloadOptions } from "../hub/download";
import { ProgressBar } from "../notebook/progress";
import { Rng } from "../util/random";
import { clsPooling, l2Normalize, lastTokenPooling, maxPooling, meanPooling } from "./pooling";

/** sentence-transformers' pooling modes (one at a time; its concatenated combinations are not supported). */
export type PoolingMode = "mean" | "cls" | "max" | "mean_sqrt_len" | "lasttoken";

export interface SentenceTransformerOptions {
  pooling?: PoolingMode;
  /** L2-normalise every embedding (as models with a Normalize module do). */
  normalize?: boolean;
  /** Tokens per text, special tokens included (default: the encoder's max_position_embeddings). */
  maxSeqLength?: number;
  /** Lower-case texts before tokenizing (sentence_bert_config.json's do_lower_case; default false). */
  doLowerCase?: boolean;
}

export interface EncodeOptions {
  batchSize?: number;
  showProgressBar?: boolean;
  normalizeEmbeddings?: boolean;
}

/** One entry of modules.json. */
export interface ModuleEntry {
  idx: number;
  name: string;
  path: string;
  type: string;
}

/** 1_Pooling/config.json as sentence-transformers writes it. */
export interface PoolingConfig {
  word_embedding_dimension: number;
  pooling_mode_cls_token: boolean;
  pooling_mode_mean_tokens: boolean;
  pooling_mode_max_tokens: boolean;
  pooling_mode_mean_sqrt_len_tokens: boolean;
  pooling_mode_weightedmean_tokens: boolean;
  pooling_mode_lasttoken: boolean;
  include_prompt: boolean;
}

const TRANSFORMER = "sentence_transformers.models.Transformer";
const POOLING = "sentence_transformers.models.Pooling";
const NORMALIZE = "sentence_transformers.models.Normalize";

/** The pooling_mode_* flag of each supported mode. */
const MODE_FLAGS: Record<PoolingMode, keyof PoolingConfig> = {
  cls: "pooling_mode_cls_token",
  mean: "pooling_mode_mean_tokens",
  max: "pooling_mode_max_tokens",
  mean_sqrt_len: "pooling_mode_mean_sqrt_len_tokens",
  lasttoken: "pooling_mode_lasttoken",
};

/** Pools token vectors [B, T, D] into one vector per text [B, D] (sentence-transformers' Pooling module). */
export function pool(mode: PoolingMode, hidden: tf.Tensor3D, attentionMask: tf.Tensor2D): tf.Tensor2D {
  switch (mode) {
    case "mean":
      return meanPooling(hidden, attentionMask);
    case "cls":
      return clsPooling(hidden);
    case "max":
      return maxPooling(hidden, attentionMask);
    case "lasttoken":
      return lastTokenPooling(hidden, attentionMask);
    case "mean_sqrt_len":
      // sum / sqrt(number of tokens): the mean times sqrt(count).
      return tf.tidy(() => {
        const count = tf.maximum(tf.sum(tf.cast(attentionMask, "float32"), 1, true), 1e-9);
        return tf.mul(meanPooling(hidden, attentionMask), tf.sqrt(count)) as tf.Tensor2D;
      });
    default:
      throw new Error(`unknown pooling mode '${mode as string}' (expected ${Object.keys(MODE_FLAGS).join(", ")})`);
  }
}

/** 1_Pooling/config.json for a mode. */
export function poolingConfig(mode: PoolingMode, dimension: number): PoolingConfig {
  const config: PoolingConfig = {
    word_embedding_dimension: dimension,
    pooling_mode_cls_token: false,
    pooling_mode_mean_tokens: false,
    pooling_mode_max_tokens: false,
    pooling_mode_mean_sqrt_len_tokens: false,
    pooling_mode_weightedmean_tokens: false,
    pooling_mode_lasttoken: false,
    include_prompt: true,
  };
  (config as unknown as Record<string, unknown>)[MODE_FLAGS[mode]] = true;
  return config;
}

/** The pooling mode of a parsed 1_Pooling/config.json; errors name `file`. */
export function poolingModeFromConfig(raw: Record<string, unknown>, dimension: number, file: string): PoolingMode {
  if (raw.word_embedding_dimension !== undefined && raw.word_embedding_dimension !== dimension) {
    throw new Error(`${file}: word_embedding_dimension is ${JSON.stringify(raw.word_embedding_dimension)} but the encoder's hidden_size is ${dimension}`);
  }
  if (raw.pooling_mode_weightedmean_tokens === true) throw new Error(`${file}: pooling_mode_weightedmean_tokens is not supported (use mean, cls, max, mean_sqrt_len or lasttoken)`);
  if (raw.include_prompt === false) throw new Error(`${file}: include_prompt false (prompt tokens left out of the pooling) is not supported`);
  for (const [key, value] of Object.entries(raw)) {
    if (key.startsWith("pooling_mode_") && typeof value !== "boolean") throw new Error(`${file}: ${key} must be true or false (got ${JSON.stringify(value)})`);
  }
  const on = (Object.keys(MODE_FLAGS) as PoolingMode[]).filter((m) => raw[MODE_FLAGS[m]] === true);
  if (on.length === 0) throw new Error(`${file}: no pooling mode is set (one of ${Object.values(MODE_FLAGS).join(", ")} must be true)`);
  if (on.length > 1) throw new Error(`${file}: several pooling modes are set (${on.map((m) => MODE_FLAGS[m]).join(", ")}); their concatenation is not supported`);
  return on[0];
}

/** Checks and sorts modules.json: a Transformer, a Pooling, then an optional Normalize. */
export function parseModulesJson(value: unknown, file: string): { transformer: ModuleEntry; pooling: ModuleEntry; normalize: ModuleEntry | null } {
  if (!Array.isArray(value)) throw new Error(`${file}: expected a JSON array of modules`);
  const entries = value.map((e, i) => {
    const m = e as Partial<ModuleEntry> | null;
    if (m === null || typeof m !== "object" || typeof m.type !== "string" || typeof m.path !== "string") {
      throw new Error(`${file}: entry ${i} must be an object with string "type" and "path"`);
    }
    if (m.path.split(/[\\/]/).some((s) => s === "..") || path.isAbsolute(m.path)) throw new Error(`${file}: entry ${i} has a path outside the folder (${JSON.stringify(m.path)})`);
    return { idx: typeof m.idx === "number" ? m.idx : i, name: typeof m.name === "string" ? m.name : String(i), path: m.path, type: m.type } as ModuleEntry;
  });
  entries.sort((a, b) => a.idx - b.idx);
  const supported = [TRANSFORMER, POOLING, NORMALIZE];
  for (const e of entries) {
    if (!supported.includes(e.type)) {
      throw new Error(`${file}: module ${e.idx} (${e.type}, path "${e.path}") is not supported; only Transformer, Pooling and Normalize modules are`);
    }
  }
  const types = entries.map((e) => e.type);
  const expected = types.length === 3 ? [TRANSFORMER, POOLING, NORMALIZE] : [TRANSFORMER, POOLING];
  if (types.length < 2 || types.length > 3 || types.some((t, i) => t !== expected[i])) {
    throw new Error(`${file}: expected the modules Transformer, Pooling and optionally Normalize in that order, got ${types.map((t) => t.split(".").pop()).join(", ") || "none"}`);
  }
  return { transformer: entries[0], pooling: entries[1], normalize: entries[2] ?? null };
}

/**
 * Copies a tokenizer's files (tokenizer.json, tokenizer_config.json, special_tokens_map.json, vocab
 * files…) from the folder it was loaded from into `dir`, each written atomically.
 */
export function copyTokenizerFiles(tokenizer: HfTokenizer, dir: string): void {
  const source = tokenizer.folder;
  if (!source) {
    // Built in memory: write its tokenizer.json and config instead of copying files.
    tokenizer.savePretrained(dir);
    return;
  }
  if (path.resolve(source) === path.resolve(dir)) return;
  const names = [...TOKENIZER_FILES.map((f) => (typeof f === "string" ? f : f.name)), "vocab.txt", "vocab.json", "merges.txt"];
  for (const name of names) {
    const file = path.join(source, name);
    if (fs.existsSync(file)) writeFileAtomic(path.join(dir, name), fs.readFileSync(file));
  }
}

/** Loads a bare BertModel (or the `bert.` part of a task checkpoint) from an HF folder; task heads are ignored. */
function loadBertEncoder(dir: string): BertModel {
  const { config, file } = readModelConfig(dir, ["bert"], BERT_DEFAULTS);
  let cfg;
  try {
    cfg = bertConfig(config);
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`);
  }
  const state = loadStateDict(dir);
  try {
    const bare = new Map<string, tf.Tensor>();
    for (const [name, t] of state) {
      const stripped = name.startsWith("bert.") ? name.slice(5) : name;
      if (/^(embeddings|encoder|pooler)\./.test(stripped) && !/position_ids$/.test(stripped)) bare.set(stripped, t);
    }
    const encoder = new BertModel(cfg, new Rng(42), { addPoolingLayer: bare.has("pooler.dense.weight") });
    try {
      encoder.loadStateDict(bare, true);
    } catch (e) {
      encoder.dispose();
      throw new Error(`${dir}: ${(e as Error).message}`);
    }
    return encoder;
  } finally {
    tf.dispose([...state.values()]);
  }
}

export class SentenceTransformer extends Module {
  readonly pooling: PoolingMode;
  readonly normalize: boolean;
  readonly maxSeqLength: number;
  readonly doLowerCase: boolean;

  constructor(readonly encoder: BertModel, readonly tokenizer: HfTokenizer, opts: SentenceTransformerOptions = {}) {
    super();
    this.pooling = opts.pooling ?? "mean";
    if (!(this.pooling in MODE_FLAGS)) throw new Error(`SentenceTransformer: unknown pooling '${this.pooling}' (expected ${Object.keys(MODE_FLAGS).join(", ")})`);
    this.normalize = opts.normalize ?? false;
    this.doLowerCase = opts.doLowerCase ?? false;
    this.maxSeqLength = opts.maxSeqLength ?? encoder.config.max_position_embeddings;
    if (!(Number.isInteger(this.maxSeqLength) && this.maxSeqLength > 0)) throw new Error(`SentenceTransformer: maxSeqLength must be a positive integer (got ${this.maxSeqLength})`);
    if (this.maxSeqLength > encoder.config.max_position_embeddings) {
      throw new Error(`SentenceTransformer: maxSeqLength ${this.maxSeqLength} exceeds the encoder's max_position_embeddings (${encoder.config.max_position_embeddings})`);
    }
    this.addModule("encoder", encoder);
  }

  /**
   * Loads a sentence-transformers folder (or hub id): modules.json, sentence_bert_config.json and
   * 1_Pooling/config.json decide pooling, normalisation, max_seq_length and lower-casing; without
   * modules.json (a plain HF checkpoint) the model mean-pools, as sentence-transformers does. Options
   * given here win over the files. Any task head in the checkpoint is ignored.
   */
  static async fromPretrained(idOrPath: string, opts: SentenceTransformerOptions & HubDownloadOptions = {}): Promise<SentenceTransformer> {
    const root = await resolveModelFolder(idOrPath, [{ name: "modules.json", optional: true }], opts);
    const modulesFile = path.join(root, "modules.json");
    let fromFiles: SentenceTransformerOptions = {};
    let transformerDir = root;
    let poolingFile: string | null = null;
    if (fs.existsSync(modulesFile)) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(fs.readFileSync(modulesFile, "utf8"));
      } catch (e) {
        throw new Error(`${modulesFile}: invalid JSON (${(e as Error).message})`);
      }
      const modules = parseModulesJson(parsed, modulesFile);
      const sub = (entry: ModuleEntry, name: string) => (entry.path ? `${entry.path.replace(/\\/g, "/")}/${name}` : name);
      if (modules.transformer.path !== "" && !fs.existsSync(path.join(root, modules.transformer.path))) {
        throw new Error(`${modulesFile}: the Transformer module's folder "${modules.transformer.path}" does not exist (hub models must keep it at the root)`);
      }
      await resolveModelFolder(idOrPath, [{ name: sub(modules.transformer, "sentence_bert_config.json"), optional: true }, sub(modules.pooling, "config.json")], opts);
      transformerDir = path.join(root, modules.transformer.path);
      poolingFile = path.join(root, modules.pooling.path, "config.json");
      fromFiles.normalize = modules.normalize !== null;
      const sbertFile = path.join(transformerDir, "sentence_bert_config.json");
      if (fs.existsSync(sbertFile)) {
        const sbert = readJson(sbertFile);
        if (sbert.max_seq_length !== undefined && sbert.max_seq_length !== null) {
          if (!(Number.isInteger(sbert.max_seq_length) && (sbert.max_seq_length as number) > 0)) {
            throw new Error(`${sbertFile}: max_seq_length must be a positive integer (got ${JSON.stringify(sbert.max_seq_length)})`);
          }
          fromFiles.maxSeqLength = sbert.max_seq_length as number;
        }
        if (sbert.do_lower_case !== undefined) {
          if (typeof sbert.do_lower_case !== "boolean") throw new Error(`${sbertFile}: do_lower_case must be true or false (got ${JSON.stringify(sbert.do_lower_case)})`);
          fromFiles.doLowerCase = sbert.do_lower_case;
        }
      }
    }
    if (transformerDir === root) transformerDir = await resolveCheckpoint(idOrPath, opts);
    const tokenizer = await AutoTokenizer.fromPretrained(transformerDir === root ? idOrPath : transformerDir, opts);
    const encoder = loadBertEncoder(transformerDir);
    try {
      if (poolingFile) fromFiles.pooling = poolingModeFromConfig(readJson(poolingFile), encoder.config.hidden_size, poolingFile);
      else fromFiles = { pooling: "mean", normalize: false };
      // Without sentence_bert_config's max_seq_length: the smaller of the model's and the tokenizer's limits.
      fromFiles.maxSeqLength ??= Math.min(encoder.config.max_position_embeddings, tokenizer.modelMaxLength);
      if (fromFiles.maxSeqLength > encoder.config.max_position_embeddings) {
        throw new Error(`${path.join(transformerDir, "sentence_bert_config.json")}: max_seq_length ${fromFiles.maxSeqLength} exceeds max_position_embeddings (${encoder.config.max_position_embeddings})`);
      }
      const defined = Object.fromEntries(Object.entries(opts).filter(([k, v]) => v !== undefined && ["pooling", "normalize", "maxSeqLength", "doLowerCase"].includes(k)));
      return new SentenceTransformer(encoder, tokenizer, { ...fromFiles, ...defined });
    } catch (e) {
      encoder.dispose();
      throw e;
    }
  }

  /** Embedding dimension. */
  get dimension(): number {
    return this.encoder.config.hidden_size;
  }

  /** sentence-transformers' name for `dimension`. */
  getSentenceEmbeddingDimension(): number {
    return this.dimension;
  }

  /** The modules.json this model saves. */
  modulesJson(): ModuleEntry[] {
    const modules: ModuleEntry[] = [
      { idx: 0, name: "0", path: "", type: TRANSFORMER },
      { idx: 1, name: "1", path: "1_Pooling", type: POOLING },
    ];
    if (this.normalize) modules.push({ idx: 2, name: "2", path: "2_Normalize", type: NORMALIZE });
    return modules;
  }

  /**
   * Writes the sentence-transformers folder (see the top of this file); every file is written
   * atomically. The tokenizer files are copied from the folder the tokenizer was loaded from
   * (or written by its savePretrained when it was built in memory).
   */
  save(dir: string): void {
    fs.mkdirSync(dir, { recursive: true });
    saveCheckpoint(dir, this.encoder, { ...this.encoder.config, architectures: ["BertModel"] });
    copyTokenizerFiles(this.tokenizer, dir);
    const json = (value: unknown) => JSON.stringify(value, null, 2) + "\n";
    writeFileAtomic(path.join(dir, "modules.json"), json(this.modulesJson()));
    writeFileAtomic(path.join(dir, "sentence_bert_config.json"), json({ max_seq_length: this.maxSeqLength, do_lower_case: this.doLowerCase }));
    writeFileAtomic(path.join(dir, "config_sentence_transformers.json"), json({ prompts: {}, default_prompt_name: null, similarity_fn_name: "cosine" }));
    writeFileAtomic(path.join(dir, "1_Pooling", "config.json"), json(poolingConfig(this.pooling, this.dimension)));
    if (this.normalize) fs.mkdirSync(path.join(dir, "2_Normalize"), { recursive: true });
  }

  /** Same as `save` (sentence-transformers has both names). */
  savePretrained(dir: string): void {
    this.save(dir);
  }

  /**
   * Padded, truncated model inputs for a batch of texts (sentence-transformers' `tokenize`); the caller
   * disposes the tensors (or calls this inside tf.tidy).
   */
  tokenize(texts: string[]): BertInputs {
    const input = this.doLowerCase ? texts.map((t) => t.toLowerCase()) : texts;
    const enc = this.tokenizer.call(input, { padding: true, truncation: true, maxLength: this.maxSeqLength });
    return {
      inputIds: tf.tensor2d(enc.inputIds, undefined, "int32"),
      attentionMask: tf.tensor2d(enc.attentionMask, undefined, "int32"),
      tokenTypeIds: enc.tokenTypeIds ? tf.tensor2d(enc.tokenTypeIds, undefined, "int32") : undefined,
    };
  }

  /**
   * Pooled embeddings [batch, dimension] of tokenized inputs, differentiable: what the training losses
   * call (dropout follows the encoder's train/eval mode). Normalised when the model normalises.
   */
  forward(inputs: BertInputs): tf.Tensor2D {
    return tf.tidy(() => {
      const hidden = this.encoder.forward(inputs).lastHiddenState;
      const attentionMask = inputs.attentionMask ?? (tf.onesLike(inputs.inputIds) as tf.Tensor2D);
      const pooled = pool(this.pooling, hidden, attentionMask);
      return this.normalize ? l2Normalize(pooled) : pooled;
    });
  }

  /** One embedding per text, [texts.length, dimension]. */
  encode(texts: string[], opts: EncodeOptions = {}): DenseMatrix {
    if (!Array.isArray(texts) || texts.some((t) => typeof t !== "string")) throw new Error("SentenceTransformer.encode: texts must be an array of strings");
    const batchSize = opts.batchSize ?? 32;
    const dim = this.dimension;
    const out = new Float32Array(texts.length * dim);
    const order = texts.map((t, i) => i).sort((a, b) => texts[b].length - texts[a].length || a - b);
    const bar = opts.showProgressBar ? new ProgressBar({ total: Math.ceil(texts.length / batchSize), desc: "Batches" }) : null;
    const wasTraining = this.encoder.training;
    this.encoder.eval();
    try {
      for (let start = 0; start < order.length; start += batchSize) {
        const idx = order.slice(start, start + batchSize);
        const values = tf.tidy(() => {
          let pooled = this.forward(this.tokenize(idx.map((i) => texts[i])));
          if (opts.normalizeEmbeddings && !this.normalize) pooled = l2Normalize(pooled); // a Normalize module already did it
          return pooled.dataSync() as Float32Array;
        });
        idx.forEach((i, k) => out.set(values.subarray(k * dim, (k + 1) * dim), i * dim));
        bar?.update();
      }
    } finally {
      bar?.close();
      if (wasTraining) this.encoder.train();
    }
    return { rows: texts.length, cols: dim, data: out };
  }

  /** The topic pipeline's Embedder interface. */
  async embed(texts: string[]): Promise<DenseMatrix> {
    return this.encode(texts);
  }

  protected override extraRepr(): string {
    return `max_seq_length=${this.maxSeqLength}, pooling=${this.pooling}, normalize=${this.normalize}`;
  }
}
