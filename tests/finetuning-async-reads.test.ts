/**
 * DPO and perplexity without synchronous reads (what webgpu in Node needs), on wasm: `deferMetrics` in
 * dpoLoss / computeDpoBatch, `readDpoMetrics`, `precomputeReferenceLogProbsAsync` and `perplexityAsync`
 * against the synchronous path (itself checked against float64 formulas in finetuning-dpo / -sft tests),
 * plus a float64 formula here, gradients inside tf.variableGrads, and tensor bookkeeping.
 * tests/webgpu-training.test.ts runs the same API on webgpu against wasm.
 */
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { initEngine, tf } from "../lib/engine";
import { GPT2LMHeadModel } from "../lib/models/gpt2";
import { IGNORE_INDEX } from "../lib/training/losses";
import { lossAndGrads } from "../lib/training/step";
import { collateSft, perplexity, perplexityAsync } from "../lib/finetuning/sft";
import {
  DeferredDpoMetrics,
  collateDpo,
  computeDpoBatch,
  dpoLoss,
  precomputeReferenceLogProbs,
  precomputeReferenceLogProbsAsync,
  readDpoMetrics,
} from "../lib/finetuning/dpo";
import type { DpoBatch, DpoBatchOutput, DpoFeatures, DpoMetrics } from "../lib/finetuning/dpo";

const X = IGNORE_INDEX;
const PAD = 0;
const config = { vocab_size: 40, n_positions: 16, n_embd: 16, n_layer: 2, n_head: 2, resid_pdrop: 0, embd_pdrop: 0, attn_pdrop: 0, initializer_range: 0.3 };

before(async () => {
  await initEngine({ verbose: false });
});

/** A tokenized pair from ids (what tokenizeDpoPair returns), labels -100 over the prompt. */
function feature(prompt: number[], chosen: number[], rejected: number[]): DpoFeatures {
  const full = (r: number[]) => ({ ids: [...prompt, ...r], labels: [...prompt.map(() => X), ...r] });
  const c = full(chosen);
  const r = full(rejected);
  return { promptIds: prompt, chosenIds: chosen, rejectedIds: rejected, chosenInputIds: c.ids, chosenLabels: c.labels, rejectedInputIds: r.ids, rejectedLabels: r.labels };
}

const features = [
  feature([1, 2, 3], [10, 11, 12, 5], [20, 21, 5]),
  feature([4, 5], [13, 14, 5], [22, 23, 24, 25, 5]),
  feature([6, 7, 8, 9], [15, 5], [26, 5]),
];

function assertMetricsEqual(got: DpoMetrics, want: DpoMetrics, what: string, tol = 0): void {
  assert.deepEqual(Object.keys(got).sort(), Object.keys(want).sort(), what);
  for (const [k, v] of Object.entries(want)) {
    const g = got[k as keyof DpoMetrics];
    assert.ok(Math.abs(g - v) <= tol * Math.max(1, Math.abs(v)), `${what}: ${k} ${g} vs ${v}`);
  }
}

describe("dpoLoss with deferMetrics", () => {
  const pc = [-11.5, -7.25, -30.0];
  const pr = [-11.0, -9.5, -28.0];
  const rc = [-12.0, -8.0, -29.5];
  const rr = [-10.5, -9.0, -29.0];

  test("same loss and metrics as the synchronous path and as float64 formulas; one tensor kept until read", async () => {
    const beta = 0.2;
    const before = tf.memory().numTensors;
    const sync = dpoLoss(pc, pr, rc, rr, { beta });
    const deferred = dpoLoss(pc, pr, rc, rr, { beta, deferMetrics: true });
    assert.ok(deferred.metrics instanceof DeferredDpoMetrics);
    assert.equal(tf.memory().numTensors, before + 3, "two losses and the packed metrics");
    assert.equal(deferred.loss.dataSync()[0], sync.loss.dataSync()[0]);
    const metrics = await readDpoMetrics(deferred);
    assert.equal(deferred.metrics.values, null, "read frees the tensor");
    assertMetricsEqual(metrics, sync.metrics, "deferred vs sync");
    // float64, written independently of dpo.ts.
    const z = pc.map((_, i) => beta * (pc[i] - rc[i] - (pr[i] - rr[i])));
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const want: DpoMetrics = {
      loss: mean(z.map((zi) => Math.log1p(Math.exp(-zi)))),
      "rewards/chosen": mean(pc.map((p, i) => beta * (p - rc[i]))),
      "rewards/rejected": mean(pr.map((p, i) => beta * (p - rr[i]))),
      "rewards/accuracies": mean(z.map((zi) => (zi > 0 ? 1 : 0))),
      "rewards/margins": mean(z),
      "logps/chosen": mean(pc),
      "logps/rejected": mean(pr),
    };
    assert.equal(want["rewards/accuracies"], 2 / 3, "the example has pairs on both sides");
    assertMetricsEqual(metrics, want, "deferred vs float64", 1e-6);
    // The log-probs are there too, and a second read reuses the values.
    assert.deepEqual(await deferred.metrics.readLogProbs(), { policyLogps: [...pc, ...pr], referenceLogps: [...rc, ...rr] });
    assertMetricsEqual(await readDpoMetrics(deferred.metrics), metrics, "second read");
    tf.dispose([sync.loss, deferred.loss]);
    assert.equal(tf.memory().numTensors, before, "no tensor left behind");
  });

  test("the gradient is the synchronous path's; the metrics survive tf.grads' tidy", async () => {
    const f = (defer: boolean) => {
      let pending: DeferredDpoMetrics | undefined;
      const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => {
        if (!defer) return dpoLoss(a as tf.Tensor1D, b as tf.Tensor1D, rc, rr, { beta: 0.5, labelSmoothing: 0.1 }).loss;
        const out = dpoLoss(a as tf.Tensor1D, b as tf.Tensor1D, rc, rr, { beta: 0.5, labelSmoothing: 0.1, deferMetrics: true });
        pending = out.metrics;
        return out.loss;
      });
      const a = tf.tensor1d(pc);
      const b = tf.tensor1d(pr);
      const grads = g([a, b]);
      const values = grads.map((t) => Array.from(t.dataSync()));
      tf.dispose([a, b, ...grads]);
      return { values, pending };
    };
    const before = tf.memory().numTensors;
    const sync = f(false);
    const deferred = f(true);
    assert.deepEqual(deferred.values, sync.values);
    assert.ok(sync.values.flat().every((v) => v !== 0));
    assert.equal(tf.memory().numTensors, before + 1, "only the pending metrics");
    const m = await deferred.pending!.read();
    assertMetricsEqual(m, dpoLoss(pc, pr, rc, rr, { beta: 0.5, labelSmoothing: 0.1 }).metrics, "after tf.grads");
  });

  test("dispose frees unread metrics; reading then is an error; bad input is named", async () => {
    const before = tf.memory().numTensors;
    const out = dpoLoss(pc, pr, rc, rr, { deferMetrics: true });
    out.loss.dispose();
    out.metrics.dispose();
    assert.equal(tf.memory().numTensors, before);
    await assert.rejects(readDpoMetrics(out), /disposed before it was read/);
    assert.throws(() => readDpoMetrics({} as never), /expected the output of dpoLoss \/ computeDpoBatch called with \{ deferMetrics: true \}/);
    // Validation happens before anything is kept.
    assert.throws(() => dpoLoss(pc, pr.slice(1), rc, rr, { deferMetrics: true }), /policyRejected has 2 entries/);
    assert.equal(tf.memory().numTensors, before);
  });
});

describe("computeDpoBatch with deferMetrics on a tiny GPT-2", () => {
  const batch = collateDpo(features, { padTokenId: PAD });

  /** Loss, gradient and metrics through lossAndGrads (tf.variableGrads), sync or deferred. */
  async function step(policy: GPT2LMHeadModel, reference: Parameters<typeof computeDpoBatch>[1], b: DpoBatch, defer: boolean) {
    let sync: DpoBatchOutput | undefined;
    let pending: DeferredDpoMetrics | undefined;
    const { loss, grads } = lossAndGrads(policy.namedParameters(), () => {
      if (!defer) {
        const out = computeDpoBatch(policy, reference, b, { beta: 0.1 });
        sync = out;
        return out.loss;
      }
      const out = computeDpoBatch(policy, reference, b, { beta: 0.1, deferMetrics: true });
      pending = out.metrics;
      return out.loss;
    });
    const gradValues: Record<string, Float32Array> = {};
    for (const [name, g] of Object.entries(grads)) gradValues[name] = (await g.data()) as Float32Array;
    const lossValue = (await loss.data())[0];
    tf.dispose([loss, ...Object.values(grads)]);
    if (!defer) return { loss: lossValue, grads: gradValues, metrics: sync!.metrics, policyLogps: sync!.policyLogps, referenceLogps: sync!.referenceLogps };
    const metrics = await readDpoMetrics(pending!);
    return { loss: lossValue, grads: gradValues, metrics, ...(await pending!.readLogProbs()) };
  }

  function assertSame(a: Awaited<ReturnType<typeof step>>, b: Awaited<ReturnType<typeof step>>, what: string) {
    assert.ok(Math.abs(a.loss - b.loss) <= 1e-6, `${what}: loss ${a.loss} vs ${b.loss}`);
    assertMetricsEqual(a.metrics, b.metrics, what, 1e-6);
    a.policyLogps.forEach((v, i) => assert.ok(Math.abs(v - b.policyLogps[i]) <= 1e-5, `${what}: policy ${i}`));
    a.referenceLogps.forEach((v, i) => assert.ok(Math.abs(v - b.referenceLogps[i]) <= 1e-5, `${what}: reference ${i}`));
    let worst = 0;
    let scale = 0;
    for (const [name, g] of Object.entries(b.grads)) {
      const h = a.grads[name];
      for (let i = 0; i < g.length; i++) {
        worst = Math.max(worst, Math.abs(h[i] - g[i]));
        scale = Math.max(scale, Math.abs(g[i]));
      }
    }
    assert.ok(scale > 0, `${what}: some gradient`);
    assert.ok(worst <= 1e-6 * Math.max(1, scale), `${what}: max |grad diff| ${worst} (max |grad| ${scale})`);
  }

  test("reference as model, callback or precomputed (async): loss, gradient, metrics and log-probs as the synchronous path", async () => {
    const policy = new GPT2LMHeadModel(config, { seed: 1 });
    const reference = new GPT2LMHeadModel(config, { seed: 2 });
    policy.train(true);
    reference.train(true); // computeDpoBatch runs it in eval mode and gives the mode back
    const callback = (ids: tf.Tensor2D, mask: tf.Tensor2D) => reference.forward(ids, { attentionMask: mask }).logits;
    const precomputedAsync = await precomputeReferenceLogProbsAsync(reference, features, { padTokenId: PAD, batchSize: 2 });
    assert.deepEqual(precomputedAsync, precomputeReferenceLogProbs(reference, features, { padTokenId: PAD, batchSize: 2 }));
    assert.equal(features[0].refChosenLogps, undefined, "inputs untouched");
    const withRef = collateDpo(precomputedAsync, { padTokenId: PAD });

    const before = tf.memory().numTensors;
    const want = await step(policy, reference, batch, false);
    for (const [name, ref, b] of [["model", reference, batch], ["callback", callback, batch], ["precomputed", null, withRef]] as const) {
      assertSame(await step(policy, ref, b, true), want, name);
    }
    assert.equal(tf.memory().numTensors, before, "no tensor left behind");
    assert.equal(reference.training, true);
    assert.equal(policy.training, true);
    // The random policy and reference disagree: rewards on both sides, not a degenerate case.
    assert.ok(Math.abs(want.metrics["rewards/margins"]) > 1e-3, JSON.stringify(want.metrics));
    await assert.rejects(precomputeReferenceLogProbsAsync(reference, features, { padTokenId: PAD, batchSize: 0 }), /precomputeReferenceLogProbsAsync: batchSize must be a positive integer/);
    assert.throws(() => computeDpoBatch(policy, null, batch, { deferMetrics: true }), /no reference/);
    assert.equal(tf.memory().numTensors, before);
    policy.dispose();
    reference.dispose();
  });

  test("a reference sharing the policy's weights is a constant, as when read back as numbers", async () => {
    // The reference is the policy itself (as with LoRA adapters switched off, if the base were trainable):
    // the gradient must flow through the policy's term only, not through the reference's.
    const policy = new GPT2LMHeadModel(config, { seed: 3 });
    const self = (ids: tf.Tensor2D, mask: tf.Tensor2D) => policy.forward(ids, { attentionMask: mask }).logits;
    const want = await step(policy, self, batch, false);
    const got = await step(policy, self, batch, true);
    assertSame(got, want, "shared weights");
    assert.ok(Math.abs(want.loss - Math.LN2) < 1e-6, `policy = reference: loss ln 2 (${want.loss})`);
    policy.dispose();
  });
});

describe("perplexityAsync", () => {
  test("equals perplexity, restores the training mode, leaves no tensor; bad input named", async () => {
    const model = new GPT2LMHeadModel(config, { seed: 5 });
    model.train(true);
    const rows = [
      { inputIds: [1, 2, 3, 4, 5, 6], labels: [X, X, 3, 4, 5, 6] },
      { inputIds: [7, 8, 9], labels: [7, 8, 9] },
      { inputIds: [10, 11, 12, 13, 14], labels: [X, X, X, 13, 14] },
    ];
    const batches = [collateSft(rows.slice(0, 2), { padTokenId: PAD }), collateSft(rows.slice(2), { padTokenId: PAD })];
    const before = tf.memory().numTensors;
    const got = await perplexityAsync(model, batches);
    assert.equal(tf.memory().numTensors, before);
    assert.equal(model.training, true);
    assert.equal(got, perplexity(model, batches));
    assert.ok(got > 5 && got < 400, String(got));
    await assert.rejects(perplexityAsync(model, []), /perplexityAsync: expected a non-empty array of batches/);
    await assert.rejects(perplexityAsync(model, [{ inputIds: [[1, 2]], labels: [[X, X]], attentionMask: [[1, 1]] }]), /perplexityAsync: no label to score/);
    await assert.rejects(perplexityAsync(model, [{ inputIds: [[1, 2]], labels: [[1]], attentionMask: [[1, 1]] }]), /batch\.labels must be 1 rows of 2/);
    assert.equal(model.training, true);
    model.dispose();
  });
});
