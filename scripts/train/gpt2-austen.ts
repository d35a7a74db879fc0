/**
 * `npm run train -- gpt2-austen`: the offline stand-in for the book's pretrained generators. A byte-level
 * BPE tokenizer and a small GPT-2 trained from scratch on Jane Austen's six novels (data/austen),
 * written to data/models/gpt2-austen with a model card. A few minutes on 2 cores.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import {
  GPT2LMHeadModel, Rng, Trainer, estimateLoss, generate, initEngine, loadText, randomWindows, trainBpe, writeFileAtomic,
} from "hands-on-llm";

export const recipe = {
  name: "gpt2-austen",
  vocabSize: 2048,
  model: { n_positions: 64, n_embd: 128, n_layer: 4, n_head: 4, resid_pdrop: 0.1, embd_pdrop: 0.1, attn_pdrop: 0.1 },
  train: { maxSteps: 500, batchSize: 16, learningRate: 2e-3, warmupSteps: 30, weightDecay: 0.1, lrSchedulerType: "cosine" as const },
  seed: 42,
};

export async function trainGpt2Austen(outDir: string, steps = recipe.train.maxSteps): Promise<Record<string, unknown>> {
  const engine = await initEngine();
  const started = Date.now();
  const text = loadText("austen");
  const tokenizer = trainBpe(text, { vocabSize: recipe.vocabSize, specialTokens: ["<|endoftext|>"], modelMaxLength: recipe.model.n_positions });
  const ids = Int32Array.from(tokenizer.encode(text));
  const split = Math.floor(ids.length * 0.95);
  const [train, heldOut] = [ids.subarray(0, split), ids.subarray(split)];
  const T = recipe.model.n_positions;
  const model = new GPT2LMHeadModel({ ...recipe.model, vocab_size: tokenizer.vocabSize, bos_token_id: 0, eos_token_id: 0 }, { seed: recipe.seed });
  const evalLoss = () => estimateLoss(model, heldOut, { batches: 8, batchSize: 16, blockSize: T, seed: 7 });
  const initialLoss = await evalLoss();
  const trainer = new Trainer({
    model,
    args: { ...recipe.train, maxSteps: steps, loggingSteps: 25, evalSteps: 100, seed: recipe.seed, outputDir: undefined },
    batch: (i) => randomWindows(train, recipe.train.batchSize, T, new Rng(recipe.seed * 100_003 + i)),
    loss: (batch) => model.forward(batch, { labels: batch }).loss!,
    evaluate: async () => ({ eval_loss: await evalLoss() }),
  });
  const out = await trainer.train();
  const finalLoss = await evalLoss();
  const sample = tokenizer.decode(generate(model, tokenizer.encode("It is a truth universally acknowledged"), { maxNewTokens: 60, doSample: true, temperature: 0.8, topK: 40, seed: 1 }));
  const minutes = (Date.now() - started) / 60000;

  fs.mkdirSync(outDir, { recursive: true });
  model.savePretrained(outDir);
  tokenizer.save(outDir);
  writeFileAtomic(path.join(outDir, "generation_config.json"), JSON.stringify({ bos_token_id: 0, eos_token_id: 0, max_length: T }, null, 2) + "\n");
  writeFileAtomic(path.join(outDir, "training_log.json"), JSON.stringify(out.logHistory, null, 1) + "\n");
  const card = {
    tokens: ids.length, trainTokens: train.length, heldOutTokens: heldOut.length, parameters: model.numParameters(),
    steps, initialLoss, finalLoss, minutes, backend: engine.backend, sample,
  };
  writeFileAtomic(path.join(outDir, "README.md"), modelCard(card));
  model.dispose();
  trainer.dispose();
  return card;
}

function modelCard(c: Record<string, unknown>): string {
  const r = recipe;
  const f = (x: unknown) => (typeof x === "number" ? Number(x.toFixed(3)) : x);
  return `# gpt2-austen

A small GPT-2 trained from scratch by hands-on-llm (\`npm run train -- gpt2-austen\`), the offline
stand-in for the book's pretrained text generators. Not a useful language model: a teaching model that
writes English-looking text in the manner of its corpus.

- **Data:** Jane Austen's six novels (data/austen, public domain), ${c.tokens} tokens; the last 5 %
  (${c.heldOutTokens} tokens) held out.
- **Tokenizer:** byte-level BPE trained on the same text, ${r.vocabSize} tokens, special \`<|endoftext|>\` (id 0).
- **Model:** GPT-2 architecture, ${r.model.n_layer} blocks, width ${r.model.n_embd}, ${r.model.n_head} heads,
  context ${r.model.n_positions}, ${c.parameters} parameters, tied LM head, dropout 0.1.
- **Training:** ${c.steps} steps of ${r.train.batchSize} x ${r.model.n_positions} tokens, AdamW (lr ${r.train.learningRate},
  weight decay ${r.train.weightDecay}), ${r.train.warmupSteps} warm-up steps then cosine decay, gradient clipping 1.0,
  seed ${r.seed}; ${f(c.minutes)} minutes on the ${c.backend} backend.
- **Held-out loss:** ${f(c.initialLoss)} before training (ln ${r.vocabSize} = ${Math.log(r.vocabSize).toFixed(3)}), ${f(c.finalLoss)} after.

Sample (temperature 0.8, top-k 40, prompt "It is a truth universally acknowledged"):

> ${String(c.sample).replace(/\n/g, " ")}

Files: config.json + model.safetensors (HF GPT-2 names: loads with \`GPT2LMHeadModel.from_pretrained\`),
tokenizer.json + tokenizer_config.json (loads with \`AutoTokenizer\`), generation_config.json,
training_log.json. Licence: the weights are derived from public-domain text; Apache-2.0 like the code.
`;
}
