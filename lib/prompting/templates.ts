/**
 * Chapter 6, prompt engineering: the model interface every prompt goes to (`LLM`, with adapters for
 * the lib's own models, any text-generation pipeline and transformers.js), and the prompt builders of
 * the book: `PromptTemplate` (LangChain's "{var}" templates), the persona / instruction / context /
 * format / audience / tone / data components, zero-, one- and few-shot prompts, and chain prompting.
 *
 * Not a framework: an `LLM` is just a function from a prompt to text, so a scripted fake, a GPT-2
 * trained in a minute and a hub model all plug into the same helpers.
 */
import type { ChatMessage } from "../tokenizers/hf";
import { CausalLM, GenerateOptions, generate } from "../generation/generate";
import type { TextGenerationPipeline, TextTokenizer } from "../pipelines/text-generation";

// ----- the model interface -------------------------------------------------------------------------

/** A plain prompt, or a conversation for chat models (rendered by the adapter's chat format). */
export type LLMInput = string | ChatMessage[];

/** Per-call generation settings; adapters map them onto their model's names. */
export interface LLMCallOptions {
  /** Cut the completion before the first of these strings (LangChain's `stop`). */
  stop?: string[];
  maxNewTokens?: number;
  doSample?: boolean;
  temperature?: number;
  topP?: number;
  topK?: number;
  /** Seed of the sampler, so repeated samples (self-consistency) can differ reproducibly. */
  seed?: number;
}

/**
 * A language model as a function: prompt in, completion (the new text only) out. Sync or async;
 * callers always await. Whether it honours `stop` is up to it: `callLLM` cuts the text again anyway.
 */
export type LLM = (input: LLMInput, options?: LLMCallOptions) => string | Promise<string>;

/** `text` cut before the earliest occurrence of any stop sequence (unchanged when none occurs). */
export function applyStopSequences(text: string, stop?: string[]): string {
  if (!stop || stop.length === 0) return text;
  let cut = text.length;
  for (const s of stop) {
    if (s === "") continue;
    const at = text.indexOf(s);
    if (at >= 0 && at < cut) cut = at;
  }
  return text.slice(0, cut);
}

/** Calls `llm`, checks it returned text, and applies `options.stop` (models may ignore it). */
export async function callLLM(llm: LLM, input: LLMInput, options: LLMCallOptions = {}): Promise<string> {
  if (typeof llm !== "function") throw new TypeError("callLLM: llm must be a function (prompt, options) => string | Promise<string>");
  const out = await llm(input, options);
  if (typeof out !== "string") throw new TypeError(`callLLM: the llm returned ${out === null ? "null" : typeof out}, not a string`);
  return applyStopSequences(out, options.stop);
}

/** Renders a conversation as one prompt string, for models without a chat interface. */
export type ChatFormatter = (messages: ChatMessage[]) => string;

/** "System: …\nUser: …\nAssistant: …" ending with "Assistant:" for the reply: fine for base models. */
export const plainChatFormat: ChatFormatter = (messages) => {
  const label = (role: string) => role.charAt(0).toUpperCase() + role.slice(1);
  return messages.map((m) => `${label(m.role)}: ${m.content}`).join("\n") + "\nAssistant:";
};

/** Phi-3's chat format, as the book prints it: "<|user|>\n…<|end|>\n<|assistant|>\n". */
export const phi3ChatFormat: ChatFormatter = (messages) =>
  messages.map((m) => `<|${m.role}|>\n${m.content}<|end|>\n`).join("") + "<|assistant|>\n";

function checkMessages(messages: ChatMessage[], where: string): void {
  messages.forEach((m, i) => {
    if (!m || typeof m.role !== "string" || typeof m.content !== "string") {
      throw new TypeError(`${where}: message ${i} is not a {role, content} pair of strings`);
    }
  });
}

function toPromptText(input: LLMInput, chatFormat: ChatFormatter, where: string): string {
  if (typeof input === "string") return input;
  if (!Array.isArray(input)) throw new TypeError(`${where}: the prompt must be a string or a list of chat messages`);
  checkMessages(input, where);
  return chatFormat(input);
}

function generationSettings(options: LLMCallOptions): GenerateOptions {
  const out: GenerateOptions = {};
  if (options.maxNewTokens !== undefined) out.maxNewTokens = options.maxNewTokens;
  if (options.doSample !== undefined) out.doSample = options.doSample;
  if (options.temperature !== undefined) out.temperature = options.temperature;
  if (options.topP !== undefined) out.topP = options.topP;
  if (options.topK !== undefined) out.topK = options.topK;
  if (options.seed !== undefined) out.seed = options.seed;
  return out;
}

/**
 * An `LLM` over the lib's own `textGenerationPipeline` (or any function of that shape): only the
 * continuation is returned (`returnFullText: false`, the book's setting); chat input is rendered with
 * `chatFormat` (default `plainChatFormat`; pass a tokenizer's `applyChatTemplate` for chat models).
 */
export function llmFromTextGeneration(pipe: TextGenerationPipeline, opts: { chatFormat?: ChatFormatter; defaults?: LLMCallOptions } = {}): LLM {
  const chatFormat = opts.chatFormat ?? plainChatFormat;
  return (input, options = {}) => {
    const merged = { ...opts.defaults, ...options };
    const text = pipe(toPromptText(input, chatFormat, "llmFromTextGeneration"), { ...generationSettings(merged), returnFullText: false })[0].generated_text;
    return applyStopSequences(text, merged.stop);
  };
}

/**
 * An `LLM` over a causal LM and its tokenizer, e.g. the lib's GPT-2. Generation stops as soon as the
 * new text contains a stop sequence (not only cut afterwards), which saves the tokens a ReAct agent's
 * model would spend inventing its own "Observation:".
 */
export function llmFromCausalLM(
  model: CausalLM,
  tokenizer: TextTokenizer,
  opts: { chatFormat?: ChatFormatter; defaults?: LLMCallOptions & Pick<GenerateOptions, "eosTokenId" | "repetitionPenalty"> } = {},
): LLM {
  const chatFormat = opts.chatFormat ?? plainChatFormat;
  return (input, options = {}) => {
    const merged = { ...opts.defaults, ...options };
    const promptIds = tokenizer.encode(toPromptText(input, chatFormat, "llmFromCausalLM"));
    const stop = (merged.stop ?? []).filter((s) => s !== "");
    const settings: GenerateOptions = { ...generationSettings(merged), eosTokenId: opts.defaults?.eosTokenId, repetitionPenalty: opts.defaults?.repetitionPenalty };
    if (stop.length > 0) {
      settings.stoppingCriteria = (ids) => {
        const text = tokenizer.decode(ids.slice(promptIds.length));
        return stop.some((s) => text.includes(s));
      };
    }
    const ids = generate(model, promptIds, settings);
    return applyStopSequences(tokenizer.decode(ids.slice(promptIds.length)), stop);
  };
}

/**
 * What `llmFromTransformersPipeline` needs from a transformers.js text-generation pipeline (the online
 * path, `hubPipeline("text-generation", …)`): a call taking text or messages and HF's option names.
 */
export type TransformersTextGenerator = (input: string | ChatMessage[], options: Record<string, unknown>) => Promise<unknown>;

/**
 * An `LLM` over a transformers.js text-generation pipeline. Chat input goes to the pipeline as
 * messages (it applies the model's chat template); the reply is the new assistant message's text.
 */
export function llmFromTransformersPipeline(pipe: TransformersTextGenerator, defaults: LLMCallOptions = {}): LLM {
  return async (input, options = {}) => {
    const merged = { ...defaults, ...options };
    if (Array.isArray(input)) checkMessages(input, "llmFromTransformersPipeline");
    const hfOptions: Record<string, unknown> = { return_full_text: false };
    if (merged.maxNewTokens !== undefined) hfOptions.max_new_tokens = merged.maxNewTokens;
    if (merged.doSample !== undefined) hfOptions.do_sample = merged.doSample;
    if (merged.temperature !== undefined) hfOptions.temperature = merged.temperature;
    if (merged.topP !== undefined) hfOptions.top_p = merged.topP;
    if (merged.topK !== undefined) hfOptions.top_k = merged.topK;
    const out = await pipe(input, hfOptions);
    const first = Array.isArray(out) ? (Array.isArray(out[0]) ? out[0][0] : out[0]) : out;
    const generated = (first as { generated_text?: unknown } | undefined)?.generated_text;
    let text: string;
    if (typeof generated === "string") text = generated;
    else if (Array.isArray(generated) && generated.length > 0 && typeof generated[generated.length - 1]?.content === "string") {
      // Chat input comes back as the whole conversation with the reply appended.
      text = generated[generated.length - 1].content;
    } else throw new Error("llmFromTransformersPipeline: the pipeline returned no generated_text");
    return applyStopSequences(text, merged.stop);
  };
}

/** A scripted model for tests and demos (LangChain's FakeListLLM): returns `responses` in order and records its calls. */
export interface FakeListLLM extends LLM {
  readonly calls: Array<{ input: LLMInput; options: LLMCallOptions }>;
  /** The prompts as text (chat input rendered with `plainChatFormat`). */
  readonly prompts: string[];
}

/** A fake LLM answering with `responses` in order; it throws once they run out (so tests see extra calls). */
export function fakeListLLM(responses: string[]): FakeListLLM {
  const calls: Array<{ input: LLMInput; options: LLMCallOptions }> = [];
  const fake = ((input: LLMInput, options: LLMCallOptions = {}) => {
    if (calls.length >= responses.length) throw new Error(`fakeListLLM: called ${calls.length + 1} times but only ${responses.length} responses were scripted`);
    calls.push({ input, options });
    return Promise.resolve(responses[calls.length - 1]);
  }) as FakeListLLM;
  Object.defineProperty(fake, "calls", { value: calls });
  Object.defineProperty(fake, "prompts", { get: () => calls.map((c) => (typeof c.input === "string" ? c.input : plainChatFormat(c.input))) });
  return fake;
}

// ----- PromptTemplate ----------------------------------------------------------------------------------

type TemplatePart = { text: string } | { variable: string };

/** Splits "{name}" placeholders from text; "{{" and "}}" are literal braces, other braces stay as written. */
function parseTemplate(template: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let text = "";
  let i = 0;
  while (i < template.length) {
    const ch = template[i];
    if ((ch === "{" || ch === "}") && template[i + 1] === ch) {
      text += ch;
      i += 2;
      continue;
    }
    if (ch === "{") {
      const m = /^\{([A-Za-z_][A-Za-z0-9_]*)\}/.exec(template.slice(i));
      if (m) {
        if (text) parts.push({ text });
        text = "";
        parts.push({ variable: m[1] });
        i += m[0].length;
        continue;
      }
    }
    text += ch;
    i++;
  }
  if (text) parts.push({ text });
  return parts;
}

export type TemplateValue = string | number | boolean;
/** A partial value: fixed, or computed at format time (e.g. today's date), as LangChain's partials. */
export type PartialValue = TemplateValue | (() => TemplateValue);

/**
 * LangChain's `PromptTemplate` (f-string style): "{name}" placeholders, "{{" / "}}" for literal braces.
 * `format` fails naming every missing variable; extra values are ignored, as in LangChain.
 */
export class PromptTemplate {
  readonly template: string;
  /** The variables `format` needs (those of the template not filled by a partial), in order of appearance. */
  readonly inputVariables: string[];
  readonly partialVariables: Readonly<Record<string, PartialValue>>;
  private readonly parts: TemplatePart[];

  constructor(template: string, opts: { inputVariables?: string[]; partialVariables?: Record<string, PartialValue> } = {}) {
    if (typeof template !== "string") throw new TypeError("PromptTemplate: the template must be a string");
    this.template = template;
    this.parts = parseTemplate(template);
    this.partialVariables = { ...(opts.partialVariables ?? {}) };
    const found: string[] = [];
    for (const p of this.parts) if ("variable" in p && !found.includes(p.variable)) found.push(p.variable);
    const needed = found.filter((v) => !(v in this.partialVariables));
    if (opts.inputVariables) {
      // LangChain validates declared variables against the template: same here, naming the difference.
      const declared = new Set(opts.inputVariables);
      const undeclared = needed.filter((v) => !declared.has(v));
      const unused = opts.inputVariables.filter((v) => !found.includes(v));
      if (undeclared.length || unused.length) {
        const bits = [];
        if (undeclared.length) bits.push(`the template uses {${undeclared.join("}, {")}} not listed in inputVariables`);
        if (unused.length) bits.push(`inputVariables lists ${unused.join(", ")} which the template never uses`);
        throw new Error(`PromptTemplate: ${bits.join("; ")}`);
      }
    }
    this.inputVariables = needed;
  }

  /** LangChain's `PromptTemplate.from_template`: the variables are read from the template. */
  static fromTemplate(template: string, opts: { partialVariables?: Record<string, PartialValue> } = {}): PromptTemplate {
    return new PromptTemplate(template, opts);
  }

  /** A new template with some variables fixed now (values or functions called at format time). */
  partial(values: Record<string, PartialValue>): PromptTemplate {
    const all = new Set(this.parts.filter((p): p is { variable: string } => "variable" in p).map((p) => p.variable));
    const unknown = Object.keys(values).filter((k) => !all.has(k));
    if (unknown.length) throw new Error(`PromptTemplate.partial: the template has no variable {${unknown.join("}, {")}} (it has: ${[...all].join(", ") || "none"})`);
    return new PromptTemplate(this.template, { partialVariables: { ...this.partialVariables, ...values } });
  }

  format(values: Record<string, TemplateValue | undefined> = {}): string {
    const missing = this.inputVariables.filter((v) => values[v] === undefined || values[v] === null);
    if (missing.length) {
      throw new Error(`PromptTemplate: missing value${missing.length > 1 ? "s" : ""} for {${missing.join("}, {")}} (the template needs: ${this.inputVariables.join(", ")})`);
    }
    let out = "";
    for (const p of this.parts) {
      if ("text" in p) out += p.text;
      else if (values[p.variable] !== undefined && values[p.variable] !== null) out += String(values[p.variable]);
      else {
        const partial = this.partialVariables[p.variable];
        out += String(typeof partial === "function" ? partial() : partial);
      }
    }
    return out;
  }

  toString(): string {
    return `PromptTemplate(${JSON.stringify(this.template)}, inputVariables: [${this.inputVariables.join(", ")}])`;
  }
}

/** A template given as a string or a PromptTemplate. */
export function toPromptTemplate(template: string | PromptTemplate): PromptTemplate {
  return template instanceof PromptTemplate ? template : PromptTemplate.fromTemplate(template);
}

// ----- the book's prompt components ----------------------------------------------------------------------

/** The components of a complex prompt, in the order the book assembles them. */
export const PROMPT_COMPONENTS = ["persona", "instruction", "context", "format", "audience", "tone", "data"] as const;
export type PromptComponent = (typeof PROMPT_COMPONENTS)[number];
export type PromptComponents = Partial<Record<PromptComponent, string>>;

/**
 * The book's modular prompt: persona + instruction + context + format + audience + tone + data, each
 * on its own line, in that order; leave any out to see what it changes.
 */
export function buildPrompt(components: PromptComponents): string {
  if (!components || typeof components !== "object") throw new TypeError("buildPrompt: expects an object of prompt components");
  const unknown = Object.keys(components).filter((k) => !(PROMPT_COMPONENTS as readonly string[]).includes(k));
  if (unknown.length) throw new Error(`buildPrompt: unknown component${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")} (known: ${PROMPT_COMPONENTS.join(", ")})`);
  const lines: string[] = [];
  for (const name of PROMPT_COMPONENTS) {
    const value = components[name];
    if (value === undefined || value === null) continue;
    if (typeof value !== "string") throw new TypeError(`buildPrompt: component ${name} must be a string`);
    const trimmed = value.trim();
    if (trimmed) lines.push(trimmed);
  }
  if (lines.length === 0) throw new Error("buildPrompt: every component is empty; give at least an instruction");
  return lines.join("\n");
}

// ----- in-context learning ----------------------------------------------------------------------------------

/** One demonstration for few-shot prompting: what the user says and what the model should answer. */
export interface ShotExample {
  input: string;
  output: string;
}

/**
 * Zero-, one- or few-shot prompting as chat turns, as the book does: each example becomes a user
 * turn and an assistant turn, then the real input as the last user turn (optionally after a system turn).
 */
export function fewShotMessages(opts: { examples: ShotExample[]; input: string; system?: string }): ChatMessage[] {
  if (!Array.isArray(opts.examples)) throw new TypeError("fewShotMessages: examples must be a list of {input, output}");
  const messages: ChatMessage[] = [];
  if (opts.system) messages.push({ role: "system", content: opts.system });
  opts.examples.forEach((ex, i) => {
    if (typeof ex?.input !== "string" || typeof ex?.output !== "string") throw new TypeError(`fewShotMessages: example ${i} needs string input and output`);
    messages.push({ role: "user", content: ex.input }, { role: "assistant", content: ex.output });
  });
  if (typeof opts.input !== "string") throw new TypeError("fewShotMessages: input must be a string");
  messages.push({ role: "user", content: opts.input });
  return messages;
}

/**
 * Few-shot prompting as one text, LangChain's FewShotPromptTemplate: prefix, each example through
 * `examplePrompt`, then `suffix` filled with `values`, joined by `separator` (default "\n\n").
 */
export function fewShotPrompt(
  opts: {
    examples: Array<Record<string, TemplateValue>>;
    examplePrompt?: string | PromptTemplate;
    prefix?: string;
    suffix?: string | PromptTemplate;
    separator?: string;
  },
  values: Record<string, TemplateValue>,
): string {
  if (!Array.isArray(opts.examples)) throw new TypeError("fewShotPrompt: examples must be a list of records");
  const examplePrompt = toPromptTemplate(opts.examplePrompt ?? "Input: {input}\nOutput: {output}");
  const suffix = toPromptTemplate(opts.suffix ?? "Input: {input}\nOutput:");
  const pieces: string[] = [];
  if (opts.prefix) pieces.push(opts.prefix);
  opts.examples.forEach((ex, i) => {
    try {
      pieces.push(examplePrompt.format(ex));
    } catch (err) {
      throw new Error(`fewShotPrompt: example ${i}: ${(err as Error).message}`);
    }
  });
  pieces.push(suffix.format(values));
  return pieces.join(opts.separator ?? "\n\n");
}

// ----- chain prompting -------------------------------------------------------------------------------------------

/** One link of a prompt chain: a template over {input} and {previous}, or a function of the earlier outputs. */
export type PromptChainStep = string | PromptTemplate | ((previous: string, outputs: string[], input: string) => LLMInput);

export interface PromptChainResult {
  prompts: LLMInput[];
  outputs: string[];
  /** The last step's output. */
  output: string;
}

/**
 * Chain prompting (chapter 6): break a task into prompts where each uses the previous answer, e.g. a
 * product name and slogan, then a sales pitch for it. Template steps see {input} and {previous};
 * function steps get (previous, all outputs so far, input).
 */
export async function chainPrompts(llm: LLM, steps: PromptChainStep[], opts: { input?: string; callOptions?: LLMCallOptions } = {}): Promise<PromptChainResult> {
  if (!Array.isArray(steps) || steps.length === 0) throw new Error("chainPrompts: give at least one step");
  const input = opts.input ?? "";
  const prompts: LLMInput[] = [];
  const outputs: string[] = [];
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i];
    const previous = i === 0 ? input : outputs[i - 1];
    let prompt: LLMInput;
    if (typeof step === "function") prompt = step(previous, [...outputs], input);
    else {
      try {
        prompt = toPromptTemplate(step).format({ input, previous });
      } catch (err) {
        throw new Error(`chainPrompts: step ${i}: ${(err as Error).message}`);
      }
    }
    prompts.push(prompt);
    outputs.push((await callLLM(llm, prompt, opts.callOptions)).trim());
  }
  return { prompts, outputs, output: outputs[outputs.length - 1] };
}
