// Micro-benchmark of the kernel fixes in lib/engine/kernels: stock vs patched.
// Run: node --import tsx bench/kernels.ts   (prints JSON; times are medians, ms)
import * as os from "os";
import { initEngine, patchKernels, restoreKernels, tf } from "../lib/engine";

type Backend = "cpu" | "wasm";

async function setMode(backend: Backend, patched: boolean): Promise<void> {
  if (patched) patchKernels(backend);
  else restoreKernels(backend);
  await tf.setBackend(backend);
}

/**
 * Median wall time of `fn` (result read back, so the work is really done).
 * With `inner` > 1, one sample runs `fn` that many times and reads back only
 * the last result, so that the read-back (a copy out of the wasm heap) does
 * not hide the cost of a fast kernel; the time is per run.
 */
function time(fn: () => tf.Tensor | tf.Tensor[], reps: number, inner = 1): number {
  const warmup = reps > 1 ? 2 : 0;
  const once = () => {
    const t0 = performance.now();
    // Returns nothing on purpose: tidy() walks whatever it returns, and
    // walking a large typed array element by element costs ~250 ms.
    tf.tidy(() => {
      for (let i = 1; i < inner; i++) tf.dispose(fn());
      const out = fn();
      (Array.isArray(out) ? out : [out]).forEach((t) => t.dataSync());
    });
    return (performance.now() - t0) / inner;
  };
  for (let i = 0; i < warmup; i++) once();
  const times = Array.from({ length: reps }, once).sort((a, b) => a - b);
  return +times[Math.floor(reps / 2)].toFixed(3);
}

interface Prepared {
  run: () => tf.Tensor | tf.Tensor[];
  inputs: tf.Tensor[];
}

/** Time a case on a backend; null + reason if it throws. Inputs are built on that backend. */
async function measure(backend: Backend, patched: boolean, reps: number, make: () => Prepared, inner?: number) {
  await setMode(backend, patched);
  const { run, inputs } = make();
  try {
    return { ms: time(run, reps, inner) };
  } catch (e) {
    return { ms: null, error: (e as Error).message.split("\n")[0] };
  } finally {
    tf.dispose(inputs);
  }
}

function gatherGrad(vocab: number, tokens: number, d: number) {
  return (): Prepared => {
    const table = tf.randomNormal([vocab, d]);
    const ids = tf.randomUniform([tokens], 0, vocab, "int32");
    const w = tf.randomNormal([tokens, d]);
    const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.gather(x, ids), w)));
    return { run: () => g(table), inputs: [table, ids, w] };
  };
}

function matmul(aShape: number[], bShape: number[], tA: boolean, tB: boolean) {
  return (): Prepared => {
    const a = tf.randomNormal(aShape);
    const b = tf.randomNormal(bShape);
    return { run: () => tf.matMul(a, b, tA, tB), inputs: [a, b] };
  };
}

function matmulGrads(aShape: number[], bShape: number[]) {
  return (): Prepared => {
    const a = tf.randomNormal(aShape);
    const b = tf.randomNormal(bShape);
    const g = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.matMul(x, y)));
    return { run: () => g([a, b]), inputs: [a, b] };
  };
}

interface Case {
  name: string;
  backend: Backend;
  reps: number;
  stockReps?: number;
  make: () => Prepared;
  /** Floating-point operations per run, to report GFLOP/s. */
  flops?: number;
  /** Runs per timed sample (see time()). */
  inner?: number;
}

const size = (shape: number[]) => shape.reduce((x, y) => x * y, 1);

/** One matMul case; the flops follow from the shapes. */
function mm(name: string, aShape: number[], bShape: number[], tA: boolean, tB: boolean): Case {
  const [m, k] = tA ? aShape.slice(-2).reverse() : aShape.slice(-2);
  const n = tB ? bShape[bShape.length - 2] : bShape[bShape.length - 1];
  const batch = Math.max(size(aShape.slice(0, -2)), size(bShape.slice(0, -2)));
  return { name, backend: "wasm", reps: 15, inner: 10, make: matmul(aShape, bShape, tA, tB), flops: 2 * batch * m * n * k };
}

// Attention in the train-step model (batch 16 x 4 heads, T 64, head dim 32):
// scores Q K^T, probs @ V, and the products of their gradients.
const attention: Case[] = [
  mm("attention Q K^T: [64,64,32] x [64,64,32]^T", [64, 64, 32], [64, 64, 32], false, true),
  mm("attention P V, dQ = dS K: [64,64,64] x [64,64,32]", [64, 64, 64], [64, 64, 32], false, false),
  mm("attention dK = dS^T Q: [64,64,64]^T x [64,64,32]", [64, 64, 64], [64, 64, 32], true, false),
  mm("attention dP = dY V^T: [64,64,32] x [64,64,32]^T", [64, 64, 32], [64, 64, 32], false, true),
  mm("attention dV = P^T dY: [64,64,64]^T x [64,64,32]", [64, 64, 64], [64, 64, 32], true, false),
  mm("[64,64,32] x [64,32,64] (no transpose)", [64, 64, 32], [64, 32, 64], false, false),
  mm("[64,32,64]^T x [64,32,64]", [64, 32, 64], [64, 32, 64], true, false),
  mm("[64,32,64]^T x [64,64,32]^T (both transposed)", [64, 32, 64], [64, 64, 32], true, true),
  mm("broadcast [64,32] x [64,32,64] (batch 1 vs 64)", [64, 32], [64, 32, 64], false, false),
  mm("rank 4 [16,4,64,64] x [16,4,64,32]", [16, 4, 64, 64], [16, 4, 64, 32], false, false),
  mm("odd sizes [64,63,17] x [64,17,45]", [64, 63, 17], [64, 17, 45], false, false),
];

const cases: Case[] = [
  ...attention,
  { name: "gather grad, vocab 1000, 1024 tokens, d 128", backend: "wasm", reps: 20, make: gatherGrad(1000, 1024, 128) },
  // Stock cpu takes ~20 s per call here: one untimed-warmup-free run.
  { name: "gather grad, vocab 1000, 1024 tokens, d 128", backend: "cpu", reps: 20, stockReps: 1, make: gatherGrad(1000, 1024, 128) },
  { name: "matMul [1024,128] x [512,128]^T (rank 2)", backend: "wasm", reps: 20, make: matmul([1024, 128], [512, 128], false, true) },
  { name: "matMul [128,1024]^T x [128,512] (rank 2)", backend: "wasm", reps: 20, make: matmul([128, 1024], [128, 512], true, false) },
  { name: "matMul [16,64,128] x [128,512] (folded into one XNNPACK product)", backend: "wasm", reps: 20, make: matmul([16, 64, 128], [128, 512], false, false) },
  { name: "grads of matMul [1024,128] x [128,512] (dA = dY B^T, dB = A^T dY)", backend: "wasm", reps: 20, make: matmulGrads([1024, 128], [128, 512]) },
];

async function main(): Promise<void> {
  const engine = await initEngine({ backend: "wasm", verbose: false });
  const results = [];
  for (const c of cases) {
    const stock = await measure(c.backend, false, c.stockReps ?? c.reps, c.make, c.inner);
    const patched = await measure(c.backend, true, c.reps, c.make, c.inner);
    const speedup = stock.ms != null && patched.ms != null ? +(stock.ms / patched.ms).toFixed(1) : null;
    const gflops = (ms: number | null) => (c.flops && ms ? +(c.flops / ms / 1e6).toFixed(1) : undefined);
    results.push({
      case: c.name, backend: c.backend, stock_ms: stock.ms, patched_ms: patched.ms, speedup,
      ...(c.flops ? { stock_gflops: gflops(stock.ms), patched_gflops: gflops(patched.ms) } : {}),
      ...(stock.error ? { stock_error: stock.error } : {}),
    });
  }
  const machine = { node: process.version, cpus: os.cpus().length, cpu: os.cpus()[0]?.model, simd: tf.env().getBool("WASM_HAS_SIMD_SUPPORT") };
  console.log(JSON.stringify({ machine, engine: engine.backend, results }, null, 2));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
