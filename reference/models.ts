/**
 * Autodiff twins of the models' losses: the whole forward pass, from parameters to the regularised loss, in plain
 * differentiable tf ops. tf.grads of these gives every parameter's gradient, to compare with the models'
 * hand-written backward passes. Images are NHWC, filters [HH, WW, C, F].
 */
import * as tf from '@tensorflow/tfjs-core';
import { affineRef, reluRef, softmaxLossRef, batchnormRef, layernormRef, dropoutRef } from './layers_dense';

export interface FcNetRefOptions {
  numLayers: number;
  normalization: 'none' | 'batchnorm' | 'layernorm';
  reg: number;
  /** One mask per hidden layer ([N, hidden_i], holding [keep] / p), or none for no dropout. */
  dropoutMasks?: tf.Tensor[];
}

/** FullyConnectedNet's training loss. params: W1, b1, (gamma1, beta1), ..., WL, bL. X: [N, D]. y: [N] int32. */
export function fcNetLossRef(params: Record<string, tf.Tensor>, X: tf.Tensor, y: tf.Tensor, o: FcNetRefOptions): tf.Scalar {
  let h = X;
  for (let i = 1; i < o.numLayers; i++) {
    h = affineRef(h, params[`W${i}`], params[`b${i}`]);
    if (o.normalization === 'batchnorm') h = batchnormRef(h, params[`gamma${i}`], params[`beta${i}`]);
    if (o.normalization === 'layernorm') h = layernormRef(h, params[`gamma${i}`], params[`beta${i}`]);
    h = reluRef(h);
    if (o.dropoutMasks) h = dropoutRef(h, o.dropoutMasks[i - 1]);
  }
  const scores = affineRef(h, params[`W${o.numLayers}`], params[`b${o.numLayers}`]);
  let reg: tf.Tensor = tf.scalar(0);
  for (let i = 1; i <= o.numLayers; i++) reg = tf.add(reg, tf.sum(tf.square(params[`W${i}`])));
  return tf.add(softmaxLossRef(scores, y), tf.mul(0.5 * o.reg, reg)) as tf.Scalar;
}

/** ThreeLayerConvNet's training loss. params: W1 [HH, WW, C, F], b1, (gamma1, beta1), W2, b2, W3, b3. X: [N, H, W, C]. */
export function threeLayerConvNetLossRef(
  params: Record<string, tf.Tensor>,
  X: tf.Tensor4D,
  y: tf.Tensor,
  o: { reg: number; batchnorm: boolean },
): tf.Scalar {
  const hh = params.W1.shape[0];
  const pad = (hh - 1) / 2;
  let h: tf.Tensor = tf.add(tf.conv2d(X, params.W1 as tf.Tensor4D, 1, [[0, 0], [pad, pad], [pad, pad], [0, 0]]), params.b1);
  if (o.batchnorm) {
    const { mean, variance } = tf.moments(h, [0, 1, 2]);
    h = tf.add(tf.mul(tf.div(tf.sub(h, mean), tf.sqrt(tf.add(variance, 1e-5))), params.gamma1), params.beta1);
  }
  h = tf.maxPool(tf.relu(h) as tf.Tensor4D, 2, 2, 'valid');
  h = tf.relu(affineRef(h, params.W2, params.b2));
  const scores = affineRef(h, params.W3, params.b3);
  const reg = tf.add(tf.add(tf.sum(tf.square(params.W1)), tf.sum(tf.square(params.W2))), tf.sum(tf.square(params.W3)));
  return tf.add(softmaxLossRef(scores, y), tf.mul(0.5 * o.reg, reg)) as tf.Scalar;
}
