# Authoring source of notebooks/07-advanced-text-generation.ipynb: edit here, run with /usr/bin/python3 from the repo root.
import os
import sys

from nbformat.v4 import new_markdown_cell as md, new_code_cell as code

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nbtools import write_notebook  # noqa: E402

cells = [
md("""# Chapter 7 — Advanced Text Generation Techniques and Tools

Chapter 6 engineered single prompts. Chapter 7 builds systems around a model, with LangChain in the book and small
classes of the same names here: **chains** of prompt templates whose outputs feed the next prompt, **memory** that
gives a conversation its history, and **agents** that decide which **tool** to call (ReAct: Thought → Action →
Observation, repeated).

* **offline (the default)** — `llama-mini-instruct`, the 3 M-parameter Llama of chapter 12, instruction-tuned on
  Factbook facts, WordNet definitions and the Python FAQ. Too small for stories, summaries or agent reasoning: the
  notebook runs every component on it anyway and prints the prompts it receives, so the plumbing is visible; for the
  agent it *also* runs a scripted model (clearly labelled) that plays a competent LLM, so the ReAct loop — with real
  tools, a real calculator and a real search over local documents — runs end to end.
* **online** (`HOLLM_ONLINE=1`) — the book's Phi-3-mini (`microsoft/Phi-3-mini-4k-instruct`, the book runs its GGUF
  through LangChain's `LlamaCpp`; here its ONNX export `Xenova/Phi-3-mini-4k-instruct` through transformers.js)."""),
code(r"""import {
  AutoTokenizer, BM25, ConversationBufferMemory, ConversationBufferWindowMemory, ConversationSummaryMemory, LLM, LLMChain, LLMInput,
  LlamaForCausalLM, PromptTemplate, REACT_PROMPT, ReActAgent, SequentialChain, calculatorTool, dataDir, dateTool,
  fakeListLLM, hubPipeline, initEngine, lineChart, llmFromCausalLM, llmFromTransformersPipeline, loadFactbook, loadFactbookFacts,
  modeBanner, renderToolDescriptions, searchTool, settings, show, saveGguf, llmFromGguf, hasNodeLlamaCpp, NODE_LLAMA_CPP_INSTALL,
  hfHubDownload,
} from "hands-on-llm";
import * as os from "os";
import * as path from "path";

console.log(modeBanner());
await initEngine();
const started = Date.now();
const modelPath = path.join(dataDir(), "models", "llama-mini-instruct");
const tokenizer = await AutoTokenizer.fromPretrained(modelPath);
const model = await LlamaForCausalLM.fromPretrained(modelPath);
console.log(`${modelPath}: ${model.numParameters().toLocaleString("en-US")} parameters, context ${model.config.max_position_embeddings} tokens`);"""),
md("""## 7.1 Model I/O: loading quantized models with LangChain

The book loads a 4-bit-free (fp16) GGUF of Phi-3 with `LlamaCpp(model_path=..., max_tokens=500, n_ctx=2048, seed=42)`:
a model that takes *raw text* and continues it. The same here — an `LLM` over the local model with no chat formatting,
greedy, stopped at the end-of-turn token:"""),
code(r"""// The end-of-turn token closes every reply; cut it off as the pipeline's skip_special_tokens does.
const cutEos = (inner: LLM): LLM => (input, options = {}) => inner(input, { ...options, stop: [...(options.stop ?? []), "</s>"] });
let llm: LLM = cutEos(llmFromCausalLM(model, tokenizer, { defaults: { maxNewTokens: 48, doSample: false, eosTokenId: tokenizer.eosTokenId ?? 2 } }));
if (settings.online) {
  const pipe = await hubPipeline("text-generation", "Xenova/Phi-3-mini-4k-instruct", { dtype: "q4" });
  llm = llmFromTransformersPipeline(pipe as any, { maxNewTokens: 500, doSample: false });
}
// Every prompt the model receives, to print what the chains and memories build.
const sentPrompts: string[] = [];
const tracedLLM: LLM = (input, options) => {
  sentPrompts.push(typeof input === "string" ? input : JSON.stringify(input));
  return llm(input, options);
};
console.log(JSON.stringify(await llm("Hi! My name is Maarten. What is 1 + 1?")));"""),
md("""### The GGUF file itself, through llama.cpp

The book's model is a GGUF file run by llama.cpp. The same path works offline with the local model: `saveGguf` writes
`llama-mini-instruct` as llama.cpp's converter does (its tensor names, the q/k permutation for llama.cpp's RoPE layout,
the tokenizer and chat template as metadata), here quantised to Q8_0 (8-bit blocks of 32 with a scale), and
`llmFromGguf` runs it through **node-llama-cpp** (llama.cpp's prebuilt CPU build; `bash scripts/setup-node-llama-cpp.sh`
installs it into `.cache/`, the setup does so on Linux x64). Online, the book's own file
`microsoft/Phi-3-mini-4k-instruct-gguf` / `Phi-3-mini-4k-instruct-fp16.gguf` (7.6 GB) is downloaded and run the same way."""),
code(r"""const ggufFile = settings.online
  ? await hfHubDownload("microsoft/Phi-3-mini-4k-instruct-gguf", "Phi-3-mini-4k-instruct-fp16.gguf")
  : path.join(os.tmpdir(), "llama-mini-instruct-q8_0.gguf");
if (!settings.online) {
  const gguf = saveGguf(model, tokenizer, ggufFile, { dtype: "q8_0" });
  console.log(`${path.basename(ggufFile)}: ${(gguf.bytes / 2 ** 20).toFixed(2)} MiB, ${gguf.tensors.length} tensors (float32 safetensors: ${(4 * model.numParameters() / 2 ** 20).toFixed(2)} MiB)`);
}
if (await hasNodeLlamaCpp()) {
  const ggufLLM = await llmFromGguf(ggufFile, { threads: 2 });
  const question = settings.online ? "<|user|>\nWhat is the capital of Norway?<|end|>\n<|assistant|>" : "<|user|>\nWhat is the capital of Norway?</s>\n<|assistant|>\n";
  const t0 = Date.now();
  const viaLlamaCpp = await ggufLLM(question, { maxNewTokens: 32, stop: ["</s>"] });
  console.log(`llama.cpp (${settings.online ? "fp16" : "Q8_0"}): ${JSON.stringify(viaLlamaCpp)} in ${Date.now() - t0} ms`);
  if (!settings.online) {
    const t1 = Date.now();
    const viaTfjs = await llm(question, { maxNewTokens: 32 });
    console.log(`tfjs (float32):   ${JSON.stringify(viaTfjs)} in ${Date.now() - t1} ms; same text: ${viaLlamaCpp.trim() === viaTfjs.trim()}`);
  }
  await ggufLLM.dispose();
} else {
  console.log(`node-llama-cpp is not installed, so the GGUF file is not run here: ${NODE_LLAMA_CPP_INSTALL}`);
}"""),
md("""As in the book, the raw question gets no proper answer: the model was trained on its chat template and this text is
not in it.

## 7.2 Chains: extending the capabilities of LLMs

### A single link in the chain: prompt template

The template carries the chat markers, and a `PromptTemplate` fills in the user's text; `LLMChain` is prompt + model
(LangChain's `prompt | llm`). Phi-3's markers online, TinyLlama's offline:"""),
code(r"""const template = settings.online
  ? "<s><|user|>\n{input_prompt}<|end|>\n<|assistant|>"
  : "<|user|>\n{input_prompt}</s>\n<|assistant|>\n";
const prompt = new PromptTemplate(template, { inputVariables: ["input_prompt"] });
const basicChain = new LLMChain({ llm: tracedLLM, prompt: prompt });
console.log(prompt.toString());
for (const question of ["Hi! My name is Maarten. What is 1 + 1?", "What is the capital of Norway?"]) {
  const out = await basicChain.invoke({ input_prompt: question });
  console.log(`\n${JSON.stringify(sentPrompts[sentPrompts.length - 1])}\n-> ${out.text}`);
}"""),
md("""With the template the model answers in a form it was taught — but not the question asked: it has learnt the shapes
of Factbook and WordNet answers far better than the facts, and arithmetic ("1 + 1") not at all. Phi-3 answers both.

### A chain with multiple prompts

The book generates a story in three steps — a title from a summary, a character from the summary and the title, a
story from all three — each an `LLMChain` whose output lands under a name (`output_key`), chained
`title | character | story`. `SequentialChain` checks when built that every variable a link needs is an input or an
earlier output, and passes the named values along:"""),
code(r"""const chatTemplate = (text: string) => settings.online ? `<s><|user|>\n${text}<|end|>\n<|assistant|>` : `<|user|>\n${text}</s>\n<|assistant|>\n`;
const title = new LLMChain({ llm: tracedLLM, outputKey: "title",
  prompt: new PromptTemplate(chatTemplate("Create a title for a story about {summary}. Only return the title.")) });
const character = new LLMChain({ llm: tracedLLM, outputKey: "character",
  prompt: new PromptTemplate(chatTemplate("Describe the main character of a story about {summary} with the title {title}. Use only two sentences.")) });
const story = new LLMChain({ llm: tracedLLM, outputKey: "story",
  prompt: new PromptTemplate(chatTemplate("Create a story about {summary} with the title {title}. The main character is: {character}. Only return the story and it cannot be longer than one paragraph.")) });
const storyChain = new SequentialChain({ chains: [title, character, story], inputVariables: ["summary"] });
console.log("inputs:", storyChain.inputKeys, "outputs:", storyChain.outputKeys);
const before = sentPrompts.length;
const storyOut = await storyChain.invoke("a girl that lost her mother");
sentPrompts.slice(before).forEach((p, i) => console.log(`\n[call ${i + 1}] ${JSON.stringify(p)}`));
console.log("\nresult:", storyOut);"""),
md("""Each prompt contains the previous links' outputs by name — that is the whole mechanism. The offline model has never
seen a story, so its title and character are fragments of the answer forms it was tuned on; with Phi-3 the three
calls write the book's short story. Breaking the task up also lets each step have its own instructions and length.

## 7.3 Memory: helping LLMs to remember conversations

A model is stateless: "What is my name?" after "Hi! My name is Maarten" works only if the earlier turn is *in the
prompt*. A memory fills a `{chat_history}` variable of the template before each call and saves the exchange after it.
Three memories from the book, each given the same three turns; after them we print exactly what each would put into
the prompt of a fourth turn:"""),
code(r"""const memoryTemplate = new PromptTemplate(chatTemplate("Current conversation:{chat_history}\n\n{input_prompt}"));
const turns = ["Hi! My name is Maarten and I am 33 years old. What is 1 + 1?", "What is 3 + 3?", "What is the capital of Norway?"];
const summaryPrompt = new PromptTemplate(chatTemplate("Summarize the conversations and update with the new lines.\n\nCurrent summary:\n{summary}\n\nnew lines of conversation:\n{new_lines}\n\nNew summary:"));
const memories = {
  "ConversationBufferMemory": new ConversationBufferMemory({ memoryKey: "chat_history" }),
  "ConversationBufferWindowMemory (k=2)": new ConversationBufferWindowMemory({ k: 2, memoryKey: "chat_history" }),
  "ConversationSummaryMemory": new ConversationSummaryMemory({ llm: llm, memoryKey: "chat_history", prompt: summaryPrompt, callOptions: { maxNewTokens: 40 } }),
};
const historyTokens: Array<{ turn: number; memory: string; tokens: number }> = [];
for (const [name, memory] of Object.entries(memories)) {
  const chain = new LLMChain({ llm: llm, prompt: memoryTemplate, memory: memory });
  console.log(`\n=== ${name}`);
  for (const [t, turn] of turns.entries()) {
    const out = await chain.invoke({ input_prompt: turn });
    console.log(`turn ${t + 1}: ${turn}\n     -> ${out.text}`);
    const history = (await memory.loadMemoryVariables()).chat_history;
    historyTokens.push({ turn: t + 1, memory: name, tokens: tokenizer.encode(history).length });
  }
  const next = memoryTemplate.format({ ...(await memory.loadMemoryVariables()), input_prompt: "What is my name?" });
  console.log(`--- the prompt of turn 4 ("What is my name?"), ${tokenizer.encode(next).length} tokens:\n${next}`);
}"""),
md("""* The **buffer** keeps everything: the name and age are there, and the prompt grows with every turn.
* The **window** (k = 2) keeps the last two exchanges: after three turns the first — the one with the name and age —
  is gone, so no model could answer "What is my name?" from it (the book's "What is my age?" example).
* The **summary** memory calls the model after every exchange to rewrite a running summary, and only the summary goes
  into the prompt: short, at the price of one extra call per turn. A summary is only as good as the model writing it —
  the offline model was never taught to summarise, so its "summaries" are poor and the name is lost; with Phi-3 the
  summary keeps "Maarten, 33".

The history each memory puts in the prompt, in tokens, turn by turn — the offline model's context is 256 tokens, so
the buffer memory would soon overflow it:"""),
code(r"""await show(lineChart({ data: historyTokens, x: "turn", y: "tokens", color: "memory", title: "Conversation history in the prompt (tokens)", yTitle: "tokens of {chat_history}" }));"""),
md("""## 7.4 Agents: creating a system of LLMs

### The tools

The book gives its agent a web search (DuckDuckGo) and LangChain's `llm-math` calculator. Offline the search runs over
local documents: the Factbook's sections, cut into their fields ("Population: …", "Capital: …") and ranked with BM25
(chapter 8's lexical search); the calculator parses arithmetic itself (never `eval`); a date tool counts days."""),
code(r"""const factbook = loadFactbook();
// One passage per Factbook field ("Population: 30,444,999 (July 2015 est.)"), with its label kept apart.
const fields = factbook.flatMap((d) => d.text.split(/(?<=\.) (?=[A-Z][A-Za-z ,'\/()-]{0,60}: )/).map((text) => ({ country: d.country, section: d.section, label: text.split(":")[0], text })));
const textIndex = new BM25(fields.map((f) => f.text), { stopWords: "english" });
const labelIndex = new BM25(fields.map((f) => f.label), { stopWords: "english" });
const countries = [...new Set(factbook.map((d) => d.country))].sort((a, b) => b.length - a.length);
const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
function factbookSearch(query: string, k: number) {
  // Country names in the query select the profiles (a metadata filter); BM25 ranks their fields by the rest of the
  // query, a match in the field's label counting double (a fielded search, as a title boost in a search engine).
  let rest = query;
  const named: string[] = [];
  for (const c of countries) {
    const re = new RegExp(`\\b${escapeRegExp(c)}\\b`, "gi");
    if (re.test(rest)) { named.push(c); rest = rest.replace(re, " "); }
  }
  const text = textIndex.getScores(rest), label = labelIndex.getScores(rest);
  const score = (i: number) => text[i] + 2 * label[i];
  const ids = Array.from(text.keys()).filter((i) => named.length === 0 || named.includes(fields[i].country)).sort((a, b) => score(b) - score(a));
  return ids.slice(0, k).map((i) => ({ title: `${fields[i].country} — ${fields[i].section}`, text: fields[i].text, score: score(i) }));
}
const search = searchTool(factbookSearch, {
  name: "Search", k: 2, maxChars: 300,
  description: "A search engine over the CIA World Factbook (2015). Use this to look up facts about countries. Input: a search query",
});
const tools = [calculatorTool(), dateTool(), search];
console.log(`${fields.length.toLocaleString("en-US")} fields of ${factbook.length.toLocaleString("en-US")} Factbook sections indexed`);
console.log(renderToolDescriptions(tools));
console.log("\nSearch('Peru population') ->\n" + (await search.func("Peru population")));
console.log("\nCalculator('30444999 / 1000') ->", await tools[0].func("30444999 / 1000"));
console.log("Date('1821-07-28, 2015-07-28') ->", await tools[1].func("1821-07-28, 2015-07-28"));"""),
md("""### The ReAct prompt

The agent's prompt is the book's ReAct template (LangChain hub `hwchase17/react`): the tools and their descriptions,
the Thought / Action / Action Input / Observation format, then the question. Generation is cut before the model can
write an `Observation:` itself; the executor runs the tool and appends the real observation."""),
code(r"""const agentQuestion = "What is the population of Peru divided by 1000?";
console.log(REACT_PROMPT.format({ tools: renderToolDescriptions(tools), tool_names: tools.map((t) => t.name).join(", "), input: agentQuestion, agent_scratchpad: "" }));"""),
md("""### The offline model as the agent

Three iterations of the loop with `llama-mini-instruct` driving it. The prompt alone is longer than its 256-token
context (generation slides the window, so the model sees only the end of it), and it was never trained on the ReAct
format — expect parse errors, which, as LangChain's `handle_parsing_errors=True`, go back to the model as the
observation:"""),
code(r"""const smallAgent = new ReActAgent({ llm: llm, tools: tools, maxIterations: 3, callOptions: { maxNewTokens: 32 } });
const smallRun = await smallAgent.invoke({ input: agentQuestion });
console.log(smallRun.transcript);
console.log(`\n[llama-mini-instruct] stopped by: ${smallRun.stoppedBy} after ${smallRun.iterations} model calls; steps: ${smallRun.steps.map((s) => s.kind).join(", ")}`);"""),
md("""### The same agent driven by a scripted model (a stand-in for a competent LLM)

To see the loop work end to end offline, the model is replaced by `fakeListLLM`: **a scripted model whose replies were
written in advance** — what GPT-3.5 or Phi-3 would write at each step. Everything else is real: the same
`ReActAgent`, prompt, parser and tools; the observations below come from the BM25 search and the calculator, not from
the script."""),
code(r"""const scripted = fakeListLLM([
  " I need to find the population of Peru first.\nAction: Search\nAction Input: Peru population",
  "The Factbook gives Peru's population as 30,444,999 (July 2015 est.). Now I divide it by 1000.\nAction: Calculator\nAction Input: 30444999 / 1000",
  "I now know the final answer\nFinal Answer: Peru's population (30,444,999 in July 2015) divided by 1000 is 30,444.999.",
]);
const scriptedAgent = new ReActAgent({ llm: scripted, tools: tools, maxIterations: 5, onStep: (s) => console.log(`[step ${s.iteration}] ${s.kind}: ${s.tool}(${JSON.stringify(s.toolInput)}) -> ${JSON.stringify(s.observation.slice(0, 80))}`) });
const scriptedRun = await scriptedAgent.invoke({ input: agentQuestion });
console.log("\n[SCRIPTED MODEL] transcript:\n" + scriptedRun.transcript);
console.log(`\n[SCRIPTED MODEL] final answer: ${scriptedRun.output} | stopped by: ${scriptedRun.stoppedBy} after ${scriptedRun.iterations} model calls`);
const peruPopulation = loadFactbookFacts().find((f) => f.country === "Peru")!.population!;
console.log(`check: the search observation contains 30,444,999: ${scriptedRun.steps[0].observation.includes("30,444,999")}; calculator: ${scriptedRun.steps[1].observation} (Factbook ${peruPopulation} / 1000 = ${peruPopulation / 1000})`);
console.log(`\nthe model's last prompt ends with the scratchpad the executor built:\n...${scripted.prompts[2].slice(-420)}`);"""),
md("""A second scripted question uses all three tools — the search for a date, the date tool for the day count:"""),
code(r"""const scripted2 = fakeListLLM([
  " I need the date of Peru's independence.\nAction: Search\nAction Input: Peru independence",
  "Peru became independent on 28 July 1821. I need the days from then to 28 July 2015.\nAction: Date\nAction Input: 1821-07-28, 2015-07-28",
  "I now know the final answer\nFinal Answer: 70,857 days passed between Peru's independence (28 July 1821) and 28 July 2015.",
]);
const run2 = await new ReActAgent({ llm: scripted2, tools: tools }).invoke("How many days passed between Peru's independence and 28 July 2015?");
console.log("[SCRIPTED MODEL] transcript:\n" + run2.transcript);
console.log(`\n[SCRIPTED MODEL] tools used: ${run2.steps.map((s) => `${s.tool} (${s.kind})`).join(", ")}`);"""),
md("""### Online: Phi-3 as the agent

The book runs its agent on GPT-3.5 through the OpenAI API; with `HOLLM_ONLINE=1` the cell below gives the same agent
and tools to Phi-3-mini (prompted in its chat format). A 3.8 B model follows the ReAct format most of the time; the
parser's error observations let it recover when it does not."""),
code(r"""if (settings.online) {
  const phi3 = await hubPipeline("text-generation", "Xenova/Phi-3-mini-4k-instruct", { dtype: "q4" });
  const phi3LLM = llmFromTransformersPipeline(phi3 as any, { maxNewTokens: 256, doSample: false });
  const phi3Agent = new ReActAgent({ llm: phi3LLM, tools: tools, asChat: true, maxIterations: 6 });
  const phi3Run = await phi3Agent.invoke({ input: agentQuestion });
  console.log(phi3Run.transcript);
  console.log(`\n[Phi-3] ${phi3Run.output} (${phi3Run.stoppedBy}, ${phi3Run.iterations} calls)`);
} else {
  console.log("Offline: the Phi-3 agent runs with HOLLM_ONLINE=1.");
}
console.log(`notebook time: ${((Date.now() - started) / 1000).toFixed(0)} s`);"""),
md("""## What the chapter shows

* **Chains** are templates whose variables are filled by the user or by earlier links; `SequentialChain` makes the
  data flow explicit and checks it before running.
* **Memory** is text in the prompt: all of it (buffer), the last k exchanges (window) or an LLM-written summary — a
  trade between completeness, prompt length and extra calls, printed above turn by turn.
* **Agents** are a loop around a model: the model chooses an action, the executor runs the tool and writes the
  observation into the next prompt. The loop needs a model that follows the ReAct format; a 3 M-parameter model does
  not, which is why the end-to-end run is scripted — and why the book's agent uses a large model."""),
]

write_notebook(cells, "notebooks/07-advanced-text-generation.ipynb", budget_s=300)
