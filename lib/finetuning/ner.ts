/**
 * Named-entity recognition and other token classification (chapter 11), as the Hugging Face course's
 * token-classification chapter does it on CoNLL-2003:
 *
 *   - words arrive pre-split with one tag each; the tokenizer splits words into sub-tokens, so the tags
 *     are aligned to tokens (`alignLabelsWithTokens`): a word's first sub-token keeps its tag, the later
 *     ones get the I- tag of the same type (a B-PER word "Wolfgang" -> wolf/B-PER ##gang/I-PER), special
 *     tokens get -100 (ignored by the loss);
 *   - `tokenClassificationBatch` pads like DataCollatorForTokenClassification (labels with -100);
 *   - `trainTokenClassification` runs the Trainer on a BertForTokenClassification;
 *   - `evaluateTokenClassification` scores with seqeval (entity-level precision / recall / F1) over the
 *     positions whose label is not -100, as the course's compute_metrics (POS tags: token accuracy only).
 */
import { tf } from "../engine";
import type { BertForTokenClassification } from "../models/bert";
import type { HfTokenizer } from "../tokenizers/hf";
import { IGNORE_INDEX } from "../training/losses";
import { Trainer, type TrainingArguments, type TrainOutput } from "../training/trainer";
import { epochBatchIndices } from "../training/data";
import { ProgressBar } from "../notebook/progress";
import { accuracyScore, seqevalCompute, type SeqevalResult } from "./seqeval";

/** CoNLL-2003's tags without MISC, in CoNLL's order (O, then B-/I- pairs: B ids odd, I = B + 1). */
export const NER_LABELS = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC"] as const;

/** CoNLL-2003's nine tags in the dataset's order (`ner_tags` ids of the Hub's conll2003). */
export const CONLL2003_LABELS = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC"] as const;

/** HF's `id2label` ({"0": "O", "1": "B-PER", ...}) for a label list. */
export function id2labelFrom(labelNames: readonly string[]): Record<string, string> {
  checkLabelNames(labelNames, "id2labelFrom");
  return Object.fromEntries(labelNames.map((name, i) => [String(i), name]));
}

/** HF's `label2id` ({"O": 0, "B-PER": 1, ...}) for a label list. */
export function label2idFrom(labelNames: readonly string[]): Record<string, number> {
  checkLabelNames(labelNames, "label2idFrom");
  return Object.fromEntries(labelNames.map((name, i) => [name, i]));
}

/** The label list of a config's id2label, by id. */
export function labelNamesFrom(id2label: Record<string, string>): string[] {
  const ids = Object.keys(id2label).map(Number).sort((a, b) => a - b);
  ids.forEach((id, k) => {
    if (id !== k) throw new Error(`labelNamesFrom: id2label ids must be 0..${ids.length - 1}, found ${id} at position ${k}`);
  });
  return ids.map((id) => id2label[String(id)]);
}

function checkLabelNames(labelNames: readonly string[], where: string): void {
  if (!Array.isArray(labelNames) || labelNames.length === 0) throw new Error(`${where}: labelNames must be a non-empty array of tag names`);
  const seen = new Set<string>();
  labelNames.forEach((n, i) => {
    if (typeof n !== "string" || n === "") throw new Error(`${where}: label ${i} is ${JSON.stringify(n)}, expected a non-empty string`);
    if (seen.has(n)) throw new Error(`${where}: label "${n}" appears twice`);
    seen.add(n);
  });
}

/** For each label id, the id its later sub-tokens get: I-X for B-X, the label itself otherwise. */
function continuationIds(labelNames: readonly string[], where: string): number[] {
  checkLabelNames(labelNames, where);
  const index = new Map(labelNames.map((n, i) => [n, i]));
  return labelNames.map((name, i) => {
    if (!name.startsWith("B-")) return i;
    const inside = index.get("I-" + name.slice(2));
    if (inside === undefined) throw new Error(`${where}: label "${name}" has no "I-${name.slice(2)}" in the label list`);
    return inside;
  });
}

export interface AlignLabelsOptions {
  /**
   * The label list: B-X words continue with the id of I-X, looked up by name. Without it, the HF course's
   * rule for CoNLL's order: an odd id (a B- tag) continues as id + 1 — wrong for any other layout.
   */
  labelNames?: readonly string[];
  /** false: later sub-tokens of a word get -100 instead (run_ner.py's label_all_tokens=False). Default true. */
  labelAllTokens?: boolean;
}

/**
 * The course's `align_labels_with_tokens(labels, word_ids)`: one label per token from one label per word.
 * The first token of each word keeps the word's label; the word's later tokens get the I- label of a B-
 * word (other labels unchanged); tokens with a null word id (special tokens, padding) get -100.
 */
export function alignLabelsWithTokens(labels: readonly number[], wordIds: readonly (number | null)[], options: AlignLabelsOptions = {}): number[] {
  const next = options.labelNames ? continuationIds(options.labelNames, "alignLabelsWithTokens") : null;
  const labelAll = options.labelAllTokens !== false;
  const out: number[] = [];
  let current: number | null = null;
  wordIds.forEach((wordId, t) => {
    if (wordId !== null && (!Number.isInteger(wordId) || wordId < 0 || wordId >= labels.length)) {
      throw new Error(`alignLabelsWithTokens: token ${t} belongs to word ${wordId}, but there are labels for ${labels.length} words`);
    }
    if (wordId !== current) {
      current = wordId;
      out.push(wordId === null ? IGNORE_INDEX : labels[wordId]);
    } else if (wordId === null) {
      out.push(IGNORE_INDEX);
    } else if (!labelAll) {
      out.push(IGNORE_INDEX);
    } else {
      const label = labels[wordId];
      if (next) {
        if (!Number.isInteger(label) || label < 0 || label >= next.length) throw new Error(`alignLabelsWithTokens: word ${wordId} has label ${label}, outside the ${next.length} label names`);
        out.push(next[label]);
      } else {
        out.push(label % 2 === 1 ? label + 1 : label);
      }
    }
  });
  return out;
}

/** One tokenized example with token-level labels (unpadded). */
export interface TokenClassificationFeatures {
  inputIds: number[];
  attentionMask: number[];
  tokenTypeIds?: number[];
  labels: number[];
  wordIds: (number | null)[];
}

export interface TokenizeAndAlignOptions extends AlignLabelsOptions {
  /** Tokens per example, special tokens included (truncation); default: the tokenizer's model_max_length. */
  maxLength?: number;
}

/**
 * The course's `tokenize_and_align_labels`: pre-split words tokenized with `isSplitIntoWords` and
 * truncation, and their per-word tags (ids) aligned to the tokens.
 */
export function tokenizeAndAlignLabels(
  tokenizer: HfTokenizer, tokens: readonly (readonly string[])[], tags: readonly (readonly number[])[], options: TokenizeAndAlignOptions = {},
): TokenClassificationFeatures[] {
  if (tokens.length !== tags.length) throw new Error(`tokenizeAndAlignLabels: ${tokens.length} word sequences but ${tags.length} tag sequences`);
  tokens.forEach((words, i) => {
    if (!Array.isArray(words) || !Array.isArray(tags[i])) throw new TypeError(`tokenizeAndAlignLabels: example ${i} must have an array of words and an array of tag ids`);
    if (words.length !== tags[i].length) throw new Error(`tokenizeAndAlignLabels: example ${i} has ${words.length} words but ${tags[i].length} tags`);
  });
  if (tokens.length === 0) return [];
  const enc = tokenizer.call(tokens as string[][], { isSplitIntoWords: true, truncation: true, maxLength: options.maxLength });
  return enc.inputIds.map((inputIds, i) => ({
    inputIds,
    attentionMask: enc.attentionMask[i],
    tokenTypeIds: enc.tokenTypeIds?.[i],
    labels: alignLabelsWithTokens(tags[i], enc.wordIds![i], options),
    wordIds: enc.wordIds![i],
  }));
}

export interface TokenClassificationCollatorOptions {
  padTokenId: number;
  /** Label of padding positions (default -100). */
  labelPadTokenId?: number;
  paddingSide?: "left" | "right";
  padToMultipleOf?: number;
}

/** Padded features as plain arrays (DataCollatorForTokenClassification before the tensors). */
export interface PaddedTokenClassification {
  inputIds: number[][];
  attentionMask: number[][];
  tokenTypeIds?: number[][];
  labels: number[][];
}

/**
 * DataCollatorForTokenClassification's padding: every row to the longest (rounded up to padToMultipleOf),
 * input ids with the pad id, attention mask and token types with 0, labels with -100.
 */
export function padTokenClassification(features: readonly Omit<TokenClassificationFeatures, "wordIds">[], options: TokenClassificationCollatorOptions): PaddedTokenClassification {
  if (features.length === 0) throw new Error("padTokenClassification: no features to pad");
  const labelPad = options.labelPadTokenId ?? IGNORE_INDEX;
  let target = Math.max(...features.map((f) => f.inputIds.length));
  const m = options.padToMultipleOf;
  if (m && m > 0) target = Math.ceil(target / m) * m;
  const left = options.paddingSide === "left";
  const pad = <T>(values: readonly T[], value: T): T[] => {
    const fill = new Array<T>(target - values.length).fill(value);
    return left ? [...fill, ...values] : [...values, ...fill];
  };
  const withTypes = features.every((f) => f.tokenTypeIds !== undefined);
  const out: PaddedTokenClassification = { inputIds: [], attentionMask: [], labels: [] };
  if (withTypes) out.tokenTypeIds = [];
  features.forEach((f, i) => {
    if (f.labels.length !== f.inputIds.length) throw new Error(`padTokenClassification: feature ${i} has ${f.inputIds.length} tokens but ${f.labels.length} labels`);
    out.inputIds.push(pad(f.inputIds, options.padTokenId));
    out.attentionMask.push(pad(f.attentionMask, 0));
    out.tokenTypeIds?.push(pad(f.tokenTypeIds!, 0));
    out.labels.push(pad(f.labels, labelPad));
  });
  return out;
}

export interface TokenClassificationBatch {
  inputIds: tf.Tensor2D;
  attentionMask: tf.Tensor2D;
  tokenTypeIds?: tf.Tensor2D;
  labels: tf.Tensor2D;
}

/** DataCollatorForTokenClassification: features padded (labels with -100) into int32 tensors. */
export function tokenClassificationBatch(tokenizer: HfTokenizer, features: readonly Omit<TokenClassificationFeatures, "wordIds">[], options: { padToMultipleOf?: number } = {}): TokenClassificationBatch {
  const padTokenId = tokenizer.padTokenId;
  if (padTokenId === null) throw new Error("tokenClassificationBatch: the tokenizer has no pad token; set tokenizer.padToken first");
  const p = padTokenClassification(features, { padTokenId, paddingSide: tokenizer.paddingSide, padToMultipleOf: options.padToMultipleOf });
  return {
    inputIds: tf.tensor2d(p.inputIds, undefined, "int32"),
    attentionMask: tf.tensor2d(p.attentionMask, undefined, "int32"),
    tokenTypeIds: p.tokenTypeIds ? tf.tensor2d(p.tokenTypeIds, undefined, "int32") : undefined,
    labels: tf.tensor2d(p.labels, undefined, "int32"),
  };
}

/** Words with one tag id per word: the shape of the course's dataset columns `tokens` and `ner_tags`. */
export interface TaggedWords {
  tokens: string[][];
  tags: number[][];
}

export interface TokenClassificationTrainingOptions {
  args: TrainingArguments;
  /** Sentences per batch (default 16). */
  batchSize?: number;
  /** Tokens per sentence, special tokens included (default: the model's max_position_embeddings). */
  maxLength?: number;
  /** Default true: later sub-tokens of a word learn its I- tag. */
  labelAllTokens?: boolean;
}

function checkTags(model: BertForTokenClassification, data: TaggedWords, where: string): string[] {
  const labelNames = labelNamesFrom(model.config.id2label);
  data.tags.forEach((row, i) =>
    row.forEach((t, k) => {
      if (!Number.isInteger(t) || t < 0 || t >= labelNames.length) throw new Error(`${where}: example ${i} word ${k} has tag ${t}, expected an id in [0, ${labelNames.length}) of the model's id2label`);
    }),
  );
  return labelNames;
}

/**
 * Trains a token classifier for `args.maxSteps` steps over shuffled passes of the tagged sentences (tags
 * are ids of `model.config.id2label`, whose B-X/I-X names drive the sub-token alignment).
 */
export async function trainTokenClassification(
  model: BertForTokenClassification, tokenizer: HfTokenizer, data: TaggedWords, opts: TokenClassificationTrainingOptions,
): Promise<TrainOutput> {
  if (data.tokens.length === 0) throw new Error("trainTokenClassification: no training sentences");
  const labelNames = checkTags(model, data, "trainTokenClassification");
  const maxLength = opts.maxLength ?? model.config.max_position_embeddings;
  const features = tokenizeAndAlignLabels(tokenizer, data.tokens, data.tags, { labelNames, maxLength, labelAllTokens: opts.labelAllTokens });
  const indices = epochBatchIndices(features.length, opts.batchSize ?? 16, opts.args.seed ?? 42);
  const trainer = new Trainer<TokenClassificationBatch>({
    model,
    args: opts.args,
    batch: (i) => tokenClassificationBatch(tokenizer, indices(i).map((k) => features[k])),
    loss: (b) => model.forward(b).loss!,
  });
  try {
    return await trainer.train();
  } finally {
    trainer.dispose();
  }
}

/** The argmax label id at every token of each feature (no padding in the result). */
function predictTokenIds(model: BertForTokenClassification, tokenizer: HfTokenizer, features: TokenClassificationFeatures[], batchSize: number, progress: boolean): number[][] {
  const out: number[][] = [];
  const wasTraining = model.training;
  model.train(false);
  const bar = progress && features.length > batchSize ? new ProgressBar({ total: features.length, desc: "predicting" }) : null;
  try {
    for (let start = 0; start < features.length; start += batchSize) {
      const chunk = features.slice(start, start + batchSize);
      const ids = tf.tidy(() => {
        const batch = tokenClassificationBatch(tokenizer, chunk);
        return tf.argMax(model.forward(batch).logits, -1).arraySync() as number[][];
      });
      chunk.forEach((f, k) => {
        // Padding is on one side: keep this row's own tokens.
        const row = ids[k];
        out.push(tokenizer.paddingSide === "left" ? row.slice(row.length - f.inputIds.length) : row.slice(0, f.inputIds.length));
      });
      bar?.update(chunk.length);
    }
  } finally {
    bar?.close();
    model.train(wasTraining);
  }
  return out;
}

/** Each word's predicted tag name: the prediction at the word's first sub-token (words cut by truncation get "O"). */
export function predictWordTags(
  model: BertForTokenClassification, tokenizer: HfTokenizer, tokens: readonly (readonly string[])[], options: { batchSize?: number; maxLength?: number; progress?: boolean } = {},
): string[][] {
  const labelNames = labelNamesFrom(model.config.id2label);
  const dummy = tokens.map((w) => w.map(() => 0));
  const features = tokenizeAndAlignLabels(tokenizer, tokens, dummy, { maxLength: options.maxLength ?? model.config.max_position_embeddings });
  const ids = predictTokenIds(model, tokenizer, features, options.batchSize ?? 32, options.progress ?? true);
  return features.map((f, i) => {
    const tags = tokens[i].map(() => "O");
    let prev: number | null = null;
    f.wordIds.forEach((w, t) => {
      if (w !== null && w !== prev) tags[w] = labelNames[ids[i][t]];
      prev = w;
    });
    return tags;
  });
}

export interface TokenClassificationEvaluation {
  /** Share of the kept positions whose predicted tag is right. */
  accuracy: number;
  /**
   * `seqevalCompute` on the kept positions: per type and overall precision / recall / F1, accuracy; null when
   * the labels are not entity tags (a label other than "O" without a B-/I-/E-/S- prefix, e.g. POS tags).
   */
  metrics: SeqevalResult | null;
  /** Tag names per sentence at the positions whose label is not -100 (the course's true_predictions / true_labels). */
  predictions: string[][];
  references: string[][];
}

/**
 * The course's evaluation: predictions at every token whose aligned label is not -100 (first and, with
 * labelAllTokens, later sub-tokens), scored against those labels with seqeval.
 */
export function evaluateTokenClassification(
  model: BertForTokenClassification, tokenizer: HfTokenizer, data: TaggedWords,
  options: { batchSize?: number; maxLength?: number; labelAllTokens?: boolean; progress?: boolean } = {},
): TokenClassificationEvaluation {
  const labelNames = checkTags(model, data, "evaluateTokenClassification");
  const features = tokenizeAndAlignLabels(tokenizer, data.tokens, data.tags, {
    labelNames, maxLength: options.maxLength ?? model.config.max_position_embeddings, labelAllTokens: options.labelAllTokens,
  });
  const ids = predictTokenIds(model, tokenizer, features, options.batchSize ?? 32, options.progress ?? true);
  const predictions: string[][] = [];
  const references: string[][] = [];
  features.forEach((f, i) => {
    const keep = f.labels.map((l, t) => [l, t]).filter(([l]) => l !== IGNORE_INDEX);
    references.push(keep.map(([l]) => labelNames[l]));
    predictions.push(keep.map(([, t]) => labelNames[ids[i][t]]));
  });
  const isEntityScheme = labelNames.every((l) => l === "O" || /^[BIES]-./.test(l));
  return {
    accuracy: accuracyScore(references, predictions),
    metrics: isEntityScheme ? seqevalCompute({ predictions, references, zeroDivision: 0 }) : null,
    predictions,
    references,
  };
}
