// Registry surgery: swap stock tfjs kernels for the fixed ones, and back.
// Kernels are registered per backend name, globally for the process, so
// patching is idempotent and remembers what it replaced (tests and the
// benchmark restore the stock kernels to compare).
import * as tf from "@tensorflow/tfjs-core";
import { segmentSumKernel } from "./segment-sum";
import { wasmIdentityKernel } from "./identity-wasm";
import { wasmMatMulKernels } from "./matmul-wasm";
import { webgpuAddNKernel } from "./addn-webgpu";

// "backend/kernel" -> the stock config we replaced (null: there was none).
const replaced = new Map<string, tf.KernelConfig | null>();

const key = (kernelName: string, backendName: string) => `${backendName}/${kernelName}`;

/** The stock kernel, even when it is currently patched. */
function stockKernel(kernelName: string, backendName: string): tf.KernelConfig | undefined {
  const k = key(kernelName, backendName);
  if (replaced.has(k)) return replaced.get(k) ?? undefined;
  return tf.getKernel(kernelName, backendName);
}

function fixesFor(backendName: string): tf.KernelConfig[] {
  if (backendName === "cpu") return [segmentSumKernel("cpu")];
  if (backendName === "webgpu") {
    const stockAddN = stockKernel(tf.AddN, "webgpu");
    return stockAddN ? [webgpuAddNKernel(stockAddN)] : [];
  }
  if (backendName !== "wasm") return [];
  // The matmul fixes wrap stock wasm kernels, which exist only once
  // @tensorflow/tfjs-backend-wasm has been loaded.
  const stock = (name: string) => stockKernel(name, "wasm");
  return [segmentSumKernel("wasm"), wasmIdentityKernel(stock(tf.Identity)), ...wasmMatMulKernels(stock)];
}

function install(config: tf.KernelConfig): void {
  const k = key(config.kernelName, config.backendName);
  if (replaced.has(k)) return;
  const current = tf.getKernel(config.kernelName, config.backendName);
  replaced.set(k, current ?? null);
  // registerKernel only warns on a duplicate and keeps the old one.
  if (current) tf.unregisterKernel(config.kernelName, config.backendName);
  tf.registerKernel(config);
}

/**
 * Register the fixed kernels for `backendName` ("cpu", "wasm" or "webgpu";
 * others have none). Idempotent. Returns the names of the kernels now patched.
 */
export function patchKernels(backendName: string): string[] {
  const fixes = fixesFor(backendName);
  fixes.forEach(install);
  return fixes.map((c) => c.kernelName);
}

/** Put the stock kernels of `backendName` back (for comparisons and benchmarks). */
export function restoreKernels(backendName: string): void {
  for (const [k, original] of Array.from(replaced.entries())) {
    const [b, kernelName] = [k.slice(0, k.indexOf("/")), k.slice(k.indexOf("/") + 1)];
    if (b !== backendName) continue;
    tf.unregisterKernel(kernelName, b);
    if (original) tf.registerKernel(original);
    replaced.delete(k);
  }
}
