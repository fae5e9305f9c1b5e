/**
 * Vanilla stochastic gradient descent, the course's `sgd`:
 *
 *   w <- w - learningRate * dw
 *
 * See docs/optimizers.md for how the update rules compare.
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkSameShape } from '../layers/validate';
import { checkHyper } from './config';

export type SgdConfig = {
  /** Step size. Default 1e-2. */
  learningRate: number;
};

export const SGD_DEFAULTS: SgdConfig = { learningRate: 1e-2 };

/**
 * w: a parameter, any shape. dw: the loss gradient, w's shape. config: hyperparameters; missing ones take
 * SGD_DEFAULTS.
 * Returns next: the updated parameter (a new tensor, w's shape) and the complete config. Disposes nothing.
 */
export function sgd(w: tf.Tensor, dw: tf.Tensor, config: Partial<SgdConfig> = {}): { next: tf.Tensor; config: SgdConfig } {
  checkSameShape('sgd', 'dw', dw, 'w', w);
  const learningRate = checkHyper('sgd', 'learningRate', config.learningRate ?? SGD_DEFAULTS.learningRate);
  const next = tf.tidy(() => tf.sub(w, tf.mul(dw, learningRate)));
  return { next, config: { learningRate } };
}
