/** What the data preparation scripts share: JSON Lines files with a manifest entry, counts, package versions. */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as zlib from "zlib";

const ROOT = path.resolve(__dirname, "..", "..");

/** One data file as a manifest lists it. */
export interface ManifestFile {
  file: string;
  rows: number;
  /** Size on disk (compressed for .gz). */
  bytes: number;
  /** SHA-256 of the uncompressed JSONL text. */
  sha256: string;
}

/**
 * Writes rows as JSON Lines (gzip level 9 when the name ends in .gz; zlib writes mtime 0, so the same rows give the
 * same bytes) and returns the file's manifest entry.
 */
export function writeJsonl(dir: string, file: string, rows: readonly object[]): ManifestFile {
  const raw = Buffer.from(rows.map((r) => JSON.stringify(r)).join("\n") + "\n", "utf8");
  const data = file.endsWith(".gz") ? zlib.gzipSync(raw, { level: 9 }) : raw;
  fs.writeFileSync(path.join(dir, file), data);
  return { file, rows: rows.length, bytes: data.length, sha256: crypto.createHash("sha256").update(raw).digest("hex") };
}

/** Rows per key, in first-seen order, or sorted by key with `sorted`. */
export function tally<T>(rows: readonly T[], key: (r: T) => string | number, opts: { sorted?: boolean } = {}): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of rows) {
    const k = String(key(r));
    out[k] = (out[k] ?? 0) + 1;
  }
  if (!opts.sorted) return out;
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** The installed version of an npm package the data comes from. */
export function packageVersion(name: string): string {
  const pj = path.join(ROOT, "node_modules", name, "package.json");
  if (!fs.existsSync(pj)) throw new Error(`${pj}: package ${name} is not installed (a dev dependency: run 'npm install')`);
  return (JSON.parse(fs.readFileSync(pj, "utf8")) as { version: string }).version;
}

/** WordNet's licence notice as the data READMEs quote it (a Markdown list item's indented block). */
export const WORDNET_LICENCE_NOTICE = `  > WordNet 3.0 Copyright 2006 by Princeton University. All rights reserved.
  >
  > THIS SOFTWARE AND DATABASE IS PROVIDED "AS IS" AND PRINCETON UNIVERSITY MAKES NO REPRESENTATIONS OR
  > WARRANTIES, EXPRESS OR IMPLIED. BY WAY OF EXAMPLE, BUT NOT LIMITATION, PRINCETON UNIVERSITY MAKES NO
  > REPRESENTATIONS OR WARRANTIES OF MERCHANTABILITY OR FITNESS FOR ANY PARTICULAR PURPOSE OR THAT THE USE
  > OF THE LICENSED SOFTWARE, DATABASE OR DOCUMENTATION WILL NOT INFRINGE ANY THIRD PARTY PATENTS,
  > COPYRIGHTS, TRADEMARKS OR OTHER RIGHTS.
  >
  > The name of Princeton University or Princeton may not be used in advertising or publicity pertaining
  > to distribution of the software and/or database. Title to copyright in this software, database and
  > any associated documentation shall at all times remain with Princeton University and LICENSEE agrees
  > to preserve same.

  (WordNet 3.1 is distributed under the same licence: https://wordnet.princeton.edu/license-and-commercial-use.)`;
