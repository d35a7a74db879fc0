/** Partial selection of the best k scores, shared by the lexical and dense retrievers. */

/** A retrieved item: its row in the corpus and its score (higher is better). */
export interface SearchHit {
  index: number;
  score: number;
}

/** The k best of `scores` (descending, ties by lower index), by a bounded min-heap: O(n log k), not a sort. */
export function topKIndices(scores: ArrayLike<number>, k: number): SearchHit[] {
  const n = scores.length;
  const m = Math.min(k, n);
  if (m <= 0) return [];
  const heapI = new Int32Array(m);
  const heapS = new Float64Array(m);
  let size = 0;
  // "worse" = lower score, or equal score and higher index; the heap's root is the worst kept.
  const worse = (sa: number, ia: number, sb: number, ib: number): boolean => sa < sb || (sa === sb && ia > ib);
  for (let i = 0; i < n; i++) {
    const s = scores[i];
    if (Number.isNaN(s)) continue;
    if (size < m) {
      let pos = size++;
      while (pos > 0) {
        const parent = (pos - 1) >> 1;
        if (!worse(s, i, heapS[parent], heapI[parent])) break;
        heapS[pos] = heapS[parent];
        heapI[pos] = heapI[parent];
        pos = parent;
      }
      heapS[pos] = s;
      heapI[pos] = i;
    } else if (worse(heapS[0], heapI[0], s, i)) {
      let pos = 0;
      for (;;) {
        const l = 2 * pos + 1;
        if (l >= m) break;
        const c = l + 1 < m && worse(heapS[l + 1], heapI[l + 1], heapS[l], heapI[l]) ? l + 1 : l;
        if (!worse(heapS[c], heapI[c], s, i)) break;
        heapS[pos] = heapS[c];
        heapI[pos] = heapI[c];
        pos = c;
      }
      heapS[pos] = s;
      heapI[pos] = i;
    }
  }
  const hits: SearchHit[] = [];
  for (let t = 0; t < size; t++) hits.push({ index: heapI[t], score: heapS[t] });
  return hits.sort((a, b) => b.score - a.score || a.index - b.index);
}
