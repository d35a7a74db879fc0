/**
 * TSDAE (Wang et al. 2021), chapter 10's unsupervised objective, after sentence-transformers'
 * DenoisingAutoEncoderDataset and DenoisingAutoEncoderLoss: delete ~60 % of a sentence's words, embed
 * the damaged sentence (CLS pooling in the book), and train a decoder to rebuild the original sentence
 * from that single vector. The decoder is BERT's own layers run causally (weights tied to the encoder,
 * as tie_encoder_decoder=True), each with an added cross-attention block attending to the sentence
 * embedding, then an MLM-style head whose output matrix is the word embeddings. HF names are used:
 * `decoder.layer.<i>.crossattention.{self.query,…,output.LayerNorm}`, `decoder.cls.predictions.…`.
 *
 * Differences from Python: words are split at whitespace (not NLTK's word_tokenize) and joined with
 * single spaces; the noise is drawn once per example (the Python dataset redraws it on every access).
 */
import { tf } from "../engine";
import type { BertInputs, BertModel } from "../models/bert";
import { LayerNorm, Linear, activation, attentionBias, dropout, mergeHeads, scaledDotProductAttention, splitHeads } from "../models/layers";
import { Group, Module } from "../models/module";
import { IGNORE_INDEX, crossEntropy } from "../training/losses";
import { Rng } from "../util/random";
import { SentenceTransformerLoss } from "./losses";
import type { SentenceTransformer } from "./sentence-transformer";
import type { InputExample } from "./train";

/**
 * DenoisingAutoEncoderDataset.delete: each word is kept with probability 1 - delRatio; when none
 * survives, one random word is kept. An empty text is returned as it is.
 */
export function deleteWords(text: string, opts: { delRatio?: number; rng?: Rng } = {}): string {
  const delRatio = opts.delRatio ?? 0.6;
  if (!(delRatio >= 0 && delRatio <= 1)) throw new Error(`deleteWords: delRatio must be in [0, 1] (got ${delRatio})`);
  const rng = opts.rng ?? new Rng(42);
  const words = text.split(/\s+/).filter((w) => w.length > 0);
  if (words.length === 0) return text;
  let keep = words.map(() => rng.random() > delRatio);
  if (!keep.some(Boolean)) {
    const k = rng.int(words.length);
    keep = words.map((_, i) => i === k);
  }
  return words.filter((_, i) => keep[i]).join(" ");
}

/** (noisy, original) pairs for DenoisingAutoEncoderLoss, one per sentence, reproducible from the seed. */
export function denoisingExamples(sentences: string[], opts: { delRatio?: number; seed?: number } = {}): InputExample[] {
  const rng = new Rng(opts.seed ?? 42);
  return sentences.map((s, i) => {
    if (typeof s !== "string") throw new Error(`denoisingExamples: sentence ${i} is not a string`);
    return { texts: [deleteWords(s, { delRatio: opts.delRatio, rng }), s] };
  });
}

/** HF's BertAttention used as cross-attention: queries from the decoder, keys and values from `memory`. */
class CrossAttention extends Module {
  readonly query: Linear;
  readonly key: Linear;
  readonly value: Linear;
  readonly dense: Linear;
  readonly LayerNorm: LayerNorm;

  constructor(private readonly encoder: BertModel, rng: Rng) {
    super();
    const c = encoder.config;
    const h = c.hidden_size;
    const std = c.initializer_range;
    this.query = new Linear(h, h, rng, { std });
    this.key = new Linear(h, h, rng, { std });
    this.value = new Linear(h, h, rng, { std });
    this.dense = new Linear(h, h, rng, { std });
    this.LayerNorm = new LayerNorm(h, c.layer_norm_eps);
    this.addModule("self", new Group().add("query", this.query).add("key", this.key).add("value", this.value));
    this.addModule("output", new Group().add("dense", this.dense).add("LayerNorm", this.LayerNorm));
  }

  forward(x: tf.Tensor3D, memory: tf.Tensor3D, memoryBias: tf.Tensor | null, rng: Rng): tf.Tensor3D {
    return tf.tidy(() => {
      const c = this.encoder.config;
      const H = c.num_attention_heads;
      const drop = { rate: c.attention_probs_dropout_prob, training: this.training, rng };
      const [heads] = scaledDotProductAttention(
        splitHeads(this.query.forward(x), H), splitHeads(this.key.forward(memory), H), splitHeads(this.value.forward(memory), H), memoryBias, drop,
      );
      const projected = dropout(this.dense.forward(mergeHeads(heads)), c.hidden_dropout_prob, this.training, rng);
      return this.LayerNorm.forward(tf.add(projected, x)) as tf.Tensor3D;
    });
  }
}

export interface DenoisingAutoEncoderLossOptions {
  /** Tie the decoder to the encoder (default true, the only mode supported here). */
  tieEncoderDecoder?: boolean;
  /** Seeds the new cross-attention and head weights and the decoder's dropout (default 42). */
  seed?: number;
}

/**
 * sentence-transformers' DenoisingAutoEncoderLoss: examples are (noisy, original) pairs (see
 * denoisingExamples); the loss is the cross-entropy of predicting original token t + 1 from tokens
 * 0..t and the noisy sentence's embedding, padding ignored.
 */
export class DenoisingAutoEncoderLoss extends SentenceTransformerLoss {
  readonly columns: [number, number] = [2, 2];
  readonly needsLabels = false;
  readonly crossAttention: CrossAttention[] = [];
  readonly transformDense: Linear;
  readonly transformLayerNorm: LayerNorm;
  readonly decoderBias: tf.Variable;
  private readonly rng: Rng;

  constructor(model: SentenceTransformer, opts: DenoisingAutoEncoderLossOptions = {}) {
    super(model);
    if (opts.tieEncoderDecoder === false) throw new Error("DenoisingAutoEncoderLoss: only tieEncoderDecoder true is supported (the decoder shares the encoder's weights)");
    if (model.tokenizer.padTokenId === null) throw new Error(`DenoisingAutoEncoderLoss: the tokenizer '${model.tokenizer.name}' has no pad token`);
    const encoder = model.encoder;
    const c = encoder.config;
    this.rng = new Rng(opts.seed ?? 42);
    const decoder = this.addModule("decoder", new Group());
    encoder.layers.forEach((_, i) => {
      const cross = new CrossAttention(encoder, this.rng);
      this.crossAttention.push(cross);
      decoder.add(`layer.${i}`, new Group().add("crossattention", cross));
    });
    this.transformDense = new Linear(c.hidden_size, c.hidden_size, this.rng, { std: c.initializer_range });
    this.transformLayerNorm = new LayerNorm(c.hidden_size, c.layer_norm_eps);
    const predictions = new Group().add("transform", new Group().add("dense", this.transformDense).add("LayerNorm", this.transformLayerNorm));
    this.decoderBias = predictions.addBias(c.vocab_size);
    decoder.add("cls", new Group().add("predictions", predictions));
  }

  /**
   * Next-token logits [B, T, vocab] of the target tokens, each position seeing the targets up to itself
   * and the sentence embeddings [B, D] (one memory slot per row).
   */
  decoderLogits(target: BertInputs, sentenceEmbeddings: tf.Tensor2D): tf.Tensor3D {
    const encoder = this.model.encoder;
    const c = encoder.config;
    const [B, T] = target.inputIds.shape;
    if (sentenceEmbeddings.shape[0] !== B || sentenceEmbeddings.shape[1] !== c.hidden_size) {
      throw new Error(`DenoisingAutoEncoderLoss: sentence embeddings [${sentenceEmbeddings.shape}] must be [${B}, ${c.hidden_size}]`);
    }
    if (T > c.max_position_embeddings) throw new Error(`sequence length ${T} exceeds max_position_embeddings (${c.max_position_embeddings})`);
    return tf.tidy(() => {
      const selfBias = attentionBias(T, target.attentionMask);
      const memory = tf.expandDims(sentenceEmbeddings, 1) as tf.Tensor3D; // [B, 1, D]
      let x = encoder.embeddings.forward(target.inputIds, (target.tokenTypeIds ?? tf.zerosLike(target.inputIds)) as tf.Tensor2D);
      encoder.layers.forEach((layer, i) => {
        const [attended] = layer.attention.forward(x, selfBias);
        const crossed = this.crossAttention[i].forward(attended, memory, null, this.rng);
        const inner = activation(c.hidden_act, layer.intermediateDense.forward(crossed));
        const out = dropout(layer.outputDense.forward(inner), c.hidden_dropout_prob, this.training, this.rng);
        x = layer.outputLayerNorm.forward(tf.add(out, crossed)) as tf.Tensor3D;
      });
      const h = this.transformLayerNorm.forward(activation(c.hidden_act, this.transformDense.forward(x)));
      const logits = tf.add(tf.matMul(tf.reshape(h, [B * T, c.hidden_size]), encoder.embeddings.word_embeddings.weight, false, true), this.decoderBias);
      return tf.reshape(logits, [B, T, c.vocab_size]) as tf.Tensor3D;
    });
  }

  forward(features: BertInputs[], labels?: tf.Tensor1D): tf.Scalar {
    this.checkColumns(features, labels);
    const [source, target] = features;
    return tf.tidy(() => {
      const embeddings = this.model.forward(source);
      const logits = this.decoderLogits(target, embeddings);
      const [B, T, V] = logits.shape;
      const shifted = tf.reshape(tf.slice(logits, [0, 0, 0], [B, T - 1, V]), [-1, V]) as tf.Tensor2D;
      const next = tf.reshape(tf.slice(target.inputIds, [0, 1], [B, T - 1]), [-1]);
      // Padding is not predicted (ignore_index = the pad token id).
      const padId = this.model.tokenizer.padTokenId as number;
      const labelsNext = tf.where(tf.equal(next, padId), tf.fill([B * (T - 1)], IGNORE_INDEX, "int32"), tf.cast(next, "int32")) as tf.Tensor1D;
      return crossEntropy(shifted, labelsNext);
    });
  }
}
