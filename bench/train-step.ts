/**
 * `npm run bench -- train-step`: the reference training step of platform.md §4 — one pre-LN GPT
 * block (d 128, 4 heads, MLP 512, GELU, dropout 0.1), seq 64, batch 16, vocab 1000, AdamW — timed
 * as the median of several steps after warm-up. With `--reference`, the same step in PyTorch CPU
 * (Debian's python3-torch) runs in the same invocation for a side-by-side figure.
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { AdamW, GPT2LMHeadModel, Rng, initEngine, median, randomWindows, tf, trainStep } from "hands-on-llm";
import { flag, round } from "./args";

export async function trainStepBench(args: string[]): Promise<Record<string, unknown>> {
  const steps = Number(flag(args, "--steps") ?? 10);
  const warmup = Number(flag(args, "--warmup") ?? 3);
  const engine = await initEngine({ backend: (flag(args, "--backend") as never) ?? undefined, verbose: false });
  const model = new GPT2LMHeadModel({ vocab_size: 1000, n_positions: 64, n_embd: 128, n_layer: 1, n_head: 4, n_inner: 512 });
  model.train();
  const params = model.namedParameters();
  const optimizer = new AdamW(params, { lr: 1e-3 });
  const rng = new Rng(0);
  const tokens = Int32Array.from({ length: 100_000 }, () => rng.int(1000));
  const times: number[] = [];
  const tensorsBefore = tf.memory().numTensors;
  for (let i = 0; i < warmup + steps; i++) {
    const batch = randomWindows(tokens, 16, 64, rng);
    const t0 = performance.now();
    await trainStep(params, optimizer, () => model.forward(batch, { labels: batch }).loss!, { maxGradNorm: 0 });
    if (i >= warmup) times.push(performance.now() - t0);
    batch.dispose();
  }
  const result: Record<string, unknown> = {
    backend: engine.backend,
    ms_per_step: round(median(times)),
    steps,
    tensors_leaked: tf.memory().numTensors - tensorsBefore,
  };
  if (args.includes("--reference")) result.reference = pytorchReference(steps, warmup);
  model.dispose();
  optimizer.dispose();
  return result;
}

function pytorchReference(steps: number, warmup: number): unknown {
  const script = path.join(__dirname, "reference", "train_step.py");
  const run = spawnSync("/usr/bin/python3", [script, "--threads", "1", "--steps", String(steps), "--warmup", String(warmup)], { encoding: "utf8" });
  if (run.status !== 0) return { error: `PyTorch reference unavailable: ${(run.stderr || run.error?.message || "").trim().split("\n").pop()}` };
  return JSON.parse(run.stdout.trim().split("\n").pop()!);
}

