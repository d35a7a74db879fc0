// The fixed kernels (lib/engine/kernels) against the stock tfjs `cpu` backend:
// forward values and gradients on random inputs.
//
// tfjs backends and kernel registrations are process-global, so every case
// goes through runOn(), which sets both (stock or patched kernels, and the
// active backend) before building its tensors from plain arrays.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { initEngine, patchKernels, restoreKernels, tf } from "../lib/engine";
import { simdMatMulApplies } from "../lib/engine/kernels/matmul-simd";
import { OUT_PATH, assembleWat, bytesModule } from "../lib/engine/kernels/build-wasm";

type Mode = "cpu-stock" | "cpu" | "wasm-stock" | "wasm";

async function use(mode: Mode): Promise<void> {
  const backend = mode.startsWith("cpu") ? "cpu" : "wasm";
  if (mode.endsWith("-stock")) restoreKernels(backend);
  else patchKernels(backend);
  assert.ok(await tf.setBackend(backend));
}

/** Run `fn` on `mode`; return copies of its outputs' values. */
async function runOn(mode: Mode, fn: () => tf.Tensor[]): Promise<Float32Array[]> {
  await use(mode);
  const outs = tf.tidy(fn);
  const values = outs.map((t) => Float32Array.from(t.dataSync()));
  tf.dispose(outs);
  return values;
}

/** Max abs difference within 1e-4 of the reference's scale. */
function assertClose(got: Float32Array[], ref: Float32Array[], label: string): void {
  assert.equal(got.length, ref.length, `${label}: number of outputs`);
  ref.forEach((r, k) => {
    const g = got[k];
    assert.equal(g.length, r.length, `${label}: output ${k} size`);
    let scale = 1;
    let diff = 0;
    for (let i = 0; i < r.length; i++) {
      scale = Math.max(scale, Math.abs(r[i]));
      diff = Math.max(diff, Math.abs(g[i] - r[i]));
    }
    assert.ok(diff <= 1e-4 * scale, `${label}: output ${k} max abs diff ${diff} (scale ${scale})`);
  });
}

// Deterministic inputs (mulberry32).
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = rng(42);
const normals = (n: number) => Array.from({ length: n }, () => rand() * 2 - 1);
const ints = (n: number, lo: number, hi: number) => Array.from({ length: n }, () => lo + Math.floor(rand() * (hi - lo)));
const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Compare stock cpu with each of `modes`. */
async function compare(label: string, modes: Mode[], fn: () => tf.Tensor[]): Promise<void> {
  const ref = await runOn("cpu-stock", fn);
  for (const mode of modes) assertClose(await runOn(mode, fn), ref, `${label} [${mode}]`);
}

before(async () => {
  await initEngine({ backend: "wasm", verbose: false });
});

describe("UnsortedSegmentSum (gather gradient)", () => {
  test("gather axis 0, indices [3,7] with repeats: value and dx", async () => {
    const [V, D] = [50, 16];
    const x = normals(V * D);
    const idx = ints(21, 0, V).concat([3, 3, 3]); // make sure some rows repeat
    const w = normals(24 * D);
    await compare("gather0", ["cpu", "wasm"], () => {
      const xt = tf.tensor2d(x, [V, D]);
      const it = tf.tensor2d(idx, [4, 6], "int32");
      const wt = tf.tensor3d(w, [4, 6, D]);
      const f = (v: tf.Tensor) => tf.sum(tf.mul(tf.gather(v, it), wt));
      return [tf.gather(xt, it), tf.grad(f)(xt)];
    });
  });

  test("gather axis 1 (transposed inside the gradient): dx", async () => {
    const shape = [4, 30, 8];
    const x = normals(size(shape));
    const idx = ints(10, 0, 30);
    const w = normals(4 * 10 * 8);
    await compare("gather1", ["cpu", "wasm"], () => {
      const xt = tf.tensor3d(x, shape as [number, number, number]);
      const it = tf.tensor1d(idx, "int32");
      const wt = tf.tensor3d(w, [4, 10, 8]);
      return [tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.gather(v, it, 1), wt)))(xt)];
    });
  });

  test("gather with batchDims=1: dx", async () => {
    const x = normals(3 * 20 * 5);
    const idx = ints(18, 0, 20);
    const w = normals(3 * 6 * 5);
    await compare("gatherBatch", ["cpu", "wasm"], () => {
      const xt = tf.tensor3d(x, [3, 20, 5]);
      const it = tf.tensor2d(idx, [3, 6], "int32");
      const wt = tf.tensor3d(w, [3, 6, 5]);
      return [tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.gather(v, it, 1, 1), wt)))(xt)];
    });
  });

  test("direct op: out-of-range ids are dropped; float32 and int32 data", async () => {
    const ids = [0, 5, -1, 2, 6, 2, 9, 1, 5, 5, -3, 0];
    const xf = normals(12 * 5);
    const xi = ints(12 * 5, -50, 50);
    await compare("segmentSum", ["cpu", "wasm"], () => {
      const it = tf.tensor1d(ids, "int32");
      return [
        tf.unsortedSegmentSum(tf.tensor2d(xf, [12, 5]), it, 6),
        tf.unsortedSegmentSum(tf.tensor2d(xi, [12, 5], "int32"), it, 6),
        tf.unsortedSegmentSum(tf.tensor1d(xf.slice(0, 12)), it, 7),
      ];
    });
  });

  test("direct op: int32 output dtype and a rank-2 segment-id prefix (TF semantics)", async () => {
    const ids = [[1, 0, 3], [1, -1, 4]];
    const x = ints(2 * 3 * 2, -9, 9);
    // Expected by hand: out[id] += row, ids outside [0, 3) dropped.
    const expected = new Float32Array(3 * 2);
    ids.flat().forEach((s, i) => {
      if (s >= 0 && s < 3) for (let j = 0; j < 2; j++) expected[s * 2 + j] += x[i * 2 + j];
    });
    for (const mode of ["cpu", "wasm"] as Mode[]) {
      await use(mode);
      const out = tf.unsortedSegmentSum(tf.tensor3d(x, [2, 3, 2], "int32"), tf.tensor2d(ids, [2, 3], "int32") as unknown as tf.Tensor1D, 3);
      assert.equal(out.dtype, "int32");
      assert.deepEqual(out.shape, [3, 2]);
      assertClose([Float32Array.from(out.dataSync())], [expected], `prefix [${mode}]`);
      out.dispose();
    }
  });

  test("stock wasm has no UnsortedSegmentSum (why the fix exists)", async () => {
    await use("wasm-stock");
    assert.throws(
      () => tf.tidy(() => tf.grad((v: tf.Tensor) => tf.sum(tf.gather(v, tf.tensor1d([0, 1], "int32"))))(tf.ones([3, 2]))),
      /UnsortedSegmentSum/,
    );
    await use("wasm");
  });
});

// [name, aShape, bShape] before transposes; each case runs all four transpose
// combos. tfjs-core's matmul gradient does not reduce broadcast batch dims
// (it throws, on every backend), so broadcast cases check values only.
const matmulShapes: Array<[string, number[], number[], boolean]> = [
  ["rank 2", [7, 5], [5, 6], true],
  ["rank 3", [3, 7, 5], [3, 5, 6], true],
  ["rank 4", [2, 3, 7, 5], [2, 3, 5, 6], true],
  ["broadcast batch 1 vs 4", [1, 7, 5], [4, 5, 6], false],
  ["broadcast batch 4 vs 1 (folded into rows)", [4, 7, 5], [1, 5, 6], false],
  ["broadcast rank 3 vs rank 2 (folded into rows)", [4, 7, 5], [5, 6], false],
];

/** Swap the last two dims of `shape` when `t`. */
const maybeT = (shape: number[], t: boolean) => (t ? [...shape.slice(0, -2), shape[shape.length - 1], shape[shape.length - 2]] : shape);
const combos: Array<[boolean, boolean]> = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
];
const batchOf = (a: number[], b: number[]) => (size(a.slice(0, -2)) >= size(b.slice(0, -2)) ? a : b).slice(0, -2);

describe("BatchMatMul on wasm: transpose first, fold a shared operand", () => {
  for (const [name, aShape, bShape, withGrads] of matmulShapes) {
    test(`${name}: values${withGrads ? " and gradients" : ""}, all transpose combos`, async () => {
      for (const [tA, tB] of combos) {
        const sa = maybeT(aShape, tA);
        const sb = maybeT(bShape, tB);
        const a = normals(size(sa));
        const b = normals(size(sb));
        const outShape = [...batchOf(aShape, bShape), 7, 6];
        const w = normals(size(outShape));
        await compare(`matMul ${name} tA=${tA} tB=${tB}`, ["wasm-stock", "wasm"], () => {
          const at = tf.tensor(a, sa);
          const bt = tf.tensor(b, sb);
          const wt = tf.tensor(w, outShape);
          const value = tf.matMul(at, bt, tA, tB);
          if (!withGrads) return [value];
          const f = (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.matMul(x, y, tA, tB), wt));
          return [value, ...tf.grads(f)([at, bt])];
        });
      }
    });
  }

  test("no leaked wasm buffers from the temporary transposes", async () => {
    await use("wasm");
    const backend = tf.backend();
    const a = tf.randomNormal([4, 5, 7]);
    const b = tf.randomNormal([4, 6, 5]);
    const w = tf.randomNormal([6, 5]);
    const base = backend.numDataIds();
    for (let i = 0; i < 3; i++) {
      tf.tidy(() => {
        tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.matMul(x, y, true, true)))([a, b]);
        tf.matMul(a, w, true, true);
        tf.fused.matMul({ a, b: tf.reshape(w, [1, 6, 5]), transposeA: true, transposeB: true, bias: tf.ones([6]), activation: "elu" });
      });
    }
    assert.equal(backend.numDataIds(), base);
    tf.dispose([a, b, w]);
  });
});

// The batched SIMD kernel (lib/engine/kernels/matmul-simd.wat) takes every
// float32 product whose `b` is batched, given n >= 4. [name, aShape, bShape,
// gradients, SIMD route expected]; shapes before transposes, chosen for the
// kernel's edges: odd m (the last tile repeats a row), n < 16 or not a
// multiple of 4 (tiles overlap), k = 1, m = 1; n < 4 stays with the stock loop.
const simdShapes: Array<[string, number[], number[], boolean, boolean]> = [
  ["1x1x1 (stock: n < 4)", [2, 1, 1], [2, 1, 1], true, false],
  ["n 3 (stock)", [3, 5, 4], [3, 4, 3], true, false],
  ["n 4, m 1", [3, 1, 6], [3, 6, 4], true, true],
  ["n 5, k 1", [2, 7, 1], [2, 1, 5], true, true],
  ["n 16, k 2, m 2", [2, 2, 2], [2, 2, 16], true, true],
  ["n 17, m 9", [2, 9, 8], [2, 8, 17], true, true],
  ["n 31, m 3, k 33", [3, 3, 33], [3, 33, 31], true, true],
  ["attention-like [8,64,32] x [8,32,64]", [8, 64, 32], [8, 32, 64], true, true],
  ["rank 4, m 13, n 40", [2, 2, 13, 7], [2, 2, 7, 40], true, true],
  ["larger [2,150,70] x [2,70,130]", [2, 150, 70], [2, 70, 130], false, true],
  ["broadcast batch 1 vs 3, n 9", [1, 5, 6], [3, 6, 9], false, true],
  ["broadcast rank 2 vs rank 4", [5, 6], [2, 3, 6, 20], false, true],
  // tfjs reads batch i of each side at i % its batch size: no true broadcast.
  ["batch dims [2,1] vs [1,2] (stock)", [2, 1, 4, 3], [1, 2, 3, 8], false, false],
];

describe("BatchMatMul on wasm: the batched SIMD kernel", () => {
  for (const [name, aShape, bShape, withGrads, simd] of simdShapes) {
    test(`${name}: values${withGrads ? " and gradients" : ""}, all transpose combos`, async () => {
      const [m, n] = [aShape[aShape.length - 2], bShape[bShape.length - 1]];
      const outShape = [...tf.broadcast_util.assertAndGetBroadcastShape(aShape.slice(0, -2), bShape.slice(0, -2)), m, n];
      for (const [tA, tB] of combos) {
        const sa = maybeT(aShape, tA);
        const sb = maybeT(bShape, tB);
        // The route: what the kernel sees is `a` as stored, `b` untransposed.
        await use("wasm");
        const info = (shape: number[]) => ({ dataId: {}, dtype: "float32" as const, shape });
        const route = simdMatMulApplies(tf.backend() as BackendWasm, info(sa), info(bShape), tA, outShape);
        assert.equal(route, simd, `${name} tA=${tA}: SIMD route`);
        const a = normals(size(sa));
        const b = normals(size(sb));
        const w = normals(size(outShape));
        await compare(`matMul ${name} tA=${tA} tB=${tB}`, ["wasm-stock", "wasm"], () => {
          const at = tf.tensor(a, sa);
          const bt = tf.tensor(b, sb);
          const value = tf.matMul(at, bt, tA, tB);
          assert.deepEqual(value.shape, outShape);
          if (!withGrads) return [value];
          const wt = tf.tensor(w, outShape);
          const f = (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.matMul(x, y, tA, tB), wt));
          return [value, ...tf.grads(f)([at, bt])];
        });
      }
    });
  }

  test("results stay right after the wasm heap grows (the kernel shares its memory)", async () => {
    const [sa, sb] = [[3, 9, 20], [3, 20, 12]];
    const a = normals(size(sa));
    const b = normals(size(sb));
    const run = () => [tf.matMul(tf.tensor(a, sa), tf.tensor(b, sb))];
    const ref = await runOn("cpu-stock", run);
    assertClose(await runOn("wasm", run), ref, "before growth");
    const heap = () => ((tf.backend() as BackendWasm).wasm as unknown as { HEAPU8: Uint8Array }).HEAPU8.buffer.byteLength;
    const size0 = heap();
    const big = tf.zeros([size0 / 4 + 1]); // more than the whole heap: it must grow
    assert.ok(heap() > size0, "the heap grew");
    // The operands now live past the old end of the heap.
    assertClose(await runOn("wasm", run), ref, "after growth");
    big.dispose();
  });

  test("no leaked wasm buffers on the SIMD route", async () => {
    await use("wasm");
    const backend = tf.backend();
    const a = tf.randomNormal([4, 5, 7]);
    const b = tf.randomNormal([4, 6, 5]);
    const base = backend.numDataIds();
    for (let i = 0; i < 3; i++) {
      tf.tidy(() => {
        tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.matMul(x, y, true, true)))([a, b]);
        tf.matMul(tf.reshape(a, [1, 4, 5, 7]), b, true, true);
        tf.fused.matMul({ a, b, transposeA: true, transposeB: true, bias: tf.ones([6]), activation: "relu" });
        tf.fused.matMul({ a, b, transposeA: true, transposeB: true, activation: "elu" });
      });
    }
    assert.equal(backend.numDataIds(), base);
    tf.dispose([a, b]);
  });

  test("mismatched inner dimensions throw (tfjs-core leaves the check to the kernel)", async () => {
    await use("wasm");
    const backend = tf.backend();
    const base = backend.numDataIds();
    tf.tidy(() => {
      const [a, b] = [tf.ones([4, 5, 6]), tf.ones([4, 7, 8])];
      assert.throws(() => tf.matMul(a, b), /inner shapes \(6\) and \(7\)/);
      assert.throws(() => tf.matMul(a, b, false, true), /inner shapes \(6\) and \(8\)/);
    });
    assert.equal(backend.numDataIds(), base);
  });

  test("the committed wasm bytes are the assembled matmul-simd.wat", async () => {
    const expected = bytesModule(await assembleWat());
    assert.equal(fs.readFileSync(OUT_PATH, "utf8"), expected, "stale: rerun node --import tsx lib/engine/kernels/build-wasm.ts");
  });
});

// _FusedMatMul is what tf.fused.matMul (and tfjs-layers Dense) runs outside
// of gradient computations; under tf.grad tfjs-core unfuses it.
const fusedShapes: Array<[string, number[], number[]]> = [
  ["rank 2", [7, 5], [5, 6]],
  ["rank 3", [2, 7, 5], [2, 5, 6]],
  ["rank 3 x rank 2 (folded)", [3, 7, 5], [5, 6]],
];
const activations = ["linear", "relu", "relu6", "elu", "sigmoid", "leakyrelu", "prelu"] as const;

describe("_FusedMatMul on wasm: transpose first, bias and activation correct", () => {
  for (const [name, aShape, bShape] of fusedShapes) {
    test(`${name}: every activation, with and without bias, all transpose combos`, async () => {
      for (const activation of activations) {
        for (const withBias of [true, false]) {
          for (const [tA, tB] of combos) {
            const sa = maybeT(aShape, tA);
            const sb = maybeT(bShape, tB);
            const a = normals(size(sa));
            const b = normals(size(sb));
            const bias = normals(6);
            const alpha = normals(6);
            const label = `fused ${name} ${activation} bias=${withBias} tA=${tA} tB=${tB}`;
            await compare(label, ["wasm"], () => {
              const fused = (x: tf.Tensor, y: tf.Tensor, z?: tf.Tensor) =>
                tf.fused.matMul({
                  a: x, b: y, bias: z, transposeA: tA, transposeB: tB, activation, leakyreluAlpha: 0.3,
                  preluActivationWeights: activation === "prelu" ? tf.tensor1d(alpha) : undefined,
                });
              return [fused(tf.tensor(a, sa), tf.tensor(b, sb), withBias ? tf.tensor1d(bias) : undefined)];
            });
          }
        }
      }
    });
  }

  test("gradients through tf.fused.matMul with bias (tfjs unfuses them)", async () => {
    const a = normals(2 * 5 * 7);
    const b = normals(2 * 6 * 5);
    const bias = normals(6);
    await compare("fused grads", ["wasm"], () => {
      const f = (x: tf.Tensor, y: tf.Tensor, z: tf.Tensor) =>
        tf.sum(tf.square(tf.fused.matMul({ a: x, b: y, bias: z, transposeA: true, transposeB: true, activation: "relu" })));
      return tf.grads(f)([tf.tensor(a, [2, 5, 7]), tf.tensor(b, [2, 6, 5]), tf.tensor1d(bias)]);
    });
  });

  test("stock wasm adds a fused bias wrongly off its XNNPACK path (why the fix exists)", async () => {
    const run = () => [tf.fused.matMul({ a: tf.tensor([1, 2, 3, 4], [1, 2, 2]), b: tf.eye(2).reshape([1, 2, 2]), bias: tf.tensor1d([10, 20]), transposeA: true })];
    assert.deepEqual(Array.from((await runOn("wasm", run))[0]), [11, 23, 12, 24]);
    assert.deepEqual(Array.from((await runOn("wasm-stock", run))[0]), [11, 23, 22, 24]);
    await use("wasm");
  });
});

describe("Identity on wasm: shared buffer, no copy", () => {
  test("a clone keeps its values after the original is disposed, and frees the buffer last", async () => {
    await use("wasm");
    const backend = tf.backend();
    const base = backend.numDataIds();
    const x = tf.tensor1d([1, 2, 3]);
    const y = tf.clone(x);
    assert.equal(backend.numDataIds(), base + 1, "the clone shares the buffer");
    x.dispose();
    assert.deepEqual(Array.from(y.dataSync()), [1, 2, 3]);
    y.dispose();
    assert.equal(backend.numDataIds(), base, "the buffer is freed with the last reference");
  });

  test("training-style gradients match stock cpu with the shared-buffer clones", async () => {
    const xs = normals(6 * 5), ws = normals(5 * 4);
    await compare("grad through saved tensors", ["wasm"], () => {
      const x = tf.tensor2d(xs, [6, 5]);
      const w = tf.tensor2d(ws, [5, 4]);
      const f = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.tanh(tf.matMul(a, b)), tf.exp(tf.matMul(a, b))));
      return tf.grads(f)([x, w]);
    });
  });
});
