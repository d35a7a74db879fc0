/**
 * Chapter 7, agents: ReAct (Yao et al., 2022) as the book runs it with LangChain. The model writes
 * Thought / Action / Action Input; generation is cut before it can invent the "Observation:" itself;
 * the named tool runs and its result is appended as the Observation; repeat until "Final Answer:" or
 * the iteration limit. Unparsable output is not fatal: as LangChain's `handle_parsing_errors=True`,
 * the problem goes back to the model as the observation.
 */
import { LLM, LLMCallOptions, PromptTemplate, callLLM, toPromptTemplate } from "../prompting/templates";
import { Tool } from "./tools";

/** The ReAct prompt the book uses (LangChain hub "hwchase17/react"). */
export const REACT_PROMPT = new PromptTemplate(`Answer the following questions as best you can. You have access to the following tools:

{tools}

Use the following format:

Question: the input question you must answer
Thought: you should always think about what to do
Action: the action to take, should be one of [{tool_names}]
Action Input: the input to the action
Observation: the result of the action
... (this Thought/Action/Action Input/Observation can repeat N times)
Thought: I now know the final answer
Final Answer: the final answer to the original input question

Begin!

Question: {input}
Thought:{agent_scratchpad}`);

/** Where generation is cut: the model must not write the tool's result (LangChain's ReAct stop). */
export const REACT_STOP = ["\nObservation"];

/** LangChain's answer when the iteration limit is hit (early_stopping_method="force"). */
export const AGENT_STOPPED_MESSAGE = "Agent stopped due to iteration limit or time limit.";

export type ReActParse =
  | { type: "finish"; output: string; thought: string; log: string }
  | { type: "action"; tool: string; toolInput: string; thought: string; log: string }
  | { type: "error"; observation: string; log: string };

const ACTION = /\bAction\s*\d*\s*:[ \t]*([^\n]*)/i;
const ACTION_INPUT = /\bAction\s*\d*\s*Input\s*\d*\s*:[ \t]*/i;
const FINAL_ANSWER = /\bFinal\s+Answer\s*:/gi;

function thoughtBefore(text: string, end: number): string {
  return text
    .slice(0, end)
    .replace(/^\s*Thought\s*:/i, "")
    .trim();
}

function stripWrapping(text: string): string {
  return text.trim().replace(/^[`"'[]+|[`"'\]]+$/g, "").trim();
}

/**
 * Reads one ReAct completion: an action (tool and input), a final answer, or an error whose
 * observation tells the model what was wrong. Tolerant: labels in any case, "Action 1:", quotes or
 * brackets around names, and the ReAct paper's "Action: Search[query]" without an Action Input. When
 * an action comes before a "Final Answer:", the action wins (the answer was written without seeing
 * the observation); LangChain reports that as an error instead.
 */
export function parseReActOutput(text: string): ReActParse {
  const action = ACTION.exec(text);
  const finals = [...text.matchAll(FINAL_ANSWER)];
  const firstFinal = finals.length ? finals[0].index! : -1;
  if (action && (firstFinal < 0 || action.index < firstFinal)) {
    const thought = thoughtBefore(text, action.index);
    const after = text.slice(action.index + action[0].length);
    const inputLabel = ACTION_INPUT.exec(after);
    let tool = stripWrapping(action[1]);
    let toolInput: string | null = null;
    if (inputLabel) {
      const rest = after.slice(inputLabel.index + inputLabel[0].length);
      // The input runs to the next label the model may have gone on to write (or the end).
      const end = rest.search(/\n\s*(?:Thought|Observation|Final\s+Answer|Action)\s*\d*\s*:/i);
      toolInput = (end >= 0 ? rest.slice(0, end) : rest).trim().replace(/^"(.*)"$/s, "$1");
    } else {
      const call = /^([^[(]+?)\s*[[(]([\s\S]*)[\])]$/.exec(action[1].trim());
      if (call) {
        tool = stripWrapping(call[1]);
        toolInput = call[2].trim();
      }
    }
    if (!tool) return { type: "error", observation: "Could not parse LLM output. Invalid Format: 'Action:' names no tool", log: text };
    if (toolInput === null) return { type: "error", observation: "Could not parse LLM output. Invalid Format: Missing 'Action Input:' after 'Action:'", log: text };
    return { type: "action", tool, toolInput, thought, log: text };
  }
  if (finals.length) {
    const last = finals[finals.length - 1];
    return { type: "finish", output: text.slice(last.index! + last[0].length).trim(), thought: thoughtBefore(text, firstFinal), log: text };
  }
  return { type: "error", observation: "Could not parse LLM output. Invalid Format: Missing 'Action:' after 'Thought:'", log: text };
}

/** The tools as the prompt lists them: "name: description" per line (LangChain's render_text_description). */
export function renderToolDescriptions(tools: Tool[]): string {
  return tools.map((t) => `${t.name}: ${t.description}`).join("\n");
}

/** One round of the loop: what the model wrote and what it was told back. */
export interface AgentStep {
  iteration: number;
  /** The model's text for this round (cut at the stop sequence). */
  log: string;
  thought: string;
  /** The tool asked for, as the model wrote it (null when the text could not be parsed). */
  tool: string | null;
  toolInput: string | null;
  observation: string;
  /** tool: ran; tool_error: the tool threw; invalid_tool: no such tool; parse_error: no action could be read. */
  kind: "tool" | "tool_error" | "invalid_tool" | "parse_error";
}

export interface AgentResult {
  input: string;
  /** The final answer, or AGENT_STOPPED_MESSAGE when the limit was hit. */
  output: string;
  stoppedBy: "final_answer" | "max_iterations";
  /** Model calls made. */
  iterations: number;
  steps: AgentStep[];
  /** The whole trace as the model saw it: question, thoughts, actions, observations, final answer. */
  transcript: string;
}

/** LangChain's format_log_to_str: each step's text, then its observation, then a new "Thought:". */
export function formatScratchpad(steps: Array<{ log: string; observation: string }>): string {
  return steps.map((s) => `${s.log}\nObservation: ${s.observation}\nThought: `).join("");
}

export interface ReActAgentOptions {
  llm: LLM;
  tools: Tool[];
  /** Model calls before giving up (LangChain's AgentExecutor default: 15). */
  maxIterations?: number;
  /** Another ReAct prompt; it must use {tools}, {tool_names}, {input} and {agent_scratchpad}. */
  prompt?: string | PromptTemplate;
  callOptions?: LLMCallOptions;
  /** Send the prompt as one user chat message (for chat models). */
  asChat?: boolean;
  /** Called after each step, e.g. to print the trace as LangChain's verbose=True. */
  onStep?: (step: AgentStep) => void;
}

/** A ReAct agent with its executor loop (LangChain's create_react_agent + AgentExecutor). */
export class ReActAgent {
  readonly llm: LLM;
  readonly tools: Tool[];
  readonly maxIterations: number;
  readonly prompt: PromptTemplate;
  readonly callOptions?: LLMCallOptions;
  readonly asChat: boolean;
  readonly onStep?: (step: AgentStep) => void;

  constructor(opts: ReActAgentOptions) {
    if (!opts || typeof opts.llm !== "function") throw new TypeError("ReActAgent: needs { llm, tools }, llm a function (prompt, options) => text");
    if (!Array.isArray(opts.tools) || opts.tools.length === 0) throw new Error("ReActAgent: give at least one tool");
    const names = new Set<string>();
    opts.tools.forEach((t, i) => {
      if (!t || typeof t.name !== "string" || !t.name.trim() || typeof t.func !== "function") throw new TypeError(`ReActAgent: tool ${i} needs a name, a description and a func`);
      const key = t.name.toLowerCase();
      if (names.has(key)) throw new Error(`ReActAgent: two tools are named "${t.name}"`);
      names.add(key);
    });
    this.maxIterations = opts.maxIterations ?? 15;
    if (!Number.isInteger(this.maxIterations) || this.maxIterations < 1) throw new Error(`ReActAgent: maxIterations must be a positive integer (got ${opts.maxIterations})`);
    this.prompt = toPromptTemplate(opts.prompt ?? REACT_PROMPT);
    const missing = ["tools", "tool_names", "input", "agent_scratchpad"].filter((v) => !this.prompt.inputVariables.includes(v));
    if (missing.length) throw new Error(`ReActAgent: the prompt lacks {${missing.join("}, {")}}`);
    this.llm = opts.llm;
    this.tools = opts.tools;
    this.callOptions = opts.callOptions;
    this.asChat = opts.asChat === true;
    this.onStep = opts.onStep;
  }

  /** The tool the model meant: exact name, else the same name in another case; undefined if none. */
  findTool(name: string): Tool | undefined {
    return this.tools.find((t) => t.name === name) ?? this.tools.find((t) => t.name.toLowerCase() === name.toLowerCase());
  }

  async invoke(input: string | { input: string }): Promise<AgentResult> {
    const question = typeof input === "string" ? input : input?.input;
    if (typeof question !== "string" || !question.trim()) throw new Error("ReActAgent: the input question is empty");
    const steps: AgentStep[] = [];
    const toolNames = this.tools.map((t) => t.name).join(", ");
    const stop = [...REACT_STOP, ...(this.callOptions?.stop ?? [])];
    const head = `Question: ${question}\nThought:`;
    for (let iteration = 1; iteration <= this.maxIterations; iteration++) {
      const scratchpad = formatScratchpad(steps);
      const prompt = this.prompt.format({ tools: renderToolDescriptions(this.tools), tool_names: toolNames, input: question, agent_scratchpad: scratchpad });
      const text = await callLLM(this.llm, this.asChat ? [{ role: "user", content: prompt }] : prompt, { ...this.callOptions, stop });
      const parsed = parseReActOutput(text);
      if (parsed.type === "finish") {
        return { input: question, output: parsed.output, stoppedBy: "final_answer", iterations: iteration, steps, transcript: head + scratchpad + text };
      }
      let step: AgentStep;
      if (parsed.type === "error") {
        step = { iteration, log: text, thought: "", tool: null, toolInput: null, observation: parsed.observation, kind: "parse_error" };
      } else {
        const tool = this.findTool(parsed.tool);
        const base = { iteration, log: text, thought: parsed.thought, tool: parsed.tool, toolInput: parsed.toolInput };
        if (!tool) {
          step = { ...base, kind: "invalid_tool", observation: `${parsed.tool} is not a valid tool, try one of [${toolNames}].` };
        } else {
          try {
            step = { ...base, kind: "tool", observation: String(await tool.func(parsed.toolInput)) };
          } catch (err) {
            step = { ...base, kind: "tool_error", observation: `Error: ${err instanceof Error ? err.message : String(err)}` };
          }
        }
      }
      steps.push(step);
      this.onStep?.(step);
    }
    return {
      input: question,
      output: AGENT_STOPPED_MESSAGE,
      stoppedBy: "max_iterations",
      iterations: this.maxIterations,
      steps,
      transcript: head + formatScratchpad(steps) + AGENT_STOPPED_MESSAGE,
    };
  }
}
