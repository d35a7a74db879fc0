import * as tf from "@tensorflow/tfjs-core";

/** One layer's cached keys and values, each [batch, heads, positions, head_dim]. */
export type LayerKV = { key: tf.Tensor4D; value: tf.Tensor4D };

/** The KV cache: one entry per layer (HF's `past_key_values`). */
export type KVCache = LayerKV[];

/** Frees every tensor of a cache. */
export function disposeCache(cache: KVCache | undefined): void {
  if (cache) for (const { key, value } of cache) tf.dispose([key, value]);
}
