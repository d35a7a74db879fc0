/**
 * Chapter 8: splitting documents into passages before they are indexed. Two splitters, both keeping where
 * each chunk came from (its source id and character offsets into the source text, so a retrieved chunk
 * can be highlighted in its document):
 *
 * - `chunkBySentences`: consecutive sentences packed up to `chunkSize` (characters by default, or any
 *   `lengthFunction`, e.g. a token count), optionally repeating the last sentences of a chunk at the start
 *   of the next (`overlapSentences`).
 * - `chunkByTokens`: fixed windows of `chunkSize` tokens that advance by `chunkSize - chunkOverlap`
 *   (LangChain's TokenTextSplitter), over the character spans of a tokenizer's tokens
 *   (`tokenSpans: (t) => tokenizer.offsets(t)` with the lib's HfTokenizer) or whitespace-separated words.
 *
 * A chunk's text is always `source.slice(start, end)`: nothing is rewritten, so offsets stay exact.
 */
import { splitSentences } from "../data/datasets";

/** A passage cut from a source document. */
export interface Chunk {
  /** `source.slice(start, end)`. */
  text: string;
  /** The id of the document it was cut from (the index in the input list when none was given). */
  sourceId: string | number;
  /** Character offsets into the source text (UTF-16 code units, as String.prototype.slice counts). */
  start: number;
  end: number;
  /** Position of the chunk within its source, from 0. */
  chunkIndex: number;
  /** chunkByTokens: the token range [tokenStart, tokenEnd) it covers. */
  tokenStart?: number;
  tokenEnd?: number;
}

/** A character span [start, end) of one token in a text. */
export type TokenSpan = readonly [number, number];

export interface SentenceChunkOptions {
  /** The largest chunk, in units of `lengthFunction` (default 1000 characters). */
  chunkSize?: number;
  /** How a chunk's size is measured (default: its number of characters). */
  lengthFunction?: (text: string) => number;
  /** Sentences carried over from the end of one chunk to the start of the next (default 0). */
  overlapSentences?: number;
  /** Sentence splitter returning substrings of the text in order (default: the lib's `splitSentences`). */
  sentenceSplitter?: (text: string) => string[];
  sourceId?: string | number;
}

export interface TokenChunkOptions {
  /** Tokens per chunk (default 256). */
  chunkSize?: number;
  /** Tokens shared by consecutive chunks (default 0; must be < chunkSize). */
  chunkOverlap?: number;
  /**
   * Character spans of the text's tokens, in order (e.g. `(t) => tokenizer.offsets(t)`). Default: each run
   * of non-whitespace characters is a token.
   */
  tokenSpans?: (text: string) => ReadonlyArray<TokenSpan>;
  sourceId?: string | number;
}

/** A document to chunk: a plain string (its id is its index) or `{ id, text }`. */
export type ChunkSource = string | { id: string | number; text: string };

function checkPositiveInt(value: number, name: string, fn: string): void {
  if (!Number.isInteger(value) || value < 1) throw new Error(`${fn}: ${name} must be an integer >= 1, got ${value}`);
}

function checkText(text: unknown, fn: string): asserts text is string {
  if (typeof text !== "string") throw new Error(`${fn}: text must be a string, got ${text === null ? "null" : typeof text}`);
}

/** Spans of maximal runs of non-whitespace: the tokenizer-free fallback. */
export function whitespaceTokenSpans(text: string): TokenSpan[] {
  const spans: TokenSpan[] = [];
  const re = /\S+/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) spans.push([m.index, m.index + m[0].length]);
  return spans;
}

/**
 * Where each sentence lies in the text. The splitter must return substrings of the text in order (the
 * lib's splitSentences trims whitespace, nothing else), so each one is found after the previous one.
 */
function sentenceSpans(text: string, sentences: readonly string[]): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  let from = 0;
  for (const s of sentences) {
    if (!s) continue;
    const at = text.indexOf(s, from);
    if (at < 0) throw new Error(`chunkBySentences: the sentence splitter returned text not found in order in the source: "${s.slice(0, 60)}"`);
    spans.push([at, at + s.length]);
    from = at + s.length;
  }
  return spans;
}

/**
 * Packs consecutive sentences into chunks no larger than `chunkSize` (measured on the chunk's source
 * slice, so the spaces between sentences count). A single sentence larger than `chunkSize` becomes a chunk
 * of its own, over the limit: sentences are never cut (use chunkByTokens on it for a hard limit).
 */
export function chunkBySentences(text: string, opts: SentenceChunkOptions = {}): Chunk[] {
  checkText(text, "chunkBySentences");
  const chunkSize = opts.chunkSize ?? 1000;
  const overlap = opts.overlapSentences ?? 0;
  const length = opts.lengthFunction ?? ((t: string) => t.length);
  if (!(chunkSize > 0)) throw new Error(`chunkBySentences: chunkSize must be > 0, got ${chunkSize}`);
  if (!Number.isInteger(overlap) || overlap < 0) throw new Error(`chunkBySentences: overlapSentences must be an integer >= 0, got ${overlap}`);
  const sourceId = opts.sourceId ?? 0;
  const spans = sentenceSpans(text, (opts.sentenceSplitter ?? splitSentences)(text));
  const chunks: Chunk[] = [];
  let first = 0; // first sentence of the chunk being built
  while (first < spans.length) {
    let last = first; // inclusive
    while (last + 1 < spans.length && length(text.slice(spans[first][0], spans[last + 1][1])) <= chunkSize) last++;
    const start = spans[first][0];
    const end = spans[last][1];
    chunks.push({ text: text.slice(start, end), sourceId, start, end, chunkIndex: chunks.length });
    if (last + 1 >= spans.length) break;
    // Carry the last `overlap` sentences over, but always move forward by at least one sentence.
    first = Math.max(first + 1, last + 1 - overlap);
  }
  return chunks;
}

/**
 * Windows of `chunkSize` tokens, each starting `chunkSize - chunkOverlap` tokens after the previous one;
 * the last window ends at the last token. A chunk runs from its first token's start to its last token's end.
 */
export function chunkByTokens(text: string, opts: TokenChunkOptions = {}): Chunk[] {
  checkText(text, "chunkByTokens");
  const chunkSize = opts.chunkSize ?? 256;
  const overlap = opts.chunkOverlap ?? 0;
  checkPositiveInt(chunkSize, "chunkSize", "chunkByTokens");
  if (!Number.isInteger(overlap) || overlap < 0 || overlap >= chunkSize) {
    throw new Error(`chunkByTokens: chunkOverlap must be an integer in [0, chunkSize) = [0, ${chunkSize}), got ${overlap}`);
  }
  const sourceId = opts.sourceId ?? 0;
  // Special tokens ([CLS], [SEP]) come back as empty spans: they are not part of the text.
  const spans = (opts.tokenSpans ?? whitespaceTokenSpans)(text).filter((s) => s[1] > s[0]);
  for (let i = 0; i < spans.length; i++) {
    const [s, e] = spans[i];
    if (!(s >= 0 && e <= text.length) || (i > 0 && s < spans[i - 1][0])) {
      throw new Error(`chunkByTokens: token span ${i} [${s}, ${e}) is outside the text (length ${text.length}) or out of order`);
    }
  }
  const stride = chunkSize - overlap;
  const chunks: Chunk[] = [];
  for (let t0 = 0; t0 < spans.length; t0 += stride) {
    const t1 = Math.min(t0 + chunkSize, spans.length);
    const start = spans[t0][0];
    const end = spans[t1 - 1][1];
    chunks.push({ text: text.slice(start, end), sourceId, start, end, chunkIndex: chunks.length, tokenStart: t0, tokenEnd: t1 });
    if (t1 === spans.length) break;
  }
  return chunks;
}

/** Chunks every document with one splitter; each chunk's sourceId is the document's id (or list index). */
export function chunkDocuments(
  docs: readonly ChunkSource[],
  opts: ({ by?: "sentence" } & Omit<SentenceChunkOptions, "sourceId">) | ({ by: "token" } & Omit<TokenChunkOptions, "sourceId">) = {},
): Chunk[] {
  if (!Array.isArray(docs)) throw new Error("chunkDocuments: docs must be an array of strings or { id, text }");
  const out: Chunk[] = [];
  docs.forEach((doc, i) => {
    const id = typeof doc === "string" ? i : doc.id;
    const text = typeof doc === "string" ? doc : doc.text;
    if (typeof text !== "string") throw new Error(`chunkDocuments: document ${i} has no text`);
    const chunks = opts.by === "token" ? chunkByTokens(text, { ...opts, sourceId: id }) : chunkBySentences(text, { ...(opts as SentenceChunkOptions), sourceId: id });
    for (const c of chunks) out.push(c);
  });
  return out;
}
