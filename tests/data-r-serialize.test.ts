import { test, describe } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as zlib from "zlib";
import {
  unserialize,
  parseRds,
  parseRData,
  readRds,
  openLazyLoadDb,
  toDataFrame,
  factorToStrings,
  asStrings,
  rClass,
  rNames,
  attr,
  isNAReal,
  RDataError,
  NA_INTEGER,
  RObject,
} from "../scripts/data/r-serialize";

// ---------------------------------------------------------------------------
// A tiny XDR writer, enough to build fixtures the way R's serialize() lays them out.
// ---------------------------------------------------------------------------

const NILSXP = 0, SYMSXP = 1, LISTSXP = 2, CHARSXP = 9, LGLSXP = 10, INTSXP = 13, REALSXP = 14;
const STRSXP = 16, VECSXP = 19, RAWSXP = 24, ALTREP_SXP = 238, REFSXP = 255, NILVALUE = 254;
const OBJ = 1 << 8, ATTR = 1 << 9, TAG = 1 << 10;
const UTF8 = 1 << 3, LATIN1 = 1 << 2, ASCII = 1 << 6;

class W {
  private chunks: Buffer[] = [];
  int(v: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32BE(v | 0);
    this.chunks.push(b);
    return this;
  }
  dbl(v: number): this {
    const b = Buffer.alloc(8);
    b.writeDoubleBE(v);
    this.chunks.push(b);
    return this;
  }
  raw(b: Uint8Array | string): this {
    this.chunks.push(typeof b === "string" ? Buffer.from(b, "latin1") : Buffer.from(b));
    return this;
  }
  header(version = 3): this {
    this.raw("X\n").int(version).int(0x040201).int(version === 3 ? 0x030500 : 0x020300);
    if (version === 3) this.int(5).raw("UTF-8");
    return this;
  }
  chars(s: string | null, levels = UTF8): this {
    if (s === null) return this.int(CHARSXP).int(-1);
    const b = levels & LATIN1 ? Buffer.from(s, "latin1") : Buffer.from(s, "utf8");
    return this.int(CHARSXP | (levels << 12)).int(b.length).raw(b);
  }
  sym(name: string): this {
    return this.int(SYMSXP).chars(name, ASCII);
  }
  /** A character vector; `attrs` writes the attribute pairlist. */
  strs(values: Array<string | null>, attrs?: (w: W) => void, levels = UTF8): this {
    this.int(STRSXP | (attrs ? ATTR : 0)).int(values.length);
    for (const v of values) this.chars(v, levels);
    if (attrs) attrs(this);
    return this;
  }
  ints(values: number[], attrs?: (w: W) => void, isObj = false): this {
    this.int(INTSXP | (attrs ? ATTR : 0) | (isObj ? OBJ : 0)).int(values.length);
    for (const v of values) this.int(v);
    if (attrs) attrs(this);
    return this;
  }
  /** Attribute pairlist from [name, writer] pairs. */
  pairlist(items: Array<[string, (w: W) => void]>): this {
    for (const [name, write] of items) {
      this.int(LISTSXP | TAG).sym(name);
      write(this);
    }
    return this.int(NILVALUE);
  }
  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

const fixture = (build: (w: W) => void, version = 3): Buffer => {
  const w = new W().header(version);
  build(w);
  return w.bytes();
};

/** Expect an RDataError whose message names `source` and matches `problem`. */
function throwsR(fn: () => unknown, source: string, problem: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof RDataError, `expected RDataError, got ${String(e)}`);
    assert.ok(e.message.startsWith(source + ":"), `message should start with the source: ${e.message}`);
    assert.match(e.problem, problem);
    return true;
  });
}

// ---------------------------------------------------------------------------

describe("R unserialize: values", () => {
  test("character vector with UTF-8, latin1, ASCII and NA strings (format 3)", () => {
    const b = fixture((w) => {
      w.int(STRSXP).int(4).chars("café ☕").chars("naïve", LATIN1).chars("plain", ASCII).chars(null);
    });
    const o = unserialize(b, { source: "t.rds" });
    assert.equal(o.kind, "character");
    assert.deepEqual(o.kind === "character" && o.data, ["café ☕", "naïve", "plain", null]);
  });

  test("format version 2 (no native-encoding field)", () => {
    const o = unserialize(fixture((w) => w.strs(["a", "b"]), 2));
    assert.deepEqual(asStrings(o), ["a", "b"]);
  });

  test("integers, logicals, doubles with NA, raw", () => {
    const naReal = Buffer.from([0x7f, 0xf0, 0, 0, 0, 0, 0x07, 0xa2]).readDoubleBE(0);
    const b = fixture((w) => {
      w.int(VECSXP).int(4);
      w.ints([1, -2, NA_INTEGER]);
      w.int(LGLSXP).int(3).int(1).int(0).int(NA_INTEGER);
      w.int(REALSXP).int(3).dbl(1.5).dbl(naReal).dbl(NaN);
      w.int(RAWSXP).int(3).raw(Buffer.from([0, 127, 255]));
    });
    const o = unserialize(b);
    assert.equal(o.kind, "list");
    if (o.kind !== "list") return;
    const [i, l, d, r] = o.data;
    assert.deepEqual(i.kind === "integer" && Array.from(i.data), [1, -2, NA_INTEGER]);
    assert.deepEqual(l.kind === "logical" && l.data, [true, false, null]);
    assert.ok(d.kind === "double" && d.data[0] === 1.5 && isNAReal(d.data[1]) && !isNAReal(d.data[2]));
    assert.deepEqual(r.kind === "raw" && Array.from(r.data), [0, 127, 255]);
  });

  test("named list with attributes, symbol references (REFSXP) and NULL", () => {
    const b = fixture((w) => {
      w.int(VECSXP | ATTR).int(2).strs(["x"]).int(NILVALUE);
      // attributes: names = c("a", "b"); then "comment" whose tag symbol is a back-reference
      w.int(LISTSXP | TAG).sym("names").strs(["a", "b"]);
      // Second cell: its tag is REFSXP #1, i.e. the symbol `names` read just above, so it replaces the first value.
      w.int(LISTSXP | TAG).int(REFSXP | (1 << 8)).strs(["again"]);
      w.int(NILVALUE);
    });
    const o = unserialize(b);
    assert.equal(o.kind, "list");
    assert.deepEqual(rNames(o), ["again"]);
    assert.equal(o.kind === "list" && o.data[1].kind, "NULL");
  });

  test("factor", () => {
    const b = fixture((w) =>
      w.ints([2, 1, NA_INTEGER, 2], (a) => a.pairlist([["levels", (x) => x.strs(["Emma", "Persuasion"])], ["class", (x) => x.strs(["factor"])]]), true),
    );
    const o = unserialize(b);
    assert.deepEqual(rClass(o), ["factor"]);
    assert.deepEqual(factorToStrings(o), ["Persuasion", "Emma", null, "Persuasion"]);
  });

  test("data.frame with a factor column and compact row.names", () => {
    const b = fixture((w) => {
      w.int(VECSXP | ATTR | OBJ).int(2);
      w.strs(["It is a truth", "Call me Ishmael."]);
      w.ints([1, 2], (a) => a.pairlist([["levels", (x) => x.strs(["Pride & Prejudice", "Moby-Dick"])], ["class", (x) => x.strs(["factor"])]]), true);
      w.pairlist([
        ["names", (x) => x.strs(["text", "book"])],
        ["class", (x) => x.strs(["tbl_df", "tbl", "data.frame"])],
        ["row.names", (x) => x.ints([NA_INTEGER, -2])],
      ]);
    });
    const df = toDataFrame(unserialize(b));
    assert.equal(df.nrow, 2);
    assert.deepEqual(df.names, ["text", "book"]);
    assert.deepEqual(df.rowNames, [1, 2]);
    assert.deepEqual(df.columns.get("book"), ["Pride & Prejudice", "Moby-Dick"]);
    assert.deepEqual(df.columns.get("text"), ["It is a truth", "Call me Ishmael."]);
  });

  test("ALTREP compact integer sequence (1:5) with names attribute", () => {
    const b = fixture((w) => {
      w.int(ALTREP_SXP);
      w.int(LISTSXP).sym("compact_intseq").int(LISTSXP).sym("base").int(LISTSXP).ints([13]).int(NILVALUE);
      w.int(REALSXP).int(3).dbl(5).dbl(1).dbl(1);
      w.pairlist([["names", (x) => x.strs(["a", "b", "c", "d", "e"])]]);
    });
    const o = unserialize(b);
    assert.deepEqual(o.kind === "integer" && Array.from(o.data), [1, 2, 3, 4, 5]);
    assert.deepEqual(rNames(o), ["a", "b", "c", "d", "e"]);
  });

  test("gzip-compressed .rds and an .RData file", () => {
    const payload = fixture((w) => w.strs(["hello"]));
    assert.deepEqual(asStrings(parseRds(zlib.gzipSync(payload), "x.rds")), ["hello"]);
    const rdata = Buffer.concat([
      Buffer.from("RDX3\n"),
      fixture((w) => w.pairlist([["greeting", (x) => x.strs(["hi"])], ["n", (x) => x.ints([42])]])),
    ]);
    const env = parseRData(zlib.gzipSync(rdata), "x.RData");
    assert.deepEqual(Array.from(env.keys()), ["greeting", "n"]);
    const n = env.get("n")!;
    assert.deepEqual(n.kind === "integer" && Array.from(n.data), [42]);
  });

  test("a real .rds written by R 4.2 (janeaustenr Meta/Rd.rds, a data.frame)", () => {
    const o = parseRds(Buffer.from(REAL_RD_RDS, "base64"), "Rd.rds");
    assert.deepEqual(rClass(o), ["data.frame"]);
    const df = toDataFrame(o);
    assert.equal(df.nrow, 8);
    assert.deepEqual(df.names, ["File", "Name", "Type", "Title", "Encoding", "Aliases", "Concepts", "Keywords"]);
    assert.ok((df.columns.get("Name") as string[]).includes("prideprejudice"));
    const aliases = df.columns.get("Aliases") as RObject[];
    assert.deepEqual(asStrings(aliases[0]), ["austen_books"]);
  });
});

// ---------------------------------------------------------------------------

function lazyLoadFixture(dir: string, vars: Record<string, Buffer>, opts: { corruptBlock?: string; lie?: string; shift?: number } = {}): string {
  const blocks: Buffer[] = [];
  const index: Array<[string, number, number]> = [];
  let offset = 0;
  for (const [name, payload] of Object.entries(vars)) {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(payload.length + (opts.lie === name ? 1 : 0));
    let z = zlib.deflateSync(payload);
    if (opts.corruptBlock === name) z = Buffer.from(z.map((b, i) => (i > 2 ? b ^ 0x5a : b)));
    const block = Buffer.concat([len, z]);
    index.push([name, offset + (opts.shift ?? 0), block.length]);
    blocks.push(block);
    offset += block.length;
  }
  const rdx = fixture((w) => {
    w.int(VECSXP | ATTR).int(3);
    w.int(VECSXP | ATTR).int(index.length);
    for (const [, off, len] of index) w.ints([off, len]);
    w.pairlist([["names", (x) => x.strs(index.map((e) => e[0]))]]);
    w.int(VECSXP).int(0);
    w.int(LGLSXP).int(1).int(1);
    w.pairlist([["names", (x) => x.strs(["variables", "references", "compressed"])]]);
  });
  const base = path.join(dir, "Rdata");
  fs.writeFileSync(base + ".rdx", zlib.gzipSync(rdx));
  fs.writeFileSync(base + ".rdb", Buffer.concat(blocks));
  return base;
}

describe("R lazy-load database (.rdx + .rdb)", () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "rser-test-"));

  test("reads variables by name", () => {
    const base = lazyLoadFixture(fs.mkdtempSync(path.join(tmp, "ok-")), {
      emma: fixture((w) => w.strs(["EMMA", "", "By Jane Austen"])),
      persuasion: fixture((w) => w.strs(["Persuasion"])),
    });
    const db = openLazyLoadDb(base);
    assert.deepEqual(db.names, ["emma", "persuasion"]);
    assert.deepEqual(asStrings(db.get("emma")), ["EMMA", "", "By Jane Austen"]);
    assert.deepEqual(asStrings(db.get("persuasion")), ["Persuasion"]);
  });

  test("missing variable, corrupt zlib block, wrong length header, block outside the file", () => {
    const v = { emma: fixture((w) => w.strs(["EMMA"])), bad: fixture((w) => w.strs(["x".repeat(200)])) };
    const db = openLazyLoadDb(lazyLoadFixture(fs.mkdtempSync(path.join(tmp, "c-")), v, { corruptBlock: "bad" }));
    throwsR(() => db.get("sanditon"), db.base + ".rdx", /no variable 'sanditon' in the index \(has: emma, bad\)/);
    throwsR(() => db.get("bad"), db.base + ".rdb[bad]", /corrupt zlib block/);
    const db2 = openLazyLoadDb(lazyLoadFixture(fs.mkdtempSync(path.join(tmp, "l-")), v, { lie: "emma" }));
    throwsR(() => db2.get("emma"), db2.base + ".rdb[emma]", /decompressed to \d+ bytes, header says \d+/);
    const db3 = openLazyLoadDb(lazyLoadFixture(fs.mkdtempSync(path.join(tmp, "s-")), v, { shift: 100000 }));
    throwsR(() => db3.get("emma"), db3.base + ".rdb[emma]", /lies outside the \d+-byte file/);
  });

  test("missing files are named", () => {
    const base = path.join(tmp, "nowhere", "Rdata");
    throwsR(() => openLazyLoadDb(base), base + ".rdx", /file not found/);
    throwsR(() => readRds(path.join(tmp, "none.rds")), path.join(tmp, "none.rds"), /file not found/);
  });
});

// ---------------------------------------------------------------------------

describe("R unserialize: malformed input gives a clear error naming the source", () => {
  const good = fixture((w) => w.strs(["It is a truth universally acknowledged"]));

  test("empty input", () => {
    throwsR(() => unserialize(new Uint8Array(0), { source: "empty.rds" }), "empty.rds", /unexpected end of data/);
  });
  test("not an R stream", () => {
    throwsR(() => unserialize(Buffer.from("PK\u0003\u0004 zip file"), { source: "x.rds" }), "x.rds", /not an R serialization stream: starts with 50 4b/);
    throwsR(() => parseRData(Buffer.from("hello world"), "x.RData"), "x.RData", /not an \.RData file/);
  });
  test("ASCII and native-binary formats are refused by name", () => {
    throwsR(() => unserialize(Buffer.from("A\n3\n"), { source: "a.rds" }), "a.rds", /ASCII serialization/);
    throwsR(() => unserialize(Buffer.from("B\n\0\0\0\0"), { source: "b.rds" }), "b.rds", /native binary/);
  });
  test("unsupported version", () => {
    const b = Buffer.from(good);
    b.writeInt32BE(4, 2);
    throwsR(() => unserialize(b, { source: "v4.rds" }), "v4.rds", /unsupported serialization format version 4/);
  });
  test("truncated stream, at every cut point", () => {
    for (let cut = 0; cut < good.length; cut++) {
      throwsR(() => unserialize(good.subarray(0, cut), { source: "cut.rds" }), "cut.rds", /unexpected end of data|exceeds the \d+ byte\(s\) left/);
    }
  });
  test("truncated gzip", () => {
    const gz = zlib.gzipSync(good);
    throwsR(() => parseRds(gz.subarray(0, gz.length - 12), "t.rds.gz"), "t.rds.gz", /corrupt gzip data/);
  });
  test("unknown SEXP type", () => {
    throwsR(() => unserialize(fixture((w) => w.int(99))), "<R serialized data>", /unknown SEXP type 99/);
  });
  test("reference to an object not yet seen", () => {
    throwsR(() => unserialize(fixture((w) => w.int(REFSXP | (7 << 8))), { source: "r.rds" }), "r.rds", /invalid reference index 7 \(0 object/);
  });
  test("absurd vector length", () => {
    throwsR(() => unserialize(fixture((w) => w.int(INTSXP).int(1e9)), { source: "big.rds" }), "big.rds", /length 1000000000 of an integer vector exceeds/);
    throwsR(() => unserialize(fixture((w) => w.int(STRSXP).int(-5)), { source: "neg.rds" }), "neg.rds", /negative length -5/);
  });
  test("string flagged UTF-8 that is not", () => {
    const b = fixture((w) => w.int(STRSXP).int(1).int(CHARSXP | (UTF8 << 12)).int(2).raw(Buffer.from([0xc3, 0x28])));
    throwsR(() => unserialize(b, { source: "u.rds" }), "u.rds", /string marked UTF-8 is not valid UTF-8: c3 28/);
  });
  test("character vector holding a non-string", () => {
    const b = fixture((w) => w.int(STRSXP).int(1).ints([1]));
    throwsR(() => unserialize(b, { source: "s.rds" }), "s.rds", /expected a string \(CHARSXP\).*found SEXP type INTSXP/);
  });
  test("errors report the byte offset", () => {
    try {
      unserialize(fixture((w) => w.int(VECSXP).int(1).int(99)), { source: "o.rds" });
      assert.fail("should throw");
    } catch (e) {
      assert.ok(e instanceof RDataError);
      assert.equal(e.offset, 31); // 14-byte header + 9-byte encoding field + list header (8 bytes)
      assert.match(e.message, /^o\.rds: unknown SEXP type 99 .*\(at byte 31\)$/);
    }
  });
  test("NILSXP and attr helper on atoms", () => {
    const o = unserialize(fixture((w) => w.int(NILSXP)));
    assert.equal(o.kind, "NULL");
    assert.equal(attr(o, "names"), undefined);
  });
});

/** janeaustenr 1.0.0 Meta/Rd.rds as built by R 4.2.1 (Debian r-cran-janeaustenr 1.0.0-1; MIT). */
const REAL_RD_RDS =
  "H4sIAAAAAAAAA61UzW/TMBTPulbLCoONSZytHkBCW4WQ+BAHpGraDiCqiQWJG3KS19ZrYke2u9EbfzYnipPmJXZayBAcEtvv8+f33s9f+p7n7Xrdzo632zNbr/c5uDh9Y2TH5uCb77BYu96+WR/ShdLAv4ZCzNXwU1yK9yBNaX18fE05rC3laUajOZ1CrT1MKVcTBkmcUTmv5Y+4kHpG+RQkDUNY1pqDDKRaUMUEr4VHmWQxZBKuFzGLrPjHCriC/MdCljBdBHKvcd++Rinr5nfAEFsugFgc9FiWBvRS3K9xl5IHLmisSBNxA66HEGOqEeKeC8tW3X3vpnkXsHhJcgWZSJoCERPy3hSCjIpKPFXkFYlEmiWgIT4h2SJMmJpBTLi4gQTr+CSYAdHwTW+6F3ZkcG4KPSitn1mVftswPytzkbEd/3lr/I/YIXJpWoSZXrT6jasmklHeRfQ8afW8rPqMPi/bffJJIJQblDgO6Py61fkqH5jC+aqemsFvxubvV8MAi/w7W1nj6tbsWcs6peye1ds/EcuN1CCYq9wgmqu2CedqmsRztdsIaFfA+4d1WxzM6+dkU6Cb1fQZ1yA5Te5q///l3Y4l73HzHKAxjlf3giXV8zM2BrgPlhnuewHTlZF/ziMRMz7FJ2yUMJMNie2fCR5BpqvzB1jeChlvgIkSqprI+znyYfFsNcz3pbgdIv4D83W+m99qtfphlp+/ACbp3Kr/BgAA";
