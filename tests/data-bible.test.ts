import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as zlib from "zlib";
import * as crypto from "crypto";
import {
  BIBLE_BOOKS,
  BIBLE_HELD_OUT_BOOKS,
  KJV_VERSIFICATION,
  NRSVA_VERSIFICATION,
  alignBibleVerses,
  bibleParaphrasePairs,
  bibleSimilarityLevel,
  bibleSimilarityPairs,
  cutMergedVerses,
  decodeZText,
  loadBibleVerses,
  parseSwordConf,
  readZTextModule,
  splitBibleBooks,
  stripGbf,
  stripOsis,
  stripThml,
  testamentLayout,
  versesOfTestament,
  type BibleVerse,
  type CanonBook,
} from "../lib/data/bible";

// ---------------------------------------------------------------------------
// A tiny zText module made by hand
// ---------------------------------------------------------------------------

/** One book, chapters of 2 and 1 verses: entries 0 module, 1 testament, 2 book, 3 ch. 1, 4-5 verses, 6 ch. 2, 7 verse. */
const TINY_BOOKS: CanonBook[] = [{ name: "Tiny", osis: "Tiny", versesPerChapter: [2, 1] }];

const BLOCK0 = "In the <w lemma=\"strong:H7225\">beginning</w>.¶ And <transChange type=\"added\">it was</transChange> good.";
const BLOCK1 = "<chapter n=\"2\"/>Second<note placement=\"foot\">a note</note> chapter.";

function u32(...values: number[]): Buffer {
  const b = Buffer.alloc(4 * values.length);
  values.forEach((v, i) => b.writeUInt32LE(v, 4 * i));
  return b;
}

/** A verse-index entry: uint32 block, uint32 offset, uint16 size. */
function entry(block: number, offset: number, size: number): Buffer {
  const b = Buffer.alloc(10);
  b.writeUInt32LE(block, 0);
  b.writeUInt32LE(offset, 4);
  b.writeUInt16LE(size, 8);
  return b;
}

function tinyFiles(): { bzs: Buffer; bzv: Buffer; bzz: Buffer } {
  const raw0 = Buffer.from(BLOCK0, "utf8");
  const raw1 = Buffer.from(BLOCK1, "utf8");
  const z0 = zlib.deflateSync(raw0);
  const z1 = zlib.deflateSync(raw1);
  const bzz = Buffer.concat([z0, z1]);
  const bzs = Buffer.concat([u32(0, z0.length, raw0.length), u32(z0.length, z1.length, raw1.length)]);
  const verse1 = Buffer.byteLength('In the <w lemma="strong:H7225">beginning</w>.', "utf8");
  const chapter2 = Buffer.byteLength('<chapter n="2"/>', "utf8");
  const bzv = Buffer.concat([
    entry(0, 0, 0), // module heading (empty)
    entry(0, 0, 0), // testament heading
    entry(0, 0, 0), // book heading
    entry(0, 0, 0), // chapter 1 heading
    entry(0, 0, verse1), // 1:1
    entry(0, verse1, raw0.length - verse1), // 1:2 (the pilcrow is 2 bytes of UTF-8)
    entry(1, 0, chapter2), // chapter 2 heading
    entry(1, chapter2, raw1.length - chapter2), // 2:1
  ]);
  return { bzs, bzv, bzz };
}

describe("zText decoding (hand-made module)", () => {
  test("the layout puts headings before books and chapters", () => {
    const { slots, entries } = testamentLayout(TINY_BOOKS);
    assert.equal(entries, 8);
    assert.deepEqual(
      slots.map((s) => [s.chapter, s.verse, s.index]),
      [
        [1, 1, 4],
        [1, 2, 5],
        [2, 1, 7],
      ],
    );
  });

  test("decodes every entry to its exact text, then to plain verses", () => {
    const entries = decodeZText(tinyFiles());
    assert.deepEqual(entries, [
      "",
      "",
      "",
      "",
      'In the <w lemma="strong:H7225">beginning</w>.',
      '¶ And <transChange type="added">it was</transChange> good.',
      '<chapter n="2"/>',
      'Second<note placement="foot">a note</note> chapter.',
    ]);
    const verses = versesOfTestament(entries, TINY_BOOKS, "tiny");
    assert.deepEqual(
      verses.map((v) => [v.book, v.chapter, v.verse, stripOsis(v.raw)]),
      [
        ["Tiny", 1, 1, "In the beginning."],
        ["Tiny", 1, 2, "And it was good."],
        ["Tiny", 2, 1, "Second chapter."],
      ],
    );
    assert.throws(() => versesOfTestament(entries.slice(0, 7), TINY_BOOKS, "tiny.bzv"), /tiny\.bzv: 7 verse-index entries, the versification needs 8/);
  });

  test("malformed files give errors naming the file and the problem", () => {
    const f = tinyFiles();
    const names = { bzs: "x/ot.bzs", bzv: "x/ot.bzv", bzz: "x/ot.bzz" };
    assert.throws(() => decodeZText({ ...f, bzv: f.bzv.subarray(0, f.bzv.length - 3), names }), /x\/ot\.bzv: 77 bytes is not a multiple of 10.*truncated/);
    assert.throws(() => decodeZText({ ...f, bzs: f.bzs.subarray(0, 20), names }), /x\/ot\.bzs: 20 bytes is not a multiple of 12/);
    assert.throws(() => decodeZText({ ...f, bzv: Buffer.alloc(0), names }), /x\/ot\.bzv: empty verse index/);
    assert.throws(() => decodeZText({ ...f, bzz: f.bzz.subarray(0, f.bzz.length - 5), names }), /x\/ot\.bzs: block 1 spans bytes .* but x\/ot\.bzz has .* \(truncated\?\)/);
    const garbled = Buffer.from(f.bzz);
    garbled.fill(0x55, 0, 8);
    assert.throws(() => decodeZText({ ...f, bzz: garbled, names }), /x\/ot\.bzz: block 0 .* is not valid zlib data/);
    const badBlock = Buffer.concat([f.bzv.subarray(0, 40), entry(7, 0, 3), f.bzv.subarray(50)]);
    assert.throws(() => decodeZText({ ...f, bzv: badBlock, names }), /x\/ot\.bzv: entry 4 points to block 7, but x\/ot\.bzs has 2 blocks/);
    const overrun = Buffer.concat([f.bzv.subarray(0, 40), entry(0, 10, 5000), f.bzv.subarray(50)]);
    assert.throws(() => decodeZText({ ...f, bzv: overrun, names }), /x\/ot\.bzv: entry 4 reads bytes 10\.\.5010 of block 0/);
    const wrongSize = Buffer.from(f.bzs);
    wrongSize.writeUInt32LE(999, 8);
    assert.throws(() => decodeZText({ ...f, bzs: wrongSize, names }), /x\/ot\.bzz: block 0 inflates to \d+ bytes, x\/ot\.bzs says 999/);
  });

  describe("readZTextModule from a module folder", () => {
    let root = "";
    before(() => {
      root = fs.mkdtempSync(path.join(os.tmpdir(), "hollm-bible-test-"));
      fs.mkdirSync(path.join(root, "mods.d"));
      const dir = path.join(root, "modules", "texts", "ztext", "tiny");
      fs.mkdirSync(dir, { recursive: true });
      // A whole KJV-versification Old Testament is too big to write by hand, so these tests only go as far
      // as the entry-count check, which needs the real layout.
      const f = tinyFiles();
      fs.writeFileSync(path.join(dir, "ot.bzs"), f.bzs);
      fs.writeFileSync(path.join(dir, "ot.bzv"), f.bzv.subarray(0, 75));
      fs.writeFileSync(path.join(dir, "ot.bzz"), f.bzz);
      const conf = (extra: string) => `[Tiny]\nDataPath=./modules/texts/ztext/tiny/\nModDrv=zText\nCompressType=ZIP\nEncoding=UTF-8\nSourceType=OSIS\n${extra}`;
      fs.writeFileSync(path.join(root, "mods.d", "tiny.conf"), conf("Versification=KJV\n"));
      fs.writeFileSync(path.join(root, "mods.d", "odd.conf"), conf("Versification=Klingon\n"));
      fs.writeFileSync(path.join(root, "mods.d", "lzss.conf"), conf("").replace("CompressType=ZIP", "CompressType=LZSS"));
    });
    after(() => fs.rmSync(root, { recursive: true, force: true }));

    test("a truncated verse index is reported with its path", () => {
      assert.throws(() => readZTextModule(root, path.join(root, "mods.d", "tiny.conf")), (e: Error) => {
        assert.match(e.message, /ot\.bzv: 75 bytes is not a multiple of 10/);
        assert.ok(e.message.includes(path.join(root, "modules", "texts", "ztext", "tiny", "ot.bzv")));
        return true;
      });
    });

    test("unsupported settings in the conf are named", () => {
      assert.throws(() => readZTextModule(root, path.join(root, "mods.d", "odd.conf")), /Unsupported versification 'Klingon' \(supported: KJV, NRSVA\)/);
      assert.throws(() => readZTextModule(root, path.join(root, "mods.d", "lzss.conf")), /CompressType=LZSS is not supported \(expected ZIP\)/);
      assert.throws(() => readZTextModule(root, path.join(root, "mods.d", "none.conf")), /no such module conf/);
    });
  });

  test("parseSwordConf reads sections, repeated keys and continued lines", () => {
    const conf = parseSwordConf("# comment\n[KJV]\nA=1\nGlobalOptionFilter=X\nGlobalOptionFilter=Y\nAbout=one\\\ntwo\n", "k.conf");
    assert.equal(conf.name, "KJV");
    assert.deepEqual(conf.values, { A: ["1"], GlobalOptionFilter: ["X", "Y"], About: ["one\ntwo"] });
    assert.throws(() => parseSwordConf("A=1\n", "k.conf"), /k\.conf line 1: Key=Value before the \[ModuleName\] line/);
    assert.throws(() => parseSwordConf("[K]\nnonsense\n", "k.conf"), /k\.conf line 2: expected Key=Value/);
  });

  test("versification tables match the real modules' index sizes and the KJV verse count", () => {
    // Index sizes of the Debian modules: engKJV2006eb ot.bzv 241,150 and nt.bzv 82,460 bytes,
    // engWEB2015eb ot.bzv 310,270 and nt.bzv 82,480 bytes, 10 bytes per entry.
    assert.equal(testamentLayout(KJV_VERSIFICATION.ot).entries, 24115);
    assert.equal(testamentLayout(KJV_VERSIFICATION.nt).entries, 8246);
    assert.equal(testamentLayout(NRSVA_VERSIFICATION.ot).entries, 31027);
    assert.equal(testamentLayout(NRSVA_VERSIFICATION.nt).entries, 8248);
    const verses = (books: readonly CanonBook[]) => books.reduce((a, b) => a + b.versesPerChapter.reduce((x, y) => x + y, 0), 0);
    assert.equal(verses(KJV_VERSIFICATION.ot), 23145);
    assert.equal(verses(KJV_VERSIFICATION.nt), 7957);
    assert.equal(KJV_VERSIFICATION.ot.reduce((a, b) => a + b.versesPerChapter.length, 0) + KJV_VERSIFICATION.nt.reduce((a, b) => a + b.versesPerChapter.length, 0), 1189);
    assert.equal(BIBLE_BOOKS.length, 66);
  });
});

// ---------------------------------------------------------------------------
// Markup
// ---------------------------------------------------------------------------

describe("markup stripping", () => {
  test("OSIS: words kept, notes and titles dropped, lines spaced, pilcrows and entities handled", () => {
    assert.equal(stripOsis('<w lemma="strong:H0430">God</w> <w lemma="strong:H1254">created</w>.'), "God created.");
    assert.equal(stripOsis('darkness <transChange type="added">was</transChange> upon the deep'), "darkness was upon the deep");
    // a note glued between two words leaves one space; before punctuation none
    assert.equal(stripOsis('<w>God</w><note placement="foot"><reference type="annotateRef">1:1 </reference>The Hebrew “אֱלֹהִ֑ים”.</note><w>created</w>'), "God created");
    assert.equal(stripOsis('<q>coins</q> <note placement="foot">An assarion…</note> <q>? Not one</q>'), "coins? Not one");
    assert.equal(stripOsis('light.<note placement="foot">Heb. between</note> <div eID="gen4" type="x-p"/>'), "light.");
    assert.equal(stripOsis('<title type="psalm">A Psalm of <w>David</w>.</title> <lg sID="a"/><l sID="b"/><divineName>LORD</divineName>, how<l eID="b"/><l sID="c"/>Many are they<l eID="c"/>'), "LORD, how Many are they");
    assert.equal(stripOsis("¶ Tom &amp; Jerry &#8217;&#x2019; &lt;x&gt;"), "Tom & Jerry ’’ <x>");
    assert.equal(stripOsis('<speaker>Beloved</speaker> Let him kiss me'), "Let him kiss me");
    assert.equal(
      stripOsis('Amen. <chapter eID="Rev.22"/><div canonical="true" eID="g1" osisID="Rev" type="book"/> <div sID="g2" type="glossary"/> Abaddon is Hebrew'),
      "Amen.",
    );
    assert.equal(stripOsis('Amen. <div eID="g1" osisID="Rev" type="book"/> Back matter without a div'), "Amen.");
    assert.equal(stripOsis('Before <div sID="i1" type="introduction"/>intro text<div eID="i1" type="introduction"/> after'), "Before after");
    assert.equal(stripOsis(""), "");
  });

  test("OSIS: malformed markup is an error, not garbage", () => {
    assert.throws(() => stripOsis("a <note>never closed"), /unclosed <note>/);
    assert.throws(() => stripOsis("a </note> b"), /<\/note> without a matching <note>/);
    assert.throws(() => stripOsis("a < b"), /malformed markup at character 2/);
  });

  test("cutMergedVerses drops a following verse merged into this one", () => {
    const merged =
      'is sin. <div eID="g1" type="x-p"/> <div type="x-milestone" subType="x-preverse" sID="pv1"/><div sID="g2" type="x-p"/><div type="x-milestone" subType="x-preverse" eID="pv1"/>Now to him<note>TR places…</note><chapter eID="Rom.14"/>';
    assert.equal(stripOsis(cutMergedVerses(merged)), "is sin.");
    // a preverse milestone at the start, or one followed by nothing, is kept as is
    const start = '<div type="x-milestone" subType="x-preverse" sID="pv2"/>In the beginning';
    assert.equal(cutMergedVerses(start), start);
    const trailing = 'end. <div type="x-milestone" subType="x-preverse" sID="pv3"/><chapter eID="Job.5"/>';
    assert.equal(cutMergedVerses(trailing), trailing);
  });

  test("ThML and GBF", () => {
    assert.equal(stripThml('In the <sync type="Strongs" value="H7225"/>beginning<note>n</note> God &amp; <scripRef>Joh 1:1</scripRef>man<br/>.'), "In the beginning God & man .");
    assert.equal(stripGbf("In the beginning<WH7225> God<RF>a note<Rf> created<CM>"), "In the beginning God created");
    assert.throws(() => stripGbf("broken <RF note"), /malformed GBF/);
  });
});

// ---------------------------------------------------------------------------
// Alignment and pairs on hand-made rows
// ---------------------------------------------------------------------------

describe("alignment", () => {
  test("keeps verses non-empty in both, in the first translation's order", () => {
    const r = (book: string, chapter: number, verse: number, text: string) => ({ book, chapter, verse, text });
    const { rows, onlyKjv, onlyWeb } = alignBibleVerses(
      [r("Luke", 17, 35, "a"), r("Luke", 17, 36, "b"), r("Luke", 17, 37, "c"), r("Jude", 1, 1, "")],
      [r("Luke", 17, 37, "C"), r("Luke", 17, 35, "A"), r("Luke", 17, 36, ""), r("3 John", 1, 15, "x")],
    );
    assert.deepEqual(rows, [
      { book: "Luke", chapter: 17, verse: 35, kjv: "a", web: "A" },
      { book: "Luke", chapter: 17, verse: 37, kjv: "c", web: "C" },
    ]);
    assert.deepEqual(onlyKjv, ["Luke 17:36"]);
    assert.deepEqual(onlyWeb, ["3 John 1:15"]);
  });
});

// ---------------------------------------------------------------------------
// The shipped data
// ---------------------------------------------------------------------------

/** The level of a pair by the definition, written out independently of bibleSimilarityLevel. */
function expectedLevel(a: { book: string; chapter: number; verse: number }, b: { book: string; chapter: number; verse: number }): number | null {
  if (a.book === b.book && a.chapter === b.chapter && a.verse === b.verse) return 5;
  if (a.book === b.book && a.chapter === b.chapter && Math.abs(a.verse - b.verse) === 1) return 3;
  if (a.book === b.book && a.chapter !== b.chapter) return 1;
  if (a.book !== b.book) return 0;
  return null;
}

describe("data/bible", () => {
  let rows: BibleVerse[] = [];
  const byKey = new Map<string, BibleVerse>();
  before(() => {
    rows = loadBibleVerses();
    for (const r of rows) byKey.set(`${r.book} ${r.chapter}:${r.verse}`, r);
  });

  test("31,095 verses of the 66 books, canonical order, unique, matching the manifest", () => {
    assert.equal(rows.length, 31095);
    assert.equal(byKey.size, rows.length);
    assert.deepEqual([...new Set(rows.map((r) => r.book))], BIBLE_BOOKS);
    const order = new Map(BIBLE_BOOKS.map((b, i) => [b, i]));
    for (let i = 1; i < rows.length; i++) {
      const a = rows[i - 1];
      const b = rows[i];
      const cmp = order.get(a.book)! - order.get(b.book)! || a.chapter - b.chapter || a.verse - b.verse;
      assert.ok(cmp < 0, `${a.book} ${a.chapter}:${a.verse} before ${b.book} ${b.chapter}:${b.verse}`);
    }
    for (const r of rows) assert.ok(r.kjv.trim() === r.kjv && r.web.trim() === r.web && !/[<>¶]|\s\s/.test(r.kjv + r.web), `${r.book} ${r.chapter}:${r.verse}`);
    const dir = path.join(__dirname, "..", "data", "bible");
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, "manifest.json"), "utf8"));
    const raw = zlib.gunzipSync(fs.readFileSync(path.join(dir, "verses.jsonl.gz")));
    assert.equal(crypto.createHash("sha256").update(raw).digest("hex"), manifest.files[0].sha256);
    assert.equal(manifest.files[0].rows, rows.length);
    assert.ok(manifest.files[0].bytes < 4 * 1024 * 1024);
  });

  test("John 3:16 and Genesis 1:1 in both translations", () => {
    assert.deepEqual(byKey.get("John 3:16"), {
      book: "John",
      chapter: 3,
      verse: 16,
      kjv: "For God so loved the world, that he gave his only begotten Son, that whosoever believeth in him should not perish, but have everlasting life.",
      web: "For God so loved the world, that he gave his only born Son, that whoever believes in him should not perish, but have eternal life.",
    });
    assert.equal(byKey.get("Genesis 1:1")?.kjv, "In the beginning God created the heaven and the earth.");
    assert.equal(byKey.get("Genesis 1:1")?.web, "In the beginning, God created the heavens and the earth.");
    assert.equal(byKey.get("Psalms 23:1")?.kjv, "The LORD is my shepherd; I shall not want.");
    assert.equal(byKey.get("Revelation 22:21")?.web, "The grace of the Lord Jesus Christ be with all the saints. Amen.");
    assert.equal(byKey.get("Romans 14:23")?.web, "But he who doubts is condemned if he eats, because it isn’t of faith; and whatever is not of faith is sin.");
    for (const gone of ["Luke 17:36", "Acts 8:37", "Romans 16:25", "3 John 1:15", "Revelation 12:18"]) assert.equal(byKey.get(gone), undefined, gone);
  });

  test("paraphrase pairs: one per verse, KJV anchor and WEB positive", () => {
    const pairs = bibleParaphrasePairs(rows);
    assert.equal(pairs.length, rows.length);
    assert.deepEqual(pairs[0], { anchor: rows[0].kjv, positive: rows[0].web });
    const jude = bibleParaphrasePairs(rows, { books: ["Jude"] });
    assert.equal(jude.length, 25);
    assert.throws(() => bibleParaphrasePairs(rows, { books: ["Juda"] }), /unknown book "Juda"/);
  });

  test("held-out books never reach the training side", () => {
    const { train, test: heldOut } = splitBibleBooks(rows);
    assert.deepEqual(BIBLE_HELD_OUT_BOOKS, ["Luke", "Romans"]);
    assert.equal(train.length + heldOut.length, rows.length);
    assert.deepEqual([...new Set(heldOut.map((r) => r.book))], ["Luke", "Romans"]);
    assert.equal(heldOut.length, (1151 - 1) + (433 - 3)); // Luke: 1,151 KJV verses less 17:36; Romans: 433 less 16:25-27
    const trainPairs = bibleSimilarityPairs(train, { n: 400, seed: 1 });
    for (const p of trainPairs) {
      for (const ref of [p.ref1, p.ref2]) assert.ok(ref.book !== "Luke" && ref.book !== "Romans", `${ref.book} in training pairs`);
    }
    assert.ok(!train.some((r) => r.book === "Luke" || r.book === "Romans"));
    const evalPairs = bibleSimilarityPairs(heldOut, { n: 200, seed: 2 });
    for (const p of evalPairs) for (const ref of [p.ref1, p.ref2]) assert.ok(ref.book === "Luke" || ref.book === "Romans");
    assert.throws(() => splitBibleBooks(rows, { heldOut: ["Lukas"] }), /unknown book "Lukas"/);
    assert.throws(() => splitBibleBooks(train, { heldOut: ["Luke"] }), /held-out book Luke has no verses/);
  });

  test("graded pairs: balanced levels, scores right by construction, seeded", () => {
    const pairs = bibleSimilarityPairs(rows, { n: 1000, seed: 42 });
    assert.equal(pairs.length, 1000);
    const counts: Record<number, number> = {};
    for (const p of pairs) {
      counts[p.level] = (counts[p.level] ?? 0) + 1;
      const level = expectedLevel(p.ref1, p.ref2);
      assert.equal(p.level, level, `${JSON.stringify(p.ref1)} ${JSON.stringify(p.ref2)}`);
      assert.equal(bibleSimilarityLevel(p.ref1, p.ref2), level);
      assert.equal(p.score, level! / 5);
      assert.ok(p.score >= 0 && p.score <= 1);
      assert.equal(p.sentence1, byKey.get(`${p.ref1.book} ${p.ref1.chapter}:${p.ref1.verse}`)!.kjv);
      assert.equal(p.sentence2, byKey.get(`${p.ref2.book} ${p.ref2.chapter}:${p.ref2.verse}`)!.web);
    }
    assert.deepEqual(counts, { 5: 250, 3: 250, 1: 250, 0: 250 });
    assert.equal(new Set(pairs.map((p) => JSON.stringify([p.ref1, p.ref2]))).size, 1000, "pairs are distinct");
    assert.ok(pairs.slice(0, 20).some((p) => p.level !== pairs[0].level), "levels are shuffled together");
    assert.deepEqual(bibleSimilarityPairs(rows, { n: 1000, seed: 42 }), pairs);
    assert.notDeepEqual(bibleSimilarityPairs(rows, { n: 1000, seed: 43 }), pairs);
    const ten = bibleSimilarityPairs(rows, { n: 10, seed: 0 });
    assert.deepEqual([5, 3, 1, 0].map((l) => ten.filter((p) => p.level === l).length), [3, 3, 2, 2]);
  });

  test("bibleSimilarityLevel by hand", () => {
    const v = (book: string, chapter: number, verse: number) => ({ book, chapter, verse });
    assert.equal(bibleSimilarityLevel(v("John", 3, 16), v("John", 3, 16)), 5);
    assert.equal(bibleSimilarityLevel(v("John", 3, 16), v("John", 3, 17)), 3);
    assert.equal(bibleSimilarityLevel(v("John", 3, 16), v("John", 3, 15)), 3);
    assert.equal(bibleSimilarityLevel(v("John", 3, 16), v("John", 3, 18)), null);
    assert.equal(bibleSimilarityLevel(v("John", 3, 16), v("John", 4, 16)), 1);
    assert.equal(bibleSimilarityLevel(v("John", 3, 16), v("Luke", 3, 16)), 0);
  });

  test("graded pairs: impossible requests are errors", () => {
    assert.throws(() => bibleSimilarityPairs(rows, { n: 8, books: ["Jude"] }), /level 0 \(different books\) needs verses of at least 2 books/);
    assert.throws(() => bibleSimilarityPairs(rows, { n: 8, books: ["Jude", "Obadiah"] }), /level 1 \(same book, other chapter\) needs a book with verses in at least 2 chapters/);
    assert.throws(() => bibleSimilarityPairs(rows, { n: 0 }), /n must be a positive integer/);
    assert.throws(() => bibleSimilarityPairs(rows, { n: 600, books: ["Jude", "Ruth"] }), /only \d+ distinct level-5 pairs could be drawn/);
  });
});
