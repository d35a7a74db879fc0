import * as tf from "@tensorflow/tfjs-core";

/** The label PyTorch's cross-entropy (and HF's collators) use for "no target here". */
export const IGNORE_INDEX = -100;

/**
 * -sum(target * log_softmax(logits)) with a hand-written gradient, softmax(logits) * rowsum(target)
 * - target. It saves the softmax from the forward pass, so the backward pass needs no second
 * exp over [N, vocab] (the costliest elementwise op of a small LM's training step).
 */
const softTargetCrossEntropySum = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [logits, target, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
  const shifted = tf.sub(logits, tf.max(logits, -1, true));
  const exp = tf.exp(shifted);
  const sumExp = tf.sum(exp, -1, true);
  const logProbs = tf.sub(shifted, tf.log(sumExp));
  const probs = tf.div(exp, sumExp);
  save([probs, target]);
  return {
    value: tf.neg(tf.sum(tf.mul(target, logProbs))),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [p, t] = saved;
      const grad = tf.mul(tf.sub(tf.mul(p, tf.sum(t, -1, true)), t), dy);
      return [grad, tf.zerosLike(t)];
    },
  };
});

/**
 * Mean cross-entropy of `logits` [N, V] against integer `labels` [N], skipping IGNORE_INDEX,
 * as `torch.nn.functional.cross_entropy(logits, labels, ignore_index=-100)`.
 * Returns 0 when every label is ignored (PyTorch returns NaN; 0 keeps a training loop going).
 */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const V = logits.shape[1];
    const intLabels = tf.cast(labels, "int32");
    const keep = tf.cast(tf.notEqual(intLabels, IGNORE_INDEX), "float32");
    const count = tf.maximum(tf.sum(keep), 1);
    // oneHot of an ignored (negative) label is all zeros, so it contributes nothing.
    const target = tf.div(tf.oneHot(intLabels, V), count);
    return softTargetCrossEntropySum(logits, target) as tf.Scalar;
  });
}

/** A causal LM's loss as HF computes it inside the model: position t predicts label t + 1. */
export function causalLMLoss(logits: tf.Tensor3D, labels: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const [B, T, V] = logits.shape;
    const shiftedLogits = tf.reshape(tf.slice(logits, [0, 0, 0], [B, T - 1, V]), [-1, V]) as tf.Tensor2D;
    const shiftedLabels = tf.reshape(tf.slice(labels, [0, 1], [B, T - 1]), [-1]) as tf.Tensor1D;
    return crossEntropy(shiftedLogits, shiftedLabels);
  });
}
