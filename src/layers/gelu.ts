/**
 * Gaussian error linear unit (Hendrycks and Gimpel, 2016), element-wise: out = x * Phi(x), where Phi is the
 * standard normal's cumulative distribution, Phi(x) = (1 + erf(x / sqrt 2)) / 2. Works on any shape.
 *
 * Where relu keeps x when x > 0 and drops it otherwise, GELU keeps x with the probability that a standard normal
 * falls below it: a smooth relu, with a small negative dip near x = -0.75 and a derivative everywhere.
 *
 * Derivation of the backward pass. With phi(x) = exp(-x^2 / 2) / sqrt(2 pi) the normal density, Phi' = phi, so
 *   d out / dx = Phi(x) + x phi(x)
 * and dx = dout * (Phi(x) + x phi(x)).
 *
 * This is the exact GELU (PyTorch's default), not the tanh approximation: tfjs's erf kernel runs on the wasm and
 * cpu backends, accurate to float32 rounding (spec/layers/gelu.spec.ts compares it with a float64 series).
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkSameShape } from './validate';

export interface GeluCache {
  x: tf.Tensor;
}

const INV_SQRT2 = Math.SQRT1_2;
export const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** Phi(x) = (1 + erf(x / sqrt 2)) / 2, the standard normal CDF, element-wise. Call inside tf.tidy. */
export function normalCdf(x: tf.Tensor): tf.Tensor {
  return tf.mul(tf.add(tf.erf(tf.mul(x, INV_SQRT2)), 1), 0.5);
}

/** x: any shape. Returns out = x * Phi(x), x's shape, and the cache. */
export function geluForward(x: tf.Tensor): { out: tf.Tensor; cache: GeluCache } {
  return { out: tf.tidy(() => tf.mul(x, normalCdf(x))), cache: { x } };
}

/** dout: x's shape. Returns dx = dout * (Phi(x) + x phi(x)). */
export function geluBackward(dout: tf.Tensor, cache: GeluCache): { dx: tf.Tensor } {
  checkSameShape('gelu backward', 'dout', dout, 'x', cache.x);
  return {
    dx: tf.tidy(() => {
      const { x } = cache;
      const pdf = tf.mul(tf.exp(tf.mul(tf.square(x), -0.5)), INV_SQRT_2PI);
      return tf.mul(dout, tf.add(normalCdf(x), tf.mul(x, pdf)));
    }),
  };
}
