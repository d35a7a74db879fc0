/**
 * An extractive answer: the sentence of the retrieved passages that best matches the question, quoted with
 * its source number. The baseline a small generator has to beat in chapter 8's RAG: it cannot invent
 * anything (every word is in a source, so it is faithful by construction), but it can quote the wrong
 * sentence.
 *
 * Default score of a sentence: the idf-weighted share of the question's content words (lowercased word
 * tokens minus English stop words) that the sentence or its passage's title contains, with
 * idf = ln(1 + n / df) over the n candidate sentences. A sentence is read with its title ("Peru — Government"),
 * so a word the title already gives every sentence (the country's name) does not pick one sentence over
 * another, and the word that singles out the field ("capital") decides. Ties go to the earlier sentence.
 * Pass `scorer` to rank by anything else, e.g. embedding similarity.
 */
import { splitSentences } from "../data/datasets";
import { searchTokenizer } from "./bm25";
import type { Passage } from "./rag";

export interface ExtractiveAnswerOptions {
  /** How many of the passages (from the first) to read (default all). */
  maxPassages?: number;
  /** Scores each candidate sentence against the question, higher is better (default: the idf overlap above). */
  scorer?: (question: string, sentences: string[], titles: string[]) => ArrayLike<number> | Promise<ArrayLike<number>>;
  /** Sentence splitter (default: the lib's splitSentences). */
  sentenceSplitter?: (text: string) => string[];
}

export interface ExtractiveAnswer {
  /** The sentence followed by its citation, e.g. "Capital: name: Lima. [1]". */
  answer: string;
  sentence: string;
  /** 1-based number of the passage it was taken from (its number in a grounded prompt). */
  source: number;
  score: number;
}

const contentTokens = searchTokenizer({ stopWords: "english" });

/**
 * The default scorer: idf-weighted share of the question's content words found in each sentence or in its
 * title (`titles[i]`, the title of the passage sentence i comes from; default none).
 */
export function overlapScores(question: string, sentences: readonly string[], titles: readonly string[] = []): number[] {
  const q = Array.from(new Set(contentTokens(question)));
  const sets = sentences.map((s, i) => new Set(contentTokens(titles[i] ? `${titles[i]} ${s}` : s)));
  const n = sentences.length;
  const idf = q.map((w) => Math.log(1 + n / Math.max(1, sets.filter((s) => s.has(w)).length)));
  const total = idf.reduce((a, b) => a + b, 0);
  return sets.map((s) => (total > 0 ? q.reduce((acc, w, i) => acc + (s.has(w) ? idf[i] : 0), 0) / total : 0));
}

export async function extractiveAnswer(question: string, passages: readonly Passage[], opts: ExtractiveAnswerOptions = {}): Promise<ExtractiveAnswer> {
  if (typeof question !== "string" || !question.trim()) throw new Error("extractiveAnswer: question must be a non-empty string");
  if (!Array.isArray(passages) || passages.length === 0) throw new Error("extractiveAnswer: passages must be a non-empty array");
  const maxPassages = opts.maxPassages ?? passages.length;
  if (!(Number.isInteger(maxPassages) && maxPassages >= 1)) throw new Error(`extractiveAnswer: maxPassages must be an integer >= 1, got ${maxPassages}`);
  const split = opts.sentenceSplitter ?? splitSentences;
  const sentences: string[] = [];
  const sourceOf: number[] = [];
  const titles: string[] = [];
  passages.slice(0, maxPassages).forEach((p, i) => {
    const text = typeof p === "string" ? p : p && typeof p.text === "string" ? p.text : undefined;
    if (text === undefined) throw new Error(`extractiveAnswer: passage ${i} must be a string or { text, title? }`);
    const title = typeof p === "string" ? "" : p.title ?? "";
    for (const s of split(text.replace(/\s+/g, " ").trim())) {
      if (!s.trim()) continue;
      sentences.push(s.trim());
      sourceOf.push(i + 1);
      titles.push(title);
    }
  });
  if (sentences.length === 0) throw new Error("extractiveAnswer: the passages hold no sentence");
  const scores = await (opts.scorer ?? overlapScores)(question, sentences, titles);
  if (!scores || scores.length !== sentences.length) throw new Error(`extractiveAnswer: the scorer returned ${scores ? scores.length : scores} scores for ${sentences.length} sentences`);
  let best = 0;
  for (let i = 1; i < sentences.length; i++) if (scores[i] > scores[best]) best = i;
  const sentence = sentences[best];
  return { answer: `${sentence} [${sourceOf[best]}]`, sentence, source: sourceOf[best], score: scores[best] };
}
