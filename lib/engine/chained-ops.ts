// Chained tensor methods (x.sum(), x.reshape(...)) for tfjs-core in Node.
//
// tfjs-core's Node bundle does not include them: the @tensorflow/tfjs union
// package normally adds them, and tfjs-core's own ES-module copy cannot be
// require()d. Some of tfjs-core's own gradients call them, so without this
// the gradient of tf.gather(..., batchDims=1) or of tf.prod throws
// "x.split is not a function". Each method just calls the op of the same
// name with `this` as first argument, as in tfjs-core's chained_ops sources.
import * as tf from "@tensorflow/tfjs-core";

// Exports the type declarations of the methods (tfjs-core ships them, but
// only this file pulls them into a program). Types only: nothing is loaded.
import type {} from "@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops";

const SAME_NAME = (
  "abs acos acosh add all any argMax argMin asin asinh atan atan2 atanh avgPool batchToSpaceND batchNorm " +
  "broadcastTo ceil clipByValue conv1d conv2d conv2dTranspose cos cosh cumprod cumsum depthToSpace " +
  "depthwiseConv2d dilation2d div divNoNan dot elu equal erf euclideanNorm exp expandDims expm1 fft floor " +
  "floorDiv gather greater greaterEqual ifft irfft isFinite isInf isNaN leakyRelu less lessEqual " +
  "localResponseNormalization log log1p logSigmoid logSoftmax logSumExp logicalAnd logicalNot logicalOr " +
  "logicalXor matMul max maxPool maximum mean min minimum mirrorPad mod mul neg norm notEqual oneHot onesLike " +
  "pad pool pow prelu prod reciprocal relu relu6 reshape reverse rfft round rsqrt selu separableConv2d " +
  "sigmoid sign sin sinh slice softmax softplus spaceToBatchND split sqrt square squaredDifference squeeze " +
  "step stridedSlice sub sum tan tanh tile topk transpose unique unsortedSegmentSum unstack zerosLike"
).split(" ");

type Method = (this: tf.Tensor, ...args: unknown[]) => unknown;
type AnyOp = (...args: unknown[]) => unknown;

function special(): Record<string, Method> {
  const reshape = (t: tf.Tensor, shape: number[]) => tf.reshape(t, shape);
  const list = (x: tf.Tensor | tf.Tensor[]) => (x instanceof tf.Tensor ? [x] : x);
  return {
    as1D() { return reshape(this, [this.size]); },
    flatten() { return reshape(this, [this.size]); },
    asScalar() {
      tf.util.assert(this.size === 1, () => "The array must have only 1 element.");
      return reshape(this, []);
    },
    as2D(...dims) { return reshape(this, dims as number[]); },
    as3D(...dims) { return reshape(this, dims as number[]); },
    as4D(...dims) { return reshape(this, dims as number[]); },
    as5D(...dims) { return reshape(this, dims as number[]); },
    reshapeAs(x) { return reshape(this, (x as tf.Tensor).shape); },
    asType(dtype) { return tf.cast(this, dtype as tf.DataType); },
    toBool() { return tf.cast(this, "bool"); },
    toFloat() { return tf.cast(this, "float32"); },
    toInt() { return tf.cast(this, "int32"); },
    concat(x, axis) { return tf.concat([this, ...list(x as tf.Tensor)], axis as number); },
    stack(x, axis) { return tf.stack([this, ...list(x as tf.Tensor)], axis as number); },
    where(condition, x) { return tf.where(condition as tf.Tensor, this, x as tf.Tensor); },
    resizeBilinear(...args) { return (tf.image.resizeBilinear as AnyOp)(this, ...args); },
    resizeNearestNeighbor(...args) { return (tf.image.resizeNearestNeighbor as AnyOp)(this, ...args); },
  };
}

/** Add the chained methods to tf.Tensor unless something (e.g. tfjs-node) already did. */
export function registerChainedOps(): void {
  const proto = tf.Tensor.prototype as unknown as Record<string, Method>;
  if (typeof proto.add === "function") return;
  const ops = tf as unknown as Record<string, AnyOp>;
  const methods: Record<string, Method> = special();
  for (const name of SAME_NAME) {
    methods[name] = function (...args) {
      return ops[name](this, ...args);
    };
  }
  for (const name of Object.keys(methods)) {
    const method = methods[name];
    proto[name] = function (...args) {
      this.throwIfDisposed();
      return method.apply(this, args);
    };
  }
}
