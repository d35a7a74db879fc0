/**
 * Instruction data (SFT) and preference pairs (DPO) for chapter 12, offline: the book's Alpaca-style
 * instructions and orca DPO pairs cannot be downloaded here, so data/instructions/ holds
 *
 *   python-faq  real questions and answers of the Python FAQ (Python 3.11 docs, reST sources)
 *   factbook    templated questions about CIA World Factbook facts, answers correct by construction
 *   wordnet     definitions, synonyms and antonyms of common words from WordNet 3.1
 *
 * Rows use Alpaca's names ({instruction, input, output}) and preference rows trl's DPO names
 * ({prompt, chosen, rejected}); both carry `source`, `task` and `entity` (the country, word or FAQ
 * question), and the train / test split is by entity. A preference's prompt is exactly the prompt of an
 * instruction row (`instructionPrompt`), its chosen answer that row's output.
 *
 *   parseFaqRst, stripRstInline   the Python FAQ's reST -> question / answer pairs
 *   makeFactbookInstructions      facts -> templated instructions (several phrasings, seeded)
 *   makeWordNetInstructions       WordNet -> define / synonym / antonym instructions
 *   makeFaqInstructions           FAQ pairs -> instructions
 *   splitByEntity                 train / test with no entity (or linked words) in both
 *   makePreferences               instructions of one split -> chosen / rejected pairs
 *   loadInstructions, loadPreferences   the shipped data/instructions/
 */
import * as fs from "fs";
import * as path from "path";
import { Rng } from "../util/random";
import { loadTable, readDataset, splitSentences, type FactbookFacts, type TableRow } from "./datasets";
import { cleanCapital, cleanGov, currencyParts, govClass, languageItems, WordNet, type WordNetPos, type WordNetSynset } from "./nli";

/** The command that regenerates data/instructions/ (quoted in error messages). */
export const PREPARE_INSTRUCTIONS_COMMAND = "npx tsx scripts/data/prepare-instructions.ts";

export const INSTRUCTION_SOURCES = ["python-faq", "factbook", "wordnet"] as const;
export type InstructionSource = (typeof INSTRUCTION_SOURCES)[number];

/** Factbook question types. */
export const FACTBOOK_TASKS = [
  "capital",
  "population",
  "area",
  "currency",
  "languages",
  "region",
  "location",
  "independence",
  "national-holiday",
  "highest-point",
  "government",
  "internet-code",
] as const;
export type FactbookTask = (typeof FACTBOOK_TASKS)[number];

export const WORDNET_TASKS = ["definition", "synonym", "antonym"] as const;
export type WordNetTask = (typeof WORDNET_TASKS)[number];

export type InstructionTask = FactbookTask | WordNetTask | "faq";

/** How a preference's rejected answer was made (see makePreferences). */
export const PREFERENCE_KINDS = ["other-value", "wrong-field", "truncated", "similar-question"] as const;
export type PreferenceKind = (typeof PREFERENCE_KINDS)[number];

/** One instruction example, Alpaca's columns plus where it came from. */
export interface InstructionExample {
  instruction: string;
  /** Extra input for the instruction ("" when none), as Alpaca's `input`. */
  input: string;
  output: string;
  source: InstructionSource;
  task: InstructionTask;
  /** What the example is about: the country, the word, or the FAQ question. The split is by entity. */
  entity: string;
}

/** One preference pair, trl's DPO columns plus where it came from. */
export interface PreferenceExample {
  prompt: string;
  chosen: string;
  rejected: string;
  source: InstructionSource;
  task: InstructionTask;
  kind: PreferenceKind;
  entity: string;
}

export type InstructionSplit = "train" | "test";

/** The prompt of an instruction: the instruction, then a blank line and the input when there is one. */
export function instructionPrompt(example: { instruction: string; input?: string }): string {
  return example.input ? `${example.instruction}\n\n${example.input}` : example.instruction;
}

// ---------------------------------------------------------------------------
// Text helpers
// ---------------------------------------------------------------------------

function pick<T>(rng: Rng, xs: readonly T[]): T {
  return xs[rng.int(xs.length)];
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function poss(name: string): string {
  return /s$/.test(name) ? `${name}'` : `${name}'s`;
}

function listText(items: readonly string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

function thousands(n: number): string {
  return n.toLocaleString("en-US", { maximumFractionDigits: 2 });
}

function withArticle(phrase: string): string {
  return (/^[aeiou]/i.test(phrase) && !/^(uni|eu|one|us[aeiou])/i.test(phrase) ? "an " : "a ") + phrase;
}

/** Lower-case words of 3+ letters without common function words (for word-overlap similarity). */
function contentWords(text: string): Set<string> {
  const out = new Set<string>();
  for (const w of text.toLowerCase().match(/[a-z][a-z0-9_]{2,}/g) ?? []) if (!STOP_WORDS.has(w)) out.add(w);
  return out;
}

const STOP_WORDS = new Set(
  ("the and for are but not you all any can had her was one our out has him his how its may new now old see two way who " +
    "did does get got let put say she too use with that this from they will would there their what when where which why " +
    "your have been into than then them these those some such only also just more most other over very can't don't " +
    "about should could there's it's i'm").split(" "),
);

function jaccard(a: Set<string>, b: Set<string>): number {
  if (a.size === 0 && b.size === 0) return 0;
  let inter = 0;
  for (const x of a) if (b.has(x)) inter++;
  return inter / (a.size + b.size - inter);
}

// ---------------------------------------------------------------------------
// Python FAQ: reST -> question / answer
// ---------------------------------------------------------------------------

/** A question and its answer parsed from a FAQ page. */
export interface FaqPair {
  question: string;
  answer: string;
}

export interface ParseFaqOptions {
  /** Keep at most this many paragraphs of the answer (default 3). */
  maxParagraphs?: number;
  /** Keep the answer under about this many characters, cut at a sentence end (default 600). */
  maxChars?: number;
}

const SPHINX_ROLE = /:(?:[a-z]+:)?[a-z]+:`((?:[^`\\]|\\.)+)`/g;

/**
 * Strips reST / Sphinx inline markup from one line of text: `:ref:\`text <target>\`` -> text, `:func:\`x\``
 * -> x (`~a.b` -> b, as Sphinx shows it), `:pep:\`8\`` -> PEP 8, ``` ``code`` ``` -> code, `` `text <url>`_ `` ->
 * text, `*emphasis*` and `**strong**` -> the words, backslash escapes resolved, footnote references removed.
 */
export function stripRstInline(text: string): string {
  const literals: string[] = [];
  // Literals first, so that their insides (``*args``) are not read as markup.
  let s = text.replace(/``(.+?)``/g, (_, code: string) => {
    literals.push(code);
    return `\u0000${literals.length - 1}\u0000`;
  });
  s = s.replace(SPHINX_ROLE, (whole: string, inner: string) => {
    const role = whole.slice(1, whole.indexOf("`") - 1);
    let t = inner.replace(/\\(.)/g, "$1");
    const m = /^([\s\S]*?)\s*<([^<>]+)>$/.exec(t);
    if (m && m[1] !== "") t = m[1];
    else if (m) t = m[2];
    if (/^[~!]/.test(t)) t = t.startsWith("~") ? t.slice(1).split(".").pop()! : t.slice(1);
    if (role === "pep") return `PEP ${t}`;
    if (role === "rfc") return `RFC ${t}`;
    return t;
  });
  // Hyperlinks: `text <url>`_ / `text <url>`__ / `text`_ ; interpreted text `x` (default role).
  s = s.replace(/`([^`<]*?)\s*<([^<>`]+)>`__?/g, (_, label: string, url: string) => (label !== "" ? label : url));
  s = s.replace(/`([^`]+)`__?/g, "$1");
  s = s.replace(/`([^`]+)`/g, "$1");
  s = s.replace(/\s*\[(?:#|\*|\d+|#[a-z0-9-]+)\]_/g, "");
  s = s.replace(/\*\*([^*\s](?:[^*]*[^*\s])?)\*\*/g, "$1");
  s = s.replace(/(^|[\s("'])\*([^*\s](?:[^*]*[^*\s])?)\*(?=[\s)"'.,;:!?]|$)/g, "$1$2");
  s = s.replace(/\\ /g, "").replace(/\\(.)/g, "$1");
  return s.replace(/\u0000(\d+)\u0000/g, (_, i: string) => literals[Number(i)]);
}

const UNDERLINE = /^([=\-~^"'`#*+:.])\1{2,}\s*$/;

/** Directives whose content is code, kept as indented text. */
const CODE_DIRECTIVES = new Set(["code-block", "code", "sourcecode", "doctest", "testcode", "testoutput", "literalinclude"]);
/** Directives dropped with their content. */
const DROPPED_DIRECTIVES = new Set(["only", "index", "highlight", "toctree", "testsetup", "testcleanup", "contents", "tabularcolumns", "raw", "image", "figure", "sectionauthor", "moduleauthor"]);
/** Admonitions kept as text, with a label. */
const LABELLED_DIRECTIVES: Record<string, string> = { seealso: "See also: ", note: "Note: ", warning: "Warning: ", tip: "Tip: ", important: "Important: ", caution: "Caution: " };

interface Block {
  code: boolean;
  text: string;
}

function indentOf(line: string): number {
  return line.length - line.trimStart().length;
}

/** The lines from `start` that are blank or indented more than `base`, up to the first that is not. */
function indentedBlock(lines: readonly string[], start: number, base: number): { lines: string[]; end: number } {
  let end = start;
  while (end < lines.length && (lines[end].trim() === "" || indentOf(lines[end]) > base)) end++;
  while (end > start && lines[end - 1].trim() === "") end--;
  const body = lines.slice(start, end);
  const min = Math.min(...body.filter((l) => l.trim() !== "").map(indentOf));
  return { lines: body.map((l) => (l.trim() === "" ? "" : l.slice(Number.isFinite(min) ? min : 0))), end };
}

function codeBlock(lines: readonly string[]): Block {
  return { code: true, text: lines.map((l) => (l === "" ? "" : `    ${l.replace(/\s+$/, "")}`)).join("\n").replace(/^\n+|\n+$/g, "") };
}

const LIST_ITEM = /^(?:[*+-]|#\.|\d+\.|\(\d+\)|[a-z]\.)\s+/;

/** A text paragraph: list items on lines of their own, other lines joined, whitespace collapsed. */
function textParagraph(lines: readonly string[]): string {
  const items: string[] = [];
  for (const line of lines) {
    const t = line.trim();
    if (LIST_ITEM.test(t) || items.length === 0) items.push(t);
    else items[items.length - 1] += " " + t;
  }
  return items.map((i) => stripRstInline(i).replace(/\s+/g, " ").trim()).filter((i) => i !== "").join("\n");
}

/** reST body lines -> paragraphs of text and code blocks. */
function rstBlocks(lines: readonly string[]): Block[] {
  const out: Block[] = [];
  let i = 0;
  let literalNext = false;
  while (i < lines.length) {
    const line = lines[i];
    if (line.trim() === "") {
      i++;
      continue;
    }
    const base = indentOf(line);
    const directive = /^\s*\.\.\s+([a-zA-Z][\w:-]*)::\s*(.*)$/.exec(line);
    if (directive) {
      const name = directive[1].toLowerCase();
      const block = indentedBlock(lines, i + 1, base);
      // Directive options (":linenos:") come first in the content.
      let content = block.lines;
      while (content.length && /^:[\w-]+:/.test(content[0])) content = content.slice(1);
      i = block.end;
      literalNext = false;
      if (CODE_DIRECTIVES.has(name)) {
        if (content.some((l) => l !== "")) out.push(codeBlock(content));
      } else if (!DROPPED_DIRECTIVES.has(name)) {
        const inner = rstBlocks([directive[2], ...content]);
        const label = LABELLED_DIRECTIVES[name];
        if (label && inner.length && !inner[0].code) inner[0] = { code: false, text: label + inner[0].text };
        out.push(...inner);
      }
      continue;
    }
    if (/^\s*\.\.(\s|$)/.test(line)) {
      // A comment or a target (".. _label:"): skipped with its indented continuation.
      i = indentedBlock(lines, i + 1, base).end;
      continue;
    }
    if (literalNext && out.length && base > 0) {
      const block = indentedBlock(lines, i, base - 1);
      out.push(codeBlock(block.lines));
      i = block.end;
      literalNext = false;
      continue;
    }
    literalNext = false;
    // A paragraph: lines up to a blank line (or a change to a deeper indent after a "::" line).
    const para: string[] = [];
    while (i < lines.length && lines[i].trim() !== "" && !(para.length && /^\s*\.\.\s/.test(lines[i]))) {
      para.push(lines[i]);
      i++;
    }
    if (para[0].trimStart().startsWith(">>>")) {
      out.push(codeBlock(indentedBlock(para, 0, -1).lines));
      continue;
    }
    let last = para[para.length - 1].trimEnd();
    if (last.endsWith("::")) {
      literalNext = true;
      last = /\s::$/.test(last) || last === "::" ? last.replace(/\s*::$/, "") : last.slice(0, -1);
      para[para.length - 1] = last;
    }
    const text = textParagraph(para);
    if (text !== "") out.push({ code: false, text });
  }
  return out;
}

/** Cuts a paragraph to whole sentences within `maxChars` (undefined when even the first is too long). */
function cutAtSentence(text: string, maxChars: number): string | undefined {
  let out = "";
  for (const s of splitSentences(text)) {
    const next = out ? `${out} ${s}` : s;
    if (next.length > maxChars) break;
    out = next;
  }
  return out === "" ? undefined : out;
}

/** The first 1-3 paragraphs of an answer, within about `maxChars` characters. */
function shortAnswer(blocks: readonly Block[], maxParagraphs: number, maxChars: number): string {
  const kept: string[] = [];
  let used = 0;
  for (const b of blocks) {
    if (kept.length >= maxParagraphs) break;
    const room = maxChars - used - (kept.length ? 2 : 0);
    if (b.text.length <= room) {
      kept.push(b.text);
      used += b.text.length + (kept.length > 1 ? 2 : 0);
      continue;
    }
    // Too long: keep the sentences (or code lines) that fit, then stop.
    let part: string | undefined;
    if (b.code) {
      const ls = b.text.split("\n");
      let n = 0;
      let len = 0;
      while (n < ls.length && len + ls[n].length + 1 <= room) len += ls[n++].length + 1;
      if (n >= 2) part = ls.slice(0, n).join("\n");
    } else part = cutAtSentence(b.text, room);
    if (part === undefined && kept.length === 0 && !b.code) {
      // A first sentence longer than the budget: cut at a word and mark the cut.
      part = b.text.slice(0, maxChars).replace(/\s+\S*$/, "") + " ...";
    }
    if (part !== undefined) kept.push(part);
    break;
  }
  // An answer does not end by announcing something it left out ("... as follows:").
  while (kept.length > 1 && /:$/.test(kept[kept.length - 1])) kept.pop();
  return kept.join("\n\n");
}

/**
 * Questions and answers of a Python FAQ page (reST, as in the docs' `_sources/faq/*.rst.txt`): every section
 * title (underlined with `---`, `===`, ...) that ends in "?" is a question; its answer is the section body
 * up to the next title, with inline markup stripped (see stripRstInline), directives such as `.. seealso::`
 * kept as text, code blocks kept as indented text, whitespace in paragraphs collapsed, and cut to the
 * first `maxParagraphs` (3) paragraphs within about `maxChars` (600) characters at a sentence end.
 * Sections without body text are skipped.
 */
export function parseFaqRst(text: string, options: ParseFaqOptions = {}): FaqPair[] {
  if (typeof text !== "string") throw new Error("parseFaqRst: text must be a string of reST");
  const maxParagraphs = options.maxParagraphs ?? 3;
  const maxChars = options.maxChars ?? 600;
  if (!Number.isInteger(maxParagraphs) || maxParagraphs < 1) throw new Error(`parseFaqRst: maxParagraphs must be a whole number >= 1, got ${maxParagraphs}`);
  if (!(maxChars >= 50)) throw new Error(`parseFaqRst: maxChars must be at least 50, got ${maxChars}`);
  const lines = text.replace(/\r\n?/g, "\n").replace(/\t/g, "        ").split("\n");
  // Titles: a non-indented text line over an underline at least as long (an overline, if any, is skipped).
  const titles: Array<{ line: number; start: number; bodyStart: number; title: string }> = [];
  for (let i = 0; i + 1 < lines.length; i++) {
    const t = lines[i];
    if (t.trim() === "" || /^\s/.test(t) || UNDERLINE.test(t)) continue;
    const u = lines[i + 1];
    if (!UNDERLINE.test(u) || u.trim().length < t.trim().length) continue;
    const over = i > 0 && UNDERLINE.test(lines[i - 1]) && lines[i - 1].trim()[0] === u.trim()[0];
    titles.push({ line: i, start: over ? i - 1 : i, bodyStart: i + 2, title: t.trim() });
  }
  const out: FaqPair[] = [];
  titles.forEach((t, k) => {
    const question = stripRstInline(t.title).replace(/\s+/g, " ").trim();
    if (!question.endsWith("?")) return;
    const end = k + 1 < titles.length ? titles[k + 1].start : lines.length;
    const answer = shortAnswer(rstBlocks(lines.slice(t.bodyStart, end)), maxParagraphs, maxChars);
    if (answer.trim() !== "") out.push({ question, answer });
  });
  return out;
}

/** Instructions from FAQ pairs: the question is the instruction, the answer the output (duplicates and answers that only point to another question dropped). */
export function makeFaqInstructions(pairs: readonly FaqPair[]): InstructionExample[] {
  const seen = new Set<string>();
  const out: InstructionExample[] = [];
  for (const p of pairs) {
    const key = p.question.toLowerCase();
    // An answer that only points elsewhere ("See the next question.") means nothing on its own.
    if (seen.has(key) || /^see the (next|previous) question/i.test(p.answer)) continue;
    seen.add(key);
    out.push({ instruction: p.question, input: "", output: p.answer, source: "python-faq", task: "faq", entity: p.question });
  }
  return out;
}

// ---------------------------------------------------------------------------
// Factbook templates
// ---------------------------------------------------------------------------

/**
 * One question type: the value it asks for (undefined when the country has none that reads well), the
 * answer sentence, the phrasings, an Alpaca-style instruction taking the country as input, whether another
 * country's value is wrong for this one, and a group: a question is never "answered" by a field of its own
 * group (where is X? -> region or location).
 */
export interface FactTask<V> {
  task: FactbookTask;
  group: string;
  value(f: FactbookFacts): V | undefined;
  answer(country: string, v: V): string;
  questions(country: string): string[];
  withInput: string;
  wrongFor(trueValue: V, other: V): boolean;
}

function relDiff(a: number, b: number): number {
  return Math.abs(b - a) / Math.abs(a);
}

const REGION_PHRASES: Record<string, string> = { "Middle East": "the Middle East", "Australia-Oceania": "Australia and Oceania" };

function parseIndependence(f: FactbookFacts): { date: string; year: number; from?: string } | undefined {
  const m = /^(\d{1,2} [A-Z][a-z]+ (\d{4}))(?: \(from ([^()]+)\))?$/.exec((f.independence ?? "").trim());
  return m ? { date: m[1], year: Number(m[2]), from: m[3] } : undefined;
}

function parseHoliday(f: FactbookFacts): { name: string; date: string } | undefined {
  const m = /^([A-Z][A-Za-z' ]+ Day), (\d{1,2} [A-Z][a-z]+)(?: \(\d{4}\))?$/.exec((f.nationalHoliday ?? "").trim());
  return m ? { name: m[1], date: m[2] } : undefined;
}

function parseHighestPoint(f: FactbookFacts): { name: string; metres: number } | undefined {
  const m = /^([A-Z][^,;()0-9]*?) (\d{1,3}(?:,\d{3})*) m$/.exec((f.highestPoint ?? "").trim());
  return m ? { name: m[1], metres: Number(m[2].replace(/,/g, "")) } : undefined;
}

function task<V>(t: FactTask<V>): FactTask<unknown> {
  return t as unknown as FactTask<unknown>;
}

/** The Factbook question types with their templates (exported for tests and the README). */
export const FACTBOOK_TEMPLATES: ReadonlyArray<FactTask<unknown>> = [
  task<string>({
    task: "capital",
    group: "capital",
    value: cleanCapital,
    answer: (C, v) => `The capital of ${C} is ${v}.`,
    questions: (C) => [`What is the capital of ${C}?`, `Which city is the capital of ${C}?`, `Name the capital city of ${C}.`, `What is ${poss(C)} capital?`],
    withInput: "Name the capital of the country below.",
    wrongFor: (a, b) => a !== b,
  }),
  task<number>({
    task: "population",
    group: "population",
    value: (f) => (f.population !== undefined && f.population > 0 ? f.population : undefined),
    answer: (C, v) => `The population of ${C} is ${thousands(v)} (2015 estimate).`,
    questions: (C) => [`What is the population of ${C}?`, `How many people live in ${C}?`, `How many inhabitants does ${C} have?`],
    withInput: "Give the population of the country below.",
    wrongFor: (a, b) => relDiff(a, b) > 0.3,
  }),
  task<number>({
    task: "area",
    group: "area",
    value: (f) => (f.area !== undefined && f.area > 0 ? f.area : undefined),
    answer: (C, v) => `${C} has a total area of ${thousands(v)} square kilometres.`,
    questions: (C) => [`What is the total area of ${C}?`, `How many square kilometres does ${C} cover?`, `What is the area of ${C} in square kilometres?`],
    withInput: "State the total area of the country below.",
    wrongFor: (a, b) => relDiff(a, b) > 0.3,
  }),
  task<{ name: string; code: string }>({
    task: "currency",
    group: "currency",
    value: currencyParts,
    answer: (C, v) => `${C} uses ${v.name} (${v.code}) as its currency.`,
    questions: (C) => [`What currency is used in ${C}?`, `What is the currency of ${C}?`, `Which currency do people in ${C} pay with?`],
    withInput: "Name the currency of the country below.",
    wrongFor: (a, b) => a.code !== b.code && a.name !== b.name,
  }),
  task<string[]>({
    task: "languages",
    group: "languages",
    value: (f) => {
      const items = languageItems(f).slice(0, 4);
      return items.length ? items : undefined;
    },
    answer: (C, v) => `Languages spoken in ${C} include ${listText(v)}.`,
    questions: (C) => [`What languages are spoken in ${C}?`, `Which languages do people speak in ${C}?`, `What language is spoken in ${C}?`],
    withInput: "List languages spoken in the country below.",
    // Wrong only if no language is shared (Spanish is spoken in Peru and in Chile).
    wrongFor: (a, b) => !b.some((x) => a.includes(x)),
  }),
  task<string>({
    task: "region",
    group: "where",
    value: (f) => f.region,
    answer: (C, v) => `${C} is in ${REGION_PHRASES[v] ?? v}.`,
    questions: (C) => [`In which region of the world is ${C}?`, `Which part of the world is ${C} in?`, `On which continent or region is ${C}?`],
    withInput: "Name the world region of the country below.",
    wrongFor: (a, b) => a !== b,
  }),
  task<string>({
    task: "location",
    group: "where",
    value: (f) => {
      const loc = (f.location ?? "").trim().replace(/[.;]+$/, "");
      return /^[A-Z]/.test(loc) && loc.length <= 200 ? loc : undefined;
    },
    answer: (C, v) => `${C} is located in ${v}.`,
    questions: (C) => [`Where is ${C} located?`, `Where is ${C}?`, `Describe the location of ${C}.`],
    withInput: "Describe where the country below is located.",
    wrongFor: (a, b) => a !== b && a.split(",")[0] !== b.split(",")[0],
  }),
  task<{ date: string; year: number; from?: string }>({
    task: "independence",
    group: "history",
    value: parseIndependence,
    answer: (C, v) => (v.from ? `${C} became independent from ${v.from} on ${v.date}.` : `${C} became independent on ${v.date}.`),
    questions: (C) => [`When did ${C} become independent?`, `On what date did ${C} gain independence?`, `When did ${C} achieve independence?`],
    withInput: "When did the country below become independent?",
    wrongFor: (a, b) => a.year !== b.year,
  }),
  task<{ name: string; date: string }>({
    task: "national-holiday",
    group: "history",
    value: parseHoliday,
    answer: (C, v) => `The national holiday of ${C} is ${v.name}, celebrated on ${v.date}.`,
    questions: (C) => [`What is the national holiday of ${C}?`, `When does ${C} celebrate its national holiday?`, `Which national holiday does ${C} celebrate?`],
    withInput: "Name the national holiday of the country below and its date.",
    wrongFor: (a, b) => a.date !== b.date,
  }),
  task<{ name: string; metres: number }>({
    task: "highest-point",
    group: "highest-point",
    value: parseHighestPoint,
    answer: (C, v) => `The highest point in ${C} is ${v.name}, at ${thousands(v.metres)} m.`,
    questions: (C) => [`What is the highest point in ${C}?`, `Which is the highest point of ${C}?`, `What is the highest elevation in ${C}?`],
    withInput: "Name the highest point of the country below.",
    wrongFor: (a, b) => a.name !== b.name && a.metres !== b.metres,
  }),
  task<string>({
    task: "government",
    group: "government",
    value: cleanGov,
    answer: (C, v) => `${C} is ${withArticle(v)}.`,
    questions: (C) => [`What type of government does ${C} have?`, `What kind of state is ${C}?`, `How is ${C} governed?`],
    withInput: "What type of government does the country below have?",
    // "a republic" is not wrong for a "parliamentary republic": only a monarchy for a republic is.
    wrongFor: (a, b) => govClass(a) !== govClass(b),
  }),
  task<string>({
    task: "internet-code",
    group: "internet-code",
    value: (f) => (f.internetCode && /^\.[a-z]{2}$/.test(f.internetCode) ? f.internetCode : undefined),
    answer: (C, v) => `The internet country code of ${C} is ${v}.`,
    questions: (C) => [`What is the internet country code of ${C}?`, `Which top-level domain do websites in ${C} use?`, `What is ${poss(C)} internet domain?`],
    withInput: "Give the internet country code of the country below.",
    wrongFor: (a, b) => a !== b,
  }),
];

/**
 * The name a question uses for a Factbook profile: its \`country\` without a long parenthetical remark
 * ("Svalbard (sometimes referred to as Spitsbergen, ...)" -> "Svalbard"); short ones that tell two
 * profiles apart stay ("Congo (Brazzaville)").
 */
export function factbookCountryName(country: string): string {
  return country.replace(/\s*\(([^()]*)\)/g, (whole, inner: string) => (inner.split(/\s+/).length > 3 ? "" : whole)).trim();
}

/** Profiles that are not countries in the questions' sense (oceans, Antarctic territories). */
const NOT_COUNTRIES = new Set(["Oceans", "Antarctica"]);

export interface MakeInstructionsOptions {
  /** Seed of the phrasing choices. */
  seed: number;
  /** Share of the rows asked Alpaca-style, with the entity as `input` (default 0.25). */
  inputShare?: number;
}

function checkOptions(name: string, options: MakeInstructionsOptions): { rng: Rng; inputShare: number } {
  if (!options || !Number.isInteger(options.seed)) throw new Error(`${name}: options.seed must be an integer`);
  const inputShare = options.inputShare ?? 0.25;
  if (!(inputShare >= 0 && inputShare <= 1)) throw new Error(`${name}: inputShare must be in [0, 1], got ${inputShare}`);
  return { rng: new Rng(options.seed), inputShare };
}

/**
 * Templated questions about each country's facts, one per question type the country has a clean value
 * for, with the answer stated from that value (so correct by construction). A share `inputShare` of the
 * rows puts the country in `input` ("Name the capital of the country below." / "Peru").
 */
export function makeFactbookInstructions(facts: readonly FactbookFacts[], options: MakeInstructionsOptions): InstructionExample[] {
  if (!Array.isArray(facts)) throw new Error("makeFactbookInstructions: facts must be an array of FactbookFacts");
  const { rng, inputShare } = checkOptions("makeFactbookInstructions", options);
  const out: InstructionExample[] = [];
  for (const f of facts) {
    if (NOT_COUNTRIES.has(f.region)) continue;
    const C = factbookCountryName(f.country);
    for (const t of FACTBOOK_TEMPLATES) {
      const v = t.value(f);
      if (v === undefined) continue;
      const useInput = rng.random() < inputShare;
      const instruction = useInput ? t.withInput : pick(rng, t.questions(C));
      out.push({ instruction, input: useInput ? C : "", output: t.answer(C, v), source: "factbook", task: t.task, entity: C });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// WordNet: definitions, synonyms, antonyms
// ---------------------------------------------------------------------------

export interface MakeWordNetOptions extends MakeInstructionsOptions {
  /** How many words to define (default 900): the most frequent with a dominant first sense. */
  words?: number;
  /** The first sense must have at least this share of the word's tagged uses in all parts of speech (default 0.6). */
  dominance?: number;
  /** ... and at least this many tagged uses in SemCor (default 5). */
  minCount?: number;
}

/** A common word with a dominant sense, chosen from WordNet's sense-tagged counts (index.sense). */
export interface CommonWord {
  word: string;
  pos: "n" | "v" | "a";
  /** Tagged uses of the first sense in WordNet's sense-tagged corpora. */
  count: number;
  synset: WordNetSynset;
}

const SS_TYPE_POS: Record<string, "n" | "v" | "a" | "r"> = { "1": "n", "2": "v", "3": "a", "4": "r", "5": "a" };

/**
 * Frequent single words whose first sense dominates: from index.sense's tag counts (SemCor), the word's
 * first sense in one part of speech has at least `dominance` of the word's tagged uses over all parts of
 * speech and senses, and `minCount` uses. Sorted by that count, most frequent first.
 */
export function commonWords(wn: WordNet, options: { dominance?: number; minCount?: number } = {}): CommonWord[] {
  const dominance = options.dominance ?? 0.6;
  const minCount = options.minCount ?? 5;
  const file = path.join(wn.dir, "index.sense");
  if (!fs.existsSync(file)) throw new Error(`commonWords: ${file} not found (WordNet's index.sense is needed for sense frequencies)`);
  const total = new Map<string, number>();
  const first = new Map<string, { pos: "n" | "v" | "a" | "r"; count: number }>();
  for (const line of fs.readFileSync(file, "latin1").split("\n")) {
    if (line === "") continue;
    // lemma%ss_type:lex_filenum:lex_id:head_word:head_id synset_offset sense_number tag_cnt
    const f = line.split(" ");
    const pct = f[0].indexOf("%");
    const lemma = f[0].slice(0, pct);
    const pos = SS_TYPE_POS[f[0].charAt(pct + 1)];
    const count = Number(f[3]);
    if (!pos || !Number.isFinite(count)) continue;
    total.set(lemma, (total.get(lemma) ?? 0) + count);
    if (f[2] === "1" && pos !== "r") {
      const prev = first.get(lemma);
      if (!prev || count > prev.count) first.set(lemma, { pos, count });
    }
  }
  const out: CommonWord[] = [];
  for (const [word, s] of first) {
    if (!/^[a-z]{3,}$/.test(word) || s.pos === "r") continue;
    if (s.count < minCount || s.count < dominance * (total.get(word) ?? 0)) continue;
    const synset = wn.synsets(word, s.pos)[0];
    if (!synset || !synset.words.includes(word)) continue;
    out.push({ word, pos: s.pos, count: s.count, synset });
  }
  return out.sort((a, b) => b.count - a.count || (a.word < b.word ? -1 : 1));
}

/** A WordNet gloss without its quoted examples and leading usage notes ("(usually followed by `to')"). */
export function cleanGloss(gloss: string): string {
  let g = gloss.split(/;\s*"/)[0];
  g = g.replace(/^\([^()]*\)\s*/, "").replace(/[;:,\s]+$/, "").replace(/\s+/g, " ").trim();
  return g;
}

function definitionAnswer(word: string, pos: string, gloss: string): string {
  return pos === "v" ? `To ${word} means to ${gloss}.` : `${capitalise(word)} means ${gloss}.`;
}

const POS_NAMES: Record<string, string> = { n: "noun", v: "verb", a: "adjective" };

/** Single words of a synset other than `word` (synonyms in that sense). */
function synonymsIn(s: WordNetSynset, word: string): string[] {
  return s.words.filter((w) => w !== word && /^[a-z]+$/.test(w) && !w.includes(word) && !word.includes(w));
}

/** Direct antonyms ("!" pointers) of `word` in synset `s`. */
function antonymsIn(wn: WordNet, s: WordNetSynset, word: string): string[] {
  const no = s.words.indexOf(word) + 1;
  const out: string[] = [];
  for (const p of s.pointers) {
    if (p.symbol !== "!" || (p.source !== 0 && p.source !== no)) continue;
    const t = wn.synset(p.offset, p.pos);
    for (const w of p.target > 0 ? [t.words[p.target - 1]] : t.words) if (/^[a-z]+$/.test(w) && !out.includes(w)) out.push(w);
  }
  return out;
}

/**
 * Definitions ("Define X." -> "X means <gloss>."), synonyms ("Give a synonym of X." -> "A synonym of X is
 * Y.") and antonyms ("What is the opposite of X?" -> "The opposite of X is Y.") of the `words` most
 * frequent words with a dominant first sense (see commonWords), all from that first sense.
 */
export function makeWordNetInstructions(wn: WordNet, options: MakeWordNetOptions): InstructionExample[] {
  const { rng, inputShare } = checkOptions("makeWordNetInstructions", options);
  const n = options.words ?? 900;
  if (!Number.isInteger(n) || n < 1) throw new Error(`makeWordNetInstructions: words must be a whole number >= 1, got ${n}`);
  const out: InstructionExample[] = [];
  const row = (instruction: string, input: string, output: string, t: WordNetTask, word: string): InstructionExample => ({
    instruction,
    input,
    output,
    source: "wordnet",
    task: t,
    entity: word,
  });
  for (const c of commonWords(wn, options).slice(0, n)) {
    const w = c.word;
    const gloss = cleanGloss(c.synset.gloss);
    const posName = POS_NAMES[c.pos];
    if (gloss.length >= 8 && gloss.length <= 220) {
      const input = rng.random() < inputShare;
      out.push(
        row(
          input ? "Define the word below." : pick(rng, [`Define ${w}.`, `What does ${w} mean?`, `What is the meaning of the ${posName} "${w}"?`, `Give a definition of the ${posName} "${w}".`]),
          input ? w : "",
          definitionAnswer(w, c.pos, gloss),
          "definition",
          w,
        ),
      );
    }
    const syn = synonymsIn(c.synset, w);
    if (syn.length) {
      const input = rng.random() < inputShare;
      out.push(
        row(
          input ? "Give a synonym of the word below." : pick(rng, [`Give a synonym of ${w}.`, `What is another word for ${w}?`, `Name a word that means the same as ${w}.`]),
          input ? w : "",
          `A synonym of ${w} is ${syn[0]}.`,
          "synonym",
          w,
        ),
      );
    }
    const ant = antonymsIn(wn, c.synset, w);
    if (ant.length) {
      const input = rng.random() < inputShare;
      out.push(
        row(
          input ? "Give the opposite of the word below." : pick(rng, [`What is the opposite of ${w}?`, `Give an antonym of ${w}.`, `Name a word that means the opposite of ${w}.`]),
          input ? w : "",
          `The opposite of ${w} is ${ant[0]}.`,
          "antonym",
          w,
        ),
      );
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// Split by entity
// ---------------------------------------------------------------------------

/**
 * Splits rows into train and test by entity, per source: no entity is in both parts. Entities are grouped
 * first: WordNet words linked by a synonym / antonym answer ("big" -> "large", both defined) or sharing a
 * definition (one synset) stay in one part, so a test word is never the answer of a training row. Groups are shuffled with `seed`, and test
 * takes groups until it holds `testSize` of the source's rows. Rows keep their order.
 */
export function splitByEntity<T extends InstructionExample>(rows: readonly T[], options: { seed?: number; testSize?: number } = {}): { train: T[]; test: T[] } {
  const testSize = options.testSize ?? 0.1;
  if (!(testSize > 0 && testSize < 1)) throw new Error(`splitByEntity: testSize must be a fraction in (0, 1), got ${testSize}`);
  const rng = new Rng(options.seed ?? 42);
  // Union-find over entity keys ("source\u0000entity").
  const parent = new Map<string, string>();
  const find = (k: string): string => {
    let r = k;
    while (parent.get(r) !== r) r = parent.get(r)!;
    parent.set(k, r);
    return r;
  };
  const key = (r: InstructionExample) => `${r.source}\u0000${r.entity}`;
  for (const r of rows) {
    if (typeof r.entity !== "string" || r.entity === "") throw new Error("splitByEntity: every row needs an 'entity'");
    if (!parent.has(key(r))) parent.set(key(r), key(r));
  }
  for (const r of rows) {
    if (r.source !== "wordnet" || (r.task !== "synonym" && r.task !== "antonym")) continue;
    const m = /is ([a-z]+)\.$/.exec(r.output);
    const other = m ? `wordnet\u0000${m[1]}` : undefined;
    if (other && parent.has(other)) {
      const a = find(key(r));
      const b = find(other);
      if (a !== b) parent.set(a, b);
    }
  }
  // Words of one synset share a definition ("build", "construct"): they stay together too.
  const byGloss = new Map<string, string>();
  for (const r of rows) {
    if (r.source !== "wordnet" || r.task !== "definition") continue;
    const gloss = r.output.replace(/^(To \S+ means to|\S+ means) /, "");
    const other = byGloss.get(gloss);
    if (other === undefined) byGloss.set(gloss, key(r));
    else {
      const a = find(key(r));
      const b = find(other);
      if (a !== b) parent.set(a, b);
    }
  }
  const test = new Set<string>();
  for (const source of INSTRUCTION_SOURCES) {
    const sized = new Map<string, number>();
    let n = 0;
    for (const r of rows) {
      if (r.source !== source) continue;
      const g = find(key(r));
      sized.set(g, (sized.get(g) ?? 0) + 1);
      n++;
    }
    const groups = rng.shuffle([...sized.keys()].sort());
    let taken = 0;
    for (let i = 0; i < groups.length - 1 && taken < testSize * n; i++) {
      test.add(groups[i]);
      taken += sized.get(groups[i])!;
    }
  }
  const out = { train: [] as T[], test: [] as T[] };
  for (const r of rows) out[test.has(find(key(r))) ? "test" : "train"].push(r);
  return out;
}

// ---------------------------------------------------------------------------
// Preferences
// ---------------------------------------------------------------------------

export interface MakePreferencesOptions {
  seed: number;
  /** Country facts, for the factbook rows' other-country values (needed when rows have factbook tasks). */
  facts?: readonly FactbookFacts[];
  /** WordNet, to check that a rejected definition / synonym / antonym is not right for another sense too. */
  wordnet?: WordNet;
}

/** A prefix of about half the answer's words, cut mid-sentence (no final punctuation). */
export function truncateAnswer(answer: string): string | undefined {
  const words = answer.split(/\s+/).filter((w) => w !== "");
  if (words.length < 4) return undefined;
  const keep = Math.max(2, Math.min(words.length - 2, Math.floor(words.length / 2)));
  return words.slice(0, keep).join(" ").replace(/[.,;:!?]+$/, "");
}

interface Candidate {
  kind: PreferenceKind;
  rejected: string;
}

/**
 * Preference pairs from the instruction rows of one split (draw rejected answers from the same split, so a
 * split's pairs mention only its own entities' values). For each row, chosen = its output, and rejected =
 *
 *   other-value       factbook / wordnet: the same answer template with another entity's value that is
 *                     wrong for this one ("The capital of Peru is Quito.", a different word's gloss)
 *   wrong-field       factbook / wordnet: the answer to another question about the same entity ("What is
 *                     the capital of Peru?" -> "The population of Peru is ...")
 *   truncated         factbook / wordnet: the answer cut off mid-sentence
 *   similar-question  python-faq: the answer of the FAQ question most similar by word overlap (question
 *                     and answer words), plausible but not an answer to this one
 *
 * The factbook and wordnet kinds are balanced per source: each row takes the least used kind it can make.
 */
export function makePreferences(rows: readonly InstructionExample[], options: MakePreferencesOptions): PreferenceExample[] {
  if (!options || !Number.isInteger(options.seed)) throw new Error("makePreferences: options.seed must be an integer");
  const rng = new Rng(options.seed);
  const facts = new Map<string, FactbookFacts>();
  for (const f of options.facts ?? []) facts.set(factbookCountryName(f.country), f);
  const templates = new Map(FACTBOOK_TEMPLATES.map((t) => [t.task, t]));
  const byEntity = new Map<string, InstructionExample[]>();
  for (const r of rows) {
    const k = `${r.source}\u0000${r.entity}`;
    const list = byEntity.get(k);
    if (list) list.push(r);
    else byEntity.set(k, [r]);
  }
  const byTask = new Map<string, InstructionExample[]>();
  for (const r of rows) {
    const list = byTask.get(`${r.source}\u0000${r.task}`);
    if (list) list.push(r);
    else byTask.set(`${r.source}\u0000${r.task}`, [r]);
  }
  const wn = options.wordnet;
  const wordSenses = new Map<string, WordNetSynset[]>();
  const senses = (word: string, pos: WordNetPos): WordNetSynset[] => {
    const k = `${pos}${word}`;
    if (!wordSenses.has(k)) wordSenses.set(k, wn ? wn.synsets(word, pos) : []);
    return wordSenses.get(k)!;
  };
  const allSenses = (word: string) => (["n", "v", "a"] as WordNetPos[]).flatMap((p) => senses(word, p));

  const otherValue = (r: InstructionExample): string | undefined => {
    const pool = (byTask.get(`${r.source}\u0000${r.task}`) ?? []).filter((o) => o.entity !== r.entity);
    if (pool.length === 0) return undefined;
    const order = rng.shuffle(pool.map((_, i) => i));
    if (r.source === "factbook") {
      const t = templates.get(r.task as FactbookTask);
      const f = facts.get(r.entity);
      if (!t || !f) throw new Error(`makePreferences: no facts for '${r.entity}' (pass options.facts)`);
      const mine = t.value(f);
      for (const i of order) {
        const g = facts.get(pool[i].entity);
        const theirs = g ? t.value(g) : undefined;
        if (mine === undefined || theirs === undefined || !t.wrongFor(mine, theirs)) continue;
        const text = t.answer(r.entity, theirs);
        if (text !== r.output) return text;
      }
      return undefined;
    }
    // wordnet: the other word's value put in this word's answer template.
    const w = r.entity;
    for (const i of order) {
      const o = pool[i];
      if (r.task === "definition") {
        const m = /^(?:To \S+ means to|\S+ means) (.*)\.$/.exec(o.output);
        if (!m) continue;
        const gloss = m[1];
        const isVerb = r.output.startsWith("To ");
        if (isVerb !== o.output.startsWith("To ")) continue;
        if (allSenses(w).some((s) => cleanGloss(s.gloss) === gloss)) continue;
        return isVerb ? `To ${w} means to ${gloss}.` : `${capitalise(w)} means ${gloss}.`;
      }
      const m = /is ([a-z]+)\.$/.exec(o.output);
      if (!m || m[1] === w) continue;
      const y = m[1];
      if (r.task === "synonym") {
        if (allSenses(w).some((s) => s.words.includes(y))) continue;
        return `A synonym of ${w} is ${y}.`;
      }
      if (allSenses(w).some((s) => s.words.includes(y) || (wn ? antonymsIn(wn, s, w).includes(y) : false))) continue;
      return `The opposite of ${w} is ${y}.`;
    }
    return undefined;
  };

  const wrongField = (r: InstructionExample): string | undefined => {
    const group = r.source === "factbook" ? templates.get(r.task as FactbookTask)?.group : r.task;
    const others = (byEntity.get(`${r.source}\u0000${r.entity}`) ?? []).filter(
      (o) => o.task !== r.task && (r.source !== "factbook" || templates.get(o.task as FactbookTask)?.group !== group),
    );
    return others.length ? pick(rng, others).output : undefined;
  };

  const similarQuestion = (r: InstructionExample, faq: readonly InstructionExample[], words: Map<InstructionExample, [Set<string>, Set<string>]>): string | undefined => {
    const [q, a] = words.get(r)!;
    let best: InstructionExample | undefined;
    let bestScore = -1;
    for (const o of faq) {
      if (o === r || o.output === r.output) continue;
      const [oq, oa] = words.get(o)!;
      const score = jaccard(q, oq) + 0.5 * jaccard(a, oa);
      if (score > bestScore) {
        bestScore = score;
        best = o;
      }
    }
    return best?.output;
  };

  const faq = rows.filter((r) => r.source === "python-faq");
  const faqWords = new Map<InstructionExample, [Set<string>, Set<string>]>(faq.map((r) => [r, [contentWords(r.instruction), contentWords(r.output)]]));
  const used: Record<string, Record<string, number>> = {};
  const out: PreferenceExample[] = [];
  for (const r of rows) {
    const base = { prompt: instructionPrompt(r), chosen: r.output, source: r.source, task: r.task, entity: r.entity };
    if (r.source === "python-faq") {
      const rej = similarQuestion(r, faq, faqWords);
      if (rej !== undefined && rej !== r.output) out.push({ ...base, rejected: rej, kind: "similar-question" });
      continue;
    }
    const counts = (used[r.source] ??= { "other-value": 0, "wrong-field": 0, truncated: 0 });
    const kinds = (["other-value", "wrong-field", "truncated"] as PreferenceKind[]).sort((a, b) => counts[a] - counts[b] || rng.random() - 0.5);
    let made: Candidate | undefined;
    for (const kind of kinds) {
      const rejected = kind === "other-value" ? otherValue(r) : kind === "wrong-field" ? wrongField(r) : truncateAnswer(r.output);
      if (rejected !== undefined && rejected !== r.output) {
        made = { kind, rejected };
        break;
      }
    }
    if (!made) continue;
    counts[made.kind]++;
    out.push({ ...base, rejected: made.rejected, kind: made.kind });
  }
  return out;
}

// ---------------------------------------------------------------------------
// Loading the shipped data
// ---------------------------------------------------------------------------

const ALL_TASKS: readonly string[] = [...FACTBOOK_TASKS, ...WORDNET_TASKS, "faq"];

function field(row: TableRow, key: string, allowEmpty = false): string {
  const v = row[key];
  if (typeof v !== "string" || (!allowEmpty && v === "")) throw new Error(`field '${key}' must be a ${allowEmpty ? "" : "non-empty "}string, found ${v === undefined ? "nothing" : JSON.stringify(v)}`);
  return v;
}

function sourceAndTask(row: TableRow): { source: InstructionSource; task: InstructionTask; entity: string } {
  const source = field(row, "source") as InstructionSource;
  if (!INSTRUCTION_SOURCES.includes(source)) throw new Error(`field 'source' must be one of ${INSTRUCTION_SOURCES.join(", ")}, found '${source}'`);
  const t = field(row, "task");
  if (!ALL_TASKS.includes(t)) throw new Error(`field 'task' must be one of ${ALL_TASKS.join(", ")}, found '${t}'`);
  return { source, task: t as InstructionTask, entity: field(row, "entity") };
}

function instructionRow(row: TableRow): InstructionExample {
  return { instruction: field(row, "instruction"), input: field(row, "input", true), output: field(row, "output"), ...sourceAndTask(row) };
}

function preferenceRow(row: TableRow): PreferenceExample {
  const kind = field(row, "kind") as PreferenceKind;
  if (!PREFERENCE_KINDS.includes(kind)) throw new Error(`field 'kind' must be one of ${PREFERENCE_KINDS.join(", ")}, found '${kind}'`);
  const chosen = field(row, "chosen");
  const rejected = field(row, "rejected");
  if (chosen === rejected) throw new Error("'chosen' and 'rejected' are the same text");
  return { prompt: field(row, "prompt"), chosen, rejected, ...sourceAndTask(row), kind };
}

export interface LoadInstructionsOptions {
  /** "train" (default) or "test"; the two share no entity. */
  split?: InstructionSplit;
  /** Only these sources (default all three). */
  sources?: readonly InstructionSource[];
}

function checkSplit(name: string, options: LoadInstructionsOptions): { split: InstructionSplit; keep: (r: { source: InstructionSource }) => boolean } {
  const split = options.split ?? "train";
  if (split !== "train" && split !== "test") throw new Error(`${name}: split must be "train" or "test", got '${String(split)}'`);
  const sources = options.sources;
  if (sources !== undefined) {
    if (!Array.isArray(sources) || sources.length === 0) throw new Error(`${name}: sources must be a non-empty array`);
    for (const s of sources) if (!INSTRUCTION_SOURCES.includes(s)) throw new Error(`${name}: unknown source '${s}' (sources: ${INSTRUCTION_SOURCES.join(", ")})`);
  }
  return { split, keep: (r) => sources === undefined || sources.includes(r.source) };
}

/**
 * The shipped instruction data (data/instructions/{train,test}.jsonl.gz): Alpaca-style rows
 * {instruction, input, output, source, task, entity} from the Python FAQ, Factbook templates and WordNet.
 * Format a row for SFT with `instructionPrompt(row)` + the output, or map it to chat messages.
 */
export function loadInstructions(options: LoadInstructionsOptions = {}): InstructionExample[] {
  const { split, keep } = checkSplit("loadInstructions", options);
  return readDataset("instructions", `${split}.jsonl.gz`, instructionRow, PREPARE_INSTRUCTIONS_COMMAND).filter(keep);
}

/**
 * The shipped preference pairs (data/instructions/preferences-{train,test}.jsonl.gz) in trl's DPO format
 * {prompt, chosen, rejected} plus source, task, kind and entity; split by entity like loadInstructions.
 */
export function loadPreferences(options: LoadInstructionsOptions = {}): PreferenceExample[] {
  const { split, keep } = checkSplit("loadPreferences", options);
  return readDataset("instructions", `preferences-${split}.jsonl.gz`, preferenceRow, PREPARE_INSTRUCTIONS_COMMAND).filter(keep);
}

// ---------------------------------------------------------------------------
// The book's datasets, exported from the Hub to JSON Lines (online notebooks)
// ---------------------------------------------------------------------------

/** A chat message as the Hub's chat datasets store it. */
export interface ChatTurn {
  role: "system" | "user" | "assistant";
  content: string;
}

/**
 * HuggingFaceH4/ultrachat_200k's `test_sft` split exported to JSON Lines (`ultrachat_200k_test_sft.jsonl` in `dir`:
 * $HOLLM_ULTRACHAT or the working folder; column `messages`), as chapter 12 instruction-tunes TinyLlama on it.
 */
export function loadUltrachat(dir = process.env.HOLLM_ULTRACHAT ?? "."): Array<{ messages: ChatTurn[] }> {
  const file = path.join(dir, "ultrachat_200k_test_sft.jsonl");
  return loadTable(file).map((row, i) => {
    const messages = row.messages as unknown;
    const ok = Array.isArray(messages) && messages.every((m) => m && typeof m === "object" && ["system", "user", "assistant"].includes((m as ChatTurn).role) && typeof (m as ChatTurn).content === "string");
    if (!ok) throw new Error(`${file} row ${i + 1}: expected 'messages' as a list of {role: system|user|assistant, content: string}`);
    return { messages: messages as ChatTurn[] };
  });
}

/**
 * argilla/distilabel-intel-orca-dpo-pairs exported to JSON Lines (`distilabel-intel-orca-dpo-pairs_train.jsonl` in
 * `dir`: $HOLLM_ORCA_DPO or the working folder), filtered as the book does (no ties, chosen_score >= 8, not in GSM8K's
 * train split) and formatted with TinyLlama's chat markers: prompt = system + user turn + "<|assistant|>\n".
 */
export function loadOrcaDpoPairs(dir = process.env.HOLLM_ORCA_DPO ?? "."): Array<{ prompt: string; chosen: string; rejected: string }> {
  const file = path.join(dir, "distilabel-intel-orca-dpo-pairs_train.jsonl");
  const out: Array<{ prompt: string; chosen: string; rejected: string }> = [];
  loadTable(file).forEach((row, i) => {
    for (const key of ["system", "input", "chosen", "rejected"]) {
      if (typeof row[key] !== "string") throw new Error(`${file} row ${i + 1}: expected a string '${key}'`);
    }
    if (row.status === "tie" || !(Number(row.chosen_score) >= 8) || row.in_gsm8k_train === true) return;
    out.push({
      prompt: `<|system|>\n${row.system}</s>\n<|user|>\n${row.input}</s>\n<|assistant|>\n`,
      chosen: `${row.chosen}</s>\n`,
      rejected: `${row.rejected}</s>\n`,
    });
  });
  return out;
}
