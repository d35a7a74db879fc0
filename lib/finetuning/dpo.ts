/**
 * Direct Preference Optimization (chapter 12) as trl's `DPOTrainer` computes it:
 *
 *   - `tokenizeDpoPair`: prompt, prompt + chosen and prompt + rejected tokenized as trl's `tokenize_fn`
 *     (EOS appended to plain-text responses), labels -100 over the prompt;
 *   - `collateDpo`: chosen rows then rejected rows in one padded batch (trl's concatenated forward);
 *   - `sequenceLogProbs`: log π(response | prompt), summed over the response tokens, with the causal shift;
 *   - `dpoLoss`: -log σ(β[(πc − rc) − (πr − rr)]) and the metrics trl logs (rewards/…, logps/…);
 *   - `computeDpoBatch`: policy and reference forward on a batch → loss and metrics, the reference given as
 *     a frozen model, as a callback (e.g. the policy with its LoRA adapters disabled), or precomputed once
 *     (`precomputeReferenceLogProbs`, trl's precompute_ref_log_probs).
 *
 * Backends that cannot read tensors synchronously (webgpu in Node): pass `{ deferMetrics: true }` to
 * `dpoLoss` / `computeDpoBatch`, which then reads nothing and returns the metrics as a `DeferredDpoMetrics`
 * (one small tensor kept alive, safe inside tf.variableGrads); after the gradient call,
 * `await readDpoMetrics(out)` (and `await out.metrics.readLogProbs()`) read and dispose it.
 * `precomputeReferenceLogProbsAsync` is the precompute without synchronous reads.
 *
 * Gradients: log-softmax at the labels has a hand-written gradient (no gather with batchDims, whose
 * gradient throws on some backends), and -log σ(z) is softplus(-z) with its own gradient σ(z) (tfjs'
 * logSigmoid gradient crashes on intermediates): both are checked against finite differences in the tests.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { ChatMessage } from "../tokenizers/hf";
import { IGNORE_INDEX } from "../training/losses";
import type { TrainableCausalLM, SftTokenizer } from "./sft";

// ----- log-probabilities ----------------------------------------------------------------------------------

/**
 * Per row b: Σ_t Σ_v target[b,t,v] · log_softmax(logits)[b,t,v], with the gradient
 * dy_b · (target − softmax · Σ_v target) written by hand: it reuses the forward softmax and needs no gather.
 */
const rowTargetLogLikelihood = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [logits, target, save] = args as [tf.Tensor3D, tf.Tensor3D, tf.GradSaveFunc];
  const shifted = tf.sub(logits, tf.max(logits, -1, true));
  const exp = tf.exp(shifted);
  const sumExp = tf.sum(exp, -1, true);
  const logProbs = tf.sub(shifted, tf.log(sumExp));
  save([tf.div(exp, sumExp), target]);
  return {
    value: tf.sum(tf.mul(target, logProbs), [1, 2]),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [p, t] = saved;
      const perRow = tf.reshape(dy, [-1, 1, 1]);
      return [tf.mul(tf.sub(t, tf.mul(p, tf.sum(t, -1, true))), perRow), tf.zerosLike(t)];
    },
  };
});

function labelRows(labels: tf.Tensor2D | number[][], where: string): number[][] {
  if (labels instanceof tf.Tensor) {
    if (labels.rank !== 2) throw new Error(`${where}: labels must be 2-D [batch, seq] (got shape [${labels.shape}])`);
    return labels.arraySync() as number[][];
  }
  if (!Array.isArray(labels) || !labels.every((r) => Array.isArray(r))) throw new TypeError(`${where}: labels must be a tensor or an array of rows`);
  return labels;
}

/**
 * log π(response): for each row, the sum over positions t ≥ 1 whose label is not -100 of
 * log_softmax(logits[t − 1])[label[t]] — trl's `logits[:, :-1]` scored against `labels[:, 1:]`.
 * Labels are the input ids with -100 over the prompt and the padding. Returns [batch]; differentiable.
 * A labels tensor is read back synchronously: on webgpu in Node pass the labels as number rows.
 */
export function sequenceLogProbs(logits: tf.Tensor3D, labels: tf.Tensor2D | number[][]): tf.Tensor1D {
  const where = "sequenceLogProbs";
  if (!(logits instanceof tf.Tensor) || logits.rank !== 3) throw new Error(`${where}: logits must be a 3-D tensor [batch, seq, vocab]`);
  const [B, T, V] = logits.shape;
  const rows = labelRows(labels, where);
  if (rows.length !== B || rows.some((r) => r.length !== T)) {
    throw new Error(`${where}: labels must be [${B}, ${T}] to match logits [${B}, ${T}, ${V}] (got ${rows.length} rows of ${rows.map((r) => r.length).join("/")})`);
  }
  // Shift on the labels side (position t predicts label t + 1); the last position predicts nothing.
  const shifted = new Int32Array(B * T).fill(IGNORE_INDEX);
  rows.forEach((r, b) => {
    for (let t = 1; t < T; t++) {
      const l = r[t];
      if (l === IGNORE_INDEX) continue;
      if (!Number.isInteger(l) || l < 0 || l >= V) throw new Error(`${where}: label ${l} at row ${b}, position ${t} is outside the vocabulary (0..${V - 1}) and is not -100`);
      shifted[b * T + t - 1] = l;
    }
  });
  return tf.tidy(() => {
    // oneHot of -100 is an all-zero row: ignored positions add nothing.
    const target = tf.oneHot(tf.tensor2d(shifted, [B, T], "int32"), V) as tf.Tensor3D;
    return rowTargetLogLikelihood(logits.dtype === "float32" ? logits : tf.cast(logits, "float32"), target) as tf.Tensor1D;
  });
}

// ----- loss -----------------------------------------------------------------------------------------------

/** softplus(x) = log(1 + eˣ), computed stably, with gradient σ(x). */
const softplus = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
  save([x]);
  return {
    value: tf.add(tf.relu(x), tf.log1p(tf.exp(tf.neg(tf.abs(x))))),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [tf.mul(dy, tf.sigmoid(saved[0]))],
  };
});

/** -log σ(x) = softplus(-x), stable for any x, with a correct gradient on every backend. */
export function negLogSigmoid(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => softplus(tf.neg(x)));
}

export type DpoLossType = "sigmoid" | "hinge" | "ipo";

export interface DpoLossOptions {
  /** Strength of the pull towards the reference (trl's beta, default 0.1). */
  beta?: number;
  /** "sigmoid" (DPO, default), "hinge" (SLiC) or "ipo" (IPO, on per-token averages as trl). */
  lossType?: DpoLossType;
  /** cDPO: the assumed share of flipped preference labels, in [0, 0.5] (sigmoid loss only; default 0). */
  labelSmoothing?: number;
  /** "ipo" only: the number of response tokens of each chosen / rejected row (trl averages the log-ratios). */
  chosenLengths?: number[];
  rejectedLengths?: number[];
  /**
   * Read no tensor synchronously: return the metrics as a `DeferredDpoMetrics` (values still on the
   * device) to read with `await readDpoMetrics(out)` once the gradient call is done. Needed on webgpu in
   * Node, which has no synchronous reads; on wasm / cpu it also spares a device sync per step. Default false.
   */
  deferMetrics?: boolean;
}

/** The numbers trl's DPOTrainer logs, under its names. */
export interface DpoMetrics {
  loss: number;
  "rewards/chosen": number;
  "rewards/rejected": number;
  "rewards/accuracies": number;
  "rewards/margins": number;
  "logps/chosen": number;
  "logps/rejected": number;
}

export interface DpoLossOutput {
  /** Mean loss over the pairs (differentiable). */
  loss: tf.Scalar;
  metrics: DpoMetrics;
}

/**
 * DPO metrics not yet read: one float32 tensor [loss, chosen log-ratios (n), rejected log-ratios (n),
 * policy chosen (n), policy rejected (n), reference chosen (n), reference rejected (n)], kept out of every
 * tf.tidy (so it survives tf.variableGrads). Read it after the gradient call: `await readDpoMetrics(out)`
 * gives the same numbers as the synchronous path, then frees the tensor; `dispose()` frees it unread.
 */
export class DeferredDpoMetrics {
  /** The packed values, on the backend's device until read (null once read or disposed). */
  values: tf.Tensor1D | null;
  private read_: Promise<Float32Array> | null = null;

  constructor(values: tf.Tensor1D, readonly pairs: number, readonly beta: number) {
    this.values = values;
  }

  private async packed(): Promise<Float32Array> {
    if (!this.read_) {
      const values = this.values;
      if (!values) throw new Error("DeferredDpoMetrics: disposed before it was read");
      this.read_ = values.data().then((d) => {
        values.dispose();
        return d as Float32Array;
      });
      this.values = null;
    }
    return this.read_;
  }

  /** The metrics, as trl logs them (awaits the device once; later calls reuse the values). */
  async read(): Promise<DpoMetrics> {
    const v = await this.packed();
    const n = this.pairs;
    return summarizeDpo(v[0], v.subarray(1, 1 + n), v.subarray(1 + n, 1 + 2 * n), v.subarray(1 + 2 * n, 1 + 3 * n), v.subarray(1 + 3 * n, 1 + 4 * n), n, this.beta);
  }

  /** Summed response log-probs of policy and reference, chosen rows then rejected rows (as computeDpoBatch's). */
  async readLogProbs(): Promise<{ policyLogps: number[]; referenceLogps: number[] }> {
    const v = await this.packed();
    const n = this.pairs;
    return { policyLogps: Array.from(v.subarray(1 + 2 * n, 1 + 4 * n)), referenceLogps: Array.from(v.subarray(1 + 4 * n, 1 + 6 * n)) };
  }

  /** Free the tensor without reading it (no-op once read). */
  dispose(): void {
    if (this.values) this.values.dispose();
    this.values = null;
  }
}

export interface DeferredDpoLossOutput {
  /** Mean loss over the pairs (differentiable). */
  loss: tf.Scalar;
  metrics: DeferredDpoMetrics;
}

/** Read (and free) the metrics of `dpoLoss` / `computeDpoBatch` run with `{ deferMetrics: true }`. */
export function readDpoMetrics(out: DeferredDpoLossOutput | DeferredDpoMetrics): Promise<DpoMetrics> {
  const pending = out instanceof DeferredDpoMetrics ? out : out && out.metrics;
  if (!(pending instanceof DeferredDpoMetrics)) {
    throw new TypeError("readDpoMetrics: expected the output of dpoLoss / computeDpoBatch called with { deferMetrics: true }");
  }
  return pending.read();
}

/** trl's logged metrics from the per-pair values, summed in float64. */
function summarizeDpo(
  loss: number,
  chosenRatio: ArrayLike<number>,
  rejectedRatio: ArrayLike<number>,
  policyChosen: ArrayLike<number>,
  policyRejected: ArrayLike<number>,
  n: number,
  beta: number,
): DpoMetrics {
  let sc = 0, sr = 0, acc = 0, margin = 0, lc = 0, lr = 0;
  for (let i = 0; i < n; i++) {
    const c = beta * chosenRatio[i];
    const r = beta * rejectedRatio[i];
    sc += c;
    sr += r;
    acc += c > r ? 1 : 0;
    margin += c - r;
    lc += policyChosen[i];
    lr += policyRejected[i];
  }
  return {
    loss,
    "rewards/chosen": sc / n,
    "rewards/rejected": sr / n,
    "rewards/accuracies": acc / n,
    "rewards/margins": margin / n,
    "logps/chosen": lc / n,
    "logps/rejected": lr / n,
  };
}

type LogProbs = tf.Tensor1D | number[] | Float32Array | Float64Array;

function asVector(x: LogProbs, name: string): tf.Tensor1D {
  if (x instanceof tf.Tensor) {
    if (x.rank !== 1) throw new Error(`dpoLoss: ${name} must be 1-D [pairs] (got shape [${x.shape}])`);
    return tf.cast(x, "float32") as tf.Tensor1D;
  }
  if (!(Array.isArray(x) || x instanceof Float32Array || x instanceof Float64Array)) throw new TypeError(`dpoLoss: ${name} must be a 1-D tensor or an array of numbers`);
  return tf.tensor1d(Array.from(x), "float32");
}

/**
 * The DPO loss of a batch of pairs from the summed response log-probs of policy (π) and reference (r):
 *   z = β[(πc − rc) − (πr − rr)],  sigmoid: (1 − ε)·(−log σ(z)) + ε·(−log σ(−z)),  hinge: max(0, 1 − z),
 *   ipo: ((πc − rc)/|c| − (πr − rr)/|r| − 1/(2β))²;
 * averaged over the pairs. Metrics as trl logs them: rewards = β(π − r) per response, their means,
 * accuracy (chosen reward > rejected), margin, and the mean policy log-probs. With `{ deferMetrics: true }`
 * the metrics stay on the device (`DeferredDpoMetrics`, read with `await readDpoMetrics(out)`).
 */
export function dpoLoss(policyChosen: LogProbs, policyRejected: LogProbs, refChosen: LogProbs, refRejected: LogProbs, opts: DpoLossOptions & { deferMetrics: true }): DeferredDpoLossOutput;
export function dpoLoss(policyChosen: LogProbs, policyRejected: LogProbs, refChosen: LogProbs, refRejected: LogProbs, opts?: DpoLossOptions & { deferMetrics?: false }): DpoLossOutput;
export function dpoLoss(policyChosen: LogProbs, policyRejected: LogProbs, refChosen: LogProbs, refRejected: LogProbs, opts?: DpoLossOptions): DpoLossOutput | DeferredDpoLossOutput;
export function dpoLoss(policyChosen: LogProbs, policyRejected: LogProbs, refChosen: LogProbs, refRejected: LogProbs, opts: DpoLossOptions = {}): DpoLossOutput | DeferredDpoLossOutput {
  const beta = opts.beta ?? 0.1;
  const lossType = opts.lossType ?? "sigmoid";
  const eps = opts.labelSmoothing ?? 0;
  if (!(typeof beta === "number" && beta > 0 && Number.isFinite(beta))) throw new Error(`dpoLoss: beta must be a positive number (got ${beta})`);
  if (lossType !== "sigmoid" && lossType !== "hinge" && lossType !== "ipo") throw new Error(`dpoLoss: unknown lossType ${JSON.stringify(lossType)}; expected "sigmoid", "hinge" or "ipo"`);
  if (!(typeof eps === "number" && eps >= 0 && eps <= 0.5)) throw new Error(`dpoLoss: labelSmoothing must be in [0, 0.5] (got ${eps})`);
  if (eps > 0 && lossType !== "sigmoid") throw new Error(`dpoLoss: labelSmoothing applies to the "sigmoid" loss only (lossType is "${lossType}")`);

  const defer = opts.deferMetrics === true;
  let metrics: DpoMetrics | DeferredDpoMetrics | undefined;
  const loss = tf.tidy(() => {
    const pc = asVector(policyChosen, "policyChosen");
    const pr = asVector(policyRejected, "policyRejected");
    const rc = asVector(refChosen, "refChosen");
    const rr = asVector(refRejected, "refRejected");
    const n = pc.shape[0];
    if (n === 0) throw new Error("dpoLoss: no pairs");
    for (const [name, v] of [["policyRejected", pr], ["refChosen", rc], ["refRejected", rr]] as const) {
      if (v.shape[0] !== n) throw new Error(`dpoLoss: ${name} has ${v.shape[0]} entries but policyChosen has ${n}`);
    }
    const chosenRatio = tf.sub(pc, rc);
    const rejectedRatio = tf.sub(pr, rr);
    let losses: tf.Tensor;
    if (lossType === "sigmoid") {
      const z = tf.mul(tf.sub(chosenRatio, rejectedRatio), beta);
      losses = eps === 0 ? negLogSigmoid(z) : tf.add(tf.mul(negLogSigmoid(z), 1 - eps), tf.mul(negLogSigmoid(tf.neg(z)), eps));
    } else if (lossType === "hinge") {
      losses = tf.relu(tf.sub(1, tf.mul(tf.sub(chosenRatio, rejectedRatio), beta)));
    } else {
      const lengths = (xs: number[] | undefined, name: string) => {
        if (!Array.isArray(xs) || xs.length !== n || !xs.every((l) => Number.isFinite(l) && l >= 0)) {
          throw new Error(`dpoLoss: lossType "ipo" needs ${name}: ${n} response-token counts (computeDpoBatch passes them)`);
        }
        return tf.tensor1d(xs.map((l) => Math.max(l, 1)), "float32");
      };
      const delta = tf.sub(tf.div(chosenRatio, lengths(opts.chosenLengths, "chosenLengths")), tf.div(rejectedRatio, lengths(opts.rejectedLengths, "rejectedLengths")));
      losses = tf.square(tf.sub(delta, 1 / (2 * beta)));
    }
    const meanLoss = tf.mean(losses) as tf.Scalar;

    if (defer) {
      // Packed into one tensor (one read later); tf.keep: it must outlive the tidy of tf.variableGrads.
      const packed = tf.concat([tf.reshape(meanLoss, [1]), chosenRatio, rejectedRatio, pc, pr, rc, rr]) as tf.Tensor1D;
      metrics = new DeferredDpoMetrics(tf.keep(packed), n, beta);
      return meanLoss;
    }
    // Metrics in float64 from the values (no gradient flows through them).
    metrics = summarizeDpo(meanLoss.dataSync()[0], chosenRatio.dataSync(), rejectedRatio.dataSync(), pc.dataSync(), pr.dataSync(), n, beta);
    return meanLoss;
  });
  return defer ? { loss, metrics: metrics as DeferredDpoMetrics } : { loss, metrics: metrics as DpoMetrics };
}

// ----- data -----------------------------------------------------------------------------------------------

/** A preference pair: plain text (prompt ends where responses start) or conversational messages. */
export interface DpoPair {
  prompt: string | ChatMessage[];
  chosen: string | ChatMessage[];
  rejected: string | ChatMessage[];
}

export interface DpoTokenizeOptions {
  /** Longest prompt + response (trl's max_length, default 1024); null: no limit. */
  maxLength?: number | null;
  /** Keep only the last maxPromptLength prompt tokens (trl ≤ 0.19's max_prompt_length; default null: no limit). */
  maxPromptLength?: number | null;
  /** Keep only the first maxCompletionLength response tokens (trl ≤ 0.19; default null: no limit). */
  maxCompletionLength?: number | null;
  /** Which end of prompt + response maxLength keeps (trl's truncation_mode, default "keep_start"). */
  truncationMode?: "keep_start" | "keep_end";
  /** Append the EOS token to plain-text responses that do not end with it, as trl (default true). */
  addEos?: boolean;
  /** A chat template for conversational pairs (default: the tokenizer's). */
  chatTemplate?: string;
}

/** One tokenized pair: trl's columns, plus each full sequence with labels -100 over the prompt. */
export interface DpoFeatures {
  promptIds: number[];
  chosenIds: number[];
  rejectedIds: number[];
  chosenInputIds: number[];
  chosenLabels: number[];
  rejectedInputIds: number[];
  rejectedLabels: number[];
  /** Reference log-probs, once `precomputeReferenceLogProbs` has run. */
  refChosenLogps?: number;
  refRejectedLogps?: number;
}

function isMessages(x: unknown): x is ChatMessage[] {
  return Array.isArray(x) && x.every((m) => m && typeof m === "object" && typeof (m as ChatMessage).role === "string" && typeof (m as ChatMessage).content === "string");
}

function optionalLength(name: string, v: unknown): number | null {
  if (v == null) return null;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1) throw new Error(`tokenizeDpoPair: ${name} must be a positive integer or null (got ${String(v)})`);
  return v;
}

/**
 * Tokenize a preference pair as trl's DPOTrainer: ids of prompt, of prompt + chosen and of prompt + rejected
 * (plain text through `encode`, with the tokenizer's special tokens, and EOS appended to each response;
 * messages through the chat template, the prompt with the generation prompt); the responses are what
 * follows the prompt's ids. Then the prompt keeps its last maxPromptLength tokens, each response its
 * first maxCompletionLength, and prompt + response is cut to maxLength (trl drops pairs whose prompt
 * fills maxLength under "keep_start"; here that is an error naming the lengths).
 */
export function tokenizeDpoPair(tokenizer: SftTokenizer, pair: DpoPair, opts: DpoTokenizeOptions = {}): DpoFeatures {
  const where = "tokenizeDpoPair";
  if (!pair || typeof pair !== "object") throw new TypeError(`${where}: expected { prompt, chosen, rejected }`);
  const maxLength = opts.maxLength === undefined ? 1024 : optionalLength("maxLength", opts.maxLength);
  const maxPrompt = optionalLength("maxPromptLength", opts.maxPromptLength);
  const maxCompletion = optionalLength("maxCompletionLength", opts.maxCompletionLength);
  const mode = opts.truncationMode ?? "keep_start";
  if (mode !== "keep_start" && mode !== "keep_end") throw new Error(`${where}: truncationMode must be "keep_start" or "keep_end" (got ${String(mode)})`);

  let promptIds: number[];
  let fullChosen: number[];
  let fullRejected: number[];
  const { prompt, chosen, rejected } = pair;
  if (typeof prompt === "string" && typeof chosen === "string" && typeof rejected === "string") {
    const eos = tokenizer.eosToken;
    const ending = (s: string) => {
      if (opts.addEos === false) return s;
      if (eos == null) throw new Error(`${where}: the tokenizer has no EOS token to append; set one, or pass { addEos: false }`);
      return s.endsWith(eos) ? s : s + eos;
    };
    promptIds = Array.from(tokenizer.encode(prompt));
    fullChosen = Array.from(tokenizer.encode(prompt + ending(chosen)));
    fullRejected = Array.from(tokenizer.encode(prompt + ending(rejected)));
  } else if (isMessages(prompt) && isMessages(chosen) && isMessages(rejected)) {
    if (typeof tokenizer.applyChatTemplate !== "function") throw new Error(`${where}: conversational pairs need a tokenizer with applyChatTemplate (an HfTokenizer)`);
    const enc = tokenizer as unknown as { encode(text: string, o?: { addSpecialTokens?: boolean }): ArrayLike<number> };
    const ids = (messages: ChatMessage[], gen: boolean) =>
      Array.from(enc.encode(tokenizer.applyChatTemplate!(messages, { tokenize: false, addGenerationPrompt: gen, chatTemplate: opts.chatTemplate }), { addSpecialTokens: false }));
    promptIds = ids(prompt, true);
    fullChosen = ids([...prompt, ...chosen], false);
    fullRejected = ids([...prompt, ...rejected], false);
  } else {
    throw new TypeError(`${where}: prompt, chosen and rejected must all be strings or all be lists of {role, content} messages`);
  }
  for (const [name, full] of [["chosen", fullChosen], ["rejected", fullRejected]] as const) {
    const t = promptIds.findIndex((id, i) => full[i] !== id);
    if (t >= 0) {
      throw new Error(
        `${where}: the tokens of prompt + ${name} do not start with the tokens of the prompt (first difference at token ${t}); ` +
          `a token spans the boundary — end the prompt with a space or newline, or start the response with one`,
      );
    }
  }
  let chosenIds = fullChosen.slice(promptIds.length);
  let rejectedIds = fullRejected.slice(promptIds.length);
  if (maxPrompt !== null && promptIds.length > maxPrompt) promptIds = promptIds.slice(promptIds.length - maxPrompt);
  if (maxCompletion !== null) {
    chosenIds = chosenIds.slice(0, maxCompletion);
    rejectedIds = rejectedIds.slice(0, maxCompletion);
  }
  if (maxLength !== null && mode === "keep_start" && promptIds.length >= maxLength) {
    throw new Error(`${where}: the prompt alone has ${promptIds.length} tokens, filling maxLength ${maxLength}; no response token would remain (trl drops such pairs)`);
  }
  const build = (response: number[]) => {
    let ids = [...promptIds, ...response];
    let labels = [...promptIds.map(() => IGNORE_INDEX), ...response];
    if (maxLength !== null && ids.length > maxLength) {
      const cut = (a: number[]) => (mode === "keep_start" ? a.slice(0, maxLength) : a.slice(a.length - maxLength));
      ids = cut(ids);
      labels = cut(labels);
    }
    return { ids, labels };
  };
  const c = build(chosenIds);
  const r = build(rejectedIds);
  return { promptIds, chosenIds, rejectedIds, chosenInputIds: c.ids, chosenLabels: c.labels, rejectedInputIds: r.ids, rejectedLabels: r.labels };
}

/** A padded DPO batch: rows 0..B−1 are prompt + chosen, rows B..2B−1 prompt + rejected (trl's order). */
export interface DpoBatch {
  inputIds: number[][];
  labels: number[][];
  attentionMask: number[][];
  /** Present when every pair carries precomputed reference log-probs. */
  refChosenLogps?: number[];
  refRejectedLogps?: number[];
}

/** trl's `DataCollatorForPreference`: chosen rows, then rejected rows, right-padded (labels -100, mask 0). */
export function collateDpo(features: DpoFeatures[], opts: { padTokenId: number; padToMultipleOf?: number }): DpoBatch {
  if (!Array.isArray(features) || features.length === 0) throw new Error("collateDpo: expected a non-empty array of tokenized pairs");
  if (!Number.isInteger(opts?.padTokenId)) throw new Error(`collateDpo: padTokenId must be an integer (got ${String(opts?.padTokenId)}); trl uses the tokenizer's pad token, else its EOS token`);
  const seqs: Array<[number[], number[]]> = [
    ...features.map((f) => [f.chosenInputIds, f.chosenLabels] as [number[], number[]]),
    ...features.map((f) => [f.rejectedInputIds, f.rejectedLabels] as [number[], number[]]),
  ];
  let width = 0;
  seqs.forEach(([ids, labels], i) => {
    if (!Array.isArray(ids) || !Array.isArray(labels) || ids.length !== labels.length) throw new Error(`collateDpo: pair ${i % features.length} has ids and labels of different lengths (tokenize it with tokenizeDpoPair)`);
    width = Math.max(width, ids.length);
  });
  const m = opts.padToMultipleOf;
  if (m != null) {
    if (!Number.isInteger(m) || m < 1) throw new Error(`collateDpo: padToMultipleOf must be a positive integer (got ${m})`);
    width = Math.ceil(width / m) * m;
  }
  const batch: DpoBatch = { inputIds: [], labels: [], attentionMask: [] };
  for (const [ids, labels] of seqs) {
    const n = width - ids.length;
    batch.inputIds.push([...ids, ...new Array<number>(n).fill(opts.padTokenId)]);
    batch.labels.push([...labels, ...new Array<number>(n).fill(IGNORE_INDEX)]);
    batch.attentionMask.push([...new Array<number>(ids.length).fill(1), ...new Array<number>(n).fill(0)]);
  }
  const has = (k: "refChosenLogps" | "refRejectedLogps") => features.every((f) => typeof f[k] === "number");
  if (has("refChosenLogps") && has("refRejectedLogps")) {
    batch.refChosenLogps = features.map((f) => f.refChosenLogps as number);
    batch.refRejectedLogps = features.map((f) => f.refRejectedLogps as number);
  }
  return batch;
}

// ----- forward passes -------------------------------------------------------------------------------------

/** The reference's logits for a batch, e.g. `(ids, mask) => policy with adapters disabled → logits`. */
export type ReferenceLogitsFn = (inputIds: tf.Tensor2D, attentionMask: tf.Tensor2D) => tf.Tensor3D;

/** The reference policy: a frozen model, a callback giving its logits, or null when the batch carries them. */
export type DpoReference = TrainableCausalLM | ReferenceLogitsFn | null;

function batchShape(batch: DpoBatch, where: string): { pairs: number; T: number } {
  const rows = batch?.inputIds;
  if (!Array.isArray(rows) || rows.length === 0 || rows.length % 2 !== 0) throw new Error(`${where}: batch.inputIds must hold 2 × pairs rows (chosen then rejected; use collateDpo)`);
  const T = rows[0].length;
  for (const [name, rs] of [["inputIds", batch.inputIds], ["labels", batch.labels], ["attentionMask", batch.attentionMask]] as const) {
    if (!Array.isArray(rs) || rs.length !== rows.length || rs.some((r) => r.length !== T)) throw new Error(`${where}: batch.${name} must be ${rows.length} rows of ${T}`);
  }
  return { pairs: rows.length / 2, T };
}

/**
 * Summed response log-probs of every row of `batch` under `reference` (run in eval mode), as a tensor
 * [2 × pairs]. Nothing is read back; the caller reads or uses it.
 */
function referenceRowLogProbsTensor(reference: Exclude<DpoReference, null>, batch: DpoBatch, where: string): tf.Tensor1D {
  const { pairs, T } = batchShape(batch, where);
  const isModel = typeof reference !== "function";
  if (isModel && (reference == null || typeof (reference as TrainableCausalLM).forward !== "function")) throw new TypeError(`${where}: reference must be a model with forward(), a logits callback, or null`);
  const model = reference as TrainableCausalLM;
  const wasTraining = isModel && model.training === true;
  if (isModel && typeof model.train === "function") model.train(false);
  try {
    return tf.tidy(() => {
      const ids = tf.tensor2d(batch.inputIds, [2 * pairs, T], "int32");
      const mask = tf.tensor2d(batch.attentionMask, [2 * pairs, T], "int32");
      const logits = isModel ? model.forward(ids, { attentionMask: mask }).logits : (reference as ReferenceLogitsFn)(ids, mask);
      return sequenceLogProbs(logits, batch.labels);
    });
  } finally {
    if (isModel && typeof model.train === "function") model.train(wasTraining);
  }
}

/** Summed response log-probs of every row of `batch` under `reference`, as numbers (no gradient). */
function referenceRowLogProbs(reference: Exclude<DpoReference, null>, batch: DpoBatch, where: string): Float32Array {
  const logps = referenceRowLogProbsTensor(reference, batch, where);
  try {
    return logps.dataSync() as Float32Array;
  } finally {
    logps.dispose();
  }
}

function precomputeChunkSize(opts: { batchSize?: number }, where: string): number {
  const size = opts?.batchSize ?? 8;
  if (!Number.isInteger(size) || size < 1) throw new Error(`${where}: batchSize must be a positive integer (got ${size})`);
  return size;
}

/**
 * trl's precompute_ref_log_probs: the reference's summed response log-probs of each pair, computed once
 * (in batches of `batchSize` pairs) and attached as refChosenLogps / refRejectedLogps. Returns new objects.
 * Reads synchronously: on webgpu in Node use `precomputeReferenceLogProbsAsync`.
 */
export function precomputeReferenceLogProbs(
  reference: Exclude<DpoReference, null>,
  features: DpoFeatures[],
  opts: { padTokenId: number; batchSize?: number },
): DpoFeatures[] {
  const where = "precomputeReferenceLogProbs";
  const size = precomputeChunkSize(opts, where);
  const out: DpoFeatures[] = [];
  for (let s = 0; s < features.length; s += size) {
    const chunk = features.slice(s, s + size);
    const logps = referenceRowLogProbs(reference, collateDpo(chunk, { padTokenId: opts.padTokenId }), where);
    chunk.forEach((f, i) => out.push({ ...f, refChosenLogps: logps[i], refRejectedLogps: logps[chunk.length + i] }));
  }
  return out;
}

/** `precomputeReferenceLogProbs` with asynchronous reads (`await data()`): works on every backend, webgpu included. */
export async function precomputeReferenceLogProbsAsync(
  reference: Exclude<DpoReference, null>,
  features: DpoFeatures[],
  opts: { padTokenId: number; batchSize?: number },
): Promise<DpoFeatures[]> {
  const where = "precomputeReferenceLogProbsAsync";
  const size = precomputeChunkSize(opts, where);
  const out: DpoFeatures[] = [];
  for (let s = 0; s < features.length; s += size) {
    const chunk = features.slice(s, s + size);
    const tensor = referenceRowLogProbsTensor(reference, collateDpo(chunk, { padTokenId: opts.padTokenId }), where);
    let logps: Float32Array;
    try {
      logps = (await tensor.data()) as Float32Array;
    } finally {
      tensor.dispose();
    }
    chunk.forEach((f, i) => out.push({ ...f, refChosenLogps: logps[i], refRejectedLogps: logps[chunk.length + i] }));
  }
  return out;
}

/**
 * Identity whose gradient is zero: the reference's log-probs enter the loss as constants, as when they are
 * read back as numbers (it matters only if the reference shares trainable weights with the policy).
 */
const constantGradient = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const x = args[0] as tf.Tensor;
  return { value: tf.clone(x), gradFunc: (dy: tf.Tensor) => [tf.zerosLike(dy)] };
});

export interface DpoBatchOutput extends DpoLossOutput {
  /** The policy's summed response log-probs, chosen rows then rejected rows (values). */
  policyLogps: number[];
  /** The reference's, same order. */
  referenceLogps: number[];
}

/**
 * `computeDpoBatch` with `{ deferMetrics: true }`: nothing read yet. `await readDpoMetrics(out)` gives the
 * metrics and `await out.metrics.readLogProbs()` the policy / reference log-probs (both free the tensor).
 */
export type DeferredDpoBatchOutput = DeferredDpoLossOutput;

/**
 * One DPO step's loss: the policy on the whole batch in one forward pass (chosen and rejected rows
 * together, trl's concatenated_forward), the reference's log-probs from the batch (precomputed) or from
 * `reference` (run without gradient), then `dpoLoss`. Call it inside the loss function whose gradients
 * you take (Trainer's `loss`, `lossAndGrads`); the returned `loss` is differentiable in the policy only.
 * With `{ deferMetrics: true }` nothing is read synchronously (webgpu in Node): read the metrics with
 * `await readDpoMetrics(out)` after the gradient call.
 */
export function computeDpoBatch(policy: TrainableCausalLM, reference: DpoReference, batch: DpoBatch, opts: DpoLossOptions & { deferMetrics: true }): DeferredDpoBatchOutput;
export function computeDpoBatch(policy: TrainableCausalLM, reference: DpoReference, batch: DpoBatch, opts?: DpoLossOptions & { deferMetrics?: false }): DpoBatchOutput;
export function computeDpoBatch(policy: TrainableCausalLM, reference: DpoReference, batch: DpoBatch, opts?: DpoLossOptions): DpoBatchOutput | DeferredDpoBatchOutput;
export function computeDpoBatch(policy: TrainableCausalLM, reference: DpoReference, batch: DpoBatch, opts: DpoLossOptions = {}): DpoBatchOutput | DeferredDpoBatchOutput {
  const where = "computeDpoBatch";
  const { pairs, T } = batchShape(batch, where);
  const defer = opts.deferMetrics === true;
  let precomputed: number[] | null = null;
  if (batch.refChosenLogps && batch.refRejectedLogps) {
    if (batch.refChosenLogps.length !== pairs || batch.refRejectedLogps.length !== pairs) throw new Error(`${where}: the batch's precomputed reference log-probs do not have one value per pair (${pairs})`);
    precomputed = [...batch.refChosenLogps, ...batch.refRejectedLogps];
  } else if (reference == null) {
    throw new Error(`${where}: no reference: pass a reference model or logits callback, or precompute the reference log-probs (precomputeReferenceLogProbs)`);
  }
  const lengths = batch.labels.map((r) => r.reduce((n, l, t) => n + (t > 0 && l !== IGNORE_INDEX ? 1 : 0), 0));
  const lossOpts = { ...opts, chosenLengths: opts.chosenLengths ?? lengths.slice(0, pairs), rejectedLengths: opts.rejectedLengths ?? lengths.slice(pairs) };

  if (defer) {
    // No read: the reference's log-probs stay a tensor (constant for the gradient), the metrics a kept tensor.
    let metrics: DeferredDpoMetrics | undefined;
    const loss = tf.tidy(() => {
      const ref: tf.Tensor1D = precomputed
        ? tf.tensor1d(precomputed, "float32")
        : (constantGradient(referenceRowLogProbsTensor(reference as Exclude<DpoReference, null>, batch, where)) as tf.Tensor1D);
      const ids = tf.tensor2d(batch.inputIds, [2 * pairs, T], "int32");
      const mask = tf.tensor2d(batch.attentionMask, [2 * pairs, T], "int32");
      const logps = sequenceLogProbs(policy.forward(ids, { attentionMask: mask }).logits, batch.labels);
      const half = (x: tf.Tensor1D, from: number) => tf.slice(x, [from], [pairs]) as tf.Tensor1D;
      const out = dpoLoss(half(logps, 0), half(logps, pairs), half(ref, 0), half(ref, pairs), { ...lossOpts, deferMetrics: true });
      metrics = out.metrics;
      return out.loss;
    });
    return { loss, metrics: metrics as DeferredDpoMetrics };
  }

  const ref: ArrayLike<number> = precomputed ?? referenceRowLogProbs(reference as Exclude<DpoReference, null>, batch, where);
  let policyLogps: number[] = [];
  let metrics: DpoMetrics | undefined;
  const loss = tf.tidy(() => {
    const ids = tf.tensor2d(batch.inputIds, [2 * pairs, T], "int32");
    const mask = tf.tensor2d(batch.attentionMask, [2 * pairs, T], "int32");
    const logps = sequenceLogProbs(policy.forward(ids, { attentionMask: mask }).logits, batch.labels);
    policyLogps = Array.from(logps.dataSync());
    const chosen = tf.slice(logps, [0], [pairs]) as tf.Tensor1D;
    const rejected = tf.slice(logps, [pairs], [pairs]) as tf.Tensor1D;
    const refArr = Array.from(ref);
    const out = dpoLoss(chosen, rejected, refArr.slice(0, pairs), refArr.slice(pairs), { ...lossOpts, deferMetrics: false });
    metrics = out.metrics;
    return out.loss;
  });
  return { loss, metrics: metrics as DpoMetrics, policyLogps, referenceLogps: Array.from(ref) };
}
