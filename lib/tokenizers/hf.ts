/**
 * Hugging Face tokenizers (tokenizer.json + tokenizer_config.json), loaded from a local folder or the hub,
 * with an API shaped like Python's `AutoTokenizer`:
 *
 *   const tok = await AutoTokenizer.fromPretrained("bert-base-uncased");   // or a folder path
 *   tok.call(["a text", "another"], { padding: true, truncation: true, maxLength: 8 })
 *
 * Tokenization itself is @huggingface/transformers' (its tokenizer classes over @huggingface/tokenizers);
 * this wrapper adds what Python has and transformers.js lacks or does differently:
 *   - files are checked first (lib/tokenizers/validate.ts) and handed to transformers.js as parsed JSON, so
 *     transformers.js never reads a path or the network (it cannot reach the hub behind our back, and its
 *     per-process file cache cannot serve a stale or "not found" answer);
 *   - truncation keeps the special tokens, like Python (transformers.js cuts the final [SEP] off), with
 *     Python's "longest_first" rule for pairs and the config's truncation_side;
 *   - pairs through a ByteLevel post-processor keep the second text (transformers.js drops it);
 *   - padding needs a pad token, as in Python (transformers.js silently pads GPT-2 with eos);
 *   - character offsets per token, which transformers.js does not compute (see `alignOffsets`);
 *   - cls/sep/pad... tokens and ids from the config (transformers.js has no cls_token).
 */
import type * as Transformers from "@huggingface/transformers";
import { resolveModelFolder } from "../hub/download";
import type { HubDownloadOptions } from "../hub/download";
import { transformersJs } from "../hub/pipeline";
import * as path from "path";
import * as fs from "fs";
import { writeFileAtomic } from "../models/safetensors";
import { loadTokenizerFiles, validateTokenizerConfig, validateTokenizerJson } from "./validate";
import type { TokenizerJsonSummary, TokenizerModelType } from "./validate";

type Json = Record<string, unknown>;

/** What every text tokenizer of the lib offers (trained ones too): enough for token views and counts. */
export interface TextTokenizerLike {
  encode(text: string): ArrayLike<number>;
  decode?(ids: number[]): string;
  tokenize?(text: string): string[];
}

/** A character span [start, end) of the original text, in UTF-16 code units (`text.slice(start, end)`). */
export type TokenOffset = [number, number];

export interface TokenizerCallOptions {
  /** Second texts (sentence pairs), one per text. */
  textPair?: string | string[];
  /** true / "longest": pad to the longest row; "max_length": pad to maxLength (default false). */
  padding?: boolean | "longest" | "max_length";
  /** true / "longest_first", "only_first", "only_second": cut rows to maxLength keeping special tokens. */
  truncation?: boolean | "longest_first" | "only_first" | "only_second";
  /** Length limit for truncation and padding: "max_length" (default: the config's model_max_length). */
  maxLength?: number;
  /** Round padded lengths up to a multiple of this. */
  padToMultipleOf?: number;
  /** Add [CLS]/[SEP], <s>, </s>... as the tokenizer's post-processor says (default true). */
  addSpecialTokens?: boolean;
  /** Default: as the tokenizer class does in Python (BERT-like: yes). */
  returnTokenTypeIds?: boolean;
  returnOffsetsMapping?: boolean;
  returnSpecialTokensMask?: boolean;
  /**
   * The input is already split into words (Python's `is_split_into_words=True`): one example is a
   * `string[]` of words, a batch a `string[][]`. Each word is tokenized on its own (no token spans two
   * words) and the result carries `wordIds`; offsets are then spans into each word, as in Python.
   */
  isSplitIntoWords?: boolean;
}

/** What `call` returns: always one row per text, also for a single string. */
export interface BatchEncoding {
  inputIds: number[][];
  attentionMask: number[][];
  tokenTypeIds?: number[][];
  /** Spans into each row's own text (pair tokens: into the pair text); [0, 0] for special and pad tokens. */
  offsetMapping?: TokenOffset[][];
  specialTokensMask?: number[][];
  /**
   * With `isSplitIntoWords`: the index of the word each token comes from, null for special and pad
   * tokens (Python's `encoding.word_ids(i)` for each row i).
   */
  wordIds?: (number | null)[][];
}

export interface HfEncodeOptions {
  textPair?: string;
  addSpecialTokens?: boolean;
  truncation?: TokenizerCallOptions["truncation"];
  maxLength?: number;
}

export interface HfDecodeOptions {
  skipSpecialTokens?: boolean;
  cleanUpTokenizationSpaces?: boolean;
}

export interface ChatMessage {
  role: string;
  content: string;
}

export interface ChatTemplateOptions {
  addGenerationPrompt?: boolean;
  /** true (default): token ids; false: the rendered text. */
  tokenize?: boolean;
  /** Another template, or the name of one of the tokenizer's named templates. */
  chatTemplate?: string;
  tools?: object[];
  documents?: Record<string, string>[];
}

/** One encoded row with its parallel per-token facts. */
export interface EncodedRow {
  ids: number[];
  tokens: string[];
  offsets: TokenOffset[];
  /** 1 where the post-processor inserted a special token. */
  specialTokensMask: number[];
  typeIds: number[];
  /** For pre-split words (`encodeWords`, `isSplitIntoWords`): each token's word index, null for special tokens. */
  wordIds?: (number | null)[];
}

export interface FromPretrainedOptions extends HubDownloadOptions {}

// The parts of @huggingface/tokenizers' Tokenizer we use (public fields in its typings, version-pinned here).
interface InnerTokenizer {
  encode(text: string, opts?: { add_special_tokens?: boolean }): { ids: number[]; tokens: string[] };
  decode(ids: number[], opts?: { skip_special_tokens?: boolean; clean_up_tokenization_spaces?: boolean | null }): string;
  token_to_id(token: string): number | undefined;
  id_to_token(id: number): string | undefined;
  get_vocab(withAdded?: boolean): Map<string, number>;
  decoder?: { decode(tokens: string[]): string } | null;
  post_processor: {
    post_process(a: unknown[], b: unknown[] | null, add: boolean): { tokens: unknown[]; token_type_ids?: number[]; tokens_pair?: unknown[] | null };
  } | null;
}

/** Python's VERY_LARGE_INTEGER (1e30) and the like mean "no limit". */
function lengthLimit(v: unknown): number {
  return typeof v === "number" && v > 0 && v < 1e18 ? Math.floor(v) : Infinity;
}

interface Segment {
  ids: number[];
  tokens: string[];
  offsets: TokenOffset[] | null;
  /** Pre-split input: the word index of each token. */
  wordIds?: number[];
}

interface Placeholder {
  seq: 0 | 1;
  k: number;
}

export class HfTokenizer implements TextTokenizerLike {
  /** The transformers.js tokenizer (for transformers.js pipelines and anything not wrapped here). */
  readonly hf: Transformers.PreTrainedTokenizer;
  /** What it was loaded from: hub id, folder, or a given name. */
  readonly name: string;
  /** The local folder of its files ("" when built from JSON in memory). */
  readonly folder: string;
  readonly modelType: TokenizerModelType;
  /** tokenizer_config.json merged with special_tokens_map.json. */
  readonly config: Json;
  modelMaxLength: number;
  paddingSide: "left" | "right";
  truncationSide: "left" | "right";
  bosToken: string | null;
  eosToken: string | null;
  unkToken: string | null;
  sepToken: string | null;
  /** Settable, as in Python: `tok.padToken = tok.eosToken` lets GPT-2 pad. */
  padToken: string | null;
  clsToken: string | null;
  maskToken: string | null;
  readonly additionalSpecialTokens: string[];
  private readonly inner: InnerTokenizer;
  private readonly tokenizerJson: Json;
  private readonly summary: TokenizerJsonSummary;
  private readonly aligner: OffsetAligner;
  private readonly addedSpecial: Map<string, number>;
  /**
   * Unigram behind a splitting Metaspace: transformers.js ignores `split` and runs one lattice over the
   * whole text, which overflows the stack on long texts (~100k pieces). Encoding it in pieces cut at
   * single spaces gives the same tokens as Python's split (no piece spans a "▁" boundary).
   */
  private readonly splitsAtSpaces: boolean;

  constructor(hf: Transformers.PreTrainedTokenizer, tokenizerJson: Json, config: Json, summary: TokenizerJsonSummary, name: string, folder = "") {
    this.hf = hf;
    this.inner = (hf as unknown as { _tokenizer: InnerTokenizer })._tokenizer;
    this.name = name;
    this.folder = folder;
    this.config = config;
    this.tokenizerJson = tokenizerJson;
    this.summary = summary;
    this.modelType = summary.modelType;
    this.modelMaxLength = lengthLimit(config.model_max_length);
    this.paddingSide = config.padding_side === "left" ? "left" : hf.padding_side === "left" ? "left" : "right";
    this.truncationSide = config.truncation_side === "left" ? "left" : "right";
    const str = (v: unknown) => (typeof v === "string" ? v : null);
    this.bosToken = str(config.bos_token);
    this.eosToken = str(config.eos_token);
    this.unkToken = str(config.unk_token);
    this.sepToken = str(config.sep_token);
    this.padToken = str(config.pad_token);
    this.clsToken = str(config.cls_token);
    this.maskToken = str(config.mask_token);
    this.additionalSpecialTokens = Array.isArray(config.additional_special_tokens) ? (config.additional_special_tokens as unknown[]).filter((t): t is string => typeof t === "string") : [];
    this.addedSpecial = new Map();
    for (const t of (tokenizerJson.added_tokens as Json[]) ?? []) {
      if (t.special === true) this.addedSpecial.set(t.content as string, t.id as number);
    }
    this.aligner = new OffsetAligner(tokenizerJson);
    const meta = components(tokenizerJson.pre_tokenizer).find((c) => c.type === "Metaspace");
    this.splitsAtSpaces = summary.modelType === "Unigram" && meta !== undefined && meta.split !== false;
  }

  /** Build from parsed tokenizer.json / tokenizer_config.json objects (checked first). */
  static fromJson(tokenizerJson: unknown, tokenizerConfig: unknown = {}, name = "tokenizer"): HfTokenizer {
    const summary = validateTokenizerJson(tokenizerJson, `${name}: tokenizer.json`);
    const config = validateTokenizerConfig(tokenizerConfig, `${name}: tokenizer_config.json`);
    return build(tokenizerJson as Json, config, summary, name, "");
  }

  // ----- special tokens ---------------------------------------------------------------------------------

  private idOrNull(token: string | null): number | null {
    if (token == null) return null;
    return this.inner.token_to_id(token) ?? null;
  }
  get bosTokenId(): number | null {
    return this.idOrNull(this.bosToken);
  }
  get eosTokenId(): number | null {
    return this.idOrNull(this.eosToken);
  }
  get unkTokenId(): number | null {
    return this.idOrNull(this.unkToken);
  }
  get sepTokenId(): number | null {
    return this.idOrNull(this.sepToken);
  }
  get padTokenId(): number | null {
    return this.idOrNull(this.padToken);
  }
  get clsTokenId(): number | null {
    return this.idOrNull(this.clsToken);
  }
  get maskTokenId(): number | null {
    return this.idOrNull(this.maskToken);
  }

  /** Special tokens: the config's named ones, its additional ones and the added tokens marked special. */
  get allSpecialTokens(): string[] {
    const named = [this.bosToken, this.eosToken, this.unkToken, this.sepToken, this.padToken, this.clsToken, this.maskToken];
    const all = [...named, ...this.additionalSpecialTokens, ...this.addedSpecial.keys()].filter((t): t is string => t != null);
    return [...new Set(all)];
  }
  get allSpecialIds(): number[] {
    return this.allSpecialTokens.map((t) => this.inner.token_to_id(t)).filter((id): id is number => id !== undefined);
  }
  /** The chat template (a named set's "default"), or null. */
  get chatTemplate(): string | null {
    const t = this.hf.chat_template as unknown;
    if (typeof t === "string") return t;
    if (t && typeof t === "object" && typeof (t as Json).default === "string") return (t as Json).default as string;
    return null;
  }

  // ----- vocabulary ---------------------------------------------------------------------------------------

  /** Size of the model's vocabulary, like Python's `tokenizer.vocab_size` (added tokens beyond it not counted). */
  /**
   * HF's `save_pretrained`: tokenizer.json as loaded and tokenizer_config.json with the current settings
   * (model_max_length, padding / truncation side, special tokens, pad token included), each written
   * atomically. Returns the files written.
   */
  savePretrained(dir: string): string[] {
    fs.mkdirSync(dir, { recursive: true });
    const config: Json = {
      ...this.config,
      model_max_length: Number.isFinite(this.modelMaxLength) ? this.modelMaxLength : 1e30,
      padding_side: this.paddingSide,
      truncation_side: this.truncationSide,
    };
    const special = { bos_token: this.bosToken, eos_token: this.eosToken, unk_token: this.unkToken, sep_token: this.sepToken, pad_token: this.padToken, cls_token: this.clsToken, mask_token: this.maskToken };
    for (const [key, value] of Object.entries(special)) {
      if (value === null) delete config[key];
      else config[key] = value;
    }
    const files = [path.join(dir, "tokenizer.json"), path.join(dir, "tokenizer_config.json")];
    writeFileAtomic(files[0], JSON.stringify(this.tokenizerJson, null, 2) + "\n");
    writeFileAtomic(files[1], JSON.stringify(config, null, 2) + "\n");
    return files;
  }

  /** The tokenizer.json content as loaded (do not mutate): exporters such as GGUF read vocab and merges from it. */
  get tokenizerJsonContent(): Readonly<Record<string, unknown>> {
    return this.tokenizerJson;
  }

  get vocabSize(): number {
    return this.summary.vocabSize;
  }
  /** Vocabulary with added tokens, like Python's `len(tokenizer)`. */
  get vocabSizeWithAdded(): number {
    return this.getVocab().size;
  }
  /** token -> id, added tokens included. */
  getVocab(): Map<string, number> {
    const vocab = this.inner.get_vocab(true);
    vocab.delete(undefined as unknown as string); // transformers.js lists unused ids (gaps) under `undefined`
    return vocab;
  }

  /** Token(s) -> id(s); an unknown token gives the unk id (null without one), as in Python. */
  convertTokensToIds(tokens: string): number | null;
  convertTokensToIds(tokens: string[]): (number | null)[];
  convertTokensToIds(tokens: string | string[]): number | null | (number | null)[] {
    const one = (t: string) => this.inner.token_to_id(t) ?? this.unkTokenId;
    return typeof tokens === "string" ? one(tokens) : tokens.map(one);
  }

  /** Id(s) -> token string(s); null for an id outside the vocabulary. */
  convertIdsToTokens(ids: number): string | null;
  convertIdsToTokens(ids: ArrayLike<number>, opts?: { skipSpecialTokens?: boolean }): (string | null)[];
  convertIdsToTokens(ids: number | ArrayLike<number>, opts: { skipSpecialTokens?: boolean } = {}): string | null | (string | null)[] {
    if (typeof ids === "number") return this.inner.id_to_token(ids) ?? null;
    const special = opts.skipSpecialTokens ? new Set(this.allSpecialIds) : null;
    return Array.from(ids)
      .filter((id) => !special || !special.has(id))
      .map((id) => this.inner.id_to_token(id) ?? null);
  }

  // ----- encoding -----------------------------------------------------------------------------------------

  /** Token ids of a text (with special tokens unless `addSpecialTokens: false`). */
  encode(text: string, opts: HfEncodeOptions = {}): number[] {
    return this.row(text, opts, false).ids;
  }

  /** Token strings, without special tokens by default (as Python's `tokenize`). */
  tokenize(text: string, opts: { textPair?: string; addSpecialTokens?: boolean } = {}): string[] {
    return this.row(text, { textPair: opts.textPair, addSpecialTokens: opts.addSpecialTokens ?? false }, false).tokens;
  }

  /** One text (or pair) with ids, tokens, character offsets, special-token mask and type ids side by side. */
  encodeRow(text: string, opts: HfEncodeOptions = {}): EncodedRow {
    return this.row(text, opts, true);
  }

  /**
   * One example already split into words (Python's `tokenizer(words, is_split_into_words=True)`): ids,
   * tokens, offsets into each word, and `wordIds` (the word of each token, null for special tokens).
   */
  encodeWords(words: readonly string[], opts: Omit<HfEncodeOptions, "textPair"> = {}): EncodedRow & { wordIds: (number | null)[] } {
    const row = this.wordRows([words], {
      addSpecialTokens: opts.addSpecialTokens,
      truncation: opts.truncation,
      maxLength: opts.maxLength,
      returnOffsetsMapping: true,
    })[0];
    return row as EncodedRow & { wordIds: (number | null)[] };
  }

  private row(text: string, opts: HfEncodeOptions, withOffsets: boolean): EncodedRow {
    return this.rows([text], opts.textPair == null ? null : [opts.textPair], {
      addSpecialTokens: opts.addSpecialTokens,
      truncation: opts.truncation,
      maxLength: opts.maxLength,
      returnOffsetsMapping: withOffsets,
    })[0];
  }

  /**
   * Python's `tokenizer(texts, ...)`: a batch of rows with attention masks, padded and truncated as asked.
   * A single string gives one row (the arrays are always 2-D here).
   */
  call(texts: string | string[] | string[][], opts: TokenizerCallOptions = {}): BatchEncoding {
    let rows: EncodedRow[];
    if (opts.isSplitIntoWords) {
      rows = this.wordRows(this.splitBatch(texts), opts);
    } else {
      if (Array.isArray(texts) && texts.some((t) => Array.isArray(t))) {
        throw new TypeError(`${this.name}: call() got lists of words; pass { isSplitIntoWords: true } for pre-split input`);
      }
      const batch = typeof texts === "string" ? [texts] : (texts as string[]);
      let pairs: string[] | null = null;
      if (opts.textPair != null) {
        pairs = typeof opts.textPair === "string" ? [opts.textPair] : opts.textPair;
        if (pairs.length !== batch.length) throw new Error(`${this.name}: call() got ${batch.length} texts but ${pairs.length} textPair entries`);
      }
      rows = this.rows(batch, pairs, opts);
    }
    const padding = opts.padding === true ? "longest" : opts.padding || false;
    const out: BatchEncoding = { inputIds: [], attentionMask: [] };
    const typeIds = opts.returnTokenTypeIds ?? this.hf.return_token_type_ids === true;
    if (typeIds) out.tokenTypeIds = [];
    if (opts.returnOffsetsMapping) out.offsetMapping = [];
    if (opts.returnSpecialTokensMask) out.specialTokensMask = [];
    if (opts.isSplitIntoWords) out.wordIds = [];
    let target = 0;
    if (padding) {
      const padId = this.padTokenId;
      if (padId == null) {
        throw new Error(
          `${this.name}: asked to pad, but the tokenizer has no pad token${this.padToken ? ` (${JSON.stringify(this.padToken)} is not in the vocabulary)` : ""}; ` +
            `set one first, e.g. tokenizer.padToken = tokenizer.eosToken (as in Python)`,
        );
      }
      if (padding === "max_length") {
        target = opts.maxLength ?? this.modelMaxLength;
        if (!Number.isFinite(target)) throw new Error(`${this.name}: padding: "max_length" needs maxLength (this tokenizer has no model_max_length)`);
      } else {
        target = rows.reduce((m, r) => Math.max(m, r.ids.length), 0);
      }
      const m = opts.padToMultipleOf;
      if (m && m > 0) target = Math.ceil(target / m) * m;
    }
    const padId = padding ? (this.padTokenId as number) : 0;
    for (const row of rows) {
      const n = Math.max(0, target - row.ids.length);
      const pad = <T>(values: T[], value: T): T[] => {
        if (n === 0) return values;
        const fill = new Array<T>(n).fill(value);
        return this.paddingSide === "left" ? [...fill, ...values] : [...values, ...fill];
      };
      out.inputIds.push(pad(row.ids, padId));
      out.attentionMask.push(pad(row.ids.map(() => 1), 0));
      out.tokenTypeIds?.push(pad(row.typeIds, 0));
      out.offsetMapping?.push(pad(row.offsets, [0, 0] as TokenOffset));
      out.specialTokensMask?.push(pad(row.specialTokensMask, 1));
      out.wordIds?.push(pad(row.wordIds ?? [], null as number | null));
    }
    return out;
  }

  /** Pre-split input as a batch: a `string[]` is one example of words, a `string[][]` a batch of them. */
  private splitBatch(texts: unknown): string[][] {
    const bad = (what: string) =>
      new TypeError(`${this.name}: isSplitIntoWords expects an array of words (one example) or an array of such arrays (a batch); ${what}`);
    if (!Array.isArray(texts)) throw bad(`got ${texts === null ? "null" : typeof texts}`);
    const isWords = (a: unknown[]) => a.every((w) => typeof w === "string");
    if (texts.length > 0 && texts.every((t) => Array.isArray(t))) {
      texts.forEach((t, i) => {
        if (!isWords(t as unknown[])) throw bad(`example ${i} holds something other than strings`);
      });
      return texts as string[][];
    }
    if (!isWords(texts)) throw bad("found a mix of words and other values");
    return [texts as string[]];
  }

  /**
   * Encode pre-split examples: each word alone (so no token spans two words), then truncation and the
   * post-processor as for text. Byte-level BPE words get a leading space, as Python's `add_prefix_space=True`
   * (which Python requires for pre-split input); offsets are then spans into each word.
   */
  private wordRows(batch: readonly (readonly string[])[], opts: TokenizerCallOptions): EncodedRow[] {
    if (opts.textPair != null) throw new Error(`${this.name}: textPair together with isSplitIntoWords is not supported; encode the pair as text`);
    const add = opts.addSpecialTokens !== false;
    const strategy =
      opts.truncation === true ? "longest_first" : opts.truncation === undefined ? (opts.maxLength != null && !opts.padding ? "longest_first" : false) : opts.truncation;
    const maxLength = strategy ? opts.maxLength ?? this.modelMaxLength : Infinity;
    const withOffsets = opts.returnOffsetsMapping === true;
    return batch.map((words, i) => {
      const a: Segment = { ids: [], tokens: [], offsets: withOffsets ? [] : null, wordIds: [] };
      words.forEach((word, w) => {
        if (typeof word !== "string") throw new TypeError(`${this.name}: example ${i}: word ${w} is ${word === null ? "null" : typeof word}, not a string`);
        const spaced = this.aligner.byteLevel ? " " + word : word;
        const s = this.segment(spaced, withOffsets);
        a.ids.push(...s.ids);
        a.tokens.push(...s.tokens);
        a.wordIds!.push(...s.ids.map(() => w));
        if (a.offsets && s.offsets) {
          const shift = spaced.length - word.length;
          for (const [start, end] of s.offsets) a.offsets.push([Math.max(0, start - shift), Math.max(0, end - shift)]);
        }
      });
      if (strategy && Number.isFinite(maxLength)) {
        const budget = maxLength - (add ? this.numSpecialTokensToAdd(false) : 0);
        if (budget < 0) throw new Error(`${this.name}: maxLength ${maxLength} is shorter than the ${maxLength - budget} special tokens each row needs`);
        truncate(a, null, budget, strategy, this.truncationSide, this.name);
      }
      return this.postProcess(a, null, add);
    });
  }

  /** Encode, truncate and post-process each text (and pair); no padding. */
  private rows(batch: string[], pairs: string[] | null, opts: TokenizerCallOptions): EncodedRow[] {
    const add = opts.addSpecialTokens !== false;
    const withOffsets = opts.returnOffsetsMapping === true;
    // As Python: a maxLength without padding or an explicit truncation setting means truncate.
    const strategy =
      opts.truncation === true ? "longest_first" : opts.truncation === undefined ? (opts.maxLength != null && !opts.padding ? "longest_first" : false) : opts.truncation;
    let maxLength = Infinity;
    if (strategy) maxLength = opts.maxLength ?? this.modelMaxLength;
    return batch.map((text, i) => {
      if (typeof text !== "string") throw new TypeError(`${this.name}: expected text strings, found ${text === null ? "null" : typeof text} at index ${i}`);
      const pairText = pairs ? pairs[i] : null;
      if (pairs && typeof pairText !== "string") throw new TypeError(`${this.name}: expected textPair strings, found ${pairText === null ? "null" : typeof pairText} at index ${i}`);
      const a = this.segment(text, withOffsets);
      const b = pairText == null ? null : this.segment(pairText, withOffsets);
      if (strategy && Number.isFinite(maxLength)) {
        const budget = maxLength - (add ? this.numSpecialTokensToAdd(b != null) : 0);
        if (budget < 0) throw new Error(`${this.name}: maxLength ${maxLength} is shorter than the ${maxLength - budget} special tokens each row needs`);
        truncate(a, b, budget, strategy, this.truncationSide, this.name);
      }
      return this.postProcess(a, b, add);
    });
  }

  /** How many tokens the post-processor adds to one text (or a pair). */
  numSpecialTokensToAdd(pair = false): number {
    const empty: Segment = { ids: [], tokens: [], offsets: [] };
    return this.postProcess(empty, pair ? empty : null, true).ids.length;
  }

  private segment(text: string, withOffsets: boolean): Segment {
    if (text.length === 0) return { ids: [], tokens: [], offsets: [] };
    let ids: number[] = [];
    let tokens: string[] = [];
    for (const piece of this.splitsAtSpaces ? spacePieces(text, 8192) : [text]) {
      let enc: { ids: number[]; tokens: string[] };
      try {
        enc = this.inner.encode(piece, { add_special_tokens: false });
      } catch (err) {
        if (!(err instanceof RangeError)) throw err;
        throw new Error(`${this.name}: transformers.js ran out of stack encoding a ${piece.length}-character text in one piece; encode it in smaller parts (e.g. by paragraph)`);
      }
      ids = ids.length === 0 ? enc.ids : ids.concat(enc.ids);
      tokens = tokens.length === 0 ? enc.tokens : tokens.concat(enc.tokens);
    }
    return { ids, tokens, offsets: withOffsets ? this.aligner.align(text, tokens) : null };
  }

  /**
   * Run the tokenizer's own post-processor on placeholders, so the result says which positions are
   * inserted special tokens and which come from which text (that is how truncation keeps [SEP]).
   */
  private postProcess(a: Segment, b: Segment | null, add: boolean): EncodedRow {
    const ph = (seq: 0 | 1, s: Segment): Placeholder[] => s.ids.map((_, k) => ({ seq, k }));
    const pa = ph(0, a);
    const pb = b ? ph(1, b) : null;
    let items: unknown[];
    let types: number[] | undefined;
    const pp = this.inner.post_processor;
    if (pp) {
      const r = pp.post_process(pa, pb, add);
      items = r.tokens;
      types = r.token_type_ids;
      // transformers.js' ByteLevel post-processor hands the pair back unmerged: merge it as Python does.
      if (pb && r.tokens_pair && !r.tokens.some((t) => (t as Placeholder).seq === 1)) {
        items = [...items, ...r.tokens_pair];
        types = undefined;
      }
    } else {
      items = pb ? [...pa, ...pb] : pa;
    }
    const row: EncodedRow = { ids: [], tokens: [], offsets: [], specialTokensMask: [], typeIds: [] };
    const words = a.wordIds !== undefined;
    if (words) row.wordIds = [];
    items.forEach((item, i) => {
      if (typeof item === "string") {
        const id = this.inner.token_to_id(item);
        if (id === undefined) throw new Error(`${this.name}: the post-processor inserts ${JSON.stringify(item)}, which is not in the vocabulary`);
        row.ids.push(id);
        row.tokens.push(item);
        row.offsets.push([0, 0]);
        row.specialTokensMask.push(1);
        if (words) row.wordIds!.push(null);
      } else {
        const p = item as Placeholder;
        const s = p.seq === 0 ? a : (b as Segment);
        row.ids.push(s.ids[p.k]);
        row.tokens.push(s.tokens[p.k]);
        row.offsets.push(s.offsets ? s.offsets[p.k] : [0, 0]);
        row.specialTokensMask.push(0);
        if (words) row.wordIds!.push(s.wordIds ? s.wordIds[p.k] : null);
      }
      row.typeIds.push(types && types[i] != null ? types[i] : typeof item === "string" ? 0 : (item as Placeholder).seq);
    });
    return row;
  }

  /** Character spans of each token of `text` (with special tokens at [0, 0] when added). */
  offsets(text: string, opts: { addSpecialTokens?: boolean } = {}): TokenOffset[] {
    return this.encodeRow(text, { addSpecialTokens: opts.addSpecialTokens ?? false }).offsets;
  }

  // ----- decoding -----------------------------------------------------------------------------------------

  /**
   * Token strings back to text through the tokenizer's decoder, as Python's fast `convert_tokens_to_string`
   * ("##" pieces glued to the word before, byte-level tokens back to UTF-8); tokens joined by spaces without one.
   */
  convertTokensToString(tokens: readonly string[]): string {
    const decoder = this.inner.decoder;
    return decoder ? decoder.decode(tokens.slice()) : tokens.join(" ");
  }

  /**
   * The model's `continuing_subword_prefix` ("##" for WordPiece), or null: what tells a word-aware
   * tokenizer's sub-tokens apart (the token-classification pipeline's test for a sub-word).
   */
  get continuingSubwordPrefix(): string | null {
    return this.aligner.prefix;
  }

  decode(ids: ArrayLike<number>, opts: HfDecodeOptions = {}): string {
    const list = Array.from(ids, (id, i) => {
      const n = Number(id);
      if (!Number.isInteger(n) || n < 0) throw new RangeError(`${this.name}: decode() got ${String(id)} at index ${i}, not a token id`);
      if (this.inner.id_to_token(n) === undefined) throw new RangeError(`${this.name}: decode() got id ${n} at index ${i}, outside the vocabulary (${this.vocabSizeWithAdded} tokens)`);
      return n;
    });
    if (list.length === 0) return "";
    const skip = opts.skipSpecialTokens === true;
    // transformers.js skips only added special tokens; Python skips all special ids (e.g. a config's pad).
    const special = skip ? new Set(this.allSpecialIds) : null;
    const kept = special ? list.filter((id) => !special.has(id)) : list;
    if (kept.length === 0) return "";
    return this.inner.decode(kept, { skip_special_tokens: skip, clean_up_tokenization_spaces: opts.cleanUpTokenizationSpaces ?? null });
  }

  batchDecode(batch: ArrayLike<number>[], opts: HfDecodeOptions = {}): string[] {
    return batch.map((ids) => this.decode(ids, opts));
  }

  // ----- chat ---------------------------------------------------------------------------------------------

  /** Render a conversation with the tokenizer's chat template: token ids (default) or the text. */
  applyChatTemplate(messages: ChatMessage[], opts: ChatTemplateOptions & { tokenize: false }): string;
  applyChatTemplate(messages: ChatMessage[], opts?: ChatTemplateOptions): number[];
  applyChatTemplate(messages: ChatMessage[], opts: ChatTemplateOptions = {}): string | number[] {
    if (!Array.isArray(messages) || !messages.every((m) => m && typeof m.role === "string" && typeof m.content === "string")) {
      throw new TypeError(`${this.name}: applyChatTemplate expects a list of {role, content} strings`);
    }
    if (opts.chatTemplate == null && this.hf.chat_template == null) {
      throw new Error(`${this.name}: this tokenizer has no chat template (no chat_template in tokenizer_config.json or chat_template.jinja); pass { chatTemplate }`);
    }
    let text: string;
    try {
      text = this.hf.apply_chat_template(messages, {
        tokenize: false,
        add_generation_prompt: opts.addGenerationPrompt === true,
        chat_template: opts.chatTemplate ?? null,
        tools: opts.tools ?? null,
        documents: opts.documents ?? null,
      }) as unknown as string;
    } catch (err) {
      throw new Error(`${this.name}: the chat template failed: ${(err as Error).message}`);
    }
    if (opts.tokenize === false) return text;
    // As in Python: the template already holds the special tokens it wants.
    return this.encode(text, { addSpecialTokens: false });
  }

  toString(): string {
    return `HfTokenizer(${this.name}: ${this.modelType}, vocab ${this.vocabSize})`;
  }
}

/**
 * `text` cut into pieces of about `size` characters, each cut just before a single space between two
 * non-space characters (the space starts the next piece, where Metaspace turns it into "▁").
 */
function spacePieces(text: string, size: number): string[] {
  if (text.length <= size) return [text];
  const pieces: string[] = [];
  let start = 0;
  while (text.length - start > size) {
    let cut = -1;
    for (let i = start + size; i < text.length - 1; i++) {
      if (text[i] === " " && text[i - 1] !== " " && text[i + 1] !== " " && !/\s/.test(text[i - 1]) && !/\s/.test(text[i + 1])) {
        cut = i;
        break;
      }
    }
    if (cut < 0) break;
    pieces.push(text.slice(start, cut));
    start = cut;
  }
  pieces.push(text.slice(start));
  return pieces;
}

/** Python's truncation: the budget excludes special tokens; "longest_first" shares it between a pair. */
function truncate(a: Segment, b: Segment | null, budget: number, strategy: string, side: "left" | "right", name: string): void {
  const cut = (s: Segment, n: number) => {
    if (s.ids.length <= n) return;
    const keep = (arr: unknown[]) => (side === "left" ? arr.slice(arr.length - n) : arr.slice(0, n));
    s.ids = keep(s.ids) as number[];
    s.tokens = keep(s.tokens) as string[];
    if (s.offsets) s.offsets = keep(s.offsets) as TokenOffset[];
    if (s.wordIds) s.wordIds = keep(s.wordIds) as number[];
  };
  const n1 = a.ids.length;
  const n2 = b ? b.ids.length : 0;
  if (n1 + n2 <= budget) return;
  if (!b) {
    if (strategy === "only_second") throw new Error(`${name}: truncation "only_second" needs a textPair`);
    cut(a, budget);
    return;
  }
  if (strategy === "only_first" || strategy === "only_second") {
    const [target, other] = strategy === "only_first" ? [a, n2] : [b, n1];
    if (other >= budget) throw new Error(`${name}: truncation "${strategy}" cannot fit: the other text alone has ${other} tokens, maxLength leaves ${budget}`);
    cut(target, budget - other);
    return;
  }
  // longest_first, as tokenizers' Rust code: the shorter keeps its length if it fits in half, else both halve.
  let short = Math.min(n1, n2);
  let long = short > budget ? short : Math.max(short, budget - short);
  if (short + long > budget) {
    short = Math.floor(budget / 2);
    long = short + (budget % 2);
  }
  const [l1, l2] = n1 > n2 ? [long, short] : [short, long];
  cut(a, l1);
  cut(b, l2);
}

// ---------------------------------------------------------------------------------------------------------
// Offsets

/** GPT-2's byte <-> printable character table (bytes_to_unicode). */
function byteDecoder(): Map<string, number> {
  const bs: number[] = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const cs = bs.slice();
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n++);
    }
  }
  return new Map(cs.map((c, i) => [String.fromCodePoint(c), bs[i]]));
}
let BYTE_DECODER: Map<string, number> | null = null;

/** Components of a tokenizer.json part, Sequences flattened. */
function components(part: unknown, out: Json[] = [], depth = 0): Json[] {
  if (!part || typeof part !== "object" || depth > 8) return out;
  const p = part as Json;
  out.push(p);
  for (const key of ["normalizers", "pretokenizers", "processors", "decoders"]) {
    if (Array.isArray(p[key])) for (const c of p[key] as unknown[]) components(c, out, depth + 1);
  }
  return out;
}

type Surface = { kind: "text"; text: string } | { kind: "bytes"; bytes: number[] } | { kind: "unknown" };

interface Unit {
  /** Folded character. */
  ch: string;
  /** Index of the original code point it came from. */
  entry: number;
}

/**
 * Character offsets for tokens, which transformers.js does not compute. Each token's surface text is
 * rebuilt from the token string (WordPiece "##" removed, Metaspace "▁" read as a space, byte-level and
 * <0xNN> byte-fallback tokens turned back into UTF-8 bytes), then matched left to right against the
 * original text, both sides folded the same way (NFKD, lower case, accents dropped when the tokenizer
 * drops them, all whitespace as one space). Whitespace the text has but no token shows is skipped;
 * a space a token has but the text lacks (a prepended "▁") is synthetic. Tokens that are pieces of one
 * character (byte-level emoji) all get that character's span. An unknown token ([UNK]) spans until the
 * next whitespace or the start of the next token. Special tokens inserted by the post-processor get
 * [0, 0]; a token matching no text gets an empty span where it stands. `trim_offsets` (RoBERTa) trims
 * whitespace off the spans, as Python does.
 */
class OffsetAligner {
  /** Byte-level BPE (GPT-2, RoBERTa): pre-split words are encoded with a leading space. */
  readonly byteLevel: boolean;
  /** The model's continuing_subword_prefix ("##" for WordPiece), or null. */
  readonly prefix: string | null;
  private readonly suffix: string | null;
  private readonly metaspace: string | null;
  private readonly byteFallback: boolean;
  private readonly stripAccents: boolean;
  private readonly trimOffsets: boolean;
  private readonly unkToken: string | null;
  private readonly added: Set<string>;
  /** The pre-tokenizer makes each punctuation character a word (BERT): an [UNK] stops there. */
  private readonly splitsPunctuation: boolean;
  /** BertNormalizer's handle_chinese_chars: each CJK ideograph is a word. */
  private readonly isolatesCjk: boolean;
  /** WordPiece's [UNK] stands for a whole word (pre-token), never for part of one. */
  private readonly wholeWordUnk: boolean;
  private readonly foldCache = new Map<string, string>();

  constructor(json: Json) {
    const model = (json.model ?? {}) as Json;
    const norm = components(json.normalizer);
    const pre = components(json.pre_tokenizer);
    const post = components(json.post_processor);
    const dec = components(json.decoder);
    this.byteLevel = [...pre, ...dec].some((c) => c.type === "ByteLevel");
    const wp = model.type === "WordPiece" ? (model.continuing_subword_prefix as string | undefined) ?? "##" : (model.continuing_subword_prefix as string | undefined);
    this.prefix = wp ? wp : null;
    this.suffix = typeof model.end_of_word_suffix === "string" && model.end_of_word_suffix ? model.end_of_word_suffix : null;
    const meta = [...pre, ...dec].find((c) => c.type === "Metaspace");
    const replace = norm.find((c) => c.type === "Replace" && c.content === "\u2581");
    this.metaspace = meta ? ((meta.replacement as string | undefined) ?? "\u2581") : replace ? "\u2581" : null;
    this.byteFallback = model.byte_fallback === true;
    this.stripAccents = norm.some(
      (c) => c.type === "StripAccents" || (c.type === "BertNormalizer" && (c.strip_accents === true || (c.strip_accents == null && c.lowercase !== false))),
    );
    this.trimOffsets = post.some((c) => (c.type === "ByteLevel" || c.type === "RobertaProcessing") && c.trim_offsets === true);
    const unk = model.type === "Unigram" && Array.isArray(model.vocab) ? (model.vocab as unknown[][])[model.unk_id as number]?.[0] : model.unk_token;
    this.unkToken = typeof unk === "string" ? unk : null;
    this.added = new Set(((json.added_tokens as Json[]) ?? []).map((t) => t.content as string));
    this.splitsPunctuation = pre.some((c) => c.type === "BertPreTokenizer" || c.type === "Punctuation" || c.type === "Whitespace");
    this.isolatesCjk = norm.some((c) => c.type === "BertNormalizer" && c.handle_chinese_chars !== false);
    this.wholeWordUnk = model.type === "WordPiece";
  }

  /** A character that is a word by itself for this tokenizer. */
  private alone(ch: string): boolean {
    if (this.splitsPunctuation && (/^[!-/:-@[-`{-~]$/.test(ch) || /^\p{P}$/u.test(ch))) return true;
    return this.isolatesCjk && /^[\u4E00-\u9FFF\u3400-\u4DBF\uF900-\uFAFF\u{20000}-\u{2FA1F}]$/u.test(ch);
  }

  private fold(cp: string): string {
    let f = this.foldCache.get(cp);
    if (f === undefined) {
      if (/^\s$/u.test(cp)) f = " ";
      else {
        f = cp.normalize("NFKD");
        if (this.stripAccents) f = f.replace(/\p{Mn}/gu, "");
        f = f.toLowerCase().replace(/\s/gu, " ");
      }
      this.foldCache.set(cp, f);
    }
    return f;
  }

  private foldText(text: string): string {
    let out = "";
    for (const cp of text) out += this.fold(cp);
    return out;
  }

  private surface(token: string): Surface {
    if (this.unkToken != null && token === this.unkToken) return { kind: "unknown" };
    if (this.added.has(token)) return { kind: "text", text: token };
    if (this.byteFallback && /^<0x[0-9A-Fa-f]{2}>$/.test(token)) return { kind: "bytes", bytes: [parseInt(token.slice(3, 5), 16)] };
    if (this.byteLevel) {
      const table = BYTE_DECODER ?? (BYTE_DECODER = byteDecoder());
      const bytes: number[] = [];
      for (const ch of token) {
        const b = table.get(ch);
        if (b !== undefined) bytes.push(b);
        else bytes.push(...Buffer.from(ch, "utf8"));
      }
      return { kind: "bytes", bytes };
    }
    let s = token;
    if (this.prefix && s.startsWith(this.prefix) && s.length > this.prefix.length) s = s.slice(this.prefix.length);
    if (this.suffix && s.endsWith(this.suffix)) s = s.slice(0, s.length - this.suffix.length);
    if (this.metaspace) s = s.split(this.metaspace).join(" ");
    return { kind: "text", text: s };
  }

  align(text: string, tokens: string[]): TokenOffset[] {
    // The original text as code points (UTF-16 spans), and the folded stream of characters.
    const entries: { start: number; end: number; folded: number }[] = [];
    const units: Unit[] = [];
    let at = 0;
    for (const cp of text) {
      const f = this.fold(cp);
      for (const ch of f) units.push({ ch, entry: entries.length });
      entries.push({ start: at, end: at + cp.length, folded: f.length });
      at += cp.length;
    }
    const surfaces = tokens.map((t) => this.surface(t));
    // Each token's folded text where it is known (the whole characters of byte tokens), for look-ahead.
    const foldedSurfaces = surfaces.map((s) => {
      if (s.kind === "text") return this.foldText(s.text);
      if (s.kind === "bytes") return this.foldText(Buffer.from(s.bytes).toString("utf8").replace(/\uFFFD/g, ""));
      return "";
    });
    // Per token: first and last original code point it covers (null: none yet), or where it sits when empty.
    const spans: ([number, number] | null)[] = tokens.map(() => null);
    const emptyAt: number[] = tokens.map(() => -1);
    let pos = 0;
    const skippable = (u: Unit | undefined) => u !== undefined && (u.ch === " " || /\p{C}/u.test(u.ch));
    const claim = (owners: Iterable<number>, entry: number) => {
      for (const j of owners) {
        const s = spans[j];
        spans[j] = s ? [Math.min(s[0], entry), Math.max(s[1], entry)] : [entry, entry];
      }
    };
    const here = () => (pos < units.length ? entries[units[pos].entry].start : text.length);
    /** Match one folded character for `owners`; false when the text has something else there. */
    const matchChar = (ch: string, owners: number[]): boolean => {
      if (ch === " ") {
        if (units[pos]?.ch === " ") claim(owners, units[pos++].entry);
        return true; // a space the text lacks: synthetic (prepended "▁")
      }
      while (skippable(units[pos]) && units[pos].ch !== ch) pos++;
      if (pos < units.length && units[pos].ch === ch) {
        claim(owners, units[pos++].entry);
        return true;
      }
      return false;
    };
    /** Would `folded` match the text at `p`? (The same rules as matchChar, without claiming.) */
    const matchesAt = (folded: string, p: number): boolean => {
      if (folded.replace(/ /g, "") === "") return false;
      for (const ch of folded) {
        if (ch === " ") {
          if (units[p]?.ch === " ") p++;
          continue;
        }
        while (skippable(units[p]) && units[p].ch !== ch) p++;
        if (p >= units.length || units[p].ch !== ch) return false;
        p++;
      }
      return true;
    };
    /** Best effort for text we cannot match (a normalizer we do not mimic): take one character. */
    const takeOne = (owners: number[]) => {
      while (skippable(units[pos])) pos++;
      if (pos < units.length) claim(owners, units[pos++].entry);
    };
    let pending: { byte: number; owner: number }[] = [];
    const flushBytes = (final: boolean) => {
      while (pending.length > 0) {
        const lead = pending[0].byte;
        const need = lead < 0x80 ? 1 : lead >= 0xf0 && lead < 0xf8 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
        if (pending.length < need && !final) return;
        const group = pending.slice(0, Math.min(need, pending.length));
        const valid = group.length === need && group.slice(1).every((g) => (g.byte & 0xc0) === 0x80);
        const taken = valid ? group : group.slice(0, 1);
        pending = pending.slice(taken.length);
        const owners = [...new Set(taken.map((g) => g.owner))];
        const decoded = valid ? Buffer.from(taken.map((g) => g.byte)).toString("utf8") : "";
        if (!valid) continue; // a stray byte: it owns no character
        for (const ch of this.foldText(decoded)) if (!matchChar(ch, owners)) takeOne(owners);
      }
    };
    surfaces.forEach((s, j) => {
      if (s.kind === "bytes") {
        for (const byte of s.bytes) pending.push({ byte, owner: j });
        flushBytes(false);
      } else {
        flushBytes(true);
        if (s.kind === "text") {
          for (const ch of this.foldText(s.text)) if (!matchChar(ch, [j])) takeOne([j]);
        } else {
          // Unknown: at least one character, then up to whitespace, a character that is a word by itself
          // (BERT's punctuation, CJK), or (inside words: BPE) where the rest of the text matches the next token.
          while (skippable(units[pos])) pos++;
          const next = this.wholeWordUnk ? "" : foldedSurfaces[j + 1] ?? "";
          let first = true;
          while (pos < units.length && units[pos].ch !== " " && (first || (!this.alone(units[pos].ch) && !matchesAt(next, pos)))) {
            const entry = units[pos].entry;
            const lone = this.alone(units[pos].ch);
            while (pos < units.length && units[pos].entry === entry) pos++; // the whole code point
            claim([j], entry);
            first = false;
            if (lone) break;
          }
        }
      }
      if (spans[j] === null && pending.every((p) => p.owner !== j)) emptyAt[j] = here();
    });
    flushBytes(true);
    return spans.map((span, j) => {
      if (!span) {
        const at = emptyAt[j] >= 0 ? emptyAt[j] : here();
        return [at, at] as TokenOffset;
      }
      let k = span[1];
      // Extend over combining marks the fold dropped (accents), so a decomposed "é" stays whole.
      while (k + 1 < entries.length && entries[k + 1].folded === 0) k++;
      let start = entries[span[0]].start;
      let end = entries[k].end;
      if (this.trimOffsets) {
        while (start < end && /\s/u.test(text[start])) start++;
        while (end > start && /\s/u.test(text[end - 1])) end--;
      }
      return [start, end] as TokenOffset;
    });
  }
}

// ---------------------------------------------------------------------------------------------------------
// Loading

function build(tokenizerJson: Json, config: Json, summary: TokenizerJsonSummary, name: string, folder: string): HfTokenizer {
  const hf = transformersJs();
  // AutoTokenizer's choice of class (BertTokenizer sets return_token_type_ids, ...), without its file access.
  const className = typeof config.tokenizer_class === "string" ? config.tokenizer_class.replace(/Fast$/, "") : "PreTrainedTokenizer";
  const exported = (hf as unknown as Record<string, unknown>)[className];
  const Base = hf.PreTrainedTokenizer;
  const Cls = (typeof exported === "function" && (exported === Base || exported.prototype instanceof Base) ? exported : Base) as typeof Base;
  let inner: Transformers.PreTrainedTokenizer;
  try {
    inner = new Cls(tokenizerJson, config);
  } catch (err) {
    throw new Error(`${folder || name}: transformers.js could not build the tokenizer: ${(err as Error).message}`);
  }
  return new HfTokenizer(inner, tokenizerJson, config, summary, name, folder);
}

/** Files a tokenizer folder has on the hub; all but tokenizer.json and tokenizer_config.json may be absent. */
export const TOKENIZER_FILES = [
  "tokenizer.json",
  "tokenizer_config.json",
  { name: "special_tokens_map.json", optional: true },
  { name: "chat_template.jinja", optional: true },
];

export class AutoTokenizer {
  /**
   * Load a tokenizer from a local folder or a hub repo id (downloaded into the cache; see hfHubDownload
   * for the endpoint, cache, offline and token options). The files are checked before use.
   */
  static async fromPretrained(idOrPath: string, opts: FromPretrainedOptions = {}): Promise<HfTokenizer> {
    const folder = await resolveModelFolder(idOrPath, TOKENIZER_FILES, opts);
    const files = loadTokenizerFiles(folder);
    return build(files.tokenizerJson, files.tokenizerConfig, files.summary, idOrPath, folder);
  }
}
