/**
 * Classification metrics with scikit-learn 1.2's definitions, defaults, warnings and number formatting:
 * accuracyScore, precisionRecallFscoreSupport, precision/recall/f1Score, confusionMatrix and
 * classificationReport (its text is byte-identical to sklearn's, its dict equal to output_dict).
 *
 * Labels are numbers or strings (not mixed), sorted as numpy sorts them. Differences from sklearn: no
 * sample weights, no multilabel targets; a number label prints as JS prints it (1, not Python's 1.0 for
 * float labels); in the report dict, JS objects list integer-like keys ("0", "1") first.
 * Warnings (UndefinedMetricWarning) go to console.warn with sklearn's wording.
 */
import { uniqueLabels, type Label } from "./logistic-regression";

export type { Label } from "./logistic-regression";

/** What an ill-defined ratio (0 / 0) becomes: "warn" (0 and a warning, sklearn's default), 0 or 1. */
export type ZeroDivision = "warn" | 0 | 1;
export type Average = "binary" | "micro" | "macro" | "weighted";

export interface PrfOptions {
  /** Columns to report, in this order (default: all labels present, sorted). */
  labels?: readonly Label[];
  /** The positive class with average "binary" (default 1). */
  posLabel?: Label;
  /** Weight of recall in the F-score (default 1). */
  beta?: number;
  zeroDivision?: ZeroDivision;
}

export interface PrfPerClass {
  precision: number[];
  recall: number[];
  fScore: number[];
  support: number[];
}

export interface PrfAveraged {
  precision: number;
  recall: number;
  fScore: number;
  support: null;
}

type WarnFor = readonly ("precision" | "recall" | "f-score")[];

function warn(message: string): void {
  console.warn(`UndefinedMetricWarning: ${message}`);
}

/** numpy's pairwise summation (add.reduce on float64), so averages equal sklearn's to the last bit. */
function numpySum(a: ArrayLike<number>, start = 0, n = a.length - start): number {
  if (n < 8) {
    let s = 0;
    for (let i = 0; i < n; i++) s += a[start + i];
    return s;
  }
  if (n <= 128) {
    const r = [0, 1, 2, 3, 4, 5, 6, 7].map((j) => a[start + j]);
    let i = 8;
    for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) r[j] += a[start + i + j];
    let s = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; i++) s += a[start + i];
    return s;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return numpySum(a, start, n2) + numpySum(a, start + n2, n - n2);
}

/** Checks two label arrays (same length, numbers or strings) and returns "binary" or "multiclass". */
function checkTargets(yTrue: readonly Label[], yPred: readonly Label[]): "binary" | "multiclass" {
  if (!Array.isArray(yTrue) || !Array.isArray(yPred)) throw new Error("yTrue and yPred must be arrays of labels");
  if (yTrue.length !== yPred.length) {
    throw new Error(`Found input variables with inconsistent numbers of samples: [${yTrue.length}, ${yPred.length}]`);
  }
  return uniqueLabels(yTrue, yPred).length <= 2 ? "binary" : "multiclass";
}

function checkZeroDivision(z: unknown): ZeroDivision {
  if (z === "warn" || z === 0 || z === 1) return z;
  throw new Error(`Got zeroDivision=${String(z)}. Must be one of ["warn", 0, 1]`);
}

/** Fraction (or number, normalize false) of exact matches. */
export function accuracyScore(yTrue: readonly Label[], yPred: readonly Label[], options: { normalize?: boolean } = {}): number {
  checkTargets(yTrue, yPred);
  let hit = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === yPred[i]) hit++;
  return options.normalize === false ? hit : hit / yTrue.length;
}

/** tp / tp + fp / tp + fn per label, as sklearn's multilabel_confusion_matrix gives them. */
function countsPerLabel(yTrue: readonly Label[], yPred: readonly Label[], labels: readonly Label[]) {
  const index = new Map<Label, number>(labels.map((l, k) => [l, k]));
  const tp = new Float64Array(labels.length);
  const pred = new Float64Array(labels.length);
  const truth = new Float64Array(labels.length);
  for (let i = 0; i < yTrue.length; i++) {
    const t = index.get(yTrue[i]);
    const p = index.get(yPred[i]);
    if (t !== undefined) truth[t]++;
    if (p !== undefined) pred[p]++;
    if (t !== undefined && yTrue[i] === yPred[i]) tp[t]++;
  }
  return { tp, pred, truth };
}

/** sklearn's _prf_divide: numerator / denominator with 0 / 0 -> zeroDivision, warning when asked. */
function prfDivide(
  num: Float64Array, den: Float64Array, metric: "precision" | "recall", modifier: string,
  average: Average | null, warnFor: WarnFor, zeroDivision: ZeroDivision,
): Float64Array {
  const out = new Float64Array(num.length);
  let any = false;
  for (let k = 0; k < num.length; k++) {
    if (den[k] === 0) {
      any = true;
      out[k] = zeroDivision === 1 ? 1 : 0;
    } else out[k] = num[k] / den[k];
  }
  if (!any || zeroDivision !== "warn" || !warnFor.includes(metric)) return out;
  const title = metric === "precision" ? "Precision" : "Recall";
  const start = warnFor.includes("f-score") ? `${title} and F-score are` : `${title} is`;
  warnPrf(modifier, start, out.length);
  return out;
}

function warnPrf(modifier: string, msgStart: string, size: number): void {
  const where = size === 1 ? "due to" : "in labels with";
  warn(`${msgStart} ill-defined and being set to 0.0 ${where} no ${modifier} samples. Use \`zero_division\` parameter to control this behavior.`);
}

function prfs(
  yTrue: readonly Label[], yPred: readonly Label[], average: Average | null, options: PrfOptions, warnFor: WarnFor,
): PrfPerClass | PrfAveraged {
  const zeroDivision = checkZeroDivision(options.zeroDivision ?? "warn");
  const beta = options.beta ?? 1;
  if (!(beta >= 0)) throw new Error("beta should be >=0 in the F-beta score");
  if (average !== null && !["binary", "micro", "macro", "weighted"].includes(average)) {
    throw new Error(`average has to be one of (null, "micro", "macro", "weighted", "binary"), got ${String(average)}`);
  }
  const yType = checkTargets(yTrue, yPred);
  const present = uniqueLabels(yTrue, yPred);
  let labels: readonly Label[] = options.labels ?? present;
  if (average === "binary") {
    const posLabel = options.posLabel ?? 1;
    if (yType !== "binary") {
      throw new Error(`Target is multiclass but average='binary'. Please choose another average setting, one of [null, 'micro', 'macro', 'weighted'].`);
    }
    if (!present.includes(posLabel) && present.length >= 2) {
      throw new Error(`pos_label=${JSON.stringify(posLabel)} is not a valid label. It should be one of ${JSON.stringify(present)}`);
    }
    labels = [posLabel];
  }
  let { tp, pred, truth } = countsPerLabel(yTrue, yPred, labels);
  if (average === "micro") {
    tp = Float64Array.of(numpySum(tp));
    pred = Float64Array.of(numpySum(pred));
    truth = Float64Array.of(numpySum(truth));
  }
  const beta2 = beta * beta;
  const precision = prfDivide(tp, pred, "precision", "predicted", average, warnFor, zeroDivision);
  const recall = prfDivide(tp, truth, "recall", "true", average, warnFor, zeroDivision);
  if (zeroDivision === "warn" && warnFor.length === 1 && warnFor[0] === "f-score") {
    if (truth.some((t, k) => t === 0 && pred[k] === 0)) warnPrf("true nor predicted", "F-score is", truth.length);
  }
  const fScore = new Float64Array(precision.length);
  for (let k = 0; k < fScore.length; k++) {
    if (beta === Infinity) fScore[k] = recall[k];
    else {
      let denom = beta2 * precision[k] + recall[k];
      if (denom === 0) denom = 1;
      fScore[k] = ((1 + beta2) * precision[k] * recall[k]) / denom;
    }
  }
  if (average === null) {
    return { precision: Array.from(precision), recall: Array.from(recall), fScore: Array.from(fScore), support: Array.from(truth) };
  }
  if (average === "weighted") {
    const wsum = numpySum(truth);
    if (wsum === 0) {
      const z = zeroDivision === 1 ? 1 : 0;
      return numpySum(pred) === 0
        ? { precision: z, recall: z, fScore: z, support: null }
        : { precision: 0, recall: z, fScore: 0, support: null };
    }
    const avg = (v: Float64Array) => numpySum(v.map((x, k) => x * truth[k])) / wsum;
    return { precision: avg(precision), recall: avg(recall), fScore: avg(fScore), support: null };
  }
  const mean = (v: Float64Array) => numpySum(v) / v.length;
  return { precision: mean(precision), recall: mean(recall), fScore: mean(fScore), support: null };
}

/**
 * Precision, recall, F-beta and support per label (average null, the default) or averaged: "micro"
 * (global counts), "macro" (unweighted mean over labels), "weighted" (mean weighted by support) or
 * "binary" (the posLabel class only).
 */
export function precisionRecallFscoreSupport(yTrue: readonly Label[], yPred: readonly Label[], options?: PrfOptions & { average?: null }): PrfPerClass;
export function precisionRecallFscoreSupport(yTrue: readonly Label[], yPred: readonly Label[], options: PrfOptions & { average: Average }): PrfAveraged;
export function precisionRecallFscoreSupport(
  yTrue: readonly Label[], yPred: readonly Label[], options: PrfOptions & { average?: Average | null } = {},
): PrfPerClass | PrfAveraged {
  return prfs(yTrue, yPred, options.average ?? null, options, ["precision", "recall", "f-score"]);
}

type ScoreOptions = PrfOptions & { average?: Average | null };

function score(
  which: "precision" | "recall" | "fScore", warnFor: WarnFor, yTrue: readonly Label[], yPred: readonly Label[], options: ScoreOptions,
): number | number[] {
  const average = options.average === undefined ? "binary" : options.average;
  const r = prfs(yTrue, yPred, average, options, warnFor);
  return r[which];
}

/** F1 score; average defaults to "binary" (posLabel 1) as in sklearn; null gives one score per label. */
export function f1Score(yTrue: readonly Label[], yPred: readonly Label[], options: ScoreOptions & { average: null }): number[];
export function f1Score(yTrue: readonly Label[], yPred: readonly Label[], options?: ScoreOptions & { average?: Average }): number;
export function f1Score(yTrue: readonly Label[], yPred: readonly Label[], options: ScoreOptions = {}): number | number[] {
  return score("fScore", ["f-score"], yTrue, yPred, { ...options, beta: 1 });
}

/** Precision tp / (tp + fp); average as in f1Score. */
export function precisionScore(yTrue: readonly Label[], yPred: readonly Label[], options: ScoreOptions & { average: null }): number[];
export function precisionScore(yTrue: readonly Label[], yPred: readonly Label[], options?: ScoreOptions & { average?: Average }): number;
export function precisionScore(yTrue: readonly Label[], yPred: readonly Label[], options: ScoreOptions = {}): number | number[] {
  return score("precision", ["precision"], yTrue, yPred, options);
}

/** Recall tp / (tp + fn); average as in f1Score. */
export function recallScore(yTrue: readonly Label[], yPred: readonly Label[], options: ScoreOptions & { average: null }): number[];
export function recallScore(yTrue: readonly Label[], yPred: readonly Label[], options?: ScoreOptions & { average?: Average }): number;
export function recallScore(yTrue: readonly Label[], yPred: readonly Label[], options: ScoreOptions = {}): number | number[] {
  return score("recall", ["recall"], yTrue, yPred, options);
}

/**
 * C[i][j] = number of samples of true label i predicted as j (labels sorted, or as given; samples with a
 * label outside `labels` are left out). normalize "true" / "pred" / "all" divides by row, column or total.
 */
export function confusionMatrix(
  yTrue: readonly Label[], yPred: readonly Label[], options: { labels?: readonly Label[]; normalize?: "true" | "pred" | "all" } = {},
): number[][] {
  checkTargets(yTrue, yPred);
  const labels = options.labels ?? uniqueLabels(yTrue, yPred);
  if (options.labels) {
    if (labels.length === 0) throw new Error("'labels' should contains at least one label.");
    if (yTrue.length && !yTrue.some((y) => labels.includes(y))) throw new Error("At least one label specified must be in y_true");
  }
  const normalize = options.normalize;
  if (normalize !== undefined && !["true", "pred", "all"].includes(normalize)) throw new Error("normalize must be one of 'true', 'pred', 'all' or undefined");
  const index = new Map<Label, number>(labels.map((l, k) => [l, k]));
  const cm = labels.map(() => new Array<number>(labels.length).fill(0));
  for (let i = 0; i < yTrue.length; i++) {
    const t = index.get(yTrue[i]);
    const p = index.get(yPred[i]);
    if (t !== undefined && p !== undefined) cm[t][p]++;
  }
  if (!normalize) return cm;
  const n = labels.length;
  const div = (a: number, b: number) => (b === 0 ? 0 : a / b); // numpy's nan_to_num of 0 / 0
  if (normalize === "true") return cm.map((row) => row.map((v) => div(v, numpySum(row))));
  if (normalize === "pred") {
    const cols = Array.from({ length: n }, (_, j) => numpySum(cm.map((row) => row[j])));
    return cm.map((row) => row.map((v, j) => div(v, cols[j])));
  }
  const total = numpySum(cm.flat());
  return cm.map((row) => row.map((v) => div(v, total)));
}

/** Python's len(): code points, not UTF-16 units. */
function pyLen(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

function padLeft(s: string, width: number): string {
  const len = pyLen(s);
  return len >= width ? s : " ".repeat(width - len) + s;
}

/**
 * Python's format(x, ".{digits}f"): the exact binary value rounded half to even (JS's toFixed rounds a
 * tie such as 0.125 away from zero: "0.13" where Python prints "0.12").
 */
export function formatFixed(x: number, digits: number): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  const negative = x < 0 || Object.is(x, -0);
  const a = Math.abs(x);
  let s = a.toFixed(digits);
  if (a < 1e21) {
    // toFixed(100) is exact to 100 decimals: a tie shows as a 5 followed only by zeros.
    const exact = a.toFixed(100);
    const dot = exact.indexOf(".");
    const tail = exact.slice(dot + 1 + digits);
    if (/^50*$/.test(tail)) {
      const truncated = digits ? exact.slice(0, dot + 1 + digits) : exact.slice(0, dot);
      const lastDigit = Number(truncated[truncated.length - 1]);
      s = lastDigit % 2 === 0 ? truncated : a.toFixed(digits); // toFixed rounds the tie up: right when odd
    }
  }
  return (negative ? "-" : "") + s;
}

export interface ReportRow {
  precision: number;
  recall: number;
  "f1-score": number;
  support: number;
}

/** sklearn's output_dict: one row per class name, then "accuracy" (or "micro avg"), "macro avg", "weighted avg". */
export type ClassificationReportDict = Record<string, ReportRow | number>;

export interface ClassificationReportOptions {
  /** Labels to report, in this order (default: all present, sorted). */
  labels?: readonly Label[];
  /** Display names of the labels, in the same order. */
  targetNames?: readonly string[];
  /** Decimals of the numbers (default 2). */
  digits?: number;
  zeroDivision?: ZeroDivision;
}

/**
 * Precision, recall, F1 and support per class, then accuracy (or the micro average when `labels` is a
 * subset), the macro and the support-weighted averages: the same text as sklearn's classification_report,
 * or its output_dict with `outputDict: true`.
 */
export function classificationReport(yTrue: readonly Label[], yPred: readonly Label[], options: ClassificationReportOptions & { outputDict: true }): ClassificationReportDict;
export function classificationReport(yTrue: readonly Label[], yPred: readonly Label[], options?: ClassificationReportOptions & { outputDict?: false }): string;
export function classificationReport(
  yTrue: readonly Label[], yPred: readonly Label[], options: ClassificationReportOptions & { outputDict?: boolean } = {},
): string | ClassificationReportDict {
  const yType = checkTargets(yTrue, yPred);
  const digits = options.digits ?? 2;
  if (!Number.isInteger(digits) || digits < 0) throw new Error(`classificationReport: digits must be an integer >= 0, got ${digits}`);
  const present = uniqueLabels(yTrue, yPred);
  const labelsGiven = options.labels !== undefined;
  const labels = options.labels ?? present;
  const microIsAccuracy =
    (yType === "multiclass" || yType === "binary") &&
    (!labelsGiven || (new Set(labels).size === present.length && present.every((l) => labels.includes(l))));
  let targetNames = options.targetNames;
  if (targetNames !== undefined && labels.length !== targetNames.length) {
    if (labelsGiven) warn(`labels size, ${labels.length}, does not match size of target_names, ${targetNames.length}`);
    else throw new Error(`Number of classes, ${labels.length}, does not match size of target_names, ${targetNames.length}. Try specifying the labels parameter`);
  }
  if (targetNames === undefined) targetNames = labels.map((l) => String(l));
  const zeroDivision = options.zeroDivision ?? "warn";
  const per = prfs(yTrue, yPred, null, { labels, zeroDivision }, ["precision", "recall", "f-score"]) as PrfPerClass;
  const nRows = Math.min(targetNames.length, labels.length); // Python's zip stops at the shorter
  const totalSupport = numpySum(per.support);
  const averages = (["micro", "macro", "weighted"] as const).map((average) => {
    const heading = average === "micro" && microIsAccuracy ? "accuracy" : `${average} avg`;
    const r = prfs(yTrue, yPred, average, { labels, zeroDivision }, ["precision", "recall", "f-score"]) as PrfAveraged;
    return { heading, row: { precision: r.precision, recall: r.recall, "f1-score": r.fScore, support: totalSupport } };
  });

  if (options.outputDict) {
    const out: ClassificationReportDict = {};
    for (let k = 0; k < nRows; k++) {
      out[targetNames[k]] = { precision: per.precision[k], recall: per.recall[k], "f1-score": per.fScore[k], support: per.support[k] };
    }
    for (const { heading, row } of averages) out[heading] = heading === "accuracy" ? row.precision : row;
    return out;
  }

  const nameWidth = Math.max(...targetNames.map(pyLen));
  const width = Math.max(nameWidth, "weighted avg".length, digits);
  const headers = ["precision", "recall", "f1-score", "support"];
  const num = (v: number) => " " + padLeft(formatFixed(v, digits), 9);
  const int = (v: number) => " " + padLeft(String(v), 9);
  let report = padLeft("", width) + " " + headers.map((h) => " " + padLeft(h, 9)).join("") + "\n\n";
  for (let k = 0; k < nRows; k++) {
    report += padLeft(targetNames[k], width) + " " + num(per.precision[k]) + num(per.recall[k]) + num(per.fScore[k]) + int(per.support[k]) + "\n";
  }
  report += "\n";
  for (const { heading, row } of averages) {
    if (heading === "accuracy") {
      // sklearn formats "" with "{:>9.{digits}}" for the empty precision and recall cells.
      report += padLeft(heading, width) + " " + " " + padLeft("", 9) + " " + padLeft("", 9) + num(row["f1-score"]) + int(row.support) + "\n";
    } else {
      report += padLeft(heading, width) + " " + num(row.precision) + num(row.recall) + num(row["f1-score"]) + int(row.support) + "\n";
    }
  }
  return report;
}
