/**
 * Autodiff twins for network visualisation: the test-mode class scores of every model the project trains
 * (FullyConnectedNet, ThreeLayerConvNet, and ConvNet's from ./convnet.ts) in plain differentiable tf ops, and
 * their gradient with respect to the input by tf.grads. The models' inputGradient (hand-written backward, first
 * layer's dx) must match these. Images NHWC [N, H, W, C], filters [HH, WW, C, F].
 *
 * Run on the cpu backend: wasm has no Conv2DBackpropFilter kernel, and tf.grads through conv2d fails there.
 */
import * as tf from '@tensorflow/tfjs-core';
import { autodiffGrads } from './crosscheck';
import { affineRef, batchnormTestRef, layernormRef, reluRef } from './layers_dense';
import { convRef, maxPoolRef } from './layers_conv';

/** ConvNet's scores twin lives beside its loss twin; with running statistics it is the test-mode scores used here. */
export { convNetScoresRef } from './convnet';

/** Batchnorm running statistics of one layer, [D] (or [F] for the convnet's spatial batchnorm). */
export interface RunningStats {
  mean: tf.Tensor;
  variance: tf.Tensor;
}

/**
 * ThreeLayerConvNet's test-mode scores [N, numClasses]. params: W1 [HH, WW, C, F], b1, (gamma1, beta1), W2, b2,
 * W3, b3. X: [N, H, W, C]. bn: the running statistics when the net has batchnorm (per channel, constants here).
 */
export function threeLayerConvNetScoresRef(params: Record<string, tf.Tensor>, X: tf.Tensor, bn?: RunningStats): tf.Tensor {
  const pad = (params.W1.shape[0] - 1) / 2;
  let h = convRef(X, params.W1, params.b1, { stride: 1, pad });
  if (bn) h = batchnormTestRef(h, params.gamma1, params.beta1, bn.mean, bn.variance);
  h = maxPoolRef(reluRef(h), { poolHeight: 2, poolWidth: 2, stride: 2 });
  h = reluRef(affineRef(h, params.W2, params.b2));
  return affineRef(h, params.W3, params.b3);
}

/**
 * FullyConnectedNet's test-mode scores [N, C] (dropout is the identity at test time, so it does not appear).
 * params: W1, b1, (gamma1, beta1), ..., WL, bL. X: [N, D] or [N, H, W, C] flattening to D.
 * normalization: as the net's; bn: one RunningStats per hidden layer for 'batchnorm'.
 */
export function fcNetScoresRef(
  params: Record<string, tf.Tensor>,
  X: tf.Tensor,
  o: { numLayers: number; normalization: 'none' | 'batchnorm' | 'layernorm'; bn?: RunningStats[] },
): tf.Tensor {
  let h = X;
  for (let i = 1; i < o.numLayers; i++) {
    h = affineRef(h, params[`W${i}`], params[`b${i}`]);
    if (o.normalization === 'batchnorm') {
      const stats = o.bn?.[i - 1];
      if (!stats) throw new Error(`fcNetScoresRef: batchnorm needs running statistics for hidden layer ${i}`);
      h = batchnormTestRef(h, params[`gamma${i}`], params[`beta${i}`], stats.mean, stats.variance);
    }
    if (o.normalization === 'layernorm') h = layernormRef(h, params[`gamma${i}`], params[`beta${i}`]);
    h = reluRef(h);
  }
  return affineRef(h, params[`W${o.numLayers}`], params[`b${o.numLayers}`]);
}

/**
 * d(sum(scores(X) * dscores))/dX by tf.grads: the input gradient the hand-written backward must match.
 * scores: X -> [N, C], one of the twins above with its parameters bound. X: any input shape. dscores: [N, C].
 * Returns X's shape (caller disposes).
 */
export function inputGradientRef(scores: (X: tf.Tensor) => tf.Tensor, X: tf.Tensor, dscores: tf.Tensor): tf.Tensor {
  return autodiffGrads(({ X: x }) => scores(x), { X }, dscores).X;
}
