/**
 * RMSProp, the course's `rmsprop`. A moving average of squared gradients gives each weight its own step size:
 * weights with large gradients take smaller steps, and the reverse.
 *
 *   cache <- decayRate * cache + (1 - decayRate) * dw^2
 *   w     <- w - learningRate * dw / (sqrt(cache) + epsilon)
 *
 * See docs/optimizers.md for how the update rules compare.
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkSameShape } from '../layers/validate';
import { checkHyper, stateOrZeros } from './config';

export type RmspropConfig = {
  /** Step size. Default 1e-2. */
  learningRate: number;
  /** Decay of the squared-gradient average, in [0, 1). Default 0.99. */
  decayRate: number;
  /** Added to the root mean square so that the division never divides by zero. Default 1e-8. */
  epsilon: number;
  /** Moving average of dw^2, w's shape. Starts at zeros. */
  cache: tf.Tensor;
};

export const RMSPROP_DEFAULTS = { learningRate: 1e-2, decayRate: 0.99, epsilon: 1e-8 };

/**
 * w: a parameter, any shape. dw: the loss gradient, w's shape. config: hyperparameters and the cache from the
 * previous step; missing ones take RMSPROP_DEFAULTS and a zero cache.
 * Returns next: the updated parameter and the config with the new cache (both new tensors). Disposes nothing.
 */
export function rmsprop(w: tf.Tensor, dw: tf.Tensor, config: Partial<RmspropConfig> = {}): { next: tf.Tensor; config: RmspropConfig } {
  checkSameShape('rmsprop', 'dw', dw, 'w', w);
  const learningRate = checkHyper('rmsprop', 'learningRate', config.learningRate ?? RMSPROP_DEFAULTS.learningRate);
  const decayRate = checkHyper('rmsprop', 'decayRate', config.decayRate ?? RMSPROP_DEFAULTS.decayRate);
  const epsilon = checkHyper('rmsprop', 'epsilon', config.epsilon ?? RMSPROP_DEFAULTS.epsilon);
  return tf.tidy(() => {
    const old = stateOrZeros('rmsprop', 'cache', config.cache, w);
    const cache = tf.add(tf.mul(old, decayRate), tf.mul(tf.square(dw), 1 - decayRate));
    const next = tf.sub(w, tf.div(tf.mul(dw, learningRate), tf.add(tf.sqrt(cache), epsilon)));
    return { next, config: { learningRate, decayRate, epsilon, cache } };
  });
}
