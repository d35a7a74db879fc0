// Starting each tfjs backend. Each starter either activates its backend or
// throws an Error that says which backend and why; the caller decides whether
// that is fatal (explicit request) or a reason to try the next one (auto).
//
// Only the cpu backend is loaded eagerly (index.ts). wasm and webgpu are
// required here on demand: once a backend with a higher priority than cpu is
// registered, tfjs makes every op wait for its async init, which would break
// plain synchronous use of tf before initEngine() has run.
import * as path from "path";
import * as tf from "@tensorflow/tfjs-core";
import { explainWebGpuSyncReads, installNavigatorGpu, probeWebGpu } from "./webgpu";

export type BackendName = "tensorflow" | "webgpu" | "wasm" | "cpu";

const TFJS_NODE = ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"];

/** Path of an installed tfjs-node(-gpu), looked up from this library and from the cwd. */
export function findTfjsNode(): string | null {
  for (const name of TFJS_NODE) {
    for (const paths of [undefined, [process.cwd()]]) {
      try {
        return require.resolve(name, paths ? { paths } : undefined);
      } catch {
        // not installed there
      }
    }
  }
  return null;
}

async function activate(name: BackendName): Promise<void> {
  // setBackend logs the init error itself and resolves to false.
  if (!(await tf.setBackend(name))) throw new Error(`backend '${name}' failed to initialise (see the warning above)`);
}

async function startTensorflow(): Promise<string> {
  const entry = findTfjsNode();
  if (!entry) {
    throw new Error(
      "backend 'tensorflow' needs @tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node, and neither is installed " +
        "(their install downloads libtensorflow, so it needs internet access)",
    );
  }
  try {
    require(entry); // registers the "tensorflow" backend as a side effect
  } catch (e) {
    throw new Error(`backend 'tensorflow': ${entry} is installed but failed to load: ${(e as Error).message}`);
  }
  if (!tf.findBackendFactory("tensorflow")) {
    // npm nested its own copy of tfjs-core: the backend went onto that one.
    throw new Error(
      `backend 'tensorflow': ${entry} registered it on a different copy of @tensorflow/tfjs-core; ` +
        `install tfjs-node ${tf.version_core} to match this library's tfjs-core`,
    );
  }
  await activate("tensorflow");
  return entry.includes("tfjs-node-gpu") ? "via @tensorflow/tfjs-node-gpu" : "via @tensorflow/tfjs-node";
}

/** `skipFallback`: refuse software adapters (auto mode; they are slower than wasm). */
async function startWebGpu(skipFallback: boolean): Promise<string> {
  const probe = await probeWebGpu();
  if (!probe.adapter) throw new Error(`backend 'webgpu': no WebGPU adapter (${probe.detail})`);
  if (skipFallback && probe.fallback) {
    throw new Error(`backend 'webgpu': only a software WebGPU adapter (${probe.detail}), slower than wasm`);
  }
  installNavigatorGpu();
  require("@tensorflow/tfjs-backend-webgpu");
  if (!tf.findBackendFactory("webgpu")) {
    throw new Error("backend 'webgpu': @tensorflow/tfjs-backend-webgpu was loaded before navigator.gpu existed");
  }
  await activate("webgpu");
  explainWebGpuSyncReads(tf.backend());
  return `WebGPU adapter: ${probe.detail}`;
}

async function startWasm(): Promise<string> {
  const wasm = require("@tensorflow/tfjs-backend-wasm") as typeof import("@tensorflow/tfjs-backend-wasm");
  if (!tf.engine().registry["wasm"]) {
    // Point at the package's own .wasm files: the default (next to the JS
    // that loads them) breaks when the code is bundled or copied.
    const dist = path.join(path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json")), "dist") + path.sep;
    try {
      wasm.setWasmPaths(dist);
    } catch {
      // Already initialised (or attempted) elsewhere: keep that setting.
    }
  }
  // Emscripten's glue adds process-wide uncaughtException/unhandledRejection
  // handlers that rethrow: any later uncaught error then prints the whole
  // minified glue file, and a stray rejected promise becomes a crash, which
  // could take down a notebook kernel. tfjs never uses what they are for
  // (emscripten's exit()), so take them back out.
  const emitter: NodeJS.EventEmitter = process;
  const events = ["uncaughtException", "unhandledRejection"];
  const before = events.map((e) => emitter.listeners(e));
  try {
    await activate("wasm");
  } finally {
    events.forEach((e, i) => {
      for (const listener of emitter.listeners(e)) {
        if (before[i].indexOf(listener) < 0) emitter.removeListener(e, listener as (...args: unknown[]) => void);
      }
    });
  }
  const flags = tf.env();
  return flags.getBool("WASM_HAS_SIMD_SUPPORT") ? "wasm with SIMD" : "wasm without SIMD";
}

async function startCpu(): Promise<string> {
  await activate("cpu");
  return "plain-JS cpu backend";
}

/** Start `name` and make it active. Returns a short detail for the log line. */
export async function startBackend(name: BackendName, opts: { skipFallbackGpu?: boolean } = {}): Promise<string> {
  switch (name) {
    case "tensorflow":
      return startTensorflow();
    case "webgpu":
      return startWebGpu(!!opts.skipFallbackGpu);
    case "wasm":
      return startWasm();
    case "cpu":
      return startCpu();
  }
}
