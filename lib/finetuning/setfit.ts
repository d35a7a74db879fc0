/**
 * SetFit (Tunstall et al., 2022; chapter 11): few-shot classification in two phases. First the
 * sentence-transformer body is fine-tuned contrastively on pairs of the labelled sentences (same label:
 * target cosine 1, different labels: 0, CosineSimilarityLoss); then a logistic-regression head is fitted
 * on the fine-tuned body's embeddings.
 *
 *   const train = sampleDataset(data.train, { numSamples: 16 });            // 16 per class
 *   const model = await SetFitModel.fromPretrained("data/models/bert-mini-mlm");
 *   await trainSetFit(model, train, { numIterations: 20, numEpochs: 1 });   // 2 x 20 x 32 = 1,280 pairs
 *   model.predict(["a lovely film"]);
 *
 * Pairs are generated as setfit 1.x's `ContrastiveDataset` does: every unordered pair of sentences with
 * replacement (each sentence also paired with itself), in the order of numpy's
 * `RandomState(42).permutation` (reproduced bit for bit below), split into positives and negatives, then
 * "oversampling" (both sides cycled up to the larger), "undersampling" (both cut to the smaller) or
 * "unique" (each pair once); `numIterations` overrides the strategy with numIterations x n sentences pairs
 * per side. The pairs alternate positive, negative, positive, ...
 *
 * Not reproduced: HF datasets' shuffle (PCG64) in `sampleDataset` and torch's batch shuffling; both use the
 * lib's seeded Rng instead, so the few-shot subsets and batch orders differ from Python's for the same seed.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { tf } from "../engine";
import type { BertInputs } from "../models/bert";
import { writeFileAtomic } from "../models/safetensors";
import { SentenceTransformer, type SentenceTransformerOptions } from "../embeddings/sentence-transformer";
import { cosineSimilarityLoss } from "../embeddings/losses";
import { LogisticRegression, uniqueLabels, type Label, type LogisticRegressionOptions } from "../classification/logistic-regression";
import { Trainer, type LogRecord } from "../training/trainer";
import { ProgressBar } from "../notebook/progress";
import type { HubDownloadOptions } from "../hub/download";
import type { DenseMatrix } from "../util/matrix";
import { Rng } from "../util/random";

// ---------------------------------------------------------------------------------------------------
// numpy's legacy RandomState (MT19937), enough for `RandomState(seed).permutation(n)`

/** The Mersenne Twister as numpy's legacy `RandomState` seeds and draws it (32-bit outputs). */
export class MT19937 {
  private readonly mt = new Uint32Array(624);
  private index = 624;

  constructor(seed: number) {
    if (!(Number.isInteger(seed) && seed >= 0 && seed <= 0xffffffff)) throw new Error(`MT19937: seed must be an integer in [0, 2**32 - 1] (got ${seed})`);
    this.mt[0] = seed >>> 0;
    for (let i = 1; i < 624; i++) {
      const prev = this.mt[i - 1] ^ (this.mt[i - 1] >>> 30);
      this.mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
  }

  private twist(): void {
    const mt = this.mt;
    for (let i = 0; i < 624; i++) {
      const y = (mt[i] & 0x80000000) | (mt[(i + 1) % 624] & 0x7fffffff);
      mt[i] = mt[(i + 397) % 624] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
    }
    this.index = 0;
  }

  nextUint32(): number {
    if (this.index >= 624) this.twist();
    let y = this.mt[this.index++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** A uniform integer in [0, max] by masked rejection (numpy's legacy `random_interval`, max < 2**32). */
  interval(max: number): number {
    if (max === 0) return 0;
    let mask = max;
    for (const shift of [1, 2, 4, 8, 16]) mask |= mask >>> shift;
    mask >>>= 0;
    let value: number;
    do value = (this.nextUint32() & mask) >>> 0;
    while (value > max);
    return value;
  }
}

/** `np.random.RandomState(seed).permutation(n)`: the same order as numpy, for n < 2**32. */
export function numpyPermutation(n: number, seed: number): number[] {
  if (!(Number.isInteger(n) && n >= 0)) throw new Error(`numpyPermutation: n must be an integer >= 0 (got ${n})`);
  const rng = new MT19937(seed);
  const out = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.interval(i);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Pairs (setfit.sampler)

/**
 * All unordered pairs of `items` (with `replacement`, each item also with itself: the upper triangle of an
 * n x n grid including the diagonal, row by row), in the order of `RandomState(seed).permutation`:
 * setfit's `shuffle_combinations` (its seed is fixed at 42).
 */
export function shuffleCombinations<T>(items: readonly T[], opts: { replacement?: boolean; seed?: number } = {}): Array<[T, T]> {
  const n = items.length;
  const k = (opts.replacement ?? true) ? 0 : 1;
  const pairs: Array<[number, number]> = [];
  for (let i = 0; i < n; i++) for (let j = i + k; j < n; j++) pairs.push([i, j]);
  return numpyPermutation(pairs.length, opts.seed ?? 42).map((p) => [items[pairs[p][0]], items[pairs[p][1]]]);
}

export type SamplingStrategy = "oversampling" | "undersampling" | "unique";

export const SAMPLING_STRATEGIES: readonly SamplingStrategy[] = ["oversampling", "undersampling", "unique"];

/** One contrastive example: two sentences and the target cosine similarity (1 same label, 0 not). */
export interface SentencePair {
  sentence1: string;
  sentence2: string;
  label: number;
}

export interface ContrastiveDatasetOptions {
  /** Labels are 0/1 vectors; a pair is positive when the two share any label (setfit's multi-label case). */
  multilabel?: boolean;
  /** When > 0: numIterations x n sentences positive and as many negative pairs, whatever the strategy. */
  numIterations?: number | null;
  samplingStrategy?: SamplingStrategy;
  /** Stop collecting once both sides hold maxPairs / 2 pairs (setfit: max_steps x batch size); -1: no limit. */
  maxPairs?: number;
}

/**
 * setfit's ContrastiveDataset: the positive and negative pairs of labelled sentences and how many of each
 * one pass yields. `pairs()` is the list `list(ContrastiveDataset(...))` gives in Python.
 */
export class ContrastiveDataset {
  readonly posPairs: SentencePair[] = [];
  readonly negPairs: SentencePair[] = [];
  readonly lenPosPairs: number;
  readonly lenNegPairs: number;

  constructor(readonly sentences: readonly string[], readonly labels: ReadonlyArray<Label | readonly number[]>, opts: ContrastiveDatasetOptions = {}) {
    if (!Array.isArray(sentences) || sentences.some((s) => typeof s !== "string")) throw new Error("ContrastiveDataset: sentences must be an array of strings");
    if (!Array.isArray(labels) || labels.length !== sentences.length) throw new Error(`ContrastiveDataset: ${sentences.length} sentences but ${Array.isArray(labels) ? labels.length : "no"} labels`);
    if (sentences.length === 0) throw new Error("ContrastiveDataset: no sentences");
    const strategy = opts.samplingStrategy ?? "oversampling";
    if (!SAMPLING_STRATEGIES.includes(strategy)) throw new Error(`ContrastiveDataset: invalid sampling strategy '${strategy}'; must be one of ${SAMPLING_STRATEGIES.map((s) => `'${s}'`).join(", ")}`);
    const maxPairs = opts.maxPairs ?? -1;
    if (!(Number.isInteger(maxPairs) && (maxPairs === -1 || maxPairs > 0))) throw new Error(`ContrastiveDataset: maxPairs must be -1 or a positive integer (got ${maxPairs})`);
    const multilabel = opts.multilabel ?? false;
    labels.forEach((l, i) => {
      const ok = multilabel ? Array.isArray(l) && l.length > 0 : typeof l === "number" || typeof l === "string";
      if (!ok) throw new Error(`ContrastiveDataset: label ${i} is ${JSON.stringify(l)}, expected ${multilabel ? "a 0/1 vector (multilabel)" : "a number or a string"}`);
    });
    const samePositive = multilabel
      ? (a: Label | readonly number[], b: Label | readonly number[]) => (a as readonly number[]).some((v, k) => Boolean(v) && Boolean((b as readonly number[])[k]))
      : (a: Label | readonly number[], b: Label | readonly number[]) => a === b;

    const maxPosOrNeg = maxPairs === -1 ? -1 : Math.floor(maxPairs / 2);
    const indices = sentences.map((_, i) => i);
    for (const [i, j] of shuffleCombinations(indices)) {
      const positiveFull = maxPosOrNeg !== -1 && this.posPairs.length >= maxPosOrNeg;
      const negativeFull = maxPosOrNeg !== -1 && this.negPairs.length >= maxPosOrNeg;
      if (samePositive(labels[i], labels[j])) {
        if (!positiveFull) this.posPairs.push({ sentence1: sentences[i], sentence2: sentences[j], label: 1.0 });
      } else if (!negativeFull) {
        this.negPairs.push({ sentence1: sentences[i], sentence2: sentences[j], label: 0.0 });
      }
      if (positiveFull && negativeFull) break;
    }

    const numIterations = opts.numIterations ?? null;
    if (numIterations !== null && !(Number.isInteger(numIterations) && numIterations >= 0)) throw new Error(`ContrastiveDataset: numIterations must be a non-negative integer or null (got ${numIterations})`);
    if (numIterations !== null && numIterations > 0) {
      this.lenPosPairs = numIterations * sentences.length;
      this.lenNegPairs = numIterations * sentences.length;
    } else if (strategy === "unique") {
      this.lenPosPairs = this.posPairs.length;
      this.lenNegPairs = this.negPairs.length;
    } else if (strategy === "undersampling") {
      this.lenPosPairs = this.lenNegPairs = Math.min(this.posPairs.length, this.negPairs.length);
    } else {
      this.lenPosPairs = this.lenNegPairs = Math.max(this.posPairs.length, this.negPairs.length);
    }
    // Python would fail with an IndexError when cycling an empty side; say why instead.
    if (this.lenNegPairs > 0 && this.negPairs.length === 0) throw new Error("ContrastiveDataset: no negative pairs (every sentence has the same label); SetFit needs at least two classes");
    if (this.lenPosPairs > 0 && this.posPairs.length === 0) throw new Error("ContrastiveDataset: no positive pairs");
  }

  /** Number of pairs one pass yields (`len(dataset)`). */
  get length(): number {
    return this.lenPosPairs + this.lenNegPairs;
  }

  /** The pairs in setfit's order: positive, negative, positive, ... (each side cycled from its start). */
  pairs(): SentencePair[] {
    const out: SentencePair[] = [];
    for (let k = 0; k < Math.max(this.lenPosPairs, this.lenNegPairs); k++) {
      if (k < this.lenPosPairs) out.push(this.posPairs[k % this.posPairs.length]);
      if (k < this.lenNegPairs) out.push(this.negPairs[k % this.negPairs.length]);
    }
    return out;
  }
}

// ---------------------------------------------------------------------------------------------------
// Few-shot subsets (setfit.sample_dataset)

export interface SampleDatasetOptions {
  /** Examples kept per label (default 8; fewer when a label has fewer). */
  numSamples?: number;
  labelColumn?: string;
  seed?: number;
}

/**
 * setfit's `sample_dataset`: shuffle the rows with `seed`, keep the first `numSamples` rows of each label
 * (in shuffled order), then shuffle the kept rows again with the same seed.
 */
export function sampleDataset<T extends object>(dataset: readonly T[], opts: SampleDatasetOptions = {}): T[] {
  const numSamples = opts.numSamples ?? 8;
  const labelColumn = opts.labelColumn ?? "label";
  const seed = opts.seed ?? 42;
  if (!Array.isArray(dataset)) throw new Error("sampleDataset: dataset must be an array of rows");
  if (!(Number.isInteger(numSamples) && numSamples > 0)) throw new Error(`sampleDataset: numSamples must be a positive integer (got ${numSamples})`);
  const shuffled = new Rng(seed).shuffle([...dataset]);
  const taken = new Map<unknown, number>();
  const kept: T[] = [];
  shuffled.forEach((row, i) => {
    if (row === null || typeof row !== "object" || !(labelColumn in row)) throw new Error(`sampleDataset: row ${i} has no '${labelColumn}' column`);
    const label = (row as Record<string, unknown>)[labelColumn];
    const n = taken.get(label) ?? 0;
    if (n < numSamples) {
      kept.push(row);
      taken.set(label, n + 1);
    }
  });
  return new Rng(seed).shuffle(kept);
}

// ---------------------------------------------------------------------------------------------------
// The model

/** config_setfit.json (setfit's own file) plus where the head lives. */
interface SetFitConfig {
  normalize_embeddings: boolean;
  labels: string[] | null;
}

/** The fitted head as JSON (setfit pickles sklearn's estimator into model_head.pkl; JSON here). */
interface HeadJson {
  type: "LogisticRegression";
  params: LogisticRegressionOptions;
  classes: Label[];
  coef: number[][];
  intercept: number[];
}

export const SETFIT_CONFIG_NAME = "config_setfit.json";
export const HEAD_FILE_NAME = "model_head.json";

export interface SetFitModelOptions {
  /** sklearn LogisticRegression parameters of the head (setfit's head_params; default sklearn's). */
  headParams?: LogisticRegressionOptions;
  /** L2-normalise embeddings before the head (setfit's normalize_embeddings, default false). */
  normalizeEmbeddings?: boolean;
  /** Names of integer labels 0..K-1: predict returns these names (setfit's `labels`). */
  labels?: string[] | null;
}

/** setfit's SetFitModel with its default head: a SentenceTransformer body and a logistic regression. */
export class SetFitModel {
  head: LogisticRegression;
  readonly normalizeEmbeddings: boolean;
  labels: string[] | null;

  constructor(readonly body: SentenceTransformer, opts: SetFitModelOptions = {}) {
    this.head = new LogisticRegression(opts.headParams ?? {});
    this.normalizeEmbeddings = opts.normalizeEmbeddings ?? false;
    this.labels = opts.labels ?? null;
  }

  /**
   * A body loaded as a SentenceTransformer (a plain HF checkpoint mean-pools); when the folder holds a
   * saved SetFit head (model_head.json) and config_setfit.json, they are loaded too.
   */
  static async fromPretrained(idOrPath: string, opts: SetFitModelOptions & SentenceTransformerOptions & HubDownloadOptions = {}): Promise<SetFitModel> {
    const body = await SentenceTransformer.fromPretrained(idOrPath, opts);
    const folder = fs.existsSync(idOrPath) ? idOrPath : null;
    const configFile = folder ? path.join(folder, SETFIT_CONFIG_NAME) : null;
    let config: Partial<SetFitConfig> = {};
    if (configFile && fs.existsSync(configFile)) config = readJsonFile(configFile) as Partial<SetFitConfig>;
    const model = new SetFitModel(body, {
      headParams: opts.headParams,
      normalizeEmbeddings: opts.normalizeEmbeddings ?? config.normalize_embeddings ?? false,
      labels: opts.labels ?? config.labels ?? null,
    });
    const headFile = folder ? path.join(folder, HEAD_FILE_NAME) : null;
    if (headFile && fs.existsSync(headFile)) model.head = headFromJson(readJsonFile(headFile) as HeadJson, headFile);
    return model;
  }

  /** Writes the body (sentence-transformers layout), config_setfit.json and the fitted head as model_head.json. */
  save(dir: string): void {
    if (this.head.classes.length === 0) throw new Error("SetFitModel.save: the head is not fitted; train the model (or call fit) first");
    this.body.save(dir);
    const json = (value: unknown) => JSON.stringify(value, null, 2) + "\n";
    const config: SetFitConfig = { normalize_embeddings: this.normalizeEmbeddings, labels: this.labels };
    writeFileAtomic(path.join(dir, SETFIT_CONFIG_NAME), json(config));
    writeFileAtomic(path.join(dir, HEAD_FILE_NAME), json(headToJson(this.head)));
  }

  /** Body embeddings of texts (normalised when normalizeEmbeddings), as the head sees them. */
  encode(texts: string[], opts: { batchSize?: number; showProgressBar?: boolean } = {}): DenseMatrix {
    return this.body.encode(texts, { ...opts, normalizeEmbeddings: this.normalizeEmbeddings });
  }

  /** Fits the head on the body's embeddings of texts (the body is not trained): the "linear probe". */
  fit(texts: string[], labels: readonly Label[], opts: { showProgressBar?: boolean } = {}): this {
    if (texts.length !== labels.length) throw new Error(`SetFitModel.fit: ${texts.length} texts but ${labels.length} labels`);
    this.head.fit(this.encode(texts, { showProgressBar: opts.showProgressBar }), labels);
    return this;
  }

  private checkFitted(what: string): void {
    if (this.head.classes.length === 0) throw new Error(`SetFitModel.${what}: the head is not fitted; train the model (or call fit) first`);
  }

  /** Predicted labels; integer labels are mapped to names when `labels` is set. */
  predict(texts: string[]): Label[] {
    this.checkFitted("predict");
    const pred = this.head.predict(this.encode(texts));
    const names = this.labels;
    if (!names) return pred;
    return pred.map((p) => (typeof p === "number" && Number.isInteger(p) && p >= 0 && p < names.length ? names[p] : p));
  }

  /** Class probabilities, one row per text, columns in the order of `head.classes`. */
  predictProba(texts: string[]): number[][] {
    this.checkFitted("predictProba");
    return this.head.predictProba(this.encode(texts));
  }

  dispose(): void {
    this.body.dispose();
  }
}

function readJsonFile(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(`${file}: cannot read JSON (${(e as Error).message})`);
  }
}

function headToJson(head: LogisticRegression): HeadJson {
  return {
    type: "LogisticRegression",
    params: { C: head.C, fitIntercept: head.fitIntercept, maxIter: head.maxIter, tol: head.tol, ftol: head.ftol, penalty: head.penalty },
    classes: head.classes,
    coef: head.coef.map((row) => Array.from(row)),
    intercept: Array.from(head.intercept),
  };
}

function headFromJson(json: HeadJson, file: string): LogisticRegression {
  if (!json || json.type !== "LogisticRegression") throw new Error(`${file}: expected a LogisticRegression head (type "LogisticRegression")`);
  const { classes, coef, intercept } = json;
  const K = classes?.length === 2 ? 1 : classes?.length;
  if (!Array.isArray(classes) || classes.length < 2 || !Array.isArray(coef) || coef.length !== K || !Array.isArray(intercept) || intercept.length !== K) {
    throw new Error(`${file}: malformed head (need >= 2 classes, ${K ?? "?"} coefficient rows and ${K ?? "?"} intercepts)`);
  }
  const d = coef[0].length;
  if (coef.some((row) => !Array.isArray(row) || row.length !== d)) throw new Error(`${file}: coefficient rows differ in length`);
  const head = new LogisticRegression(json.params ?? {});
  head.classes = classes;
  head.coef = coef.map((row) => Float64Array.from(row));
  head.intercept = Float64Array.from(intercept);
  head.converged = true;
  // nFeatures is private to LogisticRegression (set by fit); a restored head needs it for its input check.
  Object.assign(head, { nFeatures: d });
  return head;
}

// ---------------------------------------------------------------------------------------------------
// Training (setfit.Trainer)

export interface SetFitTrainingOptions {
  /** Pairs per contrastive batch (setfit's embedding batch size, default 16). */
  batchSize?: number;
  /** Passes over the pairs (default 1). */
  numEpochs?: number;
  /** When > 0, a fixed step count that overrides numEpochs (and caps the pairs at maxSteps x batchSize). */
  maxSteps?: number;
  /** AdamW learning rate of the body (default 2e-5). */
  bodyLearningRate?: number;
  /** setfit's head_learning_rate (1e-2): only for a differentiable head; the logistic-regression head ignores it. */
  headLearningRate?: number;
  /** Pairs per side = numIterations x n sentences (setfit's num_iterations); overrides samplingStrategy. */
  numIterations?: number | null;
  samplingStrategy?: SamplingStrategy;
  /** Share of the steps used for the linear warm-up (default 0.1). */
  warmupProportion?: number;
  /** Seeds batch order and dropout (default 42). */
  seed?: number;
  /** Maximum gradient norm (default 1, the HF Trainer's). */
  maxGradNorm?: number;
  textColumn?: string;
  labelColumn?: string;
  /** Progress bars for both phases (default true). */
  progress?: boolean;
}

export interface SetFitTrainOutput {
  /** Pairs in one pass and contrastive steps taken. */
  numPairs: number;
  globalStep: number;
  /** Last step's loss and the Trainer's log (loss every 10 steps). */
  trainingLoss: number;
  logHistory: LogRecord[];
  /** Seconds spent in each phase. */
  embeddingSeconds: number;
  classifierSeconds: number;
}

interface PairBatch {
  a: BertInputs;
  b: BertInputs;
  labels: tf.Tensor1D;
}

/**
 * Batches of `n` examples over seeded passes with the last partial batch kept (a torch DataLoader with
 * shuffle=True, drop_last=False), as a pure function of the step index.
 */
export function shuffledBatches(n: number, batchSize: number, seed: number): { batch: (i: number) => number[]; stepsPerEpoch: number } {
  if (!(Number.isInteger(n) && n > 0)) throw new Error(`shuffledBatches: need at least one example (got ${n})`);
  if (!(Number.isInteger(batchSize) && batchSize > 0)) throw new Error(`shuffledBatches: batchSize must be a positive integer (got ${batchSize})`);
  const stepsPerEpoch = Math.ceil(n / batchSize);
  const orders = new Map<number, number[]>();
  return {
    stepsPerEpoch,
    batch: (i) => {
      const pass = Math.floor(i / stepsPerEpoch);
      let order = orders.get(pass);
      if (!order) {
        order = new Rng(seed * 1_000_003 + pass).shuffle(Array.from({ length: n }, (_, k) => k));
        orders.set(pass, order);
        orders.delete(pass - 2);
      }
      const start = (i % stepsPerEpoch) * batchSize;
      return order.slice(start, start + batchSize);
    },
  };
}

function columnOf<T>(rows: readonly object[], column: string, what: string, check: (v: unknown) => v is T): T[] {
  return rows.map((row, i) => {
    const v = (row as Record<string, unknown>)[column];
    if (!check(v)) throw new Error(`trainSetFit: row ${i} has ${column} = ${JSON.stringify(v)}, expected ${what}`);
    return v;
  });
}

/**
 * setfit's `Trainer.train()`: contrastive fine-tuning of model.body on pairs of the training texts
 * (CosineSimilarityLoss on u = body(sentence1), v = body(sentence2), AdamW with linear warm-up and decay),
 * then the logistic-regression head fitted on the fine-tuned body's embeddings of the training texts.
 */
export async function trainSetFit(model: SetFitModel, trainDataset: readonly object[], opts: SetFitTrainingOptions = {}): Promise<SetFitTrainOutput> {
  const batchSize = opts.batchSize ?? 16;
  const numEpochs = opts.numEpochs ?? 1;
  const maxSteps = opts.maxSteps ?? -1;
  const seed = opts.seed ?? 42;
  const warmupProportion = opts.warmupProportion ?? 0.1;
  const progress = opts.progress ?? true;
  if (!Array.isArray(trainDataset) || trainDataset.length === 0) throw new Error("trainSetFit: the training set is empty");
  if (!(numEpochs > 0)) throw new Error(`trainSetFit: numEpochs must be positive (got ${numEpochs})`);
  if (!(maxSteps === -1 || (Number.isInteger(maxSteps) && maxSteps > 0))) throw new Error(`trainSetFit: maxSteps must be -1 or a positive integer (got ${maxSteps})`);
  if (!(warmupProportion >= 0 && warmupProportion <= 1)) throw new Error(`trainSetFit: warmupProportion must be in [0, 1] (got ${warmupProportion})`);
  const texts = columnOf(trainDataset, opts.textColumn ?? "text", "a string", (v): v is string => typeof v === "string");
  const labels = columnOf(trainDataset, opts.labelColumn ?? "label", "a number or a string", (v): v is Label => typeof v === "number" || typeof v === "string");
  if (uniqueLabels(labels).length < 2) throw new Error("trainSetFit: the training set has a single label; SetFit needs at least two");

  // Phase 1: the body, contrastively.
  const t0 = Date.now();
  const dataset = new ContrastiveDataset(texts, labels, {
    numIterations: opts.numIterations ?? null,
    samplingStrategy: opts.samplingStrategy ?? "oversampling",
    maxPairs: maxSteps === -1 ? -1 : maxSteps * batchSize,
  });
  const pairs = dataset.pairs();
  const batches = shuffledBatches(pairs.length, batchSize, seed);
  const steps = maxSteps > 0 ? maxSteps : Math.max(1, Math.ceil(numEpochs * batches.stepsPerEpoch));
  // setfit's own report before training.
  if (progress) console.log(`***** Running training *****\n  Num unique pairs = ${pairs.length}\n  Batch size = ${batchSize}\n  Num epochs = ${numEpochs}\n  Total optimization steps = ${steps}`);
  const body = model.body;
  const trainer = new Trainer<PairBatch>({
    model: body,
    args: {
      maxSteps: steps,
      learningRate: opts.bodyLearningRate ?? 2e-5,
      warmupRatio: warmupProportion,
      weightDecay: 0,
      maxGradNorm: opts.maxGradNorm ?? 1.0,
      seed,
      progress,
    },
    batch: (i) => {
      const rows = batches.batch(i).map((k) => pairs[k]);
      return {
        a: body.tokenize(rows.map((r) => r.sentence1)),
        b: body.tokenize(rows.map((r) => r.sentence2)),
        labels: tf.tensor1d(rows.map((r) => r.label), "float32"),
      };
    },
    loss: (batch) => cosineSimilarityLoss(body.forward(batch.a), body.forward(batch.b), batch.labels),
    disposeBatch: (batch) => tf.dispose([...Object.values(batch.a), ...Object.values(batch.b), batch.labels].filter((t): t is tf.Tensor => t instanceof tf.Tensor)),
  });
  let out;
  try {
    out = await trainer.train();
  } finally {
    trainer.dispose();
  }
  const t1 = Date.now();

  // Phase 2: the head on the fine-tuned body's embeddings.
  const bar = progress ? new ProgressBar({ total: 1, desc: "fitting head" }) : null;
  try {
    model.fit(texts, labels, { showProgressBar: progress });
    bar?.update(1);
  } finally {
    bar?.close();
  }
  const t2 = Date.now();
  return {
    numPairs: pairs.length,
    globalStep: out.globalStep,
    trainingLoss: out.trainingLoss,
    logHistory: out.logHistory,
    embeddingSeconds: (t1 - t0) / 1000,
    classifierSeconds: (t2 - t1) / 1000,
  };
}
