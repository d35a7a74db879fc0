/**
 * Chapter 12's DPO building blocks: log-probs and the loss against float64 formulas written here,
 * gradients against finite differences (on wasm and on cpu), hand-worked tokenization, and a few DPO
 * steps on a tiny random GPT-2 against a frozen copy of itself.
 *
 * The tokenizer is the SFT test's: byte-level with no merges (id = byte value, "a" = 97), <s> = 256 added
 * in front by the post-processor, </s> = 257, <unk> = 258.
 */
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { initEngine, tf } from "../lib/engine";
import type { HfTokenizer } from "../lib/tokenizers/hf";
import { GPT2LMHeadModel } from "../lib/models/gpt2";
import { LlamaForCausalLM } from "../lib/models/llama";
import { IGNORE_INDEX } from "../lib/training/losses";
import { AdamW } from "../lib/training/optim";
import { lossAndGrads } from "../lib/training/step";
import { collateSft, sftLoss, tokenizeForSft } from "../lib/finetuning/sft";
import {
  collateDpo,
  computeDpoBatch,
  dpoLoss,
  negLogSigmoid,
  precomputeReferenceLogProbs,
  sequenceLogProbs,
  tokenizeDpoPair,
} from "../lib/finetuning/dpo";
import type { DpoBatch, DpoFeatures } from "../lib/finetuning/dpo";
import { tinyLlamaLikeTokenizer } from "./helpers/tiny-llama-tokenizer";

const BOS = 256;
const EOS = 257;
const X = IGNORE_INDEX;
const codes = (s: string) => Array.from(s, (c) => c.charCodeAt(0));

/** A small deterministic pseudo-random stream (LCG) for test data. */
function stream(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** float64: Σ over t ≥ 1 with label ≠ -100 of log_softmax(logits[t−1])[label[t]], per row. */
function sequenceLogProbs64(logits: number[][][], labels: number[][]): number[] {
  return logits.map((rows, b) => {
    let total = 0;
    for (let t = 1; t < rows.length; t++) {
      const l = labels[b][t];
      if (l === X) continue;
      const row = rows[t - 1];
      const max = Math.max(...row);
      const lz = Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0)) + max;
      total += row[l] - lz;
    }
    return total;
  });
}

const log1pExp = (x: number) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)));

let tok: HfTokenizer;
before(async () => {
  await initEngine({ verbose: false });
  tok = tinyLlamaLikeTokenizer();
});

/** Runs `fn` on the wasm (or default) backend and on cpu, restoring the engine's backend. */
async function onBackends(fn: (backend: string) => void): Promise<void> {
  const original = tf.getBackend();
  try {
    for (const backend of [original, "cpu"]) {
      await tf.setBackend(backend);
      fn(backend);
    }
  } finally {
    await tf.setBackend(original);
  }
}

describe("sequenceLogProbs", () => {
  const B = 2, T = 5, V = 7;
  const rnd = stream(3);
  const logits = Array.from({ length: B }, () => Array.from({ length: T }, () => Array.from({ length: V }, () => 4 * (rnd() - 0.5))));
  // Row 0: prompt of 2 tokens, response of 3; row 1: prompt of 1, response of 2, then padding.
  const labels = [
    [X, X, 3, 0, 6],
    [X, 2, 5, X, X],
  ];

  test("matches float64 log-softmax at the shifted labels, skipping -100 (tensor or array labels)", async () => {
    await onBackends((backend) => {
      const expected = sequenceLogProbs64(logits, labels);
      const got = tf.tidy(() => Array.from(sequenceLogProbs(tf.tensor3d(logits), labels).dataSync()));
      const gotT = tf.tidy(() => Array.from(sequenceLogProbs(tf.tensor3d(logits), tf.tensor2d(labels, [B, T], "int32")).dataSync()));
      for (let b = 0; b < B; b++) {
        assert.ok(Math.abs(got[b] - expected[b]) < 1e-5, `${backend}: row ${b}: ${got[b]} vs ${expected[b]}`);
        assert.ok(Math.abs(gotT[b] - expected[b]) < 1e-5, `${backend}: tensor labels row ${b}`);
      }
    });
  });

  test("gradient: float64 formula and central finite differences, on wasm and cpu", async () => {
    const weights = [0.7, -1.3];
    await onBackends((backend) => {
      const f = (x: tf.Tensor) => tf.sum(tf.mul(sequenceLogProbs(x as tf.Tensor3D, labels), tf.tensor1d(weights)));
      const grad = tf.tidy(() => tf.grad(f)(tf.tensor3d(logits)).arraySync() as number[][][]);
      // d/dlogits[b,t-1,v] = w_b (1[v = label_t] − softmax_v) for each scored position.
      for (let b = 0; b < B; b++) {
        for (let t = 0; t < T; t++) {
          const l = t + 1 < T ? labels[b][t + 1] : X;
          const row = logits[b][t];
          const max = Math.max(...row);
          const z = row.reduce((s, v) => s + Math.exp(v - max), 0);
          for (let v = 0; v < V; v++) {
            const expected = l === X ? 0 : weights[b] * ((v === l ? 1 : 0) - Math.exp(row[v] - max) / z);
            assert.ok(Math.abs(grad[b][t][v] - expected) < 1e-5, `${backend}: grad[${b},${t},${v}] ${grad[b][t][v]} vs ${expected}`);
          }
        }
      }
      // Finite differences of the forward value itself, at a few coordinates.
      const h = 1e-2;
      for (const [b, t, v] of [[0, 1, 3], [0, 3, 6], [1, 0, 2], [1, 1, 0], [1, 3, 4]]) {
        const at = (delta: number) => {
          const x = logits.map((r) => r.map((c) => c.slice()));
          x[b][t][v] += delta;
          return tf.tidy(() => f(tf.tensor3d(x)).dataSync()[0]);
        };
        const fd = (at(h) - at(-h)) / (2 * h);
        assert.ok(Math.abs(fd - grad[b][t][v]) < 2e-3, `${backend}: fd ${fd} vs grad ${grad[b][t][v]} at ${b},${t},${v}`);
      }
    });
  });

  test("bad shapes and labels are named", () => {
    tf.tidy(() => {
      const l3 = tf.tensor3d(logits);
      assert.throws(() => sequenceLogProbs(l3, [[X, 1]]), /labels must be \[2, 5\] to match logits/);
      assert.throws(() => sequenceLogProbs(l3, [[X, 9, 0, 0, 0], labels[1]]), /label 9 at row 0, position 1 is outside the vocabulary \(0\.\.6\)/);
      assert.throws(() => sequenceLogProbs(tf.zeros([2, 3]) as never, labels), /logits must be a 3-D tensor/);
    });
  });
});

describe("dpoLoss", () => {
  const pc = [-5.0, -7.5, -3.25];
  const pr = [-6.2, -4.0, -9.0];
  const rc = [-5.5, -7.0, -4.0];
  const rr = [-6.0, -4.5, -8.0];
  const value = (out: { loss: tf.Scalar }) => {
    const v = out.loss.dataSync()[0];
    out.loss.dispose();
    return v;
  };

  test("policy = reference: loss ln 2, rewards 0, accuracy 0", () => {
    const out = dpoLoss(pc, pr, pc, pr);
    assert.ok(Math.abs(out.loss.dataSync()[0] - Math.LN2) < 1e-7, String(out.loss.dataSync()[0]));
    const m = out.metrics;
    assert.deepEqual([m["rewards/chosen"], m["rewards/rejected"], m["rewards/accuracies"], m["rewards/margins"]], [0, 0, 0, 0]);
    // Float32 inputs: the means agree to float32 precision.
    assert.ok(Math.abs(m["logps/chosen"] - (-5 - 7.5 - 3.25) / 3) < 1e-6 && Math.abs(m["logps/rejected"] - (-6.2 - 4 - 9) / 3) < 1e-6);
    out.loss.dispose();
  });

  test("hand-computed example (float64 formulas): sigmoid, label smoothing, hinge, ipo, and trl's metrics", () => {
    const beta = 0.1;
    const z = pc.map((_, i) => beta * (pc[i] - rc[i] - (pr[i] - rr[i])));
    // z = 0.1 * [(0.5) - (-0.2), (-0.5) - (0.5), (0.75) - (-1.0)] = [0.07, -0.1, 0.175]
    [0.07, -0.1, 0.175].forEach((zi, i) => assert.ok(Math.abs(z[i] - zi) < 1e-12));
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const sigmoidLoss = mean(z.map((zi) => log1pExp(-zi)));
    const out = dpoLoss(pc, pr, rc, rr, { beta });
    assert.ok(Math.abs(out.metrics.loss - sigmoidLoss) < 1e-6, `${out.metrics.loss} vs ${sigmoidLoss}`);
    assert.ok(Math.abs(value(out) - sigmoidLoss) < 1e-6);
    const chosenRewards = pc.map((_, i) => beta * (pc[i] - rc[i]));
    const rejectedRewards = pr.map((_, i) => beta * (pr[i] - rr[i]));
    const expectedMetrics: Record<string, number> = {
      "rewards/chosen": mean(chosenRewards),
      "rewards/rejected": mean(rejectedRewards),
      "rewards/accuracies": 2 / 3,
      "rewards/margins": mean(chosenRewards.map((c, i) => c - rejectedRewards[i])),
      "logps/chosen": mean(pc),
      "logps/rejected": mean(pr),
    };
    for (const [k, v] of Object.entries(expectedMetrics)) assert.ok(Math.abs((out.metrics as unknown as Record<string, number>)[k] - v) < 1e-6, `${k}: ${(out.metrics as unknown as Record<string, number>)[k]} vs ${v}`);

    const eps = 0.1;
    const smoothed = mean(z.map((zi) => (1 - eps) * log1pExp(-zi) + eps * log1pExp(zi)));
    assert.ok(Math.abs(value(dpoLoss(pc, pr, rc, rr, { beta, labelSmoothing: eps })) - smoothed) < 1e-6);
    const hinge = mean(z.map((zi) => Math.max(0, 1 - zi)));
    assert.ok(Math.abs(value(dpoLoss(pc, pr, rc, rr, { beta, lossType: "hinge" })) - hinge) < 1e-6);
    const lc = [3, 2, 5];
    const lr = [4, 0, 1]; // 0 counts as 1, as trl's clamp(min=1)
    const ipo = mean(pc.map((_, i) => ((pc[i] - rc[i]) / lc[i] - (pr[i] - rr[i]) / Math.max(lr[i], 1) - 1 / (2 * beta)) ** 2));
    assert.ok(Math.abs(value(dpoLoss(pc, pr, rc, rr, { beta, lossType: "ipo", chosenLengths: lc, rejectedLengths: lr })) - ipo) < 1e-4);
  });

  test("gradients vs finite differences and -β σ(−z)/n; stable at large margins", async () => {
    const beta = 0.5;
    await onBackends((backend) => {
      const lossOf = (a: number[], b: number[]) => {
        const out = dpoLoss(a, b, rc, rr, { beta, labelSmoothing: 0.2 });
        return value(out);
      };
      const [gc, gr] = tf.tidy(() => {
        const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => dpoLoss(a as tf.Tensor1D, b as tf.Tensor1D, rc, rr, { beta, labelSmoothing: 0.2 }).loss);
        return g([tf.tensor1d(pc), tf.tensor1d(pr)]).map((t) => Array.from(t.dataSync()));
      });
      const h = 1e-2;
      for (let i = 0; i < pc.length; i++) {
        const zi = beta * (pc[i] - rc[i] - (pr[i] - rr[i]));
        const sig = (x: number) => 1 / (1 + Math.exp(-x));
        // d/dz [(1−ε) softplus(−z) + ε softplus(z)] = −(1−ε) σ(−z) + ε σ(z); dz/dπc = β, dz/dπr = −β; mean over 3.
        const dz = (-(1 - 0.2) * sig(-zi) + 0.2 * sig(zi)) / pc.length;
        assert.ok(Math.abs(gc[i] - beta * dz) < 1e-6, `${backend}: d/dπc[${i}] ${gc[i]} vs ${beta * dz}`);
        assert.ok(Math.abs(gr[i] + beta * dz) < 1e-6, `${backend}: d/dπr[${i}]`);
        const plus = pc.slice(), minus = pc.slice();
        plus[i] += h;
        minus[i] -= h;
        const fd = (lossOf(plus, pr) - lossOf(minus, pr)) / (2 * h);
        assert.ok(Math.abs(fd - gc[i]) < 2e-4, `${backend}: fd ${fd} vs ${gc[i]}`);
      }
      // -log σ(z) at |z| = 300: no overflow, gradient 0 or -1.
      const big = tf.tidy(() => {
        const x = tf.tensor1d([300, -300, 0]);
        const v = Array.from(negLogSigmoid(x).dataSync());
        const g = Array.from(tf.grad((y: tf.Tensor) => tf.sum(negLogSigmoid(y)))(x).dataSync());
        return { v, g };
      });
      assert.deepEqual(big.v.map((v) => Math.round(v * 1e6) / 1e6), [0, 300, Math.round(Math.LN2 * 1e6) / 1e6]);
      // d/dx −log σ(x) = −σ(−x): 0, −1 and −1/2.
      assert.ok(Math.abs(big.g[0]) < 1e-30 && Math.abs(big.g[1] + 1) < 1e-6 && Math.abs(big.g[2] + 0.5) < 1e-6, `${backend}: ${big.g}`);
    });
  });

  test("bad options are named", () => {
    assert.throws(() => dpoLoss(pc, pr, rc, rr, { beta: 0 }), /beta must be a positive number/);
    assert.throws(() => dpoLoss(pc, pr, rc, rr, { lossType: "kto" as never }), /unknown lossType "kto"/);
    assert.throws(() => dpoLoss(pc, pr, rc, rr, { labelSmoothing: 0.7 }), /labelSmoothing must be in \[0, 0\.5\]/);
    assert.throws(() => dpoLoss(pc, pr, rc, rr, { lossType: "hinge", labelSmoothing: 0.1 }), /applies to the "sigmoid" loss only/);
    assert.throws(() => dpoLoss(pc, pr, rc, rr, { lossType: "ipo" }), /needs chosenLengths/);
    assert.throws(() => dpoLoss(pc, pr.slice(1), rc, rr), /policyRejected has 2 entries but policyChosen has 3/);
  });
});

describe("tokenizeDpoPair and collateDpo", () => {
  test("hand-worked ids: prompt with BOS, responses with EOS, labels -100 over the prompt", () => {
    const f = tokenizeDpoPair(tok, { prompt: "Q:", chosen: "ab", rejected: "c" });
    assert.deepEqual(f, {
      promptIds: [BOS, 81, 58],
      chosenIds: [97, 98, EOS],
      rejectedIds: [99, EOS],
      chosenInputIds: [BOS, 81, 58, 97, 98, EOS],
      chosenLabels: [X, X, X, 97, 98, EOS],
      rejectedInputIds: [BOS, 81, 58, 99, EOS],
      rejectedLabels: [X, X, X, 99, EOS],
    });
    // The book's DPO format ends responses in "</s>\n": trl still appends EOS (it only looks at the very end).
    const book = tokenizeDpoPair(tok, { prompt: "<|user|>\nHi</s>\n<|assistant|>\n", chosen: "Yo</s>\n", rejected: "No</s>\n" });
    assert.deepEqual(book.chosenIds, [89, 111, EOS, 10, EOS]);
  });

  test("truncation: maxPromptLength keeps the prompt's end, maxCompletionLength the response's start, maxLength the sequence's start", () => {
    const pair = { prompt: "Q:", chosen: "abc", rejected: "d" };
    const p = tokenizeDpoPair(tok, pair, { maxPromptLength: 2 });
    assert.deepEqual(p.promptIds, [81, 58]);
    assert.deepEqual(p.chosenInputIds, [81, 58, 97, 98, 99, EOS]);
    const c = tokenizeDpoPair(tok, pair, { maxCompletionLength: 2 });
    assert.deepEqual(c.chosenInputIds, [BOS, 81, 58, 97, 98]);
    assert.deepEqual(c.rejectedInputIds, [BOS, 81, 58, 100, EOS]);
    const m = tokenizeDpoPair(tok, pair, { maxLength: 5 });
    assert.deepEqual([m.chosenInputIds, m.chosenLabels], [[BOS, 81, 58, 97, 98], [X, X, X, 97, 98]]);
    assert.deepEqual(m.rejectedInputIds, [BOS, 81, 58, 100, EOS]);
    const e = tokenizeDpoPair(tok, pair, { maxLength: 4, truncationMode: "keep_end" });
    assert.deepEqual([e.chosenInputIds, e.chosenLabels], [[97, 98, 99, EOS], [97, 98, 99, EOS]]);
    assert.throws(() => tokenizeDpoPair(tok, pair, { maxLength: 3 }), /the prompt alone has 3 tokens, filling maxLength 3/);
  });

  test("conversational pairs go through the chat template", () => {
    const f = tokenizeDpoPair(tok, {
      prompt: [{ role: "user", content: "Hi" }],
      chosen: [{ role: "assistant", content: "Yo" }],
      rejected: [{ role: "assistant", content: "No" }],
    });
    assert.deepEqual(f.promptIds, [...codes("<|user|>\nHi"), EOS, ...codes("\n<|assistant|>\n")]);
    assert.deepEqual(f.chosenIds, [89, 111, EOS, 10]);
    assert.deepEqual(f.rejectedIds, [78, 111, EOS, 10]);
    assert.throws(() => tokenizeDpoPair(tok, { prompt: "a", chosen: [{ role: "assistant", content: "b" }], rejected: "c" } as never), /must all be strings or all be lists/);
  });

  test("collateDpo: chosen rows, then rejected rows, right-padded; precomputed reference values carried", () => {
    const a = tokenizeDpoPair(tok, { prompt: "Q:", chosen: "ab", rejected: "c" });
    const b = tokenizeDpoPair(tok, { prompt: "R", chosen: "d", rejected: "efg" });
    const batch = collateDpo([a, b], { padTokenId: EOS });
    assert.deepEqual(batch.inputIds, [
      [BOS, 81, 58, 97, 98, EOS],
      [BOS, 82, 100, EOS, EOS, EOS],
      [BOS, 81, 58, 99, EOS, EOS],
      [BOS, 82, 101, 102, 103, EOS],
    ]);
    assert.deepEqual(batch.labels, [
      [X, X, X, 97, 98, EOS],
      [X, X, 100, EOS, X, X],
      [X, X, X, 99, EOS, X],
      [X, X, 101, 102, 103, EOS],
    ]);
    assert.deepEqual(batch.attentionMask, [
      [1, 1, 1, 1, 1, 1],
      [1, 1, 1, 1, 0, 0],
      [1, 1, 1, 1, 1, 0],
      [1, 1, 1, 1, 1, 1],
    ]);
    assert.equal(batch.refChosenLogps, undefined);
    const withRef = collateDpo([{ ...a, refChosenLogps: -1, refRejectedLogps: -2 }, { ...b, refChosenLogps: -3, refRejectedLogps: -4 }], { padTokenId: 0, padToMultipleOf: 4 });
    assert.deepEqual([withRef.refChosenLogps, withRef.refRejectedLogps], [[-1, -3], [-2, -4]]);
    assert.equal(withRef.inputIds[0].length, 8);
    assert.throws(() => collateDpo([a], { padTokenId: undefined as never }), /padTokenId must be an integer/);
  });
});

describe("computeDpoBatch on a tiny GPT-2", () => {
  const config = { vocab_size: 260, n_positions: 32, n_embd: 16, n_layer: 2, n_head: 2, resid_pdrop: 0, embd_pdrop: 0, attn_pdrop: 0 };
  const pairs = ["a", "b", "c", "d"].map((p) => ({ prompt: `${p}:`, chosen: "xyz", rejected: "qqq" }));

  /** Each sequence alone through the model, scored in float64. */
  function logps64(model: GPT2LMHeadModel, features: DpoFeatures[]): { chosen: number[]; rejected: number[] } {
    const one = (ids: number[], labels: number[]) => {
      const logits = tf.tidy(() => model.forward(tf.tensor2d([ids], [1, ids.length], "int32")).logits.arraySync());
      return sequenceLogProbs64(logits, [labels])[0];
    };
    return { chosen: features.map((f) => one(f.chosenInputIds, f.chosenLabels)), rejected: features.map((f) => one(f.rejectedInputIds, f.rejectedLabels)) };
  }

  test("loss and metrics match float64 log-probs of each sequence alone; reference as model, callback or precomputed", () => {
    const policy = new GPT2LMHeadModel({ ...config, initializer_range: 0.3 }, { seed: 1 });
    const reference = new GPT2LMHeadModel({ ...config, initializer_range: 0.3 }, { seed: 2 });
    const features = pairs.map((p, i) => tokenizeDpoPair(tok, i === 1 ? { ...p, rejected: "qq qq" } : p));
    const batch = collateDpo(features, { padTokenId: EOS });
    const pol = logps64(policy, features);
    const ref = logps64(reference, features);
    const beta = 0.1;
    const z = pol.chosen.map((_, i) => beta * (pol.chosen[i] - ref.chosen[i] - (pol.rejected[i] - ref.rejected[i])));
    const expected = z.reduce((s, zi) => s + log1pExp(-zi), 0) / z.length;

    const before = tf.memory().numTensors;
    const byModel = computeDpoBatch(policy, reference, batch, { beta });
    const byCallback = computeDpoBatch(policy, (ids, mask) => reference.forward(ids, { attentionMask: mask }).logits, batch, { beta });
    const precomputed = precomputeReferenceLogProbs(reference, features, { padTokenId: EOS, batchSize: 3 });
    const byPrecomputed = computeDpoBatch(policy, null, collateDpo(precomputed, { padTokenId: EOS }), { beta });
    for (const [name, out] of [["model", byModel], ["callback", byCallback], ["precomputed", byPrecomputed]] as const) {
      const v = out.loss.dataSync()[0];
      assert.ok(Math.abs(v - expected) < 1e-5, `${name}: ${v} vs ${expected}`);
      assert.ok(Math.abs(out.metrics["logps/chosen"] - pol.chosen.reduce((a, b) => a + b) / 4) < 1e-3, name);
      assert.ok(Math.abs(out.metrics["rewards/rejected"] - (beta * pol.rejected.reduce((s, p, i) => s + p - ref.rejected[i], 0)) / 4) < 1e-4, name);
      out.referenceLogps.forEach((r, i) => assert.ok(Math.abs(r - (i < 4 ? ref.chosen[i] : ref.rejected[i - 4])) < 1e-3, `${name}: ref ${i}`));
      out.loss.dispose();
    }
    assert.equal(tf.memory().numTensors, before, "no tensor left behind");
    assert.equal(precomputed[0].refChosenLogps !== undefined && features[0].refChosenLogps === undefined, true, "new objects, inputs untouched");
    assert.throws(() => computeDpoBatch(policy, null, batch), /no reference: pass a reference model or logits callback, or precompute/);
    assert.throws(() => computeDpoBatch(policy, reference, { ...batch, inputIds: batch.inputIds.slice(1) }), /2 × pairs rows/);
    policy.dispose();
    reference.dispose();
  });

  test("the loss gradient in the policy's weights matches finite differences", () => {
    const policy = new GPT2LMHeadModel({ ...config, initializer_range: 0.3 }, { seed: 4 });
    const reference = new GPT2LMHeadModel({ ...config, initializer_range: 0.3 }, { seed: 5 });
    const batch = collateDpo(pairs.slice(0, 2).map((p) => tokenizeDpoPair(tok, p)), { padTokenId: EOS });
    const refRun = computeDpoBatch(reference, reference, batch);
    refRun.loss.dispose();
    const precomputed: DpoBatch = { ...batch, refChosenLogps: refRun.referenceLogps.slice(0, 2), refRejectedLogps: refRun.referenceLogps.slice(2) };
    const opts = { beta: 1 };
    const params = policy.namedParameters();
    const { loss, grads } = lossAndGrads(params, () => computeDpoBatch(policy, null, precomputed, opts).loss);
    loss.dispose();
    const lossAt = () => {
      const out = computeDpoBatch(policy, null, precomputed, opts);
      const v = out.loss.dataSync()[0];
      out.loss.dispose();
      return v;
    };
    const h = 1e-2;
    let checked = 0;
    for (const name of ["transformer.wte.weight", "transformer.h.1.mlp.c_fc.weight", "transformer.ln_f.bias"]) {
      const p = params.find(([n]) => n === name)![1];
      const g = grads[name].dataSync();
      const base = p.dataSync().slice();
      // The coordinate with the largest gradient: the finite difference is well above float32 noise there.
      let k = 0;
      for (let i = 1; i < g.length; i++) if (Math.abs(g[i]) > Math.abs(g[k])) k = i;
      const setAt = (delta: number) => {
        const v = base.slice();
        v[k] += delta;
        p.assign(tf.tensor(v, p.shape));
      };
      setAt(h);
      const up = lossAt();
      setAt(-h);
      const down = lossAt();
      setAt(0);
      const fd = (up - down) / (2 * h);
      assert.ok(Math.abs(fd - g[k]) < 0.05 * Math.abs(g[k]) + 1e-4, `${name}[${k}]: fd ${fd} vs grad ${g[k]}`);
      checked++;
    }
    assert.equal(checked, 3);
    tf.dispose(Object.values(grads));
    policy.dispose();
    reference.dispose();
  });

  test("a few DPO steps against a frozen copy: loss starts at ln 2 and falls, reward accuracy rises to 1", (t) => {
    const policy = new GPT2LMHeadModel(config, { seed: 9 });
    const reference = new GPT2LMHeadModel(config, { seed: 9 });
    const refBefore = reference.namedParameters().map(([, p]) => Array.from(p.dataSync()));
    const batch = collateDpo(pairs.map((p) => tokenizeDpoPair(tok, p)), { padTokenId: EOS });
    const params = policy.namedParameters();
    const optimizer = new AdamW(params, { lr: 1e-2, weightDecay: 0 });
    policy.train(true);
    const history: Array<{ loss: number; accuracy: number; margin: number }> = [];
    const startTensors = tf.memory().numTensors;
    for (let step = 0; step < 10; step++) {
      let metrics: { loss: number; "rewards/accuracies": number; "rewards/margins": number } | undefined;
      const { loss, grads } = lossAndGrads(params, () => {
        const out = computeDpoBatch(policy, reference, batch, { beta: 0.1 });
        metrics = out.metrics;
        return out.loss;
      });
      optimizer.step(grads);
      tf.dispose([loss, ...Object.values(grads)]);
      history.push({ loss: metrics!.loss, accuracy: metrics!["rewards/accuracies"], margin: metrics!["rewards/margins"] });
    }
    t.diagnostic(`loss ${history.map((h) => h.loss.toFixed(4)).join(" ")}; accuracy ${history.map((h) => h.accuracy).join(" ")}; final margin ${history[history.length - 1].margin.toFixed(4)}`);
    assert.equal(tf.memory().numTensors, startTensors, "memory stays flat across steps");
    assert.ok(Math.abs(history[0].loss - Math.LN2) < 1e-6, `first loss ${history[0].loss}`);
    assert.equal(history[0].accuracy, 0, "equal rewards: chosen > rejected is false");
    const last = history[history.length - 1];
    assert.ok(last.loss < history[0].loss - 0.05, history.map((h) => h.loss.toFixed(4)).join(" "));
    for (let i = 1; i < history.length; i++) assert.ok(history[i].loss < history[i - 1].loss + 1e-3, `loss went up at step ${i}: ${history.map((h) => h.loss.toFixed(4)).join(" ")}`);
    assert.equal(last.accuracy, 1);
    assert.ok(last.margin > 0.1, String(last.margin));
    const refAfter = reference.namedParameters().map(([, p]) => Array.from(p.dataSync()));
    assert.deepEqual(refAfter, refBefore, "the reference is untouched");
    optimizer.dispose();
    policy.dispose();
    reference.dispose();
  });
});

test("a tiny Llama (TinyLlama's architecture) plugs into the same helpers", () => {
  const config = { vocab_size: 260, hidden_size: 16, intermediate_size: 32, num_hidden_layers: 1, num_attention_heads: 2, max_position_embeddings: 32, initializer_range: 0.3 };
  const policy = new LlamaForCausalLM(config, { seed: 3 });
  const reference = new LlamaForCausalLM(config, { seed: 3 });
  const batch = collateDpo([tokenizeDpoPair(tok, { prompt: "Q:", chosen: "yes", rejected: "no" })], { padTokenId: EOS });
  const out = computeDpoBatch(policy, reference, batch);
  assert.ok(Math.abs(out.loss.dataSync()[0] - Math.LN2) < 1e-6, "a copy of the policy as reference: ln 2");
  out.loss.dispose();
  const loss = sftLoss(policy, collateSft(tokenizeForSft(tok, [{ prompt: "Q:", completion: "yes" }]), { padTokenId: EOS }));
  assert.ok(loss.dataSync()[0] > 3 && loss.dataSync()[0] < 10, "random init: near ln(260) = 5.56");
  loss.dispose();
  policy.dispose();
  reference.dispose();
});
