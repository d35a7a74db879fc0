import { test, describe, before } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type * as Transformers from "@huggingface/transformers";
import { loadText } from "../lib/data";
import {
  BYTE_TO_CHAR,
  BpeTokenizer,
  WordPieceTokenizer,
  bertNormalize,
  gpt2Split,
  toByteLevel,
  trainBpe,
  trainWordPiece,
} from "../lib/tokenizers/train";

// Small training text keeps the suite fast; held-out text (Moby-Dick) checks what training never saw.
const AUSTEN = loadText("austen");
const TRAIN = AUSTEN.slice(0, 200_000);
const MOBY = loadText("moby-dick");
const CLASSIC = "low low low low low lower lower newest newest newest newest newest newest widest widest widest";
const EOT = "<|endoftext|>";

const TRICKY = [
  "Emoji: 👋🏽 👨‍👩‍👧 🇫🇷 and ❤️!",
  "Accents NFC: café naïve Ångström — NFD: cafe\u0301 nai\u0308ve A\u030angstro\u0308m",
  "CJK: 日本語のテキスト、中文文本。한국어 텍스트. Ext-B: 𠀀𠀁",
  "def f(x):\n\treturn x**2  # square\n\n\tif x != 0:\r\n\t\tpass\n",
  "const s = `${a}\\t${b}`;\t// tabs\there\n    indented    \n\n\n",
  "\ufeffBOM, NBSP\u00a0here, zero\u200bwidth, soft\u00adhyphen, NEL\u0085x, ½ ² ٣",
  " leading and trailing spaces   ",
  "Numbers 1234567890 3.14159 1,000,000 and 'quotes' \"double\" it's we're I'll",
  " ".repeat(120) + "x" + "a".repeat(150) + "=".repeat(80) + "\n".repeat(60),
];

function tmpDir(name: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `hollm-tok-${name}-`));
}

/** transformers.js, local files only (platform.md §2): no remote models, and any fetch fails loudly. */
function transformers(): typeof Transformers {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const hf = require("@huggingface/transformers") as typeof Transformers;
  hf.env.allowRemoteModels = false;
  (hf.env as { fetch?: unknown }).fetch = () => {
    throw new Error("network access in a test");
  };
  return hf;
}

/** Real sentences of Moby-Dick (not in the training text). */
function sentences(n: number): string[] {
  return MOBY.replace(/\s+/g, " ")
    .split(/(?<=[.!?])\s+/)
    .filter((s) => s.length > 3)
    .slice(200, 200 + n);
}

describe("byte-level pieces", () => {
  test("bytes-to-unicode covers 256 distinct printable characters", () => {
    assert.equal(new Set(BYTE_TO_CHAR).size, 256);
    assert.equal(BYTE_TO_CHAR[0x20], "Ġ");
    assert.equal(BYTE_TO_CHAR[0x0a], "Ċ");
    assert.equal(BYTE_TO_CHAR[0x41], "A");
    assert.equal(toByteLevel(" é"), "ĠÃ©");
  });

  test("GPT-2 regex splits contractions, letters, numbers, punctuation and whitespace", () => {
    assert.deepEqual(gpt2Split("Hello world's 123 !!  x\n\n"), ["Hello", " world", "'s", " 123", " !!", " ", " x", "\n\n"]);
  });
});

describe("byte-level BPE training", () => {
  test("classic low/lower/newest/widest: hand-computed merges and ids", () => {
    const tok = trainBpe(CLASSIC, { vocabSize: 265, minFrequency: 0 });
    // Counts: e s 9, s t 9 (tie: smaller ids 'e' < 's' first); then l o 7, o w 7; then the 6s by smallest ids.
    assert.deepEqual(tok.merges.slice(0, 9), [
      ["e", "s"], ["es", "t"], ["l", "o"], ["lo", "w"], ["e", "w"], ["n", "ew"], ["Ġ", "low"], ["Ġ", "new"], ["Ġnew", "est"],
    ]);
    assert.equal(tok.vocabSize, 265);
    assert.deepEqual(tok.vocab.slice(256), ["es", "est", "lo", "low", "ew", "new", "Ġlow", "Ġnew", "Ġnewest"]);
    assert.deepEqual(tok.encode(" newest"), [264]);
    assert.deepEqual(tok.encode(" lowest"), [262, 257]);
    assert.deepEqual(tok.encode("lowest"), [259, 257]);
    // Specials take the first ids and shift everything else by one.
    const withEot = trainBpe(CLASSIC, { vocabSize: 266, minFrequency: 0, specialTokens: [EOT] });
    assert.deepEqual(withEot.encode(` newest${EOT}`), [265, 0]);
  });

  test("minFrequency stops merging below the threshold", () => {
    const tok = trainBpe(CLASSIC, { vocabSize: 1000, minFrequency: 7 });
    assert.deepEqual(tok.merges, [["e", "s"], ["es", "t"], ["l", "o"], ["lo", "w"]]);
    assert.equal(tok.vocabSize, 256 + 4);
  });

  test("vocabSize is honoured exactly, specials included, and training is deterministic", () => {
    const a = trainBpe(TRAIN, { vocabSize: 1000, specialTokens: [EOT, "<pad>"] });
    assert.equal(a.vocabSize, 1000);
    assert.equal(a.tokenToId(EOT), 0);
    assert.equal(a.tokenToId("<pad>"), 1);
    assert.equal(a.merges.length, 1000 - 258);
    const b = trainBpe(TRAIN, { vocabSize: 1000, specialTokens: [EOT, "<pad>"] });
    assert.deepEqual(b.merges, a.merges);
  });

  test("special tokens are never split, never learned from, and decode back", () => {
    const corpus = Array.from({ length: 300 }, (_, i) => `Chapter ${i} ends here.${EOT}`).join("\n");
    const tok = trainBpe(corpus, { vocabSize: 400, minFrequency: 2, specialTokens: [EOT] });
    assert.ok(!tok.vocab.some((t, i) => i > 0 && t.includes("endoftext")), "a piece of the special token was learned");
    const ids = tok.encode(`hello${EOT}world ${EOT}${EOT}`);
    assert.deepEqual(ids.filter((i) => i === 0).length, 3);
    assert.equal(tok.decode(ids), `hello${EOT}world ${EOT}${EOT}`);
    assert.equal(tok.decode(ids, { skipSpecialTokens: true }), "helloworld ");
  });

  test("round trip decode(encode(x)) === x on all of Moby-Dick and on emoji/accents/CJK/code", () => {
    const tok = trainBpe(TRAIN, { vocabSize: 2000, specialTokens: [EOT] });
    const ids = tok.encode(MOBY);
    assert.ok(ids.length < MOBY.length / 2.5, `compression ${MOBY.length / ids.length} chars/token`);
    assert.equal(tok.decode(ids), MOBY);
    for (const s of TRICKY) assert.equal(tok.decode(tok.encode(s)), s, JSON.stringify(s));
    // NFC and NFD spellings are different bytes, so different ids, each round-tripping to itself.
    assert.notDeepEqual(tok.encode("café"), tok.encode("cafe\u0301"));
  });

  test("the long-word merge path (heap) equals the short one (scan)", () => {
    const tok = trainBpe(TRAIN, { vocabSize: 1500 });
    const inner = tok as unknown as { mergeShort(s: number[]): number[]; mergeLong(s: number[]): number[] };
    const letters = "aaaaeeeenst hhh..  \n";
    let seed = 42;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    for (let k = 0; k < 300; k++) {
      let s = "";
      for (let i = 0, n = 1 + Math.floor(rnd() * 200); i < n; i++) s += letters[Math.floor(rnd() * letters.length)];
      const syms = Array.from(new TextEncoder().encode(s), (b) => tok.tokenToId(BYTE_TO_CHAR[b])!);
      assert.deepEqual(inner.mergeLong(syms.slice()), inner.mergeShort(syms.slice()), JSON.stringify(s));
    }
  });
});

describe("WordPiece training", () => {
  test("classic corpus: specials, alphabet, ##-continuations, then merges", () => {
    const tok = trainWordPiece(CLASSIC, { vocabSize: 1000, minFrequency: 7 });
    assert.deepEqual(tok.vocab.slice(0, 5), ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]);
    assert.deepEqual(tok.vocab.slice(5, 15), ["d", "e", "i", "l", "n", "o", "r", "s", "t", "w"]);
    // ##-tokens in first-occurrence order: low, lower, newest, widest.
    assert.deepEqual(tok.vocab.slice(15, 23), ["##o", "##w", "##e", "##r", "##s", "##t", "##i", "##d"]);
    // Merges: ##e ##s 9, ##es ##t 9, l ##o 7, lo ##w 7 (the prefix is dropped from the right part).
    assert.deepEqual(tok.vocab.slice(23), ["##es", "##est", "lo", "low"]);
    assert.deepEqual(tok.tokenize("Lowest NEWEST widest"), ["low", "##est", "n", "##e", "##w", "##est", "w", "##i", "##d", "##est"]);
    assert.deepEqual(tok.encode("low"), [2, tok.tokenToId("low"), 3]);
  });

  test("vocabSize honoured; [UNK] for unknown characters and words over 100 characters", () => {
    const tok = trainWordPiece(TRAIN, { vocabSize: 1500 });
    assert.equal(tok.vocabSize, 1500);
    assert.deepEqual(tok.tokenize("emma ☃ " + "a".repeat(101)), [...tok.tokenize("emma"), "[UNK]", "[UNK]"]);
    assert.notDeepEqual(tok.tokenize("a".repeat(100)), ["[UNK]"]);
  });

  test("round trip modulo normalisation: decode gives the normalized, pre-tokenized words", () => {
    const extra = "Café naïve ÉLAN Ångström 日本語 über — «quoted» x²";
    const tok = trainWordPiece(TRAIN + "\n" + extra.repeat(3), { vocabSize: 2000 });
    const lines = TRAIN.split("\n").filter((l) => l.trim()).slice(0, 1500).concat([extra]);
    for (const line of lines) {
      const ids = tok.encode(line);
      assert.ok(!ids.includes(tok.tokenToId("[UNK]")!), line);
      assert.equal(tok.decode(ids, { skipSpecialTokens: true, cleanUp: false }), tok.preTokenize(line).join(" "), line);
    }
    assert.equal(tok.preTokenize(extra).join(" "), "cafe naive elan angstrom 日 本 語 uber — « quoted » x²");
    assert.equal(bertNormalize("Ångström\tNFD: A\u030a"), "angstrom nfd: a");
    assert.equal(tok.decode(tok.encode("Hello, world! It's here.")), "[CLS] hello, world! it's here. [SEP]");
  });

  test("special tokens in text stay whole, and pairs get token type ids", () => {
    const tok = trainWordPiece(TRAIN, { vocabSize: 1200 });
    const enc = tok.encodeFull("Elinor[MASK] Dashwood.", { pair: "Mr. Willoughby" });
    assert.deepEqual(enc.tokens.slice(0, 3), ["[CLS]", "elinor", "[MASK]"]);
    assert.equal(enc.tokens.filter((t) => t === "[SEP]").length, 2);
    const firstSep = enc.tokens.indexOf("[SEP]");
    assert.deepEqual(enc.tokenTypeIds, enc.tokens.map((_, i) => (i <= firstSep ? 0 : 1)));
  });
});

describe("saved tokenizers load in @huggingface/transformers with identical ids", () => {
  let hf: typeof Transformers;
  before(() => {
    hf = transformers();
  });

  test("byte-level BPE: ids, decode, and our own loader", async () => {
    const tok = trainBpe(TRAIN, { vocabSize: 3000, specialTokens: [EOT] });
    const dir = tmpDir("bpe");
    tok.save(dir);
    for (const f of ["tokenizer.json", "tokenizer_config.json", "vocab.json", "merges.txt"]) assert.ok(fs.existsSync(path.join(dir, f)), f);
    assert.ok(!fs.readdirSync(dir).some((f) => f.endsWith(".tmp")));
    const theirs = await hf.AutoTokenizer.from_pretrained(dir);
    const mine = BpeTokenizer.load(dir);
    const texts = [...sentences(3000), ...TRICKY, `Call me Ishmael.${EOT}Some years ago${EOT}`];
    for (const s of texts) {
      const ids = tok.encode(s);
      assert.deepEqual(theirs.encode(s), ids, JSON.stringify(s));
      assert.deepEqual(mine.encode(s), ids, JSON.stringify(s));
      assert.equal(theirs.decode(ids), s);
    }
    assert.equal(theirs.convert_tokens_to_ids(EOT), 0);
    assert.equal(theirs.eos_token, EOT);
    // A pair is appended as is (no template for GPT-2 style tokenizers).
    const out = theirs("Call me", { text_pair: " Ishmael", return_tensor: false }) as unknown as { input_ids: number[] };
    assert.deepEqual(out.input_ids, tok.encode("Call me", { pair: " Ishmael" }));
  });

  test("WordPiece: ids, token type ids for pairs, special tokens, decode", async () => {
    const tok = trainWordPiece(TRAIN, { vocabSize: 3000 });
    const dir = tmpDir("wordpiece");
    tok.save(dir);
    assert.equal(fs.readFileSync(path.join(dir, "vocab.txt"), "utf8").split("\n")[2], "[CLS]");
    const theirs = await hf.AutoTokenizer.from_pretrained(dir);
    const mine = WordPieceTokenizer.load(dir);
    const texts = [...sentences(2000), ...TRICKY, "Emma [MASK] met [SEP] Mr. [UNK] Knightley [CLS]"];
    for (let i = 0; i < texts.length; i++) {
      const a = texts[i];
      const b = texts[(i + 7) % texts.length];
      const single = tok.encodeFull(a);
      const got = theirs(a, { return_tensor: false }) as unknown as { input_ids: number[]; token_type_ids: number[] };
      assert.deepEqual(got.input_ids, single.ids, JSON.stringify(a));
      assert.deepEqual(mine.encode(a), single.ids);
      const pair = tok.encodeFull(a, { pair: b });
      const gotPair = theirs(a, { text_pair: b, return_tensor: false }) as unknown as { input_ids: number[]; token_type_ids: number[] };
      assert.deepEqual(gotPair.input_ids, pair.ids, JSON.stringify([a, b]));
      assert.deepEqual(gotPair.token_type_ids, pair.tokenTypeIds);
      assert.equal(theirs.decode(single.ids), tok.decode(single.ids));
      assert.equal(theirs.decode(single.ids, { skip_special_tokens: true }), tok.decode(single.ids, { skipSpecialTokens: true }));
    }
    assert.equal(theirs.convert_tokens_to_ids("[MASK]"), 4);
    assert.equal(theirs.model_max_length, 512);
  });
});

describe("bad options and bad files", () => {
  test("training options are checked with clear messages", () => {
    assert.throws(() => trainBpe("x", { vocabSize: 100 }), /vocabSize 100 is smaller than the initial vocabulary: 256 byte tokens \+ 0 special tokens = 256/);
    assert.throws(() => trainBpe("x", { vocabSize: 256, specialTokens: [EOT] }), /smaller than the initial vocabulary.*= 257/);
    assert.throws(() => trainBpe("x", { vocabSize: 300.5 }), /vocabSize must be a positive integer/);
    assert.throws(() => trainBpe("x", { minFrequency: -1 }), /minFrequency must be an integer >= 0/);
    assert.throws(() => trainBpe("x", { specialTokens: [EOT, EOT] }), /listed twice/);
    assert.throws(() => trainBpe("x", { specialTokens: [""] }), /non-empty strings/);
    assert.throws(() => trainBpe(42 as unknown as string), /corpus must be a string or an iterable/);
    assert.throws(() => trainWordPiece("x", { specialTokens: ["[PAD]", "[CLS]", "[SEP]"] }), /unkToken "\[UNK\]" must be one of specialTokens/);
    assert.throws(() => trainWordPiece(TRAIN.slice(0, 20_000), { vocabSize: 20 }), /vocabSize 20 is smaller than the initial vocabulary: 5 special tokens \+ \d+ characters/);
    assert.throws(() => trainWordPiece("x", { limitAlphabet: 0 }), /limitAlphabet must be a positive integer/);
  });

  test("malformed tokenizer.json: errors name the file and the field", () => {
    const tok = trainBpe(CLASSIC, { vocabSize: 260, minFrequency: 0 });
    const good = tok.toJSON() as { model: Record<string, unknown> };
    const bad = (patch: (j: { model: Record<string, unknown> }) => void): unknown => {
      const j = JSON.parse(JSON.stringify(good));
      patch(j);
      return j;
    };
    assert.throws(() => BpeTokenizer.fromJSON(bad((j) => delete j.model.merges), "x/tokenizer.json"), /x\/tokenizer.json: model.merges is missing/);
    assert.throws(() => BpeTokenizer.fromJSON(bad((j) => (j.model.type = "Unigram"))), /model.type must be "BPE"/);
    assert.throws(() => BpeTokenizer.fromJSON(bad((j) => ((j.model.vocab as Record<string, number>)["Ā"] = 1))), /model.vocab has id 1 twice/);
    assert.throws(() => BpeTokenizer.fromJSON(bad((j) => (j.model.merges = [["q", "zz"]]))), /merge 0 \("q", "zz"\) uses "zz"/);
    const dir = tmpDir("bad");
    fs.writeFileSync(path.join(dir, "tokenizer.json"), '{"model": {"type": "BPE", "vocab": {');
    assert.throws(() => BpeTokenizer.load(dir), /tokenizer.json: not valid JSON/);
    assert.throws(() => WordPieceTokenizer.load(tmpDir("empty")), /tokenizer.json: cannot read/);
  });
});

describe("the native HF trainer (npm tokenizers), when installed", () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const native = (() => {
    try {
      return require("tokenizers");
    } catch {
      return null;
    }
  })();

  test("learns exactly the same merges as ours on the same text", { skip: native ? false : "npm tokenizers not installed" }, () => {
    // The Node binding trains only with BpeTrainer's defaults: vocab 30000, minFrequency 0, seen bytes
    // as the alphabet. The alphabet's order is the same (code points), so the merge lists must match.
    const dir = tmpDir("native");
    const file = path.join(dir, "train.txt");
    fs.writeFileSync(file, TRAIN.slice(0, 60_000));
    const t = new native.Tokenizer(native.BPE.empty());
    t.setPreTokenizer(native.byteLevelPreTokenizer(false, true));
    t.train([file]);
    t.save(path.join(dir, "native.json"), false);
    const theirs = JSON.parse(fs.readFileSync(path.join(dir, "native.json"), "utf8")).model.merges;
    // HF reads files line by line, keeping the newline: the same texts here.
    const ours = trainBpe(TRAIN.slice(0, 60_000).split(/(?<=\n)/), { vocabSize: 30000, minFrequency: 0 });
    assert.ok(theirs.length > 1000);
    assert.deepEqual(ours.merges, theirs);
  });
});
