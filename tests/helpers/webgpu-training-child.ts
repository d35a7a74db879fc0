// Child process of tests/webgpu-training.test.ts: the same tiny training run on one backend.
//   node --import tsx tests/helpers/webgpu-training-child.ts <webgpu|wasm|cpu>
// Prints one JSON line on stdout: { backend, engine, kernels, gpt2, llama, finetuning, tensorsLeft, ms },
// { backend, unavailable: reason } when the backend cannot start (no WebGPU adapter), or { backend, error }.
// Everything is seeded and dropout is off, so two backends differ only by float rounding.
import { initEngine, tf } from "../../lib/engine";
import { GPT2LMHeadModel } from "../../lib/models/gpt2";
import { LlamaForCausalLM } from "../../lib/models/llama";
import { causalLMLoss, IGNORE_INDEX } from "../../lib/training/losses";
import { AdamW } from "../../lib/training/optim";
import { lossAndGrads, trainStep } from "../../lib/training/step";
import { Rng } from "../../lib/util/random";
import { collateSft, perplexityAsync, sftLoss, SftBatch } from "../../lib/finetuning/sft";
import { computeDpoBatch, readDpoMetrics, sequenceLogProbs } from "../../lib/finetuning/dpo";
import type { DeferredDpoMetrics, DpoMetrics } from "../../lib/finetuning/dpo";

const VOCAB = 64;
const SEQ = 16;
const BATCH = 4;
const STEPS = 3;

/** Fixed token batches (same on every backend): [STEPS][BATCH][SEQ]. */
function tokenBatches(): number[][][] {
  const rng = new Rng(2024);
  return Array.from({ length: STEPS }, () => Array.from({ length: BATCH }, () => Array.from({ length: SEQ }, () => rng.int(VOCAB))));
}

/** Labels = inputs, with a "prompt" of 4 tokens in row 0 masked out as SFT's completion-only labels do. */
function labelsFor(batch: number[][]): number[][] {
  return batch.map((row, b) => row.map((t, i) => (b === 0 && i < 4 ? IGNORE_INDEX : t)));
}

const tinyGpt2 = (seed: number) =>
  new GPT2LMHeadModel({ vocab_size: VOCAB, n_positions: SEQ, n_embd: 32, n_layer: 2, n_head: 4, resid_pdrop: 0, embd_pdrop: 0, attn_pdrop: 0 }, { seed });

async function gpt2Run() {
  const model = tinyGpt2(1234);
  model.train();
  const params = model.namedParameters();
  const batches = tokenBatches();
  const lossOn = (batch: number[][]) => () => {
    const ids = tf.tensor2d(batch, [BATCH, SEQ], "int32");
    const labels = tf.tensor2d(labelsFor(batch), [BATCH, SEQ], "int32");
    return causalLMLoss(model.forward(ids).logits, labels);
  };
  // Per-parameter gradient norms at the initial weights: where a wrong kernel shows first.
  const firstGrads: Record<string, number> = {};
  const probe = lossAndGrads(params, lossOn(batches[0]));
  for (const [name, g] of Object.entries(probe.grads)) {
    const norm = tf.norm(g);
    firstGrads[name] = (await norm.data())[0];
    norm.dispose();
  }
  tf.dispose([probe.loss, ...Object.values(probe.grads)]);

  // A large learning rate, so that three steps move the loss well past rounding noise.
  const optimizer = new AdamW(params, { lr: 1e-2 });
  const losses: number[] = [];
  const gradNorms: number[] = [];
  const stepMs: number[] = [];
  for (let step = 0; step < STEPS; step++) {
    const t0 = performance.now();
    const r = await trainStep(params, optimizer, lossOn(batches[step]), { maxGradNorm: 1.0 });
    losses.push(r.loss);
    gradNorms.push(r.gradNorm!);
    stepMs.push(performance.now() - t0);
  }
  // The loss after the last update, on the first batch again, so all three updates are checked.
  const after = tf.tidy(lossOn(batches[0]));
  const finalLoss = (await after.data())[0];
  after.dispose();
  const total = tf.tidy(() => tf.addN(params.map(([, p]) => tf.sum(tf.abs(p)))));
  const paramAbsSum = (await total.data())[0];
  total.dispose();
  optimizer.dispose();
  model.dispose();
  return { losses, finalLoss, gradNorms, firstGrads, paramAbsSum, stepMs };
}

/** Prompt + completion rows of different lengths, labels -100 over the prompt (completion-only), right-padded. */
function sftBatch(rng: Rng): SftBatch {
  const features = Array.from({ length: BATCH }, () => {
    const len = 8 + rng.int(SEQ - 7); // 8..16 tokens
    const promptLen = 3 + rng.int(4);
    const inputIds = Array.from({ length: len }, () => 1 + rng.int(VOCAB - 1)); // 0 is the pad token
    return { inputIds, labels: inputIds.map((t, i) => (i < promptLen ? IGNORE_INDEX : t)) };
  });
  return collateSft(features, { padTokenId: 0, padToMultipleOf: SEQ }); // one shape for all: each new shape compiles new shaders
}

/**
 * A few SFT steps and the perplexity after them, then a DPO loss, its metrics and its gradient on one
 * preference pair (policy: the SFT model; reference: its initial weights).
 */
async function sftAndDpoRun() {
  const model = tinyGpt2(99);
  const reference = tinyGpt2(99).eval();
  model.train();
  const params = model.namedParameters();
  const optimizer = new AdamW(params, { lr: 1e-2 });
  const rng = new Rng(77);
  const batches = Array.from({ length: STEPS }, () => sftBatch(rng));
  const sftLosses: number[] = [];
  const sftGradNorms: number[] = [];
  for (const batch of batches) {
    const r = await trainStep(params, optimizer, () => sftLoss(model, batch), { maxGradNorm: 1.0 });
    sftLosses.push(r.loss);
    sftGradNorms.push(r.gradNorm!);
  }
  const after = tf.tidy(() => sftLoss(model, batches[0]));
  const sftFinalLoss = (await after.data())[0];
  after.dispose();
  optimizer.dispose();
  // One batch: perplexity = exp(its token-mean NLL) = exp(sftFinalLoss).
  const sftPerplexity = await perplexityAsync(model, [batches[0]]);

  // One pair: prompt [5, 9, 12], chosen and rejected completions of different lengths (padding on the shorter).
  const prompt = [5, 9, 12];
  const chosen = [...prompt, 20, 21, 22, 23, 2];
  const rejected = [...prompt, 40, 41, 2];
  const pair = collateSft(
    [chosen, rejected].map((ids) => ({ inputIds: ids, labels: ids.map((t, i) => (i < prompt.length ? IGNORE_INDEX : t)) })),
    { padTokenId: 0, padToMultipleOf: SEQ },
  );
  const logProbsOf = (m: GPT2LMHeadModel) => {
    const ids = tf.tensor2d(pair.inputIds, undefined, "int32");
    const mask = tf.tensor2d(pair.attentionMask, undefined, "int32");
    return sequenceLogProbs(m.forward(ids, { attentionMask: mask }).logits, pair.labels);
  };
  const refTensor = tf.tidy(() => logProbsOf(reference));
  const ref = Array.from(await refTensor.data());
  refTensor.dispose();
  const policyTensor = tf.tidy(() => logProbsOf(model));
  const policyLogps = Array.from(await policyTensor.data());
  policyTensor.dispose();
  // computeDpoBatch's loss, gradient and metrics, with no synchronous read (deferMetrics): the metrics
  // tensor is kept through the gradient call and read after it. `error` if anything throws.
  let dpo: DpoResult | { error: string };
  try {
    let pending: DeferredDpoMetrics | undefined;
    const { loss, grads } = lossAndGrads(params, () => {
      const out = computeDpoBatch(model, reference, pair, { beta: 0.1, deferMetrics: true });
      pending = out.metrics;
      return out.loss;
    });
    const norm = tf.tidy(() => tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g))))));
    const metrics = await readDpoMetrics(pending!);
    const logps = await pending!.readLogProbs();
    dpo = { loss: (await loss.data())[0], gradNorm: (await norm.data())[0], metrics, ...logps };
    tf.dispose([loss, norm, ...Object.values(grads)]);
  } catch (e) {
    dpo = { error: (e as Error).message };
  }
  model.dispose();
  reference.dispose();
  return { sftLosses, sftGradNorms, sftFinalLoss, sftPerplexity, policyLogps, referenceLogps: ref, dpo };
}

interface DpoResult {
  loss: number;
  gradNorm: number;
  metrics: DpoMetrics;
  /** computeDpoBatch's own log-probs (chosen, rejected), read after the gradient call. */
  policyLogps: number[];
  referenceLogps: number[];
}

async function llamaRun() {
  const model = new LlamaForCausalLM(
    { vocab_size: VOCAB, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 32 },
    { seed: 7 },
  );
  model.eval();
  const ids = tf.tensor2d(tokenBatches()[0].slice(0, 2), [2, SEQ], "int32");
  const logits = model.forward(ids).logits;
  const values = Array.from(await logits.data());
  tf.dispose([ids, logits]);
  model.dispose();
  return { shape: [2, SEQ, VOCAB], logits: values };
}

/** The engine's webgpu fixes, directly: AddN of more tensors than one shader may bind, and a synchronous read. */
async function kernelChecks() {
  // 20 inputs of 1000 values (past webgpu's CPU forwarding of small ops): sum of i + 1 = 210 everywhere.
  const xs = Array.from({ length: 20 }, (_, i) => tf.tidy(() => tf.mul(tf.fill([1000], i + 1), 1)));
  const sum = tf.addN(xs);
  let syncReadError: string | null = null;
  try {
    sum.dataSync(); // before any async read, which would leave a CPU copy behind
  } catch (e) {
    syncReadError = (e as Error).message;
  }
  const values = Array.from(await sum.data());
  tf.dispose([sum, ...xs]);
  return { addN20: { min: Math.min(...values), max: Math.max(...values) }, syncReadError };
}

async function main(): Promise<void> {
  const backend = process.argv[2] as "webgpu" | "wasm" | "cpu";
  const t0 = performance.now();
  let engine: string;
  try {
    engine = (await initEngine({ backend, verbose: false })).reason;
  } catch (e) {
    console.log(JSON.stringify({ backend, unavailable: (e as Error).message }));
    return;
  }
  const kernels = await kernelChecks();
  const gpt2 = await gpt2Run();
  const llama = await llamaRun();
  const leaked = tf.memory().numTensors;
  // Last: a failure inside a gradient tape (see dpo.error) may leave tfjs's tape state behind.
  const finetuning = await sftAndDpoRun();
  const leakedByFinetuning = "error" in finetuning.dpo ? null : tf.memory().numTensors - leaked;
  console.log(JSON.stringify({ backend, engine, kernels, gpt2, llama, finetuning, tensorsLeft: leaked, leakedByFinetuning, ms: performance.now() - t0 }));
}

main().then(
  () => process.exit(0), // Dawn's device keeps the event loop alive
  (e) => {
    console.log(JSON.stringify({ backend: process.argv[2], error: (e as Error).stack || String(e) }));
    process.exit(0);
  },
);
