/**
 * Chapter 6, reasoning with generative models: chain-of-thought prompts (few-shot and the zero-shot
 * "Let's think step-by-step."), self-consistency (sample several reasoned answers, take the majority),
 * and tree-of-thought, both as the book's one-prompt "three experts" version and as the breadth-first
 * search of Yao et al. (2023) with model-backed propose / evaluate callbacks.
 */
import type { ChatMessage } from "../tokenizers/hf";
import { LLM, LLMCallOptions, LLMInput, callLLM } from "./templates";

// ----- chain-of-thought ----------------------------------------------------------------------------------------

/** Kojima et al.'s zero-shot chain-of-thought trigger, as the book writes it. */
export const ZERO_SHOT_COT_TRIGGER = "Let's think step-by-step.";

/** A worked example for few-shot chain-of-thought: the answer spells out its reasoning. */
export interface ReasoningExample {
  question: string;
  /** The reasoning and the answer, e.g. "Roger started with 5 balls. … The answer is 11." */
  answer: string;
}

/**
 * A chain-of-thought prompt as chat turns. With examples: each worked example as a user / assistant
 * pair, then the question (the book's tennis-balls example). Without: the question followed by the
 * zero-shot trigger (`trigger: false` leaves it out, to compare).
 */
export function chainOfThoughtMessages(question: string, opts: { examples?: ReasoningExample[]; trigger?: string | false } = {}): ChatMessage[] {
  if (typeof question !== "string" || !question.trim()) throw new Error("chainOfThoughtMessages: the question is empty");
  const examples = opts.examples ?? [];
  const messages: ChatMessage[] = [];
  for (const ex of examples) messages.push({ role: "user", content: ex.question }, { role: "assistant", content: ex.answer });
  const trigger = opts.trigger === undefined ? (examples.length === 0 ? ZERO_SHOT_COT_TRIGGER : false) : opts.trigger;
  messages.push({ role: "user", content: trigger ? `${question} ${trigger}` : question });
  return messages;
}

/** The book's single-prompt tree-of-thought: several "experts" reason step by step and drop out when wrong. */
export function treeOfThoughtPrompt(question: string, opts: { experts?: number } = {}): string {
  const experts = opts.experts ?? 3;
  if (!Number.isInteger(experts) || experts < 2) throw new Error(`treeOfThoughtPrompt: experts must be an integer >= 2 (got ${experts})`);
  const words = ["two", "three", "four", "five", "six"];
  const count = words[experts - 2] ?? String(experts);
  return (
    `Imagine ${count} different experts are answering this question. All experts will write down 1 step of their thinking, ` +
    `then share it with the group. Then all experts will go on to the next step, etc. If any expert realizes they're wrong ` +
    `at any point then they leave. The question is '${question}' Make sure to discuss the results.`
  );
}

// ----- answers and self-consistency -------------------------------------------------------------------------------

const NUMBER = /-?\d[\d,]*(?:\.\d+)?|-?\.\d+/g;

function canonicalNumber(raw: string): string {
  const n = Number(raw.replace(/,/g, ""));
  return Number.isFinite(n) ? String(n) : raw;
}

/**
 * The final answer of a reasoned completion: the phrase after the last "the answer is" or "Final
 * Answer:" (its first number if it has one, else the phrase lower-cased without end punctuation),
 * else the last number in the text, else null. Numbers are canonical ("1,000.50" -> "1000.5").
 */
export function extractFinalAnswer(text: string): string | null {
  const markers = [...text.matchAll(/the answer is|final answer\s*:|answer\s*:/gi)];
  if (markers.length > 0) {
    const last = markers[markers.length - 1];
    const phrase = text.slice(last.index! + last[0].length).split("\n")[0].trim();
    const numbers = phrase.match(NUMBER);
    if (numbers) return canonicalNumber(numbers[0]);
    const cleaned = phrase.replace(/[\s.!?,;:"'*]+$/, "").replace(/^["'*\s]+/, "").toLowerCase();
    if (cleaned) return cleaned;
  }
  const numbers = text.match(NUMBER);
  return numbers ? canonicalNumber(numbers[numbers.length - 1]) : null;
}

export interface SelfConsistencyResult {
  /** The majority answer (ties go to the answer seen first); null when no sample had an answer. */
  answer: string | null;
  /** Every distinct answer with its count, most votes first. */
  votes: Array<{ answer: string; count: number }>;
  /** Votes of the winner over the samples that gave an answer (0 when none did). */
  agreement: number;
  completions: string[];
  /** Each completion's extracted answer (null when none could be read). */
  answers: Array<string | null>;
}

/**
 * Self-consistency (Wang et al., 2022): sample `samples` reasoned completions of the same prompt
 * (sampling on, a different seed each) and return the majority answer with the vote counts.
 */
export async function selfConsistency(
  llm: LLM,
  prompt: LLMInput,
  opts: { samples?: number; extractAnswer?: (completion: string) => string | null; callOptions?: LLMCallOptions; seed?: number } = {},
): Promise<SelfConsistencyResult> {
  const samples = opts.samples ?? 5;
  if (!Number.isInteger(samples) || samples < 1) throw new Error(`selfConsistency: samples must be a positive integer (got ${samples})`);
  const extract = opts.extractAnswer ?? extractFinalAnswer;
  const baseSeed = opts.seed ?? opts.callOptions?.seed ?? 0;
  const completions: string[] = [];
  const answers: Array<string | null> = [];
  const counts = new Map<string, number>();
  for (let i = 0; i < samples; i++) {
    // Sampling must be on and the seed must move, or a seeded local model repeats one answer n times.
    const completion = await callLLM(llm, prompt, { doSample: true, temperature: 0.7, ...opts.callOptions, seed: baseSeed + i });
    completions.push(completion);
    const answer = extract(completion);
    answers.push(answer);
    if (answer !== null && answer !== undefined) counts.set(answer, (counts.get(answer) ?? 0) + 1);
  }
  // Map iteration keeps first-seen order, and the sort is stable: ties go to the earlier answer.
  const votes = [...counts.entries()].map(([answer, count]) => ({ answer, count })).sort((a, b) => b.count - a.count);
  const valid = answers.filter((a) => a !== null && a !== undefined).length;
  return {
    answer: votes.length ? votes[0].answer : null,
    votes,
    agreement: votes.length ? votes[0].count / valid : 0,
    completions,
    answers,
  };
}

// ----- tree-of-thought search ---------------------------------------------------------------------------------------

/** A state reached by the search, with its score and the state it came from. */
export interface ThoughtNode<S> {
  state: S;
  score: number;
  depth: number;
  parent: ThoughtNode<S> | null;
}

export interface TreeOfThoughtOptions<S> {
  /** The starting state (e.g. the problem with no thoughts yet). */
  root: S;
  /** Candidate next states of a state (the "thought generator"); `depth` is the new states' level (1-based). */
  propose: (state: S, depth: number) => S[] | Promise<S[]>;
  /** A value for a state, higher is better (the "state evaluator"). */
  evaluate: (state: S, depth: number) => number | Promise<number>;
  /** States kept per level (the beam, b in the paper). */
  breadth: number;
  /** Levels of thoughts to expand (T in the paper). */
  depth: number;
  /** Stops early when a kept state is a solution. */
  isSolution?: (state: S) => boolean;
  /** Identifies equal states so each is evaluated once per level. */
  key?: (state: S) => string;
}

export interface TreeOfThoughtResult<S> {
  /** The best state of the last level reached (or the first solution found). */
  best: ThoughtNode<S>;
  /** The states from the root to `best`. */
  path: S[];
  /** Every level's candidates with their scores and whether the beam kept them. */
  levels: Array<Array<{ state: S; score: number; kept: boolean }>>;
  evaluations: number;
  stoppedBy: "depth" | "solution" | "no_proposals";
}

/**
 * Tree-of-thought as breadth-first search (ToT-BFS): at each level every kept state proposes next
 * states, each candidate is evaluated, and the `breadth` best are kept; after `depth` levels the best
 * kept state wins. Generic: states can be strings, lists of thoughts or puzzle positions.
 */
export async function treeOfThought<S>(opts: TreeOfThoughtOptions<S>): Promise<TreeOfThoughtResult<S>> {
  const { breadth, depth } = opts;
  if (!Number.isInteger(breadth) || breadth < 1) throw new Error(`treeOfThought: breadth must be a positive integer (got ${breadth})`);
  if (!Number.isInteger(depth) || depth < 1) throw new Error(`treeOfThought: depth must be a positive integer (got ${depth})`);
  if (typeof opts.propose !== "function" || typeof opts.evaluate !== "function") throw new TypeError("treeOfThought: propose and evaluate must be functions");
  const root: ThoughtNode<S> = { state: opts.root, score: -Infinity, depth: 0, parent: null };
  let frontier: ThoughtNode<S>[] = [root];
  const levels: TreeOfThoughtResult<S>["levels"] = [];
  let evaluations = 0;
  let stoppedBy: TreeOfThoughtResult<S>["stoppedBy"] = "depth";
  for (let level = 1; level <= depth; level++) {
    const candidates: ThoughtNode<S>[] = [];
    const seen = new Set<string>();
    for (const node of frontier) {
      const proposals = await opts.propose(node.state, level);
      if (!Array.isArray(proposals)) throw new TypeError(`treeOfThought: propose must return a list of states (level ${level})`);
      for (const state of proposals) {
        if (opts.key) {
          const k = opts.key(state);
          if (seen.has(k)) continue;
          seen.add(k);
        }
        const score = await opts.evaluate(state, level);
        evaluations++;
        if (typeof score !== "number" || Number.isNaN(score)) throw new TypeError(`treeOfThought: evaluate returned ${String(score)}, not a number (level ${level})`);
        candidates.push({ state, score, depth: level, parent: node });
      }
    }
    if (candidates.length === 0) {
      stoppedBy = "no_proposals";
      break;
    }
    // Stable sort: equal scores keep proposal order, so runs are reproducible.
    const ranked = candidates.map((c, i) => ({ c, i })).sort((a, b) => b.c.score - a.c.score || a.i - b.i);
    const kept = new Set(ranked.slice(0, breadth).map((r) => r.i));
    levels.push(candidates.map((c, i) => ({ state: c.state, score: c.score, kept: kept.has(i) })));
    frontier = ranked.slice(0, breadth).map((r) => r.c);
    if (opts.isSolution) {
      const solved = frontier.find((n) => opts.isSolution!(n.state));
      if (solved) {
        frontier = [solved];
        stoppedBy = "solution";
        break;
      }
    }
  }
  const best = frontier[0];
  const path: S[] = [];
  for (let n: ThoughtNode<S> | null = best; n; n = n.parent) path.unshift(n.state);
  return { best, path, levels, evaluations, stoppedBy };
}

/** Splits a model's list of proposals into thoughts: one per non-empty line, list markers removed. */
export function splitThoughts(text: string): string[] {
  return text
    .split("\n")
    .map((line) => line.replace(/^\s*(?:[-*•]|\d+[.)]|step\s*\d+\s*:)\s*/i, "").trim())
    .filter((line) => line.length > 0);
}

/** A `propose` callback backed by a model: prompt it with the state, split its answer into thoughts, extend the state with each. */
export function proposeWithLLM<S>(
  llm: LLM,
  opts: {
    prompt: (state: S, depth: number) => LLMInput;
    extend: (state: S, thought: string) => S;
    parse?: (completion: string) => string[];
    /** At most this many thoughts per state. */
    maxProposals?: number;
    callOptions?: LLMCallOptions;
  },
): (state: S, depth: number) => Promise<S[]> {
  const parse = opts.parse ?? splitThoughts;
  return async (state, depth) => {
    const thoughts = parse(await callLLM(llm, opts.prompt(state, depth), opts.callOptions));
    const limited = opts.maxProposals === undefined ? thoughts : thoughts.slice(0, opts.maxProposals);
    return limited.map((t) => opts.extend(state, t));
  };
}

/**
 * The ToT paper's value words (Game of 24): "sure" 20, "likely" 1, "impossible" 0.001; otherwise the
 * first number in the text; 0 when there is neither.
 */
export function parseValueJudgement(text: string): number {
  const lower = text.toLowerCase();
  const words: Array<[string, number]> = [["impossible", 0.001], ["sure", 20], ["likely", 1]];
  let best: { at: number; value: number } | null = null;
  for (const [word, value] of words) {
    const at = lower.lastIndexOf(word);
    if (at >= 0 && (best === null || at > best.at)) best = { at, value };
  }
  if (best) return best.value;
  const m = text.match(/-?\d+(?:\.\d+)?/);
  return m ? Number(m[0]) : 0;
}

/** An `evaluate` callback backed by a model: prompt it about the state and parse a value, summed over `samples` calls as the paper does. */
export function evaluateWithLLM<S>(
  llm: LLM,
  opts: { prompt: (state: S, depth: number) => LLMInput; parse?: (completion: string) => number; samples?: number; callOptions?: LLMCallOptions },
): (state: S, depth: number) => Promise<number> {
  const parse = opts.parse ?? parseValueJudgement;
  const samples = opts.samples ?? 1;
  if (!Number.isInteger(samples) || samples < 1) throw new Error(`evaluateWithLLM: samples must be a positive integer (got ${samples})`);
  return async (state, depth) => {
    let total = 0;
    for (let i = 0; i < samples; i++) {
      const options = samples > 1 ? { doSample: true, ...opts.callOptions, seed: (opts.callOptions?.seed ?? 0) + i } : opts.callOptions;
      total += parse(await callLLM(llm, opts.prompt(state, depth), options));
    }
    return total;
  };
}
