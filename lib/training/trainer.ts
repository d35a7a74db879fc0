/**
 * The training loop every chapter shares, after HF's `Trainer`: AdamW with a warm-up schedule,
 * gradient accumulation, clipping, periodic evaluation, a JSONL metrics log, checkpoints that resume
 * to the same loss curve, NaN/Inf detection naming the step, and a progress bar.
 *
 * Reproducible by construction: the batch of micro-step i is `batch(i)` and the dropout masks of
 * micro-step i are seeded from (seed, i), so a resumed run repeats the uninterrupted one exactly.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { loadSafetensors, loadStateDict } from "../models/checkpoint";
import { Module } from "../models/module";
import { TensorToSave, saveSafetensors, writeFileAtomic } from "../models/safetensors";
import { ProgressBar } from "../notebook/progress";
import { displaysFlushed } from "../notebook/env";
import { lineChart } from "../viz/charts";
import { AdamW, SchedulerName, clipGradNormAsync, lrLambda } from "./optim";
import { lossAndGrads } from "./step";

export interface TrainingArguments {
  /** Where checkpoints and metrics.jsonl go; without it nothing is written. */
  outputDir?: string;
  maxSteps: number;
  /** HF defaults: 5e-5, no weight decay, betas (0.9, 0.999), eps 1e-8, linear schedule, no warm-up. */
  learningRate?: number;
  weightDecay?: number;
  adamBetas?: [number, number];
  adamEpsilon?: number;
  lrSchedulerType?: SchedulerName;
  warmupSteps?: number;
  /** Share of maxSteps used for warm-up when warmupSteps is not given. */
  warmupRatio?: number;
  gradientAccumulationSteps?: number;
  /** 0 disables clipping. HF default 1.0. */
  maxGradNorm?: number;
  /** Log the mean training loss every N steps (default 10). */
  loggingSteps?: number;
  /** Evaluate every N steps (0: only if asked at the end). */
  evalSteps?: number;
  /** Checkpoint every N steps (0: never). */
  saveSteps?: number;
  /** Keep only the newest N checkpoints (0: all). */
  saveTotalLimit?: number;
  seed?: number;
  /** Show a progress bar (default true). */
  progress?: boolean;
}

export interface LogRecord {
  step: number;
  loss?: number;
  learning_rate?: number;
  grad_norm?: number;
  [metric: string]: number | undefined;
}

export interface TrainerOptions<B> {
  model: Module;
  args: TrainingArguments;
  /** The batch of micro-step `index` (0, 1, 2, …): a pure function of the index. */
  batch: (index: number) => B;
  /**
   * The loss of one batch; the trainer takes its gradients. It may also return numbers to log with the
   * loss (e.g. DPO's rewards/chosen): they are averaged over the logging window, as HF's trainers do.
   */
  loss: (batch: B) => tf.Scalar | { loss: tf.Scalar; metrics: StepMetrics };
  /** Frees a batch after use (default: tf.dispose on whatever tensors it holds). */
  disposeBatch?: (batch: B) => void;
  /** Metrics on held-out data, e.g. {eval_loss}; called every evalSteps and at the end. */
  evaluate?: () => Promise<Record<string, number>>;
}

/**
 * Numbers a loss reports with itself, or an object that reads them after the gradient pass (DPO's
 * `DeferredDpoMetrics` with `deferMetrics: true`, for backends without synchronous reads).
 */
export type StepMetrics = Record<string, number> | { read(): Promise<object> };

export interface TrainOutput {
  globalStep: number;
  trainingLoss: number;
  logHistory: LogRecord[];
}

/** The training loss (and every eval_ metric) of a log history against the step, one line each. */
export function lossChart(logHistory: LogRecord[], title = "Training loss") {
  const rows: Array<{ step: number; value: number; series: string }> = [];
  for (const r of logHistory) {
    for (const [key, value] of Object.entries(r)) {
      if (key === "loss" || key.startsWith("eval_")) rows.push({ step: r.step, value: value as number, series: key });
    }
  }
  return lineChart({ data: rows, x: "step", y: "value", color: "series", title, yTitle: "loss" });
}

export class Trainer<B> {
  readonly args: Required<Omit<TrainingArguments, "outputDir" | "warmupRatio">> & Pick<TrainingArguments, "outputDir">;
  readonly optimizer: AdamW;
  globalStep = 0;
  logHistory: LogRecord[] = [];
  private readonly schedule: (step: number) => number;

  constructor(private readonly opts: TrainerOptions<B>) {
    const a = opts.args;
    if (!(Number.isInteger(a.maxSteps) && a.maxSteps > 0)) throw new Error(`TrainingArguments.maxSteps must be a positive integer (got ${a.maxSteps})`);
    const warmupSteps = a.warmupSteps ?? Math.ceil((a.warmupRatio ?? 0) * a.maxSteps);
    this.args = {
      outputDir: a.outputDir,
      maxSteps: a.maxSteps,
      learningRate: a.learningRate ?? 5e-5,
      weightDecay: a.weightDecay ?? 0,
      adamBetas: a.adamBetas ?? [0.9, 0.999],
      adamEpsilon: a.adamEpsilon ?? 1e-8,
      lrSchedulerType: a.lrSchedulerType ?? "linear",
      warmupSteps,
      gradientAccumulationSteps: a.gradientAccumulationSteps ?? 1,
      maxGradNorm: a.maxGradNorm ?? 1.0,
      loggingSteps: a.loggingSteps ?? 10,
      evalSteps: a.evalSteps ?? 0,
      saveSteps: a.saveSteps ?? 0,
      saveTotalLimit: a.saveTotalLimit ?? 0,
      seed: a.seed ?? 42,
      progress: a.progress ?? true,
    };
    this.optimizer = new AdamW(opts.model.namedParameters(), {
      lr: this.args.learningRate,
      betas: this.args.adamBetas,
      eps: this.args.adamEpsilon,
      weightDecay: this.args.weightDecay,
    });
    this.schedule = lrLambda(this.args.lrSchedulerType, warmupSteps, this.args.maxSteps);
  }

  /** Trains to maxSteps; `resumeFromCheckpoint`: a checkpoint folder, or true for the newest in outputDir. */
  async train(resumeFromCheckpoint?: string | true): Promise<TrainOutput> {
    const { model } = this.opts;
    const a = this.args;
    if (resumeFromCheckpoint) this.resume(resumeFromCheckpoint === true ? this.latestCheckpoint() : resumeFromCheckpoint);
    const params = model.namedParameters();
    const bar = a.progress ? new ProgressBar({ total: a.maxSteps, desc: "training" }) : null;
    bar?.update(this.globalStep);
    let windowLoss = 0;
    let windowSteps = 0;
    let windowMetrics: Record<string, number> = {};
    let lastLoss = NaN;
    model.train();
    try {
      while (this.globalStep < a.maxSteps) {
        const step = this.globalStep + 1;
        this.optimizer.lr = a.learningRate * this.schedule(step - 1);
        // Values are read with await data(): webgpu in Node has no synchronous reads.
        const { loss, grads, metrics } = await this.accumulate(params, step);
        const gradNorm = a.maxGradNorm > 0 ? await clipGradNormAsync(grads, a.maxGradNorm) : undefined;
        if (!Number.isFinite(loss) || (gradNorm !== undefined && !Number.isFinite(gradNorm))) {
          tf.dispose(Object.values(grads));
          throw new Error(`training diverged at step ${step}: loss ${loss}, gradient norm ${gradNorm} (lower the learning rate, or check the data of this step)`);
        }
        this.optimizer.step(grads);
        tf.dispose(Object.values(grads));
        this.globalStep = step;
        lastLoss = loss;
        windowLoss += loss;
        windowSteps++;
        for (const [k, v] of Object.entries(metrics)) windowMetrics[k] = (windowMetrics[k] ?? 0) + v;
        if (step % a.loggingSteps === 0 || step === a.maxSteps) {
          const means = Object.fromEntries(Object.entries(windowMetrics).map(([k, v]) => [k, v / windowSteps]));
          this.log({ step, loss: windowLoss / windowSteps, learning_rate: this.optimizer.lr, grad_norm: gradNorm, ...means });
          windowLoss = 0;
          windowSteps = 0;
          windowMetrics = {};
        }
        if (this.opts.evaluate && a.evalSteps > 0 && step % a.evalSteps === 0) await this.runEvaluation();
        if (a.outputDir && a.saveSteps > 0 && step % a.saveSteps === 0) this.saveCheckpoint();
        bar?.update(1);
        bar?.setPostfix({ loss: loss.toFixed(4) });
      }
    } finally {
      bar?.close();
      model.eval();
    }
    await displaysFlushed(); // let the bar's last frame go out before the caller prints (see displaysFlushed)
    return { globalStep: this.globalStep, trainingLoss: lastLoss, logHistory: this.logHistory };
  }

  /** Sum of gradients over the accumulation micro-batches, each loss scaled by 1/A as HF does. */
  private async accumulate(params: Array<[string, tf.Variable]>, step: number): Promise<{ loss: number; grads: Record<string, tf.Tensor>; metrics: Record<string, number> }> {
    const A = this.args.gradientAccumulationSteps;
    let total = 0;
    let sum: Record<string, tf.Tensor> = {};
    const metrics: Record<string, number> = {};
    for (let micro = 0; micro < A; micro++) {
      const index = (step - 1) * A + micro;
      this.opts.model.seedDropout(this.args.seed * 1_000_003 + index);
      const batch = this.opts.batch(index);
      let reported: StepMetrics | undefined;
      const { loss, grads } = lossAndGrads(params, () => {
        const out = this.opts.loss(batch);
        if (out instanceof tf.Tensor) return tf.div(out, A) as tf.Scalar;
        reported = out.metrics;
        return tf.div(out.loss, A) as tf.Scalar;
      });
      if (reported) {
        const values = (typeof reported.read === "function" ? await (reported as { read(): Promise<object> }).read() : reported) as Record<string, unknown>;
        for (const [k, v] of Object.entries(values)) if (typeof v === "number") metrics[k] = (metrics[k] ?? 0) + v / A;
      }
      (this.opts.disposeBatch ?? ((b: B) => tf.dispose(b as unknown as tf.TensorContainer)))(batch);
      total += (await loss.data())[0];
      loss.dispose();
      if (micro === 0) {
        sum = grads;
      } else {
        for (const name of Object.keys(grads)) {
          const added = tf.add(sum[name], grads[name]);
          tf.dispose([sum[name], grads[name]]);
          sum[name] = added;
        }
      }
    }
    return { loss: total, grads: sum, metrics };
  }

  async runEvaluation(): Promise<Record<string, number>> {
    if (!this.opts.evaluate) return {};
    const wasTraining = this.opts.model.training;
    this.opts.model.eval();
    const metrics = await this.opts.evaluate();
    this.opts.model.train(wasTraining);
    this.log({ step: this.globalStep, ...metrics });
    return metrics;
  }

  private log(record: LogRecord): void {
    const clean = Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined)) as LogRecord;
    this.logHistory.push(clean);
    if (this.args.outputDir) {
      fs.mkdirSync(this.args.outputDir, { recursive: true });
      fs.appendFileSync(path.join(this.args.outputDir, "metrics.jsonl"), JSON.stringify(clean) + "\n");
    }
  }

  /** A vega-lite chart of the logged training loss and any eval_* metrics. */
  lossChart(title = "Training loss") {
    return lossChart(this.logHistory, title);
  }

  /**
   * Writes `checkpoint-<step>/` (model.safetensors, optimizer.safetensors, trainer_state.json) into a
   * temporary folder renamed into place, so a crash never leaves a half checkpoint.
   */
  saveCheckpoint(): string {
    const outputDir = this.args.outputDir;
    if (!outputDir) throw new Error("saveCheckpoint needs TrainingArguments.outputDir");
    const final = path.join(outputDir, `checkpoint-${this.globalStep}`);
    const tmp = `${final}.tmp-${process.pid}`;
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.mkdirSync(tmp, { recursive: true });
    const toSave = (entries: Iterable<[string, tf.Tensor]>) => {
      const out: Record<string, TensorToSave> = {};
      for (const [name, t] of entries) out[name] = { shape: t.shape, values: t.dataSync() as Float32Array };
      return out;
    };
    saveSafetensors(path.join(tmp, "model.safetensors"), toSave(this.opts.model.namedParameters()), { format: "pt" });
    saveSafetensors(path.join(tmp, "optimizer.safetensors"), toSave(this.optimizer.stateTensors()));
    const state = { global_step: this.globalStep, optimizer_step: this.optimizer.stepCount, log_history: this.logHistory, args: this.args };
    writeFileAtomic(path.join(tmp, "trainer_state.json"), JSON.stringify(state, null, 2));
    fs.rmSync(final, { recursive: true, force: true });
    fs.renameSync(tmp, final);
    this.pruneCheckpoints();
    return final;
  }

  private checkpoints(): Array<{ step: number; dir: string }> {
    const outputDir = this.args.outputDir;
    if (!outputDir || !fs.existsSync(outputDir)) return [];
    return fs
      .readdirSync(outputDir)
      .map((name) => /^checkpoint-(\d+)$/.exec(name))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ step: Number(m[1]), dir: path.join(outputDir, m[0]) }))
      .sort((x, y) => x.step - y.step);
  }

  private pruneCheckpoints(): void {
    const limit = this.args.saveTotalLimit;
    if (limit <= 0) return;
    const all = this.checkpoints();
    for (const old of all.slice(0, Math.max(0, all.length - limit))) fs.rmSync(old.dir, { recursive: true, force: true });
  }

  private latestCheckpoint(): string {
    const all = this.checkpoints();
    if (all.length === 0) throw new Error(`no checkpoint-<step> folder in ${this.args.outputDir ?? "(no outputDir)"} to resume from`);
    return all[all.length - 1].dir;
  }

  private resume(dir: string): void {
    const stateFile = path.join(dir, "trainer_state.json");
    if (!fs.existsSync(stateFile)) throw new Error(`${dir}: not a checkpoint (no trainer_state.json)`);
    const state = JSON.parse(fs.readFileSync(stateFile, "utf8")) as { global_step: number; optimizer_step: number; log_history: LogRecord[] };
    const weights = loadStateDict(dir);
    const optimizer = loadSafetensors(path.join(dir, "optimizer.safetensors"));
    try {
      this.opts.model.loadStateDict(weights);
      this.optimizer.loadStateTensors(optimizer, state.optimizer_step);
    } finally {
      tf.dispose([...weights.values(), ...optimizer.values()]);
    }
    this.globalStep = state.global_step;
    this.logHistory = state.log_history;
    if (this.args.outputDir) {
      // Entries logged after this checkpoint belong to the abandoned run.
      writeFileAtomic(path.join(this.args.outputDir, "metrics.jsonl"), this.logHistory.map((r) => JSON.stringify(r) + "\n").join(""));
    }
  }

  dispose(): void {
    this.optimizer.dispose();
  }
}
