// The tensor engine: one shared tfjs-core instance, a backend picked for this
// machine, and the kernel fixes that make training on CPU practical.
import * as tf from "@tensorflow/tfjs-core";
// Always available and synchronous, so tf works even before initEngine().
import "@tensorflow/tfjs-backend-cpu";
// Gradients of every op (tf.grad, variableGrads); the tfjs-core package alone registers none.
import "@tensorflow/tfjs-core/dist/register_all_gradients";
import { BackendName, findTfjsNode, startBackend } from "./backends";
import { patchKernels } from "./kernels";
import { registerChainedOps } from "./chained-ops";

// Side effect on import, like loading @tensorflow/tfjs would: tfjs-core's own
// gradients need them (see chained-ops.ts).
registerChainedOps();

export { tf };
export type { BackendName };
export { patchKernels, restoreKernels } from "./kernels";
export { probeWebGpu } from "./webgpu";
export type { WebGpuProbe } from "./webgpu";
export { trackTensors } from "./memory";

export type BackendChoice = "auto" | BackendName;

export interface EngineOptions {
  /** Default "auto", which the HOLLM_BACKEND environment variable overrides. */
  backend?: BackendChoice;
  /** Print a one-line summary (default true). */
  verbose?: boolean;
}

export interface EngineInfo {
  backend: BackendName;
  /** Why this backend: who asked for it, or what auto-selection ruled out. */
  reason: string;
  /** Kernels of this backend replaced by the fixes in ./kernels. */
  kernelsPatched: string[];
}

const CHOICES: BackendChoice[] = ["auto", "tensorflow", "webgpu", "wasm", "cpu"];

function parseChoice(value: string, source: string): BackendChoice {
  const v = value.trim().toLowerCase() as BackendChoice;
  if (CHOICES.indexOf(v) < 0) {
    throw new Error(`${source}: unknown backend '${value}'; expected one of ${CHOICES.join(", ")}`);
  }
  return v;
}

let current: EngineInfo | null = null;
// Calls are serialised: backends are global state and start asynchronously.
let queue: Promise<unknown> = Promise.resolve();

/** The engine chosen by the last initEngine(), or null before the first. */
export function engineInfo(): EngineInfo | null {
  return current;
}

/**
 * Pick and start a tfjs backend, and register the kernel fixes for it.
 *
 * Order of precedence: an explicit `opts.backend`, then the HOLLM_BACKEND
 * environment variable, then auto: tfjs-node(-gpu) if installed, else WebGPU
 * if a hardware adapter exists, else wasm, else cpu. An explicitly requested
 * backend that cannot start is an error, never a silent fallback.
 *
 * Idempotent: later calls return the same info (re-activating that backend if
 * something switched away from it), unless they name a different backend.
 */
export function initEngine(opts: EngineOptions = {}): Promise<EngineInfo> {
  const run = queue.then(() => init(opts));
  queue = run.catch(() => undefined);
  return run;
}

async function init(opts: EngineOptions): Promise<EngineInfo> {
  const verbose = opts.verbose !== false;
  const explicit = opts.backend == null ? "auto" : parseChoice(opts.backend, "initEngine({backend})");
  if (current && (explicit === "auto" || explicit === current.backend)) {
    if (tf.getBackend() !== current.backend) await startBackend(current.backend);
    return current;
  }

  let info: EngineInfo;
  const env = process.env.HOLLM_BACKEND;
  if (explicit !== "auto") {
    info = await startExplicit(explicit, `requested by initEngine({backend: "${explicit}"})`);
  } else if (env && env.trim() && parseChoice(env, "HOLLM_BACKEND") !== "auto") {
    info = await startExplicit(parseChoice(env, "HOLLM_BACKEND") as BackendName, `HOLLM_BACKEND=${env.trim()}`);
  } else {
    info = await startAuto();
  }
  info.kernelsPatched = patchKernels(info.backend);
  // cpu is the backend tfjs falls back to, e.g. after tf.setBackend("cpu"): fix it too.
  if (info.backend !== "cpu") patchKernels("cpu");
  quietCpuBanner();
  current = info;
  if (verbose) {
    const patched = info.kernelsPatched.length ? `; patched ${info.kernelsPatched.join(", ")}` : "";
    console.log(`[hands-on-llm] tfjs backend: ${info.backend} — ${info.reason}${patched}`);
  }
  return info;
}

async function startExplicit(name: BackendName, why: string): Promise<EngineInfo> {
  const detail = await startBackend(name); // throws with the backend's name and cause
  return { backend: name, reason: `${why}; ${detail}`, kernelsPatched: [] };
}

async function startAuto(): Promise<EngineInfo> {
  const skipped: string[] = [];
  const order: BackendName[] = ["tensorflow", "webgpu", "wasm", "cpu"];
  for (const name of order) {
    if (name === "tensorflow" && !findTfjsNode()) {
      skipped.push("no tfjs-node");
      continue;
    }
    try {
      const detail = await startBackend(name, { skipFallbackGpu: true });
      return { backend: name, reason: `auto: ${skipped.concat(detail).join("; ")}`, kernelsPatched: [] };
    } catch (e) {
      skipped.push((e as Error).message.replace(/^backend '\w+': /, ""));
    }
  }
  throw new Error(`no tfjs backend could start: ${skipped.join("; ")}`);
}

// The cpu backend prints a multi-line "install tfjs-node" banner on first use
// in Node; initEngine's summary line already says what was chosen and why.
function quietCpuBanner(): void {
  const cpu = tf.findBackend("cpu") as unknown as { firstUse?: boolean } | null;
  if (cpu) cpu.firstUse = false;
}
