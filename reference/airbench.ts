/**
 * Autodiff twin of src/classifiers/airbench.ts (Airbench): the whole forward pass from parameters to the
 * label-smoothed loss in plain differentiable tf ops, so that tf.grads gives every parameter's gradient to compare
 * with the model's hand-written backward pass. The frozen whitening filters and batchnorm scales are constants.
 * Images NHWC, filters [HH, WW, C, F]. Run on the cpu backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import { convRef, maxPoolRef, spatialBatchnormRef } from './layers_conv';
import { geluRef, smoothedSoftmaxLossRef } from './layers_dense';

export interface AirbenchRefOptions {
  labelSmoothing: number;
  scoreScale: number;
  /** The model's whitening filters [2, 2, C, 8C]. */
  whitenW: tf.Tensor;
}

const SAME = { stride: 1, pad: 1 };
const POOL = { poolHeight: 2, poolWidth: 2, stride: 2 };

/** conv (no bias) then batchnorm with scale 1 and shift beta. */
function convBn(h: tf.Tensor, w: tf.Tensor, beta: tf.Tensor): tf.Tensor {
  const F = w.shape[3] as number;
  return spatialBatchnormRef(convRef(h, w, tf.zeros([F]), SAME), tf.ones([F]), beta);
}

/** Train-mode class scores [N, C] of X [N, H, W, C_in]; params b0, W1..W7, beta1..beta6 as Airbench names them. */
export function airbenchScoresRef(p: Record<string, tf.Tensor>, X: tf.Tensor, o: AirbenchRefOptions): tf.Tensor {
  let h = geluRef(convRef(X, o.whitenW, p.b0, { stride: 1, pad: 0 }));
  for (let layer = 1; layer <= 5; layer += 2) {
    const F = p[`W${layer}`].shape[3] as number;
    let c = convRef(h, p[`W${layer}`], tf.zeros([F]), SAME);
    // PyTorch's floor pooling: an odd last row and column are dropped.
    const [N, H, W] = c.shape as number[];
    c = tf.slice(c, [0, 0, 0, 0], [N, H - (H % 2), W - (W % 2), F]);
    h = geluRef(spatialBatchnormRef(maxPoolRef(c, POOL), tf.ones([F]), p[`beta${layer}`]));
    h = geluRef(convBn(h, p[`W${layer + 1}`], p[`beta${layer + 1}`]));
  }
  // The head's max pool covers the whole remaining map: a max over rows and columns.
  const features = tf.max(h, [1, 2]);
  return tf.mul(tf.matMul(features, p.W7), o.scoreScale);
}

/** Airbench's training loss: smoothed softmax cross-entropy of the train-mode scores (no L2 term: decay is the optimizer's). */
export function airbenchLossRef(p: Record<string, tf.Tensor>, X: tf.Tensor, y: tf.Tensor, o: AirbenchRefOptions): tf.Scalar {
  return smoothedSoftmaxLossRef(airbenchScoresRef(p, X, o), y, o.labelSmoothing);
}
