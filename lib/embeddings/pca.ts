/**
 * PCA for embedding charts: the book projects word and sentence vectors to 2-D to look at them.
 * Exact: the eigenvectors of the covariance (or, with fewer points than dimensions, of the Gram
 * matrix) by cyclic Jacobi rotations in float64; above 256 of those dimensions, block power iteration
 * refined by Rayleigh-Ritz. Signs are fixed as scikit-learn's PCA fixes them (each component's
 * largest loading positive), so the same data always draws the same picture.
 */
import { tf } from "../engine";

export interface PcaResult {
  /** The data in component coordinates, [n][k]. */
  points: number[][];
  /** Unit principal axes, [k][dim]. */
  components: number[][];
  /** Variance along each component (eigenvalues of the covariance, divided by n - 1). */
  explainedVariance: number[];
  /** Share of the total variance along each component. */
  explainedVarianceRatio: number[];
  mean: number[];
}

export type PcaInput = tf.Tensor2D | ArrayLike<number>[];

function toRows(vectors: PcaInput): Float64Array[] {
  if (vectors instanceof tf.Tensor) {
    if (vectors.rank !== 2) throw new Error(`pca: expected a [n, dim] matrix, got shape [${vectors.shape}]`);
    const [n, d] = vectors.shape;
    const flat = vectors.dataSync();
    const rows: Float64Array[] = [];
    for (let i = 0; i < n; i++) rows.push(Float64Array.from(flat.subarray(i * d, (i + 1) * d)));
    return rows;
  }
  const rows = Array.from(vectors, (v) => Float64Array.from(v));
  if (rows.length && rows.some((r) => r.length !== rows[0].length)) throw new Error("pca: vectors have different lengths");
  return rows;
}

/** Eigen-decomposition of a symmetric matrix by cyclic Jacobi: eigenvalues descending, eigenvectors as columns of `vectors` (row-major m x m). */
export function symmetricEigen(a: Float64Array, m: number): { values: Float64Array; vectors: Float64Array } {
  const A = Float64Array.from(a);
  const V = new Float64Array(m * m);
  for (let i = 0; i < m; i++) V[i * m + i] = 1;
  let scale = 0;
  for (let i = 0; i < m * m; i++) scale += A[i] * A[i];
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < m; p++) for (let q = p + 1; q < m; q++) off += A[p * m + q] * A[p * m + q];
    if (off <= 1e-24 * scale || off === 0) break; // off-diagonal ~1e-12 of the norm: eigenvalues to ~1e-24
    for (let p = 0; p < m; p++) {
      for (let q = p + 1; q < m; q++) {
        const apq = A[p * m + q];
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (A[q * m + q] - A[p * m + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        // A <- Jᵀ A J, touching rows and columns p and q only.
        for (let k = 0; k < m; k++) {
          const akp = A[k * m + p];
          const akq = A[k * m + q];
          A[k * m + p] = c * akp - s * akq;
          A[k * m + q] = s * akp + c * akq;
        }
        for (let k = 0; k < m; k++) {
          const apk = A[p * m + k];
          const aqk = A[q * m + k];
          A[p * m + k] = c * apk - s * aqk;
          A[q * m + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < m; k++) {
          const vkp = V[k * m + p];
          const vkq = V[k * m + q];
          V[k * m + p] = c * vkp - s * vkq;
          V[k * m + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: m }, (_, i) => i).sort((i, j) => A[j * m + j] - A[i * m + i]);
  const values = Float64Array.from(order, (i) => A[i * m + i]);
  const vectors = new Float64Array(m * m);
  order.forEach((src, dst) => {
    for (let k = 0; k < m; k++) vectors[k * m + dst] = V[k * m + src];
  });
  return { values, vectors };
}

/** Top-k eigenpairs of a symmetric PSD matrix by block power iteration + Rayleigh-Ritz (for large m). */
function topEigen(a: Float64Array, m: number, k: number): { values: Float64Array; vectors: Float64Array } {
  const b = Math.min(m, k + 8); // a few extra columns speed convergence of the top k
  let Q: Float64Array = new Float64Array(m * b);
  // Deterministic start: a fixed pseudo-random matrix.
  let seed = 12345;
  for (let i = 0; i < Q.length; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    Q[i] = seed / 4294967296 - 0.5;
  }
  orthonormalize(Q, m, b);
  let prev: Float64Array = new Float64Array(k);
  for (let it = 0; it < 1000; it++) {
    const Z = matMulSym(a, Q, m, b);
    const ritz = new Float64Array(k);
    for (let j = 0; j < k; j++) for (let i = 0; i < m; i++) ritz[j] += Q[i * b + j] * Z[i * b + j];
    Q = Z;
    orthonormalize(Q, m, b);
    let delta = 0;
    for (let j = 0; j < k; j++) delta = Math.max(delta, Math.abs(ritz[j] - prev[j]) / Math.max(1e-300, Math.abs(ritz[j])));
    prev = ritz;
    if (it > 5 && delta < 1e-13) break;
  }
  // Rayleigh-Ritz: the small b x b problem Qᵀ A Q gives the eigenpairs within the subspace exactly.
  const AQ = matMulSym(a, Q, m, b);
  const small = new Float64Array(b * b);
  for (let i = 0; i < b; i++) for (let j = 0; j < b; j++) {
    let s = 0;
    for (let r = 0; r < m; r++) s += Q[r * b + i] * AQ[r * b + j];
    small[i * b + j] = s;
  }
  const e = symmetricEigen(small, b);
  const vectors = new Float64Array(m * k);
  for (let r = 0; r < m; r++) for (let j = 0; j < k; j++) {
    let s = 0;
    for (let i = 0; i < b; i++) s += Q[r * b + i] * e.vectors[i * b + j];
    vectors[r * k + j] = s;
  }
  return { values: e.values.slice(0, k), vectors };
}

function matMulSym(a: Float64Array, q: Float64Array, m: number, b: number): Float64Array {
  const z = new Float64Array(m * b);
  for (let i = 0; i < m; i++)
    for (let r = 0; r < m; r++) {
      const air = a[i * m + r];
      if (air === 0) continue;
      for (let j = 0; j < b; j++) z[i * b + j] += air * q[r * b + j];
    }
  return z;
}

/** Modified Gram-Schmidt on the b columns of an m x b row-major matrix. */
function orthonormalize(q: Float64Array, m: number, b: number): void {
  for (let j = 0; j < b; j++) {
    for (let p = 0; p < j; p++) {
      let dot = 0;
      for (let i = 0; i < m; i++) dot += q[i * b + j] * q[i * b + p];
      for (let i = 0; i < m; i++) q[i * b + j] -= dot * q[i * b + p];
    }
    let norm = 0;
    for (let i = 0; i < m; i++) norm += q[i * b + j] * q[i * b + j];
    norm = Math.sqrt(norm) || 1;
    for (let i = 0; i < m; i++) q[i * b + j] /= norm;
  }
}

/** Principal component analysis of n vectors (rows), keeping k components. */
export function pca(vectors: PcaInput, k = 2): PcaResult {
  const X = toRows(vectors);
  const n = X.length;
  if (n < 2) throw new Error(`pca: need at least 2 vectors, got ${n}`);
  const d = X[0].length;
  if (!Number.isInteger(k) || k < 1 || k > Math.min(n, d)) throw new Error(`pca: k must be an integer in [1, ${Math.min(n, d)}], got ${k}`);
  const mean = new Float64Array(d);
  for (const row of X) for (let j = 0; j < d; j++) mean[j] += row[j] / n;
  const C = X.map((row) => row.map((v, j) => v - mean[j]));
  let total = 0;
  for (const row of C) for (let j = 0; j < d; j++) total += row[j] * row[j];

  // Eigenvectors of CᵀC (d x d) are the axes; with fewer points than dims, use CCᵀ (n x n) and map back.
  const gram = n < d;
  const m = gram ? n : d;
  const S = new Float64Array(m * m);
  if (gram) {
    for (let i = 0; i < n; i++)
      for (let j = i; j < n; j++) {
        let s = 0;
        for (let t = 0; t < d; t++) s += C[i][t] * C[j][t];
        S[i * m + j] = S[j * m + i] = s;
      }
  } else {
    for (const row of C)
      for (let i = 0; i < d; i++) {
        const ri = row[i];
        if (ri === 0) continue;
        for (let j = i; j < d; j++) S[i * m + j] += ri * row[j];
      }
    for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) S[i * m + j] = S[j * m + i];
  }
  let values: Float64Array;
  let vecs: Float64Array; // m x cols, column j = eigenvector j
  let cols: number;
  if (m <= 256) {
    const e = symmetricEigen(S, m);
    values = e.values;
    vecs = e.vectors;
    cols = m;
  } else {
    const e = topEigen(S, m, k);
    values = e.values;
    vecs = e.vectors;
    cols = k;
  }
  const components: number[][] = [];
  for (let c = 0; c < k; c++) {
    const axis = new Float64Array(d);
    if (gram) {
      // axis = Cᵀ u / ||Cᵀ u||
      for (let i = 0; i < n; i++) {
        const u = vecs[i * cols + c];
        for (let t = 0; t < d; t++) axis[t] += C[i][t] * u;
      }
      let norm = 0;
      for (let t = 0; t < d; t++) norm += axis[t] * axis[t];
      norm = Math.sqrt(norm) || 1;
      for (let t = 0; t < d; t++) axis[t] /= norm;
    } else {
      for (let t = 0; t < d; t++) axis[t] = vecs[t * cols + c];
    }
    // Deterministic sign: the largest loading (by magnitude) is positive, as scikit-learn's PCA.
    let big = 0;
    for (let t = 1; t < d; t++) if (Math.abs(axis[t]) > Math.abs(axis[big])) big = t;
    if (axis[big] < 0) for (let t = 0; t < d; t++) axis[t] = -axis[t];
    components.push(Array.from(axis));
  }
  const points = C.map((row) => components.map((axis) => row.reduce((s, v, t) => s + v * axis[t], 0)));
  const explainedVariance = Array.from(values.slice(0, k), (v) => Math.max(0, v) / (n - 1));
  const totalVar = total / (n - 1);
  return {
    points,
    components,
    explainedVariance,
    explainedVarianceRatio: explainedVariance.map((v) => (totalVar > 0 ? v / totalVar : 0)),
    mean: Array.from(mean),
  };
}

// A type alias, not an interface, so that it fits lib/viz's Record<string, unknown> rows.
export type Point2D = {
  x: number;
  y: number;
  label?: string;
};

/**
 * Vectors projected on their first two principal components, as rows for lib/viz's scatterChart:
 *
 *   show(scatterChart({ data: pca2d(model.toTensor(words), words), x: "x", y: "y", label: "label" }))
 */
export function pca2d(vectors: PcaInput, labels?: string[]): Point2D[] {
  const n = vectors instanceof tf.Tensor ? vectors.shape[0] : vectors.length;
  if (labels && labels.length !== n) throw new Error(`pca2d: ${labels.length} labels for ${n} vectors`);
  const { points } = pca(vectors, 2);
  return points.map((p, i) => (labels ? { x: p[0], y: p[1], label: labels[i] } : { x: p[0], y: p[1] }));
}
