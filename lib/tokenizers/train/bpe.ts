/**
 * Byte-level BPE (GPT-2 style), trained from scratch: GPT-2's pre-tokenization regex, bytes mapped to
 * printable characters, the 256 bytes as the initial alphabet, then merges learned by pair frequency
 * (./merges.ts, HF's BpeTrainer). `BpeTokenizer` encodes and decodes, and saves a tokenizer.json that
 * @huggingface/transformers loads and that gives the same ids.
 */
import { BYTE_TO_CHAR, CHAR_TO_BYTE, byteLevelAlphabet, gpt2Split } from "./byte-level";
import { learnMerges } from "./merges";
import { SpecialSplitter, checkCounts, checkSpecialTokens, corpusTexts, readTokenizerFolder, writeFilesAtomic } from "./specials";
import { Vocabulary } from "./vocabulary";

export interface BpeTrainOptions {
  /** Final vocabulary size, specials and the 256 byte tokens included (default 30000). */
  vocabSize?: number;
  /** A pair must occur at least this often to be merged (default 2, as HF's ByteLevelBPETokenizer). */
  minFrequency?: number;
  /** Tokens never split and never learned from, given the first ids, e.g. ["<|endoftext|>"]. */
  specialTokens?: string[];
  /** bos/eos token names for tokenizer_config.json (default: "<|endoftext|>" when it is a special). */
  bosToken?: string;
  eosToken?: string;
  padToken?: string;
  /** model_max_length in tokenizer_config.json (default 1024, GPT-2's context). */
  modelMaxLength?: number;
}

export interface BpeTokenizerInit {
  /** Tokens in id order (byte-level strings, specials included). */
  vocab: string[];
  /** Merges in rank order, as pairs of tokens. */
  merges: Array<[string, string]>;
  /** Special tokens (must be in `vocab`). */
  specialTokens?: string[];
  bosToken?: string;
  eosToken?: string;
  padToken?: string;
  modelMaxLength?: number;
}

export interface EncodeOptions {
  /** A second text; for byte-level BPE its ids are appended (no template, as GPT-2). */
  pair?: string;
}

export interface DecodeOptions {
  skipSpecialTokens?: boolean;
}

const WHERE = "trainBpe";
const decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });
const encoder = new TextEncoder();

/** Trains a byte-level BPE tokenizer. A string corpus is one text; an iterable yields texts (e.g. lines). */
export function trainBpe(corpus: string | Iterable<string>, options: BpeTrainOptions = {}): BpeTokenizer {
  const vocabSize = options.vocabSize ?? 30000;
  const minFrequency = options.minFrequency ?? 2;
  const specials = options.specialTokens ?? [];
  checkCounts(WHERE, vocabSize, minFrequency);
  checkSpecialTokens(WHERE, specials);

  // HF order: specials first, then the alphabet by code point (a special equal to a byte char keeps its id).
  const vocab: string[] = [...specials];
  const have = new Set(vocab);
  for (const c of byteLevelAlphabet()) if (!have.has(c)) vocab.push(c);
  if (vocabSize < vocab.length) {
    throw new Error(
      `${WHERE}: vocabSize ${vocabSize} is smaller than the initial vocabulary: 256 byte tokens + ${specials.length} special tokens = ${vocab.length}`,
    );
  }
  const byteId = new Int32Array(256);
  const idOf = new Map(vocab.map((t, i) => [t, i] as [string, number]));
  for (let b = 0; b < 256; b++) byteId[b] = idOf.get(BYTE_TO_CHAR[b])!;

  // Word counts over raw pieces; byte-mapping is done once per unique piece, not per occurrence.
  const wordCounts = new Map<string, number>();
  const splitter = new SpecialSplitter(specials);
  for (const text of corpusTexts(WHERE, corpus)) {
    for (const section of splitter.split(text)) {
      if (section.special) continue;
      for (const piece of gpt2Split(section.text)) wordCounts.set(piece, (wordCounts.get(piece) ?? 0) + 1);
    }
  }
  const words: Int32Array[] = [];
  const counts: number[] = [];
  for (const [piece, count] of wordCounts) {
    const bytes = encoder.encode(piece);
    const w = new Int32Array(bytes.length);
    for (let i = 0; i < bytes.length; i++) w[i] = byteId[bytes[i]];
    words.push(w);
    counts.push(count);
  }

  const learned = learnMerges({ vocab, words, counts, vocabSize, minFrequency });
  const endOfText = specials.includes("<|endoftext|>") ? "<|endoftext|>" : undefined;
  return new BpeTokenizer({
    vocab: learned.vocab,
    merges: learned.merges.map(([a, b]) => [learned.vocab[a], learned.vocab[b]] as [string, string]),
    specialTokens: specials,
    bosToken: options.bosToken ?? endOfText,
    eosToken: options.eosToken ?? endOfText,
    padToken: options.padToken,
    modelMaxLength: options.modelMaxLength,
  });
}

/** A byte-level BPE tokenizer: encode/decode like transformers.js does with the saved tokenizer.json. */
export class BpeTokenizer extends Vocabulary {
  readonly merges: ReadonlyArray<readonly [string, string]>;
  readonly specialTokens: readonly string[];
  readonly bosToken?: string;
  readonly eosToken?: string;
  readonly padToken?: string;
  readonly modelMaxLength: number;
  /** Merge rank by pair key (left id * K + right id), and the id each rank produces. */
  private readonly ranks = new Map<number, number>();
  private readonly produces: Int32Array;
  private readonly K: number;
  private readonly byteIds: Int32Array;
  private readonly specialIds: Set<number>;
  private readonly splitter: SpecialSplitter;
  /** Ids per raw pre-token: text repeats its words, so most pieces are merged only once. */
  private cache = new Map<string, readonly number[]>();

  constructor(init: BpeTokenizerInit) {
    super(init.vocab, "BpeTokenizer");
    const where = "BpeTokenizer";
    this.specialTokens = (init.specialTokens ?? []).slice();
    checkSpecialTokens(where, this.specialTokens);
    for (const s of this.specialTokens) if (!this.ids.has(s)) throw new Error(`${where}: special token ${JSON.stringify(s)} is not in the vocabulary`);
    for (const [name, tok] of [["bosToken", init.bosToken], ["eosToken", init.eosToken], ["padToken", init.padToken]] as const) {
      if (tok !== undefined && !this.ids.has(tok)) throw new Error(`${where}: ${name} ${JSON.stringify(tok)} is not in the vocabulary`);
    }
    this.bosToken = init.bosToken;
    this.eosToken = init.eosToken;
    this.padToken = init.padToken;
    this.modelMaxLength = init.modelMaxLength ?? 1024;
    this.specialIds = new Set(this.specialTokens.map((s) => this.ids.get(s)!));
    this.splitter = new SpecialSplitter(this.specialTokens);

    this.K = this.vocab.length + 1;
    this.merges = init.merges.map((m) => [m[0], m[1]] as [string, string]);
    this.produces = new Int32Array(this.merges.length);
    this.merges.forEach(([a, b], rank) => {
      const ia = this.ids.get(a);
      const ib = this.ids.get(b);
      const im = this.ids.get(a + b);
      if (ia === undefined || ib === undefined || im === undefined) {
        const missing = ia === undefined ? a : ib === undefined ? b : a + b;
        throw new Error(`${where}: merge ${rank} (${JSON.stringify(a)}, ${JSON.stringify(b)}) uses ${JSON.stringify(missing)}, which is not in the vocabulary`);
      }
      // A pair listed twice: transformers.js' Map keeps the later rank, as HF does.
      this.ranks.set(ia * this.K + ib, rank);
      this.produces[rank] = im;
    });
    // A vocabulary without some byte token drops that byte, as transformers.js does with no unk_token.
    this.byteIds = Int32Array.from(BYTE_TO_CHAR, (c) => this.ids.get(c) ?? -1);
  }

  /** Token ids of `text` (and `pair` appended). Special tokens in the text become their own id. */
  encode(text: string, options: EncodeOptions = {}): number[] {
    const out: number[] = [];
    this.encodeInto(text, out);
    if (options.pair != null) this.encodeInto(options.pair, out);
    return out;
  }

  /** The tokens (byte-level strings) of `text`. */
  tokenize(text: string): string[] {
    return this.encode(text).map((id) => this.vocab[id]);
  }

  /** Text of `ids`: bytes joined and UTF-8 decoded (invalid sequences become U+FFFD, as in HF). */
  decode(ids: ArrayLike<number>, options: DecodeOptions = {}): string {
    let text = "";
    let bytes: number[] = [];
    const flush = (): void => {
      if (bytes.length) text += decoder.decode(Uint8Array.from(bytes));
      bytes = [];
    };
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      const tok = this.vocab[id];
      if (tok === undefined) throw new Error(`BpeTokenizer.decode: id ${id} is outside the vocabulary (size ${this.vocab.length})`);
      if (this.specialIds.has(id)) {
        flush();
        if (!options.skipSpecialTokens) text += tok;
        continue;
      }
      for (const ch of tok) {
        const b = CHAR_TO_BYTE.get(ch);
        if (b === undefined) throw new Error(`BpeTokenizer.decode: token ${JSON.stringify(tok)} (id ${id}) is not byte-level`);
        bytes.push(b);
      }
    }
    flush();
    return text;
  }

  private encodeInto(text: string, out: number[]): void {
    for (const section of this.splitter.split(text)) {
      if (section.special) {
        out.push(this.ids.get(section.text)!);
        continue;
      }
      for (const piece of gpt2Split(section.text)) {
        let ids = this.cache.get(piece);
        if (ids === undefined) {
          ids = this.bpe(piece);
          // Bounded: a long stream of unique pieces (hashes, numbers) must not grow memory forever.
          if (this.cache.size >= 100_000) this.cache = new Map();
          this.cache.set(piece, ids);
        }
        for (let i = 0; i < ids.length; i++) out.push(ids[i]);
      }
    }
  }

  /** Merges of one pre-token: always the lowest-rank adjacent pair, leftmost first (HF and transformers.js). */
  private bpe(piece: string): number[] {
    const bytes = encoder.encode(piece);
    const syms: number[] = [];
    for (let i = 0; i < bytes.length; i++) {
      const id = this.byteIds[bytes[i]];
      if (id >= 0) syms.push(id);
    }
    return syms.length > 48 ? this.mergeLong(syms) : this.mergeShort(syms);
  }

  /** O(n²) scan: fastest for the short pieces that make up nearly all text. */
  mergeShort(syms: number[]): number[] {
    const { ranks, K, produces } = this;
    while (syms.length > 1) {
      let best = Infinity;
      let at = -1;
      for (let i = 0; i + 1 < syms.length; i++) {
        const r = ranks.get(syms[i] * K + syms[i + 1]);
        if (r !== undefined && r < best) {
          best = r;
          at = i;
        }
      }
      if (at < 0) break;
      syms[at] = produces[best];
      syms.splice(at + 1, 1);
    }
    return syms;
  }

  /** Heap over (rank, position) with a linked list: O(n log n) for long pieces (runs of spaces, code). */
  mergeLong(syms: number[]): number[] {
    const { ranks, K, produces } = this;
    const n = syms.length;
    const tok = Int32Array.from(syms);
    const next = new Int32Array(n);
    const prev = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      next[i] = i + 1 < n ? i + 1 : -1;
      prev[i] = i - 1;
    }
    const alive = new Uint8Array(n).fill(1);
    // Key rank * 2^22 + position: one number orders by rank, then leftmost.
    const P = 4194304;
    if (n >= P) throw new Error(`BpeTokenizer: a single pre-token of ${n} bytes is too long`);
    const heap: number[] = [];
    const push = (key: number): void => {
      let i = heap.length;
      heap.push(key);
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (heap[parent] <= key) break;
        heap[i] = heap[parent];
        i = parent;
      }
      heap[i] = key;
    };
    const pop = (): number => {
      const top = heap[0];
      const last = heap.pop()!;
      const m = heap.length;
      if (m > 0) {
        let i = 0;
        for (;;) {
          const l = 2 * i + 1;
          if (l >= m) break;
          const r = l + 1;
          const c = r < m && heap[r] < heap[l] ? r : l;
          if (heap[c] >= last) break;
          heap[i] = heap[c];
          i = c;
        }
        heap[i] = last;
      }
      return top;
    };
    const consider = (i: number): void => {
      const j = next[i];
      if (j < 0) return;
      const r = ranks.get(tok[i] * K + tok[j]);
      if (r !== undefined) push(r * P + i);
    };
    for (let i = 0; i + 1 < n; i++) consider(i);
    while (heap.length) {
      const key = pop();
      const rank = Math.floor(key / P);
      const i = key - rank * P;
      const j = next[i];
      // Stale: the node was merged away, or its right neighbour changed (the pair is another rank now).
      if (!alive[i] || j < 0 || ranks.get(tok[i] * K + tok[j]) !== rank) continue;
      tok[i] = produces[rank];
      alive[j] = 0;
      next[i] = next[j];
      if (next[j] >= 0) prev[next[j]] = i;
      if (prev[i] >= 0) consider(prev[i]);
      consider(i);
    }
    const out: number[] = [];
    for (let i = 0; i >= 0; i = next[i]) out.push(tok[i]);
    return out;
  }

  /** The tokenizer.json object (HF tokenizers format, merges as [left, right] pairs). */
  toJSON(): Record<string, unknown> {
    const vocab: Record<string, number> = {};
    this.vocab.forEach((t, i) => (vocab[t] = i));
    return {
      version: "1.0",
      truncation: null,
      padding: null,
      added_tokens: this.specialTokens.map((content) => addedToken(this.ids.get(content)!, content)),
      normalizer: null,
      pre_tokenizer: { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true },
      // No ByteLevel post-processor: transformers.js' one drops the second text of a pair.
      post_processor: null,
      decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
      model: {
        type: "BPE",
        dropout: null,
        unk_token: null,
        continuing_subword_prefix: null,
        end_of_word_suffix: null,
        fuse_unk: false,
        byte_fallback: false,
        ignore_merges: false,
        vocab,
        merges: this.merges.map(([a, b]) => [a, b]),
      },
    };
  }

  /** tokenizer_config.json: a GPT2Tokenizer; no clean-up on decode, so decode(encode(x)) === x. */
  tokenizerConfig(): Record<string, unknown> {
    const decoderMap: Record<string, unknown> = {};
    for (const s of this.specialTokens) {
      const { id, ...rest } = addedToken(this.ids.get(s)!, s);
      decoderMap[String(id)] = rest;
    }
    const config: Record<string, unknown> = {
      tokenizer_class: "GPT2Tokenizer",
      add_prefix_space: false,
      added_tokens_decoder: decoderMap,
      clean_up_tokenization_spaces: false,
      model_max_length: this.modelMaxLength,
    };
    if (this.bosToken !== undefined) config.bos_token = this.bosToken;
    if (this.eosToken !== undefined) config.eos_token = this.eosToken;
    if (this.padToken !== undefined) config.pad_token = this.padToken;
    return config;
  }

  /**
   * Saves tokenizer.json and tokenizer_config.json (what transformers.js and HF's fast tokenizers read),
   * plus GPT-2's vocab.json and merges.txt for slow tokenizers. Each file is written atomically.
   */
  save(dir: string): void {
    const vocab: Record<string, number> = {};
    this.vocab.forEach((t, i) => (vocab[t] = i));
    writeFilesAtomic(dir, {
      "tokenizer.json": JSON.stringify(this.toJSON()),
      "tokenizer_config.json": JSON.stringify(this.tokenizerConfig(), null, 2),
      "vocab.json": JSON.stringify(vocab),
      "merges.txt": ["#version: 0.2", ...this.merges.map(([a, b]) => `${a} ${b}`)].join("\n") + "\n",
    });
  }

  /** Loads what `save` wrote (tokenizer.json, and tokenizer_config.json when present). */
  static load(dir: string): BpeTokenizer {
    const { json, file, config } = readTokenizerFolder(dir);
    return BpeTokenizer.fromJSON(json, file, config);
  }

  /** Builds a tokenizer from a byte-level BPE tokenizer.json object; errors name `source` and the field. */
  static fromJSON(json: unknown, source = "tokenizer.json", config: Record<string, unknown> = {}): BpeTokenizer {
    const { root, model, fail } = tokenizerModel(json, source, "BPE");
    const pre = root.pre_tokenizer;
    if (!isObject(pre) || pre.type !== "ByteLevel") fail("pre_tokenizer", "must be ByteLevel (only byte-level BPE is supported here)");
    const vocab = modelVocab(model, fail);
    const added = Array.isArray(root.added_tokens) ? root.added_tokens : [];
    const specials: string[] = [];
    for (const [i, t] of added.entries()) {
      if (!isObject(t) || typeof t.content !== "string" || !Number.isInteger(t.id)) fail(`added_tokens[${i}]`, "needs a string content and an integer id");
      const tok = t as { content: string; id: number; special?: boolean };
      if (vocab[tok.id] !== undefined && vocab[tok.id] !== tok.content) fail(`added_tokens[${i}]`, `id ${tok.id} is already ${JSON.stringify(vocab[tok.id])}`);
      vocab[tok.id] = tok.content;
      if (tok.special !== false) specials.push(tok.content);
    }
    for (let i = 0; i < vocab.length; i++) if (vocab[i] === undefined) fail("model.vocab", `has no token with id ${i} (ids must be 0..${vocab.length - 1})`);
    const rawMerges = model.merges;
    if (!Array.isArray(rawMerges)) return fail("model.merges", "is missing or not an array");
    const merges = rawMerges.map((m, i): [string, string] => {
      if (typeof m === "string") {
        const parts = m.split(" ");
        if (parts.length !== 2) fail(`model.merges[${i}]`, `must be "left right", got ${JSON.stringify(m)}`);
        return [parts[0], parts[1]];
      }
      if (Array.isArray(m) && m.length === 2 && typeof m[0] === "string" && typeof m[1] === "string") return [m[0], m[1]];
      return fail(`model.merges[${i}]`, `must be a [left, right] pair or a "left right" string, got ${JSON.stringify(m)}`);
    });
    const str = (k: string): string | undefined => (typeof config[k] === "string" ? (config[k] as string) : undefined);
    try {
      return new BpeTokenizer({
        vocab,
        merges,
        specialTokens: specials,
        bosToken: str("bos_token"),
        eosToken: str("eos_token"),
        padToken: str("pad_token"),
        modelMaxLength: typeof config.model_max_length === "number" ? config.model_max_length : undefined,
      });
    } catch (e) {
      throw new Error(`${source}: ${(e as Error).message}`);
    }
  }
}

export function addedToken(id: number, content: string): { id: number; content: string; single_word: boolean; lstrip: boolean; rstrip: boolean; normalized: boolean; special: boolean } {
  return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true };
}

/** A field-naming error thrower for one tokenizer.json source. */
export type FieldFail = (field: string, why: string) => never;

/** The root object and `model` section of a tokenizer.json, checked to be an object of model.type `type`. */
export function tokenizerModel(json: unknown, source: string, type: string): { root: Record<string, unknown>; model: Record<string, unknown>; fail: FieldFail } {
  const fail: FieldFail = (field, why) => {
    throw new Error(`${source}: ${field} ${why}`);
  };
  if (!isObject(json)) return fail("(root)", "must be an object");
  const model = json.model;
  if (!isObject(model)) return fail("model", "is missing");
  if (model.type !== type) fail("model.type", `must be "${type}", got ${JSON.stringify(model.type)}`);
  return { root: json, model, fail };
}

/** `model.vocab` as an id-indexed list: ids must be non-negative integers, each used once (gaps are the caller's to check). */
export function modelVocab(model: Record<string, unknown>, fail: FieldFail): string[] {
  const vocabObj = model.vocab;
  if (!isObject(vocabObj)) return fail("model.vocab", "is missing or not an object");
  const vocab: string[] = [];
  for (const [tok, id] of Object.entries(vocabObj)) {
    if (!Number.isInteger(id) || (id as number) < 0) fail(`model.vocab[${JSON.stringify(tok)}]`, `is not a valid id: ${JSON.stringify(id)}`);
    if (vocab[id as number] !== undefined) fail("model.vocab", `has id ${id} twice (${JSON.stringify(vocab[id as number])} and ${JSON.stringify(tok)})`);
    vocab[id as number] = tok;
  }
  return vocab;
}

export function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}
