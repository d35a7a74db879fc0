/**
 * Fine-tuning an encoder with its classification head (chapter 11.1): the book's Trainer with
 * DataCollatorWithPadding on tokenized texts, then F1 on held-out texts. Which parameters learn is up to
 * the caller (freeze some first: every trainable variable is updated, the others are left untouched).
 */
import { tf } from "../engine";
import type { BertForSequenceClassification } from "../models/bert";
import type { HfTokenizer } from "../tokenizers/hf";
import { Trainer, type TrainingArguments, type TrainOutput } from "../training/trainer";
import { epochBatchIndices } from "../training/data";
import { textClassificationPipeline } from "../classification/pipelines";

export interface SequenceClassificationBatch {
  inputIds: tf.Tensor2D;
  attentionMask: tf.Tensor2D;
  tokenTypeIds?: tf.Tensor2D;
  labels: tf.Tensor1D;
}

/** Tokenized texts padded to the longest (DataCollatorWithPadding), truncated to maxLength, with labels. */
export function sequenceClassificationBatch(tokenizer: HfTokenizer, texts: string[], labels: number[], maxLength?: number): SequenceClassificationBatch {
  const enc = tokenizer.call(texts, { padding: true, truncation: true, maxLength });
  return {
    inputIds: tf.tensor2d(enc.inputIds, undefined, "int32"),
    attentionMask: tf.tensor2d(enc.attentionMask, undefined, "int32"),
    tokenTypeIds: enc.tokenTypeIds ? tf.tensor2d(enc.tokenTypeIds, undefined, "int32") : undefined,
    labels: tf.tensor1d(labels, "int32"),
  };
}

export interface SequenceClassificationTrainingOptions {
  args: TrainingArguments;
  /** Texts per batch (default 16, the book's per_device_train_batch_size). */
  batchSize?: number;
  maxLength?: number;
}

/**
 * Trains `model` on (texts, labels) for args.maxSteps steps of shuffled passes (use stepsForEpochs for
 * num_train_epochs); labels are ids of model.config.id2label.
 */
export async function trainSequenceClassification(
  model: BertForSequenceClassification, tokenizer: HfTokenizer, data: { texts: string[]; labels: number[] }, opts: SequenceClassificationTrainingOptions,
): Promise<TrainOutput> {
  const { texts, labels } = data;
  const numLabels = Object.keys(model.config.id2label).length;
  if (texts.length !== labels.length) throw new Error(`trainSequenceClassification: ${texts.length} texts but ${labels.length} labels`);
  labels.forEach((l, i) => {
    if (!Number.isInteger(l) || l < 0 || l >= numLabels) throw new Error(`trainSequenceClassification: label ${i} is ${l}, expected an id in [0, ${numLabels})`);
  });
  const maxLength = opts.maxLength ?? model.config.max_position_embeddings;
  const indices = epochBatchIndices(texts.length, opts.batchSize ?? 16, opts.args.seed ?? 42);
  const trainer = new Trainer<SequenceClassificationBatch>({
    model,
    args: opts.args,
    batch: (i) => {
      const rows = indices(i);
      return sequenceClassificationBatch(tokenizer, rows.map((k) => texts[k]), rows.map((k) => labels[k]), maxLength);
    },
    loss: (b) => model.forward(b).loss!,
  });
  try {
    return await trainer.train();
  } finally {
    trainer.dispose();
  }
}

/** Predicted label ids (argmax of the logits) for texts, in eval mode. */
export function predictLabels(model: BertForSequenceClassification, tokenizer: HfTokenizer, texts: string[], opts: { batchSize?: number; maxLength?: number } = {}): number[] {
  const scores = textClassificationPipeline(model, tokenizer, { ...opts, functionToApply: "none" })(texts);
  return scores.map((row) => row.reduce((best, s, k) => (s.score > row[best].score ? k : best), 0));
}
