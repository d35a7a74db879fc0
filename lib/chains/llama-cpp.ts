/**
 * Chapter 7's quantised local models: an `LLM` over a GGUF file run by llama.cpp through
 * node-llama-cpp — the book's Phi-3 GGUF online, or offline the lib's own `llama-mini-instruct`
 * exported with `saveGguf` (lib/export/gguf.ts).
 *
 * node-llama-cpp is optional and ESM-only, so it is loaded at run time with a real dynamic `import()`
 * (kept out of TypeScript's CommonJS rewrite), which works from CommonJS, tsx and tslab alike. Install
 * it, CPU binary only, without a compile:
 *
 * ```bash
 * NODE_LLAMA_CPP_SKIP_DOWNLOAD=true npm install --no-save --omit=optional node-llama-cpp@3.22.1 @node-llama-cpp/linux-x64@3.22.1
 * ```
 *
 * Generation is greedy unless `doSample` is set; the prompt is tokenised with special tokens parsed
 * (so "<|user|>" and "</s>" in a rendered chat are the control tokens) and no BOS added unless the
 * GGUF says so (`tokenizer.ggml.add_bos_token`), matching the lib's own tokenizer.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import type { ChatMessage } from "../tokenizers/hf";
import { ChatFormatter, LLM, LLMCallOptions, applyStopSequences } from "../prompting/templates";

export const NODE_LLAMA_CPP_INSTALL =
  "bash scripts/setup-node-llama-cpp.sh (in this repository), or: NODE_LLAMA_CPP_SKIP_DOWNLOAD=true npm install --no-save --omit=optional node-llama-cpp@3 @node-llama-cpp/linux-x64@<same version>";

/** Where scripts/setup-node-llama-cpp.sh installs it in this repository (used when no folder is given). */
function defaultLocation(): string | undefined {
  const dir = path.join(__dirname, "..", "..", ".cache", "node-llama-cpp");
  return fs.existsSync(path.join(dir, "node_modules", "node-llama-cpp")) ? dir : undefined;
}

// A real import() that TypeScript's CommonJS output does not turn into require() (node-llama-cpp is ESM-only).
const dynamicImport = new Function("specifier", "return import(specifier)") as (specifier: string) => Promise<any>;

/**
 * Loads the node-llama-cpp module: from `from` (a folder whose node_modules holds it, or the package
 * folder itself) or the env var `HOLLM_NODE_LLAMA_CPP` when given, else this repository's .cache/node-llama-cpp
 * (scripts/setup-node-llama-cpp.sh), else by name from the project.
 * Throws an error naming the package and the install command when it is absent.
 */
export async function loadNodeLlamaCpp(from?: string): Promise<any> {
  const where = from ?? process.env.HOLLM_NODE_LLAMA_CPP ?? defaultLocation();
  let specifier = "node-llama-cpp";
  if (where) {
    const base = path.resolve(where);
    const req = createRequire(path.join(base, "noop.js"));
    let resolved: string | null = null;
    for (const candidate of ["node-llama-cpp", base]) {
      try {
        resolved = req.resolve(candidate);
        break;
      } catch {
        // try the next form
      }
    }
    if (!resolved) throw new Error(`node-llama-cpp is not installed under ${base}. Install it with: ${NODE_LLAMA_CPP_INSTALL}`);
    specifier = pathToFileURL(resolved).href;
  }
  try {
    return await dynamicImport(specifier);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err && (err.code === "ERR_MODULE_NOT_FOUND" || err.code === "MODULE_NOT_FOUND") && String(err.message).includes("node-llama-cpp")) {
      throw new Error(`The optional package node-llama-cpp is not installed; chapter 7's GGUF models need it. Install it with: ${NODE_LLAMA_CPP_INSTALL}`);
    }
    throw e;
  }
}

/** Whether node-llama-cpp can be loaded (from `from` / `HOLLM_NODE_LLAMA_CPP`, else the project). */
export async function hasNodeLlamaCpp(from?: string): Promise<boolean> {
  try {
    await loadNodeLlamaCpp(from);
    return true;
  } catch {
    return false;
  }
}

export interface LlmFromGgufOptions {
  /** Context window (tokens) of the llama.cpp context (default: the model's training context, at most 4096). */
  contextSize?: number;
  /** CPU threads (default: node-llama-cpp's choice). */
  threads?: number;
  /** "auto" uses a GPU backend when the installed binaries have one; false (default) is CPU only. */
  gpu?: false | "auto";
  /** Renders chat input (default: the GGUF's own `tokenizer.chat_template`, with the generation prompt). */
  chatFormat?: ChatFormatter;
  /** Per-call defaults (maxNewTokens, temperature, stop …), overridden by each call's options. */
  defaults?: LLMCallOptions;
  /** Where node-llama-cpp is installed (see `loadNodeLlamaCpp`). */
  nodeLlamaCppFrom?: string;
}

/** An `LLM` backed by a GGUF model in llama.cpp, plus the handles to inspect and free it. */
export interface GgufLLM extends LLM {
  /** Token ids of a text as llama.cpp tokenises prompts here (special tokens parsed). */
  tokenize(text: string): number[];
  detokenize(ids: number[]): string;
  /** Greedy / sampled generation on token ids: returns the new ids only (EOS not included). */
  generateIds(promptIds: number[], options?: LLMCallOptions): Promise<number[]>;
  /** Frees the llama.cpp context and model. */
  dispose(): Promise<void>;
  readonly model: any;
}

/**
 * Loads a GGUF file with node-llama-cpp and returns the lib's `LLM` over it (prompt → new text only).
 * Chat input is rendered with `chatFormat`, else with the GGUF's chat template.
 */
export async function llmFromGguf(file: string, opts: LlmFromGgufOptions = {}): Promise<GgufLLM> {
  if (typeof file !== "string" || file === "") throw new TypeError("llmFromGguf: file must be the path of a .gguf file");
  if (!fs.existsSync(file)) throw new Error(`llmFromGguf: no such file ${file}`);
  const nlc = await loadNodeLlamaCpp(opts.nodeLlamaCppFrom);
  const llama = await nlc.getLlama({ gpu: opts.gpu ?? false, build: "never", logLevel: "warn" });
  const model = await llama.loadModel({ modelPath: path.resolve(file) });
  const trained = Number(model.trainContextSize) || 4096;
  const context = await model.createContext({ contextSize: opts.contextSize ?? Math.min(trained, 4096), ...(opts.threads ? { threads: opts.threads } : {}) });

  const meta = (model.fileInfo?.metadata ?? {}) as Record<string, any>;
  const tokMeta = (meta.tokenizer ?? {}) as Record<string, any>;
  const template: string | undefined = tokMeta.chat_template;
  const tokens: string[] = tokMeta.ggml?.tokens ?? [];
  const bosId = tokMeta.ggml?.bos_token_id;
  const eosId = tokMeta.ggml?.eos_token_id;
  const addBos = tokMeta.ggml?.add_bos_token === true;
  let chatFormat = opts.chatFormat;
  if (!chatFormat && template) {
    // node-llama-cpp depends on @huggingface/jinja, so it is present wherever node-llama-cpp is.
    const jinja = await importBeside("@huggingface/jinja", opts.nodeLlamaCppFrom);
    const compiled = new jinja.Template(template);
    chatFormat = (messages: ChatMessage[]) =>
      compiled.render({
        messages,
        add_generation_prompt: true,
        bos_token: bosId !== undefined ? tokens[bosId] ?? "" : "",
        eos_token: eosId !== undefined ? tokens[eosId] ?? "" : "",
      });
  }

  const tokenize = (text: string): number[] => {
    const ids = Array.from(model.tokenize(text, true) as ArrayLike<number>);
    return addBos && bosId !== undefined && ids[0] !== bosId ? [bosId, ...ids] : ids;
  };
  const detokenize = (ids: number[]): string => model.detokenize(ids);

  // One sequence at a time: calls are serialised so the context's single sequence is never shared.
  let queue: Promise<unknown> = Promise.resolve();
  const generateIds = (promptIds: number[], options: LLMCallOptions = {}): Promise<number[]> => {
    const run = async () => {
      const merged = { ...opts.defaults, ...options };
      const maxNew = merged.maxNewTokens ?? 256;
      if (promptIds.length === 0) throw new Error("llmFromGguf: empty prompt");
      if (promptIds.length + maxNew > context.contextSize) {
        throw new Error(`llmFromGguf: prompt (${promptIds.length} tokens) + maxNewTokens (${maxNew}) exceeds the context size ${context.contextSize}`);
      }
      const stop = (merged.stop ?? []).filter((s) => s !== "");
      const sampling = merged.doSample
        ? { temperature: merged.temperature ?? 1, topK: merged.topK, topP: merged.topP, seed: merged.seed ?? 42 }
        : { temperature: 0 };
      const sequence = context.getSequence();
      const out: number[] = [];
      try {
        for await (const token of sequence.evaluate(promptIds, sampling)) {
          if (model.isEogToken?.(token) || token === eosId) break;
          out.push(token);
          if (out.length >= maxNew) break;
          if (stop.length > 0 && stop.some((s) => detokenize(out).includes(s))) break;
        }
      } finally {
        sequence.dispose();
      }
      return out;
    };
    const result = queue.then(run, run);
    queue = result.catch(() => undefined);
    return result;
  };

  const llm = (async (input, options = {}) => {
    let text: string;
    if (typeof input === "string") text = input;
    else if (Array.isArray(input)) {
      input.forEach((m, i) => {
        if (!m || typeof m.role !== "string" || typeof m.content !== "string") throw new TypeError(`llmFromGguf: message ${i} is not a {role, content} pair of strings`);
      });
      if (!chatFormat) throw new Error("llmFromGguf: the GGUF has no tokenizer.chat_template; pass opts.chatFormat for chat input");
      text = chatFormat(input);
    } else throw new TypeError("llmFromGguf: the prompt must be a string or a list of chat messages");
    const ids = await generateIds(tokenize(text), options);
    return applyStopSequences(detokenize(ids), { ...opts.defaults, ...options }.stop);
  }) as GgufLLM;
  Object.assign(llm, {
    tokenize,
    detokenize,
    generateIds,
    model,
    dispose: async () => {
      await context.dispose();
      await model.dispose();
    },
  });
  return llm;
}

/** Imports a package installed next to node-llama-cpp (its own dependency), else from the project. */
async function importBeside(name: string, from?: string): Promise<any> {
  const where = from ?? process.env.HOLLM_NODE_LLAMA_CPP ?? defaultLocation();
  if (where) {
    const req = createRequire(path.join(path.resolve(where), "noop.js"));
    try {
      return await dynamicImport(pathToFileURL(req.resolve(name)).href);
    } catch {
      // fall back to the project's copy
    }
  }
  return dynamicImport(name);
}
