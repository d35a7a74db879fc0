/**
 * sentence-transformers' training losses. Each comes twice:
 *
 * - a plain function of pooled embeddings (cosineSimilarityLoss, multipleNegativesRankingLoss,
 *   softmaxLossFromEmbeddings), checked against hand-computed values on tiny batches;
 * - a loss module wrapping a SentenceTransformer, as in Python (`losses.SoftmaxLoss(model, …)`): its
 *   `forward(features, labels)` embeds each text column and applies the function. The Trainer trains
 *   the loss module, whose parameters are the model's (under "model.") plus the loss's own (the
 *   SoftmaxLoss classifier).
 *
 * features: one BertInputs per text column of the batch (SentenceTransformer.tokenize of column k).
 */
import { tf } from "../engine";
import type { BertInputs } from "../models/bert";
import { Linear } from "../models/layers";
import { Module } from "../models/module";
import { crossEntropy } from "../training/losses";
import { Rng } from "../util/random";
import { cosineSimilarity, dotScores } from "./pooling";
import type { SentenceTransformer } from "./sentence-transformer";

/**
 * CosineSimilarityLoss: mean squared error between cos(u_i, v_i) and the gold score `labels[i]`
 * (sentence-transformers' default cos_score_transformation is the identity and its loss_fct MSELoss).
 */
export function cosineSimilarityLoss(u: tf.Tensor2D, v: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  if (u.rank !== 2 || v.rank !== 2 || u.shape[0] !== v.shape[0] || u.shape[1] !== v.shape[1] || labels.shape[0] !== u.shape[0]) {
    throw new Error(`cosineSimilarityLoss: u [${u.shape}], v [${v.shape}] and labels [${labels.shape}] must be [B, D], [B, D], [B]`);
  }
  return tf.tidy(() => {
    // torch.cosine_similarity clamps each norm at eps = 1e-8.
    const norm = (x: tf.Tensor2D): tf.Tensor => tf.maximum(tf.norm(x, 2, 1), 1e-8);
    const cos = tf.div(tf.sum(tf.mul(u, v), 1), tf.mul(norm(u), norm(v)));
    return tf.mean(tf.squaredDifference(cos, tf.cast(labels, "float32"))) as tf.Scalar;
  });
}

export type SimilarityFunction = "cos" | "dot";

/**
 * MultipleNegativesRankingLoss: for each anchor i, cross-entropy of softmax over scale * sim(anchor_i,
 * candidate_j) with the right answer j = i. Candidates are all the positives of the batch (in-batch
 * negatives), then every row of each hardNegatives matrix as extra columns. scale 20 and cosine
 * similarity are sentence-transformers' defaults.
 */
export function multipleNegativesRankingLoss(
  anchors: tf.Tensor2D, positives: tf.Tensor2D, hardNegatives: tf.Tensor2D | tf.Tensor2D[] | null = null, scale = 20, similarity: SimilarityFunction = "cos",
): tf.Scalar {
  const negatives = hardNegatives === null ? [] : Array.isArray(hardNegatives) ? hardNegatives : [hardNegatives];
  const [B, D] = anchors.shape;
  for (const [what, t] of [["positives", positives], ...negatives.map((n, k) => [`hardNegatives[${k}]`, n] as const)] as Array<[string, tf.Tensor]>) {
    if (anchors.rank !== 2 || t.rank !== 2 || t.shape[0] !== B || t.shape[1] !== D) {
      throw new Error(`multipleNegativesRankingLoss: ${what} [${t.shape}] must have the anchors' shape [${anchors.shape}]`);
    }
  }
  if (!(Number.isFinite(scale) && scale > 0)) throw new Error(`multipleNegativesRankingLoss: scale must be a positive number (got ${scale})`);
  return tf.tidy(() => {
    const candidates = negatives.length > 0 ? tf.concat([positives, ...negatives], 0) : positives; // [B * (1 + k), D]
    const sims = similarity === "cos" ? cosineSimilarity(anchors, candidates) : dotScores(anchors, candidates);
    return crossEntropy(tf.mul(sims, scale) as tf.Tensor2D, tf.range(0, B, 1, "int32") as tf.Tensor1D);
  });
}

/** Softmax classifier features: cat(u, v, |u - v|, u * v) with each part switched on or off (SoftmaxLoss). */
export interface SoftmaxLossConcatenation {
  /** u and v (default true). */
  concatenationSentRep?: boolean;
  /** |u - v| (default true). */
  concatenationSentDifference?: boolean;
  /** u * v (default false). */
  concatenationSentMultiplication?: boolean;
}

function softmaxFeatures(u: tf.Tensor2D, v: tf.Tensor2D, c: Required<SoftmaxLossConcatenation>): tf.Tensor2D {
  return tf.tidy(() => {
    const parts: tf.Tensor2D[] = [];
    if (c.concatenationSentRep) parts.push(u, v);
    if (c.concatenationSentDifference) parts.push(tf.abs(tf.sub(u, v)) as tf.Tensor2D);
    if (c.concatenationSentMultiplication) parts.push(tf.mul(u, v) as tf.Tensor2D);
    return tf.concat(parts, 1);
  });
}

/**
 * SoftmaxLoss on given embeddings and classifier weights: cross-entropy of W cat(u, v, |u - v|) + b
 * against integer labels (weight [numLabels, k * D] in PyTorch's layout).
 */
export function softmaxLossFromEmbeddings(
  u: tf.Tensor2D, v: tf.Tensor2D, labels: tf.Tensor1D, weight: tf.Tensor2D, bias: tf.Tensor1D, concatenation: SoftmaxLossConcatenation = {},
): tf.Scalar {
  const c = concatenationDefaults(concatenation);
  const k = (c.concatenationSentRep ? 2 : 0) + (c.concatenationSentDifference ? 1 : 0) + (c.concatenationSentMultiplication ? 1 : 0);
  if (u.rank !== 2 || v.rank !== 2 || u.shape[0] !== v.shape[0] || u.shape[1] !== v.shape[1] || labels.shape[0] !== u.shape[0]) {
    throw new Error(`softmaxLoss: u [${u.shape}], v [${v.shape}] and labels [${labels.shape}] must be [B, D], [B, D], [B]`);
  }
  if (weight.shape[1] !== k * u.shape[1] || bias.shape[0] !== weight.shape[0]) {
    throw new Error(`softmaxLoss: classifier weight [${weight.shape}] and bias [${bias.shape}] must be [numLabels, ${k} x ${u.shape[1]}] and [numLabels]`);
  }
  return tf.tidy(() => {
    const logits = tf.add(tf.matMul(softmaxFeatures(u, v, c), weight, false, true), bias) as tf.Tensor2D;
    return crossEntropy(logits, labels);
  });
}

function concatenationDefaults(c: SoftmaxLossConcatenation): Required<SoftmaxLossConcatenation> {
  return {
    concatenationSentRep: c.concatenationSentRep ?? true,
    concatenationSentDifference: c.concatenationSentDifference ?? true,
    concatenationSentMultiplication: c.concatenationSentMultiplication ?? false,
  };
}

/**
 * The base of the loss modules: holds the model (registered as "model", so the Trainer trains it) and
 * says how many text columns an example has. `dispose()` frees the loss's own parameters only; the
 * model stays with its owner.
 */
export abstract class SentenceTransformerLoss extends Module {
  /** Text columns per example: [min, max]. */
  abstract readonly columns: [number, number];
  /** Whether examples carry a label. */
  abstract readonly needsLabels: boolean;

  constructor(readonly model: SentenceTransformer) {
    super();
    this.addModule("model", model);
  }

  /** The loss of a batch: features[k] are the tokenized k-th texts of the examples. */
  abstract forward(features: BertInputs[], labels?: tf.Tensor1D): tf.Scalar;

  protected checkColumns(features: BertInputs[], labels: tf.Tensor1D | undefined): void {
    const name = this.constructor.name;
    const [min, max] = this.columns;
    if (features.length < min || features.length > max) {
      throw new Error(`${name}: expects ${min === max ? min : `${min} to ${max}`} texts per example, got ${features.length}`);
    }
    if (this.needsLabels && !labels) throw new Error(`${name}: needs a label per example`);
    const B = features[0].inputIds.shape[0];
    if (labels && labels.shape[0] !== B) throw new Error(`${name}: ${labels.shape[0]} labels for a batch of ${B}`);
  }

  override dispose(): void {
    for (const [name, p] of this.namedParameters()) if (!name.startsWith("model.")) p.dispose();
  }
}

/** sentence-transformers' CosineSimilarityLoss: pairs (a, b) with a float score, MSE(cos(u, v), score). */
export class CosineSimilarityLoss extends SentenceTransformerLoss {
  readonly columns: [number, number] = [2, 2];
  readonly needsLabels = true;

  forward(features: BertInputs[], labels?: tf.Tensor1D): tf.Scalar {
    this.checkColumns(features, labels);
    return tf.tidy(() => cosineSimilarityLoss(this.model.forward(features[0]), this.model.forward(features[1]), labels!));
  }
}

export interface MultipleNegativesRankingLossOptions {
  /** Multiplies the similarities before the softmax (default 20). */
  scale?: number;
  /** "cos" (default) or "dot". */
  similarityFct?: SimilarityFunction;
}

/**
 * sentence-transformers' MultipleNegativesRankingLoss: (anchor, positive[, hard negative…]) examples,
 * no labels; the other positives of the batch are the negatives. Use batches without duplicate texts
 * (batchSampler "no_duplicates" in fitSentenceTransformer), or a duplicate counts as a false negative.
 */
export class MultipleNegativesRankingLoss extends SentenceTransformerLoss {
  readonly columns: [number, number] = [2, Infinity];
  readonly needsLabels = false;
  readonly scale: number;
  readonly similarityFct: SimilarityFunction;

  constructor(model: SentenceTransformer, opts: MultipleNegativesRankingLossOptions = {}) {
    super(model);
    this.scale = opts.scale ?? 20;
    this.similarityFct = opts.similarityFct ?? "cos";
  }

  forward(features: BertInputs[], labels?: tf.Tensor1D): tf.Scalar {
    this.checkColumns(features, labels);
    return tf.tidy(() => {
      const [anchors, positives, ...negatives] = features.map((f) => this.model.forward(f));
      return multipleNegativesRankingLoss(anchors, positives, negatives, this.scale, this.similarityFct);
    });
  }

  protected override extraRepr(): string {
    return `scale=${this.scale}, similarity_fct=${this.similarityFct === "cos" ? "cos_sim" : "dot_score"}`;
  }
}

export interface SoftmaxLossOptions extends SoftmaxLossConcatenation {
  /** Defaults to the model's dimension. */
  sentenceEmbeddingDimension?: number;
  numLabels: number;
  /** Seeds the classifier's initialisation (default 42). */
  seed?: number;
}

/**
 * sentence-transformers' SoftmaxLoss (the SBERT NLI objective): a linear classifier on cat(u, v,
 * |u - v|) trained with cross-entropy over the labels (3 for NLI). The classifier starts as PyTorch's
 * nn.Linear does, uniform in ±1/sqrt(in_features).
 */
export class SoftmaxLoss extends SentenceTransformerLoss {
  readonly columns: [number, number] = [2, 2];
  readonly needsLabels = true;
  readonly classifier: Linear;
  readonly numLabels: number;
  private readonly concatenation: Required<SoftmaxLossConcatenation>;

  constructor(model: SentenceTransformer, opts: SoftmaxLossOptions) {
    super(model);
    const dim = opts.sentenceEmbeddingDimension ?? model.dimension;
    if (dim !== model.dimension) throw new Error(`SoftmaxLoss: sentenceEmbeddingDimension ${dim} differs from the model's dimension ${model.dimension}`);
    if (!(Number.isInteger(opts.numLabels) && opts.numLabels >= 2)) throw new Error(`SoftmaxLoss: numLabels must be an integer >= 2 (got ${opts.numLabels})`);
    this.numLabels = opts.numLabels;
    this.concatenation = concatenationDefaults(opts);
    const c = this.concatenation;
    const k = (c.concatenationSentRep ? 2 : 0) + (c.concatenationSentDifference ? 1 : 0) + (c.concatenationSentMultiplication ? 1 : 0);
    if (k === 0) throw new Error("SoftmaxLoss: at least one of concatenationSentRep, concatenationSentDifference, concatenationSentMultiplication must be on");
    const rng = new Rng(opts.seed ?? 42);
    this.classifier = this.addModule("classifier", new Linear(k * dim, opts.numLabels, rng));
    const bound = 1 / Math.sqrt(k * dim);
    tf.tidy(() => {
      this.classifier.weight.assign(tf.randomUniform(this.classifier.weight.shape, -bound, bound, "float32", rng.seed()));
      this.classifier.bias!.assign(tf.randomUniform(this.classifier.bias!.shape, -bound, bound, "float32", rng.seed()));
    });
  }

  /** Classifier logits [B, numLabels] for embeddings u, v. */
  logits(u: tf.Tensor2D, v: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => this.classifier.forward(softmaxFeatures(u, v, this.concatenation)) as tf.Tensor2D);
  }

  forward(features: BertInputs[], labels?: tf.Tensor1D): tf.Scalar {
    this.checkColumns(features, labels);
    return tf.tidy(() => {
      const u = this.model.forward(features[0]);
      const v = this.model.forward(features[1]);
      return softmaxLossFromEmbeddings(u, v, labels!, this.classifier.weight as tf.Tensor2D, this.classifier.bias as tf.Tensor1D, this.concatenation);
    });
  }

  protected override extraRepr(): string {
    return `num_labels=${this.numLabels}`;
  }
}
