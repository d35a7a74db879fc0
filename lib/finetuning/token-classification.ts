/**
 * `pipeline("token-classification")` (alias "ner") for the lib's token classifiers, as transformers'
 * TokenClassificationPipeline: softmax scores per token, then the aggregation strategy:
 *
 *   "none"     one entry per token: { entity, score, index, word, start, end }
 *   "simple"   neighbouring tokens of one type merged (a new B- starts a new entity):
 *              { entity_group, score (mean), word, start, end }
 *   "first"    words first (a word's label is its first sub-token's), then merged as "simple"
 *   "average"  words first (label of the sub-tokens' mean scores), then merged
 *   "max"      words first (label of the sub-token with the highest score), then merged
 *
 * Entries labelled "O" (ignoreLabels) are dropped. Words are told from sub-tokens as transformers does: for
 * a tokenizer with a continuing-subword prefix ("##"), a token whose string is longer than the text it spans
 * is a sub-token; otherwise a token not preceded by a space. `start` / `end` are character offsets into the
 * input text, `word` is the tokens turned back into text (lower case for an uncased tokenizer, as in Python).
 */
import { tf } from "../engine";
import type { BatchEncoding, TokenizerCallOptions } from "../tokenizers/hf";

export type AggregationStrategy = "none" | "simple" | "first" | "average" | "max";

/** One token's prediction (aggregationStrategy "none"). */
export interface TokenPrediction {
  entity: string;
  score: number;
  /** Position of the token in the encoded row ([CLS] is 0). */
  index: number;
  word: string;
  start: number;
  end: number;
}

/** One entity (every other strategy). */
export interface EntityGroup {
  /** The label without its B-/I- prefix ("PER"). */
  entity_group: string;
  score: number;
  word: string;
  start: number;
  end: number;
}

/** What the pipeline needs from a model: BertForTokenClassification fits. */
export interface TokenClassificationModel {
  readonly config: { id2label: Record<string, string>; max_position_embeddings: number };
  readonly training: boolean;
  train(mode?: boolean): unknown;
  forward(inputs: { inputIds: tf.Tensor2D; attentionMask?: tf.Tensor2D; tokenTypeIds?: tf.Tensor2D }): { logits: tf.Tensor3D };
}

/** What it needs from a tokenizer: the lib's HfTokenizer fits. */
export interface TokenClassificationTokenizer {
  call(texts: string[], opts: TokenizerCallOptions): BatchEncoding;
  convertIdsToTokens(ids: number): string | null;
  convertTokensToString(tokens: readonly string[]): string;
  readonly continuingSubwordPrefix: string | null;
  readonly unkTokenId: number | null;
  readonly paddingSide: "left" | "right";
}

export interface TokenClassificationOptions<S extends AggregationStrategy = AggregationStrategy> {
  /** Default "none", as transformers. */
  aggregationStrategy?: S;
  /** Labels (or entity groups) left out of the output (default ["O"]). */
  ignoreLabels?: readonly string[];
  /** Texts per forward pass (default 16). */
  batchSize?: number;
  /** Tokens per text, special tokens included: longer texts are truncated (default: the model's max_position_embeddings). */
  maxLength?: number;
}

/** Called with a text: its entities; with an array of texts: one list per text (as the Python pipeline). */
export interface TokenClassificationPipeline<E> {
  (text: string): E[];
  (texts: string[]): E[][];
}

interface PreEntity {
  word: string;
  scores: number[];
  start: number;
  end: number;
  index: number;
  isSubword: boolean;
}

interface WordEntity {
  entity: string;
  score: number;
  word: string;
  start: number;
  end: number;
  index?: number;
}

const codePoints = (s: string) => [...s].length;

function argmax(v: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
  return best;
}

/** Softmax of one row of logits, shifted by its maximum (as transformers' postprocess). */
function softmax(row: readonly number[]): number[] {
  const m = Math.max(...row);
  const e = row.map((x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}

/** transformers' `get_tag`: ("B" | "I", type); a label without a B-/I- prefix counts as I- of itself. */
function getTag(name: string): ["B" | "I", string] {
  if (name.startsWith("B-")) return ["B", name.slice(2)];
  if (name.startsWith("I-")) return ["I", name.slice(2)];
  return ["I", name];
}

/**
 * A token-classification pipeline over a lib model: `ner("My name is Wolfgang")` gives the entities of the
 * text, `ner([...])` one list per text. Runs in eval mode and restores the model's mode.
 */
export function tokenClassificationPipeline<S extends AggregationStrategy = "none">(
  model: TokenClassificationModel, tokenizer: TokenClassificationTokenizer, options: TokenClassificationOptions<S> = {},
): TokenClassificationPipeline<S extends "none" ? TokenPrediction : EntityGroup> {
  const strategy: AggregationStrategy = options.aggregationStrategy ?? "none";
  if (!["none", "simple", "first", "average", "max"].includes(strategy)) {
    throw new Error(`tokenClassificationPipeline: aggregationStrategy must be "none", "simple", "first", "average" or "max", got ${JSON.stringify(strategy)}`);
  }
  const ids = Object.keys(model.config.id2label).map(Number).sort((a, b) => a - b);
  if (ids.length === 0) throw new Error("tokenClassificationPipeline: the model's config.id2label is empty");
  const labels = ids.map((id) => model.config.id2label[String(id)]);
  const ignore = new Set(options.ignoreLabels ?? ["O"]);
  const batchSize = options.batchSize ?? 16;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`tokenClassificationPipeline: batchSize must be a positive integer, got ${options.batchSize}`);
  const maxLength = options.maxLength ?? model.config.max_position_embeddings;
  if (!Number.isInteger(maxLength) || maxLength < 2 || maxLength > model.config.max_position_embeddings) {
    throw new Error(`tokenClassificationPipeline: maxLength must be an integer in [2, ${model.config.max_position_embeddings}] (the model's max_position_embeddings), got ${options.maxLength}`);
  }
  const wordAware = tokenizer.continuingSubwordPrefix != null;
  if (!wordAware && (strategy === "first" || strategy === "average" || strategy === "max")) {
    console.warn("Tokenizer does not support real words, using fallback heuristic");
  }

  const gatherPreEntities = (sentence: string, inputIds: number[], scores: number[][], offsets: [number, number][], special: number[]): PreEntity[] => {
    const out: PreEntity[] = [];
    scores.forEach((tokenScores, idx) => {
      if (special[idx]) return;
      let word = tokenizer.convertIdsToTokens(inputIds[idx]) ?? "";
      const [start, end] = offsets[idx];
      const wordRef = sentence.slice(start, end);
      let isSubword = wordAware ? codePoints(word) !== codePoints(wordRef) : start > 0 && !sentence.slice(start - 1, start + 1).includes(" ");
      if (inputIds[idx] === tokenizer.unkTokenId) {
        word = wordRef;
        isSubword = false;
      }
      out.push({ word, scores: tokenScores, start, end, index: idx, isSubword });
    });
    return out;
  };

  const aggregateWord = (group: PreEntity[]): WordEntity => {
    const word = tokenizer.convertTokensToString(group.map((e) => e.word));
    let scores: number[];
    if (strategy === "first") scores = group[0].scores;
    else if (strategy === "max") {
      let best = group[0];
      for (const e of group) if (Math.max(...e.scores) > Math.max(...best.scores)) best = e;
      scores = best.scores;
    } else scores = group[0].scores.map((_, k) => group.reduce((a, e) => a + e.scores[k], 0) / group.length);
    const idx = argmax(scores);
    return { entity: labels[idx], score: scores[idx], word, start: group[0].start, end: group[group.length - 1].end };
  };

  const aggregateWords = (pre: PreEntity[]): WordEntity[] => {
    const words: WordEntity[] = [];
    let group: PreEntity[] | null = null;
    for (const e of pre) {
      if (group === null) group = [e];
      else if (e.isSubword) group.push(e);
      else {
        words.push(aggregateWord(group));
        group = [e];
      }
    }
    if (group !== null) words.push(aggregateWord(group));
    return words;
  };

  const groupSubEntities = (group: WordEntity[]): EntityGroup => {
    const first = group[0].entity;
    const cut = first.indexOf("-");
    return {
      entity_group: cut >= 0 ? first.slice(cut + 1) : first,
      score: group.reduce((a, e) => a + e.score, 0) / group.length,
      word: tokenizer.convertTokensToString(group.map((e) => e.word)),
      start: group[0].start,
      end: group[group.length - 1].end,
    };
  };

  const groupEntities = (entities: WordEntity[]): EntityGroup[] => {
    const groups: EntityGroup[] = [];
    let current: WordEntity[] = [];
    for (const e of entities) {
      if (current.length === 0) {
        current.push(e);
        continue;
      }
      const [bi, tag] = getTag(e.entity);
      const [, lastTag] = getTag(current[current.length - 1].entity);
      if (tag === lastTag && bi !== "B") current.push(e);
      else {
        groups.push(groupSubEntities(current));
        current = [e];
      }
    }
    if (current.length > 0) groups.push(groupSubEntities(current));
    return groups;
  };

  const postprocess = (sentence: string, inputIds: number[], logits: number[][], offsets: [number, number][], special: number[]): (TokenPrediction | EntityGroup)[] => {
    const pre = gatherPreEntities(sentence, inputIds, logits.map(softmax), offsets, special);
    let entities: WordEntity[];
    if (strategy === "none" || strategy === "simple") {
      entities = pre.map((p) => {
        const k = argmax(p.scores);
        return { entity: labels[k], score: p.scores[k], index: p.index, word: p.word, start: p.start, end: p.end };
      });
    } else entities = aggregateWords(pre);
    if (strategy === "none") {
      return entities.filter((e) => !ignore.has(e.entity)).map((e) => ({ entity: e.entity, score: e.score, index: e.index!, word: e.word, start: e.start, end: e.end }));
    }
    return groupEntities(entities).filter((g) => !ignore.has(g.entity_group));
  };

  const run = (texts: string[]): (TokenPrediction | EntityGroup)[][] => {
    const out: (TokenPrediction | EntityGroup)[][] = [];
    const wasTraining = model.training;
    model.train(false);
    try {
      for (let s = 0; s < texts.length; s += batchSize) {
        const chunk = texts.slice(s, s + batchSize);
        const enc = tokenizer.call(chunk, { padding: true, truncation: true, maxLength, returnOffsetsMapping: true, returnSpecialTokensMask: true });
        const logits = tf.tidy(() => {
          const inputIds = tf.tensor2d(enc.inputIds, undefined, "int32");
          const attentionMask = tf.tensor2d(enc.attentionMask, undefined, "int32");
          const tokenTypeIds = enc.tokenTypeIds ? tf.tensor2d(enc.tokenTypeIds, undefined, "int32") : undefined;
          return model.forward({ inputIds, attentionMask, tokenTypeIds }).logits.arraySync() as number[][][];
        });
        chunk.forEach((text, k) => {
          // Drop this row's padding so token indices are those of the text encoded alone.
          const n = enc.attentionMask[k].reduce((a, b) => a + b, 0);
          const from = tokenizer.paddingSide === "left" ? enc.inputIds[k].length - n : 0;
          const cut = <T>(a: T[]) => a.slice(from, from + n);
          out.push(postprocess(text, cut(enc.inputIds[k]), cut(logits[k]), cut(enc.offsetMapping![k]), cut(enc.specialTokensMask![k])));
        });
      }
    } finally {
      model.train(wasTraining);
    }
    return out;
  };

  const pipeline = (input: string | string[]) => {
    if (typeof input === "string") return run([input])[0];
    if (!Array.isArray(input) || input.some((t) => typeof t !== "string")) throw new TypeError("tokenClassificationPipeline: expected a string or an array of strings");
    return run(input);
  };
  return pipeline as TokenClassificationPipeline<S extends "none" ? TokenPrediction : EntityGroup>;
}
