// UnsortedSegmentSum as a plain O(n·d) scatter-add.
//
// Why: it is the gradient of tf.gather, i.e. of every embedding lookup. The
// stock `cpu` kernel builds one mask per segment (cost vocab x tokens x d:
// ~20 s per GPT training step at vocab 1000), and the stock `wasm` backend
// has no such kernel at all, so training an embedding on wasm just throws.
import * as tf from "@tensorflow/tfjs-core";
import type { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";

type NumArray = Float32Array | Int32Array;

/**
 * out[ids[i], :] += x[i, :] for every row i whose id is in [0, numSegments).
 * Ids outside that range are dropped, as TensorFlow does. `out` must be zeroed.
 */
export function scatterAdd(x: NumArray, ids: Int32Array, inner: number, numSegments: number, out: NumArray): void {
  for (let i = 0; i < ids.length; i++) {
    const s = ids[i];
    if (s < 0 || s >= numSegments) continue;
    const src = i * inner;
    const dst = s * inner;
    for (let j = 0; j < inner; j++) out[dst + j] += x[src + j];
  }
}

interface SegmentProblem {
  x: tf.TensorInfo;
  ids: tf.TensorInfo;
  numSegments: number;
  inner: number; // elements per segment row
  outShape: number[];
}

// segmentIds may be any prefix of x's shape (TF semantics; tf.gather's gradient
// always sends a 1-D prefix). The output is [numSegments, ...rest of x].
function segmentProblem(args: { inputs: tf.NamedTensorInfoMap; attrs?: tf.NamedAttrMap }): SegmentProblem {
  const x = args.inputs.x as tf.TensorInfo;
  const ids = args.inputs.segmentIds as tf.TensorInfo;
  const numSegments = (args.attrs as unknown as tf.UnsortedSegmentSumAttrs).numSegments;
  if (x.dtype !== "float32" && x.dtype !== "int32") {
    throw new Error(`UnsortedSegmentSum: dtype ${x.dtype} is not supported (float32 or int32 only)`);
  }
  if (ids.dtype !== "int32") throw new Error(`UnsortedSegmentSum: segmentIds must be int32, got ${ids.dtype}`);
  const prefix = x.shape.slice(0, ids.shape.length);
  if (prefix.length !== ids.shape.length || prefix.some((n, i) => n !== ids.shape[i])) {
    throw new Error(`UnsortedSegmentSum: segmentIds shape [${ids.shape}] must be a prefix of x shape [${x.shape}]`);
  }
  const rest = x.shape.slice(ids.shape.length);
  return { x, ids, numSegments, inner: tf.util.sizeFromShape(rest), outShape: [numSegments, ...rest] };
}

function cpuSegmentSum(args: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const p = segmentProblem(args);
  const backend = args.backend as MathBackendCPU;
  const xVals = backend.data.get(p.x.dataId).values as NumArray;
  const idVals = backend.data.get(p.ids.dataId).values as Int32Array;
  const size = p.numSegments * p.inner;
  const out = p.x.dtype === "int32" ? new Int32Array(size) : new Float32Array(size);
  scatterAdd(xVals, idVals, p.inner, p.numSegments, out);
  return backend.makeTensorInfo(p.outShape, p.x.dtype, out);
}

function wasmSegmentSum(args: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const p = segmentProblem(args);
  const backend = args.backend as BackendWasm;
  // Allocate first: malloc may grow the wasm heap, which detaches older views.
  const out = backend.makeOutput(p.outShape, p.x.dtype);
  const outVals = backend.typedArrayFromHeap(out) as NumArray;
  outVals.fill(0); // malloc'd memory is not zeroed
  const xVals = backend.typedArrayFromHeap(p.x) as NumArray;
  const idVals = backend.typedArrayFromHeap(p.ids) as Int32Array;
  scatterAdd(xVals, idVals, p.inner, p.numSegments, outVals);
  return out;
}

/** Kernel config for `backendName`; a wasm kernel needs no setupFunc (pure JS). */
export function segmentSumKernel(backendName: "cpu" | "wasm"): tf.KernelConfig {
  return {
    kernelName: tf.UnsortedSegmentSum,
    backendName,
    kernelFunc: (backendName === "cpu" ? cpuSegmentSum : wasmSegmentSum) as tf.KernelFunc,
  };
}
