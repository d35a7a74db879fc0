// Assembles the topic-modelling wasm kernels (nn-kernels.wat: NN-descent's distances; umap-layout.wat: UMAP's
// SGD epoch) into committed
// TypeScript modules carrying their bytes in base64, as
// lib/engine/kernels/build-wasm.ts does for the matmul kernel: the runtime needs no assembler, and `wabt`
// (a devDependency) is used only here and by the test that checks the committed bytes against the .wat.
//
//   node --import tsx lib/topics/build-topics-wasm.ts           # rewrite the *-wasm.ts modules
//   node --import tsx lib/topics/build-topics-wasm.ts --check   # exit 1 if one is stale
import * as fs from "fs";
import * as path from "path";
import { assembleWat } from "../engine/kernels/build-wasm";

/** Each kernel: its .wat, the generated module and the name of the exported constant. */
export const TOPICS_WASM: { wat: string; out: string; name: string; sharedMemory?: boolean }[] = [
  { wat: path.join(__dirname, "nn-kernels.wat"), out: path.join(__dirname, "nn-kernels-wasm.ts"), name: "NN_KERNELS_WASM" },
  { wat: path.join(__dirname, "umap-layout.wat"), out: path.join(__dirname, "umap-layout-wasm.ts"), name: "UMAP_LAYOUT_WASM", sharedMemory: true },
];

/** The TypeScript module that carries the bytes. */
export function bytesModule(bytes: Uint8Array, watName: string, constName: string): string {
  const b64 = Buffer.from(bytes).toString("base64");
  const lines = b64.match(/.{1,100}/g) ?? [];
  return (
    `// Generated from ${watName} by build-topics-wasm.ts: do not edit; edit the .wat and rerun\n` +
    "//   node --import tsx lib/topics/build-topics-wasm.ts\n" +
    `// ${bytes.length} bytes of WebAssembly, base64.\n` +
    `export const ${constName} =\n` +
    lines.map((l) => `  "${l}"`).join(" +\n") +
    ";\n"
  );
}

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
    result.set(k.out, bytesModule(bytes, path.basename(k.wat), k.name));
  }
  return result;
}

async function main(): Promise<void> {
  const check = process.argv.includes("--check");
  let stale = false;
  for (const [out, text] of await generatedModules()) {
    if (check) {
      const current = fs.existsSync(out) ? fs.readFileSync(out, "utf8") : "";
      if (current !== text) {
        console.error(`${path.basename(out)} is stale: rerun node --import tsx lib/topics/build-topics-wasm.ts`);
        stale = true;
      } else console.log(`${path.basename(out)} is up to date`);
    } else {
      fs.writeFileSync(out, text);
      console.log(`wrote ${out}`);
    }
  }
  if (stale) process.exit(1);
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
