/**
 * Builds data/ner/: a small silver-standard NER dataset (PER / ORG / LOC, IOB2 tags) for the chapter 11
 * token-classification notebook, offline stand-in for CoNLL-2003.
 *
 *   sentences  State of the Union addresses, CIA World Factbook sections (Introduction, Government,
 *              Transnational Issues) and the Brown corpus's news / government / belles-lettres genres,
 *              all shipped in data/ (public domain); SOTU and Factbook sentences are split into words here,
 *              Brown keeps its own words.
 *   labels     the npm package `compromise` (MIT): people() -> PER, organizations() -> ORG, places() -> LOC,
 *              then a gazetteer of Factbook country names, long names and capitals -> LOC for words still
 *              untagged. Titles ("President", "Mr.") are dropped from the front of PER spans, possessive
 *              "'s" and punctuation from the edges of every span; spans must start with a capital letter.
 *   output     train / validation / test JSONL.gz (80 / 10 / 10 %, shuffled with seed 42) with
 *              {id, source, tokens, ner_tags}, and manifest.json (counts, SHA-256 of the uncompressed text).
 *
 * The labels are machine-made ("silver"): compromise's rules miss and confuse entities, so scores against
 * them measure agreement with compromise, not true NER quality. Usage (from the repository root):
 *
 *   npx tsx scripts/data/prepare-ner.ts               # writes data/ner/
 *   npx tsx scripts/data/prepare-ner.ts --out /tmp/x  # elsewhere
 */
import * as fs from "fs";
import * as path from "path";
import * as zlib from "zlib";
import * as crypto from "crypto";
import { loadBrown, loadFactbook, loadFactbookFacts, loadSotu, splitSentences } from "../../lib/data/datasets";
import { Rng } from "../../lib/util/random";

// eslint-disable-next-line @typescript-eslint/no-var-requires
const nlp = require("compromise") as (text: string) => CompromiseDoc;

interface CompromiseMatch {
  text: string;
  offset: { start: number; length: number };
}
interface CompromiseView {
  json(opts: { offset: boolean }): CompromiseMatch[];
}
interface CompromiseDoc {
  people(): CompromiseView;
  organizations(): CompromiseView;
  places(): CompromiseView;
}

const ROOT = path.resolve(__dirname, "..", "..");

/** Sentences drawn per source, before the split. */
export const SENTENCES_PER_SOURCE = { sotu: 2000, factbook: 1500, brown: 1500 } as const;
export const SEED = 42;
export const MIN_WORDS = 5;
export const MAX_WORDS = 50;
const FACTBOOK_NER_SECTIONS = new Set(["Introduction", "Government", "Transnational Issues"]);
const BROWN_NER_GENRES = ["news", "government", "belles_lettres", "editorial"];

/** Words that open a PER span in compromise's output but are titles, not names (CoNLL leaves them out). */
const TITLES = new Set(
  ("mr mrs ms miss dr president vice general gen senator sen governor gov secretary judge justice chairman captain capt col colonel " +
    "lt lieutenant sir lord king queen prince princess pope rev reverend mayor professor prof premier prime minister chief admiral " +
    "sergeant sgt major maj commander representative rep congressman congresswoman ambassador attorney speaker emperor czar tsar " +
    "sheikh sultan father brother sister saint st dean doctor madam mister former late").split(" "),
);

interface Word {
  text: string;
  start: number;
  end: number;
}

/** Words and punctuation with their character spans: initials-style abbreviations (U.S.) stay whole, "'s"/"n't" split off. */
export function splitWords(text: string): Word[] {
  const re = /(?:[A-Za-z]\.){2,}|\d+(?:[.,]\d+)+|[\p{L}\p{N}]+(?:[-'’][\p{L}\p{N}]+)*|\S/gu;
  const out: Word[] = [];
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    const w = m[0];
    const poss = /^(.+?)(['’][sS]|n['’]t)$/u.exec(w);
    if (poss && !/^(?:[A-Za-z]\.){2,}$/.test(w)) {
      const head = poss[1];
      out.push({ text: head, start: m.index, end: m.index + head.length });
      out.push({ text: poss[2], start: m.index + head.length, end: m.index + w.length });
    } else out.push({ text: w, start: m.index, end: m.index + w.length });
  }
  return out;
}

const isPunct = (w: string) => /^[^\p{L}\p{N}]+$/u.test(w);
const isPossessive = (w: string) => /^['’][sS]$/.test(w) || w === "'";

/** IOB2 tags for `words` of `text`: compromise's spans, then the gazetteer. */
export function silverTags(text: string, words: Word[], gazetteer: Map<string, string[][]>): string[] {
  const tags = words.map(() => "O");
  const doc = nlp(text);
  const label = (first: number, last: number, type: string) => {
    while (first <= last && (isPunct(words[first].text) || (type === "PER" && TITLES.has(words[first].text.toLowerCase().replace(/\.$/, ""))))) first++;
    while (last >= first && (isPunct(words[last].text) || isPossessive(words[last].text))) last--;
    if (first > last || !/^\p{Lu}/u.test(words[first].text)) return;
    for (let k = first; k <= last; k++) if (tags[k] !== "O") return; // first come keeps its words
    for (let k = first; k <= last; k++) tags[k] = (k === first ? "B-" : "I-") + type;
  };
  const spans: [string, CompromiseMatch[]][] = [
    ["PER", doc.people().json({ offset: true })],
    ["ORG", doc.organizations().json({ offset: true })],
    ["LOC", doc.places().json({ offset: true })],
  ];
  for (const [type, matches] of spans) {
    for (const m of matches) {
      const s = m.offset.start;
      const e = s + m.offset.length;
      const inside = words.map((w, k) => (w.start < e && w.end > s ? k : -1)).filter((k) => k >= 0);
      if (inside.length) label(inside[0], inside[inside.length - 1], type);
    }
  }
  // Gazetteer: the longest country / capital name starting at each untagged word.
  for (let k = 0; k < words.length; k++) {
    if (tags[k] !== "O") continue;
    const candidates = gazetteer.get(words[k].text) ?? [];
    for (const name of candidates) {
      const n = name.length;
      if (k + n > words.length) continue;
      if (name.every((w, j) => words[k + j].text === w && tags[k + j] === "O")) {
        for (let j = 0; j < n; j++) tags[k + j] = (j === 0 ? "B-" : "I-") + "LOC";
        k += n - 1;
        break;
      }
    }
  }
  return tags;
}

/** Country names, long names and capitals from the Factbook's facts, keyed by first word, longest first. */
export function buildGazetteer(): Map<string, string[][]> {
  const names = new Set<string>();
  for (const f of loadFactbookFacts()) {
    for (const v of [f.country, f.longName, f.capital]) {
      if (typeof v !== "string") continue;
      for (const part of v.split(/;|\(|\)/)) {
        const name = part.replace(/\bnote\b.*$/i, "").trim();
        if (name && /^\p{Lu}/u.test(name) && name.length < 60) names.add(name);
      }
    }
  }
  const gaz = new Map<string, string[][]>();
  for (const name of names) {
    const ws = splitWords(name).map((w) => w.text);
    if (!gaz.has(ws[0])) gaz.set(ws[0], []);
    gaz.get(ws[0])!.push(ws);
  }
  for (const list of gaz.values()) list.sort((a, b) => b.length - a.length);
  return gaz;
}

interface Candidate {
  id: string;
  source: "sotu" | "factbook" | "brown";
  text: string;
  words: Word[];
}

/** Share of each source's sentences that have at least one entity (CoNLL-2003's training set: about 80 %). */
export const ENTITY_SENTENCE_SHARE = 0.7;

interface Row {
  id: string;
  source: Candidate["source"];
  tokens: string[];
  ner_tags: string[];
}

/**
 * `n` labelled sentences of one source: its candidates in a seeded random order, labelled one by one,
 * kept until ENTITY_SENTENCE_SHARE of n have entities and the rest have none (the first ones found).
 */
function labelSource(items: Candidate[], n: number, rng: Rng, gazetteer: Map<string, string[][]>): Row[] {
  const withEntities: Row[] = [];
  const without: Row[] = [];
  const wantWith = Math.round(n * ENTITY_SENTENCE_SHARE);
  for (const c of rng.shuffle(items.slice())) {
    if (withEntities.length >= wantWith && without.length >= n - wantWith) break;
    const row: Row = { id: c.id, source: c.source, tokens: c.words.map((w) => w.text), ner_tags: silverTags(c.text, c.words, gazetteer) };
    const has = row.ner_tags.some((t) => t !== "O");
    if (has && withEntities.length < wantWith) withEntities.push(row);
    else if (!has && without.length < n - wantWith) without.push(row);
  }
  process.stderr.write(`${items[0]?.source}: ${withEntities.length} sentences with entities, ${without.length} without\n`);
  return [...withEntities, ...without];
}

const okLength = (words: Word[]) => words.length >= MIN_WORDS && words.length <= MAX_WORDS;

export function labelledRows(rng: Rng, gazetteer: Map<string, string[][]>): Row[] {
  const sotu: Candidate[] = [];
  for (const sp of loadSotu()) {
    splitSentences(sp.text).forEach((text, k) => {
      const words = splitWords(text);
      if (okLength(words)) sotu.push({ id: `sotu-${sp.year}-${sp.president.replace(/\W+/g, "_")}-${k}`, source: "sotu", text, words });
    });
  }
  const factbook: Candidate[] = [];
  for (const d of loadFactbook()) {
    if (!FACTBOOK_NER_SECTIONS.has(d.section)) continue;
    splitSentences(d.text).forEach((text, k) => {
      const words = splitWords(text);
      if (okLength(words)) factbook.push({ id: `factbook-${d.code}-${d.section.replace(/\W+/g, "_")}-${k}`, source: "factbook", text, words });
    });
  }
  const brown: Candidate[] = [];
  const perDoc = new Map<string, number>();
  for (const s of loadBrown({ genres: BROWN_NER_GENRES })) {
    const k = perDoc.get(s.doc) ?? 0;
    perDoc.set(s.doc, k + 1);
    // Brown's own words, joined by spaces so that each keeps a character span (`` and '' as quotes).
    const texts = s.words.map((w) => (w === "``" || w === "''" ? '"' : w));
    let at = 0;
    const words = texts.map((w) => {
      const word = { text: w, start: at, end: at + w.length };
      at += w.length + 1;
      return word;
    });
    if (okLength(words)) brown.push({ id: `brown-${s.doc}-${k}`, source: "brown", text: texts.join(" "), words });
  }
  return [
    ...labelSource(sotu, SENTENCES_PER_SOURCE.sotu, rng, gazetteer),
    ...labelSource(factbook, SENTENCES_PER_SOURCE.factbook, rng, gazetteer),
    ...labelSource(brown, SENTENCES_PER_SOURCE.brown, rng, gazetteer),
  ];
}

function writeJsonl(dir: string, file: string, rows: readonly object[]) {
  const raw = rows.map((r) => JSON.stringify(r)).join("\n") + "\n";
  const data = zlib.gzipSync(Buffer.from(raw, "utf8"), { level: 9 });
  fs.writeFileSync(path.join(dir, file), data);
  return { file, rows: rows.length, bytes: data.length, sha256: crypto.createHash("sha256").update(raw).digest("hex") };
}

function entityCounts(rows: { ner_tags: string[] }[]): Record<string, number> {
  const out: Record<string, number> = { PER: 0, ORG: 0, LOC: 0 };
  for (const r of rows) for (const t of r.ner_tags) if (t.startsWith("B-")) out[t.slice(2)]++;
  return out;
}

function main(argv: string[]): void {
  const outIdx = argv.indexOf("--out");
  const outRoot = outIdx >= 0 ? path.resolve(argv[outIdx + 1]) : path.join(ROOT, "data");
  const dir = path.join(outRoot, "ner");
  fs.mkdirSync(dir, { recursive: true });
  const rng = new Rng(SEED);
  const gazetteer = buildGazetteer();
  const rows = labelledRows(rng, gazetteer);
  const order = new Rng(SEED + 1).shuffle(rows.map((_, i) => i));
  const nVal = Math.round(rows.length * 0.1);
  const nTest = Math.round(rows.length * 0.1);
  const split = {
    test: order.slice(0, nTest).map((i) => rows[i]),
    validation: order.slice(nTest, nTest + nVal).map((i) => rows[i]),
    train: order.slice(nTest + nVal).map((i) => rows[i]),
  };
  const files = (["train", "validation", "test"] as const).map((s) => writeJsonl(dir, `${s}.jsonl.gz`, split[s]));
  const tokens = rows.reduce((a, r) => a + r.tokens.length, 0);
  const compromiseVersion = JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules", "compromise", "package.json"), "utf8")).version;
  const manifest = {
    name: "ner",
    title: "Silver-standard NER (PER / ORG / LOC, IOB2) on State of the Union, World Factbook and Brown sentences",
    source: {
      kind: "derived",
      sentences: ["data/sotu (public domain)", "data/factbook (public domain)", "data/brown (Brown corpus, redistribution permitted)"],
      labeler: { kind: "npm", package: "compromise", version: compromiseVersion, license: "MIT" },
      gazetteer: "data/factbook/facts.jsonl: country, longName, capital",
    },
    license: "Sentences: public domain (SOTU, Factbook) and the Brown corpus (distributed with the permission of the copyright holder, redistribution permitted). Labels: machine-made by this script.",
    labels: ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC"],
    files,
    counts: {
      sentences: rows.length,
      tokens,
      bySource: Object.fromEntries(["sotu", "factbook", "brown"].map((s) => [s, rows.filter((r) => r.source === s).length])),
      train: split.train.length,
      validation: split.validation.length,
      test: split.test.length,
      entities: entityCounts(rows),
      entitiesBySplit: Object.fromEntries((["train", "validation", "test"] as const).map((s) => [s, entityCounts(split[s])])),
      sentencesWithoutEntities: rows.filter((r) => r.ner_tags.every((t) => t === "O")).length,
    },
    notes: [
      `sentences of ${MIN_WORDS}..${MAX_WORDS} words, drawn with Rng(${SEED}): ${JSON.stringify(SENTENCES_PER_SOURCE)}, ${ENTITY_SENTENCE_SHARE * 100} % of each with at least one entity`,
      "split: Rng(43) shuffle of all rows, 10 % test, 10 % validation, the rest train",
      "labels are silver (compromise + gazetteer), not hand-checked",
    ],
  };
  fs.writeFileSync(path.join(dir, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
  console.log(JSON.stringify(manifest.counts));
}

if (require.main === module) main(process.argv.slice(2));
