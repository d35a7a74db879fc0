/**
 * Entity-level metrics for sequence labelling, as Python's `seqeval` (its default, non-strict mode) and the
 * `evaluate` library's "seqeval" metric that the book's NER fine-tuning reports:
 *
 *   getEntities(["B-PER", "I-PER", "O", "B-LOC"])   // [["PER", 0, 1], ["LOC", 3, 3]]
 *   f1Score(yTrue, yPred)                           // micro F1 over entities (exact type and span)
 *   classificationReport(yTrue, yPred)              // seqeval's text report (or { outputDict: true })
 *   seqevalCompute({ predictions, references })     // evaluate.load("seqeval").compute(...)
 *
 * Tags are IOB2 by default ("B-PER", "I-PER", "O"); IOBES' E-/S- are understood too, and `suffix: true`
 * reads "PER-B" style tags. As in seqeval's default mode an I- tag without a B- before it starts an entity,
 * and an entity ends where the type changes. Sentences are joined with an "O" between them, so an entity
 * never spans two sentences. The names mirror seqeval's functions in camelCase; they clash with the
 * token-level ones in lib/classification/metrics.ts, so import this module as a namespace.
 */
import { formatFixed, type ZeroDivision } from "../classification/metrics";

/** One entity: [type, first token, last token] (inclusive), positions in the sentences joined as seqeval joins them. */
export type Entity = [type: string, start: number, end: number];

export interface SeqevalOptions {
  /** Tags are written "PER-B" rather than "B-PER" (seqeval's `suffix`). Default false. */
  suffix?: boolean;
}

function checkSequences(yTrue: readonly (readonly string[])[], yPred: readonly (readonly string[])[], where: string): void {
  if (!Array.isArray(yTrue) || !Array.isArray(yPred)) throw new TypeError(`${where}: yTrue and yPred must be arrays of tag sequences`);
  if (yTrue.length !== yPred.length) throw new Error(`${where}: yTrue has ${yTrue.length} sequences but yPred has ${yPred.length}`);
  yTrue.forEach((t, i) => {
    const p = yPred[i];
    if (!Array.isArray(t) || !Array.isArray(p)) throw new TypeError(`${where}: sequence ${i} is not an array of tags (expected string[][], e.g. [["B-PER", "O"]])`);
    if (t.length !== p.length) throw new Error(`${where}: sequence ${i} has ${t.length} true tags but ${p.length} predicted tags`);
  });
}

function flatten(seq: readonly string[] | readonly (readonly string[])[]): string[] {
  if (seq.some((s) => Array.isArray(s))) {
    const out: string[] = [];
    for (const sentence of seq as readonly (readonly string[])[]) out.push(...sentence, "O");
    return out;
  }
  return seq.slice() as string[];
}

const NE_TAG_PARTS = new Set(["O", "B", "I", "E", "S"]);

function endOfChunk(prevTag: string, tag: string, prevType: string, type: string): boolean {
  if (prevTag === "E" || prevTag === "S") return true;
  if ((prevTag === "B" || prevTag === "I") && (tag === "B" || tag === "S" || tag === "O")) return true;
  return prevTag !== "O" && prevTag !== "." && prevType !== type;
}

function startOfChunk(prevTag: string, tag: string, prevType: string, type: string): boolean {
  if (tag === "B" || tag === "S") return true;
  if ((prevTag === "E" || prevTag === "S" || prevTag === "O") && (tag === "E" || tag === "I")) return true;
  return tag !== "O" && tag !== "." && prevType !== type;
}

/**
 * seqeval's `get_entities`: the chunks of a tag sequence (or of sentences, joined with an "O" between
 * them), in order of their end. Tags that are not O/B-/I-/E-/S- get a warning, as in seqeval, and are
 * read by their first character.
 */
export function getEntities(seq: readonly string[] | readonly (readonly string[])[], options: SeqevalOptions = {}): Entity[] {
  if (!Array.isArray(seq)) throw new TypeError("getEntities: expected an array of tags or an array of tag sequences");
  const tags = flatten(seq);
  const suffix = options.suffix === true;
  const warned = new Set<string>();
  const chunks: Entity[] = [];
  let prevTag = "O";
  let prevType = "";
  let begin = 0;
  tags.push("O");
  tags.forEach((chunk, i) => {
    if (typeof chunk !== "string" || chunk.length === 0) throw new TypeError(`getEntities: tag ${i} is ${JSON.stringify(chunk)}, expected a non-empty string`);
    if (!NE_TAG_PARTS.has(chunk) && !warned.has(chunk)) {
      const ok = suffix ? /-[BIES]$/.test(chunk) : /^[BIES]-/.test(chunk);
      if (!ok) {
        warned.add(chunk);
        console.warn(`${chunk} seems not to be NE tag.`);
      }
    }
    let tag: string;
    let type: string;
    if (suffix) {
      tag = chunk[chunk.length - 1];
      const head = chunk.slice(0, -1);
      const cut = head.lastIndexOf("-");
      type = (cut >= 0 ? head.slice(0, cut) : head) || "_";
    } else {
      tag = chunk[0];
      const tail = chunk.slice(1);
      const cut = tail.indexOf("-");
      type = (cut >= 0 ? tail.slice(cut + 1) : tail) || "_";
    }
    if (endOfChunk(prevTag, tag, prevType, type)) chunks.push([prevType, begin, i - 1]);
    if (startOfChunk(prevTag, tag, prevType, type)) begin = i;
    prevTag = tag;
    prevType = type;
  });
  return chunks;
}

interface TypeCounts {
  types: string[];
  tp: number[];
  pred: number[];
  true: number[];
}

/** Per entity type (sorted, the union of true and predicted types): correct, predicted and true entity counts. */
function countEntities(yTrue: readonly (readonly string[])[], yPred: readonly (readonly string[])[], options: SeqevalOptions): TypeCounts {
  const byType = (seq: readonly (readonly string[])[]) => {
    const m = new Map<string, Set<string>>();
    for (const [type, start, end] of getEntities(seq, options)) {
      if (!m.has(type)) m.set(type, new Set());
      m.get(type)!.add(`${start}:${end}`);
    }
    return m;
  };
  const t = byType(yTrue);
  const p = byType(yPred);
  const types = [...new Set([...t.keys(), ...p.keys()])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const out: TypeCounts = { types, tp: [], pred: [], true: [] };
  for (const type of types) {
    const ts = t.get(type) ?? new Set<string>();
    const ps = p.get(type) ?? new Set<string>();
    let tp = 0;
    for (const s of ps) if (ts.has(s)) tp++;
    out.tp.push(tp);
    out.pred.push(ps.size);
    out.true.push(ts.size);
  }
  return out;
}

export type SeqevalAverage = "micro" | "macro" | "weighted";

export interface PrfOptions extends SeqevalOptions {
  /** null: one value per entity type (sorted); "micro" (seqeval's default for the *_score functions), "macro", "weighted". */
  average?: SeqevalAverage | null;
  /** Weight of recall in the F-score (default 1). */
  beta?: number;
  /** What 0/0 becomes: "warn" (0 and a warning, the default), 0 or 1. */
  zeroDivision?: ZeroDivision;
}

export interface SeqevalPrf<T> {
  precision: T;
  recall: T;
  fScore: T;
  support: T;
  /** The entity types of the per-type arrays, sorted. */
  types: string[];
}

function divide(num: number[], den: number[], metric: string, modifier: string, zeroDivision: ZeroDivision, warnFor: readonly string[]): number[] {
  let warned = false;
  return num.map((n, i) => {
    if (den[i] !== 0) return n / den[i];
    if (zeroDivision === "warn" && warnFor.includes(metric) && !warned) {
      warned = true;
      console.warn(`UndefinedMetricWarning: ${metric[0].toUpperCase()}${metric.slice(1)} is ill-defined and being set to 0.0 due to no ${modifier} samples. Use \`zero_division\` parameter to control this behavior.`);
    }
    return zeroDivision === 1 ? 1 : 0;
  });
}

function weightedMean(values: number[], weights: number[] | null): number {
  if (values.length === 0) return NaN;
  if (!weights) return values.reduce((a, b) => a + b, 0) / values.length;
  const total = weights.reduce((a, b) => a + b, 0);
  return values.reduce((a, v, i) => a + v * weights[i], 0) / total;
}

/**
 * seqeval's `precision_recall_fscore_support` (sklearn's rules on entity counts): per entity type with
 * `average: null`, else one number each; `support` is the number of true entities.
 */
export function precisionRecallFscoreSupport(yTrue: readonly (readonly string[])[], yPred: readonly (readonly string[])[], options: PrfOptions & { average: null }): SeqevalPrf<number[]>;
export function precisionRecallFscoreSupport(yTrue: readonly (readonly string[])[], yPred: readonly (readonly string[])[], options?: PrfOptions & { average?: SeqevalAverage }): SeqevalPrf<number>;
export function precisionRecallFscoreSupport(
  yTrue: readonly (readonly string[])[], yPred: readonly (readonly string[])[], options: PrfOptions = {},
): SeqevalPrf<number[]> | SeqevalPrf<number> {
  return prfs(yTrue, yPred, options, ["precision", "recall", "f-score"]);
}

function prfs(yTrue: readonly (readonly string[])[], yPred: readonly (readonly string[])[], options: PrfOptions, warnFor: readonly string[]): SeqevalPrf<number[]> | SeqevalPrf<number> {
  checkSequences(yTrue, yPred, "seqeval");
  const average = options.average === undefined ? "micro" : options.average;
  if (average !== null && average !== "micro" && average !== "macro" && average !== "weighted") {
    throw new Error(`seqeval: average must be null, "micro", "macro" or "weighted", got ${JSON.stringify(average)}`);
  }
  const beta = options.beta ?? 1;
  if (!(beta >= 0)) throw new Error(`seqeval: beta must be >= 0, got ${beta}`);
  const zeroDivision = options.zeroDivision ?? "warn";
  if (zeroDivision !== "warn" && zeroDivision !== 0 && zeroDivision !== 1) throw new Error(`seqeval: zeroDivision must be "warn", 0 or 1, got ${JSON.stringify(zeroDivision)}`);
  const counts = countEntities(yTrue, yPred, options);
  let tp = counts.tp;
  let pred = counts.pred;
  let tru = counts.true;
  const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);
  if (average === "micro") {
    tp = [sum(tp)];
    pred = [sum(pred)];
    tru = [sum(tru)];
  }
  const precision = divide(tp, pred, "precision", "predicted", zeroDivision, warnFor);
  const recall = divide(tp, tru, "recall", "true", zeroDivision, warnFor);
  const b2 = beta * beta;
  const fScore = precision.map((p, i) => {
    if (beta === Infinity) return recall[i];
    const den = b2 * p + recall[i];
    return den === 0 ? 0 : ((1 + b2) * p * recall[i]) / den;
  });
  if (average === null) return { precision, recall, fScore, support: tru, types: counts.types };
  if (average === "weighted" && sum(tru) === 0) {
    const z = zeroDivision === 1 ? 1 : 0;
    const noPred = sum(pred) === 0;
    return { precision: noPred ? z : 0, recall: z, fScore: noPred ? z : 0, support: 0, types: counts.types };
  }
  const weights = average === "weighted" ? tru : null;
  return {
    precision: weightedMean(precision, weights),
    recall: weightedMean(recall, weights),
    fScore: weightedMean(fScore, weights),
    support: sum(tru),
    types: counts.types,
  };
}

/** Entity-level precision: correct entities / predicted entities (micro over types by default). */
export function precisionScore(yTrue: readonly (readonly string[])[], yPred: readonly (readonly string[])[], options: PrfOptions = {}): number {
  if (options.average === null) throw new Error("precisionScore: average null gives one value per type; use precisionRecallFscoreSupport");
  return (prfs(yTrue, yPred, options, ["precision"]) as SeqevalPrf<number>).precision;
}

/** Entity-level recall: correct entities / true entities (micro over types by default). */
export function recallScore(yTrue: readonly (readonly string[])[], yPred: readonly (readonly string[])[], options: PrfOptions = {}): number {
  if (options.average === null) throw new Error("recallScore: average null gives one value per type; use precisionRecallFscoreSupport");
  return (prfs(yTrue, yPred, options, ["recall"]) as SeqevalPrf<number>).recall;
}

/** Entity-level F1 (F-beta with `beta`), micro over types by default. */
export function f1Score(yTrue: readonly (readonly string[])[], yPred: readonly (readonly string[])[], options: PrfOptions = {}): number {
  if (options.average === null) throw new Error("f1Score: average null gives one value per type; use precisionRecallFscoreSupport");
  return (prfs(yTrue, yPred, options, ["f-score"]) as SeqevalPrf<number>).fScore;
}

/** Token-level accuracy: the share of tags predicted exactly, over all tokens of all sentences. */
export function accuracyScore(yTrue: readonly (readonly string[])[], yPred: readonly (readonly string[])[]): number {
  checkSequences(yTrue, yPred, "accuracyScore");
  let correct = 0;
  let total = 0;
  yTrue.forEach((t, i) => {
    t.forEach((tag, k) => {
      if (tag === yPred[i][k]) correct++;
      total++;
    });
  });
  if (total === 0) throw new Error("accuracyScore: no tags to score (every sequence is empty)");
  return correct / total;
}

export interface SeqevalReportRow {
  precision: number;
  recall: number;
  "f1-score": number;
  support: number;
}

export interface SeqevalReportOptions extends SeqevalOptions {
  /** Digits of the text report (default 2). */
  digits?: number;
  zeroDivision?: ZeroDivision;
}

/**
 * seqeval's `classification_report`: precision, recall, F1 and support for every entity type found in
 * either sequence (sorted), then the micro, macro and weighted averages. Text as seqeval prints it, or
 * with `outputDict: true` the dict (types, "micro avg", "macro avg", "weighted avg").
 */
export function classificationReport(yTrue: readonly (readonly string[])[], yPred: readonly (readonly string[])[], options: SeqevalReportOptions & { outputDict: true }): Record<string, SeqevalReportRow>;
export function classificationReport(yTrue: readonly (readonly string[])[], yPred: readonly (readonly string[])[], options?: SeqevalReportOptions & { outputDict?: false }): string;
export function classificationReport(
  yTrue: readonly (readonly string[])[], yPred: readonly (readonly string[])[], options: SeqevalReportOptions & { outputDict?: boolean } = {},
): string | Record<string, SeqevalReportRow> {
  const digits = options.digits ?? 2;
  if (!Number.isInteger(digits) || digits < 0) throw new Error(`classificationReport: digits must be an integer >= 0, got ${digits}`);
  const base: PrfOptions = { suffix: options.suffix, zeroDivision: options.zeroDivision };
  const per = prfs(yTrue, yPred, { ...base, average: null }, ["precision", "recall", "f-score"]) as SeqevalPrf<number[]>;
  if (per.types.length === 0) throw new Error("classificationReport: no entities in yTrue or yPred, nothing to report");
  const rows: [string, SeqevalReportRow][] = per.types.map((type, k) => [
    type,
    { precision: per.precision[k], recall: per.recall[k], "f1-score": per.fScore[k], support: per.support[k] },
  ]);
  const averages: [string, SeqevalReportRow][] = (["micro", "macro", "weighted"] as const).map((average) => {
    const r = prfs(yTrue, yPred, { ...base, average }, ["precision", "recall", "f-score"]) as SeqevalPrf<number>;
    return [`${average} avg`, { precision: r.precision, recall: r.recall, "f1-score": r.fScore, support: r.support }];
  });
  if (options.outputDict) return Object.fromEntries([...rows, ...averages]);
  const width = Math.max(...per.types.map((t) => [...t].length), "weighted avg".length, digits);
  const pad = (s: string, n: number) => (s.length >= n ? s : " ".repeat(n - [...s].length) + s);
  const line = ([name, r]: [string, SeqevalReportRow]) =>
    pad(name, width) + " " + [r.precision, r.recall, r["f1-score"]].map((v) => " " + pad(formatFixed(v, digits), 9)).join("") + " " + pad(String(r.support), 9);
  const header = pad("", width) + " " + ["precision", "recall", "f1-score", "support"].map((h) => " " + pad(h, 9)).join("") + "\n\n";
  return header + [...rows.map(line), "", ...averages.map(line), ""].join("\n");
}

/** The `evaluate` library's "seqeval" metric: per type and overall scores. */
export interface SeqevalResult {
  [type: string]: { precision: number; recall: number; f1: number; number: number } | number;
  overall_precision: number;
  overall_recall: number;
  overall_f1: number;
  overall_accuracy: number;
}

/**
 * `evaluate.load("seqeval").compute(predictions=..., references=...)`: for each entity type its
 * precision, recall, f1 and number (true entities), then the micro-averaged overall_precision / recall /
 * f1 and the token-level overall_accuracy — the dict the book's compute_metrics reads.
 */
export function seqevalCompute(args: { predictions: readonly (readonly string[])[]; references: readonly (readonly string[])[]; suffix?: boolean; zeroDivision?: ZeroDivision }): SeqevalResult {
  const { predictions, references } = args;
  checkSequences(references, predictions, "seqevalCompute");
  const base: PrfOptions = { suffix: args.suffix, zeroDivision: args.zeroDivision };
  const per = prfs(references, predictions, { ...base, average: null }, ["precision", "recall", "f-score"]) as SeqevalPrf<number[]>;
  const micro = prfs(references, predictions, { ...base, average: "micro" }, ["precision", "recall", "f-score"]) as SeqevalPrf<number>;
  const out: Record<string, unknown> = {};
  per.types.forEach((type, k) => {
    out[type] = { precision: per.precision[k], recall: per.recall[k], f1: per.fScore[k], number: per.support[k] };
  });
  out.overall_precision = micro.precision;
  out.overall_recall = micro.recall;
  out.overall_f1 = micro.fScore;
  out.overall_accuracy = accuracyScore(references, predictions);
  return out as SeqevalResult;
}
