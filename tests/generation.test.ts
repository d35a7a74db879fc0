import { test } from "node:test";
import * as assert from "node:assert/strict";
import { CharTokenizer, GPT2LMHeadModel, Rng, argmax, generate, initEngine, sampleNextToken, samplingDistribution } from "hands-on-llm";

test("samplingDistribution applies temperature, then top-k, then top-p as HF does", () => {
  const logits = [Math.log(0.5), Math.log(0.3), Math.log(0.15), Math.log(0.05)];
  const full = samplingDistribution(logits, { topK: 0 });
  [0.5, 0.3, 0.15, 0.05].forEach((p, i) => assert.ok(Math.abs(full[i] - p) < 1e-12));
  const k2 = samplingDistribution(logits, { topK: 2 });
  assert.ok(Math.abs(k2[0] - 0.625) < 1e-12 && Math.abs(k2[1] - 0.375) < 1e-12 && k2[2] === 0);
  // top_p 0.75: 0.5 < 0.75, 0.5 + 0.3 reaches it -> keep two.
  const p8 = samplingDistribution(logits, { topK: 0, topP: 0.75 });
  assert.ok(Math.abs(p8[0] - 0.625) < 1e-12 && p8[2] === 0);
  // Temperature 2 flattens: p ∝ sqrt(p).
  const t2 = samplingDistribution(logits, { topK: 0, temperature: 2 });
  const z = [0.5, 0.3, 0.15, 0.05].reduce((s, p) => s + Math.sqrt(p), 0);
  assert.ok(Math.abs(t2[3] - Math.sqrt(0.05) / z) < 1e-12);
  assert.throws(() => samplingDistribution(logits, { temperature: 0 }), /temperature must be > 0/);
});

test("sampleNextToken: greedy is argmax; sampling follows the distribution", () => {
  const logits = [0.1, 2.0, -1.0];
  assert.equal(sampleNextToken(logits, {}, new Rng(1)), 1);
  assert.equal(argmax(logits), 1);
  const rng = new Rng(7);
  const counts = [0, 0, 0];
  for (let i = 0; i < 20000; i++) counts[sampleNextToken(logits, { doSample: true, topK: 0 }, rng)]++;
  const probs = samplingDistribution(logits, { topK: 0 });
  counts.forEach((c, i) => assert.ok(Math.abs(c / 20000 - probs[i]) < 0.015, `token ${i}: ${c / 20000} vs ${probs[i]}`));
});

test("generate is reproducible with a seed and stops at EOS", async () => {
  await initEngine({ verbose: false });
  const tok = CharTokenizer.fromText("abcdefgh .");
  assert.equal(tok.decode(tok.encode("bad cafe.")), "bad cafe.");
  assert.throws(() => tok.encode("xyz"), /"x" is not in the vocabulary/);
  const model = new GPT2LMHeadModel({ vocab_size: tok.vocabSize, n_positions: 8, n_embd: 16, n_layer: 1, n_head: 2 });
  const prompt = tok.encode("abc");
  const a = generate(model, prompt, { maxNewTokens: 12, doSample: true, seed: 5 });
  const b = generate(model, prompt, { maxNewTokens: 12, doSample: true, seed: 5 });
  assert.deepEqual(a, b);
  assert.equal(a.length, 15, "the context (8) is cropped, so generation can run past n_positions");
  const streamed: number[] = [];
  const greedy = generate(model, prompt, { maxNewTokens: 5, onToken: (id) => streamed.push(id) });
  assert.deepEqual(greedy.slice(3), streamed);
  const eos = greedy[3];
  assert.equal(generate(model, prompt, { maxNewTokens: 5, eosTokenId: eos }).length, 4);
  model.dispose();
});

test("KV cache: incremental logits equal the full forward; cached and uncached greedy agree; no leaks", async () => {
  const { tf, generateBatch, applyRepetitionPenalty, disposeCache } = await import("hands-on-llm");
  await initEngine({ verbose: false });
  const model = new GPT2LMHeadModel({ vocab_size: 30, n_positions: 12, n_embd: 16, n_layer: 2, n_head: 4, initializer_range: 0.4 }, { seed: 11 });
  const seq = [3, 7, 1, 22, 9, 4];
  tf.tidy(() => {
    const full = model.forward(tf.tensor2d([seq], undefined, "int32")).logits;
    const first = model.forward(tf.tensor2d([seq.slice(0, 5)], undefined, "int32"), { useCache: true });
    const step = model.forward(tf.tensor2d([[seq[5]]], undefined, "int32"), { pastKeyValues: first.pastKeyValues });
    const a = tf.slice(full, [0, 5, 0], [1, 1, -1]).dataSync();
    const b = step.logits.dataSync();
    for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) < 1e-4, `logit ${i}: ${a[i]} vs ${b[i]}`);
    disposeCache(first.pastKeyValues);
  });
  const before = tf.memory().numTensors;
  // 20 new tokens from a 4-token prompt with n_positions 12: the window slides after 8 steps.
  const cached = generate(model, [1, 2, 3, 4], { maxNewTokens: 20, useCache: true });
  const uncached = generate(model, [1, 2, 3, 4], { maxNewTokens: 20, useCache: false });
  assert.deepEqual(cached, uncached);
  assert.equal(tf.memory().numTensors, before, "generation leaks tensors");
  // Left-padded batch = each prompt alone.
  const prompts = [[5, 6], [7, 8, 9, 10, 11]];
  const batch = generateBatch(model, prompts, { maxNewTokens: 6 });
  assert.deepEqual(batch, prompts.map((p) => generate(model, p, { maxNewTokens: 6 })));
  // Stopping criteria and repetition penalty.
  const stopped = generate(model, [1, 2], { maxNewTokens: 10, stoppingCriteria: (ids) => ids.length >= 5 });
  assert.equal(stopped.length, 5);
  assert.deepEqual(applyRepetitionPenalty([2, -2, 1], [0, 1, 1], 2), [1, -4, 1]);
  assert.throws(() => applyRepetitionPenalty([1], [0], 0), /repetitionPenalty must be > 0/);
  model.dispose();
});
