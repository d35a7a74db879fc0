import { test } from "node:test";
import * as assert from "node:assert/strict";
import { AdamW, clipGradNorm, crossEntropy, initEngine, lrLambda, tf } from "hands-on-llm";

test("crossEntropy equals the hand-computed mean NLL, skipping -100", async () => {
  await initEngine({ verbose: false });
  const logits = [[1, 2, 3], [0, 0, 0], [5, -1, 2]];
  const labels = [2, 1, -100];
  const nll = (row: number[], y: number) => Math.log(row.reduce((s, v) => s + Math.exp(v), 0)) - row[y];
  const expected = (nll(logits[0], 2) + nll(logits[1], 1)) / 2;
  const got = tf.tidy(() => crossEntropy(tf.tensor2d(logits), tf.tensor1d(labels, "int32")).dataSync()[0]);
  assert.ok(Math.abs(got - expected) < 1e-6, `${got} vs ${expected}`);
});

test("AdamW follows torch.optim.AdamW's update, decaying matrices only", async () => {
  await initEngine({ verbose: false });
  const w = tf.variable(tf.tensor2d([[0.5, -1.0]]));
  const b = tf.variable(tf.tensor1d([2.0]));
  const lr = 0.1, wd = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8;
  const opt = new AdamW([["w", w], ["b", b]], { lr, weightDecay: wd });
  const gradsPerStep = [[0.3, -0.2, 1.0], [-0.1, 0.4, 0.5]];
  // Hand computation for each scalar (w0, w1 decayed; b not).
  const state = [0.5, -1.0, 2.0].map((p, i) => ({ p, m: 0, v: 0, decay: i < 2 }));
  gradsPerStep.forEach((g, k) => {
    const t = k + 1;
    state.forEach((s, i) => {
      if (s.decay) s.p *= 1 - lr * wd;
      s.m = b1 * s.m + (1 - b1) * g[i];
      s.v = b2 * s.v + (1 - b2) * g[i] ** 2;
      s.p -= (lr / (1 - b1 ** t)) * (s.m / (Math.sqrt(s.v) / Math.sqrt(1 - b2 ** t) + eps));
    });
    const grads = { w: tf.tensor2d([[g[0], g[1]]]), b: tf.tensor1d([g[2]]) };
    opt.step(grads);
    tf.dispose(Object.values(grads));
  });
  const got = [...w.dataSync(), ...b.dataSync()];
  state.forEach((s, i) => assert.ok(Math.abs(got[i] - s.p) < 1e-6, `param ${i}: ${got[i]} vs ${s.p}`));
  opt.dispose();
  w.dispose();
  b.dispose();
});

test("clipGradNorm scales to the max norm and returns the norm before", async () => {
  await initEngine({ verbose: false });
  const grads: Record<string, tf.Tensor> = { a: tf.tensor1d([3, 0]), b: tf.tensor1d([4]) };
  const norm = clipGradNorm(grads, 1);
  assert.ok(Math.abs(norm - 5) < 1e-5);
  assert.deepEqual(Array.from(grads.a.dataSync()).map((x) => Math.round(x * 1e4) / 1e4), [0.6, 0]);
  assert.ok(Math.abs(grads.b.dataSync()[0] - 0.8) < 1e-5);
  tf.dispose(Object.values(grads));
});

test("lrLambda matches transformers' schedules", () => {
  const linear = lrLambda("linear", 10, 110);
  assert.equal(linear(0), 0);
  assert.equal(linear(5), 0.5);
  assert.equal(linear(10), 1);
  assert.equal(linear(60), 0.5);
  assert.equal(linear(110), 0);
  const cosine = lrLambda("cosine", 0, 100);
  assert.ok(Math.abs(cosine(50) - 0.5) < 1e-12);
  assert.ok(Math.abs(cosine(100)) < 1e-12);
  assert.equal(lrLambda("constant_with_warmup", 4, 10)(2), 0.5);
});
