/**
 * Retrieval-augmented generation helpers (chapter 8): a grounded prompt with numbered sources, the
 * citations an answer makes, and a cheap faithfulness check.
 *
 * `faithfulness` is a lexical HEURISTIC, not a judge: an answer sentence counts as supported when enough
 * of its content words (lowercased word tokens that are not stop words or numbers-in-brackets) occur in
 * the passages that sentence cites. It catches answers that cite nothing, cite the wrong source or bring in
 * words found in no source; it cannot see paraphrase, negation ("is" vs "is not" share content words) or
 * wrong numbers that happen to appear elsewhere in the passage. An LLM or NLI judge (RAGAS-style) is the
 * stronger check.
 */
import { splitSentences } from "../data/datasets";
import { ENGLISH_STOP_WORDS } from "../classification/stop-words";

/** A passage given to the prompt: its text, optionally a title shown before it. */
export type Passage = string | { text: string; title?: string };

export const DEFAULT_GROUNDED_INSTRUCTION =
  "Answer the question using only the sources below. Cite the sources you use with their numbers in square " +
  "brackets, like [1] or [2][3], after each sentence that uses them. If the sources do not contain the answer, " +
  'say "I don\'t know."';

export interface GroundedPromptOptions {
  /** What the model is told to do (default DEFAULT_GROUNDED_INSTRUCTION). */
  instruction?: string;
}

function passageText(p: Passage, i: number, who: string): { text: string; title?: string } {
  if (typeof p === "string") return { text: p };
  if (p && typeof p === "object" && typeof p.text === "string") return p;
  throw new Error(`${who}: passage ${i} must be a string or { text, title? }`);
}

/**
 * The prompt of a grounded answer: the instruction, the passages numbered from 1 ("[1] text", with
 * "[1] Title: text" when a title is given), then the question and "Answer:".
 */
export function buildGroundedPrompt(question: string, passages: readonly Passage[], opts: GroundedPromptOptions = {}): string {
  if (typeof question !== "string" || !question.trim()) throw new Error("buildGroundedPrompt: question must be a non-empty string");
  if (!Array.isArray(passages)) throw new Error("buildGroundedPrompt: passages must be an array");
  const sources = passages.map((p, i) => {
    const { text, title } = passageText(p, i, "buildGroundedPrompt");
    // One passage per line block: newlines inside are flattened so the numbering stays unambiguous.
    const body = text.replace(/\s+/g, " ").trim();
    return `[${i + 1}] ${title ? `${title}: ` : ""}${body}`;
  });
  return `${opts.instruction ?? DEFAULT_GROUNDED_INSTRUCTION}\n\nSources:\n${sources.length ? sources.join("\n") : "(none)"}\n\nQuestion: ${question.trim()}\nAnswer:`;
}

// [1], [1, 3], [1; 2], [2-4] (a range), [1][2].
const CITATION = /\[(\s*\d+(?:\s*[-–]\s*\d+)?(?:\s*[,;]\s*\d+(?:\s*[-–]\s*\d+)?)*\s*)\]/g;

/** The source numbers cited in a text, in order of first appearance, each once ([2-4] is 2, 3, 4). */
export function extractCitations(answer: string): number[] {
  if (typeof answer !== "string") throw new Error("extractCitations: answer must be a string");
  const out: number[] = [];
  const seen = new Set<number>();
  const add = (n: number): void => {
    if (!seen.has(n)) {
      seen.add(n);
      out.push(n);
    }
  };
  let m: RegExpExecArray | null;
  CITATION.lastIndex = 0;
  while ((m = CITATION.exec(answer)) !== null) {
    for (const part of m[1].split(/[,;]/)) {
      const range = part.trim().split(/\s*[-–]\s*/).map(Number);
      if (range.length === 2) {
        const [a, b] = range;
        // A reversed or huge range is more likely a typo than 1,000 citations: keep the ends only.
        if (b >= a && b - a <= 50) for (let n = a; n <= b; n++) add(n);
        else [a, b].forEach(add);
      } else add(range[0]);
    }
  }
  return out;
}

export interface FaithfulnessOptions {
  /** Share of a sentence's content words that must occur in its cited passages (default 0.5). */
  minSupport?: number;
  /**
   * A sentence with no citation of its own: "previous" (default) uses the citations of the nearest
   * earlier cited sentence (one citation often covers a short follow-up), "unsupported" counts it as
   * unsupported, "all" checks it against every passage.
   */
  uncited?: "previous" | "unsupported" | "all";
}

export interface SentenceSupport {
  sentence: string;
  /** The source numbers this sentence is checked against. */
  citations: number[];
  /** Citations that point at no passage (number 0 or above the passage count). */
  invalidCitations: number[];
  contentWords: string[];
  /** Content words found in the cited passages. */
  supportedWords: string[];
  /** supportedWords / contentWords. */
  support: number;
  supported: boolean;
}

export interface FaithfulnessResult {
  /** Supported sentences / checked sentences (sentences with content words); 1 when none is checked. */
  score: number;
  sentences: SentenceSupport[];
}

const STOP = new Set(ENGLISH_STOP_WORDS);

/** A crude English normaliser so "rivers" matches "river" and "capital's" matches "capital". */
function normalizeWord(w: string): string {
  let s = w.replace(/['’]s$/, "");
  if (s.length > 4 && s.endsWith("ies")) s = s.slice(0, -3) + "y";
  else if (s.length > 3 && s.endsWith("es") && /(s|x|z|ch|sh)es$/.test(s)) s = s.slice(0, -2);
  else if (s.length > 3 && s.endsWith("s") && !s.endsWith("ss")) s = s.slice(0, -1);
  return s;
}

/** Lowercased word tokens minus stop words, normalised; numbers are kept (a wrong number is a claim). */
function contentWords(text: string): string[] {
  const words = text.toLowerCase().replace(CITATION, " ").match(/[\p{L}\p{N}]+(?:['’][\p{L}]+)?/gu) ?? [];
  return words.filter((w) => !STOP.has(w) && !(w.length === 1 && /\p{L}/u.test(w))).map(normalizeWord);
}

/** The faithfulness heuristic described in the module notes, sentence by sentence. */
export function faithfulness(answer: string, passages: readonly Passage[], opts: FaithfulnessOptions = {}): FaithfulnessResult {
  if (typeof answer !== "string") throw new Error("faithfulness: answer must be a string");
  if (!Array.isArray(passages)) throw new Error("faithfulness: passages must be an array");
  const minSupport = opts.minSupport ?? 0.5;
  const uncited = opts.uncited ?? "previous";
  if (!(minSupport >= 0 && minSupport <= 1)) throw new Error(`faithfulness: minSupport must be in [0, 1], got ${minSupport}`);
  if (uncited !== "previous" && uncited !== "unsupported" && uncited !== "all") throw new Error(`faithfulness: uncited must be "previous", "unsupported" or "all", got "${uncited}"`);
  const vocab = passages.map((p, i) => new Set(contentWords(passageText(p, i, "faithfulness").text)));
  const all = passages.map((_, i) => i + 1);
  const sentences: SentenceSupport[] = [];
  let previous: number[] = [];
  // A citation after the full stop ("... France. [1] It ...") belongs to the sentence before it: move it
  // in front of the stop, so the sentence splitter keeps it there.
  const moved = answer.trim().replace(/([.!?]+)\s*((?:\[\s*\d[^\]]*\]\s*)+)/g, (_m, stop: string, cites: string) => ` ${cites.trim()}${stop} `);
  const parts = splitSentences(moved.trim());
  // The splitter still cuts before a citation that follows a closing bracket or quote ("(2011 est.) [1].",
  // '"yes." [2]'): a part that starts with citations gives them back to the part before it.
  for (let i = 1; i < parts.length; i++) {
    const lead = /^((?:\[\s*\d[^\]]*\]\s*)+)/.exec(parts[i]);
    if (!lead) continue;
    parts[i - 1] = `${parts[i - 1]} ${lead[1].trim()}`;
    parts[i] = parts[i].slice(lead[1].length);
  }
  for (const sentence of parts) {
    const words = contentWords(sentence);
    if (words.length === 0) continue;
    let cited = extractCitations(sentence);
    if (cited.length === 0) cited = uncited === "previous" ? previous : uncited === "all" ? all : [];
    else previous = cited;
    const valid = cited.filter((n) => n >= 1 && n <= passages.length);
    const supportedWords = words.filter((w) => valid.some((n) => vocab[n - 1].has(w)));
    const support = supportedWords.length / words.length;
    sentences.push({
      sentence,
      citations: cited,
      invalidCitations: cited.filter((n) => !(n >= 1 && n <= passages.length)),
      contentWords: words,
      supportedWords,
      support,
      supported: valid.length > 0 && support >= minSupport,
    });
  }
  const score = sentences.length ? sentences.filter((s) => s.supported).length / sentences.length : 1;
  return { score, sentences };
}
