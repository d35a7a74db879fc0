/**
 * Masked-language modelling for chapter 11: the fill-mask pipeline (transformers' FillMaskPipeline:
 * softmax at the [MASK] position, top-k tokens, the sequence with each filled in) and continued
 * pre-training of an encoder on one's own texts (DataCollatorForLanguageModeling's 15 % / 80-10-10
 * masking, then the shared Trainer), before fine-tuning it for a task.
 */
import { tf } from "../engine";
import type { BertForMaskedLM } from "../models/bert";
import type { HfTokenizer } from "../tokenizers/hf";
import { maskTokens } from "../training/collators";
import { Trainer, type TrainingArguments, type TrainOutput } from "../training/trainer";
import { Rng } from "../util/random";
import { epochBatchIndices } from "../training/data";

export interface FillMaskResult {
  score: number;
  token: number;
  token_str: string;
  sequence: string;
}

/**
 * The `topK` most likely tokens for the one [MASK] of `text` (transformers' pipeline("fill-mask")): scores
 * are softmax probabilities at that position; `sequence` is the text with the token filled in.
 */
export function fillMask(model: BertForMaskedLM, tokenizer: HfTokenizer, text: string, opts: { topK?: number } = {}): FillMaskResult[] {
  const topK = opts.topK ?? 5;
  const maskId = tokenizer.maskTokenId;
  if (maskId === null) throw new Error("fillMask: the tokenizer has no mask token");
  const ids = tokenizer.encode(text);
  const at = ids.flatMap((id, i) => (id === maskId ? [i] : []));
  if (at.length !== 1) throw new Error(`fillMask: the text must hold exactly one ${tokenizer.convertIdsToTokens(maskId)} token, found ${at.length}: ${JSON.stringify(text)}`);
  if (ids.length > model.config.max_position_embeddings) throw new Error(`fillMask: ${ids.length} tokens exceed the model's ${model.config.max_position_embeddings} positions`);
  const wasTraining = model.training;
  model.eval();
  try {
    const { values, indices } = tf.tidy(() => {
      const logits = model.forward({ inputIds: tf.tensor2d([ids], undefined, "int32") }).logits;
      const row = tf.reshape(tf.slice(logits, [0, at[0], 0], [1, 1, -1]), [-1]);
      const top = tf.topk(tf.softmax(row), Math.min(topK, model.config.vocab_size));
      return { values: top.values.dataSync() as Float32Array, indices: top.indices.dataSync() as Int32Array };
    });
    return Array.from(indices, (token, k) => {
      const filled = ids.slice();
      filled[at[0]] = token;
      return { score: values[k], token, token_str: tokenizer.decode([token]), sequence: tokenizer.decode(filled, { skipSpecialTokens: true }) };
    });
  } finally {
    if (wasTraining) model.train();
  }
}

export interface MaskedLMBatch {
  inputIds: tf.Tensor2D;
  attentionMask: tf.Tensor2D;
  labels: tf.Tensor2D;
}

/**
 * One masked-LM batch of texts (DataCollatorForLanguageModeling): tokenized, padded to the longest,
 * truncated to `maxLength`; 15 % of the real tokens chosen (80 % [MASK], 10 % random, 10 % kept), labels
 * -100 elsewhere (padding and special tokens are never chosen).
 */
export function maskedLMBatch(tokenizer: HfTokenizer, texts: string[], rng: Rng, opts: { maxLength?: number; mlmProbability?: number } = {}): MaskedLMBatch {
  const maskTokenId = tokenizer.maskTokenId;
  if (maskTokenId === null) throw new Error("maskedLMBatch: the tokenizer has no mask token");
  const enc = tokenizer.call(texts, { padding: true, truncation: true, maxLength: opts.maxLength });
  const { inputIds, labels } = maskTokens(enc.inputIds, { maskTokenId, vocabSize: tokenizer.vocabSize, specialIds: tokenizer.allSpecialIds, mlmProbability: opts.mlmProbability }, rng);
  return {
    inputIds: tf.tensor2d(inputIds, undefined, "int32"),
    attentionMask: tf.tensor2d(enc.attentionMask, undefined, "int32"),
    labels: tf.tensor2d(labels, undefined, "int32"),
  };
}

export interface MaskedLMTrainingOptions {
  args: TrainingArguments;
  /** Texts per batch (default 16). */
  batchSize?: number;
  /** Tokens per text, special tokens included (default: the model's max_position_embeddings). */
  maxLength?: number;
  mlmProbability?: number;
}

/**
 * Continued pre-training: `args.maxSteps` masked-LM steps over `texts` (shuffled each pass, seeded by
 * args.seed; masks drawn per step), as the book's Trainer with DataCollatorForLanguageModeling. Use
 * stepsForEpochs(texts.length, batchSize, epochs) for maxSteps to train by epochs.
 */
export async function trainMaskedLM(model: BertForMaskedLM, tokenizer: HfTokenizer, texts: string[], opts: MaskedLMTrainingOptions): Promise<TrainOutput> {
  if (texts.length === 0) throw new Error("trainMaskedLM: no texts");
  const batchSize = opts.batchSize ?? 16;
  const maxLength = opts.maxLength ?? model.config.max_position_embeddings;
  const seed = opts.args.seed ?? 42;
  const indices = epochBatchIndices(texts.length, batchSize, seed);
  const trainer = new Trainer<MaskedLMBatch>({
    model,
    args: opts.args,
    batch: (i) => {
      const rows = indices(i).map((k) => texts[k]);
      return maskedLMBatch(tokenizer, rows, new Rng(seed * 7919 + i), { maxLength, mlmProbability: opts.mlmProbability });
    },
    loss: (b) => model.forward(b).loss!,
  });
  try {
    return await trainer.train();
  } finally {
    trainer.dispose();
  }
}
