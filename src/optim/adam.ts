/**
 * Adam, the course's `adam`: momentum on the gradient (first moment m) and RMSProp's per-weight scale (second
 * moment v), each bias-corrected because both start at zero and would otherwise be too small for early steps.
 *
 *   t  <- t + 1                                   (incremented before use, so the first step has t = 1)
 *   m  <- beta1 * m + (1 - beta1) * dw
 *   v  <- beta2 * v + (1 - beta2) * dw^2
 *   mt =  m / (1 - beta1^t)                       (divide: ConvNetJS multiplied here, a long-lived bug)
 *   vt =  v / (1 - beta2^t)
 *   w  <- w - learningRate * mt / (sqrt(vt) + epsilon)
 *
 * See docs/optimizers.md for how the update rules compare.
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkSameShape } from '../layers/validate';
import { checkHyper, stateOrZeros } from './config';

export type AdamConfig = {
  /** Step size. Default 1e-3. */
  learningRate: number;
  /** Decay of the first-moment average. Default 0.9. */
  beta1: number;
  /** Decay of the second-moment average. Default 0.999. */
  beta2: number;
  /** Added to sqrt(vt) so that the division never divides by zero. Default 1e-8. */
  epsilon: number;
  /** First moment (moving average of dw), w's shape. Starts at zeros. */
  m: tf.Tensor;
  /** Second moment (moving average of dw^2), w's shape. Starts at zeros. */
  v: tf.Tensor;
  /** Number of steps taken so far. Starts at 0. */
  t: number;
};

export const ADAM_DEFAULTS = { learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, t: 0 };

/**
 * w: a parameter, any shape. dw: the loss gradient, w's shape. config: hyperparameters, moments and step count
 * from the previous step; missing ones take ADAM_DEFAULTS and zero moments.
 * Returns next: the updated parameter and the config with new m, v (new tensors) and t + 1. Disposes nothing.
 */
export function adam(w: tf.Tensor, dw: tf.Tensor, config: Partial<AdamConfig> = {}): { next: tf.Tensor; config: AdamConfig } {
  checkSameShape('adam', 'dw', dw, 'w', w);
  const learningRate = checkHyper('adam', 'learningRate', config.learningRate ?? ADAM_DEFAULTS.learningRate);
  const beta1 = checkHyper('adam', 'beta1', config.beta1 ?? ADAM_DEFAULTS.beta1);
  const beta2 = checkHyper('adam', 'beta2', config.beta2 ?? ADAM_DEFAULTS.beta2);
  const epsilon = checkHyper('adam', 'epsilon', config.epsilon ?? ADAM_DEFAULTS.epsilon);
  const t = checkHyper('adam', 't', config.t ?? ADAM_DEFAULTS.t) + 1;
  return tf.tidy(() => {
    const m = tf.add(tf.mul(stateOrZeros('adam', 'm', config.m, w), beta1), tf.mul(dw, 1 - beta1));
    const v = tf.add(tf.mul(stateOrZeros('adam', 'v', config.v, w), beta2), tf.mul(tf.square(dw), 1 - beta2));
    const mt = tf.div(m, 1 - Math.pow(beta1, t));
    const vt = tf.div(v, 1 - Math.pow(beta2, t));
    const next = tf.sub(w, tf.div(tf.mul(mt, learningRate), tf.add(tf.sqrt(vt), epsilon)));
    return { next, config: { learningRate, beta1, beta2, epsilon, m, v, t } };
  });
}
