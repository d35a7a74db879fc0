/**
 * Hugging Face tokenizers through @huggingface/transformers, on three tiny hand-made tokenizers
 * (tests/fixtures/tokenizers/): a BERT-like WordPiece, a GPT-2-like byte-level BPE and a T5-like
 * Unigram with Metaspace. Their vocabularies are small enough to work out every id by hand:
 *   wordpiece       ids are positions in model.vocab ([PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3 [MASK]=4 the=5 ...)
 *   bytelevel-bpe   ids 0..255 are GPT-2's byte table: printable ASCII byte b has id b-33, a space ("Ġ")
 *                   220, "\n" ("Ċ") 198; merges i makes id 256+i; <|endoftext|>=266 <|im_start|>=267 <|im_end|>=268
 *   unigram         ids are positions in model.vocab; the best segmentation has the highest total score
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { AutoTokenizer, HfTokenizer } from "../lib/tokenizers/hf";
import { jsonErrorPosition, loadTokenizerFiles, parseJsonStrict, TokenizerFileError, validateTokenizerJson } from "../lib/tokenizers/validate";
import { compareTokenizers, showTokens, tokenView, TOKENIZER_SAMPLE_TEXT } from "../lib/tokenizers/view";
import { CharTokenizer } from "../lib/tokenizers/char";
import { transformersJs } from "../lib/hub/pipeline";
import { startHubServer } from "./helpers/hub-server";
import type { HubServer } from "./helpers/hub-server";
import { withFakeTslab } from "./fake-tslab";

for (const name of ["HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_TOKEN", "HF_ENDPOINT", "HOLLM_HF_CACHE"]) delete process.env[name];

const FIXTURES = path.join(__dirname, "fixtures", "tokenizers");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "hollm-tok-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

let bert: HfTokenizer;
let gpt: HfTokenizer;
let t5: HfTokenizer;
before(async () => {
  bert = await AutoTokenizer.fromPretrained(path.join(FIXTURES, "wordpiece"));
  gpt = await AutoTokenizer.fromPretrained(path.join(FIXTURES, "bytelevel-bpe"));
  t5 = await AutoTokenizer.fromPretrained(path.join(FIXTURES, "unigram"));
});

const span = (text: string, offsets: [number, number][]) => offsets.map(([a, b]) => text.slice(a, b));

describe("WordPiece (BERT-like)", () => {
  test("encodes to hand-computed ids: lower case, accents stripped, ## pieces, [UNK], [CLS] ... [SEP]", () => {
    assert.deepEqual(bert.encode("Hello, world!"), [2, 13, 16, 14, 15, 3]);
    assert.deepEqual(bert.tokenize("Tokenizers playing Café"), ["token", "##izer", "##s", "play", "##ing", "cafe"]);
    assert.deepEqual(bert.encode("🎵 鸟", { addSpecialTokens: false }), [1, 23]);
    assert.deepEqual(bert.encode("unbelievable cats", { addSpecialTokens: false }), [1, 6, 12], "a word it cannot piece together is one [UNK]");
  });

  test("decode, with and without special tokens", () => {
    assert.equal(bert.decode([2, 13, 16, 14, 15, 3]), "[CLS] hello, world! [SEP]");
    assert.equal(bert.decode([2, 10, 11, 12, 3, 0, 0], { skipSpecialTokens: true }), "tokenizers");
    assert.equal(bert.decode([]), "");
    assert.throws(() => bert.decode([2, 999]), /id 999 at index 1, outside the vocabulary \(30 tokens\)/);
    assert.throws(() => bert.decode([1.5]), /not a token id/);
  });

  test("special tokens and vocabulary, as in Python", () => {
    assert.equal(bert.clsToken, "[CLS]");
    assert.deepEqual([bert.padTokenId, bert.unkTokenId, bert.clsTokenId, bert.sepTokenId, bert.maskTokenId], [0, 1, 2, 3, 4]);
    assert.equal(bert.bosTokenId, null);
    assert.equal(bert.vocabSize, 30);
    assert.equal(bert.modelMaxLength, 16);
    assert.deepEqual(bert.convertTokensToIds(["hello", "##izer", "no-such-token"]), [13, 11, 1], "unknown -> [UNK], as in Python");
    assert.equal(bert.convertTokensToIds("[SEP]"), 3);
    assert.deepEqual(bert.convertIdsToTokens([2, 13, 3]), ["[CLS]", "hello", "[SEP]"]);
    assert.deepEqual(bert.convertIdsToTokens([2, 13, 3], { skipSpecialTokens: true }), ["hello"]);
    assert.equal(bert.convertIdsToTokens(999), null);
    assert.deepEqual([...bert.allSpecialIds].sort(), [0, 1, 2, 3, 4]);
  });

  test("truncation keeps the final [SEP] (Python's behaviour; transformers.js drops it)", () => {
    const text = "hello world hello world the cat sat";
    const enc = bert.call(text, { truncation: true, maxLength: 6 });
    assert.deepEqual(enc.inputIds, [[2, 13, 14, 13, 14, 3]]);
    assert.deepEqual(enc.attentionMask, [[1, 1, 1, 1, 1, 1]]);
    assert.deepEqual(bert.encode(text, { maxLength: 4 }), [2, 13, 14, 3], "maxLength alone truncates, as in Python");
    // The quirk this works around (transformers.js 4.3.1). If this starts failing, transformers.js fixed it.
    const raw = bert.hf([text], { truncation: true, max_length: 6, return_tensor: false }) as unknown as { input_ids: number[][] };
    assert.deepEqual(raw.input_ids, [[2, 13, 14, 13, 14, 5]]);
    // truncation: true without maxLength uses model_max_length (16 in tokenizer_config.json).
    const long = bert.call(Array(20).fill("cat").join(" "), { truncation: true });
    assert.equal(long.inputIds[0].length, 16);
    assert.equal(long.inputIds[0][15], 3);
  });

  test("pairs: [CLS] A [SEP] B [SEP], token type ids, longest_first truncation, offsets into each text", () => {
    const a = "hello world hello world the cat sat";
    const b = "the cat sat on the mat";
    const full = bert.call(a, { textPair: b });
    assert.deepEqual(full.inputIds, [[2, 13, 14, 13, 14, 5, 6, 7, 3, 5, 6, 7, 8, 5, 9, 3]]);
    assert.deepEqual(full.tokenTypeIds, [[0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1]], "BertTokenizer returns token type ids by default");
    // 9 - 3 special = 6 left; both texts are longer than 3, so each keeps 3 (tokenizers' longest_first).
    const cut = bert.call(a, { textPair: b, truncation: true, maxLength: 9, returnOffsetsMapping: true, returnSpecialTokensMask: true });
    assert.deepEqual(cut.inputIds, [[2, 13, 14, 13, 3, 5, 6, 7, 3]]);
    assert.deepEqual(cut.tokenTypeIds, [[0, 0, 0, 0, 0, 1, 1, 1, 1]]);
    assert.deepEqual(cut.specialTokensMask, [[1, 0, 0, 0, 1, 0, 0, 0, 1]]);
    assert.deepEqual(cut.offsetMapping, [[[0, 0], [0, 5], [6, 11], [12, 17], [0, 0], [0, 3], [4, 7], [8, 11], [0, 0]]]);
    // A short first text keeps all of its tokens.
    assert.deepEqual(bert.call("cat", { textPair: b, truncation: true, maxLength: 7 }).inputIds, [[2, 6, 3, 5, 6, 7, 3]]);
    assert.deepEqual(bert.call(a, { textPair: "cat", truncation: "only_first", maxLength: 7 }).inputIds, [[2, 13, 14, 13, 3, 6, 3]]);
    assert.throws(() => bert.call(a, { textPair: b, truncation: "only_second", maxLength: 8 }), /only_second" cannot fit: the other text alone has 7 tokens/);
    assert.throws(() => bert.call([a, a], { textPair: [b] }), /got 2 texts but 1 textPair entries/);
    assert.throws(() => bert.call(a, { truncation: true, maxLength: 1 }), /maxLength 1 is shorter than the 2 special tokens/);
  });

  test("padding: longest, max_length, multiples, left side", () => {
    const enc = bert.call(["hello world", "the cat sat on the mat"], { padding: true });
    assert.deepEqual(enc.inputIds, [
      [2, 13, 14, 3, 0, 0, 0, 0],
      [2, 5, 6, 7, 8, 5, 9, 3],
    ]);
    assert.deepEqual(enc.attentionMask[0], [1, 1, 1, 1, 0, 0, 0, 0]);
    assert.deepEqual(enc.tokenTypeIds![0], [0, 0, 0, 0, 0, 0, 0, 0]);
    assert.deepEqual(bert.call("cat", { padding: "max_length", maxLength: 5 }).inputIds, [[2, 6, 3, 0, 0]]);
    assert.deepEqual(bert.call("cat", { padding: true, padToMultipleOf: 4 }).inputIds, [[2, 6, 3, 0]]);
    assert.deepEqual(bert.call("cat", { padding: "max_length" }).inputIds[0].length, 16, "model_max_length");
    const left = AutoTokenizer.fromPretrained(path.join(FIXTURES, "wordpiece")).then((t) => {
      t.paddingSide = "left";
      return t.call(["cat", "the cat"], { padding: true, returnOffsetsMapping: true });
    });
    return left.then((l) => {
      assert.deepEqual(l.inputIds, [[0, 2, 6, 3], [2, 5, 6, 3]]);
      assert.deepEqual(l.attentionMask, [[0, 1, 1, 1], [1, 1, 1, 1]]);
      assert.deepEqual(l.offsetMapping![0], [[0, 0], [0, 0], [0, 3], [0, 0]]);
    });
  });

  test("offsets: character spans of the original text (case and accents as written)", () => {
    const text = "Hello, world! Tokenizers  Café 🎵 鸟 unbelievable.";
    const row = bert.encodeRow(text);
    assert.deepEqual(row.tokens, ["[CLS]", "hello", ",", "world", "!", "token", "##izer", "##s", "cafe", "[UNK]", "鸟", "[UNK]", ".", "[SEP]"]);
    assert.deepEqual(span(text, row.offsets), ["", "Hello", ",", "world", "!", "Token", "izer", "s", "Café", "🎵", "鸟", "unbelievable", ".", ""]);
    assert.deepEqual(row.offsets[0], [0, 0]);
    assert.deepEqual(bert.offsets("A b"), [[0, 1], [2, 3]], "without special tokens by default");
    const decomposed = "Cafe\u0301 cat"; // e + combining acute accent
    assert.deepEqual(span(decomposed, bert.offsets(decomposed)), ["Cafe\u0301", "cat"]);
  });

  test("bad input to call/encode is named", () => {
    assert.throws(() => bert.call(["ok", 5 as unknown as string]), /expected text strings, found number at index 1/);
    assert.deepEqual(bert.call([], { padding: true }), { inputIds: [], attentionMask: [], tokenTypeIds: [] });
    assert.deepEqual(bert.encode(""), [2, 3]);
  });
});

describe("byte-level BPE (GPT-2-like)", () => {
  test("encodes to hand-computed ids: merges, byte tokens, emoji split into bytes, added tokens", () => {
    assert.deepEqual(gpt.encode("Hello world!"), [264, 260, 0]); // Hello=264 (merge 8), Ġworld=260 (merge 4), "!" = 33-33
    assert.deepEqual(gpt.tokenize("Hi you"), ["H", "i", "Ġ", "y", "o", "u"]);
    assert.deepEqual(gpt.encode("Hi you"), [72 - 33, 105 - 33, 220, 121 - 33, 111 - 33, 117 - 33]);
    // 🎵 = F0 9F 8E B5: "ðŁ" (merge 9 = 265), then 8E -> "İ" (id 236) and B5 -> "µ" (id 113), as in GPT-2.
    assert.deepEqual(gpt.tokenize("🎵"), ["ðŁ", "İ", "µ"]);
    assert.deepEqual(gpt.encode("🎵"), [265, 236, 113]);
    assert.deepEqual(gpt.encode("\n\t"), [198, 197]);
    assert.deepEqual(gpt.encode("Hello<|endoftext|>"), [264, 266]);
    assert.equal(gpt.eosToken, "<|endoftext|>");
    assert.equal(gpt.eosTokenId, 266);
    assert.equal(gpt.vocabSize, 269);
  });

  test("decode(encode(x)) == x on the book's text", () => {
    assert.equal(gpt.decode(gpt.encode(TOKENIZER_SAMPLE_TEXT)), TOKENIZER_SAMPLE_TEXT);
    assert.equal(gpt.decode([264, 266, 260], { skipSpecialTokens: true }), "Hello world");
  });

  test("offsets: leading spaces belong to the token, pieces of one character share its span", () => {
    const text = "Hello world 🎵!";
    const row = gpt.encodeRow(text);
    assert.deepEqual(row.tokens, ["Hello", "Ġworld", "Ġ", "ðŁ", "İ", "µ", "!"]);
    assert.deepEqual(row.offsets, [[0, 5], [5, 11], [11, 12], [12, 14], [12, 14], [12, 14], [14, 15]]);
    const cafe = "Café";
    assert.deepEqual(span(cafe, gpt.offsets(cafe)), ["C", "a", "f", "é", "é"]);
  });

  test("pairs are concatenated (transformers.js' ByteLevel post-processor drops the pair)", () => {
    assert.deepEqual(gpt.call("Hello world", { textPair: "Hello" }).inputIds, [[264, 260, 264]]);
    const raw = gpt.hf("Hello world", { text_pair: "Hello", return_tensor: false }) as unknown as { input_ids: number[] };
    assert.deepEqual(raw.input_ids, [264, 260], "the quirk worked around");
  });

  test("padding needs a pad token, as in Python; padToken = eosToken fixes it", async () => {
    const tok = await AutoTokenizer.fromPretrained(path.join(FIXTURES, "bytelevel-bpe"));
    assert.equal(tok.padToken, null);
    assert.throws(() => tok.call(["Hello", "Hello world"], { padding: true }), /has no pad token; set one first, e\.g\. tokenizer\.padToken = tokenizer\.eosToken/);
    tok.padToken = tok.eosToken;
    assert.deepEqual(tok.call(["Hello", "Hello world"], { padding: true }).inputIds, [
      [264, 266],
      [264, 260],
    ]);
    assert.equal(tok.call("Hello").tokenTypeIds, undefined, "GPT-2 has no token type ids");
  });

  test("chat template: text and hand-computed ids", () => {
    const messages = [{ role: "user", content: "Hello world" }];
    assert.equal(gpt.applyChatTemplate(messages, { tokenize: false, addGenerationPrompt: true }), "<|im_start|>user\nHello world<|im_end|>\n<|im_start|>assistant\n");
    const ascii = (s: string) => Array.from(s, (c) => c.charCodeAt(0) - 33);
    assert.deepEqual(gpt.applyChatTemplate(messages), [267, ...ascii("user"), 198, 264, 260, 268, 198]);
    assert.deepEqual(gpt.applyChatTemplate(messages, { addGenerationPrompt: true }).slice(-11), [267, ...ascii("assistant"), 198]);
    assert.throws(() => bert.applyChatTemplate(messages), /has no chat template/);
    assert.equal(bert.applyChatTemplate(messages, { tokenize: false, chatTemplate: "{{ messages[0].content }}!" }), "Hello world!");
    assert.throws(() => gpt.applyChatTemplate([{ role: "user" }] as never), /list of \{role, content\}/);
  });
});

describe("Unigram + Metaspace (T5-like)", () => {
  test("the best-scoring segmentation, with </s> appended", () => {
    // "▁un"+"believ"+"able" = -14.3 beats "▁unbeliev"+"able" = -14.8.
    assert.deepEqual(t5.tokenize("hello world. unbelievable cats"), ["▁hello", "▁world", ".", "▁un", "believ", "able", "▁cat", "s"]);
    assert.deepEqual(t5.encode("hello world. unbelievable cats"), [8, 9, 14, 10, 11, 12, 5, 7, 1]);
    assert.deepEqual(t5.encode("the  cat"), [4, 5, 1], "the normalizer folds runs of spaces");
    assert.deepEqual(t5.encode("🎵"), [3, 2, 1], "an unknown character is <unk> (id 2)");
    assert.equal(t5.decode([8, 9, 14, 1]), "hello world.</s>");
    assert.equal(t5.decode([8, 9, 14, 1, 0], { skipSpecialTokens: true }), "hello world.");
  });

  test("special_tokens_map.json supplies the pad token (tokenizer_config.json has none)", () => {
    assert.equal(t5.padToken, "<pad>");
    assert.equal(t5.padTokenId, 0);
    assert.equal(t5.eosToken, "</s>", "an AddedToken object in the map becomes its content");
    assert.deepEqual(t5.call(["hello world.", "the cat"], { padding: "max_length", maxLength: 5 }).inputIds, [
      [8, 9, 14, 1, 0],
      [4, 5, 1, 0, 0],
    ]);
    assert.deepEqual(t5.call("the cat sat", { truncation: true, maxLength: 3 }).inputIds, [[4, 5, 1]], "</s> kept");
  });

  test("long texts: encoded in pieces cut at spaces (transformers.js alone overflows the stack here)", () => {
    const text = "a b ".repeat(40_000).trim(); // 160,000 pieces: "▁" "a" "▁" "b" ...
    const ids = t5.encode(text, { addSpecialTokens: false });
    assert.equal(ids.length, 160_000);
    assert.ok(ids.every((id, i) => id === [3, 15, 3, 16][i % 4]));
  });

  test("offsets: ▁ reads as the space before a word", () => {
    const text = "hello world. the cat";
    assert.deepEqual(span(text, t5.offsets(text)), ["hello", " world", ".", " the", " cat"]);
  });
});

describe("loading", () => {
  test("from the hub (a local test server), then from the cache offline", async () => {
    const root = path.join(tmp, "hub");
    fs.mkdirSync(path.join(root, "acme", "bert-tiny", "main"), { recursive: true });
    for (const f of ["tokenizer.json", "tokenizer_config.json"]) fs.copyFileSync(path.join(FIXTURES, "wordpiece", f), path.join(root, "acme", "bert-tiny", "main", f));
    const hub: HubServer = await startHubServer({ root });
    const cacheDir = path.join(tmp, "cache");
    try {
      const tok = await AutoTokenizer.fromPretrained("acme/bert-tiny", { endpoint: hub.url, cacheDir });
      assert.deepEqual(tok.encode("Hello, world!"), [2, 13, 16, 14, 15, 3]);
      assert.equal(tok.folder, path.join(cacheDir, "acme", "bert-tiny", "main"));
      assert.equal(tok.name, "acme/bert-tiny");
      const paths = hub.requests.map((r) => `${r.status} ${r.path}`);
      assert.ok(paths.includes("404 /acme/bert-tiny/resolve/main/special_tokens_map.json"), paths.join("\n"));
      const seen = hub.requests.length;
      const again = await AutoTokenizer.fromPretrained("acme/bert-tiny", { endpoint: hub.url, cacheDir, offline: true });
      assert.deepEqual(again.encode("cat"), [2, 6, 3]);
      assert.equal(hub.requests.length, seen, "offline: no request");
      await assert.rejects(AutoTokenizer.fromPretrained("acme/other", { endpoint: hub.url, cacheDir, offline: true }), /offline mode .*tokenizer\.json of hub repo acme\/other/);
    } finally {
      await hub.close();
    }
  });

  test("ids equal transformers.js' own AutoTokenizer loading the folder local-only (allowRemoteModels=false)", async () => {
    const hf = transformersJs();
    const saved = { allowRemoteModels: hf.env.allowRemoteModels, fetch: hf.env.fetch };
    hf.env.allowRemoteModels = false;
    hf.env.fetch = (() => {
      throw new Error("network access in a test");
    }) as typeof hf.env.fetch;
    try {
      for (const [name, ours] of [["wordpiece", bert], ["bytelevel-bpe", gpt], ["unigram", t5]] as const) {
        const theirs = await hf.AutoTokenizer.from_pretrained(path.join(FIXTURES, name));
        for (const text of [TOKENIZER_SAMPLE_TEXT, "Hello, world! Café 🎵", "hello world. unbelievable cats"]) {
          assert.deepEqual(ours.encode(text), theirs.encode(text), `${name}: ${JSON.stringify(text)}`);
        }
      }
    } finally {
      hf.env.allowRemoteModels = saved.allowRemoteModels;
      hf.env.fetch = saved.fetch;
    }
  });

  test("HfTokenizer.fromJson builds from objects in memory (checked the same way)", () => {
    const json = JSON.parse(fs.readFileSync(path.join(FIXTURES, "wordpiece", "tokenizer.json"), "utf8"));
    const config = JSON.parse(fs.readFileSync(path.join(FIXTURES, "wordpiece", "tokenizer_config.json"), "utf8"));
    const tok = HfTokenizer.fromJson(json, config, "mine");
    assert.deepEqual(tok.encode("the cat"), [2, 5, 6, 3]);
    json.model.vocab.the = 6;
    assert.throws(() => HfTokenizer.fromJson(json, config, "mine"), /^TokenizerFileError: mine: tokenizer\.json: model\.vocab has id 6 twice \("the" and "cat"\)$/);
  });
});

/** A copy of a fixture folder with tokenizer.json (or another file) changed. */
function brokenFolder(from: string, edit: (json: Record<string, any>) => void, file = "tokenizer.json"): string {
  const dir = fs.mkdtempSync(path.join(tmp, `bad-${from}-`));
  for (const f of fs.readdirSync(path.join(FIXTURES, from))) fs.copyFileSync(path.join(FIXTURES, from, f), path.join(dir, f));
  const json = JSON.parse(fs.readFileSync(path.join(dir, file), "utf8"));
  edit(json);
  fs.writeFileSync(path.join(dir, file), JSON.stringify(json, null, 2));
  return dir;
}

function rawFolder(from: string, file: string, text: string | Buffer): string {
  const dir = fs.mkdtempSync(path.join(tmp, `raw-${from}-`));
  for (const f of fs.readdirSync(path.join(FIXTURES, from))) fs.copyFileSync(path.join(FIXTURES, from, f), path.join(dir, f));
  fs.writeFileSync(path.join(dir, file), text);
  return dir;
}

/** The TokenizerFileError message of loading `dir`, checked to name the file. */
async function loadError(dir: string, file = "tokenizer.json"): Promise<string> {
  try {
    await AutoTokenizer.fromPretrained(dir);
  } catch (err) {
    assert.ok(err instanceof TokenizerFileError, `expected TokenizerFileError, got ${String(err)}`);
    assert.ok(err.message.startsWith(`${path.join(dir, file)}: `), err.message);
    return err.message.slice(path.join(dir, file).length + 2);
  }
  assert.fail("expected an error");
}

describe("bad tokenizer files give clear errors naming the file and field", () => {
  test("truncated JSON: where it ends, and that it looks truncated", async () => {
    const text = fs.readFileSync(path.join(FIXTURES, "wordpiece", "tokenizer.json"), "utf8");
    const msg = await loadError(rawFolder("wordpiece", "tokenizer.json", text.slice(0, 1500)));
    assert.match(msg, /^is not valid JSON: it ends unexpectedly at line \d+, column \d+ \(the file is 1500 bytes long\); it looks truncated/);
  });

  test("malformed JSON: line and column, without V8 quoting the whole file", async () => {
    const msg = await loadError(rawFolder("wordpiece", "tokenizer.json", '{\n  "version": "1.0",\n  "model": {"type": tru}\n}'));
    assert.match(msg, /^is not valid JSON at line 3, column 21: Unexpected token '}' \(near "/);
    assert.ok(msg.length < 200, msg);
    const comma = await loadError(rawFolder("wordpiece", "tokenizer.json", '{"model": {"vocab": {"a": 1,}}}'));
    assert.match(comma, /^is not valid JSON at line 1, column 29: Expected double-quoted property name/);
    assert.equal(await loadError(rawFolder("wordpiece", "tokenizer.json", "")), "is empty (an interrupted download?)");
    assert.match(await loadError(rawFolder("wordpiece", "tokenizer.json", Buffer.from([0x7b, 0xff, 0xfe, 0x7d]))), /^is not UTF-8 text/);
    assert.match(await loadError(rawFolder("wordpiece", "tokenizer.json", "[1, 2]")), /^is not a tokenizer: expected a JSON object at the top, found an array/);
  });

  test("unknown or unsupported model.type", async () => {
    assert.equal(await loadError(brokenFolder("wordpiece", (j) => (j.model.type = "Foo"))), 'model.type "Foo" is unknown (expected BPE, WordPiece or Unigram)');
    assert.match(await loadError(brokenFolder("wordpiece", (j) => (j.model.type = "WordLevel"))), /^model\.type "WordLevel" is not supported by transformers\.js/);
    assert.match(await loadError(brokenFolder("wordpiece", (j) => delete j.model)), /^has no "model"/);
  });

  test("BPE without vocab or merges, or with merges of unknown tokens", async () => {
    assert.equal(await loadError(brokenFolder("bytelevel-bpe", (j) => delete j.model.merges)), "model.merges is missing (BPE needs a vocab and merges)");
    assert.equal(await loadError(brokenFolder("bytelevel-bpe", (j) => delete j.model.vocab)), "model.vocab is missing (BPE needs a vocab and merges)");
    assert.equal(
      await loadError(brokenFolder("bytelevel-bpe", (j) => j.model.merges.push("Ġ zz"))),
      'model.merges[10] ("Ġ zz") uses "zz", which is not in model.vocab',
    );
    assert.equal(
      await loadError(brokenFolder("bytelevel-bpe", (j) => j.model.merges.push("a b"))),
      'model.merges[10] ("a b") makes "ab", which is not in model.vocab',
    );
    assert.match(await loadError(brokenFolder("bytelevel-bpe", (j) => (j.model.merges[3] = "Ġwor"))), /^model\.merges\[3\] is not "a b" or \["a", "b"\]: "Ġwor"/);
  });

  test("vocab with duplicate or invalid ids", async () => {
    assert.equal(await loadError(brokenFolder("wordpiece", (j) => (j.model.vocab.cat = 5))), 'model.vocab has id 5 twice ("the" and "cat")');
    assert.equal(await loadError(brokenFolder("wordpiece", (j) => (j.model.vocab.cat = -1))), 'model.vocab["cat"] has id -1: ids must be whole numbers >= 0');
    assert.equal(
      await loadError(brokenFolder("unigram", (j) => (j.model.vocab[7] = ["▁the", -1]))),
      'model.vocab has piece "▁the" twice (ids 4 and 7)',
    );
    assert.equal(await loadError(brokenFolder("unigram", (j) => (j.model.unk_id = 99))), "model.unk_id 99 is outside model.vocab (27 pieces)");
    assert.match(await loadError(brokenFolder("unigram", (j) => (j.model.vocab[3] = "▁"))), /^model\.vocab\[3\] is not a \["piece", score\] pair/);
  });

  test("added_tokens whose ids clash", async () => {
    assert.equal(
      await loadError(brokenFolder("wordpiece", (j) => j.added_tokens.push({ id: 5, content: "<extra>", special: true }))),
      'added_tokens[5] "<extra>" has id 5, which model.vocab gives to "the"',
    );
    assert.equal(
      await loadError(brokenFolder("bytelevel-bpe", (j) => (j.added_tokens[2].id = 267))),
      'added_tokens[2] "<|im_end|>" has id 267, already used by added_tokens[1] "<|im_start|>"',
    );
    assert.equal(
      await loadError(brokenFolder("wordpiece", (j) => (j.added_tokens[0].id = 40))),
      'added_tokens[0] "[PAD]" has id 40, but model.vocab gives it id 0',
    );
  });

  test("WordPiece without its [UNK], unsupported components, post-processor tokens that do not exist", async () => {
    assert.equal(
      await loadError(brokenFolder("wordpiece", (j) => (j.model.unk_token = "<unk>"))),
      'model.unk_token "<unk>" is not in model.vocab (WordPiece needs it for unknown words)',
    );
    assert.match(
      await loadError(brokenFolder("unigram", (j) => (j.normalizer.normalizers[0].type = "Magic"))),
      /^normalizer\.normalizers\[0\]\.type "Magic" is not supported by transformers\.js \(supported: BertNormalizer/,
    );
    assert.equal(
      await loadError(brokenFolder("wordpiece", (j) => (j.post_processor.special_tokens["[CLS]"].ids = [7]))),
      'post_processor.special_tokens["[CLS]"] gives "[CLS]" id 7, but the vocabulary gives it id 2',
    );
    assert.equal(
      await loadError(brokenFolder("unigram", (j) => (j.post_processor.single[1].SpecialToken.id = "<eos>"))),
      'post_processor.single[1] uses special token "<eos>", which is not in the vocabulary',
    );
  });

  test("tokenizer_config.json malformed or with bad values; missing files", async () => {
    const bad = await loadError(rawFolder("wordpiece", "tokenizer_config.json", '{"model_max_length": 16,'), "tokenizer_config.json");
    assert.match(bad, /^is not valid JSON: it ends unexpectedly .* truncated/);
    assert.equal(
      await loadError(brokenFolder("wordpiece", (j) => (j.padding_side = "middle"), "tokenizer_config.json"), "tokenizer_config.json"),
      'padding_side must be "left" or "right", found the string "middle"',
    );
    assert.equal(
      await loadError(brokenFolder("wordpiece", (j) => (j.pad_token = 0), "tokenizer_config.json"), "tokenizer_config.json"),
      'pad_token must be a token string or {"content": ...}, found number 0',
    );
    assert.equal(
      await loadError(brokenFolder("wordpiece", (j) => (j.model_max_length = "big"), "tokenizer_config.json"), "tokenizer_config.json"),
      'model_max_length must be a positive number, found the string "big"',
    );
    const special = await loadError(rawFolder("unigram", "special_tokens_map.json", "[]"), "special_tokens_map.json");
    assert.equal(special, "must be a JSON object, found an array");
    const noConfig = fs.mkdtempSync(path.join(tmp, "noconfig-"));
    fs.copyFileSync(path.join(FIXTURES, "wordpiece", "tokenizer.json"), path.join(noConfig, "tokenizer.json"));
    await assert.rejects(AutoTokenizer.fromPretrained(noConfig), /lacks tokenizer_config\.json/);
    await assert.rejects(AutoTokenizer.fromPretrained(path.join(tmp, "nowhere")), /does not exist/);
  });

  test("the JSON scanner finds positions V8 does not report", () => {
    assert.equal(jsonErrorPosition('{"a": tru}'), 6);
    assert.equal(jsonErrorPosition('{"a": [1, 2]}'), -1);
    assert.equal(jsonErrorPosition('{"a": "x\\q"}'), 9);
    assert.throws(() => parseJsonStrict('{"a": 1} x', "f.json"), /^TokenizerFileError: f\.json: is not valid JSON at line 1, column 10/);
    const summary = validateTokenizerJson(JSON.parse(fs.readFileSync(path.join(FIXTURES, "unigram", "tokenizer.json"), "utf8")));
    assert.deepEqual(summary, { modelType: "Unigram", vocabSize: 27, addedTokens: 3 });
    assert.equal(loadTokenizerFiles(path.join(FIXTURES, "unigram")).tokenizerConfig.pad_token, "<pad>");
  });
});

describe("token views", () => {
  test("plain view: one [chunk] per token as the book's show_tokens, then the ids", () => {
    const view = tokenView(gpt, "Hello world!\t🎵");
    assert.equal(view.count, 7);
    assert.equal(view.plain, "[Hello][ world][!][\\t][�][�][�]\nids: 264 260 0 197 265 236 113");
    const bertView = tokenView(bert, "Tokenizers", { showIds: false });
    assert.equal(bertView.plain, "[[CLS]][token][##izer][##s][[SEP]]");
    assert.deepEqual(bertView.chunks.map((c) => c.special), [true, false, false, false, true]);
    assert.equal(tokenView(gpt, "Hello world", { show: "tokens", showIds: false }).plain, "[Hello][Ġworld]");
  });

  test("HTML view: coloured chunks with ids, text escaped", () => {
    const view = tokenView(gpt, "Hello<|endoftext|>");
    assert.match(view.html, /^<div style="margin:4px 0"><b>2 tokens<\/b>/);
    assert.equal((view.html.match(/background:rgba\(/g) ?? []).length, 2);
    assert.match(view.html, /&lt;\|endoftext\|&gt;<span[^>]*>266<\/span>/);
    assert.ok(!view.html.includes("<|"), "no raw special token text in the HTML");
    assert.deepEqual(Object.keys(view.bundle.data).sort(), ["text/html", "text/plain"]);
  });

  test("compareTokenizers on the book's text: counts per tokenizer, any TextTokenizerLike", () => {
    const chars = CharTokenizer.fromText(TOKENIZER_SAMPLE_TEXT);
    const cmp = compareTokenizers({ "bert-like": bert, "gpt2-like": gpt, "t5-like": t5, chars });
    assert.deepEqual(
      cmp.rows.map((r) => [r.name, r.count]),
      [
        ["bert-like", bert.encode(TOKENIZER_SAMPLE_TEXT).length],
        ["gpt2-like", gpt.encode(TOKENIZER_SAMPLE_TEXT).length],
        ["t5-like", t5.encode(TOKENIZER_SAMPLE_TEXT).length],
        ["chars", Array.from(TOKENIZER_SAMPLE_TEXT).length],
      ],
    );
    assert.equal(cmp.rows[3].charsPerToken, 1);
    assert.match(cmp.plain, /^tokenizer  tokens  chars\/token\nbert-like +\d+ +\d+\.\d\d\n/);
    assert.match(cmp.plain, /\nchars \(\d+ tokens\)\n\[E\]\[n\]\[g\]/);
    assert.match(cmp.html, /^<table/);
    assert.equal((cmp.html.match(/<tr>/g) ?? []).length, 5);
    assert.throws(() => compareTokenizers({}), /at least one tokenizer/);
    assert.throws(() => compareTokenizers({ broken: {} as never }), /tokenizer "broken" failed: tokenView: the tokenizer needs an encode\(text\) method/);
  });

  test("showTokens: one display output in a notebook, the plain view in a terminal", async () => {
    await withFakeTslab((calls) => {
      showTokens(bert, "hello world");
      assert.equal(calls.length, 1);
      assert.match(String(calls[0].content.data["text/html"]), /4 tokens/);
      assert.equal(calls[0].content.data["text/plain"], "[[CLS]][hello][world][[SEP]]\nids: 2 13 14 3");
    });
    const logged: string[] = [];
    const log = console.log;
    console.log = (...args: unknown[]) => void logged.push(args.join(" "));
    try {
      showTokens(gpt, "Hello world", { showIds: false });
    } finally {
      console.log = log;
    }
    assert.deepEqual(logged, ["[Hello][ world]"]);
  });
});

test("savePretrained writes tokenizer.json and tokenizer_config.json that load to the same tokenizer, settings included", async () => {
  const gpt2 = await AutoTokenizer.fromPretrained(path.join(FIXTURES, "bytelevel-bpe"));
  gpt2.padToken = gpt2.eosToken; // the Python idiom for GPT-2 batches
  gpt2.paddingSide = "left";
  const dir = path.join(tmp, "saved-gpt2");
  assert.deepEqual(gpt2.savePretrained(dir).map((f) => path.basename(f)), ["tokenizer.json", "tokenizer_config.json"]);
  const back = await AutoTokenizer.fromPretrained(dir);
  const texts = ["Hello world, it's 2024!", "naïve café 🤗"];
  for (const t of texts) assert.deepEqual(back.encode(t), gpt2.encode(t));
  assert.equal(back.padToken, gpt2.eosToken);
  assert.equal(back.paddingSide, "left");
  assert.equal(back.modelMaxLength, gpt2.modelMaxLength);
  // A tokenizer built in memory has no folder to copy from; savePretrained still writes it.
  const json = JSON.parse(fs.readFileSync(path.join(FIXTURES, "wordpiece", "tokenizer.json"), "utf8"));
  const inMemory = HfTokenizer.fromJson(json, { model_max_length: 64 });
  const dir2 = path.join(tmp, "saved-memory");
  inMemory.savePretrained(dir2);
  const loaded = await AutoTokenizer.fromPretrained(dir2);
  assert.deepEqual(loaded.encode("The quick brown fox."), inMemory.encode("The quick brown fox."));
  assert.equal(loaded.modelMaxLength, 64);
});
