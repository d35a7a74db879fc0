/**
 * Token views, as in chapter 2 of the book: a text drawn as coloured token chunks with their ids, and
 * several tokenizers side by side on one text with their token counts.
 *
 * Works with any tokenizer that has `encode` (TextTokenizerLike): HfTokenizer, the lib's trained ones,
 * CharTokenizer. Each chunk is what the book's `show_tokens` prints: `decode([id])` of one token, so
 * WordPiece shows "##ization", BERT uncased shows lower case, and a byte-level token holding part of an
 * emoji shows "�" (the pieces are not characters on their own).
 *
 * In a notebook `showTokens` / `showTokenizerComparison` send one display output (text/html with a
 * text/plain fallback); in a terminal they print the plain form: `[Call][ me][ Ish]`.
 */
import type { DisplayBundle } from "../notebook/env";
import { displayBundle, notebookWriter } from "../notebook/env";
import type { TextTokenizerLike } from "./hf";

/** The book's example text (chapter 2): capitalisation, emoji, CJK, code, whitespace runs, numbers. */
export const TOKENIZER_SAMPLE_TEXT = 'English and CAPITALIZATION\n🎵 鸟\nshow_tokens False None elif == >= else: two tabs:"\t\t" Three tabs: "\t\t\t"\n12.0*50=600';

export interface TokenChunk {
  id: number;
  /** What is shown: decode([id]) (default) or the token string. */
  text: string;
  /** Inserted or special token ([CLS], <|endoftext|>...). */
  special: boolean;
}

export interface TokenViewOptions {
  /** "decoded" (default, as the book): decode([id]) per token; "tokens": the vocabulary strings ("Ġworld"). */
  show?: "decoded" | "tokens";
  /** Draw ids under the chunks (default true). */
  showIds?: boolean;
  /** Chunks drawn at most (default 2000); the rest is counted. */
  maxTokens?: number;
}

export interface TokenView {
  text: string;
  chunks: TokenChunk[];
  /** Number of tokens (special tokens included, as the tokenizer's encode returns them). */
  count: number;
  html: string;
  plain: string;
  bundle: DisplayBundle;
}

// The book's palette (ColorBrewer Set2), light enough for black text.
const COLORS = ["102,194,165", "252,141,98", "141,160,203", "231,138,195", "166,216,84", "255,217,47"];

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** Whitespace that would vanish or break the layout, made visible. */
function visibleText(text: string): string {
  return text.replace(/\n/g, "\\n").replace(/\t/g, "\\t").replace(/\r/g, "\\r");
}

type Duck = TextTokenizerLike & {
  convertIdsToTokens?: (ids: number[]) => (string | null)[];
  allSpecialIds?: number[];
};

/** The tokens of `text` as chunks (id, shown text, special or not). */
export function tokenChunks(tokenizer: TextTokenizerLike, text: string, opts: TokenViewOptions = {}): TokenChunk[] {
  if (!tokenizer || typeof tokenizer.encode !== "function") throw new TypeError("tokenView: the tokenizer needs an encode(text) method");
  if (typeof text !== "string") throw new TypeError(`tokenView: expected a text string, found ${text === null ? "null" : typeof text}`);
  const t = tokenizer as Duck;
  const ids = Array.from(t.encode(text));
  const special = new Set(Array.isArray(t.allSpecialIds) ? t.allSpecialIds : []);
  let texts: string[] | null = null;
  if (opts.show === "tokens") {
    if (typeof t.convertIdsToTokens === "function") texts = t.convertIdsToTokens(ids).map((s, i) => s ?? String(ids[i]));
    else if (typeof t.tokenize === "function") {
      const tokens = t.tokenize(text);
      if (tokens.length === ids.length) texts = tokens;
    }
  }
  if (!texts && typeof t.decode === "function") {
    const decode = t.decode.bind(t);
    texts = ids.map((id) => decode([id]));
  }
  if (!texts && typeof t.tokenize === "function") {
    const tokens = t.tokenize(text);
    if (tokens.length === ids.length) texts = tokens;
  }
  return ids.map((id, i) => ({ id, text: texts ? texts[i] : String(id), special: special.has(id) }));
}

function chunksHtml(chunks: TokenChunk[], showIds: boolean, maxTokens: number): string {
  const parts = chunks.slice(0, maxTokens).map((c, i) => {
    const color = COLORS[i % COLORS.length];
    const shown = escapeHtml(c.text.replace(/\n/g, "↵").replace(/\t/g, "⇥")) || "&#8203;";
    const border = c.special ? "outline:1px solid #555;" : "";
    const id = showIds ? `<span style="display:block;font-size:0.7em;color:#444;text-align:center">${c.id}</span>` : "";
    const title = `id ${c.id}: ${JSON.stringify(c.text)}`;
    const chunk =
      `<span title="${escapeHtml(title)}" style="display:inline-block;vertical-align:top;margin:1px 0;padding:0 1px;` +
      `background:rgba(${color},0.55);${border}white-space:pre">${shown}${id}</span>`;
    return c.text.includes("\n") ? `${chunk}<br>` : chunk;
  });
  const more = chunks.length > maxTokens ? ` <span style="color:#666">… ${chunks.length - maxTokens} more tokens</span>` : "";
  return `<div style="font-family:monospace;line-height:1.9">${parts.join("")}${more}</div>`;
}

function chunksPlain(chunks: TokenChunk[], maxTokens: number): string {
  const body = chunks
    .slice(0, maxTokens)
    .map((c) => `[${visibleText(c.text)}]`)
    .join("");
  return chunks.length > maxTokens ? `${body}… (${chunks.length - maxTokens} more tokens)` : body;
}

/** A text as token chunks with ids: HTML and plain forms, and a display bundle for notebooks. */
export function tokenView(tokenizer: TextTokenizerLike, text: string, opts: TokenViewOptions = {}): TokenView {
  const chunks = tokenChunks(tokenizer, text, opts);
  const maxTokens = opts.maxTokens ?? 2000;
  const showIds = opts.showIds !== false;
  const html = `<div style="margin:4px 0"><b>${chunks.length} tokens</b>${chunksHtml(chunks, showIds, maxTokens)}</div>`;
  let plain = chunksPlain(chunks, maxTokens);
  if (showIds) plain += `\nids: ${chunks.slice(0, maxTokens).map((c) => c.id).join(" ")}`;
  return { text, chunks, count: chunks.length, html, plain, bundle: { data: { "text/html": html, "text/plain": plain }, metadata: {} } };
}

/** Show a token view: a display output in a notebook, the plain form on stdout elsewhere. */
export function showTokens(tokenizer: TextTokenizerLike, text: string, opts: TokenViewOptions = {}): void {
  const writer = notebookWriter();
  const view = tokenView(tokenizer, text, opts);
  if (!displayBundle(view.bundle, { writer })) console.log(view.plain);
}

export interface TokenizerComparisonRow {
  name: string;
  count: number;
  /** Characters (code points) of the text per token. */
  charsPerToken: number;
  view: TokenView;
}

export interface TokenizerComparison {
  text: string;
  rows: TokenizerComparisonRow[];
  html: string;
  plain: string;
  bundle: DisplayBundle;
}

/**
 * Several tokenizers on one text (default: the book's example), as in chapter 2: a table of token counts
 * and each tokenizer's view. `tokenizers` maps a display name to a tokenizer.
 */
export function compareTokenizers(
  tokenizers: Record<string, TextTokenizerLike>,
  text: string = TOKENIZER_SAMPLE_TEXT,
  opts: TokenViewOptions = {},
): TokenizerComparison {
  const names = Object.keys(tokenizers);
  if (names.length === 0) throw new Error("compareTokenizers: give at least one tokenizer, e.g. { bert: tok }");
  const chars = Array.from(text).length;
  const rows = names.map((name) => {
    let view: TokenView;
    try {
      view = tokenView(tokenizers[name], text, opts);
    } catch (err) {
      throw new Error(`compareTokenizers: tokenizer "${name}" failed: ${(err as Error).message}`);
    }
    return { name, count: view.count, charsPerToken: view.count > 0 ? chars / view.count : 0, view };
  });
  const width = Math.max(9, ...names.map((n) => n.length));
  const table = [
    `${"tokenizer".padEnd(width)}  tokens  chars/token`,
    ...rows.map((r) => `${r.name.padEnd(width)}  ${String(r.count).padStart(6)}  ${r.charsPerToken.toFixed(2).padStart(11)}`),
  ].join("\n");
  const plain = [table, ...rows.map((r) => `\n${r.name} (${r.count} tokens)\n${r.view.plain}`)].join("\n");
  const cell = "padding:4px 8px;border-bottom:1px solid #ddd;vertical-align:top;text-align:left";
  const html =
    `<table style="border-collapse:collapse"><thead><tr>` +
    `<th style="${cell}">tokenizer</th><th style="${cell}">tokens</th><th style="${cell}">chars/token</th><th style="${cell}">tokens of the text</th></tr></thead><tbody>` +
    rows
      .map(
        (r) =>
          `<tr><td style="${cell}"><b>${escapeHtml(r.name)}</b></td><td style="${cell}">${r.count}</td>` +
          `<td style="${cell}">${r.charsPerToken.toFixed(2)}</td><td style="${cell}">${chunksHtml(r.view.chunks, opts.showIds !== false, opts.maxTokens ?? 2000)}</td></tr>`,
      )
      .join("") +
    `</tbody></table>`;
  return { text, rows, html, plain, bundle: { data: { "text/html": html, "text/plain": plain }, metadata: {} } };
}

/** Show a comparison: a display output in a notebook, the plain table and views on stdout elsewhere. */
export function showTokenizerComparison(tokenizers: Record<string, TextTokenizerLike>, text: string = TOKENIZER_SAMPLE_TEXT, opts: TokenViewOptions = {}): void {
  const writer = notebookWriter();
  const cmp = compareTokenizers(tokenizers, text, opts);
  if (!displayBundle(cmp.bundle, { writer })) console.log(cmp.plain);
}
