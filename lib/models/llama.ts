/**
 * The Llama family in tfjs, laid out as Hugging Face's `modeling_llama.py`: RMSNorm, rotary position
 * embeddings (RoPE, `rope_theta`), grouped-query attention, a SwiGLU MLP and an untied LM head —
 * enough for TinyLlama. Phi-3 checkpoints load too: their fused `qkv_proj` / `gate_up_proj` weights
 * are split into Llama's projections.
 */
import * as tf from "@tensorflow/tfjs-core";
import { Rng } from "../util/random";
import { causalLMLoss } from "../training/losses";
import { HubDownloadOptions } from "../hub/download";
import { buildFromConfig, checkConfig, loadWeights, readModelConfig, resolveCheckpoint, saveCheckpoint } from "./checkpoint";
import { Activation, Embedding, Linear, activation, attentionBias, mergeHeads, scaledDotProductAttention, splitHeads } from "./layers";
import { KVCache, LayerKV } from "./kv-cache";
import { CausalLMOutput, ForwardOptions } from "./outputs";
import { Module, reprFloat } from "./module";
import { RopeParams, RopeScaling, applyRotary, ropeProblems, rotaryForPositions } from "./rope";

/** The fields of HF's `LlamaConfig` the architecture reads, with HF's defaults. */
export interface LlamaConfig {
  model_type: "llama" | "phi3";
  vocab_size: number;
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  /** Grouped-query attention: fewer key/value heads than query heads (null: as many). */
  num_key_value_heads: number | null;
  head_dim: number | null;
  hidden_act: Activation;
  max_position_embeddings: number;
  initializer_range: number;
  rms_norm_eps: number;
  rope_theta: number;
  /** Context extension (linear, dynamic, llama3, longrope); null for plain RoPE. */
  rope_scaling: RopeScaling | null;
  /** Phi-3's trained context before longrope extension. */
  original_max_position_embeddings: number | null;
  attention_bias: boolean;
  attention_dropout: number;
  mlp_bias: boolean;
  tie_word_embeddings: boolean;
  bos_token_id: number | null;
  eos_token_id: number | number[] | null;
  pad_token_id: number | null;
}

export const LLAMA_DEFAULTS: LlamaConfig = {
  model_type: "llama",
  vocab_size: 32000,
  hidden_size: 4096,
  intermediate_size: 11008,
  num_hidden_layers: 32,
  num_attention_heads: 32,
  num_key_value_heads: null,
  head_dim: null,
  hidden_act: "silu",
  max_position_embeddings: 2048,
  initializer_range: 0.02,
  rms_norm_eps: 1e-6,
  rope_theta: 10000,
  rope_scaling: null,
  original_max_position_embeddings: null,
  attention_bias: false,
  attention_dropout: 0,
  mlp_bias: false,
  tie_word_embeddings: false,
  bos_token_id: 1,
  eos_token_id: 2,
  pad_token_id: null,
};

export function llamaConfig(overrides: Partial<LlamaConfig> = {}): LlamaConfig {
  const config = { ...LLAMA_DEFAULTS, ...overrides };
  const problems: string[] = [];
  const kv = config.num_key_value_heads ?? config.num_attention_heads;
  if (config.num_attention_heads % kv !== 0) problems.push(`num_attention_heads (${config.num_attention_heads}) must be a multiple of num_key_value_heads (${kv})`);
  if (config.head_dim === null && config.hidden_size % config.num_attention_heads !== 0) {
    problems.push(`hidden_size (${config.hidden_size}) must be divisible by num_attention_heads (${config.num_attention_heads})`);
  }
  if ((config.head_dim ?? config.hidden_size / config.num_attention_heads) % 2 !== 0) problems.push("the head dimension must be even for RoPE");
  problems.push(...ropeProblems(ropeParams(config)));
  checkConfig("Llama", config, ["vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads", "max_position_embeddings"], problems);
  return config;
}

const headDim = (c: LlamaConfig) => c.head_dim ?? c.hidden_size / c.num_attention_heads;

/** The RoPE setup a Llama / Phi-3 config asks for. */
export function ropeParams(c: LlamaConfig): RopeParams {
  return {
    dim: headDim(c),
    theta: c.rope_theta,
    maxPositionEmbeddings: c.max_position_embeddings,
    originalMaxPositionEmbeddings: c.original_max_position_embeddings,
    scaling: c.rope_scaling,
  };
}

/** `LlamaRMSNorm`: x / sqrt(mean(x²) + eps) * weight, no mean subtraction and no bias. */
export class RMSNorm extends Module {
  readonly weight: tf.Variable;

  constructor(dim: number, readonly eps: number) {
    super();
    this.weight = this.addParameter("weight", tf.ones([dim]));
  }

  protected override extraRepr(): string {
    return `(${this.weight.shape[0]},), eps=${reprFloat(this.eps)}`;
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => tf.mul(tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), this.eps))), this.weight));
  }
}

/** [B, kvH, T, D] -> [B, kvH * nRep, T, D], each key/value head repeated for its query group. */
function repeatKv(x: tf.Tensor4D, nRep: number): tf.Tensor4D {
  if (nRep === 1) return x;
  const [B, kvH, T, D] = x.shape;
  // Rank 4, not 5: tfjs has no gradient for a rank-5 tile. Query head j*nRep + r reads key/value head j, as HF's repeat_kv.
  return tf.reshape(tf.tile(tf.reshape(x, [B, kvH, 1, T * D]), [1, 1, nRep, 1]), [B, kvH * nRep, T, D]) as tf.Tensor4D;
}

class LlamaAttention extends Module {
  readonly q_proj: Linear;
  readonly k_proj: Linear;
  readonly v_proj: Linear;
  readonly o_proj: Linear;

  constructor(private readonly config: LlamaConfig, private readonly rng: Rng) {
    super();
    const h = config.hidden_size;
    const d = headDim(config);
    const kvHeads = config.num_key_value_heads ?? config.num_attention_heads;
    const opts = { bias: config.attention_bias, std: config.initializer_range };
    this.q_proj = this.addModule("q_proj", new Linear(h, config.num_attention_heads * d, rng, opts));
    this.k_proj = this.addModule("k_proj", new Linear(h, kvHeads * d, rng, opts));
    this.v_proj = this.addModule("v_proj", new Linear(h, kvHeads * d, rng, opts));
    this.o_proj = this.addModule("o_proj", new Linear(config.num_attention_heads * d, h, rng, opts));
  }

  forward(x: tf.Tensor3D, cos: tf.Tensor4D, sin: tf.Tensor4D, maskBias: tf.Tensor, past?: LayerKV): [tf.Tensor3D, tf.Tensor4D, LayerKV] {
    return tf.tidy(() => {
      const H = this.config.num_attention_heads;
      const kvH = this.config.num_key_value_heads ?? H;
      const q = applyRotary(splitHeads(this.q_proj.forward(x), H), cos, sin);
      const kNew = applyRotary(splitHeads(this.k_proj.forward(x), kvH), cos, sin);
      const vNew = splitHeads(this.v_proj.forward(x), kvH);
      // The cache holds keys after rotation and before the GQA repeat, as HF's.
      const k = past ? (tf.concat([past.key, kNew], 2) as tf.Tensor4D) : kNew;
      const v = past ? (tf.concat([past.value, vNew], 2) as tf.Tensor4D) : vNew;
      const drop = { rate: this.config.attention_dropout, training: this.training, rng: this.rng };
      const [heads, probs] = scaledDotProductAttention(q, repeatKv(k, H / kvH), repeatKv(v, H / kvH), maskBias, drop);
      return [this.o_proj.forward(mergeHeads(heads)) as tf.Tensor3D, probs, { key: k, value: v }] as [tf.Tensor3D, tf.Tensor4D, LayerKV];
    });
  }
}

/** SwiGLU: down(act(gate(x)) * up(x)). */
class LlamaMLP extends Module {
  readonly gate_proj: Linear;
  readonly up_proj: Linear;
  readonly down_proj: Linear;

  constructor(private readonly config: LlamaConfig, rng: Rng) {
    super();
    const opts = { bias: config.mlp_bias, std: config.initializer_range };
    this.gate_proj = this.addModule("gate_proj", new Linear(config.hidden_size, config.intermediate_size, rng, opts));
    this.up_proj = this.addModule("up_proj", new Linear(config.hidden_size, config.intermediate_size, rng, opts));
    this.down_proj = this.addModule("down_proj", new Linear(config.intermediate_size, config.hidden_size, rng, opts));
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.down_proj.forward(tf.mul(activation(this.config.hidden_act, this.gate_proj.forward(x)), this.up_proj.forward(x))));
  }
}

class LlamaDecoderLayer extends Module {
  readonly self_attn: LlamaAttention;
  readonly mlp: LlamaMLP;
  readonly input_layernorm: RMSNorm;
  readonly post_attention_layernorm: RMSNorm;

  constructor(config: LlamaConfig, rng: Rng) {
    super();
    this.self_attn = this.addModule("self_attn", new LlamaAttention(config, rng));
    this.mlp = this.addModule("mlp", new LlamaMLP(config, rng));
    this.input_layernorm = this.addModule("input_layernorm", new RMSNorm(config.hidden_size, config.rms_norm_eps));
    this.post_attention_layernorm = this.addModule("post_attention_layernorm", new RMSNorm(config.hidden_size, config.rms_norm_eps));
  }

  forward(x: tf.Tensor3D, cos: tf.Tensor4D, sin: tf.Tensor4D, maskBias: tf.Tensor, past?: LayerKV): [tf.Tensor3D, tf.Tensor4D, LayerKV] {
    return tf.tidy(() => {
      const [attended, probs, present] = this.self_attn.forward(this.input_layernorm.forward(x) as tf.Tensor3D, cos, sin, maskBias, past);
      const h = tf.add(x, attended);
      return [tf.add(h, this.mlp.forward(this.post_attention_layernorm.forward(h))) as tf.Tensor3D, probs, present] as [tf.Tensor3D, tf.Tensor4D, LayerKV];
    });
  }
}

/** `LlamaModel`: token embeddings, the decoder layers and the final RMSNorm. */
export class LlamaModel extends Module {
  readonly embed_tokens: Embedding;
  readonly layers: LlamaDecoderLayer[] = [];
  readonly norm: RMSNorm;

  constructor(readonly config: LlamaConfig, rng: Rng) {
    super();
    this.embed_tokens = this.addModule("embed_tokens", new Embedding(config.vocab_size, config.hidden_size, rng, config.initializer_range));
    for (let i = 0; i < config.num_hidden_layers; i++) this.layers.push(this.addModule(`layers.${i}`, new LlamaDecoderLayer(config, rng)));
    this.norm = this.addModule("norm", new RMSNorm(config.hidden_size, config.rms_norm_eps));
  }

  forward(inputIds: tf.Tensor2D, opts: ForwardOptions = {}): { lastHiddenState: tf.Tensor3D; hiddenStates: tf.Tensor3D[]; attentions: tf.Tensor4D[]; presents: KVCache } {
    const [B, T] = inputIds.shape;
    const past = opts.pastKeyValues;
    const pastLength = past && past.length > 0 ? past[0].key.shape[2] : 0;
    if (past && past.length !== this.layers.length) throw new Error(`pastKeyValues has ${past.length} layers; the model has ${this.layers.length}`);
    return tf.tidy(() => {
      const positions = opts.positionIds ?? (tf.tile(tf.reshape(tf.range(pastLength, pastLength + T, 1, "int32"), [1, T]), [B, 1]) as tf.Tensor2D);
      const [cos, sin] = rotaryForPositions(positions, ropeParams(this.config));
      const maskBias = attentionBias(T, opts.attentionMask, pastLength);
      let x = this.embed_tokens.forward(inputIds) as tf.Tensor3D;
      const hiddenStates: tf.Tensor3D[] = [];
      const attentions: tf.Tensor4D[] = [];
      const presents: KVCache = [];
      this.layers.forEach((layer, i) => {
        hiddenStates.push(x);
        const [out, probs, present] = layer.forward(x, cos, sin, maskBias, past?.[i]);
        attentions.push(probs);
        presents.push(present);
        x = out;
      });
      const lastHiddenState = this.norm.forward(x) as tf.Tensor3D;
      hiddenStates.push(lastHiddenState);
      return { lastHiddenState, hiddenStates, attentions, presents };
    });
  }
}

/** `LlamaForCausalLM` (and Phi-3 loaded into the same shape). */
export class LlamaForCausalLM extends Module {
  readonly config: LlamaConfig;
  readonly model: LlamaModel;
  readonly lm_head: Linear | null;

  constructor(config: Partial<LlamaConfig> = {}, opts: { seed?: number } = {}) {
    super();
    this.config = llamaConfig(config);
    const rng = new Rng(opts.seed ?? 42);
    this.model = this.addModule("model", new LlamaModel(this.config, rng));
    this.lm_head = this.config.tie_word_embeddings
      ? null
      : this.addModule("lm_head", new Linear(this.config.hidden_size, this.config.vocab_size, rng, { bias: false, std: this.config.initializer_range }));
  }

  forward(inputIds: tf.Tensor2D, opts: ForwardOptions = {}): CausalLMOutput {
    return tf.tidy(() => {
      const out = this.model.forward(inputIds, opts);
      const [B, T, H] = out.lastHiddenState.shape;
      const V = this.config.vocab_size;
      const flat = tf.reshape(out.lastHiddenState, [B * T, H]);
      const logits2d = this.lm_head ? this.lm_head.forward(flat) : tf.matMul(flat, this.model.embed_tokens.weight, false, true);
      const logits = tf.reshape(logits2d, [B, T, V]) as tf.Tensor3D;
      return {
        logits,
        loss: opts.labels ? causalLMLoss(logits, opts.labels) : undefined,
        hiddenStates: opts.outputHiddenStates ? out.hiddenStates : undefined,
        attentions: opts.outputAttentions ? out.attentions : undefined,
        pastKeyValues: opts.useCache ? out.presents : undefined,
      };
    });
  }

  /**
   * Loads a Llama or Phi-3 folder (config.json + safetensors). Phi-3's fused projections are split:
   * qkv_proj rows are [q; k; v], gate_up_proj rows are [gate; up].
   */
  static async fromPretrained(idOrPath: string, opts: HubDownloadOptions = {}): Promise<LlamaForCausalLM> {
    return LlamaForCausalLM.fromFolder(await resolveCheckpoint(idOrPath, opts));
  }

  /** `fromPretrained` for a local folder, synchronously. */
  static fromFolder(dir: string): LlamaForCausalLM {
    const { config, raw, file } = readModelConfig(dir, ["llama", "phi3"], LLAMA_DEFAULTS);
    if (raw.partial_rotary_factor !== undefined && raw.partial_rotary_factor !== 1) {
      throw new Error(`${file}: partial_rotary_factor ${raw.partial_rotary_factor} is not supported (RoPE over the whole head only)`);
    }
    const model = buildFromConfig(file, () => new LlamaForCausalLM(config));
    const c = model.config;
    const d = headDim(c);
    const kvRows = (c.num_key_value_heads ?? c.num_attention_heads) * d;
    loadWeights(dir, model, (name, t) => {
      if (/rotary_emb\.inv_freq$/.test(name) || (c.tie_word_embeddings && name === "lm_head.weight")) return null;
      if (name.endsWith("self_attn.qkv_proj.weight")) {
        const [q, k, v] = tf.split(t, [c.num_attention_heads * d, kvRows, kvRows], 0);
        const base = name.replace("qkv_proj.weight", "");
        return [[`${base}q_proj.weight`, q], [`${base}k_proj.weight`, k], [`${base}v_proj.weight`, v]];
      }
      if (name.endsWith("mlp.gate_up_proj.weight")) {
        const [gate, up] = tf.split(t, 2, 0);
        const base = name.replace("gate_up_proj.weight", "");
        return [[`${base}gate_proj.weight`, gate], [`${base}up_proj.weight`, up]];
      }
      return [[name, t]];
    });
    return model;
  }

  /** Writes config.json and model.safetensors in Llama's layout. */
  savePretrained(dir: string): void {
    saveCheckpoint(dir, this, { ...this.config, model_type: "llama", architectures: ["LlamaForCausalLM"] });
  }
}
