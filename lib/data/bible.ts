/**
 * Parallel Bible verses for chapter 10's paraphrase and similarity training: the King James Version
 * (1769 text) and the World English Bible, both public domain, verse by verse.
 *
 *   loadBibleVerses()                                   rows {book, chapter, verse, kjv, web}, data/bible
 *   bibleParaphrasePairs(rows)                          {anchor: kjv, positive: web} for MultipleNegativesRankingLoss
 *   bibleSimilarityPairs(rows, { n, seed })             graded {sentence1, sentence2, score} pairs (CosineSimilarityLoss, evaluators)
 *   splitBibleBooks(rows, { heldOut: ["Luke", "Romans"] }) training rows and rows of held-out books
 *
 * plus what made data/bible: a decoder of SWORD zText modules (the format of the Debian packages
 * sword-text-kjv and sword-text-web), the KJV and NRSVA versifications, and an OSIS / ThML / GBF markup
 * stripper. scripts/data/prepare-bible.ts runs them.
 *
 * zText layout (SWORD's zVerse driver), one set of files per testament (ot.*, nt.*):
 *   .bzs  block index, 12 bytes per block: uint32 LE offset into .bzz, compressed size, uncompressed size
 *   .bzv  verse index, 10 bytes per entry: uint32 LE block number, uint32 offset in the uncompressed
 *         block, uint16 size (0 = empty entry)
 *   .bzz  the blocks, each zlib-compressed (CompressType=ZIP)
 * Verse-index entries follow the versification: entry 0 is the module heading, 1 the testament heading,
 * then for each book a book heading, and for each chapter a chapter heading followed by its verses.
 */
import * as fs from "fs";
import * as path from "path";
import * as zlib from "zlib";
import { TextDecoder } from "util";
import { dataDir } from "./corpus";
import { loadTable, type TableRow } from "./datasets";
import { Rng } from "../util/random";

// ---------------------------------------------------------------------------
// Versifications (SWORD's canon.h and canon_nrsva.h)
// ---------------------------------------------------------------------------

/** One book of a versification: English name, OSIS id, and the number of verses of each chapter. */
export interface CanonBook {
  name: string;
  osis: string;
  /** versesPerChapter[c - 1] = verses in chapter c. */
  versesPerChapter: readonly number[];
}

/** A versification: the books of each testament, in the order of the verse index. */
export interface Versification {
  name: string;
  ot: readonly CanonBook[];
  nt: readonly CanonBook[];
}

type BookRow = [name: string, osis: string, versesPerChapter: number[]];

/** KJV versification: 39 + 27 books, verses per chapter (SWORD canon.h). */
const KJV_BOOK_ROWS: BookRow[] = [
  ["Genesis", "Gen", [
    31, 25, 24, 26, 32, 22, 24, 22, 29, 32, 32, 20, 18, 24, 21, 16, 27, 33, 38, 18,
    34, 24, 20, 67, 34, 35, 46, 22, 35, 43, 55, 32, 20, 31, 29, 43, 36, 30, 23, 23,
    57, 38, 34, 34, 28, 34, 31, 22, 33, 26,
  ]],
  ["Exodus", "Exod", [
    22, 25, 22, 31, 23, 30, 25, 32, 35, 29, 10, 51, 22, 31, 27, 36, 16, 27, 25, 26,
    36, 31, 33, 18, 40, 37, 21, 43, 46, 38, 18, 35, 23, 35, 35, 38, 29, 31, 43, 38,
  ]],
  ["Leviticus", "Lev", [
    17, 16, 17, 35, 19, 30, 38, 36, 24, 20, 47, 8, 59, 57, 33, 34, 16, 30, 37, 27,
    24, 33, 44, 23, 55, 46, 34,
  ]],
  ["Numbers", "Num", [
    54, 34, 51, 49, 31, 27, 89, 26, 23, 36, 35, 16, 33, 45, 41, 50, 13, 32, 22, 29,
    35, 41, 30, 25, 18, 65, 23, 31, 40, 16, 54, 42, 56, 29, 34, 13,
  ]],
  ["Deuteronomy", "Deut", [
    46, 37, 29, 49, 33, 25, 26, 20, 29, 22, 32, 32, 18, 29, 23, 22, 20, 22, 21, 20,
    23, 30, 25, 22, 19, 19, 26, 68, 29, 20, 30, 52, 29, 12,
  ]],
  ["Joshua", "Josh", [
    18, 24, 17, 24, 15, 27, 26, 35, 27, 43, 23, 24, 33, 15, 63, 10, 18, 28, 51, 9,
    45, 34, 16, 33,
  ]],
  ["Judges", "Judg", [
    36, 23, 31, 24, 31, 40, 25, 35, 57, 18, 40, 15, 25, 20, 20, 31, 13, 31, 30, 48,
    25,
  ]],
  ["Ruth", "Ruth", [22, 23, 18, 22]],
  ["1 Samuel", "1Sam", [
    28, 36, 21, 22, 12, 21, 17, 22, 27, 27, 15, 25, 23, 52, 35, 23, 58, 30, 24, 42,
    15, 23, 29, 22, 44, 25, 12, 25, 11, 31, 13,
  ]],
  ["2 Samuel", "2Sam", [
    27, 32, 39, 12, 25, 23, 29, 18, 13, 19, 27, 31, 39, 33, 37, 23, 29, 33, 43, 26,
    22, 51, 39, 25,
  ]],
  ["1 Kings", "1Kgs", [
    53, 46, 28, 34, 18, 38, 51, 66, 28, 29, 43, 33, 34, 31, 34, 34, 24, 46, 21, 43,
    29, 53,
  ]],
  ["2 Kings", "2Kgs", [
    18, 25, 27, 44, 27, 33, 20, 29, 37, 36, 21, 21, 25, 29, 38, 20, 41, 37, 37, 21,
    26, 20, 37, 20, 30,
  ]],
  ["1 Chronicles", "1Chr", [
    54, 55, 24, 43, 26, 81, 40, 40, 44, 14, 47, 40, 14, 17, 29, 43, 27, 17, 19, 8,
    30, 19, 32, 31, 31, 32, 34, 21, 30,
  ]],
  ["2 Chronicles", "2Chr", [
    17, 18, 17, 22, 14, 42, 22, 18, 31, 19, 23, 16, 22, 15, 19, 14, 19, 34, 11, 37,
    20, 12, 21, 27, 28, 23, 9, 27, 36, 27, 21, 33, 25, 33, 27, 23,
  ]],
  ["Ezra", "Ezra", [11, 70, 13, 24, 17, 22, 28, 36, 15, 44]],
  ["Nehemiah", "Neh", [11, 20, 32, 23, 19, 19, 73, 18, 38, 39, 36, 47, 31]],
  ["Esther", "Esth", [22, 23, 15, 17, 14, 14, 10, 17, 32, 3]],
  ["Job", "Job", [
    22, 13, 26, 21, 27, 30, 21, 22, 35, 22, 20, 25, 28, 22, 35, 22, 16, 21, 29, 29,
    34, 30, 17, 25, 6, 14, 23, 28, 25, 31, 40, 22, 33, 37, 16, 33, 24, 41, 30, 24,
    34, 17,
  ]],
  ["Psalms", "Ps", [
    6, 12, 8, 8, 12, 10, 17, 9, 20, 18, 7, 8, 6, 7, 5, 11, 15, 50, 14, 9,
    13, 31, 6, 10, 22, 12, 14, 9, 11, 12, 24, 11, 22, 22, 28, 12, 40, 22, 13, 17,
    13, 11, 5, 26, 17, 11, 9, 14, 20, 23, 19, 9, 6, 7, 23, 13, 11, 11, 17, 12,
    8, 12, 11, 10, 13, 20, 7, 35, 36, 5, 24, 20, 28, 23, 10, 12, 20, 72, 13, 19,
    16, 8, 18, 12, 13, 17, 7, 18, 52, 17, 16, 15, 5, 23, 11, 13, 12, 9, 9, 5,
    8, 28, 22, 35, 45, 48, 43, 13, 31, 7, 10, 10, 9, 8, 18, 19, 2, 29, 176, 7,
    8, 9, 4, 8, 5, 6, 5, 6, 8, 8, 3, 18, 3, 3, 21, 26, 9, 8, 24, 13,
    10, 7, 12, 15, 21, 10, 20, 14, 9, 6,
  ]],
  ["Proverbs", "Prov", [
    33, 22, 35, 27, 23, 35, 27, 36, 18, 32, 31, 28, 25, 35, 33, 33, 28, 24, 29, 30,
    31, 29, 35, 34, 28, 28, 27, 28, 27, 33, 31,
  ]],
  ["Ecclesiastes", "Eccl", [18, 26, 22, 16, 20, 12, 29, 17, 18, 20, 10, 14]],
  ["Song of Solomon", "Song", [17, 17, 11, 16, 16, 13, 13, 14]],
  ["Isaiah", "Isa", [
    31, 22, 26, 6, 30, 13, 25, 22, 21, 34, 16, 6, 22, 32, 9, 14, 14, 7, 25, 6,
    17, 25, 18, 23, 12, 21, 13, 29, 24, 33, 9, 20, 24, 17, 10, 22, 38, 22, 8, 31,
    29, 25, 28, 28, 25, 13, 15, 22, 26, 11, 23, 15, 12, 17, 13, 12, 21, 14, 21, 22,
    11, 12, 19, 12, 25, 24,
  ]],
  ["Jeremiah", "Jer", [
    19, 37, 25, 31, 31, 30, 34, 22, 26, 25, 23, 17, 27, 22, 21, 21, 27, 23, 15, 18,
    14, 30, 40, 10, 38, 24, 22, 17, 32, 24, 40, 44, 26, 22, 19, 32, 21, 28, 18, 16,
    18, 22, 13, 30, 5, 28, 7, 47, 39, 46, 64, 34,
  ]],
  ["Lamentations", "Lam", [22, 22, 66, 22, 22]],
  ["Ezekiel", "Ezek", [
    28, 10, 27, 17, 17, 14, 27, 18, 11, 22, 25, 28, 23, 23, 8, 63, 24, 32, 14, 49,
    32, 31, 49, 27, 17, 21, 36, 26, 21, 26, 18, 32, 33, 31, 15, 38, 28, 23, 29, 49,
    26, 20, 27, 31, 25, 24, 23, 35,
  ]],
  ["Daniel", "Dan", [21, 49, 30, 37, 31, 28, 28, 27, 27, 21, 45, 13]],
  ["Hosea", "Hos", [11, 23, 5, 19, 15, 11, 16, 14, 17, 15, 12, 14, 16, 9]],
  ["Joel", "Joel", [20, 32, 21]],
  ["Amos", "Amos", [15, 16, 15, 13, 27, 14, 17, 14, 15]],
  ["Obadiah", "Obad", [21]],
  ["Jonah", "Jonah", [17, 10, 10, 11]],
  ["Micah", "Mic", [16, 13, 12, 13, 15, 16, 20]],
  ["Nahum", "Nah", [15, 13, 19]],
  ["Habakkuk", "Hab", [17, 20, 19]],
  ["Zephaniah", "Zeph", [18, 15, 20]],
  ["Haggai", "Hag", [15, 23]],
  ["Zechariah", "Zech", [21, 13, 10, 14, 11, 15, 14, 23, 17, 12, 17, 14, 9, 21]],
  ["Malachi", "Mal", [14, 17, 18, 6]],
  ["Matthew", "Matt", [
    25, 23, 17, 25, 48, 34, 29, 34, 38, 42, 30, 50, 58, 36, 39, 28, 27, 35, 30, 34,
    46, 46, 39, 51, 46, 75, 66, 20,
  ]],
  ["Mark", "Mark", [45, 28, 35, 41, 43, 56, 37, 38, 50, 52, 33, 44, 37, 72, 47, 20]],
  ["Luke", "Luke", [
    80, 52, 38, 44, 39, 49, 50, 56, 62, 42, 54, 59, 35, 35, 32, 31, 37, 43, 48, 47,
    38, 71, 56, 53,
  ]],
  ["John", "John", [
    51, 25, 36, 54, 47, 71, 53, 59, 41, 42, 57, 50, 38, 31, 27, 33, 26, 40, 42, 31,
    25,
  ]],
  ["Acts", "Acts", [
    26, 47, 26, 37, 42, 15, 60, 40, 43, 48, 30, 25, 52, 28, 41, 40, 34, 28, 41, 38,
    40, 30, 35, 27, 27, 32, 44, 31,
  ]],
  ["Romans", "Rom", [32, 29, 31, 25, 21, 23, 25, 39, 33, 21, 36, 21, 14, 23, 33, 27]],
  ["1 Corinthians", "1Cor", [31, 16, 23, 21, 13, 20, 40, 13, 27, 33, 34, 31, 13, 40, 58, 24]],
  ["2 Corinthians", "2Cor", [24, 17, 18, 18, 21, 18, 16, 24, 15, 18, 33, 21, 14]],
  ["Galatians", "Gal", [24, 21, 29, 31, 26, 18]],
  ["Ephesians", "Eph", [23, 22, 21, 32, 33, 24]],
  ["Philippians", "Phil", [30, 30, 21, 23]],
  ["Colossians", "Col", [29, 23, 25, 18]],
  ["1 Thessalonians", "1Thess", [10, 20, 13, 18, 28]],
  ["2 Thessalonians", "2Thess", [12, 17, 18]],
  ["1 Timothy", "1Tim", [20, 15, 16, 16, 25, 21]],
  ["2 Timothy", "2Tim", [18, 26, 17, 22]],
  ["Titus", "Titus", [16, 15, 15]],
  ["Philemon", "Phlm", [25]],
  ["Hebrews", "Heb", [14, 18, 19, 16, 14, 20, 28, 13, 28, 39, 40, 29, 25]],
  ["James", "Jas", [27, 26, 18, 17, 20]],
  ["1 Peter", "1Pet", [25, 25, 22, 19, 14]],
  ["2 Peter", "2Pet", [21, 22, 18]],
  ["1 John", "1John", [10, 29, 24, 21, 21]],
  ["2 John", "2John", [13]],
  ["3 John", "3John", [14]],
  ["Jude", "Jude", [25]],
  ["Revelation", "Rev", [
    20, 29, 22, 11, 14, 17, 17, 13, 21, 11, 19, 17, 18, 20, 8, 21, 18, 24, 21, 15,
    27, 21,
  ]],];

/** Books NRSVA has after Malachi in its Old Testament file (deuterocanon), verses per chapter (SWORD canon_nrsva.h). */
const NRSVA_DEUTEROCANON_ROWS: BookRow[] = [
  ["Tobit", "Tob", [22, 14, 17, 21, 22, 18, 16, 21, 6, 13, 18, 22, 17, 15]],
  ["Judith", "Jdt", [16, 28, 10, 15, 24, 21, 32, 36, 14, 23, 23, 20, 20, 19, 14, 25]],
  ["Esther (Greek)", "EsthGr", [22, 23, 15, 17, 14, 14, 10, 17, 32, 13, 12, 6, 18, 19, 16, 24]],
  ["Wisdom", "Wis", [16, 24, 19, 20, 23, 25, 30, 21, 18, 21, 26, 27, 19, 31, 19, 29, 21, 25, 22]],
  ["Sirach", "Sir", [
    30, 18, 31, 31, 15, 37, 36, 19, 18, 31, 34, 18, 26, 27, 20, 30, 32, 33, 30, 31,
    28, 27, 27, 34, 26, 29, 30, 26, 28, 25, 31, 24, 33, 31, 26, 31, 31, 34, 35, 30,
    22, 25, 33, 23, 26, 20, 25, 25, 16, 29, 30,
  ]],
  ["Baruch", "Bar", [22, 35, 37, 37, 9, 73]],
  ["Prayer of Azariah", "PrAzar", [68]],
  ["Susanna", "Sus", [64]],
  ["Bel and the Dragon", "Bel", [42]],
  ["1 Maccabees", "1Macc", [64, 70, 60, 61, 68, 63, 50, 32, 73, 89, 74, 53, 53, 49, 41, 24]],
  ["2 Maccabees", "2Macc", [36, 32, 40, 50, 27, 31, 42, 36, 29, 38, 38, 45, 26, 46, 39]],
  ["1 Esdras", "1Esd", [58, 30, 24, 63, 73, 34, 15, 96, 55]],
  ["Prayer of Manasses", "PrMan", [15]],
  ["Additional Psalm", "AddPs", [7]],
  ["3 Maccabees", "3Macc", [29, 33, 30, 21, 51, 41, 23]],
  ["2 Esdras", "2Esd", [40, 48, 36, 52, 56, 59, 140, 63, 47, 59, 46, 51, 58, 48, 63, 78]],
  ["4 Maccabees", "4Macc", [35, 24, 21, 26, 38, 35, 23, 29, 32, 21, 27, 19, 27, 20, 32, 25, 24, 24]],];

function books(rows: readonly BookRow[]): CanonBook[] {
  return rows.map(([name, osis, versesPerChapter]) => ({ name, osis, versesPerChapter }));
}

/** The KJV versification (SWORD's default): 39 Old Testament and 27 New Testament books, 31,102 verses. */
export const KJV_VERSIFICATION: Versification = {
  name: "KJV",
  ot: books(KJV_BOOK_ROWS.slice(0, 39)),
  nt: books(KJV_BOOK_ROWS.slice(39)),
};

/**
 * NRSVA (NRSV with Apocrypha), the versification of the WEB module: KJV's books with 3 John 1 of 15
 * verses and Revelation 12 of 18, and 17 deuterocanonical books after Malachi.
 */
export const NRSVA_VERSIFICATION: Versification = {
  name: "NRSVA",
  ot: [...books(KJV_BOOK_ROWS.slice(0, 39)), ...books(NRSVA_DEUTEROCANON_ROWS)],
  nt: books(KJV_BOOK_ROWS.slice(39)).map((b) => {
    if (b.osis === "3John") return { ...b, versesPerChapter: [15] };
    if (b.osis === "Rev") return { ...b, versesPerChapter: b.versesPerChapter.map((n, c) => (c === 11 ? 18 : n)) };
    return b;
  }),
};

const VERSIFICATIONS: Record<string, Versification> = { KJV: KJV_VERSIFICATION, NRSVA: NRSVA_VERSIFICATION };

/** A versification by its SWORD name (a module's `Versification=`; SWORD's default is KJV). */
export function getVersification(name: string): Versification {
  const v = VERSIFICATIONS[name];
  if (!v) throw new Error(`Unsupported versification '${name}' (supported: ${Object.keys(VERSIFICATIONS).join(", ")})`);
  return v;
}

/** The 66 books of the KJV canon, in order (English names as in data/bible). */
export const BIBLE_BOOKS: readonly string[] = KJV_BOOK_ROWS.map((r) => r[0]);

/** A verse's address. */
export interface VerseRef {
  book: string;
  chapter: number;
  verse: number;
}

/** Where a verse sits in its testament's verse index. */
export interface VerseSlot extends VerseRef {
  osis: string;
  index: number;
}

/**
 * The verse-index layout of one testament: the slot of every verse and the number of entries.
 * Entry 0 is the module heading, 1 the testament heading, then per book a book heading and per chapter
 * a chapter heading followed by its verses.
 */
export function testamentLayout(testamentBooks: readonly CanonBook[]): { slots: VerseSlot[]; entries: number } {
  const slots: VerseSlot[] = [];
  let index = 2;
  for (const b of testamentBooks) {
    index++; // book heading
    b.versesPerChapter.forEach((count, c) => {
      index++; // chapter heading
      for (let v = 1; v <= count; v++) slots.push({ book: b.name, osis: b.osis, chapter: c + 1, verse: v, index: index++ });
    });
  }
  return { slots, entries: index };
}

// ---------------------------------------------------------------------------
// zText decoding
// ---------------------------------------------------------------------------

/** One entry of a .bzs block index. */
export interface ZTextBlock {
  /** Byte offset of the compressed block in the .bzz file. */
  offset: number;
  compressedSize: number;
  /** Size of the block once inflated. */
  size: number;
}

/** One entry of a .bzv verse index. */
export interface ZTextEntry {
  block: number;
  /** Byte offset in the inflated block. */
  offset: number;
  /** Bytes of text; 0 for an empty entry. */
  size: number;
}

/** The three files of one testament of a zText module, with the names used in error messages. */
export interface ZTextFiles {
  bzs: Uint8Array;
  bzv: Uint8Array;
  bzz: Uint8Array;
  names?: { bzs?: string; bzv?: string; bzz?: string };
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Parses a .bzs block index (12 bytes per block). */
export function parseZTextBlockIndex(bzs: Uint8Array, file = "bzs"): ZTextBlock[] {
  if (bzs.length === 0) throw new Error(`${file}: empty block index`);
  if (bzs.length % 12 !== 0) {
    throw new Error(`${file}: ${bzs.length} bytes is not a multiple of 12 (12-byte block entries): truncated or not a zText block index`);
  }
  const dv = view(bzs);
  const out: ZTextBlock[] = [];
  for (let p = 0; p < bzs.length; p += 12) {
    out.push({ offset: dv.getUint32(p, true), compressedSize: dv.getUint32(p + 4, true), size: dv.getUint32(p + 8, true) });
  }
  return out;
}

/** Parses a .bzv verse index (10 bytes per entry). */
export function parseZTextVerseIndex(bzv: Uint8Array, file = "bzv"): ZTextEntry[] {
  if (bzv.length === 0) throw new Error(`${file}: empty verse index`);
  if (bzv.length % 10 !== 0) {
    throw new Error(`${file}: ${bzv.length} bytes is not a multiple of 10 (10-byte verse entries): truncated or not a zText verse index`);
  }
  const dv = view(bzv);
  const out: ZTextEntry[] = [];
  for (let p = 0; p < bzv.length; p += 10) {
    out.push({ block: dv.getUint32(p, true), offset: dv.getUint32(p + 4, true), size: dv.getUint16(p + 8, true) });
  }
  return out;
}

const UTF8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Decodes every entry of one testament's verse index to its raw text (markup included; "" for empty
 * entries). Blocks are inflated once each. Throws, naming the file, on an index that points outside its
 * data, a block that does not inflate or inflates to the wrong size, or text that is not UTF-8.
 */
export function decodeZText(files: ZTextFiles): string[] {
  const names = { bzs: files.names?.bzs ?? "bzs", bzv: files.names?.bzv ?? "bzv", bzz: files.names?.bzz ?? "bzz" };
  const blocks = parseZTextBlockIndex(files.bzs, names.bzs);
  const entries = parseZTextVerseIndex(files.bzv, names.bzv);
  const inflated = new Map<number, Uint8Array>();
  const block = (b: number, entry: number): Uint8Array => {
    const cached = inflated.get(b);
    if (cached) return cached;
    if (b >= blocks.length) throw new Error(`${names.bzv}: entry ${entry} points to block ${b}, but ${names.bzs} has ${blocks.length} blocks`);
    const { offset, compressedSize, size } = blocks[b];
    if (offset + compressedSize > files.bzz.length) {
      throw new Error(`${names.bzs}: block ${b} spans bytes ${offset}..${offset + compressedSize} but ${names.bzz} has ${files.bzz.length} bytes (truncated?)`);
    }
    let data: Uint8Array;
    try {
      data = zlib.inflateSync(files.bzz.subarray(offset, offset + compressedSize));
    } catch (e) {
      throw new Error(`${names.bzz}: block ${b} (bytes ${offset}..${offset + compressedSize}) is not valid zlib data: ${(e as Error).message}`);
    }
    if (data.length !== size) throw new Error(`${names.bzz}: block ${b} inflates to ${data.length} bytes, ${names.bzs} says ${size}`);
    inflated.set(b, data);
    return data;
  };
  return entries.map((e, i) => {
    if (e.size === 0) return "";
    const data = block(e.block, i);
    if (e.offset + e.size > data.length) {
      throw new Error(`${names.bzv}: entry ${i} reads bytes ${e.offset}..${e.offset + e.size} of block ${e.block}, which has ${data.length}`);
    }
    try {
      return UTF8.decode(data.subarray(e.offset, e.offset + e.size));
    } catch {
      throw new Error(`${names.bzz}: entry ${i} (block ${e.block}) is not valid UTF-8`);
    }
  });
}

/** A verse of a module, with its raw text (markup included). */
export interface ModuleVerse extends VerseSlot {
  raw: string;
}

/**
 * Puts one testament's decoded entries (from decodeZText) at their verses. The entry count must match
 * the versification exactly, else the index and the versification disagree.
 */
export function versesOfTestament(entries: readonly string[], testamentBooks: readonly CanonBook[], label: string): ModuleVerse[] {
  const { slots, entries: expected } = testamentLayout(testamentBooks);
  if (entries.length !== expected) {
    throw new Error(`${label}: ${entries.length} verse-index entries, the versification needs ${expected} (wrong versification or truncated index)`);
  }
  return slots.map((s) => ({ ...s, raw: entries[s.index] }));
}

// ---------------------------------------------------------------------------
// SWORD module configuration (mods.d/*.conf)
// ---------------------------------------------------------------------------

/** A parsed mods.d/*.conf: the module name and its keys (a repeated key keeps every value). */
export interface SwordConf {
  name: string;
  values: Record<string, string[]>;
}

/** Parses a SWORD .conf file ("[Name]" then "Key=Value" lines; a trailing backslash continues a value). */
export function parseSwordConf(text: string, file = "conf"): SwordConf {
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  let name: string | undefined;
  const values: Record<string, string[]> = {};
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === "" || line.trimStart().startsWith("#")) continue;
    const section = /^\s*\[([^\]]+)\]\s*$/.exec(line);
    if (section) {
      if (name !== undefined) throw new Error(`${file} line ${i + 1}: a second module section [${section[1]}]`);
      name = section[1];
      continue;
    }
    const eq = line.indexOf("=");
    if (eq <= 0) throw new Error(`${file} line ${i + 1}: expected Key=Value, found ${JSON.stringify(line.slice(0, 80))}`);
    if (name === undefined) throw new Error(`${file} line ${i + 1}: Key=Value before the [ModuleName] line`);
    const key = line.slice(0, eq).trim();
    let value = line.slice(eq + 1);
    while (value.endsWith("\\") && i + 1 < lines.length) value = value.slice(0, -1) + "\n" + lines[++i];
    (values[key] ??= []).push(value.trim());
  }
  if (name === undefined) throw new Error(`${file}: no [ModuleName] section`);
  return { name, values };
}

/** The first value of a conf key, or `fallback` (SWORD's default) when absent. */
export function confValue(conf: SwordConf, key: string, fallback?: string): string | undefined {
  return conf.values[key]?.[0] ?? fallback;
}

/** Markup languages of SWORD text modules (`SourceType=`). */
export type SwordSourceType = "OSIS" | "ThML" | "GBF" | "Plain";

/** A zText module read from disk: its conf, versification, markup, and every verse's raw text. */
export interface ZTextModule {
  conf: SwordConf;
  versification: Versification;
  sourceType: SwordSourceType;
  verses: ModuleVerse[];
}

/**
 * Reads a zText module installed under `swordRoot` (the folder holding mods.d/ and modules/) from its
 * conf file. Checks ModDrv=zText, CompressType=ZIP, UTF-8 and a supported versification and markup.
 */
export function readZTextModule(swordRoot: string, confFile: string): ZTextModule {
  if (!fs.existsSync(confFile)) throw new Error(`${confFile}: no such module conf`);
  const conf = parseSwordConf(fs.readFileSync(confFile, "utf8"), confFile);
  const need = (key: string, ok: readonly string[], fallback?: string): string => {
    const v = confValue(conf, key, fallback);
    if (v === undefined || !ok.some((o) => o.toLowerCase() === v.toLowerCase())) {
      throw new Error(`${confFile}: ${key}=${v ?? "(missing)"} is not supported (expected ${ok.join(" or ")})`);
    }
    return ok.find((o) => o.toLowerCase() === v.toLowerCase())!;
  };
  need("ModDrv", ["zText"]);
  need("CompressType", ["ZIP"], "LZSS");
  need("Encoding", ["UTF-8"], "Latin-1");
  if (confValue(conf, "CipherKey")) throw new Error(`${confFile}: the module is enciphered (CipherKey), not supported`);
  const sourceType = need("SourceType", ["OSIS", "ThML", "GBF", "Plain"], "Plain") as SwordSourceType;
  const versification = getVersification(confValue(conf, "Versification", "KJV")!);
  const dataPath = confValue(conf, "DataPath");
  if (!dataPath) throw new Error(`${confFile}: no DataPath`);
  const dir = path.resolve(swordRoot, dataPath);
  const verses: ModuleVerse[] = [];
  for (const t of ["ot", "nt"] as const) {
    const names = { bzs: path.join(dir, `${t}.bzs`), bzv: path.join(dir, `${t}.bzv`), bzz: path.join(dir, `${t}.bzz`) };
    const present = Object.values(names).filter((f) => fs.existsSync(f));
    if (present.length === 0) continue; // a New-Testament-only module has no ot.* files
    if (present.length < 3) {
      const found = present.map((f) => path.basename(f)).join(", ");
      throw new Error(`${dir}: ${t}.bzs, ${t}.bzv and ${t}.bzz must all be present, found only ${found}`);
    }
    const entries = decodeZText({ bzs: fs.readFileSync(names.bzs), bzv: fs.readFileSync(names.bzv), bzz: fs.readFileSync(names.bzz), names });
    verses.push(...versesOfTestament(entries, versification[t], `${names.bzv} (${versification.name} versification)`));
  }
  if (verses.length === 0) throw new Error(`${dir}: no ot.* or nt.* zText files`);
  return { conf, versification, sourceType, verses };
}

// ---------------------------------------------------------------------------
// Markup stripping
// ---------------------------------------------------------------------------

/** OSIS elements dropped with their content: notes (footnotes, cross-references), headings, speaker labels. */
const OSIS_DROPPED = new Set(["note", "title", "speaker"]);
/** OSIS div types that are not Bible text (a module appends its glossary to the last verse of Revelation). */
const OSIS_NON_TEXT_DIVS = new Set(["front", "back", "introduction", "glossary", "preface", "titlePage", "colophon", "index", "bibliography"]);
/** OSIS elements that separate text (poetry lines, paragraphs, line breaks): a space, not nothing. */
const OSIS_BREAKS = new Set(["l", "lg", "p", "div", "lb", "br", "list", "item", "chapter", "verse", "milestone", "row", "cell", "table"]);

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " " };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[A-Za-z]+);/g, (m, e: string) => {
    if (e[0] === "#") {
      const code = e[1] === "x" || e[1] === "X" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : m;
    }
    return ENTITIES[e] ?? m;
  });
}

/** Marks where dropped content was, so that words on either side are not glued together. */
const GAP = "\u0000";

function tidy(text: string): string {
  return decodeEntities(text)
    .replace(/¶/g, " ")
    .replace(/[ \t\r\n\u00a0]*\u0000[\s\u0000]*/g, (m, offset: number, whole: string) => {
      // A gap is a space, but none before closing punctuation, and a bare gap (no whitespace around it) only
      // before a word or an opening mark: "God<note/>created" -> "God created", "coins <note/> ?" -> "coins?".
      const next = whole[offset + m.length] ?? "";
      const prev = offset > 0 ? whole[offset - 1] : "";
      if (/^[,.;:!?’”)\]]/.test(next)) return "";
      if (/[\s\u00a0]/.test(m)) return " ";
      return prev !== "" && /[\p{L}\p{N}“‘(\[]/u.test(next) && !/[(\[“‘]/.test(prev) ? " " : "";
    })
    .replace(/\s+/g, " ")
    .trim();
}

function attr(attributes: string, name: string): string | undefined {
  const m = new RegExp(`\\s${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`).exec(attributes);
  return m ? (m[1] ?? m[2]) : undefined;
}

const PREVERSE_START = /<div\b[^>]*\bsubType="x-preverse"[^>]*\bsID="[^"]*"[^>]*\/>/g;

/**
 * Cuts from an OSIS entry the verses that osis2mod merged into it because the module's versification
 * lacks them: text that follows a new verse's start (an x-preverse milestone) after text of this verse.
 * (The WEB's Romans 14:24-26, absent from NRSVA, sit at the end of its Romans 14:23.) Returns the entry
 * unchanged when nothing was merged.
 */
export function cutMergedVerses(osis: string): string {
  for (const m of osis.matchAll(PREVERSE_START)) {
    const at = m.index ?? 0;
    if (at === 0) continue;
    try {
      if (stripOsis(osis.slice(0, at)) !== "" && stripOsis(osis.slice(at)) !== "") return osis.slice(0, at);
    } catch {
      // a milestone inside a note or heading: not a verse start
    }
  }
  return osis;
}

/**
 * Plain text of an OSIS verse: words of <w>, <transChange>, <q>, <divineName>, <seg>... kept; <note>,
 * <title> and <speaker> dropped with their content, as are introductions and glossaries and whatever
 * follows the end of a book; poetry lines and paragraphs become spaces; pilcrows removed; whitespace
 * collapsed. Throws on an unclosed dropped element or a stray "<".
 */
export function stripOsis(osis: string): string {
  const re = /<(\/?)([A-Za-z][\w:.-]*)((?:\s+[^<>]*?)?)\s*(\/?)>/gy;
  let out = "";
  let dropDepth = 0;
  let skipUntilEid: string | undefined;
  const open: string[] = [];
  let i = 0;
  while (i < osis.length) {
    const lt = osis.indexOf("<", i);
    const textEnd = lt < 0 ? osis.length : lt;
    if (dropDepth === 0 && skipUntilEid === undefined) out += osis.slice(i, textEnd);
    if (lt < 0) break;
    re.lastIndex = lt;
    const m = re.exec(osis);
    if (!m) throw new Error(`malformed markup at character ${lt}: ${JSON.stringify(osis.slice(lt, lt + 40))}`);
    i = re.lastIndex;
    const [, closing, tagName, attributes, selfClosing] = m;
    const tag = tagName.toLowerCase();
    if (tag === "div" && selfClosing) {
      // Milestone divs: after the end of a book comes other matter (the WEB's glossary); non-text divs
      // (introductions, glossaries) are dropped up to their end milestone.
      const type = attr(attributes, "type");
      const eID = attr(attributes, "eID");
      if (skipUntilEid !== undefined) {
        if (eID === skipUntilEid) skipUntilEid = undefined;
        continue;
      }
      if (type === "book" && eID !== undefined) break;
      const sID = attr(attributes, "sID");
      if (type !== undefined && OSIS_NON_TEXT_DIVS.has(type) && sID !== undefined) {
        skipUntilEid = sID;
        out += GAP;
        continue;
      }
    }
    if (skipUntilEid !== undefined) continue;
    if (OSIS_DROPPED.has(tag) && !selfClosing) {
      if (closing) {
        if (open.length === 0 || open[open.length - 1] !== tag) throw new Error(`</${tagName}> without a matching <${tagName}>`);
        open.pop();
        if (--dropDepth === 0) out += GAP;
      } else {
        open.push(tag);
        dropDepth++;
      }
      continue;
    }
    if (dropDepth > 0) continue;
    if (OSIS_BREAKS.has(tag)) out += " ";
  }
  if (dropDepth > 0) throw new Error(`unclosed <${open[open.length - 1]}> (its content would swallow the rest of the verse)`);
  return tidy(out);
}

/** Plain text of a ThML verse: <note> and <scripRef> dropped with their content, other tags removed. */
export function stripThml(thml: string): string {
  let text = thml.replace(/<note\b[^>]*>[\s\S]*?<\/note>/gi, GAP).replace(/<scripRef\b[^>]*>[\s\S]*?<\/scripRef>/gi, GAP);
  text = text.replace(/<\/?(?:p|br|div|l|lg)\b[^>]*>/gi, " ").replace(/<[^<>]*>/g, "");
  if (/[<>]/.test(text.replace(/&[lg]t;/g, ""))) throw new Error(`malformed ThML: ${JSON.stringify(thml.slice(0, 80))}`);
  return tidy(text);
}

/** Plain text of a GBF verse: footnotes <RF>...<Rf> and titles <TS>...<Ts> dropped, other <..> tokens removed. */
export function stripGbf(gbf: string): string {
  let text = gbf.replace(/<RF>[\s\S]*?<Rf>/g, GAP).replace(/<TS>[\s\S]*?<Ts>/g, GAP);
  text = text.replace(/<C[LM]>/g, " ").replace(/<[A-Z][^<>]*>/g, "");
  if (/[<>]/.test(text)) throw new Error(`malformed GBF: ${JSON.stringify(gbf.slice(0, 80))}`);
  return tidy(text);
}

/** Plain text of a verse in a module's markup (`SourceType=`). */
export function stripMarkup(raw: string, sourceType: SwordSourceType): string {
  switch (sourceType) {
    case "OSIS":
      return stripOsis(raw);
    case "ThML":
      return stripThml(raw);
    case "GBF":
      return stripGbf(raw);
    case "Plain":
      return tidy(raw);
  }
}

// ---------------------------------------------------------------------------
// Parallel verses (data/bible)
// ---------------------------------------------------------------------------

/** One verse in both translations, as stored in data/bible/verses.jsonl.gz. */
export interface BibleVerse {
  book: string;
  chapter: number;
  verse: number;
  /** King James Version (1769 text). */
  kjv: string;
  /** World English Bible. */
  web: string;
}

/** A verse's plain text in one translation. */
export interface VerseText extends VerseRef {
  text: string;
}

/** Key of a verse address ("John 3:16"). */
export function verseKey(r: VerseRef): string {
  return `${r.book} ${r.chapter}:${r.verse}`;
}

/**
 * Pairs two translations verse by verse on (book, chapter, verse), in the order of `kjv`, keeping only the
 * verses whose text is non-empty in both. Also counts what was left out of each side.
 */
export function alignBibleVerses(
  kjv: readonly VerseText[],
  web: readonly VerseText[],
): { rows: BibleVerse[]; onlyKjv: string[]; onlyWeb: string[] } {
  const webByKey = new Map<string, string>();
  for (const w of web) if (w.text !== "") webByKey.set(verseKey(w), w.text);
  const rows: BibleVerse[] = [];
  const onlyKjv: string[] = [];
  const used = new Set<string>();
  for (const k of kjv) {
    if (k.text === "") continue;
    const key = verseKey(k);
    const w = webByKey.get(key);
    if (w === undefined) {
      onlyKjv.push(key);
      continue;
    }
    used.add(key);
    rows.push({ book: k.book, chapter: k.chapter, verse: k.verse, kjv: k.text, web: w });
  }
  const onlyWeb = [...webByKey.keys()].filter((key) => !used.has(key));
  return { rows, onlyKjv, onlyWeb };
}

/** The command that regenerates data/bible. */
export const PREPARE_BIBLE_COMMAND = "npx tsx scripts/data/prepare-bible.ts";

const BOOK_SET = new Set(BIBLE_BOOKS);

function bibleVerseRow(row: TableRow): BibleVerse {
  const { book, chapter, verse, kjv, web } = row;
  if (typeof book !== "string" || !BOOK_SET.has(book)) throw new Error(`field 'book' must be a book of the KJV canon, found ${JSON.stringify(book)}`);
  for (const [k, v] of [["chapter", chapter], ["verse", verse]] as const) {
    if (typeof v !== "number" || !Number.isInteger(v) || v < 1) throw new Error(`field '${k}' must be a positive integer, found ${JSON.stringify(v)}`);
  }
  for (const [k, v] of [["kjv", kjv], ["web", web]] as const) {
    if (typeof v !== "string" || v === "") throw new Error(`field '${k}' must be a non-empty string, found ${JSON.stringify(v)}`);
  }
  return { book, chapter: chapter as number, verse: verse as number, kjv: kjv as string, web: web as string };
}

/**
 * The parallel verses shipped in data/bible (KJV and WEB, 31,095 verses of the 66 books, canonical
 * order). `dir` defaults to the data folder's bible/ ($HOLLM_DATA_DIR or the repository's data/).
 */
export function loadBibleVerses(dir: string = path.join(dataDir(), "bible")): BibleVerse[] {
  const file = path.join(dir, "verses.jsonl.gz");
  if (!fs.existsSync(file)) throw new Error(`Bible verses not found: no file ${file}. Regenerate them with '${PREPARE_BIBLE_COMMAND}'`);
  return loadTable(file, { format: "jsonl" }).map((row, i) => {
    try {
      return bibleVerseRow(row);
    } catch (e) {
      throw new Error(`${file} row ${i + 1}: ${(e as Error).message}`);
    }
  });
}

function checkBooks(names: readonly string[], what: string): Set<string> {
  const unknown = names.filter((b) => !BOOK_SET.has(b));
  if (unknown.length > 0) {
    const list = unknown.map((b) => JSON.stringify(b)).join(", ");
    throw new Error(`${what}: unknown book${unknown.length > 1 ? "s" : ""} ${list} (books are named as in BIBLE_BOOKS, e.g. "Luke", "1 Corinthians", "Song of Solomon")`);
  }
  return new Set(names);
}

function rowsOfBooks(rows: readonly BibleVerse[], books: readonly string[] | undefined, what: string): readonly BibleVerse[] {
  if (books === undefined) return rows;
  const keep = checkBooks(books, what);
  const out = rows.filter((r) => keep.has(r.book));
  if (out.length === 0) throw new Error(`${what}: no verses of ${books.join(", ")} in these rows`);
  return out;
}

/** Books held out of training by default for evaluation: Luke (a gospel) and Romans (an epistle). */
export const BIBLE_HELD_OUT_BOOKS: readonly string[] = ["Luke", "Romans"];

/** Splits verses by book: `test` holds the held-out books, `train` every other book. */
export function splitBibleBooks(
  rows: readonly BibleVerse[],
  options: { heldOut?: readonly string[] } = {},
): { train: BibleVerse[]; test: BibleVerse[] } {
  const heldOut = options.heldOut ?? BIBLE_HELD_OUT_BOOKS;
  if (heldOut.length === 0) throw new Error("splitBibleBooks: heldOut names no book");
  const held = checkBooks(heldOut, "splitBibleBooks heldOut");
  const train: BibleVerse[] = [];
  const test: BibleVerse[] = [];
  for (const r of rows) (held.has(r.book) ? test : train).push(r);
  const missing = heldOut.filter((b) => !test.some((r) => r.book === b));
  if (missing.length > 0) {
    const plural = missing.length > 1;
    throw new Error(`splitBibleBooks: held-out book${plural ? "s" : ""} ${missing.join(", ")} ha${plural ? "ve" : "s"} no verses in these rows`);
  }
  return { train, test };
}

/** A paraphrase pair for MultipleNegativesRankingLoss: the KJV verse and the same verse in the WEB. */
export interface ParaphrasePair {
  anchor: string;
  positive: string;
}

/** One (anchor: KJV, positive: WEB) pair per verse, optionally only of some `books`. */
export function bibleParaphrasePairs(rows: readonly BibleVerse[], options: { books?: readonly string[] } = {}): ParaphrasePair[] {
  return rowsOfBooks(rows, options.books, "bibleParaphrasePairs books").map((r) => ({ anchor: r.kjv, positive: r.web }));
}

/** Similarity levels of verse pairs, highest first: same verse, neighbouring verse, same book, other book. */
export const BIBLE_SIMILARITY_LEVELS = [5, 3, 1, 0] as const;
export type BibleSimilarityLevel = (typeof BIBLE_SIMILARITY_LEVELS)[number];

/**
 * The similarity level of two verse addresses: 5 the same verse, 3 neighbours (same chapter, verse numbers
 * 1 apart), 1 the same book in another chapter, 0 different books; null for verses of the same chapter
 * further apart (no level: never sampled).
 */
export function bibleSimilarityLevel(a: VerseRef, b: VerseRef): BibleSimilarityLevel | null {
  if (a.book !== b.book) return 0;
  if (a.chapter !== b.chapter) return 1;
  const d = Math.abs(a.verse - b.verse);
  return d === 0 ? 5 : d === 1 ? 3 : null;
}

/** A graded similarity pair (sentence-transformers' STS columns) with the verses it came from. */
export interface BibleSimilarityPair {
  /** KJV text of `ref1`. */
  sentence1: string;
  /** WEB text of `ref2`. */
  sentence2: string;
  /** level / 5, in [0, 1]. */
  score: number;
  level: BibleSimilarityLevel;
  ref1: VerseRef;
  ref2: VerseRef;
}

export interface BibleSimilarityOptions {
  /** Draw verses only from these books (both sides of every pair); default all rows. */
  books?: readonly string[];
  /** Number of pairs, split evenly over the four levels (the first levels get the remainder). */
  n: number;
  seed?: number;
}

/**
 * Graded similarity pairs, balanced over the four levels of bibleSimilarityLevel: sentence1 is always a
 * KJV verse and sentence2 a WEB verse, so that the score depends on content, not on the translation.
 * Pairs are distinct, drawn uniformly over verses with a seeded Rng, returned shuffled.
 */
export function bibleSimilarityPairs(rows: readonly BibleVerse[], options: BibleSimilarityOptions): BibleSimilarityPair[] {
  const { n, seed = 42 } = options;
  if (!Number.isInteger(n) || n < 1) throw new Error(`bibleSimilarityPairs: n must be a positive integer, got ${n}`);
  const pool = rowsOfBooks(rows, options.books, "bibleSimilarityPairs books");
  if (pool.length === 0) throw new Error("bibleSimilarityPairs: no verses");
  const byKey = new Map<string, BibleVerse>();
  const byBook = new Map<string, BibleVerse[]>();
  for (const r of pool) {
    byKey.set(verseKey(r), r);
    const list = byBook.get(r.book);
    if (list) list.push(r);
    else byBook.set(r.book, [r]);
  }
  const neighbours = (r: BibleVerse): BibleVerse[] =>
    [r.verse - 1, r.verse + 1]
      .map((v) => byKey.get(verseKey({ book: r.book, chapter: r.chapter, verse: v })))
      .filter((x): x is BibleVerse => x !== undefined);
  if (byBook.size < 2) {
    throw new Error(`bibleSimilarityPairs: level 0 (different books) needs verses of at least 2 books, these rows have ${[...byBook.keys()].join(", ")}`);
  }
  if (![...byBook.values()].some((list) => list.some((r) => r.chapter !== list[0].chapter))) {
    throw new Error("bibleSimilarityPairs: level 1 (same book, other chapter) needs a book with verses in at least 2 chapters");
  }
  if (!pool.some((r) => neighbours(r).length > 0)) {
    throw new Error("bibleSimilarityPairs: level 3 (neighbouring verses) needs two consecutive verses of one chapter");
  }

  const rng = new Rng(seed);
  const pick = <T>(items: readonly T[]): T => items[rng.int(items.length)];
  const out: BibleSimilarityPair[] = [];
  const seen = new Set<string>();
  BIBLE_SIMILARITY_LEVELS.forEach((level, li) => {
    const want = Math.floor(n / 4) + (li < n % 4 ? 1 : 0);
    let got = 0;
    const maxTries = 50 * want + 1000;
    for (let tries = 0; got < want && tries < maxTries; tries++) {
      const a = pick(pool);
      const b = partner(a, level);
      if (!b) continue;
      const key = `${verseKey(a)}|${verseKey(b)}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ sentence1: a.kjv, sentence2: b.web, score: level / 5, level, ref1: refOf(a), ref2: refOf(b) });
      got++;
    }
    if (got < want) throw new Error(`bibleSimilarityPairs: only ${got} distinct level-${level} pairs could be drawn from these verses, ${want} asked (lower n)`);
  });
  return rng.shuffle(out);

  /** A verse at `level` from `a`, or undefined when this draw misses (rejection sampling). */
  function partner(a: BibleVerse, level: BibleSimilarityLevel): BibleVerse | undefined {
    switch (level) {
      case 5:
        return a;
      case 3: {
        const near = neighbours(a);
        return near.length > 0 ? pick(near) : undefined;
      }
      case 1: {
        const b = pick(byBook.get(a.book)!);
        return b.chapter !== a.chapter ? b : undefined;
      }
      case 0: {
        const b = pick(pool);
        return b.book !== a.book ? b : undefined;
      }
    }
  }
}

function refOf(r: VerseRef): VerseRef {
  return { book: r.book, chapter: r.chapter, verse: r.verse };
}
