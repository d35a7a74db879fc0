/**
 * Autoregressive generation as HF's `generate`: greedy or sampled, repetition penalty, EOS and
 * custom stopping, streaming, left-padded batches, and a KV cache (on by default) so each step
 * feeds one new token instead of the whole sequence.
 */
import * as tf from "@tensorflow/tfjs-core";
import { KVCache, disposeCache } from "../models/kv-cache";
import { Rng } from "../util/random";
import { SamplingOptions, sampleNextToken } from "./sampling";

/** What generation needs from a model: next-token logits, optionally with a KV cache. */
export interface CausalLM {
  readonly config: { n_positions?: number; max_position_embeddings?: number; vocab_size: number };
  forward(
    inputIds: tf.Tensor2D,
    opts?: { attentionMask?: tf.Tensor2D; positionIds?: tf.Tensor2D; pastKeyValues?: KVCache; useCache?: boolean },
  ): { logits: tf.Tensor3D; pastKeyValues?: KVCache };
}

export interface GenerateOptions extends SamplingOptions {
  /** HF default: 20. */
  maxNewTokens?: number;
  /** Generation of a sequence stops after any of these ids (it is kept in the output). */
  eosTokenId?: number | number[];
  /** Fills the left padding of a batch and the slots of finished sequences (default: the first EOS id, else 0). */
  padTokenId?: number;
  /** > 1 discourages tokens already in the sequence (HF's `repetition_penalty`, CTRL paper). 1 = off. */
  repetitionPenalty?: number;
  /** Reuse keys and values of earlier positions (default true). */
  useCache?: boolean;
  seed?: number;
  /** Called with each new token id as soon as it is chosen (streaming), and its row in the batch. */
  onToken?: (id: number, row: number) => void;
  /** Called after each new token with the row's ids so far (prompt included); true stops that row. */
  stoppingCriteria?: (ids: number[], row: number) => boolean;
  /**
   * Rewrites a row's next-token logits before sampling (after the repetition penalty, before
   * temperature / top-k / top-p), as HF's `logits_processor`: gets the row's ids so far (prompt
   * included), its logits and its row; returns the logits to sample from (-Infinity bans a token).
   */
  logitsProcessor?: (ids: number[], logits: number[], row: number) => number[];
}

/** One sequence: returns the prompt ids followed by the new ids, as HF's `generate`. */
export function generate(model: CausalLM, promptIds: number[], opts: GenerateOptions = {}): number[] {
  return generateBatch(model, [promptIds], opts)[0];
}

/**
 * Several prompts at once, left-padded to a common length (with position ids counted from each
 * row's first real token, as HF). Returns each row's prompt + new ids, without padding.
 */
export function generateBatch(model: CausalLM, prompts: number[][], opts: GenerateOptions = {}): number[][] {
  if (prompts.length === 0) throw new Error("generate: no prompts");
  prompts.forEach((p, i) => {
    if (p.length === 0) throw new Error(`generate: prompt ${i} is empty`);
  });
  const maxNewTokens = opts.maxNewTokens ?? 20;
  const contextSize = model.config.n_positions ?? model.config.max_position_embeddings ?? Infinity;
  const eos = new Set(opts.eosTokenId === undefined ? [] : ([] as number[]).concat(opts.eosTokenId));
  const pad = opts.padTokenId ?? (eos.size > 0 ? [...eos][0] : 0);
  const penalty = opts.repetitionPenalty ?? 1;
  const useCache = opts.useCache !== false;
  const rng = new Rng(opts.seed ?? 42);
  const B = prompts.length;

  const ids = prompts.map((p) => [...p]);
  const width = Math.max(...prompts.map((p) => p.length));
  // The padded batch the model sees: left padding, mask 0 there.
  const tokens = prompts.map((p) => [...new Array<number>(width - p.length).fill(pad), ...p]);
  const mask = prompts.map((p) => [...new Array<number>(width - p.length).fill(0), ...new Array<number>(p.length).fill(1)]);
  const done = new Array<boolean>(B).fill(false);
  let cache: KVCache | undefined;

  try {
    for (let step = 0; step < maxNewTokens && done.some((d) => !d); step++) {
      const total = tokens[0].length;
      // The cache holds every position but the newest while the sequence fits the context;
      // past it, the window slides and each step re-reads the last `contextSize` tokens.
      const cached = cache !== undefined && total <= contextSize;
      const start = cached ? total - 1 : Math.max(0, total - contextSize);
      const maskStart = cached ? 0 : start;
      const { last, present } = tf.tidy(() => {
        const windowMask = mask.map((row) => row.slice(maskStart));
        const positions = windowMask.map((row) => positionIds(row).slice(start - maskStart));
        const out = model.forward(tf.tensor2d(tokens.map((row) => row.slice(start)), undefined, "int32"), {
          attentionMask: tf.tensor2d(windowMask, undefined, "int32"),
          positionIds: tf.tensor2d(positions, undefined, "int32"),
          pastKeyValues: cached ? cache : undefined,
          useCache: useCache && total < contextSize,
        });
        const T = out.logits.shape[1];
        return { last: tf.reshape(tf.slice(out.logits, [0, T - 1, 0], [B, 1, -1]), [B, -1]), present: out.pastKeyValues };
      });
      disposeCache(cache);
      cache = present;
      const rows = last.arraySync() as number[][];
      last.dispose();
      for (let b = 0; b < B; b++) {
        let next = pad;
        if (!done[b]) {
          let logits = penalty === 1 ? rows[b] : applyRepetitionPenalty(rows[b], ids[b], penalty);
          if (opts.logitsProcessor) logits = opts.logitsProcessor(ids[b], logits, b);
          next = sampleNextToken(logits, opts, rng);
          ids[b].push(next);
          opts.onToken?.(next, b);
          if (eos.has(next) || opts.stoppingCriteria?.(ids[b], b)) done[b] = true;
        }
        tokens[b].push(next);
        mask[b].push(1);
      }
    }
  } finally {
    disposeCache(cache);
  }
  return ids;
}

/** HF's position ids for a left-padded row: count of real tokens so far minus one; 1 at padding. */
function positionIds(maskRow: number[]): number[] {
  let seen = 0;
  return maskRow.map((m) => (m ? seen++ : 1));
}

/** Divides positive (multiplies negative) logits of tokens already present, as HF's processor. */
export function applyRepetitionPenalty(logits: number[], previous: number[], penalty: number): number[] {
  if (!(penalty > 0)) throw new Error(`repetitionPenalty must be > 0 (got ${penalty})`);
  const out = [...logits];
  for (const id of new Set(previous)) out[id] = out[id] < 0 ? out[id] * penalty : out[id] / penalty;
  return out;
}
