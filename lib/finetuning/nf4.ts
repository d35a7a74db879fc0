/**
 * 4-bit NormalFloat (NF4) quantisation for QLoRA (chapter 12), bit-compatible with bitsandbytes'
 * `quantize_4bit(..., quant_type="nf4")` / `dequantize_4bit`:
 *
 * - weights are cut into blocks of 64 (flat order); each block keeps its absmax (float32) and every
 *   weight becomes the index of the nearest NF4 value to w / absmax;
 * - two indices per byte, the first element in the high nibble (bitsandbytes' packing);
 * - double quantisation (`compress_statistics=True`, transformers' `bnb_4bit_use_double_quant`): the
 *   absmax constants minus their mean are themselves quantised to 8 bits with bitsandbytes' blockwise
 *   dynamic quantisation (blocks of 256, the `create_dynamic_map` code), keeping one float32 absmax per
 *   256 blocks and the mean as offset.
 *
 *   const q = quantizeNF4(weights, { blockSize: 64, doubleQuant: true });
 *   const back = dequantizeNF4(q.packed, q.state);
 *   quantizeModel(llama, { doubleQuant: true });   // every Linear but lm_head becomes a Linear4bit
 *
 * Rounding follows the CUDA kernel (`dQuantizeNF4`, `dQuantize`): x = fp32(w * fp32(1 / absmax)) goes
 * up to the next code only when x > fp32(midpoint), so exact ties go to the lower code. A NaN scale
 * (an all-zero block, absmax 0) gives code 0, as both bitsandbytes kernels do; it dequantises to 0.
 */
import * as tf from "@tensorflow/tfjs-core";
import { Linear } from "../models/layers";
import { Module } from "../models/module";

/** The 16 NF4 values, index 0..15, as bitsandbytes' kernels and `get_4bit_type("nf4")` hold them. */
export const NF4_CODE: Float32Array = Float32Array.from([
  -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635,
  -0.18477343022823334, -0.09105003625154495, 0.0, 0.07958029955625534, 0.16093020141124725,
  0.24611230194568634, 0.33791524171829224, 0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0,
]);

/** fp32 midpoints between sorted code values: x > thresholds[k] means "above code k". */
function midpointThresholds(code: Float32Array): Float32Array {
  const t = new Float32Array(code.length - 1);
  for (let k = 0; k < t.length; k++) t[k] = (code[k] + code[k + 1]) / 2;
  return t;
}

const NF4_THRESHOLDS = midpointThresholds(NF4_CODE);

/** The NF4 index of an already scaled fp32 value (a 4-level decision tree, as the CUDA kernel). */
export function nf4Index(x: number): number {
  const t = NF4_THRESHOLDS;
  if (x > t[7]) {
    if (x > t[11]) {
      if (x > t[13]) return x > t[14] ? 15 : 14;
      return x > t[12] ? 13 : 12;
    }
    if (x > t[9]) return x > t[10] ? 11 : 10;
    return x > t[8] ? 9 : 8;
  }
  if (x > t[3]) {
    if (x > t[5]) return x > t[6] ? 7 : 6;
    return x > t[4] ? 5 : 4;
  }
  if (x > t[1]) return x > t[2] ? 3 : 2;
  return x > t[0] ? 1 : 0;
}

/**
 * torch.linspace(start, end, steps) in float32 as PyTorch's CPU kernel computes it (the first half
 * counted up from start, the second half down from end), so derived code tables match to the bit.
 */
function linspaceF32(start: number, end: number, steps: number): Float32Array {
  const out = new Float32Array(steps);
  const a = Math.fround(start);
  const b = Math.fround(end);
  if (steps === 1) {
    out[0] = a;
    return out;
  }
  const step = Math.fround((b - a) / (steps - 1));
  const halfway = Math.floor(steps / 2);
  for (let i = 0; i < steps; i++) out[i] = i < halfway ? Math.fround(a + Math.fround(step * i)) : Math.fround(b - Math.fround(step * (steps - i - 1)));
  return out;
}

/**
 * bitsandbytes' `create_dynamic_map`: the 8-bit "dynamic tree" code used for blockwise 8-bit
 * quantisation (and so for double-quantised absmax). For each exponent i, 2^i (signed) values spread
 * linearly over [0.1, 1] (bin centres) times 10^(i - maxExponentBits + 1), with their negatives, plus
 * 0 and 1; sorted ascending, float32 as PyTorch builds it.
 */
export function createDynamicMap(signed = true, maxExponentBits = 7, totalBits = 8): Float32Array {
  // bitsandbytes reserves one bit for the sign in both cases (its `1 if signed else 1`).
  const nonSignBits = totalBits - 1;
  const additionalItems = 2 ** (nonSignBits - maxExponentBits) - 1;
  const data: number[] = [];
  const pushMeans = (items: number, exponent: number) => {
    const bounds = linspaceF32(0.1, 1, items);
    const scale = Math.fround(10 ** (-(maxExponentBits - 1) + exponent));
    for (let j = 0; j + 1 < bounds.length; j++) {
      const mean = Math.fround(Math.fround(bounds[j] + bounds[j + 1]) / 2);
      data.push(Math.fround(scale * mean));
      if (signed) data.push(Math.fround(-scale * mean));
    }
  };
  for (let i = 0; i < maxExponentBits; i++) {
    const items = signed ? 2 ** (i + nonSignBits - maxExponentBits) + 1 : 2 ** (i + nonSignBits - maxExponentBits + 1) + 1;
    pushMeans(items, i);
  }
  if (additionalItems > 0) pushMeans(additionalItems + 1, maxExponentBits - 1);
  data.push(0, 1);
  if (data.length !== 2 ** totalBits) throw new Error(`createDynamicMap: got ${data.length} values for ${totalBits} bits`);
  while (data.length < 256) data.push(0);
  return Float32Array.from(data).sort();
}

/** The signed 8-bit dynamic map bitsandbytes uses by default (`name2qmap["dynamic"]`). */
export const DYNAMIC_MAP: Float32Array = createDynamicMap();

/** What quantiseNF4 needs to know. */
export interface NF4Options {
  /** Values per absmax block (bitsandbytes: 64 by default; a power of two). */
  blockSize?: number;
  /** Double quantisation of the absmax constants (bitsandbytes' `compress_statistics`). */
  doubleQuant?: boolean;
  /** The tensor shape recorded in the state (default [weights.length]). */
  shape?: number[];
}

/** The 8-bit double-quantised absmax constants (bitsandbytes' `state2` plus `offset`). */
export interface NestedAbsmax {
  /** One 8-bit code index per 4-bit block. */
  quantizedAbsmax: Uint8Array;
  /** One float32 absmax per `blockSize` absmax values. */
  absmax: Float32Array;
  /** The 256-value code (the dynamic map). */
  code: Float32Array;
  blockSize: number;
  /** The mean of the absmax values, subtracted before quantising (float32). */
  offset: number;
}

/** bitsandbytes' `QuantState` for NF4: everything needed to dequantise the packed codes. */
export interface NF4QuantState {
  shape: number[];
  blockSize: number;
  quantType: "nf4";
  /** Per-block float32 absmax; null when double-quantised (see `nested`). */
  absmax: Float32Array | null;
  nested: NestedAbsmax | null;
}

export interface NF4Quantized {
  /** Two 4-bit indices per byte, the first element in the high nibble; ceil(n / 2) bytes. */
  packed: Uint8Array;
  state: NF4QuantState;
}

function checkBlockSize(blockSize: number, what: string): void {
  if (!Number.isInteger(blockSize) || blockSize < 2 || (blockSize & (blockSize - 1)) !== 0) {
    throw new Error(`${what}: blockSize must be a power of two >= 2 (bitsandbytes uses 64..4096), got ${blockSize}`);
  }
}

function checkFinite(values: Float32Array, what: string): void {
  if (!(values instanceof Float32Array)) throw new Error(`${what}: expected a Float32Array of weights`);
  if (values.length === 0) throw new Error(`${what}: no values to quantise`);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v - v !== 0) throw new Error(`${what}: value at index ${i} is ${v}; weights must be finite`);
  }
}

/**
 * Quantises weights to NF4 (bitsandbytes' `quantize_4bit(A, blocksize, compress_statistics,
 * quant_type="nf4")`). A last partial block gets its own absmax; an odd count pads the last low
 * nibble with the code of 0 (index 7). Accepts `blockSize` as a number for short calls.
 */
export function quantizeNF4(weights: Float32Array, options: NF4Options | number = {}): NF4Quantized {
  const opts: NF4Options = typeof options === "number" ? { blockSize: options } : options;
  const blockSize = opts.blockSize ?? 64;
  checkBlockSize(blockSize, "quantizeNF4");
  checkFinite(weights, "quantizeNF4");
  const n = weights.length;
  const shape = opts.shape ?? [n];
  if (shape.reduce((a, b) => a * b, 1) !== n) throw new Error(`quantizeNF4: shape [${shape}] does not hold ${n} values`);
  const blocks = Math.ceil(n / blockSize);
  const absmax = new Float32Array(blocks);
  const packed = new Uint8Array(Math.ceil(n / 2));
  for (let block = 0; block < blocks; block++) {
    const start = block * blockSize;
    const end = Math.min(start + blockSize, n);
    let m = 0;
    for (let i = start; i < end; i++) {
      const a = Math.abs(weights[i]);
      if (a > m) m = a;
    }
    absmax[block] = m;
    // Multiply by the fp32 reciprocal, as the kernels do; absmax 0 gives NaN -> code 0, as there.
    const inv = Math.fround(1 / m);
    const pairsEnd = start + ((end - start) & ~1);
    for (let i = start; i < pairsEnd; i += 2) {
      packed[i >> 1] = (nf4Index(Math.fround(weights[i] * inv)) << 4) | nf4Index(Math.fround(weights[i + 1] * inv));
    }
    if (pairsEnd < end) packed[pairsEnd >> 1] = (nf4Index(Math.fround(weights[pairsEnd] * inv)) << 4) | 7;
  }
  const state: NF4QuantState = { shape: [...shape], blockSize, quantType: "nf4", absmax, nested: null };
  if (opts.doubleQuant) {
    let sum = 0;
    for (let i = 0; i < blocks; i++) sum += absmax[i];
    const offset = Math.fround(sum / blocks);
    const centered = new Float32Array(blocks);
    for (let i = 0; i < blocks; i++) centered[i] = absmax[i] - offset;
    const q = quantizeBlockwise(centered, { blockSize: 256 });
    state.absmax = null;
    state.nested = { quantizedAbsmax: q.codes, absmax: q.absmax, code: DYNAMIC_MAP, blockSize: 256, offset };
  }
  return { packed, state };
}

/** The float32 absmax of every 4-bit block, undoing double quantisation when there is one. */
export function nf4BlockAbsmax(state: NF4QuantState): Float32Array {
  if (state.absmax) return state.absmax;
  if (!state.nested) throw new Error("nf4BlockAbsmax: the state has neither absmax nor nested absmax");
  const { quantizedAbsmax, absmax, code, blockSize, offset } = state.nested;
  const out = dequantizeBlockwise(quantizedAbsmax, absmax, { blockSize, code });
  for (let i = 0; i < out.length; i++) out[i] += offset;
  return out;
}

// Both nibbles of every byte decoded once, so dequantising is two lookups and two multiplies a byte.
const HIGH_NIBBLE = new Float32Array(256);
const LOW_NIBBLE = new Float32Array(256);
for (let b = 0; b < 256; b++) {
  HIGH_NIBBLE[b] = NF4_CODE[b >> 4];
  LOW_NIBBLE[b] = NF4_CODE[b & 15];
}

/** bitsandbytes' `dequantize_4bit`: code[index] * absmax of its block, in float32. */
export function dequantizeNF4(packed: Uint8Array, state: NF4QuantState, out?: Float32Array): Float32Array {
  const n = state.shape.reduce((a, b) => a * b, 1);
  checkBlockSize(state.blockSize, "dequantizeNF4");
  if (!(packed instanceof Uint8Array)) throw new Error("dequantizeNF4: packed codes must be a Uint8Array");
  if (packed.length !== Math.ceil(n / 2)) throw new Error(`dequantizeNF4: ${packed.length} bytes do not hold ${n} 4-bit values (need ${Math.ceil(n / 2)})`);
  const absmax = nf4BlockAbsmax(state);
  const blocks = Math.ceil(n / state.blockSize);
  if (absmax.length !== blocks) throw new Error(`dequantizeNF4: ${absmax.length} absmax values for ${blocks} blocks`);
  const result = out ?? new Float32Array(n);
  if (result.length !== n) throw new Error(`dequantizeNF4: output holds ${result.length} values, need ${n}`);
  const halfBlock = state.blockSize >> 1;
  const fullBytes = n >> 1;
  for (let block = 0; block < blocks; block++) {
    const scale = absmax[block];
    const byteStart = block * halfBlock;
    const byteEnd = Math.min(byteStart + halfBlock, fullBytes);
    for (let b = byteStart; b < byteEnd; b++) {
      const byte = packed[b];
      result[2 * b] = HIGH_NIBBLE[byte] * scale;
      result[2 * b + 1] = LOW_NIBBLE[byte] * scale;
    }
  }
  if (n & 1) result[n - 1] = HIGH_NIBBLE[packed[fullBytes]] * absmax[blocks - 1];
  return result;
}

/** The thresholds of a sorted 256-value code, cached per table. */
const thresholdCache = new WeakMap<Float32Array, Float32Array>();

function thresholdsOf(code: Float32Array): Float32Array {
  let t = thresholdCache.get(code);
  if (!t) {
    if (code.length !== 256) throw new Error(`blockwise 8-bit quantisation needs a 256-value code, got ${code.length}`);
    for (let i = 1; i < code.length; i++) if (!(code[i] >= code[i - 1])) throw new Error("blockwise 8-bit quantisation needs a code sorted ascending");
    t = midpointThresholds(code);
    thresholdCache.set(code, t);
  }
  return t;
}

/**
 * bitsandbytes' `quantize_blockwise` (8-bit): absmax per block, each value -> index of the nearest
 * code value of value / absmax (ties to the lower index; default code: the dynamic map).
 */
export function quantizeBlockwise(values: Float32Array, opts: { blockSize?: number; code?: Float32Array } = {}): { codes: Uint8Array; absmax: Float32Array } {
  const blockSize = opts.blockSize ?? 4096;
  checkBlockSize(blockSize, "quantizeBlockwise");
  checkFinite(values, "quantizeBlockwise");
  const thresholds = thresholdsOf(opts.code ?? DYNAMIC_MAP);
  const n = values.length;
  const blocks = Math.ceil(n / blockSize);
  const absmax = new Float32Array(blocks);
  const codes = new Uint8Array(n);
  for (let block = 0; block < blocks; block++) {
    const start = block * blockSize;
    const end = Math.min(start + blockSize, n);
    let m = 0;
    for (let i = start; i < end; i++) m = Math.max(m, Math.abs(values[i]));
    absmax[block] = m;
    const inv = Math.fround(1 / m);
    for (let i = start; i < end; i++) {
      const x = Math.fround(values[i] * inv);
      // Binary search for the number of thresholds below x (NaN compares false -> 0).
      let lo = 0;
      let hi = 255;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (x > thresholds[mid]) lo = mid + 1;
        else hi = mid;
      }
      codes[i] = lo;
    }
  }
  return { codes, absmax };
}

/** bitsandbytes' `dequantize_blockwise`: code[index] * absmax of its block, in float32. */
export function dequantizeBlockwise(codes: Uint8Array, absmax: Float32Array, opts: { blockSize?: number; code?: Float32Array } = {}): Float32Array {
  const blockSize = opts.blockSize ?? 4096;
  checkBlockSize(blockSize, "dequantizeBlockwise");
  const code = opts.code ?? DYNAMIC_MAP;
  if (absmax.length !== Math.ceil(codes.length / blockSize)) throw new Error(`dequantizeBlockwise: ${absmax.length} absmax values for ${codes.length} codes in blocks of ${blockSize}`);
  const out = new Float32Array(codes.length);
  for (let i = 0; i < codes.length; i++) out[i] = code[codes[i]] * absmax[Math.floor(i / blockSize)];
  return out;
}

/** Storage of n parameters in NF4, in bytes (the per-tensor code tables left out: shared constants). */
export interface NF4MemoryReport {
  numParams: number;
  blockSize: number;
  doubleQuant: boolean;
  /** ceil(n / 2): the packed 4-bit codes. */
  codeBytes: number;
  /** Quantisation constants: 4 bytes per block, or with double quantisation 1 byte per block + 4 per 256 blocks + the 4-byte offset. */
  constantBytes: number;
  totalBytes: number;
  bytesPerParam: number;
  bitsPerParam: number;
  /** The constants' share of bitsPerParam (0.5 plain, about 0.127 double-quantised at block size 64). */
  constantBitsPerParam: number;
  fp32Bytes: number;
  fp16Bytes: number;
  /** fp32Bytes / totalBytes. */
  compressionVsFp32: number;
}

/** Exact bytes per parameter of NF4 storage with or without double quantisation. */
export function nf4MemoryReport(numParams: number, opts: { doubleQuant?: boolean; blockSize?: number; nestedBlockSize?: number } = {}): NF4MemoryReport {
  if (!Number.isInteger(numParams) || numParams <= 0) throw new Error(`nf4MemoryReport: numParams must be a positive integer, got ${numParams}`);
  const blockSize = opts.blockSize ?? 64;
  const nestedBlockSize = opts.nestedBlockSize ?? 256;
  checkBlockSize(blockSize, "nf4MemoryReport");
  checkBlockSize(nestedBlockSize, "nf4MemoryReport");
  const doubleQuant = opts.doubleQuant ?? false;
  const blocks = Math.ceil(numParams / blockSize);
  const codeBytes = Math.ceil(numParams / 2);
  const constantBytes = doubleQuant ? blocks + 4 * Math.ceil(blocks / nestedBlockSize) + 4 : 4 * blocks;
  const totalBytes = codeBytes + constantBytes;
  return {
    numParams,
    blockSize,
    doubleQuant,
    codeBytes,
    constantBytes,
    totalBytes,
    bytesPerParam: totalBytes / numParams,
    bitsPerParam: (8 * totalBytes) / numParams,
    constantBitsPerParam: (8 * constantBytes) / numParams,
    fp32Bytes: 4 * numParams,
    fp16Bytes: 2 * numParams,
    compressionVsFp32: (4 * numParams) / totalBytes,
  };
}

/**
 * bitsandbytes' `Linear4bit` (NF4, float32 compute): the weight [out, in] lives as packed 4-bit codes
 * and its quantisation state in plain typed arrays, not tf.Variables, so no optimizer sees or updates
 * it and no gradient reaches it; the bias is a frozen variable. `forward` dequantises the weight into
 * a temporary tensor and computes y = x W^T + b, as `Linear` does, so LoRA can wrap either.
 */
export class Linear4bit extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  /** Replaced only by `requantize` (a LoRA merge). */
  packed: Uint8Array;
  quantState: NF4QuantState;
  readonly bias: tf.Variable | null;
  /**
   * Added to the output when set (a LoRA adapter's scaling * B A x), the same hook `Linear` has;
   * typed structurally so that this file does not depend on the adapter's module.
   */
  adapter: { forward(x: tf.Tensor): tf.Tensor | null } | null = null;

  /** `weight` is [outFeatures * inFeatures] row-major (PyTorch's [out, in]). */
  constructor(weight: Float32Array, outFeatures: number, inFeatures: number, bias: tf.Tensor | Float32Array | null = null, opts: { blockSize?: number; doubleQuant?: boolean } = {}) {
    super();
    if (!Number.isInteger(outFeatures) || !Number.isInteger(inFeatures) || outFeatures <= 0 || inFeatures <= 0) {
      throw new Error(`Linear4bit: features must be positive integers, got out=${outFeatures} in=${inFeatures}`);
    }
    if (weight.length !== outFeatures * inFeatures) throw new Error(`Linear4bit: weight holds ${weight.length} values, expected ${outFeatures} x ${inFeatures}`);
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    const q = quantizeNF4(weight, { blockSize: opts.blockSize ?? 64, doubleQuant: opts.doubleQuant ?? false, shape: [outFeatures, inFeatures] });
    this.packed = q.packed;
    this.quantState = q.state;
    if (bias) {
      const b = bias instanceof Float32Array ? tf.tensor1d(bias) : tf.clone(bias);
      if (b.size !== outFeatures) {
        b.dispose();
        throw new Error(`Linear4bit: bias holds ${b.size} values, expected ${outFeatures}`);
      }
      this.bias = this.addParameter("bias", tf.reshape(b, [outFeatures]), false);
      b.dispose();
    } else this.bias = null;
  }

  /** Quantises an fp32 `Linear` (its weight [out, in] and bias); the source layer is left as it is. */
  static fromLinear(linear: Linear, opts: { blockSize?: number; doubleQuant?: boolean } = {}): Linear4bit {
    const [outFeatures, inFeatures] = linear.weight.shape;
    return new Linear4bit(linear.weight.dataSync() as Float32Array, outFeatures, inFeatures, linear.bias, opts);
  }

  /** The weight as it is used, [out, in] float32 (bitsandbytes' `dequantize_4bit`); the caller disposes it. */
  dequantizeWeight(): tf.Tensor2D {
    return tf.tensor2d(dequantizeNF4(this.packed, this.quantState), [this.outFeatures, this.inFeatures]);
  }

  /**
   * Quantises a new fp32 weight [out, in] into this layer with its current settings (peft merges a LoRA
   * adapter into a 4-bit layer so: dequantise, add, quantise again — with the rounding error that brings).
   */
  requantize(weight: Float32Array): void {
    if (weight.length !== this.outFeatures * this.inFeatures) throw new Error(`Linear4bit.requantize: weight holds ${weight.length} values, expected ${this.outFeatures} x ${this.inFeatures}`);
    const q = quantizeNF4(weight, { blockSize: this.quantState.blockSize, doubleQuant: this.quantState.nested !== null, shape: [this.outFeatures, this.inFeatures] });
    this.packed = q.packed;
    this.quantState = q.state;
  }

  /** Bytes the layer's weight takes in this form (codes and constants). */
  weightBytes(): number {
    const nested = this.quantState.nested;
    const constants = nested ? nested.quantizedAbsmax.length + 4 * nested.absmax.length + 4 : 4 * (this.quantState.absmax?.length ?? 0);
    return this.packed.length + constants;
  }

  forward(x: tf.Tensor): tf.Tensor {
    const inFeatures = x.shape[x.shape.length - 1];
    if (inFeatures !== this.inFeatures) throw new Error(`Linear4bit: input's last dimension is ${inFeatures}, expected ${this.inFeatures}`);
    return tf.tidy(() => {
      const weight = this.dequantizeWeight();
      const y2d = tf.matMul(tf.reshape(x, [-1, this.inFeatures]), weight, false, true);
      const y = tf.reshape(y2d, [...x.shape.slice(0, -1), this.outFeatures]);
      const out = this.bias ? tf.add(y, this.bias) : y;
      const extra = this.adapter ? this.adapter.forward(x) : null;
      return extra ? tf.add(out, extra) : out;
    });
  }

  protected override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${this.bias ? "True" : "False"}`;
  }
}

/** Which Linear layers `quantizeModel` converts. */
export interface QuantizeModelOptions {
  /** Only these (module paths, or their last parts such as "q_proj"); default: every Linear. */
  targetModules?: string[];
  /** Kept in fp32 (transformers keeps the output head: default ["lm_head"]). */
  skipModules?: string[];
  blockSize?: number;
  /** transformers' `bnb_4bit_use_double_quant` (default false, as there; QLoRA uses true). */
  doubleQuant?: boolean;
}

function matchesModule(path: string, key: string): boolean {
  return path === key || path.endsWith(`.${key}`) || path.startsWith(`${key}.`);
}

/**
 * Replaces the model's `Linear` layers by `Linear4bit` in place (transformers' `load_in_4bit` with
 * `bnb_4bit_quant_type="nf4"`), disposing each fp32 weight once quantised. Returns the paths replaced.
 */
export function quantizeModel(model: Module, opts: QuantizeModelOptions = {}): string[] {
  const skip = opts.skipModules ?? ["lm_head"];
  const targets = opts.targetModules;
  const chosen = model.namedModules().filter(([path, m]) => {
    if (!(m instanceof Linear) || path === "") return false;
    if (skip.some((key) => matchesModule(path, key))) return false;
    return !targets || targets.some((key) => matchesModule(path, key));
  });
  if (targets) {
    const linearPaths = model.namedModules().filter(([, m]) => m instanceof Linear).map(([p]) => p);
    const unmatched = targets.filter((key) => !linearPaths.some((path) => matchesModule(path, key)));
    if (unmatched.length > 0) throw new Error(`quantizeModel: targetModules ${unmatched.map((k) => `'${k}'`).join(", ")} match no Linear layer`);
  }
  const replaced: string[] = [];
  for (const [path, m] of chosen) {
    const quantized = Linear4bit.fromLinear(m as Linear, { blockSize: opts.blockSize, doubleQuant: opts.doubleQuant });
    model.replaceModule(path, quantized);
    m.dispose();
    replaced.push(path);
  }
  return replaced;
}

/**
 * Bytes a model's weights take in memory, as transformers' `get_memory_footprint()`: every variable at
 * its dtype's size (float32: 4), plus each 4-bit layer's packed codes and quantisation constants.
 */
export function getMemoryFootprint(model: Module): number {
  let bytes = 0;
  for (const [, p] of model.namedParameters()) bytes += p.size * (p.dtype === "float32" || p.dtype === "int32" ? 4 : 1);
  for (const [, m] of model.namedModules()) if (m instanceof Linear4bit) bytes += m.weightBytes();
  return bytes;
}
