/**
 * Hugging Face checkpoint folders: `config.json` + `model.safetensors` (or a sharded set listed in
 * `model.safetensors.index.json`). Parameters keep HF's names, so a folder saved here loads in
 * Python's transformers and the other way round.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { HubDownloadOptions, resolveModelFolder } from "../hub/download";
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

/**
 * The fields of `<dir>/config.json` that a model reads (those in `defaults`; others are ignored, as
 * HF keeps them), after checking `model_type` against the accepted ones.
 */
export function readModelConfig<C extends object>(dir: string, modelTypes: string[], defaults: C): { config: Partial<C>; raw: Record<string, unknown>; file: string } {
  const file = path.join(dir, "config.json");
  const raw = readJson(file);
  if (raw.model_type !== undefined && !modelTypes.includes(raw.model_type as string)) {
    throw new Error(`${file}: model_type is '${raw.model_type}', not ${modelTypes.map((t) => `'${t}'`).join(" or ")}`);
  }
  const config: Partial<C> = {};
  for (const key of Object.keys(defaults)) {
    if (raw[key] !== undefined) (config as Record<string, unknown>)[key] = raw[key];
  }
  return { config, raw, file };
}

/** Runs `build`, prefixing any error with the config file it came from. */
export function buildFromConfig<M>(file: string, build: () => M): M {
  try {
    return build();
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`);
  }
}

/**
 * Loads `<dir>`'s weights into `model`, each renamed by `rename` (null drops it; several entries
 * split one tensor). Every loaded tensor is freed afterwards; on error the model is freed too.
 */
export function loadWeights(
  dir: string,
  model: Module,
  rename: (name: string, tensor: tf.Tensor) => Array<[string, tf.Tensor]> | null,
  strict = true,
): void {
  const state = loadStateDict(dir);
  const renamed = new Map<string, tf.Tensor>();
  try {
    for (const [name, tensor] of state) for (const [newName, t] of rename(name, tensor) ?? []) renamed.set(newName, t);
    model.loadStateDict(renamed, strict);
  } catch (e) {
    model.dispose();
    throw new Error(`${dir}: ${(e as Error).message}`);
  } finally {
    tf.dispose([...state.values(), ...renamed.values()]);
  }
}

/** Collects config problems: positive-integer fields, plus any `extra` messages; throws them together. */
export function checkConfig(kind: string, config: object, positiveInts: string[], extra: string[] = []): void {
  const values = config as Record<string, unknown>;
  const problems = positiveInts
    .filter((key) => !(Number.isInteger(values[key]) && (values[key] as number) > 0))
    .map((key) => `${key} must be a positive integer (got ${values[key]})`)
    .concat(extra);
  if (problems.length > 0) throw new Error(`invalid ${kind} config: ${problems.join("; ")}`);
}

/**
 * The local folder of a checkpoint given a folder path or a hub repo id: config.json and the
 * safetensors weights (one file, or the shards of model.safetensors.index.json) are downloaded into
 * the hub cache when needed. A repo with only pytorch_model.bin (a pickle) is refused: never executed.
 */
export async function resolveCheckpoint(idOrPath: string, opts: HubDownloadOptions = {}): Promise<string> {
  const optional = (name: string) => ({ name, optional: true });
  const folder = await resolveModelFolder(idOrPath, ["config.json", optional("model.safetensors"), optional("model.safetensors.index.json"), optional("generation_config.json")], opts);
  if (fs.existsSync(path.join(folder, "model.safetensors"))) return folder;
  if (!fs.existsSync(path.join(folder, "model.safetensors.index.json"))) {
    throw new Error(`${idOrPath}: no model.safetensors or model.safetensors.index.json (pickled pytorch_model.bin files are never loaded)`);
  }
  const shards = weightFiles(folder).map((f) => path.basename(f));
  return resolveModelFolder(idOrPath, ["config.json", "model.safetensors.index.json", ...shards], opts);
}
