/**
 * Chapter 7, chains: a prompt template and a model make an `LLMChain`, whose output lands under a name
 * (`outputKey`); a `SequentialChain` runs several, each reading the named outputs of those before it
 * (the book's title -> character -> story); a `ConversationChain` adds a memory. LangChain's names, in
 * a few small classes: every step is an ordinary async call you can read.
 */
import { LLM, LLMCallOptions, PromptTemplate, callLLM, toPromptTemplate } from "../prompting/templates";
import { BaseMemory, ConversationBufferMemory } from "./memory";

/** Named values flowing through chains: prompt variables in, named outputs out. */
export type ChainValues = Record<string, string>;

export interface Chain {
  /** The values `invoke` needs. */
  readonly inputKeys: string[];
  /** The names it adds. */
  readonly outputKeys: string[];
  /** Runs the chain: the inputs (a string when there is one input) and its outputs, in one record. */
  invoke(input: string | ChainValues): Promise<ChainValues>;
}

/** Turns `invoke`'s argument into named values, checking none is missing. */
function toValues(input: string | ChainValues, inputKeys: string[], where: string): ChainValues {
  let values: ChainValues;
  if (typeof input === "string") {
    if (inputKeys.length !== 1) {
      throw new Error(`${where}: a plain string input needs exactly one input key, but this chain takes ${inputKeys.length} (${inputKeys.join(", ") || "none"}); pass an object`);
    }
    values = { [inputKeys[0]]: input };
  } else if (input && typeof input === "object") values = { ...input };
  else throw new TypeError(`${where}: the input must be a string or an object of named values`);
  const missing = inputKeys.filter((k) => values[k] === undefined || values[k] === null);
  if (missing.length) throw new Error(`${where}: missing input${missing.length > 1 ? "s" : ""} ${missing.join(", ")} (it needs: ${inputKeys.join(", ")})`);
  return values;
}

export interface LLMChainOptions {
  llm: LLM;
  prompt: string | PromptTemplate;
  /** The name of the output (LangChain's default "text"). */
  outputKey?: string;
  memory?: BaseMemory;
  callOptions?: LLMCallOptions;
  /** Send the filled prompt as one user chat message instead of raw text (for chat models). */
  asChat?: boolean;
  /** Trim whitespace around the completion (default true: it is usually pasted into the next prompt). */
  stripOutput?: boolean;
}

/** A prompt template filled with the inputs (and memory), sent to the model, the reply named `outputKey`. */
export class LLMChain implements Chain {
  readonly llm: LLM;
  readonly prompt: PromptTemplate;
  readonly outputKey: string;
  readonly memory?: BaseMemory;
  readonly callOptions?: LLMCallOptions;
  readonly asChat: boolean;
  readonly stripOutput: boolean;

  constructor(opts: LLMChainOptions) {
    if (!opts || typeof opts.llm !== "function") throw new TypeError("LLMChain: needs { llm, prompt }, llm a function (prompt, options) => text");
    this.llm = opts.llm;
    this.prompt = toPromptTemplate(opts.prompt);
    this.outputKey = opts.outputKey ?? "text";
    this.memory = opts.memory;
    this.callOptions = opts.callOptions;
    this.asChat = opts.asChat === true;
    this.stripOutput = opts.stripOutput !== false;
    if (this.memory) {
      const unused = this.memory.memoryVariables.filter((v) => !this.prompt.inputVariables.includes(v));
      if (unused.length) throw new Error(`LLMChain: the memory fills {${unused.join("}, {")}} but the prompt has no such variable (it has: ${this.prompt.inputVariables.join(", ")})`);
    }
    if (this.prompt.inputVariables.includes(this.outputKey)) throw new Error(`LLMChain: outputKey "${this.outputKey}" is also a prompt variable`);
  }

  get inputKeys(): string[] {
    const fromMemory = this.memory?.memoryVariables ?? [];
    return this.prompt.inputVariables.filter((v) => !fromMemory.includes(v));
  }

  get outputKeys(): string[] {
    return [this.outputKey];
  }

  async invoke(input: string | ChainValues): Promise<ChainValues> {
    const values = toValues(input, this.inputKeys, `LLMChain(${this.outputKey})`);
    const remembered = this.memory ? await this.memory.loadMemoryVariables(values) : {};
    const text = this.prompt.format({ ...values, ...remembered });
    let output = await callLLM(this.llm, this.asChat ? [{ role: "user", content: text }] : text, this.callOptions);
    if (this.stripOutput) output = output.trim();
    const outputs = { [this.outputKey]: output };
    if (this.memory) {
      const turn: ChainValues = {};
      for (const k of this.inputKeys) turn[k] = values[k];
      await this.memory.saveContext(turn, outputs);
    }
    return { ...values, ...remembered, ...outputs };
  }

  /** The output text alone. */
  async predict(input: string | ChainValues): Promise<string> {
    return (await this.invoke(input))[this.outputKey];
  }
}

/**
 * Runs chains in order, each reading the inputs and every earlier chain's named outputs (LangChain's
 * SequentialChain, which the book writes `title | character | story`). Checked when built: every
 * variable a chain needs must be an input or an earlier output.
 */
export class SequentialChain implements Chain {
  readonly chains: Chain[];
  readonly inputKeys: string[];
  readonly outputKeys: string[];
  /** What `invoke` returns besides the inputs (default: every chain's outputs). */
  readonly outputVariables: string[];

  constructor(opts: { chains: Chain[]; inputVariables?: string[]; outputVariables?: string[] }) {
    if (!opts || !Array.isArray(opts.chains) || opts.chains.length === 0) throw new Error("SequentialChain: give at least one chain");
    this.chains = opts.chains;
    const produced: string[] = [];
    const needed: string[] = [];
    opts.chains.forEach((chain, i) => {
      for (const k of chain.inputKeys) if (!produced.includes(k) && !needed.includes(k)) needed.push(k);
      for (const k of chain.outputKeys) {
        if (produced.includes(k)) throw new Error(`SequentialChain: output "${k}" of chain ${i} is produced by an earlier chain too`);
        produced.push(k);
      }
    });
    if (opts.inputVariables) {
      const available = [...opts.inputVariables];
      opts.chains.forEach((chain, i) => {
        const missing = chain.inputKeys.filter((k) => !available.includes(k));
        if (missing.length) {
          throw new Error(
            `SequentialChain: chain ${i} (outputs: ${chain.outputKeys.join(", ")}) needs ${missing.join(", ")}, which is neither an input variable nor an earlier output (available: ${available.join(", ")})`,
          );
        }
        available.push(...chain.outputKeys);
      });
      const clash = opts.inputVariables.filter((k) => produced.includes(k));
      if (clash.length) throw new Error(`SequentialChain: ${clash.join(", ")} is both an input variable and a chain output`);
    }
    this.inputKeys = opts.inputVariables ? [...opts.inputVariables] : needed;
    this.outputKeys = produced;
    const outputVariables = opts.outputVariables ?? produced;
    const unknown = outputVariables.filter((k) => !produced.includes(k));
    if (unknown.length) throw new Error(`SequentialChain: outputVariables ${unknown.join(", ")} are not produced by any chain (outputs: ${produced.join(", ")})`);
    this.outputVariables = outputVariables;
  }

  async invoke(input: string | ChainValues): Promise<ChainValues> {
    const values = toValues(input, this.inputKeys, "SequentialChain");
    const known: ChainValues = { ...values };
    for (const chain of this.chains) {
      const out = await chain.invoke(pick(known, chain.inputKeys));
      for (const k of chain.outputKeys) {
        if (out[k] === undefined) throw new Error(`SequentialChain: a chain did not return its output "${k}"`);
        known[k] = out[k];
      }
    }
    const result: ChainValues = { ...values };
    for (const k of this.outputVariables) result[k] = known[k];
    return result;
  }
}

function pick(values: ChainValues, keys: string[]): ChainValues {
  const out: ChainValues = {};
  for (const k of keys) out[k] = values[k];
  return out;
}

/** LangChain's ConversationChain prompt: {history} from the memory, {input} the new human turn. */
export const CONVERSATION_PROMPT = new PromptTemplate(
  `The following is a friendly conversation between a human and an AI. The AI is talkative and provides lots of specific details from its context. If the AI does not know the answer to a question, it truthfully says it does not know.

Current conversation:
{history}
Human: {input}
AI:`,
);

/**
 * A chat over any memory (LangChain's ConversationChain): the memory's history and the new input
 * fill the prompt; the reply is saved back. Completions are cut before the model writes the human's
 * next turn itself (stop "\nHuman:"), which small base models otherwise do.
 */
export class ConversationChain extends LLMChain {
  constructor(opts: { llm: LLM; memory?: BaseMemory; prompt?: string | PromptTemplate; outputKey?: string; callOptions?: LLMCallOptions; asChat?: boolean }) {
    const memory = opts.memory ?? new ConversationBufferMemory();
    const humanPrefix = (memory as { humanPrefix?: string }).humanPrefix ?? "Human";
    super({
      llm: opts.llm,
      prompt: opts.prompt ?? CONVERSATION_PROMPT,
      memory,
      outputKey: opts.outputKey ?? "response",
      asChat: opts.asChat,
      callOptions: { stop: [`\n${humanPrefix}:`], ...opts.callOptions },
    });
    if (this.inputKeys.length !== 1) {
      throw new Error(`ConversationChain: the prompt must have exactly one variable besides the memory's (${memory.memoryVariables.join(", ")}); it has ${this.inputKeys.join(", ") || "none"}`);
    }
  }
}
