/** Parameter creation shared by the models. */
import * as tf from '@tensorflow/tfjs-core';

/**
 * Wraps an initial value in a trainable tf.Variable and disposes the initial tensor: tf.variable shares the data
 * but leaves the original tensor alive, which would otherwise leak one tensor per parameter.
 */
export function param(initial: tf.Tensor): tf.Variable {
  const v = tf.variable(initial, true);
  initial.dispose();
  return v;
}
