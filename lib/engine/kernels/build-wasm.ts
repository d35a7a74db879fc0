// Assembles matmul-simd.wat into the committed matmul-simd-wasm.ts (base64), so
// that the runtime needs no assembler. `wabt` is a devDependency: only this
// script and the test that checks the committed bytes against the .wat use it.
//
//   node --import tsx lib/engine/kernels/build-wasm.ts           # rewrite matmul-simd-wasm.ts
//   node --import tsx lib/engine/kernels/build-wasm.ts --check   # exit 1 if it is stale
import * as fs from "fs";
import * as path from "path";

export const WAT_PATH = path.join(__dirname, "matmul-simd.wat");
export const OUT_PATH = path.join(__dirname, "matmul-simd-wasm.ts");

/** The .wat assembled by wabt (deterministic: no names section). */
export async function assembleWat(watPath = WAT_PATH): Promise<Uint8Array> {
  // Required lazily, so that importing this file costs nothing.
  const wabt = await (require("wabt") as typeof import("wabt"))();
  const module = wabt.parseWat(path.basename(watPath), fs.readFileSync(watPath, "utf8"), { simd: true });
  try {
    module.resolveNames();
    module.validate();
    return module.toBinary({ write_debug_names: false }).buffer.slice();
  } finally {
    module.destroy();
  }
}

/** The TypeScript module that carries the bytes. */
export function bytesModule(bytes: Uint8Array): string {
  const b64 = Buffer.from(bytes).toString("base64");
  const lines = b64.match(/.{1,100}/g) ?? [];
  return (
    "// Generated from matmul-simd.wat by build-wasm.ts: do not edit; edit the .wat and rerun\n" +
    "//   node --import tsx lib/engine/kernels/build-wasm.ts\n" +
    `// ${bytes.length} bytes of WebAssembly, base64.\n` +
    "export const MATMUL_SIMD_WASM =\n" +
    lines.map((l) => `  "${l}"`).join(" +\n") +
    ";\n"
  );
}

async function main(): Promise<void> {
  const text = bytesModule(await assembleWat());
  if (process.argv.includes("--check")) {
    const current = fs.existsSync(OUT_PATH) ? fs.readFileSync(OUT_PATH, "utf8") : "";
    if (current !== text) {
      console.error(`${path.basename(OUT_PATH)} is stale: rerun node --import tsx lib/engine/kernels/build-wasm.ts`);
      process.exit(1);
    }
    console.log(`${path.basename(OUT_PATH)} matches ${path.basename(WAT_PATH)}`);
  } else {
    fs.writeFileSync(OUT_PATH, text);
    console.log(`wrote ${OUT_PATH}`);
  }
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
