/**
 * L2-regularised logistic regression as scikit-learn's default LogisticRegression (1.2: penalty "l2",
 * C 1.0, lbfgs, multinomial softmax for more than two classes, one sigmoid row for two), in float64.
 *
 * Objective (sklearn 1.2's, the same minimiser as 0.5 ||W||^2 + C * sum of log losses):
 *   f(W, b) = sum_i logloss(y_i, softmax(W x_i + b)) + ||W||^2 / (2 C)     (the intercept b is not penalised)
 * minimised with L-BFGS (memory 10, strong-Wolfe line search). It stops, like scipy's L-BFGS-B that
 * sklearn calls, when max |gradient| <= tol or the relative decrease of f falls to ftol (2.2e-9); set
 * ftol 0 to go on until the gradient test alone is met.
 */
import { toDenseMatrix, type DenseMatrix, type MatrixLike } from "../util/matrix";
import { isCsrMatrix, validateCsr, type CsrMatrix } from "../util/sparse";
import { compareCodePoints } from "./vectorizers";

export type Label = number | string;

/** Sorted distinct labels, as numpy.unique sorts them; throws on a mix of numbers and strings. */
export function uniqueLabels(...ys: readonly (readonly Label[])[]): Label[] {
  const seen = new Set<Label>();
  for (const y of ys) for (const v of y) seen.add(v);
  const labels = Array.from(seen);
  const kinds = new Set(labels.map((v) => typeof v));
  for (const k of kinds) if (k !== "number" && k !== "string") throw new Error(`labels must be numbers or strings, got ${k}`);
  if (kinds.size > 1) throw new Error("Mix of label input types (string and number)");
  if (labels.some((v) => typeof v === "number" && !Number.isFinite(v))) throw new Error("labels contain NaN or infinity");
  return kinds.has("string")
    ? (labels as string[]).sort(compareCodePoints)
    : (labels as number[]).sort((a, b) => a - b);
}

// ---------------------------------------------------------------------------------------------------
// L-BFGS

export interface LbfgsOptions {
  /** Maximum number of iterations (default 100). */
  maxIter?: number;
  /** Stop when max |g_i| <= gtol (default 1e-5). */
  gtol?: number;
  /** Stop when (f_k - f_k+1) / max(|f_k|, |f_k+1|, 1) <= ftol (default scipy's 2.220446049250313e-9). */
  ftol?: number;
  /** Number of correction pairs kept (default 10, scipy's maxcor). */
  memory?: number;
  /** Function evaluations per line search (default 20, scipy's maxls). */
  maxLineSearch?: number;
}

export interface LbfgsResult {
  x: Float64Array;
  f: number;
  /** max |gradient| at x. */
  gradInf: number;
  nIter: number;
  nEval: number;
  converged: boolean;
  message: string;
}

/** f(x), writing the gradient into `grad`. */
export type ObjectiveWithGradient = (x: Float64Array, grad: Float64Array) => number;

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function infNorm(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

interface Point { x: Float64Array; f: number; g: Float64Array; dphi: number }

/** Minimises a smooth function with limited-memory BFGS (Nocedal & Wright, alg. 7.5 and 3.5-3.6). */
export function minimizeLbfgs(fun: ObjectiveWithGradient, x0: Float64Array, options: LbfgsOptions = {}): LbfgsResult {
  const maxIter = options.maxIter ?? 100;
  const gtol = options.gtol ?? 1e-5;
  const ftol = options.ftol ?? 2.220446049250313e-9;
  const memory = options.memory ?? 10;
  const maxLs = options.maxLineSearch ?? 20;
  const n = x0.length;
  let nEval = 0;
  const evaluate = (x: Float64Array): { f: number; g: Float64Array } => {
    const g = new Float64Array(n);
    const f = fun(x, g);
    nEval++;
    if (!Number.isFinite(f)) throw new Error(`L-BFGS: the objective is ${f}; check the inputs for huge or non-finite values`);
    return { f, g };
  };
  let x: Float64Array = Float64Array.from(x0);
  let { f, g } = evaluate(x);
  const sList: Float64Array[] = [];
  const yList: Float64Array[] = [];
  const rhoList: number[] = [];
  let nIter = 0;
  let message = "";
  let converged = false;
  let retried = false;
  for (;;) {
    if (infNorm(g) <= gtol) {
      converged = true;
      message = "CONVERGENCE: NORM_OF_PROJECTED_GRADIENT_<=_PGTOL";
      break;
    }
    if (nIter >= maxIter) {
      message = "STOP: TOTAL NO. of ITERATIONS REACHED LIMIT";
      break;
    }
    // Two-loop recursion: d = -H g.
    const d = Float64Array.from(g, (v) => -v);
    const alpha = new Float64Array(sList.length);
    for (let k = sList.length - 1; k >= 0; k--) {
      alpha[k] = rhoList[k] * dot(sList[k], d);
      const yk = yList[k];
      for (let i = 0; i < n; i++) d[i] -= alpha[k] * yk[i];
    }
    if (sList.length) {
      const last = sList.length - 1;
      const gamma = dot(sList[last], yList[last]) / dot(yList[last], yList[last]);
      for (let i = 0; i < n; i++) d[i] *= gamma;
    }
    for (let k = 0; k < sList.length; k++) {
      const beta = rhoList[k] * dot(yList[k], d);
      const sk = sList[k];
      for (let i = 0; i < n; i++) d[i] += (alpha[k] - beta) * sk[i];
    }
    let dphi0 = dot(g, d);
    if (!(dphi0 < 0)) {
      // Not a descent direction (numerical trouble): restart from steepest descent.
      sList.length = yList.length = rhoList.length = 0;
      for (let i = 0; i < n; i++) d[i] = -g[i];
      dphi0 = dot(g, d);
    }
    // First step of a fresh memory: 1 / ||d|| as L-BFGS-B does; afterwards the unit step.
    const step0 = sList.length ? 1 : Math.min(1, 1 / Math.sqrt(dot(d, d)));
    const at = (a: number): Point => {
      const xa = new Float64Array(n);
      for (let i = 0; i < n; i++) xa[i] = x[i] + a * d[i];
      const e = evaluate(xa);
      return { x: xa, f: e.f, g: e.g, dphi: dot(e.g, d) };
    };
    const next = strongWolfe(at, f, dphi0, step0, maxLs);
    if (!next || !(next.f <= f + 1e-11 * Math.max(1, Math.abs(f)))) {
      if (!retried && sList.length) {
        // Forget the curvature pairs and try once more along -g.
        retried = true;
        sList.length = yList.length = rhoList.length = 0;
        continue;
      }
      message = "ABNORMAL_TERMINATION_IN_LNSRCH";
      converged = infNorm(g) <= gtol;
      break;
    }
    retried = false;
    nIter++;
    const s = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      s[i] = next.x[i] - x[i];
      y[i] = next.g[i] - g[i];
    }
    const sy = dot(s, y);
    if (sy > 2.220446049250313e-16 * dot(y, y)) {
      if (sList.length === memory) {
        sList.shift();
        yList.shift();
        rhoList.shift();
      }
      sList.push(s);
      yList.push(y);
      rhoList.push(1 / sy);
    }
    const fPrev = f;
    x = next.x;
    f = next.f;
    g = next.g;
    if (ftol > 0 && (fPrev - f) / Math.max(Math.abs(fPrev), Math.abs(f), 1) <= ftol) {
      converged = true;
      message = "CONVERGENCE: REL_REDUCTION_OF_F_<=_FACTR*EPSMCH";
      break;
    }
  }
  return { x, f, gradInf: infNorm(g), nIter, nEval, converged, message };
}

/** A step satisfying the strong Wolfe conditions (c1 1e-4, c2 0.9), or the best decrease found, or null. */
function strongWolfe(at: (a: number) => Point, f0: number, dphi0: number, a1: number, maxEval: number): Point | null {
  const c1 = 1e-4;
  const c2 = 0.9;
  let evals = 0;
  let best: Point | null = null;
  const probe = (a: number): Point => {
    const p = at(a);
    evals++;
    if (Number.isFinite(p.f) && (!best || p.f < best.f)) best = p;
    return p;
  };
  const sufficient = (a: number, p: Point) => p.f <= f0 + c1 * a * dphi0;
  const curvature = (p: Point) => Math.abs(p.dphi) <= -c2 * dphi0;
  // Near the optimum, f's decrease drops below its rounding error while the gradient still carries
  // information: Hager & Zhang's approximate Wolfe test accepts a step that flattens the slope and leaves
  // f equal up to rounding, so tight tolerances can still be reached.
  const slack = 1e-11 * Math.max(1, Math.abs(f0));
  const approximateWolfe = (p: Point) => p.f <= f0 + slack && p.dphi >= c2 * dphi0 && p.dphi <= (2 * c1 - 1) * dphi0;

  const zoom = (aLo: number, pLo: Point, aHi: number, pHi: Point): Point | null => {
    while (evals < maxEval) {
      const a = interpolate(aLo, pLo, aHi, pHi);
      const p = probe(a);
      if (!sufficient(a, p) || p.f >= pLo.f) {
        if (approximateWolfe(p)) return p;
        aHi = a;
        pHi = p;
      } else {
        if (curvature(p)) return p;
        if (p.dphi * (aHi - aLo) >= 0) {
          aHi = aLo;
          pHi = pLo;
        }
        aLo = a;
        pLo = p;
      }
      if (Math.abs(aHi - aLo) <= 1e-16 * Math.max(1, Math.abs(aLo))) break;
    }
    return best && best.f < f0 ? best : null;
  };

  let aPrev = 0;
  let pPrev: Point = { x: new Float64Array(0), f: f0, g: new Float64Array(0), dphi: dphi0 };
  let a = a1;
  while (evals < maxEval) {
    const p = probe(a);
    if (!sufficient(a, p) || (evals > 1 && p.f >= pPrev.f)) return approximateWolfe(p) ? p : zoom(aPrev, pPrev, a, p);
    if (curvature(p)) return p;
    if (p.dphi >= 0) return zoom(a, p, aPrev, pPrev);
    aPrev = a;
    pPrev = p;
    a *= 2;
  }
  return best && (best as Point).f < f0 ? best : null;
}

/** Minimiser of the cubic through (a, f, dphi) at both ends, kept inside the interval; else bisection. */
function interpolate(a0: number, p0: Point, a1: number, p1: Point): number {
  const lo = Math.min(a0, a1);
  const hi = Math.max(a0, a1);
  const d1 = p0.dphi + p1.dphi - (3 * (p0.f - p1.f)) / (a0 - a1);
  const disc = d1 * d1 - p0.dphi * p1.dphi;
  if (disc >= 0) {
    const d2 = Math.sign(a1 - a0) * Math.sqrt(disc);
    const a = a1 - (a1 - a0) * ((p1.dphi + d2 - d1) / (p1.dphi - p0.dphi + 2 * d2));
    const margin = 0.1 * (hi - lo);
    if (Number.isFinite(a) && a >= lo + margin && a <= hi - margin) return a;
  }
  return (lo + hi) / 2;
}

// ---------------------------------------------------------------------------------------------------
// Logistic regression

export interface LogisticRegressionOptions {
  /** Inverse regularisation strength (default 1.0): smaller C, stronger L2 penalty. */
  C?: number;
  /** Learn a bias per class (default true); it is not penalised. */
  fitIntercept?: boolean;
  /** L-BFGS iterations (default 100). */
  maxIter?: number;
  /** Gradient tolerance: stop when max |gradient| <= tol (default 1e-4). */
  tol?: number;
  /** Relative-decrease tolerance of scipy's L-BFGS-B (default 2.2e-9); 0 turns that test off. */
  ftol?: number;
  /** "l2" (default) or null for no penalty. */
  penalty?: "l2" | null;
  /** Warn on stderr when L-BFGS stops before converging (default true), as sklearn's ConvergenceWarning. */
  warnOnNoConvergence?: boolean;
}

/** The features a model accepts: dense (DenseMatrix, rows, tensor) or a CSR matrix. */
export type FeatureMatrix = MatrixLike | CsrMatrix;

/** Row access shared by dense and sparse inputs: raw[k] = b[k] + x_i . W_k and its transpose. */
interface Rows {
  rows: number;
  cols: number;
  /** out[k] += x_i . W[k*cols .. (k+1)*cols) for k < K. */
  dotRow(i: number, w: Float64Array, K: number, out: Float64Array): void;
  /** G[k*cols + j] += r[k] * x_ij for k < K. */
  addRow(i: number, r: Float64Array, K: number, G: Float64Array): void;
}

function asRows(x: FeatureMatrix, what: string): Rows {
  if (isCsrMatrix(x)) {
    validateCsr(x, what);
    const { indptr, indices, data, cols } = x;
    return {
      rows: x.rows,
      cols,
      dotRow(i, w, K, out) {
        for (let k = 0; k < K; k++) {
          let s = 0;
          const off = k * cols;
          for (let p = indptr[i]; p < indptr[i + 1]; p++) s += data[p] * w[off + indices[p]];
          out[k] += s;
        }
      },
      addRow(i, r, K, G) {
        for (let k = 0; k < K; k++) {
          const rk = r[k];
          if (rk === 0) continue;
          const off = k * cols;
          for (let p = indptr[i]; p < indptr[i + 1]; p++) G[off + indices[p]] += rk * data[p];
        }
      },
    };
  }
  const m: DenseMatrix = toDenseMatrix(x, what);
  const { data, cols } = m;
  for (let k = 0; k < data.length; k++) {
    if (!Number.isFinite(data[k])) throw new Error(`${what}: value at [${Math.floor(k / cols)}, ${k % cols}] is ${data[k]}`);
  }
  return {
    rows: m.rows,
    cols,
    dotRow(i, w, K, out) {
      const base = i * cols;
      for (let k = 0; k < K; k++) {
        let s = 0;
        const off = k * cols;
        for (let j = 0; j < cols; j++) s += data[base + j] * w[off + j];
        out[k] += s;
      }
    },
    addRow(i, r, K, G) {
      const base = i * cols;
      for (let k = 0; k < K; k++) {
        const rk = r[k];
        if (rk === 0) continue;
        const off = k * cols;
        for (let j = 0; j < cols; j++) G[off + j] += rk * data[base + j];
      }
    },
  };
}

/** log(1 + e^z) without overflow. */
function softplus(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}

function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/**
 * Logistic regression classifier (sklearn.linear_model.LogisticRegression defaults). Two classes: one
 * coefficient row, P(classes[1]) = sigmoid(w . x + b). More: one row per class, softmax.
 */
export class LogisticRegression {
  readonly C: number;
  readonly fitIntercept: boolean;
  readonly maxIter: number;
  readonly tol: number;
  readonly ftol: number;
  readonly penalty: "l2" | null;
  readonly warnOnNoConvergence: boolean;
  /** Sorted class labels (after fit). */
  classes: Label[] = [];
  /** One row per class, or one row for two classes (sklearn's coef_). */
  coef: Float64Array[] = [];
  /** Bias per row of coef (zeros without fitIntercept). */
  intercept: Float64Array = new Float64Array(0);
  /** L-BFGS iterations used (sklearn's n_iter_[0]), and how it stopped. */
  nIter = 0;
  converged = false;
  optimizerMessage = "";
  private nFeatures = -1;

  constructor(options: LogisticRegressionOptions = {}) {
    this.C = options.C ?? 1.0;
    if (!(this.C > 0) || !Number.isFinite(this.C)) throw new Error(`LogisticRegression: C must be a positive number, got ${options.C}`);
    this.fitIntercept = options.fitIntercept ?? true;
    this.maxIter = options.maxIter ?? 100;
    if (!Number.isInteger(this.maxIter) || this.maxIter < 0) throw new Error(`LogisticRegression: maxIter must be an integer >= 0, got ${options.maxIter}`);
    this.tol = options.tol ?? 1e-4;
    if (!(this.tol >= 0)) throw new Error(`LogisticRegression: tol must be >= 0, got ${options.tol}`);
    this.ftol = options.ftol ?? 2.220446049250313e-9;
    this.penalty = options.penalty === undefined ? "l2" : options.penalty;
    if (this.penalty !== "l2" && this.penalty !== null) throw new Error(`LogisticRegression: penalty must be "l2" or null, got ${String(options.penalty)}`);
    this.warnOnNoConvergence = options.warnOnNoConvergence ?? true;
  }

  /** Learns coef and intercept from features X (n x d) and labels y (n numbers or strings). */
  fit(X: FeatureMatrix, y: readonly Label[]): this {
    const rows = asRows(X, "LogisticRegression.fit X");
    if (!Array.isArray(y)) throw new Error("LogisticRegression.fit: y must be an array of labels");
    if (y.length !== rows.rows) throw new Error(`LogisticRegression.fit: X has ${rows.rows} rows but y has ${y.length} labels`);
    const classes = uniqueLabels(y);
    if (classes.length < 2) {
      throw new Error(`LogisticRegression: needs samples of at least 2 classes in the data, but the data contains only one class: ${String(classes[0])}`);
    }
    const index = new Map<Label, number>(classes.map((c, k) => [c, k]));
    const target = Int32Array.from(y, (v) => index.get(v)!);
    const K = classes.length === 2 ? 1 : classes.length;
    const d = rows.cols;
    const nW = K * d;
    const nParams = nW + (this.fitIntercept ? K : 0);
    const l2 = this.penalty === "l2" ? 1 / this.C : 0;
    const raw = new Float64Array(K);
    const resid = new Float64Array(K);

    const objective: ObjectiveWithGradient = (theta, grad) => {
      grad.fill(0);
      let loss = 0;
      for (let i = 0; i < rows.rows; i++) {
        for (let k = 0; k < K; k++) raw[k] = this.fitIntercept ? theta[nW + k] : 0;
        rows.dotRow(i, theta, K, raw);
        const t = target[i];
        if (K === 1) {
          const z = raw[0];
          loss += softplus(z) - t * z;
          resid[0] = sigmoid(z) - t;
        } else {
          let m = -Infinity;
          for (let k = 0; k < K; k++) m = Math.max(m, raw[k]);
          let s = 0;
          for (let k = 0; k < K; k++) s += Math.exp(raw[k] - m);
          const lse = m + Math.log(s);
          loss += lse - raw[t];
          for (let k = 0; k < K; k++) resid[k] = Math.exp(raw[k] - lse) - (k === t ? 1 : 0);
        }
        rows.addRow(i, resid, K, grad);
        if (this.fitIntercept) for (let k = 0; k < K; k++) grad[nW + k] += resid[k];
      }
      if (l2) {
        let norm2 = 0;
        for (let p = 0; p < nW; p++) {
          norm2 += theta[p] * theta[p];
          grad[p] += l2 * theta[p];
        }
        loss += 0.5 * l2 * norm2;
      }
      return loss;
    };

    const result = minimizeLbfgs(objective, new Float64Array(nParams), { maxIter: this.maxIter, gtol: this.tol, ftol: this.ftol });
    this.classes = classes;
    this.nFeatures = d;
    this.coef = Array.from({ length: K }, (_, k) => result.x.slice(k * d, (k + 1) * d));
    this.intercept = this.fitIntercept ? result.x.slice(nW, nW + K) : new Float64Array(K);
    this.nIter = result.nIter;
    this.converged = result.converged;
    this.optimizerMessage = result.message;
    if (!result.converged && this.warnOnNoConvergence) {
      console.warn(
        `LogisticRegression: lbfgs failed to converge (${result.message}, max |gradient| ${result.gradInf.toExponential(2)}). ` +
          "Increase maxIter or scale the data.",
      );
    }
    return this;
  }

  private checkFitted(X: FeatureMatrix, what: string): Rows {
    if (this.nFeatures < 0) throw new Error(`LogisticRegression.${what}: not fitted; call fit first`);
    const rows = asRows(X, `LogisticRegression.${what} X`);
    if (rows.cols !== this.nFeatures) throw new Error(`LogisticRegression.${what}: X has ${rows.cols} features, the model was fitted on ${this.nFeatures}`);
    return rows;
  }

  /** w_k . x + b_k per row: n x 1 for two classes (sklearn returns that column as a 1-D array), else n x classes. */
  decisionFunction(X: FeatureMatrix): number[][] {
    const rows = this.checkFitted(X, "decisionFunction");
    const K = this.coef.length;
    const d = this.nFeatures;
    const w = new Float64Array(K * d);
    this.coef.forEach((c, k) => w.set(c, k * d));
    const out: number[][] = [];
    const raw = new Float64Array(K);
    for (let i = 0; i < rows.rows; i++) {
      raw.set(this.intercept);
      rows.dotRow(i, w, K, raw);
      out.push(Array.from(raw));
    }
    return out;
  }

  /** Class probabilities, n x classes (columns in the order of `classes`). */
  predictProba(X: FeatureMatrix): number[][] {
    return this.decisionFunction(X).map((raw) => {
      if (raw.length === 1) {
        const p = sigmoid(raw[0]);
        return [1 - p, p];
      }
      const m = Math.max(...raw);
      const e = raw.map((v) => Math.exp(v - m));
      const s = e.reduce((a, b) => a + b, 0);
      return e.map((v) => v / s);
    });
  }

  /** The most probable class of each row. */
  predict(X: FeatureMatrix): Label[] {
    return this.decisionFunction(X).map((raw) => {
      if (raw.length === 1) return this.classes[raw[0] > 0 ? 1 : 0];
      let best = 0;
      for (let k = 1; k < raw.length; k++) if (raw[k] > raw[best]) best = k;
      return this.classes[best];
    });
  }

  /** Accuracy of predict(X) against y. */
  score(X: FeatureMatrix, y: readonly Label[]): number {
    const pred = this.predict(X);
    if (pred.length !== y.length) throw new Error(`LogisticRegression.score: X has ${pred.length} rows but y has ${y.length} labels`);
    let hit = 0;
    pred.forEach((p, i) => (hit += p === y[i] ? 1 : 0));
    return hit / y.length;
  }
}
