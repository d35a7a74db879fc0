/**
 * A tiny CLIP (Radford et al., 2021) trained from scratch on coloured shapes: an image encoder (a small
 * conv net) and a text encoder (a bag of word embeddings and an MLP), each projected to a shared space,
 * L2-normalised, and compared by a dot product scaled by a learned temperature. The loss is CLIP's
 * symmetric InfoNCE: cross-entropy of each image against the batch's captions and of each caption
 * against the batch's images, averaged. Names follow transformers' CLIPModel (vision_model,
 * text_model, visual_projection, text_projection, logit_scale, logits_per_image / logits_per_text).
 */
import * as tf from "@tensorflow/tfjs-core";
import { Embedding, Linear } from "../models/layers";
import { Module } from "../models/module";
import { Rng } from "../util/random";
import { crossEntropy } from "../training/losses";
import { LogRecord, Trainer, TrainingArguments } from "../training/trainer";
import { ShapeExample, imageSide } from "./shapes";

/** CLIP's initial temperature: logit_scale = log(1 / 0.07), so the logits start scaled by 1 / 0.07 ≈ 14.3. */
export const CLIP_LOGIT_SCALE_INIT = Math.log(1 / 0.07);
/** The paper clips the scale at 100 "to prevent training instability". */
export const CLIP_LOGIT_SCALE_MAX = Math.log(100);

// ---------------------------------------------------------------------------------------------------
// Text side: a word-level vocabulary

/** Lower-cased words, punctuation dropped: the whole of this toy's text normalisation. */
export function splitWords(text: string): string[] {
  return text.toLowerCase().replace(/[^a-z0-9\s]/g, " ").split(/\s+/).filter(Boolean);
}

/** A word-level vocabulary: id 0 is [PAD], id 1 is [UNK] (words never seen when it was built). */
export class WordVocab {
  static readonly PAD = "[PAD]";
  static readonly UNK = "[UNK]";
  readonly padId = 0;
  readonly unkId = 1;
  private readonly index = new Map<string, number>();

  constructor(readonly words: string[]) {
    if (words[0] !== WordVocab.PAD || words[1] !== WordVocab.UNK) throw new Error(`WordVocab: the first two words must be ${WordVocab.PAD} and ${WordVocab.UNK}`);
    words.forEach((w, i) => {
      if (this.index.has(w)) throw new Error(`WordVocab: duplicate word '${w}'`);
      this.index.set(w, i);
    });
  }

  /** Every word of `texts`, sorted, after [PAD] and [UNK]. */
  static fromTexts(texts: string[]): WordVocab {
    const seen = new Set<string>();
    for (const t of texts) for (const w of splitWords(t)) seen.add(w);
    return new WordVocab([WordVocab.PAD, WordVocab.UNK, ...[...seen].sort()]);
  }

  get size(): number {
    return this.words.length;
  }

  /** Word ids of a text (unknown words -> [UNK]), cut or padded with [PAD] to `length` when given. */
  encode(text: string, length?: number): number[] {
    const ids = splitWords(text).map((w) => this.index.get(w) ?? this.unkId);
    if (length === undefined) return ids;
    return ids.length >= length ? ids.slice(0, length) : [...ids, ...new Array<number>(length - ids.length).fill(this.padId)];
  }

  /** Ids [B, T] (T = the longest text, at least 1) and the attention mask (1 for words, 0 for padding). */
  batch(texts: string[]): { inputIds: tf.Tensor2D; attentionMask: tf.Tensor2D } {
    if (texts.length === 0) throw new Error("WordVocab.batch: no texts");
    const T = Math.max(1, ...texts.map((t) => splitWords(t).length));
    const ids = texts.map((t) => this.encode(t, T));
    return {
      inputIds: tf.tensor2d(ids, [texts.length, T], "int32"),
      attentionMask: tf.tensor2d(ids.map((row) => row.map((id) => (id === this.padId ? 0 : 1))), [texts.length, T], "float32"),
    };
  }
}

// ---------------------------------------------------------------------------------------------------
// Image side: convolution as patches x weights

/**
 * A stride-1 'same' convolution of NHWC images with an HWIO filter, with its filter gradient written out:
 * tfjs' wasm backend has Conv2D and Conv2DBackpropInput kernels but no Conv2DBackpropFilter. The filter
 * gradient is, for each kernel offset (dy, dx), the shifted input's pixels times the output gradient
 * summed over batch and positions: one [C, B·H·W] x [B·H·W, out] product per offset.
 */
export const conv2dSame = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [x, filter, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.GradSaveFunc];
  save([x, filter]);
  return {
    value: tf.conv2d(x, filter, 1, "same"),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [input, w] = saved as [tf.Tensor4D, tf.Tensor4D];
      const k = w.shape[0];
      const p = (k - 1) / 2;
      // dx[b, y, x, c] = sum over (i, j, o) of dy[b, y + p - i, x + p - j, o] w[i, j, c, o]: a 'same'
      // convolution of dy with the kernel turned by 180 degrees and its in / out axes swapped.
      const dx = tf.conv2d(dy as tf.Tensor4D, tf.transpose(tf.reverse(w, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D, 1, "same");
      // dw[i, j, c, o] = sum over (b, y, x) of xpad[b, y + i, x + j, c] dy[b, y, x, o]: a 'valid' convolution
      // of the padded input seen as C images of B channels with dy seen as an H x W kernel (B in, O out).
      const padded = tf.pad(input, [[0, 0], [p, p], [p, p], [0, 0]]);
      const dw = tf.conv2d(tf.transpose(padded, [3, 1, 2, 0]) as tf.Tensor4D, tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D, 1, "valid");
      return [dx, tf.transpose(dw, [1, 2, 0, 3])];
    },
  };
});

/**
 * `nn.Conv2d(in, out, k, padding=k // 2)` on NHWC images, weight in PyTorch's layout [out, in, k, k]
 * (transposed to tfjs' [k, k, in, out] on the fly; a few hundred numbers).
 */
export class Conv2d extends Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;

  constructor(readonly inChannels: number, readonly outChannels: number, readonly kernelSize: number, rng: Rng) {
    super();
    if (kernelSize % 2 !== 1) throw new Error(`Conv2d: kernelSize must be odd for 'same' padding (got ${kernelSize})`);
    // He initialisation: the ReLU that follows halves the variance.
    const std = Math.sqrt(2 / (inChannels * kernelSize * kernelSize));
    this.weight = this.addParameter("weight", tf.randomNormal([outChannels, inChannels, kernelSize, kernelSize], 0, std, "float32", rng.seed()));
    this.bias = this.addParameter("bias", tf.zeros([outChannels]));
  }

  protected override extraRepr(): string {
    const p = (this.kernelSize - 1) / 2;
    return `${this.inChannels}, ${this.outChannels}, kernel_size=(${this.kernelSize}, ${this.kernelSize}), stride=(1, 1), padding=(${p}, ${p})`;
  }

  /** x [B, H, W, in] -> [B, H, W, out]. */
  forward(x: tf.Tensor4D): tf.Tensor4D {
    const C = x.shape[3];
    if (C !== this.inChannels) throw new Error(`Conv2d: input has ${C} channels, the layer expects ${this.inChannels}`);
    return tf.tidy(() => {
      const filter = tf.transpose(this.weight, [2, 3, 1, 0]) as tf.Tensor4D;
      return tf.add(conv2dSame(x, filter), this.bias) as tf.Tensor4D;
    });
  }
}

export interface TinyClipConfig {
  /** Words in the vocabulary (WordVocab.size). */
  vocabSize: number;
  imageSize?: number;
  /** Channels of the three conv blocks (conv 3x3, ReLU, 2x2 max-pool); default [16, 32, 32]. */
  visionChannels?: number[];
  /** Width of the encoders' pooled outputs (default 128). */
  hiddenSize?: number;
  /** Word-embedding width (default 64). */
  textEmbedSize?: number;
  /** The shared embedding space (CLIP's projection_dim; default 64). */
  projectionDim?: number;
  /** Initial logit_scale (default log(1 / 0.07), as CLIP). */
  logitScaleInitValue?: number;
  seed?: number;
}

/** Per-channel normalisation of pixel values, as CLIPProcessor does with its image_mean / image_std. */
const PIXEL_MEAN = 0.5;
const PIXEL_STD = 0.25;

/** Conv blocks, flattened (keeping where things are: captions name positions), and a hidden layer. */
export class TinyClipVisionModel extends Module {
  readonly convs: Conv2d[] = [];
  readonly fc: Linear;

  constructor(readonly imageSize: number, channels: number[], hiddenSize: number, rng: Rng) {
    super();
    if (imageSize % 2 ** channels.length !== 0) throw new Error(`imageSize ${imageSize} must be divisible by 2^${channels.length} (one 2x2 pooling per conv block)`);
    let inChannels = 3;
    channels.forEach((out, i) => {
      this.convs.push(this.addModule(`convs.${i}`, new Conv2d(inChannels, out, 3, rng)));
      inChannels = out;
    });
    const side = imageSize / 2 ** channels.length;
    this.fc = this.addModule("fc", new Linear(side * side * inChannels, hiddenSize, rng, { std: Math.sqrt(2 / (side * side * inChannels)) }));
  }

  /** pixels [B, H, W, 3] in [0, 1] -> pooled [B, hidden]. */
  forward(pixels: tf.Tensor4D): tf.Tensor2D {
    const [, H, W, C] = pixels.shape;
    if (H !== this.imageSize || W !== this.imageSize || C !== 3) throw new Error(`vision model expects [B, ${this.imageSize}, ${this.imageSize}, 3] images, got [${pixels.shape}]`);
    return tf.tidy(() => {
      let x = tf.div(tf.sub(pixels, PIXEL_MEAN), PIXEL_STD) as tf.Tensor4D;
      for (const conv of this.convs) x = tf.maxPool(tf.relu(conv.forward(x)), 2, 2, "valid");
      const flat = tf.reshape(x, [x.shape[0], -1]);
      return tf.relu(this.fc.forward(flat)) as tf.Tensor2D;
    });
  }
}

/** A bag of words: the mean of the caption's word embeddings (padding masked out), then an MLP layer. */
export class TinyClipTextModel extends Module {
  readonly embeddings: Embedding;
  readonly fc: Linear;

  constructor(vocabSize: number, embedSize: number, hiddenSize: number, rng: Rng) {
    super();
    this.embeddings = this.addModule("embeddings", new Embedding(vocabSize, embedSize, rng, 1 / Math.sqrt(embedSize)));
    this.fc = this.addModule("fc", new Linear(embedSize, hiddenSize, rng, { std: Math.sqrt(2 / embedSize) }));
  }

  /** ids [B, T], mask [B, T] -> pooled [B, hidden]. */
  forward(inputIds: tf.Tensor2D, attentionMask: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const mask = tf.expandDims(tf.cast(attentionMask, "float32"), 2);
      const summed = tf.sum(tf.mul(this.embeddings.forward(inputIds), mask), 1);
      const mean = tf.div(summed, tf.maximum(tf.sum(mask, 1), 1));
      return tf.relu(this.fc.forward(mean)) as tf.Tensor2D;
    });
  }
}

export interface ClipOutput {
  /** [images, texts]: scaled cosine similarities, as logits_per_image. */
  logitsPerImage: tf.Tensor2D;
  /** [texts, images]: the transpose, as logits_per_text. */
  logitsPerText: tf.Tensor2D;
  /** L2-normalised embeddings [B, projectionDim]. */
  imageEmbeds: tf.Tensor2D;
  textEmbeds: tf.Tensor2D;
}

/** L2-normalises rows (x / ||x||, as `x / x.norm(dim=-1, keepdim=True)`). */
function unitRows(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.div(x, tf.maximum(tf.norm(x, 2, -1, true), 1e-12)) as tf.Tensor2D);
}

export class TinyCLIPModel extends Module {
  readonly config: Required<Omit<TinyClipConfig, "seed">>;
  readonly vision_model: TinyClipVisionModel;
  readonly text_model: TinyClipTextModel;
  readonly visual_projection: Linear;
  readonly text_projection: Linear;
  readonly logit_scale: tf.Variable;

  constructor(config: TinyClipConfig) {
    super();
    if (!(Number.isInteger(config.vocabSize) && config.vocabSize > 2)) throw new Error(`TinyClipConfig.vocabSize must be an integer > 2 (got ${config.vocabSize})`);
    this.config = {
      vocabSize: config.vocabSize,
      imageSize: config.imageSize ?? 32,
      visionChannels: config.visionChannels ?? [16, 32, 32],
      hiddenSize: config.hiddenSize ?? 128,
      textEmbedSize: config.textEmbedSize ?? 64,
      projectionDim: config.projectionDim ?? 64,
      logitScaleInitValue: config.logitScaleInitValue ?? CLIP_LOGIT_SCALE_INIT,
    };
    const c = this.config;
    const rng = new Rng(config.seed ?? 42);
    this.vision_model = this.addModule("vision_model", new TinyClipVisionModel(c.imageSize, c.visionChannels, c.hiddenSize, rng));
    this.text_model = this.addModule("text_model", new TinyClipTextModel(c.vocabSize, c.textEmbedSize, c.hiddenSize, rng));
    // As CLIPModel: projections without bias.
    this.visual_projection = this.addModule("visual_projection", new Linear(c.hiddenSize, c.projectionDim, rng, { bias: false, std: 1 / Math.sqrt(c.hiddenSize) }));
    this.text_projection = this.addModule("text_projection", new Linear(c.hiddenSize, c.projectionDim, rng, { bias: false, std: 1 / Math.sqrt(c.hiddenSize) }));
    this.logit_scale = this.addParameter("logit_scale", tf.scalar(c.logitScaleInitValue));
  }

  /** Projected, not normalised, image features [B, projectionDim] (get_image_features). */
  getImageFeatures(pixelValues: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => this.visual_projection.forward(this.vision_model.forward(pixelValues)) as tf.Tensor2D);
  }

  /** Projected, not normalised, text features [B, projectionDim] (get_text_features). */
  getTextFeatures(inputIds: tf.Tensor2D, attentionMask: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => this.text_projection.forward(this.text_model.forward(inputIds, attentionMask)) as tf.Tensor2D);
  }

  /** The scale applied to cosine similarities: exp(logit_scale), clipped at 100 as in the paper. */
  logitScale(): tf.Scalar {
    return tf.tidy(() => tf.exp(tf.minimum(this.logit_scale, CLIP_LOGIT_SCALE_MAX)) as tf.Scalar);
  }

  forward(inputs: { pixelValues: tf.Tensor4D; inputIds: tf.Tensor2D; attentionMask: tf.Tensor2D }): ClipOutput {
    return tf.tidy(() => {
      const imageEmbeds = unitRows(this.getImageFeatures(inputs.pixelValues));
      const textEmbeds = unitRows(this.getTextFeatures(inputs.inputIds, inputs.attentionMask));
      const logitsPerText = tf.mul(tf.matMul(textEmbeds, imageEmbeds, false, true), this.logitScale()) as tf.Tensor2D;
      const logitsPerImage = tf.transpose(logitsPerText) as tf.Tensor2D;
      return { logitsPerImage, logitsPerText, imageEmbeds, textEmbeds };
    });
  }
}

/**
 * CLIP's symmetric InfoNCE loss over a batch of N matching pairs: the i-th text belongs to the i-th
 * image, every other one in the batch is a negative. (CE(logits_per_text, arange(N)) +
 * CE(logits_per_image, arange(N))) / 2, as transformers' `clip_loss` and the paper's pseudo-code.
 */
export function clipLoss(logitsPerText: tf.Tensor2D): tf.Scalar {
  const [N, M] = logitsPerText.shape;
  if (N !== M) throw new Error(`clipLoss: logits must be square (one text per image); got [${N}, ${M}]`);
  return tf.tidy(() => {
    const labels = tf.range(0, N, 1, "int32") as tf.Tensor1D;
    const captionLoss = crossEntropy(logitsPerText, labels);
    const imageLoss = crossEntropy(tf.transpose(logitsPerText) as tf.Tensor2D, labels);
    return tf.div(tf.add(captionLoss, imageLoss), 2) as tf.Scalar;
  });
}

/** Pixels of several images as one [B, H, W, 3] tensor. */
export function imagesToTensor(images: Float32Array[]): tf.Tensor4D {
  if (images.length === 0) throw new Error("imagesToTensor: no images");
  const side = imageSide(images[0]);
  const data = new Float32Array(images.length * side * side * 3);
  images.forEach((img, i) => {
    if (img.length !== side * side * 3) throw new Error(`imagesToTensor: image ${i} has ${img.length} values; image 0 has ${side * side * 3}`);
    data.set(img, i * side * side * 3);
  });
  return tf.tensor4d(data, [images.length, side, side, 3]);
}

/** Normalised embeddings of images, as number rows (batched, no gradients kept). */
export function embedImages(model: TinyCLIPModel, images: Float32Array[], batchSize = 256): number[][] {
  const rows: number[][] = [];
  for (let i = 0; i < images.length; i += batchSize) {
    const part = tf.tidy(() => unitRows(model.getImageFeatures(imagesToTensor(images.slice(i, i + batchSize)))));
    rows.push(...(part.arraySync() as number[][]));
    part.dispose();
  }
  return rows;
}

/** Normalised embeddings of texts, as number rows. */
export function embedTexts(model: TinyCLIPModel, vocab: WordVocab, texts: string[]): number[][] {
  const out = tf.tidy(() => {
    const { inputIds, attentionMask } = vocab.batch(texts);
    return unitRows(model.getTextFeatures(inputIds, attentionMask));
  });
  const rows = out.arraySync() as number[][];
  out.dispose();
  return rows;
}

/** Cosine similarities [texts, images] of two sets of normalised embeddings. */
export function cosineMatrix(a: number[][], b: number[][]): number[][] {
  return a.map((u) => b.map((v) => u.reduce((s, x, k) => s + x * v[k], 0)));
}

export interface ZeroShotResult {
  /** Per image, the probabilities over the candidate texts: softmax(logit_scale · cosine). */
  probs: number[][];
  /** Per image, the index of the most similar text. */
  predictions: number[];
}

/**
 * Zero-shot classification as CLIP does it: embed one prompt per class ("a photo of a red circle"),
 * then give each image the class whose prompt is most similar, with softmax(logit_scale · cosine) as
 * probabilities (transformers' zero-shot-image-classification pipeline).
 */
export function zeroShotClassify(model: TinyCLIPModel, vocab: WordVocab, images: Float32Array[], prompts: string[]): ZeroShotResult {
  if (prompts.length === 0) throw new Error("zeroShotClassify: no candidate prompts");
  const scale = tf.tidy(() => model.logitScale().dataSync()[0]);
  const sims = cosineMatrix(embedImages(model, images), embedTexts(model, vocab, prompts));
  const probs = sims.map((row) => {
    const logits = row.map((s) => s * scale);
    const max = Math.max(...logits);
    const exps = logits.map((l) => Math.exp(l - max));
    const z = exps.reduce((s, e) => s + e, 0);
    return exps.map((e) => e / z);
  });
  return { probs, predictions: sims.map((row) => row.indexOf(Math.max(...row))) };
}

/**
 * Top-k retrieval accuracy of a square similarity matrix whose diagonal holds the matching pairs:
 * the share of rows whose own column ranks among the k highest (ties count against).
 */
export function retrievalAccuracy(similarity: number[][], k = 1): number {
  const n = similarity.length;
  if (n === 0 || similarity.some((row) => row.length !== n)) throw new Error("retrievalAccuracy: expected a non-empty square matrix");
  let hits = 0;
  similarity.forEach((row, i) => {
    const better = row.filter((s, j) => j !== i && s >= row[i]).length;
    if (better < k) hits++;
  });
  return hits / n;
}

/** Image->text and text->image top-1 accuracy of matched examples (each other example is a distractor). */
export function clipRetrievalAccuracy(model: TinyCLIPModel, vocab: WordVocab, examples: ShapeExample[]): { imageToText: number; textToImage: number } {
  const sims = cosineMatrix(embedImages(model, examples.map((e) => e.pixels)), embedTexts(model, vocab, examples.map((e) => e.caption)));
  const transposed = sims[0].map((_, j) => sims.map((row) => row[j]));
  return { imageToText: retrievalAccuracy(sims), textToImage: retrievalAccuracy(transposed) };
}

/**
 * Hard negatives by construction: a batch draws only from `perBatch` random groups (e.g. two colours), so
 * that its captions must be told apart by what varies inside a group (shape, size, position). In a random
 * batch of 64 most pairs already differ in colour or position, and the shape word is rarely needed.
 */
export interface HardNegativeGroups {
  by: (example: ShapeExample) => string;
  perBatch: number;
}

/** The attributes of an example as one key: two examples with the same key show the same thing. */
export function attributeKey(e: ShapeExample): string {
  const a = e.attributes;
  return `${a.colour} ${a.shape} ${a.size} ${a.position}`;
}

/**
 * Indices of a training batch: `batchSize` examples drawn at random that all show different things
 * (different attributes), since two images of one description in a batch would each be the other's
 * "negative". With `groups`, drawn from a few groups only. Pure in (seed, arguments).
 */
export function sampleContrastiveBatch(examples: ShapeExample[], batchSize: number, seed: number, groups?: HardNegativeGroups): number[] {
  const rng = new Rng(seed);
  let pool: number[] | null = null;
  if (groups) {
    const keys = [...new Set(examples.map(groups.by))];
    const chosen = new Set(rng.shuffle(keys).slice(0, groups.perBatch));
    pool = examples.map((e, i) => (chosen.has(groups.by(e)) ? i : -1)).filter((i) => i >= 0);
  }
  const picked: number[] = [];
  const seen = new Set<string>();
  for (let tries = 0; picked.length < batchSize && tries < batchSize * 100; tries++) {
    const i = pool ? pool[rng.int(pool.length)] : rng.int(examples.length);
    const key = attributeKey(examples[i]);
    if (seen.has(key)) continue;
    seen.add(key);
    picked.push(i);
  }
  if (picked.length < batchSize) throw new Error(`sampleContrastiveBatch: found only ${picked.length} examples with distinct attributes for a batch of ${batchSize}; lower the batch size or draw from more groups`);
  return picked;
}

export interface TrainTinyClipOptions {
  /** Examples held out for the retrieval accuracy logged every `evalSteps` (default: none). */
  evalExamples?: ShapeExample[];
  evalSteps?: number;
  batchSize?: number;
  /** Draw each batch from a few groups only (see HardNegativeGroups); default: from all examples. */
  hardNegatives?: HardNegativeGroups;
}

/**
 * Trains a TinyCLIPModel with the lib's Trainer (AdamW, schedule, clipping) on image-caption pairs, with
 * the symmetric InfoNCE loss. The log records carry `logit_scale` (exp, the inverse temperature) and, with
 * `evalExamples`, `retrieval_image_to_text` / `retrieval_text_to_image` (top-1 among the held-out batch).
 */
export async function trainTinyClip(
  model: TinyCLIPModel,
  vocab: WordVocab,
  examples: ShapeExample[],
  args: TrainingArguments,
  opts: TrainTinyClipOptions = {},
): Promise<{ logHistory: LogRecord[]; trainer: Trainer<{ pixelValues: tf.Tensor4D; inputIds: tf.Tensor2D; attentionMask: tf.Tensor2D }> }> {
  const batchSize = opts.batchSize ?? 64;
  const seed = args.seed ?? 42;
  const evalExamples = opts.evalExamples;
  const trainer = new Trainer({
    model,
    args: { ...args, evalSteps: evalExamples ? opts.evalSteps ?? args.evalSteps ?? 0 : 0 },
    batch: (index: number) => {
      const picked = sampleContrastiveBatch(examples, batchSize, seed * 1_000_003 + index, opts.hardNegatives);
      const { inputIds, attentionMask } = vocab.batch(picked.map((i) => examples[i].caption));
      return { pixelValues: imagesToTensor(picked.map((i) => examples[i].pixels)), inputIds, attentionMask };
    },
    loss: (batch) => {
      // The intermediates stay alive until the gradient pass is over (the trainer's scope frees them).
      const loss = clipLoss(model.forward(batch).logitsPerText);
      // Read after the gradient pass, asynchronously (webgpu in Node has no synchronous reads).
      const metrics = { read: async () => ({ logit_scale: Math.exp(Math.min((await model.logit_scale.data())[0], CLIP_LOGIT_SCALE_MAX)) }) };
      return { loss, metrics };
    },
    evaluate: evalExamples
      ? async () => {
          const acc = clipRetrievalAccuracy(model, vocab, evalExamples);
          return { retrieval_image_to_text: acc.imageToText, retrieval_text_to_image: acc.textToImage };
        }
      : undefined,
  });
  const output = await trainer.train();
  return { logHistory: output.logHistory, trainer };
}
