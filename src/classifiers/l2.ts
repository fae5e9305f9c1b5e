/** L2 regularisation as every model of assignment 2 applies it. */
import * as tf from '@tensorflow/tfjs-core';

/**
 * Adds 0.5 * reg * sum(W^2) over the named weights to dataLoss, and reg * W to each one's gradient in grads (in
 * place). With reg 0 it adds nothing at all rather than zeros: that saves ~5 passes per weight matrix a step.
 *
 * dataLoss: the data term, a scalar. grads: the data term's gradients by parameter name, updated. params: the
 * parameters by name. weights: the names regularised (the W's, not biases or batchnorm's gamma and beta).
 * Returns the regularised loss. Call inside tf.tidy.
 */
export function addL2(dataLoss: tf.Scalar, grads: Record<string, tf.Tensor>, params: Record<string, tf.Tensor>, weights: string[], reg: number): tf.Scalar {
  if (!(reg > 0)) return dataLoss;
  for (const w of weights) grads[w] = tf.add(grads[w], tf.mul(reg, params[w]));
  return tf.add(dataLoss, tf.mul(0.5 * reg, tf.addN(weights.map((w) => tf.sum(tf.square(params[w])))))) as tf.Scalar;
}
