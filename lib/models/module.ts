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

  dispose(): void {
    for (const p of this.ownParams.values()) p.dispose();
    for (const child of this.children.values()) child.dispose();
  }
}
