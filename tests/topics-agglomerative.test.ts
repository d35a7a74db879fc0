import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { agglomerativeClustering, linkage, mergeLeaves } from "../lib/topics/agglomerative";

const ref = JSON.parse(readFileSync(join(__dirname, "fixtures", "clustering", "linkage_reference.json"), "utf8")) as {
  distances: number[][];
  average: number[][];
  ward: number[][];
};

for (const method of ["average", "ward"] as const) {
  test(`${method} linkage equals scipy's linkage(squareform(D), "${method}")`, () => {
    const merges = linkage(ref.distances, method);
    assert.equal(merges.length, ref[method].length);
    merges.forEach((m, k) => {
      const [a, b, distance, size] = ref[method][k];
      assert.deepEqual([m.a, m.b, m.size], [a, b, size], `merge ${k}`);
      assert.ok(Math.abs(m.distance - distance) < 1e-9, `merge ${k}: ${m.distance} vs ${distance}`);
    });
  });
}

test("mergeLeaves lists the leaves under each merge; cutting the tree gives flat clusters", () => {
  // Points on a line at 0, 1, 10, 11, 30: {0,1} and {2,3} first, then those two, then 4.
  const p = [0, 1, 10, 11, 30];
  const d = p.map((x) => p.map((y) => Math.abs(x - y)));
  const merges = linkage(d, "average");
  assert.deepEqual(mergeLeaves(merges, 5), [[0, 1], [2, 3], [0, 1, 2, 3], [0, 1, 2, 3, 4]]);
  assert.deepEqual(Array.from(agglomerativeClustering(d, 3)), [0, 0, 1, 1, 2]);
  // Ward between clusters u, v is sqrt(2 |u| |v| / (|u| + |v|)) times the distance of their centroids:
  // {0,1} and {10,11}: sqrt(2) * 10; then {0,1,10,11} and {30}: sqrt(8 / 5) * 24.5 (scipy: 14.142, 30.990).
  const ward = linkage(d, "ward").map((m) => m.distance);
  assert.ok(Math.abs(ward[2] - Math.SQRT2 * 10) < 1e-12 && Math.abs(ward[3] - Math.sqrt(8 / 5) * 24.5) < 1e-12, `${ward}`);
  assert.throws(() => linkage(d, "single" as "ward"), /average" or "ward/);
  assert.throws(() => linkage([[0, 1], [1]], "ward"), /row 1 has 1 values/);
});
