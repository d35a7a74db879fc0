/**
 * `npm run bench -- qlora-step` and `npm run bench -- dpo-step`: one QLoRA training step of a Llama
 * (chapter 12) as the book sets it up — base weights in NF4 with double quantisation (block 64),
 * LoRA r 64, alpha 32, dropout 0.1 on the seven projections, AdamW on the adapters (weight decay 0, as
 * HF's TrainingArguments), gradient norm clipped at 1.0 — timed as the median of `--steps` steps after
 * `--warmup` steps. dpo-step puts chosen + rejected rows through the policy (adapters on, with gradient)
 * and the reference (the same model with adapters disabled, outside the gradient tape: trl's no_grad),
 * then trl's sigmoid DPO loss and the step.
 *
 *   npm run bench -- qlora-step                          # --config small, seq 256, batch 1
 *   npm run bench -- dpo-step --reference                # with the PyTorch reference side by side
 *   HOLLM_BACKEND=webgpu npm run bench -- qlora-step --config tinyllama --reference --device cuda --python python3
 *
 * Configs: `small` (hidden 256, 4 layers, vocab 4096: the CPU smoke test) and `tinyllama` (TinyLlama-1.1B's
 * shape: hidden 2048, intermediate 5632, 22 layers, 32 heads, 4 key/value heads, vocab 32000); random
 * weights, no hub. The decoder is built layer by layer: each projection's fp32 weight exists only while it
 * is quantised into a `Linear4bit` (1.1 B fp32 weights = 4.4 GB would not fit wasm's 4 GiB heap at once,
 * and webgpu in Node cannot read a tensor back synchronously, which `quantizeModel` does).
 *
 * The JSON also carries `dequant_breakdown`: per forward pass, the time `Linear4bit` spends decoding the
 * NF4 codes in JavaScript, uploading the fp32 weight, and in the matrix products themselves.
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import {
  AdamW,
  LlamaForCausalLM,
  Linear4bit,
  NamedParameters,
  computeDpoBatch,
  dequantizeNF4,
  getMemoryFootprint,
  getPeftModel,
  initEngine,
  median,
  readDpoMetrics,
  sequenceLogProbs,
  sftLoss,
  tf,
  trainStep,
  DeferredDpoBatchOutput,
  DpoBatch,
  PeftModel,
} from "hands-on-llm";
import { flag, round } from "./args";

/** The model shapes the two benches know; random weights of these shapes. */
const CONFIGS = {
  small: { vocab_size: 4096, hidden_size: 256, intermediate_size: 704, num_hidden_layers: 4, num_attention_heads: 8, num_key_value_heads: 2, rms_norm_eps: 1e-5 },
  tinyllama: { vocab_size: 32000, hidden_size: 2048, intermediate_size: 5632, num_hidden_layers: 22, num_attention_heads: 32, num_key_value_heads: 4, rms_norm_eps: 1e-5 },
};
type ConfigName = keyof typeof CONFIGS;
type Shape = (typeof CONFIGS)[ConfigName];

const PROJECTIONS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];
const NF4_BLOCK = 64;
/** wasm32 addresses 4 GiB at most; tfjs' wasm heap cannot grow past it. */
const WASM_HEAP_LIMIT = 4 * 1024 ** 3;

interface BenchOptions {
  mode: "qlora" | "dpo";
  configName: ConfigName;
  shape: Shape;
  seq: number;
  batch: number;
  steps: number;
  warmup: number;
  rank: number;
  alpha: number;
  dropout: number;
  lr: number;
  beta: number;
  breakdown: boolean;
  force: boolean;
}

function intFlag(args: string[], name: string, fallback: number, min = 1): number {
  const raw = flag(args, name);
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min) throw new Error(`${name} must be an integer >= ${min} (got '${raw}')`);
  return v;
}

function numFlag(args: string[], name: string, fallback: number, ok: (v: number) => boolean, what: string): number {
  const raw = flag(args, name);
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (!Number.isFinite(v) || !ok(v)) throw new Error(`${name} must be ${what} (got '${raw}')`);
  return v;
}

function parseOptions(args: string[], mode: "qlora" | "dpo"): BenchOptions {
  const configName = (flag(args, "--config") ?? "small") as ConfigName;
  if (!(configName in CONFIGS)) throw new Error(`--config must be one of ${Object.keys(CONFIGS).join(", ")} (got '${configName}')`);
  const shape = { ...CONFIGS[configName] };
  shape.num_hidden_layers = intFlag(args, "--layers", shape.num_hidden_layers);
  const seq = intFlag(args, "--seq", 256, 2);
  if (mode === "dpo" && seq < 4) throw new Error("--seq must be >= 4 for dpo-step (half prompt, half response)");
  return {
    mode,
    configName,
    shape,
    seq,
    batch: intFlag(args, "--batch", 1),
    steps: intFlag(args, "--steps", configName === "small" ? 5 : 3),
    warmup: intFlag(args, "--warmup", 1, 0),
    rank: intFlag(args, "--rank", 64),
    alpha: numFlag(args, "--alpha", 32, (v) => v > 0, "a positive number"),
    dropout: numFlag(args, "--dropout", 0.1, (v) => v >= 0 && v < 1, "in [0, 1)"),
    // The book's learning rates: 2e-4 for QLoRA SFT, 1e-5 for DPO (they do not change the timing).
    lr: numFlag(args, "--lr", mode === "qlora" ? 2e-4 : 1e-5, (v) => v > 0, "a positive number"),
    beta: numFlag(args, "--beta", 0.1, (v) => v > 0, "a positive number"),
    breakdown: !args.includes("--no-breakdown"),
    force: args.includes("--force"),
  };
}

// ----- model ----------------------------------------------------------------------------------------------

/** [out, in] of each projection of a decoder layer. */
function projectionShapes(s: Shape): Record<string, [number, number]> {
  const d = s.hidden_size / s.num_attention_heads;
  const q = s.num_attention_heads * d;
  const kv = s.num_key_value_heads * d;
  return {
    q_proj: [q, s.hidden_size],
    k_proj: [kv, s.hidden_size],
    v_proj: [kv, s.hidden_size],
    o_proj: [s.hidden_size, q],
    gate_proj: [s.intermediate_size, s.hidden_size],
    up_proj: [s.intermediate_size, s.hidden_size],
    down_proj: [s.hidden_size, s.intermediate_size],
  };
}

/**
 * n roughly normal values (mean 0, `std`) from a xorshift generator and the sum of four uniforms: fast
 * enough for 1 B weights (tf.randomNormal runs in JavaScript at ~100 ns a value); the distribution does
 * not change what a step costs.
 */
function randomWeights(n: number, std: number, state: { s: number }): Float32Array {
  const out = new Float32Array(n);
  let s = state.s | 0 || 1;
  const scale = (std * Math.sqrt(3)) / 2 ** 31; // Irwin-Hall(4) has variance 1/3 on [0, 4)
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let k = 0; k < 4; k++) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      sum += s; // s in [-2^31, 2^31): mean 0
    }
    out[i] = sum * 0.5 * scale;
  }
  state.s = s;
  return out;
}

/**
 * A LlamaForCausalLM of `shape` whose seven projections per layer are `Linear4bit` (NF4, double
 * quantisation), what `quantizeModel` gives, built so that at most one projection is ever fp32: the model
 * is first made with 2-wide projections (intermediate_size and head_dim 2 — forward reads neither from the
 * config), each then replaced by a full-size Linear4bit quantised from random weights, and the config set
 * back to the real sizes. Embeddings, norms and lm_head stay fp32, as transformers keeps them.
 */
export function buildQuantizedLlama(shape: Shape, seed: number): LlamaForCausalLM {
  const model = new LlamaForCausalLM({ ...shape, max_position_embeddings: 2048, intermediate_size: 2, head_dim: 2 }, { seed });
  model.config.intermediate_size = shape.intermediate_size;
  model.config.head_dim = null;
  const sizes = projectionShapes(shape);
  const state = { s: seed * 2654435761 + 1 };
  for (let i = 0; i < shape.num_hidden_layers; i++) {
    for (const name of PROJECTIONS) {
      const [out, inF] = sizes[name];
      const where = ["gate_proj", "up_proj", "down_proj"].includes(name) ? "mlp" : "self_attn";
      const layer = new Linear4bit(randomWeights(out * inF, 0.02, state), out, inF, null, { blockSize: NF4_BLOCK, doubleQuant: true });
      model.replaceModule(`model.layers.${i}.${where}.${name}`, layer).dispose();
    }
  }
  return model;
}

// ----- memory -----------------------------------------------------------------------------------------------

/**
 * The highest bytes of live tensor data and, on webgpu, of GPU buffers in use. tfjs keeps no peak outside
 * tf.profile, and tf.memory().numBytes counts every tensor handle (a reshape's view again), so this
 * follows the engine's data-buffer table instead: bytes added when a new data buffer is registered,
 * removed when it is freed; the GPU figure is sampled whenever a tensor is created.
 */
class PeakMemory {
  dataBytes = 0;
  peakDataBytes = 0;
  peakGpuBytes = 0;
  private readonly engine = tf.engine() as unknown as { trackTensor: (...a: unknown[]) => void; state: { numBytes: number; tensorInfo: WeakMap<object, { bytes: number }> } };
  private readonly originalTrack = this.engine.trackTensor;
  private readonly table = this.engine.state.tensorInfo;
  private readonly originalSet = this.table.set;
  private readonly originalDelete = this.table.delete;
  private gpu: { numBytesUsed: number } | undefined;

  start(): void {
    const self = this;
    const { table, originalSet, originalDelete, originalTrack } = this;
    // Buffers that exist already (the engine's own) counted as tfjs counts them.
    this.dataBytes = this.engine.state.numBytes;
    this.gpu = (tf.backend() as unknown as { bufferManager?: { numBytesUsed: number } }).bufferManager;
    this.reset();
    table.set = function (key: object, value: { bytes: number }) {
      if (!table.has(key)) {
        self.dataBytes += value.bytes;
        if (self.dataBytes > self.peakDataBytes) self.peakDataBytes = self.dataBytes;
      }
      return originalSet.call(table, key, value);
    };
    table.delete = function (key: object) {
      const info = table.get(key);
      if (info) self.dataBytes -= info.bytes;
      return originalDelete.call(table, key);
    };
    if (this.gpu) {
      const gpu = this.gpu;
      this.engine.trackTensor = function (this: unknown, ...a: unknown[]) {
        originalTrack.apply(this, a);
        if (gpu.numBytesUsed > self.peakGpuBytes) self.peakGpuBytes = gpu.numBytesUsed;
      };
    }
  }

  reset(): void {
    this.peakDataBytes = this.dataBytes;
    this.peakGpuBytes = this.gpu ? this.gpu.numBytesUsed : 0;
  }

  stop(): void {
    this.engine.trackTensor = this.originalTrack;
    this.table.set = this.originalSet;
    this.table.delete = this.originalDelete;
  }
}

/**
 * Rough tensor bytes of one step: fp32 embeddings / norms / lm_head, every dequantised base weight (tfjs'
 * tape keeps each one until the backward pass, unlike bitsandbytes, which dequantises again there), the
 * adapters with their gradients and AdamW moments, and the activations the tape keeps. The activation
 * coefficients (floats per token per layer, per attention score, per logit) were fitted to the measured
 * peaks of the small config at seq 128 / 256 / 512 and 1 / 2 / 4 layers (within about 10 %); for other
 * shapes it is an estimate. Used to refuse a run that cannot fit wasm's heap before building anything.
 */
function estimateStepBytes(o: BenchOptions): Record<string, number> {
  const s = o.shape;
  const rows = o.mode === "qlora" ? o.batch : 2 * o.batch;
  const tokens = rows * o.seq;
  const sizes = Object.values(projectionShapes(s));
  const baseParams = s.num_hidden_layers * sizes.reduce((n, [out, inF]) => n + out * inF, 0);
  const loraParams = s.num_hidden_layers * sizes.reduce((n, [out, inF]) => n + o.rank * (out + inF), 0);
  const fp32Params = 2 * s.vocab_size * s.hidden_size + (2 * s.num_hidden_layers + 1) * s.hidden_size;
  const perLayerActivations = 50 * tokens * (s.hidden_size + s.intermediate_size) + 8 * rows * s.num_attention_heads * o.seq * o.seq;
  const bytes = {
    fp32_weights: 4 * fp32Params,
    dequantized_weights_kept_for_backward: 4 * baseParams,
    adapters_grads_adam: 4 * 4 * loraParams,
    activations: 4 * (s.num_hidden_layers * perLayerActivations + 6 * tokens * s.vocab_size),
    total: 0,
  };
  bytes.total = bytes.fp32_weights + bytes.dequantized_weights_kept_for_backward + bytes.adapters_grads_adam + bytes.activations;
  return bytes;
}

function gib(bytes: number): string {
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}

// ----- steps ------------------------------------------------------------------------------------------------

function randomIds(rows: number, T: number, vocab: number, state: { s: number }): number[][] {
  const out: number[][] = [];
  for (let r = 0; r < rows; r++) {
    const row: number[] = [];
    for (let t = 0; t < T; t++) {
      state.s = (Math.imul(state.s, 1103515245) + 12345) | 0;
      row.push((state.s >>> 8) % vocab);
    }
    out.push(row);
  }
  return out;
}

/** A DPO batch of `pairs` random chosen / rejected rows of `T` tokens, the first half of each the prompt. */
function dpoBatch(pairs: number, T: number, vocab: number, state: { s: number }): DpoBatch {
  const inputIds = randomIds(2 * pairs, T, vocab, state);
  const prompt = Math.floor(T / 2);
  return {
    inputIds,
    labels: inputIds.map((row) => row.map((id, t) => (t < prompt ? -100 : id))),
    attentionMask: inputIds.map((row) => row.map(() => 1)),
  };
}

type StepFn = () => Promise<Record<string, number>>;

function qloraStep(peft: PeftModel<LlamaForCausalLM>, params: NamedParameters, optimizer: AdamW, o: BenchOptions, state: { s: number }): StepFn {
  const inputIds = randomIds(o.batch, o.seq, o.shape.vocab_size, state);
  const batch = { inputIds, labels: inputIds, attentionMask: inputIds.map((r) => r.map(() => 1)) };
  return async () => {
    const { loss } = await trainStep(params, optimizer, () => sftLoss(peft, batch));
    return { loss };
  };
}

function dpoStep(peft: PeftModel<LlamaForCausalLM>, params: NamedParameters, optimizer: AdamW, o: BenchOptions, state: { s: number }): StepFn {
  const batch = dpoBatch(o.batch, o.seq, o.shape.vocab_size, state);
  const T = o.seq;
  return async () => {
    // The reference (adapters off) outside the tape, read back asynchronously: trl's no_grad pass.
    const refTensor = peft.disableAdapter(() =>
      tf.tidy(() => {
        const ids = tf.tensor2d(batch.inputIds, [2 * o.batch, T], "int32");
        const mask = tf.tensor2d(batch.attentionMask, [2 * o.batch, T], "int32");
        return sequenceLogProbs(peft.forward(ids, { attentionMask: mask }).logits, batch.labels);
      }),
    );
    const ref = Array.from(await refTensor.data());
    refTensor.dispose();
    const withRef: DpoBatch = { ...batch, refChosenLogps: ref.slice(0, o.batch), refRejectedLogps: ref.slice(o.batch) };
    let out: DeferredDpoBatchOutput | null = null;
    const { loss } = await trainStep(params, optimizer, () => {
      const r = computeDpoBatch(peft, null, withRef, { beta: o.beta, deferMetrics: true });
      out = r;
      return r.loss;
    });
    const metrics = await readDpoMetrics(out!);
    return { loss, "rewards/margins": metrics["rewards/margins"], "rewards/accuracies": metrics["rewards/accuracies"] };
  };
}

/** Reads a tensor's values (async, so webgpu waits for its queue): the sync point of each timing. */
async function settle(t: tf.Tensor): Promise<void> {
  const s = tf.sum(t);
  await s.data();
  s.dispose();
}

/**
 * Where a Linear4bit forward spends its time, measured on the first decoder layer's seven projections
 * (every layer has the same shapes) and scaled to all layers: the NF4 decode in JavaScript
 * (`dequantizeNF4`), the upload of the fp32 weight into a tensor, and the matrix product alone (with the
 * weight already a tensor). Median of `reps` runs each, after one warm-up.
 */
async function dequantBreakdown(model: LlamaForCausalLM, o: BenchOptions, reps = 3): Promise<Record<string, unknown>> {
  const rows = (o.mode === "qlora" ? o.batch : 2 * o.batch) * o.seq;
  const layer0 = model.namedModules().filter(([p, m]) => p.startsWith("model.layers.0.") && m instanceof Linear4bit) as Array<[string, Linear4bit]>;
  const inputs = new Map<number, tf.Tensor2D>();
  let decode = 0;
  let upload = 0;
  let matmul = 0;
  let weights = 0;
  const perProjection: Record<string, Record<string, number>> = {};
  for (const [p, l] of layer0) {
    if (!inputs.has(l.inFeatures)) inputs.set(l.inFeatures, tf.randomNormal([rows, l.inFeatures], 0, 1, "float32", 7) as tf.Tensor2D);
    const x = inputs.get(l.inFeatures)!;
    const cached = l.dequantizeWeight();
    const times = { decode: [] as number[], full: [] as number[], matmul: [] as number[] };
    for (let r = 0; r <= reps; r++) {
      let t = performance.now();
      const values = dequantizeNF4(l.packed, l.quantState);
      const tDecode = performance.now() - t;
      t = performance.now();
      const w = tf.tensor2d(values, [l.outFeatures, l.inFeatures]);
      const y = tf.matMul(x, w, false, true);
      await settle(y);
      const tFull = performance.now() - t;
      tf.dispose([w, y]);
      t = performance.now();
      const y2 = tf.matMul(x, cached, false, true);
      await settle(y2);
      const tMatmul = performance.now() - t;
      y2.dispose();
      if (r === 0) continue; // warm-up: kernel compilation on webgpu
      times.decode.push(tDecode);
      times.full.push(tFull);
      times.matmul.push(tMatmul);
    }
    cached.dispose();
    const d = median(times.decode);
    const m = median(times.matmul);
    const u = Math.max(0, median(times.full) - m);
    perProjection[p.split(".").pop()!] = { js_decode_ms: round(d, 2), upload_ms: round(u, 2), matmul_ms: round(m, 2) };
    decode += d;
    upload += u;
    matmul += m;
    weights += l.inFeatures * l.outFeatures;
  }
  inputs.forEach((x) => x.dispose());
  const L = o.shape.num_hidden_layers;
  return {
    what: "per forward pass of all layers' Linear4bit: NF4 decode in JS, fp32 upload into a tensor, matmul alone (x [tokens, in] W^T, no LoRA)",
    tokens: rows,
    per_forward_ms: { js_decode: round(decode * L), upload: round(upload * L), matmul: round(matmul * L) },
    js_decode_ns_per_weight: round((decode * 1e6) / weights, 2),
    layer0: perProjection,
  };
}

// ----- the benches ------------------------------------------------------------------------------------------

async function runBench(args: string[], mode: "qlora" | "dpo"): Promise<Record<string, unknown>> {
  const o = parseOptions(args, mode);
  const engine = await initEngine({ backend: (flag(args, "--backend") as never) ?? undefined, verbose: false });
  const estimate = estimateStepBytes(o);
  if (engine.backend === "wasm" && estimate.total > 0.9 * WASM_HEAP_LIMIT && !o.force) {
    throw new Error(
      `${mode}-step --config ${o.configName}: a step needs about ${gib(estimate.total)} of tensors ` +
        `(${gib(estimate.dequantized_weights_kept_for_backward)} of it dequantised base weights, which tfjs keeps for the backward pass), ` +
        `more than wasm's ${gib(WASM_HEAP_LIMIT)} heap: run it on a GPU (HOLLM_BACKEND=webgpu), use --config small or fewer --layers, or pass --force to try anyway`,
    );
  }
  const peak = new PeakMemory();
  peak.start();
  const tensorsBefore = tf.memory().numTensors;
  const t0 = performance.now();
  const base = buildQuantizedLlama(o.shape, 42);
  const peft = getPeftModel(base, {
    r: o.rank,
    lora_alpha: o.alpha,
    lora_dropout: o.dropout,
    target_modules: PROJECTIONS,
    task_type: "CAUSAL_LM",
  });
  peft.train();
  const params = peft.namedParameters();
  const optimizer = new AdamW(params, { lr: o.lr, weightDecay: 0 });
  const buildSeconds = (performance.now() - t0) / 1000;
  const buildPeakBytes = peak.peakDataBytes;
  const [trainable, all] = peft.getNbTrainableParameters();
  const quantized = base.namedModules().filter(([, m]) => m instanceof Linear4bit).map(([, m]) => m as Linear4bit);
  const nf4Bytes = quantized.reduce((n, l) => n + l.weightBytes(), 0);
  const nf4Params = quantized.reduce((n, l) => n + l.inFeatures * l.outFeatures, 0);

  const state = { s: 1234 };
  const step = mode === "qlora" ? qloraStep(peft, params, optimizer, o, state) : dpoStep(peft, params, optimizer, o, state);
  const times: number[] = [];
  let last: Record<string, number> = {};
  for (let i = 0; i < o.warmup + o.steps; i++) {
    if (i === o.warmup) peak.reset();
    const t = performance.now();
    last = await step();
    if (i >= o.warmup) times.push(performance.now() - t);
  }
  const stepPeak = { tensorBytes: peak.peakDataBytes, gpuBytes: peak.peakGpuBytes };
  peak.stop();
  const ms = median(times);
  const tokensPerStep = (mode === "qlora" ? o.batch : 2 * o.batch) * o.seq;
  const mem = tf.memory() as { numBytes: number; numBytesInGPU?: number; numBytesAllocatedInGPU?: number };
  const wasm = engine.backend === "wasm" ? (tf.backend() as unknown as { wasm?: { HEAPU8: Uint8Array } }).wasm : undefined;

  const result: Record<string, unknown> = {
    backend: engine.backend,
    config: {
      name: o.configName,
      ...o.shape,
      seq: o.seq,
      batch: o.batch,
      lora: { r: o.rank, lora_alpha: o.alpha, lora_dropout: o.dropout, target_modules: PROJECTIONS },
      nf4: { block_size: NF4_BLOCK, double_quant: true },
      optimizer: { name: "AdamW", lr: o.lr, weight_decay: 0, max_grad_norm: 1 },
      ...(mode === "dpo" ? { beta: o.beta, pairs: o.batch, prompt_tokens: Math.floor(o.seq / 2) } : {}),
    },
    params: { trainable, all, nf4_base: nf4Params, linear4bit_layers: quantized.length },
    build_s: round(buildSeconds, 2),
    ms_per_step: round(ms),
    ms_per_step_min: round(Math.min(...times)),
    tokens_per_step: tokensPerStep,
    tokens_per_s: round(tokensPerStep / (ms / 1000)),
    steps: o.steps,
    warmup: o.warmup,
    last_step: Object.fromEntries(Object.entries(last).map(([k, v]) => [k, round(v, 4)])),
    memory: {
      peak_tensor_bytes_step: stepPeak.tensorBytes,
      peak_tensor_bytes_build: buildPeakBytes,
      ...(engine.backend === "webgpu" ? { peak_gpu_bytes_in_use_step: stepPeak.gpuBytes, gpu_bytes_allocated: mem.numBytesAllocatedInGPU ?? null } : {}),
      ...(wasm ? { wasm_heap_bytes: wasm.HEAPU8.buffer.byteLength } : {}),
      nf4_weight_bytes: nf4Bytes,
      model_footprint_bytes: getMemoryFootprint(peft),
      rss_peak_bytes: process.resourceUsage().maxRSS * 1024,
      estimate_step_bytes: estimate,
    },
    tensors_leaked: 0,
  };
  if (o.breakdown) {
    const breakdown = await dequantBreakdown(base, o);
    const perForward = breakdown.per_forward_ms as Record<string, number>;
    // The policy forward dequantises each weight once (the tape keeps it for backward); dpo adds the reference forward.
    const forwards = mode === "qlora" ? 1 : 2;
    breakdown.forwards_per_step = forwards;
    breakdown.dequant_share_of_step = round((forwards * (perForward.js_decode + perForward.upload)) / ms, 3);
    result.dequant_breakdown = breakdown;
  }
  optimizer.dispose();
  peft.dispose();
  result.tensors_leaked = tf.memory().numTensors - tensorsBefore;

  if (args.includes("--reference")) {
    const reference = pytorchReference(o, args);
    result.reference = reference;
    const refMs = (reference as { ms_per_step?: number }).ms_per_step;
    // > 1: ours is faster; < 1: PyTorch is.
    if (typeof refMs === "number") result.speed_ours_over_pytorch = round(refMs / ms, 3);
  }
  return result;
}

/** PyTorch's side (bench/reference/qlora_step.py) with the same shapes, on --device cpu (default) or cuda. */
function pytorchReference(o: BenchOptions, args: string[]): unknown {
  const script = path.join(__dirname, "reference", "qlora_step.py");
  const python = flag(args, "--python") ?? process.env.HOLLM_PYTHON ?? "/usr/bin/python3";
  const device = flag(args, "--device") ?? "cpu";
  // One thread by default, as the single-threaded wasm backend (and bench train-step).
  const threads = String(intFlag(args, "--threads", 1));
  const argv = [
    script, "--mode", o.mode, "--config", o.configName, "--layers", String(o.shape.num_hidden_layers),
    "--seq", String(o.seq), "--batch", String(o.batch), "--steps", String(o.steps), "--warmup", String(o.warmup),
    "--rank", String(o.rank), "--alpha", String(o.alpha), "--dropout", String(o.dropout), "--lr", String(o.lr),
    "--beta", String(o.beta), "--device", device, "--threads", threads,
  ];
  const env = { ...process.env, OMP_NUM_THREADS: threads, OPENBLAS_NUM_THREADS: threads, MKL_NUM_THREADS: threads };
  const run = spawnSync(python, argv, { encoding: "utf8", env, maxBuffer: 16 * 1024 * 1024 });
  if (run.error) return { skipped: `PyTorch reference not run: cannot start ${python} (${run.error.message}); pass --python PATH or set HOLLM_PYTHON` };
  if (run.status !== 0) {
    const why = (run.stderr || "").trim().split("\n").pop() ?? "";
    const hint = /No module named 'torch'/.test(why) ? ` (${python} has no torch: apt-get install python3-torch, or --python a Python that has it)` : "";
    return { skipped: `PyTorch reference failed: ${why}${hint}` };
  }
  try {
    return JSON.parse(run.stdout.trim().split("\n").pop()!);
  } catch {
    return { skipped: `PyTorch reference printed no JSON: ${run.stdout.trim().slice(-200)}` };
  }
}

export function qloraStepBench(args: string[]): Promise<Record<string, unknown>> {
  return runBench(args, "qlora");
}

export function dpoStepBench(args: string[]): Promise<Record<string, unknown>> {
  return runBench(args, "dpo");
}
