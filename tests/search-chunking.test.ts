import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as path from "path";
import { chunkByTokens, chunkBySentences, chunkDocuments, whitespaceTokenSpans } from "../lib/search/chunking";
import { AutoTokenizer } from "../lib/tokenizers/hf";

const TEXT = "Paris is the capital of France. It lies on the Seine.  The city has about two million people! Is it big? Yes.";
const SENTENCES = ["Paris is the capital of France.", "It lies on the Seine.", "The city has about two million people!", "Is it big?", "Yes."];

test("chunkBySentences packs whole sentences up to chunkSize characters, with exact offsets", () => {
  // Sentence lengths 31, 21, 38, 10, 4; the source slice of sentences i..j includes the spaces between.
  const chunks = chunkBySentences(TEXT, { chunkSize: 60, sourceId: "fr" });
  // 31 + 1 + 21 = 53 <= 60; adding the third needs 53 + 2 + 38 = 93 > 60. Then 38 + 1 + 10 = 49, + 1 + 4 = 54.
  assert.deepEqual(chunks.map((c) => c.text), [SENTENCES.slice(0, 2).join(" "), SENTENCES.slice(2).join(" ")]);
  for (const c of chunks) {
    assert.equal(TEXT.slice(c.start, c.end), c.text);
    assert.equal(c.sourceId, "fr");
    assert.ok(c.text.length <= 60);
  }
  assert.deepEqual(chunks.map((c) => c.chunkIndex), [0, 1]);
  // A limit below one sentence: each sentence alone (never cut).
  assert.deepEqual(chunkBySentences(TEXT, { chunkSize: 5 }).map((c) => c.text), SENTENCES);
  // Everything fits: one chunk from the first sentence's start to the last one's end.
  const one = chunkBySentences("  " + TEXT + "  ", { chunkSize: 1000 });
  assert.equal(one.length, 1);
  assert.deepEqual([one[0].start, one[0].end], [2, 2 + TEXT.length]);
});

test("chunkBySentences: overlap carries sentences over; a token lengthFunction; bad options fail clearly", () => {
  const chunks = chunkBySentences(TEXT, { chunkSize: 60, overlapSentences: 1 });
  // [s0 s1], then from s1: 21 + 2 + 38 = 61 > 60 -> [s1] alone, then from s2: [s2 s3 s4] (54).
  assert.deepEqual(chunks.map((c) => c.text), [
    SENTENCES.slice(0, 2).join(" "),
    SENTENCES[1],
    SENTENCES.slice(2).join(" "),
  ]);
  // Words as the length (6, 5, 7, 3, 1): 6 + 5 = 11 <= 12, + 7 = 18 > 12; then 7 + 3 + 1 = 11.
  const words = (t: string): number => t.split(/\s+/).filter(Boolean).length;
  assert.deepEqual(chunkBySentences(TEXT, { chunkSize: 12, lengthFunction: words }).map((c) => words(c.text)), [11, 11]);
  assert.throws(() => chunkBySentences(TEXT, { chunkSize: 0 }), /chunkSize must be > 0/);
  assert.throws(() => chunkBySentences(TEXT, { overlapSentences: -1 }), /overlapSentences must be an integer >= 0/);
  assert.throws(() => chunkBySentences(42 as unknown as string), /text must be a string, got number/);
  assert.throws(() => chunkBySentences(TEXT, { sentenceSplitter: () => ["not in the text"] }), /not found in order/);
  assert.deepEqual(chunkBySentences(""), []);
});

test("chunkByTokens: whitespace windows with overlap, worked by hand", () => {
  const text = "a bb ccc d ee f ggg";
  assert.deepEqual(whitespaceTokenSpans(text), [[0, 1], [2, 4], [5, 8], [9, 10], [11, 13], [14, 15], [16, 19]]);
  // 7 tokens, size 3, overlap 1 -> stride 2: [0,3) [2,5) [4,7).
  const chunks = chunkByTokens(text, { chunkSize: 3, chunkOverlap: 1, sourceId: 7 });
  assert.deepEqual(chunks.map((c) => c.text), ["a bb ccc", "ccc d ee", "ee f ggg"]);
  assert.deepEqual(chunks.map((c) => [c.tokenStart, c.tokenEnd]), [[0, 3], [2, 5], [4, 7]]);
  assert.deepEqual(chunks.map((c) => [c.start, c.end]), [[0, 8], [5, 13], [11, 19]]);
  assert.ok(chunks.every((c) => c.sourceId === 7 && text.slice(c.start, c.end) === c.text));
  // No overlap: [0,3) [3,6) [6,7).
  assert.deepEqual(chunkByTokens(text, { chunkSize: 3 }).map((c) => c.text), ["a bb ccc", "d ee f", "ggg"]);
  // The last window ends at the last token (no trailing window made only of overlap).
  assert.deepEqual(chunkByTokens("a b c d", { chunkSize: 3, chunkOverlap: 2 }).map((c) => c.text), ["a b c", "b c d"]);
  assert.throws(() => chunkByTokens(text, { chunkSize: 3, chunkOverlap: 3 }), /chunkOverlap must be an integer in \[0, chunkSize\)/);
  assert.throws(() => chunkByTokens(text, { chunkSize: 2.5 }), /chunkSize must be an integer >= 1/);
  assert.throws(() => chunkByTokens("ab", { tokenSpans: () => [[0, 5]] }), /outside the text/);
});

test("chunkByTokens over a WordPiece tokenizer's offsets; chunkDocuments keeps ids", async () => {
  const tok = await AutoTokenizer.fromPretrained(path.join(__dirname, "..", "data", "models", "bert-mini-sentence"));
  const text = "The Seine flows through Paris, the capital of France, into the English Channel.";
  const spans = tok.offsets(text);
  const chunks = chunkByTokens(text, { chunkSize: 5, chunkOverlap: 2, tokenSpans: (t) => tok.offsets(t) });
  assert.equal(chunks[0].tokenStart, 0);
  assert.equal(chunks[chunks.length - 1].tokenEnd, spans.length);
  for (const c of chunks) {
    assert.equal(c.tokenEnd! - c.tokenStart!, Math.min(5, spans.length - c.tokenStart!));
    assert.equal(c.start, spans[c.tokenStart!][0]);
    assert.equal(c.end, spans[c.tokenEnd! - 1][1]);
    assert.equal(text.slice(c.start, c.end), c.text);
    // Re-tokenising the chunk gives about as many tokens (word pieces at the edges may merge differently).
    assert.ok(Math.abs(tok.offsets(c.text).length - 5) <= 2, `chunk "${c.text}"`);
  }
  for (let i = 1; i < chunks.length; i++) assert.equal(chunks[i].tokenStart, chunks[i - 1].tokenStart! + 3);

  const all = chunkDocuments([{ id: "a", text: TEXT }, { id: "b", text: "One. Two." }], { chunkSize: 60 });
  assert.deepEqual(all.map((c) => [c.sourceId, c.chunkIndex]), [["a", 0], ["a", 1], ["b", 0]]);
  const byTok = chunkDocuments(["x y z", "p q"], { by: "token", chunkSize: 2 });
  assert.deepEqual(byTok.map((c) => [c.sourceId, c.text]), [[0, "x y"], [0, "z"], [1, "p q"]]);
});
