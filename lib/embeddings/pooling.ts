/**
 * From token vectors to one vector per text, and comparing them: the helpers every embedding chapter
 * uses, with sentence-transformers' semantics. Tensors in, tensors out, intermediates freed (tidy); the
 * caller disposes the result.
 *
 *   hidden [B, T, D]  a model's last hidden state       attentionMask [B, T]  1 = token, 0 = padding
 */
import { tf } from "../engine";

function maskF(attentionMask: tf.Tensor, hidden: tf.Tensor): tf.Tensor2D {
  if (attentionMask.rank !== 2 || hidden.rank !== 3 || attentionMask.shape[0] !== hidden.shape[0] || attentionMask.shape[1] !== hidden.shape[1]) {
    throw new Error(`pooling: attentionMask [${attentionMask.shape}] must be [batch, tokens] of hidden [${hidden.shape}]`);
  }
  return tf.cast(attentionMask, "float32") as tf.Tensor2D;
}

function check3d(hidden: tf.Tensor, fn: string): void {
  if (hidden.rank !== 3) throw new Error(`${fn}: hidden must be [batch, tokens, dim], got [${hidden.shape}]`);
}

/**
 * Mean of the token vectors that the mask keeps (sentence-transformers' default pooling): padding does
 * not dilute the mean. A row with no tokens gives zeros (the count is clamped to 1e-9, as there).
 */
export function meanPooling(hidden: tf.Tensor3D, attentionMask: tf.Tensor2D): tf.Tensor2D {
  check3d(hidden, "meanPooling");
  return tf.tidy(() => {
    const m = tf.expandDims(maskF(attentionMask, hidden), 2); // [B, T, 1]
    const sum = tf.sum(tf.mul(hidden, m), 1);
    const count = tf.maximum(tf.sum(m, 1), 1e-9);
    return tf.div(sum, count) as tf.Tensor2D;
  });
}

/** The first token's vector ([CLS] for BERT-style models). */
export function clsPooling(hidden: tf.Tensor3D): tf.Tensor2D {
  check3d(hidden, "clsPooling");
  return tf.tidy(() => {
    const [b, , d] = hidden.shape;
    return tf.reshape(tf.slice(hidden, [0, 0, 0], [b, 1, d]), [b, d]) as tf.Tensor2D;
  });
}

/** Element-wise max over the kept tokens (padding set to -1e9 first, as sentence-transformers does). */
export function maxPooling(hidden: tf.Tensor3D, attentionMask: tf.Tensor2D): tf.Tensor2D {
  check3d(hidden, "maxPooling");
  return tf.tidy(() => {
    const m = tf.expandDims(maskF(attentionMask, hidden), 2);
    const masked = tf.add(tf.mul(hidden, m), tf.mul(tf.sub(1, m), -1e9));
    return tf.max(masked, 1) as tf.Tensor2D;
  });
}

/**
 * The last kept token's vector (decoder embedding models: E5-Mistral, GTE-Qwen). Works with right or
 * left padding: it takes the highest position whose mask is 1.
 */
export function lastTokenPooling(hidden: tf.Tensor3D, attentionMask: tf.Tensor2D): tf.Tensor2D {
  check3d(hidden, "lastTokenPooling");
  return tf.tidy(() => {
    const t = hidden.shape[1];
    const m = maskF(attentionMask, hidden);
    const last = tf.sub(tf.max(tf.mul(m, tf.range(1, t + 1, 1, "float32")), 1), 1); // [B], -1 for an empty row
    const onehot = tf.oneHot(tf.cast(last, "int32"), t); // [B, T]; all zeros for -1
    return tf.sum(tf.mul(hidden, tf.expandDims(onehot, 2)), 1) as tf.Tensor2D;
  });
}

/** x / max(||x||, eps) along the last axis (torch.nn.functional.normalize). */
export function l2Normalize<T extends tf.Tensor>(x: T, eps = 1e-12): T {
  return tf.tidy(() => {
    const norm = tf.sqrt(tf.sum(tf.square(x), -1, true));
    return tf.div(x, tf.maximum(norm, eps)) as T;
  });
}

function as2d(x: tf.Tensor, fn: string): tf.Tensor2D {
  if (x.rank === 1) return tf.expandDims(x, 0) as tf.Tensor2D;
  if (x.rank === 2) return x as tf.Tensor2D;
  throw new Error(`${fn}: expected a vector [D] or a matrix [N, D], got [${x.shape}]`);
}

function checkDims(a: tf.Tensor2D, b: tf.Tensor2D, fn: string): void {
  if (a.shape[1] !== b.shape[1]) throw new Error(`${fn}: dimensions differ: a is [${a.shape}], b is [${b.shape}]`);
}

/** Dot products of every row of a with every row of b: [N, D] x [M, D] -> [N, M] (a vector counts as one row). */
export function dotScores(a: tf.Tensor, b: tf.Tensor): tf.Tensor2D {
  return tf.tidy(() => {
    const a2 = as2d(a, "dotScores");
    const b2 = as2d(b, "dotScores");
    checkDims(a2, b2, "dotScores");
    return tf.matMul(a2, b2, false, true);
  });
}

/** Cosine similarity of every row of a with every row of b, [N, M] (sentence-transformers' util.cos_sim). */
export function cosineSimilarity(a: tf.Tensor, b: tf.Tensor): tf.Tensor2D {
  return tf.tidy(() => {
    const a2 = as2d(a, "cosineSimilarity");
    const b2 = as2d(b, "cosineSimilarity");
    checkDims(a2, b2, "cosineSimilarity");
    return tf.matMul(l2Normalize(a2), l2Normalize(b2), false, true);
  });
}
