/**
 * Twins of the update rules beyond the course, built on what tfjs ships rather than on src/optim: tfjs's own
 * MomentumOptimizer with useNesterov (tf.train.momentum) for Nesterov momentum. A spec runs both on the same
 * gradients and compares the weights they reach.
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * Runs tfjs's Nesterov momentum on w0 for the given gradients (one per step) and returns the final weights.
 * tfjs's form: accumulation <- momentum * accumulation + g; w <- w - lr * (g + momentum * accumulation).
 * Weight decay and lrScale are not tfjs's: this twin covers the rule with weightDecay 0 and lrScale 1.
 */
export function nesterovRef(w0: tf.Tensor, grads: tf.Tensor[], learningRate: number, momentum: number): tf.Tensor {
  return tf.tidy(() => {
    const w = tf.variable(w0, true, `nesterov-ref-${Math.random()}`);
    const optimizer = tf.train.momentum(learningRate, momentum, true);
    try {
      for (const g of grads) optimizer.applyGradients([{ name: w.name, tensor: g }]);
      return tf.clone(w);
    } finally {
      optimizer.dispose();
      // tfjs 4.22's MomentumOptimizer.dispose forgets the kept scalar -learningRate (field c) its SGD base made.
      (optimizer as unknown as { c?: tf.Tensor }).c?.dispose();
      w.dispose();
    }
  });
}
