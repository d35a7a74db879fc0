/**
 * Supervised fine-tuning (chapter 12's instruction tuning) as trl's `SFTTrainer` prepares data:
 *
 *   - prompt formats: the Alpaca-LoRA template (`formatAlpaca`) and a tokenizer's chat template
 *     (`formatChat`, with TinyLlama's template as `TINYLLAMA_CHAT_TEMPLATE`);
 *   - `tokenizeForSft`: trl's `_prepare_dataset` — EOS appended to plain text, prompt / completion
 *     tokenized as `prompt` and `prompt + completion`, labels -100 on the prompt when
 *     `completionOnlyLoss` (trl's default for prompt-completion data), truncation to `maxSeqLength`
 *     ("keep_start"), and trl's "wrapped" packing;
 *   - `collateSft`: trl's `DataCollatorForLanguageModeling` (right padding, labels -100 on padding);
 *   - `sftLoss` and `perplexity` on a causal LM (GPT-2, Llama).
 *
 * trl ≥ 0.20 calls `max_seq_length` `max_length`; the book's code (and this file) says maxSeqLength.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { ChatMessage } from "../tokenizers/hf";
import { IGNORE_INDEX, causalLMLoss } from "../training/losses";
import { sequenceLogProbs } from "./dpo";

// ----- prompt formats -------------------------------------------------------------------------------------

/** Alpaca-LoRA's templates (templates/alpaca.json), the format of the course notes. */
export const ALPACA_TEMPLATE = {
  promptInput:
    "Below is an instruction that describes a task, paired with an input that provides further context. " +
    "Write a response that appropriately completes the request.\n\n### Instruction:\n{instruction}\n\n### Input:\n{input}\n\n### Response:\n",
  promptNoInput:
    "Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n" +
    "### Instruction:\n{instruction}\n\n### Response:\n",
  responseSplit: "### Response:",
} as const;

export interface AlpacaExample {
  instruction: string;
  input?: string;
  output?: string;
}

/** An Alpaca record as prompt (everything up to "### Response:\n"), completion (the output) and both joined. */
export interface PromptCompletionText {
  prompt: string;
  completion: string;
  text: string;
}

/**
 * An Alpaca record in Alpaca-LoRA's template: with an "### Input:" section when `input` is non-empty,
 * the shorter preamble otherwise (as Alpaca-LoRA's `Prompter.generate_prompt`).
 */
export function formatAlpaca(example: AlpacaExample): PromptCompletionText {
  if (!example || typeof example.instruction !== "string") throw new TypeError("formatAlpaca: expected { instruction: string, input?: string, output?: string }");
  for (const key of ["input", "output"] as const) {
    const v = example[key];
    if (v != null && typeof v !== "string") throw new TypeError(`formatAlpaca: ${key} must be a string (got ${typeof v})`);
  }
  // A literal "{input}" inside the instruction must not be substituted: fill with functions, in one pass.
  const fill = (template: string) => template.replace(/\{(instruction|input)\}/g, (_, k: "instruction" | "input") => example[k] ?? "");
  const prompt = fill(example.input ? ALPACA_TEMPLATE.promptInput : ALPACA_TEMPLATE.promptNoInput);
  const completion = example.output ?? "";
  return { prompt, completion, text: prompt + completion };
}

/**
 * TinyLlama-1.1B-Chat's chat template (Zephyr's): `<|user|>\n…</s>\n<|assistant|>\n…</s>\n`, with
 * `<|assistant|>\n` appended for a generation prompt. Rendered with trim_blocks, as transformers does.
 */
export const TINYLLAMA_CHAT_TEMPLATE =
  "{% for message in messages %}\n{% if message['role'] == 'user' %}\n{{ '<|user|>\n' + message['content'] + eos_token }}\n" +
  "{% elif message['role'] == 'system' %}\n{{ '<|system|>\n' + message['content'] + eos_token }}\n" +
  "{% elif message['role'] == 'assistant' %}\n{{ '<|assistant|>\n'  + message['content'] + eos_token }}\n{% endif %}\n" +
  "{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}";

/** What chat formatting needs of a tokenizer (HfTokenizer has it). */
export interface ChatTemplateTokenizer {
  applyChatTemplate(messages: ChatMessage[], opts: { tokenize: false; addGenerationPrompt?: boolean; chatTemplate?: string }): string;
}

/**
 * Messages rendered by the tokenizer's chat template, as the book's `format_prompt`
 * (`apply_chat_template(chat, tokenize=False)`). `chatTemplate` overrides the tokenizer's own, e.g.
 * `TINYLLAMA_CHAT_TEMPLATE` for a tokenizer that has none.
 */
export function formatChat(
  tokenizer: ChatTemplateTokenizer,
  messages: ChatMessage[],
  opts: { addGenerationPrompt?: boolean; chatTemplate?: string } = {},
): string {
  return tokenizer.applyChatTemplate(messages, { tokenize: false, addGenerationPrompt: opts.addGenerationPrompt, chatTemplate: opts.chatTemplate });
}

// ----- tokenization ---------------------------------------------------------------------------------------

/**
 * What SFT tokenization needs: `encode` with the tokenizer's special tokens (BOS for Llama), as
 * Python's `tokenizer(text)`; the EOS token string; a chat template for conversational examples.
 */
export interface SftTokenizer {
  encode(text: string): ArrayLike<number>;
  eosToken?: string | null;
  applyChatTemplate?(messages: ChatMessage[], opts: { tokenize: false; addGenerationPrompt?: boolean; chatTemplate?: string }): string;
}

/** trl's dataset types: language modelling (text or messages) and prompt-completion (text or messages). */
export type SftExample =
  | { text: string }
  | { messages: ChatMessage[] }
  | { prompt: string; completion: string }
  | { prompt: ChatMessage[]; completion: ChatMessage[] };

export interface SftTokenizeOptions {
  /** Longest sequence (trl's max_length, default 1024); null: no truncation (not allowed with packing). */
  maxSeqLength?: number | null;
  /**
   * Labels -100 on prompt tokens, so only the completion is learned. Default (trl's None): true for
   * prompt-completion examples; language-modelling examples have no prompt and learn every token.
   */
  completionOnlyLoss?: boolean;
  /** Pack into maxSeqLength blocks with trl's "wrapped" strategy (default false). */
  packing?: boolean;
  /** Which end to keep when truncating (trl's truncation_mode, default "keep_start"). */
  truncationMode?: "keep_start" | "keep_end";
  /** Append the EOS token to plain-text examples that do not end with it, as trl (default true). */
  addEos?: boolean;
  /** A chat template for conversational examples (default: the tokenizer's). */
  chatTemplate?: string;
}

/** One tokenized example (or packed block): ids and labels of the same length. */
export interface SftFeatures {
  inputIds: number[];
  /** The id to learn at each position, or IGNORE_INDEX (-100); the model shifts them, as HF. */
  labels: number[];
}

function isMessages(x: unknown): x is ChatMessage[] {
  return Array.isArray(x) && x.every((m) => m && typeof m === "object" && typeof (m as ChatMessage).role === "string" && typeof (m as ChatMessage).content === "string");
}

function chatIds(tokenizer: SftTokenizer, messages: ChatMessage[], where: string, addGenerationPrompt: boolean, chatTemplate?: string): number[] {
  if (typeof tokenizer.applyChatTemplate !== "function") throw new Error(`${where}: conversational examples need a tokenizer with applyChatTemplate (an HfTokenizer)`);
  const text = tokenizer.applyChatTemplate(messages, { tokenize: false, addGenerationPrompt, chatTemplate });
  // As Python's apply_chat_template(tokenize=True): the template already holds the special tokens it wants.
  const enc = tokenizer as unknown as { encode(text: string, opts?: { addSpecialTokens?: boolean }): ArrayLike<number> };
  return Array.from(enc.encode(text, { addSpecialTokens: false }));
}

function withEos(text: string, eos: string | null | undefined, where: string): string {
  if (eos == null) throw new Error(`${where}: the tokenizer has no EOS token to append; set one, or pass { addEos: false }`);
  return text.endsWith(eos) ? text : text + eos;
}

function checkLength(name: string, v: unknown, allowNull: boolean): void {
  if (v === null && allowNull) return;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1) throw new Error(`tokenizeForSft: ${name} must be a positive integer${allowNull ? " or null" : ""} (got ${String(v)})`);
}

/**
 * Tokenize SFT examples as trl's `SFTTrainer._prepare_dataset`:
 *   - plain text: EOS appended (to `text`, or to `completion`) unless already there, then `encode` with the
 *     tokenizer's special tokens; conversational examples go through the chat template instead;
 *   - prompt-completion: ids of `prompt + completion`, with the first len(ids(prompt)) positions marked as
 *     prompt; labels -100 there when `completionOnlyLoss` (default for this type);
 *   - without packing: cut to `maxSeqLength`, and examples left with no label to learn are dropped (trl);
 *   - with packing: every example's ids and labels concatenated and cut into `maxSeqLength` blocks, the last
 *     one shorter (trl's "wrapped" packing; a block may start mid-example).
 */
export function tokenizeForSft(tokenizer: SftTokenizer, examples: SftExample[], opts: SftTokenizeOptions = {}): SftFeatures[] {
  const where = "tokenizeForSft";
  if (!Array.isArray(examples)) throw new TypeError(`${where}: expected an array of examples`);
  const maxLen = opts.maxSeqLength === undefined ? 1024 : opts.maxSeqLength;
  checkLength("maxSeqLength", maxLen, true);
  const packing = opts.packing === true;
  if (packing && maxLen === null) throw new Error(`${where}: packing needs a maxSeqLength (trl: "When packing is enabled, max_length can't be None")`);
  const mode = opts.truncationMode ?? "keep_start";
  if (mode !== "keep_start" && mode !== "keep_end") throw new Error(`${where}: truncationMode must be "keep_start" or "keep_end" (got ${String(mode)})`);
  const addEos = opts.addEos !== false;

  const rows: SftFeatures[] = [];
  examples.forEach((ex, i) => {
    const at = `${where}: example ${i}`;
    if (!ex || typeof ex !== "object") throw new TypeError(`${at} is not an object`);
    let inputIds: number[];
    let promptLength = 0;
    let isPromptCompletion = false;
    if ("prompt" in ex || "completion" in ex) {
      const { prompt, completion } = ex as { prompt: unknown; completion: unknown };
      isPromptCompletion = true;
      if (typeof prompt === "string" && typeof completion === "string") {
        const full = prompt + (addEos ? withEos(completion, tokenizer.eosToken, at) : completion);
        const promptIds = Array.from(tokenizer.encode(prompt));
        inputIds = Array.from(tokenizer.encode(full));
        promptLength = promptIds.length;
        checkPrefix(promptIds, inputIds, at);
      } else if (isMessages(prompt) && isMessages(completion)) {
        const promptIds = chatIds(tokenizer, prompt, at, true, opts.chatTemplate);
        inputIds = chatIds(tokenizer, [...prompt, ...completion], at, false, opts.chatTemplate);
        promptLength = promptIds.length;
        checkPrefix(promptIds, inputIds, at);
      } else {
        throw new TypeError(`${at}: prompt and completion must both be strings or both be lists of {role, content} messages`);
      }
    } else if ("messages" in ex) {
      if (!isMessages(ex.messages)) throw new TypeError(`${at}: messages must be a list of {role, content} strings`);
      inputIds = chatIds(tokenizer, ex.messages, at, false, opts.chatTemplate);
    } else if ("text" in ex) {
      if (typeof ex.text !== "string") throw new TypeError(`${at}: text must be a string (got ${typeof ex.text})`);
      inputIds = Array.from(tokenizer.encode(addEos ? withEos(ex.text, tokenizer.eosToken, at) : ex.text));
    } else {
      throw new TypeError(`${at} has none of text, messages, or prompt + completion`);
    }
    const completionOnly = isPromptCompletion && opts.completionOnlyLoss !== false;
    const labels = inputIds.map((id, t) => (completionOnly && t < promptLength ? IGNORE_INDEX : id));
    rows.push({ inputIds, labels });
  });

  if (packing) return packWrapped(rows, maxLen as number);
  if (maxLen === null) return rows;
  const cut = (a: number[]) => (a.length <= maxLen ? a : mode === "keep_start" ? a.slice(0, maxLen) : a.slice(a.length - maxLen));
  // As trl: drop examples that truncation left with nothing to learn (e.g. a prompt filling maxSeqLength).
  return rows.map((r) => ({ inputIds: cut(r.inputIds), labels: cut(r.labels) })).filter((r) => r.labels.some((l) => l !== IGNORE_INDEX));
}

function checkPrefix(promptIds: number[], fullIds: number[], where: string): void {
  // trl only warns; a mismatch would put the prompt/completion boundary in the wrong place, so say so loudly.
  for (let t = 0; t < promptIds.length; t++) {
    if (promptIds[t] !== fullIds[t]) {
      throw new Error(
        `${where}: the tokens of prompt + completion do not start with the tokens of the prompt (first difference at token ${t}); ` +
          `a token spans the boundary — end the prompt with a space or newline, or start the completion with one`,
      );
    }
  }
}

/** trl's "wrapped" packing: all ids (and labels alike) concatenated, then cut every `seqLength` tokens. */
export function packWrapped(rows: SftFeatures[], seqLength: number): SftFeatures[] {
  if (!Number.isInteger(seqLength) || seqLength < 1) throw new Error(`packWrapped: seqLength must be a positive integer (got ${seqLength})`);
  const ids: number[] = [];
  const labels: number[] = [];
  rows.forEach((r, i) => {
    if (r.inputIds.length !== r.labels.length) throw new Error(`packWrapped: row ${i} has ${r.inputIds.length} ids but ${r.labels.length} labels`);
    for (let t = 0; t < r.inputIds.length; t++) {
      ids.push(r.inputIds[t]);
      labels.push(r.labels[t]);
    }
  });
  const out: SftFeatures[] = [];
  for (let s = 0; s < ids.length; s += seqLength) out.push({ inputIds: ids.slice(s, s + seqLength), labels: labels.slice(s, s + seqLength) });
  return out;
}

// ----- batches --------------------------------------------------------------------------------------------

/** A padded batch: rows of equal length. */
export interface SftBatch {
  inputIds: number[][];
  labels: number[][];
  /** 1 on real tokens, 0 on padding. */
  attentionMask: number[][];
}

/**
 * trl's `DataCollatorForLanguageModeling`: pads on the right with `padTokenId`, labels with -100
 * (features without labels learn every token), attention mask 1 / 0.
 */
export function collateSft(features: Array<{ inputIds: number[]; labels?: number[] }>, opts: { padTokenId: number; padToMultipleOf?: number }): SftBatch {
  if (!Array.isArray(features) || features.length === 0) throw new Error("collateSft: expected a non-empty array of features");
  if (!Number.isInteger(opts?.padTokenId)) {
    throw new Error(`collateSft: padTokenId must be an integer (got ${String(opts?.padTokenId)}); trl uses the tokenizer's pad token, else its EOS token`);
  }
  let width = features.reduce((m, f) => Math.max(m, f.inputIds.length), 0);
  const m = opts.padToMultipleOf;
  if (m != null) {
    if (!Number.isInteger(m) || m < 1) throw new Error(`collateSft: padToMultipleOf must be a positive integer (got ${m})`);
    width = Math.ceil(width / m) * m;
  }
  const batch: SftBatch = { inputIds: [], labels: [], attentionMask: [] };
  features.forEach((f, i) => {
    const labels = f.labels ?? f.inputIds;
    if (labels.length !== f.inputIds.length) throw new Error(`collateSft: feature ${i} has ${f.inputIds.length} ids but ${labels.length} labels`);
    const n = width - f.inputIds.length;
    batch.inputIds.push([...f.inputIds, ...new Array<number>(n).fill(opts.padTokenId)]);
    batch.labels.push([...labels, ...new Array<number>(n).fill(IGNORE_INDEX)]);
    batch.attentionMask.push([...new Array<number>(f.inputIds.length).fill(1), ...new Array<number>(n).fill(0)]);
  });
  return batch;
}

/** A causal LM as the SFT and DPO helpers use it: GPT2LMHeadModel and LlamaForCausalLM fit. */
export interface TrainableCausalLM {
  forward(inputIds: tf.Tensor2D, opts?: { attentionMask?: tf.Tensor2D }): { logits: tf.Tensor3D };
  training?: boolean;
  train?(mode: boolean): unknown;
}

function batchTensors(batch: SftBatch, where: string): { ids: tf.Tensor2D; labels: tf.Tensor2D; mask: tf.Tensor2D } {
  const B = batch.inputIds.length;
  if (B === 0) throw new Error(`${where}: empty batch`);
  const T = batch.inputIds[0].length;
  for (const [name, rows] of [["inputIds", batch.inputIds], ["labels", batch.labels], ["attentionMask", batch.attentionMask]] as const) {
    if (!Array.isArray(rows) || rows.length !== B || rows.some((r) => r.length !== T)) throw new Error(`${where}: batch.${name} must be ${B} rows of ${T} (pad with collateSft)`);
  }
  return {
    ids: tf.tensor2d(batch.inputIds, [B, T], "int32"),
    labels: tf.tensor2d(batch.labels, [B, T], "int32"),
    mask: tf.tensor2d(batch.attentionMask, [B, T], "int32"),
  };
}

/**
 * The SFT loss of a batch: the model's causal-LM cross-entropy, mean over the labels that are not -100
 * (what `SFTTrainer` minimises). Use inside a Trainer's `loss`.
 */
export function sftLoss(model: TrainableCausalLM, batch: SftBatch): tf.Scalar {
  return tf.tidy(() => {
    const { ids, labels, mask } = batchTensors(batch, "sftLoss");
    return causalLMLoss(model.forward(ids, { attentionMask: mask }).logits, labels);
  });
}

/** The tokens perplexity scores in a batch: labels after the first position that are not -100. */
function scoredTokens(batch: SftBatch): number {
  let count = 0;
  for (const row of batch.labels) for (let t = 1; t < row.length; t++) if (row[t] !== IGNORE_INDEX) count++;
  return count;
}

/** Summed log-probs of a batch's labels, as a scalar tensor (nothing read back). */
function batchLogProb(model: TrainableCausalLM, batch: SftBatch, where: string): tf.Scalar {
  return tf.tidy(() => {
    const { ids, mask } = batchTensors(batch, where);
    // Labels as numbers: sequenceLogProbs would otherwise read a labels tensor back.
    return tf.sum(sequenceLogProbs(model.forward(ids, { attentionMask: mask }).logits, batch.labels)) as tf.Scalar;
  });
}

function perplexityFrom(logProb: number, count: number, where: string): number {
  if (count === 0) throw new Error(`${where}: no label to score (every label after the first position is -100)`);
  return Math.exp(-logProb / count);
}

/**
 * Perplexity exp(mean NLL) over every label that is not -100 in `batches` (each token weighs the same,
 * whatever its batch), computed in eval mode (no dropout) with the causal shift (logits at t score label t+1).
 * Reads synchronously: on webgpu in Node use `perplexityAsync`.
 */
export function perplexity(model: TrainableCausalLM, batches: SftBatch[]): number {
  const where = "perplexity";
  if (!Array.isArray(batches) || batches.length === 0) throw new Error(`${where}: expected a non-empty array of batches`);
  const wasTraining = model.training === true;
  if (typeof model.train === "function") model.train(false);
  let logProb = 0;
  let count = 0;
  try {
    for (const batch of batches) {
      const sum = batchLogProb(model, batch, where);
      logProb += sum.dataSync()[0];
      sum.dispose();
      count += scoredTokens(batch);
    }
  } finally {
    if (typeof model.train === "function") model.train(wasTraining);
  }
  return perplexityFrom(logProb, count, where);
}

/** `perplexity` with asynchronous reads (`await data()`): works on every backend, webgpu included. */
export async function perplexityAsync(model: TrainableCausalLM, batches: SftBatch[]): Promise<number> {
  const where = "perplexityAsync";
  if (!Array.isArray(batches) || batches.length === 0) throw new Error(`${where}: expected a non-empty array of batches`);
  const wasTraining = model.training === true;
  if (typeof model.train === "function") model.train(false);
  let logProb = 0;
  let count = 0;
  try {
    for (const batch of batches) {
      // The model stays in eval mode across the awaits; its training mode comes back after the last read.
      const sum = batchLogProb(model, batch, where);
      try {
        logProb += (await sum.data())[0];
      } finally {
        sum.dispose();
      }
      count += scoredTokens(batch);
    }
  } finally {
    if (typeof model.train === "function") model.train(wasTraining);
  }
  return perplexityFrom(logProb, count, where);
}
