/**
 * GPT-2's byte-level pieces: the pre-tokenization regex and the bytes-to-unicode map that turns every
 * byte into a printable character, so a BPE over "characters" is really a BPE over bytes and any text
 * (emoji, CJK, control characters) round-trips without an unknown token.
 */

/**
 * GPT-2's split pattern, written exactly as transformers.js' ByteLevel pre-tokenizer writes it: the lib
 * must split text the same way the loaded tokenizer.json will (JS `\s` differs from Rust/Oniguruma's
 * at U+0085 and U+FEFF; see README notes in ./index.ts).
 */
export const GPT2_SPLIT_PATTERN = String.raw`'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`;

/** A fresh global regex for GPT2_SPLIT_PATTERN (regexes with /g are stateful, so never share one). */
export function gpt2SplitRegex(): RegExp {
  return new RegExp(GPT2_SPLIT_PATTERN, "gu");
}

/** The 256 byte → character table of GPT-2 (bytes_to_unicode in openai/gpt-2's encoder.py). */
export const BYTE_TO_CHAR: readonly string[] = (() => {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const table: string[] = new Array(256);
  const keep = new Set(printable);
  for (const b of printable) table[b] = String.fromCharCode(b);
  let n = 0;
  for (let b = 0; b < 256; b++) if (!keep.has(b)) table[b] = String.fromCharCode(256 + n++);
  return table;
})();

/** Inverse of BYTE_TO_CHAR. */
export const CHAR_TO_BYTE: ReadonlyMap<string, number> = new Map(BYTE_TO_CHAR.map((c, b) => [c, b]));

/** The 256 byte characters in code-point order: HF's trainer numbers its alphabet in this order. */
export function byteLevelAlphabet(): string[] {
  return [...BYTE_TO_CHAR].sort((a, b) => a.charCodeAt(0) - b.charCodeAt(0));
}

const encoder = new TextEncoder();

/** UTF-8 bytes of `s` mapped through BYTE_TO_CHAR: "Hello world" piece " world" → "Ġworld". */
export function toByteLevel(s: string): string {
  const bytes = encoder.encode(s);
  let out = "";
  for (let i = 0; i < bytes.length; i++) out += BYTE_TO_CHAR[bytes[i]];
  return out;
}

// Shared: String.prototype.match resets a global regex's lastIndex before and after, so reuse is safe.
const GPT2_SPLIT = gpt2SplitRegex();

/** Splits `text` with GPT-2's regex into raw (not yet byte-mapped) pieces. */
export function gpt2Split(text: string): string[] {
  return text.match(GPT2_SPLIT) ?? [];
}

/** ByteLevel pre-tokenization (add_prefix_space false, use_regex true): GPT-2 split, then byte-map. */
export function byteLevelPreTokenize(text: string): string[] {
  return gpt2Split(text).map(toByteLevel);
}
