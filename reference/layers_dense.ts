/**
 * Autodiff twins of the non-convolutional layers and the losses: each forward written with plain differentiable
 * tf ops and no hand-written gradient, so that tf.grads (crosscheck.ts's autodiffGrads) yields the gradients the
 * hand-written backward passes in src/layers must match.
 *
 * Where tfjs has its own op for the maths (logSoftmax, moments) the twin uses it, so the reference shares as
 * little code as possible with what it checks.
 */
import * as tf from '@tensorflow/tfjs-core';

/** y: [N] int32 -> [N, C] float32. Cast rather than oneHot's dtype argument: wasm's OneHot writes int32 bits there. */
function oneHotFloat(y: tf.Tensor, c: number): tf.Tensor {
  return tf.cast(tf.oneHot(y as tf.Tensor1D, c), 'float32');
}

/** x: [N, ...] flattening to [N, D]. w: [D, M]. b: [M]. Returns [N, M]. */
export function affineRef(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const n = x.shape[0];
  return tf.add(tf.matMul(tf.reshape(x, [n, x.size / n]), w), b);
}

/** x: any shape. */
export function reluRef(x: tf.Tensor): tf.Tensor {
  return tf.relu(x);
}

/** scores: [N, C]. y: [N] int32. Returns the mean cross-entropy, a scalar. */
export function softmaxLossRef(scores: tf.Tensor, y: tf.Tensor): tf.Scalar {
  const c = scores.shape[1] as number;
  const picked = tf.mul(tf.logSoftmax(scores), oneHotFloat(y, c));
  return tf.neg(tf.mean(tf.sum(picked, 1))) as tf.Scalar;
}

/**
 * scores: [N, C]. y: [N] int32. eps: label smoothing. Returns the mean cross-entropy against the targets
 * (1 - eps) onehot(y) + eps / C, a scalar.
 */
export function smoothedSoftmaxLossRef(scores: tf.Tensor, y: tf.Tensor, eps: number): tf.Scalar {
  const c = scores.shape[1] as number;
  const target = tf.add(tf.mul(oneHotFloat(y, c), 1 - eps), eps / c);
  return tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(scores), target), 1))) as tf.Scalar;
}

/** scores: [N, C]. y: [N] int32. Returns the mean multiclass hinge loss with delta = 1, a scalar. */
export function svmLossRef(scores: tf.Tensor, y: tf.Tensor): tf.Scalar {
  const c = scores.shape[1] as number;
  const oneHot = oneHotFloat(y, c);
  const correct = tf.sum(tf.mul(scores, oneHot), 1, true);
  const margins = tf.mul(tf.relu(tf.add(tf.sub(scores, correct), 1)), tf.sub(1, oneHot));
  return tf.mean(tf.sum(margins, 1)) as tf.Scalar;
}

/** x: [N, D]. gamma, beta: [D]. Batchnorm with the batch's own (biased) statistics: train mode. Returns [N, D]. */
export function batchnormRef(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps = 1e-5): tf.Tensor {
  const { mean, variance } = tf.moments(x, 0);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))), gamma), beta);
}

/**
 * x: [N, D]. gamma, beta, mean, variance: [D]. Batchnorm with fixed statistics: test mode (the statistics are
 * constants, not differentiated).
 */
export function batchnormTestRef(
  x: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  mean: tf.Tensor,
  variance: tf.Tensor,
  eps = 1e-5,
): tf.Tensor {
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))), gamma), beta);
}

/** x: [N, D]. gamma, beta: [D]. Layer norm: each row normalised by its own (biased) statistics. Returns [N, D]. */
export function layernormRef(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps = 1e-5): tf.Tensor {
  const { mean, variance } = tf.moments(x, 1, true);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))), gamma), beta);
}

/** x: any shape. mask: x's shape, already holding [keep] / p. Dropout with a given mask. */
export function dropoutRef(x: tf.Tensor, mask: tf.Tensor): tf.Tensor {
  return tf.mul(x, mask);
}

/** x: any shape. The exact GELU, x * Phi(x) with Phi from tf.erf (autodiff differentiates erf itself). */
export function geluRef(x: tf.Tensor): tf.Tensor {
  return tf.mul(x, tf.mul(tf.add(tf.erf(tf.div(x, Math.SQRT2)), 1), 0.5));
}
