// The environment that gives a child process a WebGPU adapter on a machine without a GPU: Mesa's
// lavapipe, prepared by scripts/setup-lavapipe.sh under .cache/lavapipe (see its env.json).
import * as fs from "node:fs";
import * as path from "node:path";
import { probeWebGpu } from "../../lib/engine";

const CACHE = path.resolve(__dirname, "..", "..", ".cache", "lavapipe");

export interface LavapipeEnv {
  VK_ICD_FILENAMES: string;
  /** The unpacked Mesa libraries ("" when lavapipe is installed system-wide). */
  LD_LIBRARY_PATH: string;
}

/** lavapipe's variables when scripts/setup-lavapipe.sh prepared it, else why not. */
export function lavapipeEnv(): { env: LavapipeEnv; reason?: undefined } | { env: null; reason: string } {
  const envFile = path.join(CACHE, "env.json");
  if (fs.existsSync(envFile)) {
    const env = JSON.parse(fs.readFileSync(envFile, "utf8")) as LavapipeEnv;
    if (fs.existsSync(env.VK_ICD_FILENAMES)) return { env: { VK_ICD_FILENAMES: env.VK_ICD_FILENAMES, LD_LIBRARY_PATH: env.LD_LIBRARY_PATH } };
    return { env: null, reason: `${envFile} names ${env.VK_ICD_FILENAMES}, which is gone: run bash scripts/setup-lavapipe.sh --force` };
  }
  const failed = path.join(CACHE, "failed.txt");
  if (fs.existsSync(failed)) return { env: null, reason: `lavapipe setup failed earlier: ${fs.readFileSync(failed, "utf8").trim()}` };
  return { env: null, reason: "lavapipe is not prepared: run bash scripts/setup-lavapipe.sh" };
}

/** `base` with lavapipe's variables added (its libraries first on LD_LIBRARY_PATH). */
export function withLavapipe(env: LavapipeEnv, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const libs = [env.LD_LIBRARY_PATH, base.LD_LIBRARY_PATH].filter(Boolean).join(":");
  return { ...base, VK_ICD_FILENAMES: env.VK_ICD_FILENAMES, ...(libs ? { LD_LIBRARY_PATH: libs } : {}) };
}

/**
 * The environment for a child process that should run on WebGPU: this process's own when Dawn
 * already finds an adapter with it (a GPU machine), else lavapipe's; or the reason there is none.
 */
export async function webgpuChildEnv(): Promise<{ env: NodeJS.ProcessEnv; via: string } | { env: null; reason: string }> {
  const probe = await probeWebGpu();
  if (probe.adapter) return { env: process.env, via: probe.detail };
  const lvp = lavapipeEnv();
  if (!lvp.env) return { env: null, reason: `no WebGPU adapter (${probe.detail}); ${lvp.reason}` };
  return { env: withLavapipe(lvp.env), via: `lavapipe (${lvp.env.VK_ICD_FILENAMES})` };
}
