/**
 * BERT's text normalizer and pre-tokenizer, written to behave exactly as transformers.js 4.3.1
 * (@huggingface/tokenizers 0.2.0) runs a tokenizer.json's "BertNormalizer" and "BertPreTokenizer": the
 * lib's WordPiece encoder must give the ids that the loaded tokenizer.json gives. Where that differs
 * from Rust `tokenizers` it is noted on the line.
 */

export interface BertNormalizerOptions {
  /** Drop control characters, NUL and U+FFFD; turn every whitespace character into a space. */
  cleanText?: boolean;
  /** Put spaces around CJK ideographs so each becomes its own word. */
  handleChineseChars?: boolean;
  /** Remove accents (NFD, then drop non-spacing marks). Default: same as `lowercase`, as in HF. */
  stripAccents?: boolean;
  lowercase?: boolean;
}

/**
 * CJK ideograph blocks, matched per UTF-16 code unit (no `u` flag) as transformers.js does, so unlike
 * Rust `tokenizers` the CJK Extension B+ ideographs (surrogate pairs) are not spaced.
 */
const CHINESE_CODE_UNIT = /[\u4e00-\u9fff\u3400-\u4dbf\uf900-\ufaff]/g;

const CONTROL = /^(?:\p{Cc}|\p{Cf}|\p{Co}|\p{Cs})$/u;
const SPACE = /^\s$/;
const NONSPACING_MARK = /\p{Mn}/gu;

function cleanText(text: string): string {
  const parts: string[] = [];
  let run = 0; // start of the current run of characters kept as they are
  for (let i = 0; i < text.length; i++) {
    const cu = text.charCodeAt(i);
    // ASCII decided inline (regex tests per character cost ~1 s on 4 MB): printable kept; \t \n \r → space; other C0 and DEL dropped.
    if (cu >= 0x20 && cu < 0x7f) continue;
    let ch: string;
    if (cu < 0x80) ch = text[i];
    else {
      const cp = text.codePointAt(i)!;
      ch = String.fromCodePoint(cp);
      if (cp !== 0xfffd && !CONTROL.test(ch) && !SPACE.test(ch)) {
        i += ch.length - 1;
        continue;
      }
    }
    if (i > run) parts.push(text.slice(run, i));
    const keepAsSpace = ch === "\t" || ch === "\n" || ch === "\r" || (cu !== 0 && cu !== 0xfffd && !CONTROL.test(ch) && SPACE.test(ch));
    if (keepAsSpace) parts.push(" ");
    i += ch.length - 1;
    run = i + 1;
  }
  if (run === 0) return text;
  if (run < text.length) parts.push(text.slice(run));
  return parts.join("");
}

function spaceChineseChars(text: string): string {
  return text.replace(CHINESE_CODE_UNIT, " $& ");
}

/** Fast path: pure printable ASCII needs only lowercasing (most of the English corpora). */
const PLAIN_ASCII = /^[\x20-\x7e]*$/;

/** Normalizes `text` as transformers.js' BertNormalizer does (its order: clean, CJK, lowercase, strip accents). */
export function bertNormalize(text: string, opts: BertNormalizerOptions = {}): string {
  const lowercase = opts.lowercase ?? true;
  const strip = opts.stripAccents ?? lowercase;
  if (PLAIN_ASCII.test(text)) return lowercase ? text.toLowerCase() : text;
  if (opts.cleanText ?? true) text = cleanText(text);
  if (opts.handleChineseChars ?? true) text = spaceChineseChars(text);
  if (lowercase) text = text.toLowerCase();
  if (strip) text = text.normalize("NFD").replace(NONSPACING_MARK, "");
  return text;
}

/** Punctuation as BERT sees it: Unicode P* plus every ASCII symbol ($, +, <, ^, `, |, ~ ...). */
const PUNCT = String.raw`\p{P}\u0021-\u002F\u003A-\u0040\u005B-\u0060\u007B-\u007E`;
export const BERT_PRE_TOKENIZE_PATTERN = `[^\\s${PUNCT}]+|[${PUNCT}]`;
// Shared: String.prototype.match resets a global regex's lastIndex before and after, so reuse is safe.
const BERT_SPLIT = new RegExp(BERT_PRE_TOKENIZE_PATTERN, "gu");

/** BertPreTokenizer: split on whitespace (dropped) and on each punctuation character (kept alone). */
export function bertPreTokenize(text: string): string[] {
  return text.trim().match(BERT_SPLIT) ?? [];
}
