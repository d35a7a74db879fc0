/**
 * Token-classification datasets shipped in data/, shaped like the Hub's conll2003 rows (`tokens` and tag ids):
 *
 *   loadSilverNer({ split })   data/ner: 5,000 SOTU / Factbook / Brown sentences with silver PER / ORG / LOC
 *                              IOB2 tags made by compromise and a Factbook gazetteer (scripts/data/prepare-ner.ts)
 *   loadBrownPos({ split })    the Brown corpus's part-of-speech tags (12 universal tags by default) as a
 *                              second token-classification task, split 80 / 10 / 10 by document
 */
import * as fs from "fs";
import * as path from "path";
import { dataDir } from "../data/corpus";
import { UNIVERSAL_TAGS, loadBrown, loadTable, type BrownGenre } from "../data/datasets";
import { CONLL2003_LABELS, NER_LABELS } from "./ner";

export type TokenClassificationSplit = "train" | "validation" | "test";
const SPLITS: readonly TokenClassificationSplit[] = ["train", "validation", "test"];

/** The command that regenerates data/ner (quoted in error messages). */
export const PREPARE_NER_COMMAND = "npx tsx scripts/data/prepare-ner.ts";

export interface SilverNerRow {
  id: string;
  source: "sotu" | "factbook" | "brown" | "conll2003";
  tokens: string[];
  /** Tag ids into NER_LABELS (the dataset's `ner_tags`). */
  nerTags: number[];
  /** The same tags as names ("B-PER", ...). */
  tags: string[];
}

function checkSplit(split: unknown, where: string): TokenClassificationSplit {
  if (!SPLITS.includes(split as TokenClassificationSplit)) throw new Error(`${where}: split must be "train", "validation" or "test", got ${JSON.stringify(split)}`);
  return split as TokenClassificationSplit;
}

/**
 * Rows of `tokens` and `ner_tags` from a JSON Lines file; tags are names of `labels` or, with acceptIds, their
 * ids (the Hub's columns). Bad rows are named by file and line.
 */
function readTaggedRows(file: string, labels: readonly string[], opts: { acceptIds: boolean; source?: SilverNerRow["source"] }): SilverNerRow[] {
  return loadTable(file, { format: "jsonl" }).map((row, i) => {
    const where = `${file} row ${i + 1}`;
    const tokens = row.tokens;
    const tags = row.ner_tags;
    if (!Array.isArray(tokens) || !tokens.every((t) => typeof t === "string")) throw new Error(`${where}: tokens must be an array of strings`);
    if (!Array.isArray(tags) || tags.length !== tokens.length) throw new Error(`${where}: ner_tags must be an array with one tag per token (${tokens.length})`);
    const nerTags = tags.map((t) => {
      const id = typeof t === "number" && opts.acceptIds ? t : labels.indexOf(t as string);
      if (!Number.isInteger(id) || id < 0 || id >= labels.length) {
        throw new Error(`${where}: unknown tag ${JSON.stringify(t)} (tags: ${labels.join(", ")}${opts.acceptIds ? `, or their ids 0-${labels.length - 1}` : ""})`);
      }
      return id;
    });
    return { id: String(row.id ?? i), source: opts.source ?? (row.source as SilverNerRow["source"]), tokens: tokens as string[], nerTags, tags: nerTags.map((id) => labels[id]) };
  });
}

/**
 * The silver NER dataset of data/ner: sentences already split into words, with IOB2 tags over PER, ORG and
 * LOC (label ids of NER_LABELS, CoNLL-2003's order without MISC). Silver: made by rules (compromise) and a
 * gazetteer, not by people — scores against it measure agreement with those rules. Splits: 4,000 / 500 / 500.
 */
export function loadSilverNer(options: { split?: TokenClassificationSplit } = {}): SilverNerRow[] {
  const split = checkSplit(options.split ?? "train", "loadSilverNer");
  const file = path.join(dataDir(), "ner", `${split}.jsonl.gz`);
  if (!fs.existsSync(file)) throw new Error(`loadSilverNer: no file ${file}; regenerate data/ner with '${PREPARE_NER_COMMAND}' (or set HOLLM_DATA_DIR)`);
  return readTaggedRows(file, NER_LABELS, { acceptIds: false });
}

/**
 * CoNLL-2003 exported from the Hub to JSON Lines (`conll2003_train.jsonl`, `_validation`, `_test` in `dir`:
 * `$HOLLM_CONLL2003` or the working folder), rows with `tokens` and `ner_tags` as ids of CONLL2003_LABELS
 * (the Hub's columns) or as tag names. The online counterpart of loadSilverNer.
 */
export function loadConll2003(options: { split?: TokenClassificationSplit; dir?: string } = {}): SilverNerRow[] {
  const split = checkSplit(options.split ?? "train", "loadConll2003");
  const file = path.join(options.dir ?? process.env.HOLLM_CONLL2003 ?? ".", `conll2003_${split}.jsonl`);
  if (!fs.existsSync(file)) throw new Error(`loadConll2003: no file ${file}; export the Hub's conll2003 ${split} split to JSON Lines there (or set HOLLM_CONLL2003)`);
  return readTaggedRows(file, CONLL2003_LABELS, { acceptIds: true, source: "conll2003" });
}

export interface BrownPosRow {
  doc: string;
  genre: BrownGenre;
  tokens: string[];
  /** Tag ids into the label list (UNIVERSAL_TAGS for the universal tagset). */
  posTags: number[];
  tags: string[];
}

export interface LoadBrownPosOptions {
  split?: TokenClassificationSplit;
  /** "universal" (default): the 12 universal tags; "brown": the corpus's own tags (472, label list sorted). */
  tagset?: "universal" | "brown";
  /** Only these genres (default all 15). */
  genres?: readonly string[];
  /** At most this many sentences (the first ones of the split, in corpus order). */
  limit?: number;
}

/** The label list of a Brown tagset: UNIVERSAL_TAGS, or every Brown tag of the corpus sorted. */
export function brownPosLabels(tagset: "universal" | "brown" = "universal"): string[] {
  if (tagset === "universal") return [...UNIVERSAL_TAGS];
  const all = new Set<string>();
  for (const s of loadBrown()) for (const t of s.tags) all.add(t);
  return [...all].sort();
}

/**
 * The Brown corpus as a part-of-speech tagging task: words with tag ids. The split is by document
 * (every tenth document, by number within its genre — ca01, ca11, ... — is test, the next validation),
 * so no document is in two splits.
 */
export function loadBrownPos(options: LoadBrownPosOptions = {}): { rows: BrownPosRow[]; labels: string[] } {
  const split = checkSplit(options.split ?? "train", "loadBrownPos");
  const tagset = options.tagset ?? "universal";
  if (tagset !== "universal" && tagset !== "brown") throw new Error(`loadBrownPos: tagset must be "universal" or "brown", got ${JSON.stringify(tagset)}`);
  if (options.limit !== undefined && !(Number.isInteger(options.limit) && options.limit > 0)) throw new Error(`loadBrownPos: limit must be a positive integer, got ${options.limit}`);
  const labels = brownPosLabels(tagset);
  const index = new Map(labels.map((l, i) => [l, i]));
  const splitOf = (doc: string): TokenClassificationSplit => {
    const k = Number(doc.slice(2)) % 10;
    return k === 1 ? "test" : k === 2 ? "validation" : "train";
  };
  const rows: BrownPosRow[] = [];
  for (const s of loadBrown({ tagset, genres: options.genres })) {
    if (splitOf(s.doc) !== split) continue;
    rows.push({ doc: s.doc, genre: s.genre, tokens: s.words, posTags: s.tags.map((t) => index.get(t)!), tags: s.tags });
    if (options.limit !== undefined && rows.length >= options.limit) break;
  }
  return { rows, labels };
}
