/**
 * Autodiff twin of src/classifiers/resnet.ts (ResNet): the whole forward pass from parameters to the regularised,
 * label-smoothed loss in plain differentiable tf ops, so that tf.grads gives every parameter's gradient to compare
 * with the model's hand-written backward pass. Images NHWC, filters [HH, WW, C, F]. Run on the cpu backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import { convBnReluRef, globalAvgPoolRef, maxPoolRef, residualBlockRef } from './layers_conv';
import { affineRef, smoothedSoftmaxLossRef } from './layers_dense';

export interface ResNetRefOptions {
  residual: boolean;
  labelSmoothing: number;
  reg: number;
}

const SAME = { stride: 1, pad: 1 };
const POOL = { poolHeight: 2, poolWidth: 2, stride: 2 };

/** Train-mode class scores [N, C] of X [N, H, W, C_in]; params W1..W9 as ResNet names them. */
export function resNetScoresRef(p: Record<string, tf.Tensor>, X: tf.Tensor, residual: boolean): tf.Tensor {
  const conv = (h: tf.Tensor, i: number) => convBnReluRef(h, p[`W${i}`], p[`b${i}`], p[`gamma${i}`], p[`beta${i}`], SAME);
  const layer = (i: number) => ({ w: p[`W${i}`], b: p[`b${i}`], gamma: p[`gamma${i}`], beta: p[`beta${i}`] });
  let h = conv(X, 1);
  h = maxPoolRef(conv(h, 2), POOL);
  h = residualBlockRef(h, layer(3), layer(4), SAME, residual);
  h = maxPoolRef(conv(h, 5), POOL);
  h = maxPoolRef(conv(h, 6), POOL);
  h = residualBlockRef(h, layer(7), layer(8), SAME, residual);
  return affineRef(globalAvgPoolRef(h), p.W9, p.b9);
}

/** ResNet's training loss: smoothed softmax cross-entropy of the train-mode scores plus 0.5 * reg * sum of every W^2. */
export function resNetLossRef(p: Record<string, tf.Tensor>, X: tf.Tensor, y: tf.Tensor, o: ResNetRefOptions): tf.Scalar {
  let reg: tf.Tensor = tf.scalar(0);
  for (let i = 1; i <= 9; i++) reg = tf.add(reg, tf.sum(tf.square(p[`W${i}`])));
  return tf.add(smoothedSoftmaxLossRef(resNetScoresRef(p, X, o.residual), y, o.labelSmoothing), tf.mul(0.5 * o.reg, reg)) as tf.Scalar;
}
