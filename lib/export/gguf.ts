/**
 * GGUF export of the lib's Llama models, so llama.cpp (and node-llama-cpp, Ollama, LM Studio) run them:
 * chapter 7's quantised local models, offline, on the lib's own `llama-mini-instruct`.
 *
 * The file is GGUF v3 laid out as llama.cpp's `gguf-py` writer and `convert_hf_to_gguf.py` (LlamaModel)
 * produce it:
 *
 * ```text
 * "GGUF" u32 version=3  u64 tensor_count  u64 kv_count
 * kv_count × (string key, u32 value type, value)            general.*, llama.*, tokenizer.*
 * tensor_count × (string name, u32 n_dims, u64 dims[n_dims] (innermost first), u32 ggml type, u64 offset)
 * padding to 32 bytes, then each tensor's data at its offset, each padded to 32 bytes
 * ```
 *
 * Strings are u64 length + UTF-8 bytes; everything is little-endian. Tensor names are llama.cpp's
 * (`token_embd`, `blk.N.attn_q` …, `output_norm`, `output`). The q / k projections are permuted as the
 * converter does: HF's Llama rotates the two halves of each head (rotate-half RoPE) while GGML's llama
 * rotates interleaved pairs, so the rows of each head are reordered (0, d/2, 1, d/2+1, …), which gives
 * the same attention scores.
 *
 * `dtype`: "f32" keeps every weight; "f16" stores matrices as IEEE half (norms stay f32, as the
 * converter); "q8_0" stores matrices in blocks of 32 values as one f16 scale d = max|x| / 127 and 32
 * int8 round(x / d) (34 bytes per block; a matrix whose rows are not a multiple of 32 falls back to f16).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import type { LlamaForCausalLM } from "../models/llama";
import type { HfTokenizer } from "../tokenizers/hf";

export type GgufDtype = "f32" | "f16" | "q8_0";

export interface SaveGgufOptions {
  /** Storage of the weight matrices (default "f32"). */
  dtype?: GgufDtype;
  /** `general.name` (default: the file name without extension). */
  name?: string;
  /** Overrides the tokenizer's chat template (`tokenizer.chat_template`); null writes none. */
  chatTemplate?: string | null;
}

/** One tensor as written: llama.cpp's name, its HF shape (outermost first) and ggml type. */
export interface GgufTensorSummary {
  name: string;
  shape: number[];
  type: "F32" | "F16" | "Q8_0";
  bytes: number;
}

export interface GgufSummary {
  file: string;
  bytes: number;
  tensors: GgufTensorSummary[];
  /** The metadata keys written, in order. */
  keys: string[];
}

// ----- GGUF constants (gguf-py's constants.py) --------------------------------------------------------

export const GGUF_MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
export const GGUF_VERSION = 3;
export const GGUF_DEFAULT_ALIGNMENT = 32;

/** GGUFValueType. */
export const GgufValueType = {
  UINT8: 0, INT8: 1, UINT16: 2, INT16: 3, UINT32: 4, INT32: 5, FLOAT32: 6, BOOL: 7, STRING: 8, ARRAY: 9, UINT64: 10, INT64: 11, FLOAT64: 12,
} as const;

/** GGMLQuantizationType (the three this writer uses). */
export const GgmlType = { F32: 0, F16: 1, Q8_0: 8 } as const;

/** LlamaFileType (`general.file_type`). */
const FILE_TYPE: Record<GgufDtype, number> = { f32: 0, f16: 1, q8_0: 7 };

/** llama.cpp's token types (`tokenizer.ggml.token_type`). */
export const GgufTokenType = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, USER_DEFINED: 4, UNUSED: 5, BYTE: 6 } as const;

export const Q8_0_BLOCK = 32;
const Q8_0_BLOCK_BYTES = 2 + Q8_0_BLOCK;

// ----- number conversions ------------------------------------------------------------------------------

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

/** float → IEEE 754 half bits, rounding to nearest even (as numpy's `astype(float16)`). */
export function floatToHalf(value: number): number {
  f32Scratch[0] = value;
  const x = u32Scratch[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // inf / NaN
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow → inf
  if (e <= 0) {
    if (e < -10) return sign; // underflow → ±0
    mant |= 0x800000; // subnormal half: shift the implicit 1 in
    const shift = 14 - e;
    const half = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const midpoint = 1 << (shift - 1);
    return sign | (rest > midpoint || (rest === midpoint && (half & 1)) ? half + 1 : half);
  }
  const half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (up to inf).
  return sign | (rest > 0x1000 || (rest === 0x1000 && (half & 1)) ? half + 1 : half);
}

/** Rounds half away from zero (gguf-py's `np_roundf`, C's `roundf`), not JS's half-up `Math.round`. */
function roundHalfAway(x: number): number {
  return Math.sign(x) * Math.floor(Math.abs(x) + 0.5);
}

/**
 * Q8_0 blocks of `values` (length a multiple of 32): per block an f16 scale d = max|x| / 127 and
 * 32 int8 q = round(x / d), as gguf-py's quantiser (the reciprocal is taken in float32 before rounding).
 */
export function quantizeQ8_0(values: Float32Array): Uint8Array {
  if (values.length % Q8_0_BLOCK !== 0) throw new Error(`quantizeQ8_0: ${values.length} values is not a multiple of ${Q8_0_BLOCK}`);
  const blocks = values.length / Q8_0_BLOCK;
  const out = new Uint8Array(blocks * Q8_0_BLOCK_BYTES);
  const view = new DataView(out.buffer);
  for (let b = 0; b < blocks; b++) {
    const base = b * Q8_0_BLOCK;
    let amax = 0;
    for (let i = 0; i < Q8_0_BLOCK; i++) amax = Math.max(amax, Math.abs(values[base + i]));
    const d = Math.fround(amax / 127);
    const inv = d === 0 ? 0 : Math.fround(1 / d);
    const at = b * Q8_0_BLOCK_BYTES;
    view.setUint16(at, floatToHalf(d), true);
    for (let i = 0; i < Q8_0_BLOCK; i++) view.setInt8(at + 2 + i, roundHalfAway(Math.fround(values[base + i] * inv)));
  }
  return out;
}

/**
 * convert_hf_to_gguf's `permute` for Llama's q / k weights ([nHead·d, cols], row-major): within each
 * head, new row 2i is old row i and new row 2i+1 is old row d/2 + i (rotate-half → interleaved RoPE).
 */
export function permuteForGgmlRope(weight: Float32Array, rows: number, cols: number, nHead: number): Float32Array {
  if (rows % nHead !== 0 || (rows / nHead) % 2 !== 0) throw new Error(`permuteForGgmlRope: ${rows} rows do not split into ${nHead} heads of even size`);
  const d = rows / nHead;
  const out = new Float32Array(weight.length);
  for (let h = 0; h < nHead; h++) {
    for (let i = 0; i < d / 2; i++) {
      for (let j = 0; j < 2; j++) {
        const src = (h * d + j * (d / 2) + i) * cols;
        out.set(weight.subarray(src, src + cols), (h * d + 2 * i + j) * cols);
      }
    }
  }
  return out;
}

// ----- metadata encoding ---------------------------------------------------------------------------------

type KvValue =
  | { type: "u32"; value: number }
  | { type: "f32"; value: number }
  | { type: "bool"; value: boolean }
  | { type: "str"; value: string }
  | { type: "str[]"; value: string[] }
  | { type: "i32[]"; value: number[] };

/** Growable little-endian byte writer for the header. */
class ByteWriter {
  private buf = Buffer.alloc(1 << 16);
  length = 0;
  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }
  u32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32LE(v, this.length);
    this.length += 4;
  }
  i32(v: number): void {
    this.ensure(4);
    this.buf.writeInt32LE(v, this.length);
    this.length += 4;
  }
  u64(v: number): void {
    this.ensure(8);
    this.buf.writeBigUInt64LE(BigInt(v), this.length);
    this.length += 8;
  }
  f32(v: number): void {
    this.ensure(4);
    this.buf.writeFloatLE(v, this.length);
    this.length += 4;
  }
  u8(v: number): void {
    this.ensure(1);
    this.buf[this.length++] = v;
  }
  str(s: string): void {
    const bytes = Buffer.from(s, "utf8");
    this.u64(bytes.length);
    this.ensure(bytes.length);
    bytes.copy(this.buf, this.length);
    this.length += bytes.length;
  }
  pad(alignment: number): void {
    const n = (alignment - (this.length % alignment)) % alignment;
    this.ensure(n);
    this.buf.fill(0, this.length, this.length + n);
    this.length += n;
  }
  bytes(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}

function writeKv(w: ByteWriter, key: string, v: KvValue): void {
  w.str(key);
  const T = GgufValueType;
  switch (v.type) {
    case "u32": w.u32(T.UINT32); w.u32(v.value); break;
    case "f32": w.u32(T.FLOAT32); w.f32(v.value); break;
    case "bool": w.u32(T.BOOL); w.u8(v.value ? 1 : 0); break;
    case "str": w.u32(T.STRING); w.str(v.value); break;
    case "str[]": w.u32(T.ARRAY); w.u32(T.STRING); w.u64(v.value.length); v.value.forEach((s) => w.str(s)); break;
    case "i32[]": w.u32(T.ARRAY); w.u32(T.INT32); w.u64(v.value.length); v.value.forEach((x) => w.i32(x)); break;
  }
}

// ----- model and tokenizer → GGUF ------------------------------------------------------------------------

interface PendingTensor {
  name: string;
  shape: number[]; // HF order, outermost first
  type: "F32" | "F16" | "Q8_0";
  data: () => Uint8Array;
  bytes: number;
}

function tensorBytes(shape: number[], type: PendingTensor["type"]): number {
  const n = shape.reduce((a, b) => a * b, 1);
  return type === "F32" ? 4 * n : type === "F16" ? 2 * n : (n / Q8_0_BLOCK) * Q8_0_BLOCK_BYTES;
}

function encodeValues(values: Float32Array, type: PendingTensor["type"]): Uint8Array {
  if (type === "F32") return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  if (type === "F16") {
    const half = new Uint16Array(values.length);
    for (let i = 0; i < values.length; i++) half[i] = floatToHalf(values[i]);
    return new Uint8Array(half.buffer);
  }
  return quantizeQ8_0(values);
}

/** The llama.cpp tensors of a Llama model, in the converter's order, with HF → GGUF names. */
function collectTensors(model: LlamaForCausalLM, dtype: GgufDtype): PendingTensor[] {
  const c = model.config;
  const params = new Map(model.namedParameters());
  const used = new Set<string>();
  const take = (hfName: string): tf.Variable => {
    const p = params.get(hfName);
    if (!p) throw new Error(`saveGguf: the model has no parameter '${hfName}'`);
    used.add(hfName);
    return p;
  };
  const nHead = c.num_attention_heads;
  const nKv = c.num_key_value_heads ?? nHead;
  const out: PendingTensor[] = [];
  const add = (ggufName: string, hfName: string, permuteHeads?: number) => {
    const p = take(hfName);
    const shape = p.shape.slice();
    let type: PendingTensor["type"] = "F32";
    if (shape.length === 2 && dtype !== "f32") type = dtype === "q8_0" && shape[1] % Q8_0_BLOCK === 0 ? "Q8_0" : "F16";
    out.push({
      name: ggufName,
      shape,
      type,
      bytes: tensorBytes(shape, type),
      data: () => {
        let values = p.dataSync() as Float32Array;
        if (permuteHeads !== undefined) values = permuteForGgmlRope(values, shape[0], shape[1], permuteHeads);
        return encodeValues(values, type);
      },
    });
  };
  add("token_embd.weight", "model.embed_tokens.weight");
  for (let i = 0; i < c.num_hidden_layers; i++) {
    const hf = `model.layers.${i}.`;
    const g = `blk.${i}.`;
    add(`${g}attn_norm.weight`, `${hf}input_layernorm.weight`);
    add(`${g}attn_q.weight`, `${hf}self_attn.q_proj.weight`, nHead);
    add(`${g}attn_k.weight`, `${hf}self_attn.k_proj.weight`, nKv);
    add(`${g}attn_v.weight`, `${hf}self_attn.v_proj.weight`);
    add(`${g}attn_output.weight`, `${hf}self_attn.o_proj.weight`);
    add(`${g}ffn_norm.weight`, `${hf}post_attention_layernorm.weight`);
    add(`${g}ffn_gate.weight`, `${hf}mlp.gate_proj.weight`);
    add(`${g}ffn_up.weight`, `${hf}mlp.up_proj.weight`);
    add(`${g}ffn_down.weight`, `${hf}mlp.down_proj.weight`);
  }
  add("output_norm.weight", "model.norm.weight");
  // Tied embeddings: llama.cpp falls back to token_embd when `output` is absent.
  if (!c.tie_word_embeddings) add("output.weight", "lm_head.weight");
  const extra = [...params.keys()].filter((k) => !used.has(k));
  if (extra.length > 0) {
    throw new Error(
      `saveGguf: the model has parameters llama.cpp's llama has no place for (${extra.slice(0, 4).join(", ")}${extra.length > 4 ? ", …" : ""}); ` +
        "merge LoRA adapters first (mergeAndUnload) and use attention_bias / mlp_bias false",
    );
  }
  return out;
}

/** tokenizer.ggml.* for a byte-level BPE tokenizer (llama.cpp's "gpt2" tokenizer model). */
function tokenizerKvs(tokenizer: HfTokenizer, vocabSize: number): Array<[string, KvValue]> {
  const json = tokenizer.tokenizerJsonContent as Record<string, any>;
  const model = json.model as Record<string, any> | undefined;
  if (!model || model.type !== "BPE") {
    throw new Error(`saveGguf: only byte-level BPE tokenizers are supported (tokenizer.json model.type is ${model ? model.type : "missing"}); SentencePiece-style Llama tokenizers need scores this writer does not emit`);
  }
  const pieces = [json.pre_tokenizer, ...(((json.pre_tokenizer ?? {}).pretokenizers as unknown[]) ?? [])];
  if (!pieces.some((p) => p && (p as Record<string, unknown>).type === "ByteLevel")) {
    throw new Error("saveGguf: the tokenizer's pre-tokenizer is not ByteLevel; llama.cpp's gpt2 tokenizer model needs byte-level BPE");
  }
  const vocab = tokenizer.getVocab();
  const tokens = new Array<string | undefined>(vocabSize);
  for (const [token, id] of vocab) {
    if (id >= vocabSize) throw new Error(`saveGguf: token '${token}' has id ${id}, beyond the model's vocab_size ${vocabSize}`);
    tokens[id] = token;
  }
  const types = new Array<number>(vocabSize).fill(GgufTokenType.NORMAL);
  for (const t of (json.added_tokens as Array<Record<string, unknown>>) ?? []) {
    const id = t.id as number;
    if (id < vocabSize) types[id] = t.special ? GgufTokenType.CONTROL : GgufTokenType.USER_DEFINED;
  }
  const names: string[] = [];
  for (let i = 0; i < vocabSize; i++) {
    const t = tokens[i];
    if (t === undefined) {
      names.push(`[PAD${i}]`); // the converter's filler for unused ids
      types[i] = GgufTokenType.UNUSED;
    } else names.push(t);
  }
  const merges = ((model.merges as unknown[]) ?? []).map((m) => (Array.isArray(m) ? m.join(" ") : String(m)));

  const kvs: Array<[string, KvValue]> = [
    ["tokenizer.ggml.model", { type: "str", value: "gpt2" }],
    // GPT-2's split regex, the one HF's ByteLevel(use_regex) pre-tokenizer applies.
    ["tokenizer.ggml.pre", { type: "str", value: "gpt-2" }],
    ["tokenizer.ggml.tokens", { type: "str[]", value: names }],
    ["tokenizer.ggml.token_type", { type: "i32[]", value: types }],
    ["tokenizer.ggml.merges", { type: "str[]", value: merges }],
  ];
  const special: Array<[string, number | null]> = [
    ["bos_token_id", tokenizer.bosTokenId],
    ["eos_token_id", tokenizer.eosTokenId],
    ["unknown_token_id", tokenizer.unkTokenId],
    ["padding_token_id", tokenizer.padTokenId],
  ];
  for (const [key, id] of special) if (id !== null && id !== undefined) kvs.push([`tokenizer.ggml.${key}`, { type: "u32", value: id }]);
  // Whether encoding adds BOS / EOS, read from the tokenizer's behaviour so llama.cpp tokenizes alike.
  const withSpecials = tokenizer.encode("a");
  const plain = tokenizer.encode("a", { addSpecialTokens: false });
  const bos = tokenizer.bosTokenId;
  const eos = tokenizer.eosTokenId;
  kvs.push(["tokenizer.ggml.add_bos_token", { type: "bool", value: bos !== null && withSpecials.length > plain.length && withSpecials[0] === bos }]);
  kvs.push(["tokenizer.ggml.add_eos_token", { type: "bool", value: eos !== null && withSpecials.length > plain.length && withSpecials[withSpecials.length - 1] === eos }]);
  return kvs;
}

/**
 * Writes `model` (the lib's `LlamaForCausalLM`) and its byte-level BPE `tokenizer` as one GGUF file
 * that llama.cpp loads (`llama` architecture). Written to a temporary file, then renamed into place.
 */
export function saveGguf(model: LlamaForCausalLM, tokenizer: HfTokenizer, file: string, opts: SaveGgufOptions = {}): GgufSummary {
  const dtype = opts.dtype ?? "f32";
  if (!(dtype in FILE_TYPE)) throw new Error(`saveGguf: dtype must be "f32", "f16" or "q8_0", got ${JSON.stringify(dtype)}`);
  const c = model?.config;
  if (!c || !Array.isArray(model.namedParameters?.())) throw new TypeError("saveGguf: model must be the lib's LlamaForCausalLM");
  if (c.model_type !== "llama") throw new Error(`saveGguf: only model_type "llama" is supported (got "${c.model_type}"); Phi-3 needs its own GGUF architecture`);
  const scalingType = c.rope_scaling ? c.rope_scaling.rope_type ?? c.rope_scaling.type : null;
  if (c.rope_scaling && (scalingType !== "linear" || !(typeof c.rope_scaling.factor === "number" && c.rope_scaling.factor > 0))) {
    throw new Error(`saveGguf: rope_scaling ${JSON.stringify(c.rope_scaling)} is not supported (plain or linear RoPE only)`);
  }
  if (c.hidden_act !== "silu") throw new Error(`saveGguf: llama.cpp's llama uses SiLU; this model's hidden_act is ${c.hidden_act}`);
  if (!tokenizer || typeof tokenizer.getVocab !== "function" || !tokenizer.tokenizerJsonContent) throw new TypeError("saveGguf: tokenizer must be an HfTokenizer (AutoTokenizer.fromPretrained)");

  const nHead = c.num_attention_heads;
  const headDim = c.head_dim ?? c.hidden_size / nHead;
  const name = opts.name ?? path.basename(file).replace(/\.gguf$/i, "");
  const kvs: Array<[string, KvValue]> = [
    ["general.architecture", { type: "str", value: "llama" }],
    ["general.name", { type: "str", value: name }],
    ["llama.vocab_size", { type: "u32", value: c.vocab_size }],
    ["llama.context_length", { type: "u32", value: c.max_position_embeddings }],
    ["llama.embedding_length", { type: "u32", value: c.hidden_size }],
    ["llama.block_count", { type: "u32", value: c.num_hidden_layers }],
    ["llama.feed_forward_length", { type: "u32", value: c.intermediate_size }],
    ["llama.rope.dimension_count", { type: "u32", value: headDim }],
    ["llama.attention.head_count", { type: "u32", value: nHead }],
    ["llama.attention.head_count_kv", { type: "u32", value: c.num_key_value_heads ?? nHead }],
    ["llama.rope.freq_base", { type: "f32", value: c.rope_theta }],
    ["llama.attention.layer_norm_rms_epsilon", { type: "f32", value: c.rms_norm_eps }],
  ];
  if (headDim !== c.hidden_size / nHead) {
    kvs.push(["llama.attention.key_length", { type: "u32", value: headDim }], ["llama.attention.value_length", { type: "u32", value: headDim }]);
  }
  if (c.rope_scaling) {
    kvs.push(["llama.rope.scaling.type", { type: "str", value: "linear" }], ["llama.rope.scaling.factor", { type: "f32", value: c.rope_scaling.factor as number }]);
  }
  kvs.push(["general.file_type", { type: "u32", value: FILE_TYPE[dtype] }]);
  if (dtype === "q8_0") kvs.push(["general.quantization_version", { type: "u32", value: 2 }]);
  kvs.push(...tokenizerKvs(tokenizer, c.vocab_size));
  const template = opts.chatTemplate === undefined ? tokenizer.chatTemplate : opts.chatTemplate;
  if (template) kvs.push(["tokenizer.chat_template", { type: "str", value: template }]);

  const tensors = collectTensors(model, dtype);
  const header = new ByteWriter();
  header.u32(GGUF_MAGIC);
  header.u32(GGUF_VERSION);
  header.u64(tensors.length);
  header.u64(kvs.length);
  for (const [key, value] of kvs) writeKv(header, key, value);
  const align = GGUF_DEFAULT_ALIGNMENT;
  let offset = 0;
  for (const t of tensors) {
    header.str(t.name);
    header.u32(t.shape.length);
    for (let d = t.shape.length - 1; d >= 0; d--) header.u64(t.shape[d]); // ggml order: innermost first
    header.u32(GgmlType[t.type]);
    header.u64(offset);
    offset += t.bytes + ((align - (t.bytes % align)) % align);
  }
  header.pad(align);

  // Streamed tensor by tensor (a real checkpoint does not fit one Buffer), into a temp file renamed at the end.
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = path.join(path.dirname(path.resolve(file)), `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  const zeros = Buffer.alloc(align);
  let total = 0;
  const fd = fs.openSync(tmp, "w");
  try {
    const writeAll = (bytes: Uint8Array) => {
      let done = 0;
      while (done < bytes.length) done += fs.writeSync(fd, bytes, done, bytes.length - done);
      total += bytes.length;
    };
    writeAll(header.bytes());
    for (const t of tensors) {
      const bytes = t.data();
      if (bytes.length !== t.bytes) throw new Error(`saveGguf: internal size mismatch for ${t.name}`);
      writeAll(bytes);
      const pad = (align - (bytes.length % align)) % align;
      if (pad) writeAll(zeros.subarray(0, pad));
    }
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fs.renameSync(tmp, file);
  } catch (e) {
    try {
      fs.closeSync(fd);
    } catch {
      // already closed
    }
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  return {
    file,
    bytes: total,
    tensors: tensors.map((t) => ({ name: t.name, shape: t.shape, type: t.type, bytes: t.bytes })),
    keys: kvs.map(([k]) => k),
  };
}
