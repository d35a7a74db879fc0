/**
 * Classification pipelines over the lib's own models (the book's chapter 4):
 *
 * - `textClassificationPipeline`: Python's `pipeline("text-classification", model, tokenizer,
 *   return_all_scores=True)` over a sequence-classification model (the lib's BertForSequenceClassification);
 * - `continuationLogProbs` and `promptClassificationPipeline`: classification with a generative (causal)
 *   model by prompting it and comparing how likely it finds each label's words as the continuation — the
 *   honest way to ask a small base model that cannot follow instructions, optionally with contextual
 *   calibration (Zhao et al., 2021, "Calibrate Before Use").
 */
import * as tf from "@tensorflow/tfjs-core";
import type { CausalLM } from "../generation/generate";
import type { BatchEncoding, TokenizerCallOptions } from "../tokenizers/hf";

/** One label and its score, as the transformers pipelines return. */
export interface ClassificationScore {
  label: string;
  score: number;
}

/** What the text-classification pipeline needs from a model: BertForSequenceClassification fits. */
export interface SequenceClassificationModel {
  readonly config: { id2label: Record<string, string>; max_position_embeddings: number };
  readonly training: boolean;
  train(mode?: boolean): unknown;
  forward(inputs: { inputIds: tf.Tensor2D; attentionMask?: tf.Tensor2D; tokenTypeIds?: tf.Tensor2D }): { logits: tf.Tensor2D };
}

/** What it needs from a tokenizer: a batch call with padding and truncation (the lib's HfTokenizer). */
export interface BatchTokenizer {
  call(texts: string[], opts: TokenizerCallOptions): BatchEncoding;
}

export interface TextClassificationOptions {
  /** Texts per forward pass (default 32). */
  batchSize?: number;
  /** Tokens per text, special tokens included (default: the model's max_position_embeddings). */
  maxLength?: number;
  /** How logits become scores; HF's default: softmax for several labels, sigmoid for one. */
  functionToApply?: "softmax" | "sigmoid" | "none";
}

/** Scores of every label for each text, in the model's label-id order (as `return_all_scores=True`). */
export type TextClassificationPipeline = (texts: string | string[]) => ClassificationScore[][];

/**
 * `pipeline("text-classification", ..., return_all_scores=True)` for a lib model: for each text, every
 * label of `config.id2label` with its score, in id order, so `output[0].score` is label 0's score. Texts
 * longer than `maxLength` tokens are truncated. Runs in eval mode (no dropout) and restores the mode.
 */
export function textClassificationPipeline(
  model: SequenceClassificationModel, tokenizer: BatchTokenizer, opts: TextClassificationOptions = {},
): TextClassificationPipeline {
  const labels = Object.keys(model.config.id2label).map(Number).sort((a, b) => a - b).map((id) => model.config.id2label[String(id)]);
  if (labels.length === 0) throw new Error("textClassificationPipeline: the model's config.id2label is empty");
  const batchSize = opts.batchSize ?? 32;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`textClassificationPipeline: batchSize must be a positive integer, got ${opts.batchSize}`);
  const maxLength = opts.maxLength ?? model.config.max_position_embeddings;
  if (!Number.isInteger(maxLength) || maxLength < 2 || maxLength > model.config.max_position_embeddings) {
    throw new Error(`textClassificationPipeline: maxLength must be an integer in [2, ${model.config.max_position_embeddings}] (the model's max_position_embeddings), got ${opts.maxLength}`);
  }
  const fn = opts.functionToApply ?? (labels.length === 1 ? "sigmoid" : "softmax");
  if (fn !== "softmax" && fn !== "sigmoid" && fn !== "none") throw new Error(`textClassificationPipeline: functionToApply must be "softmax", "sigmoid" or "none", got ${String(fn)}`);

  return (input) => {
    const texts = typeof input === "string" ? [input] : input;
    if (!Array.isArray(texts) || texts.some((t) => typeof t !== "string")) throw new Error("textClassificationPipeline: expected a string or an array of strings");
    const out: ClassificationScore[][] = [];
    const wasTraining = model.training;
    model.train(false);
    try {
      for (let start = 0; start < texts.length; start += batchSize) {
        const enc = tokenizer.call(texts.slice(start, start + batchSize), { padding: true, truncation: true, maxLength });
        const scores = tf.tidy(() => {
          const inputIds = tf.tensor2d(enc.inputIds, undefined, "int32");
          const attentionMask = tf.tensor2d(enc.attentionMask, undefined, "int32");
          const tokenTypeIds = enc.tokenTypeIds ? tf.tensor2d(enc.tokenTypeIds, undefined, "int32") : undefined;
          const logits = model.forward({ inputIds, attentionMask, tokenTypeIds }).logits;
          const applied = fn === "softmax" ? tf.softmax(logits, -1) : fn === "sigmoid" ? tf.sigmoid(logits) : logits;
          return applied.arraySync() as number[][];
        });
        for (const row of scores) out.push(row.map((score, k) => ({ label: labels[k], score })));
      }
    } finally {
      model.train(wasTraining);
    }
    return out;
  };
}

/** What the generative helpers need from a tokenizer: plain encoding, no special tokens appended. */
export interface PromptTokenizer {
  encode(text: string): ArrayLike<number>;
}

/** Runs `fn` with dropout off when the model has a training mode (the lib's Modules), restoring it after. */
function inEvalMode<T>(model: unknown, fn: () => T): T {
  const m = model as { training?: boolean; train?: (mode: boolean) => unknown };
  const wasTraining = m.training === true && typeof m.train === "function";
  if (wasTraining) m.train!(false);
  try {
    return fn();
  } finally {
    if (wasTraining) m.train!(true);
  }
}

function contextSize(model: CausalLM): number {
  return model.config.n_positions ?? model.config.max_position_embeddings ?? Infinity;
}

/** A prompt and one continuation, as token ids. */
interface ScoringRow {
  promptIds: number[];
  contIds: number[];
}

/**
 * Sum of log P(continuation token t | everything before it) for each row, all rows in one forward pass,
 * right-padded to the longest (causal attention never looks at the padding after a token, so padding
 * changes nothing). The last token of a row is never needed as a query: its prediction lies beyond it.
 */
function scoreRows(model: CausalLM, rows: ScoringRow[]): number[] {
  const T = Math.max(...rows.map((r) => r.promptIds.length + r.contIds.length)) - 1;
  const ids = rows.map((r) => {
    const row = r.promptIds.concat(r.contIds).slice(0, T);
    while (row.length < T) row.push(0);
    return row;
  });
  // Only the positions that predict a continuation token go through log-softmax and back to JS.
  const positions: number[] = [];
  rows.forEach((r, b) => r.contIds.forEach((_, t) => positions.push(b * T + r.promptIds.length - 1 + t)));
  const picked = inEvalMode(model, () => tf.tidy(() => {
    const logits = model.forward(tf.tensor2d(ids, [ids.length, T], "int32")).logits;
    const flat = tf.reshape(logits, [ids.length * T, logits.shape[2]]);
    return tf.logSoftmax(tf.gather(flat, tf.tensor1d(positions, "int32")), -1).arraySync() as number[][];
  }));
  let k = 0;
  return rows.map((r) => {
    let sum = 0;
    for (const id of r.contIds) sum += picked[k++][id];
    return sum;
  });
}

function encodeContinuations(tokenizer: PromptTokenizer, continuations: readonly string[], what: string): number[][] {
  if (!Array.isArray(continuations) || continuations.length === 0 || continuations.some((c) => typeof c !== "string")) {
    throw new Error(`${what}: continuations must be a non-empty array of strings`);
  }
  return continuations.map((c, i) => {
    const ids = Array.from(tokenizer.encode(c));
    if (ids.length === 0) throw new Error(`${what}: continuation ${i} (${JSON.stringify(c)}) encodes to no tokens`);
    return ids;
  });
}

/**
 * log P(continuation | prompt) under a causal LM, for each continuation: the sum of the log-softmax of
 * each continuation token given everything before it. Prompt and continuation are tokenized separately
 * and concatenated, so every continuation is scored after the same prompt tokens.
 */
export function continuationLogProbs(model: CausalLM, tokenizer: PromptTokenizer, prompt: string, continuations: readonly string[]): number[] {
  if (typeof prompt !== "string") throw new Error("continuationLogProbs: prompt must be a string");
  const contIds = encodeContinuations(tokenizer, continuations, "continuationLogProbs");
  const promptIds = Array.from(tokenizer.encode(prompt));
  if (promptIds.length === 0) throw new Error("continuationLogProbs: the prompt encodes to no tokens (a causal LM needs at least one to predict from)");
  const longest = Math.max(...contIds.map((ids) => ids.length));
  if (promptIds.length + longest > contextSize(model)) {
    throw new Error(`continuationLogProbs: prompt (${promptIds.length} tokens) + continuation (${longest}) exceed the model's context of ${contextSize(model)} tokens`);
  }
  return scoreRows(model, contIds.map((ids) => ({ promptIds, contIds: ids })));
}

export interface PromptClassificationOptions {
  /** The prompt, with "[DOCUMENT]" where the text goes (the book's placeholder). */
  template: string;
  /** One continuation per class, in class order, e.g. [" negative", " positive"]; label names are these, trimmed. */
  labels: readonly string[];
  /**
   * Contextual calibration: subtract each label's log-probability after a content-free document ("N/A"),
   * which removes the model's prior preference for one label word (default false).
   */
  calibrate?: boolean;
  /** The content-free document used by `calibrate` (default "N/A"). */
  contentFree?: string;
  /** Texts per forward pass (default 16; each text makes one row per label). */
  batchSize?: number;
}

/** For each text, every label with its score (softmax over the labels' (calibrated) log-likelihoods), in label order. */
export type PromptClassificationPipeline = (texts: string | string[]) => ClassificationScore[][];

/**
 * Zero-shot classification with a causal LM: fills the template with each text and scores every label's
 * continuation by its log-likelihood (`continuationLogProbs`); scores are the softmax over labels. A
 * text too long for the model's context is shortened word by word from its end until the prompt and the
 * longest label fit. Works with base models that cannot follow an instruction: the model is never asked
 * to *generate* an answer, only to say which answer it finds more likely.
 */
export function promptClassificationPipeline(model: CausalLM, tokenizer: PromptTokenizer, opts: PromptClassificationOptions): PromptClassificationPipeline {
  const { template, labels } = opts;
  if (typeof template !== "string" || !template.includes("[DOCUMENT]")) throw new Error('promptClassificationPipeline: template must contain "[DOCUMENT]"');
  if (!Array.isArray(labels) || labels.length < 2 || labels.some((l) => typeof l !== "string" || l.trim() === "")) {
    throw new Error("promptClassificationPipeline: labels must be at least two non-empty strings");
  }
  const batchSize = opts.batchSize ?? 16;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`promptClassificationPipeline: batchSize must be a positive integer, got ${opts.batchSize}`);
  const names = labels.map((l) => l.trim());
  const labelIds = encodeContinuations(tokenizer, labels, "promptClassificationPipeline");
  const budget = contextSize(model) - Math.max(...labelIds.map((ids) => ids.length));
  const fill = (doc: string) => template.split("[DOCUMENT]").join(doc);
  // The prompt's ids, the document shortened word by word from its end until the prompt fits.
  const promptIdsFor = (text: string): number[] => {
    let words = text.split(/\s+/).filter((w) => w.length > 0);
    let ids = Array.from(tokenizer.encode(fill(words.join(" "))));
    while (ids.length > budget) {
      if (words.length === 0) throw new Error(`promptClassificationPipeline: the template alone does not fit the model's context of ${contextSize(model)} tokens with the labels`);
      words = words.slice(0, -1);
      ids = Array.from(tokenizer.encode(fill(words.join(" "))));
    }
    if (ids.length === 0) throw new Error("promptClassificationPipeline: the prompt encodes to no tokens");
    return ids;
  };
  const rowsFor = (promptIds: number[]) => labelIds.map((contIds) => ({ promptIds, contIds }));
  const baseline = opts.calibrate ? scoreRows(model, rowsFor(promptIdsFor(opts.contentFree ?? "N/A"))) : null;

  return (input) => {
    const texts = typeof input === "string" ? [input] : input;
    if (!Array.isArray(texts) || texts.some((t) => typeof t !== "string")) throw new Error("promptClassificationPipeline: expected a string or an array of strings");
    const out: ClassificationScore[][] = [];
    const K = labels.length;
    for (let start = 0; start < texts.length; start += batchSize) {
      const chunk = texts.slice(start, start + batchSize);
      const logProbs = scoreRows(model, chunk.flatMap((text) => rowsFor(promptIdsFor(text))));
      chunk.forEach((_, i) => {
        const lp = logProbs.slice(i * K, (i + 1) * K).map((v, k) => (baseline ? v - baseline[k] : v));
        const max = Math.max(...lp);
        const exps = lp.map((v) => Math.exp(v - max));
        const sum = exps.reduce((a, b) => a + b, 0);
        out.push(exps.map((e, k) => ({ label: names[k], score: e / sum })));
      });
    }
    return out;
  };
}
