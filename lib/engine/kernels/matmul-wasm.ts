// BatchMatMul and _FusedMatMul on wasm.
//
// The stock wasm kernels (tfjs 4.22) have one fast path: XNNPACK, taken only
// when nothing is transposed and both operands have batch size 1. Everything
// else runs a naive C++ loop (~2 GFLOP/s), and with transposeA/transposeB that
// loop is ~16x slower again than an explicit wasm Transpose plus a plain
// product. Every matmul gradient asks for a transposed product, and attention
// is batched products, so training lives there. That loop also adds a rank-1
// fused bias wrongly (element i*N+j gets bias[min(i*N+j, N-1)] instead of
// bias[j]), so _FusedMatMul with a bias is wrong whenever it is transposed or
// batched.
//
// The replacements route every float32 product one of three ways:
//  - "xnn": both batch sizes 1 after folding: if only `a` is batched
//    (activations times shared weights), [B, M, K] x [1, K, N] is one
//    [B*M, K] x [K, N] product. Transposes are materialised first with the
//    wasm Transpose kernel; then the stock kernel takes its XNNPACK path.
//  - "simd": `b` batched: the SIMD kernel of matmul-simd.wat (~15x the naive
//    loop). It reads a transposed `a` in place; a transposed `b` is
//    materialised with Transpose.
//  - "loop": what the SIMD kernel does not take (n < 4, odd broadcasts): the
//    stock loop, on materialised transposes.
// _FusedMatMul with a bias off the XNNPACK path (or a bias that is not rank 1)
// is computed unfused: plain product, then the wasm Add and activation kernels.
import * as tf from "@tensorflow/tfjs-core";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { simdMatMul, simdMatMulApplies } from "./matmul-simd";

type KernelArgs = Parameters<tf.KernelFunc>[0];
type StockKernel = (kernelName: string) => tf.KernelConfig | undefined;

interface MatMulAttrs {
  transposeA: boolean;
  transposeB: boolean;
  activation?: string;
  leakyreluAlpha?: number;
}

/** Operands ready for one of the three routes (see the top of this file). */
interface Prepared {
  a: tf.TensorInfo;
  b: tf.TensorInfo;
  /** `a` is still stored transposed ("simd" only: the kernel reads it in place). */
  transA: boolean;
  outShape: number[];
  route: "xnn" | "simd" | "loop";
  temps: tf.TensorInfo[];
}

const batchSize = (shape: number[]) => tf.util.sizeFromShape(shape.slice(0, -2));

function prepare(args: KernelArgs, transpose: tf.KernelFunc): Prepared {
  const attrs = args.attrs as unknown as MatMulAttrs;
  const backend = args.backend as BackendWasm;
  const temps: tf.TensorInfo[] = [];
  const swapLastTwo = (x: tf.TensorInfo): tf.TensorInfo => {
    const perm = x.shape.map((_, i) => i);
    const r = perm.length;
    [perm[r - 2], perm[r - 1]] = [r - 1, r - 2];
    const t = transpose({ inputs: { x }, backend, attrs: { perm } }) as tf.TensorInfo;
    temps.push(t);
    return t;
  };
  let a = args.inputs.a as tf.TensorInfo;
  let b = args.inputs.b as tf.TensorInfo;
  const [m, k] = attrs.transposeA ? a.shape.slice(-2).reverse() : a.shape.slice(-2);
  const [kB, n] = attrs.transposeB ? b.shape.slice(-2).reverse() : b.shape.slice(-2);
  // tfjs-core leaves this check to the kernel, and the SIMD kernel trusts its sizes.
  tf.util.assert(
    k === kB,
    () => `Error in matMul: inner shapes (${k}) and (${kB}) of Tensors with shapes ${a.shape} and ${b.shape} ` +
      `and transposeA=${attrs.transposeA} and transposeB=${attrs.transposeB} must match.`,
  );
  const batch = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const outShape = [...batch, m, n];
  // Temporaries only after the checks: nothing to release if they throw.
  if (attrs.transposeB) b = swapLastTwo(b);
  if (batchSize(b.shape) > 1 && simdMatMulApplies(backend, a, b, attrs.transposeA, outShape)) {
    return { a, b, transA: attrs.transposeA, outShape, route: "simd", temps };
  }
  if (attrs.transposeA) a = swapLastTwo(a);
  if (batchSize(a.shape) > 1 && batchSize(b.shape) === 1) {
    // Same buffers, new shapes: kernels read the shape from the TensorInfo.
    a = { dataId: a.dataId, dtype: a.dtype, shape: [1, batchSize(a.shape) * m, k] };
    b = { dataId: b.dataId, dtype: b.dtype, shape: [1, k, n] };
  }
  const xnn = batchSize(a.shape) === 1 && batchSize(b.shape) === 1;
  return { a, b, transA: false, outShape, route: xnn ? "xnn" : "loop", temps };
}

function release(backend: BackendWasm, temps: tf.TensorInfo[]): void {
  for (const t of temps) backend.disposeData(t.dataId);
}

/** Run the stock kernel on prepared operands ("xnn" or "loop"), with the caller's shape. */
function callPlain(kernel: tf.KernelConfig, args: KernelArgs, p: Prepared): tf.TensorInfo {
  const out = kernel.kernelFunc({
    inputs: { ...args.inputs, a: p.a, b: p.b },
    backend: args.backend,
    attrs: { ...args.attrs, transposeA: false, transposeB: false },
  }) as tf.TensorInfo;
  out.shape = p.outShape;
  return out;
}

/** The plain product a @ b on any route; `plain` is the stock BatchMatMul. */
function product(plain: tf.KernelConfig, args: KernelArgs, p: Prepared): tf.TensorInfo {
  if (p.route === "simd") return simdMatMul(args.backend as BackendWasm, p.a, p.b, p.transA, p.outShape);
  return callPlain(plain, args, p);
}

const isPlainFloat = (args: KernelArgs) =>
  (args.inputs.a as tf.TensorInfo).dtype === "float32" && (args.inputs.b as tf.TensorInfo).dtype === "float32";

/** Replacement BatchMatMul. Keeps the stock setupFunc (it creates the cwrap'd wasm function). */
function batchMatMulKernel(stock: StockKernel): tf.KernelConfig | null {
  const original = stock(tf.BatchMatMul);
  const transpose = stock(tf.Transpose);
  if (!original || !transpose) return null;
  const kernelFunc = (args: KernelArgs) => {
    if (!isPlainFloat(args)) return original.kernelFunc(args); // its own error message
    const p = prepare(args, transpose.kernelFunc);
    try {
      return product(original, args, p);
    } finally {
      release(args.backend as BackendWasm, p.temps);
    }
  };
  return { ...original, kernelFunc: kernelFunc as tf.KernelFunc };
}

/** Activation kernels applied after an unfused product, as tfjs-core's fused op defines them. */
function applyActivation(stock: StockKernel, args: KernelArgs, x: tf.TensorInfo): tf.TensorInfo {
  const attrs = args.attrs as unknown as MatMulAttrs;
  const run = (name: string, inputs: tf.NamedTensorInfoMap, kernelAttrs: tf.NamedAttrMap = {}) => {
    const kernel = stock(name);
    if (!kernel) throw new Error(`_FusedMatMul: wasm kernel ${name} is missing`);
    return kernel.kernelFunc({ inputs, backend: args.backend, attrs: kernelAttrs }) as tf.TensorInfo;
  };
  switch (attrs.activation || "linear") {
    case "linear":
      return x;
    case "relu":
      return run(tf.Relu, { x });
    case "relu6":
      return run(tf.Relu6, { x });
    case "elu":
      return run(tf.Elu, { x });
    case "sigmoid":
      return run(tf.Sigmoid, { x });
    case "leakyrelu":
      return run(tf.LeakyRelu, { x }, { alpha: attrs.leakyreluAlpha == null ? 0.2 : attrs.leakyreluAlpha });
    case "prelu":
      return run(tf.Prelu, { x, alpha: args.inputs.preluActivationWeights as tf.TensorInfo });
    default:
      throw new Error(`_FusedMatMul: activation ${attrs.activation} is not supported on wasm`);
  }
}

/** Replacement _FusedMatMul: same operand preparation, and a correct bias. */
function fusedMatMulKernel(stock: StockKernel): tf.KernelConfig | null {
  const original = stock(tf._FusedMatMul);
  const plain = stock(tf.BatchMatMul);
  const transpose = stock(tf.Transpose);
  const add = stock(tf.Add);
  if (!original || !plain || !transpose || !add) return null;
  const kernelFunc = (args: KernelArgs) => {
    if (!isPlainFloat(args)) return original.kernelFunc(args);
    const backend = args.backend as BackendWasm;
    const bias = args.inputs.bias as tf.TensorInfo | undefined;
    const p = prepare(args, transpose.kernelFunc);
    try {
      if (p.route === "xnn" && (!bias || bias.shape.length === 1)) return callPlain(original, args, p);
      // Unfused: product (the stock BatchMatMul ignores the extra inputs),
      // + bias (broadcast by Add), activation.
      let out = product(plain, args, p);
      if (bias) {
        p.temps.push(out);
        out = add.kernelFunc({ inputs: { a: out, b: bias }, backend, attrs: {} }) as tf.TensorInfo;
      }
      const activated = applyActivation(stock, args, out);
      if (activated !== out) p.temps.push(out);
      return activated;
    } finally {
      release(backend, p.temps);
    }
  };
  return { ...original, kernelFunc: kernelFunc as tf.KernelFunc };
}

/** The wasm matmul replacements; `stock` looks up the unpatched wasm kernels. */
export function wasmMatMulKernels(stock: StockKernel): tf.KernelConfig[] {
  return [batchMatMulKernel(stock), fusedMatMulKernel(stock)].filter((k): k is tf.KernelConfig => k !== null);
}
