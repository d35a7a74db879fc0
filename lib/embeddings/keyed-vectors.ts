/**
 * Word vectors and the queries the book runs on them (gensim's KeyedVectors): cosine `mostSimilar`
 * with positive/negative words (analogies), `similarity`, and the word2vec text format for save/load.
 * Plain Float32Arrays: a query over 10k x 100 floats takes a millisecond and leaves no tensors behind.
 */
import * as fs from "fs";
import { tf } from "../engine";
import { writeFileAtomic } from "../models/safetensors";

/** A word or a raw vector of the right size. */
export type WordOrVector = string | ArrayLike<number>;

export interface MostSimilarQuery {
  /** Words (or vectors) the result should be close to. */
  positive?: WordOrVector[];
  /** Words (or vectors) the result should be far from: king - man + woman is {positive: [king, woman], negative: [man]}. */
  negative?: WordOrVector[];
}

// Type aliases rather than interfaces here and in playlists.ts: they fit lib/viz's Record<string, unknown> rows.
export type SimilarWord = {
  word: string;
  /** Cosine similarity to the (normalised) query. */
  score: number;
};

export class KeyedVectors {
  readonly vectorSize: number;
  /** Words in index order (for a trained model: most frequent first). */
  readonly vocab: readonly string[];
  /** Row i of this [vocab.length, vectorSize] matrix is the vector of vocab[i]. */
  readonly vectors: Float32Array;
  private readonly index: Map<string, number>;
  private unit: Float32Array | null = null;

  constructor(vocab: readonly string[], vectors: Float32Array, vectorSize: number) {
    if (vectors.length !== vocab.length * vectorSize) {
      throw new Error(`KeyedVectors: ${vectors.length} floats do not make ${vocab.length} vectors of size ${vectorSize}`);
    }
    this.vocab = vocab;
    this.vectors = vectors;
    this.vectorSize = vectorSize;
    this.index = new Map();
    vocab.forEach((w, i) => {
      if (this.index.has(w)) throw new Error(`KeyedVectors: word '${w}' appears twice in the vocabulary`);
      this.index.set(w, i);
    });
  }

  /** Number of words. */
  get size(): number {
    return this.vocab.length;
  }

  has(word: string): boolean {
    return this.index.has(word);
  }

  /** Row index of a word; throws a clear error for a word the model does not know. */
  indexOf(word: string): number {
    const i = this.index.get(word);
    if (i !== undefined) return i;
    let hint = "";
    const lower = word.toLowerCase();
    if (lower !== word && this.index.has(lower)) hint = ` (the vocabulary is lowercase: did you mean '${lower}'?)`;
    else if (word.trim() !== word && this.index.has(word.trim())) hint = ` (did you mean '${word.trim()}'?)`;
    throw new Error(
      `Word '${word}' is not in the vocabulary (${this.size} words${this.vocabNote()})${hint}`,
    );
  }

  /** Why a word may be missing; Word2Vec adds its minCount. */
  protected vocabNote(): string {
    return "";
  }

  /** A copy of a word's vector. */
  vector(word: string): Float32Array {
    const i = this.indexOf(word);
    return this.vectors.slice(i * this.vectorSize, (i + 1) * this.vectorSize);
  }

  /** The vectors of `words` (default: all) as a [n, vectorSize] tensor; the caller disposes it. */
  toTensor(words?: string[]): tf.Tensor2D {
    if (!words) return tf.tensor2d(this.vectors, [this.size, this.vectorSize]);
    const out = new Float32Array(words.length * this.vectorSize);
    words.forEach((w, r) => out.set(this.vector(w), r * this.vectorSize));
    return tf.tensor2d(out, [words.length, this.vectorSize]);
  }

  /** Unit-length rows, computed once (gensim's get_normed_vectors). */
  private unitVectors(): Float32Array {
    if (this.unit) return this.unit;
    const d = this.vectorSize;
    const u = new Float32Array(this.vectors.length);
    for (let i = 0; i < this.size; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += this.vectors[i * d + j] ** 2;
      const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
      for (let j = 0; j < d; j++) u[i * d + j] = this.vectors[i * d + j] * inv;
    }
    this.unit = u;
    return u;
  }

  /** Call after changing `vectors` in place, so that queries see the new values. */
  invalidate(): void {
    this.unit = null;
  }

  private unitOf(x: WordOrVector): Float64Array {
    const d = this.vectorSize;
    const out = new Float64Array(d);
    if (typeof x === "string") {
      const i = this.indexOf(x);
      const u = this.unitVectors();
      for (let j = 0; j < d; j++) out[j] = u[i * d + j];
      return out;
    }
    if (x.length !== d) throw new Error(`Query vector has ${x.length} values; this model's vectors have ${d}`);
    let s = 0;
    for (let j = 0; j < d; j++) s += x[j] * x[j];
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let j = 0; j < d; j++) out[j] = x[j] * inv;
    return out;
  }

  /** Cosine similarity of two words. */
  similarity(a: string, b: string): number {
    const ua = this.unitOf(a);
    const ub = this.unitOf(b);
    let s = 0;
    for (let j = 0; j < this.vectorSize; j++) s += ua[j] * ub[j];
    return s;
  }

  /**
   * The `topn` words closest by cosine to a word, a vector, or the mean of unit-length positive words
   * minus negative ones, as gensim's `most_similar`: query words themselves are left out.
   *
   *   wv.mostSimilar("darcy")
   *   wv.mostSimilar({ positive: ["brother", "she"], negative: ["he"] })   // -> sister?
   */
  mostSimilar(query: WordOrVector | MostSimilarQuery, topn = 10): SimilarWord[] {
    const q: MostSimilarQuery =
      typeof query === "string" || isArrayLike(query) ? { positive: [query as WordOrVector] } : (query as MostSimilarQuery);
    const positive = q.positive || [];
    const negative = q.negative || [];
    if (positive.length + negative.length === 0) throw new Error("mostSimilar: give at least one positive or negative word");
    const d = this.vectorSize;
    const mean = new Float64Array(d);
    const exclude = new Set<number>();
    const addTerm = (x: WordOrVector, weight: number) => {
      const u = this.unitOf(x);
      for (let j = 0; j < d; j++) mean[j] += weight * u[j];
      if (typeof x === "string") exclude.add(this.indexOf(x));
    };
    positive.forEach((x) => addTerm(x, 1));
    negative.forEach((x) => addTerm(x, -1));
    let norm = 0;
    for (let j = 0; j < d; j++) norm += mean[j] * mean[j];
    norm = Math.sqrt(norm);
    if (norm === 0) throw new Error("mostSimilar: the query vector is zero (positive and negative words cancel out)");
    for (let j = 0; j < d; j++) mean[j] /= norm;
    const u = this.unitVectors();
    const scores = new Float64Array(this.size);
    for (let i = 0; i < this.size; i++) {
      let s = 0;
      const o = i * d;
      for (let j = 0; j < d; j++) s += u[o + j] * mean[j];
      scores[i] = s;
    }
    return topK(scores, topn, exclude).map((i) => ({ word: this.vocab[i], score: scores[i] }));
  }

  /** "a is to b as c is to ?": mostSimilar({positive: [b, c], negative: [a]}). */
  analogy(a: string, b: string, c: string, topn = 10): SimilarWord[] {
    return this.mostSimilar({ positive: [b, c], negative: [a] }, topn);
  }

  /**
   * Write the vectors in the word2vec text format (first line "<words> <size>", then one
   * "<word> <v1> ... <vn>" line per word), which gensim's `KeyedVectors.load_word2vec_format` reads.
   * Written to a temporary file and renamed, so a crash never leaves half a file.
   */
  save(file: string): void {
    const d = this.vectorSize;
    for (const w of this.vocab) {
      if (w === "" || /\s/.test(w)) throw new Error(`save: word ${JSON.stringify(w)} contains whitespace; the word2vec text format cannot hold it`);
    }
    const lines: string[] = [`${this.size} ${d}`];
    const row: string[] = new Array(d);
    for (let i = 0; i < this.size; i++) {
      // 9 significant digits round-trip any float32 exactly.
      for (let j = 0; j < d; j++) row[j] = String(Number(this.vectors[i * d + j].toPrecision(9)));
      lines.push(`${this.vocab[i]} ${row.join(" ")}`);
    }
    writeFileAtomic(file, lines.join("\n") + "\n");
  }

  /**
   * Read vectors in the word2vec text format (as gensim's `KeyedVectors.load_word2vec_format(binary=False)`).
   * The format holds the word vectors only, so `Word2Vec.load` too gives KeyedVectors: enough for every
   * query, not for more training.
   */
  static load(file: string): KeyedVectors {
    if (!fs.existsSync(file)) throw new Error(`KeyedVectors.load: no file ${file}`);
    const text = fs.readFileSync(file, "utf8");
    const lines = text.split("\n");
    const header = lines[0].trim().split(/\s+/).map(Number);
    if (header.length !== 2 || !header.every((n) => Number.isInteger(n) && n >= 0)) {
      throw new Error(`${file}: line 1 must be "<number of words> <vector size>", got ${JSON.stringify(lines[0].slice(0, 80))}`);
    }
    const [n, d] = header;
    const vocab: string[] = [];
    const vectors = new Float32Array(n * d);
    for (let i = 0; i < n; i++) {
      const line = lines[i + 1];
      if (line === undefined || line.trim() === "") throw new Error(`${file}: the header announces ${n} words but the file has ${i} (truncated?)`);
      const parts = line.trim().split(/\s+/);
      if (parts.length !== d + 1) throw new Error(`${file}: line ${i + 2} has ${parts.length - 1} values, expected ${d}`);
      vocab.push(parts[0]);
      for (let j = 0; j < d; j++) {
        const v = Number(parts[j + 1]);
        if (!Number.isFinite(v)) throw new Error(`${file}: line ${i + 2}: '${parts[j + 1]}' is not a number`);
        vectors[i * d + j] = v;
      }
    }
    return new KeyedVectors(vocab, vectors, d);
  }
}

function isArrayLike(x: unknown): x is ArrayLike<number> {
  return Array.isArray(x) || ArrayBuffer.isView(x);
}

/** Indices of the k largest scores, best first, skipping `exclude`. */
function topK(scores: Float64Array, k: number, exclude: Set<number>): number[] {
  const best: number[] = [];
  if (k <= 0) return best;
  for (let i = 0; i < scores.length; i++) {
    if (exclude.has(i)) continue;
    if (best.length === k && scores[i] <= scores[best[k - 1]]) continue;
    // Insertion into a sorted list of at most k: k is small (10), so this beats a full sort.
    let p = best.length < k ? best.length : k - 1;
    if (best.length < k) best.push(i);
    while (p > 0 && scores[best[p - 1]] < scores[i]) {
      best[p] = best[p - 1];
      p--;
    }
    best[p] = i;
  }
  return best;
}
