/**
 * Training a SentenceTransformer with one of its losses (chapter 10), after sentence-transformers'
 * SentenceTransformerTrainer: examples of 2+ texts (and a label for the losses that need one) are
 * batched, each text column tokenized, the loss module trained by the shared Trainer (AdamW, warm-up,
 * progress bar), and an evaluator run every evalSteps and at the end.
 *
 *   const loss = new MultipleNegativesRankingLoss(model);
 *   await trainSentenceTransformer({ loss, trainExamples, batchSize: 32, epochs: 1, batchSampler: "no_duplicates",
 *                                    args: { warmupSteps: 100 }, evaluator });
 */
import { tf } from "../engine";
import type { BertInputs } from "../models/bert";
import { Trainer, type TrainingArguments, type TrainOutput } from "../training/trainer";
import { epochBatchIndices, stepsForEpochs } from "../training/data";
import { Rng } from "../util/random";
import type { EmbeddingSimilarityEvaluator } from "./evaluation";
import { SoftmaxLoss, type SentenceTransformerLoss } from "./losses";

/** sentence-transformers' InputExample: the texts of one example (pair, triplet…) and its label. */
export interface InputExample {
  texts: string[];
  /** A float score (CosineSimilarityLoss) or a class id (SoftmaxLoss); none for MultipleNegativesRankingLoss. */
  label?: number;
}

/**
 * How examples are grouped: "batch_sampler" (shuffled, the last partial batch of a pass dropped) or
 * "no_duplicates" (sentence-transformers' NoDuplicatesBatchSampler: no text appears twice in a batch,
 * so in-batch negatives are never copies of the positive; partial batches are kept).
 */
export type BatchSamplerName = "batch_sampler" | "no_duplicates";

/** One pass of NoDuplicatesBatchSampler over examples in a seeded random order. */
export function noDuplicatesBatches(examples: InputExample[], batchSize: number, rng: Rng): number[][] {
  const remaining = rng.shuffle(Array.from({ length: examples.length }, (_, i) => i));
  const taken = new Uint8Array(examples.length);
  const batches: number[][] = [];
  let left = remaining.length;
  while (left > 0) {
    const seen = new Set<string>();
    const batch: number[] = [];
    for (const index of remaining) {
      if (taken[index]) continue;
      const texts = examples[index].texts;
      if (texts.some((t) => seen.has(t))) continue; // left for a later batch
      batch.push(index);
      if (batch.length === batchSize) break;
      for (const t of texts) seen.add(t);
    }
    for (const index of batch) taken[index] = 1;
    left -= batch.length;
    batches.push(batch);
  }
  return batches;
}

/**
 * The no-duplicates batches of micro-step i over seeded passes (the Trainer's contract: a pure function
 * of i), and the number of steps in a number of epochs.
 */
export function noDuplicatesBatchIndices(examples: InputExample[], batchSize: number, seed: number): { batch: (i: number) => number[]; stepsForEpochs: (epochs: number) => number } {
  if (examples.length === 0) throw new Error("noDuplicatesBatchIndices: no examples");
  if (!(Number.isInteger(batchSize) && batchSize > 0)) throw new Error(`noDuplicatesBatchIndices: batchSize must be a positive integer (got ${batchSize})`);
  const passes: number[][][] = [];
  const pass = (p: number) => {
    while (passes.length <= p) passes.push(noDuplicatesBatches(examples, batchSize, new Rng(seed * 1_000_003 + passes.length)));
    return passes[p];
  };
  return {
    batch: (i) => {
      let p = 0;
      let start = 0;
      while (i >= start + pass(p).length) start += pass(p++).length;
      return pass(p)[i - start];
    },
    stepsForEpochs: (epochs) => {
      let steps = 0;
      for (let p = 0; p < Math.floor(epochs); p++) steps += pass(p).length;
      const fraction = epochs - Math.floor(epochs);
      if (fraction > 0) steps += Math.round(fraction * pass(Math.floor(epochs)).length);
      return Math.max(1, steps);
    },
  };
}

export interface TrainSentenceTransformerOptions {
  /** The loss module; it holds the model (loss.model), which is trained in place. */
  loss: SentenceTransformerLoss;
  trainExamples: InputExample[];
  /** Examples per batch (default 8, HF's per_device_train_batch_size). */
  batchSize?: number;
  /** Passes over the examples (default 1); ignored when args.maxSteps is given. */
  epochs?: number;
  batchSampler?: BatchSamplerName;
  /** Trainer arguments; maxSteps defaults to `epochs` passes. HF defaults: lr 5e-5, no warm-up, no weight decay. */
  args?: Partial<TrainingArguments>;
  /** Run every args.evalSteps steps (if set) and at the end; its metrics are logged with an eval_ prefix. */
  evaluator?: EmbeddingSimilarityEvaluator;
}

export interface TrainSentenceTransformerOutput extends TrainOutput {
  /** The evaluator's metrics after training (unprefixed), when an evaluator was given. */
  evaluation?: Record<string, number>;
}

interface TextBatch {
  features: BertInputs[];
  labels?: tf.Tensor1D;
}

function checkExamples(loss: SentenceTransformerLoss, examples: InputExample[]): number {
  const name = loss.constructor.name;
  if (!Array.isArray(examples) || examples.length === 0) throw new Error(`trainSentenceTransformer: no training examples`);
  const columns = examples[0].texts?.length;
  const [min, max] = loss.columns;
  examples.forEach((e, i) => {
    if (!e || !Array.isArray(e.texts) || e.texts.some((t) => typeof t !== "string")) throw new Error(`trainSentenceTransformer: example ${i} must have texts: string[]`);
    if (e.texts.length !== columns) throw new Error(`trainSentenceTransformer: example ${i} has ${e.texts.length} texts, example 0 has ${columns} (every example needs the same columns)`);
    if (loss.needsLabels) {
      if (typeof e.label !== "number" || !Number.isFinite(e.label)) throw new Error(`trainSentenceTransformer: example ${i} has no numeric label, which ${name} needs`);
      if (loss instanceof SoftmaxLoss && !(Number.isInteger(e.label) && e.label >= 0 && e.label < loss.numLabels)) {
        throw new Error(`trainSentenceTransformer: example ${i} has label ${e.label}, ${name} expects a class id in [0, ${loss.numLabels})`);
      }
    }
  });
  if (columns < min || columns > max) throw new Error(`trainSentenceTransformer: ${name} expects ${min === max ? min : `${min} or more`} texts per example, the examples have ${columns}`);
  return columns;
}

/** Trains loss.model (and the loss's own parameters) on the examples; returns the Trainer's output. */
export async function trainSentenceTransformer(opts: TrainSentenceTransformerOptions): Promise<TrainSentenceTransformerOutput> {
  const { loss, trainExamples: examples, evaluator } = opts;
  const model = loss.model;
  const columns = checkExamples(loss, examples);
  const batchSize = opts.batchSize ?? 8;
  const epochs = opts.epochs ?? 1;
  const seed = opts.args?.seed ?? 42;
  if (!(epochs > 0)) throw new Error(`trainSentenceTransformer: epochs must be positive (got ${epochs})`);
  let indices: (i: number) => number[];
  let maxSteps: number;
  if ((opts.batchSampler ?? "batch_sampler") === "no_duplicates") {
    const sampler = noDuplicatesBatchIndices(examples, batchSize, seed);
    indices = sampler.batch;
    maxSteps = opts.args?.maxSteps ?? sampler.stepsForEpochs(epochs);
  } else if (opts.batchSampler === undefined || opts.batchSampler === "batch_sampler") {
    indices = epochBatchIndices(examples.length, batchSize, seed);
    maxSteps = opts.args?.maxSteps ?? stepsForEpochs(examples.length, batchSize, epochs);
  } else {
    throw new Error(`trainSentenceTransformer: unknown batchSampler '${opts.batchSampler as string}' (expected "batch_sampler" or "no_duplicates")`);
  }
  const trainer = new Trainer<TextBatch>({
    model: loss,
    args: { ...opts.args, maxSteps },
    batch: (i) => {
      const rows = indices(i).map((k) => examples[k]);
      const features = Array.from({ length: columns }, (_, c) => model.tokenize(rows.map((r) => r.texts[c])));
      return { features, labels: loss.needsLabels ? tf.tensor1d(rows.map((r) => r.label as number), "float32") : undefined };
    },
    loss: (b) => loss.forward(b.features, b.labels),
    disposeBatch: (b) => tf.dispose([...b.features.flatMap((f) => [f.inputIds, f.attentionMask, f.tokenTypeIds]).filter((t): t is tf.Tensor2D => t !== undefined), ...(b.labels ? [b.labels] : [])]),
    evaluate: evaluator ? async () => Object.fromEntries(Object.entries(evaluator.evaluate(model)).map(([k, v]) => [`eval_${k}`, v])) : undefined,
  });
  try {
    const out: TrainSentenceTransformerOutput = await trainer.train();
    if (evaluator) {
      const metrics = await trainer.runEvaluation();
      out.evaluation = Object.fromEntries(Object.entries(metrics).map(([k, v]) => [k.replace(/^eval_/, ""), v]));
    }
    return out;
  } finally {
    trainer.dispose();
  }
}
