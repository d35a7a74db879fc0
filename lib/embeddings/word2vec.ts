/**
 * word2vec: skip-gram with negative sampling (SGNS; Mikolov et al. 2013, "Distributed Representations
 * of Words and Phrases and their Compositionality"), with gensim's `Word2Vec(sg=1)` defaults and
 * sampling rules, trained in tfjs.
 *
 * What follows gensim (so its users get what they expect):
 * - vocabulary: words seen at least `minCount` times, most frequent first;
 * - subsampling of frequent words: a word of count c is kept with probability
 *   (sqrt(c / (sample * total)) + 1) * (sample * total) / c (word2vec.c's formula);
 * - window: for each centre word a random b in [0, window) shrinks the window to window - b;
 * - negatives drawn from unigram counts ^ 0.75; a negative equal to the positive word is skipped;
 * - pairs as gensim's inner loop trains them: the context word's input vector predicts the centre word's
 *   output vector; input vectors start uniform in ±0.5 / vectorSize, output vectors at zero;
 * - learning rate decays linearly from `alpha` to `minAlpha` over all epochs.
 *
 * What differs: gensim updates after every (context, word) pair; here `batchSize` pairs make one step.
 * The weights live in two Float32Arrays; a step copies the rows it needs into a batch, tfjs computes
 * scores, sigmoids and the input-side gradient for the whole batch (sgnsLossAndGrads' ops), and the
 * update is applied in place to the touched rows only: plain SGD, the sparse scatter-add that the
 * gradient of a gather is. Measured on Austen (wasm, 1 core): tf.gather on wasm costs ~40 ns per element
 * and a dense [vocab, dim] update per step dominates, so this split is ~10x faster than keeping the
 * weights in tf.Variables; it is ~4x slower than gensim's C loop (Debian gensim 4.2, 1 worker).
 */
import { tf } from "../engine";
import { Rng } from "../util/random";
import { ProgressBar, ProgressOptions } from "../notebook/progress";
import { KeyedVectors } from "./keyed-vectors";

export interface Word2VecOptions {
  /** Dimensions of the word vectors (gensim `vector_size`, default 100). */
  vectorSize?: number;
  /** Largest distance between a word and its context (default 5; shrunk at random per word, as gensim). */
  window?: number;
  /** Words seen fewer times are dropped (default 5). */
  minCount?: number;
  /** Noise words per positive pair (default 5). */
  negative?: number;
  /** Subsampling threshold for frequent words (default 1e-3; 0 disables). */
  sample?: number;
  /** Exponent of the unigram noise distribution (gensim `ns_exponent`, default 0.75). */
  nsExponent?: number;
  /** Initial learning rate (default 0.025). */
  alpha?: number;
  /** Final learning rate (default 0.0001). */
  minAlpha?: number;
  /** Passes over the corpus (default 5). */
  epochs?: number;
  /** Seed of every random choice: initial vectors, window sizes, subsampling, negatives (default 1). */
  seed?: number;
  /** Keep only the most frequent words (gensim `max_final_vocab`); default: no limit. */
  maxVocabSize?: number;
  /**
   * (context, word) pairs per tfjs step. Default: 512, or fewer for a small vocabulary so that a row is
   * hit about 4 times per step at most on average (4 x vocab / (1 + negative)): the summed updates of
   * one row do not see each other, and too many of them overshoot. 512 was the fastest on Austen
   * (larger batches fall out of cache) and learns as well as 64.
   */
  batchSize?: number;
  /** Show a progress bar (default true); or options for it. */
  progress?: boolean | ProgressOptions;
  /** Called after each epoch. */
  onEpoch?: (stats: EpochStats) => void;
}

export interface EpochStats {
  epoch: number;
  /** Mean SGNS loss per positive pair over the epoch. */
  loss: number;
  /** Corpus words read (before vocabulary filtering and subsampling). */
  rawWords: number;
  /** Words left after filtering and subsampling, i.e. trained on. */
  effectiveWords: number;
  pairs: number;
  seconds: number;
  /** rawWords / seconds. */
  wordsPerSecond: number;
  /** Learning rate reached at the end of the epoch. */
  alpha: number;
}

type Resolved = Required<Omit<Word2VecOptions, "maxVocabSize" | "progress" | "onEpoch">> & { maxVocabSize: number };

function resolve(opts: Word2VecOptions): Resolved {
  const o: Resolved = {
    vectorSize: opts.vectorSize ?? 100,
    window: opts.window ?? 5,
    minCount: opts.minCount ?? 5,
    negative: opts.negative ?? 5,
    sample: opts.sample ?? 1e-3,
    nsExponent: opts.nsExponent ?? 0.75,
    alpha: opts.alpha ?? 0.025,
    minAlpha: opts.minAlpha ?? 0.0001,
    epochs: opts.epochs ?? 5,
    seed: opts.seed ?? 1,
    maxVocabSize: opts.maxVocabSize ?? Infinity,
    batchSize: opts.batchSize ?? 0, // 0: chosen from the vocabulary size in train()
  };
  const positiveInt = ["vectorSize", "window", "minCount", "epochs"] as const;
  for (const k of positiveInt) {
    if (!Number.isInteger(o[k]) || o[k] < 1) throw new Error(`Word2Vec: ${k} must be a positive integer, got ${o[k]}`);
  }
  if (!Number.isInteger(o.negative) || o.negative < 1) throw new Error(`Word2Vec: negative must be a positive integer, got ${o.negative} (hierarchical softmax is not implemented)`);
  if (opts.batchSize !== undefined && (!Number.isInteger(o.batchSize) || o.batchSize < 1)) {
    throw new Error(`Word2Vec: batchSize must be a positive integer, got ${o.batchSize}`);
  }
  if (!(o.sample >= 0)) throw new Error(`Word2Vec: sample must be >= 0, got ${o.sample}`);
  if (!(o.alpha > 0) || !(o.minAlpha >= 0)) throw new Error(`Word2Vec: alpha must be > 0 and minAlpha >= 0`);
  return o;
}

/** Word counts, most frequent first (ties: first seen first), words below minCount dropped. */
export function buildVocab(sentences: string[][], minCount = 5, maxVocabSize = Infinity): { words: string[]; counts: number[]; rawWords: number } {
  const counts = new Map<string, number>();
  let rawWords = 0;
  for (const s of sentences) {
    if (!Array.isArray(s)) throw new Error("Word2Vec.train: sentences must be arrays of words (string[][]); tokenise text with textToSentences()");
    for (const w of s) {
      counts.set(w, (counts.get(w) || 0) + 1);
      rawWords++;
    }
  }
  // Map iteration is insertion order, and Array.prototype.sort is stable: ties stay in first-seen order.
  const kept = Array.from(counts.entries()).filter(([, c]) => c >= minCount);
  kept.sort((a, b) => b[1] - a[1]);
  if (kept.length > maxVocabSize) kept.length = maxVocabSize;
  return { words: kept.map(([w]) => w), counts: kept.map(([, c]) => c), rawWords };
}

/** Probability of keeping each word under subsampling threshold `sample` (word2vec.c / gensim). */
export function keepProbabilities(counts: number[], sample: number): Float64Array {
  const total = counts.reduce((a, b) => a + b, 0);
  const out = new Float64Array(counts.length).fill(1);
  if (sample <= 0) return out;
  const threshold = sample * total;
  counts.forEach((c, i) => {
    out[i] = Math.min(1, (Math.sqrt(c / threshold) + 1) * (threshold / c));
  });
  return out;
}

/** Walker/Vose alias table: O(1) exact draws from a discrete distribution (the noise distribution). */
export class AliasSampler {
  private readonly prob: Float64Array;
  private readonly alias: Int32Array;

  constructor(weights: ArrayLike<number>) {
    const n = weights.length;
    if (n === 0) throw new Error("AliasSampler: no weights");
    let sum = 0;
    for (let i = 0; i < n; i++) sum += weights[i];
    this.prob = new Float64Array(n);
    this.alias = new Int32Array(n);
    const scaled = new Float64Array(n);
    const small: number[] = [];
    const large: number[] = [];
    for (let i = 0; i < n; i++) {
      scaled[i] = (weights[i] * n) / sum;
      (scaled[i] < 1 ? small : large).push(i);
    }
    while (small.length && large.length) {
      const s = small.pop() as number;
      const l = large.pop() as number;
      this.prob[s] = scaled[s];
      this.alias[s] = l;
      scaled[l] = scaled[l] + scaled[s] - 1;
      (scaled[l] < 1 ? small : large).push(l);
    }
    for (const i of large.concat(small)) this.prob[i] = 1;
  }

  sample(rng: Rng): number {
    const u = rng.random() * this.prob.length;
    const i = Math.floor(u);
    return u - i < this.prob[i] ? i : this.alias[i];
  }
}

/**
 * The SGNS loss of a batch and its gradients, as tf ops.
 *   input  [B, D]      input vectors of the context words
 *   output [B, 1+K, D] output vectors: column 0 the true word, columns 1..K the negatives
 *   weight [B, 1+K]    optional 0/1 mask (a negative that equals the true word does not count)
 * loss = sum over pairs of -log σ(u·v₀) - Σₖ log σ(-u·vₖ), with log σ(x) written -softplus(-x) (tfjs's
 * logSigmoid gradient is broken on intermediates, and this form is stable for large |x|).
 * Gradients of that sum: with coef[b, k] = σ(sₖ) - yₖ (times the mask), dInput = Σₖ coef vₖ and
 * dOutput[k] = coef u. (The trainer runs the same ops minus the loss and dOutput, which it forms from
 * coef while applying the update.)
 */
export function sgnsLossAndGrads(
  input: tf.Tensor2D,
  output: tf.Tensor3D,
  weight?: tf.Tensor2D,
): { loss: tf.Scalar; coef: tf.Tensor2D; dInput: tf.Tensor2D; dOutput: tf.Tensor3D } {
  return tf.tidy(() => {
    const [b, k1, d] = output.shape;
    const labels = sgnsLabels(k1);
    const { scores, coef, dInput } = sgnsStep(input, output, labels, weight);
    const sign = tf.sub(tf.mul(labels, 2), 1); // +1 for the true word, -1 for negatives
    let perScore = tf.softplus(tf.neg(tf.mul(sign, scores)));
    if (weight) perScore = tf.mul(perScore, weight);
    const loss = tf.sum(perScore) as tf.Scalar;
    const dOutput = tf.mul(tf.reshape(coef, [b, k1, 1]), tf.reshape(input, [b, 1, d])) as tf.Tensor3D;
    return { loss, coef, dInput, dOutput };
  });
}

/** [1, 1+K]: 1 for the true word, 0 for the negatives. */
function sgnsLabels(k1: number): tf.Tensor2D {
  return tf.tensor2d([1].concat(new Array(k1 - 1).fill(0)), [1, k1]);
}

/** What a training step needs from tfjs, in as few ops as possible (tfjs costs ~20 µs per op here). */
function sgnsStep(
  input: tf.Tensor2D,
  output: tf.Tensor3D,
  labels: tf.Tensor2D,
  weight?: tf.Tensor2D,
): { scores: tf.Tensor2D; coef: tf.Tensor2D; dInput: tf.Tensor2D } {
  const [b, k1, d] = output.shape;
  // Broadcast multiply + sum beats a batch of [k1, d] x [d, 1] matmuls on wasm (~310 vs ~440 µs at b 512).
  const scores = tf.sum(tf.mul(output, tf.reshape(input, [b, 1, d])), 2) as tf.Tensor2D;
  let coef = tf.sub(tf.sigmoid(scores), labels) as tf.Tensor2D;
  if (weight) coef = tf.mul(coef, weight);
  const dInput = tf.reshape(tf.matMul(tf.reshape(coef, [b, 1, k1]), output), [b, d]) as tf.Tensor2D;
  return { scores, coef, dInput };
}

/** Row r of the block at `dst` = row ids[r] of the matrix at `src`, all inside one buffer. */
function copyRows(buf: Float32Array, src: number, ids: Int32Array, n: number, d: number, dst: number): void {
  for (let r = 0; r < n; r++) {
    const s = src + ids[r] * d;
    buf.copyWithin(dst + r * d, s, s + d);
  }
}

/** W[ids[r]] -= lr * grad[r] for r < n: a scatter-add in place, repeated ids adding up. */
function subtractRows(w: Float32Array, ids: Int32Array, n: number, d: number, grad: Float32Array, lr: number): void {
  for (let r = 0; r < n; r++) axpy(w, ids[r] * d, grad, r * d, -lr, d);
}

/** W[ids[r]] -= lr * coef[r] * u[r / k1] for r < n: the output rows' SGNS gradient, formed while applying it. */
function subtractOuter(w: Float32Array, ids: Int32Array, n: number, k1: number, d: number, coef: Float32Array, u: Float32Array, lr: number): void {
  for (let r = 0; r < n; r++) {
    const c = -lr * coef[r];
    if (c !== 0) axpy(w, ids[r] * d, u, ((r / k1) | 0) * d, c, d);
  }
}

/** y[yo : yo+d] += a * x[xo : xo+d], unrolled by 8: twice as fast as the plain loop in V8. */
function axpy(y: Float32Array, yo: number, x: Float32Array, xo: number, a: number, d: number): void {
  let j = 0;
  for (; j + 7 < d; j += 8) {
    const p = yo + j;
    const q = xo + j;
    y[p] += a * x[q];
    y[p + 1] += a * x[q + 1];
    y[p + 2] += a * x[q + 2];
    y[p + 3] += a * x[q + 3];
    y[p + 4] += a * x[q + 4];
    y[p + 5] += a * x[q + 5];
    y[p + 6] += a * x[q + 6];
    y[p + 7] += a * x[q + 7];
  }
  for (; j < d; j++) y[yo + j] += a * x[xo + j];
}

/** Trained word vectors plus what training knows: counts, output vectors, loss per epoch. */
export class Word2Vec extends KeyedVectors {
  /** Corpus count of each vocab word. */
  readonly counts: readonly number[];
  /** Output ("context", gensim syn1neg) vectors, [vocab, vectorSize]. */
  readonly outputVectors: Float32Array;
  readonly options: Readonly<Resolved>;
  /** One entry per epoch. */
  readonly history: EpochStats[];

  private constructor(words: string[], counts: number[], input: Float32Array, output: Float32Array, options: Resolved, history: EpochStats[]) {
    super(words, input, options.vectorSize);
    this.counts = counts;
    this.outputVectors = output;
    this.options = options;
    this.history = history;
  }

  protected override vocabNote(): string {
    return `; words seen fewer than minCount=${this.options.minCount} times are dropped`;
  }

  /** Corpus count of a word (throws for unknown words). */
  count(word: string): number {
    return this.counts[this.indexOf(word)];
  }

  /** Mean raw words per second over all epochs. */
  get wordsPerSecond(): number {
    const words = this.history.reduce((a, h) => a + h.rawWords, 0);
    const secs = this.history.reduce((a, h) => a + h.seconds, 0);
    return secs > 0 ? words / secs : 0;
  }

  /**
   * Train skip-gram with negative sampling on tokenised sentences (gensim:
   * `Word2Vec(sentences, sg=1, vector_size=100, window=5, min_count=5, negative=5, sample=1e-3)`).
   *
   *   const model = await Word2Vec.train(textToSentences(loadText("austen")), { epochs: 5 });
   *   model.mostSimilar("darcy");
   */
  static async train(sentences: string[][], opts: Word2VecOptions = {}): Promise<Word2Vec> {
    const o = resolve(opts);
    const { words, counts, rawWords } = buildVocab(sentences, o.minCount, o.maxVocabSize);
    if (words.length === 0) {
      throw new Error(`Word2Vec.train: no word occurs minCount=${o.minCount} times in ${rawWords} words; lower minCount or give more text`);
    }
    const V = words.length;
    const D = o.vectorSize;
    const K = o.negative;
    const index = new Map<string, number>();
    words.forEach((w, i) => index.set(w, i));
    // Sentences as vocab ids, unknown words dropped before windowing (as gensim does).
    const idSentences: Int32Array[] = sentences.map((s) => {
      const ids: number[] = [];
      for (const w of s) {
        const i = index.get(w);
        if (i !== undefined) ids.push(i);
      }
      return Int32Array.from(ids);
    });
    const keep = keepProbabilities(counts, o.sample);
    const noise = new AliasSampler(counts.map((c) => Math.pow(c, o.nsExponent)));
    const rng = new Rng(o.seed);
    if (!o.batchSize) o.batchSize = Math.min(512, Math.max(32, Math.floor((4 * V) / (1 + K))));
    const B = o.batchSize;
    // One buffer for weights and batch rows, so that gathering a row is a native copyWithin (a memmove)
    // instead of a JS loop or a subarray allocation per row.
    const arena = new Float32Array(V * D * 2 + B * D + B * (1 + K) * D);
    const IN = 0;
    const OUT = V * D;
    const U = 2 * V * D;
    const VB = U + B * D;
    const wIn = arena.subarray(IN, OUT);
    const wOut = arena.subarray(OUT, U);
    const uBuf = arena.subarray(U, VB);
    const vBuf = arena.subarray(VB);
    // gensim: input vectors uniform in ±0.5/D, output vectors zero.
    for (let i = 0; i < wIn.length; i++) wIn[i] = (rng.random() - 0.5) / D;

    const ctxBuf = new Int32Array(B); // input side: context word
    const tgtBuf = new Int32Array(B * (1 + K)); // output side: true word, then K negatives
    const wBuf = new Float32Array(B * (1 + K));
    const labels = sgnsLabels(1 + K);
    let fill = 0;

    const totalWords = rawWords * o.epochs;
    let wordsDone = 0;
    const history: EpochStats[] = [];
    const bar =
      opts.progress === false
        ? null
        : new ProgressBar({ total: totalWords, desc: "word2vec", unit: "word", ...(typeof opts.progress === "object" ? opts.progress : {}) });
    let lastYield = Date.now();

    let epochLoss = 0;
    let epochPairs = 0;
    let alphaNow = o.alpha;
    const flush = () => {
      if (fill === 0) return;
      // gensim's schedule: linear in the fraction of all words processed.
      alphaNow = Math.max(o.minAlpha, o.alpha - (o.alpha - o.minAlpha) * (wordsDone / totalWords));
      const n = fill;
      const R = n * (1 + K);
      // Rows are gathered here rather than with tf.gather: the wasm Gather kernel costs ~40 ns per
      // element (46 ms for one batch), a row copy from a Float32Array ~1 ns.
      copyRows(arena, IN, ctxBuf, n, D, U);
      copyRows(arena, OUT, tgtBuf, R, D, VB);
      const g = tf.tidy(() => {
        const u = tf.tensor2d(uBuf.subarray(0, n * D), [n, D]);
        const v = tf.tensor3d(vBuf.subarray(0, R * D), [n, 1 + K, D]);
        const weight = tf.tensor2d(wBuf.subarray(0, R), [n, 1 + K]);
        const { coef, dInput } = sgnsStep(u, v, labels, weight);
        return { coef, dInput };
      });
      // Read outside tidy: tidy walks a returned value element by element, typed arrays included.
      const coef = g.coef.dataSync() as Float32Array;
      const dInput = g.dInput.dataSync() as Float32Array;
      tf.dispose([g.coef, g.dInput]);
      // The loss, for the progress bar only, from coef: σ(s) - 1 for the true word, σ(s) for negatives.
      let loss = 0;
      for (let r = 0; r < R; r++) loss -= Math.log(Math.max(1e-12, r % (1 + K) === 0 ? 1 + coef[r] : 1 - coef[r]));
      if (!Number.isFinite(loss)) {
        throw new Error(
          `Word2Vec.train diverged (loss ${loss}) at ${Math.round((100 * wordsDone) / totalWords)} % of training: ` +
            `the summed updates of a batch overshoot; lower batchSize (now ${B}), alpha (${o.alpha}) or negative (${K})`,
        );
      }
      // Sparse SGD step, in place: W[row] -= lr * grad for each gathered row (repeated rows add up: the
      // scatter-add that is the gradient of a gather, without a [V, D] pass). The output rows' gradient
      // coef[b, k] * u[b] is formed here rather than read back from tfjs: same arithmetic, one pass less.
      subtractRows(wIn, ctxBuf, n, D, dInput, alphaNow);
      subtractOuter(wOut, tgtBuf, R, 1 + K, D, coef, uBuf, alphaNow);
      epochLoss += loss;
      epochPairs += n;
      fill = 0;
    };

    try {
      for (let epoch = 1; epoch <= o.epochs; epoch++) {
        const t0 = Date.now();
        epochLoss = 0;
        epochPairs = 0;
        let effective = 0;
        let epochRaw = 0;
        let pendingWords = 0;
        for (let si = 0; si < idSentences.length; si++) {
          const ids = idSentences[si];
          // Subsampling happens before windowing, so kept words see further (gensim).
          const kept: number[] = [];
          for (let i = 0; i < ids.length; i++) if (keep[ids[i]] >= 1 || rng.random() < keep[ids[i]]) kept.push(ids[i]);
          effective += kept.length;
          for (let i = 0; i < kept.length; i++) {
            const reduced = rng.int(o.window);
            const lo = Math.max(0, i - o.window + reduced);
            const hi = Math.min(kept.length - 1, i + o.window - reduced);
            const word = kept[i];
            for (let j = lo; j <= hi; j++) {
              if (j === i) continue;
              ctxBuf[fill] = kept[j];
              const base = fill * (1 + K);
              tgtBuf[base] = word;
              wBuf[base] = 1;
              for (let k = 1; k <= K; k++) {
                const neg = noise.sample(rng);
                tgtBuf[base + k] = neg;
                wBuf[base + k] = neg === word ? 0 : 1;
              }
              fill++;
              if (fill === B) flush();
            }
          }
          const raw = sentences[si].length;
          wordsDone += raw;
          epochRaw += raw;
          pendingWords += raw;
          if (bar && pendingWords >= 20000) {
            bar.update(pendingWords);
            pendingWords = 0;
            bar.setPostfix({ epoch, loss: epochPairs ? epochLoss / epochPairs : NaN, lr: alphaNow });
          }
          // Let a notebook redraw its progress bar now and then.
          if (Date.now() - lastYield > 250) {
            await new Promise((r) => setImmediate(r));
            lastYield = Date.now();
          }
        }
        flush();
        if (bar) {
          bar.setPostfix({ epoch, loss: epochPairs ? epochLoss / epochPairs : NaN, lr: alphaNow });
          if (pendingWords) bar.update(pendingWords);
        }
        const seconds = (Date.now() - t0) / 1000;
        const stats: EpochStats = {
          epoch,
          loss: epochPairs ? epochLoss / epochPairs : NaN,
          rawWords: epochRaw,
          effectiveWords: effective,
          pairs: epochPairs,
          seconds,
          wordsPerSecond: seconds > 0 ? epochRaw / seconds : 0,
          alpha: alphaNow,
        };
        history.push(stats);
        if (opts.onEpoch) opts.onEpoch(stats);
      }
      return new Word2Vec(words, counts, wIn.slice(), wOut.slice(), o, history);
    } finally {
      if (bar) bar.close();
      labels.dispose();
    }
  }
}
