/** Special tokens: splitting text around them, option checks, and atomic file writes shared by both trainers. */
import * as fs from "fs";
import * as path from "path";

/** One piece of a text split around special tokens. */
export interface Section {
  text: string;
  special: boolean;
}

/**
 * Splits text around special tokens, leftmost-longest, as transformers.js' DictionarySplitter and
 * Rust's aho-corasick (LeftmostLongest) do: "<|endoftext|>" in a text is always one token, never split.
 */
export class SpecialSplitter {
  private readonly re: RegExp | null;

  constructor(readonly specials: readonly string[]) {
    const sorted = [...specials].sort((a, b) => b.length - a.length);
    // Longest first: a regex alternation takes the first alternative that matches at a position.
    this.re = sorted.length ? new RegExp(sorted.map(escapeRegExp).join("|"), "g") : null;
  }

  split(text: string): Section[] {
    if (!this.re) return text ? [{ text, special: false }] : [];
    const out: Section[] = [];
    let last = 0;
    this.re.lastIndex = 0;
    for (let m = this.re.exec(text); m; m = this.re.exec(text)) {
      if (m.index > last) out.push({ text: text.slice(last, m.index), special: false });
      out.push({ text: m[0], special: true });
      last = m.index + m[0].length;
    }
    if (last < text.length) out.push({ text: text.slice(last), special: false });
    return out;
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Checks a special-token list: strings, non-empty, no duplicates. */
export function checkSpecialTokens(where: string, specials: readonly string[]): void {
  if (!Array.isArray(specials)) throw new Error(`${where}: specialTokens must be an array of strings`);
  const seen = new Set<string>();
  for (const s of specials) {
    if (typeof s !== "string" || s.length === 0) throw new Error(`${where}: specialTokens must be non-empty strings, got ${JSON.stringify(s)}`);
    if (seen.has(s)) throw new Error(`${where}: special token ${JSON.stringify(s)} is listed twice`);
    seen.add(s);
  }
}

/** Checks vocabSize / minFrequency: integers, in range. */
export function checkCounts(where: string, vocabSize: number, minFrequency: number): void {
  if (!Number.isInteger(vocabSize) || vocabSize < 1) throw new Error(`${where}: vocabSize must be a positive integer, got ${vocabSize}`);
  if (!Number.isInteger(minFrequency) || minFrequency < 0) throw new Error(`${where}: minFrequency must be an integer >= 0, got ${minFrequency}`);
}

/** The texts of a corpus argument: one string is one text; an iterable yields texts. */
export function* corpusTexts(where: string, corpus: string | Iterable<string>): Generator<string> {
  if (typeof corpus === "string") {
    yield corpus;
    return;
  }
  if (corpus == null || typeof (corpus as Iterable<string>)[Symbol.iterator] !== "function") {
    throw new Error(`${where}: the corpus must be a string or an iterable of strings`);
  }
  for (const t of corpus) {
    if (typeof t !== "string") throw new Error(`${where}: the corpus must hold strings, got ${typeof t}`);
    yield t;
  }
}

/** Writes files into `dir` atomically (temp file + rename), creating the folder. */
export function writeFilesAtomic(dir: string, files: Record<string, string>): void {
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(dir, name);
    const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
    fs.writeFileSync(tmp, content);
    fs.renameSync(tmp, file);
  }
}

/** Reads and parses a JSON file, with an error naming the file. */
/** A saved tokenizer folder: tokenizer.json (required) and tokenizer_config.json (optional). */
export function readTokenizerFolder(dir: string): { json: unknown; file: string; config: Record<string, unknown> } {
  const file = path.join(dir, "tokenizer.json");
  const json = readJsonFile(file);
  let config: Record<string, unknown> = {};
  try {
    config = readJsonFile(path.join(dir, "tokenizer_config.json")) as Record<string, unknown>;
  } catch (e) {
    if (!/cannot read/.test((e as Error).message)) throw e;
  }
  return { json, file, config };
}

export function readJsonFile(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new Error(`${file}: cannot read (${(e as Error).message})`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
  }
}
