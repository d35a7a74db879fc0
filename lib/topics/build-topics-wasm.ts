// Assembles the topic-modelling wasm kernels (nn-kernels.wat: NN-descent's distances; umap-layout.wat: UMAP's
// SGD epoch) into committed TypeScript modules carrying their bytes in base64, with the helpers of
// lib/engine/kernels/build-wasm.ts (which does the same for the matmul kernel).
//
//   node --import tsx lib/topics/build-topics-wasm.ts           # rewrite the *-wasm.ts modules
//   node --import tsx lib/topics/build-topics-wasm.ts --check   # exit 1 if one is stale
import * as path from "path";
import { assembleWat, bytesModule, runMain, writeOrCheck } from "../engine/kernels/build-wasm";

const SCRIPT = "lib/topics/build-topics-wasm.ts";

/** Each kernel: its .wat, the generated module and the name of the exported constant. */
export const TOPICS_WASM: { wat: string; out: string; name: string; sharedMemory?: boolean }[] = [
  { wat: path.join(__dirname, "nn-kernels.wat"), out: path.join(__dirname, "nn-kernels-wasm.ts"), name: "NN_KERNELS_WASM" },
  { wat: path.join(__dirname, "umap-layout.wat"), out: path.join(__dirname, "umap-layout-wasm.ts"), name: "UMAP_LAYOUT_WASM", sharedMemory: true },
];

/**
 * Marks the imported memory "env"."memory" shared: wabt.js (1.0.39) rejects `shared` in the text even with
 * its threads feature on, so the .wat declares it unshared (with a maximum, which shared memories need)
 * and the limits flag byte after the import's name goes from 0x01 (has max) to 0x03 (has max, shared).
 * V8 validates the result when it compiles the module.
 */
export function shareImportedMemory(bytes: Uint8Array): Uint8Array {
  const pattern = [0x03, ...Buffer.from("env"), 0x06, ...Buffer.from("memory"), 0x02, 0x01];
  const out = Uint8Array.from(bytes);
  for (let i = 0; i + pattern.length <= out.length; i++) {
    if (pattern.every((b, t) => out[i + t] === b)) {
      out[i + pattern.length - 1] = 0x03;
      return out;
    }
  }
  throw new Error("shareImportedMemory: no imported env.memory with a maximum in the module");
}

/** The generated text of each module, by output path. */
export async function generatedModules(): Promise<Map<string, string>> {
  const result = new Map<string, string>();
  for (const k of TOPICS_WASM) {
    let bytes = await assembleWat(k.wat);
    if (k.sharedMemory) bytes = shareImportedMemory(bytes);
    result.set(k.out, bytesModule(bytes, { watName: path.basename(k.wat), script: SCRIPT, constName: k.name }));
  }
  return result;
}

if (require.main === module) runMain(async () => writeOrCheck(await generatedModules(), SCRIPT));
