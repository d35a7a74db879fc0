/**
 * Checks of Hugging Face tokenizer files, run before they reach @huggingface/transformers.
 *
 * transformers.js trusts its input: a vocab with a duplicate id silently overwrites a token, a merge that
 * names an unknown token or a missing [UNK] gives `undefined` ids, a truncated file fails with V8's message
 * (which quotes the whole 10 MB file). Here every problem becomes one TokenizerFileError whose message names
 * the file and the field, e.g. `tokenizer.json: model.vocab has id 5 twice ("a" and "b")`.
 */
import { jsonErrorPosition, lineColumn } from "../util/json";
import * as fs from "fs";
import * as path from "path";

export class TokenizerFileError extends Error {
  /** The file (as given: a path, or a bare name like "tokenizer.json"). */
  readonly file: string;
  constructor(file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.name = "TokenizerFileError";
    this.file = file;
  }
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function kind(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "string") return `the string ${clip(JSON.stringify(v))}`;
  return typeof v === "object" ? "an object" : `${typeof v} ${String(v)}`;
}

function clip(text: string, max = 40): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function q(token: string): string {
  return clip(JSON.stringify(token));
}

export { jsonErrorPosition };

/** JSON.parse with an error that names the file and the line/column, and says when it looks truncated. */
export function parseJsonStrict(text: string, file: string): unknown {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // a BOM is harmless
  if (text.trim().length === 0) throw new TokenizerFileError(file, "is empty (an interrupted download?)");
  try {
    return JSON.parse(text);
  } catch (err) {
    const v8 = /at position (\d+)/.exec((err as Error).message);
    const pos = v8 ? Number(v8[1]) : jsonErrorPosition(text);
    const end = text.trimEnd().length;
    const { line, column } = lineColumn(text, Math.max(0, pos));
    if (pos < 0 || pos >= end) {
      const bytes = Buffer.byteLength(text, "utf8");
      throw new TokenizerFileError(file, `is not valid JSON: it ends unexpectedly at line ${line}, column ${column} (the file is ${bytes} bytes long); it looks truncated (an interrupted download?)`);
    }
    const near = JSON.stringify(text.slice(Math.max(0, pos - 20), pos + 20));
    // V8's reason without its copy of the input text (`Unexpected token '}', ..."abc" is not valid JSON`).
    let reason = (err as Error).message;
    if (/is not valid JSON$/.test(reason)) reason = reason.split(/, (?:\.\.\.)?"/)[0];
    reason = reason.replace(/ in JSON at position \d+[\s\S]*$/, "");
    throw new TokenizerFileError(file, `is not valid JSON at line ${line}, column ${column}: ${reason} (near ${near})`);
  }
}

/** Read a UTF-8 JSON file; errors name the file. */
export function readJsonStrict(filePath: string): unknown {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(filePath);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new TokenizerFileError(filePath, code === "ENOENT" ? "does not exist" : `cannot be read (${code ?? (err as Error).message})`);
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new TokenizerFileError(filePath, "is not UTF-8 text (a binary file, or a different encoding?)");
  }
  return parseJsonStrict(text, filePath);
}

// ---------------------------------------------------------------------------------------------------------
// tokenizer.json

/** Component types transformers.js 4.3 (@huggingface/tokenizers 0.2) can build. */
export const SUPPORTED_COMPONENTS = {
  normalizer: ["BertNormalizer", "Precompiled", "Sequence", "Replace", "NFC", "NFD", "NFKC", "NFKD", "Strip", "StripAccents", "Lowercase", "Prepend"],
  pre_tokenizer: ["BertPreTokenizer", "Sequence", "Whitespace", "WhitespaceSplit", "Metaspace", "ByteLevel", "Split", "Punctuation", "Digits", "Replace", "FixedLength"],
  post_processor: ["TemplateProcessing", "ByteLevel", "BertProcessing", "RobertaProcessing", "Sequence"],
  decoder: ["ByteLevel", "WordPiece", "Metaspace", "BPEDecoder", "CTC", "Sequence", "Replace", "Fuse", "Strip", "ByteFallback"],
} as const;

const SEQUENCE_FIELD: Record<keyof typeof SUPPORTED_COMPONENTS, string> = {
  normalizer: "normalizers",
  pre_tokenizer: "pretokenizers",
  post_processor: "processors",
  decoder: "decoders",
};

export type TokenizerModelType = "BPE" | "WordPiece" | "Unigram";

export interface TokenizerJsonSummary {
  modelType: TokenizerModelType;
  /** Entries of model.vocab (without added tokens beyond it). */
  vocabSize: number;
  addedTokens: number;
}

function checkComponent(file: string, where: string, part: keyof typeof SUPPORTED_COMPONENTS, value: unknown, depth = 0): void {
  if (value === null || value === undefined) return;
  if (!isObject(value)) throw new TokenizerFileError(file, `${where} must be an object or null, found ${kind(value)}`);
  const type = value.type;
  const supported = SUPPORTED_COMPONENTS[part] as readonly string[];
  if (typeof type !== "string") throw new TokenizerFileError(file, `${where}.type is missing`);
  if (!supported.includes(type)) {
    throw new TokenizerFileError(file, `${where}.type ${q(type)} is not supported by transformers.js (supported: ${supported.join(", ")})`);
  }
  if (type === "Sequence" && depth < 8) {
    const key = SEQUENCE_FIELD[part];
    const items = value[key];
    if (!Array.isArray(items)) throw new TokenizerFileError(file, `${where}.${key} must be a list`);
    items.forEach((item, i) => checkComponent(file, `${where}.${key}[${i}]`, part, item, depth + 1));
  }
}

function checkId(file: string, where: string, id: unknown): number {
  if (typeof id !== "number" || !Number.isInteger(id) || id < 0) {
    throw new TokenizerFileError(file, `${where} has id ${JSON.stringify(id)}: ids must be whole numbers >= 0`);
  }
  return id;
}

/** Which model the file holds, inferring a missing `type` the way transformers.js does. */
function modelType(file: string, model: Json): TokenizerModelType {
  const type = model.type;
  if (type === "BPE" || type === "WordPiece" || type === "Unigram") return type;
  if (type === "WordLevel") throw new TokenizerFileError(file, `model.type "WordLevel" is not supported by transformers.js (it supports BPE, WordPiece and Unigram)`);
  if (type !== undefined) throw new TokenizerFileError(file, `model.type ${typeof type === "string" ? q(type) : kind(type)} is unknown (expected BPE, WordPiece or Unigram)`);
  if (Array.isArray(model.vocab)) return "Unigram";
  if (isObject(model.vocab) && "continuing_subword_prefix" in model && "unk_token" in model) return "merges" in model ? "BPE" : "WordPiece";
  throw new TokenizerFileError(file, "model.type is missing and cannot be inferred (expected BPE, WordPiece or Unigram)");
}

/**
 * Check a parsed tokenizer.json. Throws TokenizerFileError on the first problem; returns a summary.
 * A missing `added_tokens` list is filled in as [] (transformers.js needs one; the file means "none").
 */
export function validateTokenizerJson(json: unknown, file = "tokenizer.json"): TokenizerJsonSummary {
  const fail = (problem: string): never => {
    throw new TokenizerFileError(file, problem);
  };
  if (!isObject(json)) return fail(`is not a tokenizer: expected a JSON object at the top, found ${kind(json)}`);
  if (!isObject(json.model)) {
    return fail(json.model === undefined ? 'has no "model" (is this a tokenizer.json of the Hugging Face tokenizers library?)' : `model must be an object, found ${kind(json.model)}`);
  }
  const model = json.model;
  const type = modelType(file, model);

  // token -> id of the model's vocabulary, whatever its shape.
  const vocab = new Map<string, number>();
  const byId = new Map<number, string>();
  if (type === "Unigram") {
    if (model.vocab === undefined) fail("model.vocab is missing (Unigram needs a list of [piece, score] pairs)");
    if (!Array.isArray(model.vocab)) fail(`model.vocab must be a list of [piece, score] pairs for Unigram, found ${kind(model.vocab)}`);
    (model.vocab as unknown[]).forEach((entry, id) => {
      if (!Array.isArray(entry) || entry.length < 2 || typeof entry[0] !== "string" || typeof entry[1] !== "number" || !Number.isFinite(entry[1])) {
        fail(`model.vocab[${id}] is not a ["piece", score] pair: ${clip(JSON.stringify(entry) ?? String(entry))}`);
      }
      const piece = (entry as [string, number])[0];
      const first = vocab.get(piece);
      if (first !== undefined) fail(`model.vocab has piece ${q(piece)} twice (ids ${first} and ${id})`);
      vocab.set(piece, id);
      byId.set(id, piece);
    });
    const unk = model.unk_id;
    if (unk === undefined || unk === null) fail("model.unk_id is missing (transformers.js needs the id of the unknown piece)");
    if (typeof unk !== "number" || !Number.isInteger(unk) || unk < 0 || unk >= vocab.size) {
      fail(`model.unk_id ${JSON.stringify(unk)} is outside model.vocab (${vocab.size} pieces)`);
    }
  } else {
    if (model.vocab === undefined) fail(`model.vocab is missing (${type === "BPE" ? "BPE needs a vocab and merges" : "WordPiece needs a vocab"})`);
    if (!isObject(model.vocab)) fail(`model.vocab must be an object {token: id}, found ${kind(model.vocab)}`);
    for (const [token, rawId] of Object.entries(model.vocab as Json)) {
      const id = checkId(file, `model.vocab[${q(token)}]`, rawId);
      const other = byId.get(id);
      if (other !== undefined) fail(`model.vocab has id ${id} twice (${q(other)} and ${q(token)})`);
      byId.set(id, token);
      vocab.set(token, id);
    }
    if (vocab.size === 0) fail("model.vocab is empty");
  }

  // added_tokens: each {id, content}; no two for one id or one content; none contradicting the vocab.
  if (json.added_tokens === undefined || json.added_tokens === null) json.added_tokens = [];
  if (!Array.isArray(json.added_tokens)) fail(`added_tokens must be a list, found ${kind(json.added_tokens)}`);
  const added = json.added_tokens as unknown[];
  const addedById = new Map<number, [number, string]>();
  const addedByContent = new Map<string, number>();
  added.forEach((tok, i) => {
    if (!isObject(tok)) fail(`added_tokens[${i}] must be an object {id, content, ...}, found ${kind(tok)}`);
    const t = tok as Json;
    if (typeof t.content !== "string" || t.content.length === 0) fail(`added_tokens[${i}] has no "content" string`);
    const content = t.content as string;
    const id = checkId(file, `added_tokens[${i}] ${q(content)}`, t.id);
    const sameId = addedById.get(id);
    if (sameId && sameId[1] !== content) fail(`added_tokens[${i}] ${q(content)} has id ${id}, already used by added_tokens[${sameId[0]}] ${q(sameId[1])}`);
    const sameContent = addedByContent.get(content);
    if (sameContent !== undefined && sameContent !== id) fail(`added_tokens has ${q(content)} twice (ids ${sameContent} and ${id})`);
    const vocabToken = byId.get(id);
    if (vocabToken !== undefined && vocabToken !== content) fail(`added_tokens[${i}] ${q(content)} has id ${id}, which model.vocab gives to ${q(vocabToken)}`);
    const vocabId = vocab.get(content);
    if (vocabId !== undefined && vocabId !== id) fail(`added_tokens[${i}] ${q(content)} has id ${id}, but model.vocab gives it id ${vocabId}`);
    addedById.set(id, [i, content]);
    addedByContent.set(content, id);
  });
  const known = (token: string) => vocab.has(token) || addedByContent.has(token);
  const idOf = (token: string) => vocab.get(token) ?? addedByContent.get(token);

  if (type === "BPE") {
    if (model.merges === undefined) fail("model.merges is missing (BPE needs a vocab and merges)");
    if (!Array.isArray(model.merges)) fail(`model.merges must be a list, found ${kind(model.merges)}`);
    const prefix = typeof model.continuing_subword_prefix === "string" ? model.continuing_subword_prefix : "";
    (model.merges as unknown[]).forEach((merge, i) => {
      let pair: string[] | null = null;
      if (typeof merge === "string") {
        const parts = merge.split(" ");
        if (parts.length === 2 && parts[0] && parts[1]) pair = parts;
      } else if (Array.isArray(merge) && merge.length === 2 && typeof merge[0] === "string" && typeof merge[1] === "string") {
        pair = merge as string[];
      }
      if (!pair) fail(`model.merges[${i}] is not "a b" or ["a", "b"]: ${clip(JSON.stringify(merge) ?? String(merge))}`);
      const [a, b] = pair!;
      for (const part of [a, b]) if (!vocab.has(part)) fail(`model.merges[${i}] (${q(`${a} ${b}`)}) uses ${q(part)}, which is not in model.vocab`);
      const merged = a + (prefix && b.startsWith(prefix) ? b.slice(prefix.length) : b);
      if (!vocab.has(merged)) fail(`model.merges[${i}] (${q(`${a} ${b}`)}) makes ${q(merged)}, which is not in model.vocab`);
    });
    if (typeof model.unk_token === "string" && !known(model.unk_token)) fail(`model.unk_token ${q(model.unk_token)} is not in model.vocab`);
  } else if (type === "WordPiece") {
    const unk = model.unk_token ?? "[UNK]";
    if (typeof unk !== "string") fail(`model.unk_token must be a string, found ${kind(unk)}`);
    if (!known(unk as string)) fail(`model.unk_token ${q(unk as string)} is not in model.vocab (WordPiece needs it for unknown words)`);
  }

  for (const part of Object.keys(SUPPORTED_COMPONENTS) as (keyof typeof SUPPORTED_COMPONENTS)[]) {
    checkComponent(file, part, part, json[part]);
  }
  checkPostProcessorTokens(file, json.post_processor, "post_processor", known, idOf);

  return { modelType: type, vocabSize: vocab.size, addedTokens: added.length };
}

/** The special tokens a post-processor inserts must exist, with the ids it claims. */
function checkPostProcessorTokens(
  file: string,
  pp: unknown,
  where: string,
  known: (t: string) => boolean,
  idOf: (t: string) => number | undefined,
  depth = 0,
): void {
  if (!isObject(pp) || depth > 8) return;
  const fail = (problem: string): never => {
    throw new TokenizerFileError(file, problem);
  };
  const checkToken = (token: unknown, claimed: unknown, field: string) => {
    if (typeof token !== "string") fail(`${field} must name a token, found ${kind(token)}`);
    if (!known(token as string)) fail(`${field} uses special token ${q(token as string)}, which is not in the vocabulary`);
    const actual = idOf(token as string);
    if (typeof claimed === "number" && claimed !== actual) fail(`${field} gives ${q(token as string)} id ${claimed}, but the vocabulary gives it id ${actual}`);
  };
  if (pp.type === "TemplateProcessing") {
    const specials = isObject(pp.special_tokens) ? pp.special_tokens : {};
    for (const [name, spec] of Object.entries(specials)) {
      if (!isObject(spec) || !Array.isArray(spec.tokens) || !Array.isArray(spec.ids)) fail(`${where}.special_tokens[${q(name)}] must have "tokens" and "ids" lists`);
      const s = spec as Json;
      (s.tokens as unknown[]).forEach((t, k) => checkToken(t, (s.ids as unknown[])[k], `${where}.special_tokens[${q(name)}]`));
    }
    for (const key of ["single", "pair"]) {
      const template = pp[key];
      if (template === undefined) continue;
      if (!Array.isArray(template)) fail(`${where}.${key} must be a list`);
      (template as unknown[]).forEach((item, k) => {
        if (isObject(item) && isObject(item.SpecialToken)) checkToken(item.SpecialToken.id, undefined, `${where}.${key}[${k}]`);
      });
    }
  } else if (pp.type === "BertProcessing" || pp.type === "RobertaProcessing") {
    for (const key of ["cls", "sep"]) {
      const pair = pp[key];
      if (!Array.isArray(pair) || pair.length !== 2) fail(`${where}.${key} must be [token, id]`);
      checkToken((pair as unknown[])[0], (pair as unknown[])[1], `${where}.${key}`);
    }
  } else if (pp.type === "Sequence" && Array.isArray(pp.processors)) {
    pp.processors.forEach((p, k) => checkPostProcessorTokens(file, p, `${where}.processors[${k}]`, known, idOf, depth + 1));
  }
}

// ---------------------------------------------------------------------------------------------------------
// tokenizer_config.json and special_tokens_map.json

export const SPECIAL_TOKEN_KEYS = ["bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"] as const;

/** A special token value as plain text: "x", {"content": "x", ...} (AddedToken), or null. */
function tokenText(file: string, key: string, value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === "string") return value;
  if (isObject(value) && typeof value.content === "string") return value.content;
  throw new TokenizerFileError(file, `${key} must be a token string or {"content": ...}, found ${kind(value)}`);
}

/**
 * Check tokenizer_config.json (or special_tokens_map.json) and return a copy that transformers.js reads
 * safely: special tokens as plain strings (it rejects AddedToken objects without "__type").
 */
export function validateTokenizerConfig(json: unknown, file = "tokenizer_config.json"): Json {
  const fail = (problem: string): never => {
    throw new TokenizerFileError(file, problem);
  };
  if (!isObject(json)) return fail(`must be a JSON object, found ${kind(json)}`);
  const out: Json = { ...json };
  for (const key of SPECIAL_TOKEN_KEYS) {
    if (key in json) out[key] = tokenText(file, key, json[key]);
  }
  if ("additional_special_tokens" in json && json.additional_special_tokens != null) {
    const extra = json.additional_special_tokens;
    if (!Array.isArray(extra)) fail(`additional_special_tokens must be a list, found ${kind(extra)}`);
    out.additional_special_tokens = (extra as unknown[]).map((t, i) => tokenText(file, `additional_special_tokens[${i}]`, t));
  }
  const max = json.model_max_length;
  if (max !== undefined && max !== null && (typeof max !== "number" || !(max > 0))) fail(`model_max_length must be a positive number, found ${kind(max)}`);
  for (const key of ["padding_side", "truncation_side"]) {
    const side = json[key];
    if (side !== undefined && side !== null && side !== "left" && side !== "right") fail(`${key} must be "left" or "right", found ${kind(side)}`);
  }
  if (json.tokenizer_class !== undefined && json.tokenizer_class !== null && typeof json.tokenizer_class !== "string") {
    fail(`tokenizer_class must be a string, found ${kind(json.tokenizer_class)}`);
  }
  const template = json.chat_template;
  if (template !== undefined && template !== null && typeof template !== "string") {
    if (!Array.isArray(template) || !template.every((t) => isObject(t) && typeof t.name === "string" && typeof t.template === "string")) {
      fail('chat_template must be a string or a list of {"name", "template"}');
    }
  }
  for (const key of ["clean_up_tokenization_spaces", "do_lower_case", "add_bos_token", "add_eos_token"]) {
    const v = json[key];
    if (v !== undefined && v !== null && typeof v !== "boolean") fail(`${key} must be true or false, found ${kind(v)}`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// A folder

export interface TokenizerFiles {
  folder: string;
  /** tokenizer.json, checked (added_tokens filled in when missing). */
  tokenizerJson: Json;
  /** tokenizer_config.json merged with special_tokens_map.json and chat_template.jinja, as transformers.js wants it. */
  tokenizerConfig: Json;
  summary: TokenizerJsonSummary;
}

/**
 * Read and check a tokenizer folder: tokenizer.json and tokenizer_config.json (required), and the optional
 * special_tokens_map.json (its values win, as in Python's from_pretrained) and chat_template.jinja (newer
 * hub repos keep the template there; it wins over tokenizer_config's).
 */
export function loadTokenizerFiles(folder: string): TokenizerFiles {
  const file = (name: string) => path.join(folder, name);
  if (!fs.existsSync(file("tokenizer.json"))) {
    throw new TokenizerFileError(file("tokenizer.json"), "does not exist (a Hugging Face tokenizer folder needs tokenizer.json; slow-only tokenizers with vocab.txt / spiece.model are not supported)");
  }
  const tokenizerJson = readJsonStrict(file("tokenizer.json"));
  const summary = validateTokenizerJson(tokenizerJson, file("tokenizer.json"));
  if (!fs.existsSync(file("tokenizer_config.json"))) throw new TokenizerFileError(file("tokenizer_config.json"), "does not exist (it is needed next to tokenizer.json)");
  let tokenizerConfig = validateTokenizerConfig(readJsonStrict(file("tokenizer_config.json")), file("tokenizer_config.json"));
  if (fs.existsSync(file("special_tokens_map.json"))) {
    const map = validateTokenizerConfig(readJsonStrict(file("special_tokens_map.json")), file("special_tokens_map.json"));
    tokenizerConfig = { ...tokenizerConfig, ...map };
  }
  if (fs.existsSync(file("chat_template.jinja"))) {
    tokenizerConfig.chat_template = fs.readFileSync(file("chat_template.jinja"), "utf8");
  }
  return { folder, tokenizerJson: tokenizerJson as Json, tokenizerConfig, summary };
}
