// The batched SIMD matmul of matmul-simd.wat, run on the tfjs wasm heap.
//
// Why: stock wasm BatchMatMul uses XNNPACK only when both operands have batch
// size 1, and otherwise a naive C++ loop (~2 GFLOP/s). Attention is made of
// exactly such batched products ([B*H, T, D] x [B*H, D, T] and back). One
// XNNPACK call per batch was measured slower still (per-call overhead).
//
// The module imports the backend's own WebAssembly.Memory, so it reads the
// operands and writes the output where tfjs keeps them: no copies, and heap
// growth is seen by both modules (it is one Memory object).
import * as tf from "@tensorflow/tfjs-core";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { MATMUL_SIMD_WASM } from "./matmul-simd-wasm";

/** The export of matmul-simd.wat (pointers are byte offsets into the heap). */
type MatMulExport = (
  a: number, b: number, c: number, batch: number, m: number, k: number, n: number,
  aStride: number, bStride: number, transA: number,
) => void;

// The parts of the WebAssembly JS API used here: Node has it, but the ES libs
// this project type-checks against do not declare it (it lives in lib.dom).
interface WasmApi {
  Memory: abstract new (...args: never[]) => object;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

let compiled: object | undefined;
// Per emscripten module of the backend (one heap each); null: unavailable.
const instances = new WeakMap<object, MatMulExport | null>();

/** The kernel linked to this backend's heap, or null (no SIMD, or a heap it cannot import). */
function kernelFor(backend: BackendWasm): MatMulExport | null {
  const wasm = backend.wasm;
  let fn = instances.get(wasm);
  if (fn !== undefined) return fn;
  fn = null;
  // Emscripten keeps the module's exports, the memory among them, in `asm`.
  const memory = (wasm as unknown as { asm?: { memory?: unknown } }).asm?.memory;
  if (memory instanceof WA.Memory) {
    try {
      if (!compiled) compiled = new WA.Module(Buffer.from(MATMUL_SIMD_WASM, "base64"));
      fn = new WA.Instance(compiled, { env: { memory } }).exports.matmul as unknown as MatMulExport;
    } catch {
      // No wasm SIMD (CompileError), or a shared heap of the threaded build
      // (LinkError: the import is declared unshared): keep the stock kernel.
      fn = null;
    }
  }
  instances.set(wasm, fn);
  return fn;
}

const batchSize = (shape: number[]) => tf.util.sizeFromShape(shape.slice(0, -2));

/** [m, k, n] of a @ b, with a stored transposed ([..., k, m]) when transA. */
function dims(a: tf.TensorInfo, b: tf.TensorInfo, transA: boolean): [number, number, number] {
  const [r, c] = a.shape.slice(-2);
  return transA ? [c, r, b.shape[b.shape.length - 1]] : [r, c, b.shape[b.shape.length - 1]];
}

/**
 * Whether simdMatMul can compute a @ b into `outShape`: float32; batches equal
 * or 1 on one side, and the output's batch their maximum (tfjs itself
 * broadcasts nothing else correctly: its kernels index batch i % batchA);
 * no empty dimension, and n >= 4 (one vector; narrower products are rare and
 * stay with the stock kernel). Shapes must agree: k of a is k of b.
 */
export function simdMatMulApplies(
  backend: BackendWasm, a: tf.TensorInfo, b: tf.TensorInfo, transA: boolean, outShape: number[],
): boolean {
  if (a.dtype !== "float32" || b.dtype !== "float32") return false;
  const [m, k, n] = dims(a, b, transA);
  const [batchA, batchB] = [batchSize(a.shape), batchSize(b.shape)];
  const batch = Math.max(batchA, batchB);
  if (m < 1 || k < 1 || n < 4 || b.shape[b.shape.length - 2] !== k) return false;
  if (batchA < 1 || batchB < 1 || batchSize(outShape) !== batch) return false;
  if ((batchA !== batch && batchA !== 1) || (batchB !== batch && batchB !== 1)) return false;
  return kernelFor(backend) !== null;
}

/**
 * a @ b (a^T @ b when transA, a stored [..., k, m]) for operands accepted by
 * simdMatMulApplies; b is never transposed. The result has `outShape`.
 */
export function simdMatMul(backend: BackendWasm, a: tf.TensorInfo, b: tf.TensorInfo, transA: boolean, outShape: number[]): tf.TensorInfo {
  const kernel = kernelFor(backend);
  if (!kernel) throw new Error("simdMatMul: the SIMD kernel is unavailable (check simdMatMulApplies first)");
  const [m, k, n] = dims(a, b, transA);
  const [batchA, batchB] = [batchSize(a.shape), batchSize(b.shape)];
  // Allocate first: a malloc may grow the heap. Only offsets are used, and
  // they stay valid when it grows.
  const out = backend.makeOutput(outShape, "float32");
  const offset = (t: tf.TensorInfo) => backend.dataIdMap.get(t.dataId)!.memoryOffset;
  kernel(
    offset(a), offset(b), offset(out), Math.max(batchA, batchB), m, k, n,
    batchA === 1 ? 0 : m * k * 4, batchB === 1 ? 0 : k * n * 4, transA ? 1 : 0,
  );
  return out;
}
