// Assembles the project's WebAssembly kernels (.wat) into committed TypeScript modules carrying their
// bytes in base64, so that the runtime needs no assembler. `wabt` is a devDependency: only the build
// scripts (this one for matmul-simd.wat, lib/topics/build-topics-wasm.ts for the topic kernels) and the
// tests that check the committed bytes against the .wat use it.
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

/** Where a generated module comes from: its .wat, the script that builds it, the exported constant. */
export interface WasmSource {
  watName: string;
  /** The build script's path from the repository root. */
  script: string;
  constName: string;
}

const MATMUL: WasmSource = { watName: "matmul-simd.wat", script: "lib/engine/kernels/build-wasm.ts", constName: "MATMUL_SIMD_WASM" };

/** The TypeScript module that carries the bytes (the matmul kernel's unless `source` says otherwise). */
export function bytesModule(bytes: Uint8Array, source: WasmSource = MATMUL): string {
  const b64 = Buffer.from(bytes).toString("base64");
  const lines = b64.match(/.{1,100}/g) ?? [];
  return (
    `// Generated from ${source.watName} by ${path.basename(source.script)}: do not edit; edit the .wat and rerun\n` +
    `//   node --import tsx ${source.script}\n` +
    `// ${bytes.length} bytes of WebAssembly, base64.\n` +
    `export const ${source.constName} =\n` +
    lines.map((l) => `  "${l}"`).join(" +\n") +
    ";\n"
  );
}

/**
 * Writes each generated module (text by output path), or with `--check` in argv only compares them with
 * the committed files and exits 1 if one is stale.
 */
export function writeOrCheck(modules: Map<string, string>, script: string, argv = process.argv): void {
  const check = argv.includes("--check");
  let stale = false;
  for (const [out, text] of modules) {
    if (check) {
      const current = fs.existsSync(out) ? fs.readFileSync(out, "utf8") : "";
      if (current !== text) {
        console.error(`${path.basename(out)} is stale: rerun node --import tsx ${script}`);
        stale = true;
      } else console.log(`${path.basename(out)} is up to date`);
    } else {
      fs.writeFileSync(out, text);
      console.log(`wrote ${out}`);
    }
  }
  if (stale) process.exit(1);
}

/** Runs a build script's main, printing its error and exiting 1 on failure. */
export function runMain(main: () => Promise<void>): void {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}

if (require.main === module) {
  runMain(async () => writeOrCheck(new Map([[OUT_PATH, bytesModule(await assembleWat())]]), MATMUL.script));
}
