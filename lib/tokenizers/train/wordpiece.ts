/**
 * WordPiece (BERT style), trained from scratch as HF's WordPieceTrainer does: BERT normalization and
 * pre-tokenization, then BPE merges over characters where every non-initial character carries the "##"
 * continuing-subword prefix; the vocabulary of that BPE (specials, alphabet, ##-alphabet, merged tokens)
 * is the WordPiece vocabulary. Encoding is greedy longest-match-first, as BERT's.
 */
import { BertNormalizerOptions, bertNormalize, bertPreTokenize } from "./bert";
import { addedToken, isObject, modelVocab, tokenizerModel } from "./bpe";
import { learnMerges } from "./merges";
import { SpecialSplitter, checkCounts, checkSpecialTokens, corpusTexts, readTokenizerFolder, writeFilesAtomic } from "./specials";
import { Vocabulary } from "./vocabulary";

export interface WordPieceTrainOptions extends BertNormalizerOptions {
  /** Final vocabulary size, specials and alphabet included (default 30000). */
  vocabSize?: number;
  /** A pair must occur at least this often to be merged (default 2, as HF's BertWordPieceTokenizer). */
  minFrequency?: number;
  /** Default ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"], which get ids 0-4. */
  specialTokens?: string[];
  /** Keep only the this many most frequent characters (default 1000, as HF's BertWordPieceTokenizer). */
  limitAlphabet?: number;
  unkToken?: string;
  clsToken?: string;
  sepToken?: string;
  padToken?: string;
  maskToken?: string;
  /** Default "##". */
  continuingSubwordPrefix?: string;
  /** Longer words become the unknown token (default 100). */
  maxInputCharsPerWord?: number;
  /** model_max_length in tokenizer_config.json (default 512). */
  modelMaxLength?: number;
}

export interface WordPieceTokenizerInit {
  vocab: string[];
  specialTokens?: string[];
  unkToken?: string;
  clsToken?: string;
  sepToken?: string;
  padToken?: string;
  maskToken?: string;
  continuingSubwordPrefix?: string;
  maxInputCharsPerWord?: number;
  modelMaxLength?: number;
  normalizer?: BertNormalizerOptions;
}

export interface WordPieceEncodeOptions {
  /** Second text: "[CLS] A [SEP] B [SEP]" with token type ids 0 then 1. */
  pair?: string;
  /** Add [CLS]/[SEP] (default true). */
  addSpecialTokens?: boolean;
}

export interface WordPieceEncoding {
  ids: number[];
  tokens: string[];
  tokenTypeIds: number[];
  attentionMask: number[];
}

export interface WordPieceDecodeOptions {
  skipSpecialTokens?: boolean;
  /** Join "word ," into "word," etc. as BERT's decoder does (default true). */
  cleanUp?: boolean;
}

const WHERE = "trainWordPiece";
const BERT_SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];

const byCodePoint = (a: string, b: string): number => a.codePointAt(0)! - b.codePointAt(0)!;

/** Trains a WordPiece tokenizer. A string corpus is one text; an iterable yields texts. */
export function trainWordPiece(corpus: string | Iterable<string>, options: WordPieceTrainOptions = {}): WordPieceTokenizer {
  const vocabSize = options.vocabSize ?? 30000;
  const minFrequency = options.minFrequency ?? 2;
  const specials = options.specialTokens ?? BERT_SPECIALS;
  const prefix = options.continuingSubwordPrefix ?? "##";
  const limitAlphabet = options.limitAlphabet ?? 1000;
  checkCounts(WHERE, vocabSize, minFrequency);
  checkSpecialTokens(WHERE, specials);
  if (typeof prefix !== "string" || prefix.length === 0) throw new Error(`${WHERE}: continuingSubwordPrefix must be a non-empty string`);
  if (!Number.isInteger(limitAlphabet) || limitAlphabet < 1) throw new Error(`${WHERE}: limitAlphabet must be a positive integer, got ${limitAlphabet}`);
  const roles = specialRoles(options);
  for (const [name, tok] of Object.entries(roles)) {
    if (!specials.includes(tok)) throw new Error(`${WHERE}: ${name} ${JSON.stringify(tok)} must be one of specialTokens (${JSON.stringify(specials)})`);
  }
  const norm = normalizerOptions(options);

  // Word counts: special tokens are cut out of the text first, then each section normalized and split.
  const wordCounts = new Map<string, number>();
  const splitter = new SpecialSplitter(specials);
  for (const text of corpusTexts(WHERE, corpus)) {
    for (const section of splitter.split(text)) {
      if (section.special) continue;
      for (const word of bertPreTokenize(bertNormalize(section.text, norm))) wordCounts.set(word, (wordCounts.get(word) ?? 0) + 1);
    }
  }

  // Alphabet: every character, weighted by word count; with a limit, the rarest go (ties: the higher
  // code point goes first — HF's unstable sort leaves ties to chance). Then sorted by code point.
  const charCounts = new Map<string, number>();
  for (const [word, count] of wordCounts) for (const ch of word) charCounts.set(ch, (charCounts.get(ch) ?? 0) + count);
  let alphabet = [...charCounts.keys()];
  if (alphabet.length > limitAlphabet) {
    alphabet.sort((a, b) => charCounts.get(b)! - charCounts.get(a)! || byCodePoint(a, b));
    alphabet = alphabet.slice(0, limitAlphabet);
  }
  alphabet.sort(byCodePoint);

  const vocab: string[] = [...specials];
  const ids = new Map(vocab.map((t, i) => [t, i] as [string, number]));
  const add = (t: string): number => {
    let id = ids.get(t);
    if (id === undefined) {
      id = vocab.length;
      vocab.push(t);
      ids.set(t, id);
    }
    return id;
  };
  for (const ch of alphabet) add(ch);

  // Words as symbols: the first character plain, the others "##c". HF adds the "##c" tokens in its
  // HashMap's (random) word order; here it is the words' first-occurrence order, so runs repeat exactly.
  const words: Int32Array[] = [];
  const counts: number[] = [];
  for (const [word, count] of wordCounts) {
    const syms: number[] = [];
    let first = true;
    for (const ch of word) {
      if (ids.has(ch)) syms.push(add(first ? ch : prefix + ch));
      first = false;
    }
    words.push(Int32Array.from(syms));
    counts.push(count);
  }
  if (vocabSize < vocab.length) {
    throw new Error(
      `${WHERE}: vocabSize ${vocabSize} is smaller than the initial vocabulary: ${specials.length} special tokens + ${alphabet.length} characters + ` +
        `${vocab.length - specials.length - alphabet.length} "${prefix}"-continuations = ${vocab.length}; raise vocabSize or lower limitAlphabet`,
    );
  }

  const learned = learnMerges({ vocab, words, counts, vocabSize, minFrequency, continuingSubwordPrefix: prefix });
  return new WordPieceTokenizer({
    vocab: learned.vocab,
    specialTokens: specials,
    ...roles,
    padToken: options.padToken ?? (specials.includes("[PAD]") ? "[PAD]" : undefined),
    maskToken: options.maskToken ?? (specials.includes("[MASK]") ? "[MASK]" : undefined),
    continuingSubwordPrefix: prefix,
    maxInputCharsPerWord: options.maxInputCharsPerWord,
    modelMaxLength: options.modelMaxLength,
    normalizer: norm,
  });
}

function specialRoles(o: { unkToken?: string; clsToken?: string; sepToken?: string }): { unkToken: string; clsToken: string; sepToken: string } {
  return { unkToken: o.unkToken ?? "[UNK]", clsToken: o.clsToken ?? "[CLS]", sepToken: o.sepToken ?? "[SEP]" };
}

function normalizerOptions(o: BertNormalizerOptions): Required<BertNormalizerOptions> {
  const lowercase = o.lowercase ?? true;
  return { cleanText: o.cleanText ?? true, handleChineseChars: o.handleChineseChars ?? true, lowercase, stripAccents: o.stripAccents ?? lowercase };
}

/** HF's clean_up_tokenization, as transformers.js applies it. */
export function cleanUpTokenization(text: string): string {
  return text
    .replace(/ \./g, ".")
    .replace(/ \?/g, "?")
    .replace(/ !/g, "!")
    .replace(/ ,/g, ",")
    .replace(/ ' /g, "'")
    .replace(/ n't/g, "n't")
    .replace(/ 'm/g, "'m")
    .replace(/ 's/g, "'s")
    .replace(/ 've/g, "'ve")
    .replace(/ 're/g, "'re");
}

/** A WordPiece tokenizer: BERT normalization, greedy longest-match-first, [CLS]/[SEP] template. */
export class WordPieceTokenizer extends Vocabulary {
  readonly specialTokens: readonly string[];
  readonly unkToken: string;
  readonly clsToken: string;
  readonly sepToken: string;
  readonly padToken?: string;
  readonly maskToken?: string;
  readonly continuingSubwordPrefix: string;
  readonly maxInputCharsPerWord: number;
  readonly modelMaxLength: number;
  readonly normalizer: Required<BertNormalizerOptions>;
  private readonly specialIds: Set<number>;
  private readonly splitter: SpecialSplitter;
  private cache = new Map<string, readonly number[]>();

  constructor(init: WordPieceTokenizerInit) {
    super(init.vocab, "WordPieceTokenizer");
    const where = "WordPieceTokenizer";
    this.specialTokens = (init.specialTokens ?? BERT_SPECIALS).slice();
    checkSpecialTokens(where, this.specialTokens);
    const roles = specialRoles(init);
    this.unkToken = roles.unkToken;
    this.clsToken = roles.clsToken;
    this.sepToken = roles.sepToken;
    this.padToken = init.padToken;
    this.maskToken = init.maskToken;
    for (const s of [...this.specialTokens, this.unkToken, this.clsToken, this.sepToken, this.padToken, this.maskToken]) {
      if (s !== undefined && !this.ids.has(s)) throw new Error(`${where}: special token ${JSON.stringify(s)} is not in the vocabulary`);
    }
    this.continuingSubwordPrefix = init.continuingSubwordPrefix ?? "##";
    this.maxInputCharsPerWord = init.maxInputCharsPerWord ?? 100;
    if (!Number.isInteger(this.maxInputCharsPerWord) || this.maxInputCharsPerWord < 1) {
      throw new Error(`${where}: maxInputCharsPerWord must be a positive integer, got ${this.maxInputCharsPerWord}`);
    }
    this.modelMaxLength = init.modelMaxLength ?? 512;
    this.normalizer = normalizerOptions(init.normalizer ?? {});
    this.specialIds = new Set(this.specialTokens.map((s) => this.ids.get(s)!));
    this.splitter = new SpecialSplitter(this.specialTokens);
  }

  /** Token ids, with [CLS] ... [SEP] (and the pair) unless addSpecialTokens is false. */
  encode(text: string, options: WordPieceEncodeOptions = {}): number[] {
    return this.encodeFull(text, options).ids;
  }

  /** Ids, tokens, token type ids and attention mask, as a BertTokenizer returns them. */
  encodeFull(text: string, options: WordPieceEncodeOptions = {}): WordPieceEncoding {
    const addSpecial = options.addSpecialTokens ?? true;
    const a = this.encodeText(text);
    const b = options.pair != null ? this.encodeText(options.pair) : null;
    const cls = this.ids.get(this.clsToken)!;
    const sep = this.ids.get(this.sepToken)!;
    const ids: number[] = [];
    const types: number[] = [];
    if (addSpecial) (ids.push(cls), types.push(0));
    for (const id of a) (ids.push(id), types.push(0));
    if (addSpecial) (ids.push(sep), types.push(0));
    if (b) {
      for (const id of b) (ids.push(id), types.push(1));
      if (addSpecial) (ids.push(sep), types.push(1));
    }
    return { ids, tokens: ids.map((i) => this.vocab[i]), tokenTypeIds: types, attentionMask: ids.map(() => 1) };
  }

  /** Word pieces of `text`, without [CLS]/[SEP]. */
  tokenize(text: string): string[] {
    return this.encodeText(text).map((i) => this.vocab[i]);
  }

  /** Normalized, pre-tokenized words of `text` (what the WordPiece model sees). */
  preTokenize(text: string): string[] {
    const out: string[] = [];
    for (const section of this.splitter.split(text)) {
      if (section.special) out.push(section.text);
      else out.push(...bertPreTokenize(bertNormalize(section.text, this.normalizer)));
    }
    return out;
  }

  /** Text of `ids`: "##" pieces glued to the previous token, others joined by spaces (transformers.js' decoder). */
  decode(ids: ArrayLike<number>, options: WordPieceDecodeOptions = {}): string {
    const cleanUp = options.cleanUp ?? true;
    const prefix = this.continuingSubwordPrefix;
    const tokens: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const tok = this.vocab[ids[i]];
      if (tok === undefined) throw new Error(`WordPieceTokenizer.decode: id ${ids[i]} is outside the vocabulary (size ${this.vocab.length})`);
      if (options.skipSpecialTokens && this.specialIds.has(ids[i])) continue;
      tokens.push(tok);
    }
    let text = tokens
      .map((tok, i) => {
        if (i !== 0) tok = tok.startsWith(prefix) ? tok.slice(prefix.length) : " " + tok;
        return cleanUp ? cleanUpTokenization(tok) : tok;
      })
      .join("");
    if (cleanUp) text = cleanUpTokenization(text);
    return text;
  }

  private encodeText(text: string): number[] {
    const out: number[] = [];
    for (const section of this.splitter.split(text)) {
      if (section.special) {
        out.push(this.ids.get(section.text)!);
        continue;
      }
      for (const word of bertPreTokenize(bertNormalize(section.text, this.normalizer))) {
        let ids = this.cache.get(word);
        if (ids === undefined) {
          ids = this.wordPiece(word);
          if (this.cache.size >= 100_000) this.cache = new Map();
          this.cache.set(word, ids);
        }
        for (let i = 0; i < ids.length; i++) out.push(ids[i]);
      }
    }
    return out;
  }

  /** Greedy longest-match-first over code points; any unmatched rest makes the whole word [UNK]. */
  private wordPiece(word: string): number[] {
    const offsets: number[] = [];
    for (let i = 0; i < word.length; i++) {
      offsets.push(i);
      const c = word.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < word.length) {
        const d = word.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) i++;
      }
    }
    const n = offsets.length;
    offsets.push(word.length);
    const unk = [this.ids.get(this.unkToken)!];
    if (n > this.maxInputCharsPerWord) return unk;
    const out: number[] = [];
    let start = 0;
    while (start < n) {
      let end = n;
      let found = -1;
      while (start < end) {
        let sub = word.slice(offsets[start], offsets[end]);
        if (start > 0) sub = this.continuingSubwordPrefix + sub;
        const id = this.ids.get(sub);
        if (id !== undefined) {
          found = id;
          break;
        }
        end--;
      }
      if (found < 0) return unk;
      out.push(found);
      start = end;
    }
    return out;
  }

  /** The tokenizer.json object: BertNormalizer, BertPreTokenizer, WordPiece, [CLS]/[SEP] template, WordPiece decoder. */
  toJSON(): Record<string, unknown> {
    const vocab: Record<string, number> = {};
    this.vocab.forEach((t, i) => (vocab[t] = i));
    const special = (id: string, type_id: number) => ({ SpecialToken: { id, type_id } });
    const seq = (id: "A" | "B", type_id: number) => ({ Sequence: { id, type_id } });
    const templateToken = (t: string) => ({ id: t, ids: [this.ids.get(t)!], tokens: [t] });
    return {
      version: "1.0",
      truncation: null,
      padding: null,
      added_tokens: this.specialTokens.map((content) => addedToken(this.ids.get(content)!, content)),
      normalizer: {
        type: "BertNormalizer",
        clean_text: this.normalizer.cleanText,
        handle_chinese_chars: this.normalizer.handleChineseChars,
        strip_accents: this.normalizer.stripAccents,
        lowercase: this.normalizer.lowercase,
      },
      pre_tokenizer: { type: "BertPreTokenizer" },
      post_processor: {
        type: "TemplateProcessing",
        single: [special(this.clsToken, 0), seq("A", 0), special(this.sepToken, 0)],
        pair: [special(this.clsToken, 0), seq("A", 0), special(this.sepToken, 0), seq("B", 1), special(this.sepToken, 1)],
        special_tokens: { [this.clsToken]: templateToken(this.clsToken), [this.sepToken]: templateToken(this.sepToken) },
      },
      decoder: { type: "WordPiece", prefix: this.continuingSubwordPrefix, cleanup: true },
      model: {
        type: "WordPiece",
        unk_token: this.unkToken,
        continuing_subword_prefix: this.continuingSubwordPrefix,
        max_input_chars_per_word: this.maxInputCharsPerWord,
        vocab,
      },
    };
  }

  /** tokenizer_config.json for a BertTokenizer. */
  tokenizerConfig(): Record<string, unknown> {
    const decoderMap: Record<string, unknown> = {};
    for (const s of this.specialTokens) {
      const { id, ...rest } = addedToken(this.ids.get(s)!, s);
      decoderMap[String(id)] = rest;
    }
    const config: Record<string, unknown> = {
      tokenizer_class: "BertTokenizer",
      added_tokens_decoder: decoderMap,
      clean_up_tokenization_spaces: true,
      do_lower_case: this.normalizer.lowercase,
      strip_accents: this.normalizer.stripAccents,
      tokenize_chinese_chars: this.normalizer.handleChineseChars,
      model_max_length: this.modelMaxLength,
      unk_token: this.unkToken,
      cls_token: this.clsToken,
      sep_token: this.sepToken,
    };
    if (this.padToken !== undefined) config.pad_token = this.padToken;
    if (this.maskToken !== undefined) config.mask_token = this.maskToken;
    return config;
  }

  /** Saves tokenizer.json, tokenizer_config.json and BERT's vocab.txt (one token per line, id order), atomically. */
  save(dir: string): void {
    writeFilesAtomic(dir, {
      "tokenizer.json": JSON.stringify(this.toJSON()),
      "tokenizer_config.json": JSON.stringify(this.tokenizerConfig(), null, 2),
      "vocab.txt": this.vocab.join("\n") + "\n",
    });
  }

  /** Loads what `save` wrote. */
  static load(dir: string): WordPieceTokenizer {
    const { json, file, config } = readTokenizerFolder(dir);
    return WordPieceTokenizer.fromJSON(json, file, config);
  }

  /** Builds a tokenizer from a WordPiece tokenizer.json object; errors name `source` and the field. */
  static fromJSON(json: unknown, source = "tokenizer.json", config: Record<string, unknown> = {}): WordPieceTokenizer {
    const { root, model, fail } = tokenizerModel(json, source, "WordPiece");
    const vocab = modelVocab(model, fail);
    for (let i = 0; i < vocab.length; i++) if (vocab[i] === undefined) fail("model.vocab", `has no token with id ${i} (ids must be 0..${vocab.length - 1})`);
    const specials: string[] = [];
    const added = Array.isArray(root.added_tokens) ? root.added_tokens : [];
    for (const [i, t] of added.entries()) {
      if (!isObject(t) || typeof t.content !== "string" || !Number.isInteger(t.id)) fail(`added_tokens[${i}]`, "needs a string content and an integer id");
      if (vocab[t.id as number] !== t.content) fail(`added_tokens[${i}]`, `${JSON.stringify(t.content)} must have id ${t.id} in model.vocab`);
      if (t.special !== false) specials.push(t.content as string);
    }
    const norm = isObject(root.normalizer) ? root.normalizer : {};
    if (root.normalizer != null && norm.type !== "BertNormalizer") fail("normalizer.type", `must be "BertNormalizer", got ${JSON.stringify(norm.type)}`);
    const pre = root.pre_tokenizer;
    if (!isObject(pre) || pre.type !== "BertPreTokenizer") fail("pre_tokenizer", "must be BertPreTokenizer");
    // The template's first special token is [CLS] and the last [SEP] (as our own files write them).
    const pp = isObject(root.post_processor) ? root.post_processor : {};
    const single = Array.isArray(pp.single) ? (pp.single as Array<{ SpecialToken?: { id: string } }>) : [];
    const cls = single[0]?.SpecialToken?.id ?? (typeof config.cls_token === "string" ? config.cls_token : undefined);
    const sep = single[single.length - 1]?.SpecialToken?.id ?? (typeof config.sep_token === "string" ? config.sep_token : undefined);
    const bool = (v: unknown, d: boolean): boolean => (typeof v === "boolean" ? v : d);
    const lowercase = bool(norm.lowercase, true);
    try {
      return new WordPieceTokenizer({
        vocab,
        specialTokens: specials,
        unkToken: typeof model.unk_token === "string" ? model.unk_token : undefined,
        clsToken: cls,
        sepToken: sep,
        padToken: typeof config.pad_token === "string" ? config.pad_token : undefined,
        maskToken: typeof config.mask_token === "string" ? config.mask_token : undefined,
        continuingSubwordPrefix: typeof model.continuing_subword_prefix === "string" ? model.continuing_subword_prefix : undefined,
        maxInputCharsPerWord: typeof model.max_input_chars_per_word === "number" ? model.max_input_chars_per_word : undefined,
        modelMaxLength: typeof config.model_max_length === "number" ? config.model_max_length : undefined,
        normalizer: {
          cleanText: bool(norm.clean_text, true),
          handleChineseChars: bool(norm.handle_chinese_chars, true),
          lowercase,
          stripAccents: bool(norm.strip_accents, lowercase),
        },
      });
    } catch (e) {
      throw new Error(`${source}: ${(e as Error).message}`);
    }
  }
}
