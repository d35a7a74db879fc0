/**
 * Batched distance kernels for NN-descent: the data rows live in a WebAssembly memory and the SIMD kernels
 * of nn-kernels.wat compute many distances per call (a 384-d cosine distance in wasm SIMD costs a fraction
 * of the scalar JS loop). Where WebAssembly SIMD is missing, or the data would not fit a 32-bit wasm
 * memory, the same API runs in plain JS.
 *
 * Usage: write row-id pairs into `pairs` (2 per distance), call `pairDistances(count)`, read `out`; or
 * write a vector into `vec` and row ids into `ids`, call `rowDots(count)`, read `out`. The views stay valid
 * for the life of the kernel.
 */
import { NN_KERNELS_WASM } from "./nn-kernels-wasm";

/** Most pairs per `pairDistances` call (the size of the `pairs` buffer / 2). */
export const PAIR_BATCH = 1 << 15;

interface WasmExports {
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
  pairDistances(data: number, dim: number, pairs: number, count: number, out: number, cosine: number): void;
  rowDots(vec: number, data: number, dim: number, ids: number, count: number, out: number): void;
  dot(a: number, b: number, dim: number): number;
}

// The WebAssembly JS API (Node has it; the ES libs this project type-checks against do not declare it).
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
const WA = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

let compiled: object | null | undefined;
/** The compiled module, or null where WebAssembly SIMD is unavailable. */
function wasmModule(): object | null {
  if (compiled === undefined) {
    try {
      compiled = WA ? new WA.Module(Buffer.from(NN_KERNELS_WASM, "base64")) : null;
    } catch {
      compiled = null; // CompileError: no SIMD
    }
  }
  return compiled;
}

/** Largest wasm memory we ask for (bytes): below the 4 GiB limit of wasm32, with room to spare. */
const MAX_WASM_BYTES = 2 ** 31;

export class DistanceKernel {
  /** Row-id pairs for pairDistances (2 per distance, up to PAIR_BATCH distances). */
  readonly pairs: Int32Array;
  /** Row ids for rowDots (up to n). */
  readonly ids: Int32Array;
  /** A vector of dim values for rowDots. */
  readonly vec: Float32Array;
  /** Results of the last call. */
  readonly out: Float32Array;
  /** True when the wasm SIMD kernels run (false: the plain JS fallback). */
  readonly simd: boolean;
  private readonly wasm: WasmExports | null;
  private readonly offsets = { data: 0, vec: 0, pairs: 0, ids: 0, out: 0 };
  private readonly data: Float32Array;

  /** `data`: n rows of `dim` values (unit rows for cosine); `cosine`: 1 - dot, else squared Euclidean. */
  constructor(data: Float32Array, readonly n: number, readonly dim: number, readonly cosine: boolean, useWasm = true) {
    const outLen = Math.max(PAIR_BATCH, n);
    const align = (b: number): number => Math.ceil(b / 16) * 16;
    const o = this.offsets;
    o.data = 0;
    o.vec = align(n * dim * 4);
    o.pairs = align(o.vec + dim * 4);
    o.ids = align(o.pairs + PAIR_BATCH * 8);
    o.out = align(o.ids + n * 4);
    const bytes = o.out + outLen * 4;
    const mod = useWasm && bytes <= MAX_WASM_BYTES ? wasmModule() : null;
    if (mod && WA) {
      const wasm = new WA.Instance(mod, {}).exports as unknown as WasmExports;
      const have = wasm.memory.buffer.byteLength;
      if (bytes > have) wasm.memory.grow(Math.ceil((bytes - have) / 65536));
      const buf = wasm.memory.buffer;
      this.data = new Float32Array(buf, o.data, n * dim);
      this.data.set(data.subarray(0, n * dim));
      this.vec = new Float32Array(buf, o.vec, dim);
      this.pairs = new Int32Array(buf, o.pairs, PAIR_BATCH * 2);
      this.ids = new Int32Array(buf, o.ids, n);
      this.out = new Float32Array(buf, o.out, outLen);
      this.wasm = wasm;
      this.simd = true;
    } else {
      this.data = data;
      this.vec = new Float32Array(dim);
      this.pairs = new Int32Array(PAIR_BATCH * 2);
      this.ids = new Int32Array(n);
      this.out = new Float32Array(outLen);
      this.wasm = null;
      this.simd = false;
    }
  }

  /** out[t] = reduced distance between rows pairs[2t] and pairs[2t + 1], for t < count (<= PAIR_BATCH). */
  pairDistances(count: number): void {
    if (this.wasm) {
      const o = this.offsets;
      this.wasm.pairDistances(o.data, this.dim, o.pairs, count, o.out, this.cosine ? 1 : 0);
      return;
    }
    const { data, dim, pairs, out } = this;
    for (let t = 0; t < count; t++) {
      const a = pairs[2 * t] * dim;
      const b = pairs[2 * t + 1] * dim;
      let s = 0;
      if (this.cosine) {
        for (let u = 0; u < dim; u++) s += data[a + u] * data[b + u];
        out[t] = s < 1 ? 1 - s : 0;
      } else {
        for (let u = 0; u < dim; u++) {
          const d = data[a + u] - data[b + u];
          s += d * d;
        }
        out[t] = s;
      }
    }
  }

  /** out[t] = dot(vec, row ids[t]), for t < count (<= n). */
  rowDots(count: number): void {
    if (this.wasm) {
      const o = this.offsets;
      this.wasm.rowDots(o.vec, o.data, this.dim, o.ids, count, o.out);
      return;
    }
    const { data, dim, ids, vec, out } = this;
    for (let t = 0; t < count; t++) {
      const a = ids[t] * dim;
      let s = 0;
      for (let u = 0; u < dim; u++) s += vec[u] * data[a + u];
      out[t] = s;
    }
  }
}
