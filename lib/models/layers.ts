/**
 * Small building blocks shared by the architectures (BERT, GPT-2, Llama), each named and shaped as
 * in PyTorch / Hugging Face so that checkpoints load without renaming.
 */
import * as tf from "@tensorflow/tfjs-core";
import { Rng } from "../util/random";
import { Module, reprFloat } from "./module";

/** Applies a rank-2 matmul to the last axis of any-rank input: [..., in] x [in, out] -> [..., out]. */
function matmulLastAxis(x: tf.Tensor, weight: tf.Tensor2D, transposeWeight: boolean): tf.Tensor {
  const inFeatures = x.shape[x.shape.length - 1];
  const outFeatures = transposeWeight ? weight.shape[0] : weight.shape[1];
  const y = tf.matMul(tf.reshape(x, [-1, inFeatures]), weight, false, transposeWeight);
  return tf.reshape(y, [...x.shape.slice(0, -1), outFeatures]);
}

/**
 * Something added to a Linear / Conv1D layer's output, computed from the layer's input (a LoRA
 * adapter's scaling · B A x, see finetuning/lora.ts); it returns null while it adds nothing.
 */
export interface LayerAdapter {
  forward(x: tf.Tensor): tf.Tensor | null;
}

/** y + adapter(x) when an adapter is attached and active, else y. */
function withAdapter(y: tf.Tensor, x: tf.Tensor, adapter: LayerAdapter | null): tf.Tensor {
  const extra = adapter ? adapter.forward(x) : null;
  return extra ? tf.add(y, extra) : y;
}

/** `nn.Embedding`: weight [numEmbeddings, dim], initialised N(0, std). */
export class Embedding extends Module {
  readonly weight: tf.Variable;

  constructor(numEmbeddings: number, dim: number, rng: Rng, std = 0.02) {
    super();
    this.weight = this.addParameter("weight", tf.randomNormal([numEmbeddings, dim], 0, std, "float32", rng.seed()));
  }

  forward(ids: tf.Tensor): tf.Tensor {
    return tf.gather(this.weight, tf.cast(ids, "int32"));
  }

  protected override extraRepr(): string {
    return `${this.weight.shape[0]}, ${this.weight.shape[1]}`;
  }
}

/** `nn.LayerNorm` over the last axis, with the biased variance PyTorch uses. */
export class LayerNorm extends Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;

  constructor(dim: number, readonly eps = 1e-5) {
    super();
    this.weight = this.addParameter("weight", tf.ones([dim]));
    this.bias = this.addParameter("bias", tf.zeros([dim]));
  }

  protected override extraRepr(): string {
    return `(${this.weight.shape[0]},), eps=${reprFloat(this.eps)}, elementwise_affine=True`;
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const { mean, variance } = tf.moments(x, -1, true);
      const normed = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, this.eps)));
      return tf.add(tf.mul(normed, this.weight), this.bias);
    });
  }
}

/** `nn.Linear`: weight [out, in] (PyTorch layout), y = x W^T + b. */
export class Linear extends Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | null;
  /** Added to the output when set (LoRA); null for the plain layer. */
  adapter: LayerAdapter | null = null;

  constructor(inFeatures: number, outFeatures: number, rng: Rng, opts: { bias?: boolean; std?: number } = {}) {
    super();
    const std = opts.std ?? 0.02;
    this.weight = this.addParameter("weight", tf.randomNormal([outFeatures, inFeatures], 0, std, "float32", rng.seed()));
    this.bias = opts.bias === false ? null : this.addParameter("bias", tf.zeros([outFeatures]));
  }

  protected override extraRepr(): string {
    return `in_features=${this.weight.shape[1]}, out_features=${this.weight.shape[0]}, bias=${this.bias ? "True" : "False"}`;
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const y = matmulLastAxis(x, this.weight as tf.Tensor2D, true);
      return withAdapter(this.bias ? tf.add(y, this.bias) : y, x, this.adapter);
    });
  }
}

/**
 * GPT-2's `Conv1D`: a linear layer whose weight is stored transposed, [in, out], y = x W + b.
 * Kept as its own class so GPT-2 checkpoints load as they are.
 */
export class Conv1D extends Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;
  /** Added to the output when set (LoRA); null for the plain layer. */
  adapter: LayerAdapter | null = null;

  constructor(inFeatures: number, outFeatures: number, rng: Rng, std = 0.02) {
    super();
    this.weight = this.addParameter("weight", tf.randomNormal([inFeatures, outFeatures], 0, std, "float32", rng.seed()));
    this.bias = this.addParameter("bias", tf.zeros([outFeatures]));
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => withAdapter(tf.add(matmulLastAxis(x, this.weight as tf.Tensor2D, false), this.bias), x, this.adapter));
  }

  protected override extraRepr(): string {
    return `nf=${this.weight.shape[1]}, nx=${this.weight.shape[0]}`;
  }
}

/** The activations named by HF configs (`activation_function`, `hidden_act`). */
export type Activation = "gelu" | "gelu_new" | "gelu_pytorch_tanh" | "relu" | "silu" | "swish";

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

export function activation(name: Activation, x: tf.Tensor): tf.Tensor {
  switch (name) {
    case "gelu_new":
    case "gelu_pytorch_tanh":
      // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), GPT-2's approximation.
      // Written as x * sigmoid(2 * inner), since 0.5 (1 + tanh(u)) = sigmoid(2u): on wasm, Sigmoid is
      // vectorised and ~15x faster than Tanh; x * x * x likewise beats pow(x, 3).
      return tf.tidy(() => {
        const inner = tf.mul(tf.add(x, tf.mul(tf.mul(tf.mul(x, x), x), 0.044715)), 2 * SQRT_2_OVER_PI);
        return tf.mul(x, tf.sigmoid(inner));
      });
    case "gelu":
      // The exact erf form, as torch.nn.functional.gelu.
      return tf.tidy(() => tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1)));
    case "relu":
      return tf.relu(x);
    case "silu":
    case "swish":
      return tf.tidy(() => tf.mul(x, tf.sigmoid(x)));
    default:
      throw new Error(`unknown activation function '${name as string}'`);
  }
}

/** Dropout that is the identity outside training, as `nn.Dropout` in eval mode. */
export function dropout(x: tf.Tensor, rate: number, training: boolean, rng: Rng): tf.Tensor {
  return training && rate > 0 ? tf.dropout(x, rate, undefined, rng.seed()) : x;
}

/** [B, T, H * D] -> [B, H, T, D]. */
export function splitHeads(x: tf.Tensor, heads: number): tf.Tensor4D {
  const [B, T, C] = x.shape;
  return tf.transpose(tf.reshape(x, [B, T, heads, C / heads]), [0, 2, 1, 3]) as tf.Tensor4D;
}

/** [B, H, T, D] -> [B, T, H * D]. */
export function mergeHeads(x: tf.Tensor): tf.Tensor3D {
  const [B, H, T, D] = x.shape;
  return tf.reshape(tf.transpose(x, [0, 2, 1, 3]), [B, T, H * D]) as tf.Tensor3D;
}

/**
 * softmax(q kᵀ / sqrt(d) + maskBias) v over heads [B, H, T, D]; dropout on the probabilities in
 * training, as HF's eager attention. Returns the attended values and the probabilities (pre-dropout).
 */
export function scaledDotProductAttention(
  q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, maskBias: tf.Tensor | null,
  drop: { rate: number; training: boolean; rng: Rng },
): [tf.Tensor4D, tf.Tensor4D] {
  return tf.tidy(() => {
    const scaled = tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(q.shape[3]));
    const probs = tf.softmax(maskBias ? tf.add(scaled, maskBias) : scaled, -1) as tf.Tensor4D;
    const attended = tf.matMul(dropout(probs, drop.rate, drop.training, drop.rng), v) as tf.Tensor4D;
    return [attended, probs] as [tf.Tensor4D, tf.Tensor4D];
  });
}

/** float32's lowest value: HF's `torch.finfo(dtype).min` mask value. */
export const MASK_VALUE = -3.4028234663852886e38;

/**
 * Additive attention bias: 0 where a query may attend, float32's lowest value where it may not
 * (future positions, and padding when a mask is given), as HF's eager attention. A query that may
 * attend nowhere (a left-padding position) then gets uniform attention, exactly as in HF.
 * With `pastLength` cached positions, query i (position past + i) sees keys 0..past + i.
 * Shape [1|B, 1, T, past + T]; an attention mask, when given, is [B, past + T].
 */
export function attentionBias(T: number, attentionMask?: tf.Tensor2D, pastLength = 0): tf.Tensor {
  const S = pastLength + T;
  if (attentionMask && attentionMask.shape[1] !== S) {
    throw new Error(`attentionMask covers ${attentionMask.shape[1]} positions; expected ${S} (past ${pastLength} + new ${T})`);
  }
  return tf.tidy(() => {
    // Row i keeps columns j <= pastLength + i: a band of the [S, S] lower triangle's last T rows.
    const causal = tf.slice(tf.linalg.bandPart(tf.ones([S, S]), -1, 0), [pastLength, 0], [T, S]);
    let allowed: tf.Tensor = tf.reshape(causal, [1, 1, T, S]);
    if (attentionMask) {
      const [B] = attentionMask.shape;
      allowed = tf.mul(allowed, tf.reshape(tf.cast(attentionMask, "float32"), [B, 1, 1, S]));
    }
    return tf.mul(tf.sub(1, allowed), MASK_VALUE);
  });
}
