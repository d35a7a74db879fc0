/**
 * Choosing the next token from a row of logits, with the knobs of HF's `generate`: greedy,
 * temperature, top-k and top-p (nucleus), applied in HF's order (temperature, then top-k, then top-p).
 */
import { Rng } from "../util/random";

export interface SamplingOptions {
  /** false = greedy (HF's default `do_sample=False`). */
  doSample?: boolean;
  temperature?: number;
  /** Keep the k most likely tokens; 0 disables (HF default 50). */
  topK?: number;
  /** Keep the smallest set of tokens whose probability reaches p; 1 disables. */
  topP?: number;
}

export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/** Probabilities after temperature, top-k and top-p, as a dense array (zeros for filtered tokens). */
export function samplingDistribution(logits: ArrayLike<number>, opts: SamplingOptions = {}): Float64Array {
  const temperature = opts.temperature ?? 1;
  const topK = opts.topK ?? 50;
  const topP = opts.topP ?? 1;
  if (!(temperature > 0)) throw new Error(`temperature must be > 0 when sampling (got ${temperature}); use doSample: false for greedy`);
  if (!(topP > 0 && topP <= 1)) throw new Error(`topP must be in (0, 1] (got ${topP})`);
  const n = logits.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => logits[b] - logits[a]);
  const keep = topK > 0 ? Math.min(topK, n) : n;
  const max = logits[order[0]] / temperature;
  const probs = new Float64Array(n);
  let total = 0;
  for (let r = 0; r < keep; r++) {
    const i = order[r];
    probs[i] = Math.exp(logits[i] / temperature - max);
    total += probs[i];
  }
  for (let r = 0; r < keep; r++) probs[order[r]] /= total;
  if (topP < 1) {
    // HF keeps every token until the cumulative probability first reaches top_p (at least one).
    let cumulative = 0;
    let r = 0;
    for (; r < keep; r++) {
      cumulative += probs[order[r]];
      if (cumulative >= topP) break;
    }
    let kept = 0;
    for (let s = 0; s < keep; s++) {
      if (s > r) probs[order[s]] = 0;
      else kept += probs[order[s]];
    }
    for (let s = 0; s <= Math.min(r, keep - 1); s++) probs[order[s]] /= kept;
  }
  return probs;
}

/** The next token id: argmax when not sampling, else a draw from `samplingDistribution`. */
export function sampleNextToken(logits: ArrayLike<number>, opts: SamplingOptions, rng: Rng): number {
  if (!opts.doSample) return argmax(logits);
  const probs = samplingDistribution(logits, opts);
  let u = rng.random();
  for (let i = 0; i < probs.length; i++) {
    u -= probs[i];
    if (u < 0) return i;
  }
  return argmax(probs);
}
