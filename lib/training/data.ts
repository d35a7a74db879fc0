import * as tf from "@tensorflow/tfjs-core";
import { Rng } from "../util/random";

/**
 * A batch of `batchSize` random windows of `blockSize` tokens from one long token stream, as
 * nanoGPT's `get_batch`; used as both input ids and labels (the model shifts the labels).
 */
export function randomWindows(tokens: ArrayLike<number>, batchSize: number, blockSize: number, rng: Rng): tf.Tensor2D {
  if (tokens.length <= blockSize) {
    throw new Error(`randomWindows: the token stream (${tokens.length}) must be longer than blockSize (${blockSize})`);
  }
  const out = new Int32Array(batchSize * blockSize);
  for (let b = 0; b < batchSize; b++) {
    const start = rng.int(tokens.length - blockSize + 1);
    for (let t = 0; t < blockSize; t++) out[b * blockSize + t] = tokens[start + t];
  }
  return tf.tensor2d(out, [batchSize, blockSize], "int32");
}

/**
 * The example indices of micro-step `i` when `n` examples are read in shuffled passes (epochs) of
 * floor(n / batchSize) full batches, each pass its own seeded permutation (the Trainer's contract:
 * batch i is a pure function of i, so resumed runs repeat). The last partial batch of a pass is dropped.
 */
export function epochBatchIndices(n: number, batchSize: number, seed: number): (i: number) => number[] {
  if (!(Number.isInteger(n) && n > 0)) throw new Error(`epochBatchIndices: need at least one example (got ${n})`);
  if (!(Number.isInteger(batchSize) && batchSize > 0)) throw new Error(`epochBatchIndices: batchSize must be a positive integer (got ${batchSize})`);
  const size = Math.min(batchSize, n);
  const perPass = Math.floor(n / size);
  const orders = new Map<number, number[]>();
  return (i) => {
    const pass = Math.floor(i / perPass);
    let order = orders.get(pass);
    if (!order) {
      order = new Rng(seed * 1_000_003 + pass).shuffle(Array.from({ length: n }, (_, k) => k));
      orders.set(pass, order);
      orders.delete(pass - 2); // passes are read in order: keep memory bounded
    }
    const start = (i % perPass) * size;
    return order.slice(start, start + size);
  };
}

/** Micro-steps in `epochs` passes over n examples (see epochBatchIndices). */
export function stepsForEpochs(n: number, batchSize: number, epochs: number): number {
  return Math.max(1, Math.round(epochs * Math.floor(n / Math.min(batchSize, n))));
}
