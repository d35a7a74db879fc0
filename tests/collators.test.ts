import { test } from "node:test";
import * as assert from "node:assert/strict";
import { IGNORE_INDEX, Rng, maskTokens } from "../lib";

test("maskTokens chooses ~15 % of non-special tokens, 80/10/10, and labels only those", () => {
  const rows = Array.from({ length: 400 }, (_, b) => [2, ...Array.from({ length: 50 }, (_, t) => 10 + ((b * 7 + t) % 90)), 3]);
  const { inputIds, labels } = maskTokens(rows, { maskTokenId: 4, vocabSize: 100, specialIds: [0, 2, 3] }, new Rng(1));
  let chosen = 0, masked = 0, kept = 0, eligible = 0;
  rows.forEach((row, b) => row.forEach((id, t) => {
    if (id === 2 || id === 3) {
      assert.equal(labels[b][t], IGNORE_INDEX, "a special token was chosen");
      assert.equal(inputIds[b][t], id);
      return;
    }
    eligible++;
    if (labels[b][t] === IGNORE_INDEX) {
      assert.equal(inputIds[b][t], id, "an unchosen token changed");
      return;
    }
    chosen++;
    assert.equal(labels[b][t], id);
    if (inputIds[b][t] === 4) masked++;
    else if (inputIds[b][t] === id) kept++;
  }));
  assert.ok(Math.abs(chosen / eligible - 0.15) < 0.01, `chosen ${chosen / eligible}`);
  assert.ok(Math.abs(masked / chosen - 0.8) < 0.03, `masked ${masked / chosen}`);
  // Kept: the 10 % left alone plus random replacements that drew the same id (1 in 100).
  assert.ok(Math.abs(kept / chosen - 0.101) < 0.025, `kept ${kept / chosen}`);
  assert.throws(() => maskTokens(rows, { maskTokenId: 4, vocabSize: 100, specialIds: [], mlmProbability: 1 }, new Rng(1)), /mlmProbability/);
});
