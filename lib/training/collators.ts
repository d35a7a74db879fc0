/**
 * Masked-language-model batches as HF's `DataCollatorForLanguageModeling(mlm_probability=0.15)`:
 * 15 % of the non-special tokens are chosen; of those 80 % become [MASK], 10 % a random token and 10 %
 * stay; labels hold the original id at chosen positions and -100 (ignored) everywhere else.
 */
import { Rng } from "../util/random";
import { IGNORE_INDEX } from "./losses";

export interface MaskingOptions {
  maskTokenId: number;
  vocabSize: number;
  /** Ids never chosen ([CLS], [SEP], [PAD], …). */
  specialIds: Iterable<number>;
  /** Default 0.15, BERT's. */
  mlmProbability?: number;
}

export function maskTokens(ids: number[][], opts: MaskingOptions, rng: Rng): { inputIds: number[][]; labels: number[][] } {
  const p = opts.mlmProbability ?? 0.15;
  if (!(p > 0 && p < 1)) throw new Error(`mlmProbability must be in (0, 1) (got ${p})`);
  const special = new Set(opts.specialIds);
  const inputIds = ids.map((row) => [...row]);
  const labels = ids.map((row) => row.map(() => IGNORE_INDEX));
  ids.forEach((row, b) =>
    row.forEach((id, t) => {
      if (special.has(id) || rng.random() >= p) return;
      labels[b][t] = id;
      const r = rng.random();
      if (r < 0.8) inputIds[b][t] = opts.maskTokenId;
      else if (r < 0.9) inputIds[b][t] = rng.int(opts.vocabSize);
    }),
  );
  return { inputIds, labels };
}
