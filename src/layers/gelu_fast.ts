/**
 * GELU for training, fast: gelu.ts's layer with the backward pass's work moved into the forward pass. The forward
 * pass computes Phi(x) for its output anyway, so it also forms the local slope d out / dx = Phi(x) + x phi(x) and
 * caches that instead of x; the backward pass is then one product, dx = dout * slope, where gelu.ts's computes erf
 * and exp from x a second time. The same formulas in the same order, so the same numbers as gelu.ts, bit for bit
 * (spec/layers/gelu_fast.spec.ts), and the same memory (one tensor of x's shape cached).
 *
 * Why: on wasm, erf and exp run on one thread, and airbench's step spent about 9% of its time in them
 * (docs/performance.md). A forward pass no backward pass follows (scoring) passes withSlope = false and skips the slope.
 */
import * as tf from '@tensorflow/tfjs-core';
import { INV_SQRT_2PI, normalCdf } from './gelu';
import { checkSameShape } from './validate';

export interface GeluFastCache {
  /** Phi(x) + x phi(x), x's shape; null when the forward pass ran with withSlope = false. */
  slope: tf.Tensor | null;
}

/** x: any shape. Returns out = x * Phi(x), x's shape, and the cache (the slope unless withSlope is false). */
export function geluForwardFast(x: tf.Tensor, withSlope = true): { out: tf.Tensor; cache: GeluFastCache } {
  const [out, slope] = tf.tidy(() => {
    const cdf = normalCdf(x);
    if (!withSlope) return [tf.mul(x, cdf)];
    const pdf = tf.mul(tf.exp(tf.mul(tf.square(x), -0.5)), INV_SQRT_2PI);
    return [tf.mul(x, cdf), tf.add(cdf, tf.mul(x, pdf))];
  });
  return { out, cache: { slope: slope ?? null } };
}

/** dout: x's shape. Returns dx = dout * slope. */
export function geluBackwardFast(dout: tf.Tensor, cache: GeluFastCache): { dx: tf.Tensor } {
  const fn = 'gelu backward fast';
  if (cache.slope === null) throw new Error(`${fn}: the forward pass ran with withSlope = false (scoring only); run it with the slope to go backward`);
  checkSameShape(fn, 'dout', dout, 'slope', cache.slope);
  return { dx: tf.mul(dout, cache.slope) };
}
