/**
 * Builds data/bible/: the King James Version and the World English Bible side by side, verse by verse, for
 * chapter 10's paraphrase (MultipleNegativesRankingLoss) and graded-similarity training.
 *
 *   source   the Debian packages sword-text-kjv (SWORD module engKJV2006eb, KJV versification) and
 *            sword-text-web (engWEB2015eb, NRSVA versification), fetched with `apt-get download` (not
 *            installed) and unpacked with `dpkg-deb -x` into a temporary folder
 *   decoding lib/data/bible.ts: zText (.bzs/.bzv/.bzz) decoder, OSIS markup stripped (notes, headings and
 *            Psalm titles dropped; words, added words and quotations kept)
 *   output   verses.jsonl.gz, one {book, chapter, verse, kjv, web} per verse present and non-empty in both,
 *            the 66 books in canonical order; manifest.json (source packages and versions, counts, the
 *            SHA-256 of the uncompressed JSONL). README.md beside them is written by hand.
 *
 * The JSONL is deterministic for the same package versions (gzip bytes can differ between zlib builds).
 * Usage (from the repository root):
 *
 *   npx tsx scripts/data/prepare-bible.ts                 # download the two .deb files, write data/bible/
 *   npx tsx scripts/data/prepare-bible.ts --debs <dir>    # use .deb files already in <dir> (offline)
 *   npx tsx scripts/data/prepare-bible.ts --out /tmp/data # write <out>/bible/ instead
 *   npx tsx scripts/data/prepare-bible.ts --check         # rebuild in memory, compare with data/bible, exit 1 if stale
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as zlib from "zlib";
import * as crypto from "crypto";
import { spawnSync } from "child_process";
import {
  BIBLE_BOOKS,
  KJV_VERSIFICATION,
  alignBibleVerses,
  cutMergedVerses,
  readZTextModule,
  stripMarkup,
  verseKey,
  type BibleVerse,
  type VerseText,
  type ZTextModule,
} from "../../lib/data/bible";
import { optionReader } from "./cli";

const ROOT = path.resolve(__dirname, "..", "..");

/** The two Debian packages, which translation each holds, and the module inside. */
export const BIBLE_PACKAGES = [
  { translation: "kjv", package: "sword-text-kjv", module: "engKJV2006eb" },
  { translation: "web", package: "sword-text-web", module: "engWEB2015eb" },
] as const;

/** Above this the gzipped file is too big to ship whole (the brief's limit). */
const MAX_GZ_BYTES = 4 * 1024 * 1024;

function run(cmd: string, args: string[], cwd: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.error) throw new Error(`${cmd}: ${r.error.message} (is it installed? this script needs apt-get and dpkg-deb, Debian/Ubuntu)`);
  if (r.status !== 0) {
    const err = (r.stderr || r.stdout || "").trim();
    const hint = /Unable to locate package|has no installation candidate/.test(err) ? " (run 'apt-get update' first)" : "";
    throw new Error(`${cmd} ${args.join(" ")} failed with status ${r.status}: ${err.slice(-500)}${hint}`);
  }
  return r.stdout;
}

/** The .deb of `pkg` in `dir` (the newest by name if several), else undefined. */
function findDeb(dir: string, pkg: string): string | undefined {
  const debs = fs
    .readdirSync(dir)
    .filter((f) => f.startsWith(`${pkg}_`) && f.endsWith(".deb"))
    .sort();
  return debs.length > 0 ? path.join(dir, debs[debs.length - 1]) : undefined;
}

interface UnpackedModule {
  translation: "kjv" | "web";
  package: string;
  version: string;
  deb: string;
  module: ZTextModule;
}

function unpack(deb: string, translation: "kjv" | "web", pkg: string, moduleName: string, tmp: string): UnpackedModule {
  const version = run("dpkg-deb", ["-f", deb, "Version"], tmp).trim();
  const dest = path.join(tmp, pkg);
  fs.mkdirSync(dest, { recursive: true });
  run("dpkg-deb", ["-x", deb, dest], tmp);
  const swordRoot = path.join(dest, "usr", "share", "sword");
  const conf = path.join(swordRoot, "mods.d", `${moduleName}.conf`);
  if (!fs.existsSync(conf)) {
    const found = fs.existsSync(path.join(swordRoot, "mods.d")) ? fs.readdirSync(path.join(swordRoot, "mods.d")).join(", ") : "no mods.d folder";
    throw new Error(`${deb}: no mods.d/${moduleName}.conf (found: ${found})`);
  }
  return { translation, package: pkg, version, deb: path.basename(deb), module: readZTextModule(swordRoot, conf) };
}

/** Plain text of every verse of the 66 KJV-canon books in a module (deuterocanonical books left out). */
function canonTexts(m: ZTextModule): { texts: VerseText[]; empty: string[]; mergedCut: string[]; otherBooks: number } {
  const canon = new Set(BIBLE_BOOKS);
  const texts: VerseText[] = [];
  const empty: string[] = [];
  const mergedCut: string[] = [];
  let otherBooks = 0;
  for (const v of m.verses) {
    if (!canon.has(v.book)) {
      otherBooks++;
      continue;
    }
    let text: string;
    try {
      const raw = m.sourceType === "OSIS" ? cutMergedVerses(v.raw) : v.raw;
      if (raw !== v.raw) mergedCut.push(verseKey(v));
      text = stripMarkup(raw, m.sourceType);
    } catch (e) {
      throw new Error(`${m.conf.name} ${verseKey(v)}: ${(e as Error).message}`);
    }
    if (text === "") empty.push(verseKey(v));
    texts.push({ book: v.book, chapter: v.chapter, verse: v.verse, text });
  }
  return { texts, empty, mergedCut, otherBooks };
}

function tally<T>(rows: readonly T[], key: (r: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of rows) out[key(r)] = (out[key(r)] ?? 0) + 1;
  return out;
}

function main(argv: string[]): void {
  const opt = optionReader(argv);
  for (const a of argv) {
    if (a.startsWith("--") && !["--out", "--debs", "--check"].includes(a)) throw new Error(`unknown option ${a} (options: --out <dir>, --debs <dir>, --check)`);
  }
  const check = argv.includes("--check");
  const outDir = path.join(path.resolve(opt("--out") ?? path.join(ROOT, "data")), "bible");
  const debDir = opt("--debs");
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "hollm-bible-"));
  try {
    const modules = BIBLE_PACKAGES.map((p) => {
      let deb = debDir ? findDeb(path.resolve(debDir), p.package) : undefined;
      if (debDir && !deb) throw new Error(`--debs ${debDir}: no ${p.package}_*.deb there`);
      if (!deb) {
        console.log(`apt-get download ${p.package}`);
        run("apt-get", ["download", p.package], tmp);
        deb = findDeb(tmp, p.package);
        if (!deb) throw new Error(`apt-get download ${p.package} left no .deb in ${tmp}`);
      }
      const m = unpack(deb, p.translation, p.package, p.module, tmp);
      console.log(`${p.package} ${m.version}: module ${m.module.conf.name}, ${m.module.sourceType}, ${m.module.versification.name} versification, ${m.module.verses.length} verse slots`);
      return m;
    });
    const [kjvMod, webMod] = modules;
    const kjv = canonTexts(kjvMod.module);
    const web = canonTexts(webMod.module);
    const { rows, onlyKjv, onlyWeb } = alignBibleVerses(kjv.texts, web.texts);
    const text = rows.map((r) => JSON.stringify(r)).join("\n") + "\n";
    const raw = Buffer.from(text, "utf8");
    const sha256 = crypto.createHash("sha256").update(raw).digest("hex");
    const gz = zlib.gzipSync(raw, { level: 9 });
    if (gz.length > MAX_GZ_BYTES) throw new Error(`verses.jsonl.gz would be ${gz.length} bytes, over ${MAX_GZ_BYTES}: keep fewer books`);

    const ntBooks = new Set(KJV_VERSIFICATION.nt.map((b) => b.name));
    const counts = {
      verses: rows.length,
      books: new Set(rows.map((r: BibleVerse) => r.book)).size,
      oldTestament: rows.filter((r) => !ntBooks.has(r.book)).length,
      newTestament: rows.filter((r) => ntBooks.has(r.book)).length,
      kjvVerseSlots: kjv.texts.length,
      webVerseSlotsIn66Books: web.texts.length,
      webDeuterocanonVerseSlotsLeftOut: web.otherBooks,
      mergedVersesCutInKjv: kjv.mergedCut,
      mergedVersesCutInWeb: web.mergedCut,
      emptyInKjv: kjv.empty,
      emptyInWeb: web.empty,
      onlyInKjv: onlyKjv,
      onlyInWeb: onlyWeb,
      kjvWords: rows.reduce((a, r) => a + r.kjv.split(" ").length, 0),
      webWords: rows.reduce((a, r) => a + r.web.split(" ").length, 0),
      versesByBook: tally(rows, (r) => r.book),
    };
    const manifest = {
      name: "bible",
      title: "Parallel Bible: King James Version (1769) and World English Bible, verse by verse",
      source: {
        kind: "deb",
        packages: modules.map((m) => ({
          package: m.package,
          version: m.version,
          file: m.deb,
          module: m.module.conf.name,
          moduleVersion: m.module.conf.values.Version?.[0] ?? null,
          sourceType: m.module.sourceType,
          versification: m.module.versification.name,
        })),
      },
      license:
        "Public domain. KJV: public domain outside the United Kingdom; in the UK the Crown's letters patent restrict printing and importing printed copies (Cambridge University Press, Oxford University Press, Collins). WEB: public domain (eBible.org; 'World English Bible' is a trademark).",
      files: [{ file: "verses.jsonl.gz", rows: rows.length, bytes: gz.length, sha256 }],
      counts,
      notes: [
        "rows: the 66 books of the KJV canon, in canonical order, each verse present and non-empty in both modules, aligned on (book, chapter, verse)",
        "WEB uses the NRSVA versification; its deuterocanonical books are left out, and its 3 John 1:15 and Revelation 12:18 are empty (their text is in 3 John 1:14 and Revelation 13:1, as in the KJV)",
        "verses the WEB omits as later additions (Luke 17:36, Acts 8:37, 15:34, 24:7) are left out; its Romans 14:24-26 (the KJV's Romans 16:25-27), merged into its Romans 14:23 because NRSVA lacks them, are cut from it (cutMergedVerses), so Romans 16:25-27 are left out too",
        "text: OSIS markup stripped by lib/data/bible.ts stripOsis: notes, headings (<title>, Psalm titles included), speaker labels and the glossary after Revelation dropped; words, added words (<transChange>), quotations and the divine name kept; pilcrows removed; whitespace collapsed",
      ],
    };

    if (check) {
      const current = path.join(outDir, "manifest.json");
      const old = fs.existsSync(current) ? (JSON.parse(fs.readFileSync(current, "utf8")) as { files?: Array<{ sha256?: string }> }) : undefined;
      if (old?.files?.[0]?.sha256 !== sha256) {
        console.error(`data/bible is stale (SHA-256 ${old?.files?.[0]?.sha256 ?? "none"}, rebuilt ${sha256}): rerun npx tsx scripts/data/prepare-bible.ts`);
        process.exit(1);
      }
      console.log(`data/bible is up to date (${rows.length} verses, SHA-256 ${sha256})`);
      return;
    }
    fs.mkdirSync(outDir, { recursive: true });
    fs.writeFileSync(path.join(outDir, "verses.jsonl.gz"), gz);
    fs.writeFileSync(path.join(outDir, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
    console.log(
      `bible: ${rows.length} verses (${counts.oldTestament} OT, ${counts.newTestament} NT, ${counts.books} books); ` +
        `left out: ${onlyKjv.length} only in KJV, ${onlyWeb.length} only in WEB, ${web.otherBooks} WEB deuterocanon slots; ` +
        `verses.jsonl.gz ${gz.length} bytes (${raw.length} uncompressed) -> ${outDir}`,
    );
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (e) {
    console.error(`prepare-bible: ${(e as Error).message}`);
    process.exit(1);
  }
}
