# Authoring source of notebooks/12-fine-tuning-generation-models.ipynb: edit here, run with /usr/bin/python3 from the repo root.
import os
import sys

from nbformat.v4 import new_markdown_cell as md, new_code_cell as code

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nbtools import write_notebook  # noqa: E402

cells = [
md("""# Chapter 12 — Fine-Tuning Generation Models

A pretrained (base) model continues text; it does not follow instructions. Chapter 12 takes one through the two
steps that turn it into a chat model:

1. **supervised fine-tuning (SFT)** on instruction / answer pairs — here with **QLoRA**: the base weights
   quantised to 4-bit NF4 and frozen, small LoRA adapters trained on top;
2. **preference tuning with DPO** — make the model prefer a chosen answer over a rejected one, without a reward
   model: the same model with its adapters switched off is the reference.

* **offline (the default)** — `llama-mini`, a 3.1 M-parameter Llama (RMSNorm, RoPE, SwiGLU, grouped-query
  attention) this library pretrained itself on the CIA World Factbook and WordNet glosses, with TinyLlama's chat
  template; instructions and preference pairs from `data/instructions`: the Python FAQ (real questions and answers),
  Factbook facts and WordNet definitions, with rejected answers made wrong by construction.
* **online** (`HOLLM_ONLINE=1`) — the book's `TinyLlama/TinyLlama-1.1B-intermediate-step-1431k-3T`, 3,000
  conversations of `HuggingFaceH4/ultrachat_200k` and `argilla/distilabel-intel-orca-dpo-pairs`, exported to JSON
  Lines (`ultrachat_200k_test_sft.jsonl`, `distilabel-intel-orca-dpo-pairs_train.jsonl` in `$HOLLM_ULTRACHAT` /
  `$HOLLM_ORCA_DPO` or the working folder). A 1.1 B model needs a GPU (the `webgpu` engine)."""),
code("""import {
  AutoTokenizer, DPOTrainer, LlamaForCausalLM, LoraConfig, PeftModel, Rng, SFTTrainer, collateSft, dataDir, formatChat, generate,
  getMemoryFootprint, initEngine, instructionPrompt, lineChart, loadInstructions, loadOrcaDpoPairs, loadPreferences, loadUltrachat,
  lossChart, modeBanner, nf4MemoryReport, perplexity, quantizeModel, settings, show, textGenerationPipeline, tokenizeForSft,
} from "hands-on-llm";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

console.log(modeBanner());
await initEngine();
const baseModel = settings.online ? "TinyLlama/TinyLlama-1.1B-intermediate-step-1431k-3T" : path.join(dataDir(), "models", "llama-mini");
const outputRoot = fs.mkdtempSync(path.join(os.tmpdir(), "chapter12-"));"""),
md("""## 12.3 Instruction tuning with QLoRA

### 12.3.1 Templating instruction data

The chat template of TinyLlama-Chat marks who speaks: `<|user|>` … `</s>` `<|assistant|>` … `</s>`. The book formats
every conversation with `apply_chat_template(chat, tokenize=False)`; `formatChat` is the same call."""),
code("""const templateTokenizer = await AutoTokenizer.fromPretrained(settings.online ? "TinyLlama/TinyLlama-1.1B-Chat-v1.0" : baseModel);

function formatPrompt(example: { messages: { role: "system" | "user" | "assistant"; content: string }[] }) {
  return { text: formatChat(templateTokenizer, example.messages) };
}

const instructions = loadInstructions({ split: "train" });
const heldOut = loadInstructions({ split: "test" });
const toChat = (r: { instruction: string; input?: string; output: string }) => ({
  messages: [{ role: "user" as const, content: instructionPrompt(r) }, { role: "assistant" as const, content: r.output }],
});
const conversations = settings.online ? new Rng(42).shuffle(loadUltrachat()).slice(0, 3000) : instructions.map(toChat);
console.log(`${conversations.length} conversations`);
console.log(formatPrompt(conversations[3]).text);"""),
md("""Offline the data mixes three sources (`data/instructions/README.md`): the Python FAQ's 173 real questions, templated
Factbook questions ("What is the capital of Peru?", with several phrasings, some with an Alpaca-style input field)
and WordNet definitions, synonyms and antonyms. The split is by entity — no country, word or FAQ question of the
test split is seen in training:"""),
code("""const bySource = (rows: { source: string }[]) => rows.reduce((m, r) => ((m[r.source] = (m[r.source] ?? 0) + 1), m), {} as Record<string, number>);
console.table({ train: bySource(instructions), test: bySource(heldOut) });"""),
md("""### 12.3.2 Model quantization

`BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True)` in the book;
`quantizeModel` here. Every linear layer of the decoder (not the output head) becomes a `Linear4bit`: its weights
are stored as 4-bit codes of the 16 NF4 values (normal-distribution quantiles), one absmax scale per block of 64
weights, and — double quantisation — those scales themselves quantised to 8 bits in blocks of 256. The forward pass
dequantises a layer's weight on the fly; nothing ever computes in 4 bits."""),
code("""const model = await LlamaForCausalLM.fromPretrained(baseModel);
const fp32Bytes = getMemoryFootprint(model);
const quantized = quantizeModel(model, { doubleQuant: true });
console.log(`${quantized.length} linear layers now 4-bit, e.g. ${quantized[0]}`);
console.log(`memory footprint: ${(fp32Bytes / 2 ** 20).toFixed(2)} MiB in float32 -> ${(getMemoryFootprint(model) / 2 ** 20).toFixed(2)} MiB`);
const tinyLlama = 1_100_048_384;
for (const doubleQuant of [false, true]) {
  const r = nf4MemoryReport(tinyLlama, { doubleQuant: doubleQuant });
  console.log(`TinyLlama's 1.1 B weights in NF4${doubleQuant ? " + double quantisation" : ""}: ${r.bytesPerParam.toFixed(4)} bytes per parameter, ${(r.totalBytes / 2 ** 30).toFixed(3)} GiB (float32: ${(r.fp32Bytes / 2 ** 30).toFixed(2)} GiB)`);
}"""),
md("""The offline model's output head and embeddings stay in float32 (as in transformers) and are a large share of so
small a model; for TinyLlama the 4-bit layers are nearly everything, hence the book's "~1 GB instead of ~4 GB".

### 12.3.3 LoRA configuration

peft's `LoraConfig`: rank `r`, scaling `lora_alpha / r`, dropout on the adapter's input, and the layers to adapt —
all seven projections of every decoder block. The book's r = 64 with `lora_alpha` 32 (scaling 0.5) for TinyLlama;
offline the same rank with the rule of thumb `lora_alpha` = 2r (scaling 2): on layers only 192 wide, r = 64 adapters are
a quarter of the layer's rank, and the tiny model needs the larger updates to learn in 200 steps."""),
code("""const peftConfig = new LoraConfig({
  lora_alpha: settings.online ? 32 : 128,  // LoRA scaling (alpha / r)
  lora_dropout: 0.1,  // dropout for LoRA layers
  r: 64,  // rank
  bias: "none",
  task_type: "CAUSAL_LM",
  target_modules: ["k_proj", "gate_proj", "v_proj", "up_proj", "q_proj", "o_proj", "down_proj"],
});"""),
md("""### 12.3.4 Training configuration

The book's arguments: batches of 2 with 4 accumulation steps, learning rate 2e-4, a cosine schedule, one epoch.
A 3 M-parameter model from scratch learns faster with a larger rate; offline batches of 8 without accumulation."""),
code("""const trainingArguments = {
  perDeviceTrainBatchSize: settings.online ? 2 : 8,
  gradientAccumulationSteps: settings.online ? 4 : 1,
  learningRate: settings.online ? 2e-4 : 3e-3,
  lrSchedulerType: "cosine" as const,
  warmupRatio: 0.03,
  ...(settings.online ? { numTrainEpochs: 1 } : { maxSteps: 200 }),
  loggingSteps: 10,
};"""),
md("""### 12.3.5 Training

`SFTTrainer` with a `peftConfig` wraps the quantised model with LoRA adapters (`get_peft_model`), tokenises the
conversations with the chat template and trains. Each example is a prompt (the user turn) and a completion (the
assistant turn): as trl does for prompt-completion data, the loss is computed on the completion only — the model
learns to answer, not to ask."""),
code("""const toPromptCompletion = (c: { messages: { role: "system" | "user" | "assistant"; content: string }[] }) => ({
  prompt: c.messages.slice(0, -1), completion: c.messages.slice(-1),
});
const tokenizer = templateTokenizer;
const trainer = new SFTTrainer({
  model: model,
  args: trainingArguments,
  trainDataset: conversations.map(toPromptCompletion),
  tokenizer: tokenizer,
  maxSeqLength: settings.online ? 512 : 192,
  peftConfig: peftConfig,
});
(trainer.model as unknown as PeftModel).printTrainableParameters();
const sftOutput = await trainer.train();
await show(lossChart(sftOutput.logHistory, "SFT (QLoRA): training loss"));

// Save QLoRA weights
const adapterDir = path.join(outputRoot, settings.online ? "TinyLlama-1.1B-qlora" : "llama-mini-qlora");
(trainer.model as unknown as PeftModel).savePretrained(adapterDir);
console.log(fs.readdirSync(adapterDir), JSON.parse(fs.readFileSync(path.join(adapterDir, "adapter_config.json"), "utf8")).target_modules);"""),
md("""The folder is peft's: `adapter_config.json` and `adapter_model.safetensors` with peft's tensor names, so Python's
`PeftModel.from_pretrained` loads it, and this library loads adapters trained in Python.

### 12.3.6 Merging weights

As the book: load the base model in full precision, load the adapter, and fold `scaling · B A` into each weight
(`merge_and_unload`). The merged model is an ordinary `LlamaForCausalLM`."""),
code("""const mergedModel = (await PeftModel.fromPretrained(await LlamaForCausalLM.fromPretrained(baseModel), adapterDir)).mergeAndUnload();
const pipe = textGenerationPipeline(mergedModel, tokenizer, { maxNewTokens: 48, eosTokenId: tokenizer.eosTokenId ?? 2, returnFullText: false });
const prompt = formatChat(tokenizer, [{ role: "user", content: settings.online ? "Tell me something about Large Language Models." : instructionPrompt(heldOut.find((r) => r.task === "capital")!) }], { addGenerationPrompt: true });
console.log(prompt + pipe(prompt)[0].generated_text);"""),
md("""Before and after, on questions of the held-out split (entities never seen in fine-tuning): the base model just
continues the text; the fine-tuned one answers in the form it was taught."""),
code("""const baseForComparison = await LlamaForCausalLM.fromPretrained(baseModel);
const samples = settings.online
  ? [{ instruction: "Tell me something about Large Language Models.", output: "" }]
  : ["capital", "population", "definition", "antonym", "faq"].map((task) => heldOut.find((r) => r.task === task || (task === "faq" && r.source === "python-faq"))!).filter(Boolean);
function answer(m: any, r: { instruction: string; input?: string }): string {
  const ids = tokenizer.encode(formatChat(tokenizer, [{ role: "user", content: instructionPrompt(r) }], { addGenerationPrompt: true }));
  const out = generate(m, ids, { maxNewTokens: 48, eosTokenId: tokenizer.eosTokenId ?? 2 });
  return tokenizer.decode(out.slice(ids.length), { skipSpecialTokens: true }).trim();
}
const responses = samples.map((r) => ({ question: instructionPrompt(r), reference: r.output, base: answer(baseForComparison, r), sft: answer(mergedModel, r) }));
for (const r of responses) console.log(`Q: ${r.question}\\n  reference: ${r.reference}\\n  base:      ${r.base}\\n  after SFT: ${r.sft}\\n`);"""),
md("""## 12.4 Evaluating generative models

Perplexity — exp of the mean negative log-likelihood per token — on the held-out answers: how surprised the model is
by the reference answer given the question. Lower is better; it measures fit to the format and facts, not whether
the answers are helpful (for that the book turns to benchmarks, leaderboards and human or model judges)."""),
code("""const heldOutFeatures = tokenizeForSft(tokenizer, heldOut.map(toChat).map(toPromptCompletion), { maxSeqLength: 192 });
const heldOutBatches = Array.from({ length: Math.ceil(heldOutFeatures.length / 16) }, (_, i) =>
  collateSft(heldOutFeatures.slice(16 * i, 16 * i + 16), { padTokenId: tokenizer.eosTokenId ?? 2 }));
const pplBase = perplexity(baseForComparison, heldOutBatches), pplSft = perplexity(mergedModel, heldOutBatches);
console.log(`held-out answer perplexity: base ${pplBase.toFixed(1)} -> after SFT ${pplSft.toFixed(2)}`);"""),
md("""## 12.7 Preference tuning with DPO

### 12.7.1 Templating alignment data

DPO needs, for each prompt, a *chosen* and a *rejected* answer. The book filters orca DPO pairs; offline, the pairs of
`data/instructions` are wrong by construction: a truncated answer, a true fact about the wrong field ("the capital
of Peru is 1,285,216 sq km"), another entity's value ("the capital of Peru is Quito"), or the answer to a different
FAQ question."""),
code("""function formatPreference(example: { prompt: string; chosen: string; rejected: string }) {
  return { prompt: formatChat(tokenizer, [{ role: "user", content: example.prompt }], { addGenerationPrompt: true }), chosen: example.chosen, rejected: example.rejected };
}
const preferences = loadPreferences({ split: "train" });
const preferencesHeldOut = loadPreferences({ split: "test" });
const dpoDataset = settings.online ? loadOrcaDpoPairs() : preferences.map(formatPreference);
console.log(`${dpoDataset.length} preference pairs`);
console.log(preferences.slice(0, 3).map((p) => ({ prompt: p.prompt, chosen: p.chosen, rejected: p.rejected, kind: p.kind })));"""),
md("""### 12.7.2 Model quantization

The book loads the merged SFT model in 4-bit again and adds fresh LoRA adapters: QLoRA for DPO too."""),
code("""const dpoModel = await LlamaForCausalLM.fromPretrained(baseModel);
const dpoBase = (await PeftModel.fromPretrained(dpoModel, adapterDir)).mergeAndUnload();
quantizeModel(dpoBase, { doubleQuant: true });"""),
md("""### 12.7.3 Training

DPO's loss for a pair is −log σ(β [(log π(chosen) − log π_ref(chosen)) − (log π(rejected) − log π_ref(rejected))]):
raise the chosen answer's likelihood *relative to the reference* more than the rejected one's. β = 0.1 keeps the
model near the reference. With a `peftConfig` the reference is the same model with its adapters disabled, so no
second copy is held. At the start policy = reference, so the loss is ln 2 ≈ 0.693 and the rewards are 0."""),
code("""const dpoArguments = {
  perDeviceTrainBatchSize: settings.online ? 2 : 8,
  gradientAccumulationSteps: settings.online ? 4 : 1,
  learningRate: settings.online ? 1e-5 : 3e-4,
  lrSchedulerType: "cosine" as const,
  maxSteps: settings.online ? 200 : 40,
  loggingSteps: settings.online ? 10 : 2,
  warmupRatio: 0.1,
};
const dpoTrainer = new DPOTrainer({ model: dpoBase, args: dpoArguments, trainDataset: dpoDataset, tokenizer: tokenizer, peftConfig: peftConfig, beta: 0.1,
  maxPromptLength: settings.online ? 512 : 96, maxLength: settings.online ? 512 : 160 });
// 200 held-out pairs (a seeded sample: the metrics need two forward passes per answer, policy and reference).
const heldOutSample = settings.online ? [] : new Rng(7).shuffle(preferencesHeldOut.slice()).slice(0, 200);
const heldOutPairs = settings.online ? dpoDataset.slice(-200) : heldOutSample.map(formatPreference);
const heldOutBefore = dpoTrainer.evaluate(heldOutPairs.slice(0, 32));
const dpoOutput = await dpoTrainer.train();
const metricRows = dpoOutput.logHistory.flatMap((r) =>
  ["rewards/chosen", "rewards/rejected", "rewards/margins"].map((k) => ({ step: r.step, value: r[k] as number, metric: k })));
await show(lineChart({ data: metricRows, x: "step", y: "value", color: "metric", title: "DPO rewards (β · log-ratio to the reference)", yTitle: "reward" }));
await show(lineChart({ data: dpoOutput.logHistory.flatMap((r) => [{ step: r.step, value: r.loss!, metric: "loss" }, { step: r.step, value: r["rewards/accuracies"] as number, metric: "rewards/accuracies" }]),
  x: "step", y: "value", color: "metric", title: "DPO loss and reward accuracy (training batches)" }));"""),
md("""Reward accuracy on the held-out pairs — prompts about countries, words and FAQ questions never seen in training:
the share of pairs whose chosen answer gets the larger implicit reward. Before DPO it is 0 (all rewards are 0);
by kind of rejected answer:"""),
code("""const rewards = dpoTrainer.pairRewards(heldOutPairs);
const margins = rewards.chosen.map((c, i) => c - rewards.rejected[i]);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
console.log(`held-out reward accuracy: ${heldOutBefore["rewards/accuracies"].toFixed(3)} before DPO -> ${mean(margins.map((m) => (m > 0 ? 1 : 0))).toFixed(3)} after ` +
  `(${margins.length} pairs; mean margin ${heldOutBefore["rewards/margins"].toFixed(3)} -> ${mean(margins).toFixed(3)})`);
if (!settings.online) {
  const kinds = [...new Set(heldOutSample.map((p) => p.kind))];
  console.table(kinds.map((kind) => {
    const rows = margins.filter((_, i) => heldOutSample[i].kind === kind);
    return { kind, pairs: rows.length, "reward accuracy": mean(rows.map((m) => (m > 0 ? 1 : 0))).toFixed(3), "mean margin": mean(rows).toFixed(3) };
  }));
}"""),
md("""### Responses: base → SFT → DPO"""),
code("""const dpoPolicy = dpoTrainer.model;
for (const [i, r] of samples.entries()) {
  console.log(`Q: ${instructionPrompt(r)}\\n  base:      ${responses[i].base}\\n  after SFT: ${responses[i].sft}\\n  after DPO: ${answer(dpoPolicy, r)}\\n`);
}"""),
md("""## What the numbers say

* **SFT** turns a text-continuing base model into one that answers in the taught form. The held-out perplexity of
  the reference answers falls by a large factor. Its *facts* are another matter: a 3 M-parameter model pretrained for
  twenty minutes knows few capitals, so it answers in the right form with plausible but often wrong values — the
  difference between format (cheap to teach) and knowledge (from pretraining) that the book stresses.
* **QLoRA** trained adapters over a frozen 4-bit model — here 22 % of the parameters, since r = 64 is large for layers
  192 wide; the book's same r = 64 on TinyLlama's 2,048-wide layers is 50 M adapter weights, 4.6 % of 1.1 B. The merged
  model is an ordinary checkpoint, and the adapter folder is peft's.
* **DPO** raises the held-out reward accuracy well above 0.5 where the rejected answer is wrong *in form*
  (truncated, the wrong field); where it is wrong only in *fact* (another country's capital) the model must know the
  fact, and there it stays near chance. Preference tuning sharpens what a model already knows; it does not add
  knowledge.
* Watch `rewards/chosen` in the chart: the loss only asks for a *margin*, so both answers' likelihoods may fall, the
  rejected one faster. With a learning rate of 1e-3 instead of 3e-4, held-out accuracy rose a little more (0.785) but
  the chosen answers' log-probability fell by ~6 nats and the greedy answers degraded into repetitions — the reason
  the book trains DPO with a small learning rate, and one reason for variants that add an SFT term on the chosen answer
  (trl's `rpo_alpha`)."""),
code("""// The adapters were written to a temporary folder: copy it elsewhere before this cell to keep them.
fs.rmSync(outputRoot, { recursive: true, force: true });"""),
]

write_notebook(cells, "notebooks/12-fine-tuning-generation-models.ipynb", budget_s=900)
