/** The CSR helpers of lib/util/sparse.ts, against dense computations written out by hand. */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import {
  columnNonZeroCounts, columnSums, csrMatrix, csrRow, csrToArrays, csrToDenseMatrix, denseToCsr, forEachEntry,
  normalizeRows, rowSums, selectColumns, selectCsrRows,
} from "../lib/util/sparse";
import { denseMatrix } from "../lib/util/matrix";

// [[1, 0, 2], [0, 0, 0], [0, -3, 4]]
const m = csrMatrix(3, 3, [0, 2, 2, 4], [0, 2, 1, 2], [1, 2, -3, 4]);

test("conversions, rows and entries", () => {
  assert.deepEqual(csrToArrays(m), [[1, 0, 2], [0, 0, 0], [0, -3, 4]]);
  assert.deepEqual(Array.from(csrToDenseMatrix(m).data), [1, 0, 2, 0, 0, 0, 0, -3, 4]);
  assert.deepEqual(csrToArrays(denseToCsr(denseMatrix(3, 3, csrToDenseMatrix(m).data))), csrToArrays(m));
  assert.deepEqual(Array.from(csrRow(m, 2).indices), [1, 2]);
  const seen: number[][] = [];
  forEachEntry(m, (i, j, v) => seen.push([i, j, v]));
  assert.deepEqual(seen, [[0, 0, 1], [0, 2, 2], [2, 1, -3], [2, 2, 4]]);
});

test("row normalisation, sums and selections", () => {
  assert.deepEqual(csrToArrays(normalizeRows(m, "l1")), [[1 / 3, 0, 2 / 3], [0, 0, 0], [0, -3 / 7, 4 / 7]]);
  assert.deepEqual(csrToArrays(normalizeRows(m, "l2")), [[1 / Math.sqrt(5), 0, 2 / Math.sqrt(5)], [0, 0, 0], [0, -3 / 5, 4 / 5]]);
  assert.deepEqual(Array.from(columnSums(m)), [1, -3, 6]);
  assert.deepEqual(Array.from(rowSums(m)), [3, 0, 1]);
  assert.deepEqual(Array.from(columnNonZeroCounts(m)), [1, 1, 2]);
  assert.deepEqual(csrToArrays(selectColumns(m, [0, 2])), [[1, 2], [0, 0], [0, 4]]);
  assert.deepEqual(csrToArrays(selectCsrRows(m, [2, 0])), [[0, -3, 4], [1, 0, 2]]);
});

test("malformed matrices are rejected with the reason", () => {
  assert.throws(() => csrMatrix(2, 2, [0, 1], [0], [1]), /indptr has 2 entries, expected rows \+ 1 = 3/);
  assert.throws(() => csrMatrix(1, 2, [0, 2], [1, 0], [1, 1]), /not strictly increasing/);
  assert.throws(() => csrMatrix(1, 2, [0, 2], [0, 1], [1]), /indices has 2 and data 1/);
  assert.throws(() => csrMatrix(1, 2, [0, 1], [0], [NaN]), /value at \[0, 0\] is NaN/);
  assert.throws(() => selectColumns(m, [2, 0]), /strictly increasing/);
  assert.throws(() => csrRow(m, 3), /out of range/);
});
