/**
 * Chapter 7, tools for agents: a `Tool` is a name, a description the model reads, and a function of
 * the model's text input (LangChain's `Tool(name, func, description)`). Here: a calculator with its own
 * arithmetic parser (never eval), a date tool, and a search tool over any local retriever.
 */

export interface Tool {
  /** What the model writes after "Action:". */
  name: string;
  /** What the model reads in the prompt to decide when to use it. */
  description: string;
  /** Runs the tool on the model's "Action Input"; a thrown error becomes the observation. */
  func: (input: string) => string | Promise<string>;
}

// ----- arithmetic ---------------------------------------------------------------------------------------------------

type Token = { kind: "number"; value: number; at: number } | { kind: "op"; value: string; at: number } | { kind: "end"; at: number };

function tokenizeArithmetic(expression: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < expression.length) {
    const ch = expression[i];
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    const number = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(expression.slice(i));
    if (number) {
      tokens.push({ kind: "number", value: Number(number[0]), at: i });
      i += number[0].length;
      continue;
    }
    if (ch === "*" && expression[i + 1] === "*") {
      // Python's power operator, which models trained on code often write.
      tokens.push({ kind: "op", value: "^", at: i });
      i += 2;
      continue;
    }
    if ("+-*/^()".includes(ch)) {
      tokens.push({ kind: "op", value: ch, at: i });
      i++;
      continue;
    }
    throw new Error(`unexpected character ${JSON.stringify(ch)} at position ${i + 1} of ${JSON.stringify(expression)}`);
  }
  tokens.push({ kind: "end", at: expression.length });
  return tokens;
}

/**
 * Evaluates an arithmetic expression: numbers (decimals, 1e3), + - * / ^ (or **), parentheses and
 * unary minus, with the usual precedence: ^ binds tightest and is right-associative, and -2^2 = -4 as
 * in Python and maths. A recursive-descent parser: nothing is ever handed to eval or Function.
 * Throws on bad syntax, division by zero and non-finite results.
 */
export function evaluateArithmetic(expression: string): number {
  if (typeof expression !== "string") throw new TypeError("evaluateArithmetic: the expression must be a string");
  if (!expression.trim()) throw new Error("evaluateArithmetic: the expression is empty");
  const tokens = tokenizeArithmetic(expression);
  let pos = 0;
  const peek = () => tokens[pos];
  const describe = (t: Token) => (t.kind === "end" ? "the end of the expression" : `${JSON.stringify(String(t.value))} at position ${t.at + 1}`);
  const isOp = (t: Token, ops: string) => t.kind === "op" && ops.includes(t.value);

  // expression := term (("+" | "-") term)*
  function parseExpression(): number {
    let value = parseTerm();
    while (isOp(peek(), "+-")) {
      const op = (tokens[pos++] as { value: string }).value;
      const right = parseTerm();
      value = op === "+" ? value + right : value - right;
    }
    return value;
  }
  // term := unary (("*" | "/") unary)*
  function parseTerm(): number {
    let value = parseUnary();
    while (isOp(peek(), "*/")) {
      const opToken = tokens[pos++];
      const right = parseUnary();
      if (opToken.kind === "op" && opToken.value === "/") {
        if (right === 0) throw new Error(`division by zero at position ${opToken.at + 1}`);
        value = value / right;
      } else value = value * right;
    }
    return value;
  }
  // unary := ("-" | "+") unary | power
  function parseUnary(): number {
    if (isOp(peek(), "+-")) {
      const op = (tokens[pos++] as { value: string }).value;
      const operand = parseUnary();
      return op === "-" ? -operand : operand;
    }
    return parsePower();
  }
  // power := primary ("^" unary)?   (right-associative; the exponent may carry its own sign)
  function parsePower(): number {
    const base = parsePrimary();
    if (isOp(peek(), "^")) {
      const opToken = tokens[pos++];
      const exponent = parseUnary();
      if (base === 0 && exponent < 0) throw new Error(`division by zero: 0 raised to a negative power at position ${opToken.at + 1}`);
      return Math.pow(base, exponent);
    }
    return base;
  }
  // primary := number | "(" expression ")"
  function parsePrimary(): number {
    const t = peek();
    if (t.kind === "number") {
      pos++;
      return t.value;
    }
    if (isOp(t, "(")) {
      pos++;
      const value = parseExpression();
      const close = peek();
      if (!isOp(close, ")")) throw new Error(`expected ")" to close the "(" at position ${t.at + 1}, found ${describe(close)}`);
      pos++;
      return value;
    }
    throw new Error(`expected a number or "(", found ${describe(t)}`);
  }

  const value = parseExpression();
  if (peek().kind !== "end") throw new Error(`unexpected ${describe(peek())}`);
  if (Number.isNaN(value)) throw new Error("the result is not a number (e.g. a fractional power of a negative number)");
  if (!Number.isFinite(value)) throw new Error(`the result is too large (${value})`);
  return value;
}

/** A number as a model should read it: at most 12 significant digits, so 0.1 + 0.2 prints 0.3. */
export function formatNumber(value: number): string {
  return String(Number(value.toPrecision(12)));
}

/**
 * The calculator tool (LangChain's "Calculator", which the book loads as llm-math): input an
 * arithmetic expression, observation its value. Bad input throws, and the agent shows the message.
 */
export function calculatorTool(opts: { name?: string; description?: string } = {}): Tool {
  return {
    name: opts.name ?? "Calculator",
    description:
      opts.description ??
      "Useful for when you need to answer questions about math. Input: one arithmetic expression using numbers, + - * / ^ and parentheses, e.g. 1299 * 0.85",
    func: (input) => {
      // Models like to wrap the expression in quotes or backticks, or end with "= ?".
      const cleaned = input.trim().replace(/^[`"']+|[`"']+$/g, "").replace(/=\s*\??\s*$/, "");
      return formatNumber(evaluateArithmetic(cleaned));
    },
  };
}

// ----- dates ----------------------------------------------------------------------------------------------------------

/** Parses "YYYY-MM-DD" as a calendar day (UTC midnight), rejecting days that do not exist. */
export function parseIsoDate(text: string): Date {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text.trim());
  if (!m) throw new Error(`not a date in YYYY-MM-DD form: ${JSON.stringify(text)}`);
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
    throw new Error(`no such day: ${text.trim()}`);
  }
  return date;
}

function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** Whole days from `from` to `to` ("YYYY-MM-DD"); negative when `to` is earlier. Counted in UTC, so no DST hour. */
export function daysBetween(from: string, to: string): number {
  return Math.round((parseIsoDate(to).getTime() - parseIsoDate(from).getTime()) / 86_400_000);
}

const WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

/**
 * A date tool. Input with no date (e.g. "today"): today's date and weekday. One date: days from
 * today until it. Two dates: days from the first to the second. `now` makes it testable.
 */
export function dateTool(opts: { name?: string; now?: () => Date } = {}): Tool {
  const now = opts.now ?? (() => new Date());
  return {
    name: opts.name ?? "Date",
    description:
      "Useful for questions about dates. Input 'today' for today's date; one date (YYYY-MM-DD) for the days from today until it; " +
      "two dates for the days between them, e.g. '2024-01-01, 2024-03-01'",
    func: (input) => {
      const current = now();
      // The local calendar day, which is what "today" means to the user.
      const today = `${current.getFullYear()}-${String(current.getMonth() + 1).padStart(2, "0")}-${String(current.getDate()).padStart(2, "0")}`;
      const dates = input.match(/\d{4}-\d{2}-\d{2}/g) ?? [];
      if (dates.length === 0) return `${today} (${WEEKDAYS[parseIsoDate(today).getUTCDay()]})`;
      if (dates.length === 1) return `${daysBetween(today, dates[0])} days from today (${today}) to ${isoDay(parseIsoDate(dates[0]))}`;
      if (dates.length === 2) return `${daysBetween(dates[0], dates[1])} days from ${dates[0]} to ${dates[1]}`;
      throw new Error(`give at most two dates (got ${dates.length})`);
    },
  };
}

// ----- search ---------------------------------------------------------------------------------------------------------

/** A passage from a retriever: its text, or an object holding it. */
export type SearchPassage = string | { text: string; score?: number; title?: string };
/** Any retriever: BM25, embeddings, a keyword filter… */
export type SearchFunction = (query: string, k: number) => SearchPassage[] | Promise<SearchPassage[]>;

/**
 * A search tool over a local corpus (the offline stand-in for the book's DuckDuckGo search): it asks
 * `search` for the top `k` passages and shows them numbered.
 */
export function searchTool(search: SearchFunction, opts: { name?: string; description?: string; k?: number; maxChars?: number } = {}): Tool {
  if (typeof search !== "function") throw new TypeError("searchTool: search must be a function (query, k) => passages");
  const k = opts.k ?? 3;
  if (!Number.isInteger(k) || k < 1) throw new Error(`searchTool: k must be a positive integer (got ${k})`);
  const maxChars = opts.maxChars ?? 500;
  return {
    name: opts.name ?? "Search",
    description: opts.description ?? "Useful for when you need to look up facts. Input: a search query",
    func: async (input) => {
      const query = input.trim().replace(/^["']+|["']+$/g, "");
      if (!query) throw new Error("the search query is empty");
      const passages = await search(query, k);
      if (!Array.isArray(passages)) throw new TypeError("the search function must return a list of passages");
      if (passages.length === 0) return "No results found.";
      return passages
        .slice(0, k)
        .map((p, i) => {
          const text = typeof p === "string" ? p : p.title ? `${p.title}: ${p.text}` : p.text;
          const clipped = text.length > maxChars ? `${text.slice(0, maxChars)}…` : text;
          return `[${i + 1}] ${clipped.replace(/\s+/g, " ").trim()}`;
        })
        .join("\n");
    },
  };
}
