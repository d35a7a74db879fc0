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
