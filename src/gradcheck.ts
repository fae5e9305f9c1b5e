/**
 * Numeric gradients and relative errors, chosen for float32.
 *
 * Why not the course's numbers: cs231n runs in float64 with step h = 1e-5 and asks for relative errors below 1e-7.
 * tfjs has no float64. In float32 (machine epsilon ~6e-8) a centred difference (f(x+h) - f(x-h)) / 2h carries a
 * rounding error of about eps * |f| / h: with h = 1e-5 that is ~6e-3 * |f| -- noise, not a check. A larger step
 * trades rounding error for truncation error O(h^2 f'''): h = 1e-2 on inputs of order 1 keeps both near 1e-4,
 * except where the step crosses a kink (relu at 0, a max, an SVM margin at 0), which a random input hits rarely.
 * So numeric checks use h = 1e-2 by default and pass at a norm-wise relative error of 1e-2, not 1e-7.
 *
 * Why norm-wise: the course's element-wise error |a - b| / max(|a|, |b|) blows up on entries near zero, where both
 * values are float32 rounding noise (batchnorm's dx sums to zero over the batch, so many entries are tiny). We
 * compare whole arrays, ||a - b|| / max(||a||, ||b||), and report the element-wise maximum beside it for reading.
 * Sums are accumulated in float64 on the JS side so the check adds no error of its own.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Default centred-difference step for float32 numeric gradients (see the file comment). */
export const NUMERIC_STEP = 1e-2;
/** Pass bound for numeric vs analytic gradients, norm-wise relative error. */
export const NUMERIC_BOUND = 1e-2;
/** Pass bound for hand-written vs autodiff gradients, norm-wise relative error (same float32 ops, different order). */
export const AUTODIFF_BOUND = 1e-5;

export interface RelErr {
  /** ||a - b|| / max(||a||, ||b||); 0 when both are zero. */
  norm: number;
  /** ||a - b||, the absolute difference. */
  absDiff: number;
  /** max(||a||, ||b||), the scale the difference is relative to. */
  scale: number;
  /** max_i |a_i - b_i| / max(|a_i|, |b_i|), over entries where either is nonzero: for reading, not for passing. */
  maxElementwise: number;
}

type Numbers = tf.Tensor | Float32Array | Float64Array | Int32Array | Uint8Array | number[];

function toArray(a: Numbers): ArrayLike<number> {
  return a instanceof tf.Tensor ? a.dataSync() : a;
}

/** Runs f inside a tf.tidy scope and returns its plain (non-tensor) result. */
export function tidyValue<T>(f: () => T): T {
  let out!: T;
  tf.tidy(() => {
    out = f();
  });
  return out;
}

/**
 * Norm-wise and element-wise relative error between two arrays or tensors of the same size: the one relative error
 * of the project (specs, reference/ and the scripts all use it).
 */
export function relError(a: Numbers, b: Numbers): RelErr {
  const x = toArray(a);
  const y = toArray(b);
  if (x.length !== y.length) throw new Error(`relError: sizes differ, ${x.length} vs ${y.length}`);
  let diff2 = 0;
  let x2 = 0;
  let y2 = 0;
  let maxEl = 0;
  for (let i = 0; i < x.length; i++) {
    const xi = Number(x[i]);
    const yi = Number(y[i]);
    const d = xi - yi;
    diff2 += d * d;
    x2 += xi * xi;
    y2 += yi * yi;
    const m = Math.max(Math.abs(xi), Math.abs(yi));
    if (m > 0) maxEl = Math.max(maxEl, Math.abs(d) / m);
  }
  if (!Number.isFinite(diff2) || !Number.isFinite(x2) || !Number.isFinite(y2)) return { norm: NaN, absDiff: NaN, scale: NaN, maxElementwise: NaN };
  const absDiff = Math.sqrt(diff2);
  const scale = Math.sqrt(Math.max(x2, y2));
  return { norm: scale === 0 ? 0 : absDiff / scale, absDiff, scale, maxElementwise: maxEl };
}

/**
 * Numeric gradient of a scalar function f at x, by centred differences on every entry (the course's
 * eval_numerical_gradient).
 *
 * f: takes a tensor of x's shape, returns a scalar (a number or a scalar tensor).
 * x: the point, any shape. It is not modified.
 * h: step; see the file comment for why 1e-2.
 * Returns a Float64Array of x's size.
 */
export function numericGradient(f: (x: tf.Tensor) => number | tf.Tensor, x: tf.Tensor, h = NUMERIC_STEP): Float64Array {
  return numericGradientArray((xt) => f(xt), x, undefined, h);
}

/** f at x + h e_i and at x - h e_i: entry i of base nudged both ways, then put back. */
function evalPlusMinus<T>(base: Float32Array, i: number, h: number, evalAt: (vals: Float32Array) => T): [T, T] {
  const old = base[i];
  base[i] = old + h;
  const pos = evalAt(base);
  base[i] = old - h;
  const neg = evalAt(base);
  base[i] = old;
  return [pos, neg];
}

/**
 * Numeric gradient of sum(f(x) * df) with respect to x (the course's eval_numerical_gradient_array): the
 * backward pass a layer with upstream gradient df should produce.
 *
 * f: takes a tensor of x's shape, returns a tensor of df's shape (or a scalar when df is omitted).
 * x: the point, any shape; not modified.
 * df: upstream gradient, f(x)'s shape; omitted means f is scalar-valued.
 * h: step. Returns a Float64Array of x's size.
 */
export function numericGradientArray(
  f: (x: tf.Tensor) => number | tf.Tensor,
  x: tf.Tensor,
  df?: tf.Tensor,
  h = NUMERIC_STEP,
): Float64Array {
  const base = Float32Array.from(x.dataSync());
  const dfv = df ? df.dataSync() : undefined;
  const grad = new Float64Array(base.length);
  const evalAt = (vals: Float32Array): Float64Array =>
    tidyValue(() => {
      const r = f(tf.tensor(vals, x.shape, 'float32'));
      return typeof r === 'number' ? Float64Array.of(r) : Float64Array.from(r.dataSync());
    });
  for (let i = 0; i < base.length; i++) {
    const [pos, neg] = evalPlusMinus(base, i, h, evalAt);
    let s = 0;
    for (let j = 0; j < pos.length; j++) s += (pos[j] - neg[j]) * (dfv ? dfv[j] : 1);
    grad[i] = s / (2 * h);
  }
  return grad;
}

/**
 * Sparse numeric check (the course's grad_check_sparse): compares the analytic gradient with centred differences
 * at `numChecks` random entries drawn by `pick(n)` (pass a seeded Rng's int). Returns the relative error over
 * those entries and the entries themselves.
 */
export function gradCheckSparse(
  f: (x: tf.Tensor) => number | tf.Tensor,
  x: tf.Tensor,
  analytic: tf.Tensor,
  numChecks: number,
  pick: (n: number) => number,
  h = NUMERIC_STEP,
): RelErr & { indices: number[]; numeric: number[]; analytic: number[] } {
  const base = Float32Array.from(x.dataSync());
  const an = analytic.dataSync();
  const indices: number[] = [];
  const numeric: number[] = [];
  const analyticPicked: number[] = [];
  const evalAt = (vals: Float32Array): number =>
    tidyValue(() => {
      const r = f(tf.tensor(vals, x.shape, 'float32'));
      return typeof r === 'number' ? r : r.dataSync()[0];
    });
  for (let k = 0; k < numChecks; k++) {
    const i = pick(base.length);
    const [pos, neg] = evalPlusMinus(base, i, h, evalAt);
    indices.push(i);
    numeric.push((pos - neg) / (2 * h));
    analyticPicked.push(an[i]);
  }
  return { ...relError(numeric, analyticPicked), indices, numeric, analytic: analyticPicked };
}
