/**
 * Chapter 6, output verification: constrained decoding that always yields JSON valid for a schema,
 * and the retry-with-validation loop for unconstrained generation.
 *
 * Constrained decoding masks, at each step, every token whose bytes the schema's automaton
 * (`JsonSchemaAutomaton`) refuses from the current state, so sampling (greedy, or temperature / top-k /
 * top-p among the allowed tokens) can only continue the JSON. Each token's bytes are computed once per
 * tokenizer and kept in a trie, so one step walks shared prefixes once. Byte-level BPE tokens that are
 * part of a UTF-8 character are tracked as bytes (the automaton works on UTF-8 bytes), so they are
 * allowed inside strings whenever the character they start or finish is.
 *
 * Termination: a token is allowed only if the fewest bytes that would still complete the value after it
 * fit in the tokens left (`maxNewTokens` minus those used); every byte is one token in a byte-level
 * vocabulary, so there is always a way to finish in time, and the output is complete when the budget
 * ends. Generation stops at EOS (allowed only once the value is complete) or as soon as the value is
 * complete and nothing may follow it.
 */
import { CausalLM, generateBatch } from "../generation/generate";
import { SamplingOptions } from "../generation/sampling";
import {
  JsonGrammarOptions,
  JsonSchema,
  JsonSchemaAutomaton,
  JsonSchemaError,
  JsonState,
  feedJsonByte,
  jsonCompletionCost,
  jsonStateClosed,
  jsonStateComplete,
  validateJsonSchema,
} from "./json-schema";

/** What constrained decoding needs from a tokenizer (HfTokenizer and CharTokenizer fit). */
export interface ConstrainedTokenizer {
  encode(text: string): number[];
  decode(ids: number[]): string;
  eosTokenId?: number | null;
  /** token string -> id; with it, byte-level BPE tokens are read back to their exact bytes. */
  getVocab?(): Map<string, number>;
  allSpecialIds?: number[];
}

interface TrieNode {
  next: Map<number, TrieNode>;
  ids: number[];
}

/** Each token's bytes (null: never generated, e.g. special tokens), and the trie over them. */
export interface TokenByteTable {
  bytes: (Uint8Array | null)[];
  /** How the bytes were found: from byte-level BPE symbols, or by decoding each token alone. */
  source: "byte-level" | "decode";
  trie: TrieNode;
}

/** GPT-2's bytes_to_unicode: the printable character that stands for each byte in byte-level BPE. */
function byteLevelDecoder(): Map<string, number> {
  const bytes: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) bytes.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bytes.push(b);
  for (let b = 0xae; b <= 0xff; b++) bytes.push(b);
  const chars = bytes.slice();
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bytes.includes(b)) {
      bytes.push(b);
      chars.push(256 + n++);
    }
  }
  return new Map(chars.map((c, i) => [String.fromCodePoint(c), bytes[i]]));
}

const TABLES = new WeakMap<object, Map<number, TokenByteTable>>();

/**
 * The bytes of every token id below `vocabSize`, computed once per tokenizer (cached). A byte-level BPE
 * vocabulary (every token spelled in bytes_to_unicode symbols) gives exact bytes, partial UTF-8 pieces
 * included; otherwise each token is decoded alone and tokens that decode to nothing or to U+FFFD (a
 * piece of a character) are never generated.
 */
export function tokenByteTable(tokenizer: ConstrainedTokenizer, vocabSize: number): TokenByteTable {
  let perSize = TABLES.get(tokenizer);
  if (!perSize) TABLES.set(tokenizer, (perSize = new Map()));
  const cached = perSize.get(vocabSize);
  if (cached) return cached;
  const special = new Set(tokenizer.allSpecialIds ?? []);
  if (tokenizer.eosTokenId != null) special.add(tokenizer.eosTokenId);
  const bytes: (Uint8Array | null)[] = new Array(vocabSize).fill(null);
  const table = byteLevelDecoder();
  const vocab = tokenizer.getVocab ? tokenizer.getVocab() : null;
  let source: TokenByteTable["source"] = "decode";
  if (vocab) {
    const entries = [...vocab].filter(([, id]) => id < vocabSize && !special.has(id));
    const symbols = [...table.keys()].filter((ch) => vocab.has(ch)).length;
    const byteLevel = symbols >= 200 && entries.every(([token]) => [...token].every((ch) => table.has(ch)));
    if (byteLevel) {
      source = "byte-level";
      for (const [token, id] of entries) bytes[id] = Uint8Array.from([...token].map((ch) => table.get(ch) as number));
    }
  }
  if (source === "decode") {
    for (let id = 0; id < vocabSize; id++) {
      if (special.has(id)) continue;
      let text: string;
      try {
        text = tokenizer.decode([id]);
      } catch {
        continue; // a gap in the vocabulary
      }
      if (text.length > 0 && !text.includes("\uFFFD")) bytes[id] = Uint8Array.from(Buffer.from(text, "utf8"));
    }
  }
  const trie: TrieNode = { next: new Map(), ids: [] };
  bytes.forEach((b, id) => {
    if (!b || b.length === 0) return;
    let node = trie;
    for (const x of b) {
      let child = node.next.get(x);
      if (!child) node.next.set(x, (child = { next: new Map(), ids: [] }));
      node = child;
    }
    node.ids.push(id);
  });
  // The budget guard finishes a value one byte per token: every printable ASCII byte needs its own token.
  const missing: string[] = [];
  for (let b = 0x20; b < 0x7f; b++) if (!trie.next.get(b)?.ids.length) missing.push(String.fromCharCode(b));
  if (missing.length > 0) {
    throw new Error(
      `constrained JSON decoding needs a single-character token for every printable ASCII character; this tokenizer has none for ${JSON.stringify(missing.join(""))}`,
    );
  }
  const out: TokenByteTable = { bytes, source, trie };
  perSize.set(vocabSize, out);
  return out;
}

/**
 * The tokens allowed from `state` with `tokensLeft` tokens of budget (this one included), each with
 * the state it leads to. EOS (when given) is allowed once the value is complete.
 */
export function allowedJsonTokens(state: JsonState, table: TokenByteTable, tokensLeft: number, eosTokenId: number | null = null): Map<number, JsonState> {
  const out = new Map<number, JsonState>();
  const limit = tokensLeft - 1;
  if (limit < 0) return out;
  const walk = (node: TrieNode, s: JsonState) => {
    node.next.forEach((child, b) => {
      const s2 = feedJsonByte(s, b);
      if (s2 === null) return;
      if (child.ids.length > 0 && jsonCompletionCost(s2) <= limit) for (const id of child.ids) out.set(id, s2);
      if (child.next.size > 0) walk(child, s2);
    });
  };
  walk(table.trie, state);
  if (eosTokenId !== null && jsonStateComplete(state)) out.set(eosTokenId, state);
  return out;
}

export interface GenerateJsonOptions extends SamplingOptions, JsonGrammarOptions {
  /** Token budget for the JSON (default 64); the schema's shortest value must fit. */
  maxNewTokens?: number;
  seed?: number;
  repetitionPenalty?: number;
  useCache?: boolean;
  /** Default: the tokenizer's EOS; null for none (generation then ends when the value is complete or at the budget). */
  eosTokenId?: number | null;
}

export interface GenerateJsonResult {
  /** The JSON text (compact), decoded from the generated tokens' bytes. */
  text: string;
  /** JSON.parse(text): valid for the schema. */
  value: unknown;
  /** The generated token ids (EOS included when it was generated). */
  tokenIds: number[];
  /** "eos": the model chose to end; "complete": nothing could follow; "length": the budget ended. */
  finishReason: "eos" | "complete" | "length";
}

interface RowState {
  state: JsonState;
  allowed: Map<number, JsonState>;
  tokens: number[];
  bytes: number[];
  finish: GenerateJsonResult["finishReason"] | null;
}

/** Completed and nothing but EOS may follow. */
function nothingFollows(row: RowState, eos: number | null): boolean {
  if (!jsonStateComplete(row.state)) return false;
  for (const id of row.allowed.keys()) if (id !== eos) return false;
  return true;
}

/**
 * Constrained generation for several prompts at once (one batch, so one sampling seed): each row
 * continues its prompt with a JSON value the schema accepts. Same prompt repeated = several samples.
 */
export function generateJsonBatch(
  model: CausalLM,
  tokenizer: ConstrainedTokenizer,
  prompts: string[],
  schema: JsonSchema | JsonSchemaAutomaton,
  opts: GenerateJsonOptions = {},
): GenerateJsonResult[] {
  const automaton = schema instanceof JsonSchemaAutomaton ? schema : new JsonSchemaAutomaton(schema, opts);
  const maxNewTokens = opts.maxNewTokens ?? 64;
  if (!(Number.isInteger(maxNewTokens) && maxNewTokens > 0)) throw new Error(`maxNewTokens must be a positive integer (got ${maxNewTokens})`);
  const start = automaton.start();
  const shortest = jsonCompletionCost(start);
  if (shortest > maxNewTokens) {
    throw new Error(`maxNewTokens ${maxNewTokens} is too small for this schema: its shortest JSON value takes ${shortest} bytes (up to ${shortest} tokens)`);
  }
  const vocabSize = model.config.vocab_size;
  const table = tokenByteTable(tokenizer, vocabSize);
  const eos = opts.eosTokenId === undefined ? tokenizer.eosTokenId ?? null : opts.eosTokenId;
  if (eos !== null && !(Number.isInteger(eos) && eos >= 0 && eos < vocabSize)) throw new Error(`eosTokenId ${eos} is outside the vocabulary (${vocabSize})`);
  const firstAllowed = allowedJsonTokens(start, table, maxNewTokens, eos);
  if (firstAllowed.size === 0) throw new Error("constrained JSON decoding: no token of the vocabulary can start this schema's value");
  const promptIds = prompts.map((p, i) => {
    const ids = tokenizer.encode(p);
    if (ids.length === 0) throw new Error(`generateJson: prompt ${i} encodes to no tokens`);
    return ids;
  });
  const rows: RowState[] = prompts.map(() => ({ state: start, allowed: firstAllowed, tokens: [], bytes: [], finish: null }));

  generateBatch(model, promptIds, {
    doSample: opts.doSample,
    temperature: opts.temperature,
    topK: opts.topK,
    topP: opts.topP,
    seed: opts.seed,
    repetitionPenalty: opts.repetitionPenalty,
    useCache: opts.useCache,
    maxNewTokens,
    eosTokenId: eos === null ? undefined : eos,
    logitsProcessor: (_ids, logits, r) => {
      const masked = new Array<number>(logits.length).fill(-Infinity);
      for (const id of rows[r].allowed.keys()) masked[id] = logits[id];
      return masked;
    },
    // onToken sees every new token (EOS too); stoppingCriteria is asked only for the others.
    onToken: (id, r) => {
      const row = rows[r];
      const next = row.allowed.get(id);
      if (next === undefined) throw new Error(`constrained JSON decoding: token ${id} was sampled although masked`);
      row.tokens.push(id);
      row.state = next;
      const bytes = table.bytes[id];
      if (bytes) for (const b of bytes) row.bytes.push(b);
      const left = maxNewTokens - row.tokens.length;
      row.allowed = allowedJsonTokens(next, table, left, eos);
      if (id === eos) row.finish = "eos";
      else if (jsonStateClosed(next) || (left > 0 && nothingFollows(row, eos))) row.finish = "complete";
      else if (left === 0) row.finish = "length";
      else if (row.allowed.size === 0) throw new Error("constrained JSON decoding: no token can continue the value (a vocabulary without single-byte tokens?)");
    },
    stoppingCriteria: (_ids, r) => rows[r].finish !== null,
  });

  return rows.map((row) => {
    const finish = row.finish ?? "length";
    if (!jsonStateComplete(row.state)) throw new Error("constrained JSON decoding ended before the value was complete (internal error)");
    const text = new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(row.bytes));
    const value = JSON.parse(text) as unknown;
    const errors = validateJsonSchema(value, automaton.schema);
    if (errors.length > 0) throw new Error(`constrained JSON decoding produced an invalid value (internal error): ${formatErrors(errors)}`);
    return { text, value, tokenIds: row.tokens, finishReason: finish };
  });
}

/** Continues `prompt` with JSON valid for `schema`, by masking invalid tokens at each step. */
export function generateJson(
  model: CausalLM,
  tokenizer: ConstrainedTokenizer,
  prompt: string,
  schema: JsonSchema | JsonSchemaAutomaton,
  opts: GenerateJsonOptions = {},
): GenerateJsonResult {
  return generateJsonBatch(model, tokenizer, [prompt], schema, opts)[0];
}

// ---------------------------------------------------------------------------------------------------------
// Retry with validation (unconstrained generation)

function formatErrors(errors: (string | JsonSchemaError)[]): string {
  return errors.map((e) => (typeof e === "string" ? e : `${e.path}: ${e.message}`)).join("; ");
}

/**
 * The JSON value in a model's answer: the whole text, else the first balanced {...} or [...] in it.
 * Returns the value, or the parse error.
 */
export function extractJson(text: string): { ok: boolean; value?: unknown; error?: string } {
  try {
    return { ok: true, value: JSON.parse(text.trim()) };
  } catch (e) {
    const first = text.search(/[[{]/);
    if (first >= 0) {
      let depth = 0;
      let inString = false;
      for (let i = first; i < text.length; i++) {
        const c = text[i];
        if (inString) {
          if (c === "\\") i++;
          else if (c === '"') inString = false;
        } else if (c === '"') inString = true;
        else if (c === "{" || c === "[") depth++;
        else if ((c === "}" || c === "]") && --depth === 0) {
          try {
            return { ok: true, value: JSON.parse(text.slice(first, i + 1)) };
          } catch {
            break;
          }
        }
      }
    }
    return { ok: false, error: `not valid JSON (${(e as Error).message})` };
  }
}

export interface RetryAttempt {
  /** 1-based. */
  attempt: number;
  prompt: string;
  text: string;
  /** Why it was refused (parse error or schema errors); empty for the accepted attempt. */
  errors: string[];
}

export interface RetryResult {
  ok: boolean;
  /** The accepted value (undefined when every attempt failed). */
  value: unknown;
  /** The last attempt's text. */
  text: string;
  attempts: RetryAttempt[];
}

export interface RetryOptions {
  /** The task prompt of the first attempt. */
  prompt: string;
  /** Default 3. */
  maxAttempts?: number;
  /** The next attempt's prompt from the original prompt and the failed attempt (default: the errors appended). */
  feedback?: (prompt: string, failed: RetryAttempt) => string;
}

/** The default feedback: the original prompt, the refused answer and its errors, and a request to fix them. */
export function retryFeedbackPrompt(prompt: string, failed: RetryAttempt): string {
  return `${prompt}\n\nYour previous answer was:\n${failed.text}\nIt was rejected: ${failed.errors.join("; ")}.\nAnswer again with corrected JSON only.\n`;
}

/**
 * Generate, parse, validate; on failure retry with the errors appended to the prompt, up to
 * `maxAttempts`. `generateFn` is any generation (unconstrained model sampling, a pipeline, an API);
 * `validate` returns the value's errors (e.g. `(v) => validateJsonSchema(v, schema)`), empty if valid.
 */
export async function generateWithRetry(
  generateFn: (prompt: string, attempt: number) => string | Promise<string>,
  validate: (value: unknown) => (string | JsonSchemaError)[],
  opts: RetryOptions,
): Promise<RetryResult> {
  const maxAttempts = opts.maxAttempts ?? 3;
  if (!(Number.isInteger(maxAttempts) && maxAttempts >= 1)) throw new Error(`maxAttempts must be a positive integer (got ${maxAttempts})`);
  if (typeof opts.prompt !== "string") throw new Error("generateWithRetry: opts.prompt (the task prompt) is required");
  const feedback = opts.feedback ?? retryFeedbackPrompt;
  const attempts: RetryAttempt[] = [];
  let prompt = opts.prompt;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const text = await generateFn(prompt, attempt);
    if (typeof text !== "string") throw new Error(`generateWithRetry: generateFn returned ${typeof text}, not a string`);
    const parsed = extractJson(text);
    const errors = parsed.ok ? validate(parsed.value).map((e) => (typeof e === "string" ? e : `${e.path}: ${e.message}`)) : [parsed.error as string];
    const record: RetryAttempt = { attempt, prompt, text, errors };
    attempts.push(record);
    if (errors.length === 0 && parsed.ok) return { ok: true, value: parsed.value, text, attempts };
    prompt = feedback(opts.prompt, record);
  }
  return { ok: false, value: undefined, text: attempts[attempts.length - 1].text, attempts };
}
