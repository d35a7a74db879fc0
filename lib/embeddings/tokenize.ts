/**
 * Word tokenisation for word2vec, in the spirit of gensim's `simple_preprocess`: lowercase words made of
 * letters, nothing else. Subword tokenizers (BPE, WordPiece) live in lib/tokenizers; word2vec works on
 * whole words, as in the book's chapter 2.
 */

export interface SimplePreprocessOptions {
  /** Shortest token kept (gensim: 2, which drops "a" and "i"). */
  minLen?: number;
  /** Longest token kept (gensim: 15). */
  maxLen?: number;
  /** Keep apostrophes inside words ("don't", "o'clock") instead of splitting there (default true). */
  apostrophes?: boolean;
}

// Letters, optionally joined by inner apostrophes (straight or curly). Unicode-aware, so "café" is one
// word; digits and underscores (Austen's _italics_) separate words, as gensim's PAT_ALPHABETIC does.
const WORD_WITH_APOSTROPHES = /\p{L}+(?:['’]\p{L}+)*/gu;
const WORD_LETTERS = /\p{L}+/gu;
// A possessive "'s" would make "elizabeth's" a word of its own and starve "elizabeth" of counts.
const POSSESSIVE = /['’]s$/;

/**
 * Lowercase word tokens of `text`: runs of letters (with inner apostrophes kept by default), possessive
 * "'s" dropped, tokens outside [minLen, maxLen] characters dropped, as gensim's
 * `simple_preprocess(doc, min_len=2, max_len=15)`.
 *
 *   simplePreprocess("Mr. Darcy's pride, _Elizabeth's_ 2 prejudices!")
 *   // ["mr", "darcy", "pride", "elizabeth", "prejudices"]
 */
export function simplePreprocess(text: string, opts: SimplePreprocessOptions = {}): string[] {
  const minLen = opts.minLen ?? 2;
  const maxLen = opts.maxLen ?? 15;
  const re = opts.apostrophes === false ? WORD_LETTERS : WORD_WITH_APOSTROPHES;
  const out: string[] = [];
  const matches = text.toLowerCase().match(re);
  if (!matches) return out;
  for (let w of matches) {
    if (w.length > 2) w = w.replace(POSSESSIVE, "");
    if (w.length >= minLen && w.length <= maxLen) out.push(w.replace(/’/g, "'"));
  }
  return out;
}

export type SentenceUnit = "paragraph" | "sentence" | "line";

export interface TextToSentencesOptions extends SimplePreprocessOptions {
  /**
   * What one training "sentence" is: a paragraph (blank-line separated; the default, as word2vec's
   * window never crosses a sentence), a sentence (split after . ! ? with common titles such as "Mr."
   * kept inside), or a line.
   */
  unit?: SentenceUnit;
  /** Drop sentences with fewer tokens than this (default 1: drop empty ones). */
  minTokens?: number;
}

// Abbreviations that end with a period but do not end a sentence in 19th-century prose.
const TITLES = new Set(["mr", "mrs", "ms", "dr", "st", "col", "capt", "gen", "rev", "messrs", "mme", "esq", "no", "vol", "ch"]);

function splitSentences(paragraph: string): string[] {
  const out: string[] = [];
  const re = /[.!?]+["'’”)_]*\s+/g;
  let start = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(paragraph))) {
    const before = paragraph.slice(start, m.index);
    const lastWord = (before.match(/(\p{L}+)$/u) || ["", ""])[1].toLowerCase();
    // "Mr. Darcy": a title with a single period is not the end of a sentence.
    if (m[0].trim() === "." && TITLES.has(lastWord)) continue;
    out.push(paragraph.slice(start, m.index + m[0].length));
    start = m.index + m[0].length;
  }
  if (start < paragraph.length) out.push(paragraph.slice(start));
  return out;
}

/**
 * A raw text as tokenised sentences for `Word2Vec.train`: `loadText("austen")` -> string[][].
 */
export function textToSentences(text: string, opts: TextToSentencesOptions = {}): string[][] {
  const unit = opts.unit ?? "paragraph";
  const minTokens = Math.max(1, opts.minTokens ?? 1);
  const normalised = text.replace(/\r\n?/g, "\n");
  let pieces: string[];
  if (unit === "line") pieces = normalised.split("\n");
  else {
    pieces = normalised.split(/\n[ \t]*\n+/);
    if (unit === "sentence") pieces = pieces.reduce<string[]>((acc, p) => acc.concat(splitSentences(p.replace(/\s+/g, " "))), []);
    else if (unit !== "paragraph") throw new Error(`textToSentences: unknown unit '${unit as string}' (paragraph, sentence or line)`);
  }
  const out: string[][] = [];
  for (const p of pieces) {
    const toks = simplePreprocess(p, opts);
    if (toks.length >= minTokens) out.push(toks);
  }
  return out;
}
