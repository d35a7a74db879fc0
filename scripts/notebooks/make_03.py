# Authoring source of notebooks/03-looking-inside-llms.ipynb: edit here, run with /usr/bin/python3 from the repo root.
import os
import sys

from nbformat.v4 import new_markdown_cell as md, new_code_cell as code

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nbtools import write_notebook  # noqa: E402

cells = [
md("""# Chapter 3 — Looking Inside Large Language Models

What happens between a prompt and the next token: the tokenizer, the stack of Transformer blocks, the LM
head's scores over the vocabulary, the choice of one token, the KV cache, and inside each block, attention.

* **offline (the default)** — `gpt2-austen`, the small GPT-2 this library trained on Jane Austen
  (`data/models/gpt2-austen`, see its model card): tiny and not clever, but every step of the chapter
  works on it exactly as on a real model.
* **online** (`HOLLM_ONLINE=1`) — GPT-2 from the Hugging Face Hub through the same `fromPretrained` call
  (the book uses Phi-3-mini; `LlamaForCausalLM.fromPretrained` loads Phi-3 checkpoints the same way)."""),
code("""import {
  AutoTokenizer, GPT2LMHeadModel, barChart, dataDir, generate, heatmapChart, initEngine, lineChart, modeBanner,
  rotaryCosSin, samplingDistribution, settings, show, tf, textGenerationPipeline,
} from "hands-on-llm";
import * as path from "path";

console.log(modeBanner());
await initEngine();
const modelId = settings.online ? "gpt2" : path.join(dataDir(), "models", "gpt2-austen");
const tokenizer = await AutoTokenizer.fromPretrained(modelId);
const model = await GPT2LMHeadModel.fromPretrained(modelId);"""),
md("""## The inputs and outputs of a trained Transformer LLM

As the book: a text-generation pipeline that returns only the new text, greedy decoding."""),
code("""const generator = textGenerationPipeline(model, tokenizer, { returnFullText: false, maxNewTokens: 50, doSample: false });
const prompt = "Write an email apologizing to Sarah for the tragic gardening mishap. Explain how it happened.";
console.log(generator(prompt)[0].generated_text);"""),
md("""## The components of the forward pass

The model prints as a tree of modules, with Hugging Face's names: the token embeddings (`wte`) and
position embeddings (`wpe`), the stack of blocks (`h`), the final LayerNorm, and — tied to `wte` — the
LM head that scores every token of the vocabulary."""),
code("""console.log(String(model));
console.log(`${model.numParameters().toLocaleString()} parameters`);"""),
md("""## Choosing a single token from the probability distribution

Run the blocks on the prompt, apply the LM head, and look at the scores of the **last** position: they rank
every token of the vocabulary as the next one."""),
code("""const next = "It is a truth universally acknowledged, that a single man in possession of a good";
const ids = tokenizer.encode(next);
const out = tf.tidy(() => {
  const input = tf.tensor2d([ids], undefined, "int32");
  const hidden = model.transformer.forward(input).lastHiddenState;
  const logits = model.forward(input).logits;
  return { hiddenShape: hidden.shape, logitsShape: logits.shape, last: Array.from(tf.slice(logits, [0, ids.length - 1, 0], [1, 1, -1]).dataSync()) };
});
console.log("blocks' output:", out.hiddenShape, " lm_head output:", out.logitsShape);
const probs = samplingDistribution(out.last, { topK: 0 });
const top = Array.from(probs).map((p, id) => ({ id, p })).sort((a, b) => b.p - a.p).slice(0, 10);
console.log("greedy next token:", JSON.stringify(tokenizer.decode([top[0].id])));
await show(barChart({
  data: top.map((t) => ({ token: JSON.stringify(tokenizer.decode([t.id])), probability: t.p })),
  x: "token", y: "probability", title: `Next-token probabilities after "…${next.slice(-24)}"`, horizontal: true,
}));"""),
md("""Greedy decoding always takes the top token. Sampling draws from the distribution instead; temperature
flattens or sharpens it, and top-p keeps only the smallest set of tokens that covers p of the probability.
Same prompt, same seed, different settings:"""),
code("""for (const [name, opts] of [
  ["greedy", { doSample: false }],
  ["temperature 0.7", { doSample: true, temperature: 0.7, topK: 0 }],
  ["temperature 1.5", { doSample: true, temperature: 1.5, topK: 0 }],
  ["top-p 0.9", { doSample: true, topP: 0.9, topK: 0 }],
] as const) {
  const text = generator(next, { ...opts, maxNewTokens: 25, seed: 3 })[0].generated_text;
  console.log(`${name.padEnd(16)} ${JSON.stringify(text)}`);
}"""),
md("""## Speeding up generation by caching keys and values

Each new token only needs its own stream through the blocks if the keys and values of the earlier
positions are kept (the KV cache). The book times 100 tokens of Phi-3 with and without it. Our Austen model
is too small for the difference to show (each step costs little either way), so the timing uses a GPT-2 of
6 blocks x 384 with random weights — speed does not depend on the weights."""),
code("""const sized = new GPT2LMHeadModel({ vocab_size: 5000, n_positions: 256, n_embd: 384, n_layer: 6, n_head: 6 });
const promptIds = Array.from({ length: 20 }, (_, i) => (i * 37) % 5000);
const timeIt = (useCache: boolean) => {
  const t0 = performance.now();
  generate(sized, promptIds, { maxNewTokens: 100, useCache });
  return (performance.now() - t0) / 1000;
};
generate(sized, promptIds, { maxNewTokens: 5 }); // warm-up
const withCache = timeIt(true), withoutCache = timeIt(false);
console.log(`100 new tokens: ${withCache.toFixed(2)} s with the cache, ${withoutCache.toFixed(2)} s without (${(withoutCache / withCache).toFixed(1)}x faster)`);
sized.dispose();"""),
md("""## Inside the Transformer block: attention

Attention lets each position take in information from earlier positions. Every head of every layer has its
own pattern: below, the weights of each query token (rows) over the tokens it may see (columns)."""),
code("""const sentence = "Sarah fed the cat because it was hungry";
const sentIds = tokenizer.encode(sentence);
const tokens = sentIds.map((id, i) => `${i}:${tokenizer.decode([id]).trim()}`);
const attentions = tf.tidy(() => model.forward(tf.tensor2d([sentIds], undefined, "int32"), { outputAttentions: true })
  .attentions!.map((a) => a.arraySync()[0] as number[][][]));
const layer = attentions.length - 1;
const rows = attentions[layer].flatMap((head, h) => head.flatMap((row, q) => row.map((w, k) => ({ head: `head ${h}`, query: tokens[q], key: tokens[k], weight: w }))));
await show(heatmapChart({ data: rows, x: "key", y: "query", value: "weight", facet: "head", columns: 2, width: 160, height: 160,
  title: `Attention weights, layer ${layer}` }));"""),
md("""## Rotary position embeddings (RoPE)

GPT-2 adds a learned vector per position. Llama, Phi-3 and most recent models rotate the queries and keys
instead: each pair of dimensions turns by an angle proportional to the position, at its own frequency, so
attention scores depend on relative positions. The lib's Llama uses `rotaryCosSin`; here are the cosines of
a few dimension pairs along 64 positions (head size 64, θ = 10000)."""),
code("""const positions = tf.tensor2d([Array.from({ length: 64 }, (_, i) => i)], undefined, "int32");
const [cos] = rotaryCosSin(positions, 64, 10000);
const table = cos.arraySync()[0][0] as number[][];
const curves = [0, 4, 8, 16].flatMap((pair) => table.map((row, pos) => ({ position: pos, cos: row[pair], pair: `pair ${pair}` })));
await show(lineChart({ data: curves, x: "position", y: "cos", color: "pair", title: "RoPE: cos(angle) per position, for 4 dimension pairs" }));
tf.dispose([positions, cos]);"""),
]

write_notebook(cells, "notebooks/03-looking-inside-llms.ipynb")
