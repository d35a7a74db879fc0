import { test, describe } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as crypto from "crypto";
import { dataDir, loadText, listCorpora, corpusInfo, corpusFiles } from "../lib/data";

// These tests check the corpora shipped in the repository's data/, not a folder chosen from outside.
delete process.env.HOLLM_DATA_DIR;

const words = (t: string): number => (t.match(/\S+/g) ?? []).length;

const AUSTEN = [
  ["sense-and-sensibility", /^SENSE AND SENSIBILITY\n/],
  ["pride-and-prejudice", /^PRIDE AND PREJUDICE\n/],
  ["mansfield-park", /^MANSFIELD PARK\n/],
  ["emma", /^EMMA\n/],
  ["northanger-abbey", /^NORTHANGER ABBEY\n/],
  ["persuasion", /^Persuasion\n/],
] as const;

/** Problems a decoded-from-R or badly converted text would show. */
function assertCleanText(name: string, file: string): void {
  const raw = fs.readFileSync(file);
  // Strict UTF-8, no BOM, Unix newlines, no control characters other than \n.
  const text = new TextDecoder("utf-8", { fatal: true }).decode(raw);
  assert.notEqual(text.charCodeAt(0), 0xfeff, `${name}: BOM`);
  assert.ok(!text.includes("\r"), `${name}: CR characters`);
  assert.ok(!/[\u0000-\u0008\u000b-\u001f\u007f\ufffd]/.test(text), `${name}: control or replacement characters`);
  assert.ok(!text.includes("\t"), `${name}: tabs`);
  // R escape artefacts: deparsed strings, escaped quotes/newlines, <U+XXXX> marks, NA lines.
  assert.ok(!text.includes("\\"), `${name}: backslash (R escape artefact)`);
  assert.ok(!/<U\+[0-9A-F]{4}>/.test(text), `${name}: <U+XXXX> escape`);
  assert.ok(!/^NA$/m.test(text), `${name}: NA line`);
  assert.ok(!/^\[1\] /m.test(text) && !/^c\("/m.test(text), `${name}: printed R vector`);
  assert.ok(!/[ \t]+$/m.test(text), `${name}: trailing whitespace`);
  assert.ok(text.endsWith("\n") && !text.endsWith("\n\n"), `${name}: should end with exactly one newline`);
}

describe("data/ corpora", () => {
  test("dataDir is the repository data/ folder", () => {
    assert.equal(dataDir(), path.resolve(__dirname, "..", "data"));
    assert.ok(fs.existsSync(path.join(dataDir(), "moby-dick", "moby-dick.txt")));
  });

  test("listCorpora names both corpora and each novel", () => {
    const names = listCorpora();
    for (const n of ["moby-dick", "austen", ...AUSTEN.map(([s]) => `austen/${s}`)]) assert.ok(names.includes(n), `missing ${n}`);
  });

  test("Moby-Dick: size, words, 135 chapters in order, known lines", () => {
    const t = loadText("moby-dick");
    const bytes = Buffer.byteLength(t);
    assert.ok(bytes > 1_150_000 && bytes < 1_300_000, `bytes ${bytes}`);
    const w = words(t);
    assert.ok(w > 205_000 && w < 220_000, `words ${w}`);
    assert.ok(t.startsWith("MOBY-DICK; or, THE WHALE\n"));
    assert.ok(t.includes("\nCHAPTER 1. Loomings.\n\nCall me Ishmael. Some years ago"));
    const chapters = Array.from(t.matchAll(/^CHAPTER (\d+)\. /gm), (m) => Number(m[1]));
    assert.deepEqual(chapters, Array.from({ length: 135 }, (_, i) => i + 1));
    assert.ok(t.indexOf("\nETYMOLOGY.") < t.indexOf("\nEXTRACTS.") && t.indexOf("\nEXTRACTS.") < t.indexOf("\nCHAPTER 1. "));
    assert.ok(/\nEpilogue [^\n]*\n\nThe drama's done\./.test(t));
    assert.ok(t.trimEnd().endsWith("only found another orphan."));
    assert.ok(t.includes("—"), "em dashes kept as UTF-8");
    assertCleanText("moby-dick", corpusFiles("moby-dick")[0]);
  });

  test("Austen: six novels in publication order, size, words, known lines", () => {
    const info = corpusInfo("austen");
    assert.deepEqual(info.files.map((f) => f.slug), AUSTEN.map(([s]) => s));
    let total = 0;
    let totalWords = 0;
    for (const [slug, title] of AUSTEN) {
      const t = loadText(`austen/${slug}`);
      assert.match(t, title, `${slug} starts with its title`);
      total += Buffer.byteLength(t);
      totalWords += words(t);
      assertCleanText(slug, corpusFiles(`austen/${slug}`)[0]);
      const n = words(t);
      assert.ok(n > 75_000 && n < 165_000, `${slug}: ${n} words`);
    }
    assert.ok(total > 3_900_000 && total < 4_200_000, `bytes ${total}`);
    assert.ok(totalWords > 700_000 && totalWords < 735_000, `words ${totalWords}`);

    const pp = loadText("austen/pride-and-prejudice");
    assert.ok(pp.slice(0, 200).includes("It is a truth universally acknowledged, that a single man in possession\nof a good fortune, must be in want of a wife."));
    assert.ok(loadText("austen/emma").includes("Emma Woodhouse, handsome, clever, and rich"));
    assert.ok(loadText("austen/persuasion").includes("Sir Walter Elliot, of Kellynch Hall"));
    assert.ok(/^CHAPTER 1$/m.test(loadText("austen/sense-and-sensibility")), "chapter headings kept");

    const all = loadText("austen");
    assert.equal(Buffer.byteLength(all), total + 2 * 5, "six novels joined by two blank lines");
    const starts = AUSTEN.map(([slug]) => all.indexOf(loadText(`austen/${slug}`).slice(0, 60)));
    assert.deepEqual([...starts].sort((a, b) => a - b), starts, "publication order");
    assert.equal(starts[0], 0);
  });

  test("manifests match the files (bytes, words, SHA-256)", () => {
    for (const name of ["moby-dick", "austen"]) {
      const info = corpusInfo(name);
      for (const f of info.files) {
        const buf = fs.readFileSync(path.join(info.dir, f.file));
        assert.equal(buf.length, f.bytes, `${name}/${f.file} bytes`);
        assert.equal(crypto.createHash("sha256").update(buf).digest("hex"), f.sha256, `${name}/${f.file} sha256`);
        assert.equal(words(buf.toString("utf8")), f.words, `${name}/${f.file} words`);
      }
      assert.ok(fs.existsSync(path.join(info.dir, "README.md")), `${name}/README.md`);
    }
  });

  test("unknown corpus or part: error names the path and what exists", () => {
    assert.throws(() => loadText("shakespeare"), (e: Error) => {
      assert.match(e.message, /Unknown corpus 'shakespeare': no folder .*shakespeare/);
      assert.match(e.message, /available: .*austen.*moby-dick/);
      return true;
    });
    assert.throws(() => loadText("austen/sanditon"), /Unknown part 'sanditon' of corpus 'austen': no file .*sanditon\.txt \(parts: sense-and-sensibility/);
    assert.throws(() => loadText("../etc/passwd"), /Invalid corpus name/);
  });

  test("HOLLM_DATA_DIR overrides the folder; a missing file is named", () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "hollm-data-"));
    const saved = process.env.HOLLM_DATA_DIR;
    try {
      fs.mkdirSync(path.join(tmp, "tiny"));
      fs.writeFileSync(path.join(tmp, "tiny", "tiny.txt"), "hello world\n");
      fs.mkdirSync(path.join(tmp, "broken"));
      fs.writeFileSync(
        path.join(tmp, "broken", "manifest.json"),
        JSON.stringify({ title: "Broken", files: [{ slug: "gone", title: "Gone", file: "gone.txt" }] }),
      );
      process.env.HOLLM_DATA_DIR = tmp;
      assert.equal(dataDir(), tmp);
      assert.deepEqual(listCorpora(), ["broken", "tiny"]);
      assert.equal(loadText("tiny"), "hello world\n");
      assert.throws(() => loadText("broken"), (e: Error) => e.message.includes(path.join(tmp, "broken", "gone.txt")) && /HOLLM_DATA_DIR/.test(e.message));
      assert.throws(() => loadText("moby-dick"), (e: Error) => e.message.includes(path.join(tmp, "moby-dick")));
    } finally {
      if (saved === undefined) delete process.env.HOLLM_DATA_DIR;
      else process.env.HOLLM_DATA_DIR = saved;
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
