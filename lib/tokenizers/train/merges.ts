/**
 * The BPE merge learner shared by the byte-level BPE and WordPiece trainers: a port of Hugging Face
 * `tokenizers`' BpeTrainer::do_train (tokenizers/src/models/bpe/trainer.rs), kept step for step so the
 * merges come out the same as the native trainer's.
 *
 * Incremental algorithm: unique words with counts; pair counts; a max-heap of (count, pair) entries,
 * each carrying the words where the pair was seen; after a merge only the words of the popped entry are
 * rewritten, and only the pairs they change are updated. Stale heap entries are refreshed lazily when
 * popped (their count is re-read and they are pushed back), as in HF.
 *
 * HF details reproduced on purpose, because they change which merges are learned:
 * - ties on count go to the smallest pair of ids (left id, then right id). Ids follow the vocabulary
 *   order: specials, then the alphabet sorted by code point, then merged tokens in creation order;
 * - the merged pair's own count is not decreased by the merge (Word::merge reports only its neighbours);
 * - a pair merged twice (possible when two merges make the same string) keeps its last rank.
 */

export interface LearnMergesInput {
  /** id → token of the starting vocabulary (specials, alphabet, and for WordPiece the ##-alphabet). */
  vocab: string[];
  /** Each unique word as symbol ids into `vocab`. */
  words: Int32Array[];
  /** How often each word occurs. */
  counts: ArrayLike<number>;
  vocabSize: number;
  minFrequency: number;
  /** WordPiece's "##": stripped from the right part when two tokens are joined. */
  continuingSubwordPrefix?: string;
}

export interface LearnMergesResult {
  /** id → token: the starting vocabulary followed by the merged tokens. */
  vocab: string[];
  /** The merges as pairs of ids, in rank order. */
  merges: Array<[number, number]>;
  /** How many merges were applied (HF also counts a pair merged twice twice). */
  steps: number;
}

/** Growable typed arrays: the per-pair tables grow with every new pair. */
class IntColumn {
  data: Int32Array;
  constructor(capacity: number, readonly fill = 0) {
    this.data = new Int32Array(capacity).fill(fill);
  }
  ensure(n: number): void {
    if (n <= this.data.length) return;
    const next = new Int32Array(Math.max(n, this.data.length * 2)).fill(this.fill);
    next.set(this.data);
    this.data = next;
  }
}

class FloatColumn {
  data: Float64Array;
  constructor(capacity: number) {
    this.data = new Float64Array(capacity);
  }
  ensure(n: number): void {
    if (n <= this.data.length) return;
    const next = new Float64Array(Math.max(n, this.data.length * 2));
    next.set(this.data);
    this.data = next;
  }
}

const NO_WORDS = new Int32Array(0);

export function learnMerges(input: LearnMergesInput): LearnMergesResult {
  const { words, counts, vocabSize, minFrequency } = input;
  const prefix = input.continuingSubwordPrefix ?? "";
  const vocab = input.vocab.slice();
  const ids = new Map<string, number>();
  vocab.forEach((t, i) => ids.set(t, i));

  // Words laid out flat; merges rewrite them in place and shrink their length.
  let total = 0;
  for (const w of words) total += w.length;
  const sym = new Int32Array(total);
  const start = new Int32Array(words.length);
  const len = new Int32Array(words.length);
  for (let w = 0, o = 0; w < words.length; w++) {
    start[w] = o;
    len[w] = words[w].length;
    sym.set(words[w], o);
    o += words[w].length;
  }

  // Pair table: pair id → (left, right, count). Key a*M+b stays a small integer for vocabularies < 32k.
  const M = Math.max(vocabSize, vocab.length) + 1;
  const pairOf = new Map<number, number>();
  const pA = new IntColumn(1024);
  const pB = new IntColumn(1024);
  const pCount = new FloatColumn(1024);
  const markWord = new IntColumn(1024, -1);
  const markStep = new IntColumn(1024, -1);
  let nPairs = 0;
  const pairId = (a: number, b: number): number => {
    const key = a * M + b;
    let p = pairOf.get(key);
    if (p === undefined) {
      p = nPairs++;
      pairOf.set(key, p);
      pA.ensure(nPairs);
      pB.ensure(nPairs);
      pCount.ensure(nPairs);
      markWord.ensure(nPairs);
      markStep.ensure(nPairs);
      pA.data[p] = a;
      pB.data[p] = b;
    }
    return p;
  };

  // Heap entries: (pair, count as last seen, words to visit). Max-heap on count, then smallest pair.
  const ePair: number[] = [];
  const eCount: number[] = [];
  const ePos: Int32Array[] = [];
  const heap: number[] = [];
  const above = (x: number, y: number): boolean => {
    const cx = eCount[x];
    const cy = eCount[y];
    if (cx !== cy) return cx > cy;
    const px = ePair[x];
    const py = ePair[y];
    if (px === py) return x < y;
    const ax = pA.data[px];
    const ay = pA.data[py];
    if (ax !== ay) return ax < ay;
    return pB.data[px] < pB.data[py];
  };
  const push = (e: number): void => {
    let i = heap.length;
    heap.push(e);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!above(e, heap[parent])) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = e;
  };
  const pop = (): number => {
    const top = heap[0];
    const last = heap.pop()!;
    const n = heap.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && above(heap[r], heap[l]) ? r : l;
        if (!above(heap[c], last)) break;
        heap[i] = heap[c];
        i = c;
      }
      heap[i] = last;
    }
    return top;
  };
  const newEntry = (pair: number, count: number, pos: Int32Array): void => {
    const e = ePair.length;
    ePair.push(pair);
    eCount.push(count);
    ePos.push(pos);
    push(e);
  };

  // Initial pair counts, and for each pair the words it occurs in.
  const initialPos: number[][] = [];
  for (let w = 0; w < words.length; w++) {
    const c = counts[w];
    const s = start[w];
    const e = s + len[w] - 1;
    for (let i = s; i < e; i++) {
      const p = pairId(sym[i], sym[i + 1]);
      pCount.data[p] += c;
      if (markWord.data[p] !== w) {
        markWord.data[p] = w;
        (initialPos[p] ??= []).push(w);
      }
    }
  }
  for (let p = 0; p < nPairs; p++) {
    markWord.data[p] = -1;
    if (pCount.data[p] > 0) newEntry(p, pCount.data[p], Int32Array.from(initialPos[p]));
  }
  initialPos.length = 0;

  const mergedPairs: number[] = [];
  let step = 0;
  // Pairs that gained occurrences in this step, with the words where they did. markStep/markWord
  // deduplicate (pair, word) within a step, as HF's HashSet does; slot finds the pair's word list.
  let touched: number[] = [];
  let touchedWords: number[][] = [];
  const slot = new IntColumn(1024);
  const change = (a: number, b: number, delta: number, w: number): void => {
    const p = pairId(a, b);
    pCount.data[p] += delta;
    if (delta <= 0) return;
    if (markStep.data[p] !== step) {
      markStep.data[p] = step;
      slot.ensure(nPairs);
      slot.data[p] = touched.length;
      touched.push(p);
      touchedWords.push([w]);
      markWord.data[p] = w;
    } else if (markWord.data[p] !== w) {
      markWord.data[p] = w;
      touchedWords[slot.data[p]].push(w);
    }
  };

  while (vocab.length < vocabSize) {
    if (heap.length === 0) break;
    const top = pop();
    const p = ePair[top];
    const count = pCount.data[p];
    if (eCount[top] !== count) {
      eCount[top] = count;
      push(top);
      continue;
    }
    if (count < 1 || minFrequency > count) break;

    const a = pA.data[p];
    const b = pB.data[p];
    let right = vocab[b];
    if (prefix && right.startsWith(prefix)) right = right.slice(prefix.length);
    const token = vocab[a] + right;
    let id = ids.get(token);
    if (id === undefined) {
      id = vocab.length;
      vocab.push(token);
      ids.set(token, id);
    }
    mergedPairs.push(p);

    // Rewrite every word of this entry: HF's Word::merge, left to right, with in-place compaction.
    const pos = ePos[top];
    for (let k = 0; k < pos.length; k++) {
      const w = pos[k];
      const c = counts[w];
      const s = start[w];
      const end = s + len[w];
      let r = s;
      let out = s;
      while (r < end) {
        if (sym[r] === a && r + 1 < end && sym[r + 1] === b) {
          if (out > s) {
            const prev = sym[out - 1];
            change(prev, a, -c, w);
            change(prev, id, c, w);
          }
          if (r + 2 < end) {
            const next = sym[r + 2];
            change(b, next, -c, w);
            change(id, next, c, w);
          }
          sym[out++] = id;
          r += 2;
        } else {
          sym[out++] = sym[r++];
        }
      }
      len[w] = out - s;
    }
    ePos[top] = NO_WORDS; // a popped entry is never pushed again: free its word list
    for (let i = 0; i < touched.length; i++) {
      const q = touched[i];
      if (pCount.data[q] > 0) newEntry(q, pCount.data[q], Int32Array.from(touchedWords[i]));
    }
    touched = [];
    touchedWords = [];
    step++;
  }

  // A pair merged twice keeps its last rank, as HF's HashMap<Pair, (rank, id)> does when collected.
  const lastRank = new Map<number, number>();
  mergedPairs.forEach((p, rank) => lastRank.set(p, rank));
  const merges: Array<[number, number]> = [];
  mergedPairs.forEach((p, rank) => {
    if (lastRank.get(p) === rank) merges.push([pA.data[p], pB.data[p]]);
  });
  return { vocab, merges, steps: mergedPairs.length };
}
