/**
 * sentence-transformers' training losses, on pooled embeddings (SentenceTransformer.forward). Each is a
 * plain function of tensors, so it can be checked against a hand-computed value on a tiny batch.
 */
import { tf } from "../engine";

/**
 * CosineSimilarityLoss: mean squared error between cos(u_i, v_i) and the gold score `labels[i]`
 * (sentence-transformers' default cos_score_transformation is the identity and its loss_fct MSELoss).
 */
export function cosineSimilarityLoss(u: tf.Tensor2D, v: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  if (u.rank !== 2 || v.rank !== 2 || u.shape[0] !== v.shape[0] || u.shape[1] !== v.shape[1] || labels.shape[0] !== u.shape[0]) {
    throw new Error(`cosineSimilarityLoss: u [${u.shape}], v [${v.shape}] and labels [${labels.shape}] must be [B, D], [B, D], [B]`);
  }
  return tf.tidy(() => {
    // torch.cosine_similarity clamps each norm at eps = 1e-8.
    const norm = (x: tf.Tensor2D): tf.Tensor => tf.maximum(tf.norm(x, 2, 1), 1e-8);
    const cos = tf.div(tf.sum(tf.mul(u, v), 1), tf.mul(norm(u), norm(v)));
    return tf.mean(tf.squaredDifference(cos, tf.cast(labels, "float32"))) as tf.Scalar;
  });
}
