import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { GPT2LMHeadModel, Rng, Trainer, initEngine, randomWindows, tf } from "../lib";

const tokens = Int32Array.from({ length: 2000 }, (_, i) => [0, 1, 2, 3, 4, 2, 1][i % 7] + (i % 13 === 0 ? 5 : 0));
const config = { vocab_size: 10, n_positions: 16, n_embd: 16, n_layer: 1, n_head: 2 };
/** Batch i depends on i alone, as the Trainer requires. */
const batchAt = (i: number, size = 4) => randomWindows(tokens, size, 16, new Rng(1000 + i));
const lmLoss = (model: GPT2LMHeadModel) => (batch: tf.Tensor2D) => model.forward(batch, { labels: batch }).loss!;

test("resuming from a checkpoint repeats the uninterrupted loss curve (dropout on)", async () => {
  await initEngine({ verbose: false });
  const outputDir = fs.mkdtempSync(path.join(os.tmpdir(), "trainer-"));
  const args = { outputDir, maxSteps: 20, learningRate: 3e-3, warmupSteps: 3, loggingSteps: 1, saveSteps: 10, progress: false };
  const full = new GPT2LMHeadModel(config, { seed: 5 });
  const straight = new Trainer({ model: full, args, batch: batchAt, loss: lmLoss(full) });
  const reference = (await straight.train()).logHistory.map((r) => r.loss!);
  straight.dispose();

  const fresh = new GPT2LMHeadModel(config, { seed: 99 }); // other weights: the checkpoint must replace them
  const resumed = new Trainer({ model: fresh, args: { ...args, outputDir }, batch: batchAt, loss: lmLoss(fresh) });
  const out = await resumed.train(path.join(outputDir, "checkpoint-10"));
  assert.equal(out.globalStep, 20);
  assert.deepEqual(out.logHistory.map((r) => r.loss), reference);
  const lines = fs.readFileSync(path.join(outputDir, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(lines.map((r) => r.step), Array.from({ length: 20 }, (_, i) => i + 1), "metrics.jsonl has each step once");
  assert.ok(fs.existsSync(path.join(outputDir, "checkpoint-20", "optimizer.safetensors")));
  assert.match(JSON.stringify(resumed.lossChart()), /"mark"/, "a chart spec");
  [full, fresh].forEach((m) => m.dispose());
  resumed.dispose();
});

test("gradient accumulation over 2 half batches equals one full batch (no dropout)", async () => {
  await initEngine({ verbose: false });
  const quiet = { ...config, resid_pdrop: 0, embd_pdrop: 0, attn_pdrop: 0 };
  const whole = new GPT2LMHeadModel(quiet, { seed: 3 });
  const halves = new GPT2LMHeadModel(quiet, { seed: 3 });
  const base = { maxSteps: 5, learningRate: 1e-2, progress: false, loggingSteps: 1 };
  const t1 = new Trainer({ model: whole, args: base, batch: (i) => batchAt(i, 8), loss: lmLoss(whole) });
  const t2 = new Trainer({
    model: halves, args: { ...base, gradientAccumulationSteps: 2 },
    batch: (i) => tf.tidy(() => { const b = batchAt(Math.floor(i / 2), 8); return tf.slice(b, [(i % 2) * 4, 0], [4, 16]) as tf.Tensor2D; }),
    loss: lmLoss(halves),
  });
  const [a, b] = [await t1.train(), await t2.train()];
  a.logHistory.forEach((r, i) => assert.ok(Math.abs(r.loss! - b.logHistory[i].loss!) < 1e-5, `step ${i + 1}: ${r.loss} vs ${b.logHistory[i].loss}`));
  const p2 = new Map(halves.namedParameters());
  for (const [name, p] of whole.namedParameters()) {
    const d = tf.tidy(() => tf.max(tf.abs(tf.sub(p, p2.get(name)!))).dataSync()[0]);
    assert.ok(d < 1e-5, `${name} differs by ${d}`);
  }
  [whole, halves].forEach((m) => m.dispose());
  [t1, t2].forEach((t) => t.dispose());
});

test("a NaN loss stops training with the step named", async () => {
  await initEngine({ verbose: false });
  const model = new GPT2LMHeadModel(config);
  let calls = 0;
  const trainer = new Trainer({
    model, args: { maxSteps: 10, progress: false }, batch: (i) => batchAt(i),
    loss: (b) => (++calls === 3 ? (tf.mul(lmLoss(model)(b), NaN) as tf.Scalar) : lmLoss(model)(b)),
  });
  await assert.rejects(trainer.train(), /training diverged at step 3: loss NaN/);
  model.dispose();
  trainer.dispose();
});

test("memory stays flat over 1,000 training steps", async () => {
  await initEngine({ verbose: false });
  const model = new GPT2LMHeadModel({ vocab_size: 6, n_positions: 8, n_embd: 8, n_layer: 1, n_head: 2 });
  const counts: number[] = [];
  let evals = 0;
  const trainer = new Trainer({
    model, args: { maxSteps: 1000, progress: false, evalSteps: 250, loggingSteps: 100, learningRate: 1e-3 },
    batch: (i) => tf.tensor2d(Array.from({ length: 16 }, (_, j) => (i + j) % 6), [2, 8], "int32"),
    loss: (b) => {
      counts.push(tf.memory().numTensors);
      return model.forward(b, { labels: b }).loss!;
    },
    evaluate: async () => ({ eval_loss: ++evals }),
  });
  await trainer.train();
  assert.equal(evals, 4);
  assert.equal(counts[999], counts[9], `tensors at step 10: ${counts[9]}, at step 1000: ${counts[999]}`);
  model.dispose();
  trainer.dispose();
});
