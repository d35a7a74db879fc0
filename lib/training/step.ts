import * as tf from "@tensorflow/tfjs-core";
import { AdamW, NamedParameters, clipGradNormAsync } from "./optim";

/** Loss and gradients keyed by parameter path (tfjs keys them by its internal variable names). */
export function lossAndGrads(params: NamedParameters, lossFn: () => tf.Scalar): { loss: tf.Scalar; grads: Record<string, tf.Tensor> } {
  const trainable = params.filter(([, p]) => p.trainable);
  const { value, grads } = tf.variableGrads(lossFn, trainable.map(([, p]) => p));
  const named: Record<string, tf.Tensor> = {};
  for (const [name, p] of trainable) if (grads[p.name]) named[name] = grads[p.name];
  return { loss: value, grads: named };
}

export interface StepOptions {
  /** Clip the global gradient norm to this value (HF Trainer's max_grad_norm, default 1.0); 0 disables. */
  maxGradNorm?: number;
}

/** One optimisation step: forward, backward, clip, AdamW update. Resolves to the loss value. */
export async function trainStep(
  params: NamedParameters,
  optimizer: AdamW,
  lossFn: () => tf.Scalar,
  opts: StepOptions = {},
): Promise<{ loss: number; gradNorm?: number }> {
  const { loss, grads } = lossAndGrads(params, lossFn);
  const maxGradNorm = opts.maxGradNorm ?? 1.0;
  // The async read keeps this usable on webgpu in Node, which has no synchronous reads.
  const gradNorm = maxGradNorm > 0 ? await clipGradNormAsync(grads, maxGradNorm) : undefined;
  optimizer.step(grads);
  const value = (await loss.data())[0];
  tf.dispose([loss, ...Object.values(grads)]);
  return { loss: value, gradNorm };
}
