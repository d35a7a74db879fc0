// Training on the WebGPU backend against the same run on wasm: a tiny GPT-2, three AdamW steps of
// causal-LM loss (lib/training's trainStep), three SFT steps with the perplexity after them, and a DPO
// loss, its metrics and its gradient on one pair (lib/finetuning; computeDpoBatch with deferMetrics, which
// reads nothing synchronously), and a tiny Llama's forward logits. Each backend runs in
// its own child process (tests/helpers/webgpu-training-child.ts): tfjs backends are process-global.
//
// On a CPU machine the WebGPU adapter is Mesa's lavapipe, prepared by scripts/setup-lavapipe.sh
// (scripts/setup.sh runs it); without an adapter the comparisons skip and say why.
//
// Tolerances. Both runs are float32 from identical seeded weights and data, with dropout off, so
// they differ only by rounding: reduction order, exp/log implementations (WGSL allows a few ulp),
// fused multiply-adds. float32's epsilon is 1.2e-7; through the ~100 dependent ops of a 2-block
// step that compounds to at most ~1e-5 relative. Measured on lavapipe: losses 1.1e-7, gradient
// norms 6.7e-7, logits 3.4e-7 (relative). We allow 1e-4: room for a real GPU's different
// arithmetic, and still 100x below what a wrong or missing kernel does (stock webgpu AddN of more
// than 7 tensors returns zeros, so the gradient norm reads 0). Gradient norms are compared
// besides the losses because AdamW is nearly scale-invariant: a broken norm (no clipping) hardly
// moves the losses.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as path from "node:path";
import { webgpuChildEnv } from "./helpers/lavapipe";

const ROOT = path.resolve(__dirname, "..");
const CHILD = path.join(__dirname, "helpers", "webgpu-training-child.ts");
const VOCAB = 64;
const REL_TOL = 1e-4;

interface Gpt2Result {
  losses: number[];
  finalLoss: number;
  gradNorms: number[];
  firstGrads: Record<string, number>;
  paramAbsSum: number;
  stepMs: number[];
}
interface DpoResult {
  loss: number;
  gradNorm: number;
  metrics: Record<string, number>;
  policyLogps: number[];
  referenceLogps: number[];
}
interface FinetuningResult {
  sftLosses: number[];
  sftGradNorms: number[];
  sftFinalLoss: number;
  sftPerplexity: number;
  policyLogps: number[];
  referenceLogps: number[];
  dpo: DpoResult | { error: string };
}
interface ChildResult {
  backend: string;
  engine?: string;
  unavailable?: string;
  error?: string;
  gpt2?: Gpt2Result;
  llama?: { shape: number[]; logits: number[] };
  finetuning?: FinetuningResult;
  kernels?: { addN20: { min: number; max: number }; syncReadError: string | null };
  tensorsLeft?: number;
  leakedByFinetuning?: number | null;
  ms?: number;
  wallMs: number;
}

function runChild(backend: string, env: NodeJS.ProcessEnv): Promise<ChildResult> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ["--import", "tsx", CHILD, backend],
      { cwd: ROOT, env, timeout: 90000, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        const line = String(stdout).trim().split("\n").pop() || "";
        try {
          resolve({ ...(JSON.parse(line) as ChildResult), wallMs: Date.now() - t0 });
        } catch {
          reject(new Error(`${backend} child failed: ${err ? err.message : "no JSON"}\n${String(stdout).slice(-2000)}\n${String(stderr).slice(-2000)}`));
        }
      },
    );
  });
}

function assertClose(got: number, want: number, what: string, rel = REL_TOL, abs = 0): void {
  assert.ok(Number.isFinite(got) && Number.isFinite(want), `${what}: not finite (webgpu ${got}, wasm ${want})`);
  const diff = Math.abs(got - want);
  assert.ok(diff <= rel * Math.abs(want) + abs, `${what}: webgpu ${got} vs wasm ${want} (|diff| ${diff.toExponential(2)} > ${rel} relative)`);
}

const fmt = (xs: number[]) => xs.map((x) => x.toFixed(6)).join(", ");

describe("training on webgpu matches wasm", () => {
  let wasm: ChildResult;
  let webgpu: ChildResult | null = null;
  let skipReason = "";

  before(async () => {
    wasm = await runChild("wasm", process.env);
    if (wasm.error) throw new Error(`wasm child: ${wasm.error}`);
    const gpu = await webgpuChildEnv();
    if (!gpu.env) {
      skipReason = gpu.reason;
      return;
    }
    const r = await runChild("webgpu", gpu.env);
    if (r.error) throw new Error(`webgpu child (${gpu.via}): ${r.error}`);
    if (r.unavailable) skipReason = `${r.unavailable} (tried ${gpu.via})`;
    else webgpu = r;
  });

  after(() => {
    const show = (r: ChildResult) =>
      `${r.backend}: losses [${fmt(r.gpt2!.losses)}], after 3 steps ${r.gpt2!.finalLoss.toFixed(6)}, grad norms [${fmt(r.gpt2!.gradNorms)}], ` +
      `steps ${r.gpt2!.stepMs.map((m) => m.toFixed(0)).join("/")} ms, child ${(r.wallMs / 1000).toFixed(1)} s`;
    const showFt = (r: ChildResult) => {
      const f = r.finetuning!;
      const dpo =
        "error" in f.dpo
          ? `error: ${f.dpo.error.slice(0, 60)}...`
          : `loss ${f.dpo.loss.toFixed(6)}, grad norm ${f.dpo.gradNorm.toFixed(6)}, rewards/margins ${f.dpo.metrics["rewards/margins"].toFixed(6)}`;
      return `${r.backend}: SFT losses [${fmt(f.sftLosses)}], after ${f.sftFinalLoss.toFixed(6)}, perplexity ${f.sftPerplexity.toFixed(4)}; DPO policy log-probs [${fmt(f.policyLogps)}], ${dpo}`;
    };
    if (wasm && wasm.gpt2) console.log(`${show(wasm)}\n${showFt(wasm)}`);
    if (webgpu) console.log(`${show(webgpu)} — ${webgpu.engine}\n${showFt(webgpu)}`);
    else if (skipReason) console.log(`webgpu skipped: ${skipReason}`);
  });

  // Independent of webgpu: the reference run itself is sane, so that agreeing with it means something.
  test("wasm reference run: initial loss ~ ln(vocab), training lowers it, no leaks", () => {
    const g = wasm.gpt2!;
    // Weights ~ N(0, 0.02): logits are near zero, so the first loss is close to ln(64) = 4.159.
    assert.ok(Math.abs(g.losses[0] - Math.log(VOCAB)) < 0.05, `first loss ${g.losses[0]} vs ln(${VOCAB})`);
    assert.ok(g.finalLoss < g.losses[0] - 0.02, `loss on batch 0 after 3 steps ${g.finalLoss} should be below ${g.losses[0]}`);
    assert.ok(g.gradNorms.every((n) => Number.isFinite(n) && n > 0), `gradient norms ${g.gradNorms}`);
    assert.equal(Object.keys(g.firstGrads).length, 28, "a gradient for every GPT-2 parameter");
    assert.equal(wasm.tensorsLeft, 0);
    assert.equal(wasm.leakedByFinetuning, 0);
  });

  test("wasm reference run: SFT lowers its loss; perplexity and DPO loss and metrics from float64 formulas", () => {
    const f = wasm.finetuning!;
    assert.ok(Math.abs(f.sftLosses[0] - Math.log(VOCAB - 1)) < 0.1, `first SFT loss ${f.sftLosses[0]} vs ln(${VOCAB - 1})`);
    assert.ok(f.sftFinalLoss < f.sftLosses[0] - 0.02, `SFT loss on batch 0 after 3 steps ${f.sftFinalLoss} should be below ${f.sftLosses[0]}`);
    // One batch: perplexity is exp of its token-mean NLL, which sftLoss is.
    assertClose(f.sftPerplexity, Math.exp(f.sftFinalLoss), "perplexityAsync vs exp(SFT loss)", 1e-5);
    assert.ok(!("error" in f.dpo), `dpo on wasm: ${"error" in f.dpo ? f.dpo.error : ""}`);
    const d = f.dpo as DpoResult;
    // computeDpoBatch's log-probs (one concatenated forward) vs each model's own forward pass.
    d.policyLogps.forEach((l, i) => assertClose(l, f.policyLogps[i], `computeDpoBatch policy log-prob ${i}`, 1e-5));
    d.referenceLogps.forEach((l, i) => assertClose(l, f.referenceLogps[i], `computeDpoBatch reference log-prob ${i}`, 1e-5));
    // Independent float64 formulas (beta 0.1) from the summed log-probs.
    const [pc, pr] = f.policyLogps;
    const [rc, rr] = f.referenceLogps;
    const beta = 0.1;
    const z = beta * (pc - rc - (pr - rr));
    const want = Math.log1p(Math.exp(-z));
    assert.ok(Math.abs(d.loss - want) < 1e-5, `DPO loss ${d.loss} vs ${want}`);
    assert.ok(d.gradNorm > 0);
    const m = d.metrics;
    assert.ok(Math.abs(m.loss - want) < 1e-5, `metrics.loss ${m.loss}`);
    assert.ok(Math.abs(m["rewards/chosen"] - beta * (pc - rc)) < 1e-5, `rewards/chosen ${m["rewards/chosen"]}`);
    assert.ok(Math.abs(m["rewards/rejected"] - beta * (pr - rr)) < 1e-5, `rewards/rejected ${m["rewards/rejected"]}`);
    assert.ok(Math.abs(m["rewards/margins"] - z) < 1e-5, `rewards/margins ${m["rewards/margins"]}`);
    assert.equal(m["rewards/accuracies"], z > 0 ? 1 : 0);
    assert.ok(Math.abs(m["logps/chosen"] - pc) < 1e-4 && Math.abs(m["logps/rejected"] - pr) < 1e-4, `logps ${m["logps/chosen"]} ${m["logps/rejected"]}`);
    // The SFT steps moved the policy away from the reference: the rewards are not all ~0.
    assert.ok(Math.abs(m["rewards/chosen"]) > 1e-3 || Math.abs(m["rewards/rejected"]) > 1e-3, JSON.stringify(m));
  });

  test("engine fixes: AddN of 20 tensors; synchronous reads fail with a clear message", (t) => {
    assert.deepEqual(wasm.kernels, { addN20: { min: 210, max: 210 }, syncReadError: null });
    if (!webgpu) return t.skip(skipReason);
    // Stock webgpu AddN binds one buffer per input: past 7 inputs the shader is invalid and the result zeros.
    assert.deepEqual(webgpu.kernels!.addN20, { min: 210, max: 210 });
    assert.match(webgpu.kernels!.syncReadError ?? "", /^backend 'webgpu' cannot read a tensor synchronously in Node .*await tensor\.data\(\)/);
  });

  test("GPT-2: per-step losses, gradient norms and weights after 3 AdamW steps", (t) => {
    if (!webgpu) return t.skip(skipReason);
    const [a, b] = [webgpu.gpt2!, wasm.gpt2!];
    a.losses.forEach((l, i) => assertClose(l, b.losses[i], `loss at step ${i + 1}`));
    assertClose(a.finalLoss, b.finalLoss, "loss after the 3 updates");
    a.gradNorms.forEach((n, i) => assertClose(n, b.gradNorms[i], `gradient norm at step ${i + 1}`));
    assertClose(a.paramAbsSum, b.paramAbsSum, "sum of |weights| after 3 updates");
    assert.equal(webgpu.tensorsLeft, 0);
  });

  test("GPT-2: first-step gradient norm of every parameter", (t) => {
    if (!webgpu) return t.skip(skipReason);
    const [a, b] = [webgpu.gpt2!.firstGrads, wasm.gpt2!.firstGrads];
    assert.deepEqual(Object.keys(a).sort(), Object.keys(b).sort());
    // Looser per tensor (small gradients carry relatively more rounding); names the broken layer.
    for (const name of Object.keys(b)) assertClose(a[name], b[name], `gradient norm of ${name}`, 1e-3, 1e-6);
  });

  test("SFT (completion-only labels, padded batches): 3 AdamW steps, then perplexityAsync", (t) => {
    if (!webgpu) return t.skip(skipReason);
    const [a, b] = [webgpu.finetuning!, wasm.finetuning!];
    a.sftLosses.forEach((l, i) => assertClose(l, b.sftLosses[i], `SFT loss at step ${i + 1}`));
    a.sftGradNorms.forEach((n, i) => assertClose(n, b.sftGradNorms[i], `SFT gradient norm at step ${i + 1}`));
    assertClose(a.sftFinalLoss, b.sftFinalLoss, "SFT loss after the 3 updates");
    assertClose(a.sftPerplexity, b.sftPerplexity, "perplexityAsync after the 3 updates");
  });

  test("DPO on one pair (computeDpoBatch, deferMetrics): log-probs, loss, metrics and gradient", (t) => {
    if (!webgpu) return t.skip(skipReason);
    const [a, b] = [webgpu.finetuning!, wasm.finetuning!];
    a.policyLogps.forEach((l, i) => assertClose(l, b.policyLogps[i], `policy log-prob of row ${i}`));
    a.referenceLogps.forEach((l, i) => assertClose(l, b.referenceLogps[i], `reference log-prob of row ${i}`));
    assert.ok(!("error" in a.dpo), `dpo on webgpu: ${"error" in a.dpo ? a.dpo.error : ""}`);
    const [da, db] = [a.dpo as DpoResult, b.dpo as DpoResult];
    assertClose(da.loss, db.loss, "DPO loss");
    assertClose(da.gradNorm, db.gradNorm, "DPO gradient norm");
    da.policyLogps.forEach((l, i) => assertClose(l, db.policyLogps[i], `computeDpoBatch policy log-prob ${i}`));
    da.referenceLogps.forEach((l, i) => assertClose(l, db.referenceLogps[i], `computeDpoBatch reference log-prob ${i}`));
    assert.deepEqual(Object.keys(da.metrics).sort(), Object.keys(db.metrics).sort());
    // Rewards are differences of log-probs ~ -20 scaled by beta: allow the log-probs' rounding in absolute terms.
    for (const [name, want] of Object.entries(db.metrics)) assertClose(da.metrics[name], want, `metric ${name}`, REL_TOL, 1e-5);
    assert.equal(webgpu.leakedByFinetuning, 0, "no tensor left behind by SFT / DPO (the deferred metrics are read and freed)");
  });

  test("Llama (GQA, RoPE, RMSNorm, SiLU): forward logits", (t) => {
    if (!webgpu) return t.skip(skipReason);
    const [a, b] = [webgpu.llama!, wasm.llama!];
    assert.deepEqual(a.shape, b.shape);
    const scale = Math.max(...b.logits.map(Math.abs));
    assert.ok(scale > 0.05, `logits should not be all ~0 (max |logit| ${scale})`);
    let worst = 0;
    for (let i = 0; i < b.logits.length; i++) worst = Math.max(worst, Math.abs(a.logits[i] - b.logits[i]));
    assert.ok(worst <= REL_TOL * scale, `max |logit diff| ${worst.toExponential(2)} > ${REL_TOL} x max |logit| ${scale}`);
  });
});
