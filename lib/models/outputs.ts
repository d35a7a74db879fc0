import * as tf from "@tensorflow/tfjs-core";
import { KVCache } from "./kv-cache";

/** Options of a causal LM's forward pass (GPT-2, Llama), named after HF's arguments. */
export interface ForwardOptions {
  /** 1 for real tokens, 0 for padding, shape [batch, seq]. */
  attentionMask?: tf.Tensor2D;
  /** Positions [batch, seq]; default 0..seq-1 (left-padded batches pass their own, as HF's generate does). */
  positionIds?: tf.Tensor2D;
  /** Targets as in HF: the model shifts them left by one; -100 is ignored. */
  labels?: tf.Tensor2D;
  /** Return the input of every block and the final normalised output (n_layer + 1 tensors), as HF. */
  outputHiddenStates?: boolean;
  /** Return every layer's attention probabilities [batch, heads, seq, past + seq]. */
  outputAttentions?: boolean;
  /** Keys and values of earlier positions (from a previous call's `pastKeyValues`). */
  pastKeyValues?: KVCache;
  /** Return the keys and values of all positions so far, for the next call. */
  useCache?: boolean;
}



export interface BaseModelOutput {
  lastHiddenState: tf.Tensor3D;
  hiddenStates?: tf.Tensor3D[];
  attentions?: tf.Tensor4D[];
  pastKeyValues?: KVCache;
}

export interface CausalLMOutput {
  logits: tf.Tensor3D;
  loss?: tf.Scalar;
  hiddenStates?: tf.Tensor3D[];
  attentions?: tf.Tensor4D[];
  pastKeyValues?: KVCache;
}
