/**
 * `npm run train -- llama-mini-instruct`: llama-mini after supervised fine-tuning (all weights, as the SFT stage of a
 * chat model) on the training split of data/instructions — Python FAQ answers, Factbook facts and WordNet definitions
 * as TinyLlama-style chat turns, loss on the answers only. The offline stand-in for the instruction-tuned models of
 * chapters 6-8 (Phi-3-mini in the book). Written to data/models/llama-mini-instruct with a model card.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import {
  AutoTokenizer, LlamaForCausalLM, SFTTrainer, collateSft, dataDir, formatChat, generate, initEngine, instructionPrompt, loadInstructions,
  perplexity, tokenizeForSft, writeFileAtomic, type InstructionExample,
} from "hands-on-llm";

export const recipe = {
  name: "llama-mini-instruct",
  base: "llama-mini",
  maxSeqLength: 256,
  train: { maxSteps: 700, perDeviceTrainBatchSize: 8, learningRate: 1e-3, warmupRatio: 0.03, weightDecay: 0.0, lrSchedulerType: "cosine" as const },
  seed: 42,
};

const TOKENIZER_FILES = ["tokenizer.json", "tokenizer_config.json", "vocab.json", "merges.txt"];

function chat(r: InstructionExample) {
  return { prompt: [{ role: "user" as const, content: instructionPrompt(r) }], completion: [{ role: "assistant" as const, content: r.output }] };
}

export async function trainLlamaMiniInstruct(outDir: string, steps = recipe.train.maxSteps): Promise<Record<string, unknown>> {
  const engine = await initEngine();
  const started = Date.now();
  const baseDir = path.join(dataDir(), "models", recipe.base);
  const tokenizer = await AutoTokenizer.fromPretrained(baseDir);
  const model = await LlamaForCausalLM.fromPretrained(baseDir);
  const train = loadInstructions({ split: "train" }), test = loadInstructions({ split: "test" });
  const testFeatures = tokenizeForSft(tokenizer, test.map(chat), { maxSeqLength: recipe.maxSeqLength });
  const testBatches = Array.from({ length: Math.ceil(testFeatures.length / 16) }, (_, i) => collateSft(testFeatures.slice(16 * i, 16 * i + 16), { padTokenId: 2 }));
  const before = perplexity(model, testBatches);
  const trainer = new SFTTrainer({
    model, tokenizer, trainDataset: train.map(chat), maxSeqLength: recipe.maxSeqLength,
    args: { ...recipe.train, maxSteps: steps, loggingSteps: 25, seed: recipe.seed },
  });
  const out = await trainer.train();
  const after = perplexity(model, testBatches);
  const samples = ["capital", "definition", "antonym"].map((task) => test.find((r) => r.task === task)!).map((r) => {
    const ids = tokenizer.encode(formatChat(tokenizer, [{ role: "user", content: instructionPrompt(r) }], { addGenerationPrompt: true }));
    const answer = tokenizer.decode(generate(model, ids, { maxNewTokens: 40, eosTokenId: 2 }).slice(ids.length), { skipSpecialTokens: true }).trim();
    return { question: instructionPrompt(r), reference: r.output, answer };
  });
  const minutes = (Date.now() - started) / 60000;

  fs.mkdirSync(outDir, { recursive: true });
  model.savePretrained(outDir);
  for (const f of TOKENIZER_FILES) if (fs.existsSync(path.join(baseDir, f))) fs.copyFileSync(path.join(baseDir, f), path.join(outDir, f));
  fs.copyFileSync(path.join(baseDir, "generation_config.json"), path.join(outDir, "generation_config.json"));
  writeFileAtomic(path.join(outDir, "training_log.json"), JSON.stringify(out.logHistory, null, 1) + "\n");
  const card = { examples: train.length, steps: out.globalStep, perplexityBefore: before, perplexityAfter: after, minutes, backend: engine.backend, samples };
  writeFileAtomic(path.join(outDir, "README.md"), modelCard(card));
  trainer.dispose();
  model.dispose();
  return card;
}

function modelCard(c: { examples: number; steps: number; perplexityBefore: number; perplexityAfter: number; minutes: number; backend: string; samples: Array<Record<string, string>> }): string {
  const r = recipe;
  return `# llama-mini-instruct

\`llama-mini\` (data/models/llama-mini, a 3.1 M-parameter Llama pretrained by hands-on-llm) after supervised fine-tuning of all
its weights — \`npm run train -- llama-mini-instruct\`. The offline stand-in for the instruction-tuned models of chapters 6-8.
Tiny: it answers in the taught form, with facts it often gets wrong.

- **Data:** the ${c.examples} training rows of data/instructions (Python FAQ answers, CIA World Factbook facts, WordNet
  definitions / synonyms / antonyms) as chat turns with TinyLlama's template (\`<|user|>\\n…</s>\\n<|assistant|>\\n…</s>\`), loss on
  the assistant turn only (trl's completion-only loss), max ${r.maxSeqLength} tokens.
- **Training:** ${c.steps} steps of ${r.train.perDeviceTrainBatchSize} examples, AdamW lr ${r.train.learningRate}, ${r.train.warmupRatio * 100} % warm-up then cosine, seed ${r.seed};
  ${c.minutes.toFixed(1)} minutes on the ${c.backend} backend (2 cores).
- **Held out** (the test split: countries, words and FAQ questions never seen in training): perplexity of the reference answers
  ${c.perplexityBefore.toFixed(1)} → ${c.perplexityAfter.toFixed(2)}.

Greedy answers to held-out questions:

${c.samples.map((s) => `- **Q:** ${s.question.replace(/\n+/g, " / ")}\n  **A:** ${s.answer}\n  (reference: ${s.reference})`).join("\n")}
`;
}
