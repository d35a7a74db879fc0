/**
 * sentence-transformers' CrossEncoder (chapter 10, Augmented SBERT): both texts of a pair go through
 * BERT together ([CLS] a [SEP] b [SEP]) and a classification head scores the pair. With num_labels 1
 * the score is sigmoid(logit) and training uses binary cross-entropy with logits (targets in [0, 1]);
 * with more labels, softmax / cross-entropy over classes. Slower than a bi-encoder (every pair is a
 * forward pass) but more accurate, which is why Augmented SBERT uses it to label silver pairs.
 *
 * Augmented SBERT (the book's recipe, `augmentedSbert` below):
 *   1. fit a cross-encoder on a small gold set of labelled pairs;
 *   2. label a larger silver set of unlabelled pairs with it (`labelSilverPairs`);
 *   3. train the bi-encoder (SentenceTransformer) on gold + silver, with CosineSimilarityLoss.
 */
import * as fs from "node:fs";
import { tf } from "../engine";
import { BertForSequenceClassification, type BertInputs } from "../models/bert";
import type { HubDownloadOptions } from "../hub/download";
import { ProgressBar } from "../notebook/progress";
import { AutoTokenizer, type HfTokenizer } from "../tokenizers/hf";
import { Trainer, type TrainingArguments, type TrainOutput } from "../training/trainer";
import { crossEntropy } from "../training/losses";
import { epochBatchIndices, stepsForEpochs } from "../training/data";
import { CosineSimilarityLoss } from "./losses";
import { copyTokenizerFiles, type SentenceTransformer } from "./sentence-transformer";
import { trainSentenceTransformer, type InputExample, type TrainSentenceTransformerOptions, type TrainSentenceTransformerOutput } from "./train";

/**
 * Mean binary cross-entropy of sigmoid(logits) against targets in [0, 1] (torch's BCEWithLogitsLoss),
 * in the stable form max(x, 0) - x * y + log(1 + exp(-|x|)).
 */
export function binaryCrossEntropyWithLogits(logits: tf.Tensor1D, targets: tf.Tensor1D): tf.Scalar {
  if (logits.rank !== 1 || targets.rank !== 1 || logits.shape[0] !== targets.shape[0]) {
    throw new Error(`binaryCrossEntropyWithLogits: logits [${logits.shape}] and targets [${targets.shape}] must both be [B]`);
  }
  return tf.tidy(() => {
    const x = logits;
    const y = tf.cast(targets, "float32");
    return tf.mean(tf.add(tf.sub(tf.relu(x), tf.mul(x, y)), tf.log1p(tf.exp(tf.neg(tf.abs(x)))))) as tf.Scalar;
  });
}

export interface CrossEncoderOptions {
  /** Tokens per pair, special tokens included (default: the encoder's max_position_embeddings). */
  maxLength?: number;
}

export interface CrossEncoderPredictOptions {
  batchSize?: number;
  showProgressBar?: boolean;
  /** Softmax over the labels (num_labels > 1); default false, as in Python. */
  applySoftmax?: boolean;
}

export interface CrossEncoderFitOptions {
  /** Pairs (texts: [a, b]) with a score in [0, 1] (num_labels 1) or a class id. */
  trainExamples: InputExample[];
  /** Default 16. */
  batchSize?: number;
  /** Default 1; ignored when args.maxSteps is given. */
  epochs?: number;
  /** Trainer arguments; CrossEncoder.fit's defaults: lr 2e-5, weight decay 0.01, no warm-up, max grad norm 1. */
  args?: Partial<TrainingArguments>;
}

export class CrossEncoder {
  readonly maxLength: number;

  constructor(readonly model: BertForSequenceClassification, readonly tokenizer: HfTokenizer, opts: CrossEncoderOptions = {}) {
    this.maxLength = opts.maxLength ?? model.config.max_position_embeddings;
    if (!(Number.isInteger(this.maxLength) && this.maxLength > 0 && this.maxLength <= model.config.max_position_embeddings)) {
      throw new Error(`CrossEncoder: maxLength must be an integer in [1, ${model.config.max_position_embeddings}] (got ${this.maxLength})`);
    }
  }

  /**
   * `CrossEncoder(model_name, num_labels=1)`: a BERT folder or hub id; a checkpoint without a
   * classifier (a bare encoder) gets a fresh head with numLabels outputs.
   */
  static async fromPretrained(idOrPath: string, opts: CrossEncoderOptions & HubDownloadOptions & { numLabels?: number } = {}): Promise<CrossEncoder> {
    const tokenizer = await AutoTokenizer.fromPretrained(idOrPath, opts);
    const model = await BertForSequenceClassification.fromPretrained(idOrPath, opts.numLabels !== undefined ? { num_labels: opts.numLabels } : {}, opts);
    return new CrossEncoder(model, tokenizer, { maxLength: opts.maxLength ?? Math.min(model.config.max_position_embeddings, tokenizer.modelMaxLength) });
  }

  get numLabels(): number {
    return Object.keys(this.model.config.id2label).length;
  }

  /** Inputs for pairs: [CLS] a [SEP] b [SEP] with segment ids, padded and truncated (longest first). */
  tokenize(pairs: Array<[string, string]>): BertInputs {
    if (!Array.isArray(pairs) || pairs.some((p) => !Array.isArray(p) || p.length !== 2 || typeof p[0] !== "string" || typeof p[1] !== "string")) {
      throw new Error("CrossEncoder: pairs must be an array of [text, text]");
    }
    const enc = this.tokenizer.call(pairs.map((p) => p[0]), {
      textPair: pairs.map((p) => p[1]), padding: true, truncation: true, maxLength: this.maxLength, returnTokenTypeIds: true,
    });
    return {
      inputIds: tf.tensor2d(enc.inputIds, undefined, "int32"),
      attentionMask: tf.tensor2d(enc.attentionMask, undefined, "int32"),
      tokenTypeIds: enc.tokenTypeIds ? tf.tensor2d(enc.tokenTypeIds, undefined, "int32") : undefined,
    };
  }

  /** The loss of a batch: BCE with logits for one label, cross-entropy over classes otherwise. */
  loss(inputs: BertInputs, labels: tf.Tensor1D): tf.Scalar {
    return tf.tidy(() => {
      const logits = this.model.forward(inputs).logits;
      if (this.numLabels === 1) return binaryCrossEntropyWithLogits(tf.reshape(logits, [-1]) as tf.Tensor1D, labels);
      return crossEntropy(logits, labels);
    });
  }

  /**
   * Scores of pairs in eval mode: sigmoid(logit) per pair for one label (a number each); otherwise the
   * logits per pair, or their softmax with applySoftmax.
   */
  predict(pairs: Array<[string, string]>, opts: CrossEncoderPredictOptions = {}): number[] | number[][] {
    const batchSize = opts.batchSize ?? 32;
    const out: number[][] = [];
    const wasTraining = this.model.training;
    this.model.eval();
    const bar = opts.showProgressBar ? new ProgressBar({ total: Math.ceil(pairs.length / batchSize), desc: "Batches" }) : null;
    try {
      for (let start = 0; start < pairs.length; start += batchSize) {
        const rows = tf.tidy(() => {
          const logits = this.model.forward(this.tokenize(pairs.slice(start, start + batchSize))).logits;
          const scores = this.numLabels === 1 ? tf.sigmoid(logits) : opts.applySoftmax ? tf.softmax(logits) : logits;
          return scores.arraySync() as number[][];
        });
        out.push(...rows);
        bar?.update();
      }
    } finally {
      bar?.close();
      this.model.train(wasTraining);
    }
    return this.numLabels === 1 ? out.map((r) => r[0]) : out;
  }

  /** Fine-tunes the cross-encoder on labelled pairs (CrossEncoder.fit). */
  async fit(opts: CrossEncoderFitOptions): Promise<TrainOutput> {
    const examples = opts.trainExamples;
    if (!Array.isArray(examples) || examples.length === 0) throw new Error("CrossEncoder.fit: no training examples");
    examples.forEach((e, i) => {
      if (!e || !Array.isArray(e.texts) || e.texts.length !== 2 || e.texts.some((t) => typeof t !== "string")) throw new Error(`CrossEncoder.fit: example ${i} must have texts: [string, string]`);
      const label = e.label;
      if (typeof label !== "number" || !Number.isFinite(label)) throw new Error(`CrossEncoder.fit: example ${i} has no numeric label`);
      if (this.numLabels === 1 && (label < 0 || label > 1)) throw new Error(`CrossEncoder.fit: example ${i} has label ${label}; with num_labels 1 the targets are scores in [0, 1]`);
      if (this.numLabels > 1 && !(Number.isInteger(label) && label >= 0 && label < this.numLabels)) {
        throw new Error(`CrossEncoder.fit: example ${i} has label ${label}, expected a class id in [0, ${this.numLabels})`);
      }
    });
    const batchSize = opts.batchSize ?? 16;
    const indices = epochBatchIndices(examples.length, batchSize, opts.args?.seed ?? 42);
    const args: TrainingArguments = {
      learningRate: 2e-5,
      weightDecay: 0.01,
      ...opts.args,
      maxSteps: opts.args?.maxSteps ?? stepsForEpochs(examples.length, batchSize, opts.epochs ?? 1),
    };
    const trainer = new Trainer<{ inputs: BertInputs; labels: tf.Tensor1D }>({
      model: this.model,
      args,
      batch: (i) => {
        const rows = indices(i).map((k) => examples[k]);
        return { inputs: this.tokenize(rows.map((r) => [r.texts[0], r.texts[1]] as [string, string])), labels: tf.tensor1d(rows.map((r) => r.label as number), "float32") };
      },
      loss: (b) => this.loss(b.inputs, b.labels),
      disposeBatch: (b) => tf.dispose([b.inputs.inputIds, b.inputs.attentionMask!, ...(b.inputs.tokenTypeIds ? [b.inputs.tokenTypeIds] : []), b.labels]),
    });
    try {
      return await trainer.train();
    } finally {
      trainer.dispose();
    }
  }

  /** config.json + model.safetensors (BertForSequenceClassification) and the tokenizer files. */
  save(dir: string): void {
    fs.mkdirSync(dir, { recursive: true });
    this.model.savePretrained(dir);
    copyTokenizerFiles(this.tokenizer, dir);
  }

  dispose(): void {
    this.model.dispose();
  }
}

/**
 * Silver labels for unlabelled pairs from a cross-encoder: the sigmoid score (num_labels 1), or the
 * most likely class (the book's num_labels 2, argmax of the softmax).
 */
export function labelSilverPairs(crossEncoder: CrossEncoder, pairs: Array<[string, string]>, opts: { batchSize?: number; showProgressBar?: boolean } = {}): InputExample[] {
  const scores = crossEncoder.predict(pairs, { ...opts, applySoftmax: true });
  return pairs.map((pair, i) => {
    const s = scores[i];
    const label = typeof s === "number" ? s : s.reduce((best, p, k) => (p > s[best] ? k : best), 0);
    return { texts: [pair[0], pair[1]], label };
  });
}

export interface AugmentedSbertOptions {
  crossEncoder: CrossEncoder;
  biEncoder: SentenceTransformer;
  /** Labelled pairs: scores in [0, 1] (or class ids 0/1 for a 2-label cross-encoder). */
  gold: InputExample[];
  /** Unlabelled pairs for the cross-encoder to label. */
  silverPairs: Array<[string, string]>;
  /** Cross-encoder training (step 1); its trainExamples are the gold set. */
  crossEncoderFit?: Omit<CrossEncoderFitOptions, "trainExamples">;
  /** Bi-encoder training (step 3) on gold + silver with CosineSimilarityLoss. */
  biEncoderFit?: Omit<TrainSentenceTransformerOptions, "loss" | "trainExamples">;
  showProgressBar?: boolean;
}

/** Augmented SBERT: cross-encoder on gold, silver labels, then the bi-encoder on gold + silver. */
export async function augmentedSbert(opts: AugmentedSbertOptions): Promise<{ crossEncoderTraining: TrainOutput; silver: InputExample[]; biEncoderTraining: TrainSentenceTransformerOutput }> {
  const crossEncoderTraining = await opts.crossEncoder.fit({ ...opts.crossEncoderFit, trainExamples: opts.gold });
  const silver = labelSilverPairs(opts.crossEncoder, opts.silverPairs, { showProgressBar: opts.showProgressBar });
  const loss = new CosineSimilarityLoss(opts.biEncoder);
  const biEncoderTraining = await trainSentenceTransformer({ ...opts.biEncoderFit, loss, trainExamples: [...opts.gold, ...silver] });
  return { crossEncoderTraining, silver, biEncoderTraining };
}
