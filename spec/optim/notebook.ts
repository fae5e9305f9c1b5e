/**
 * Inputs and comparisons for the course notebook's optimiser checks (FullyConnectedNets.ipynb): N, D = 4, 5 and
 * every array a `np.linspace(lo, hi, num=N*D).reshape(N, D)`. Expected values are recomputed here in float64
 * with plain loops, independently of the tfjs implementation.
 */
import * as tf from '@tensorflow/tfjs-core';
import { relError } from '../../src/gradcheck';

export const N = 4;
export const D = 5;

/** np.linspace(lo, hi, num=n) in float64. */
export function linspace(lo: number, hi: number, n = N * D): Float64Array {
  const out = new Float64Array(n);
  const step = (hi - lo) / (n - 1);
  for (let i = 0; i < n; i++) out[i] = lo + i * step;
  out[n - 1] = hi;
  return out;
}

/** A [4, 5] float32 tensor of linspace(lo, hi). */
export function grid(lo: number, hi: number): tf.Tensor2D {
  return tf.tensor2d(Float32Array.from(linspace(lo, hi)), [N, D]);
}

/**
 * Float32 arithmetic cannot match float64 to better than ~1e-7 relative per entry; a few operations in a row
 * stay below 1e-6, the bound used here (the notebook asks for ~1e-8 in float64).
 */
export const FLOAT32_BOUND = 1e-6;

/** Asserts the norm-wise relative error between actual and expected is within the bound, naming what differed. */
export function expectClose(what: string, actual: tf.Tensor, expected: ArrayLike<number>, bound = FLOAT32_BOUND): void {
  const err = relError(actual, Array.from(expected));
  if (!(err.norm <= bound)) {
    throw new Error(`${what}: relative error ${err.norm.toExponential(3)} exceeds ${bound} (max element-wise ${err.maxElementwise.toExponential(3)})`);
  }
  expect(err.norm).toBeLessThanOrEqual(bound);
}
