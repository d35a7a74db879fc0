/**
 * Chapter 7, memory: how a chain remembers a conversation, with LangChain's three memories from the
 * book. The whole buffer (grows without end), a window of the last k exchanges, or a running summary
 * that an LLM rewrites after every exchange (costs a call per turn, but stays short).
 */
import type { ChatMessage } from "../tokenizers/hf";
import { LLM, LLMCallOptions, PromptTemplate, callLLM, toPromptTemplate } from "../prompting/templates";

/** What a chain needs from a memory (LangChain's BaseMemory). */
export interface BaseMemory {
  /** The prompt variables this memory fills, e.g. ["history"] or ["chat_history"]. */
  readonly memoryVariables: string[];
  loadMemoryVariables(inputs?: Record<string, string>): Promise<Record<string, string>>;
  /** Records one exchange: the chain's inputs (the human turn) and outputs (the AI turn). */
  saveContext(inputs: Record<string, string>, outputs: Record<string, string>): Promise<void>;
  clear(): void;
}

export interface ConversationMemoryOptions {
  /** The prompt variable the memory fills (LangChain's default "history"; the book uses "chat_history"). */
  memoryKey?: string;
  humanPrefix?: string;
  aiPrefix?: string;
  /** Which input is the human turn (default: the only input that is not a memory variable). */
  inputKey?: string;
  /** Which output is the AI turn (default: the only output). */
  outputKey?: string;
}

/** A conversation as text, one "Human: …" / "AI: …" line per message (LangChain's get_buffer_string). */
export function getBufferString(messages: ChatMessage[], humanPrefix = "Human", aiPrefix = "AI"): string {
  return messages
    .map((m) => {
      const role = m.role === "user" ? humanPrefix : m.role === "assistant" ? aiPrefix : m.role.charAt(0).toUpperCase() + m.role.slice(1);
      return `${role}: ${m.content}`;
    })
    .join("\n");
}

/** The key among `record`'s that is the turn's text: the given one, else the only key not excluded. */
function pickKey(record: Record<string, string>, given: string | undefined, exclude: string[], what: string): string {
  if (given !== undefined) {
    if (!(given in record)) throw new Error(`memory: the ${what} key "${given}" is not among ${JSON.stringify(Object.keys(record))}`);
    return given;
  }
  const keys = Object.keys(record).filter((k) => !exclude.includes(k) && k !== "stop");
  if (keys.length !== 1) {
    throw new Error(`memory: expected one ${what} key, got ${JSON.stringify(keys)}; pass ${what}Key to the memory`);
  }
  return keys[0];
}

/** Keeps every message and hands the whole conversation to the prompt (LangChain's ConversationBufferMemory). */
export class ConversationBufferMemory implements BaseMemory {
  readonly memoryKey: string;
  readonly humanPrefix: string;
  readonly aiPrefix: string;
  readonly inputKey?: string;
  readonly outputKey?: string;
  /** Every message so far, oldest first. */
  readonly messages: ChatMessage[] = [];

  constructor(opts: ConversationMemoryOptions = {}) {
    this.memoryKey = opts.memoryKey ?? "history";
    this.humanPrefix = opts.humanPrefix ?? "Human";
    this.aiPrefix = opts.aiPrefix ?? "AI";
    this.inputKey = opts.inputKey;
    this.outputKey = opts.outputKey;
  }

  get memoryVariables(): string[] {
    return [this.memoryKey];
  }

  /** The messages the prompt sees (all of them here; the window memory narrows this). */
  protected visibleMessages(): ChatMessage[] {
    return this.messages;
  }

  /** The conversation as the prompt sees it. */
  get buffer(): string {
    return getBufferString(this.visibleMessages(), this.humanPrefix, this.aiPrefix);
  }

  async loadMemoryVariables(): Promise<Record<string, string>> {
    return { [this.memoryKey]: this.buffer };
  }

  /** Adds one exchange directly, without a chain. */
  addExchange(human: string, ai: string): void {
    this.messages.push({ role: "user", content: human }, { role: "assistant", content: ai });
  }

  async saveContext(inputs: Record<string, string>, outputs: Record<string, string>): Promise<void> {
    const human = inputs[pickKey(inputs, this.inputKey, this.memoryVariables, "input")];
    const ai = outputs[pickKey(outputs, this.outputKey, [], "output")];
    this.addExchange(String(human), String(ai));
  }

  clear(): void {
    this.messages.length = 0;
  }
}

/** Only the last `k` exchanges reach the prompt (LangChain's ConversationBufferWindowMemory, default k 5). */
export class ConversationBufferWindowMemory extends ConversationBufferMemory {
  readonly k: number;

  constructor(opts: ConversationMemoryOptions & { k?: number } = {}) {
    super(opts);
    this.k = opts.k ?? 5;
    if (!Number.isInteger(this.k) || this.k < 0) throw new Error(`ConversationBufferWindowMemory: k must be a non-negative integer (got ${this.k})`);
  }

  protected override visibleMessages(): ChatMessage[] {
    return this.k === 0 ? [] : this.messages.slice(-2 * this.k);
  }
}

/**
 * The summarisation prompt, built like LangChain's: progressive summary, one worked example, then the
 * current summary and the new lines. Variables: {summary}, {new_lines}.
 */
export const SUMMARY_PROMPT = new PromptTemplate(
  `Progressively summarize the lines of conversation provided, adding onto the previous summary and returning a new summary.

EXAMPLE
Current summary:
The human asks the AI for a good name for a bakery. The AI suggests "Rise and Shine".

New lines of conversation:
Human: Why that name?
AI: Because bread rises and bakers start work at sunrise.

New summary:
The human asks the AI for a good name for a bakery. The AI suggests "Rise and Shine", because bread rises and bakers start work at sunrise.
END OF EXAMPLE

Current summary:
{summary}

New lines of conversation:
{new_lines}

New summary:`,
);

/**
 * Keeps a running summary instead of the transcript (LangChain's ConversationSummaryMemory): after
 * each exchange the LLM rewrites the summary from the old one and the new lines.
 */
export class ConversationSummaryMemory implements BaseMemory {
  readonly memoryKey: string;
  readonly humanPrefix: string;
  readonly aiPrefix: string;
  readonly inputKey?: string;
  readonly outputKey?: string;
  readonly llm: LLM;
  readonly prompt: PromptTemplate;
  readonly callOptions?: LLMCallOptions;
  readonly messages: ChatMessage[] = [];
  /** The current summary (empty before the first exchange). */
  buffer = "";

  constructor(opts: ConversationMemoryOptions & { llm: LLM; prompt?: string | PromptTemplate; callOptions?: LLMCallOptions }) {
    if (!opts || typeof opts.llm !== "function") throw new TypeError("ConversationSummaryMemory: needs { llm }, the model that writes the summaries");
    this.llm = opts.llm;
    this.prompt = toPromptTemplate(opts.prompt ?? SUMMARY_PROMPT);
    const vars = this.prompt.inputVariables;
    const missing = ["summary", "new_lines"].filter((v) => !vars.includes(v));
    if (missing.length) throw new Error(`ConversationSummaryMemory: the summary prompt must use {summary} and {new_lines}; it lacks {${missing.join("}, {")}}`);
    this.memoryKey = opts.memoryKey ?? "history";
    this.humanPrefix = opts.humanPrefix ?? "Human";
    this.aiPrefix = opts.aiPrefix ?? "AI";
    this.inputKey = opts.inputKey;
    this.outputKey = opts.outputKey;
    this.callOptions = opts.callOptions;
  }

  get memoryVariables(): string[] {
    return [this.memoryKey];
  }

  async loadMemoryVariables(): Promise<Record<string, string>> {
    return { [this.memoryKey]: this.buffer };
  }

  /** The summary after adding `newMessages` to `summary` (one LLM call). */
  async predictNewSummary(newMessages: ChatMessage[], summary: string): Promise<string> {
    const prompt = this.prompt.format({ summary, new_lines: getBufferString(newMessages, this.humanPrefix, this.aiPrefix) });
    return (await callLLM(this.llm, prompt, this.callOptions)).trim();
  }

  async addExchange(human: string, ai: string): Promise<void> {
    const exchange: ChatMessage[] = [
      { role: "user", content: human },
      { role: "assistant", content: ai },
    ];
    this.messages.push(...exchange);
    this.buffer = await this.predictNewSummary(exchange, this.buffer);
  }

  async saveContext(inputs: Record<string, string>, outputs: Record<string, string>): Promise<void> {
    const human = inputs[pickKey(inputs, this.inputKey, this.memoryVariables, "input")];
    const ai = outputs[pickKey(outputs, this.outputKey, [], "output")];
    await this.addExchange(String(human), String(ai));
  }

  clear(): void {
    this.messages.length = 0;
    this.buffer = "";
  }
}
