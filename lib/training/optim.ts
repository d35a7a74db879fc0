/**
 * AdamW (Loshchilov & Hutter, decoupled weight decay) with torch.optim.AdamW's defaults and update
 * order, learning-rate schedules as in transformers' `get_scheduler`, and global-norm clipping as
 * `torch.nn.utils.clip_grad_norm_`. Hand-written because tfjs-core has Adam but no AdamW.
 */
import * as tf from "@tensorflow/tfjs-core";

export type NamedParameters = Array<[string, tf.Variable]>;

export interface AdamWOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  /**
   * Which parameters are decayed. Default: matrices only (rank >= 2), leaving biases and norm
   * weights alone, as nanoGPT and HF's Trainer do.
   */
  decay?: (name: string, param: tf.Variable) => boolean;
}

interface Slot {
  name: string;
  param: tf.Variable;
  m: tf.Variable;
  v: tf.Variable;
  decay: boolean;
}

/** A non-trainable variable of zeros shaped like `p` (its initial tensor freed: the variable holds the data). */
function zerosVariable(p: tf.Variable): tf.Variable {
  const zeros = tf.zerosLike(p);
  const v = tf.variable(zeros, false);
  zeros.dispose();
  return v;
}

export class AdamW {
  lr: number;
  readonly betas: [number, number];
  readonly eps: number;
  readonly weightDecay: number;
  /** Number of updates applied so far (PyTorch's `state['step']`). */
  stepCount = 0;
  private readonly slots: Slot[];

  constructor(params: NamedParameters, opts: AdamWOptions = {}) {
    this.lr = opts.lr ?? 1e-3;
    this.betas = opts.betas ?? [0.9, 0.999];
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 1e-2;
    const decay = opts.decay ?? ((_name: string, p: tf.Variable) => p.rank >= 2);
    this.slots = params
      .filter(([, p]) => p.trainable)
      .map(([name, param]) => ({
        name,
        param,
        m: zerosVariable(param),
        v: zerosVariable(param),
        decay: decay(name, param),
      }));
  }

  /** Applies one update from gradients keyed by parameter name (missing ones are skipped). */
  step(grads: Record<string, tf.Tensor>): void {
    this.stepCount += 1;
    const [b1, b2] = this.betas;
    const lr = this.lr;
    const biasCorrection1 = 1 - b1 ** this.stepCount;
    const biasCorrection2 = 1 - b2 ** this.stepCount;
    const stepSize = lr / biasCorrection1;
    tf.tidy(() => {
      for (const slot of this.slots) {
        const g = grads[slot.name];
        if (!g) continue;
        const m = tf.add(tf.mul(slot.m, b1), tf.mul(g, 1 - b1));
        const v = tf.add(tf.mul(slot.v, b2), tf.mul(tf.square(g), 1 - b2));
        slot.m.assign(m);
        slot.v.assign(v);
        const denom = tf.add(tf.div(tf.sqrt(v), Math.sqrt(biasCorrection2)), this.eps);
        let p: tf.Tensor = slot.param;
        if (slot.decay && this.weightDecay !== 0) p = tf.mul(p, 1 - lr * this.weightDecay);
        slot.param.assign(tf.sub(p, tf.mul(tf.div(m, denom), stepSize)));
      }
    });
  }

  /** Moments and step count, keyed like PyTorch's optimizer state, for checkpoints. */
  stateTensors(): Map<string, tf.Tensor> {
    const state = new Map<string, tf.Tensor>();
    for (const slot of this.slots) {
      state.set(`${slot.name}.exp_avg`, slot.m);
      state.set(`${slot.name}.exp_avg_sq`, slot.v);
    }
    return state;
  }

  /** Restores moments saved by `stateTensors()` (and the step count), for resuming training. */
  loadStateTensors(state: Map<string, tf.Tensor>, stepCount: number): void {
    for (const slot of this.slots) {
      for (const [suffix, variable] of [["exp_avg", slot.m], ["exp_avg_sq", slot.v]] as const) {
        const saved = state.get(`${slot.name}.${suffix}`);
        if (!saved) throw new Error(`optimizer state lacks '${slot.name}.${suffix}'`);
        if (!tf.util.arraysEqual(saved.shape, variable.shape)) {
          throw new Error(`optimizer state '${slot.name}.${suffix}' has shape [${saved.shape}], the parameter [${variable.shape}]`);
        }
        variable.assign(saved);
      }
    }
    this.stepCount = stepCount;
  }

  dispose(): void {
    for (const slot of this.slots) {
      slot.m.dispose();
      slot.v.dispose();
    }
  }
}

/** Global L2 norm of all gradients; scales them in place to `maxNorm` when above it. Returns the norm before clipping. */
export function clipGradNorm(grads: Record<string, tf.Tensor>, maxNorm: number): number {
  const total = globalGradNorm(grads);
  const norm = total.dataSync()[0];
  total.dispose();
  scaleGrads(grads, norm, maxNorm);
  return norm;
}

/** `clipGradNorm` reading the norm asynchronously: webgpu in Node has no synchronous reads. */
export async function clipGradNormAsync(grads: Record<string, tf.Tensor>, maxNorm: number): Promise<number> {
  const total = globalGradNorm(grads);
  const norm = (await total.data())[0];
  total.dispose();
  scaleGrads(grads, norm, maxNorm);
  return norm;
}

function globalGradNorm(grads: Record<string, tf.Tensor>): tf.Scalar {
  return tf.tidy(() => tf.sqrt(tf.addN(Object.keys(grads).map((n) => tf.sum(tf.square(grads[n]))))) as tf.Scalar);
}

function scaleGrads(grads: Record<string, tf.Tensor>, norm: number, maxNorm: number): void {
  const names = Object.keys(grads);
  const scale = maxNorm / (norm + 1e-6);
  if (scale < 1) {
    for (const n of names) {
      const clipped = tf.mul(grads[n], scale);
      grads[n].dispose();
      grads[n] = clipped;
    }
  }
}

export type SchedulerName = "constant" | "constant_with_warmup" | "linear" | "cosine";

/**
 * Learning-rate multiplier at a step, as transformers' `get_scheduler(name, num_warmup_steps,
 * num_training_steps)`: linear warm-up from 0, then constant, linear decay to 0, or half-cosine to 0.
 */
export function lrLambda(name: SchedulerName, warmupSteps: number, totalSteps: number): (step: number) => number {
  return (step: number) => {
    if (name === "constant") return 1;
    if (step < warmupSteps) return step / Math.max(1, warmupSteps);
    if (name === "constant_with_warmup") return 1;
    const progress = (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
    if (name === "linear") return Math.max(0, 1 - progress);
    if (name === "cosine") return Math.max(0, 0.5 * (1 + Math.cos(Math.PI * progress)));
    throw new Error(`unknown scheduler '${name as string}'`);
  };
}
