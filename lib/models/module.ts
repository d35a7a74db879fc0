import * as tf from "@tensorflow/tfjs-core";
import { Rng } from "../util/random";

/**
 * The tfjs counterpart of PyTorch's `nn.Module`: a tree of named parameters and sub-modules.
 * Parameter paths are Hugging Face's (`transformer.h.0.attn.c_attn.weight`), so checkpoints map
 * one-to-one onto `model.safetensors` and a reader of HF's `modeling_*.py` finds the same names.
 */
export abstract class Module {
  /** Dropout and other training-only behaviour is on only while `training` is true (see `train()`). */
  training = false;
  private readonly ownParams = new Map<string, tf.Variable>();
  private readonly children = new Map<string, Module>();

  /** Registers a parameter; tfjs variable names are left automatic because they must be globally unique. */
  protected addParameter(name: string, init: tf.Tensor, trainable = true): tf.Variable {
    if (this.ownParams.has(name) || this.children.has(name)) throw new Error(`duplicate parameter name '${name}'`);
    const variable = tf.variable(init, trainable);
    init.dispose();
    this.ownParams.set(name, variable);
    return variable;
  }

  protected addModule<M extends Module>(name: string, module: M): M {
    if (this.ownParams.has(name) || this.children.has(name)) throw new Error(`duplicate module name '${name}'`);
    this.children.set(name, module);
    return module;
  }

  /** This module and every sub-module with their dotted paths, this one first as "" (as `named_modules()`). */
  namedModules(prefix = ""): Array<[string, Module]> {
    const out: Array<[string, Module]> = [[prefix.replace(/\.$/, ""), this]];
    for (const [name, child] of this.children) out.push(...child.namedModules(`${prefix}${name}.`));
    return out;
  }

  /**
   * Swaps the sub-module at a dotted path (as PyTorch's `set_submodule`), e.g. quantised or LoRA
   * layers in place of `Linear`s. The fields of the parent that held the old module (`this.q_proj`,
   * entries of `this.layers`) are pointed at the new one too, since `forward` reads them. Returns
   * the old module, which is not disposed.
   */
  replaceModule(path: string, module: Module): Module {
    const old = this.children.get(path);
    if (old) {
      this.children.set(path, module);
      const fields = this as unknown as Record<string, unknown>;
      for (const key of Object.keys(fields)) {
        const value = fields[key];
        if (value === old) fields[key] = module;
        else if (Array.isArray(value)) for (let i = 0; i < value.length; i++) if (value[i] === old) value[i] = module;
      }
      return old;
    }
    for (const [name, child] of this.children) {
      if (path.startsWith(`${name}.`)) return child.replaceModule(path.slice(name.length + 1), module);
    }
    throw new Error(`replaceModule: no sub-module '${path}' in ${this.constructor.name}`);
  }

  /** Adds (or, after `deleteModule`, puts back) a child from outside, as PyTorch's `add_module`. */
  registerModule<M extends Module>(name: string, module: M): M {
    return this.addModule(name, module);
  }

  /** Removes a child and returns it (PyTorch's `delattr`); its parameters are not disposed. */
  deleteModule(name: string): Module {
    const child = this.children.get(name);
    if (!child) throw new Error(`no child module named '${name}'`);
    this.children.delete(name);
    return child;
  }

  /** All parameters with their dotted paths, in registration order (as `named_parameters()`). */
  namedParameters(prefix = ""): Array<[string, tf.Variable]> {
    const out: Array<[string, tf.Variable]> = [];
    for (const [name, p] of this.ownParams) out.push([prefix + name, p]);
    for (const [name, child] of this.children) out.push(...child.namedParameters(`${prefix}${name}.`));
    return out;
  }

  parameters(): tf.Variable[] {
    return this.namedParameters().map(([, p]) => p);
  }

  trainableParameters(): Array<[string, tf.Variable]> {
    return this.namedParameters().filter(([, p]) => p.trainable);
  }

  numParameters(onlyTrainable = false): number {
    const params = onlyTrainable ? this.trainableParameters() : this.namedParameters();
    return params.reduce((n, [, p]) => n + p.size, 0);
  }

  /** Sets training mode on this module and every sub-module; returns `this` as PyTorch does. */
  train(mode = true): this {
    this.training = mode;
    for (const child of this.children.values()) child.train(mode);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /**
   * Reseeds every random generator the model's layers hold (dropout masks), so that a training
   * step's randomness depends only on (seed, step) and a resumed run repeats the original exactly.
   * The generators are found as fields of the modules, wherever a layer keeps one.
   */
  seedDropout(seed: number): void {
    const seen = new Set<Rng>();
    const visit = (m: Module) => {
      for (const value of Object.values(m)) if (value instanceof Rng) seen.add(value);
      for (const child of m.children.values()) visit(child);
    };
    visit(this);
    let i = 0;
    for (const rng of seen) rng.reseed(seed + 7919 * i++);
  }

  /** Copies tensors into parameters by path; with `strict`, missing and unexpected names are errors. */
  loadStateDict(state: Map<string, tf.Tensor> | Record<string, tf.Tensor>, strict = true): void {
    const entries = state instanceof Map ? state : new Map(Object.entries(state));
    const params = new Map(this.namedParameters());
    const problems: string[] = [];
    for (const [name, value] of entries) {
      const p = params.get(name);
      if (!p) {
        if (strict) problems.push(`unexpected key '${name}'`);
        continue;
      }
      if (!tf.util.arraysEqual(p.shape, value.shape)) {
        problems.push(`'${name}': shape [${value.shape}] does not match the model's [${p.shape}]`);
        continue;
      }
      tf.tidy(() => p.assign(value.dtype === p.dtype ? value : tf.cast(value, p.dtype)));
      params.delete(name);
    }
    if (strict) for (const name of params.keys()) problems.push(`missing key '${name}'`);
    if (problems.length > 0) throw new Error(`loadStateDict: ${problems.join("; ")}`);
  }

  /** The arguments shown after the class name in `toString()` (as PyTorch's `extra_repr`). */
  protected extraRepr(): string {
    return "";
  }

  /**
   * The module tree as PyTorch prints it: one line per module, with numbered siblings (`h.0`,
   * `h.1`, …) shown as one list whose identical entries are folded ("(0-11): 12 x GPT2Block(…)").
   */
  toString(): string {
    const name = this.constructor.name;
    if (this.children.size === 0) return `${name}(${this.extraRepr()})`;
    const lines: string[] = [];
    const lists = new Map<string, Array<[string, Module]>>();
    for (const [childName, child] of this.children) {
      const numbered = /^(.*)\.(\d+)$/.exec(childName);
      if (!numbered) {
        lines.push(`(${childName}): ${child.toString()}`);
        continue;
      }
      if (!lists.has(numbered[1])) {
        lists.set(numbered[1], []);
        lines.push(`\u0000${numbered[1]}`); // placeholder, filled below in first-seen order
      }
      lists.get(numbered[1])!.push([numbered[2], child]);
    }
    const body = lines.map((line) => {
      if (!line.startsWith("\u0000")) return line;
      const listName = line.slice(1);
      return `(${listName}): ModuleList(\n${indent(foldRepeats(lists.get(listName)!))}\n)`;
    });
    const extra = this.extraRepr();
    return `${name}(\n${indent([...(extra ? [extra] : []), ...body].join("\n"))}\n)`;
  }

  dispose(): void {
    for (const p of this.ownParams.values()) p.dispose();
    for (const child of this.children.values()) child.dispose();
  }
}

/** A named container, for HF's purely structural nesting (`attention.self`, `intermediate`, …). */
export class Group extends Module {
  add(name: string, module: Module): this {
    this.addModule(name, module);
    return this;
  }

  /** A zero-initialised bias vector registered under `bias` (an MLM head's output bias). */
  addBias(size: number): tf.Variable {
    return this.addParameter("bias", tf.zeros([size]));
  }
}

/** A float as PyTorch prints it in reprs: 1e-05, 0.1. */
export function reprFloat(x: number): string {
  return x !== 0 && Math.abs(x) < 1e-4 ? x.toExponential().replace(/e([+-])(\d)$/, "e$10$2") : String(x);
}

function indent(text: string): string {
  return text.split("\n").map((line) => `  ${line}`).join("\n");
}

/** Runs of consecutive entries that print the same become "(first-last): N x Repr". */
function foldRepeats(entries: Array<[string, Module]>): string {
  const out: string[] = [];
  let i = 0;
  while (i < entries.length) {
    const repr = entries[i][1].toString();
    let j = i + 1;
    while (j < entries.length && entries[j][1].toString() === repr) j++;
    out.push(j - i > 1 ? `(${entries[i][0]}-${entries[j - 1][0]}): ${j - i} x ${repr}` : `(${entries[i][0]}): ${repr}`);
    i = j;
  }
  return out.join("\n");
}
