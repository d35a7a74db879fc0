import * as assert from "node:assert/strict";
import type { tf } from "../../lib";

/** Largest |got - want| over all elements; `want` is a nested array as a reference JSON holds it. */
export function maxAbsDiff(got: tf.Tensor, want: unknown): number {
  const g = got.dataSync();
  const w = (want as unknown[]).flat(4) as number[];
  assert.equal(g.length, w.length, "size");
  let m = 0;
  for (let i = 0; i < g.length; i++) m = Math.max(m, Math.abs(g[i] - w[i]));
  return m;
}
