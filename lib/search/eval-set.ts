/**
 * An evaluation set for chapter 8's retrievers whose relevance judgements are correct by construction: the
 * templated Factbook questions of data/instructions ("What is the capital of Peru?"), each paired with the
 * chunks of the Factbook that hold its answer.
 *
 * Each question type reads one field of one section of a country's profile (capital -> "Capital:" in
 * Government). The field's value is taken from the country's key facts (loadFactbookFacts, parsed from the
 * same profiles), located in the section's text right after the field's label, and the evidence span runs
 * from the label to (at most `maxEvidenceChars` of) the value. The relevant chunks of a question are the
 * chunks of that section whose character range contains the whole evidence span; a question whose evidence
 * no chunk contains (cut by a chunk boundary), or whose section is not in the corpus, is skipped and
 * counted, never guessed.
 */
import type { FactbookDoc, FactbookFacts, FactbookSection } from "../data/datasets";
import { factbookCountryName, type FactbookTask, type InstructionExample } from "../data/instructions";
import { Rng } from "../util/random";
import type { Chunk } from "./chunking";

/** Where a question type's answer is written in a profile. */
export interface FactbookFieldLocator {
  section: FactbookSection;
  /** The field's label as it appears in the section text, e.g. "Capital:". */
  label: string;
  /** The raw value of the field, as written in the text (undefined when the profile has none). */
  value(f: FactbookFacts): string | undefined;
}

function thousands(n: number | undefined): string | undefined {
  return n === undefined ? undefined : n.toLocaleString("en-US", { maximumFractionDigits: 2 });
}

/**
 * The field each Factbook question type asks about. "region" is left out: a profile's region is its folder
 * in the Factbook, written nowhere in its text as such.
 */
export const FACTBOOK_FIELD_LOCATORS: Readonly<Partial<Record<FactbookTask, FactbookFieldLocator>>> = {
  capital: { section: "Government", label: "Capital:", value: (f) => f.capital },
  population: { section: "People and Society", label: "Population:", value: (f) => thousands(f.population) },
  area: { section: "Geography", label: "Area:", value: (f) => thousands(f.area) },
  currency: { section: "Economy", label: "Exchange rates:", value: (f) => f.currency },
  languages: { section: "People and Society", label: "Languages:", value: (f) => f.languages },
  location: { section: "Geography", label: "Location:", value: (f) => f.location },
  independence: { section: "Government", label: "Independence:", value: (f) => f.independence },
  "national-holiday": { section: "Government", label: "National holiday:", value: (f) => f.nationalHoliday },
  "highest-point": { section: "Geography", label: "highest point:", value: (f) => f.highestPoint },
  government: { section: "Government", label: "Government type:", value: (f) => f.governmentType },
  "internet-code": { section: "Communications", label: "Internet country code:", value: (f) => f.internetCode },
};

/** One evaluation question with its answer and the chunks that contain the evidence. */
export interface RetrievalQuestion {
  /** The question as a user would type it (an Alpaca-style row's input is put in its instruction). */
  question: string;
  /** The reference answer of the instruction row (a full sentence built from the facts). */
  answer: string;
  /** A short string a correct answer must contain: the value's first item ("Lima", "30,444,999", "Spanish"). */
  answerKey: string;
  task: FactbookTask;
  /** Country name as the question uses it. */
  entity: string;
  /** Position in `docs` of the section that answers it. */
  docIndex: number;
  /** The evidence span in that section's text: the label and the start of the value. */
  evidence: string;
  evidenceStart: number;
  evidenceEnd: number;
  /** Positions in `chunks` of the chunks containing the whole evidence span (never empty). */
  relevant: number[];
}

export interface FactbookRetrievalSetOptions {
  /** Only these question types (default: every type with a locator). */
  tasks?: readonly FactbookTask[];
  /** Keep at most this many questions, a seeded sample (default all, in row order). */
  maxQuestions?: number;
  /** Seed of the sample (default 42). */
  seed?: number;
  /** Characters of the value included in the evidence span (default 80; long values need not fit whole). */
  maxEvidenceChars?: number;
  /** Most characters allowed between the label and its value, e.g. "name: " (default 40). */
  maxLabelGap?: number;
}

export interface FactbookRetrievalSet {
  questions: RetrievalQuestion[];
  /** Why rows were left out, with counts. */
  skipped: Record<string, number>;
}

/** The question of an instruction row: "Name the capital of the country below." + "Peru" -> "Name the capital of Peru." */
export function questionText(row: { instruction: string; input?: string }): string {
  if (!row.input) return row.instruction;
  return row.instruction.includes("the country below") ? row.instruction.replace("the country below", row.input) : `${row.instruction} ${row.input}`;
}

/** The first item of a field value: text before the first ";", "(" or ", " ("Spanish (official) 84.1%, ..." -> "Spanish"). */
export function answerKeyOf(value: string): string {
  return value.split(/[;(]|,\s/)[0].trim();
}

/** Where a label starts a field: at the start of the text or after a space (so "Capital:" inside a word never counts). */
function findLabel(text: string, label: string): number {
  let at = text.indexOf(label);
  while (at > 0 && !/\s/.test(text[at - 1])) at = text.indexOf(label, at + 1);
  return at;
}

/**
 * Pairs the Factbook instruction rows (loadInstructions, source "factbook") with the chunks that hold their
 * answers. `chunks` must come from chunking `docs` with each chunk's `sourceId` the document's position in
 * `docs` (chunkDocuments(docs.map((d) => d.text)) does that).
 */
export function buildFactbookRetrievalSet(
  rows: readonly InstructionExample[],
  docs: readonly FactbookDoc[],
  chunks: readonly Chunk[],
  facts: readonly FactbookFacts[],
  opts: FactbookRetrievalSetOptions = {},
): FactbookRetrievalSet {
  const who = "buildFactbookRetrievalSet";
  if (!Array.isArray(rows) || !Array.isArray(docs) || !Array.isArray(chunks) || !Array.isArray(facts)) throw new Error(`${who}: rows, docs, chunks and facts must be arrays`);
  const maxEvidence = opts.maxEvidenceChars ?? 80;
  const maxGap = opts.maxLabelGap ?? 40;
  if (!(Number.isInteger(maxEvidence) && maxEvidence >= 1)) throw new Error(`${who}: maxEvidenceChars must be an integer >= 1, got ${maxEvidence}`);
  if (!(Number.isInteger(maxGap) && maxGap >= 0)) throw new Error(`${who}: maxLabelGap must be an integer >= 0, got ${maxGap}`);
  if (opts.maxQuestions !== undefined && !(Number.isInteger(opts.maxQuestions) && opts.maxQuestions >= 1)) throw new Error(`${who}: maxQuestions must be an integer >= 1, got ${opts.maxQuestions}`);
  for (const t of opts.tasks ?? []) if (!FACTBOOK_FIELD_LOCATORS[t]) throw new Error(`${who}: no field locator for the question type "${t}" (types: ${Object.keys(FACTBOOK_FIELD_LOCATORS).join(", ")})`);
  const tasks = new Set<string>(opts.tasks ?? Object.keys(FACTBOOK_FIELD_LOCATORS));

  // Chunks per document, and documents per (country name, section).
  const chunksOf = new Map<number, number[]>();
  chunks.forEach((c, i) => {
    const d = c.sourceId;
    if (typeof d !== "number" || !Number.isInteger(d) || d < 0 || d >= docs.length) {
      throw new Error(`${who}: chunk ${i} has sourceId ${JSON.stringify(d)}; it must be the position of its document in docs (0..${docs.length - 1})`);
    }
    let list = chunksOf.get(d);
    if (!list) chunksOf.set(d, (list = []));
    list.push(i);
  });
  const docAt = new Map<string, number>();
  docs.forEach((d, i) => docAt.set(`${factbookCountryName(d.country)}\u0000${d.section}`, i));
  const factsOf = new Map<string, FactbookFacts>();
  for (const f of facts) factsOf.set(factbookCountryName(f.country), f);

  const skipped: Record<string, number> = {};
  const skip = (why: string): void => {
    skipped[why] = (skipped[why] ?? 0) + 1;
  };
  const questions: RetrievalQuestion[] = [];
  for (const row of rows) {
    if (row.source !== "factbook") {
      skip("not a Factbook row");
      continue;
    }
    const locator = FACTBOOK_FIELD_LOCATORS[row.task as FactbookTask];
    if (!locator) {
      skip(`no field locator (${row.task})`);
      continue;
    }
    if (!tasks.has(row.task)) {
      skip("question type not selected");
      continue;
    }
    const f = factsOf.get(row.entity);
    const docIndex = docAt.get(`${row.entity}\u0000${locator.section}`);
    if (!f || docIndex === undefined) {
      skip("section not in the corpus");
      continue;
    }
    const text = docs[docIndex].text;
    const value = locator.value(f);
    const labelAt = findLabel(text, locator.label);
    const valueAt = value && labelAt >= 0 ? text.indexOf(value, labelAt + locator.label.length) : -1;
    if (!value || labelAt < 0 || valueAt < 0 || valueAt - (labelAt + locator.label.length) > maxGap) {
      skip("value not found after its label");
      continue;
    }
    const evidenceStart = labelAt;
    const evidenceEnd = valueAt + Math.min(value.length, maxEvidence);
    const relevant = (chunksOf.get(docIndex) ?? []).filter((i) => chunks[i].start <= evidenceStart && chunks[i].end >= evidenceEnd);
    if (relevant.length === 0) {
      skip("evidence cut by a chunk boundary");
      continue;
    }
    questions.push({
      question: questionText(row),
      answer: row.output,
      answerKey: answerKeyOf(value),
      task: row.task as FactbookTask,
      entity: row.entity,
      docIndex,
      evidence: text.slice(evidenceStart, evidenceEnd),
      evidenceStart,
      evidenceEnd,
      relevant,
    });
  }
  if (opts.maxQuestions !== undefined && questions.length > opts.maxQuestions) {
    const keep = new Rng(opts.seed ?? 42).shuffle(questions.map((_, i) => i)).slice(0, opts.maxQuestions).sort((a, b) => a - b);
    return { questions: keep.map((i) => questions[i]), skipped };
  }
  return { questions, skipped };
}
