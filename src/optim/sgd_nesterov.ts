/**
 * SGD with Nesterov momentum and decoupled weight decay, beyond the course (the update rule of airbench and of
 * Page's ResNet-9, in PyTorch's form of Nesterov momentum, Sutskever et al. 2013):
 *
 *   v <- momentum * v + dw
 *   w <- w - learningRate * lrScale * (dw + momentum * v) - learningRate * weightDecay * w
 *
 * The course's sgd_momentum steps along the velocity it has; Nesterov's steps along the velocity it is about to
 * have, dw + momentum * v (the gradient "looked ahead" by one momentum step), which corrects an overshoot one step
 * sooner. Under a constant gradient both settle to steps of learningRate * dw / (1 - momentum).
 *
 * The weight decay is decoupled (Loshchilov and Hutter, 2019): it shrinks w directly instead of entering dw, so it
 * does not pass through the velocity, and its strength per step is learningRate * weightDecay whatever lrScale
 * says. lrScale lets one group of parameters take larger steps than the rest without decaying faster (the recipe
 * gives batchnorm biases 64 times the rate; see docs/best-model.md). With learningRate 0 nothing moves.
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkSameShape } from '../layers/validate';
import { checkHyper, stateOrZeros } from './config';

export type NesterovConfig = {
  /** Step size, the one a schedule sets. Default 1e-2. */
  learningRate: number;
  /** Fraction of the velocity kept from one step to the next, in [0, 1). Default 0.9. */
  momentum: number;
  /** Decoupled weight decay: w shrinks by learningRate * weightDecay * w each step. Default 0. */
  weightDecay: number;
  /** This parameter's multiplier of learningRate on the gradient step (not on the decay). Default 1. */
  lrScale: number;
  /** Velocity, w's shape. Starts at zeros. */
  velocity: tf.Tensor;
};

export const NESTEROV_DEFAULTS = { learningRate: 1e-2, momentum: 0.9, weightDecay: 0, lrScale: 1 };

/**
 * w: a parameter, any shape. dw: the loss gradient, w's shape. config: hyperparameters and the velocity from the
 * previous step; missing ones take NESTEROV_DEFAULTS and a zero velocity.
 * Returns next: the updated parameter and the config with the new velocity (both new tensors). Disposes nothing.
 */
export function sgdNesterov(w: tf.Tensor, dw: tf.Tensor, config: Partial<NesterovConfig> = {}): { next: tf.Tensor; config: NesterovConfig } {
  const fn = 'sgd_nesterov';
  checkSameShape(fn, 'dw', dw, 'w', w);
  const learningRate = checkHyper(fn, 'learningRate', config.learningRate ?? NESTEROV_DEFAULTS.learningRate);
  const momentum = checkHyper(fn, 'momentum', config.momentum ?? NESTEROV_DEFAULTS.momentum);
  const weightDecay = checkHyper(fn, 'weightDecay', config.weightDecay ?? NESTEROV_DEFAULTS.weightDecay);
  const lrScale = checkHyper(fn, 'lrScale', config.lrScale ?? NESTEROV_DEFAULTS.lrScale);
  return tf.tidy(() => {
    const v = stateOrZeros(fn, 'velocity', config.velocity, w);
    const velocity = tf.add(tf.mul(v, momentum), dw);
    const step = tf.add(dw, tf.mul(velocity, momentum));
    const next = tf.sub(tf.mul(w, 1 - learningRate * weightDecay), tf.mul(step, learningRate * lrScale));
    return { next, config: { learningRate, momentum, weightDecay, lrScale, velocity } };
  });
}
