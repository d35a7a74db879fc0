/**
 * The small numerical pieces of UMAP, as umap-learn 0.5 (McInnes, Healy & Melville 2018) defines them:
 * the curve parameters a, b fitted from min_dist / spread (`find_ab_params`), the per-point bandwidths of the
 * fuzzy k-NN graph (`smooth_knn_dist`), its membership strengths and fuzzy union, and the SGD sampling
 * schedule (`make_epochs_per_sample`). Kept apart from the estimator so each can be checked on its own
 * against the Python reference (tests/fixtures/umap).
 */
// Small dense eigenproblems (LOBPCG's Rayleigh-Ritz step, tiny graphs) use PCA's cyclic Jacobi solver.
import { symmetricEigen } from "../embeddings/pca";

/** umap-learn's tolerance on the bandwidth search and floor on the bandwidth, relative to mean distance. */
const SMOOTH_K_TOLERANCE = 1e-5;
const MIN_K_DIST_SCALE = 1e-3;

/**
 * umap-learn's find_ab_params: least-squares fit of 1 / (1 + a x^(2b)) to the target membership curve
 * (1 below min_dist, exp(-(x - min_dist) / spread) above), on 300 points of [0, 3 spread], by
 * Levenberg-Marquardt from (a, b) = (1, 1) as scipy's curve_fit does.
 */
export function findAbParams(spread: number, minDist: number): { a: number; b: number } {
  if (!(spread > 0) || !Number.isFinite(spread)) throw new Error(`findAbParams: spread must be > 0, got ${spread}`);
  if (!(minDist >= 0) || !Number.isFinite(minDist)) throw new Error(`findAbParams: minDist must be >= 0, got ${minDist}`);
  const m = 300;
  const xs = new Float64Array(m);
  const ys = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    const x = (spread * 3 * i) / (m - 1); // np.linspace(0, spread * 3, 300)
    xs[i] = x;
    ys[i] = x < minDist ? 1 : Math.exp(-(x - minDist) / spread);
  }
  // Residuals, Jacobian columns (d/da, d/db) and the sum of squares at (a, b).
  const evaluate = (a: number, b: number, ja?: Float64Array, jb?: Float64Array, r?: Float64Array): number => {
    let sse = 0;
    for (let i = 0; i < m; i++) {
      const x = xs[i];
      const u = x > 0 ? Math.pow(x, 2 * b) : 0;
      const den = 1 + a * u;
      const res = 1 / den - ys[i];
      sse += res * res;
      if (r && ja && jb) {
        r[i] = res;
        ja[i] = -u / (den * den);
        jb[i] = x > 0 ? (-a * u * 2 * Math.log(x)) / (den * den) : 0;
      }
    }
    return sse;
  };
  let a = 1;
  let b = 1;
  let lambda = 1e-3;
  const ja = new Float64Array(m);
  const jb = new Float64Array(m);
  const r = new Float64Array(m);
  let sse = evaluate(a, b, ja, jb, r);
  for (let iter = 0; iter < 500; iter++) {
    // Normal equations (JᵀJ + λ diag(JᵀJ)) δ = -Jᵀr, solved in closed form (2 x 2).
    let aa = 0, ab = 0, bb = 0, ga = 0, gb = 0;
    for (let i = 0; i < m; i++) {
      aa += ja[i] * ja[i];
      ab += ja[i] * jb[i];
      bb += jb[i] * jb[i];
      ga += ja[i] * r[i];
      gb += jb[i] * r[i];
    }
    let improved = false;
    for (let tries = 0; tries < 30 && !improved; tries++) {
      const m11 = aa * (1 + lambda);
      const m22 = bb * (1 + lambda);
      const det = m11 * m22 - ab * ab;
      const da = (-ga * m22 + gb * ab) / det;
      const db = (-gb * m11 + ga * ab) / det;
      const trial = evaluate(a + da, b + db);
      if (Number.isFinite(trial) && trial <= sse) {
        const rel = Math.abs(da) / (Math.abs(a) + 1e-12) + Math.abs(db) / (Math.abs(b) + 1e-12);
        a += da;
        b += db;
        const before = sse;
        sse = evaluate(a, b, ja, jb, r);
        lambda = Math.max(lambda / 10, 1e-12);
        improved = true;
        if (rel < 1e-12 || before - sse <= 1e-16 * before) return { a, b };
      } else {
        lambda *= 10;
      }
    }
    if (!improved) break;
  }
  return { a, b };
}

/** Per-point bandwidths of the fuzzy k-NN graph. */
export interface SmoothKnn {
  /** sigma_i: exp(-(d - rho_i) / sigma_i) summed over the neighbours equals log2(k) * bandwidth. */
  sigmas: Float32Array;
  /** rho_i: distance to the local_connectivity-th nearest non-zero neighbour. */
  rhos: Float32Array;
}

/**
 * umap-learn's smooth_knn_dist: for each row of the k-NN distances (n x k, row-major, ascending; the first
 * column is skipped in the sum, as umap-learn does, since it is the point itself), rho from
 * `localConnectivity` and sigma by a 64-step binary search so that sum_j exp(-(d_j - rho) / sigma) =
 * log2(k) * bandwidth; sigma is floored at 1e-3 of the mean distance (of the row when rho > 0, else of all).
 */
export function smoothKnnDist(
  distances: Float32Array,
  n: number,
  k: number,
  nNeighbors: number = k,
  localConnectivity = 1,
  nIter = 64,
  bandwidth = 1,
): SmoothKnn {
  if (distances.length !== n * k) throw new Error(`smoothKnnDist: ${distances.length} distances for ${n} x ${k}`);
  const target = Math.log2(nNeighbors) * bandwidth;
  const rhos = new Float32Array(n);
  const sigmas = new Float32Array(n);
  let total = 0;
  for (let i = 0; i < distances.length; i++) total += distances[i];
  const meanDistances = distances.length ? total / distances.length : 0;
  const nonZero = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    const row = i * k;
    let nz = 0;
    let rowSum = 0;
    for (let j = 0; j < k; j++) {
      const d = distances[row + j];
      rowSum += d;
      if (d > 0) nonZero[nz++] = d;
    }
    if (nz >= localConnectivity) {
      const index = Math.floor(localConnectivity);
      const interpolation = localConnectivity - index;
      if (index > 0) {
        let rho = nonZero[index - 1];
        if (interpolation > SMOOTH_K_TOLERANCE) rho += interpolation * (nonZero[index] - nonZero[index - 1]);
        rhos[i] = rho;
      } else {
        rhos[i] = interpolation * nonZero[0];
      }
    } else if (nz > 0) {
      let max = 0;
      for (let j = 0; j < nz; j++) if (nonZero[j] > max) max = nonZero[j];
      rhos[i] = max;
    }
    const rho = rhos[i]; // float32, as umap-learn stores it
    let lo = 0;
    let hi = Infinity;
    let mid = 1;
    for (let it = 0; it < nIter; it++) {
      let psum = 0;
      for (let j = 1; j < k; j++) {
        const d = distances[row + j] - rho;
        psum += d > 0 ? Math.exp(-(d / mid)) : 1;
      }
      if (Math.abs(psum - target) < SMOOTH_K_TOLERANCE) break;
      if (psum > target) {
        hi = mid;
        mid = (lo + hi) / 2;
      } else {
        lo = mid;
        mid = hi === Infinity ? mid * 2 : (lo + hi) / 2;
      }
    }
    let sigma = mid;
    const floor = MIN_K_DIST_SCALE * (rho > 0 ? rowSum / k : meanDistances);
    if (sigma < floor) sigma = floor;
    sigmas[i] = sigma;
  }
  return { sigmas, rhos };
}

/** A sparse matrix in compressed sparse row form (row i is indptr[i] .. indptr[i + 1]). */
export interface CsrGraph {
  readonly rows: number;
  readonly cols: number;
  readonly indptr: Int32Array;
  readonly indices: Int32Array;
  readonly data: Float32Array;
}

/**
 * umap-learn's compute_membership_strengths: w_ij = exp(-(d_ij - rho_i) / sigma_i), 1 within rho, and 0 for
 * the point itself unless `bipartite` (queries against another set). Returns an n x k weight array
 * aligned with `indices`.
 */
export function membershipStrengths(
  indices: Int32Array,
  distances: Float32Array,
  n: number,
  k: number,
  sigmas: Float32Array,
  rhos: Float32Array,
  bipartite = false,
): Float32Array {
  const vals = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < k; j++) {
      const p = i * k + j;
      const nb = indices[p];
      if (nb < 0) continue;
      if (!bipartite && nb === i) vals[p] = 0;
      else if (distances[p] - rhos[i] <= 0 || sigmas[i] === 0) vals[p] = 1;
      else vals[p] = Math.exp(-((distances[p] - rhos[i]) / sigmas[i]));
    }
  }
  return vals;
}

/**
 * The fuzzy union of the directed k-NN graph A (n x k neighbour lists with weights): umap-learn's
 * set_op_mix_ratio * (A + Aᵀ - A ∘ Aᵀ) + (1 - set_op_mix_ratio) * (A ∘ Aᵀ), zeros removed, as a symmetric
 * CSR matrix with sorted column indices.
 */
export function fuzzyUnion(indices: Int32Array, weights: Float32Array, n: number, k: number, setOpMixRatio = 1): CsrGraph {
  // Row lists of A (sorted by column, zero weights dropped) and of Aᵀ (built by counting, so sorted too).
  const aPtr = new Int32Array(n + 1);
  const aCol = new Int32Array(n * k);
  const aVal = new Float32Array(n * k);
  const order = new Int32Array(k);
  for (let i = 0; i < n; i++) {
    let cnt = 0;
    for (let j = 0; j < k; j++) if (weights[i * k + j] > 0 && indices[i * k + j] >= 0) order[cnt++] = i * k + j;
    // insertion sort by column (k is small)
    for (let s = 1; s < cnt; s++) {
      const p = order[s];
      let t = s - 1;
      while (t >= 0 && indices[order[t]] > indices[p]) {
        order[t + 1] = order[t];
        t--;
      }
      order[t + 1] = p;
    }
    const base = aPtr[i];
    let w = 0;
    for (let s = 0; s < cnt; s++) {
      const p = order[s];
      if (w > 0 && aCol[base + w - 1] === indices[p]) {
        aVal[base + w - 1] += weights[p]; // duplicate neighbour: scipy's coo -> csr sums them
        continue;
      }
      aCol[base + w] = indices[p];
      aVal[base + w] = weights[p];
      w++;
    }
    aPtr[i + 1] = base + w;
  }
  const nnzA = aPtr[n];
  const tPtr = new Int32Array(n + 1);
  for (let p = 0; p < nnzA; p++) tPtr[aCol[p] + 1]++;
  for (let i = 0; i < n; i++) tPtr[i + 1] += tPtr[i];
  const tCol = new Int32Array(nnzA);
  const tVal = new Float32Array(nnzA);
  const fill = tPtr.slice(0, n);
  for (let i = 0; i < n; i++) {
    for (let p = aPtr[i]; p < aPtr[i + 1]; p++) {
      const q = fill[aCol[p]]++;
      tCol[q] = i;
      tVal[q] = aVal[p];
    }
  }
  // Merge row i of A with row i of Aᵀ.
  const indptr = new Int32Array(n + 1);
  const outCol = new Int32Array(2 * nnzA);
  const outVal = new Float32Array(2 * nnzA);
  let nnz = 0;
  const mix = setOpMixRatio;
  for (let i = 0; i < n; i++) {
    let p = aPtr[i];
    let q = tPtr[i];
    const pe = aPtr[i + 1];
    const qe = tPtr[i + 1];
    while (p < pe || q < qe) {
      let col: number, a: number, at: number;
      if (q >= qe || (p < pe && aCol[p] < tCol[q])) {
        col = aCol[p]; a = aVal[p++]; at = 0;
      } else if (p >= pe || tCol[q] < aCol[p]) {
        col = tCol[q]; a = 0; at = tVal[q++];
      } else {
        col = aCol[p]; a = aVal[p++]; at = tVal[q++];
      }
      const prod = a * at;
      const v = mix * (a + at - prod) + (1 - mix) * prod;
      if (v !== 0) {
        outCol[nnz] = col;
        outVal[nnz] = v;
        nnz++;
      }
    }
    indptr[i + 1] = nnz;
  }
  return { rows: n, cols: n, indptr, indices: outCol.slice(0, nnz), data: outVal.slice(0, nnz) };
}

/** umap-learn's make_epochs_per_sample: an edge of weight w is sampled every max(w) / w epochs (-1: never). */
export function makeEpochsPerSample(weights: Float32Array, nEpochs: number): Float64Array {
  let max = 0;
  for (let i = 0; i < weights.length; i++) if (weights[i] > max) max = weights[i];
  const result = new Float64Array(weights.length).fill(-1);
  for (let i = 0; i < weights.length; i++) {
    const nSamples = nEpochs * (weights[i] / max);
    if (nSamples > 0) result[i] = nEpochs / nSamples;
  }
  return result;
}

// ---------------------------------------------------------------------------------------------------------
// eigenvectors for the spectral initialisation

function dot64(a: Float64Array, b: Float64Array): number {
  let s0 = 0, s1 = 0;
  const n = a.length;
  let i = 0;
  for (; i + 1 < n; i += 2) {
    s0 += a[i] * b[i];
    s1 += a[i + 1] * b[i + 1];
  }
  if (i < n) s0 += a[i] * b[i];
  return s0 + s1;
}

function axpy(alpha: number, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < y.length; i++) y[i] += alpha * x[i];
}

/**
 * Orthonormalises `vs` in place against the orthonormal `against` and each other (Gram-Schmidt, two passes
 * for stability); returns the vectors that kept a meaningful norm (relative 1e-8), others are dropped.
 */
function orthonormalize(vs: Float64Array[], against: Float64Array[]): Float64Array[] {
  const kept: Float64Array[] = [];
  for (const v of vs) {
    const norm0 = Math.sqrt(dot64(v, v));
    if (!(norm0 > 0)) continue;
    for (let pass = 0; pass < 2; pass++) {
      for (const u of against) axpy(-dot64(u, v), u, v);
      for (const u of kept) axpy(-dot64(u, v), u, v);
    }
    const norm = Math.sqrt(dot64(v, v));
    if (!(norm > 1e-8 * norm0)) continue;
    const inv = 1 / norm;
    for (let i = 0; i < v.length; i++) v[i] *= inv;
    kept.push(v);
  }
  return kept;
}

/**
 * The `m` largest eigenpairs of a symmetric linear operator on R^n, restricted to the orthogonal complement
 * of the orthonormal vectors `deflate`, by LOBPCG (Knyazev 2001) without preconditioner: Rayleigh-Ritz on
 * the span of the current vectors, their residuals and the previous step, orthonormalised explicitly.
 * Stops when every residual norm is below `tol` or after `maxIter` rounds (the result is then approximate,
 * which is all an initial layout needs). Needs n - deflate.length >= 3 m.
 */
export function lobpcgLargest(
  apply: (x: Float64Array, out: Float64Array) => void,
  n: number,
  m: number,
  deflate: Float64Array[],
  random: () => number,
  maxIter = 300,
  tol = 1e-5,
): { values: Float64Array; vectors: Float64Array[]; iterations: number; maxResidual: number } {
  const applyNew = (v: Float64Array): Float64Array => {
    const out = new Float64Array(n);
    apply(v, out);
    return out;
  };
  let X = orthonormalize(
    Array.from({ length: m }, () => {
      const v = new Float64Array(n);
      for (let i = 0; i < n; i++) v[i] = random() - 0.5;
      return v;
    }),
    deflate,
  );
  if (X.length < m) throw new Error("lobpcg: could not build a starting basis");
  let AX = X.map(applyNew);
  let P: Float64Array[] = [];
  let theta = new Float64Array(m);
  let maxResidual = Infinity;
  let iterations = 0;
  for (let iter = 0; iter <= maxIter; iter++) {
    iterations = iter;
    // Rayleigh-Ritz on S = [X, R, P] (orthonormal), keeping the m largest Ritz pairs.
    let R: Float64Array[] = [];
    if (iter > 0) {
      maxResidual = 0;
      R = X.map((x, t) => {
        const r = Float64Array.from(AX[t]);
        axpy(-theta[t], x, r);
        const rn = Math.sqrt(dot64(r, r));
        if (rn > maxResidual) maxResidual = rn;
        return r;
      });
      if (maxResidual < tol || iter === maxIter) break;
    }
    const Rn = orthonormalize(R, deflate.concat(X));
    const Pn = orthonormalize(P.map((p) => Float64Array.from(p)), deflate.concat(X, Rn));
    const S = X.concat(Rn, Pn);
    const AS = AX.concat(Rn.map(applyNew), Pn.map(applyNew));
    const s = S.length;
    const H = new Float64Array(s * s);
    for (let i = 0; i < s; i++) {
      for (let j = i; j < s; j++) {
        const v = (dot64(S[i], AS[j]) + dot64(S[j], AS[i])) / 2;
        H[i * s + j] = v;
        H[j * s + i] = v;
      }
    }
    const eig = symmetricEigen(H, s);
    const combine = (basis: Float64Array[], from: number, t: number): Float64Array => {
      const out = new Float64Array(n);
      for (let i = from; i < s; i++) {
        const c = eig.vectors[i * s + t];
        if (c !== 0) axpy(c, basis[i], out);
      }
      return out;
    };
    const newX: Float64Array[] = [];
    const newAX: Float64Array[] = [];
    const newP: Float64Array[] = [];
    for (let t = 0; t < m; t++) {
      theta[t] = eig.values[t];
      newX.push(combine(S, 0, t));
      newAX.push(combine(AS, 0, t));
      if (iter > 0) newP.push(combine(S, m, t)); // the step taken outside span(X)
    }
    X = newX;
    AX = newAX;
    P = newP;
  }
  return { values: theta, vectors: X, iterations, maxResidual };
}

/** A symmetric weighted graph, as the spectral layout sees it (CSR, zero-based). */
function normalizedAdjacencyOperator(g: CsrGraph): { apply: (x: Float64Array, out: Float64Array) => void; sqrtDegree: Float64Array } {
  const n = g.rows;
  const sqrtDegree = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let p = g.indptr[i]; p < g.indptr[i + 1]; p++) s += g.data[p];
    sqrtDegree[i] = Math.sqrt(s);
  }
  const invSqrt = sqrtDegree.map((v) => (v > 0 ? 1 / v : 0));
  const tmp = new Float64Array(n);
  // D^-1/2 W D^-1/2 x
  const apply = (x: Float64Array, out: Float64Array): void => {
    for (let i = 0; i < n; i++) tmp[i] = x[i] * invSqrt[i];
    const { indptr, indices, data } = g;
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let p = indptr[i]; p < indptr[i + 1]; p++) s += data[p] * tmp[indices[p]];
      out[i] = s * invSqrt[i];
    }
  };
  return { apply, sqrtDegree };
}

/**
 * umap-learn's spectral_layout for a connected graph: the eigenvectors of the normalized Laplacian
 * L = I - D^-1/2 W D^-1/2 with the 2nd .. (dim + 1)-th smallest eigenvalues (the smallest, D^1/2 1, is
 * dropped), as an n x dim row-major array. Small graphs are solved densely; large ones by LOBPCG on
 * D^-1/2 W D^-1/2 (its largest eigenvectors are L's smallest) with D^1/2 1 deflated.
 */
export function spectralEigenvectors(g: CsrGraph, dim: number, random: () => number, maxIter = 100, tol = 1e-4): Float64Array {
  const n = g.rows;
  const out = new Float64Array(n * dim);
  const { apply, sqrtDegree } = normalizedAdjacencyOperator(g);
  if (n <= Math.max(3 * dim + 2, 40)) {
    const dense = new Float64Array(n * n);
    const col = new Float64Array(n);
    const res = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      col.fill(0);
      col[j] = 1;
      apply(col, res);
      for (let i = 0; i < n; i++) dense[i * n + j] = res[i];
    }
    const eig = symmetricEigen(dense, n); // descending in M = smallest first in L
    for (let i = 0; i < n; i++) for (let t = 0; t < dim && t + 1 < n; t++) out[i * dim + t] = eig.vectors[i * n + t + 1];
    return out;
  }
  const v0 = Float64Array.from(sqrtDegree);
  const norm = Math.sqrt(dot64(v0, v0));
  for (let i = 0; i < n; i++) v0[i] /= norm;
  const result = lobpcgLargest(apply, n, dim, [v0], random, maxIter, tol);
  for (let t = 0; t < dim; t++) {
    const v = result.vectors[t];
    for (let i = 0; i < n; i++) out[i * dim + t] = v[i];
  }
  return out;
}
