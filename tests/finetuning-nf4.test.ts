/**
 * NF4 quantisation (QLoRA, chapter 12) against independent computations: the NF4 table derived from
 * normal quantiles here (own erf + bisection), the CUDA kernel's published thresholds, float64
 * re-computations of codes and absmax, a numpy reference of bitsandbytes' default backend
 * (tests/fixtures/nf4/make_fixtures.py), and a tiny Llama run with dequantised fp32 weights.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { LlamaForCausalLM, initEngine, tf } from "../lib";
import { Linear } from "../lib/models/layers";
import {
  DYNAMIC_MAP,
  Linear4bit,
  NF4_CODE,
  createDynamicMap,
  dequantizeBlockwise,
  dequantizeNF4,
  nf4BlockAbsmax,
  nf4Index,
  nf4MemoryReport,
  quantizeBlockwise,
  quantizeModel,
  quantizeNF4,
} from "../lib/finetuning/nf4";

// bitsandbytes' published table (csrc kernels, `get_4bit_type("nf4")`), the spec the lib must hold.
const PUBLISHED_NF4 = [
  -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635, -0.18477343022823334,
  -0.09105003625154495, 0.0, 0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224,
  0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0,
];
// The decision-tree thresholds of the CUDA kernel `dQuantizeNF4` (x > t goes up), in order.
const CUDA_THRESHOLDS = [
  -0.8480964004993439, -0.6106329262256622, -0.4599952697753906, -0.33967943489551544, -0.23460740596055984,
  -0.13791173323988914, -0.045525018125772476, 0.03979014977812767, 0.1202552504837513, 0.2035212516784668,
  0.2920137718319893, 0.3893125355243683, 0.5016634166240692, 0.6427869200706482, 0.8614784181118011,
];

/** erf by its Taylor series (ample for |x| < 3 in float64). */
function erf(x: number): number {
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= (-x * x) / n;
    const add = term / (2 * n + 1);
    sum += add;
    if (Math.abs(add) < 1e-18) break;
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}
/** The standard normal quantile by bisection on the CDF. */
function normPpf(p: number): number {
  let lo = -8;
  let hi = 8;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (0.5 * (1 + erf(mid / Math.SQRT2)) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** create_normal_map(offset=0.9677083, use_extra_value=True): 8 positive, 0, 7 negative quantiles / max. */
function normalMap(linspace: (a: number, b: number, n: number) => number[], round: (x: number) => number): number[] {
  const offset = 0.9677083;
  const positive = linspace(offset, 0.5, 9).slice(0, -1).map((p) => normPpf(p));
  const negative = linspace(offset, 0.5, 8).slice(0, -1).map((p) => -normPpf(p));
  const values = [...positive, 0, ...negative].map(round).sort((a, b) => a - b);
  const max = values[values.length - 1];
  return values.map((v) => round(v / max));
}
const linspace64 = (a: number, b: number, n: number) => Array.from({ length: n }, (_, i) => a + ((b - a) * i) / (n - 1));
// torch.linspace in float32: step in float32, first half from start, second half back from end.
const linspace32 = (a: number, b: number, n: number) => {
  const [fa, fb] = [Math.fround(a), Math.fround(b)];
  const step = Math.fround((fb - fa) / (n - 1));
  return Array.from({ length: n }, (_, i) => (i < Math.floor(n / 2) ? Math.fround(fa + Math.fround(step * i)) : Math.fround(fb - Math.fround(step * (n - 1 - i)))));
};

function unpack(packed: Uint8Array, n: number): number[] {
  const codes: number[] = [];
  for (const byte of packed) codes.push(byte >> 4, byte & 15);
  return codes.slice(0, n);
}

/** Seeded standard normals (Box-Muller on a small LCG), for data independent of the lib's Rng. */
function normals(n: number, seed: number, std = 1): Float32Array {
  let s = seed >>> 0;
  const uniform = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 4294967296;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = std * Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  return out;
}

/** Nearest code by brute force in float64 (no ties in random data). */
function nearest(code: ArrayLike<number>, x: number): number {
  let best = 0;
  for (let k = 1; k < code.length; k++) if (Math.abs(x - code[k]) < Math.abs(x - code[best])) best = k;
  return best;
}

const fromB64 = (s: string) => Buffer.from(s, "base64");
const f32FromB64 = (s: string) => {
  const b = fromB64(s);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};

test("the NF4 table is bitsandbytes' and follows from the normal quantiles", () => {
  assert.deepEqual(Array.from(NF4_CODE), PUBLISHED_NF4.map(Math.fround));
  const exact64 = normalMap(linspace64, (x) => x);
  const torchLike = normalMap(linspace32, Math.fround);
  let worst64 = 0;
  for (let k = 0; k < 16; k++) {
    assert.ok(Math.abs(torchLike[k] - PUBLISHED_NF4[k]) < 1e-7, `float32 quantile ${k}: ${torchLike[k]} vs ${PUBLISHED_NF4[k]}`);
    worst64 = Math.max(worst64, Math.abs(exact64[k] - PUBLISHED_NF4[k]));
  }
  // With torch's float32 linspace the derivation reproduces the table to the bit; exact float64
  // probabilities move the values by up to 1.08e-7 (index 14), the float32 rounding of the linspace.
  assert.deepEqual(torchLike, PUBLISHED_NF4);
  assert.ok(worst64 < 2e-7 && worst64 > 1e-8, `float64 derivation off by ${worst64}`);
});

test("rounding: nearest code, exactly as the CUDA decision tree (ties go down)", () => {
  const cudaIndex = (x: number) => CUDA_THRESHOLDS.filter((t) => x > Math.fround(t)).length;
  const xs: number[] = [];
  for (let i = 0; i <= 4000; i++) xs.push(Math.fround(-1.05 + (2.1 * i) / 4000));
  const bits = new Float32Array(1);
  const ints = new Int32Array(bits.buffer);
  for (const t of CUDA_THRESHOLDS) {
    bits[0] = t;
    const at = bits[0];
    ints[0] += 1;
    const next = bits[0];
    ints[0] -= 2;
    const prev = bits[0];
    xs.push(at, next, prev);
    // At the fp32 midpoint itself the lower code wins; one ulp above (away from 0 for t > 0) the upper.
  }
  for (const x of xs) assert.equal(nf4Index(x), cudaIndex(x), `x = ${x}`);
  for (let k = 0; k < 15; k++) {
    const t = Math.fround(CUDA_THRESHOLDS[k]);
    assert.equal(nf4Index(t), k, `tie at threshold ${k} goes to the lower code`);
  }
  // Away from ties it is plain nearest-value rounding.
  for (const x of xs.slice(0, 4001)) {
    const d = Math.min(...CUDA_THRESHOLDS.map((t) => Math.abs(x - t)));
    if (d > 1e-6) assert.equal(nf4Index(x), nearest(PUBLISHED_NF4, x));
  }
  assert.equal(nf4Index(Number.NaN), 0);
});

test("packing: first element in the high nibble, hand-computed bytes", () => {
  // absmax 1: 1 -> 15, -1 -> 0, 0 -> 7, 0.5 -> 12 (0.4407 is nearer than 0.5626), -0.1 -> 6 (-0.0911).
  const q = quantizeNF4(Float32Array.from([1, -1, 0, 0.5, -0.1]));
  assert.deepEqual(Array.from(q.packed), [0xf0, 0x7c, 0x67]); // odd count: the pad nibble is the code of 0
  assert.deepEqual(Array.from(q.state.absmax!), [1]);
  const back = dequantizeNF4(q.packed, q.state);
  assert.deepEqual(Array.from(back), [1, -1, 0, NF4_CODE[12], NF4_CODE[6]]);
});

test("quantise / dequantise match an independent float64 computation, with padding", () => {
  const n = 64 * 37 + 29;
  const w = normals(n, 7, 0.02);
  const q = quantizeNF4(w, 64);
  assert.equal(q.packed.length, Math.ceil(n / 2));
  assert.equal(q.state.absmax!.length, 38);
  const codes = unpack(q.packed, n);
  const back = dequantizeNF4(q.packed, q.state);
  assert.equal(back.length, n);
  let maxDiff = 0;
  let maxErrRatio = 0;
  let sq = 0;
  for (let b = 0; b < 38; b++) {
    const block = Array.from(w.subarray(b * 64, Math.min(n, b * 64 + 64)));
    const absmax = Math.max(...block.map(Math.abs)); // the last block: only its 29 real values
    assert.equal(q.state.absmax![b], absmax);
    block.forEach((v, j) => {
      const i = b * 64 + j;
      assert.equal(codes[i], nearest(PUBLISHED_NF4, v / absmax), `code of element ${i}`);
      const want = PUBLISHED_NF4[codes[i]] * absmax;
      maxDiff = Math.max(maxDiff, Math.abs(back[i] - want) / absmax);
      maxErrRatio = Math.max(maxErrRatio, Math.abs(back[i] - v) / absmax);
      sq += (back[i] - v) ** 2;
    });
  }
  assert.ok(maxDiff < 1e-7, `dequantised vs float64: ${maxDiff}`);
  // No value is further than half the widest gap of the table (between -1 and -0.6962).
  const halfGap = Math.max(...PUBLISHED_NF4.slice(1).map((v, k) => (v - PUBLISHED_NF4[k]) / 2));
  assert.ok(maxErrRatio <= halfGap + 1e-7, `error / absmax ${maxErrRatio} > ${halfGap}`);
  console.log(`NF4 round trip of N(0, 0.02^2): RMSE ${Math.sqrt(sq / n).toExponential(3)}, max |err| / absmax ${maxErrRatio.toFixed(4)}`);
  // Odd length: the last byte's low nibble is the pad code (0 -> index 7).
  assert.equal(q.packed[q.packed.length - 1] & 15, 7);
});

test("values on the grid times absmax come back exactly", () => {
  const blocks = 9;
  const w = new Float32Array(64 * blocks + 10);
  let s = 3;
  for (let i = 0; i < w.length; i++) {
    const b = Math.floor(i / 64);
    const absmax = Math.fround(0.01 * (b + 1) * 1.37);
    s = (s * 1103515245 + 12345) % 2147483648;
    // The first element of each block is +-absmax itself, so absmax is what we chose.
    const k = i % 64 === 0 ? (b % 2 ? 0 : 15) : s % 16;
    w[i] = NF4_CODE[k] * absmax;
  }
  const q = quantizeNF4(w, 64);
  assert.deepEqual(Array.from(dequantizeNF4(q.packed, q.state)), Array.from(w));
});

test("bitsandbytes reference (numpy, default backend): packed bytes, absmax, double quantisation", () => {
  const ref = JSON.parse(fs.readFileSync(path.join(__dirname, "fixtures", "nf4", "reference.json"), "utf8"));
  const w = f32FromB64(ref.weights_f32);
  const plain = quantizeNF4(w, 64);
  assert.deepEqual(Buffer.from(plain.packed), fromB64(ref.packed_u8));
  assert.deepEqual(Array.from(plain.state.absmax!), ref.absmax);
  assert.deepEqual(Array.from(dequantizeNF4(plain.packed, plain.state)), Array.from(f32FromB64(ref.dequantized_f32)));
  // The all-zero block (block 5) gives code 0 everywhere, as torch.argmin / the CUDA tree on NaN.
  assert.ok(plain.packed.subarray(5 * 32, 6 * 32).every((b) => b === 0));

  const dq = quantizeNF4(w, { blockSize: 64, doubleQuant: true });
  assert.equal(dq.state.absmax, null);
  const nested = dq.state.nested!;
  assert.deepEqual(Buffer.from(dq.packed), Buffer.from(plain.packed)); // the 4-bit codes do not change
  assert.equal(nested.offset, ref.offset);
  assert.equal(nested.blockSize, 256);
  assert.deepEqual(Array.from(nested.quantizedAbsmax), ref.nested_codes);
  assert.deepEqual(Array.from(nested.absmax), ref.nested_absmax);
  assert.deepEqual(Array.from(dequantizeNF4(dq.packed, dq.state)), Array.from(f32FromB64(ref.dequantized_double_quant_f32)));
  assert.deepEqual(Array.from(DYNAMIC_MAP), ref.dynamic_map);

  // Independently in float64: offset = mean, 8-bit codes of (absmax - mean) / blockmax by nearest value.
  const absmax = plain.state.absmax!;
  const mean = absmax.reduce((a, b) => a + b, 0) / absmax.length;
  assert.ok(Math.abs(nested.offset - mean) < 1e-7 * mean);
  let worst = 0;
  const restored = nf4BlockAbsmax(dq.state);
  for (let b = 0; b < absmax.length; b++) {
    const j = Math.floor(b / 256);
    const group = Array.from(absmax.subarray(j * 256, j * 256 + 256)).map((a) => a - mean);
    const groupMax = Math.max(...group.map(Math.abs));
    assert.equal(nested.quantizedAbsmax[b], nearest(DYNAMIC_MAP, (absmax[b] - mean) / groupMax));
    worst = Math.max(worst, Math.abs(restored[b] - absmax[b]));
  }
  // Each restored absmax is within half a gap of the dynamic map (<= 0.0071) times its group's max.
  const groupMaxes = nested.absmax;
  console.log(`double quantisation: |absmax error| up to ${worst.toExponential(3)} (group maxima ${Array.from(groupMaxes).map((g) => g.toExponential(2))}, mean ${mean.toExponential(3)})`);
  assert.ok(worst <= 0.0071 * Math.max(...groupMaxes), `absmax restored: ${worst}`);
});

test("the dynamic 8-bit map against an independent formulation", () => {
  // Exponent e = 0..6: 2^e bin centres of [0.1, 1] times 10^(e-6), both signs; plus 0 and 1.
  const want: number[] = [0, 1];
  for (let e = 0; e < 7; e++) {
    for (let j = 0; j < 2 ** e; j++) {
      const v = 10 ** (e - 6) * (0.1 + (0.9 * (j + 0.5)) / 2 ** e);
      want.push(v, -v);
    }
  }
  want.sort((a, b) => a - b);
  const got = createDynamicMap();
  assert.equal(got.length, 256);
  for (let i = 0; i < 256; i++) assert.ok(Math.abs(got[i] - want[i]) <= 3e-7 * Math.abs(want[i]), `${i}: ${got[i]} vs ${want[i]}`);
  assert.equal(got[0], Math.fround(-0.99296875));
  assert.equal(got[127], 0);
  assert.equal(got[255], 1);
  // Blockwise 8-bit round trip: every value within half a gap of the map times its block's absmax.
  const x = normals(1000, 11);
  const q = quantizeBlockwise(x, { blockSize: 256 });
  const back = dequantizeBlockwise(q.codes, q.absmax, { blockSize: 256 });
  for (let i = 0; i < x.length; i++) {
    const a = q.absmax[Math.floor(i / 256)];
    assert.equal(q.codes[i], nearest(got, x[i] / a));
    assert.ok(Math.abs(back[i] - x[i]) <= 0.0071 * a);
  }
});

test("bad input gets clear errors", () => {
  assert.throws(() => quantizeNF4(Float32Array.from([1, Number.NaN])), /index 1 is NaN/);
  assert.throws(() => quantizeNF4(Float32Array.from([Infinity, 1])), /index 0 is Infinity/);
  assert.throws(() => quantizeNF4(Float32Array.from([1, 2]), 48), /power of two/);
  assert.throws(() => quantizeNF4(Float32Array.from([1, 2]), 0), /power of two/);
  assert.throws(() => quantizeNF4(Float32Array.from([1, 2]), 1.5), /power of two/);
  assert.throws(() => quantizeNF4(new Float32Array(0)), /no values/);
  assert.throws(() => quantizeNF4([1, 2] as unknown as Float32Array), /Float32Array/);
  assert.throws(() => quantizeNF4(new Float32Array(6), { shape: [4, 2] }), /shape \[4,2\] does not hold 6/);
  const q = quantizeNF4(new Float32Array(10));
  assert.throws(() => dequantizeNF4(q.packed.subarray(1), q.state), /do not hold 10/);
  assert.throws(() => nf4MemoryReport(0), /positive integer/);
  assert.throws(() => new Linear4bit(new Float32Array(6), 2, 4), /expected 2 x 4/);
});

test("memory report: exact bytes per parameter", () => {
  const n = 64 * 256 * 1000; // whole blocks and whole nested blocks
  const plain = nf4MemoryReport(n);
  assert.equal(plain.codeBytes, n / 2);
  assert.equal(plain.constantBytes, (4 * n) / 64);
  assert.equal(plain.bytesPerParam, 0.5 + 4 / 64); // 4.5 bits
  const dq = nf4MemoryReport(n, { doubleQuant: true });
  assert.equal(dq.constantBytes, n / 64 + (4 * n) / (64 * 256) + 4);
  assert.ok(Math.abs(dq.bitsPerParam - (4 + 8 / 64 + 32 / (64 * 256) + 32 / n)) < 1e-12);
  assert.ok(Math.abs(dq.constantBitsPerParam - 0.127) < 1e-3); // QLoRA: 8/64 + 32/(64*256) = 0.127 bits
  const tiny = nf4MemoryReport(1_100_048_384, { doubleQuant: true }); // TinyLlama-1.1B's parameter count
  const tinyPlain = nf4MemoryReport(1_100_048_384);
  console.log(
    `1.1B params: fp32 ${(tiny.fp32Bytes / 2 ** 30).toFixed(2)} GiB, NF4 ${(tinyPlain.totalBytes / 2 ** 30).toFixed(3)} GiB ` +
      `(${tinyPlain.bytesPerParam} B/param), NF4+DQ ${(tiny.totalBytes / 2 ** 30).toFixed(3)} GiB (${tiny.bytesPerParam.toFixed(6)} B/param)`,
  );
  assert.equal(tiny.codeBytes, 550_024_192);
});

test("Linear4bit: y = x W_deq^T + b, frozen bias, no weight variable, no gradient into the codes", async () => {
  await initEngine({ verbose: false });
  const w = normals(24 * 40, 5, 0.05);
  const bias = normals(24, 6, 0.1);
  const layer = new Linear4bit(w, 24, 40, bias, { doubleQuant: true });
  assert.deepEqual(layer.namedParameters().map(([name, p]) => [name, p.trainable]), [["bias", false]]);
  assert.equal(layer.trainableParameters().length, 0);
  assert.equal(layer.toString(), "Linear4bit(in_features=40, out_features=24, bias=True)");
  const deq = dequantizeNF4(layer.packed, layer.quantState);
  const x = tf.tensor3d(normals(2 * 3 * 40, 8), [2, 3, 40]);
  const before = tf.memory().numTensors;
  const y = layer.forward(x);
  assert.deepEqual(y.shape, [2, 3, 24]);
  const xs = x.dataSync();
  const ys = y.dataSync();
  let diff = 0;
  for (let r = 0; r < 6; r++) {
    for (let o = 0; o < 24; o++) {
      let s = bias[o];
      for (let i = 0; i < 40; i++) s += xs[r * 40 + i] * deq[o * 40 + i];
      diff = Math.max(diff, Math.abs(ys[r * 24 + o] - s));
    }
  }
  assert.ok(diff < 1e-5, `forward vs float64 ${diff}`);
  y.dispose();
  assert.equal(tf.memory().numTensors, before);
  // Gradients reach the input (for LoRA / earlier layers) but there is no weight variable to reach.
  const g = tf.grad((input: tf.Tensor) => tf.sum(layer.forward(input)))(x);
  const gs = g.dataSync();
  for (let i = 0; i < 40; i++) {
    let want = 0;
    for (let o = 0; o < 24; o++) want += deq[o * 40 + i];
    assert.ok(Math.abs(gs[i] - want) < 1e-5);
  }
  // An adapter hook (as LoRA attaches to Linear) adds its output to y.
  layer.adapter = { forward: (input: tf.Tensor) => tf.add(tf.mul(tf.sum(input, -1, true), 0), 2) };
  const withAdapter = layer.forward(x);
  const plain = tf.tidy(() => {
    const saved = layer.adapter;
    layer.adapter = null;
    const out = layer.forward(x);
    layer.adapter = saved;
    return out;
  });
  assert.ok(tf.tidy(() => tf.max(tf.abs(tf.sub(tf.sub(withAdapter, plain), 2))).dataSync()[0]) < 1e-6);
  tf.dispose([withAdapter, plain]);
  layer.adapter = null;
  // The only variable is the frozen bias, so an optimizer has nothing of this layer to update.
  assert.throws(() => tf.variableGrads(() => tf.sum(layer.forward(x)) as tf.Scalar), /none of the 1 variables is trainable/);
  tf.dispose([g, x]);
  layer.dispose();
});

test("quantizeModel: a tiny Llama equals the same model on dequantised weights", async () => {
  await initEngine({ verbose: false });
  const config = { vocab_size: 96, hidden_size: 64, intermediate_size: 128, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, tie_word_embeddings: false };
  const quantized = new LlamaForCausalLM(config, { seed: 3 });
  const reference = new LlamaForCausalLM(config, { seed: 3 });
  const ids = tf.tensor2d([[1, 5, 9, 22, 40, 7], [3, 3, 80, 11, 2, 60]], [2, 6], "int32");
  const original = reference.forward(ids).logits;

  const paramsBefore = quantized.numParameters();
  const replaced = quantizeModel(quantized, { doubleQuant: true });
  assert.equal(replaced.length, 2 * 7);
  assert.ok(replaced.includes("model.layers.1.mlp.down_proj"));
  assert.ok(!replaced.includes("lm_head"));
  assert.ok(quantized.model.layers[0].self_attn.q_proj instanceof Linear4bit); // the field follows the swap
  assert.ok(quantized.lm_head instanceof Linear);
  const names = quantized.namedParameters().map(([n]) => n);
  assert.ok(!names.some((n) => /layers\.\d+\.(self_attn|mlp)\.\w+\.weight$/.test(n)));
  assert.ok(quantized.numParameters() < paramsBefore);
  assert.match(quantized.toString(), /\(q_proj\): Linear4bit\(in_features=64, out_features=64, bias=False\)/);

  // The same model with each Linear's weight replaced by its dequantised fp32 weight.
  for (const [pathName, m] of quantized.namedModules()) {
    if (!(m instanceof Linear4bit)) continue;
    const target = reference.namedModules().find(([p]) => p === pathName)![1] as Linear;
    const deq = m.dequantizeWeight();
    target.weight.assign(deq);
    deq.dispose();
  }
  const before = tf.memory().numTensors;
  const got = quantized.forward(ids).logits;
  const want = reference.forward(ids).logits;
  const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(got, want))).dataSync()[0]);
  const noise = tf.tidy(() => tf.max(tf.abs(tf.sub(got, original))).dataSync()[0]);
  const scale = tf.tidy(() => tf.max(tf.abs(original)).dataSync()[0]);
  console.log(`tiny Llama: |NF4 - dequantised fp32| ${diff.toExponential(2)}; |NF4 - original fp32| ${noise.toExponential(3)} (logits up to ${scale.toFixed(3)})`);
  assert.ok(diff < 1e-5, `quantised vs dequantised-weights model: ${diff}`);
  assert.ok(noise > 0 && noise < 0.2 * scale, `quantisation noise ${noise}`);
  tf.dispose([got, want]);
  assert.equal(tf.memory().numTensors, before);

  // targetModules picks by name; names that match nothing are errors.
  const partial = new LlamaForCausalLM(config, { seed: 3 });
  assert.deepEqual(quantizeModel(partial, { targetModules: ["q_proj", "v_proj"] }).sort(), [
    "model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.v_proj", "model.layers.1.self_attn.q_proj", "model.layers.1.self_attn.v_proj",
  ]);
  assert.throws(() => quantizeModel(partial, { targetModules: ["query"] }), /'query' match no Linear layer/);
  tf.dispose([ids, original]);
  quantized.dispose();
  reference.dispose();
  partial.dispose();
});
