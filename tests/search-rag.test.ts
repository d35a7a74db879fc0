import { test } from "node:test";
import * as assert from "node:assert/strict";
import { DEFAULT_GROUNDED_INSTRUCTION, buildGroundedPrompt, extractCitations, faithfulness } from "../lib/search/rag";

const PASSAGES = [
  "Paris is the capital and largest city of France.",
  { title: "Seine", text: "The Seine flows through Paris\ninto the English Channel." },
  "Madrid is the capital of Spain.",
];

test("buildGroundedPrompt numbers the sources and asks for citations", () => {
  const prompt = buildGroundedPrompt("  What river flows through Paris? ", PASSAGES);
  assert.equal(
    prompt,
    `${DEFAULT_GROUNDED_INSTRUCTION}\n\nSources:\n` +
      "[1] Paris is the capital and largest city of France.\n" +
      "[2] Seine: The Seine flows through Paris into the English Channel.\n" +
      "[3] Madrid is the capital of Spain.\n\n" +
      "Question: What river flows through Paris?\nAnswer:",
  );
  assert.match(DEFAULT_GROUNDED_INSTRUCTION, /Cite the sources/);
  assert.match(buildGroundedPrompt("Q?", ["a"], { instruction: "Be brief." }), /^Be brief\.\n\nSources:\n\[1\] a\n/);
  assert.match(buildGroundedPrompt("Q?", []), /Sources:\n\(none\)/);
  assert.throws(() => buildGroundedPrompt("", PASSAGES), /question must be a non-empty string/);
  assert.throws(() => buildGroundedPrompt("Q?", [{ title: "x" } as unknown as string]), /passage 0 must be a string or \{ text, title\? \}/);
});

test("extractCitations: [n], lists, ranges, adjacent brackets; first-appearance order, no repeats", () => {
  assert.deepEqual(extractCitations("Paris [2] is big [1][3]. It is old [2]."), [2, 1, 3]);
  assert.deepEqual(extractCitations("See [1, 4] and [2; 3] and [5-7] and [9–8]."), [1, 4, 2, 3, 5, 6, 7, 9, 8]);
  assert.deepEqual(extractCitations("No sources. Arrays like x[i] or [a] are not citations."), []);
  assert.deepEqual(extractCitations("[ 12 ]"), [12]);
  assert.throws(() => extractCitations(undefined as unknown as string), /answer must be a string/);
});

test("faithfulness: supported, mis-cited, uncited and invented sentences, worked by hand", () => {
  // Sentence 1 content words: paris, capital, france -> all in [1]: supported.
  // Sentence 2 cites [3] (Madrid) for the Seine: content words seine, flow, english, channel; [3] has none -> unsupported.
  // Sentence 3 has no citation -> inherits [3] ("previous") -> madrid, capital, spain all in [3] -> supported.
  const answer = "Paris is the capital of France [1]. The Seine flows into the English Channel [3]. Madrid is the capital of Spain.";
  const r = faithfulness(answer, PASSAGES);
  assert.deepEqual(r.sentences.map((s) => s.supported), [true, false, true]);
  assert.deepEqual(r.sentences[0].contentWords, ["pari", "capital", "france"]); // "paris" -> "pari" by the crude plural rule, on both sides
  assert.deepEqual(r.sentences[1].contentWords, ["seine", "flow", "english", "channel"]);
  assert.equal(r.sentences[1].support, 0);
  assert.deepEqual(r.sentences[2].citations, [3]);
  assert.equal(r.score, 2 / 3);
  // Citing the right source fixes sentence 2, but the uncited sentence 3 now inherits [2] and fails.
  const fixed = faithfulness(answer.replace("[3]", "[2]"), PASSAGES);
  assert.deepEqual(fixed.sentences.map((s) => s.supported), [true, true, false]);
  assert.equal(faithfulness(answer.replace("[3]", "[2]") + " [3]", PASSAGES).score, 1);
  // "unsupported": the uncited sentence fails; "all": it is checked against every passage.
  assert.equal(faithfulness(answer, PASSAGES, { uncited: "unsupported" }).score, 1 / 3);
  assert.equal(faithfulness(answer, PASSAGES, { uncited: "all" }).score, 2 / 3);
  // A citation after the full stop belongs to the sentence before it.
  const after = faithfulness("Paris is the capital of France. [1] Madrid is in Spain. [3]", PASSAGES);
  assert.deepEqual(after.sentences.map((s) => s.citations), [[1], [3]]);
  assert.equal(after.score, 1);
  // Invented words ("became" and "around" are sklearn stop words): 1 of 3 content words (capital) is in [3] -> 1/3 < 0.5.
  const invented = faithfulness("Lisbon became the capital around 1255 [3].", PASSAGES);
  assert.deepEqual(invented.sentences[0].contentWords, ["lisbon", "capital", "1255"]);
  assert.equal(invented.sentences[0].support, 1 / 3);
  assert.equal(invented.score, 0);
  assert.equal(faithfulness("Lisbon became the capital around 1255 [3].", PASSAGES, { minSupport: 0.3 }).score, 1);
  // A citation to a passage that does not exist.
  const bad = faithfulness("Paris is the capital of France [7].", PASSAGES);
  assert.deepEqual(bad.sentences[0].invalidCitations, [7]);
  assert.equal(bad.score, 0);
  // Nothing to check: score 1 by convention; bad options fail clearly.
  assert.equal(faithfulness("It is so.", PASSAGES).score, 1);
  assert.equal(faithfulness("", PASSAGES).sentences.length, 0);
  assert.throws(() => faithfulness(answer, PASSAGES, { minSupport: 2 }), /minSupport must be in \[0, 1\]/);
  assert.throws(() => faithfulness(answer, PASSAGES, { uncited: "skip" as "all" }), /uncited must be/);
});
