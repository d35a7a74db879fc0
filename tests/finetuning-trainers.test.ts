/**
 * trl-style SFTTrainer / DPOTrainer on a tiny Llama with LoRA: what chapter 12's notebook runs, checked on
 * properties that follow from the definitions (only adapters train, DPO starts at ln 2 with the adapter-disabled
 * reference, metrics are logged per step, the reference stays the base model).
 */
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { initEngine, tf } from "../lib/engine";
import { LlamaForCausalLM } from "../lib/models/llama";
import { PeftModel } from "../lib/finetuning/lora";
import { DPOTrainer, SFTTrainer } from "../lib/finetuning/trainers";
import type { HfTokenizer } from "../lib/tokenizers/hf";
import { tinyLlamaLikeTokenizer } from "./helpers/tiny-llama-tokenizer";

let tok: HfTokenizer;
before(async () => {
  await initEngine({ verbose: false });
  tok = tinyLlamaLikeTokenizer();
});

const newLlama = () =>
  new LlamaForCausalLM({ vocab_size: 259, hidden_size: 16, intermediate_size: 32, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1, max_position_embeddings: 64, bos_token_id: 256, eos_token_id: 257 }, { seed: 3 });
const lora = { r: 4, lora_alpha: 8, lora_dropout: 0, target_modules: ["q_proj", "v_proj", "up_proj", "down_proj"], task_type: "CAUSAL_LM" };

function logits(model: { forward(x: tf.Tensor2D): { logits: tf.Tensor } }): Float32Array {
  return tf.tidy(() => model.forward(tf.tensor2d([[256, 120, 58, 97, 98]], [1, 5], "int32")).logits.dataSync() as Float32Array);
}

test("SFTTrainer with a peftConfig: chat prompt-completion data, adapters only, loss and held-out perplexity fall", async () => {
  const base = newLlama();
  const examples = ["ok", "ok", "ok", "ok"].map((answer, i) => ({
    prompt: [{ role: "user" as const, content: `q${i}` }],
    completion: [{ role: "assistant" as const, content: answer }],
  }));
  const frozen = base.namedParameters().map(([n, p]) => [n, Array.from(p.dataSync())] as const);
  const trainer = new SFTTrainer({
    // The head is adapted too: in a random tiny model only the head moves the logits noticeably within 30 steps.
    model: base, tokenizer: tok, trainDataset: examples, evalDataset: examples, peftConfig: { ...lora, target_modules: [...lora.target_modules, "lm_head"] },
    args: { maxSteps: 30, perDeviceTrainBatchSize: 2, learningRate: 1e-2, loggingSteps: 10, progress: false },
  });
  assert.ok(trainer.model instanceof PeftModel);
  // Completion-only labels: the prompt part of every example is masked.
  for (const f of trainer.trainFeatures) assert.equal(f.labels![0], -100);
  const before = trainer.evaluate().eval_perplexity;
  const out = await trainer.train();
  const after = trainer.evaluate().eval_perplexity;
  assert.equal(out.globalStep, 30);
  assert.ok(out.logHistory[2].loss! < out.logHistory[0].loss!, `loss ${out.logHistory[0].loss} -> ${out.logHistory[2].loss}`);
  assert.ok(after < before / 2, `perplexity ${before} -> ${after}`);
  for (const [name, values] of frozen) {
    const now = new Map(base.namedParameters()).get(name)!.dataSync();
    assert.deepEqual(Array.from(now), values, `${name} is frozen`);
  }
  trainer.dispose();
  trainer.model.dispose();
});

test("DPOTrainer with a peftConfig: reference = adapters disabled, loss ln 2 at step 1, rewards logged, held-out accuracy rises", async () => {
  const base = newLlama();
  const baseLogits = logits(base);
  const pairs = ["a", "b", "c", "d", "e", "f"].map((letter) => ({ prompt: `${letter}:`, chosen: "xyz", rejected: "qqq" }));
  const trainer = new DPOTrainer({
    model: base, tokenizer: tok, trainDataset: pairs, peftConfig: lora,
    args: { maxSteps: 20, perDeviceTrainBatchSize: 2, learningRate: 5e-2, loggingSteps: 1, beta: 0.1, progress: false },
  });
  const heldOut = [{ prompt: "g:", chosen: "xyz", rejected: "qqq" }, { prompt: "h:", chosen: "xyz", rejected: "qqq" }];
  const start = trainer.evaluate(heldOut);
  assert.ok(Math.abs(start.loss - Math.LN2) < 1e-6, `an untrained adapter gives ln 2, got ${start.loss}`);
  assert.equal(start["rewards/accuracies"], 0);
  const out = await trainer.train();
  const first = out.logHistory[0];
  assert.ok(Math.abs(first.loss! - Math.LN2) < 1e-6, `step 1 loss ${first.loss}`);
  for (const key of ["rewards/chosen", "rewards/rejected", "rewards/accuracies", "rewards/margins", "logps/chosen", "logps/rejected"]) {
    assert.ok(out.logHistory.every((r) => typeof r[key] === "number"), `${key} logged every step`);
  }
  const last = out.logHistory[out.logHistory.length - 1];
  assert.ok(last.loss! < 0.6 && last["rewards/margins"]! > 0, `loss ${last.loss}, margin ${last["rewards/margins"]}`);
  const end = trainer.evaluate(heldOut);
  assert.equal(end["rewards/accuracies"], 1, "unseen prompts prefer the chosen pattern");
  const rewards = trainer.pairRewards(heldOut);
  const margins = rewards.chosen.map((c, i) => c - rewards.rejected[i]);
  assert.ok(Math.abs(margins.reduce((a, b) => a + b, 0) / margins.length - end["rewards/margins"]) < 1e-5, "per-pair rewards average to evaluate()'s margin");
  const peft = trainer.model as unknown as PeftModel;
  const reference = peft.withAdapterDisabled(() => logits(peft as never));
  assert.deepEqual(Array.from(reference), Array.from(baseLogits), "the reference is the untouched base model");
  trainer.dispose();
  peft.dispose();
});

test("DPOTrainer without a reference or a peftConfig is an error", () => {
  const base = newLlama();
  assert.throws(
    () => new DPOTrainer({ model: base, tokenizer: tok, trainDataset: [{ prompt: "a:", chosen: "x", rejected: "y" }], args: { maxSteps: 1 } }),
    /give a refModel, or a peftConfig/,
  );
  base.dispose();
});
