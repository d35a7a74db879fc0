import * as tf from "@tensorflow/tfjs-core";
import { Rng } from "../util/random";
import { SamplingOptions, sampleNextToken } from "./sampling";

/** What generation needs from a model: next-token logits for a batch of id sequences. */
export interface CausalLM {
  readonly config: { n_positions?: number; max_position_embeddings?: number; vocab_size: number };
  forward(inputIds: tf.Tensor2D): { logits: tf.Tensor3D };
}

export interface GenerateOptions extends SamplingOptions {
  maxNewTokens?: number;
  /** Generation stops after any of these ids is produced (it is kept in the output). */
  eosTokenId?: number | number[];
  seed?: number;
  /** Called with each new token id as soon as it is chosen (for streaming). */
  onToken?: (id: number) => void;
}

/**
 * Autoregressive generation for one sequence: feeds the whole (cropped) context each step.
 * Returns prompt ids followed by the new ids, as HF's `generate` does.
 */
export function generate(model: CausalLM, promptIds: number[], opts: GenerateOptions = {}): number[] {
  const maxNewTokens = opts.maxNewTokens ?? 20;
  const contextSize = model.config.n_positions ?? model.config.max_position_embeddings ?? Infinity;
  const eos = new Set(opts.eosTokenId === undefined ? [] : ([] as number[]).concat(opts.eosTokenId));
  const rng = new Rng(opts.seed ?? 42);
  const ids = [...promptIds];
  if (ids.length === 0) throw new Error("generate: the prompt is empty");
  for (let step = 0; step < maxNewTokens; step++) {
    const context = ids.slice(-contextSize);
    const lastLogits = tf.tidy(() => {
      const { logits } = model.forward(tf.tensor2d([context], [1, context.length], "int32"));
      return tf.slice(logits, [0, context.length - 1, 0], [1, 1, -1]);
    });
    const row = lastLogits.dataSync();
    lastLogits.dispose();
    const next = sampleNextToken(row, opts, rng);
    ids.push(next);
    opts.onToken?.(next);
    if (eos.has(next)) break;
  }
  return ids;
}
