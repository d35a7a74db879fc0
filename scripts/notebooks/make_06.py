# Authoring source of notebooks/06-prompt-engineering.ipynb: edit here, run with /usr/bin/python3 from the repo root.
import os
import sys

from nbformat.v4 import new_markdown_cell as md, new_code_cell as code

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nbtools import write_notebook  # noqa: E402

cells = [
md("""# Chapter 6 — Prompt Engineering

A prompt is all an instruction-tuned model sees. This chapter builds prompts piece by piece — chat templates,
sampling controls, the components of a complex prompt, in-context examples, chains of prompts — then makes the model
*reason* (chain-of-thought, self-consistency, tree-of-thought) and *verify* its output (JSON that a schema accepts).

* **offline (the default)** — `llama-mini-instruct`, a 3 M-parameter Llama this library pretrained on the CIA World
  Factbook and WordNet glosses and then instruction-tuned (chapter 12's SFT) on Factbook facts, WordNet definitions
  and the Python FAQ, with TinyLlama's chat template. It has learnt the *form* of an answer about a country or a word
  ("The capital of … is …") far better than the facts, and it has never seen a joke, a story or a word problem. Every technique below runs on it, and the
  notebook prints the mechanics — the exact prompt, the tokens sampled, the votes, the search — so what each
  technique *does* is visible even where so small a model cannot show its *benefit*. Where it cannot, the text says so.
* **online** (`HOLLM_ONLINE=1`) — the book's `microsoft/Phi-3-mini-4k-instruct` (its ONNX export
  `Xenova/Phi-3-mini-4k-instruct`, 4-bit) through a transformers.js text-generation pipeline: the same cells, the
  book's answers. The cells that need the model's logits at every step (the token distributions, constrained JSON,
  scoring thoughts) keep the local model in both modes."""),
code(r"""import {
  AutoTokenizer, ChatMessage, LLM, LlamaForCausalLM, barChart, buildPrompt, chainOfThoughtMessages, chainPrompts, continuationLogProbs,
  dataDir, extractFinalAnswer, extractJson, fewShotMessages, formatChat, generate, generateJson, generateJsonBatch, generateWithRetry,
  hubPipeline, initEngine, llmFromCausalLM, llmFromTransformersPipeline, loadFactbookFacts, modeBanner, samplingDistribution,
  selfConsistency, settings, show, treeOfThought, treeOfThoughtPrompt, validateJsonSchema,
} from "hands-on-llm";
import * as path from "path";

console.log(modeBanner());
await initEngine();
const started = Date.now();
const modelPath = path.join(dataDir(), "models", "llama-mini-instruct");
const tokenizer = await AutoTokenizer.fromPretrained(modelPath);
const model = await LlamaForCausalLM.fromPretrained(modelPath);
console.log(`${modelPath}: ${model.numParameters().toLocaleString("en-US")} parameters, context ${model.config.max_position_embeddings} tokens`);"""),
md("""## 6.1 Using text generation models

### Choosing and loading a model

The book loads Phi-3-mini into a `pipeline("text-generation", ..., return_full_text=False, max_new_tokens=500,
do_sample=False)`. Here every model is wrapped as an `LLM` — a function from a prompt (text, or a list of chat
messages) to the new text — so the same helpers run on the local model, on the hub pipeline, or on a scripted fake:

* `llmFromCausalLM(model, tokenizer, { chatFormat })` renders chat messages with the tokenizer's chat template and
  generates with the lib's `generate` (greedy by default, as `do_sample=False`);
* `llmFromTransformersPipeline(pipe)` hands the messages to transformers.js, which applies Phi-3's template."""),
code(r"""const chatFormat = (messages: ChatMessage[]) => formatChat(tokenizer, messages, { addGenerationPrompt: true });
const localLLM = llmFromCausalLM(model, tokenizer, {
  chatFormat: chatFormat,
  defaults: { maxNewTokens: 48, doSample: false, eosTokenId: tokenizer.eosTokenId ?? 2 },
});
// The end-of-turn token closes every reply; cut it off as the pipeline's skip_special_tokens does.
const cutEos = (inner: LLM): LLM => (input, options = {}) => inner(input, { ...options, stop: [...(options.stop ?? []), "</s>"] });
let llm: LLM = cutEos(localLLM);
if (settings.online) {
  const pipe = await hubPipeline("text-generation", "Xenova/Phi-3-mini-4k-instruct", { dtype: "q4" });
  llm = llmFromTransformersPipeline(pipe as any, { maxNewTokens: 500, doSample: false });
}"""),
md("""### The chat template

A chat model was trained on conversations written in one exact format; the prompt must use it. The book prints
Phi-3's (`<|user|>` … `<|end|>` `<|assistant|>`); the offline model uses TinyLlama's (`<|user|>` … `</s>`
`<|assistant|>`), whose markers are single tokens of its vocabulary:"""),
code(r"""const messages: ChatMessage[] = [{ role: "user", content: settings.online ? "Create a funny joke about chickens." : "What is the capital of Norway?" }];
const prompt = chatFormat(messages);
console.log(prompt);
const promptIds = tokenizer.encode(prompt);
console.log(`${promptIds.length} tokens:`, promptIds.map((id) => tokenizer.decode([id])).map((t) => JSON.stringify(t)).join(" "));
console.log("\nreply:", await llm(messages));"""),
md("""The book's first prompt ("Create a funny joke about chickens.") is outside everything the offline model was taught,
so offline asks a Factbook question instead (the joke is in the online run). The reply has the taught form, but look
at its content: a 3 M-parameter model trained for minutes reproduces the *shape* of an answer — often about another
country than the one asked — and rarely the fact. Every output below should be read with that in mind.

### Controlling model output

Greedy decoding (`do_sample=False`) always takes the most likely token. With sampling on, **temperature** divides the
logits before the softmax (below 1 sharpens the distribution, above 1 flattens it), **top_k** keeps only the k most
likely tokens and **top_p** (nucleus sampling) keeps the smallest set whose probabilities add up to p. The lib applies
them in HF's order (temperature, top-k, top-p) and, as HF, samples with top_k = 50 unless told otherwise. Every row
below uses the same three seeds, so the only difference between rows is the setting:"""),
code(r"""const controlQuestion: ChatMessage[] = [{ role: "user", content: "What is the population of Japan?" }];
const controls: Array<{ setting: string; options: Record<string, number | boolean> }> = [
  { setting: "greedy (do_sample=False)", options: { doSample: false } },
  { setting: "temperature 0.3", options: { doSample: true, temperature: 0.3 } },
  { setting: "temperature 1.0", options: { doSample: true, temperature: 1.0 } },
  { setting: "temperature 2.0", options: { doSample: true, temperature: 2.0 } },
  { setting: "top_k 3", options: { doSample: true, topK: 3 } },
  { setting: "top_p 0.5", options: { doSample: true, topP: 0.5, topK: 0 } },
  { setting: "top_p 0.95", options: { doSample: true, topP: 0.95, topK: 0 } },
];
const controlRows: Array<Record<string, string>> = [];
for (const c of controls) {
  const row: Record<string, string> = { setting: c.setting };
  for (const seed of [1, 2, 3]) row[`seed ${seed}`] = (await localLLM(controlQuestion, { ...c.options, seed, maxNewTokens: 20, stop: ["</s>"] })).trim();
  controlRows.push(row);
}
console.table(controlRows);
const distinct = (r: Record<string, string>) => new Set([r["seed 1"], r["seed 2"], r["seed 3"]]).size;
console.log("distinct answers out of 3 seeds:", controlRows.map((r) => `${r.setting}: ${distinct(r)}`).join(", "));"""),
md("""Greedy gives one answer whatever the seed. With sampling each seed gives another answer; up to temperature 1, and
with top_k / top_p cutting the tail, the answers keep the taught form ("The population of … is … (2015 estimate).") and
vary the country and the digits; at temperature 2 rare tokens get in and the form itself falls apart. (Japan's
population in the Factbook the model was trained on: 126,919,659 — none of the rows knows it.)

What sampling does at one step: the model's next-token probabilities after "The population of Japan is", reshaped by
the temperature. Low temperature piles the mass onto the top token; high temperature spreads it over the tail."""),
code(r"""const stepPrompt = chatFormat(controlQuestion) + "The population of Japan is";
let stepLogits: number[] = [];
generate(model, tokenizer.encode(stepPrompt), { maxNewTokens: 1, logitsProcessor: (_ids, logits) => (stepLogits = logits) });
const atOne = samplingDistribution(stepLogits, { temperature: 1, topK: 0 });
const topTokens = Array.from(atOne.keys()).sort((a, b) => atOne[b] - atOne[a]).slice(0, 8);
const distributionRows: Array<{ token: string; temperature: string; probability: number }> = [];
for (const temperature of [0.5, 1, 2]) {
  const probs = samplingDistribution(stepLogits, { temperature, topK: 0 });
  for (const id of topTokens) distributionRows.push({ token: JSON.stringify(tokenizer.decode([id])), temperature: `T = ${temperature}`, probability: probs[id] });
}
console.table(topTokens.map((id) => ({ token: JSON.stringify(tokenizer.decode([id])), "T=0.5": distributionRows.find((r) => r.temperature === "T = 0.5" && r.token === JSON.stringify(tokenizer.decode([id])))!.probability.toFixed(3),
  "T=1": atOne[id].toFixed(3), "T=2": distributionRows.find((r) => r.temperature === "T = 2" && r.token === JSON.stringify(tokenizer.decode([id])))!.probability.toFixed(3) })));
await show(barChart({ data: distributionRows, x: "token", y: "probability", color: "temperature", title: "Next token after \"The population of Japan is\" at three temperatures", xTitle: "top tokens at T = 1" }));"""),
md("""And the tokens one sampled answer is made of, with the probability each had when it was drawn (temperature 1,
top_k 50, seed 2) — a sampled reply is a chain of such draws, and one unlikely draw early changes everything after it:"""),
code(r"""const drawIds = tokenizer.encode(chatFormat(controlQuestion));
const drawn: Array<{ step: number; token: string; probability: string; "most likely": string }> = [];
let lastLogits: number[] = [];
generate(model, drawIds, {
  maxNewTokens: 16, doSample: true, temperature: 1, seed: 2, eosTokenId: tokenizer.eosTokenId ?? 2,
  logitsProcessor: (_ids, logits) => (lastLogits = logits),
  onToken: (id) => {
    const probs = samplingDistribution(lastLogits, { temperature: 1, topK: 50 });
    const best = Array.from(probs.keys()).reduce((a, b) => (probs[b] > probs[a] ? b : a), 0);
    drawn.push({ step: drawn.length + 1, token: JSON.stringify(tokenizer.decode([id])), probability: probs[id].toFixed(3), "most likely": JSON.stringify(tokenizer.decode([best])) });
  },
});
console.table(drawn);"""),
md("""## 6.2 / 6.3 Prompt engineering: the components of a prompt

The book assembles a complex prompt from modular parts — a **persona**, the **instruction**, **context**, the output
**format**, the **audience**, the **tone**, and the **data** to work on — and adds or drops parts to see what each
changes. `buildPrompt` joins them in that order, one per line:"""),
code(r"""const introduction = "Norway is a country in Northern Europe. Its capital is Oslo. Norway has a long coastline on the North Atlantic Ocean.";
const components = {
  persona: "You are an expert in geography who explains countries to travellers.",
  instruction: "Summarize the text below.",
  context: "The summary should give a traveller the most important facts at a glance.",
  format: "Write one sentence.",
  audience: "The summary is for people who have never been to the country.",
  tone: "The tone should be friendly.",
  data: `Text to summarize: ${introduction}`,
};
const complexPrompt = buildPrompt(components);
console.log(complexPrompt);
console.log("\n--- full prompt:", (await llm([{ role: "user", content: complexPrompt }])).trim());
const { persona, context, audience, tone, ...bare } = components;
console.log("--- instruction + format + data only:", (await llm([{ role: "user", content: buildPrompt(bare) }])).trim());"""),
md("""The offline model was instruction-tuned on single questions ("What is the capital of …?", "Define …"), never on
summaries or personas, so the components do not steer it: both replies are fragments of the answer forms it was tuned
on. That is the chapter's point seen from the other side — prompt components work because large instruction models
were trained on many instructions of that shape. With Phi-3 (online) the persona and tone visibly change the summary.

## In-context learning: zero-, one- and few-shot

Instead of describing the task, show it. `fewShotMessages` turns each example into a user turn and an assistant
turn, then asks the real question — the book's one-shot "Gigamuru" example, and a task the offline model was taught
(antonyms), with zero, one and three examples:"""),
code(r"""const oneShot = fewShotMessages({
  examples: [{ input: "A 'Gigamuru' is a type of Japanese musical instrument. An example of a sentence that uses the word Gigamuru is:",
               output: "I have a Gigamuru that my uncle gave me as a gift. I love to play it at home." }],
  input: "To 'screeg' something is to swing a sword at it. An example of a sentence that uses the word screeg is:",
});
console.log(chatFormat(oneShot));
console.log("reply:", (await llm(oneShot)).trim(), "\n");

const antonymExamples = [
  { input: "hot", output: "cold" },
  { input: "early", output: "late" },
  { input: "strong", output: "weak" },
];
const shotRows: Array<Record<string, string | number>> = [];
for (const shots of [0, 1, 3]) {
  const few = fewShotMessages({ examples: antonymExamples.slice(0, shots), input: "happy", system: "Give the opposite of the word." });
  shotRows.push({ shots, "prompt tokens": tokenizer.encode(chatFormat(few)).length, reply: (await llm(few, { maxNewTokens: 16 })).trim() });
}
console.table(shotRows);
console.log(chatFormat(fewShotMessages({ examples: antonymExamples, input: "happy", system: "Give the opposite of the word." })));"""),
md("""Compare the rows: for a model of Phi-3's size the examples set the form of the answer (a one-word antonym, like the
examples), but this model was tuned only on single-turn chats and its reply barely depends on what came before the
last question — in-context learning is an ability that appears with scale, and it does not show here. The mechanics
are the point: the examples are ordinary chat turns, and each costs tokens (the prompt-tokens column); with a context
of 256 tokens, a long few-shot prompt would push the start of the conversation out of this model's window.

## Chain prompting: breaking up the problem

Rather than one large prompt, a chain of prompts where each uses the previous answer. The book asks for a product name
and slogan, then a sales pitch for that product. Offline the chain walks a word graph the model learnt from WordNet: a
synonym, then its opposite, then a definition of that. Each step is a template (`{previous}` is the last answer) or a
function of the answers so far. The answers are weak; the plumbing — each prompt built from the previous answer —
is the book's:"""),
code(r"""const lastWord = (text: string) => (text.match(/([A-Za-z-]+)\W*$/)?.[1] ?? text).toLowerCase();
let chain;
if (settings.online) {
  chain = await chainPrompts(llm, [
    (_prev, _outs, _input) => [{ role: "user", content: "Create name and slogan for a chatbot that leverages LLMs." }],
    (prev) => [{ role: "user", content: `Generate a very short sales pitch for the following product: '${prev}'` }],
  ]);
} else {
  chain = await chainPrompts(llm, [
    (_prev, _outs, input) => [{ role: "user", content: `Give a synonym of ${input}.` }],
    (prev) => [{ role: "user", content: `What is the opposite of ${lastWord(prev)}?` }],
    (prev) => [{ role: "user", content: `Define ${lastWord(prev)}.` }],
  ], { input: "big" });
}
chain.prompts.forEach((p, i) => console.log(`step ${i + 1} prompt: ${JSON.stringify((p as ChatMessage[])[0].content)}\n       answer: ${chain.outputs[i]}`));"""),
md("""## 6.4 Reasoning with generative models

### Chain-of-thought: think before answering

The book's few-shot chain-of-thought prompt gives one worked example whose answer spells out the reasoning (Roger's
tennis balls), so the model reasons the same way about the next question; the zero-shot variant only appends
"Let's think step-by-step.". `extractFinalAnswer` reads the answer out of the reasoning ("The answer is 9."):"""),
code(r"""const cotPrompt = chainOfThoughtMessages(
  "The cafeteria had 23 apples. If they used 20 to make lunch and bought 6 more, how many apples do they have?",
  { examples: [{ question: "Roger has 5 tennis balls. He buys 2 more cans of tennis balls. Each can has 3 tennis balls. How many tennis balls does he have now?",
                 answer: "Roger started with 5 balls. 2 cans of 3 tennis balls each is 6 tennis balls. 5 + 6 = 11. The answer is 11." }] },
);
console.log(chatFormat(cotPrompt));
const cotAnswer = (await llm(cotPrompt, { maxNewTokens: 48 })).trim();
console.log("reply:", cotAnswer, "\nextracted answer:", extractFinalAnswer(cotAnswer), "(correct: 9)\n");

const zeroShotCot = chainOfThoughtMessages("The cafeteria had 23 apples. If they used 20 to make lunch and bought 6 more, how many apples do they have?");
console.log(zeroShotCot[zeroShotCot.length - 1].content);
const zeroShotAnswer = (await llm(zeroShotCot, { maxNewTokens: 48 })).trim();
console.log("reply:", zeroShotAnswer, "\nextracted answer:", extractFinalAnswer(zeroShotAnswer));"""),
md("""No arithmetic word problem was ever in the offline model's data, and a 3 M-parameter model cannot do arithmetic in
its head, so chain-of-thought cannot help it: the benefit the book shows (Phi-3 goes from a wrong "27" style guess to
"23 − 20 = 3, 3 + 6 = 9") needs a model large enough to have learnt to reason in text — the effect appears only at
scale (Wei et al., 2022). The prompt mechanics are the same in both modes.

### Self-consistency: sampling outputs

Sample several answers to the same prompt (sampling on, a different seed each) and take the majority vote. Offline
the question is one whose answer has few possible values and is known from the Factbook — the world region of a
country — asked of eight countries, 7 samples each at temperature 1; the first one's samples are printed in full:"""),
code(r"""const facts = loadFactbookFacts();
// "Peru is in South America." -> "South America"
const regionAnswer = (completion: string) => {
  const m = /\bin\s+(?:the\s+)?([^.\n]+?)\s*(?:\.|$)/i.exec(completion);
  return m ? m[1].trim() : null;
};
const regionOf = (country: string) => facts.find((f) => f.country === country)!.region;
const scCountries = ["Chile", "Jamaica", "Kenya", "Morocco", "Norway", "Peru", "Portugal", "Ukraine"];
const scRows: Array<Record<string, string | number>> = [];
for (const [i, country] of scCountries.entries()) {
  const q: ChatMessage[] = [{ role: "user", content: `In which region of the world is ${country}?` }];
  const greedyReply = (await llm(q, { maxNewTokens: 20 })).trim();
  const vote = await selfConsistency(llm, q, { samples: 7, seed: 100 * i, extractAnswer: regionAnswer, callOptions: { temperature: 1.0, maxNewTokens: 20 } });
  if (i === 0) {
    console.log(`${q[0].content}\ngreedy: ${greedyReply}`);
    vote.completions.forEach((c, k) => console.log(`sample ${k + 1}: ${c.trim()}  -> ${vote.answers[k]}`));
    console.table(vote.votes);
    console.log(`majority: ${vote.answer} (${vote.votes[0]?.count ?? 0} of ${vote.completions.length} votes, agreement ${vote.agreement.toFixed(2)}); Factbook: ${regionOf(country)}\n`);
  }
  scRows.push({ country, Factbook: regionOf(country), greedy: regionAnswer(greedyReply) ?? "-", majority: vote.answer ?? "-", agreement: Number(vote.agreement.toFixed(2)),
    votes: vote.votes.map((v) => `${v.answer}: ${v.count}`).join(", ") });
}
console.table(scRows);
// The Factbook writes "Australia-Oceania" where the instruction data says "Australia and Oceania".
const same = (a: string | number, b: string | number) => String(a).toLowerCase().replace(/-/g, " and ") === String(b).toLowerCase().replace(/-/g, " and ");
const right = (key: string) => scRows.filter((r) => same(r[key], r.Factbook)).length;
const meanAgreement = scRows.reduce((sum, r) => sum + Number(r.agreement), 0) / scRows.length;
console.log(`correct: greedy ${right("greedy")}/${scRows.length}, self-consistency ${right("majority")}/${scRows.length}; mean agreement ${meanAgreement.toFixed(2)}`);"""),
md("""Self-consistency pays off when the model's *distribution* puts most mass on the right answer but greedy decoding takes
a wrong turn, and it costs n times the compute. This model has learnt which regions are common answers, not where
each country lies — its greedy reply is often about another country altogether — so the votes scatter and the majority
is right about as rarely as greedy. The votes still say something useful: an agreement far below 1 is the model
telling you it does not know. With Phi-3 the samples agree, and on harder questions (the book's arithmetic) the vote
corrects single wrong chains of thought.

### Tree-of-thought: exploring intermediate steps

The book's one-prompt version asks the model to imagine three experts who reason one step at a time and drop out when
wrong:"""),
code(r"""const totQuestion = "The cafeteria had 23 apples. If they used 20 to make lunch and bought 6 more, how many apples do they have?";
console.log(treeOfThoughtPrompt(totQuestion));
console.log("\nreply:", (await llm([{ role: "user", content: treeOfThoughtPrompt(totQuestion) }], { maxNewTokens: 48 })).trim());"""),
md("""The full method (Yao et al., 2023) is a search: a *thought generator* proposes several next steps, a *state
evaluator* scores each partial solution, and breadth-first search keeps the best `b` states per level. `treeOfThought`
is that search with any propose / evaluate callbacks. Offline, for the question "Which has more people, Peru or
Kenya?", the thoughts are the two facts needed, each proposed by sampling the model three times, and the value of a
state is the model's own confidence in its thoughts (mean log-probability per token, `continuationLogProbs`) — the
paper's evaluator is another prompt to GPT-4, which a 3 M model cannot play. Beam 2, depth 2; the last step (compare
two numbers) is plain code:"""),
code(r"""const subQuestions = ["What is the population of Peru?", "What is the population of Kenya?"];
const confidence = new Map<string, number>();
function thoughtConfidence(question: string, thought: string): number {
  const key = question + "\u0000" + thought;
  if (!confidence.has(key)) {
    const contextPrompt = chatFormat([{ role: "user", content: question }]);
    const tokens = tokenizer.encode(contextPrompt + thought).length - tokenizer.encode(contextPrompt).length;
    confidence.set(key, continuationLogProbs(model, tokenizer, contextPrompt, [thought])[0] / Math.max(1, tokens));
  }
  return confidence.get(key)!;
}
let proposeCalls = 0; // a new seed for every sample, so each parent gets its own candidates
const tot = await treeOfThought<string[]>({
  root: [],
  breadth: 2,
  depth: 2,
  propose: async (state, depth) => {
    const proposals: string[][] = [];
    for (let s = 0; s < 3; s++) {
      const thought = (await llm([{ role: "user", content: subQuestions[depth - 1] }], { doSample: true, temperature: 1.0, seed: 100 + proposeCalls++, maxNewTokens: 24 })).trim();
      proposals.push([...state, thought]);
    }
    return proposals;
  },
  evaluate: (state) => state.reduce((sum, thought, i) => sum + thoughtConfidence(subQuestions[i], thought), 0) / state.length,
  key: (state) => state.join(" | "),
});
tot.levels.forEach((level, i) => {
  console.log(`level ${i + 1}:`);
  for (const c of level) console.log(`  ${c.kept ? "kept   " : "dropped"} ${c.score.toFixed(3)}  ${c.state[c.state.length - 1]}`);
});
const populationIn = (thought: string) => Number((thought.match(/\d[\d,]{3,}/)?.[0] ?? "NaN").replace(/,/g, ""));
const [peru, kenya] = tot.path[tot.path.length - 1].map(populationIn);
console.log(`\nbest path (${tot.evaluations} states evaluated): ${tot.path[tot.path.length - 1].join(" / ")}`);
console.log(`=> ${Number.isNaN(peru) || Number.isNaN(kenya) ? "no numbers to compare" : peru > kenya ? "Peru has more people" : "Kenya has more people"} (Factbook: Peru ${facts.find((f) => f.country === "Peru")!.population!.toLocaleString("en-US")}, Kenya ${facts.find((f) => f.country === "Kenya")!.population!.toLocaleString("en-US")})`);"""),
md("""The printout is the whole search: three candidates at level 1, two kept, each expanded into three at level 2, and the
best-scored path. The thoughts themselves are this model's: the right form, often
the wrong country and a made-up number, so whatever the final comparison says is luck, not reasoning. A model's
confidence is also a weak judge of truth — a confidently wrong number scores well — which is why the paper evaluates
with a strong model's deliberate judgement. What the search adds, trying several thoughts and backing off from poor
ones, is independent of who proposes and who scores.

## 6.5 Output verification

### Providing examples, or asking nicely

The book first just asks for JSON:"""),
code(r"""const rpgReply = (await llm([{ role: "user", content: "Create a character profile for an RPG game in JSON format." }], { maxNewTokens: 60 })).trim();
console.log(rpgReply);
console.log("parses as JSON:", extractJson(rpgReply).ok);"""),
md("""### Grammar: constrained sampling

Instead of hoping, *constrain* generation: at every step, mask every token that cannot continue a JSON value the schema
accepts (the book uses llama-cpp-python's `response_format={"type": "json_object"}`; the lib compiles a JSON schema
into a byte-level automaton and masks the model's logits with it). Whatever the model would have said, the output is
valid — here for a schema with a country (one of six names), its capital (a string) and a population (an integer
between 0 and 2 billion), asked for six countries, sampling on:"""),
code(r"""const jsonCountries = ["Peru", "Norway", "Japan", "Kenya", "Portugal", "Canada"];
const countrySchema = {
  type: "object",
  properties: {
    country: { enum: jsonCountries },
    capital: { type: "string", maxLength: 24 },
    population: { type: "integer", minimum: 0, maximum: 2000000000 },
  },
  required: ["country", "capital", "population"],
  additionalProperties: false,
};
const jsonPrompts = jsonCountries.map((c) => chatFormat([{ role: "user", content: `Give the country, capital and population of ${c} as JSON.` }]));
const constrained = generateJsonBatch(model, tokenizer, jsonPrompts, countrySchema, { maxNewTokens: 64, doSample: true, temperature: 0.7, seed: 42 });
console.table(constrained.map((r, i) => ({ asked: jsonCountries[i], json: r.text, "schema errors": validateJsonSchema(r.value, countrySchema).length, finish: r.finishReason })));
const constrainedValid = constrained.filter((r) => validateJsonSchema(JSON.parse(r.text), countrySchema).length === 0).length;
console.log(`constrained: ${constrainedValid}/${constrained.length} valid for the schema`);
const single = generateJson(model, tokenizer, jsonPrompts[0], countrySchema, { maxNewTokens: 64 });
console.log(`greedy, Peru: ${single.text} (${single.tokenIds.length} tokens, ${single.finishReason})`);"""),
md("""Valid is not true: the schema guarantees the *shape* — a known country name, a string, an integer in range — not that
the country is the one asked for, nor that the string is a city or the number Peru's population; this model fills the
free string with fragments of its answer forms. Constrained decoding also changes what the model says — a token it would have preferred may
be masked — so the book's advice holds: constrain the format, verify the content.

### Validation and retry

Without constraints, the other way is to generate, parse, validate, and on failure ask again with the errors appended
to the prompt. `generateWithRetry` is that loop; each attempt samples with a new seed:"""),
code(r"""const retryPrompt = 'Give the country, capital and population of Peru as JSON with the keys "country", "capital" and "population".';
const retry = await generateWithRetry(
  (p, attempt) => llm([{ role: "user", content: p }], { doSample: true, temperature: 1.0, seed: attempt, maxNewTokens: 48 }),
  (value) => validateJsonSchema(value, countrySchema),
  { prompt: retryPrompt, maxAttempts: 4 },
);
for (const a of retry.attempts) console.log(`attempt ${a.attempt}: ${JSON.stringify(a.text.trim())}\n  rejected: ${a.errors.join("; ") || "no (accepted)"}`);
console.log(`retry loop: ${retry.ok ? "accepted" : "gave up"} after ${retry.attempts.length} attempts`);"""),
md("""How often is an unconstrained answer valid at all? The same six prompts, two samples each, unconstrained, against
the constrained decoder:"""),
code(r"""let unconstrainedJson = 0, unconstrainedValid = 0, unconstrainedTotal = 0;
for (const [i, c] of jsonCountries.entries()) {
  for (const seed of [1, 2]) {
    const text = await llm([{ role: "user", content: `Give the country, capital and population of ${c} as JSON.` }], { doSample: true, temperature: 0.7, seed: 10 * i + seed, maxNewTokens: 48 });
    const parsed = extractJson(text);
    unconstrainedTotal++;
    if (parsed.ok) unconstrainedJson++;
    if (parsed.ok && validateJsonSchema(parsed.value, countrySchema).length === 0) unconstrainedValid++;
  }
}
const constrainedMany = generateJsonBatch(model, tokenizer, jsonPrompts.flatMap((p) => [p, p]), countrySchema, { maxNewTokens: 64, doSample: true, temperature: 0.7, seed: 7 });
const constrainedManyValid = constrainedMany.filter((r) => validateJsonSchema(r.value, countrySchema).length === 0).length;
const validity = [
  { decoding: "unconstrained", check: "parses as JSON", rate: unconstrainedJson / unconstrainedTotal },
  { decoding: "unconstrained", check: "valid for the schema", rate: unconstrainedValid / unconstrainedTotal },
  { decoding: "constrained", check: "parses as JSON", rate: constrainedMany.length / constrainedMany.length },
  { decoding: "constrained", check: "valid for the schema", rate: constrainedManyValid / constrainedMany.length },
];
console.table(validity);
console.log(`validity: unconstrained ${unconstrainedValid}/${unconstrainedTotal}, constrained ${constrainedManyValid}/${constrainedMany.length}`);
await show(barChart({ data: validity, x: "check", y: "rate", color: "decoding", title: "JSON validity: unconstrained vs constrained sampling (12 samples each)", yTitle: "share of samples" }));
console.log(`notebook time: ${((Date.now() - started) / 1000).toFixed(0)} s`);"""),
md("""## What the numbers say

* The **chat template** and **sampling controls** are mechanics every model shares: greedy is deterministic, low
  temperature / small top_p stay near it, high temperature lets the tail in.
* **Prompt components, few-shot examples and chain-of-thought** steer a model only as far as its training and size
  let them: the offline model has learnt answer forms, not to summarise, to learn from examples in its prompt or to
  reason about numbers, so those benefits show only online.
* **Self-consistency** and **tree-of-thought** trade compute for reliability; their printouts show the votes and the
  search. Neither can create knowledge the model lacks, but the vote's agreement doubles as a confidence signal.
* **Constrained decoding** makes every output valid for the schema, where the unconstrained model rarely produces
  valid JSON at all and the retry loop may give up; valid is still not true."""),
]

write_notebook(cells, "notebooks/06-prompt-engineering.ipynb", budget_s=300)
