import { test, describe } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as zlib from "zlib";
import {
  parseFaqRst,
  stripRstInline,
  truncateAnswer,
  instructionPrompt,
  loadInstructions,
  loadPreferences,
  loadUltrachat,
  loadOrcaDpoPairs,
  makePreferences,
  splitByEntity,
  factbookCountryName,
  INSTRUCTION_SOURCES,
  type InstructionExample,
} from "../lib/data/instructions";
import { loadFactbookFacts, type FactbookFacts } from "../lib/data/datasets";
import { WordNet } from "../lib/data/nli";

const DIR = path.join(__dirname, "..", "data", "instructions");
const manifest = JSON.parse(fs.readFileSync(path.join(DIR, "manifest.json"), "utf8"));
const sft = { train: loadInstructions({ split: "train" }), test: loadInstructions({ split: "test" }) };
const dpo = { train: loadPreferences({ split: "train" }), test: loadPreferences({ split: "test" }) };

function count<T>(rows: readonly T[], key: (r: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of rows) out[key(r)] = (out[key(r)] ?? 0) + 1;
  return out;
}

describe("FAQ reST parsing", () => {
  const RST = [
    "=======",
    "A FAQ",
    "=======",
    "",
    ".. contents::",
    "",
    "General",
    "=======",
    "",
    ".. _faq-first:",
    "",
    "How do I use ``*args`` with :func:`print`?",
    "------------------------------------------",
    "",
    "See :ref:`the tutorial <tut-args>` and the",
    "`Python   site <https://www.python.org/>`_; :meth:`~dict.get` is *handy*,",
    "**really**.",
    "",
    "Like this::",
    "",
    "   print(*args)",
    "   x = 1",
    "",
    ".. seealso::",
    "",
    "   :pep:`8` for style.",
    "",
    "A fourth paragraph that is dropped.",
    "",
    "Not a question",
    "--------------",
    "",
    "Body.",
    "",
    "Why?",
    "----",
    "",
    "First sentence here. Second sentence here. " + "Third sentence is long. ".repeat(40),
    "",
  ].join("\n");

  test("questions are titles ending in '?'; markup stripped; code kept indented; first 3 paragraphs", () => {
    const pairs = parseFaqRst(RST);
    assert.equal(pairs.length, 2);
    assert.equal(pairs[0].question, "How do I use *args with print?");
    assert.equal(
      pairs[0].answer,
      "See the tutorial and the Python site; get is handy, really.\n\nLike this:\n\n    print(*args)\n    x = 1",
    );
    // With room for a fourth block the seealso text comes next (labelled), and the fourth paragraph never.
    const more = parseFaqRst(RST, { maxParagraphs: 4 });
    assert.match(more[0].answer, /\n\nSee also: PEP 8 for style\.$/);
    assert.ok(!more[0].answer.includes("dropped"));
  });

  test("a long answer is cut at a sentence end within maxChars", () => {
    const a = parseFaqRst(RST)[1].answer;
    assert.ok(a.length <= 600, `length ${a.length}`);
    assert.ok(a.startsWith("First sentence here. Second sentence here. Third"));
    assert.ok(a.endsWith("long."));
  });

  test("inline markup", () => {
    assert.equal(stripRstInline(":ref:`text <target>`"), "text");
    assert.equal(stripRstInline(":c:func:`PyTuple_Pack`"), "PyTuple_Pack");
    assert.equal(stripRstInline("`text <https://x.org/>`__ and `label`_"), "text and label");
    assert.equal(stripRstInline("``a*b*c`` and *x*"), "a*b*c and x");
  });

  test("bad options are errors", () => {
    assert.throws(() => parseFaqRst(RST, { maxParagraphs: 0 }), /maxParagraphs/);
  });
});

describe("shipped data/instructions", () => {
  test("counts per source and split match the manifest; files are small", () => {
    for (const s of ["train", "test"] as const) {
      assert.deepEqual(count(sft[s], (r) => r.source), manifest.counts.instructions[s]);
      assert.deepEqual(count(dpo[s], (r) => r.source), manifest.counts.preferences[s]);
      assert.deepEqual(count(dpo[s], (r) => `${r.source}:${r.kind}`), manifest.counts.kinds[s]);
    }
    for (const src of INSTRUCTION_SOURCES) assert.ok(sft.test.some((r) => r.source === src) && sft.train.some((r) => r.source === src), src);
    const faq = sft.train.length && [...sft.train, ...sft.test].filter((r) => r.source === "python-faq").length;
    assert.ok(faq >= 150 && faq <= 180, `FAQ pairs ${faq}`);
    const bytes = fs.readdirSync(DIR).reduce((a, f) => a + fs.statSync(path.join(DIR, f)).size, 0);
    assert.ok(bytes < 1.5 * 1024 * 1024, `${bytes} bytes`);
    assert.deepEqual(loadInstructions({ split: "test", sources: ["wordnet"] }).length, manifest.counts.instructions.test.wordnet);
  });

  test("no entity is in both splits (and no answer word of a test word's synonym in training)", () => {
    const key = (r: { source: string; entity: string }) => `${r.source}|${r.entity}`;
    const train = new Set([...sft.train, ...dpo.train].map(key));
    for (const r of [...sft.test, ...dpo.test]) assert.ok(!train.has(key(r)), `${key(r)} in both splits`);
    // Preference rows are about their split's entities.
    const testEntities = new Set(sft.test.map(key));
    for (const p of dpo.test) assert.ok(testEntities.has(key(p)));
  });

  test("factbook answers agree with loadFactbookFacts (recomputed for a sample)", () => {
    const facts = new Map<string, FactbookFacts>();
    for (const f of loadFactbookFacts()) facts.set(factbookCountryName(f.country), f);
    const rows = [...sft.train, ...sft.test].filter((r) => r.source === "factbook");
    let checked = 0;
    for (let i = 0; i < rows.length; i += 7) {
      const r = rows[i];
      const f = facts.get(r.entity);
      assert.ok(f, `no facts for ${r.entity}`);
      const o = r.output;
      assert.ok(o.includes(r.entity), o);
      const num = (s: string) => Number(s.replace(/,/g, ""));
      switch (r.task) {
        case "capital":
          assert.equal(o, `The capital of ${r.entity} is ${f!.capital!.replace(/\s*\(.*\)$/, "")}.`);
          break;
        case "population":
          assert.equal(num(/is ([\d,]+) \(2015/.exec(o)![1]), f!.population);
          break;
        case "area":
          assert.equal(num(/area of ([\d,.]+) square/.exec(o)![1]), f!.area);
          break;
        case "currency":
          assert.ok(o.includes(f!.currency!), `${o} vs ${f!.currency}`);
          break;
        case "languages":
          for (const l of /include (.*)\.$/.exec(o)![1].split(/, | and /)) assert.ok(f!.languages!.includes(l), `${l} not in ${f!.languages}`);
          break;
        case "region":
          assert.ok(o.includes(f!.region.replace("Middle East", "the Middle East").replace("Australia-Oceania", "Australia and Oceania")));
          break;
        case "location":
          assert.ok(o.includes(f!.location!.replace(/[.;]+$/, "")));
          break;
        case "independence":
          assert.ok(f!.independence!.startsWith(/ on (\d{1,2} [A-Z][a-z]+ \d{4})\.$/.exec(o)![1]), `${o} vs ${f!.independence}`);
          break;
        case "national-holiday": {
          const m = /is (.*), celebrated on (.*)\.$/.exec(o)!;
          assert.ok(f!.nationalHoliday!.startsWith(`${m[1]}, ${m[2]}`));
          break;
        }
        case "highest-point": {
          const m = /is (.*), at ([\d,]+) m\.$/.exec(o)!;
          assert.equal(f!.highestPoint, `${m[1]} ${m[2]} m`);
          break;
        }
        case "government":
          assert.ok(o.endsWith(` ${f!.governmentType}.`));
          break;
        case "internet-code":
          assert.ok(o.endsWith(` ${f!.internetCode}.`));
          break;
        default:
          assert.fail(`unexpected task ${r.task}`);
      }
      checked++;
    }
    assert.ok(checked > 300, `checked ${checked}`);
  });

  test("wordnet definitions quote the word's first-sense gloss; antonyms are WordNet antonyms", () => {
    const wn = new WordNet();
    const rows = sft.train.filter((r) => r.source === "wordnet").slice(0, 300);
    for (const r of rows) {
      const w = r.entity;
      if (r.task === "definition") {
        const gloss = /means (?:to )?(.*)\.$/.exec(r.output)![1];
        assert.ok(["n", "v", "a"].some((p) => wn.synsets(w, p as "n")[0]?.gloss.includes(gloss)), `${w}: ${gloss}`);
      } else if (r.task === "synonym") {
        const y = /is ([a-z]+)\.$/.exec(r.output)![1];
        assert.ok(["n", "v", "a"].some((p) => wn.synsets(w, p as "n")[0]?.words.includes(y)), `${w} ~ ${y}`);
      } else {
        const y = /is ([a-z]+)\.$/.exec(r.output)![1];
        // An "!" (antonym) pointer of the word's first synset leads to a synset with y.
        const first = ["n", "v", "a"].map((p) => wn.synsets(w, p as "n")[0]).filter((x) => x !== undefined);
        assert.ok(first.some((x) => x.pointers.some((q) => q.symbol === "!" && wn.synset(q.offset, q.pos).words.includes(y))), `${w} <> ${y}`);
      }
    }
  });

  test("preferences: chosen != rejected, prompts are instruction prompts of the same split, chosen is that row's output", () => {
    for (const s of ["train", "test"] as const) {
      const byPrompt = new Map<string, InstructionExample[]>();
      for (const r of sft[s]) {
        const p = instructionPrompt(r);
        byPrompt.set(p, [...(byPrompt.get(p) ?? []), r]);
      }
      for (const p of dpo[s]) {
        assert.notEqual(p.chosen, p.rejected);
        const rows = byPrompt.get(p.prompt);
        assert.ok(rows, `prompt not among ${s} instructions: ${p.prompt}`);
        assert.ok(rows!.some((r) => r.output === p.chosen && r.entity === p.entity));
        if (p.kind === "truncated") assert.ok(p.chosen.startsWith(p.rejected) && !/[.!?]$/.test(p.rejected));
        if (p.kind === "other-value" && p.source === "factbook") assert.ok(p.rejected.includes(p.entity));
      }
    }
    // Kinds are balanced for factbook and wordnet (within 2 %).
    for (const src of ["factbook", "wordnet"]) {
      const k = count(dpo.train.filter((p) => p.source === src), (p) => p.kind);
      const v = Object.values(k);
      assert.equal(v.length, 3);
      assert.ok(Math.max(...v) - Math.min(...v) <= 0.02 * Math.max(...v), JSON.stringify(k));
    }
  });
});

describe("building blocks", () => {
  const facts: FactbookFacts[] = [
    { code: "pe", country: "Peru", region: "South America", capital: "Lima", population: 30444999 },
    { code: "ec", country: "Ecuador", region: "South America", capital: "Quito", population: 15868396 },
    { code: "cl", country: "Chile", region: "South America", capital: "Santiago", population: 17508260 },
  ];
  const rows: InstructionExample[] = facts.flatMap((f) => [
    { instruction: `What is the capital of ${f.country}?`, input: "", output: `The capital of ${f.country} is ${f.capital}.`, source: "factbook", task: "capital", entity: f.country },
    { instruction: `What is the population of ${f.country}?`, input: "", output: `The population of ${f.country} is x.`, source: "factbook", task: "population", entity: f.country },
  ]);

  test("other-value rejections name another country's value for this country; wrong-field answers another question", () => {
    const prefs = makePreferences(rows, { seed: 1, facts });
    assert.equal(prefs.length, rows.length);
    for (const p of prefs) {
      if (p.kind === "other-value" && p.task === "capital") {
        assert.match(p.rejected, new RegExp(`^The capital of ${p.entity} is (Lima|Quito|Santiago)\\.$`));
        assert.notEqual(p.rejected, p.chosen);
      }
      if (p.kind === "wrong-field") assert.ok(rows.some((r) => r.entity === p.entity && r.task !== p.task && r.output === p.rejected));
    }
    // Populations within 30 % (Ecuador vs Chile) are not "wrong" enough: no other-value for them unless Peru's.
    for (const p of prefs.filter((x) => x.kind === "other-value" && x.task === "population")) assert.ok(!/x\.$/.test(p.rejected));
  });

  test("splitByEntity keeps entities apart and is seeded", () => {
    const a = splitByEntity(rows, { seed: 3, testSize: 0.3 });
    const b = splitByEntity(rows, { seed: 3, testSize: 0.3 });
    assert.deepEqual(a, b);
    const trainEntities = new Set(a.train.map((r) => r.entity));
    assert.ok(a.test.length > 0 && a.test.every((r) => !trainEntities.has(r.entity)));
  });

  test("truncateAnswer cuts mid-sentence", () => {
    assert.equal(truncateAnswer("The capital of Peru is Lima."), "The capital of");
    assert.equal(truncateAnswer("Too short."), undefined);
  });
});

describe("loader errors", () => {
  test("a missing or corrupt file is a clear error", () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "instr-"));
    const old = process.env.HOLLM_DATA_DIR;
    try {
      process.env.HOLLM_DATA_DIR = tmp;
      assert.throws(() => loadInstructions(), /Dataset 'instructions' not found.*prepare-instructions/);
      fs.mkdirSync(path.join(tmp, "instructions"));
      assert.throws(() => loadPreferences({ split: "test" }), /incomplete: no file .*preferences-test\.jsonl\.gz/);
      fs.writeFileSync(path.join(tmp, "instructions", "train.jsonl.gz"), "not gzip");
      assert.throws(() => loadInstructions(), /not gzip-compressed/);
      fs.writeFileSync(path.join(tmp, "instructions", "train.jsonl.gz"), zlib.gzipSync('{"instruction":"x","input":"","output":"y","source":"web","task":"faq","entity":"e"}\n'));
      assert.throws(() => loadInstructions(), /line 1: field 'source' must be one of/);
      assert.throws(() => loadInstructions({ split: "validation" as "test" }), /split must be "train" or "test"/);
    } finally {
      if (old === undefined) delete process.env.HOLLM_DATA_DIR;
      else process.env.HOLLM_DATA_DIR = old;
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});

test("loadUltrachat / loadOrcaDpoPairs read the Hub exports; the orca pairs are filtered and formatted as the book does", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hub-exports-"));
  fs.writeFileSync(path.join(dir, "ultrachat_200k_test_sft.jsonl"), JSON.stringify({ prompt: "Hi", messages: [{ role: "user", content: "Hi" }, { role: "assistant", content: "Hello!" }] }) + "\n");
  assert.deepEqual(loadUltrachat(dir), [{ messages: [{ role: "user", content: "Hi" }, { role: "assistant", content: "Hello!" }] }]);
  const rows = [
    { system: "S", input: "Q1", chosen: "good", rejected: "bad", status: "chosen", chosen_score: 9, in_gsm8k_train: false },
    { system: "S", input: "Q2", chosen: "a", rejected: "b", status: "tie", chosen_score: 9, in_gsm8k_train: false },
    { system: "S", input: "Q3", chosen: "a", rejected: "b", status: "chosen", chosen_score: 7, in_gsm8k_train: false },
    { system: "S", input: "Q4", chosen: "a", rejected: "b", status: "chosen", chosen_score: 10, in_gsm8k_train: true },
  ];
  fs.writeFileSync(path.join(dir, "distilabel-intel-orca-dpo-pairs_train.jsonl"), rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
  assert.deepEqual(loadOrcaDpoPairs(dir), [{ prompt: "<|system|>\nS</s>\n<|user|>\nQ1</s>\n<|assistant|>\n", chosen: "good</s>\n", rejected: "bad</s>\n" }]);
  fs.writeFileSync(path.join(dir, "ultrachat_200k_test_sft.jsonl"), JSON.stringify({ messages: [{ role: "robot", content: "x" }] }) + "\n");
  assert.throws(() => loadUltrachat(dir), /ultrachat_200k_test_sft\.jsonl row 1: expected 'messages'/);
  fs.rmSync(dir, { recursive: true });
});
