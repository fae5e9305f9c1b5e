/**
 * Eigenvalues and eigenvectors of a small symmetric matrix by the cyclic Jacobi method, in float64: what the
 * patch-whitening layer needs (src/layers/patch_whitening.ts, a 12 x 12 covariance), with no library.
 *
 * The method. A symmetric A is diagonalised by rotations: for an off-diagonal entry a_pq, the plane rotation J of
 * rows and columns p and q by the angle theta with tan(2 theta) = 2 a_pq / (a_qq - a_pp) makes (J^T A J)_pq = 0.
 * Later rotations put some weight back there, but the sum of squares off the diagonal shrinks at every rotation
 * (by 2 a_pq^2), so sweeping over every pair (p, q) again and again drives A to diagonal form D = V^T A V. The
 * product V of the rotations is orthogonal, its columns are the eigenvectors, and D's diagonal the eigenvalues.
 * Convergence is quadratic once the off-diagonal part is small; a 12 x 12 matrix takes 6 to 10 sweeps.
 * (Golub and Van Loan, "Matrix Computations", section 8.5; Numerical Recipes' `jacobi`, whose stable form of the
 * rotation, t = sgn / (|theta| + sqrt(theta^2 + 1)), is used below.)
 *
 * Float64 throughout: JavaScript numbers are doubles, and the whitening filters divide by square roots of the
 * smallest eigenvalues, where float32's rounding would show.
 */

export interface SymmetricEigen {
  /** The n eigenvalues, largest first. */
  values: Float64Array;
  /** [n, n] row-major: row k is the unit eigenvector of values[k]. */
  vectors: Float64Array;
}

/** Sweeps after which the method gives up (far more than any symmetric matrix of the sizes used here needs). */
const MAX_SWEEPS = 100;

/**
 * a: an n x n symmetric matrix, row-major (a[i * n + j]), entries finite. n: its size, 1 to 256.
 * Returns its eigenvalues (largest first) and unit eigenvectors (one per row), so that a v_k = values[k] v_k.
 * Throws when a is not symmetric (relative asymmetry above 1e-9) or has a non-finite entry.
 */
export function symmetricEigen(a: ArrayLike<number>, n: number): SymmetricEigen {
  const fn = 'symmetricEigen';
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new Error(`${fn}: n must be an integer from 1 to 256, got ${n}`);
  if (a.length !== n * n) throw new Error(`${fn}: a must hold n * n = ${n * n} entries, got ${a.length}`);
  const A = Float64Array.from(a);
  let scale = 0;
  for (let i = 0; i < n * n; i++) {
    if (!Number.isFinite(A[i])) throw new Error(`${fn}: a[${Math.floor(i / n)}, ${i % n}] is ${A[i]}; every entry must be finite`);
    scale = Math.max(scale, Math.abs(A[i]));
  }
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (Math.abs(A[i * n + j] - A[j * n + i]) > 1e-9 * scale) {
        throw new Error(`${fn}: a is not symmetric: a[${i}, ${j}] = ${A[i * n + j]} but a[${j}, ${i}] = ${A[j * n + i]}`);
      }
    }
  }
  // V starts as the identity; each rotation multiplies it on the right.
  const V = new Float64Array(n * n);
  for (let i = 0; i < n; i++) V[i * n + i] = 1;

  for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += A[p * n + q] ** 2;
    if (off <= (Number.EPSILON * scale) ** 2) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = A[p * n + q];
        if (apq === 0) continue;
        // cot(2 theta) = (a_qq - a_pp) / (2 a_pq); t = tan(theta), the smaller root, for stability.
        const theta = (A[q * n + q] - A[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        // A <- J^T A J, touching rows and columns p and q only.
        for (let k = 0; k < n; k++) {
          const akp = A[k * n + p];
          const akq = A[k * n + q];
          A[k * n + p] = c * akp - s * akq;
          A[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = A[p * n + k];
          const aqk = A[q * n + k];
          A[p * n + k] = c * apk - s * aqk;
          A[q * n + k] = s * apk + c * aqk;
        }
        // V <- V J.
        for (let k = 0; k < n; k++) {
          const vkp = V[k * n + p];
          const vkq = V[k * n + q];
          V[k * n + p] = c * vkp - s * vkq;
          V[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => A[j * n + j] - A[i * n + i]);
  const values = Float64Array.from(order, (i) => A[i * n + i]);
  const vectors = new Float64Array(n * n);
  order.forEach((col, row) => {
    for (let k = 0; k < n; k++) vectors[row * n + k] = V[k * n + col];
  });
  return { values, vectors };
}
