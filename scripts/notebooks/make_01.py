# Authoring source of notebooks/01-introduction.ipynb: edit here, run with /usr/bin/python3 from the repo root.
import os
import sys

from nbformat.v4 import new_markdown_cell as md, new_code_cell as code

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nbtools import write_notebook  # noqa: E402

cells = [
md("""# Chapter 1 — An Introduction to Large Language Models

A language model predicts the next token of a text. Do that with a large Transformer trained on a large
share of the internet and you get a *large* language model (LLM): one that can write, summarise, answer and
chat. The book opens by loading Phi-3-mini and asking it for a joke.

This notebook does the same thing in TypeScript, two ways:

* **offline (the default)** — no model can be downloaded here, so we build the smallest honest version of an
  LLM ourselves: a GPT trained from scratch, in about a minute, on the text of *Moby-Dick*. Same
  architecture family, same next-token objective, same generation loop — only much smaller.
* **online** (`HOLLM_ONLINE=1`) — the book's own example: Phi-3-mini-4k-instruct through
  `@huggingface/transformers`, with its chat template."""),
code("""import {
  AdamW, CharTokenizer, GPT2LMHeadModel, ProgressBar, Rng, estimateLoss, hubPipeline, initEngine,
  lineChart, loadText, lrLambda, modeBanner, randomWindows, settings, show, textGenerationPipeline, trainStep,
} from "hands-on-llm";

console.log(modeBanner());
const engine = await initEngine();"""),
md("""## The book's example: Phi-3-mini (online)

In Python:

```python
generator = pipeline("text-generation", model=model, tokenizer=tokenizer,
                     return_full_text=False, max_new_tokens=500, do_sample=False)
messages = [{"role": "user", "content": "Create a funny joke about chickens."}]
output = generator(messages)
print(output[0]["generated_text"])
```

The TypeScript cell below is the same, on a 4-bit ONNX export of the model. It runs only in online mode."""),
code("""if (settings.online) {
  const generator = await hubPipeline("text-generation", "Xenova/Phi-3-mini-4k-instruct", { dtype: "q4" });
  const messages = [{ role: "user", content: "Create a funny joke about chickens." }];
  const output: any = await generator(messages, { max_new_tokens: 500, do_sample: false });
  console.log(output[0].generated_text.at(-1).content);
} else {
  console.log("Offline: skipping Phi-3-mini. The rest of the notebook trains a small GPT instead.");
}"""),
md("""## Offline: a language model from scratch

### The data and the tokenizer

A language model reads numbers, not letters. The simplest tokenizer gives every distinct character its own
id (chapter 2 shows the sub-word tokenizers that real LLMs use). We keep the last 10 % of the book aside to
measure how well the model does on text it never trained on."""),
code("""const text = loadText("moby-dick");
const tokenizer = CharTokenizer.fromText(text);
const ids = tokenizer.encode(text);
const split = Math.floor(ids.length * 0.9);
const trainIds = Int32Array.from(ids.slice(0, split));
const valIds = Int32Array.from(ids.slice(split));

console.log(`${text.length.toLocaleString()} characters, vocabulary of ${tokenizer.vocabSize} characters`);
console.log(`train: ${trainIds.length.toLocaleString()} tokens, validation: ${valIds.length.toLocaleString()} tokens`);
console.log("'Call me Ishmael.' ->", tokenizer.encode("Call me Ishmael."));"""),
md("""### The model

A GPT-2 architecture (chapter 3 opens it up): token and position embeddings, a stack of Transformer
blocks — masked self-attention and a feed-forward network — and a head that scores every token of the
vocabulary as the next one. The real GPT-2 has 124 M parameters; ours has a few hundred thousand."""),
code("""const config = { vocab_size: tokenizer.vocabSize, n_positions: 32, n_embd: 96, n_layer: 3, n_head: 4 };
const model = new GPT2LMHeadModel(config, { seed: 42 });
console.log(`GPT-2 style model: ${config.n_layer} blocks, width ${config.n_embd}, context ${config.n_positions} characters, ${config.n_head} heads, ` +
  `${model.numParameters().toLocaleString()} parameters, backend ${engine.backend}`);"""),
md("""### Generating before training

Generation repeats one step: run the model on the text so far, turn the scores of the last position into
probabilities, draw the next token, append it. Untrained, the model's guesses are uniform noise."""),
code("""const generator = textGenerationPipeline(model, tokenizer, { maxNewTokens: 300, doSample: true, temperature: 0.8, topK: 0 });
const prompt = "Call me Ishmael. ";
const before = generator(prompt, { seed: 1 })[0].generated_text;
console.log(before);"""),
md("""### Training

Each step takes 32 random windows of 32 characters, asks the model to predict every next character, and
nudges all parameters against the gradient of the cross-entropy loss (AdamW, cosine learning-rate decay).
The loss starts near ln(vocabulary size) — a uniform guess — and falls as the model learns spelling,
words and some punctuation."""),
code("""const steps = 300, batchSize = 32, blockSize = config.n_positions, peakLr = 3e-3;
const optimizer = new AdamW(model.namedParameters(), { lr: peakLr, weightDecay: 0.1 });
const schedule = lrLambda("cosine", 20, steps);
const rng = new Rng(0);
const history: { step: number; loss: number; split: string }[] = [];
const evaluate = (tokens: Int32Array) => estimateLoss(model, tokens, { batches: 4, batchSize, blockSize });

history.push({ step: 0, loss: await evaluate(valIds), split: "validation" });
model.train();
const bar = new ProgressBar({ total: steps, desc: "training" });
for (let step = 1; step <= steps; step++) {
  optimizer.lr = peakLr * schedule(step);
  const batch = randomWindows(trainIds, batchSize, blockSize, rng);
  const { loss } = await trainStep(model.namedParameters(), optimizer, () => model.forward(batch, { labels: batch }).loss!);
  batch.dispose();
  history.push({ step, loss, split: "train" });
  if (step % 50 === 0) history.push({ step, loss: await evaluate(valIds), split: "validation" });
  bar.update(1);
  bar.setPostfix({ loss: loss.toFixed(3) });
}
bar.close();
model.eval();
const last = history.filter((h) => h.split === "validation");
console.log(`validation loss: ${last[0].loss.toFixed(3)} -> ${last[last.length - 1].loss.toFixed(3)} ` +
  `(uniform guess: ln ${tokenizer.vocabSize} = ${Math.log(tokenizer.vocabSize).toFixed(3)})`);"""),
code("""await show(lineChart({
  data: history, x: "step", y: "loss", color: "split",
  title: "Training a character-level GPT on Moby-Dick", yTitle: "cross-entropy loss",
}));"""),
md("""### Generating after training

The same prompt, the same random seed. After a minute of training the model has learned the look of
English — words, spaces, capitals, punctuation — though not yet its meaning. That gap is what scale
closes: more parameters, more text, more compute (and sub-word tokens, chapter 2)."""),
code("""const after = generator(prompt, { seed: 1 })[0].generated_text;
console.log(after);"""),
md("""## What's next

* Chapter 2 — tokens and embeddings: how real LLMs cut text into sub-word tokens.
* Chapter 3 — looking inside: the forward pass, attention, sampling and the KV cache, on this same model class."""),
]

write_notebook(cells, "notebooks/01-introduction.ipynb")
