/**
 * Autodiff twins of the convolutional layers and sandwiches: each forward written with differentiable tf ops and
 * no hand-written gradient, so that tf.grads (crosscheck.ts's autodiffGrads) yields the gradients the
 * hand-written backward passes in src/layers must match. Layouts as there: images [N, H, W, C], filters
 * [HH, WW, C, F].
 *
 * Run them on the cpu backend: wasm has no Conv2DBackpropFilter kernel, so tf.grads through conv2d fails there.
 * They use tfjs's own ops for the maths (conv2d, maxPool, moments), so they share as little code as possible with
 * what they check; zero padding is an explicit tf.pad, unlike the fast layer's conv2d pad argument.
 */
import * as tf from '@tensorflow/tfjs-core';

/** x: [N, H, W, C]. w: [HH, WW, C, F]. b: [F]. Returns conv(zero-padded x, w) + b: [N, H', W', F]. */
export function convRef(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, convParam: { stride: number; pad: number }): tf.Tensor {
  const p = convParam.pad;
  const padded = tf.pad(x, [
    [0, 0],
    [p, p],
    [p, p],
    [0, 0],
  ]) as tf.Tensor4D;
  return tf.add(tf.conv2d(padded, w as tf.Tensor4D, convParam.stride, 'valid'), b);
}

/** x: [N, H, W, C]. Returns the max over each poolHeight x poolWidth window: [N, H', W', C]. */
export function maxPoolRef(x: tf.Tensor, poolParam: { poolHeight: number; poolWidth: number; stride: number }): tf.Tensor {
  return tf.maxPool(x as tf.Tensor4D, [poolParam.poolHeight, poolParam.poolWidth], poolParam.stride, 'valid');
}

/** x: [N, H, W, C]. gamma, beta: [C]. Train-mode spatial batchnorm: statistics per channel over N, H, W. */
export function spatialBatchnormRef(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps = 1e-5): tf.Tensor {
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))), gamma), beta);
}

/**
 * x: [N, H, W, C]. gamma, beta: [C]. Spatial group norm with G groups of C/G consecutive channels: statistics
 * per image and group over H, W and the group's channels.
 */
export function spatialGroupnormRef(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, G: number, eps = 1e-5): tf.Tensor {
  const [N, H, W, C] = x.shape;
  const xg = tf.reshape(x, [N, H, W, G, C / G]);
  const { mean, variance } = tf.moments(xg, [1, 2, 4], true);
  const xhat = tf.reshape(tf.div(tf.sub(xg, mean), tf.sqrt(tf.add(variance, eps))), x.shape);
  return tf.add(tf.mul(xhat, gamma), beta);
}

/** x: [N, ...] flattening to [N, D]. w: [D, M]. b: [M]. Returns relu(x @ w + b). */
export function affineReluRef(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const n = x.shape[0];
  return tf.relu(tf.add(tf.matMul(tf.reshape(x, [n, x.size / n]), w), b));
}

/** Returns relu(conv(x)). */
export function convReluRef(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, convParam: { stride: number; pad: number }): tf.Tensor {
  return tf.relu(convRef(x, w, b, convParam));
}

/** Returns relu(spatialBatchnorm(conv(x))), batchnorm in train mode. gamma, beta: [F]. */
export function convBnReluRef(
  x: tf.Tensor,
  w: tf.Tensor,
  b: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  convParam: { stride: number; pad: number },
  eps = 1e-5,
): tf.Tensor {
  return tf.relu(spatialBatchnormRef(convRef(x, w, b, convParam), gamma, beta, eps));
}

/** Returns maxPool(relu(conv(x))). */
export function convReluPoolRef(
  x: tf.Tensor,
  w: tf.Tensor,
  b: tf.Tensor,
  convParam: { stride: number; pad: number },
  poolParam: { poolHeight: number; poolWidth: number; stride: number },
): tf.Tensor {
  return maxPoolRef(tf.relu(convRef(x, w, b, convParam)), poolParam);
}

/** x: [N, H, W, C]. Returns the mean of every feature map: [N, C]. */
export function globalAvgPoolRef(x: tf.Tensor): tf.Tensor {
  return tf.mean(x, [1, 2]);
}

/**
 * x: [N, H, W, C]. Two conv-bn-relu sandwiches (train-mode batchnorm) with size-keeping filters [HH, WW, C, C];
 * returns x + their output, or their output alone without the skip.
 */
export function residualBlockRef(
  x: tf.Tensor,
  first: { w: tf.Tensor; b: tf.Tensor; gamma: tf.Tensor; beta: tf.Tensor },
  second: { w: tf.Tensor; b: tf.Tensor; gamma: tf.Tensor; beta: tf.Tensor },
  convParam: { stride: number; pad: number },
  skip = true,
): tf.Tensor {
  const h = convBnReluRef(x, first.w, first.b, first.gamma, first.beta, convParam);
  const r = convBnReluRef(h, second.w, second.b, second.gamma, second.beta, convParam);
  return skip ? tf.add(x, r) : r;
}
