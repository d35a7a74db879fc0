import * as tf from "@tensorflow/tfjs-core";
import { Rng } from "../util/random";
import { randomWindows } from "./data";

/** A model that returns a language-modelling loss when given labels. */
export interface LossModel {
  training: boolean;
  train(mode: boolean): unknown;
  forward(inputIds: tf.Tensor2D, opts: { labels: tf.Tensor2D }): { loss?: tf.Scalar };
}

/**
 * Mean loss over `batches` random windows of a held-out token stream, in eval mode (no dropout),
 * as nanoGPT's `estimate_loss`. The seed fixes the windows so that evaluations are comparable.
 */
export async function estimateLoss(
  model: LossModel,
  tokens: ArrayLike<number>,
  opts: { batches?: number; batchSize: number; blockSize: number; seed?: number },
): Promise<number> {
  const wasTraining = model.training;
  model.train(false);
  const rng = new Rng(opts.seed ?? 1234);
  let total = 0;
  const batches = opts.batches ?? 10;
  for (let i = 0; i < batches; i++) {
    const batch = randomWindows(tokens, opts.batchSize, opts.blockSize, rng);
    const loss = tf.tidy(() => model.forward(batch, { labels: batch }).loss!);
    total += (await loss.data())[0];
    tf.dispose([batch, loss]);
  }
  model.train(wasTraining);
  return total / batches;
}
