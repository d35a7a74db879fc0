import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as zlib from "zlib";
import * as crypto from "crypto";
import {
  loadSentiment,
  loadStsb,
  loadFactbook,
  loadFactbookFacts,
  loadSotu,
  loadBrown,
  brownText,
  brownToUniversal,
  brownUniversalMap,
  trainTestSplit,
  loadTable,
  splitSentences,
  chunkSentences,
  countWords,
  FACTBOOK_SECTIONS,
  FACTBOOK_REGIONS,
  BROWN_GENRES,
  UNIVERSAL_TAGS,
  type SentimentRow,
  type BrownSentence,
} from "../lib/data/datasets";
import { buildSentiment, SENTIMENT_SEED, SENTIMENT_TEST_SIZE } from "../scripts/data/prepare-datasets";

// These tests check the datasets shipped in the repository's data/, not a folder chosen from outside.
delete process.env.HOLLM_DATA_DIR;
const DATA = path.resolve(__dirname, "..", "data");

function readManifest(name: string): { files: Array<{ file: string; rows: number; sha256: string }>; counts: Record<string, any> } {
  return JSON.parse(fs.readFileSync(path.join(DATA, name, "manifest.json"), "utf8"));
}

/** Each data file's uncompressed text hashes to the manifest's SHA-256, with the manifest's row count. */
function checkManifestFiles(name: string): void {
  for (const f of readManifest(name).files) {
    let buf = fs.readFileSync(path.join(DATA, name, f.file));
    if (f.file.endsWith(".gz")) buf = zlib.gunzipSync(buf);
    assert.equal(crypto.createHash("sha256").update(buf).digest("hex"), f.sha256, `${name}/${f.file}: SHA-256`);
    assert.equal(buf.toString("utf8").split("\n").filter((l) => l !== "").length, f.rows, `${name}/${f.file}: rows`);
  }
}

const key = (r: SentimentRow) => `${r.source}\u0000${r.label}\u0000${r.text}`;

describe("sentiment", () => {
  const data = loadSentiment();

  test("3,000 rows, 2,400 train / 600 test, balanced labels per source in both parts", () => {
    assert.equal(data.train.length + data.test.length, 3000);
    assert.equal(data.train.length, 2400);
    assert.equal(data.test.length, 600);
    assert.deepEqual(data.labelNames, ["negative", "positive"]);
    for (const [part, rows, each] of [["train", data.train, 400], ["test", data.test, 100]] as const) {
      for (const source of ["imdb", "yelp", "amazon"]) {
        for (const label of [0, 1]) {
          const n = rows.filter((r) => r.source === source && r.label === label).length;
          assert.equal(n, each, `${part} ${source}/${label}`);
        }
      }
      for (const r of rows) assert.ok(r.text.length > 0 && r.text === r.text.trim(), `${part}: untrimmed or empty text`);
    }
    checkManifestFiles("sentiment");
  });

  test("the stored split is trainTestSplit's, reproduced from the npm source rows; parts are disjoint", (t) => {
    const pkg = path.resolve(__dirname, "..", "node_modules", "sentiment");
    if (!fs.existsSync(pkg)) return t.skip("node_modules/sentiment not installed");
    const { rows, dropped } = buildSentiment(pkg);
    assert.equal(dropped, 3);
    const again = trainTestSplit(rows, { testSize: SENTIMENT_TEST_SIZE, seed: SENTIMENT_SEED, stratify: (r) => `${r.source}/${r.label}` });
    assert.deepEqual(data.train, again.train);
    assert.deepEqual(data.test, again.test);
    // Disjoint as row positions: train + test is exactly the source multiset of rows.
    const count = new Map<string, number>();
    for (const r of rows) count.set(key(r), (count.get(key(r)) ?? 0) + 1);
    for (const r of [...data.train, ...data.test]) {
      const c = count.get(key(r));
      assert.ok(c, `row not in the source or used twice: ${r.text}`);
      count.set(key(r), c - 1);
    }
    assert.ok(Array.from(count.values()).every((c) => c === 0));
  });
});

describe("trainTestSplit", () => {
  const idx = (n: number) => Array.from({ length: n }, (_, i) => i);

  test("test size as fraction (rounded up) or count, like sklearn", () => {
    // sklearn: train_test_split(range(10), test_size=0.25) -> 7/3; test_size=4 -> 6/4; range(7), 0.5 -> 3/4
    const cases: Array<[number, number, number]> = [[10, 0.25, 3], [10, 4, 4], [7, 0.5, 4], [3000, 0.2, 600]];
    for (const [n, size, nTest] of cases) {
      const { train, test: te } = trainTestSplit(idx(n), { testSize: size });
      assert.equal(te.length, nTest, `n=${n} testSize=${size}`);
      assert.equal(train.length, n - nTest);
      assert.deepEqual([...train, ...te].sort((a, b) => a - b), idx(n), "disjoint and complete");
    }
  });

  test("deterministic for a seed, different for another; shuffle:false keeps order", () => {
    const a = trainTestSplit(idx(100), { testSize: 0.3, seed: 7 });
    const b = trainTestSplit(idx(100), { testSize: 0.3, seed: 7 });
    const c = trainTestSplit(idx(100), { testSize: 0.3, seed: 8 });
    assert.deepEqual(a, b);
    assert.notDeepEqual(a.test, c.test);
    const d = trainTestSplit(idx(10), { testSize: 0.2, shuffle: false });
    assert.deepEqual(d, { train: idx(8), test: [8, 9] });
  });

  test("stratified per-class test counts match sklearn's", () => {
    // Reference (Debian python3, scikit-learn 1.2.1; identical for random_state 0..19):
    //   for y, ts in cases: Counter(train_test_split(X, y, test_size=ts, stratify=y, random_state=s)[3])
    const cls = (spec: Array<[string | number, number]>) => spec.flatMap(([c, n]) => Array<string | number>(n).fill(c));
    const cases: Array<[Array<string | number>, number, Record<string, number>]> = [
      [cls([[0, 600], [1, 300], [2, 100]]), 0.2, { 0: 120, 1: 60, 2: 20 }],
      [cls([[0, 7], [1, 5], [2, 3]]), 0.3, { 0: 2, 1: 2, 2: 1 }],
      [cls([["a", 50], ["b", 30], ["c", 20]]), 17, { a: 9, b: 5, c: 3 }],
      [cls([[0, 500], [1, 500], [2, 500], [3, 500], [4, 499], [5, 501]]), 0.2, { 0: 100, 1: 100, 2: 100, 3: 100, 4: 100, 5: 100 }],
    ];
    for (const [y, size, want] of cases) {
      const rows = y.map((label, i) => ({ i, label }));
      for (const seed of [0, 1, 2]) {
        const { train, test: te } = trainTestSplit(rows, { testSize: size, seed, stratify: (r) => r.label });
        const got: Record<string, number> = {};
        for (const r of te) got[String(r.label)] = (got[String(r.label)] ?? 0) + 1;
        assert.deepEqual(got, want, `testSize=${size} seed=${seed}`);
        assert.deepEqual([...train, ...te].map((r) => r.i).sort((a, b) => a - b), idx(rows.length));
      }
    }
  });

  test("bad arguments give clear errors", () => {
    assert.throws(() => trainTestSplit(idx(10), { testSize: 0 }), /testSize/);
    assert.throws(() => trainTestSplit(idx(10), { testSize: 1.5 }), /whole number/);
    assert.throws(() => trainTestSplit(idx(10), { testSize: 10 }), /no training rows/);
    assert.throws(() => trainTestSplit([1], { testSize: 0.5 }), /at least 2 rows/);
    assert.throws(() => trainTestSplit([1, 1, 1, 2], { testSize: 0.5, stratify: (x) => x }), /only 1 member/);
    assert.throws(() => trainTestSplit([1, 1, 2, 2, 3, 3], { testSize: 2, stratify: (x) => x }), /at least 3 rows/);
  });
});

describe("loadTable", () => {
  let dir = "";
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "hollm-table-"));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, content: string | Buffer) => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, content);
    return p;
  };

  test("CSV with quotes, escaped quotes, embedded newlines, CRLF and a BOM; numbers inferred", () => {
    const p = write("ok.csv", '\ufefftext,label,id\r\n"Hello, world",1,007\r\n"She said ""hi""\nthen left",0,x\r\n\r\nplain,-2.5,"3"\r\n');
    assert.deepEqual(loadTable(p), [
      { text: "Hello, world", label: 1, id: "007" },
      { text: 'She said "hi"\nthen left', label: 0, id: "x" },
      { text: "plain", label: -2.5, id: 3 },
    ]);
    assert.deepEqual(loadTable(p, { inferNumbers: false })[0], { text: "Hello, world", label: "1", id: "007" });
  });

  test("TSV, JSONL (gzip too) and JSON arrays", () => {
    const rows = [{ text: "a b", label: 1 }, { text: "c", label: 0 }];
    assert.deepEqual(loadTable(write("ok.tsv", "text\tlabel\na b\t1\nc\t0\n")), rows);
    const jsonl = rows.map((r) => JSON.stringify(r)).join("\n") + "\n\n";
    assert.deepEqual(loadTable(write("ok.jsonl", jsonl)), rows);
    assert.deepEqual(loadTable(write("ok.jsonl.gz", zlib.gzipSync(jsonl))), rows);
    assert.deepEqual(loadTable(write("ok.json", JSON.stringify(rows, null, 2))), rows);
    assert.deepEqual(loadTable(write("noext", jsonl)), rows, "sniffed as JSONL");
  });

  test("bad files: errors name the file and the line", () => {
    const csv = write("bad.csv", "text,label\ngood,1\nbad,1,extra\n");
    assert.throws(() => loadTable(csv), (e: Error) => e.message.includes(csv) && /line 3: expected 2 fields.*found 3/.test(e.message));
    const quote = write("quote.csv", 'text,label\nok,1\n"never closed,0\nmore,1\n');
    assert.throws(() => loadTable(quote), (e: Error) => e.message.includes(quote) && /line 3: unterminated quoted field/.test(e.message));
    const after = write("after.csv", 'text,label\n"a"b,1\n');
    assert.throws(() => loadTable(after), /after\.csv line 2: unexpected character "b" after a closing quote/);
    const jsonl = write("bad.jsonl", '{"text":"a"}\n{"text":"b"}\n{"text": oops}\n');
    assert.throws(() => loadTable(jsonl), (e: Error) => e.message.includes(jsonl) && /line 3: invalid JSON/.test(e.message));
    const notObj = write("arr.jsonl", '{"text":"a"}\n[1,2]\n');
    assert.throws(() => loadTable(notObj), /arr\.jsonl line 2: expected a JSON object/);
    const json = write("bad.json", '[\n  {"text": "a"},\n  {"text": }\n]\n');
    assert.throws(() => loadTable(json), /bad\.json line 3: invalid JSON/);
    assert.throws(() => loadTable(write("obj.json", '{"text": "a"}')), /expected a JSON array/);
    assert.throws(() => loadTable(write("empty.csv", "")), /empty file/);
    assert.throws(() => loadTable(write("dup.csv", "a,a\n1,2\n")), /duplicate column name 'a'/);
    assert.throws(() => loadTable(write("fake.jsonl.gz", "{}\n")), /not gzip-compressed/);
    assert.throws(() => loadTable(path.join(dir, "missing.csv")), /File not found: .*missing\.csv/);
  });
});

describe("factbook", () => {
  const docs = loadFactbook();

  test("2,346 section documents, 10 sections, 12 regions, none under 30 words", () => {
    assert.equal(docs.length, 2346);
    const m = readManifest("factbook");
    assert.equal(m.counts.docs, docs.length);
    const sections = new Set(docs.map((d) => d.section));
    const regions = new Set(docs.map((d) => d.region));
    assert.deepEqual([...sections].sort(), [...FACTBOOK_SECTIONS].sort());
    assert.deepEqual([...regions].sort(), [...FACTBOOK_REGIONS].sort());
    for (const s of FACTBOOK_SECTIONS) assert.ok(docs.filter((d) => d.section === s).length >= 180, `${s}: few docs`);
    const seen = new Set<string>();
    for (const d of docs) {
      assert.ok(countWords(d.text) >= 30, `${d.code}/${d.section}: short`);
      assert.ok(d.country && d.code && d.region);
      const k = `${d.code}/${d.section}`;
      assert.ok(!seen.has(k), `duplicate ${k}`);
      seen.add(k);
    }
    assert.equal(new Set(docs.map((d) => d.code)).size, 260);
    checkManifestFiles("factbook");
  });

  test("documents read as the Factbook's fields; facts have the expected values", () => {
    const fr = docs.find((d) => d.code === "fr" && d.section === "Government")!;
    assert.equal(fr.country, "France");
    assert.equal(fr.region, "Europe");
    assert.match(fr.text, /^Country name: conventional long form: French Republic; conventional short form: France;/);
    assert.ok(!/\b48 52 N\b/.test(fr.text), "coordinates (no words) are left out");
    const facts = loadFactbookFacts();
    assert.equal(facts.length, 260);
    const f = facts.find((x) => x.code === "fr")!;
    assert.equal(f.capital, "Paris");
    assert.equal(f.currency, "euros (EUR)");
    assert.equal(f.area, 643801);
    assert.ok(f.population! > 6e7 && f.population! < 7e7);
    assert.ok(f.languages!.startsWith("French (official)"));
    const names = new Map(facts.map((x) => [x.code, x.country]));
    assert.equal(names.get("zn"), "Pacific Ocean");
    assert.equal(names.get("ee"), "European Union");
    assert.equal(names.get("ct"), "Central African Republic");
    assert.ok(facts.filter((x) => x.capital).length >= 220);
  });
});

describe("sotu", () => {
  const speeches = loadSotu();

  test("233 speeches, 1790..2021 (no 1933), two in 1953 and 1961", () => {
    assert.equal(speeches.length, 233);
    const years = speeches.map((s) => s.year);
    assert.equal(Math.min(...years), 1790);
    assert.equal(Math.max(...years), 2021);
    for (let y = 1790; y <= 2021; y++) {
      const n = years.filter((x) => x === y).length;
      assert.equal(n, y === 1933 ? 0 : y === 1953 || y === 1961 ? 2 : 1, `year ${y}`);
    }
    const pair = (y: number) => speeches.filter((s) => s.year === y).map((s) => s.president);
    assert.deepEqual(pair(1953), ["Harry S Truman", "Dwight D Eisenhower"]);
    assert.deepEqual(pair(1961), ["Dwight D Eisenhower", "John F Kennedy"]);
    assert.equal(speeches[0].president, "George Washington");
    assert.equal(speeches[speeches.length - 1].party, "Democratic");
    assert.equal(speeches.reduce((a, s) => a + countWords(s.text), 0), 1794884);
    checkManifestFiles("sotu");
  });

  test("paragraph chunks: 30+ words, in order, the speech's words, with its metadata", () => {
    const paras = loadSotu({ chunk: "paragraph" });
    assert.ok(paras.length > 10000 && paras.length < 25000, `${paras.length} chunks`);
    for (const p of paras) assert.ok(countWords(p.text) >= 30, `${p.year} #${p.paragraph}: short chunk`);
    for (const sp of [speeches[0], speeches[120], speeches[232]]) {
      const mine = paras.filter((p) => p.year === sp.year && p.president === sp.president);
      assert.deepEqual(mine.map((p) => p.paragraph), mine.map((_, i) => i));
      assert.ok(mine.every((p) => p.party === sp.party));
      assert.equal(mine.map((p) => p.text).join(" "), sp.text, "chunks re-join to the speech");
    }
    const long = loadSotu({ chunk: "paragraph", paragraphWords: 300 });
    assert.ok(long.length < paras.length / 2);
    assert.throws(() => loadSotu({ chunk: "page" as never }), /chunk must be/);
  });

  test("sentence splitting keeps abbreviations and initials", () => {
    assert.deepEqual(splitSentences('Mr. Smith went to the U.S. Senate. He spoke! "Why?" she asked. Then Gen. Grant left.'), [
      "Mr. Smith went to the U.S. Senate.",
      "He spoke!",
      '"Why?" she asked.',
      "Then Gen. Grant left.",
    ]);
    // A tail under minWords joins the chunk before it.
    const s = ["a b c d e f g h i j.", "k l m n o.", "p q."];
    assert.deepEqual(chunkSentences(s, 10, 5), ["a b c d e f g h i j.", "k l m n o. p q."]);
    assert.deepEqual(chunkSentences(s, 10, 8), ["a b c d e f g h i j. k l m n o. p q."]);
  });
});

describe("brown", () => {
  let all: BrownSentence[] = [];
  before(() => {
    all = loadBrown();
  });

  test("57,340 sentences, 1,161,192 tokens, tags aligned with words, 15 genres", () => {
    assert.equal(all.length, 57340);
    assert.equal(all.reduce((a, s) => a + s.words.length, 0), 1161192);
    for (const s of all) assert.equal(s.words.length, s.tags.length);
    assert.deepEqual([...new Set(all.map((s) => s.genre))], [...BROWN_GENRES]);
    assert.equal(new Set(all.map((s) => s.doc)).size, 500);
    assert.deepEqual(all[0].words.slice(0, 4), ["The", "Fulton", "County", "Grand"]);
    assert.deepEqual(all[0].tags.slice(0, 4), ["AT", "NP-TL", "NN-TL", "JJ-TL"]);
    assert.equal(all[0].doc, "ca01");
    checkManifestFiles("brown");
  });

  test("genre filter and universal tags match NLTK on the news genre", () => {
    const news = loadBrown({ genres: ["news"], tagset: "universal" });
    assert.equal(news.length, 4623); // len(brown.tagged_sents(categories="news"))
    const counts: Record<string, number> = {};
    for (const s of news) for (const t of s.tags) counts[t] = (counts[t] ?? 0) + 1;
    // Reference: Python over the corpus files with NLTK's universal_tagset/en-brown.map (nltk_data
    // packages/taggers/universal_tagset.zip, 2022), unmapped tags -> X, as nltk's map_tag:
    //   Counter(m.get(tok.rsplit('/', 1)[1].upper(), 'X') for f in news_files for tok in open(f).read().split())
    assert.deepEqual(counts, {
      NOUN: 30654, VERB: 14399, ADP: 12355, ".": 11928, DET: 11389, ADJ: 6706,
      ADV: 3349, CONJ: 2717, PRON: 2535, PRT: 2264, NUM: 2166, X: 92,
    });
    // Every tag of the corpus is in the table (or is a foreign-word FW- tag).
    const tags = new Set(all.flatMap((s) => s.tags));
    assert.equal(tags.size, 472);
    for (const t of tags) assert.ok(brownUniversalMap().has(t) || t.startsWith("FW-"), `unmapped tag ${t}`);
    assert.equal(brownUniversalMap().size, 392);
    assert.ok([...brownUniversalMap().values()].every((u) => (UNIVERSAL_TAGS as readonly string[]).includes(u)));
    assert.equal(brownToUniversal("np-tl"), "NOUN");
    assert.equal(brownToUniversal("FW-NN"), "X");
    assert.equal(brownToUniversal("PPSS+MD"), "PRT");
    assert.equal(brownToUniversal("NOT-A-TAG"), "X");
    const two = loadBrown({ genres: ["humor", "science_fiction"] });
    assert.equal(two.length, 1053 + 948);
    assert.throws(() => loadBrown({ genres: ["poetry"] }), /unknown genre 'poetry'.*news, editorial/);
  });

  test("brownText detokenizes", () => {
    assert.equal(
      brownText(all[0]),
      'The Fulton County Grand Jury said Friday an investigation of Atlanta\'s recent primary election produced "no evidence" that any irregularities took place.',
    );
    assert.equal(brownText(["more", "'", "pro", "'", "letters", "than", "'", "con", "'", "."]), "more 'pro' letters than 'con'.");
    assert.equal(brownText(["``", "Only", "a", "handful", "''", ",", "the", "jury", "said", "(", "twice", ")", "."]), '"Only a handful", the jury said (twice).');
  });
});

describe("errors", () => {
  let dir = "";
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "hollm-data-"));
  });
  after(() => {
    delete process.env.HOLLM_DATA_DIR;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("a missing dataset folder names the path and the prepare command", () => {
    process.env.HOLLM_DATA_DIR = dir;
    try {
      assert.throws(
        () => loadSentiment(),
        (e: Error) => e.message.includes(path.join(dir, "sentiment")) && e.message.includes("npx tsx scripts/data/prepare-datasets.ts"),
      );
      assert.throws(() => loadBrown(), /Dataset 'brown' not found/);
    } finally {
      delete process.env.HOLLM_DATA_DIR;
    }
  });

  test("a corrupt line names the file and the line", () => {
    fs.mkdirSync(path.join(dir, "sentiment"), { recursive: true });
    const train = path.join(dir, "sentiment", "train.jsonl");
    fs.writeFileSync(train, '{"text":"good","label":1,"source":"imdb"}\n{"text":"bad","label":1,"source":"imdb"\n');
    fs.writeFileSync(path.join(dir, "sentiment", "test.jsonl"), '{"text":"ok","label":2,"source":"imdb"}\n');
    fs.mkdirSync(path.join(dir, "sotu"), { recursive: true });
    fs.writeFileSync(path.join(dir, "sotu", "speeches.jsonl.gz"), zlib.gzipSync('{"year":1790,"president":"X","party":"none","text":"t"}\n{"year":"1791"}\n'));
    process.env.HOLLM_DATA_DIR = dir;
    try {
      assert.throws(() => loadSentiment(), (e: Error) => e.message.startsWith(`${train} line 2: invalid JSON`));
      fs.writeFileSync(train, '{"text":"good","label":1,"source":"imdb"}\n');
      assert.throws(() => loadSentiment(), /test\.jsonl line 1: field 'label' must be 0 or 1, found 2/);
      assert.throws(() => loadSotu(), /speeches\.jsonl\.gz line 2: field 'year' must be an integer/);
      assert.throws(() => loadFactbook(), /Dataset 'factbook' not found/);
    } finally {
      delete process.env.HOLLM_DATA_DIR;
    }
  });
});

describe("online exports", () => {
  test("loadStsb: STS-B rows exported to JSON Lines, scores divided by 5, bad rows named", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stsb-"));
    const row = (s1: unknown, s2: unknown, label: unknown) => JSON.stringify({ sentence1: s1, sentence2: s2, label, idx: 0 });
    fs.writeFileSync(path.join(dir, "stsb_validation.jsonl"), [row("A man plays.", "A man is playing.", 5), row("A cat.", "A car.", 1.2)].join("\n") + "\n");
    assert.deepEqual(loadStsb(dir), [
      { sentence1: "A man plays.", sentence2: "A man is playing.", score: 1 },
      { sentence1: "A cat.", sentence2: "A car.", score: 0.24 },
    ]);
    fs.writeFileSync(path.join(dir, "stsb_train.jsonl"), row("a", "b", 7) + "\n");
    assert.throws(() => loadStsb(dir, "train"), /stsb_train\.jsonl row 1: expected strings 'sentence1', 'sentence2' and a 'label' in \[0, 5\]/);
  });
});
