/**
 * Executes every chapter notebook headless on the offline defaults (through scripts/run_notebooks.py,
 * the same runner as the main job) and checks what each must show.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

const repo = path.resolve(__dirname, "..");
const outDir = path.join(repo, "output", "test-notebooks");
const python = process.env.HOLLM_PYTHON || "/usr/bin/python3";
const hasJupyter = spawnSync(python, ["-c", "import nbclient"]).status === 0;
// HOLLM_NOTEBOOKS=11b,04 runs only the notebooks whose names start with one of those prefixes.
const only = (process.env.HOLLM_NOTEBOOKS ?? "").split(",").filter(Boolean);
const notebooks = fs.readdirSync(path.join(repo, "notebooks")).filter((f) => /^\d.*\.ipynb$/.test(f) && (only.length === 0 || only.some((p) => f.startsWith(p)))).sort();
// HOLLM_EXECUTED_DIR=.scratch/nb checks notebooks already executed there instead of running them again.
const executedDir = process.env.HOLLM_EXECUTED_DIR;

interface Output { output_type: string; text?: string | string[]; data?: Record<string, unknown>; metadata?: Record<string, any> }
interface Cell { cell_type: string; source: string | string[]; outputs?: Output[] }

const join = (s: string | string[] | undefined) => (Array.isArray(s) ? s.join("") : s ?? "");

function execute(name: string): Cell[] {
  if (executedDir) return JSON.parse(fs.readFileSync(path.join(executedDir, name), "utf8")).cells;
  const run = spawnSync(python, ["scripts/run_notebooks.py", "--out", outDir, path.join("notebooks", name)], {
    cwd: repo,
    encoding: "utf8",
    env: { ...process.env, HOLLM_ONLINE: "" },
  });
  assert.equal(run.status, 0, `${name} failed:\n${run.stdout}\n${run.stderr}`);
  return JSON.parse(fs.readFileSync(path.join(outDir, name), "utf8")).cells;
}

for (const name of notebooks) {
  test(`notebook ${name} executes headless (offline)`, { skip: hasJupyter ? false : `no nbclient in ${python}` }, () => {
    const cells = execute(name);
    const outputs = cells.flatMap((c) => c.outputs ?? []);
    assert.ok(outputs.length > 0, "no outputs at all");
    // Every chart is one display_data bundle that carries all four renderings.
    const charts = outputs.filter((o) => o.output_type === "display_data" && o.data?.["application/vnd.vegalite.v5+json"]);
    for (const chart of charts) {
      for (const mime of ["application/vnd.vegalite.v5+json", "image/svg+xml", "image/png", "text/plain"]) {
        assert.ok(chart.data?.[mime], `a chart lacks ${mime}`);
      }
      assert.ok(chart.metadata?.["image/png"]?.width > 0, "the PNG lacks width metadata");
    }
    if (name.startsWith("05-")) {
      const printed = outputs.map((o) => join(o.text)).join("\n");
      assert.match(printed, /\d+ clusters, \d+ outliers/, "chapter 5 prints no HDBSCAN summary");
      assert.match(printed, /BERTopic fitted in/, "chapter 5 fits no BERTopic model");
      assert.match(printed, /k-means \(k=10\) on TF-IDF/, "chapter 5 prints no NMI comparison with the baseline");
      assert.ok(charts.length >= 6, `chapter 5 shows ${charts.length} charts, expected the documents map, bars, heatmap, hierarchy and scores`);
    }
    if (name.startsWith("01-")) {
      assert.ok(charts.length >= 1, "chapter 1 shows no loss chart");
      const printed = outputs.map((o) => join(o.text)).join("\n");
      const validation = /validation loss: ([\d.]+) -> ([\d.]+)/.exec(printed);
      assert.ok(validation, "chapter 1 prints no validation loss");
      assert.ok(Number(validation[2]) < Number(validation[1]) - 1, `the loss barely fell: ${validation[0]}`);
      const generations = printed.split("\n").filter((line) => line.startsWith("Call me Ishmael."));
      assert.ok(generations.length >= 2, "chapter 1 prints no text generated before and after training");
    }
    if (name.startsWith("03b-")) {
      const printed = outputs.map((o) => join(o.text)).join("\n");
      const number = (re: RegExp, what: string) => {
        const m = re.exec(printed);
        assert.ok(m, `notebook 03b prints no ${what}`);
        return Number(m[1].replace(/,/g, ""));
      };
      // The hand-written attention and mean pooling agree with the lib's (independent) implementations.
      assert.ok(number(/max \|ours - lib\| = ([\d.e+-]+)/, "attention check") < 1e-5, "the notebook's attention differs from the lib's");
      assert.ok(number(/max \|our mean pooling - lib's meanPooling\| = ([\d.e+-]+)/, "pooling check") < 1e-5, "the notebook's mean pooling differs from the lib's");
      assert.match(printed, /SentimentTransformer\(/, "notebook 03b prints no module tree");
      assert.match(printed, /\(0-1\): 2 x EncoderBlock\(/, "the module tree lacks the encoder blocks");
      const parameters = number(/^([\d,]+) parameters$/m, "parameter count");
      assert.ok(parameters > 100_000 && parameters < 1_000_000, `parameter count ${parameters} (measured 183,298)`);
      // Untrained, two balanced classes: the loss starts near ln 2.
      const initial = number(/loss before training: ([\d.]+)/, "initial loss");
      assert.ok(Math.abs(initial - Math.log(2)) < 0.1, `initial loss ${initial}, expected about ln 2`);
      const epochs = Array.from(printed.matchAll(/epoch \d+: validation loss ([\d.]+), accuracy ([\d.]+)/g), (m) => [Number(m[1]), Number(m[2])]);
      assert.ok(epochs.length >= 4, `notebook 03b logs ${epochs.length} validation epochs`);
      assert.ok(epochs[epochs.length - 1][0] < epochs[0][0] - 0.05, `the validation loss barely fell: ${epochs[0][0]} -> ${epochs[epochs.length - 1][0]}`);
      assert.match(printed, /^ +macro avg +[\d.]+ +[\d.]+ +[\d.]+ +600$/m, "notebook 03b prints no classification report of the 600 test sentences");
      assert.ok(number(/test accuracy: ([\d.]+)/, "test accuracy") > 0.7, "the transformer from scratch is near chance (measured 0.792)");
      const table = new Map(Array.from(printed.matchAll(/^(\S.*?) {2,}([01]\.\d{3}) +([01]\.\d{3}) +[\d,]+$/gm), (m) => [m[1].trim(), Number(m[3])]));
      assert.ok((table.get("Transformer from scratch") ?? 0) > 0.7, `transformer macro F1 ${table.get("Transformer from scratch")} (measured 0.791)`);
      assert.ok((table.get("TF-IDF (1-2 grams) + logistic regression") ?? 0) > 0.75, "TF-IDF baseline macro F1 (measured 0.803)");
      assert.match(printed, /(beats|does NOT beat) TF-IDF \+ logistic regression/, "notebook 03b prints no verdict against the baseline");
      const titles = charts.map((c) => JSON.stringify(c.data?.["application/vnd.vegalite.v5+json"]));
      for (const title of ["Sinusoidal position encodings", "Training the encoder from scratch", "Confusion matrix", "Attention weights"]) {
        assert.ok(titles.some((t) => t.includes(title)), `notebook 03b shows no chart "${title}"`);
      }
    }
    if (name.startsWith("11-")) {
      const printed = outputs.map((o) => join(o.text)).join("\n");
      // One F1 line per setting: full fine-tuning, head only, upper blocks, masked-LM first.
      const f1 = new Map(Array.from(printed.matchAll(/^(.+?): F1 ([01]\.\d{3}) \(([\d,]+) trainable parameters/gm), (m) => [m[1], Number(m[2])]));
      assert.ok(f1.size >= 4, `chapter 11 prints ${f1.size} F1 results, expected 4 settings`);
      assert.ok((f1.get("full fine-tuning") ?? 0) > 0.6, `full fine-tuning F1 ${f1.get("full fine-tuning")} (measured 0.73)`);
      const fills = printed.match(/^>>> what a horrible.*$/gm) ?? [];
      assert.ok(fills.length >= 10, `chapter 11 prints ${fills.length} fill-mask predictions, expected 5 before and 5 after`);
      assert.ok(charts.length >= 3, `chapter 11 shows ${charts.length} charts, expected loss curves and the F1 bars`);
    }
    if (name.startsWith("10-")) {
      const printed = outputs.map((o) => join(o.text)).join("\n");
      // One Spearman line per model; the book's ordering of the losses: softmax < cosine < MNR.
      const spearman = new Map(Array.from(printed.matchAll(/^(.+?): spearman_cosine ([\d.-]+)$/gm), (m) => [m[1], Number(m[2])]));
      for (const model of ["base model (no contrastive training)", "softmax loss (NLI)", "cosine similarity loss (NLI)", "MNR loss (NLI entailments)", "MNR loss (Bible paraphrases)", "augmented SBERT (gold + silver)", "gold pairs only", "TSDAE (unlabelled verses)"]) {
        assert.ok(Number.isFinite(spearman.get(model)), `notebook 10 prints no Spearman for "${model}"`);
      }
      const s = (k: string) => spearman.get(k)!;
      assert.ok(s("MNR loss (NLI entailments)") > s("softmax loss (NLI)"), `MNR ${s("MNR loss (NLI entailments)")} <= softmax ${s("softmax loss (NLI)")} (measured 0.590 vs 0.413)`);
      assert.ok(s("MNR loss (Bible paraphrases)") > s("base model (no contrastive training)") + 0.05, `MNR on paraphrases ${s("MNR loss (Bible paraphrases)")} vs base ${s("base model (no contrastive training)")} (measured 0.659 vs 0.551)`);
      assert.match(printed, /pearson_manhattan: [\d.-]+,\n +spearman_manhattan/, "notebook 10 prints no full evaluator result");
      assert.ok(charts.length >= 2, `notebook 10 shows ${charts.length} charts, expected a loss curve and the Spearman bars`);
    }
    if (name.startsWith("11b-")) {
      const printed = outputs.map((o) => join(o.text)).join("\n");
      assert.match(printed, /Num unique pairs = 1280\n  Batch size = 16/, "notebook 11b prints no setfit training header (2 x 20 iterations x 32 sentences)");
      assert.match(printed, /^f1: [01]\.\d{3} /m, "notebook 11b prints no SetFit F1");
      const fewShot = Array.from(printed.matchAll(/│ (8|16|32) +│ '(linear probe|SetFit)' +│ '([01]\.\d{3})' │/g));
      assert.equal(fewShot.length, 6, `the few-shot table has ${fewShot.length} rows, expected probe and SetFit at 8, 16, 32`);
      assert.match(printed, /macro F1 — linear probe [01]\.\d{3}, SetFit [01]\.\d{3}/, "notebook 11b prints no multi-class SetFit result");
      for (const type of ["LOC", "ORG", "PER"]) assert.match(printed, new RegExp(`^ +${type} +[\\d.]+ +[\\d.]+ +[\\d.]+ +\\d+$`, "m"), `the seqeval report has no ${type} row`);
      const nerF1 = Number(/overall_f1 ([\d.]+)/.exec(printed)?.[1]);
      assert.ok(nerF1 > 0.1, `NER overall F1 ${nerF1} (measured 0.16 after one epoch, 0.31 after two)`);
      const posAccuracy = Number(/POS accuracy ([\d.]+)/.exec(printed)?.[1]);
      assert.ok(posAccuracy > 0.7, `POS accuracy ${posAccuracy} (measured 0.774)`);
      assert.ok(charts.length >= 2, `notebook 11b shows ${charts.length} charts, expected the few-shot bars and the NER loss`);
    }
    if (name.startsWith("06-")) {
      const printed = outputs.map((o) => join(o.text)).join("\n");
      assert.match(printed, /<\|user\|>\nWhat is the capital of Norway\?<\/s>\n<\|assistant\|>\n/, "chapter 6 prints no chat-template prompt");
      const distinct = /distinct answers out of 3 seeds: greedy \(do_sample=False\): (\d), temperature 0\.3: (\d), temperature 1\.0: (\d), temperature 2\.0: (\d)/.exec(printed);
      assert.ok(distinct, "chapter 6 prints no generation-controls summary");
      assert.equal(distinct[1], "1", "greedy decoding must give one answer whatever the seed");
      assert.ok(Number(distinct[4]) >= 2, "temperature 2 gave the same answer for three seeds");
      assert.match(printed, /You are an expert in geography[^\n]*\nSummarize the text below\.\n[^\n]+\nWrite one sentence\.\n[^\n]+\nThe tone should be friendly\.\nText to summarize: /, "buildPrompt's components are not printed in order");
      assert.match(printed, /<\|assistant\|>\nweak<\/s>\n<\|user\|>\nhappy<\/s>\n<\|assistant\|>\n/, "the few-shot prompt is not printed");
      assert.match(printed, /step 3 prompt: "Define [^"]*"/, "chain prompting prints no third step");
      // Self-consistency: 8 questions, 7 samples each (measured: greedy 1/8, majority 1/8, agreement 0.32).
      assert.match(printed, /majority: (.+?) \((\d) of 7 votes, agreement ([\d.]+)\); Factbook: South America/, "chapter 6 prints no self-consistency vote for Chile");
      const sc = /correct: greedy (\d)\/8, self-consistency (\d)\/8; mean agreement ([\d.]+)/.exec(printed);
      assert.ok(sc && Number(sc[3]) > 0 && Number(sc[3]) <= 1, "chapter 6 prints no self-consistency summary");
      assert.match(printed, /level 1:\n[\s\S]*level 2:\n/, "tree-of-thought prints no levels");
      assert.equal((printed.match(/^  kept /gm) ?? []).length, 4, "tree-of-thought keeps 2 states per level");
      assert.match(printed, /best path \(9 states evaluated\)/, "tree-of-thought evaluates 3 + 6 states");
      const constrained = /constrained: (\d+)\/(\d+) valid for the schema/.exec(printed);
      assert.ok(constrained && constrained[1] === constrained[2] && constrained[2] === "6", "constrained JSON must be valid 6/6");
      const validity = /validity: unconstrained (\d+)\/12, constrained (\d+)\/12/.exec(printed);
      assert.ok(validity && validity[2] === "12", `constrained sampling must be valid 12/12 (${validity?.[0]})`);
      assert.match(printed, /retry loop: (accepted|gave up) after [1-4] attempts/, "generateWithRetry reports no attempts");
      assert.ok(charts.length >= 2, `chapter 6 shows ${charts.length} charts, expected the temperature and validity charts`);
    }
    if (name.startsWith("07-")) {
      const printed = outputs.map((o) => join(o.text)).join("\n");
      assert.match(printed, /inputs: \[ 'summary' \] outputs: \[ 'title', 'character', 'story' \]/, "the SequentialChain's keys are not printed");
      assert.match(printed, /\[call 3\] "<\|user\|>\\nCreate a story about a girl that lost her mother with the title .+ The main character is: /, "the story prompt does not carry the earlier outputs");
      const turn4 = [...printed.matchAll(/--- the prompt of turn 4 \("What is my name\?"\), (\d+) tokens:\n([\s\S]*?)What is my name\?<\/s>/g)];
      assert.equal(turn4.length, 3, "chapter 7 prints the turn-4 prompt of three memories");
      assert.match(turn4[0][2], /Human: Hi! My name is Maarten and I am 33 years old/, "the buffer memory lost the first turn");
      assert.doesNotMatch(turn4[1][2], /Maarten/, "the window memory (k=2) still holds the first turn");
      assert.equal((turn4[1][2].match(/Human: /g) ?? []).length, 2, "the window memory (k=2) holds two exchanges");
      assert.ok(Number(turn4[1][1]) < Number(turn4[0][1]), "the window prompt is not shorter than the buffer prompt");
      assert.match(printed, /Search\('Peru population'\) ->\n\[1\] Peru — People and Society: Population: 30,444,999/, "the BM25 Factbook search does not find Peru's population");
      assert.match(printed, /\[llama-mini-instruct\] stopped by: (final_answer|max_iterations) after \d model calls/, "the small model's agent run is not reported");
      assert.match(printed, /Observation: 30444\.999\n/, "the scripted agent's calculator observation is missing");
      assert.match(printed, /\[SCRIPTED MODEL\] final answer: .*30,444\.999.* \| stopped by: final_answer after 3 model calls/, "the scripted ReAct run did not finish");
      assert.match(printed, /the search observation contains 30,444,999: true; calculator: 30444\.999/, "the scripted run's observations are not the tools' output");
      assert.match(printed, /Observation: 70857 days from 1821-07-28 to 2015-07-28/, "the date tool's observation is missing");
      assert.match(printed, /\[SCRIPTED MODEL\] tools used: Search \(tool\), Date \(tool\)/, "the second scripted run did not use the search and date tools");
      assert.ok(charts.length >= 1, "chapter 7 shows no memory-length chart");
      assert.match(printed, /llama-mini-instruct-q8_0\.gguf: [\d.]+ MiB, 39 tensors/, "chapter 7 writes no GGUF file");
      // node-llama-cpp is optional (scripts/setup-node-llama-cpp.sh): where installed, the GGUF must generate text.
      assert.match(printed, /llama\.cpp \(Q8_0\): ".+" in \d+ ms|node-llama-cpp is not installed/, "chapter 7 neither runs the GGUF nor says why not");
    }
    if (name.startsWith("08-")) {
      const printed = outputs.map((o) => join(o.text)).join("\n");
      const nq = /^(\d+) questions with known relevant chunks/m.exec(printed);
      assert.ok(nq && Number(nq[1]) >= 200, `notebook 08 evaluates ${nq?.[1]} questions (measured 218)`);
      const metric = (system: string) => {
        const line = printed.split("\n").find((l) => l.startsWith(`${system}: recall@1 `));
        const m = line && /recall@1 ([\d.]+) recall@10 ([\d.]+) MRR@10 ([\d.]+)$/.exec(line);
        assert.ok(m, `notebook 08 prints no metrics line for ${system}`);
        return { r1: Number(m[1]), r10: Number(m[2]), mrr: Number(m[3]) };
      };
      const bm25 = metric("BM25"), dense = metric("dense"), hybrid = metric("hybrid (RRF)"), reranked = metric("BM25 + rerank");
      // Measured: BM25 0.339 / 0.679 / 0.445, dense 0.018 / 0.060 / 0.030, hybrid 0.138 / 0.541 / 0.235, rerank 0.064 / 0.679 / 0.196.
      assert.ok(bm25.r10 > 0.55 && bm25.mrr > 0.35, `BM25 recall@10 ${bm25.r10}, MRR ${bm25.mrr} (measured 0.679, 0.445)`);
      assert.ok(dense.r10 < bm25.r10 && hybrid.r10 < bm25.r10, `the notebook says BM25 wins offline: BM25 ${bm25.r10}, dense ${dense.r10}, hybrid ${hybrid.r10}`);
      assert.ok(hybrid.r10 > dense.r10, `hybrid recall@10 ${hybrid.r10} should beat dense alone ${dense.r10}`);
      assert.equal(reranked.r10, bm25.r10, "reranking BM25's top 10 cannot change recall@10");
      const ann = /ANN recall@10 vs exact: questions ([\d.]+), with searchK 40 ([\d.]+), chunks ([\d.]+)/.exec(printed);
      assert.ok(ann && Number(ann[1]) > 0.9 && Number(ann[2]) >= Number(ann[1]) && Number(ann[3]) > 0.9, `ANN recall ${ann?.slice(1)} (measured 0.987, 1.000, 1.000)`);
      const ex = /extractive over (\d+) questions: contains the answer ([\d.]+), faithfulness ([\d.]+) \(retrieval: answer chunk in the top 2 for ([\d.]+)\)/.exec(printed);
      assert.ok(ex && Number(ex[2]) > 0.3 && Number(ex[3]) > 0.99, `extractive baseline ${ex?.slice(1)} (measured 0.408 correct, faithfulness 1.000)`);
      assert.match(printed, /generator: llama-mini-instruct/, "notebook 08 did not generate with llama-mini-instruct");
      assert.match(printed, /generated over 8 questions: closed book contains the answer [\d.]+, with sources [\d.]+; \d+ empty answers; faithfulness of the others ([\d.]+|n\/a)/, "notebook 08 prints no RAG summary");
      assert.ok(charts.some((c) => JSON.stringify(c.data?.["application/vnd.vegalite.v5+json"]).includes("Retrieval on")), "notebook 08 shows no retrieval chart");
    }
    if (name.startsWith("09-")) {
      const printed = outputs.map((o) => join(o.text)).join("\n");
      const grids = outputs.filter((o) => o.output_type === "display_data" && join(o.data?.["text/html"] as string | string[] | undefined).includes("data:image/png;base64,"));
      assert.ok(grids.length >= 4, `notebook 09 shows ${grids.length} inline image grids, expected training pairs, the similarity batch, zero-shot predictions and retrievals`);
      const loss = /contrastive loss ([\d.]+) -> ([\d.]+)/.exec(printed);
      assert.ok(loss && Number(loss[2]) < Number(loss[1]) / 3, `contrastive loss ${loss?.[1]} -> ${loss?.[2]} (measured 3.256 -> 0.284)`);
      const retrieval = /held-out retrieval \(64 captions\): image->text ([\d.]+), text->image ([\d.]+)/.exec(printed);
      assert.ok(retrieval && Number(retrieval[1]) > 0.5 && Number(retrieval[2]) > 0.5, `held-out retrieval ${retrieval?.[1]} / ${retrieval?.[2]} (measured 0.875 / 0.938, chance 0.016)`);
      const seen = /zero-shot accuracy, pairs seen in training: ([\d.]+)/.exec(printed);
      assert.ok(seen && Number(seen[1]) > 0.7, `zero-shot accuracy on seen pairs ${seen?.[1]} (measured 0.947)`);
      const unseen = /zero-shot accuracy, pairs never seen together \(compositional\): ([\d.]+) \(colour right ([\d.]+)/.exec(printed);
      assert.ok(unseen && Number(unseen[1]) > 0.2 && Number(unseen[2]) > 0.8, `compositional zero-shot ${unseen?.[1]}, colour ${unseen?.[2]} (measured 0.532 / 0.958, chance 0.042)`);
      assert.ok(charts.length >= 4, `notebook 09 shows ${charts.length} charts, expected loss, retrieval, similarity heatmap and per-pair accuracy`);
    }
    if (name.startsWith("12-")) {
      const printed = outputs.map((o) => join(o.text)).join("\n");
      assert.match(printed, /^trainable params: [\d,]+ \|\| all params: [\d,]+ \|\| trainable%: [\d.]+$/m, "notebook 12 prints no peft parameter line");
      assert.match(printed, /memory footprint: [\d.]+ MiB in float32 -> [\d.]+ MiB/, "notebook 12 prints no NF4 memory footprint");
      const ppl = /held-out answer perplexity: base ([\d.]+) -> after SFT ([\d.]+)/.exec(printed);
      assert.ok(ppl && Number(ppl[2]) < Number(ppl[1]) / 2, `SFT perplexity ${ppl?.[1]} -> ${ppl?.[2]}: expected at least halved`);
      const acc = /held-out reward accuracy: ([\d.]+) before DPO -> ([\d.]+) after/.exec(printed);
      assert.ok(acc && Number(acc[2]) > 0.5, `held-out DPO reward accuracy ${acc?.[2]} must rise above 0.5`);
      assert.ok((printed.match(/^  after DPO: /gm) ?? []).length >= 3, "notebook 12 shows no responses after DPO");
      assert.ok(charts.length >= 3, `notebook 12 shows ${charts.length} charts, expected the SFT loss and two DPO metric charts`);
    }
    if (name.startsWith("04-")) {
      const printed = outputs.map((o) => join(o.text)).join("\n");
      // The book's evaluate_performance: one classification report per method.
      const reports = printed.match(/^Negative Review +[\d.]+ +[\d.]+ +[\d.]+ +\d+$/gm) ?? [];
      assert.ok(reports.length >= 6, `chapter 4 prints ${reports.length} classification reports, expected one per method`);
      assert.match(printed, /^ +macro avg +[\d.]+ +[\d.]+ +[\d.]+ +\d+$/m, "a classification report lacks its macro average");
      // The results table: method, accuracy, macro F1 — computed, so check they are sane, not exact.
      const table = new Map(Array.from(printed.matchAll(/^(\S.*?) {2,}([01]\.\d{3}) +([01]\.\d{3})$/gm), (m) => [m[1].trim(), Number(m[3])]));
      assert.ok(table.size >= 6, `chapter 4's results table has ${table.size} rows`);
      const f1 = (prefix: string) => [...table].find(([method]) => method.startsWith(prefix))?.[1];
      assert.ok((f1("TF-IDF") ?? 0) > 0.7, `TF-IDF + logistic regression macro F1 ${f1("TF-IDF")} (measured 0.81)`);
      assert.ok((f1("task model") ?? 0) > 0.65, `fine-tuned task model macro F1 ${f1("task model")} (measured 0.76)`);
      assert.match(printed, /(beats|does NOT beat) TF-IDF \+ logistic regression/, "chapter 4 prints no embeddings-vs-TF-IDF verdict");
      const results = charts.find((c) => JSON.stringify(c.data?.["application/vnd.vegalite.v5+json"]).includes("accuracy and macro F1"));
      assert.ok(results, "chapter 4 shows no results chart");
    }
  });
}
