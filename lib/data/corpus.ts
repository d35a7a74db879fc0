/**
 * Plain-text corpora shipped in the repository's data/ folder, for training
 * small GPTs and tokenizers from scratch:
 *
 *   loadText("moby-dick")       Herman Melville, Moby-Dick (1.2 MB)
 *   loadText("austen")          Jane Austen's six novels, in publication order (4.0 MB)
 *   loadText("austen/emma")     one novel, by slug
 *
 * Each corpus is a folder data/<name>/ holding UTF-8 .txt files and a
 * manifest.json that lists them in order (without a manifest: <name>.txt, or
 * else every .txt in name order). scripts/data/prepare-corpora.ts regenerates them.
 */
import * as fs from "fs";
import * as path from "path";

/** One text file of a corpus, as listed in its manifest.json. */
export interface CorpusFile {
  slug: string;
  title: string;
  file: string;
  year?: number;
  bytes?: number;
  words?: number;
  lines?: number;
  sha256?: string;
  chapters?: number;
}

/** What a corpus folder holds. */
export interface CorpusInfo {
  name: string;
  title: string;
  author?: string;
  license?: string;
  /** Absolute path of the corpus folder. */
  dir: string;
  /** Its text files, in reading order. */
  files: CorpusFile[];
}

/** Names of the corpora shipped with the repository. */
export type BuiltinCorpus = "moby-dick" | "austen";

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)?$/;

/**
 * The data folder: $HOLLM_DATA_DIR when set, else the repository's data/
 * (found relative to this file: lib/data/ -> ../../data).
 */
export function dataDir(): string {
  const env = process.env.HOLLM_DATA_DIR;
  if (env && env.trim() !== "") return path.resolve(env);
  return path.resolve(__dirname, "..", "..", "data");
}

function hint(): string {
  return `data directory: ${dataDir()}; set HOLLM_DATA_DIR to use another, or regenerate with 'npx tsx scripts/data/prepare-corpora.ts'`;
}

function readManifest(dir: string): { title?: string; author?: string; license?: string; files?: CorpusFile[] } | null {
  const p = path.join(dir, "manifest.json");
  if (!fs.existsSync(p)) return null;
  try {
    return JSON.parse(fs.readFileSync(p, "utf8"));
  } catch (e) {
    throw new Error(`Corpus manifest ${p} is not valid JSON: ${(e as Error).message}`);
  }
}

function corpusNames(): string[] {
  const root = dataDir();
  if (!fs.existsSync(root)) return [];
  return fs
    .readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && NAME_RE.test(d.name))
    .filter((d) => {
      const dir = path.join(root, d.name);
      return fs.existsSync(path.join(dir, "manifest.json")) || fs.readdirSync(dir).some((f) => f.endsWith(".txt"));
    })
    .map((d) => d.name)
    .sort();
}

/** Describe a corpus folder (title, files in order). Throws, naming the path, when it does not exist. */
export function corpusInfo(name: string): CorpusInfo {
  if (!NAME_RE.test(name) || name.includes("/")) {
    throw new Error(`Invalid corpus name '${name}': expected a folder name such as 'moby-dick' or 'austen'`);
  }
  const dir = path.join(dataDir(), name);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    const have = corpusNames();
    throw new Error(
      `Unknown corpus '${name}': no folder ${dir} (available: ${have.length ? have.join(", ") : "none"}; ${hint()})`,
    );
  }
  const m = readManifest(dir);
  let files: CorpusFile[];
  if (m && Array.isArray(m.files) && m.files.length > 0) {
    files = m.files;
  } else if (fs.existsSync(path.join(dir, `${name}.txt`))) {
    files = [{ slug: name, title: name, file: `${name}.txt` }];
  } else {
    files = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith(".txt"))
      .sort()
      .map((f) => ({ slug: f.slice(0, -4), title: f.slice(0, -4), file: f }));
  }
  return {
    name,
    title: (m && m.title) || name,
    author: m ? m.author : undefined,
    license: m ? m.license : undefined,
    dir,
    files,
  };
}

/**
 * Everything `loadText` accepts that is present on disk: each corpus, and for
 * corpora of several files each part as "<corpus>/<slug>" (e.g. "austen/emma").
 */
export function listCorpora(): string[] {
  const out: string[] = [];
  for (const name of corpusNames()) {
    out.push(name);
    const info = corpusInfo(name);
    if (info.files.length > 1) for (const f of info.files) out.push(`${name}/${f.slug}`);
  }
  return out;
}

/** Absolute paths of the files `loadText(name)` reads, in order. */
export function corpusFiles(name: BuiltinCorpus | string): string[] {
  if (!NAME_RE.test(name)) {
    throw new Error(`Invalid corpus name '${name}': expected 'moby-dick', 'austen' or 'austen/<slug>'`);
  }
  const slash = name.indexOf("/");
  if (slash < 0) {
    const info = corpusInfo(name);
    return info.files.map((f) => path.join(info.dir, f.file));
  }
  const corpus = name.slice(0, slash);
  const slug = name.slice(slash + 1);
  const info = corpusInfo(corpus);
  const f = info.files.find((x) => x.slug === slug);
  if (f) return [path.join(info.dir, f.file)];
  const p = path.join(info.dir, `${slug}.txt`);
  if (fs.existsSync(p)) return [p];
  throw new Error(
    `Unknown part '${slug}' of corpus '${corpus}': no file ${p} (parts: ${info.files.map((x) => x.slug).join(", ")})`,
  );
}

/**
 * The text of a corpus as one string. For a corpus of several files (austen)
 * the parts are concatenated in manifest order (publication order), separated
 * by two blank lines; "austen/<slug>" loads one novel.
 */
export function loadText(name: BuiltinCorpus | string): string {
  const parts = corpusFiles(name).map((p) => {
    if (!fs.existsSync(p)) throw new Error(`Corpus file missing: ${p} (for '${name}'; ${hint()})`);
    const t = fs.readFileSync(p, "utf8");
    return t.endsWith("\n") ? t : t + "\n";
  });
  return parts.join("\n\n");
}
