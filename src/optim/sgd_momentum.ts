/**
 * SGD with momentum, the course's `sgd_momentum`. A velocity, a running blend of past steps, carries the update
 * through flat regions and damps oscillation across narrow valleys:
 *
 *   v <- momentum * v - learningRate * dw
 *   w <- w + v
 *
 * See docs/optimizers.md for how the update rules compare.
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkSameShape } from '../layers/validate';
import { checkHyper, stateOrZeros } from './config';

export type MomentumConfig = {
  /** Step size. Default 1e-2. */
  learningRate: number;
  /** Fraction of the velocity kept from one step to the next, in [0, 1). Default 0.9. */
  momentum: number;
  /** Velocity, w's shape. Starts at zeros. */
  velocity: tf.Tensor;
};

export const MOMENTUM_DEFAULTS = { learningRate: 1e-2, momentum: 0.9 };

/**
 * w: a parameter, any shape. dw: the loss gradient, w's shape. config: hyperparameters and the velocity from the
 * previous step; missing ones take MOMENTUM_DEFAULTS and a zero velocity.
 * Returns next: the updated parameter and the config with the new velocity (both new tensors). Disposes nothing:
 * the caller frees the old velocity.
 */
export function sgdMomentum(
  w: tf.Tensor,
  dw: tf.Tensor,
  config: Partial<MomentumConfig> = {},
): { next: tf.Tensor; config: MomentumConfig } {
  checkSameShape('sgd_momentum', 'dw', dw, 'w', w);
  const learningRate = checkHyper('sgd_momentum', 'learningRate', config.learningRate ?? MOMENTUM_DEFAULTS.learningRate);
  const momentum = checkHyper('sgd_momentum', 'momentum', config.momentum ?? MOMENTUM_DEFAULTS.momentum);
  return tf.tidy(() => {
    const v = stateOrZeros('sgd_momentum', 'velocity', config.velocity, w);
    const velocity = tf.sub(tf.mul(v, momentum), tf.mul(dw, learningRate));
    const next = tf.add(w, velocity);
    return { next, config: { learningRate, momentum, velocity } };
  });
}
