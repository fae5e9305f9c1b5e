/**
 * Autodiff twin of src/classifiers/convnet.ts (ConvNet): the whole forward pass, from parameters to the
 * regularised loss, in plain differentiable tf ops, so that tf.grads gives every parameter's gradient to compare
 * with the model's hand-written backward pass. Also the test-mode scores with given batchnorm statistics.
 * Images are NHWC, filters [HH, WW, C, F]. Run on the cpu backend (tf.grad through conv2d fails on wasm).
 */
import * as tf from '@tensorflow/tfjs-core';
import { convRef, maxPoolRef, spatialBatchnormRef } from './layers_conv';
import { affineRef, batchnormRef, batchnormTestRef, reluRef, softmaxLossRef } from './layers_dense';

export interface ConvNetRefOptions {
  /** The conv blocks: a 2x2 max pool after those with pool. */
  blocks: { filters: number; pool?: boolean }[];
  /** Number of hidden affine layers in the head. */
  numHidden: number;
  batchnorm: boolean;
  reg: number;
}

/**
 * Class scores [N, C] of X [N, H, W, C_in]. params: W1, b1, (gamma1, beta1), ... as ConvNet names them.
 * running: omitted for train mode (batchnorm with the batch's statistics); given for test mode, holding
 * runningMean{i} and runningVar{i} of every batchnorm layer i.
 */
export function convNetScoresRef(
  params: Record<string, tf.Tensor>,
  X: tf.Tensor,
  o: ConvNetRefOptions,
  running?: Record<string, tf.Tensor>,
): tf.Tensor {
  const norm = (h: tf.Tensor, i: number): tf.Tensor => {
    if (!o.batchnorm) return h;
    const gamma = params[`gamma${i}`];
    const beta = params[`beta${i}`];
    if (running) return batchnormTestRef(h, gamma, beta, running[`runningMean${i}`], running[`runningVar${i}`]);
    return h.rank === 4 ? spatialBatchnormRef(h, gamma, beta) : batchnormRef(h, gamma, beta);
  };
  let h = X;
  let layer = 1;
  for (const block of o.blocks) {
    const pad = (params[`W${layer}`].shape[0] - 1) / 2;
    h = reluRef(norm(convRef(h, params[`W${layer}`], params[`b${layer}`], { stride: 1, pad }), layer));
    if (block.pool) h = maxPoolRef(h, { poolHeight: 2, poolWidth: 2, stride: 2 });
    layer++;
  }
  for (let j = 0; j < o.numHidden; j++, layer++) h = reluRef(norm(affineRef(h, params[`W${layer}`], params[`b${layer}`]), layer));
  return affineRef(h, params[`W${layer}`], params[`b${layer}`]);
}

/** ConvNet's training loss: softmax cross-entropy of the train-mode scores plus 0.5 * reg * sum of every W^2. */
export function convNetLossRef(params: Record<string, tf.Tensor>, X: tf.Tensor, y: tf.Tensor, o: ConvNetRefOptions): tf.Scalar {
  const numLayers = o.blocks.length + o.numHidden + 1;
  let reg: tf.Tensor = tf.scalar(0);
  for (let i = 1; i <= numLayers; i++) reg = tf.add(reg, tf.sum(tf.square(params[`W${i}`])));
  return tf.add(softmaxLossRef(convNetScoresRef(params, X, o), y), tf.mul(0.5 * o.reg, reg)) as tf.Scalar;
}
