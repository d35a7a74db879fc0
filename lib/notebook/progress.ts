/**
 * A tqdm-like progress bar for training loops and batch jobs.
 *
 * Three ways to draw, picked automatically (mode "auto"):
 *   notebook  one output in the cell, replaced in place (update_display_data), so a
 *             10,000-step loop leaves one line, not 10,000
 *   tty       one line on stderr redrawn with \r, at most ~10 times a second
 *   log       stderr is a file or CI log: a full line at each new 10 % (not more than one
 *             a second) or after `logIntervalMs` without one, and a final line on close
 * HOLLM_PROGRESS=off|log|tty overrides the automatic choice (e.g. quiet test runs).
 */
import type { WriteDisplayData } from "./env";
import { displayBundle, notebookWriter } from "./env";

export type ProgressMode = "auto" | "notebook" | "tty" | "log" | "off";

/** Anything with write(); `isTTY`/`columns` as on process.stderr. */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressOptions {
  /** Number of steps, if known (enables %, bar and ETA). */
  total?: number;
  /** Label in front of the bar. */
  desc?: string;
  /** Unit name in the rate, default "it" (36.5it/s). */
  unit?: string;
  mode?: ProgressMode;
  /** Where tty/log output goes (default process.stderr). */
  stream?: ProgressStream;
  /** Least time between redraws in tty/notebook mode (default 100 ms). */
  minIntervalMs?: number;
  /** Log mode: longest silence before a line is printed anyway (default 10 s). */
  logIntervalMs?: number;
  /** Clock in ms (tests pass a fake one). */
  now?: () => number;
}

/** 75 -> "01:15", 3725 -> "1:02:05". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (x: number) => String(x).padStart(2, "0");
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${pad(m)}:${pad(s % 60)}`;
}

/** Postfix values: integers as they are, other numbers with 4 significant digits. */
function formatValue(v: unknown): string {
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : v.toPrecision(4);
  return String(v);
}

const BLOCKS = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];

/** A bar of `width` cells with eighth-block resolution, like tqdm's. */
function drawBar(fraction: number, width: number): string {
  const eighths = Math.round(Math.min(1, Math.max(0, fraction)) * width * 8);
  const full = Math.floor(eighths / 8);
  const part = BLOCKS[eighths % 8];
  return ("█".repeat(full) + part).padEnd(width, " ");
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

let displayCounter = 0;

export class ProgressBar {
  readonly total?: number;
  readonly desc: string;
  readonly unit: string;
  /** Steps done so far. */
  n = 0;
  private postfix = "";
  private closed = false;
  private readonly mode: Exclude<ProgressMode, "auto">;
  private readonly stream: ProgressStream;
  private readonly now: () => number;
  private readonly minIntervalMs: number;
  private readonly logIntervalMs: number;
  private readonly start: number;
  private lastDraw = -Infinity;
  private lastLog: number;
  private lastLogLine = "";
  private lastDecile = 0;
  private readonly writer: WriteDisplayData | null = null;
  private readonly displayId: string = "";

  constructor(options: ProgressOptions = {}) {
    this.total = options.total != null && options.total > 0 ? options.total : undefined;
    this.desc = options.desc ?? "";
    this.unit = options.unit ?? "it";
    this.stream = options.stream ?? process.stderr;
    this.now = options.now ?? Date.now;
    this.minIntervalMs = options.minIntervalMs ?? 100;
    this.logIntervalMs = options.logIntervalMs ?? 10_000;
    this.start = this.now();
    this.lastLog = this.start;
    this.mode = this.pickMode(options.mode ?? "auto");
    if (this.mode === "notebook") {
      // Keep this cell's writer: later updates may run while another cell executes.
      this.writer = notebookWriter();
      this.displayId = `hollm-progress-${process.pid}-${++displayCounter}`;
      this.draw(false);
    }
  }

  private pickMode(mode: ProgressMode): Exclude<ProgressMode, "auto"> {
    if (mode !== "auto") return mode === "notebook" && !notebookWriter() ? "log" : mode;
    const forced = process.env.HOLLM_PROGRESS;
    if (forced === "off" || forced === "log" || forced === "tty") return forced;
    if (notebookWriter()) return "notebook";
    return this.stream.isTTY ? "tty" : "log";
  }

  /** Mark `k` more steps done. */
  update(k = 1): void {
    if (this.closed) return;
    this.n += k;
    this.refresh(false);
  }

  /** Values shown after the rate, e.g. setPostfix({loss: 1.234, lr: 3e-4}). */
  setPostfix(values: Record<string, unknown>): void {
    this.postfix = Object.entries(values)
      .map(([key, value]) => `${key}=${formatValue(value)}`)
      .join(", ");
    if (!this.closed) this.refresh(false);
  }

  /** Draw the final state and stop. Safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.refresh(true);
    this.closed = true;
  }

  /** Seconds since the bar was created. */
  get elapsed(): number {
    return (this.now() - this.start) / 1000;
  }

  /** The pieces every view shows: counts and "[elapsed<eta, rate, postfix]". */
  private stats(): { fraction: number | null; counts: string; timing: string } {
    const elapsed = this.elapsed;
    const rate = elapsed > 0 ? this.n / elapsed : 0;
    const rateText =
      rate === 0 ? `?${this.unit}/s` : rate >= 1 ? `${rate.toFixed(2)}${this.unit}/s` : `${(1 / rate).toFixed(2)}s/${this.unit}`;
    const tail = this.postfix ? `, ${this.postfix}` : "";
    if (this.total == null) {
      return { fraction: null, counts: `${this.n}${this.unit}`, timing: `[${formatDuration(elapsed)}, ${rateText}${tail}]` };
    }
    const eta = rate > 0 ? (this.total - this.n) / rate : NaN;
    return {
      fraction: Math.min(1, this.n / this.total),
      counts: `${this.n}/${this.total}`,
      timing: `[${formatDuration(elapsed)}<${formatDuration(eta)}, ${rateText}${tail}]`,
    };
  }

  /** The bar as one line of text (what tty and log modes print). */
  format(): string {
    const { fraction, counts, timing } = this.stats();
    const label = this.desc ? `${this.desc}: ` : "";
    if (fraction == null) return `${label}${counts} ${timing}`;
    const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
    return `${label}${percent}|${drawBar(fraction, 25)}| ${counts} ${timing}`;
  }

  /** The same as format(), with a CSS bar for frontends that render HTML. */
  formatHtml(): string {
    const { fraction, counts, timing } = this.stats();
    const label = this.desc ? `${escapeHtml(this.desc)} ` : "";
    const bar =
      fraction == null
        ? ""
        : `<span style="display:inline-block;width:200px;height:0.8em;background:#e6e6e6;vertical-align:middle">` +
          `<span style="display:block;height:100%;width:${(100 * fraction).toFixed(1)}%;background:#4c78a8"></span></span> ` +
          `${Math.floor(100 * fraction)}% `;
    return `<div style="font-family:monospace;white-space:pre">${label}${bar}${escapeHtml(`${counts} ${timing}`)}</div>`;
  }

  private refresh(final: boolean): void {
    const t = this.now();
    switch (this.mode) {
      case "off":
        return;
      case "tty":
        if (final || t - this.lastDraw >= this.minIntervalMs) {
          this.lastDraw = t;
          let line = this.format();
          if (this.stream.columns) line = line.slice(0, this.stream.columns - 1);
          // \r back to column 0, \x1b[K erases what a longer previous line left behind.
          this.stream.write(`\r${line}\x1b[K${final ? "\n" : ""}`);
        }
        return;
      case "log":
        this.logLine(t, final);
        return;
      case "notebook":
        if (final || t - this.lastDraw >= this.minIntervalMs) {
          this.lastDraw = t;
          this.draw(true);
        }
        return;
    }
  }

  private logLine(t: number, final: boolean): void {
    const decile = this.total ? Math.floor((10 * this.n) / this.total) : 0;
    const newDecile = decile > this.lastDecile && t - this.lastLog >= 1000;
    if (!final && !newDecile && t - this.lastLog < this.logIntervalMs) return;
    const line = this.format();
    if (final && line === this.lastLogLine) return;
    this.lastLog = t;
    this.lastDecile = decile;
    this.lastLogLine = line;
    this.stream.write(`${line}\n`);
  }

  /** Send (update = false) or replace (update = true) the notebook output. */
  private draw(update: boolean): void {
    displayBundle(
      { data: { "text/plain": this.format(), "text/html": this.formatHtml() }, metadata: {} },
      { writer: this.writer, displayId: this.displayId, update },
    );
  }
}

/** An iterable that advances its progress bar as the loop goes; `.bar` is the bar. */
export class Tqdm<T> implements Iterable<T>, AsyncIterable<T> {
  readonly bar: ProgressBar;

  constructor(private readonly items: Iterable<T> | AsyncIterable<T>, options: ProgressOptions = {}) {
    this.bar = new ProgressBar({ total: options.total ?? sizeOf(items), ...options });
  }

  *[Symbol.iterator](): Iterator<T> {
    const items = this.items as Iterable<T>;
    if (typeof items[Symbol.iterator] !== "function") throw new TypeError("tqdm: use `for await` on an async iterable");
    try {
      for (const item of items) {
        yield item;
        this.bar.update(1); // counted when the loop body is done, like tqdm
      }
    } finally {
      this.bar.close(); // also on break/throw: the generator's finally runs
    }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    try {
      for await (const item of this.items) {
        yield item;
        this.bar.update(1);
      }
    } finally {
      this.bar.close();
    }
  }
}

/** Length of an array, string, Set or Map; undefined for other iterables. */
function sizeOf(items: unknown): number | undefined {
  const o = items as { length?: unknown; size?: unknown };
  if (typeof o.length === "number") return o.length;
  if (typeof o.size === "number") return o.size;
  return undefined;
}

/** `for (const batch of tqdm(batches, {desc: "train"})) { ... }` */
export function tqdm<T>(items: Iterable<T> | AsyncIterable<T>, options: ProgressOptions = {}): Tqdm<T> {
  return new Tqdm(items, options);
}
