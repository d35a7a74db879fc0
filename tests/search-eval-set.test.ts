import { test } from "node:test";
import assert from "node:assert/strict";
import {
  FACTBOOK_FIELD_LOCATORS, answerKeyOf, buildFactbookRetrievalSet, chunkDocuments, extractiveAnswer, factbookCountryName, faithfulness,
  loadFactbook, loadFactbookFacts, loadInstructions, overlapScores, questionText,
  type Chunk, type FactbookDoc, type FactbookFacts, type InstructionExample,
} from "../lib";

const peruGov =
  "Country name: conventional long form: Republic of Peru; conventional short form: Peru. Government type: constitutional republic. " +
  "Capital: name: Lima; time difference: UTC-5. Independence: 28 July 1821 (from Spain).";
const peruGeo = "Location: Western South America, bordering the South Pacific Ocean, between Chile and Ecuador. Area: total: 1,285,216 sq km.";
const docs: FactbookDoc[] = [
  { text: peruGov, country: "Peru", code: "pe", section: "Government", region: "South America" },
  { text: peruGeo, country: "Peru", code: "pe", section: "Geography", region: "South America" },
];
const facts: FactbookFacts[] = [
  { code: "pe", country: "Peru", region: "South America", capital: "Lima", governmentType: "constitutional republic", area: 1285216, independence: "28 July 1821 (from Spain)", location: "Western South America, bordering the South Pacific Ocean, between Chile and Ecuador", population: 30444999 },
];
const row = (task: string, instruction: string, input = ""): InstructionExample => ({ instruction, input, output: "(answer)", source: "factbook", task: task as InstructionExample["task"], entity: "Peru" });

/** Chunks cut by hand at given character offsets of one document. */
function cutAt(docIndex: number, text: string, cuts: number[]): Chunk[] {
  const bounds = [0, ...cuts, text.length];
  return bounds.slice(0, -1).map((start, i) => ({ text: text.slice(start, bounds[i + 1]), sourceId: docIndex, start, end: bounds[i + 1], chunkIndex: i }));
}

test("buildFactbookRetrievalSet: the chunk that holds label and value is the relevant one", () => {
  const capitalAt = peruGov.indexOf("Capital:");
  const independenceAt = peruGov.indexOf("Independence:");
  // Chunk 0: country name + government type; chunk 1: capital; chunk 2: independence. Geography: one chunk.
  const chunks = [...cutAt(0, peruGov, [capitalAt, independenceAt]), ...cutAt(1, peruGeo, [])];
  const rows = [
    row("capital", "What is the capital of Peru?"),
    row("government", "What type of government does the country below have?", "Peru"),
    row("independence", "When did Peru become independent?"),
    row("area", "What is the total area of Peru?"),
    row("region", "In which region of the world is Peru?"),
    row("population", "What is the population of Peru?"), // People and Society is not in the corpus
  ];
  const { questions, skipped } = buildFactbookRetrievalSet(rows, docs, chunks, facts);
  assert.deepEqual(questions.map((q) => [q.task, q.relevant]), [["capital", [1]], ["government", [0]], ["independence", [2]], ["area", [3]]]);
  const capital = questions[0];
  assert.equal(capital.evidence, "Capital: name: Lima");
  assert.equal(capital.evidenceStart, capitalAt);
  assert.equal(capital.answerKey, "Lima");
  assert.equal(capital.docIndex, 0);
  assert.equal(questions[1].question, "What type of government does Peru have?");
  assert.equal(questions[2].answerKey, "28 July 1821");
  assert.equal(questions[2].evidence, "Independence: 28 July 1821 (from Spain)");
  assert.equal(questions[3].answerKey, "1,285,216");
  assert.deepEqual(skipped, { "no field locator (region)": 1, "section not in the corpus": 1 });
});

test("buildFactbookRetrievalSet: evidence cut by a chunk boundary is skipped, overlapping chunks are all relevant", () => {
  const inLima = peruGov.indexOf("Lima") + 2;
  const cut = buildFactbookRetrievalSet([row("capital", "What is the capital of Peru?")], docs, cutAt(0, peruGov, [inLima]), facts);
  assert.equal(cut.questions.length, 0);
  assert.deepEqual(cut.skipped, { "evidence cut by a chunk boundary": 1 });
  // Two overlapping chunks both containing the capital field.
  const a = peruGov.indexOf("Government type:"), b = peruGov.indexOf("Independence:");
  const overlapping: Chunk[] = [
    { text: peruGov.slice(0, b), sourceId: 0, start: 0, end: b, chunkIndex: 0 },
    { text: peruGov.slice(a), sourceId: 0, start: a, end: peruGov.length, chunkIndex: 1 },
  ];
  const both = buildFactbookRetrievalSet([row("capital", "What is the capital of Peru?")], docs, overlapping, facts);
  assert.deepEqual(both.questions[0].relevant, [0, 1]);
});

test("buildFactbookRetrievalSet: a value far from its label, or absent, is not guessed", () => {
  const far = [{ ...facts[0], capital: "Spain" }]; // "Spain" occurs, but 80+ characters after "Capital:"
  const r = buildFactbookRetrievalSet([row("capital", "What is the capital of Peru?")], docs, cutAt(0, peruGov, []), far);
  assert.deepEqual(r.skipped, { "value not found after its label": 1 });
  const none = buildFactbookRetrievalSet([row("capital", "What is the capital of Peru?")], docs, cutAt(0, peruGov, []), [{ ...facts[0], capital: undefined }]);
  assert.deepEqual(none.skipped, { "value not found after its label": 1 });
});

test("buildFactbookRetrievalSet: bad input gets a clear error", () => {
  const bad = [{ text: peruGov, sourceId: "peru", start: 0, end: peruGov.length, chunkIndex: 0 }];
  assert.throws(() => buildFactbookRetrievalSet([], docs, bad, facts), /chunk 0 has sourceId "peru"/);
  assert.throws(() => buildFactbookRetrievalSet([], docs, cutAt(5, peruGov, []), facts), /sourceId 5/);
  assert.throws(() => buildFactbookRetrievalSet([], docs, [], facts, { maxQuestions: 0 }), /maxQuestions/);
  assert.throws(() => buildFactbookRetrievalSet([], docs, [], facts, { tasks: ["region"] }), /no field locator for the question type "region"/);
  assert.throws(() => buildFactbookRetrievalSet(null as never, docs, [], facts), /must be arrays/);
});

test("questionText and answerKeyOf", () => {
  assert.equal(questionText({ instruction: "Name the capital of the country below.", input: "Peru" }), "Name the capital of Peru.");
  assert.equal(questionText({ instruction: "Capital?", input: "Peru" }), "Capital? Peru");
  assert.equal(questionText({ instruction: "What is the capital of Peru?" }), "What is the capital of Peru?");
  assert.equal(answerKeyOf("Spanish (official) 84.1%, Quechua (official) 13%"), "Spanish");
  assert.equal(answerKeyOf("Nevado Huascaran 6,768 m"), "Nevado Huascaran 6,768 m");
  assert.equal(answerKeyOf("Western South America, bordering the South Pacific Ocean"), "Western South America");
  assert.equal(answerKeyOf("Independence Day, 28 July (1821)"), "Independence Day");
});

test("buildFactbookRetrievalSet on the shipped data: every relevant chunk holds its evidence, in the right section", () => {
  const all = loadFactbook();
  const rows = loadInstructions({ split: "test", sources: ["factbook"] });
  const countries = new Set(rows.map((r) => r.entity));
  const subset = all.filter((d) => countries.has(factbookCountryName(d.country)));
  const chunks = chunkDocuments(subset.map((d) => d.text), { chunkSize: 300 });
  const { questions, skipped } = buildFactbookRetrievalSet(rows, subset, chunks, loadFactbookFacts());
  const regionRows = rows.filter((r) => r.task === "region").length;
  assert.equal(skipped["no field locator (region)"], regionRows);
  assert.ok(questions.length >= 200, `${questions.length} questions`);
  for (const q of questions) {
    const loc = FACTBOOK_FIELD_LOCATORS[q.task]!;
    const doc = subset[q.docIndex];
    assert.equal(factbookCountryName(doc.country), q.entity);
    assert.equal(doc.section, loc.section);
    assert.ok(q.evidence.startsWith(loc.label), q.evidence);
    // The evidence holds (up to 80 characters of) the value, so its first item's start at least.
    assert.ok(q.evidence.includes(q.answerKey.slice(0, 40)), `${q.answerKey} / ${q.evidence}`);
    // Independent check: the relevant chunks are exactly this document's chunks whose text contains the evidence.
    const expected = chunks.map((c, i) => (c.sourceId === q.docIndex && c.text.includes(q.evidence) ? i : -1)).filter((i) => i >= 0);
    assert.deepEqual(q.relevant, expected, q.question);
  }
  const sample = buildFactbookRetrievalSet(rows, subset, chunks, loadFactbookFacts(), { maxQuestions: 50, seed: 3 });
  assert.equal(sample.questions.length, 50);
  const again = buildFactbookRetrievalSet(rows, subset, chunks, loadFactbookFacts(), { maxQuestions: 50, seed: 3 });
  assert.deepEqual(sample.questions.map((q) => q.question + q.task), again.questions.map((q) => q.question + q.task));
  assert.ok(sample.questions.every((q) => questions.some((p) => p.question === q.question && p.task === q.task)));
});

test("overlapScores: idf-weighted share of question words, title words shared by all sentences", () => {
  const sentences = ["Country name: Republic of Peru.", "Capital: name: Lima.", "Independence: 1821."];
  // Question content words: capital, peru (what/is/the/of are stop words). n = 3.
  // Without titles: df(capital) = 1, df(peru) = 1 -> both idf ln(1 + 3) -> scores [0.5, 0.5, 0].
  const plain = overlapScores("What is the capital of Peru?", sentences);
  assert.deepEqual(plain.map((x) => Number(x.toFixed(12))), [0.5, 0.5, 0]);
  // With the title "Peru — Government" on every sentence: df(peru) = 3 -> idf ln 2; df(capital) = 1 -> ln 4.
  const titled = overlapScores("What is the capital of Peru?", sentences, ["Peru — Government", "Peru — Government", "Peru — Government"]);
  const total = Math.log(2) + Math.log(4);
  assert.ok(Math.abs(titled[0] - Math.log(2) / total) < 1e-12);
  assert.ok(Math.abs(titled[1] - 1) < 1e-12);
  assert.ok(Math.abs(titled[2] - Math.log(2) / total) < 1e-12);
});

test("extractiveAnswer: quotes the best sentence with its source number; faithful by construction", async () => {
  const passages = [
    { title: "Peru — Communications", text: "Internet country code: .pe. Internet users: total: 12.3 million." },
    { title: "Peru — Government", text: "Country name: Republic of Peru. Capital: name: Lima; time difference: UTC-5." },
  ];
  const ex = await extractiveAnswer("What is the capital of Peru?", passages);
  assert.equal(ex.sentence, "Capital: name: Lima; time difference: UTC-5.");
  assert.equal(ex.source, 2);
  assert.equal(ex.answer, "Capital: name: Lima; time difference: UTC-5. [2]");
  assert.equal(faithfulness(ex.answer, passages).score, 1);
  // Only the first passage read: its best sentence.
  const first = await extractiveAnswer("What is the capital of Peru?", passages, { maxPassages: 1 });
  assert.equal(first.source, 1);
  // A custom scorer (e.g. embedding similarity) decides instead; it gets the sentences in order.
  const last = await extractiveAnswer("q", passages, { scorer: (_q, s) => s.map((_, i) => i) });
  assert.equal(last.sentence, "Capital: name: Lima; time difference: UTC-5.");
  assert.equal(last.score, 3);
  await assert.rejects(() => extractiveAnswer("", passages), /question/);
  await assert.rejects(() => extractiveAnswer("q", []), /non-empty/);
  await assert.rejects(() => extractiveAnswer("q", [42 as never]), /passage 0/);
  await assert.rejects(() => extractiveAnswer("q", passages, { scorer: () => [1] }), /1 scores for 4 sentences/);
});

test("faithfulness keeps a citation with its sentence after a closing bracket or quote", () => {
  const passages = ["Population: 30,444,999 (July 2015 est.).", 'The motto is "Firm and happy for the union."'];
  // The splitter alone cuts "(2011 est.) [1]." before "[1]"; the citation must stay with its sentence.
  const r = faithfulness("Population: 30,444,999 (July 2015 est.). [1]", passages);
  assert.equal(r.sentences.length, 1);
  assert.deepEqual(r.sentences[0].citations, [1]);
  assert.equal(r.score, 1);
  const quoted = faithfulness('The motto is "Firm and happy for the union." [2] Population: 30,444,999. [1]', passages);
  assert.deepEqual(quoted.sentences.map((s) => s.citations), [[2], [1]]);
  assert.equal(quoted.score, 1);
  // Cited to the wrong source, it is unsupported.
  assert.equal(faithfulness("Population: 30,444,999 (July 2015 est.). [2]", passages).score, 0);
});
