/**
 * Hugging Face checkpoint folders: `config.json` + `model.safetensors` (or a sharded set listed in
 * `model.safetensors.index.json`). Parameters keep HF's names, so a folder saved here loads in
 * Python's transformers and the other way round.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { Module } from "./module";
import { SafetensorsError, SafetensorsFile, TensorToSave, saveSafetensors, writeFileAtomic } from "./safetensors";

/** Reads and parses a JSON file, with errors naming it. */
export function readJson(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new Error(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    const value = JSON.parse(text);
    if (value === null || typeof value !== "object" || Array.isArray(value)) throw new Error("not a JSON object");
    return value as Record<string, unknown>;
  } catch (e) {
    throw new Error(`${file}: invalid JSON (${(e as Error).message})`);
  }
}

/** The weight files of a checkpoint folder: one model.safetensors, or the shards of its index. */
export function weightFiles(dir: string): string[] {
  const single = path.join(dir, "model.safetensors");
  if (fs.existsSync(single)) return [single];
  const indexFile = path.join(dir, "model.safetensors.index.json");
  if (!fs.existsSync(indexFile)) {
    const pytorch = fs.existsSync(path.join(dir, "pytorch_model.bin")) ? " (only pytorch_model.bin, a pickle, which is never loaded: convert it to safetensors)" : "";
    throw new Error(`${dir}: no model.safetensors or model.safetensors.index.json${pytorch}`);
  }
  const weightMap = readJson(indexFile).weight_map;
  if (weightMap === null || typeof weightMap !== "object") throw new Error(`${indexFile}: weight_map is missing or not an object`);
  const shards = new Set<string>();
  for (const [name, shard] of Object.entries(weightMap as Record<string, unknown>)) {
    if (typeof shard !== "string" || shard.includes("/") || shard.includes("\\") || shard.startsWith(".")) {
      throw new Error(`${indexFile}: weight_map['${name}'] is not a file name in the folder (${JSON.stringify(shard)})`);
    }
    shards.add(shard);
  }
  return [...shards].sort().map((s) => path.join(dir, s));
}

/** Every tensor of a checkpoint folder as fp32 (float) or int32 tfjs tensors, by HF name. */
export function loadStateDict(dir: string): Map<string, tf.Tensor> {
  const state = new Map<string, tf.Tensor>();
  for (const file of weightFiles(dir)) loadSafetensors(file, state);
  return state;
}

/** The tensors of one safetensors file, added to `into` (a name already there is an error). */
export function loadSafetensors(file: string, into = new Map<string, tf.Tensor>()): Map<string, tf.Tensor> {
  const st = SafetensorsFile.open(file);
  try {
    for (const name of st.names()) {
      if (into.has(name)) throw new SafetensorsError(file, `tensor '${name}' also appears in another shard`);
      const t = st.tensor(name);
      const values = t.values instanceof Uint8Array ? Int32Array.from(t.values) : t.values;
      into.set(name, tf.tensor(values, t.shape, values instanceof Float32Array ? "float32" : "int32"));
    }
  } finally {
    st.close();
  }
  return into;
}

/** Writes `config.json` and `model.safetensors` (fp32, HF names) into `dir`, each atomically. */
export function saveCheckpoint(dir: string, model: Module, config: object, extraState: Map<string, tf.Tensor> = new Map()): void {
  const tensors: Record<string, TensorToSave> = {};
  for (const [name, p] of [...model.namedParameters(), ...extraState]) {
    tensors[name] = { dtype: p.dtype === "int32" ? "I32" : "F32", shape: p.shape, values: p.dataSync() as Float32Array | Int32Array };
  }
  fs.mkdirSync(dir, { recursive: true });
  saveSafetensors(path.join(dir, "model.safetensors"), tensors, { format: "pt" });
  writeFileAtomic(path.join(dir, "config.json"), JSON.stringify(config, null, 2) + "\n");
}
