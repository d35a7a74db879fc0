/**
 * Freezing parts of a model (chapter 11): PyTorch's `param.requires_grad = False` is tfjs's
 * `variable.trainable = false`; the Trainer and AdamW then leave those variables untouched. The book
 * freezes by name (everything but the classifier), by parameter index (the first 165 tensors: the
 * embeddings and the first 10 encoder blocks of bert-base) or by encoder block, and prints
 *
 *   for name, param in model.named_parameters():
 *       print(name, param.requires_grad)
 *
 * which `parameterTable(model).text` reproduces.
 *
 *   freezeParameters(model, { firstLayers: 2, embeddings: true });   // blocks 0-1 and the embeddings
 *   freezeParameters(model, (name) => !name.startsWith("classifier")); // only the head learns
 *   console.log(parameterTable(model).text);
 */
import type * as tf from "@tensorflow/tfjs-core";
import type { Module } from "../models/module";

/**
 * Which parameters to (un)freeze:
 * - a predicate on (name, variable, index in named_parameters order);
 * - a list of names: exact parameter paths, or prefixes ending in "." (e.g. "bert.embeddings."); every
 *   entry must match at least one parameter;
 * - a selector: the first N transformer blocks (`firstLayers`, blocks numbered as in `encoder.layer.N`,
 *   `h.N` or `layers.N`), the embeddings, the first N tensors of named_parameters (`firstParameters`, the
 *   book's `if index < 165`), or names matching a regular expression.
 */
export type ParameterSelection =
  | ((name: string, param: tf.Variable, index: number) => boolean)
  | readonly string[]
  | ParameterSelector;

export interface ParameterSelector {
  /** Blocks 0 .. firstLayers-1 of the layer stack. */
  firstLayers?: number;
  /** The embedding tables and their LayerNorm (`embeddings.*`, GPT-2's `wte`/`wpe`, Llama's `embed_tokens`). */
  embeddings?: boolean;
  /** The first N tensors in named_parameters order. */
  firstParameters?: number;
  /** Names matching this expression. */
  pattern?: RegExp;
}

/** The block number of a parameter inside a layer stack (`encoder.layer.3.` → 3), or -1. */
export function layerIndex(name: string): number {
  const m = /(?:^|\.)(?:layer|layers|h)\.(\d+)\./.exec(name);
  return m ? Number(m[1]) : -1;
}

/** Whether a parameter belongs to the input embeddings. */
export function isEmbeddingParameter(name: string): boolean {
  return /(?:^|\.)(?:embeddings|wte|wpe|embed_tokens)\./.test(name);
}

/** The names a selection picks, in named_parameters order; errors name what matched nothing. */
export function selectParameters(model: Module, selection: ParameterSelection): string[] {
  const params = model.namedParameters();
  if (typeof selection === "function") return params.filter(([name, p], i) => selection(name, p, i)).map(([name]) => name);
  if (Array.isArray(selection)) {
    const names = selection as readonly string[];
    const picked = new Set<string>();
    for (const entry of names) {
      if (typeof entry !== "string" || entry.length === 0) throw new Error(`selectParameters: names must be non-empty strings (got ${JSON.stringify(entry)})`);
      const hits = params.filter(([name]) => (entry.endsWith(".") ? name.startsWith(entry) : name === entry));
      if (hits.length === 0) {
        const close = params.map(([n]) => n).filter((n) => n.includes(entry.replace(/\.$/, ""))).slice(0, 3);
        throw new Error(`selectParameters: no parameter named '${entry}'${entry.endsWith(".") ? " (as a prefix)" : " (use a trailing '.' for a prefix)"}${close.length ? `; similar: ${close.join(", ")}` : ""}`);
      }
      for (const [name] of hits) picked.add(name);
    }
    return params.map(([n]) => n).filter((n) => picked.has(n));
  }
  const sel = selection as ParameterSelector;
  if (sel === null || typeof sel !== "object") throw new Error("selectParameters: expected a predicate, a list of names or a selector object");
  const known = ["firstLayers", "embeddings", "firstParameters", "pattern"];
  const unknown = Object.keys(sel).filter((k) => !known.includes(k));
  if (unknown.length > 0) throw new Error(`selectParameters: unknown selector key(s) ${unknown.join(", ")} (expected ${known.join(", ")})`);
  for (const key of ["firstLayers", "firstParameters"] as const) {
    const v = sel[key];
    if (v !== undefined && !(Number.isInteger(v) && v >= 0)) throw new Error(`selectParameters: ${key} must be an integer >= 0 (got ${v})`);
  }
  if (sel.firstLayers !== undefined && sel.firstLayers > 0) {
    const blocks = new Set(params.map(([n]) => layerIndex(n)).filter((k) => k >= 0));
    if (blocks.size === 0) throw new Error("selectParameters: firstLayers given, but the model has no numbered layer stack (encoder.layer.N, h.N, layers.N)");
    if (sel.firstLayers > blocks.size) throw new Error(`selectParameters: firstLayers ${sel.firstLayers} exceeds the model's ${blocks.size} layers`);
  }
  if (sel.firstParameters !== undefined && sel.firstParameters > params.length) {
    throw new Error(`selectParameters: firstParameters ${sel.firstParameters} exceeds the model's ${params.length} parameter tensors`);
  }
  return params
    .filter(([name], i) => {
      const layer = layerIndex(name);
      return (
        (sel.firstLayers !== undefined && layer >= 0 && layer < sel.firstLayers) ||
        (sel.embeddings === true && isEmbeddingParameter(name)) ||
        (sel.firstParameters !== undefined && i < sel.firstParameters) ||
        (sel.pattern !== undefined && sel.pattern.test(name))
      );
    })
    .map(([name]) => name);
}

function setTrainable(model: Module, selection: ParameterSelection, trainable: boolean): string[] {
  const names = new Set(selectParameters(model, selection));
  for (const [name, p] of model.namedParameters()) if (names.has(name)) p.trainable = trainable;
  return [...names];
}

/**
 * Sets `trainable = false` on the selected parameters (the others keep their state); returns the names
 * frozen. Build the Trainer after freezing: AdamW keeps slots only for variables trainable at that time.
 */
export function freezeParameters(model: Module, selection: ParameterSelection): string[] {
  return setTrainable(model, selection, false);
}

/** Sets `trainable = true` on the selected parameters; returns their names. */
export function unfreezeParameters(model: Module, selection: ParameterSelection): string[] {
  return setTrainable(model, selection, true);
}

/** Freezes everything except the selection (the book's "only the classifier learns"). */
export function freezeAllExcept(model: Module, selection: ParameterSelection): string[] {
  const keep = new Set(selectParameters(model, selection));
  return setTrainable(model, (name) => !keep.has(name), false);
}

/** Makes every parameter trainable again. */
export function unfreezeAll(model: Module): void {
  for (const [, p] of model.namedParameters()) p.trainable = true;
}

export interface ParameterRow {
  name: string;
  shape: number[];
  /** Number of values (product of the shape). */
  parameters: number;
  trainable: boolean;
}

export interface ParameterTable {
  rows: ParameterRow[];
  /** Values in trainable tensors, in all tensors. */
  trainable: number;
  total: number;
  /** The book's loop: one "name True|False" line per tensor (PyTorch's requires_grad spelling). */
  text: string;
  /** Aligned columns name / shape / parameters / trainable, and a closing count line. */
  table: string;
  /** "trainable params: 1,234 || all params: 5,678 || trainable%: 21.73" (peft's print_trainable_parameters). */
  summary: string;
}

/** Every parameter with its shape, size and trainable flag, as `named_parameters()` lists them. */
export function parameterTable(model: Module): ParameterTable {
  const rows: ParameterRow[] = model.namedParameters().map(([name, p]) => ({ name, shape: [...p.shape], parameters: p.size, trainable: p.trainable }));
  const total = rows.reduce((n, r) => n + r.parameters, 0);
  const trainable = rows.reduce((n, r) => n + (r.trainable ? r.parameters : 0), 0);
  const text = rows.map((r) => `${r.name} ${r.trainable ? "True" : "False"}`).join("\n");
  const shapeOf = (r: ParameterRow) => `[${r.shape.join(", ")}]`;
  const count = (n: number) => n.toLocaleString("en-US");
  const header = ["name", "shape", "parameters", "trainable"];
  const cells = rows.map((r) => [r.name, shapeOf(r), count(r.parameters), r.trainable ? "True" : "False"]);
  const widths = header.map((h, c) => Math.max(h.length, ...cells.map((row) => row[c].length)));
  const line = (row: string[]) => row.map((cell, c) => (c === 2 ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join("  ").trimEnd();
  const percent = total > 0 ? (100 * trainable) / total : 0;
  const summary = `trainable params: ${count(trainable)} || all params: ${count(total)} || trainable%: ${percent.toFixed(4)}`;
  const table = [line(header), ...cells.map(line), summary].join("\n");
  return { rows, trainable, total, text, table, summary };
}
