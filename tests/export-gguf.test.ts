import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { initEngine } from "../lib/engine";
import { LlamaForCausalLM } from "../lib/models/llama";
import { AutoTokenizer, HfTokenizer } from "../lib/tokenizers/hf";
import { halfToFloat } from "../lib/models/safetensors";
import { saveGguf } from "../lib/export/gguf";

const MODEL_DIR = path.join(__dirname, "..", "data", "models", "llama-mini-instruct");

// ----- an independent GGUF reader (spec: magic, version, counts, KVs, tensor infos, aligned data) -----
interface GgufTensorInfo { name: string; dims: number[]; type: number; offset: number }
interface GgufFile { version: number; kv: Map<string, unknown>; kvTypes: Map<string, number>; tensors: GgufTensorInfo[]; dataStart: number; buf: Buffer }

function readGguf(file: string): GgufFile {
  const buf = fs.readFileSync(file);
  let p = 0;
  const u32 = () => { const v = buf.readUInt32LE(p); p += 4; return v; };
  const u64 = () => { const v = Number(buf.readBigUInt64LE(p)); p += 8; return v; };
  const str = () => { const n = u64(); const s = buf.toString("utf8", p, p + n); p += n; return s; };
  const value = (type: number): unknown => {
    switch (type) {
      case 0: return buf.readUInt8(p++);
      case 1: return buf.readInt8(p++);
      case 4: return u32();
      case 5: { const v = buf.readInt32LE(p); p += 4; return v; }
      case 6: { const v = buf.readFloatLE(p); p += 4; return v; }
      case 7: return buf.readUInt8(p++) !== 0;
      case 8: return str();
      case 9: { const t = u32(); const n = u64(); return Array.from({ length: n }, () => value(t)); }
      case 10: return u64();
      default: throw new Error(`reader: value type ${type} not handled`);
    }
  };
  assert.equal(buf.toString("latin1", 0, 4), "GGUF");
  p = 4;
  const version = u32();
  const nTensors = u64();
  const nKv = u64();
  const kv = new Map<string, unknown>();
  const kvTypes = new Map<string, number>();
  for (let i = 0; i < nKv; i++) { const k = str(); const t = u32(); kvTypes.set(k, t); kv.set(k, value(t)); }
  const tensors: GgufTensorInfo[] = [];
  for (let i = 0; i < nTensors; i++) {
    const name = str();
    const nd = u32();
    const dims = Array.from({ length: nd }, () => u64());
    tensors.push({ name, dims, type: u32(), offset: u64() });
  }
  const alignment = (kv.get("general.alignment") as number | undefined) ?? 32;
  const dataStart = Math.ceil(p / alignment) * alignment;
  return { version, kv, kvTypes, tensors, dataStart, buf };
}

function f32Data(g: GgufFile, t: GgufTensorInfo): Float32Array {
  const n = t.dims.reduce((a, b) => a * b, 1);
  const at = g.dataStart + t.offset;
  return new Float32Array(g.buf.buffer.slice(g.buf.byteOffset + at, g.buf.byteOffset + at + 4 * n));
}

let model: LlamaForCausalLM;
let tok: HfTokenizer;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "gguf-test-"));

test.before(async () => {
  await initEngine();
  model = LlamaForCausalLM.fromFolder(MODEL_DIR);
  tok = await AutoTokenizer.fromPretrained(MODEL_DIR);
});
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test("f32 GGUF: header, llama metadata, tokenizer and tensor infos as llama.cpp expects", () => {
  const file = path.join(tmp, "m-f32.gguf");
  const summary = saveGguf(model, tok, file, { dtype: "f32" });
  const g = readGguf(file);
  const c = model.config;
  assert.equal(g.version, 3);
  assert.equal(summary.bytes, g.buf.length);
  assert.equal(g.kv.get("general.architecture"), "llama");
  assert.equal(g.kv.get("llama.context_length"), 256);
  assert.equal(g.kv.get("llama.embedding_length"), 192);
  assert.equal(g.kv.get("llama.block_count"), 4);
  assert.equal(g.kv.get("llama.feed_forward_length"), 512);
  assert.equal(g.kv.get("llama.attention.head_count"), 6);
  assert.equal(g.kv.get("llama.attention.head_count_kv"), 2);
  assert.equal(g.kv.get("llama.rope.dimension_count"), 32);
  assert.equal(g.kv.get("llama.rope.freq_base"), 10000);
  assert.equal(g.kvTypes.get("llama.attention.layer_norm_rms_epsilon"), 6);
  assert.ok(Math.abs((g.kv.get("llama.attention.layer_norm_rms_epsilon") as number) - 1e-5) < 1e-10);
  assert.equal(g.kv.get("general.file_type"), 0);
  assert.equal(g.kv.get("tokenizer.ggml.model"), "gpt2");
  const tokens = g.kv.get("tokenizer.ggml.tokens") as string[];
  assert.equal(tokens.length, c.vocab_size);
  for (const id of [0, 1, 2, 3, 4, 5, 100, 4095]) assert.equal(tokens[id], tok.convertIdsToTokens(id));
  const types = g.kv.get("tokenizer.ggml.token_type") as number[];
  assert.deepEqual(types.slice(0, 7), [3, 3, 3, 3, 3, 3, 1]); // the six specials are control tokens
  const tokJson = JSON.parse(fs.readFileSync(path.join(MODEL_DIR, "tokenizer.json"), "utf8"));
  const merges = g.kv.get("tokenizer.ggml.merges") as string[];
  assert.equal(merges.length, tokJson.model.merges.length);
  assert.equal(merges[0], [].concat(tokJson.model.merges[0]).join(" "));
  assert.equal(g.kv.get("tokenizer.ggml.bos_token_id"), 1);
  assert.equal(g.kv.get("tokenizer.ggml.eos_token_id"), 2);
  assert.equal(g.kv.get("tokenizer.ggml.unknown_token_id"), 0);
  assert.equal(g.kv.get("tokenizer.ggml.padding_token_id"), 2);
  assert.equal(g.kv.get("tokenizer.ggml.add_bos_token"), false); // the lib's tokenizer adds none
  assert.equal(g.kv.get("tokenizer.chat_template"), tok.chatTemplate);

  const names = g.tensors.map((t) => t.name);
  assert.equal(names.length, 2 + 9 * 4 + 1);
  for (const n of ["token_embd.weight", "output_norm.weight", "output.weight", "blk.3.attn_q.weight", "blk.0.attn_k.weight", "blk.0.attn_v.weight",
    "blk.0.attn_output.weight", "blk.0.ffn_gate.weight", "blk.0.ffn_up.weight", "blk.0.ffn_down.weight", "blk.0.attn_norm.weight", "blk.0.ffn_norm.weight"]) {
    assert.ok(names.includes(n), n);
  }
  const byName = new Map(g.tensors.map((t) => [t.name, t]));
  assert.deepEqual(byName.get("token_embd.weight")!.dims, [192, 4096]); // ggml order: innermost first
  assert.deepEqual(byName.get("blk.0.attn_k.weight")!.dims, [192, 64]);
  assert.deepEqual(byName.get("blk.0.ffn_down.weight")!.dims, [512, 192]);
  assert.deepEqual(byName.get("output_norm.weight")!.dims, [192]);
  let end = 0;
  for (const t of g.tensors) {
    assert.equal(t.type, 0);
    assert.equal(t.offset % 32, 0, `${t.name} offset aligned`);
    assert.ok(t.offset >= end, `${t.name} does not overlap the previous tensor`);
    end = t.offset + 4 * t.dims.reduce((a, b) => a * b, 1);
  }
  assert.ok(g.dataStart + end <= g.buf.length);

  // Values: exact, and q / k rows permuted per head (new row h·d + 2i + j = old row h·d + j·d/2 + i).
  const params = new Map(model.namedParameters());
  assert.deepEqual(f32Data(g, byName.get("token_embd.weight")!), params.get("model.embed_tokens.weight")!.dataSync());
  assert.deepEqual(f32Data(g, byName.get("output.weight")!), params.get("lm_head.weight")!.dataSync());
  assert.deepEqual(f32Data(g, byName.get("blk.2.attn_v.weight")!), params.get("model.layers.2.self_attn.v_proj.weight")!.dataSync());
  assert.deepEqual(f32Data(g, byName.get("blk.1.ffn_norm.weight")!), params.get("model.layers.1.post_attention_layernorm.weight")!.dataSync());
  for (const [gg, hf, heads] of [["blk.1.attn_q.weight", "model.layers.1.self_attn.q_proj.weight", 6], ["blk.1.attn_k.weight", "model.layers.1.self_attn.k_proj.weight", 2]] as const) {
    const src = params.get(hf)!.dataSync();
    const dst = f32Data(g, byName.get(gg)!);
    const cols = 192, d = 32;
    for (let h = 0; h < heads; h++) for (let i = 0; i < d / 2; i++) for (let j = 0; j < 2; j++) {
      const a = (h * d + 2 * i + j) * cols, b = (h * d + j * (d / 2) + i) * cols;
      for (let k = 0; k < cols; k += 37) assert.equal(dst[a + k], src[b + k]);
    }
  }
});

test("the q/k permutation turns HF's rotate-half RoPE into GGML's interleaved RoPE (same scores)", () => {
  // float64, independent of the lib: score(q, k) at positions m, n with both RoPE conventions.
  const d = 8, theta = 10000, m = 5, n = 2;
  const freq = (i: number) => Math.pow(theta, (-2 * i) / d);
  const rotateHalf = (x: number[], pos: number) => x.map((_, t) => {
    const i = t % (d / 2), a = pos * freq(i);
    return t < d / 2 ? x[t] * Math.cos(a) - x[t + d / 2] * Math.sin(a) : x[t] * Math.cos(a) + x[t - d / 2] * Math.sin(a);
  });
  const interleaved = (x: number[], pos: number) => x.map((_, t) => {
    const i = Math.floor(t / 2), a = pos * freq(i);
    return t % 2 === 0 ? x[t] * Math.cos(a) - x[t + 1] * Math.sin(a) : x[t] * Math.cos(a) + x[t - 1] * Math.sin(a);
  });
  const perm = (x: number[]) => x.map((_, t) => x[(t % 2) * (d / 2) + Math.floor(t / 2)]);
  const q = [0.3, -1.2, 0.5, 2.0, -0.7, 0.1, 0.9, -0.4], k = [1.1, 0.2, -0.3, 0.8, 0.6, -1.5, 0.05, 0.7];
  const dot = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i], 0);
  assert.ok(Math.abs(dot(rotateHalf(q, m), rotateHalf(k, n)) - dot(interleaved(perm(q), m), interleaved(perm(k), n))) < 1e-12);
});

test("q8_0 and f16 GGUF: values within their quantisation error, norms kept f32", () => {
  const params = new Map(model.namedParameters());
  const q8 = readGguf(saveGguf(model, tok, path.join(tmp, "m-q8.gguf"), { dtype: "q8_0" }).file);
  assert.equal(q8.kv.get("general.file_type"), 7);
  const byName = new Map(q8.tensors.map((t) => [t.name, t]));
  assert.equal(byName.get("blk.0.attn_norm.weight")!.type, 0);
  for (const [gg, hf] of [["blk.0.ffn_down.weight", "model.layers.0.mlp.down_proj.weight"], ["token_embd.weight", "model.embed_tokens.weight"]]) {
    const t = byName.get(gg)!;
    assert.equal(t.type, 8);
    const src = params.get(hf)!.dataSync();
    const at = q8.dataStart + t.offset;
    let worst = 0;
    for (let b = 0; b < src.length / 32; b++) {
      const d16 = halfToFloat(q8.buf.readUInt16LE(at + b * 34));
      let amax = 0;
      for (let i = 0; i < 32; i++) amax = Math.max(amax, Math.abs(src[b * 32 + i]));
      const d = amax / 127; // float64
      assert.ok(Math.abs(d16 - d) <= d * 2 ** -11 + 1e-30, "the scale is max|x|/127 in f16");
      let qmax = 0;
      for (let i = 0; i < 32; i++) {
        const q = q8.buf.readInt8(at + b * 34 + 2 + i);
        qmax = Math.max(qmax, Math.abs(q));
        const err = Math.abs(q * d16 - src[b * 32 + i]);
        // rounding to the grid (half a step) + the f16 scale's error times |q| ≤ 127, + float32 slack
        assert.ok(err <= 0.5 * d + 127 * Math.abs(d16 - d) + 1e-7, `${gg} block ${b} value ${i}: error ${err}`);
        worst = Math.max(worst, err / (d || 1));
      }
      if (amax > 0) assert.equal(qmax, 127);
    }
    assert.ok(worst > 0.3, "the error bound is not vacuous: some values do round");
  }
  const f16 = readGguf(saveGguf(model, tok, path.join(tmp, "m-f16.gguf"), { dtype: "f16" }).file);
  const t = f16.tensors.find((x) => x.name === "blk.2.ffn_up.weight")!;
  assert.equal(t.type, 1);
  const src = params.get("model.layers.2.mlp.up_proj.weight")!.dataSync();
  for (let i = 0; i < src.length; i += 13) {
    const v = halfToFloat(f16.buf.readUInt16LE(f16.dataStart + t.offset + 2 * i));
    assert.ok(Math.abs(v - src[i]) <= Math.abs(src[i]) * 2 ** -11 + 2 ** -25, `f16 value ${i}`);
  }
  assert.ok(fs.statSync(path.join(tmp, "m-q8.gguf")).size < fs.statSync(path.join(tmp, "m-f16.gguf")).size);
});

test("bad input: a clear error, no file left behind", () => {
  const file = path.join(tmp, "bad.gguf");
  assert.throws(() => saveGguf(model, tok, file, { dtype: "q4_0" as never }), /dtype must be "f32", "f16" or "q8_0"/);
  assert.throws(() => saveGguf({} as never, tok, file), /LlamaForCausalLM/);
  assert.throws(() => saveGguf(model, {} as never, file), /HfTokenizer/);
  assert.ok(!fs.existsSync(file));
  assert.deepEqual(fs.readdirSync(tmp).filter((f) => f.endsWith(".tmp")), []);
});
