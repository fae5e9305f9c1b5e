/**
 * The Jacobi eigensolver (src/linalg/symmetric_eigen.ts): a matrix whose eigenpairs are known in closed form, the
 * defining identities (A v = lambda v, V orthonormal, A rebuilt from its eigenpairs) on seeded random symmetric
 * matrices of the whitening layer's size, order, and the refusals.
 */
import { symmetricEigen } from '../../src/linalg/symmetric_eigen';
import { Rng } from '../../src/random';

describe('symmetricEigen', () => {
  it('finds the known eigenpairs of the second-difference matrix', () => {
    // tridiag(-1, 2, -1) of size n: lambda_k = 2 - 2 cos(k pi / (n + 1)), v_k[j] proportional to sin(j k pi / (n + 1)).
    const n = 6;
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      a[i * n + i] = 2;
      if (i + 1 < n) a[i * n + i + 1] = a[(i + 1) * n + i] = -1;
    }
    const { values, vectors } = symmetricEigen(a, n);
    for (let r = 0; r < n; r++) {
      const k = n - r; // largest first
      expect(values[r]).toBeCloseTo(2 - 2 * Math.cos((k * Math.PI) / (n + 1)), 12);
      const exact = Array.from({ length: n }, (_, j) => Math.sin(((j + 1) * k * Math.PI) / (n + 1)));
      const norm = Math.hypot(...exact);
      const sign = Math.sign(vectors[r * n]) * Math.sign(exact[0]);
      for (let j = 0; j < n; j++) expect(vectors[r * n + j]).toBeCloseTo((sign * exact[j]) / norm, 12);
    }
  });

  it.each([[2], [12], [30]])('satisfies A v = lambda v with orthonormal V on a random n x n covariance (n = %i)', (n) => {
    const rng = new Rng(n);
    // B B^T / n: symmetric positive semi-definite, as a covariance is.
    const b = rng.normalArray(n * n);
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) a[i * n + j] += (b[i * n + k] * b[j * n + k]) / n;
    const { values, vectors } = symmetricEigen(a, n);
    const scale = Math.max(...values);
    for (let r = 0; r < n; r++) {
      if (r > 0) expect(values[r]).toBeLessThanOrEqual(values[r - 1]);
      for (let i = 0; i < n; i++) {
        let av = 0;
        for (let j = 0; j < n; j++) av += a[i * n + j] * vectors[r * n + j];
        expect(Math.abs(av - values[r] * vectors[r * n + i])).toBeLessThan(1e-12 * scale);
      }
      for (let s = 0; s < n; s++) {
        let dot = 0;
        for (let j = 0; j < n; j++) dot += vectors[r * n + j] * vectors[s * n + j];
        expect(Math.abs(dot - (r === s ? 1 : 0))).toBeLessThan(1e-12);
      }
    }
  });

  it('refuses a matrix that is not symmetric, has a non-finite entry, or the wrong size', () => {
    expect(() => symmetricEigen([1, 2, 3, 4], 2)).toThrow('symmetricEigen: a is not symmetric: a[0, 1] = 2 but a[1, 0] = 3');
    expect(() => symmetricEigen([1, NaN, NaN, 1], 2)).toThrow('symmetricEigen: a[0, 1] is NaN; every entry must be finite');
    expect(() => symmetricEigen([1, 2, 3], 2)).toThrow('symmetricEigen: a must hold n * n = 4 entries, got 3');
    expect(() => symmetricEigen([], 0)).toThrow('symmetricEigen: n must be an integer from 1 to 256, got 0');
  });
});
