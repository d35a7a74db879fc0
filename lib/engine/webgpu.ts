// WebGPU in Node through Dawn (npm `webgpu`).
//
// The adapter probe runs in a short-lived child process because on a machine
// without a usable GPU Dawn writes native warnings straight to stderr (e.g.
// "Couldn't load Vulkan: libvulkan.so.1"), which would land in every notebook
// log, and because a broken driver could crash or hang the probing process.
// The child costs ~0.1 s once per process; its stderr becomes our explanation.
import { execFile } from "child_process";
import * as path from "path";

export interface WebGpuProbe {
  adapter: boolean;
  /** Software adapters (llvmpipe/lavapipe, SwiftShader) are slower than wasm. */
  fallback: boolean;
  /** Adapter description, or why there is none. */
  detail: string;
}

interface DawnModule {
  create(flags: string[]): { requestAdapter(opts?: object): Promise<unknown> };
  globals: object;
}

function resolveWebGpuPackage(): string | null {
  try {
    return require.resolve("webgpu");
  } catch {
    return null;
  }
}

// `webgpu` is an ES module. Node >= 20.19 can require() it; older Node cannot,
// so fall back to its native addon, which is all the package really wraps.
const CHILD_SCRIPT = `
const entry = process.argv[1];
let m;
try { m = require(entry); } catch (e) {
  const arch = process.platform === "darwin" ? "universal" : process.arch;
  m = require(require("path").join(require("path").dirname(entry), "dist", process.platform + "-" + arch, "dawn.node"));
}
Object.assign(globalThis, m.globals);
m.create([]).requestAdapter({ powerPreference: "high-performance" }).then((a) => {
  const i = (a && a.info) || {};
  const desc = [i.vendor, i.architecture, i.device, i.description].filter(Boolean).join(" ");
  const fallback = !!(a && (i.isFallbackAdapter || a.isFallbackAdapter || /llvmpipe|lavapipe|swiftshader/i.test(desc)));
  process.stdout.write(JSON.stringify({ adapter: !!a, fallback, desc }));
  process.exit(0);
}, (e) => { process.stdout.write(JSON.stringify({ adapter: false, fallback: false, desc: String(e && e.message || e) })); process.exit(0); });
`;

/** First meaningful line of Dawn's stderr ("Warning: Couldn't load Vulkan: ..."). */
function dawnMessage(stderr: string): string {
  const line = stderr.split("\n").map((l) => l.trim()).find((l) => l && !l.startsWith("at "));
  return line ? line.replace(/^Warning:\s*/, "") : "";
}

let probeOnce: Promise<WebGpuProbe> | null = null;

/** Does Dawn see a WebGPU adapter here? Cached for the process. Never throws. */
export function probeWebGpu(timeoutMs = 15000): Promise<WebGpuProbe> {
  if (!probeOnce) probeOnce = runProbe(timeoutMs);
  return probeOnce;
}

function runProbe(timeoutMs: number): Promise<WebGpuProbe> {
  const entry = resolveWebGpuPackage();
  if (!entry) return Promise.resolve({ adapter: false, fallback: false, detail: "npm package 'webgpu' is not installed" });
  return new Promise((resolve) => {
    execFile(process.execPath, ["-e", CHILD_SCRIPT, entry], { timeout: timeoutMs }, (err, stdout, stderr) => {
      try {
        const r = JSON.parse(String(stdout)) as { adapter: boolean; fallback: boolean; desc: string };
        const why = dawnMessage(String(stderr));
        resolve({ adapter: r.adapter, fallback: r.fallback, detail: r.adapter ? r.desc || "unnamed adapter" : why || r.desc || "Dawn found no adapter" });
      } catch {
        const why = err ? (err.killed ? `probe timed out after ${timeoutMs} ms` : err.message) : "no answer";
        resolve({ adapter: false, fallback: false, detail: `WebGPU probe failed: ${dawnMessage(String(stderr)) || why}` });
      }
    });
  });
}

/**
 * Give this process `navigator.gpu` (Node has none, or one without `gpu`) and
 * the WebGPU globals (GPUBufferUsage, ...) that @tensorflow/tfjs-backend-webgpu
 * reads. Must run before that package is first required: it registers its
 * backend at load time only if navigator.gpu exists.
 */
export function installNavigatorGpu(): void {
  const g = globalThis as unknown as { navigator?: { gpu?: unknown } };
  if (g.navigator && g.navigator.gpu) return;
  const entry = resolveWebGpuPackage();
  if (!entry) throw new Error("npm package 'webgpu' is not installed");
  let dawn: DawnModule;
  try {
    dawn = require(entry) as DawnModule;
  } catch {
    const arch = process.platform === "darwin" ? "universal" : process.arch;
    dawn = require(path.join(path.dirname(entry), "dist", `${process.platform}-${arch}`, "dawn.node")) as DawnModule;
  }
  Object.assign(globalThis, dawn.globals);
  const gpu = dawn.create([]);
  if (g.navigator) Object.defineProperty(g.navigator, "gpu", { value: gpu, configurable: true });
  else Object.defineProperty(globalThis, "navigator", { value: { gpu }, configurable: true, writable: true });
}

interface WebGpuBackendData {
  tensorMap: { get(dataId: object): { values?: unknown; dtype: string } | undefined };
  readSync(dataId: object): unknown;
}

/**
 * tfjs-backend-webgpu reads GPU buffers synchronously (dataSync, arraySync)
 * through OffscreenCanvas, which only browsers have: in Node it dies with
 * "ReferenceError: OffscreenCanvas is not defined" from deep inside tfjs. Make
 * that a clear error naming the fix; reads of data already on the CPU (and
 * everything in a browser) stay as they were.
 */
export function explainWebGpuSyncReads(backend: unknown): void {
  if (typeof (globalThis as { OffscreenCanvas?: unknown }).OffscreenCanvas !== "undefined") return;
  const b = backend as WebGpuBackendData & { __hollmSyncReads?: boolean };
  if (!b || b.__hollmSyncReads || typeof b.readSync !== "function" || !b.tensorMap) return;
  const stockReadSync = b.readSync;
  b.readSync = function (this: WebGpuBackendData, dataId: object) {
    const data = this.tensorMap.get(dataId);
    if (data && data.values == null && data.dtype !== "string" && data.dtype !== "complex64") {
      throw new Error(
        "backend 'webgpu' cannot read a tensor synchronously in Node (dataSync / arraySync / bufferSync need " +
          "OffscreenCanvas, which only browsers have): use `await tensor.data()` or `await tensor.array()`",
      );
    }
    return stockReadSync.call(this, dataId);
  };
  b.__hollmSyncReads = true;
}
