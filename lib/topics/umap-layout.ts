/**
 * The WebAssembly path of UMAP's SGD layout (umap-layout.wat): umap.ts's optimizeLayout hands its arrays
 * here and keeps its plain JS loop as the fallback where WebAssembly is missing. Same loop, same negative
 * samples (mulberry32 from the same seed); d^2b comes from tables and short polynomials (relative error
 * < 1e-9) instead of Math.exp(b Math.log(d^2)), so the two paths agree closely, not bit for bit.
 *
 * With `threads` > 1 (umap-learn's parallel SGD, which it runs only without a random_state) the edges are
 * split into contiguous ranges, one per thread: this thread runs the first, worker threads the others, all
 * on one embedding in shared memory, epoch by epoch (a barrier between epochs, Hogwild within one: updates
 * race, so the result is not reproducible, as in umap-learn). Each thread draws its own negative samples.
 * fitTransform is synchronous, so this thread blocks on Atomics.wait while the workers finish an epoch.
 */
import { Worker } from "worker_threads";
import * as os from "os";
import { UMAP_LAYOUT_WASM } from "./umap-layout-wasm";

interface LayoutExports {
  setState(s: number): void;
  pow(x: number, b: number): number;
  epoch(
    headE: number, tailE: number, dim: number, head: number, tail: number, eps: number, epsNeg: number, next: number,
    nextNeg: number, first: number, end: number, n: number, alpha: number, a: number, b: number, twoAB: number, twoGammaB: number,
    nVertices: number, moveOther: number,
  ): void;
}

// The WebAssembly JS API (Node has it; the ES libs this project type-checks against do not declare it).
interface WasmMemory {
  buffer: ArrayBuffer;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  Memory: new (desc: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
}
const WA = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
let compiled: object | null | undefined;

/** Bytes 0..TABLE_BYTES of the kernel's memory hold its pow tables. */
const TABLE_BYTES = 4096;
/** Most pages of the shared memory (the maximum the module declares: 2 GiB). */
const MAX_PAGES = 32768;

function compiledModule(): object | null {
  if (compiled === undefined) {
    try {
      compiled = WA ? new WA.Module(Buffer.from(UMAP_LAYOUT_WASM, "base64")) : null;
    } catch {
      compiled = null; // no WebAssembly, or no shared memories (threads)
    }
  }
  return compiled;
}

/**
 * A kernel instance on a fresh shared memory of `bytes` bytes with its pow tables written, or null where
 * WebAssembly (with shared memories) is unavailable.
 */
export function layoutKernel(bytes = TABLE_BYTES): { kernel: LayoutExports; memory: WasmMemory; module: object } | null {
  const module = compiledModule();
  if (!module || !WA) return null;
  const pages = Math.ceil(Math.max(bytes, TABLE_BYTES) / 65536);
  if (pages > MAX_PAGES) return null;
  let memory: WasmMemory;
  try {
    memory = new WA.Memory({ initial: pages, maximum: MAX_PAGES, shared: true });
  } catch {
    return null;
  }
  const kernel = new WA.Instance(module, { env: { memory } }).exports as unknown as LayoutExports;
  // 1/c_j and log2 c_j at the centres c_j of 128 mantissa cells, then 2^(j/64).
  const tab = new Float64Array(memory.buffer, 0, 320);
  for (let j = 0; j < 128; j++) {
    tab[j] = 1 / (1 + (j + 0.5) / 128);
    tab[128 + j] = -Math.log2(tab[j]);
  }
  for (let j = 0; j < 64; j++) tab[256 + j] = Math.pow(2, j / 64);
  return { kernel, memory, module };
}

/** Threads available to the layout (os.availableParallelism where Node has it). */
export function availableThreads(): number {
  const o = os as unknown as { availableParallelism?: () => number };
  return Math.max(1, o.availableParallelism ? o.availableParallelism() : os.cpus().length);
}

/** What one SGD run needs besides the arrays. */
export interface LayoutParams {
  nEpochs: number;
  /** Vertices of the tail embedding (negative samples are drawn from them). */
  nVertices: number;
  a: number;
  b: number;
  gamma: number;
  initialAlpha: number;
  negativeSampleRate: number;
  moveOther: boolean;
  seed: number;
  /** Threads to run on (1: this one only, deterministic per seed). */
  threads?: number;
}

/**
 * Runs the SGD in wasm on float64 copies `headE` / `tailE` (the same array when fitting), in place.
 * Returns the number of threads it ran on, or 0, touching nothing, where it cannot run (no WebAssembly
 * with shared memories, or more than 2 GiB of state).
 */
export function sgdLayoutWasm(
  headE: Float64Array,
  tailE: Float64Array,
  dim: number,
  head: Int32Array,
  tail: Int32Array,
  epochsPerSample: Float64Array,
  p: LayoutParams,
): number {
  const nEdges = epochsPerSample.length;
  const same = headE === tailE;
  const bytes = TABLE_BYTES + headE.length * 8 + (same ? 0 : tailE.length * 8) + nEdges * (4 * 8 + 2 * 4) + 64;
  if (!(dim >= 1) || bytes > 2 ** 31) return 0;
  const made = layoutKernel(bytes);
  if (!made) return 0;
  const { kernel: k, memory } = made;
  const buf = memory.buffer;
  let offset = TABLE_BYTES;
  const f64 = (len: number): Float64Array => {
    const a = new Float64Array(buf, offset, len);
    offset += len * 8;
    return a;
  };
  const i32 = (len: number): Int32Array => {
    const a = new Int32Array(buf, offset, len);
    offset += Math.ceil(len / 2) * 8; // keeps the next array 8-byte aligned
    return a;
  };
  const h = f64(headE.length);
  h.set(headE);
  const t = same ? h : f64(tailE.length);
  if (!same) t.set(tailE);
  const eps = f64(nEdges);
  const epsNeg = f64(nEdges);
  const next = f64(nEdges);
  const nextNeg = f64(nEdges);
  const hd = i32(nEdges);
  const tl = i32(nEdges);
  hd.set(head);
  tl.set(tail);
  for (let i = 0; i < nEdges; i++) {
    const e = epochsPerSample[i];
    eps[i] = e;
    next[i] = e < 0 ? Infinity : e; // never sampled
    epsNeg[i] = e / p.negativeSampleRate;
    nextNeg[i] = epsNeg[i];
  }
  const pointers = [h.byteOffset, t.byteOffset, dim, hd.byteOffset, tl.byteOffset, eps.byteOffset, epsNeg.byteOffset, next.byteOffset, nextNeg.byteOffset];
  const constants = [p.a, p.b, 2 * p.a * p.b, 2 * p.gamma * p.b, p.nVertices, p.moveOther ? 1 : 0];
  const threads = Math.max(1, Math.min(p.threads ?? 1, MAX_THREADS, Math.floor(nEdges / MIN_EDGES_PER_THREAD) || 1));
  const bounds = Array.from({ length: threads + 1 }, (_, i) => Math.round((i * nEdges) / threads));
  const pool = threads > 1 ? startWorkers(made.module, memory, pointers, constants, bounds, p.seed) : null;
  k.setState(p.seed | 0);
  let alpha = p.initialAlpha;
  try {
    for (let n = 0; n < p.nEpochs; n++) {
      if (pool) pool.start(n, alpha);
      k.epoch(pointers[0], pointers[1], pointers[2], pointers[3], pointers[4], pointers[5], pointers[6], pointers[7], pointers[8],
        0, pool ? bounds[1] : nEdges, n, alpha, constants[0], constants[1], constants[2], constants[3], constants[4], constants[5]);
      if (pool) pool.finish(n);
      alpha = p.initialAlpha * (1 - n / p.nEpochs);
    }
  } finally {
    if (pool) pool.stop();
  }
  headE.set(h);
  if (!same) tailE.set(t);
  return pool ? threads : 1;
}

/** Below this many edges per thread, extra threads cost more than they save. */
const MIN_EDGES_PER_THREAD = 50000;
const MAX_THREADS = 8;
/** How long this thread waits for a worker to start, or to finish an epoch, before giving up (ms). */
const WORKER_TIMEOUT_MS = 60000;

// Control block: Int32 [0] epoch command (n + 1; -1 stops), [8 + w] worker w ready (1) or failed (-1),
// [16 + w] last epoch worker w finished (n + 1); Float64 at byte 256: alpha of the current epoch.
const CTL_INTS = 64;
const WORKER_SOURCE = `
const { workerData } = require("worker_threads");
const { module, memory, control, pointers, constants, first, end, seed, slot } = workerData;
const ctl = new Int32Array(control, 0, ${CTL_INTS});
const par = new Float64Array(control, ${CTL_INTS * 4}, 1);
try {
  const k = new WebAssembly.Instance(module, { env: { memory } }).exports;
  k.setState(seed | 0);
  Atomics.store(ctl, 8 + slot, 1);
  Atomics.notify(ctl, 8 + slot);
  let seen = 0;
  for (;;) {
    Atomics.wait(ctl, 0, seen);
    const cmd = Atomics.load(ctl, 0);
    if (cmd < 0) break;
    if (cmd === seen) continue;
    seen = cmd;
    k.epoch(pointers[0], pointers[1], pointers[2], pointers[3], pointers[4], pointers[5], pointers[6], pointers[7], pointers[8],
      first, end, cmd - 1, par[0], constants[0], constants[1], constants[2], constants[3], constants[4], constants[5]);
    Atomics.store(ctl, 16 + slot, cmd);
    Atomics.notify(ctl, 16 + slot);
  }
} catch (err) {
  Atomics.store(ctl, 8 + slot, -1);
  Atomics.store(ctl, 16 + slot, -1);
  Atomics.notify(ctl, 8 + slot);
  Atomics.notify(ctl, 16 + slot);
}
`;

interface WorkerPool {
  start(n: number, alpha: number): void;
  finish(n: number): void;
  stop(): void;
}

/**
 * Starts one worker per edge range after the first and waits until each is ready; null (after stopping
 * them) if one fails to start, so the caller runs single-threaded.
 */
function startWorkers(module: object, memory: WasmMemory, pointers: number[], constants: number[], bounds: number[], seed: number): WorkerPool | null {
  const control = new SharedArrayBuffer(CTL_INTS * 4 + 8);
  const ctl = new Int32Array(control, 0, CTL_INTS);
  const par = new Float64Array(control, CTL_INTS * 4, 1);
  const workers: Worker[] = [];
  const stop = (): void => {
    Atomics.store(ctl, 0, -1);
    Atomics.notify(ctl, 0);
    for (const w of workers) {
      w.unref();
      w.terminate().catch(() => undefined);
    }
  };
  try {
    for (let w = 1; w < bounds.length - 1; w++) {
      const slot = w - 1;
      // Each thread its own negative-sample stream (mulberry32 seeds spaced by the golden ratio).
      const workerSeed = (seed + Math.imul(w, 0x9e3779b9)) | 0;
      const worker = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: { module, memory, control, pointers, constants, first: bounds[w], end: bounds[w + 1], seed: workerSeed, slot },
      });
      worker.on("error", () => undefined); // failures are seen through the control block
      workers.push(worker);
    }
    for (let slot = 0; slot < workers.length; slot++) {
      Atomics.wait(ctl, 8 + slot, 0, WORKER_TIMEOUT_MS);
      if (Atomics.load(ctl, 8 + slot) !== 1) throw new Error("worker did not start");
    }
  } catch {
    stop();
    return null;
  }
  return {
    start(n: number, alpha: number): void {
      par[0] = alpha;
      Atomics.store(ctl, 0, n + 1);
      Atomics.notify(ctl, 0);
    },
    finish(n: number): void {
      for (let slot = 0; slot < workers.length; slot++) {
        while (Atomics.load(ctl, 16 + slot) === n) {
          if (Atomics.wait(ctl, 16 + slot, n, WORKER_TIMEOUT_MS) === "timed-out") throw new Error(`UMAP layout: worker ${slot + 1} did not finish epoch ${n} in ${WORKER_TIMEOUT_MS / 1000} s`);
        }
        if (Atomics.load(ctl, 16 + slot) !== n + 1) throw new Error(`UMAP layout: worker ${slot + 1} failed in epoch ${n}`);
      }
    },
    stop,
  };
}
