/**
 * GPT-2 in tfjs, laid out as Hugging Face's `modeling_gpt2.py`: learned positions, pre-LayerNorm
 * decoder blocks with causal self-attention, and an LM head tied to the token embedding.
 */
import * as tf from "@tensorflow/tfjs-core";
import { Rng } from "../util/random";
import { causalLMLoss } from "../training/losses";
import { Activation, Conv1D, Embedding, LayerNorm, activation, attentionBias, dropout, mergeHeads, scaledDotProductAttention, splitHeads } from "./layers";
import { KVCache, LayerKV } from "./kv-cache";
import { BaseModelOutput, CausalLMOutput, ForwardOptions } from "./outputs";
import { Module } from "./module";
import { HubDownloadOptions } from "../hub/download";
import { buildFromConfig, checkConfig, loadWeights, readModelConfig, resolveCheckpoint, saveCheckpoint } from "./checkpoint";

/** The fields of HF's `GPT2Config` (config.json) that the architecture reads, with HF's defaults. */
export interface GPT2Config {
  model_type: "gpt2";
  vocab_size: number;
  n_positions: number;
  n_embd: number;
  n_layer: number;
  n_head: number;
  /** MLP width; null means 4 * n_embd. */
  n_inner: number | null;
  activation_function: Activation;
  resid_pdrop: number;
  embd_pdrop: number;
  attn_pdrop: number;
  layer_norm_epsilon: number;
  initializer_range: number;
  tie_word_embeddings: boolean;
  bos_token_id: number;
  eos_token_id: number;
}

export const GPT2_DEFAULTS: GPT2Config = {
  model_type: "gpt2",
  vocab_size: 50257,
  n_positions: 1024,
  n_embd: 768,
  n_layer: 12,
  n_head: 12,
  n_inner: null,
  activation_function: "gelu_new",
  resid_pdrop: 0.1,
  embd_pdrop: 0.1,
  attn_pdrop: 0.1,
  layer_norm_epsilon: 1e-5,
  initializer_range: 0.02,
  tie_word_embeddings: true,
  bos_token_id: 50256,
  eos_token_id: 50256,
};

export function gpt2Config(overrides: Partial<GPT2Config> = {}): GPT2Config {
  const config = { ...GPT2_DEFAULTS, ...overrides };
  const divisible = config.n_embd % config.n_head === 0 ? [] : [`n_embd (${config.n_embd}) must be divisible by n_head (${config.n_head})`];
  checkConfig("GPT-2", config, ["vocab_size", "n_positions", "n_embd", "n_layer", "n_head"], divisible);
  return config;
}

class GPT2Attention extends Module {
  readonly c_attn: Conv1D;
  readonly c_proj: Conv1D;

  constructor(private readonly config: GPT2Config, private readonly rng: Rng) {
    super();
    const d = config.n_embd;
    this.c_attn = this.addModule("c_attn", new Conv1D(d, 3 * d, rng, config.initializer_range));
    // GPT-2 scales residual projections by 1/sqrt(2 * n_layer) at init.
    this.c_proj = this.addModule("c_proj", new Conv1D(d, d, rng, config.initializer_range / Math.sqrt(2 * config.n_layer)));
  }

  /**
   * x: [B, T, C]; maskBias: additive, broadcastable to [B, H, T, past + T]; past: this layer's cache.
   * Returns the output, the attention probabilities and the keys/values of all positions.
   */
  forward(x: tf.Tensor3D, maskBias: tf.Tensor, past?: LayerKV): [tf.Tensor3D, tf.Tensor4D, LayerKV] {
    return tf.tidy(() => {
      const H = this.config.n_head;
      const [q, kNew, vNew] = tf.split(this.c_attn.forward(x), 3, -1).map((t) => splitHeads(t, H));
      const k = past ? (tf.concat([past.key, kNew], 2) as tf.Tensor4D) : kNew;
      const v = past ? (tf.concat([past.value, vNew], 2) as tf.Tensor4D) : vNew;
      const drop = { rate: this.config.attn_pdrop, training: this.training, rng: this.rng };
      const [heads, probs] = scaledDotProductAttention(q, k, v, maskBias, drop);
      const out = dropout(this.c_proj.forward(mergeHeads(heads)), this.config.resid_pdrop, this.training, this.rng) as tf.Tensor3D;
      return [out, probs, { key: k, value: v }] as [tf.Tensor3D, tf.Tensor4D, LayerKV];
    });
  }
}

class GPT2MLP extends Module {
  readonly c_fc: Conv1D;
  readonly c_proj: Conv1D;

  constructor(private readonly config: GPT2Config, private readonly rng: Rng) {
    super();
    const inner = config.n_inner ?? 4 * config.n_embd;
    this.c_fc = this.addModule("c_fc", new Conv1D(config.n_embd, inner, rng, config.initializer_range));
    this.c_proj = this.addModule("c_proj", new Conv1D(inner, config.n_embd, rng, config.initializer_range / Math.sqrt(2 * config.n_layer)));
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const h = activation(this.config.activation_function, this.c_fc.forward(x));
      return dropout(this.c_proj.forward(h), this.config.resid_pdrop, this.training, this.rng);
    });
  }
}

class GPT2Block extends Module {
  readonly ln_1: LayerNorm;
  readonly attn: GPT2Attention;
  readonly ln_2: LayerNorm;
  readonly mlp: GPT2MLP;

  constructor(config: GPT2Config, rng: Rng) {
    super();
    this.ln_1 = this.addModule("ln_1", new LayerNorm(config.n_embd, config.layer_norm_epsilon));
    this.attn = this.addModule("attn", new GPT2Attention(config, rng));
    this.ln_2 = this.addModule("ln_2", new LayerNorm(config.n_embd, config.layer_norm_epsilon));
    this.mlp = this.addModule("mlp", new GPT2MLP(config, rng));
  }

  forward(x: tf.Tensor3D, maskBias: tf.Tensor, past?: LayerKV): [tf.Tensor3D, tf.Tensor4D, LayerKV] {
    return tf.tidy(() => {
      const [attended, probs, present] = this.attn.forward(this.ln_1.forward(x) as tf.Tensor3D, maskBias, past);
      const h = tf.add(x, attended);
      return [tf.add(h, this.mlp.forward(this.ln_2.forward(h))) as tf.Tensor3D, probs, present] as [tf.Tensor3D, tf.Tensor4D, LayerKV];
    });
  }
}

/** `GPT2Model`: embeddings, the stack of blocks and the final LayerNorm; returns hidden states. */
export class GPT2Model extends Module {
  readonly wte: Embedding;
  readonly wpe: Embedding;
  readonly h: GPT2Block[];
  readonly ln_f: LayerNorm;

  constructor(readonly config: GPT2Config, private readonly rng: Rng) {
    super();
    this.wte = this.addModule("wte", new Embedding(config.vocab_size, config.n_embd, rng, config.initializer_range));
    this.wpe = this.addModule("wpe", new Embedding(config.n_positions, config.n_embd, rng, config.initializer_range));
    this.h = [];
    for (let i = 0; i < config.n_layer; i++) this.h.push(this.addModule(`h.${i}`, new GPT2Block(config, rng)));
    this.ln_f = this.addModule("ln_f", new LayerNorm(config.n_embd, config.layer_norm_epsilon));
  }

  forward(inputIds: tf.Tensor2D, opts: Omit<ForwardOptions, "labels"> = {}): BaseModelOutput {
    const [, T] = inputIds.shape;
    const past = opts.pastKeyValues;
    const pastLength = past && past.length > 0 ? past[0].key.shape[2] : 0;
    if (past && past.length !== this.h.length) throw new Error(`pastKeyValues has ${past.length} layers; the model has ${this.h.length}`);
    if (pastLength + T > this.config.n_positions) {
      throw new Error(`sequence length ${pastLength + T} exceeds the model's n_positions (${this.config.n_positions})`);
    }
    return tf.tidy(() => {
      const positions = opts.positionIds ?? tf.range(pastLength, pastLength + T, 1, "int32");
      const embedded = tf.add(this.wte.forward(inputIds), this.wpe.forward(positions));
      let x = dropout(embedded, this.config.embd_pdrop, this.training, this.rng) as tf.Tensor3D;
      // With a cache the mask covers past and new positions alike: [B, past + T].
      const maskBias = attentionBias(T, opts.attentionMask, pastLength);
      const hiddenStates: tf.Tensor3D[] = [];
      const attentions: tf.Tensor4D[] = [];
      const presents: KVCache = [];
      this.h.forEach((block, i) => {
        hiddenStates.push(x);
        const [out, probs, present] = block.forward(x, maskBias, past?.[i]);
        attentions.push(probs);
        presents.push(present);
        x = out;
      });
      const lastHiddenState = this.ln_f.forward(x) as tf.Tensor3D;
      hiddenStates.push(lastHiddenState);
      return {
        lastHiddenState,
        hiddenStates: opts.outputHiddenStates ? hiddenStates : undefined,
        attentions: opts.outputAttentions ? attentions : undefined,
        pastKeyValues: opts.useCache ? presents : undefined,
      };
    });
  }
}

/** `GPT2LMHeadModel`: GPT2Model plus a language-modelling head tied to `wte`. */
export class GPT2LMHeadModel extends Module {
  readonly config: GPT2Config;
  readonly transformer: GPT2Model;

  constructor(config: Partial<GPT2Config> = {}, opts: { seed?: number } = {}) {
    super();
    this.config = gpt2Config(config);
    if (!this.config.tie_word_embeddings) throw new Error("GPT-2 with an untied lm_head is not supported");
    this.transformer = this.addModule("transformer", new GPT2Model(this.config, new Rng(opts.seed ?? 42)));
  }

  /**
   * Loads a GPT-2 checkpoint folder (config.json + model.safetensors) saved by Python's transformers
   * or by `savePretrained`. Checkpoints of the bare GPT2Model (names without "transformer.", as the
   * hub's `gpt2`) load too; the causal-mask buffers old files carry are ignored.
   */
  static async fromPretrained(idOrPath: string, opts: HubDownloadOptions = {}): Promise<GPT2LMHeadModel> {
    return GPT2LMHeadModel.fromFolder(await resolveCheckpoint(idOrPath, opts));
  }

  /** `fromPretrained` for a local folder, synchronously. */
  static fromFolder(dir: string): GPT2LMHeadModel {
    const { config, file } = readModelConfig(dir, ["gpt2"], GPT2_DEFAULTS);
    const model = buildFromConfig(file, () => new GPT2LMHeadModel(config));
    loadWeights(dir, model, (name, t) =>
      // Mask buffers of old files and the tied head are not parameters.
      /\.attn\.(masked_)?bias$/.test(name) || name === "lm_head.weight" ? null : [[name.startsWith("transformer.") ? name : `transformer.${name}`, t]],
    );
    return model;
  }

  /** Writes config.json and model.safetensors with HF's names (the tied lm_head is left out, as HF does). */
  savePretrained(dir: string): void {
    saveCheckpoint(dir, this, { ...this.config, architectures: ["GPT2LMHeadModel"], n_ctx: this.config.n_positions });
  }

  forward(inputIds: tf.Tensor2D, opts: ForwardOptions = {}): CausalLMOutput {
    return tf.tidy(() => {
      const { lastHiddenState: hidden, hiddenStates, attentions, pastKeyValues } = this.transformer.forward(inputIds, opts);
      const [B, T, C] = hidden.shape;
      const logits = tf.reshape(
        tf.matMul(tf.reshape(hidden, [B * T, C]), this.transformer.wte.weight, false, true),
        [B, T, this.config.vocab_size],
      ) as tf.Tensor3D;
      const loss = opts.labels ? causalLMLoss(logits, opts.labels) : undefined;
      return { logits, loss, hiddenStates, attentions, pastKeyValues };
    });
  }
}
