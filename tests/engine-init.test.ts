// Backend selection. Selection from a fresh process (auto, HOLLM_BACKEND,
// precedence) runs in child processes, since tfjs backends are process-global
// state; switching and idempotency run in this process.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as path from "node:path";
import { EngineInfo, initEngine, probeWebGpu, tf, trackTensors } from "../lib/engine";
import { findTfjsNode } from "../lib/engine/backends";
import { webgpuChildEnv } from "./helpers/lavapipe";

const ROOT = path.resolve(__dirname, "..");

interface ChildResult {
  info?: EngineInfo;
  error?: string;
  stderr: string;
  ms: number;
}

/** initEngine(opts) in a fresh `node --import tsx` process with `env`. */
function initInChild(opts: object | undefined, env: Record<string, string | undefined>): Promise<ChildResult> {
  const script = `
    const engine = require("./lib/engine");
    const t0 = performance.now();
    engine.initEngine(${JSON.stringify(opts)}).then(
      (info) => console.log(JSON.stringify({ info, ms: performance.now() - t0 })),
      (e) => console.log(JSON.stringify({ error: e.message, ms: performance.now() - t0 })));`;
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete childEnv[k];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ["--import", "tsx", "-e", script], { cwd: ROOT, env: childEnv, timeout: 60000 }, (err, stdout, stderr) => {
      const line = String(stdout).trim().split("\n").pop() || "";
      try {
        resolve({ ...JSON.parse(line), stderr: String(stderr) });
      } catch {
        reject(new Error(`child failed: ${err ? err.message : ""}\n${stdout}\n${stderr}`));
      }
    });
  });
}

describe("initEngine in a fresh process", () => {
  test("auto: tfjs-node if installed, else a hardware WebGPU adapter, else wasm (here: wasm)", async () => {
    const probe = await probeWebGpu();
    const expected = findTfjsNode() ? "tensorflow" : probe.adapter && !probe.fallback ? "webgpu" : "wasm";
    const r = await initInChild({ verbose: false }, { HOLLM_BACKEND: undefined });
    assert.equal(r.error, undefined);
    assert.equal(r.info!.backend, expected);
    if (expected === "wasm") {
      assert.match(r.info!.reason, /^auto: no tfjs-node; .*WebGPU/);
      assert.deepEqual(r.info!.kernelsPatched, ["UnsortedSegmentSum", "Identity", "BatchMatMul", "_FusedMatMul"]);
    }
    // Dawn's native warnings stay in the probe's child; no tfjs banner either.
    assert.equal(r.stderr, "");
    console.log(`auto -> ${r.info!.backend} in ${r.ms.toFixed(0)} ms (${r.info!.reason})`);
  });

  test("HOLLM_BACKEND=cpu gives cpu", async () => {
    const r = await initInChild({ verbose: false }, { HOLLM_BACKEND: "cpu" });
    assert.equal(r.info!.backend, "cpu");
    assert.match(r.info!.reason, /HOLLM_BACKEND=cpu/);
    assert.deepEqual(r.info!.kernelsPatched, ["UnsortedSegmentSum"]);
  });

  test("an explicit backend beats HOLLM_BACKEND", async () => {
    const r = await initInChild({ backend: "wasm", verbose: false }, { HOLLM_BACKEND: "cpu" });
    assert.equal(r.info!.backend, "wasm");
  });

  test("bogus HOLLM_BACKEND is a clear error", async () => {
    const r = await initInChild({ verbose: false }, { HOLLM_BACKEND: "gpu" });
    assert.match(r.error!, /HOLLM_BACKEND: unknown backend 'gpu'; expected one of auto, tensorflow, webgpu, wasm, cpu/);
  });

  // Runs where Dawn finds an adapter: a GPU, or Mesa's lavapipe as
  // scripts/setup-lavapipe.sh prepares it (tests/helpers/lavapipe.ts).
  test("explicit webgpu, where an adapter exists", async (t) => {
    const gpu = await webgpuChildEnv();
    if (!gpu.env) return t.skip(gpu.reason);
    const r = await initInChild({ backend: "webgpu", verbose: false }, gpu.env);
    assert.equal(r.error, undefined);
    assert.equal(r.info!.backend, "webgpu");
    assert.match(r.info!.reason, /WebGPU adapter: /);
    assert.deepEqual(r.info!.kernelsPatched, ["AddN"]);
  });

  test("verbose (default) prints one line", async () => {
    const script = `require("./lib/engine").initEngine({ backend: "cpu" })`;
    const out = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ["--import", "tsx", "-e", script], { cwd: ROOT }, (err, stdout) => (err ? reject(err) : resolve(String(stdout)))),
    );
    assert.match(out, /^\[hands-on-llm\] tfjs backend: cpu — requested by initEngine\(\{backend: "cpu"\}\); .*; patched UnsortedSegmentSum\n$/);
  });
});

describe("initEngine in this process", () => {
  before(() => {
    delete process.env.HOLLM_BACKEND;
  });

  test("explicit switches; no-arg calls return the same info and re-activate it", async () => {
    const cpu = await initEngine({ backend: "cpu", verbose: false });
    assert.equal(cpu.backend, "cpu");
    assert.equal(tf.getBackend(), "cpu");
    assert.equal(await initEngine({ verbose: false }), cpu);
    assert.equal(await initEngine({ backend: "cpu", verbose: false }), cpu);

    const wasm = await initEngine({ backend: "wasm", verbose: false });
    assert.equal(wasm.backend, "wasm");
    assert.equal(tf.getBackend(), "wasm");
    assert.deepEqual(wasm.kernelsPatched, ["UnsortedSegmentSum", "Identity", "BatchMatMul", "_FusedMatMul"]);

    await tf.setBackend("cpu"); // someone switches behind our back
    assert.equal(await initEngine({ verbose: false }), wasm);
    assert.equal(tf.getBackend(), "wasm");
  });

  test("concurrent calls are serialised and agree", async () => {
    const [a, b] = await Promise.all([initEngine({ backend: "cpu", verbose: false }), initEngine({ verbose: false })]);
    assert.equal(a, b);
    assert.equal(tf.getBackend(), "cpu");
  });

  test("unknown explicit backend is a clear error", async () => {
    await assert.rejects(initEngine({ backend: "cuda" as never }), /initEngine\(\{backend\}\): unknown backend 'cuda'/);
  });

  test("explicit tensorflow without tfjs-node: error names the packages", { skip: !!findTfjsNode() }, async () => {
    await assert.rejects(initEngine({ backend: "tensorflow" }), /backend 'tensorflow' needs @tensorflow\/tfjs-node-gpu or @tensorflow\/tfjs-node/);
  });

  test("explicit webgpu without an adapter: error says why", async (t) => {
    if ((await probeWebGpu()).adapter) return t.skip("this machine has a WebGPU adapter");
    await assert.rejects(initEngine({ backend: "webgpu" }), /backend 'webgpu': no WebGPU adapter \(.+\)/);
    // A failed request leaves the previous engine in place.
    assert.equal((await initEngine({ verbose: false })).backend, "cpu");
  });
});

describe("trackTensors", () => {
  test("counts tensors left behind, not the ones returned", () => {
    const kept = trackTensors(() => {
      const x = tf.ones([3]);
      return { y: tf.add(x, 1), list: [tf.zeros([2])] }; // x leaks
    });
    assert.equal(kept.leaked, 1);
    const clean = trackTensors(() => tf.tidy(() => tf.sum(tf.ones([3]))));
    assert.equal(clean.leaked, 0);
    tf.dispose([kept.result.y, ...kept.result.list, clean.result]);
  });
});
