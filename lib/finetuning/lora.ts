/**
 * LoRA, low-rank adaptation (chapter 12), after Hugging Face's peft and with its file format: a frozen
 * weight W learns a low-rank update, y = W x + (alpha / r) · B A x, where A is [r, in] and B is [out, r].
 * B starts at zero, so a fresh adapter changes nothing; only A and B train.
 *
 *   const peft = getPeftModel(model, new LoraConfig({ r: 8, lora_alpha: 16, target_modules: ["q_proj", "v_proj"] }));
 *   peft.printTrainableParameters();      // trainable params: … || all params: … || trainable%: …
 *   … train on peft.trainableParameters() …
 *   peft.savePretrained("out/adapter");   // adapter_config.json + adapter_model.safetensors, as peft writes
 *   const merged = peft.mergeAndUnload(); // the plain model with W + (alpha / r) B A folded in
 *
 * Adapters hang off the targeted Linear / Conv1D layers themselves (`layer.adapter`, with children
 * `lora_A` and `lora_B`), so base weights keep their Hugging Face paths and the adapter weights are
 * `<path>.lora_A.weight`; under the PeftModel every path starts with `base_model.model.`, exactly
 * the names peft writes into `adapter_model.safetensors` (peft's in-memory ".default" is never saved).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { Rng } from "../util/random";
import { loadSafetensors, readJson } from "../models/checkpoint";
import { Conv1D, LayerAdapter, Linear, dropout } from "../models/layers";
import { Linear4bit } from "./nf4";
import { Module } from "../models/module";
import { TensorToSave, saveSafetensors, writeFileAtomic } from "../models/safetensors";

export const ADAPTER_CONFIG_NAME = "adapter_config.json";
export const ADAPTER_WEIGHTS_NAME = "adapter_model.safetensors";
/** peft's shorthand for "every Linear / Conv1D except the output head". */
export const ALL_LINEAR = "all-linear";

/** peft's default targets when `target_modules` is null (TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING). */
const DEFAULT_TARGETS: Record<string, string[]> = {
  gpt2: ["c_attn"],
  llama: ["q_proj", "v_proj"],
  phi3: ["qkv_proj"],
  bert: ["query", "value"],
};

/** The fields of `adapter_config.json` this implementation reads, with peft's names. */
export interface LoraConfigFields {
  /** The rank of A and B. */
  r: number;
  lora_alpha: number;
  /** Dropout on the adapter's input, in training only. */
  lora_dropout: number;
  /** Module names (a path, or its last parts), a regular expression matched against whole paths, "all-linear", or null for the model type's default. */
  target_modules: string[] | string | null;
  /** Names (as in target_modules) or a regular expression of modules never to adapt. */
  exclude_modules: string[] | string | null;
  /** True for layers storing their weight as [in, out] (GPT-2's Conv1D; set automatically for them, as peft does). */
  fan_in_fan_out: boolean;
  /** Only "none": biases stay frozen and are not saved with the adapter. */
  bias: "none";
  /** scaling = lora_alpha / sqrt(r) instead of lora_alpha / r. */
  use_rslora: boolean;
  /** Only null: no whole modules are trained and saved besides the adapters. */
  modules_to_save: string[] | null;
  /** true: A Kaiming-uniform, B zero (the adapter starts as a no-op); false: both random (for tests). */
  init_lora_weights: boolean;
  /** "CAUSAL_LM", "SEQ_CLS", … (peft's TaskType), or null. */
  task_type: string | null;
  base_model_name_or_path: string | null;
  revision: string | null;
  /** Frozen adapters (set when loaded for inference). */
  inference_mode: boolean;
  peft_type: "LORA";
}

const LORA_DEFAULTS: LoraConfigFields = {
  r: 8,
  lora_alpha: 8,
  lora_dropout: 0,
  target_modules: null,
  exclude_modules: null,
  fan_in_fan_out: false,
  bias: "none",
  use_rslora: false,
  modules_to_save: null,
  init_lora_weights: true,
  task_type: null,
  base_model_name_or_path: null,
  revision: null,
  inference_mode: false,
  peft_type: "LORA",
};

/**
 * peft options that change what an adapter computes and that this implementation lacks: a config
 * (e.g. from the hub) setting any of them is refused rather than loaded wrongly. Value = peft's default.
 */
const UNSUPPORTED_WHEN_SET: Record<string, unknown> = {
  use_dora: false,
  rank_pattern: {},
  alpha_pattern: {},
  layers_to_transform: null,
  layers_pattern: null,
  lora_bias: false,
  layer_replication: null,
  target_parameters: null,
  trainable_token_indices: null,
  use_qalora: false,
  megatron_config: null,
  alora_invocation_tokens: null,
};

/** True for peft's "unset" values: null, false, [], {}. */
function isUnset(value: unknown): boolean {
  if (value === null || value === undefined || value === false) return true;
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === "object" && Object.keys(value as object).length === 0;
}

/** `peft.LoraConfig`: the adapter's settings, saved as `adapter_config.json` with peft's field names. */
export class LoraConfig implements LoraConfigFields {
  r!: number;
  lora_alpha!: number;
  lora_dropout!: number;
  target_modules!: string[] | string | null;
  exclude_modules!: string[] | string | null;
  fan_in_fan_out!: boolean;
  bias!: "none";
  use_rslora!: boolean;
  modules_to_save!: string[] | null;
  init_lora_weights!: boolean;
  task_type!: string | null;
  base_model_name_or_path!: string | null;
  revision!: string | null;
  inference_mode!: boolean;
  peft_type!: "LORA";

  constructor(options: Partial<LoraConfigFields> = {}) {
    const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
    Object.assign(this, LORA_DEFAULTS, given);
    const problems: string[] = [];
    if (!(Number.isInteger(this.r) && this.r > 0)) problems.push(`r must be a positive integer (got ${this.r})`);
    if (!(typeof this.lora_alpha === "number" && Number.isFinite(this.lora_alpha))) problems.push(`lora_alpha must be a number (got ${this.lora_alpha})`);
    if (!(this.lora_dropout >= 0 && this.lora_dropout < 1)) problems.push(`lora_dropout must be in [0, 1) (got ${this.lora_dropout})`);
    if (this.peft_type !== "LORA") problems.push(`peft_type '${this.peft_type}' is not supported (only 'LORA')`);
    if (this.bias !== "none") problems.push(`bias '${this.bias}' is not supported (only 'none': biases stay frozen)`);
    if (!isUnset(this.modules_to_save)) problems.push(`modules_to_save ${JSON.stringify(this.modules_to_save)} is not supported (only null)`);
    if (typeof this.init_lora_weights !== "boolean") problems.push(`init_lora_weights ${JSON.stringify(this.init_lora_weights)} is not supported (true or false)`);
    const t = this.target_modules;
    if (!(t === null || typeof t === "string" || (Array.isArray(t) && t.every((x) => typeof x === "string" && x.length > 0)))) {
      problems.push(`target_modules must be a list of module names, a regular expression, "${ALL_LINEAR}" or null (got ${JSON.stringify(t)})`);
    }
    if (problems.length > 0) throw new Error(`invalid LoraConfig: ${problems.join("; ")}`);
  }

  /** The factor on B A x: lora_alpha / r, or lora_alpha / sqrt(r) with use_rslora. */
  get scaling(): number {
    return this.use_rslora ? this.lora_alpha / Math.sqrt(this.r) : this.lora_alpha / this.r;
  }

  /** The JSON peft writes (every field, keys sorted as its `json.dumps(sort_keys=True)`). */
  toDict(): Record<string, unknown> {
    const all: Record<string, unknown> = { ...UNSUPPORTED_WHEN_SET };
    for (const key of Object.keys(LORA_DEFAULTS)) all[key] = (this as unknown as Record<string, unknown>)[key];
    return Object.fromEntries(Object.keys(all).sort().map((k) => [k, all[k]]));
  }

  /**
   * A config read from `adapter_config.json` (as peft's `LoraConfig.from_pretrained`): unknown keys
   * are ignored, options this implementation does not have are errors naming the file.
   */
  static fromDict(raw: Record<string, unknown>, file = "adapter config"): LoraConfig {
    if (raw.peft_type !== "LORA") throw new Error(`${file}: peft_type ${JSON.stringify(raw.peft_type)} is not supported (only "LORA")`);
    for (const [key, unset] of Object.entries(UNSUPPORTED_WHEN_SET)) {
      if (!isUnset(raw[key])) throw new Error(`${file}: ${key} = ${JSON.stringify(raw[key])} is not supported (only ${JSON.stringify(unset)})`);
    }
    const known: Record<string, unknown> = {};
    for (const key of Object.keys(LORA_DEFAULTS)) if (raw[key] !== undefined) known[key] = raw[key];
    // Loading overwrites A and B, so any initialisation scheme is fine here.
    known.init_lora_weights = true;
    try {
      return new LoraConfig(known as Partial<LoraConfigFields>);
    } catch (e) {
      throw new Error(`${file}: ${(e as Error).message}`);
    }
  }
}

/** `nn.Dropout` as a module (no parameters): peft's `lora_dropout`; its Rng is reseeded by `seedDropout`. */
export class Dropout extends Module {
  private readonly rng: Rng;

  constructor(readonly p: number, seed: number) {
    super();
    this.rng = new Rng(seed);
  }

  forward(x: tf.Tensor): tf.Tensor {
    return dropout(x, this.p, this.training, this.rng);
  }

  protected override extraRepr(): string {
    return `p=${this.p}, inplace=False`;
  }
}

/**
 * The layers LoRA can adapt: `nn.Linear` (weight [out, in]), GPT-2's `Conv1D` (weight [in, out]) and the
 * NF4 `Linear4bit` of QLoRA (its frozen 4-bit weight dequantised in the forward; only A and B train).
 */
export type LoraTargetLayer = Linear | Conv1D | Linear4bit;

/** Shared on/off switch of all adapters of one PeftModel. */
interface AdapterSwitch {
  enabled: boolean;
}

/**
 * One adapted layer: adds scaling · B(A(dropout(x))) to the base layer's output. Its modules are
 * children of the base layer (`lora_dropout`, `lora_A`, `lora_B`), so their parameters carry the
 * layer's path.
 */
export class LoraLayer implements LayerAdapter {
  readonly lora_dropout: Dropout;
  readonly lora_A: Linear;
  readonly lora_B: Linear;
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly scaling: number;
  /** Whether the base weight is stored [in, out] (Conv1D), which decides how B A is merged. */
  readonly fanInFanOut: boolean;

  constructor(readonly path: string, readonly base: LoraTargetLayer, config: LoraConfig, rng: Rng, private readonly switch_: AdapterSwitch) {
    this.fanInFanOut = base instanceof Conv1D;
    if (base instanceof Linear4bit) [this.inFeatures, this.outFeatures] = [base.inFeatures, base.outFeatures];
    else {
      const [rows, cols] = base.weight.shape;
      [this.inFeatures, this.outFeatures] = this.fanInFanOut ? [rows, cols] : [cols, rows];
    }
    this.scaling = config.scaling;
    const r = config.r;
    this.lora_dropout = base.registerModule("lora_dropout", new Dropout(config.lora_dropout, rng.seed()));
    this.lora_A = base.registerModule("lora_A", new Linear(this.inFeatures, r, rng, { bias: false }));
    this.lora_B = base.registerModule("lora_B", new Linear(r, this.outFeatures, rng, { bias: false }));
    // peft's init_lora_weights=True: A as nn.Linear's reset (Kaiming-uniform, a = sqrt(5)), B zero.
    tf.tidy(() => {
      this.lora_A.weight.assign(kaimingUniform([r, this.inFeatures], rng));
      this.lora_B.weight.assign(config.init_lora_weights ? tf.zeros([this.outFeatures, r]) : kaimingUniform([this.outFeatures, r], rng));
    });
    base.adapter = this;
  }

  /** scaling · B A x, or null while adapters are disabled. */
  forward(x: tf.Tensor): tf.Tensor | null {
    if (!this.switch_.enabled) return null;
    return tf.tidy(() => tf.mul(this.lora_B.forward(this.lora_A.forward(this.lora_dropout.forward(x))), this.scaling));
  }

  /** scaling · B A laid out as the base weight: [out, in] for Linear, transposed for Conv1D (fan_in_fan_out). */
  deltaWeight(): tf.Tensor2D {
    return tf.tidy(() => {
      const delta = tf.mul(tf.matMul(this.lora_B.weight, this.lora_A.weight), this.scaling) as tf.Tensor2D;
      return this.fanInFanOut ? tf.transpose(delta) : delta;
    });
  }

  /** Detaches the adapter from its layer, optionally folding B A into the weight first; frees A and B. */
  remove(merge: boolean): void {
    const base = this.base;
    if (merge && base instanceof Linear4bit) {
      // As peft's bnb Linear4bit.merge: dequantise, add, quantise again.
      console.warn("Merge lora module to 4-bit linear may get different generations due to rounding errors.");
      const merged = tf.tidy(() => tf.add(base.dequantizeWeight(), this.deltaWeight()));
      base.requantize(merged.dataSync() as Float32Array);
      merged.dispose();
    } else if (merge && !(base instanceof Linear4bit)) tf.tidy(() => base.weight.assign(tf.add(base.weight, this.deltaWeight())));
    for (const name of ["lora_dropout", "lora_A", "lora_B"]) this.base.deleteModule(name).dispose();
    this.base.adapter = null;
  }
}

/**
 * U(-bound, bound) with bound = gain · sqrt(3 / fan_in), gain = sqrt(2 / (1 + a²)), a = sqrt(5):
 * bound = 1 / sqrt(fan_in), as `nn.init.kaiming_uniform_(w, a=math.sqrt(5))` for a [out, in] weight.
 */
export function kaimingUniform(shape: [number, number], rng: Rng): tf.Tensor2D {
  const bound = 1 / Math.sqrt(shape[1]);
  return tf.randomUniform(shape, -bound, bound, "float32", rng.seed()) as tf.Tensor2D;
}

/** peft's matching: a list entry matches a path equal to it or ending in "." + it; a string is a regex over the whole path. */
function nameMatches(spec: string[] | string, modulePath: string): boolean {
  if (typeof spec === "string") return new RegExp(`^(?:${spec})$`).test(modulePath);
  return spec.some((name) => modulePath === name || modulePath.endsWith(`.${name}`));
}

function isTargetLayer(m: Module): m is LoraTargetLayer {
  return m instanceof Linear || m instanceof Conv1D || m instanceof Linear4bit;
}

/**
 * The paths of the modules a config adapts, in model order. "all-linear" takes every Linear / Conv1D
 * except the output head (`lm_head`, or `score` / `classifier` for SEQ_CLS), as peft does.
 */
export function findTargetModules(model: Module, config: LoraConfig): string[] {
  const modules = model.namedModules().filter(([p]) => p !== "" && !/(^|\.)lora_(A|B|dropout)$/.test(p));
  let spec = config.target_modules;
  if (spec === null) {
    const modelType = (model as unknown as { config?: { model_type?: string } }).config?.model_type;
    spec = modelType ? DEFAULT_TARGETS[modelType] ?? null : null;
    if (!spec) throw new Error(`LoraConfig: target_modules is null and there is no default for model type '${modelType ?? "unknown"}': give the module names`);
  }
  let found: string[];
  if (typeof spec === "string" && spec.toLowerCase() === ALL_LINEAR) {
    const heads = config.task_type === "SEQ_CLS" ? ["lm_head", "score", "classifier"] : ["lm_head"];
    found = modules.filter(([p, m]) => isTargetLayer(m) && !heads.includes(p)).map(([p]) => p);
  } else {
    found = modules.filter(([p]) => nameMatches(spec as string[] | string, p)).map(([p]) => p);
  }
  const excluded = config.exclude_modules;
  if (excluded !== null && !(Array.isArray(excluded) && excluded.length === 0)) found = found.filter((p) => !nameMatches(excluded, p));
  if (found.length === 0) {
    throw new Error(`Target modules ${JSON.stringify(spec)} not found in the base model. Please check the target modules and try again.`);
  }
  const byPath = new Map(modules);
  const unsupported = found.filter((p) => !isTargetLayer(byPath.get(p)!));
  if (unsupported.length > 0) {
    throw new Error(`Target module(s) ${unsupported.map((p) => `'${p}' (${byPath.get(p)!.constructor.name})`).join(", ")} not supported: LoRA adapts Linear and Conv1D layers only`);
  }
  return found;
}

/** A model with a `forward`, which the PeftModel passes through. */
export type ForwardModule = Module & { forward(...args: any[]): any };

/** peft's `LoraModel`: holds the adapted model as its child `model` (hence `base_model.model.` paths). */
export class LoraModel<M extends Module> extends Module {
  constructor(readonly model: M) {
    super();
    this.addModule("model", model);
  }
}

/**
 * peft's `PeftModel` for LoRA: wraps a model whose targeted layers now carry adapters, freezes every
 * base weight and leaves only `lora_A` / `lora_B` trainable. The wrapped model is changed in place
 * (as in peft): calling it directly also runs the adapters.
 */
export class PeftModel<M extends ForwardModule = ForwardModule> extends Module {
  readonly base_model: LoraModel<M>;
  readonly peftConfig: LoraConfig;
  private readonly layers = new Map<string, LoraLayer>();
  private readonly switch_: AdapterSwitch = { enabled: true };
  private unloaded = false;

  /** Use `getPeftModel` or `PeftModel.fromPretrained`. */
  constructor(model: M, config: LoraConfig, opts: { seed?: number } = {}) {
    super();
    if (!(config instanceof LoraConfig)) config = new LoraConfig(config);
    if (model.namedModules().some(([, m]) => isTargetLayer(m) && m.adapter !== null)) {
      throw new Error("getPeftModel: the model already carries adapters (merge or unload them first)");
    }
    // A copy, since adapting GPT-2's Conv1D sets fan_in_fan_out on it (peft changes the config likewise).
    this.peftConfig = new LoraConfig(config);
    const targets = findTargetModules(model, this.peftConfig);
    // As peft: "all-linear" is saved as the paths it chose, null as the model type's default names.
    const spec = this.peftConfig.target_modules;
    if (spec === null) this.peftConfig.target_modules = [...new Set(targets.map((p) => p.slice(p.lastIndexOf(".") + 1)))];
    else if (typeof spec === "string" && spec.toLowerCase() === ALL_LINEAR) this.peftConfig.target_modules = targets;
    const byPath = new Map(model.namedModules());
    const rng = new Rng(opts.seed ?? 42);
    for (const p of targets) {
      const layer = byPath.get(p) as LoraTargetLayer;
      const conv = layer instanceof Conv1D;
      if (conv !== this.peftConfig.fan_in_fan_out) {
        console.warn(`fan_in_fan_out is set to ${this.peftConfig.fan_in_fan_out ? "True but the target module is `torch.nn.Linear`" : "False but the target module is `Conv1D`"}. Setting fan_in_fan_out to ${conv ? "True" : "False"}.`);
        this.peftConfig.fan_in_fan_out = conv;
      }
      this.layers.set(p, new LoraLayer(p, layer, this.peftConfig, rng, this.switch_));
    }
    this.base_model = this.addModule("base_model", new LoraModel(model));
    // peft's _mark_only_adapters_as_trainable (bias "none"); inference_mode freezes the adapters too.
    for (const [name, p] of this.namedParameters()) p.trainable = !this.peftConfig.inference_mode && /\.lora_[AB]\.weight$/.test(name);
  }

  /** The adapted model (peft's `get_base_model()`). */
  getBaseModel(): M {
    this.checkLoaded();
    return this.base_model.model;
  }

  /** The adapted layers' paths in the base model, in model order. */
  targetedModules(): string[] {
    return [...this.layers.keys()];
  }

  forward(...args: Parameters<M["forward"]>): ReturnType<M["forward"]> {
    return this.getBaseModel().forward(...args);
  }

  /** The base model's config (peft forwards attribute reads to the model), so generation can use a PeftModel. */
  get config(): M extends { config: infer C } ? C : undefined {
    return (this.getBaseModel() as unknown as { config?: unknown }).config as M extends { config: infer C } ? C : undefined;
  }

  /**
   * [trainable, all] parameter counts (peft's `get_nb_trainable_parameters`). A 4-bit layer's weight is not a
   * variable here, but counts with its full out × in size, as peft counts bitsandbytes' packed Params4bit.
   */
  getNbTrainableParameters(): [number, number] {
    let quantized = 0;
    for (const [, m] of this.namedModules()) if (m instanceof Linear4bit) quantized += m.inFeatures * m.outFeatures;
    return [this.numParameters(true), this.numParameters() + quantized];
  }

  /** Prints and returns peft's line "trainable params: X || all params: Y || trainable%: Z". */
  printTrainableParameters(): string {
    const [trainable, all] = this.getNbTrainableParameters();
    const count = (n: number) => n.toLocaleString("en-US");
    const line = `trainable params: ${count(trainable)} || all params: ${count(all)} || trainable%: ${((100 * trainable) / all).toFixed(4)}`;
    console.log(line);
    return line;
  }

  /** Turns every adapter on again (peft's `enable_adapter_layers`). */
  enableAdapterLayers(): void {
    this.switch_.enabled = true;
  }

  /** Turns every adapter off: the model computes as the base model (peft's `disable_adapter_layers`). */
  disableAdapterLayers(): void {
    this.switch_.enabled = false;
  }

  /**
   * Runs `fn` with the adapters off and restores them afterwards, also when `fn` throws or its promise
   * rejects: peft's `with model.disable_adapter():`, e.g. DPO's reference model.
   */
  disableAdapter<T>(fn: () => T): T {
    const before = this.switch_.enabled;
    this.switch_.enabled = false;
    let result: T;
    try {
      result = fn();
    } catch (e) {
      this.switch_.enabled = before;
      throw e;
    }
    if (result instanceof Promise) return result.finally(() => (this.switch_.enabled = before)) as unknown as T;
    this.switch_.enabled = before;
    return result;
  }

  /** Same as `disableAdapter(fn)`. */
  withAdapterDisabled<T>(fn: () => T): T {
    return this.disableAdapter(fn);
  }

  /** The adapter tensors under peft's saved names (`base_model.model.<path>.lora_A.weight`); views, not copies. */
  adapterStateDict(): Map<string, tf.Variable> {
    this.checkLoaded();
    return new Map(this.namedParameters().filter(([name]) => /\.lora_[AB]\.weight$/.test(name)));
  }

  /** Writes `adapter_config.json` and `adapter_model.safetensors` into `dir` (each atomically), as peft's `save_pretrained`. */
  savePretrained(dir: string): void {
    const tensors: Record<string, TensorToSave> = {};
    for (const [name, p] of this.adapterStateDict()) tensors[name] = { shape: p.shape, values: p.dataSync() as Float32Array };
    fs.mkdirSync(dir, { recursive: true });
    saveSafetensors(path.join(dir, ADAPTER_WEIGHTS_NAME), tensors, { format: "pt" });
    // Saved adapters are for inference unless reloaded with isTrainable, as in peft.
    const dict = { ...this.peftConfig.toDict(), inference_mode: true };
    writeFileAtomic(path.join(dir, ADAPTER_CONFIG_NAME), JSON.stringify(dict, null, 2) + "\n");
  }

  /**
   * Loads adapter weights saved by peft (or `savePretrained`) into this model's adapters. Every tensor
   * must name an adapted layer, with the shape of this model's adapter, and every adapter must be in
   * the file; errors name the file and the tensor.
   */
  loadAdapter(dir: string): void {
    const file = adapterWeightsFile(dir);
    const own = this.adapterStateDict();
    let state: Map<string, tf.Tensor>;
    try {
      state = loadSafetensors(file);
    } catch (e) {
      throw new Error(`${file}: ${(e as Error).message}`);
    }
    try {
      const problems: string[] = [];
      for (const [name, t] of state) {
        // Older or multi-adapter files may keep peft's adapter name in the path.
        const key = name.replace(/\.lora_([AB])\.default\.weight$/, ".lora_$1.weight");
        const p = own.get(key);
        if (!p) {
          const modulePath = key.replace(/^base_model\.model\./, "").replace(/\.lora_[AB]\.weight$/, "");
          problems.push(/\.lora_[AB]\.weight$/.test(key)
            ? `tensor '${name}': target module '${modulePath}' not found among the adapted layers (${this.targetedModules().length} adapted, e.g. '${this.targetedModules()[0]}')`
            : `tensor '${name}' is not a LoRA A/B weight (only lora_A / lora_B with bias "none" are supported)`);
        } else if (!tf.util.arraysEqual(p.shape, t.shape)) {
          problems.push(`tensor '${name}': shape [${t.shape}] does not match the adapter's [${p.shape}]`);
        } else {
          tf.tidy(() => p.assign(tf.cast(t, "float32")));
          own.delete(key);
        }
      }
      for (const name of own.keys()) problems.push(`missing tensor '${name}'`);
      if (problems.length > 0) throw new Error(`${file}: ${problems.join("; ")}`);
    } finally {
      tf.dispose([...state.values()]);
    }
  }

  /**
   * Loads an adapter folder onto `model` (peft's `PeftModel.from_pretrained`): the config from
   * `adapter_config.json`, then the weights. Adapters are frozen unless `isTrainable`.
   */
  static fromPretrained<M extends ForwardModule>(model: M, dir: string, opts: { isTrainable?: boolean } = {}): PeftModel<M> {
    const configFile = path.join(dir, ADAPTER_CONFIG_NAME);
    if (!fs.existsSync(configFile)) throw new Error(`${dir}: no ${ADAPTER_CONFIG_NAME} (not a peft adapter folder?)`);
    const config = LoraConfig.fromDict(readJson(configFile), configFile);
    config.inference_mode = !opts.isTrainable;
    adapterWeightsFile(dir); // fail on a missing weights file before the model is changed
    const peft = new PeftModel(model, config);
    try {
      peft.loadAdapter(dir);
    } catch (e) {
      peft.unload();
      throw e;
    }
    return peft;
  }

  /**
   * Folds every adapter into its layer's weight, W + scaling · B A (transposed for Conv1D), removes
   * the adapters and returns the plain model (peft's `merge_and_unload`). Base weights stay frozen,
   * as in peft; `unfreezeAll(model)` trains them again. This PeftModel is unusable afterwards.
   */
  mergeAndUnload(): M {
    return this.detach(true);
  }

  /** Removes the adapters without merging and returns the original model (peft's `unload`). */
  unload(): M {
    return this.detach(false);
  }

  private detach(merge: boolean): M {
    const model = this.getBaseModel();
    for (const layer of this.layers.values()) layer.remove(merge);
    this.layers.clear();
    this.base_model.deleteModule("model");
    this.deleteModule("base_model");
    this.unloaded = true;
    return model;
  }

  private checkLoaded(): void {
    if (this.unloaded) throw new Error("this PeftModel was merged or unloaded: use the model it returned");
  }
}

/** peft's `get_peft_model`: adds LoRA adapters to the targeted layers of `model` (changed in place). */
export function getPeftModel<M extends ForwardModule>(model: M, config: LoraConfig | Partial<LoraConfigFields>, opts: { seed?: number } = {}): PeftModel<M> {
  return new PeftModel(model, config instanceof LoraConfig ? config : new LoraConfig(config), opts);
}

function adapterWeightsFile(dir: string): string {
  const file = path.join(dir, ADAPTER_WEIGHTS_NAME);
  if (fs.existsSync(file)) return file;
  const pickle = fs.existsSync(path.join(dir, "adapter_model.bin")) ? " (only adapter_model.bin, a pickle, which is never loaded: save with safe_serialization=True)" : "";
  throw new Error(`${dir}: no ${ADAPTER_WEIGHTS_NAME}${pickle}`);
}
