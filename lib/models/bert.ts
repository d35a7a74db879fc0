/**
 * BERT in tfjs, laid out as Hugging Face's `modeling_bert.py`: word + position + token-type
 * embeddings, post-LayerNorm encoder layers, a pooler, and the three heads the book uses
 * (masked-LM, sequence classification, token classification).
 */
import * as tf from "@tensorflow/tfjs-core";
import { Rng } from "../util/random";
import { crossEntropy } from "../training/losses";
import { HubDownloadOptions } from "../hub/download";
import { checkConfig, loadWeights, readModelConfig, resolveCheckpoint, saveCheckpoint } from "./checkpoint";
import { Activation, Embedding, LayerNorm, Linear, MASK_VALUE, activation, dropout, mergeHeads, scaledDotProductAttention, splitHeads } from "./layers";
import { Group, Module } from "./module";

/** The fields of HF's `BertConfig` (config.json) the architecture reads, with HF's defaults. */
export interface BertConfig {
  model_type: "bert";
  vocab_size: number;
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  intermediate_size: number;
  hidden_act: Activation;
  hidden_dropout_prob: number;
  attention_probs_dropout_prob: number;
  max_position_embeddings: number;
  type_vocab_size: number;
  initializer_range: number;
  layer_norm_eps: number;
  pad_token_id: number;
  /** Classification heads: labels by id, as HF's `id2label` (its size is `num_labels`). */
  id2label: Record<string, string>;
  classifier_dropout: number | null;
}

export const BERT_DEFAULTS: BertConfig = {
  model_type: "bert",
  vocab_size: 30522,
  hidden_size: 768,
  num_hidden_layers: 12,
  num_attention_heads: 12,
  intermediate_size: 3072,
  hidden_act: "gelu",
  hidden_dropout_prob: 0.1,
  attention_probs_dropout_prob: 0.1,
  max_position_embeddings: 512,
  type_vocab_size: 2,
  initializer_range: 0.02,
  layer_norm_eps: 1e-12,
  pad_token_id: 0,
  id2label: { "0": "LABEL_0", "1": "LABEL_1" },
  classifier_dropout: null,
};

export function bertConfig(overrides: Partial<BertConfig> & { num_labels?: number } = {}): BertConfig {
  const { num_labels, ...rest } = overrides;
  const config = { ...BERT_DEFAULTS, ...rest };
  if (num_labels !== undefined && overrides.id2label === undefined) {
    config.id2label = Object.fromEntries(Array.from({ length: num_labels }, (_, i) => [String(i), `LABEL_${i}`]));
  }
  const divisible = config.hidden_size % config.num_attention_heads === 0
    ? [] : [`hidden_size (${config.hidden_size}) must be divisible by num_attention_heads (${config.num_attention_heads})`];
  checkConfig("BERT", config, ["vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size", "max_position_embeddings", "type_vocab_size"], divisible);
  return config;
}

export interface BertInputs {
  inputIds: tf.Tensor2D;
  /** 1 for real tokens, 0 for padding; default all ones. */
  attentionMask?: tf.Tensor2D;
  /** Segment A = 0, B = 1; default all zeros. */
  tokenTypeIds?: tf.Tensor2D;
  outputHiddenStates?: boolean;
  outputAttentions?: boolean;
}

export interface BertModelOutput {
  lastHiddenState: tf.Tensor3D;
  poolerOutput?: tf.Tensor2D;
  /** Embedding output, then each layer's output (num_hidden_layers + 1), as HF. */
  hiddenStates?: tf.Tensor3D[];
  attentions?: tf.Tensor4D[];
}

class BertEmbeddings extends Module {
  readonly word_embeddings: Embedding;
  readonly position_embeddings: Embedding;
  readonly token_type_embeddings: Embedding;
  readonly LayerNorm: LayerNorm;

  constructor(private readonly config: BertConfig, private readonly rng: Rng) {
    super();
    const std = config.initializer_range;
    this.word_embeddings = this.addModule("word_embeddings", new Embedding(config.vocab_size, config.hidden_size, rng, std));
    this.position_embeddings = this.addModule("position_embeddings", new Embedding(config.max_position_embeddings, config.hidden_size, rng, std));
    this.token_type_embeddings = this.addModule("token_type_embeddings", new Embedding(config.type_vocab_size, config.hidden_size, rng, std));
    this.LayerNorm = this.addModule("LayerNorm", new LayerNorm(config.hidden_size, config.layer_norm_eps));
  }

  forward(inputIds: tf.Tensor2D, tokenTypeIds: tf.Tensor2D): tf.Tensor3D {
    return tf.tidy(() => {
      const T = inputIds.shape[1];
      const summed = tf.add(
        tf.add(this.word_embeddings.forward(inputIds), this.token_type_embeddings.forward(tokenTypeIds)),
        this.position_embeddings.forward(tf.range(0, T, 1, "int32")),
      );
      return dropout(this.LayerNorm.forward(summed), this.config.hidden_dropout_prob, this.training, this.rng) as tf.Tensor3D;
    });
  }
}

/** `BertSelfAttention` + `BertSelfOutput`: attention, projection, dropout, residual, LayerNorm. */
class BertAttention extends Module {
  readonly query: Linear;
  readonly key: Linear;
  readonly value: Linear;
  readonly dense: Linear;
  readonly LayerNorm: LayerNorm;

  constructor(private readonly config: BertConfig, private readonly rng: Rng) {
    super();
    const h = config.hidden_size;
    const std = config.initializer_range;
    // HF nests these as attention.self.{query,key,value} and attention.output.{dense,LayerNorm}.
    this.query = new Linear(h, h, rng, { std });
    this.key = new Linear(h, h, rng, { std });
    this.value = new Linear(h, h, rng, { std });
    this.dense = new Linear(h, h, rng, { std });
    this.LayerNorm = new LayerNorm(h, config.layer_norm_eps);
    const self = this.addModule("self", new Group());
    self.add("query", this.query).add("key", this.key).add("value", this.value);
    this.addModule("output", new Group()).add("dense", this.dense).add("LayerNorm", this.LayerNorm);
  }

  forward(x: tf.Tensor3D, maskBias: tf.Tensor | null): [tf.Tensor3D, tf.Tensor4D] {
    return tf.tidy(() => {
      const H = this.config.num_attention_heads;
      const drop = { rate: this.config.attention_probs_dropout_prob, training: this.training, rng: this.rng };
      const [heads, probs] = scaledDotProductAttention(
        splitHeads(this.query.forward(x), H), splitHeads(this.key.forward(x), H), splitHeads(this.value.forward(x), H), maskBias, drop,
      );
      const projected = dropout(this.dense.forward(mergeHeads(heads)), this.config.hidden_dropout_prob, this.training, this.rng);
      return [this.LayerNorm.forward(tf.add(projected, x)) as tf.Tensor3D, probs] as [tf.Tensor3D, tf.Tensor4D];
    });
  }
}

class BertLayer extends Module {
  readonly attention: BertAttention;
  readonly intermediateDense: Linear;
  readonly outputDense: Linear;
  readonly outputLayerNorm: LayerNorm;

  constructor(private readonly config: BertConfig, private readonly rng: Rng) {
    super();
    const std = config.initializer_range;
    this.attention = this.addModule("attention", new BertAttention(config, rng));
    this.intermediateDense = new Linear(config.hidden_size, config.intermediate_size, rng, { std });
    this.outputDense = new Linear(config.intermediate_size, config.hidden_size, rng, { std });
    this.outputLayerNorm = new LayerNorm(config.hidden_size, config.layer_norm_eps);
    this.addModule("intermediate", new Group()).add("dense", this.intermediateDense);
    this.addModule("output", new Group()).add("dense", this.outputDense).add("LayerNorm", this.outputLayerNorm);
  }

  forward(x: tf.Tensor3D, maskBias: tf.Tensor | null): [tf.Tensor3D, tf.Tensor4D] {
    return tf.tidy(() => {
      const [attended, probs] = this.attention.forward(x, maskBias);
      const inner = activation(this.config.hidden_act, this.intermediateDense.forward(attended));
      const out = dropout(this.outputDense.forward(inner), this.config.hidden_dropout_prob, this.training, this.rng);
      return [this.outputLayerNorm.forward(tf.add(out, attended)) as tf.Tensor3D, probs] as [tf.Tensor3D, tf.Tensor4D];
    });
  }
}

/** `BertModel`: embeddings, encoder and (optionally) the pooler: tanh(dense(h[CLS])). */
export class BertModel extends Module {
  readonly embeddings: BertEmbeddings;
  readonly layers: BertLayer[] = [];
  readonly poolerDense: Linear | null;

  constructor(readonly config: BertConfig, rng: Rng, opts: { addPoolingLayer?: boolean } = {}) {
    super();
    this.embeddings = this.addModule("embeddings", new BertEmbeddings(config, rng));
    const encoder = this.addModule("encoder", new Group());
    for (let i = 0; i < config.num_hidden_layers; i++) {
      const layer = new BertLayer(config, rng);
      this.layers.push(layer);
      encoder.add(`layer.${i}`, layer);
    }
    this.poolerDense = opts.addPoolingLayer === false ? null : new Linear(config.hidden_size, config.hidden_size, rng, { std: config.initializer_range });
    if (this.poolerDense) this.addModule("pooler", new Group()).add("dense", this.poolerDense);
  }

  forward(inputs: BertInputs): BertModelOutput {
    const [B, T] = inputs.inputIds.shape;
    if (T > this.config.max_position_embeddings) {
      throw new Error(`sequence length ${T} exceeds max_position_embeddings (${this.config.max_position_embeddings})`);
    }
    return tf.tidy(() => {
      const tokenTypeIds = inputs.tokenTypeIds ?? tf.zeros([B, T], "int32");
      // Padding keys get float32's lowest value added, as HF's extended attention mask.
      const maskBias = inputs.attentionMask
        ? tf.mul(tf.sub(1, tf.reshape(tf.cast(inputs.attentionMask, "float32"), [B, 1, 1, T])), MASK_VALUE)
        : null;
      let x = this.embeddings.forward(inputs.inputIds, tokenTypeIds as tf.Tensor2D);
      const hiddenStates: tf.Tensor3D[] = [x];
      const attentions: tf.Tensor4D[] = [];
      for (const layer of this.layers) {
        const [out, probs] = layer.forward(x, maskBias);
        x = out;
        hiddenStates.push(x);
        attentions.push(probs);
      }
      const pooled = this.poolerDense
        ? (tf.tanh(this.poolerDense.forward(tf.reshape(tf.slice(x, [0, 0, 0], [B, 1, -1]), [B, -1]))) as tf.Tensor2D)
        : undefined;
      return {
        lastHiddenState: x,
        poolerOutput: pooled,
        hiddenStates: inputs.outputHiddenStates ? hiddenStates : undefined,
        attentions: inputs.outputAttentions ? attentions : undefined,
      };
    });
  }
}

/** Shared by the BERT task models: building from a config, loading and saving HF folders. */
abstract class BertPreTrained extends Module {
  readonly config: BertConfig;
  readonly bert: BertModel;

  protected constructor(config: Partial<BertConfig> & { num_labels?: number }, seed: number, addPoolingLayer: boolean) {
    super();
    this.config = bertConfig(config);
    this.bert = this.addModule("bert", new BertModel(this.config, new Rng(seed), { addPoolingLayer }));
  }

  /** The tied and buffer names HF files carry that are not parameters here. */
  protected static ignoredKeys = /(^|\.)position_ids$|^cls\.predictions\.decoder\.(weight|bias)$/;

  /** Writes config.json and model.safetensors with HF's names. */
  protected saveAs(dir: string, architecture: string): void {
    saveCheckpoint(dir, this, { ...this.config, architectures: [architecture] });
  }

  protected static configFrom(dir: string): Partial<BertConfig> {
    return readModelConfig(dir, ["bert"], BERT_DEFAULTS).config;
  }

  /**
   * The folder's config with a head's overrides, as HF's `from_pretrained(dir, num_labels=N)`: a new
   * num_labels replaces the saved id2label (LABEL_0 ... LABEL_N-1) unless id2label is given too.
   */
  protected static configWithLabels(dir: string, overrides: { num_labels?: number; id2label?: Record<string, string> }): Partial<BertConfig> & { num_labels?: number } {
    const saved = BertPreTrained.configFrom(dir);
    if (overrides.num_labels !== undefined && overrides.id2label === undefined) delete saved.id2label;
    return { ...saved, ...overrides };
  }

  /** Loads weights into `model`, adding the "bert." prefix of bare BertModel checkpoints. */
  protected static loadWeights(dir: string, model: BertPreTrained, strict: boolean): void {
    const ownNames = new Set(model.namedParameters().map(([n]) => n));
    loadWeights(dir, model, (name, t) => {
      if (BertPreTrained.ignoredKeys.test(name)) return null;
      const known = ownNames.has(name) || /^(bert|cls|classifier)\./.test(name);
      return [[known ? name : `bert.${name}`, t]];
    }, strict);
  }
}

/** `BertForMaskedLM`: encoder (no pooler) + transform (dense, act, LayerNorm) + decoder tied to the word embeddings. */
export class BertForMaskedLM extends BertPreTrained {
  readonly transformDense: Linear;
  readonly transformLayerNorm: LayerNorm;
  readonly decoderBias: tf.Variable;

  constructor(config: Partial<BertConfig> = {}, opts: { seed?: number } = {}) {
    super(config, opts.seed ?? 42, false);
    const rng = new Rng((opts.seed ?? 42) + 1);
    const h = this.config.hidden_size;
    this.transformDense = new Linear(h, h, rng, { std: this.config.initializer_range });
    this.transformLayerNorm = new LayerNorm(h, this.config.layer_norm_eps);
    const predictions = new Group();
    predictions.add("transform", new Group().add("dense", this.transformDense).add("LayerNorm", this.transformLayerNorm));
    this.decoderBias = predictions.addBias(this.config.vocab_size);
    this.addModule("cls", new Group()).add("predictions", predictions);
  }

  static async fromPretrained(idOrPath: string, opts: HubDownloadOptions = {}): Promise<BertForMaskedLM> {
    return BertForMaskedLM.fromFolder(await resolveCheckpoint(idOrPath, opts));
  }

  static fromFolder(dir: string): BertForMaskedLM {
    const model = new BertForMaskedLM(BertPreTrained.configFrom(dir));
    BertPreTrained.loadWeights(dir, model, true);
    return model;
  }

  /** logits [B, T, vocab]; with labels (-100 = not masked), the mean cross-entropy over masked tokens. */
  forward(inputs: BertInputs & { labels?: tf.Tensor2D }): BertModelOutput & { logits: tf.Tensor3D; loss?: tf.Scalar } {
    return tf.tidy(() => {
      const out = this.bert.forward(inputs);
      const [B, T, H] = out.lastHiddenState.shape;
      const V = this.config.vocab_size;
      const transformed = this.transformLayerNorm.forward(activation(this.config.hidden_act, this.transformDense.forward(out.lastHiddenState)));
      const flat = tf.reshape(transformed, [B * T, H]);
      const logits2d = tf.add(tf.matMul(flat, this.bert.embeddings.word_embeddings.weight, false, true), this.decoderBias) as tf.Tensor2D;
      const logits = tf.reshape(logits2d, [B, T, V]) as tf.Tensor3D;
      const loss = inputs.labels ? crossEntropy(logits2d, tf.reshape(inputs.labels, [-1]) as tf.Tensor1D) : undefined;
      return { ...out, logits, loss };
    });
  }

  savePretrained(dir: string): void {
    this.saveAs(dir, "BertForMaskedLM");
  }
}

/** `BertForSequenceClassification`: pooled [CLS] → dropout → linear to num_labels. */
export class BertForSequenceClassification extends BertPreTrained {
  readonly classifier: Linear;
  private readonly dropoutRng: Rng;

  constructor(config: Partial<BertConfig> & { num_labels?: number } = {}, opts: { seed?: number } = {}) {
    super(config, opts.seed ?? 42, true);
    const numLabels = Object.keys(this.config.id2label).length;
    this.classifier = this.addModule("classifier", new Linear(this.config.hidden_size, numLabels, new Rng((opts.seed ?? 42) + 1), { std: this.config.initializer_range }));
    this.dropoutRng = new Rng((opts.seed ?? 42) + 2);
  }

  /** Loads an HF folder; a checkpoint without a classifier (a bare encoder) gets a fresh head, as HF warns and does. */
  static async fromPretrained(idOrPath: string, overrides: { num_labels?: number; id2label?: Record<string, string> } = {}, opts: HubDownloadOptions = {}): Promise<BertForSequenceClassification> {
    return BertForSequenceClassification.fromFolder(await resolveCheckpoint(idOrPath, opts), overrides);
  }

  static fromFolder(dir: string, overrides: { num_labels?: number; id2label?: Record<string, string> } = {}): BertForSequenceClassification {
    const model = new BertForSequenceClassification(BertPreTrained.configWithLabels(dir, overrides));
    BertPreTrained.loadWeights(dir, model, false);
    return model;
  }

  /** logits [B, num_labels]; with labels [B], the mean cross-entropy. */
  forward(inputs: BertInputs & { labels?: tf.Tensor1D }): BertModelOutput & { logits: tf.Tensor2D; loss?: tf.Scalar } {
    return tf.tidy(() => {
      const out = this.bert.forward(inputs);
      const rate = this.config.classifier_dropout ?? this.config.hidden_dropout_prob;
      const logits = this.classifier.forward(dropout(out.poolerOutput!, rate, this.training, this.dropoutRng)) as tf.Tensor2D;
      return { ...out, logits, loss: inputs.labels ? crossEntropy(logits, inputs.labels) : undefined };
    });
  }

  savePretrained(dir: string): void {
    this.saveAs(dir, "BertForSequenceClassification");
  }
}

/** `BertForTokenClassification`: every token's hidden state → dropout → linear to num_labels. */
export class BertForTokenClassification extends BertPreTrained {
  readonly classifier: Linear;
  private readonly dropoutRng: Rng;

  constructor(config: Partial<BertConfig> & { num_labels?: number } = {}, opts: { seed?: number } = {}) {
    super(config, opts.seed ?? 42, false);
    const numLabels = Object.keys(this.config.id2label).length;
    this.classifier = this.addModule("classifier", new Linear(this.config.hidden_size, numLabels, new Rng((opts.seed ?? 42) + 1), { std: this.config.initializer_range }));
    this.dropoutRng = new Rng((opts.seed ?? 42) + 2);
  }

  static async fromPretrained(idOrPath: string, overrides: { num_labels?: number; id2label?: Record<string, string> } = {}, opts: HubDownloadOptions = {}): Promise<BertForTokenClassification> {
    return BertForTokenClassification.fromFolder(await resolveCheckpoint(idOrPath, opts), overrides);
  }

  static fromFolder(dir: string, overrides: { num_labels?: number; id2label?: Record<string, string> } = {}): BertForTokenClassification {
    const model = new BertForTokenClassification(BertPreTrained.configWithLabels(dir, overrides));
    BertPreTrained.loadWeights(dir, model, false);
    return model;
  }

  /** logits [B, T, num_labels]; with labels [B, T] (-100 ignored), the mean cross-entropy. */
  forward(inputs: BertInputs & { labels?: tf.Tensor2D }): BertModelOutput & { logits: tf.Tensor3D; loss?: tf.Scalar } {
    return tf.tidy(() => {
      const out = this.bert.forward(inputs);
      const rate = this.config.classifier_dropout ?? this.config.hidden_dropout_prob;
      const logits = this.classifier.forward(dropout(out.lastHiddenState, rate, this.training, this.dropoutRng)) as tf.Tensor3D;
      const [B, T, L] = logits.shape;
      const loss = inputs.labels ? crossEntropy(tf.reshape(logits, [B * T, L]) as tf.Tensor2D, tf.reshape(inputs.labels, [-1]) as tf.Tensor1D) : undefined;
      return { ...out, logits, loss };
    });
  }

  savePretrained(dir: string): void {
    this.saveAs(dir, "BertForTokenClassification");
  }
}

